/* text_parse.c: splitting lines, parsing cells and rows of `cvseg import`
 * (see text_parse.h). Pure core: no MPI, no HDF5, no I/O. */
#include "cvseg/text_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/date.h"
#include "cvseg/import_rules.h"

#define TEXT_PARSE_RECENCY_MAX 10000000 /* |recency_days| accepted, so dates stay in range */
#define TEXT_PARSE_SHOW_MAX    80       /* bytes of an offending cell quoted in a message */

const cvseg_import_field_def cvseg_import_fields[CVSEG_FIELD_COUNT] = {
    [CVSEG_FIELD_MEMBER_ID] = {"member_id", CVSEG_CELL_I64,
                               CVSEG_KIND_MEMBERS | CVSEG_KIND_TRANSACTIONS, 0, 1, NULL},
    [CVSEG_FIELD_FIRST_PURCHASE] = {"first_purchase", CVSEG_CELL_DATE, CVSEG_KIND_MEMBERS, 0, 1,
                                    NULL},
    [CVSEG_FIELD_LAST_PURCHASE] = {"last_purchase", CVSEG_CELL_DATE, CVSEG_KIND_MEMBERS, 0, 1,
                                   NULL},
    [CVSEG_FIELD_FREQUENCY] = {"frequency", CVSEG_CELL_I32, CVSEG_KIND_MEMBERS, 0, 1, NULL},
    [CVSEG_FIELD_MONETARY] = {"monetary", CVSEG_CELL_F64, CVSEG_KIND_MEMBERS, 0, 1, NULL},
    [CVSEG_FIELD_JOIN_DATE] = {"join_date", CVSEG_CELL_DATE, CVSEG_KIND_MEMBERS, 1, 1, NULL},
    [CVSEG_FIELD_FLIGHT_COUNT] = {"flight_count", CVSEG_CELL_I32, CVSEG_KIND_MEMBERS, 1, 1, NULL},
    [CVSEG_FIELD_SEG_KM_SUM] = {"seg_km_sum", CVSEG_CELL_F64, CVSEG_KIND_MEMBERS, 1, 1, "km"},
    [CVSEG_FIELD_AVG_DISCOUNT] = {"avg_discount", CVSEG_CELL_F64, CVSEG_KIND_MEMBERS, 1, 1, NULL},
    [CVSEG_FIELD_FARE_YR1] = {"fare_yr1", CVSEG_CELL_F64, CVSEG_KIND_MEMBERS, 1, 1, NULL},
    [CVSEG_FIELD_FARE_YR2] = {"fare_yr2", CVSEG_CELL_F64, CVSEG_KIND_MEMBERS, 1, 1, NULL},
    [CVSEG_FIELD_REFERENCE_DATE] = {"reference_date", CVSEG_CELL_DATE, CVSEG_KIND_MEMBERS, 0, 0,
                                    NULL},
    [CVSEG_FIELD_RECENCY_DAYS] = {"recency_days", CVSEG_CELL_I32, CVSEG_KIND_MEMBERS, 0, 0, NULL},
    [CVSEG_FIELD_DATE] = {"date", CVSEG_CELL_DATE, CVSEG_KIND_TRANSACTIONS, 0, 1, NULL},
    [CVSEG_FIELD_AMOUNT] = {"amount", CVSEG_CELL_F64, CVSEG_KIND_TRANSACTIONS, 0, 1, NULL},
    [CVSEG_FIELD_QUANTITY] = {"quantity", CVSEG_CELL_I32, CVSEG_KIND_TRANSACTIONS, 0, 1, NULL},
    [CVSEG_FIELD_ORDER_ID] = {"order_id", CVSEG_CELL_ORDER, CVSEG_KIND_TRANSACTIONS, 0, 1, NULL},
};

size_t cvseg_cell_type_bytes(cvseg_cell_type type)
{
    return type == CVSEG_CELL_I64 || type == CVSEG_CELL_F64 || type == CVSEG_CELL_ORDER ? 8 : 4;
}

