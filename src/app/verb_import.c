/* verb_import.c: `cvseg import`: CDNOW text files and CSV exports into HDF5
 * transaction logs (/transactions) and member tables (/members).
 *
 * Every rank reads its own line-aligned byte range of the text file
 * (text_import.h), parses it into typed columns, and all ranks write one
 * collective table at offsets from an exclusive scan of their row counts. A
 * bad cell or line stops the rank's parse with a one-line message naming the
 * file, the global line number, the column and the text; the agreement picks
 * the lowest failing rank, whose range holds the lowest lines, so the message
 * printed is that of the first bad line of the file. The output is created
 * only after the whole input parsed, so a failed import never touches it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/csv.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/import_rules.h"
#include "cvseg/io.h"
#include "cvseg/text_import.h"
#include "pipeline.h"
#include "provenance.h"

static const cvseg_option import_options[] = {
    {"format", CVSEG_OPT_VALUE, "cdnow|csv",
     "input format: CDNOW text (whitespace-separated) or CSV with a header row", 1, 0},
    {"in", CVSEG_OPT_VALUE, "TEXT", "input text file", 1, 0},
    {"out", CVSEG_OPT_VALUE, "FILE", "output HDF5 file", 1, 0},
    {"kind", CVSEG_OPT_VALUE, "transactions|members",
     "table to write (csv: default members; cdnow: transactions only)", 0, 0},
    {"map", CVSEG_OPT_VALUE, "FIELD=COLUMN",
     "csv: take FIELD from the column named COLUMN (repeatable; default: the column named "
     "like the field)",
     0, 1},
    {"reference-date", CVSEG_OPT_VALUE, "DATE",
     "end of the observation window, stored as the attribute reference_date (overrides a "
     "mapped reference_date column)",
     0, 0},
    {"delimiter", CVSEG_OPT_VALUE, "C", "csv: field delimiter, one character or 'tab' (default ,)",
     0, 0},
    {"date-format", CVSEG_OPT_VALUE, "FMT",
     "csv: read every date cell with this strptime-like format (%Y %y %m %d %H %M %S %b %%), "
     "e.g. '%m/%d/%Y %H:%M'",
     0, 0},
    {"missing-member", CVSEG_OPT_VALUE, "error|skip",
     "csv: a row whose member_id cell is empty is an error (default) or is skipped and counted", 0,
     0},
    {"summary", CVSEG_OPT_VALUE, "SUMMARY.json", "write row counts (read, imported, skipped)", 0,
     0},
    {"encoding", CVSEG_OPT_VALUE, "NAME",
     "text encoding of the input (iconv name, e.g. GB18030, LATIN1, UTF-16; default UTF-8); "
     "converted to UTF-8 on rank 0 before parsing",
     0, 0},
};
enum { IMPORT_OPTIONS = sizeof import_options / sizeof import_options[0] };

static const char import_summary[] =
    "Imports a text file into an HDF5 transaction log (/transactions: member_id, date, amount,\n"
    "quantity) or member table (/members: member_id, first_purchase, last_purchase, frequency,\n"
    "monetary, and the airline fields join_date, flight_count, seg_km_sum, avg_discount,\n"
    "fare_yr1, fare_yr2). Every rank parses its own share of the lines; the datasets are\n"
    "identical for any number of ranks.\n"
    "\n"
    "--format cdnow: the CDNOW files, whitespace-separated: CDNOW_master.txt (a header line, then\n"
    "  customer id, YYYYMMDD date, number of CDs, dollar value) or CDNOW_sample.txt (no header;\n"
    "  id in master, id in sample, date, CDs, dollars: member_id is the id in master).\n"
    "--format csv: a header row naming the columns, then one row per line. Fields are separated\n"
    "  by --delimiter; \"quoted\" fields may contain the delimiter and \"\" for a quote, but not\n"
    "  line breaks. Fields for --kind members: member_id, last_purchase, frequency, monetary\n"
    "  (required), first_purchase, join_date, flight_count, seg_km_sum, avg_discount, fare_yr1,\n"
    "  fare_yr2 (optional), reference_date (a column holding the same date on every row, e.g.\n"
    "  LOAD_TIME: becomes the attribute reference_date) and recency_days (days from the last\n"
    "  purchase to the reference date, e.g. LAST_TO_END: last_purchase = reference date -\n"
    "  recency_days). Without frequency, frequency = flight_count; without monetary,\n"
    "  monetary = fare_yr1 + fare_yr2 (NaN when either is missing), and an airline table\n"
    "  (join_date, flight_count, seg_km_sum, avg_discount) needs neither. Fields for --kind\n"
    "  transactions: member_id, date, amount (required), quantity, order_id (optional).\n"
    "  A number field may be the product of two columns: --map amount=Quantity*UnitPrice (the\n"
    "  IEEE product of the two parsed doubles). order_id (invoice number, text or integer) is\n"
    "  stored as int64: a canonical decimal integer as itself, other text as a 63-bit hash of\n"
    "  its bytes (FNV-1a + SplitMix64 finalizer), so '536365' and 'C536365' differ.\n"
    "  Airline example: --map member_id=MEMBER_NO --map join_date=FFP_DATE\n"
    "  --map flight_count=FLIGHT_COUNT --map seg_km_sum=SEG_KM_SUM --map "
    "avg_discount=avg_discount\n"
    "  --map fare_yr1=SUM_YR_1 --map fare_yr2=SUM_YR_2 --map reference_date=LOAD_TIME\n"
    "  --map recency_days=LAST_TO_END\n"
    "\n"
    "Cells: dates are YYYY-MM-DD, YYYYMMDD or YYYY/M/D, the first and last optionally with a\n"
    "time (' ' or 'T', HH:MM[:SS], optional Z or +hh:mm; checked, then dropped), or follow\n"
    "--date-format (%Y, %y: 00-68 -> 20xx, 69-99 -> 19xx, %m, %d, %H, %M, %S 1-2 digits, %b\n"
    "Jan..Dec); integers are decimal (\"12.0\" counts as\n"
    "12); numbers are decimal with an optional exponent. An empty number cell (or NaN) is stored\n"
    "as NaN, a missing value, never as zero. Integer and date cells must not be empty: HDF5\n"
    "integers have no missing value, so an empty one is a bad row. Blank lines are skipped.\n"
    "A bad line stops the import with exit code 2 and one message naming the file, line, column\n"
    "and text; the output file is then not written (an earlier one stays as it was). With\n"
    "--missing-member skip, rows with an empty member cell are left out and counted (stderr and\n"
    "--summary). A .gz input is decompressed and --encoding text converted to UTF-8 on rank 0,\n"
    "then shared with every rank (each holds the whole decoded text).";

/* ------------------------------------------------------------ target fields */
typedef enum { FT_I64, FT_I32, FT_DATE, FT_F64, FT_ORDER } field_type;
enum { KIND_MEMBERS = 1, KIND_TRANSACTIONS = 2 };

