/* text_plan.c: column plans of `cvseg import`: --map values, CDNOW and CSV
 * headers, column resolution, the reference date column (see text_parse.h).
 * Pure core: no MPI, no HDF5, no I/O. */
#include "cvseg/text_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/date.h"
#include "cvseg/import_rules.h"

#define TEXT_PLAN_COLUMN_LIST_MAX 300 /* bytes of the header's column list in a message */
#define TEXT_PLAN_CDNOW_MAX       8   /* fields of a CDNOW line looked at */

static const char *const text_plan_cdnow_master_names[4] = {"customer_id", "date", "number_of_cds",
                                                            "dollar_value"};
static const char *const text_plan_cdnow_sample_names[5] = {"customer_id", "sample_id", "date",
                                                            "number_of_cds", "dollar_value"};

/* "a, b, c" (cut at TEXT_PLAN_COLUMN_LIST_MAX bytes with ", ..."). */
static void text_plan_list_columns(const cvseg_import_plan *plan, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int c = 0; c < plan->n_columns && used + 1 < capacity; ++c) {
        if (used > TEXT_PLAN_COLUMN_LIST_MAX) {
            snprintf(out + used, capacity - used, ", ...");
            break;
        }
        used +=
            (size_t)snprintf(out + used, capacity - used, "%s'%s'", c ? ", " : "", plan->names[c]);
    }
}

/* "member_id, first_purchase, ..." : the fields of kind. */
static void text_plan_list_fields(int kind, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int f = 0; f < CVSEG_FIELD_COUNT && used + 1 < capacity; ++f)
        if (cvseg_import_fields[f].kinds & kind)
            used += (size_t)snprintf(out + used, capacity - used, "%s%s", used ? ", " : "",
                                     cvseg_import_fields[f].name);
}

/* ------------------------------------------------------------ --map */

/* The field of kind named name[0..length), or CVSEG_FIELD_COUNT. */
static int text_plan_field_named(int kind, const char *name, size_t length)
{
    int f = 0;
    while (f < CVSEG_FIELD_COUNT && !((cvseg_import_fields[f].kinds & kind) &&
                                      strlen(cvseg_import_fields[f].name) == length &&
                                      strncmp(cvseg_import_fields[f].name, name, length) == 0))
        ++f;
    return f;
}

cvseg_status cvseg_import_plan_map(cvseg_import_plan *plan, const char *value)
{
    cvseg_status status = CVSEG_OK;
    const int kind = plan->kind;
    const char *equals = strchr(value, '=');
    char valid[512];
    text_plan_list_fields(kind, valid, sizeof valid);
    if (!equals || equals == value || equals[1] == '\0') {
        status = CVSEG_FAIL(CVSEG_EUSAGE, "option --map: '%s' is not FIELD=COLUMN (fields: %s)",
                            value, valid);
        goto done;
    }
    const size_t length = (size_t)(equals - value);
    const int f = text_plan_field_named(kind, value, length);
    if (f == CVSEG_FIELD_COUNT) {
        status = CVSEG_FAIL(
            CVSEG_EUSAGE, "option --map: unknown field '%.*s' for --kind %s (valid fields: %s)",
            (int)length, value, kind == CVSEG_KIND_MEMBERS ? "members" : "transactions", valid);
        goto done;
    }
    if (plan->mapped[f]) {
        status = CVSEG_FAIL(CVSEG_EUSAGE, "option --map: field '%s' mapped twice",
                            cvseg_import_fields[f].name);
        goto done;
    }
    const char *left, *right;
    size_t n_left, n_right;
    const int product = cvseg_split_product(equals + 1, &left, &n_left, &right, &n_right);
    if (product != 0 && cvseg_import_fields[f].type != CVSEG_CELL_F64)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --map: '%s': only number fields (such as amount) may be "
                            "a product COLUMN*COLUMN",
                            value);
    else if (product < 0)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --map: '%s' is not FIELD=COLUMN or FIELD=COLUMN*COLUMN", value);
    else
        plan->mapped[f] = equals + 1;
done:
    return status;
}

/* ------------------------------------------------------------ names */

/* The first column named name[0..length), or -1. */
static int text_plan_find_column_n(const cvseg_import_plan *plan, const char *name, size_t length)
{
    int found = -1;
    for (int c = 0; c < plan->n_columns && found < 0; ++c)
        if (strlen(plan->names[c]) == length && memcmp(plan->names[c], name, length) == 0)
            found = c;
    return found;
}

/* The first column named name, or -1. */
static int text_plan_find_column(const cvseg_import_plan *plan, const char *name)
{
    int found = -1;
    for (int c = 0; c < plan->n_columns && found < 0; ++c)
        if (strcmp(plan->names[c], name) == 0)
            found = c;
    return found;
}