void cvseg_text_share(int64_t begin, int64_t size, int rank, int ranks, int64_t *lo, int64_t *hi)
{
    const int64_t length = size - begin;
    *lo = begin + (int64_t)rank * length / ranks;
    *hi = begin + (int64_t)(rank + 1) * length / ranks;
}

/* ------------------------------------------------------------ messages */

/* Records the bad-cell message for text[0..length) of column c on line. */
static cvseg_status text_parse_cell_error(const cvseg_import_plan *plan, int64_t line, int c,
                                          const char *text, size_t length,
                                          cvseg_csv_problem problem, const char *expected)
{
    cvseg_trim(&text, &length);
    const int shown = (int)(length > TEXT_PARSE_SHOW_MAX ? TEXT_PARSE_SHOW_MAX : length);
    cvseg_status status;
    if (problem == CVSEG_CSV_EMPTY)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld, column '%s': empty cell, but %s cells need a "
                            "value (only number cells may be empty%s)",
                            plan->path, (long long)line, plan->names[c], expected,
                            c == plan->column[CVSEG_FIELD_MEMBER_ID]
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

void cvseg_text_splitter_free(cvseg_text_splitter *s)
{
    free(s->scratch);
    free(s->cells);
    memset(s, 0, sizeof *s);
}

cvseg_status cvseg_text_splitter_init(cvseg_text_splitter *s, int n_columns)
{
    memset(s, 0, sizeof *s);
    s->cells = calloc((size_t)n_columns + 1, sizeof *s->cells);
    return s->cells ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
}

cvseg_status cvseg_import_split_line(const cvseg_import_plan *plan, cvseg_text_splitter *s,
                                     int max_cells, const char *line, size_t length,
                                     int64_t line_number, int *n)
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

cvseg_status cvseg_import_split_row(const cvseg_import_plan *plan, cvseg_text_splitter *s,
                                    const char *line, size_t length, int64_t line_number)
{
    int n = 0;
    cvseg_status status =
        cvseg_import_split_line(plan, s, plan->n_columns + 1, line, length, line_number, &n);
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

/* ------------------------------------------------------------ cells */

/* A date cell read with --date-format; the message names the format. */
static cvseg_status text_parse_formatted_date(const cvseg_import_plan *plan, int c,
                                              const cvseg_field *cell, int64_t line_number,
                                              int32_t *days)
{
    const char *text = cell->text;
    size_t length = cell->length;
    cvseg_status status = CVSEG_OK;
    cvseg_trim(&text, &length);
    if (length == 0)
        status = text_parse_cell_error(plan, line_number, c, text, length, CVSEG_CSV_EMPTY, "date");
    else if (cvseg_date_parse_format(plan->date_format, text, length, days) != CVSEG_OK) {
        const int shown = (int)(length > TEXT_PARSE_SHOW_MAX ? TEXT_PARSE_SHOW_MAX : length);
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld, column '%s': '%.*s%s' is not a date in the "
                            "format '%s' (--date-format; time fields must be in range too)",
                            plan->path, (long long)line_number, plan->names[c], shown, text,
                            (size_t)shown < length ? "..." : "", plan->date_format);
    }
    return status;
}

/* An integer cell of field f (int64 member_id, or int32; recency_days within
 * +-TEXT_PARSE_RECENCY_MAX) into *value. */
static cvseg_status text_parse_integer(const cvseg_import_plan *plan, int f, int c,
                                       const cvseg_field *cell, int64_t line_number, void *value)
{
    cvseg_csv_problem problem = CVSEG_CSV_OK;
    int64_t integer = 0;
    cvseg_status status;
    if (cvseg_import_fields[f].type == CVSEG_CELL_I64) {
        status = cvseg_parse_int(cell->text, cell->length, INT64_MIN, INT64_MAX, &integer, NULL,
                                 &problem);
        if (status == CVSEG_OK)
            *(int64_t *)value = integer;
        else
            status = text_parse_cell_error(plan, line_number, c, cell->text, cell->length, problem,
                                           "int64");
    } else {
        const int recency = f == CVSEG_FIELD_RECENCY_DAYS;
        const int64_t limit = recency ? TEXT_PARSE_RECENCY_MAX : INT32_MAX;
        const int64_t low = recency ? -TEXT_PARSE_RECENCY_MAX : INT32_MIN;
        status = cvseg_parse_int(cell->text, cell->length, low, limit, &integer, NULL, &problem);
        if (status == CVSEG_OK)
            *(int32_t *)value = (int32_t)integer;
        else
            status = text_parse_cell_error(plan, line_number, c, cell->text, cell->length, problem,
                                           recency ? "day counts (|days| <= 10000000)" : "int32");
    }
    return status;
}

cvseg_status cvseg_import_parse_cell(const cvseg_import_plan *plan, int f, int c,
                                     const cvseg_field *cell, int64_t line_number, void *value)
{
    cvseg_status status = CVSEG_OK;
    cvseg_csv_problem problem = CVSEG_CSV_OK;
    int missing = 0;
    switch (cvseg_import_fields[f].type) {
    case CVSEG_CELL_I64:
    case CVSEG_CELL_I32:
        status = text_parse_integer(plan, f, c, cell, line_number, value);
        break;
    case CVSEG_CELL_DATE:
        status =
            plan->date_format
                ? text_parse_formatted_date(plan, c, cell, line_number, (int32_t *)value)
                : cvseg_parse_date_cell(cell->text, cell->length, (int32_t *)value, NULL, &problem);
        if (status != CVSEG_OK && !plan->date_format)
            status = text_parse_cell_error(plan, line_number, c, cell->text, cell->length, problem,
                                           "date");
        break;
    case CVSEG_CELL_ORDER:
        if (cvseg_is_blank(cell->text, cell->length))
            status = text_parse_cell_error(plan, line_number, c, cell->text, cell->length,
                                           CVSEG_CSV_EMPTY, "order_id");
        else
            *(int64_t *)value = cvseg_order_id_key(cell->text, cell->length);
        break;
    case CVSEG_CELL_F64:
        status = cvseg_parse_double(cell->text, cell->length, (double *)value, &missing, &problem);
        if (status != CVSEG_OK)
            status = text_parse_cell_error(plan, line_number, c, cell->text, cell->length, problem,
                                           "float64");
        break;
    }
    return status;
}

/* ------------------------------------------------------------ rows */

void cvseg_import_table_free(cvseg_import_table *t)
{
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f)
        free(t->data[f]);
    memset(t, 0, sizeof *t);
}

