/* text_parse.h: the text parser of `cvseg import` (pure core: no MPI, no HDF5,
 * no I/O; the caller owns the bytes).
 *
 * Three steps, each usable (and tested) on its own:
 *
 * 1. Plan (text_plan.c). A cvseg_import_plan says how the columns of a text
 *    file map onto the fields of the table to write. The caller fills the
 *    settings (path, kind, format, delimiter, --date-format,
 *    --missing-member, --map via cvseg_import_plan_map, reference date
 *    option), then cvseg_import_plan_cdnow or cvseg_import_plan_csv reads
 *    the file's first two non-blank lines (cvseg_text_line, as the io layer
 *    hands them to every rank) and sets the column names, each field's
 *    column (and product factor), and where the data lines begin. Every rank
 *    plans from the same two lines, so every rank makes the same decisions.
 *
 * 2. Cells and rows (text_parse.c). A data line is split (CSV or blanks,
 *    csv.h) into exactly n_columns cells; each mapped cell is parsed as its
 *    field's type into one row of a cvseg_import_table.
 *
 * 3. Lines. cvseg_import_parse_lines parses a run of whole lines (one rank's
 *    share of the file, cvseg_text_share) into a table, with global line
 *    numbers in every message. Parsing the shares of P ranks and
 *    concatenating the tables in rank order gives the table of one rank.
 *
 * Errors: CVSEG_FAIL records one line naming the file, the global line
 * number, the column and the text ("file 'F', line N, column 'C': 'T' is not
 * a number"); EDATA for bad input, EUSAGE for bad options, ENOMEM. The first
 * bad line of a run stops it. The functions are reentrant (no global state
 * but the read-only field table); a plan is read-only while lines are parsed.
 */
#ifndef CVSEG_TEXT_PARSE_H
#define CVSEG_TEXT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "cvseg/csv.h"
#include "cvseg/status.h"

/* ------------------------------------------------------------ fields */

/* Storage of a field: int64, int32, int32 days since 1970-01-01, float64
 * (NaN for an empty cell), int64 order key (import_rules.h). */
typedef enum {
    CVSEG_CELL_I64,
    CVSEG_CELL_I32,
    CVSEG_CELL_DATE,
    CVSEG_CELL_F64,
    CVSEG_CELL_ORDER
} cvseg_cell_type;

/* The tables an import writes (bits, so a field may belong to both). */
typedef enum { CVSEG_KIND_MEMBERS = 1, CVSEG_KIND_TRANSACTIONS = 2 } cvseg_import_kind;

/* The fields, in output order (reference_date and recency_days are inputs
 * only). */
typedef enum {
    CVSEG_FIELD_MEMBER_ID,
    CVSEG_FIELD_FIRST_PURCHASE,
    CVSEG_FIELD_LAST_PURCHASE,
    CVSEG_FIELD_FREQUENCY,
    CVSEG_FIELD_MONETARY,
    CVSEG_FIELD_JOIN_DATE,
    CVSEG_FIELD_FLIGHT_COUNT,
    CVSEG_FIELD_SEG_KM_SUM,
    CVSEG_FIELD_AVG_DISCOUNT,
    CVSEG_FIELD_FARE_YR1,
    CVSEG_FIELD_FARE_YR2,
    CVSEG_FIELD_REFERENCE_DATE,
    CVSEG_FIELD_RECENCY_DAYS,
    CVSEG_FIELD_DATE,
    CVSEG_FIELD_AMOUNT,
    CVSEG_FIELD_QUANTITY,
    CVSEG_FIELD_ORDER_ID,
    CVSEG_FIELD_COUNT
} cvseg_import_field;

typedef struct {
    const char *name; /* dataset name and default column name */
    cvseg_cell_type type;
    int kinds;         /* cvseg_import_kind bits the field belongs to */
    int airline;       /* an airline (LRFMC) field */
    int output;        /* written as a dataset */
    const char *units; /* units attribute (dates: see the writer), or NULL */
} cvseg_import_field_def;