/* The second column named name (the first repeat), or -1. */
static int text_plan_find_repeat(const cvseg_import_plan *plan, const char *name)
{
    int seen = 0, repeat = -1;
    for (int c = 0; c < plan->n_columns && repeat < 0; ++c)
        if (strcmp(plan->names[c], name) == 0 && seen++)
            repeat = c;
    return repeat;
}

void cvseg_import_plan_free(cvseg_import_plan *plan)
{
    if (plan->names)
        for (int c = 0; c < plan->n_columns; ++c)
            free(plan->names[c]);
    free(plan->names);
    plan->names = NULL;
}

/* Copies n names (trimmed) into plan->names: cells[0..n) or fixed[0..n). */
static cvseg_status text_plan_set_names(cvseg_import_plan *plan, int n, const cvseg_field *cells,
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

/* ------------------------------------------------------------ columns */

/* --map FIELD=A*B where no column is named "A*B": the columns of A and B. */
static cvseg_status text_plan_resolve_product(cvseg_import_plan *plan, int f, const char *columns)
{
    cvseg_status status = CVSEG_OK;
    const char *l, *r;
    size_t nl, nr;
    if (!plan->mapped[f] || plan->column[f] >= 0 ||
        cvseg_split_product(plan->mapped[f], &l, &nl, &r, &nr) != 1)
        goto done;
    plan->column[f] = text_plan_find_column_n(plan, l, nl);
    plan->factor[f] = text_plan_find_column_n(plan, r, nr);
    if (plan->column[f] < 0 || plan->factor[f] < 0) {
        const int missing_left = plan->column[f] < 0;
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': column '%.*s' (--map %s=%s) is not in the header; "
                            "columns are: %s",
                            plan->path, (int)(missing_left ? nl : nr), missing_left ? l : r,
                            cvseg_import_fields[f].name, plan->mapped[f], columns);
        plan->column[f] = -1;
    }
done:
    return status;
}

/* Looks up the column of field f (mapped name, else the field's name; a
 * product A*B): EDATA when it is repeated or a mapped one is missing. */
static cvseg_status text_plan_resolve_field(cvseg_import_plan *plan, int f, const char *columns,
                                            const char *hint)
{
    cvseg_status status = CVSEG_OK;
    plan->column[f] = plan->factor[f] = -1;
    if (!(cvseg_import_fields[f].kinds & plan->kind))
        goto done;
    const char *name = plan->mapped[f] ? plan->mapped[f] : cvseg_import_fields[f].name;
    plan->column[f] = text_plan_find_column(plan, name);
    const int repeat = plan->column[f] >= 0 ? text_plan_find_repeat(plan, name) : -1;
    if (repeat >= 0) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line 1: column '%s' appears more than once in the header "
                            "(columns %d and %d); rename one or map another",
                            plan->path, name, plan->column[f] + 1, repeat + 1);
        goto done;
    }
    status = text_plan_resolve_product(plan, f, columns);
    if (status == CVSEG_OK && plan->column[f] < 0 && plan->mapped[f])
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': column '%s' (--map %s=%s) is not in the header; "
                            "columns are: %s%s",
                            plan->path, name, cvseg_import_fields[f].name, name, columns, hint);
done:
    return status;
}

/* A required field and the fields that can stand in for it. */
typedef struct {
    int field;
    int alternative[2];
    const char *how;
} text_plan_required;

static const text_plan_required text_plan_required_fields[] = {
    {CVSEG_FIELD_MEMBER_ID, {-1, -1}, ""},
    {CVSEG_FIELD_LAST_PURCHASE, {CVSEG_FIELD_RECENCY_DAYS, -1}, ", or map recency_days"},
    {CVSEG_FIELD_FREQUENCY, {CVSEG_FIELD_FLIGHT_COUNT, -1}, ", or map flight_count"},
    {CVSEG_FIELD_MONETARY,
     {CVSEG_FIELD_FARE_YR1, CVSEG_FIELD_FARE_YR2},
     ", or map fare_yr1 and fare_yr2"},
    {CVSEG_FIELD_DATE, {-1, -1}, ""},
    {CVSEG_FIELD_AMOUNT, {-1, -1}, ""},
};

/* 1 if the required field of rule has a column or a stand-in. */
static int text_plan_required_present(const cvseg_import_plan *plan, const text_plan_required *rule)
{
    const int f = rule->field;
    const int *alt = rule->alternative;
    if (!(cvseg_import_fields[f].kinds & plan->kind) || plan->column[f] >= 0)
        return 1;
    if (alt[0] >= 0 && plan->column[alt[0]] >= 0 && (alt[1] < 0 || plan->column[alt[1]] >= 0))
        return 1;
    /* An airline (LRFMC) table needs no money column: L, R, F, M, C come
     * from join_date, last_purchase, flight_count, seg_km_sum, avg_discount. */
    return f == CVSEG_FIELD_MONETARY && plan->column[CVSEG_FIELD_JOIN_DATE] >= 0 &&
           plan->column[CVSEG_FIELD_FLIGHT_COUNT] >= 0 &&
           plan->column[CVSEG_FIELD_SEG_KM_SUM] >= 0 && plan->column[CVSEG_FIELD_AVG_DISCOUNT] >= 0;
}