/* The reference_date cell just parsed into *days must repeat the plan's. */
static cvseg_status text_parse_check_reference(const cvseg_import_plan *plan, int c,
                                               const cvseg_field *cell, int64_t line_number,
                                               int32_t days)
{
    cvseg_status status = CVSEG_OK;
    if (!plan->reference_from_column || days == plan->reference)
        goto done;
    char expected[11];
    cvseg_format_date(plan->reference, expected);
    status =
        CVSEG_FAIL(CVSEG_EDATA,
                   "file '%s', line %lld, column '%s': '%.*s' differs from the "
                   "reference date %s of line %lld (every row must hold the "
                   "same date)",
                   plan->path, (long long)line_number, plan->names[c],
                   (int)(cell->length > TEXT_PARSE_SHOW_MAX ? TEXT_PARSE_SHOW_MAX : cell->length),
                   cell->text, expected, (long long)plan->reference_line);
done:
    return status;
}

/* Parses the fields of the split row s into row `row` of t. */
static cvseg_status text_parse_row(const cvseg_import_plan *plan, const cvseg_text_splitter *s,
                                   int64_t line_number, cvseg_import_table *t, int64_t row)
{
    cvseg_status status = CVSEG_OK;
    for (int f = 0; f < CVSEG_FIELD_COUNT && status == CVSEG_OK; ++f) {
        const int c = plan->column[f];
        if (c < 0 || !t->data[f])
            continue;
        char *slot =
            (char *)t->data[f] + (size_t)row * cvseg_cell_type_bytes(cvseg_import_fields[f].type);
        status = cvseg_import_parse_cell(plan, f, c, &s->cells[c], line_number, slot);
        if (status == CVSEG_OK && plan->factor[f] >= 0) {
            /* --map FIELD=A*B: the IEEE product of the two parsed doubles. */
            double factor = 0.0;
            status = cvseg_import_parse_cell(plan, f, plan->factor[f], &s->cells[plan->factor[f]],
                                             line_number, &factor);
            *(double *)slot *= factor;
        }
        if (status == CVSEG_OK && f == CVSEG_FIELD_REFERENCE_DATE)
            status =
                text_parse_check_reference(plan, c, &s->cells[c], line_number, *(int32_t *)slot);
    }
    return status;
}