/* [CVSEG_FIELD_COUNT], indexed by cvseg_import_field. */
extern const cvseg_import_field_def cvseg_import_fields[CVSEG_FIELD_COUNT];

/* Bytes of one value of the type (8 or 4). */
size_t cvseg_cell_type_bytes(cvseg_cell_type type);

/* ------------------------------------------------------------ lines */

/* One line of a text file (the io layer reads the first two non-blank lines
 * into these on every rank). */
typedef struct {
    char *text;     /* the line without '\n' / '\r', NUL-terminated; NULL if absent */
    size_t length;  /* bytes in text */
    int64_t number; /* 1-based line number */
    int64_t start;  /* file offset of the line's first byte */
    int64_t end;    /* file offset just past its '\n' (or the file size) */
} cvseg_text_line;

/* The byte share of rank `rank` of `ranks` in the data [begin, size) of a
 * text: [*lo, *hi) = [begin + rank*L/ranks, begin + (rank+1)*L/ranks),
 * L = size - begin (64-bit products). The rank takes the lines that START
 * in its share: both ends move forward to the next line start (a share
 * whose lo is begin starts at begin). The io layer splits files this way. */
void cvseg_text_share(int64_t begin, int64_t size, int rank, int ranks, int64_t *lo, int64_t *hi);

/* ------------------------------------------------------------ plan */

/* How lines map onto fields. Settings first (filled by the caller, zero
 * elsewhere), then what the plan functions derive from the head lines. */
typedef struct {
    /* settings */
    const char *path;                      /* the file's name, for messages */
    int kind;                              /* CVSEG_KIND_MEMBERS or CVSEG_KIND_TRANSACTIONS */
    int whitespace;                        /* 1: whitespace-separated (CDNOW), 0: CSV */
    char delimiter;                        /* CSV delimiter */
    const char *date_format;               /* --date-format, NULL for the built-in formats */
    int skip_missing_member;               /* --missing-member skip */
    const char *mapped[CVSEG_FIELD_COUNT]; /* --map COLUMN, NULL if not mapped */
    int have_reference;                    /* reference date known (column or option) */
    int32_t reference;                     /* its value (days) */
    int32_t attribute_reference;           /* the table's reference_date attribute */
    int have_attribute_reference;
    /* derived by cvseg_import_plan_cdnow / _csv */
    int n_columns;                 /* fields on every line */
    char **names;                  /* [n_columns] column names (owned), for messages */
    int column[CVSEG_FIELD_COUNT]; /* column index of each field, -1 if absent */
    int factor[CVSEG_FIELD_COUNT]; /* --map FIELD=A*B: column of B, -1 if none */
    int reference_from_column;     /* every row must repeat the column's date */
    int64_t reference_line;        /* line the column's date came from */
} cvseg_import_plan;

/* Records one --map value "FIELD=COLUMN" or "FIELD=A*B" in plan->mapped
 * (value must outlive the plan). Uses plan->kind for the valid fields.
 * EUSAGE ("option --map: ...") for a malformed value, an unknown field, a
 * field mapped twice, or a product for a field that is not a number. */
cvseg_status cvseg_import_plan_map(cvseg_import_plan *plan, const char *value);

/* Plans a CDNOW file from head[0..2) (head[k].text NULL when absent): an
 * optional header line (its first field not all digits), then 4 columns
 * (CDNOW_master: id, YYYYMMDD date, CDs, dollars) or 5 (CDNOW_sample: id in
 * master, id in sample, date, CDs, dollars). *begin / *begin_line: file
 * offset and 1-based number of the first data line. EDATA for an empty
 * file, no data line, or another number of fields. */
cvseg_status cvseg_import_plan_cdnow(cvseg_import_plan *plan, const cvseg_text_line head[2],
                                     int64_t *begin, int64_t *begin_line);