/* In output order (reference_date and recency_days are inputs only). */
enum {
    F_MEMBER_ID,
    F_FIRST_PURCHASE,
    F_LAST_PURCHASE,
    F_FREQUENCY,
    F_MONETARY,
    F_JOIN_DATE,
    F_FLIGHT_COUNT,
    F_SEG_KM_SUM,
    F_AVG_DISCOUNT,
    F_FARE_YR1,
    F_FARE_YR2,
    F_REFERENCE_DATE,
    F_RECENCY_DAYS,
    F_DATE,
    F_AMOUNT,
    F_QUANTITY,
    F_ORDER_ID,
    FIELD_COUNT
};

typedef struct {
    const char *name;
    field_type type;
    int kinds;   /* KIND_* bits the field belongs to */
    int airline; /* an airline (LRFMC) field */
    int output;  /* written as a dataset */
    const char *units;
} field_def;

static const field_def fields[FIELD_COUNT] = {
    [F_MEMBER_ID] = {"member_id", FT_I64, KIND_MEMBERS | KIND_TRANSACTIONS, 0, 1, NULL},
    [F_FIRST_PURCHASE] = {"first_purchase", FT_DATE, KIND_MEMBERS, 0, 1, NULL},
    [F_LAST_PURCHASE] = {"last_purchase", FT_DATE, KIND_MEMBERS, 0, 1, NULL},
    [F_FREQUENCY] = {"frequency", FT_I32, KIND_MEMBERS, 0, 1, NULL},
    [F_MONETARY] = {"monetary", FT_F64, KIND_MEMBERS, 0, 1, NULL},
    [F_JOIN_DATE] = {"join_date", FT_DATE, KIND_MEMBERS, 1, 1, NULL},
    [F_FLIGHT_COUNT] = {"flight_count", FT_I32, KIND_MEMBERS, 1, 1, NULL},
    [F_SEG_KM_SUM] = {"seg_km_sum", FT_F64, KIND_MEMBERS, 1, 1, "km"},
    [F_AVG_DISCOUNT] = {"avg_discount", FT_F64, KIND_MEMBERS, 1, 1, NULL},
    [F_FARE_YR1] = {"fare_yr1", FT_F64, KIND_MEMBERS, 1, 1, NULL},
    [F_FARE_YR2] = {"fare_yr2", FT_F64, KIND_MEMBERS, 1, 1, NULL},
    [F_REFERENCE_DATE] = {"reference_date", FT_DATE, KIND_MEMBERS, 0, 0, NULL},
    [F_RECENCY_DAYS] = {"recency_days", FT_I32, KIND_MEMBERS, 0, 0, NULL},
    [F_DATE] = {"date", FT_DATE, KIND_TRANSACTIONS, 0, 1, NULL},
    [F_AMOUNT] = {"amount", FT_F64, KIND_TRANSACTIONS, 0, 1, NULL},
    [F_QUANTITY] = {"quantity", FT_I32, KIND_TRANSACTIONS, 0, 1, NULL},
    [F_ORDER_ID] = {"order_id", FT_ORDER, KIND_TRANSACTIONS, 0, 1, NULL},
};

#define DATE_UNITS      "days since 1970-01-01"
#define RECENCY_MAX     10000000 /* |recency_days| accepted, so dates stay in range */
#define SHOW_TEXT_MAX   80       /* bytes of an offending cell quoted in a message */
#define COLUMN_LIST_MAX 300      /* bytes of the header's column list in a message */

static const char *const cdnow_master_names[4] = {"customer_id", "date", "number_of_cds",
                                                  "dollar_value"};
static const char *const cdnow_sample_names[5] = {"customer_id", "sample_id", "date",
                                                  "number_of_cds", "dollar_value"};

/* How lines map onto fields. */
typedef struct {
    const char *path;
    int kind;
    int whitespace; /* 1: whitespace-separated (CDNOW), 0: CSV */
    char delimiter;
    int n_columns;                   /* fields on every line */
    char **names;                    /* [n_columns] column names, for messages */
    int column[FIELD_COUNT];         /* column index of each field, -1 if absent */
    int factor[FIELD_COUNT];         /* --map FIELD=A*B: column of B, -1 if none */
    const char *date_format;         /* --date-format, NULL for the built-in formats */
    int skip_missing_member;         /* --missing-member skip */
    const char *mapped[FIELD_COUNT]; /* --map COLUMN, NULL if not mapped */
    int have_reference;              /* reference date known (column or option) */
    int32_t reference;               /* its value */
    int reference_from_column;       /* every row must repeat the column's date */
    int64_t reference_line;          /* line the column's date came from */
    int32_t attribute_reference;
    int have_attribute_reference;
} import_plan;

/* Splitting state reused across lines. */
typedef struct {
    char *scratch;
    size_t capacity;
    cvseg_field *cells; /* [n_columns + 1] */
} splitter;

/* This rank's parsed rows: data[f] has rows values of the field's type. */
typedef struct {
    void *data[FIELD_COUNT];
    int64_t rows;
    int64_t rows_read;              /* non-blank data lines */
    int64_t skipped_missing_member; /* rows left out by --missing-member skip */
} table;

static size_t type_bytes(field_type type)
{
    return type == FT_I64 || type == FT_F64 || type == FT_ORDER ? 8 : 4;
}

