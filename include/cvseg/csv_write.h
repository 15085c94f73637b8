/* csv_write.h: CSV text for `cvseg export`: exact numbers, RFC 4180 fields,
 * rows of typed columns, gzip members. Pure C + OpenMP + zlib; no MPI, no
 * HDF5.
 *
 * Numbers: a double is written with the fewest of 15, 16 or 17 significant
 * digits ("%.Ng") that strtod reads back to the same bits (shortest for every
 * normal double; subnormals may keep more digits than strictly needed), in
 * exponent notation when the fixed one would spell more than 17 digits
 * (0.00012345678901234567 -> 1.2345678901234567e-04: pandas' default parser
 * reads only the first 17 digits, leading zeros included); a
 * float the fewest of 6..9 digits that strtof reads back. NaN is an empty
 * field (pandas reads NaN), infinities are "inf" and "-inf", -0 is "-0.0"; a
 * double or float with an integer value gets ".0" ("12.0", like Python's repr).
 * Integers are exact decimal. Dates (int days since 1970-01-01) are
 * "YYYY-MM-DD". Text fields are quoted when they contain a comma, a double
 * quote, CR or LF, with inner quotes doubled (RFC 4180). Rows end with "\n".
 */
#ifndef CVSEG_CSV_WRITE_H
#define CVSEG_CSV_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "cvseg/status.h"

/* A growing byte buffer (not NUL-terminated). Zero-initialise; free with
 * cvseg_text_free. */
typedef struct {
    char *data;
    size_t length, capacity;
} cvseg_text;

/* Room for extra more bytes: ENOMEM (recorded) when it cannot grow. */
cvseg_status cvseg_text_reserve(cvseg_text *text, size_t extra);
cvseg_status cvseg_text_append(cvseg_text *text, const char *bytes, size_t length);
void cvseg_text_free(cvseg_text *text);

/* Longest number text, with the terminator ("-2.2250738585072014e-308"). */
#define CVSEG_CSV_NUMBER_MAX 32

/* Writes x as described above into out (NUL-terminated); returns the length
 * (0 for NaN). Thread-safe. */
size_t cvseg_csv_format_double(double x, char out[CVSEG_CSV_NUMBER_MAX]);
size_t cvseg_csv_format_float(float x, char out[CVSEG_CSV_NUMBER_MAX]);

/* Appends text[0..length) as one field, quoted and escaped when needed. */
cvseg_status cvseg_csv_append_field(cvseg_text *out, const char *text, size_t length);

/* What a column holds and how it is written. */
typedef enum {
    CVSEG_CSV_INTEGER, /* int64_t values: decimal */
    CVSEG_CSV_DATE,    /* int64_t days since 1970-01-01: YYYY-MM-DD (0001..9999 only) */
    CVSEG_CSV_DOUBLE,  /* double values */
    CVSEG_CSV_FLOAT,   /* float values */
    CVSEG_CSV_ENUM,    /* uint8_t values: names[value] (must be non-NULL) */
} cvseg_csv_kind;

/* One column of rows [0, n_rows): values points at row 0 of this block. */
typedef struct {
    const char *name; /* header text */
    cvseg_csv_kind kind;
    const void *values;
    const char *const *names; /* CVSEG_CSV_ENUM: [256] names by value, NULL: no name */
} cvseg_csv_column;

/* Appends the header line (every column's name as a field). */
cvseg_status cvseg_csv_append_header(cvseg_text *out, int n_columns,
                                     const cvseg_csv_column *columns);

/* A value the formatter refuses: a date outside 0001-01-01..9999-12-31 or an
 * enum value without a name. row is relative to the block, -1 when none. */
typedef struct {
    int64_t row;
    int column;
    long long value;
} cvseg_csv_bad;

/* Rows per independently formatted (and compressed) block. */
#define CVSEG_CSV_BLOCK_ROWS 16384

/* Appends rows [0, n_rows) of the columns to out, one line per row, the
 * fields in column order. With gzip_level in 1..9 every block of
 * CVSEG_CSV_BLOCK_ROWS rows is compressed into its own gzip member (RFC 1952;
 * concatenated members are one valid gzip stream), else (0) the text is
 * appended as is. Blocks are formatted by the OpenMP threads; the bytes
 * depend only on the values (not on the thread count). Returns EDATA
 * (nothing recorded, *bad names the first refused value, out unchanged) or
 * ENOMEM / EINTERNAL (recorded). */
cvseg_status cvseg_csv_append_rows(cvseg_text *out, int n_columns, const cvseg_csv_column *columns,
                                   int64_t n_rows, int gzip_level, cvseg_csv_bad *bad);

/* Compresses data[0..length) into one gzip member appended to out
 * (deflate, header with mtime 0, so the bytes depend only on the data and
 * level 1..9). ENOMEM / EINTERNAL recorded on failure. */
cvseg_status cvseg_gzip_append_member(cvseg_text *out, const char *data, size_t length, int level);

#endif