/* Plans a CSV file: head[0] is the header row (EDATA when it is missing or
 * looks like data), columns are found by --map or by field name (a name
 * repeated in the header is an error when a field uses it, a required field
 * without a column too), and a mapped reference_date column is read from the
 * first data row head[1] (every row must repeat it). EUSAGE when
 * last_purchase must come from recency_days without a reference date. */
cvseg_status cvseg_import_plan_csv(cvseg_import_plan *plan, const cvseg_text_line head[2],
                                   int64_t *begin, int64_t *begin_line);

/* 1 if field f is stored in the table (read, or derived from other fields:
 * last_purchase from recency_days, frequency from flight_count, monetary from
 * fare_yr1 + fare_yr2). */
int cvseg_import_field_stored(const cvseg_import_plan *plan, int f);

/* 1 if the member table has any airline (LRFMC) field. */
int cvseg_import_is_airline(const cvseg_import_plan *plan);

/* Frees plan->names (the rest of the plan is not owned). */
void cvseg_import_plan_free(cvseg_import_plan *plan);

/* ------------------------------------------------------------ cells and rows */

/* Splitting state reused across lines. */
typedef struct {
    char *scratch; /* [capacity] the unescaped cells of the last line */
    size_t capacity;
    cvseg_field *cells; /* [n_columns + 1] cells of the last line split */
} cvseg_text_splitter;

cvseg_status cvseg_text_splitter_init(cvseg_text_splitter *s, int n_columns);
void cvseg_text_splitter_free(cvseg_text_splitter *s);

/* Splits line[0..length) with the plan's rules (CSV with plan->delimiter, or
 * blanks) into s->cells[0..max_cells) (growing s->scratch); *n receives the
 * number of fields on the line, also beyond max_cells. EDATA "file 'F', line
 * N, field K: ..." for an open quote or text after a closing quote. */
cvseg_status cvseg_import_split_line(const cvseg_import_plan *plan, cvseg_text_splitter *s,
                                     int max_cells, const char *line, size_t length,
                                     int64_t line_number, int *n);

/* Splits a data line[0..length) into s->cells (CSV with plan->delimiter, or
 * blanks) and checks it has plan->n_columns fields. EDATA naming the file and
 * line_number (an open quote, text after a quote, a wrong field count). */
cvseg_status cvseg_import_split_row(const cvseg_import_plan *plan, cvseg_text_splitter *s,
                                    const char *line, size_t length, int64_t line_number);

/* Parses cell (column c of line line_number) as field f into *value: an
 * int64_t (member_id, order_id), int32_t (counts, dates in days) or double.
 * Integer and date cells must not be empty; an empty number cell is NaN.
 * Dates follow plan->date_format when set. EDATA with the one-line message. */
cvseg_status cvseg_import_parse_cell(const cvseg_import_plan *plan, int f, int c,
                                     const cvseg_field *cell, int64_t line_number, void *value);

/* This rank's parsed rows: data[f] ([rows] values of the field's type, see
 * cvseg_cell_type_bytes) for every stored field, NULL for the others. */
typedef struct {
    void *data[CVSEG_FIELD_COUNT];
    int64_t rows;
    int64_t rows_read;              /* non-blank data lines */
    int64_t skipped_missing_member; /* rows left out by --missing-member skip */
} cvseg_import_table;

void cvseg_import_table_free(cvseg_import_table *t);

/* Parses the whole lines data[0..size) (lines of them, counting a last line
 * without '\n'; the table holds at most that many rows), the first being line
 * first_line of the file, into *t (initialised here; free it with
 * cvseg_import_table_free, also after a failure). Blank lines are skipped;
 * with --missing-member skip, rows with a blank member cell are counted and
 * left out; derived fields are filled at the end. Stops at the first bad
 * line (EDATA). Local: no communication. */
cvseg_status cvseg_import_parse_lines(const cvseg_import_plan *plan, const char *data, size_t size,
                                      int64_t first_line, int64_t lines, cvseg_import_table *t);

#endif
