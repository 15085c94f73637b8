/* io.h: parallel HDF5 column files (MPI + HDF5 layer).
 *
 * Layout (data-model.md): one group per table, one 1-D dataset per column,
 * all of equal length. Each rank reads / writes its contiguous block of rows
 * with collective transfers. Every function here is collective on the
 * communicator the file was opened with, ends with a status agreement, and
 * returns the same status on every rank. HDF5's own error printing is off;
 * failures are recorded as "file 'F', dataset 'D': problem".
 *
 * Writers never touch the target path: a run's writer writes the temporary of
 * one of its declared outputs (cvseg_writer_open, outputs.h), and the run
 * renames all its outputs into place together, only when every rank
 * succeeded (cvseg_outputs_finish). Writers preallocate the space of what
 * they define on rank 0, so that a full disk shows as an agreed EIO before
 * the data is written and never inside HDF5's collective close.
 */
#ifndef CVSEG_IO_H
#define CVSEG_IO_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/outputs.h"
#include "cvseg/status.h"

typedef enum {
    CVSEG_T_I64,
    CVSEG_T_I32,
    CVSEG_T_I16,
    CVSEG_T_U16,
    CVSEG_T_U8,
    CVSEG_T_F64,
    CVSEG_T_F32
} cvseg_type;

size_t cvseg_type_size(cvseg_type type);

/* An enumeration stored as an HDF5 enum over uint8: values 0..count-1. */
typedef struct {
    const char *const *names;
    int count;
} cvseg_enum_def;

/* One column to write: data [n_local] of type; enum_def non-NULL for enums
 * (type must be CVSEG_T_U8); units optional ("units" attribute). */
typedef struct {
    const char *name;
    cvseg_type type;
    const void *data;
    const cvseg_enum_def *enum_def;
    const char *units;
} cvseg_column;

/* ---------------------------------------------------------------- writer */
typedef struct cvseg_writer cvseg_writer;

/* Creates the temporary of output index of set (an HDF5 file). Collective on
 * the set's communicator. */
cvseg_status cvseg_writer_open(cvseg_outputs *set, int index, cvseg_writer **writer);

/* Closes the file after an agreement on run_status; on success the file is
 * flushed and synced. On failure the temporary's blocks and the set's
 * reserves are given back first, so that closing does not meet a full disk.
 * Never renames: the temporary waits for cvseg_outputs_finish, which removes
 * it unless every output is committed. Returns the agreed status. Frees the
 * writer. Collective. */
cvseg_status cvseg_writer_close(cvseg_writer *writer, cvseg_status run_status);

/* A single file outside a run's output set (tools, tests): declares path as
 * the only output of a set of its own (checks and lock as in outputs.h) and
 * opens its writer; cvseg_writer_finish closes it and commits or removes it
 * (cvseg_outputs_finish). Collective. */
cvseg_status cvseg_writer_create(MPI_Comm comm, const char *path, cvseg_writer **writer);

/* Creates group (if missing) and writes the columns: this rank's rows go to
 * [offset, offset + n_local) of datasets of length n_global. Collective. */
cvseg_status cvseg_writer_columns(cvseg_writer *writer, const char *group, int64_t n_global,
                                  int64_t offset, int64_t n_local, int n_columns,
                                  const cvseg_column *columns);

/* The same in two steps, for data produced piece by piece with bounded
 * memory: create the (empty) datasets, then write rows [offset, offset + n)
 * of each piece. Every rank must call cvseg_writer_rows equally often (a
 * rank with nothing left passes n_local = 0). Collective. */
cvseg_status cvseg_writer_define(cvseg_writer *writer, const char *group, int64_t n_global,
                                 int n_columns, const cvseg_column *columns);
cvseg_status cvseg_writer_rows(cvseg_writer *writer, const char *group, int64_t offset,
                               int64_t n_local, int n_columns, const cvseg_column *columns);

/* Writes a small dataset held identically by every rank (model arrays):
 * rank 1 or 2 with dims[0..rank-1]; data row-major. Collective. */
cvseg_status cvseg_writer_small(cvseg_writer *writer, const char *path, cvseg_type type, int rank,
                                const int64_t *dims, const void *data);

/* Attributes on an existing object (group or dataset path). Collective, same
 * values on every rank. */
