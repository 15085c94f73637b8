/* text_import.h: reading a text file in parallel, split at line starts
 * (MPI layer; POSIX reads, no HDF5).
 *
 * A text file is read in two steps. cvseg_text_open opens it on every rank and
 * gives every rank the first two non-blank lines (the header, and the first
 * data line when there is a header), so that every rank can choose the layout
 * and the column plan identically. cvseg_text_read_range then splits the
 * bytes [begin, size) of the file over the ranks: rank r of P takes the
 * lines that start in [begin + r*L/P, begin + (r+1)*L/P), L = size - begin
 * (cvseg_text_share, core), i.e. its byte range with both ends moved forward
 * to the next line start,
 * and reads those whole lines into memory. Every line belongs to exactly one
 * rank, ranges are in rank order, and each rank learns the 1-based number of
 * its first line (an exclusive scan of the newline counts), so error messages
 * name global line numbers.
 *
 * Decoded input: a gzip file (recognised by its magic bytes 1f 8b, whatever
 * its name) or a file in another encoding (iconv name, e.g. GB18030,
 * LATIN1, UTF-16) cannot be split at byte offsets of the file. Rank 0 then
 * reads the whole stream, gunzips it (zlib) and converts it to UTF-8
 * (iconv), and broadcasts the decoded text; every rank keeps it in memory
 * and takes its share of the lines from it exactly as from a file. The cost:
 * the decoding is serial and every rank holds the whole decoded text.
 *
 * Limits: a rank holds its whole range in memory (about size / P bytes);
 * lines end at '\n' (a '\r' before it is dropped by the line splitter), so
 * quoted fields that contain line breaks are not supported.
 */
#ifndef CVSEG_TEXT_IMPORT_H
#define CVSEG_TEXT_IMPORT_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/status.h"
#include "cvseg/text_parse.h" /* cvseg_text_line, cvseg_text_share */

typedef struct {
    const char *path;
    int fd;
    char *memory;            /* the decoded text (gzip or --encoding), else NULL */
    int64_t size;            /* bytes in the file (in the decoded text) */
    cvseg_text_line head[2]; /* the first two non-blank lines; a UTF-8 byte order mark at the
                              * start of the file is not part of head[0].text */
} cvseg_text_file;

/* This rank's share of the lines. */
typedef struct {
    char *data;         /* bytes [begin, end) of the file, whole lines, NUL-terminated */
    size_t size;        /* end - begin */
    int64_t begin, end; /* file offsets */
    int64_t first_line; /* 1-based line number of data[0] */
    int64_t lines;      /* lines in data (newlines, +1 for a last line without one) */
} cvseg_text_range;

/* Opens path on every rank and reads the first two non-blank lines (rank 0
 * reads them and broadcasts). encoding: NULL (or "UTF-8") for UTF-8/ASCII
 * text, else an iconv name; the text is decoded first (see above). Text not
 * valid in the encoding, or a damaged gzip stream, fails with CVSEG_EDATA
 * "file 'P', line N: ..." naming the first bad line. Fails with CVSEG_EIO "file 'P': cannot open
 * (reason)" when the file is missing or unreadable, or is not a regular
 * file. An empty (or blank) file is not an error here: head[0].text is then
 * NULL. path must stay valid until cvseg_text_close. Collective; the same
 * status on every rank; on failure the file is closed. */
cvseg_status cvseg_text_open(MPI_Comm comm, const char *path, const char *encoding,
                             cvseg_text_file *file);

/* Reads this rank's lines of [begin, size), begin being a line start whose
 * line number is begin_line. Collective; the same status on every rank
 * (EIO on read failures, ENOMEM). range->data is NULL only on failure. */
cvseg_status cvseg_text_read_range(MPI_Comm comm, const cvseg_text_file *file, int64_t begin,
                                   int64_t begin_line, cvseg_text_range *range);

void cvseg_text_range_free(cvseg_text_range *range);
void cvseg_text_close(cvseg_text_file *file);

#endif