/* Fields derived from others (last_purchase, frequency, monetary). */
static void text_parse_derive_fields(const cvseg_import_plan *plan, cvseg_import_table *t)
{
    void *const *data = t->data;
    for (int64_t i = 0; i < t->rows; ++i) {
        if (plan->column[CVSEG_FIELD_LAST_PURCHASE] < 0 && data[CVSEG_FIELD_LAST_PURCHASE])
            ((int32_t *)data[CVSEG_FIELD_LAST_PURCHASE])[i] =
                plan->reference - ((const int32_t *)data[CVSEG_FIELD_RECENCY_DAYS])[i];
        if (plan->column[CVSEG_FIELD_FREQUENCY] < 0 && data[CVSEG_FIELD_FREQUENCY])
            ((int32_t *)data[CVSEG_FIELD_FREQUENCY])[i] =
                ((const int32_t *)data[CVSEG_FIELD_FLIGHT_COUNT])[i];
        if (plan->column[CVSEG_FIELD_MONETARY] < 0 && data[CVSEG_FIELD_MONETARY])
            ((double *)data[CVSEG_FIELD_MONETARY])[i] =
                ((const double *)data[CVSEG_FIELD_FARE_YR1])[i] +
                ((const double *)data[CVSEG_FIELD_FARE_YR2])[i];
    }
}

/* Allocates [capacity] values of every stored field of t. */
static cvseg_status text_parse_table_alloc(const cvseg_import_plan *plan, size_t capacity,
                                           cvseg_import_table *t)
{
    cvseg_status status = CVSEG_OK;
    for (int f = 0; f < CVSEG_FIELD_COUNT && status == CVSEG_OK; ++f) {
        if (!cvseg_import_field_stored(plan, f))
            continue;
        t->data[f] = malloc(capacity * cvseg_cell_type_bytes(cvseg_import_fields[f].type));
        if (!t->data[f])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %zu rows", capacity);
    }
    return status;
}

cvseg_status cvseg_import_parse_lines(const cvseg_import_plan *plan, const char *data, size_t size,
                                      int64_t first_line, int64_t lines, cvseg_import_table *t)
{
    cvseg_text_splitter s;
    const size_t capacity = (size_t)(lines > 0 ? lines : 1);
    memset(t, 0, sizeof *t);
    cvseg_status status = cvseg_text_splitter_init(&s, plan->n_columns);
    if (status == CVSEG_OK)
        status = text_parse_table_alloc(plan, capacity, t);
    if (status != CVSEG_OK)
        goto done;
    size_t pos = 0;
    const char *line = NULL;
    size_t length = 0;
    int64_t line_number = first_line - 1;
    const int c_member = plan->column[CVSEG_FIELD_MEMBER_ID];
    while (status == CVSEG_OK && cvseg_next_line(data, size, &pos, &line, &length)) {
        ++line_number;
        if (cvseg_is_blank(line, length))
            continue;
        ++t->rows_read;
        status = cvseg_import_split_row(plan, &s, line, length, line_number);
        if (status == CVSEG_OK && plan->skip_missing_member && c_member >= 0 &&
            cvseg_is_blank(s.cells[c_member].text, s.cells[c_member].length)) {
            ++t->skipped_missing_member;
            continue;
        }
        if (status == CVSEG_OK)
            status = text_parse_row(plan, &s, line_number, t, t->rows);
        if (status == CVSEG_OK)
            ++t->rows;
    }
    if (status == CVSEG_OK)
        text_parse_derive_fields(plan, t);
done:
    cvseg_text_splitter_free(&s);
    return status;
}