/* Looks up every field's column in the header; checks the required ones. */
static cvseg_status text_plan_resolve_columns(cvseg_import_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    char columns[TEXT_PLAN_COLUMN_LIST_MAX + 64];
    text_plan_list_columns(plan, columns, sizeof columns);
    const char *hint = plan->n_columns == 1 ? " (only one column: is --delimiter right?)" : "";
    for (int f = 0; f < CVSEG_FIELD_COUNT && status == CVSEG_OK; ++f)
        status = text_plan_resolve_field(plan, f, columns, hint);
    const size_t n_required =
        sizeof text_plan_required_fields / sizeof text_plan_required_fields[0];
    for (size_t k = 0; k < n_required && status == CVSEG_OK; ++k) {
        const text_plan_required *rule = &text_plan_required_fields[k];
        const char *name = cvseg_import_fields[rule->field].name;
        if (!text_plan_required_present(plan, rule))
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s': no column '%s' for the required field %s (name one "
                                "with --map %s=COLUMN%s); columns are: %s%s",
                                plan->path, name, name, name, rule->how, columns, hint);
    }
    return status;
}

/* ------------------------------------------------------------ CDNOW */

/* The CDNOW columns of a line of n_data (4 or 5) fields; header: the file's
 * header names (n_head of them, in s), used when they are as many. */
static cvseg_status text_plan_cdnow_columns(cvseg_import_plan *plan, int header, int n_head,
                                            int n_data)
{
    cvseg_status status = CVSEG_OK;
    if (!header || n_head != n_data) {
        cvseg_import_plan_free(plan);
        status = text_plan_set_names(plan, n_data, NULL,
                                     n_data == 4 ? text_plan_cdnow_master_names
                                                 : text_plan_cdnow_sample_names);
        if (status != CVSEG_OK)
            goto done;
    }
    plan->n_columns = n_data;
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f)
        plan->column[f] = plan->factor[f] = -1;
    const int shift = n_data == 5; /* the sample's second column is the id in the sample */
    plan->column[CVSEG_FIELD_MEMBER_ID] = 0;
    plan->column[CVSEG_FIELD_DATE] = 1 + shift;
    plan->column[CVSEG_FIELD_QUANTITY] = 2 + shift;
    plan->column[CVSEG_FIELD_AMOUNT] = 3 + shift;
done:
    return status;
}

cvseg_status cvseg_import_plan_cdnow(cvseg_import_plan *plan, const cvseg_text_line head[2],
                                     int64_t *begin, int64_t *begin_line)
{
    cvseg_text_splitter s;
    int n_head = 0, n_data = 0;
    cvseg_status status = cvseg_text_splitter_init(&s, TEXT_PLAN_CDNOW_MAX);
    if (status == CVSEG_OK && !head[0].text)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': empty file (expected CDNOW transactions: customer id, "
                            "date, number of CDs, dollar value)",
                            plan->path);
    if (status == CVSEG_OK)
        status = cvseg_import_split_line(plan, &s, TEXT_PLAN_CDNOW_MAX, head[0].text,
                                         head[0].length, head[0].number, &n_head);
    if (status != CVSEG_OK)
        goto done;
    const char *first = s.cells[0].text;
    const int header = first[strspn(first, "0123456789")] != '\0';
    const cvseg_text_line *data = header ? &head[1] : &head[0];
    if (!data->text)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': no transactions after the header line", plan->path);
    if (status == CVSEG_OK && header)
        status = text_plan_set_names(
            plan, n_head < TEXT_PLAN_CDNOW_MAX ? n_head : TEXT_PLAN_CDNOW_MAX, s.cells, NULL);
    if (status == CVSEG_OK)
        status = cvseg_import_split_line(plan, &s, TEXT_PLAN_CDNOW_MAX, data->text, data->length,
                                         data->number, &n_data);
    if (status == CVSEG_OK && n_data != 4 && n_data != 5)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld: %d fields, but CDNOW files have 4 (customer "
                            "id, YYYYMMDD date, CDs, dollars) or 5 (id in master, id in sample, "
                            "date, CDs, dollars)",
                            plan->path, (long long)data->number, n_data);
    if (status == CVSEG_OK)
        status = text_plan_cdnow_columns(plan, header, n_head, n_data);
    if (status == CVSEG_OK) {
        *begin = header ? head[0].end : 0;
        *begin_line = header ? head[0].number + 1 : 1;
    }
