/* io_columns.h: what the columns of an HDF5 table group are (MPI + HDF5
 * layer), for verbs that take any column (export). Metadata only: not
 * collective, the same answer on every rank. */
#ifndef CVSEG_IO_COLUMNS_H
#define CVSEG_IO_COLUMNS_H

#include <stddef.h>

#include "cvseg/io.h"

typedef enum {
    CVSEG_COLUMN_INTEGER, /* any HDF5 integer */
    CVSEG_COLUMN_FLOAT,   /* HDF5 float of size bytes */
    CVSEG_COLUMN_ENUM,    /* HDF5 enum (h5py bools too) */
    CVSEG_COLUMN_OTHER    /* strings, compounds, ...: not a column cvseg reads */
} cvseg_column_class;

typedef struct {
    cvseg_column_class class;
    int dimensions;
    size_t size;           /* bytes per value */
    int is_date;           /* attribute units = "days since 1970-01-01" */
    char *enum_names[256]; /* ENUM: member names by value 0..255 (NULL: none) */
} cvseg_column_info;

/* The datasets directly in group, by name (byte order); *names[*count], each
 * freed with cvseg_column_names_free. EDATA when group is missing. */
cvseg_status cvseg_reader_list(cvseg_reader *reader, const char *group, char ***names, int *count);
void cvseg_column_names_free(char **names, int count);

/* Describes group/name. EDATA (recorded, naming file and dataset) when it is
 * missing or cannot be read; members of an enum with values outside 0..255
 * get no name. Free with cvseg_column_info_free. */
cvseg_status cvseg_reader_describe(cvseg_reader *reader, const char *group, const char *name,
                                   cvseg_column_info *info);
void cvseg_column_info_free(cvseg_column_info *info);

#endif