/* "a, b, c" (cut at COLUMN_LIST_MAX bytes with ", ..."). */
static void list_columns(const import_plan *plan, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int c = 0; c < plan->n_columns && used + 1 < capacity; ++c) {
        if (used > COLUMN_LIST_MAX) {
            snprintf(out + used, capacity - used, ", ...");
            break;
        }
        used +=
            (size_t)snprintf(out + used, capacity - used, "%s'%s'", c ? ", " : "", plan->names[c]);
    }
}

static void list_fields(int kind, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int f = 0; f < FIELD_COUNT && used + 1 < capacity; ++f)
        if (fields[f].kinds & kind)
            used += (size_t)snprintf(out + used, capacity - used, "%s%s", used ? ", " : "",
                                     fields[f].name);
}

/* ------------------------------------------------------------ messages */

/* Records the bad-cell message for text[0..length) of column c on line. */
static cvseg_status cell_error(const import_plan *plan, int64_t line, int c, const char *text,
                               size_t length, cvseg_csv_problem problem, const char *expected)
{
    cvseg_trim(&text, &length);
    const int shown = (int)(length > SHOW_TEXT_MAX ? SHOW_TEXT_MAX : length);
    cvseg_status status;
    if (problem == CVSEG_CSV_EMPTY)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld, column '%s': empty cell, but %s cells need a "
                            "value (only number cells may be empty%s)",
                            plan->path, (long long)line, plan->names[c], expected,
                            c == plan->column[F_MEMBER_ID]
                                ? "; --missing-member skip leaves rows without a member out"
                                : "");
    else
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', line %lld, column '%s': '%.*s%s' %s%s%s",
                            plan->path, (long long)line, plan->names[c], shown, text,
                            (size_t)shown < length ? "..." : "", cvseg_csv_problem_text(problem),
                            problem == CVSEG_CSV_OUT_OF_RANGE ? " for " : "",
                            problem == CVSEG_CSV_OUT_OF_RANGE ? expected : "");
    return status;
}

/* ------------------------------------------------------------ splitting */

static void splitter_free(splitter *s)
{
    free(s->scratch);
    free(s->cells);
    memset(s, 0, sizeof *s);
}

static cvseg_status splitter_init(splitter *s, int n_columns)
{
    memset(s, 0, sizeof *s);
    s->cells = calloc((size_t)n_columns + 1, sizeof *s->cells);
    return s->cells ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
}

/* Splits line into s->cells; *n receives the number of fields. */
static cvseg_status split_line(const import_plan *plan, splitter *s, int max_cells,
                               const char *line, size_t length, int64_t line_number, int *n)
{
    cvseg_status status = CVSEG_OK;
    cvseg_csv_problem problem = CVSEG_CSV_OK;
    if (length + 1 > s->capacity) {
        const size_t capacity = length + 1 > 2 * s->capacity ? length + 1 : 2 * s->capacity;
        char *grown = realloc(s->scratch, capacity);
        if (!grown) {
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a line of %zu bytes", length);
            goto done;
        }
        s->scratch = grown;
        s->capacity = capacity;
    }
    if (plan->whitespace)
        status = cvseg_ws_split(line, length, s->scratch, s->cells, max_cells, n);
    else
        status = cvseg_csv_split(line, length, plan->delimiter, s->scratch, s->cells, max_cells, n,
                                 &problem);
    if (status != CVSEG_OK)
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', line %lld, field %d: %s", plan->path,
                            (long long)line_number, *n + 1, cvseg_csv_problem_text(problem));
done:
    return status;
}

/* Splits a data line and checks its number of fields. */
static cvseg_status split_row(const import_plan *plan, splitter *s, const char *line, size_t length,
                              int64_t line_number)
{
    int n = 0;
    cvseg_status status = split_line(plan, s, plan->n_columns + 1, line, length, line_number, &n);
    if (status == CVSEG_OK && n != plan->n_columns) {
        if (plan->whitespace)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', line %lld: %d fields, expected %d (separated by "
                                "blanks)",
                                plan->path, (long long)line_number, n, plan->n_columns);
        else
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', line %lld: %d fields, expected %d like the header "
                                "(delimiter '%s')",
                                plan->path, (long long)line_number, n, plan->n_columns,
                                plan->delimiter == '\t' ? "\\t" : (char[2]){plan->delimiter, 0});
    }
    return status;
}

/* A date cell read with --date-format; the message names the format. */
static cvseg_status parse_formatted_date(const import_plan *plan, int c, const cvseg_field *cell,
                                         int64_t line_number, int32_t *days)
{
    const char *text = cell->text;
    size_t length = cell->length;
    cvseg_status status = CVSEG_OK;
    cvseg_trim(&text, &length);
    if (length == 0)
        status = cell_error(plan, line_number, c, text, length, CVSEG_CSV_EMPTY, "date");
    else if (cvseg_date_parse_format(plan->date_format, text, length, days) != CVSEG_OK) {
        const int shown = (int)(length > SHOW_TEXT_MAX ? SHOW_TEXT_MAX : length);
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld, column '%s': '%.*s%s' is not a date in the "
                            "format '%s' (--date-format; time fields must be in range too)",
                            plan->path, (long long)line_number, plan->names[c], shown, text,
                            (size_t)shown < length ? "..." : "", plan->date_format);
    }
    return status;
}