done:
    cvseg_text_splitter_free(&s);
    return status;
}

/* ------------------------------------------------------------ CSV */

/* 1 if every header name reads as a number or a date: a file without header. */
static int text_plan_looks_like_data(const cvseg_import_plan *plan)
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

/* The column names of the header line (which must not look like data). */
static cvseg_status text_plan_csv_header(cvseg_import_plan *plan, const cvseg_text_line *header)
{
    cvseg_text_splitter s;
    int n = 0;
    /* Count the header's fields first, then split it for real. */
    cvseg_status status = cvseg_text_splitter_init(&s, 0);
    if (status == CVSEG_OK)
        status =
            cvseg_import_split_line(plan, &s, 0, header->text, header->length, header->number, &n);
    if (status == CVSEG_OK) {
        cvseg_text_splitter_free(&s);
        status = cvseg_text_splitter_init(&s, n);
    }
    if (status == CVSEG_OK)
        status =
            cvseg_import_split_line(plan, &s, n, header->text, header->length, header->number, &n);
    if (status == CVSEG_OK)
        status = text_plan_set_names(plan, n, s.cells, NULL);
    if (status == CVSEG_OK && text_plan_looks_like_data(plan))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', line %lld: missing header row (the first line holds "
                            "data, but it must name the columns)",
                            plan->path, (long long)header->number);
    cvseg_text_splitter_free(&s);
    return status;
}

/* A reference date column: its value on the first data row is the
 * reference; every row must repeat it. */
static cvseg_status text_plan_csv_reference(cvseg_import_plan *plan, const cvseg_text_line *first)
{
    cvseg_text_splitter s;
    const int c_ref = plan->column[CVSEG_FIELD_REFERENCE_DATE];
    cvseg_status status = cvseg_text_splitter_init(&s, plan->n_columns);
    if (status == CVSEG_OK)
        status = cvseg_import_split_row(plan, &s, first->text, first->length, first->number);
    if (status == CVSEG_OK)
        status = cvseg_import_parse_cell(plan, CVSEG_FIELD_REFERENCE_DATE, c_ref, &s.cells[c_ref],
                                         first->number, &plan->reference);
    if (status == CVSEG_OK) {
        plan->have_reference = 1;
        plan->reference_from_column = 1;
        plan->reference_line = first->number;
        if (!plan->have_attribute_reference) {
            plan->attribute_reference = plan->reference;
            plan->have_attribute_reference = 1;
        }
    }
    cvseg_text_splitter_free(&s);
    return status;
}

cvseg_status cvseg_import_plan_csv(cvseg_import_plan *plan, const cvseg_text_line head[2],
                                   int64_t *begin, int64_t *begin_line)
{
    cvseg_status status = CVSEG_OK;
    if (!head[0].text) {
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': empty file (expected a header row naming the columns)",
                            plan->path);
        goto done;
    }
    status = text_plan_csv_header(plan, &head[0]);
    if (status == CVSEG_OK)
        status = text_plan_resolve_columns(plan);
    if (status != CVSEG_OK)
        goto done;
    *begin = head[0].end;
    *begin_line = head[0].number + 1;
    if (plan->column[CVSEG_FIELD_REFERENCE_DATE] >= 0 && head[1].text)
        status = text_plan_csv_reference(plan, &head[1]);
    if (status == CVSEG_OK && plan->column[CVSEG_FIELD_LAST_PURCHASE] < 0 &&
        plan->column[CVSEG_FIELD_RECENCY_DAYS] >= 0 && !plan->have_reference && head[1].text)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "last_purchase comes from recency_days (column '%s'), which needs "
                            "the reference date: --map reference_date=COLUMN or --reference-date "
                            "DATE",
                            plan->names[plan->column[CVSEG_FIELD_RECENCY_DAYS]]);
done:
    return status;
}

/* ------------------------------------------------------------ queries */

int cvseg_import_field_stored(const cvseg_import_plan *plan, int f)
{
    if (plan->column[f] >= 0)
        return 1;
    return (f == CVSEG_FIELD_LAST_PURCHASE && plan->column[CVSEG_FIELD_RECENCY_DAYS] >= 0) ||
           (f == CVSEG_FIELD_FREQUENCY && plan->column[CVSEG_FIELD_FLIGHT_COUNT] >= 0) ||
           (f == CVSEG_FIELD_MONETARY && plan->column[CVSEG_FIELD_FARE_YR1] >= 0 &&
            plan->column[CVSEG_FIELD_FARE_YR2] >= 0);
}

int cvseg_import_is_airline(const cvseg_import_plan *plan)
{
    int airline = 0;
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f)
        airline |= plan->kind == CVSEG_KIND_MEMBERS && cvseg_import_fields[f].airline &&
                   plan->column[f] >= 0;
    return airline;
}