cvseg_status cvseg_writer_attr_i64(cvseg_writer *writer, const char *object, const char *name,
                                   int64_t value);
cvseg_status cvseg_writer_attr_i32(cvseg_writer *writer, const char *object, const char *name,
                                   int32_t value);
cvseg_status cvseg_writer_attr_f64(cvseg_writer *writer, const char *object, const char *name,
                                   double value);
cvseg_status cvseg_writer_attr_str(cvseg_writer *writer, const char *object, const char *name,
                                   const char *value);
/* Creates an empty group (and parents). */
cvseg_status cvseg_writer_group(cvseg_writer *writer, const char *group);

/* For cvseg_writer_create: closes the file, then renames it into place when
 * the agreed status is OK (or ENOCONV, EDRIFT), else deletes it. Returns the
 * agreed status (the run's failure, or a failure of closing/renaming). Frees
 * the writer. Collective. */
cvseg_status cvseg_writer_finish(cvseg_writer *writer, cvseg_status run_status);

/* ---------------------------------------------------------------- reader */
typedef struct cvseg_reader cvseg_reader;

/* Opens an existing file read-only: EIO when the file cannot be opened,
 * EDATA when it is not (or no longer, e.g. truncated) a valid HDF5 file.
 * Collective. */
cvseg_status cvseg_reader_open(MPI_Comm comm, const char *path, cvseg_reader **reader);
void cvseg_reader_close(cvseg_reader *reader);
const char *cvseg_reader_path(const cvseg_reader *reader);

/* 1 if the object (group or dataset path, e.g. "/members/first_purchase")
 * exists. Not collective (metadata only), identical on every rank. */
int cvseg_reader_exists(cvseg_reader *reader, const char *object);

/* Validates that group exists, that every named column exists, is 1-D, and
 * that all have the same length; returns that length. EDATA with the file
 * and dataset named otherwise. Collective. */
cvseg_status cvseg_reader_table(cvseg_reader *reader, const char *group, const char *const *columns,
                                int n_columns, int64_t *n_rows);

/* Reads rows [offset, offset + count) of group/name, converted to type, into
 * out [count]. Integer targets require an integer dataset; float targets
 * accept integer or float datasets. Enums (and h5py's bools, which are
 * enums) are refused, and so is a dataset with rows but no data ever written
 * (it would read as its fill value). A file type wider than the target is
 * accepted only when every value fits (integers into float64: |v| <= 2^53);
 * otherwise EDATA names the file, dataset, row and value. Never clips.
 * Reads in pieces of at most CVSEG_IO_PIECE_ROWS rows (MPI-IO buffers stay
 * bounded; a narrowed read adds one piece-sized buffer, 8 bytes a row).
 * Collective. */
#define CVSEG_IO_PIECE_ROWS (4 * 1024 * 1024)
cvseg_status cvseg_reader_column(cvseg_reader *reader, const char *group, const char *name,
                                 cvseg_type type, int64_t offset, int64_t count, void *out);

/* The same for a categorical column, which must be an HDF5 enum whose values
 * fit in uint8 (the results' segment, abc_class, ...). Collective. */
cvseg_status cvseg_reader_enum_column(cvseg_reader *reader, const char *group, const char *name,
                                      int64_t offset, int64_t count, uint8_t *out);

/* Attributes. present receives 0 when missing (status OK). Not collective. */
cvseg_status cvseg_reader_attr_i32(cvseg_reader *reader, const char *object, const char *name,
                                   int32_t *value, int *present);
cvseg_status cvseg_reader_attr_i64(cvseg_reader *reader, const char *object, const char *name,
                                   int64_t *value, int *present);
cvseg_status cvseg_reader_attr_f64(cvseg_reader *reader, const char *object, const char *name,
                                   double *value, int *present);
/* value: buffer of size capacity, NUL-terminated. */
cvseg_status cvseg_reader_attr_str(cvseg_reader *reader, const char *object, const char *name,
                                   char *value, size_t capacity, int *present);

/* Reads a whole small dataset (every rank reads all of it): dims out (rank
 * 1 or 2; dims[1] = 1 for rank 1), data into out (capacity elements).
 * Collective. */
cvseg_status cvseg_reader_small(cvseg_reader *reader, const char *path, cvseg_type type,
                                int64_t capacity, int64_t dims[2], void *out);

#endif