/* Parses cell c as field f into value (int64_t, int32_t or double). */
static cvseg_status parse_cell(const import_plan *plan, int f, int c, const cvseg_field *cell,
                               int64_t line_number, void *value)
{
    cvseg_status status = CVSEG_OK;
    cvseg_csv_problem problem = CVSEG_CSV_OK;
    int64_t integer = 0;
    int missing = 0;
    switch (fields[f].type) {
    case FT_I64:
        status = cvseg_parse_int(cell->text, cell->length, INT64_MIN, INT64_MAX, &integer, NULL,
                                 &problem);
        if (status == CVSEG_OK)
            *(int64_t *)value = integer;
        else
            status = cell_error(plan, line_number, c, cell->text, cell->length, problem, "int64");
        break;
    case FT_I32: {
        const int64_t limit = f == F_RECENCY_DAYS ? RECENCY_MAX : INT32_MAX;
        const int64_t low = f == F_RECENCY_DAYS ? -RECENCY_MAX : INT32_MIN;
        status = cvseg_parse_int(cell->text, cell->length, low, limit, &integer, NULL, &problem);
        if (status == CVSEG_OK)
            *(int32_t *)value = (int32_t)integer;
        else
            status = cell_error(plan, line_number, c, cell->text, cell->length, problem,
                                f == F_RECENCY_DAYS ? "day counts (|days| <= 10000000)" : "int32");
        break;
    }
    case FT_DATE:
        status =
            plan->date_format
                ? parse_formatted_date(plan, c, cell, line_number, (int32_t *)value)
                : cvseg_parse_date_cell(cell->text, cell->length, (int32_t *)value, NULL, &problem);
        if (status != CVSEG_OK && !plan->date_format)
            status = cell_error(plan, line_number, c, cell->text, cell->length, problem, "date");
        break;
    case FT_ORDER:
        if (cvseg_is_blank(cell->text, cell->length))
            status = cell_error(plan, line_number, c, cell->text, cell->length, CVSEG_CSV_EMPTY,
                                "order_id");
        else
            *(int64_t *)value = cvseg_order_id_key(cell->text, cell->length);
        break;
    case FT_F64:
        status = cvseg_parse_double(cell->text, cell->length, (double *)value, &missing, &problem);
        if (status != CVSEG_OK)
            status = cell_error(plan, line_number, c, cell->text, cell->length, problem, "float64");
        break;
    }
    return status;
}

/* ------------------------------------------------------------ planning */

/* The first column named name, or -1. */
static int find_column(const import_plan *plan, const char *name)
{
    int found = -1;
    for (int c = 0; c < plan->n_columns && found < 0; ++c)
        if (strcmp(plan->names[c], name) == 0)
            found = c;
    return found;
}

/* The first column named name[0..length), or -1. */
static int find_column_n(const import_plan *plan, const char *name, size_t length)
{
    int found = -1;
    for (int c = 0; c < plan->n_columns && found < 0; ++c)
        if (strlen(plan->names[c]) == length && memcmp(plan->names[c], name, length) == 0)
            found = c;
    return found;
}

/* --map FIELD=A*B where no column is named "A*B": the columns of A and B. */
static cvseg_status resolve_product(import_plan *plan, int f, const char *columns)
{
    cvseg_status status = CVSEG_OK;
    const char *l, *r;
    size_t nl, nr;
    if (!plan->mapped[f] || plan->column[f] >= 0 ||
        cvseg_split_product(plan->mapped[f], &l, &nl, &r, &nr) != 1)
        goto done;
    plan->column[f] = find_column_n(plan, l, nl);
    plan->factor[f] = find_column_n(plan, r, nr);
    if (plan->column[f] < 0 || plan->factor[f] < 0) {
        const int missing_left = plan->column[f] < 0;
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': column '%.*s' (--map %s=%s) is not in the header; "
                            "columns are: %s",
                            plan->path, (int)(missing_left ? nl : nr), missing_left ? l : r,
                            fields[f].name, plan->mapped[f], columns);
        plan->column[f] = -1;
    }
done:
    return status;
}

/* The second column named name (the first repeat), or -1. */
static int find_repeat(const import_plan *plan, const char *name)
{
    int seen = 0, repeat = -1;
    for (int c = 0; c < plan->n_columns && repeat < 0; ++c)
        if (strcmp(plan->names[c], name) == 0 && seen++)
            repeat = c;
    return repeat;
}

static void free_names(import_plan *plan)
{
    if (plan->names)
        for (int c = 0; c < plan->n_columns; ++c)
            free(plan->names[c]);
    free(plan->names);
    plan->names = NULL;
}

/* Copies names (trimmed) into plan->names. */
static cvseg_status set_names(import_plan *plan, int n, const cvseg_field *cells,
                              const char *const *fixed)
{
    cvseg_status status = CVSEG_OK;
    plan->n_columns = n;
    plan->names = calloc((size_t)n, sizeof *plan->names);
    if (!plan->names) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        goto done;
    }
    for (int c = 0; c < n && status == CVSEG_OK; ++c) {
        const char *text = fixed ? fixed[c] : cells[c].text;
        size_t length = fixed ? strlen(text) : cells[c].length;
        cvseg_trim(&text, &length);
        plan->names[c] = malloc(length + 1);
        if (!plan->names[c]) {
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
            break;
        }
        memcpy(plan->names[c], text, length);
        plan->names[c][length] = '\0';
    }
done:
    return status;
}

/* Parses the --map options into plan->mapped (usage errors only). */
static cvseg_status parse_maps(const cvseg_options *options, int kind, import_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    int o = 0;
    while (o < options->count && strcmp(options->table[o].name, "map") != 0)
        ++o;
    for (int r = 0; r < options->n_repeats[o] && status == CVSEG_OK; ++r) {
        const char *value = options->repeats[o][r];
        const char *equals = strchr(value, '=');
        char valid[512];
        list_fields(kind, valid, sizeof valid);
        if (!equals || equals == value || equals[1] == '\0') {
            status = CVSEG_FAIL(CVSEG_EUSAGE, "option --map: '%s' is not FIELD=COLUMN (fields: %s)",
                                value, valid);
            break;
        }
        const size_t length = (size_t)(equals - value);
        int f = 0;
        while (f < FIELD_COUNT && !((fields[f].kinds & kind) && strlen(fields[f].name) == length &&
                                    strncmp(fields[f].name, value, length) == 0))
            ++f;
        if (f == FIELD_COUNT) {
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "option --map: unknown field '%.*s' for --kind %s (valid fields: "
                                "%s)",
                                (int)length, value,
                                kind == KIND_MEMBERS ? "members" : "transactions", valid);
            break;
        }
        if (plan->mapped[f]) {
            status =
                CVSEG_FAIL(CVSEG_EUSAGE, "option --map: field '%s' mapped twice", fields[f].name);
            break;
        }
        const char *left, *right;
        size_t n_left, n_right;
        const int product = cvseg_split_product(equals + 1, &left, &n_left, &right, &n_right);
        if (product != 0 && fields[f].type != FT_F64) {
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "option --map: '%s': only number fields (such as amount) may be "
                                "a product COLUMN*COLUMN",
                                value);
            break;
        }
        if (product < 0) {
            status =
                CVSEG_FAIL(CVSEG_EUSAGE,
                           "option --map: '%s' is not FIELD=COLUMN or FIELD=COLUMN*COLUMN", value);
            break;
        }
        plan->mapped[f] = equals + 1; /* argv outlives the import */
    }
    return status;
}

