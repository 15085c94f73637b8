/* parallel_text.h: one byte stream written by every rank with MPI-IO (MPI
 * layer), e.g. a CSV file: each call appends every rank's bytes in rank
 * order (collective MPI_File_write_at_all at exclusive-scan offsets). */
#ifndef CVSEG_PARALLEL_TEXT_H
#define CVSEG_PARALLEL_TEXT_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/status.h"

typedef struct cvseg_parallel_text cvseg_parallel_text;

/* Creates (or empties) path for writing; label names it in messages (e.g.
 * the path the user gave). EIO when it cannot. Collective on comm. */
cvseg_status cvseg_parallel_text_open(MPI_Comm comm, const char *path, const char *label,
                                      cvseg_parallel_text **file);

/* Appends data[0..length) of every rank after what was written so far, rank
 * 0's first (any length, 0 too: more than 2 GiB goes in several collective
 * writes). EIO on a failed or short write. Collective. */
cvseg_status cvseg_parallel_text_append(cvseg_parallel_text *file, const char *data,
                                        int64_t length);

/* Bytes written so far (identical on every rank). */
int64_t cvseg_parallel_text_size(const cvseg_parallel_text *file);

/* Closes the file (NULL: nothing) and frees it; returns the agreed status of
 * status and the close. Collective. */
cvseg_status cvseg_parallel_text_close(cvseg_parallel_text *file, cvseg_status status);

#endif
