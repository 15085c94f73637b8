/* csv.h: splitting text lines into fields and parsing numbers (pure core).
 *
 * No MPI, no HDF5, no I/O: the caller owns the bytes. Every function is
 * reentrant and thread-safe (no global state). Failures return CVSEG_EDATA
 * and record nothing: the caller knows the file, line and column and writes
 * the one-line message (see cvseg_csv_problem for the reason text).
 *
 * Lines: a line ends at '\n'; a '\r' before it (Windows line ends) is not part
 * of the line. Quoted fields may not contain line breaks (a quote left open at
 * the end of the line is an error), so any byte range starting at a line
 * start can be split independently of the rest of the file.
 *
 * CSV rules (RFC 4180 without multi-line fields): fields are separated by one
 * delimiter byte; a field that starts with '"' (after optional blanks) is
 * quoted: it ends at the next lone '"', "" inside stands for one '"', the
 * delimiter and blanks inside are kept; only blanks may follow the closing
 * quote. Unquoted fields are kept verbatim (callers trim blanks where they
 * parse numbers or names).
 *
 * Whitespace rules (CDNOW text files): fields are runs of bytes other than
 * ' ', '\t' and '\r'; leading and trailing blanks are ignored; no quoting.
 */
#ifndef CVSEG_CSV_H
#define CVSEG_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "cvseg/status.h"

/* One field of a split line: text[0..length) inside the caller's scratch
 * buffer, followed by a NUL byte (so text is also a C string). */
typedef struct {
    const char *text;
    size_t length;
} cvseg_field;

/* Reasons reported by the functions below (through *problem). */
typedef enum {
    CVSEG_CSV_OK = 0,
    CVSEG_CSV_OPEN_QUOTE,   /* a quoted field is not closed on its line */
    CVSEG_CSV_AFTER_QUOTE,  /* text between a closing quote and the delimiter */
    CVSEG_CSV_EMPTY,        /* empty cell where a value is required */
    CVSEG_CSV_NOT_INTEGER,  /* not an integer */
    CVSEG_CSV_NOT_NUMBER,   /* not a decimal number */
    CVSEG_CSV_OUT_OF_RANGE, /* integer outside the target type, or |x| > DBL_MAX */
    CVSEG_CSV_NOT_DATE      /* not one of the accepted date formats */
} cvseg_csv_problem;

/* Short English text for a problem, e.g. "is not an integer". */
const char *cvseg_csv_problem_text(cvseg_csv_problem problem);

/* Finds the next line of data[0..size) starting at *pos: line[0..*length)
 * without the '\n' and without a '\r' just before it. Advances *pos past the
 * '\n' (or to size for a last line without one). Returns 0 when *pos >= size
 * (no more lines), else 1. */
int cvseg_next_line(const char *data, size_t size, size_t *pos, const char **line, size_t *length);

/* Splits a CSV line[0..length) at delimiter (any byte but '"', '\n', '\r').
 * scratch must hold length + 1 bytes; fields[0..max_fields) receive pointers
 * into it (unescaped, NUL-terminated). *n_fields receives the number of fields
 * on the line even when it exceeds max_fields (only the first max_fields are
 * stored). An empty line has one empty field. Returns CVSEG_OK, or
 * CVSEG_EDATA with *problem set and *n_fields the fields split before it.
 * A trailing '\r' is dropped. */
cvseg_status cvseg_csv_split(const char *line, size_t length, char delimiter, char *scratch,
                             cvseg_field *fields, int max_fields, int *n_fields,
                             cvseg_csv_problem *problem);

/* Splits a whitespace-separated line (no quoting). Same buffers and field
 * counting as cvseg_csv_split; never fails (returns CVSEG_OK). A blank line
 * has zero fields. */
cvseg_status cvseg_ws_split(const char *line, size_t length, char *scratch, cvseg_field *fields,
                            int max_fields, int *n_fields);

/* Text without leading and trailing blanks (' ', '\t', '\r'). */
void cvseg_trim(const char **text, size_t *length);

/* 1 if text[0..length) is empty after trimming blanks. */
int cvseg_is_blank(const char *text, size_t length);

/* Integers: optional blanks, optional sign, decimal digits, optional blanks.
 * A fraction of zeros only ("12.0", "12.") is accepted as the integer, since
 * spreadsheets write integers that way; "12.5" is not an integer. Empty (or
 * blank) text gives *missing = 1 and *value = 0 with CVSEG_OK: the caller
 * decides whether a missing cell is allowed. Out of [min, max]: EDATA with
 * CVSEG_CSV_OUT_OF_RANGE. missing may be NULL (then empty is an error,
 * CVSEG_CSV_EMPTY). */
cvseg_status cvseg_parse_int(const char *text, size_t length, int64_t min, int64_t max,
                             int64_t *value, int *missing, cvseg_csv_problem *problem);

/* Decimal numbers: optional blanks, [+-]digits[.digits][(e|E)[+-]digits]
 * (digits on at least one side of the point), optional blanks, parsed with
 * correct rounding (strtod in the "C" number syntax). Empty or blank text, or
 * "nan"/"NaN" (any case), gives *value = NaN and *missing = 1 with CVSEG_OK.
 * Infinity, hexadecimal, thousands separators and decimal commas are errors
 * (CVSEG_CSV_NOT_NUMBER); magnitudes above DBL_MAX are CVSEG_CSV_OUT_OF_RANGE;
 * values below the smallest normal number round to a subnormal or zero.
 * missing may be NULL (then empty is an error, CVSEG_CSV_EMPTY). */
cvseg_status cvseg_parse_double(const char *text, size_t length, double *value, int *missing,
                                cvseg_csv_problem *problem);

/* Dates: cvseg_parse_date after trimming blanks. Empty gives *missing = 1
 * (or CVSEG_CSV_EMPTY when missing is NULL). */
cvseg_status cvseg_parse_date_cell(const char *text, size_t length, int32_t *days, int *missing,
                                   cvseg_csv_problem *problem);

#endif