/* Looks up every field's column in the header; checks the required ones. */
static cvseg_status resolve_columns(import_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    char columns[COLUMN_LIST_MAX + 64];
    list_columns(plan, columns, sizeof columns);
    const char *hint = plan->n_columns == 1 ? " (only one column: is --delimiter right?)" : "";
    for (int f = 0; f < FIELD_COUNT; ++f) {
        plan->column[f] = plan->factor[f] = -1;
        if (!(fields[f].kinds & plan->kind))
            continue;
        const char *name = plan->mapped[f] ? plan->mapped[f] : fields[f].name;
        plan->column[f] = find_column(plan, name);
        const int repeat = plan->column[f] >= 0 ? find_repeat(plan, name) : -1;
        if (repeat >= 0) {
            status =
                CVSEG_FAIL(CVSEG_EDATA,
                           "file '%s', line 1: column '%s' appears more than once in the header "
                           "(columns %d and %d); rename one or map another",
                           plan->path, name, plan->column[f] + 1, repeat + 1);
            goto done;
        }
        status = resolve_product(plan, f, columns);
        if (status == CVSEG_OK && plan->column[f] < 0 && plan->mapped[f])
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s': column '%s' (--map %s=%s) is not in the header; "
                                "columns are: %s%s",
                                plan->path, name, fields[f].name, name, columns, hint);
        if (status != CVSEG_OK)
            goto done;
    }
    /* Required fields and the ones that can stand in for them. */
    const struct {
        int field;
        int alternative[2];
        const char *how;
    } required[] = {
        {F_MEMBER_ID, {-1, -1}, ""},
        {F_LAST_PURCHASE, {F_RECENCY_DAYS, -1}, ", or map recency_days"},
        {F_FREQUENCY, {F_FLIGHT_COUNT, -1}, ", or map flight_count"},
        {F_MONETARY, {F_FARE_YR1, F_FARE_YR2}, ", or map fare_yr1 and fare_yr2"},
        {F_DATE, {-1, -1}, ""},
        {F_AMOUNT, {-1, -1}, ""},
    };
    for (size_t k = 0; k < sizeof required / sizeof required[0]; ++k) {
        const int f = required[k].field;
        if (!(fields[f].kinds & plan->kind) || plan->column[f] >= 0)
            continue;
        const int *alt = required[k].alternative;
        if (alt[0] >= 0 && plan->column[alt[0]] >= 0 && (alt[1] < 0 || plan->column[alt[1]] >= 0))
            continue;
        /* An airline (LRFMC) table needs no money column: L, R, F, M, C come
         * from join_date, last_purchase, flight_count, seg_km_sum, avg_discount. */
        if (f == F_MONETARY && plan->column[F_JOIN_DATE] >= 0 &&
            plan->column[F_FLIGHT_COUNT] >= 0 && plan->column[F_SEG_KM_SUM] >= 0 &&
            plan->column[F_AVG_DISCOUNT] >= 0)
            continue;
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': no column '%s' for the required field %s (name one with "
                            "--map %s=COLUMN%s); columns are: %s%s",
                            plan->path, fields[f].name, fields[f].name, fields[f].name,
                            required[k].how, columns, hint);
        goto done;
    }
done:
    return status;
}

/* Plans a CDNOW file: header or not, 4 or 5 columns. */
static cvseg_status plan_cdnow(const cvseg_text_file *file, import_plan *plan, int64_t *begin,
                               int64_t *begin_line)
{
    cvseg_status status = CVSEG_OK;
    splitter s;
    int n_head = 0, n_data = 0;
    status = splitter_init(&s, 8);
    if (status != CVSEG_OK)
        goto done;
    if (!file->head[0].text) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': empty file (expected CDNOW transactions: customer id, "
                            "date, number of CDs, dollar value)",
                            plan->path);
        goto done;
    }
    status = split_line(plan, &s, 8, file->head[0].text, file->head[0].length, file->head[0].number,
                        &n_head);
    if (status != CVSEG_OK)
        goto done;
    const char *first = s.cells[0].text;
    const int header = first[strspn(first, "0123456789")] != '\0';
    const cvseg_text_line *data = header ? &file->head[1] : &file->head[0];
    if (!data->text) {
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': no transactions after the header line", plan->path);
        goto done;
    }
    if (header) {
        status = set_names(plan, n_head < 8 ? n_head : 8, s.cells, NULL);
        if (status != CVSEG_OK)
            goto done;
    }
    status = split_line(plan, &s, 8, data->text, data->length, data->number, &n_data);
    if (status != CVSEG_OK)
        goto done;
    if (n_data != 4 && n_data != 5) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld: %d fields, but CDNOW files have 4 (customer "
                            "id, YYYYMMDD date, CDs, dollars) or 5 (id in master, id in sample, "
                            "date, CDs, dollars)",
                            plan->path, (long long)data->number, n_data);
        goto done;
    }
    if (!header || n_head != n_data) {
        free_names(plan);
        status =
            set_names(plan, n_data, NULL, n_data == 4 ? cdnow_master_names : cdnow_sample_names);
        if (status != CVSEG_OK)
            goto done;
    }
    plan->n_columns = n_data;
    for (int f = 0; f < FIELD_COUNT; ++f)
        plan->column[f] = plan->factor[f] = -1;
    const int shift = n_data == 5; /* the sample's second column is the id in the sample */
    plan->column[F_MEMBER_ID] = 0;
    plan->column[F_DATE] = 1 + shift;
    plan->column[F_QUANTITY] = 2 + shift;
    plan->column[F_AMOUNT] = 3 + shift;
    *begin = header ? file->head[0].end : 0;
    *begin_line = header ? file->head[0].number + 1 : 1;
done:
    splitter_free(&s);
    return status;
}

/* 1 if every header name reads as a number or a date: a file without header. */
static int looks_like_data(const import_plan *plan)
{
    int data = 1;
    for (int c = 0; c < plan->n_columns && data; ++c) {
        const char *name = plan->names[c];
        double number = 0.0;
        int32_t days = 0;
        int missing = 0;
        cvseg_csv_problem problem;
        const int is_number =
            cvseg_parse_double(name, strlen(name), &number, &missing, &problem) == CVSEG_OK &&
            !missing;
        data = is_number || cvseg_parse_date(name, strlen(name), &days) == CVSEG_OK;
    }
    return data;
}

/* Plans a CSV file: header names, mapped columns, the reference date. */
static cvseg_status plan_csv(const cvseg_text_file *file, import_plan *plan, int64_t *begin,
                             int64_t *begin_line)
{
    cvseg_status status = CVSEG_OK;
    splitter s;
    int n = 0;
    memset(&s, 0, sizeof s);
    if (!file->head[0].text) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': empty file (expected a header row naming the columns)",
                            plan->path);
        goto done;
    }
    /* Count the header's fields first, then split it for real. */
    status = splitter_init(&s, 0);
    if (status == CVSEG_OK)
        status = split_line(plan, &s, 0, file->head[0].text, file->head[0].length,
                            file->head[0].number, &n);
    if (status == CVSEG_OK) {
        splitter_free(&s);
        status = splitter_init(&s, n);
    }
    if (status == CVSEG_OK)
        status = split_line(plan, &s, n, file->head[0].text, file->head[0].length,
                            file->head[0].number, &n);
    if (status == CVSEG_OK)
        status = set_names(plan, n, s.cells, NULL);
    if (status != CVSEG_OK)
        goto done;
    if (looks_like_data(plan)) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld: missing header row (the first line holds "
                            "data, but it must name the columns)",
                            plan->path, (long long)file->head[0].number);
        goto done;
    }
    status = resolve_columns(plan);
    if (status != CVSEG_OK)
        goto done;
    *begin = file->head[0].end;
    *begin_line = file->head[0].number + 1;

    /* A reference date column: its value on the first data row is the
     * reference; every row must repeat it. */
    const int c_ref = plan->column[F_REFERENCE_DATE];
    if (c_ref >= 0 && file->head[1].text) {
        const cvseg_text_line *first = &file->head[1];
        splitter_free(&s);
        status = splitter_init(&s, plan->n_columns);
        if (status == CVSEG_OK)
            status = split_row(plan, &s, first->text, first->length, first->number);
        if (status == CVSEG_OK)
            status = parse_cell(plan, F_REFERENCE_DATE, c_ref, &s.cells[c_ref], first->number,
                                &plan->reference);
        if (status != CVSEG_OK)
            goto done;
        plan->have_reference = 1;
        plan->reference_from_column = 1;
        plan->reference_line = first->number;
        if (!plan->have_attribute_reference) {
            plan->attribute_reference = plan->reference;
            plan->have_attribute_reference = 1;
        }
    }
    if (plan->column[F_LAST_PURCHASE] < 0 && plan->column[F_RECENCY_DAYS] >= 0 &&
        !plan->have_reference && file->head[1].text)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "last_purchase comes from recency_days (column '%s'), which needs "
                            "the reference date: --map reference_date=COLUMN or --reference-date "
                            "DATE",
                            plan->names[plan->column[F_RECENCY_DAYS]]);
done:
    splitter_free(&s);
    return status;
}

/* ------------------------------------------------------------ parsing */

static void table_free(table *t)
{
    for (int f = 0; f < FIELD_COUNT; ++f)
        free(t->data[f]);
    memset(t, 0, sizeof *t);
}

/* 1 if field f is stored in the table (read, or derived from other fields). */
static int field_stored(const import_plan *plan, int f)
{
    if (plan->column[f] >= 0)
        return 1;
    return (f == F_LAST_PURCHASE && plan->column[F_RECENCY_DAYS] >= 0) ||
           (f == F_FREQUENCY && plan->column[F_FLIGHT_COUNT] >= 0) ||
           (f == F_MONETARY && plan->column[F_FARE_YR1] >= 0 && plan->column[F_FARE_YR2] >= 0);
}

/* Parses the fields of the split row s into row `row` of t. */
static cvseg_status parse_row(const import_plan *plan, const splitter *s, int64_t line_number,
                              table *t, int64_t row)
{
    cvseg_status status = CVSEG_OK;
    for (int f = 0; f < FIELD_COUNT && status == CVSEG_OK; ++f) {
        const int c = plan->column[f];
        if (c < 0 || !t->data[f])
            continue;
        char *slot = (char *)t->data[f] + (size_t)row * type_bytes(fields[f].type);
        status = parse_cell(plan, f, c, &s->cells[c], line_number, slot);
        if (status == CVSEG_OK && plan->factor[f] >= 0) {
            /* --map FIELD=A*B: the IEEE product of the two parsed doubles. */
            double factor = 0.0;
            status = parse_cell(plan, f, plan->factor[f], &s->cells[plan->factor[f]], line_number,
                                &factor);
            *(double *)slot *= factor;
        }
        if (status == CVSEG_OK && f == F_REFERENCE_DATE && plan->reference_from_column &&
            *(int32_t *)slot != plan->reference) {
            char expected[11];
            cvseg_format_date(plan->reference, expected);
            const cvseg_field *cell = &s->cells[c];
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', line %lld, column '%s': '%.*s' differs from the "
                                "reference date %s of line %lld (every row must hold the "
                                "same date)",
                                plan->path, (long long)line_number, plan->names[c],
                                (int)(cell->length > SHOW_TEXT_MAX ? SHOW_TEXT_MAX : cell->length),
                                cell->text, expected, (long long)plan->reference_line);
        }
    }
    return status;
}

/* Fields derived from others (last_purchase, frequency, monetary). */
static void derive_fields(const import_plan *plan, table *t)
{
    for (int64_t i = 0; i < t->rows; ++i) {
        if (plan->column[F_LAST_PURCHASE] < 0 && t->data[F_LAST_PURCHASE])
            ((int32_t *)t->data[F_LAST_PURCHASE])[i] =
                plan->reference - ((const int32_t *)t->data[F_RECENCY_DAYS])[i];
        if (plan->column[F_FREQUENCY] < 0 && t->data[F_FREQUENCY])
            ((int32_t *)t->data[F_FREQUENCY])[i] = ((const int32_t *)t->data[F_FLIGHT_COUNT])[i];
        if (plan->column[F_MONETARY] < 0 && t->data[F_MONETARY])
            ((double *)t->data[F_MONETARY])[i] =
                ((const double *)t->data[F_FARE_YR1])[i] + ((const double *)t->data[F_FARE_YR2])[i];
    }
}

/* Parses this rank's lines into t. Local: no communication. A row whose
 * member_id cell is blank is skipped and counted with --missing-member skip. */
static cvseg_status parse_range(const import_plan *plan, const cvseg_text_range *range, table *t)
{
    cvseg_status status = CVSEG_OK;
    splitter s;
    const size_t capacity = (size_t)(range->lines > 0 ? range->lines : 1);
    memset(t, 0, sizeof *t);
    status = splitter_init(&s, plan->n_columns);
    for (int f = 0; f < FIELD_COUNT && status == CVSEG_OK; ++f) {
        if (!field_stored(plan, f))
            continue;
        t->data[f] = malloc(capacity * type_bytes(fields[f].type));
        if (!t->data[f])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %zu rows", capacity);
    }
    if (status != CVSEG_OK)
        goto done;
    size_t pos = 0;
    const char *line = NULL;
    size_t length = 0;
    int64_t line_number = range->first_line - 1;
    const int c_member = plan->column[F_MEMBER_ID];
    while (status == CVSEG_OK && cvseg_next_line(range->data, range->size, &pos, &line, &length)) {
        ++line_number;
        if (cvseg_is_blank(line, length))
            continue;
        ++t->rows_read;
        status = split_row(plan, &s, line, length, line_number);
        if (status == CVSEG_OK && plan->skip_missing_member && c_member >= 0 &&
            cvseg_is_blank(s.cells[c_member].text, s.cells[c_member].length)) {
            ++t->skipped_missing_member;
            continue;
        }
        if (status == CVSEG_OK)
            status = parse_row(plan, &s, line_number, t, t->rows);
        if (status == CVSEG_OK)
            ++t->rows;
    }
    if (status == CVSEG_OK)
        derive_fields(plan, t);
done:
    splitter_free(&s);
    return status;
}

/* ------------------------------------------------------------ the verb */

static cvseg_status parse_delimiter(const cvseg_options *options, char *delimiter)
{
    const char *text = cvseg_opt_or(options, "delimiter", ",");
    cvseg_status status = CVSEG_OK;
    if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0)
        *delimiter = '\t';
    else if (strlen(text) == 1 && text[0] != '"' && text[0] != '\r' && text[0] != '\n')
        *delimiter = text[0];
    else
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --delimiter: '%s' is not one character (other than a quote) "
                            "or 'tab'",
                            text);
    return status;
}

/* --date-format and --missing-member (usage errors only). */
static cvseg_status parse_row_rules(const cvseg_options *options, import_plan *plan)
{
    const char *missing = "error";
    plan->date_format = cvseg_opt(options, "date-format");
    cvseg_status status =
        cvseg_opt_choice(options, "missing-member", "error", "error|skip", &missing);
    plan->skip_missing_member = status == CVSEG_OK && strcmp(missing, "skip") == 0;
    if (status == CVSEG_OK && plan->date_format && !cvseg_date_format_valid(plan->date_format))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --date-format: '%s' needs one year (%%Y or %%y), one month "
                            "(%%m or %%b) and one day (%%d); other fields: %%H %%M %%S %%%%",
                            plan->date_format);
    return status;
}

/* Totals over the ranks: reports skipped rows (stderr, rank 0) and writes
 * the --summary document. Collective. */
static cvseg_status report_rows(cvseg_app *app, cvseg_outputs *outputs, const import_plan *plan,
                                const table *t, int64_t total, const char *summary)
{
    int64_t counts[2] = {t->rows_read, t->skipped_missing_member};
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, counts, 2);
    if (status == CVSEG_OK && counts[1] > 0 && app->rank == 0)
        fprintf(stderr,
                "cvseg: import: %lld of %lld rows skipped (missing_member: %lld; "
                "--missing-member skip)\n",
                (long long)counts[1], (long long)counts[0], (long long)counts[1]);
    if (status == CVSEG_OK && summary) {
        json_t *doc =
            json_pack("{s:s, s:s, s:I, s:I, s:{s:I}, s:i}", "verb", "import", "input", plan->path,
                      "rows_read", (json_int_t)counts[0], "rows_imported", (json_int_t)total,
                      "rows_skipped", "missing_member", (json_int_t)counts[1], "ranks", app->ranks);
        status = cvseg_write_json_output(app, outputs, 2, doc, status);
        json_decref(doc);
    }
    return status;
}

/* 1 if the member table has any airline (LRFMC) field. */
static int is_airline(const import_plan *plan)
{
    int airline = 0;
    for (int f = 0; f < FIELD_COUNT; ++f)
        airline |= plan->kind == KIND_MEMBERS && fields[f].airline && plan->column[f] >= 0;
    return airline;
}

/* Writes the table and its attributes. Collective. */
static cvseg_status write_table(cvseg_app *app, cvseg_outputs *outputs, const import_plan *plan,
                                const table *t, int64_t offset, int64_t total)
{
    cvseg_writer *writer = NULL;
    cvseg_column columns[FIELD_COUNT];
    int n_columns = 0;
    const int airline = is_airline(plan);
    const char *group = plan->kind == KIND_MEMBERS ? "/members" : "/transactions";
    for (int f = 0; f < FIELD_COUNT; ++f) {
        if (!fields[f].output || !(fields[f].kinds & plan->kind) || !field_stored(plan, f))
            continue;
        const cvseg_type type = fields[f].type == FT_I64 || fields[f].type == FT_ORDER ? CVSEG_T_I64
                                : fields[f].type == FT_F64                             ? CVSEG_T_F64
                                                           : CVSEG_T_I32;
        columns[n_columns++] =
            (cvseg_column){fields[f].name, type, t->data[f], NULL,
                           fields[f].type == FT_DATE ? DATE_UNITS : fields[f].units};
    }
    cvseg_status status = cvseg_writer_open(outputs, 1, &writer);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_writer_columns(writer, group, total, offset, t->rows, n_columns, columns);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "schema",
                                       plan->kind == KIND_TRANSACTIONS ? "cvseg.transactions/1"
                                       : airline                       ? "cvseg.members.airline/1"
                                                                       : "cvseg.members/1");
    if (status == CVSEG_OK && plan->have_attribute_reference)
        status = cvseg_writer_attr_i32(writer, group, "reference_date", plan->attribute_reference);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, group, plan->path, 0);
    status = cvseg_writer_close(writer, status);
done:
    return status;
}

/* Usage checks: identical on every rank, no communication. */
static cvseg_status import_usage(const cvseg_options *options, import_plan *plan)
{
    const char *format = "csv", *kind = "members";
    cvseg_status status = cvseg_opt_choice(options, "format", NULL, "cdnow|csv", &format);
    const int cdnow = status == CVSEG_OK && strcmp(format, "cdnow") == 0;
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "kind", cdnow ? "transactions" : "members",
                                  "transactions|members", &kind);
    plan->kind = strcmp(kind, "transactions") == 0 ? KIND_TRANSACTIONS : KIND_MEMBERS;
    plan->path = cvseg_opt(options, "in");
    plan->whitespace = cdnow;
    if (status == CVSEG_OK && cdnow && plan->kind != KIND_TRANSACTIONS)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--format cdnow imports transactions only (--kind transactions); "
                            "`cvseg aggregate` makes the member table");
    if (status == CVSEG_OK && cdnow &&
        (cvseg_opt_has(options, "map") || cvseg_opt_has(options, "delimiter") ||
         cvseg_opt_has(options, "date-format") || cvseg_opt_has(options, "missing-member")))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--map, --delimiter, --date-format and --missing-member apply to "
                            "--format csv only (CDNOW columns are fixed)");
    if (status == CVSEG_OK && !cdnow)
        status = parse_delimiter(options, &plan->delimiter);
    if (status == CVSEG_OK)
        status = parse_row_rules(options, plan);
    if (status == CVSEG_OK)
        status = parse_maps(options, plan->kind, plan);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(options, "reference-date", &plan->attribute_reference,
                                &plan->have_attribute_reference);
    return status;
}

cvseg_status cvseg_verb_import(cvseg_app *app)
{
    cvseg_options options;
    import_plan plan;
    cvseg_text_file file;
    cvseg_text_range range;
    table t;
    cvseg_outputs *outputs = NULL;
    int64_t begin = 0, begin_line = 1, offset = 0, total = 0;
    memset(&plan, 0, sizeof plan);
    memset(&file, 0, sizeof file);
    memset(&range, 0, sizeof range);
    memset(&t, 0, sizeof t);
    file.fd = -1;
    cvseg_status status = cvseg_options_parse(app, import_options, IMPORT_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
        if (app->rank == 0)
            cvseg_options_help(stdout, "import", import_summary, import_options, IMPORT_OPTIONS);
        return CVSEG_OK;
    }
    if (status == CVSEG_OK)
        status = import_usage(&options, &plan);
    const int cdnow = plan.whitespace;
    if (status != CVSEG_OK)
        goto done;
    const cvseg_file_decl files[3] = {
        {"--in", plan.path, CVSEG_FILE_INPUT},
        {"--out", cvseg_opt(&options, "out"), CVSEG_FILE_OUTPUT},
        {"--summary", cvseg_opt(&options, "summary"), CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, 3, files, &outputs);
    if (status != CVSEG_OK)
        goto done;
    if (plan.have_attribute_reference) {
        /* The option also serves recency_days when no column gives the date. */
        plan.reference = plan.attribute_reference;
        plan.have_reference = 1;
    }

    /* Plan from the first lines (every rank holds them; same decisions). */
    const double started = cvseg_now();
    status = cvseg_text_open(app->comm, plan.path, cvseg_opt(&options, "encoding"), &file);
    if (status != CVSEG_OK)
        goto done;
    status = cdnow ? plan_cdnow(&file, &plan, &begin, &begin_line)
                   : plan_csv(&file, &plan, &begin, &begin_line);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;

    /* Each rank reads and parses its own lines. */
    status = cvseg_text_read_range(app->comm, &file, begin, begin_line, &range);
    if (status != CVSEG_OK)
        goto done;
    status = parse_range(&plan, &range, &t);
    cvseg_text_range_free(&range);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(app->comm, t.rows, &offset, &total);
    if (status != CVSEG_OK)
        goto done;
    cvseg_log(app, 1, "parsed %lld %s from %s (%lld bytes, %s%s) in %.2f s on %d ranks",
              (long long)total, plan.kind == KIND_TRANSACTIONS ? "transactions" : "members",
              plan.path, (long long)file.size,
              cdnow ? (plan.n_columns == 5 ? "CDNOW sample layout" : "CDNOW master layout") : "CSV",
              is_airline(&plan) ? ", airline fields" : "", cvseg_now() - started, app->ranks);
    status = write_table(app, outputs, &plan, &t, offset, total);
    if (status == CVSEG_OK)
        status = report_rows(app, outputs, &plan, &t, total, cvseg_opt(&options, "summary"));
    status = cvseg_outputs_finish(outputs, status);
    outputs = NULL;
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "wrote %s in %.2f s", cvseg_opt(&options, "out"),
                  cvseg_now() - app->start_time);
done:
    status = cvseg_outputs_finish(outputs, status);
    table_free(&t);
    cvseg_text_range_free(&range);
    cvseg_text_close(&file);
    free_names(&plan);
    return status;
}
