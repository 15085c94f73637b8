/* test_text_parse.c: the text parser of `cvseg import` (text_parse.h): plans
 * of CDNOW and CSV files, --map, cells (with the messages `cvseg import`
 * prints), rows, and whole texts split into P simulated ranks the way the io
 * layer splits files (P = 1, 2, 3, 7), against values the test generates
 * itself. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "cvseg/text_parse.h"

#define TEST_SEED 0x7e47a11ULL
#include "test_support.h"
#include "text_lines.h"

/* ------------------------------------------------------------ helpers */

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil),
 * written out here independently of date.c. */
static int32_t civil_days(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* A plan with the settings of `cvseg import`; maps: NULL-terminated
 * "FIELD=COLUMN" values. */
static void settings(cvseg_import_plan *plan, int kind, int whitespace, char delimiter,
                     const char *const *maps)
{
    memset(plan, 0, sizeof *plan);
    plan->path = "in.csv";
    plan->kind = kind;
    plan->whitespace = whitespace;
    plan->delimiter = delimiter;
    for (int k = 0; maps && maps[k]; ++k)
        CU_ASSERT_EQUAL_FATAL(cvseg_import_plan_map(plan, maps[k]), CVSEG_OK);
}

/* Plans text (CSV or CDNOW by plan->whitespace). */
static cvseg_status plan_text(cvseg_import_plan *plan, const char *text, int64_t *begin,
                              int64_t *begin_line)
{
    cvseg_text_line head[2];
    text_lines_head(text, strlen(text), head);
    cvseg_error_clear();
    const cvseg_status status = plan->whitespace
                                    ? cvseg_import_plan_cdnow(plan, head, begin, begin_line)
                                    : cvseg_import_plan_csv(plan, head, begin, begin_line);
    text_lines_free_head(head);
    return status;
}

/* The recorded message equals expected (printed when not). */
static int message_is(const char *expected)
{
    const int same = strcmp(cvseg_error_message(), expected) == 0;
    if (!same)
        fprintf(stderr, "\n  message: %s\n  expected: %s\n", cvseg_error_message(), expected);
    return same;
}

/* Parses text[begin, size) as p simulated ranks and concatenates their
 * tables in rank order into *all. Returns the first failing rank's status
 * (its message recorded), like the agreement of the verb. */
static cvseg_status parse_ranks(const cvseg_import_plan *plan, const char *text, int64_t begin,
                                int64_t begin_line, int p, cvseg_import_table *all)
{
    const int64_t size = (int64_t)strlen(text);
    cvseg_status status = CVSEG_OK;
    memset(all, 0, sizeof *all);
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f)
        if (cvseg_import_field_stored(plan, f))
            all->data[f] =
                malloc((size_t)(size + 1) * cvseg_cell_type_bytes(cvseg_import_fields[f].type));
    for (int r = 0; r < p; ++r) {
        int64_t lo = 0, hi = 0;
        cvseg_text_share(begin, size, r, p, &lo, &hi);
        const int64_t start = text_lines_start_at_or_after(text, size, begin, lo);
        int64_t end = r + 1 < p ? text_lines_start_at_or_after(text, size, begin, hi) : size;
        end = end < start ? start : end;
        const int64_t lines =
            text_lines_newlines(text, start, end) + (end > start && text[end - 1] != '\n');
        const int64_t first_line = begin_line + text_lines_newlines(text, begin, start);
        cvseg_import_table t;
        cvseg_error_clear();
        const cvseg_status part = cvseg_import_parse_lines(
            plan, text + start, (size_t)(end - start), first_line, lines, &t);
        CU_ASSERT_TRUE(t.rows <= (lines > 0 ? lines : 1));
        for (int f = 0; f < CVSEG_FIELD_COUNT && part == CVSEG_OK; ++f)
            if (all->data[f]) {
                const size_t bytes = cvseg_cell_type_bytes(cvseg_import_fields[f].type);
                memcpy((char *)all->data[f] + (size_t)all->rows * bytes, t.data[f],
                       (size_t)t.rows * bytes);
            }
        all->rows += t.rows;
        all->rows_read += t.rows_read;
        all->skipped_missing_member += t.skipped_missing_member;
        cvseg_import_table_free(&t);
        if (part != CVSEG_OK) {
            status = part;
            break;
        }
    }
    return status;
}

/* Two tables hold the same rows, byte for byte. */
static int same_tables(const cvseg_import_plan *plan, const cvseg_import_table *a,
                       const cvseg_import_table *b)
{
    int same = a->rows == b->rows && a->rows_read == b->rows_read &&
               a->skipped_missing_member == b->skipped_missing_member;
    for (int f = 0; f < CVSEG_FIELD_COUNT && same; ++f)
        if (cvseg_import_field_stored(plan, f))
            same =
                memcmp(a->data[f], b->data[f],
                       (size_t)a->rows * cvseg_cell_type_bytes(cvseg_import_fields[f].type)) == 0;
    return same;
}

/* ------------------------------------------------------------ plans */

static void test_plan_cdnow(void)
{
    cvseg_import_plan plan;
    int64_t begin = -1, line = -1;
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 1, 0, NULL);
    const char *master = "customer_id date number_of_cds dollar_value\n"
                         "00001 19970101 1 11.77\n";
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, master, &begin, &line), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.n_columns, 4);
    CU_ASSERT_EQUAL(begin, (int64_t)strlen("customer_id date number_of_cds dollar_value\n"));
    CU_ASSERT_EQUAL(line, 2);
    CU_ASSERT_STRING_EQUAL(plan.names[3], "dollar_value");
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_MEMBER_ID], 0);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_DATE], 1);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_QUANTITY], 2);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_AMOUNT], 3);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_ORDER_ID], -1);
    cvseg_import_plan_free(&plan);

    /* The sample layout without header: id in master, id in sample, ... */
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 1, 0, NULL);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, "\n  00001 00002 19970101 1 29.33\r\n", &begin, &line),
                          CVSEG_OK);
    CU_ASSERT_EQUAL(plan.n_columns, 5);
    CU_ASSERT_EQUAL(begin, 0);
    CU_ASSERT_EQUAL(line, 1);
    CU_ASSERT_STRING_EQUAL(plan.names[1], "sample_id");
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_MEMBER_ID], 0);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_DATE], 2);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_AMOUNT], 4);
    cvseg_import_plan_free(&plan);

    /* A header of another width: the fixed names. */
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 1, 0, NULL);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, "a b c\n1 19970101 1 29.33\n", &begin, &line), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.n_columns, 4);
    CU_ASSERT_STRING_EQUAL(plan.names[0], "customer_id");
    cvseg_import_plan_free(&plan);
}

static void test_plan_cdnow_errors(void)
{
    const struct {
        const char *text, *message;
    } cases[] = {
        {"", "file 'in.csv': empty file (expected CDNOW transactions: customer id, date, number "
             "of CDs, dollar value)"},
        {"customer_id date number_of_cds dollar_value\n",
         "file 'in.csv': no transactions after the header line"},
        {"00001 19970101 1\n", "file 'in.csv', line 1: 3 fields, but CDNOW files have 4 "
                               "(customer id, YYYYMMDD date, CDs, dollars) or 5 (id in master, id "
                               "in sample, date, CDs, dollars)"},
        {"1 2 19970101 1 29.33 7\n", "file 'in.csv', line 1: 6 fields, but CDNOW files have 4 "
                                     "(customer id, YYYYMMDD date, CDs, dollars) or 5 (id in "
                                     "master, id in sample, date, CDs, dollars)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        cvseg_import_plan plan;
        int64_t begin = 0, line = 0;
        settings(&plan, CVSEG_KIND_TRANSACTIONS, 1, 0, NULL);
        CU_ASSERT_EQUAL(plan_text(&plan, cases[k].text, &begin, &line), CVSEG_EDATA);
        CU_ASSERT_TRUE(message_is(cases[k].message));
        cvseg_import_plan_free(&plan);
    }
}

static const char *const member_maps[] = {"member_id=cust_no", "last_purchase=Last Purchase",
                                          "frequency=orders", "monetary=spend", NULL};

static void test_plan_csv(void)
{
    cvseg_import_plan plan;
    int64_t begin = 0, line = 0;
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', member_maps);
    /* A repeated name no field uses ('x') is fine. */
    const char *header = "x,cust_no,\"Last Purchase\", first_purchase ,orders,spend,x\r\n";
    const char *text = "x,cust_no,\"Last Purchase\", first_purchase ,orders,spend,x\r\n"
                       "1,2,2024-01-01,2024-01-01,3,4,5\n";
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &line), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.n_columns, 7);
    CU_ASSERT_EQUAL(begin, (int64_t)strlen(header));
    CU_ASSERT_EQUAL(line, 2);
    CU_ASSERT_STRING_EQUAL(plan.names[2], "Last Purchase");
    CU_ASSERT_STRING_EQUAL(plan.names[3], "first_purchase"); /* trimmed */
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_MEMBER_ID], 1);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_LAST_PURCHASE], 2);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_FIRST_PURCHASE], 3); /* by its own name */
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_FREQUENCY], 4);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_JOIN_DATE], -1);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_DATE], -1); /* a transactions field */
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_MONETARY], 5);
    CU_ASSERT_FALSE(cvseg_import_is_airline(&plan));
    cvseg_import_plan_free(&plan);

    /* An airline table needs no money column (LRFMC). */
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', NULL);
    CU_ASSERT_EQUAL(plan_text(&plan,
                              "member_id,last_purchase,frequency,join_date,flight_count,"
                              "seg_km_sum,avg_discount\n",
                              &begin, &line),
                    CVSEG_OK);
    CU_ASSERT_TRUE(cvseg_import_is_airline(&plan));
    CU_ASSERT_FALSE(cvseg_import_field_stored(&plan, CVSEG_FIELD_MONETARY));
    cvseg_import_plan_free(&plan);

    /* The repeated name 'spend' is mapped: an error naming both columns. */
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', member_maps);
    CU_ASSERT_EQUAL(
        plan_text(&plan, "cust_no,Last Purchase,orders,spend,spend\n1,2,3,4,5\n", &begin, &line),
        CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 1: column 'spend' appears more than once in "
                              "the header (columns 4 and 5); rename one or map another"));
    cvseg_import_plan_free(&plan);
}

static void test_plan_csv_products(void)
{
    cvseg_import_plan plan;
    int64_t begin = 0, line = 0;
    const char *const maps[] = {"member_id=c", "date=d", "amount=Quantity * UnitPrice", NULL};
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ';', maps);
    CU_ASSERT_EQUAL(plan_text(&plan, "UnitPrice;c;d;Quantity\n", &begin, &line), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_AMOUNT], 3);
    CU_ASSERT_EQUAL(plan.factor[CVSEG_FIELD_AMOUNT], 0);
    CU_ASSERT_EQUAL(plan.factor[CVSEG_FIELD_DATE], -1);
    cvseg_import_plan_free(&plan);
    /* A column literally named "A*B" takes precedence. */
    const char *const literal[] = {"member_id=c", "date=d", "amount=q*p", NULL};
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ',', literal);
    CU_ASSERT_EQUAL(plan_text(&plan, "q,p,c,d,q*p\n", &begin, &line), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.column[CVSEG_FIELD_AMOUNT], 4);
    CU_ASSERT_EQUAL(plan.factor[CVSEG_FIELD_AMOUNT], -1);
    cvseg_import_plan_free(&plan);
    /* A factor missing from the header. */
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ',', literal);
    CU_ASSERT_EQUAL(plan_text(&plan, "q,c,d\n", &begin, &line), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv': column 'p' (--map amount=q*p) is not in the "
                              "header; columns are: 'q', 'c', 'd'"));
    cvseg_import_plan_free(&plan);
}

static void test_plan_csv_errors(void)
{
    const char *const one_map[] = {"member_id=id", NULL};
    const struct {
        int kind;
        const char *const *maps;
        const char *text, *message;
    } cases[] = {
        {CVSEG_KIND_MEMBERS, member_maps, "",
         "file 'in.csv': empty file (expected a header row naming the columns)"},
        {CVSEG_KIND_MEMBERS, member_maps, "\n101,2024-01-01,3,9.5\n",
         "file 'in.csv', line 2: missing header row (the first line holds data, but it must name "
         "the columns)"},
        {CVSEG_KIND_MEMBERS, member_maps, "cust_no,orders,spend\n",
         "file 'in.csv': column 'Last Purchase' (--map last_purchase=Last Purchase) is not in the "
         "header; columns are: 'cust_no', 'orders', 'spend'"},
        {CVSEG_KIND_TRANSACTIONS, one_map, "id;when;amt\n",
         "file 'in.csv': column 'id' (--map member_id=id) is not in the header; columns are: "
         "'id;when;amt' (only one column: is --delimiter right?)"},
        {CVSEG_KIND_TRANSACTIONS, one_map, "id,when,amount\n",
         "file 'in.csv': no column 'date' for the required field date (name one with --map "
         "date=COLUMN); columns are: 'id', 'when', 'amount'"},
        {CVSEG_KIND_MEMBERS, one_map, "id,last_purchase,frequency\n",
         "file 'in.csv': no column 'monetary' for the required field monetary (name one with "
         "--map monetary=COLUMN, or map fare_yr1 and fare_yr2); columns are: 'id', "
         "'last_purchase', 'frequency'"},
        {CVSEG_KIND_MEMBERS, member_maps, "cust_no,\"Last Purchase,orders,spend\n",
         "file 'in.csv', line 1, field 2: has a quote that is not closed on its line (quoted "
         "fields may not span lines)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        cvseg_import_plan plan;
        int64_t begin = 0, line = 0;
        settings(&plan, cases[k].kind, 0, ',', cases[k].maps);
        CU_ASSERT_EQUAL(plan_text(&plan, cases[k].text, &begin, &line), CVSEG_EDATA);
        CU_ASSERT_TRUE(message_is(cases[k].message));
        cvseg_import_plan_free(&plan);
    }
}

static void test_plan_reference(void)
{
    cvseg_import_plan plan;
    int64_t begin = 0, line = 0;
    const char *const maps[] = {"member_id=id", "recency_days=rec",   "frequency=f",
                                "monetary=m",   "reference_date=ref", NULL};
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', maps);
    CU_ASSERT_EQUAL(plan_text(&plan, "id,rec,f,m,ref\n\n1,5,2,3.0,2014/3/31\n", &begin, &line),
                    CVSEG_OK);
    CU_ASSERT_TRUE(plan.have_reference && plan.reference_from_column);
    CU_ASSERT_EQUAL(plan.reference, civil_days(2014, 3, 31));
    CU_ASSERT_EQUAL(plan.reference_line, 3);
    CU_ASSERT_TRUE(plan.have_attribute_reference);
    CU_ASSERT_EQUAL(plan.attribute_reference, civil_days(2014, 3, 31));
    CU_ASSERT_TRUE(cvseg_import_field_stored(&plan, CVSEG_FIELD_LAST_PURCHASE));
    cvseg_import_plan_free(&plan);
    /* recency_days without a reference date (and a data row): a usage error. */
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', maps);
    plan.mapped[CVSEG_FIELD_REFERENCE_DATE] = NULL;
    CU_ASSERT_EQUAL(plan_text(&plan, "id,rec,f,m\n1,5,2,3.0\n", &begin, &line), CVSEG_EUSAGE);
    CU_ASSERT_TRUE(message_is("last_purchase comes from recency_days (column 'rec'), which needs "
                              "the reference date: --map reference_date=COLUMN or "
                              "--reference-date DATE"));
    cvseg_import_plan_free(&plan);
}

static void test_plan_map(void)
{
    const struct {
        int kind;
        const char *value, *message;
    } cases[] = {
        {CVSEG_KIND_TRANSACTIONS, "member_id",
         "option --map: 'member_id' is not FIELD=COLUMN (fields: member_id, date, amount, "
         "quantity, order_id)"},
        {CVSEG_KIND_TRANSACTIONS, "=x",
         "option --map: '=x' is not FIELD=COLUMN (fields: member_id, date, amount, quantity, "
         "order_id)"},
        {CVSEG_KIND_TRANSACTIONS, "monetary=x",
         "option --map: unknown field 'monetary' for --kind transactions (valid fields: "
         "member_id, date, amount, quantity, order_id)"},
        {CVSEG_KIND_MEMBERS, "frequency=a*b",
         "option --map: 'frequency=a*b': only number fields (such as amount) may be a product "
         "COLUMN*COLUMN"},
        {CVSEG_KIND_MEMBERS, "monetary=a**b",
         "option --map: 'monetary=a**b' is not FIELD=COLUMN or FIELD=COLUMN*COLUMN"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        cvseg_import_plan plan;
        settings(&plan, cases[k].kind, 0, ',', NULL);
        cvseg_error_clear();
        CU_ASSERT_EQUAL(cvseg_import_plan_map(&plan, cases[k].value), CVSEG_EUSAGE);
        CU_ASSERT_TRUE(message_is(cases[k].message));
    }
    cvseg_import_plan plan;
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', NULL);
    CU_ASSERT_EQUAL(cvseg_import_plan_map(&plan, "member_id=MEMBER NO"), CVSEG_OK);
    CU_ASSERT_STRING_EQUAL(plan.mapped[CVSEG_FIELD_MEMBER_ID], "MEMBER NO");
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_plan_map(&plan, "member_id=x"), CVSEG_EUSAGE);
    CU_ASSERT_TRUE(message_is("option --map: field 'member_id' mapped twice"));
}

/* ------------------------------------------------------------ cells */

/* A plan over columns named c0, c1, ... for parsing single cells. */
static void cell_plan(cvseg_import_plan *plan, char **names, const char *date_format)
{
    static char name_text[4][4] = {"c0", "c1", "c2", "c3"};
    settings(plan, CVSEG_KIND_TRANSACTIONS, 0, ',', NULL);
    for (int c = 0; c < 4; ++c)
        names[c] = name_text[c];
    plan->names = names;
    plan->n_columns = 4;
    plan->date_format = date_format;
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f)
        plan->column[f] = plan->factor[f] = -1;
    plan->column[CVSEG_FIELD_MEMBER_ID] = 0;
}

/* Parses text as field f in column c; the status (message recorded). */
static cvseg_status cell(const cvseg_import_plan *plan, int f, int c, const char *text, void *value)
{
    const cvseg_field field = {text, strlen(text)};
    cvseg_error_clear();
    return cvseg_import_parse_cell(plan, f, c, &field, 7, value);
}

static void test_cells(void)
{
    cvseg_import_plan plan;
    char *names[4];
    cell_plan(&plan, names, NULL);
    int64_t i64 = 0;
    int32_t i32 = 0;
    double f64 = 0.0;
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_MEMBER_ID, 0, " -9223372036854775808 ", &i64),
                    CVSEG_OK);
    CU_ASSERT_EQUAL(i64, INT64_MIN);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_QUANTITY, 1, "12.0", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, 12);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_RECENCY_DAYS, 1, "-10000000", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, -10000000);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_AMOUNT, 2, " 1.5e3 ", &f64), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(f64, 1500.0);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_AMOUNT, 2, "0.1", &f64), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(f64, 0.1);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_AMOUNT, 2, "  ", &f64), CVSEG_OK);
    CU_ASSERT_TRUE(isnan(f64));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_AMOUNT, 2, "NaN", &f64), CVSEG_OK);
    CU_ASSERT_TRUE(isnan(f64));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, "2024-02-29", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(2024, 2, 29));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, "19991231", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(1999, 12, 31));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, "2010/12/1 08:26", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(2010, 12, 1));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_ORDER_ID, 1, " 536365 ", &i64), CVSEG_OK);
    CU_ASSERT_EQUAL(i64, 536365);
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_ORDER_ID, 1, "C536365", &i64), CVSEG_OK);
    CU_ASSERT_TRUE(i64 >= 0 && i64 != 536365);
    /* Formatted dates. */
    cell_plan(&plan, names, "%m/%d/%Y %H:%M");
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, " 12/1/2010 8:26 ", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(2010, 12, 1));
    cell_plan(&plan, names, "%d-%b-%y");
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, "15-dec-99", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(1999, 12, 15));
    CU_ASSERT_EQUAL(cell(&plan, CVSEG_FIELD_DATE, 3, "01-Jan-10", &i32), CVSEG_OK);
    CU_ASSERT_EQUAL(i32, civil_days(2010, 1, 1));
}

/* Bad cells give the messages `cvseg import` prints (line 7 here). */
static void test_cell_errors(void)
{
    cvseg_import_plan plan;
    char *names[4];
    char long_text[201];
    memset(long_text, '7', 199);
    long_text[199] = 'x';
    long_text[200] = '\0';
    const struct {
        int f, c;
        const char *format, *text, *message;
    } cases[] = {
        {CVSEG_FIELD_QUANTITY, 1, NULL, "99999999999",
         "file 'in.csv', line 7, column 'c1': '99999999999' is out of range for int32"},
        {CVSEG_FIELD_QUANTITY, 1, NULL, "12.5",
         "file 'in.csv', line 7, column 'c1': '12.5' is "
         "not an integer"},
        {CVSEG_FIELD_RECENCY_DAYS, 2, NULL, "50000000",
         "file 'in.csv', line 7, column 'c2': '50000000' is out of range for day counts (|days| "
         "<= 10000000)"},
        {CVSEG_FIELD_QUANTITY, 1, NULL, " ",
         "file 'in.csv', line 7, column 'c1': empty cell, but int32 cells need a value (only "
         "number cells may be empty)"},
        {CVSEG_FIELD_MEMBER_ID, 0, NULL, "",
         "file 'in.csv', line 7, column 'c0': empty cell, but int64 cells need a value (only "
         "number cells may be empty; --missing-member skip leaves rows without a member out)"},
        {CVSEG_FIELD_AMOUNT, 2, NULL, " 1,234.5 ",
         "file 'in.csv', line 7, column 'c2': '1,234.5' is not a number"},
        {CVSEG_FIELD_AMOUNT, 2, NULL, "1e400",
         "file 'in.csv', line 7, column 'c2': '1e400' is out of range for float64"},
        {CVSEG_FIELD_AMOUNT, 2, NULL, "inf",
         "file 'in.csv', line 7, column 'c2': 'inf' is not a "
         "number"},
        {CVSEG_FIELD_DATE, 3, NULL, "2023-02-29",
         "file 'in.csv', line 7, column 'c3': '2023-02-29' is not a date (expected YYYY-MM-DD, "
         "YYYYMMDD or YYYY/M/D)"},
        {CVSEG_FIELD_DATE, 3, NULL, "",
         "file 'in.csv', line 7, column 'c3': empty cell, but date cells need a value (only "
         "number cells may be empty)"},
        {CVSEG_FIELD_DATE, 3, "%m/%d/%Y %H:%M", "13/1/2010 1:00",
         "file 'in.csv', line 7, column 'c3': '13/1/2010 1:00' is not a date in the format "
         "'%m/%d/%Y %H:%M' (--date-format; time fields must be in range too)"},
        {CVSEG_FIELD_DATE, 3, "%m/%d/%Y %H:%M", "  ",
         "file 'in.csv', line 7, column 'c3': empty cell, but date cells need a value (only "
         "number cells may be empty)"},
        {CVSEG_FIELD_ORDER_ID, 1, NULL, " ",
         "file 'in.csv', line 7, column 'c1': empty cell, but order_id cells need a value (only "
         "number cells may be empty)"},
        {CVSEG_FIELD_QUANTITY, 1, NULL, long_text,
         "file 'in.csv', line 7, column 'c1': "
         "'77777777777777777777777777777777777777777777777777777777777777777777777777777777...' "
         "is not an integer"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        double value[1] = {0.0};
        cell_plan(&plan, names, cases[k].format);
        CU_ASSERT_EQUAL(cell(&plan, cases[k].f, cases[k].c, cases[k].text, value), CVSEG_EDATA);
        CU_ASSERT_TRUE(message_is(cases[k].message));
    }
}

/* ------------------------------------------------------------ rows */

static void test_split_rows(void)
{
    cvseg_import_plan plan;
    char *names[4];
    cvseg_text_splitter s;
    cell_plan(&plan, names, NULL);
    CU_ASSERT_EQUAL_FATAL(cvseg_text_splitter_init(&s, plan.n_columns), CVSEG_OK);
    const char *quoted = "1,\"a, \"\"b\"\"\",  \" c \" ,\r";
    CU_ASSERT_EQUAL_FATAL(cvseg_import_split_row(&plan, &s, quoted, strlen(quoted), 3), CVSEG_OK);
    CU_ASSERT_STRING_EQUAL(s.cells[1].text, "a, \"b\"");
    CU_ASSERT_STRING_EQUAL(s.cells[2].text, " c ");
    CU_ASSERT_EQUAL(s.cells[3].length, 0);
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_split_row(&plan, &s, "1,2,3", 5, 9), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 9: 3 fields, expected 4 like the header "
                              "(delimiter ',')"));
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_split_row(&plan, &s, "1,\"2\"x,3,4", 10, 9), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 9, field 2: has text after a closing quote"));
    /* A line break inside quotes is not supported: the line's quote is open. */
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_split_row(&plan, &s, "1,2,\"x", 6, 4), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 4, field 3: has a quote that is not closed on "
                              "its line (quoted fields may not span lines)"));
    plan.delimiter = '\t';
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_split_row(&plan, &s, "1\t2\t3\t4\t5", 9, 2), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 2: 5 fields, expected 4 like the header "
                              "(delimiter '\\t')"));
    plan.whitespace = 1;
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_import_split_row(&plan, &s, " 1  2\t3 ", 8, 5), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 5: 3 fields, expected 4 (separated by "
                              "blanks)"));
    cvseg_text_splitter_free(&s);
}

/* ------------------------------------------------------------ P ranks */

enum { ROWS = 400 };

/* What the generator wrote, row by row (the independent expectation). */
typedef struct {
    int64_t member[ROWS];
    int32_t date[ROWS];
    double amount[ROWS];
    int32_t quantity[ROWS];
    int64_t order[ROWS];
    int64_t rows, lines, skipped;
} expected_rows;

/* A CSV transaction log of ROWS lines (header "id,when,note,amt,qty,inv"),
 * with blank lines, CRLF line ends, quoted notes holding delimiters, dates in
 * the three default formats, empty and NaN amounts, and (skip != 0) rows
 * without a member. */
static char *make_csv(expected_rows *e, int skip)
{
    char *text = malloc((size_t)ROWS * 160 + 64);
    size_t used = (size_t)sprintf(text, "id,when,note,amt,qty,inv\n");
    memset(e, 0, sizeof *e);
    e->lines = 1;
    for (int k = 0; k < ROWS; ++k) {
        const int y = 1990 + (int)(next_u64() % 40), m = 1 + (int)(next_u64() % 12);
        const int d = 1 + (int)(next_u64() % 28), style = (int)(next_u64() % 3);
        const int64_t member = (int64_t)(next_u64() % 100000) - 50;
        const int32_t quantity = (int32_t)(next_u64() % 200) - 20;
        const double amount = (next_uniform() - 0.3) * 1000.0;
        const int amount_kind = (int)(next_u64() % 10); /* 0: empty, 1: NaN, else a value */
        const int no_member = skip && next_u64() % 9 == 0;
        char date[40], amt[40], id[32];
        if (style == 0)
            sprintf(date, "%04d-%02d-%02d", y, m, d);
        else if (style == 1)
            sprintf(date, "%04d%02d%02d", y, m, d);
        else
            sprintf(date, "%d/%d/%d 13:05", y, m, d);
        if (amount_kind == 0)
            amt[0] = '\0';
        else if (amount_kind == 1)
            strcpy(amt, " nan");
        else
            sprintf(amt, "%.17g", amount);
        if (no_member)
            strcpy(id, "  ");
        else
            sprintf(id, " %lld", (long long)member);
        used +=
            (size_t)sprintf(text + used, "%s, %s ,\"note, \"\"%d\"\"\",%s,%d,%s%d%s", id, date, k,
                            amt, quantity, k % 5 ? "" : "C", 536365 + k, k % 3 ? "\n" : "\r\n");
        ++e->lines;
        if (k % 37 == 5) {
            used += (size_t)sprintf(text + used, "  \n");
            ++e->lines;
        }
        if (no_member) {
            ++e->skipped;
            continue;
        }
        const int64_t r = e->rows++;
        e->member[r] = member;
        e->date[r] = civil_days(y, m, d);
        e->amount[r] = amount_kind <= 1 ? NAN : amount;
        e->quantity[r] = quantity;
        e->order[r] = k % 5 ? 536365 + k : -1; /* -1: a hashed key */
    }
    return text;
}

/* The generated rows equal the table (NaN where expected). */
static int table_matches(const expected_rows *e, const cvseg_import_table *t)
{
    int same = t->rows == e->rows && t->skipped_missing_member == e->skipped;
    for (int64_t r = 0; r < e->rows && same; ++r) {
        const double amount = ((const double *)t->data[CVSEG_FIELD_AMOUNT])[r];
        const int64_t order = ((const int64_t *)t->data[CVSEG_FIELD_ORDER_ID])[r];
        same = ((const int64_t *)t->data[CVSEG_FIELD_MEMBER_ID])[r] == e->member[r] &&
               ((const int32_t *)t->data[CVSEG_FIELD_DATE])[r] == e->date[r] &&
               ((const int32_t *)t->data[CVSEG_FIELD_QUANTITY])[r] == e->quantity[r] &&
               (isnan(e->amount[r]) ? isnan(amount) : amount == e->amount[r]) &&
               (e->order[r] >= 0 ? order == e->order[r] : order >= 0 && order != 536365 + r);
        if (!same)
            fprintf(stderr, "\n  row %lld differs\n", (long long)r);
    }
    return same;
}

static const char *const tx_maps[] = {"member_id=id", "date=when",    "amount=amt",
                                      "quantity=qty", "order_id=inv", NULL};

static void check_ranks(int skip)
{
    expected_rows e;
    char *text = make_csv(&e, skip);
    cvseg_import_plan plan;
    int64_t begin = 0, begin_line = 0;
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ',', tx_maps);
    plan.skip_missing_member = skip;
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &begin_line), CVSEG_OK);
    cvseg_import_table one;
    CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, 1, &one), CVSEG_OK);
    CU_ASSERT_TRUE(table_matches(&e, &one));
    CVSEG_ASSERT_EQUAL_I64(one.rows_read, e.rows + e.skipped);
    const int ps[] = {2, 3, 7};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; ++k) {
        cvseg_import_table all;
        CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, ps[k], &all), CVSEG_OK);
        CU_ASSERT_TRUE(same_tables(&plan, &one, &all));
        CU_ASSERT_TRUE(table_matches(&e, &all));
        cvseg_import_table_free(&all);
    }
    cvseg_import_table_free(&one);
    cvseg_import_plan_free(&plan);
    free(text);
}

static void test_ranks_csv(void)
{
    check_ranks(0);
}

static void test_ranks_missing_member(void)
{
    check_ranks(1);
}

/* A bad line: every P reports it (the first failing rank in rank order)
 * with the same global line number and message as one rank. */
static void test_ranks_first_bad_line(void)
{
    expected_rows e;
    char *text = make_csv(&e, 0);
    cvseg_import_plan plan;
    int64_t begin = 0, begin_line = 0;
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ',', tx_maps);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &begin_line), CVSEG_OK);
    /* Two bad members: the first data lines from line 150 and from line 300
     * on (data lines start with " <id>", blank ones with two blanks). */
    int64_t line = 1, bad_line = 0;
    int marked = 0;
    for (char *at = text; *at && marked < 2; ++at) {
        if (*at != '\n')
            continue;
        ++line; /* at + 1 starts line `line` */
        if (line >= (marked ? 300 : 150) && at[1] == ' ' && at[2] != ' ') {
            at[2] = 'x';
            bad_line = marked++ ? bad_line : line;
        }
    }
    CU_ASSERT_EQUAL(bad_line >= 150 && bad_line < 160, 1);
    char expected[256] = "";
    cvseg_import_table t;
    const cvseg_status one = parse_ranks(&plan, text, begin, begin_line, 1, &t);
    cvseg_import_table_free(&t);
    snprintf(expected, sizeof expected, "%s", cvseg_error_message());
    CU_ASSERT_EQUAL(one, CVSEG_EDATA);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "file 'in.csv', line %lld, column 'id': 'x",
             (long long)bad_line);
    CU_ASSERT_EQUAL(strncmp(expected, prefix, strlen(prefix)), 0);
    for (int p = 2; p <= 7; ++p) {
        CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, p, &t), CVSEG_EDATA);
        CU_ASSERT_TRUE(message_is(expected));
        cvseg_import_table_free(&t);
    }
    cvseg_import_plan_free(&plan);
    free(text);
}

/* A CDNOW-style text (blanks, a header, the master layout) at P ranks. */
static void test_ranks_cdnow(void)
{
    enum { N = 300 };
    char *text = malloc(N * 64 + 64);
    int64_t member[N], amount_cents[N];
    int32_t date[N], cds[N];
    size_t used = (size_t)sprintf(text, "customer_id date number_of_cds dollar_value\n");
    for (int k = 0; k < N; ++k) {
        member[k] = 1 + (int64_t)(next_u64() % 23570);
        const int y = 1997 + (int)(next_u64() % 2), m = 1 + (int)(next_u64() % 12);
        const int d = 1 + (int)(next_u64() % 28);
        date[k] = civil_days(y, m, d);
        cds[k] = (int32_t)(next_u64() % 9);
        amount_cents[k] = (int64_t)(next_u64() % 100000);
        used +=
            (size_t)sprintf(text + used, "%s%05lld %04d%02d%02d\t%d %lld.%02lld\n",
                            k % 4 ? "" : "  ", (long long)member[k], y, m, d, cds[k],
                            (long long)(amount_cents[k] / 100), (long long)(amount_cents[k] % 100));
    }
    cvseg_import_plan plan;
    int64_t begin = 0, begin_line = 0;
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 1, 0, NULL);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &begin_line), CVSEG_OK);
    for (int p = 1; p <= 7; p += p < 3 ? 1 : 4) {
        cvseg_import_table t;
        CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, p, &t), CVSEG_OK);
        CVSEG_ASSERT_EQUAL_I64(t.rows, N);
        int same = t.rows == N;
        for (int k = 0; k < N && same; ++k) {
            char decimal[32];
            sprintf(decimal, "%lld.%02lld", (long long)(amount_cents[k] / 100),
                    (long long)(amount_cents[k] % 100));
            same = ((int64_t *)t.data[CVSEG_FIELD_MEMBER_ID])[k] == member[k] &&
                   ((int32_t *)t.data[CVSEG_FIELD_DATE])[k] == date[k] &&
                   ((int32_t *)t.data[CVSEG_FIELD_QUANTITY])[k] == cds[k] &&
                   ((double *)t.data[CVSEG_FIELD_AMOUNT])[k] == strtod(decimal, NULL);
        }
        CU_ASSERT_TRUE(same);
        CU_ASSERT_PTR_NULL(t.data[CVSEG_FIELD_ORDER_ID]);
        cvseg_import_table_free(&t);
    }
    cvseg_import_plan_free(&plan);
    free(text);
}

/* Derived fields of an airline export, a product and a constant reference
 * date column, at P ranks. */
static void test_ranks_derived(void)
{
    enum { N = 60 };
    char *text = malloc(N * 96 + 128);
    size_t used = (size_t)sprintf(text, "ID,FFP,LOAD,FC,Y1,Y2,KM,REC,DISC\n");
    double y1[N], y2[N];
    int32_t rec[N], fc[N];
    for (int k = 0; k < N; ++k) {
        y1[k] = k % 7 ? (double)(next_u64() % 100000) / 8.0 : NAN;
        y2[k] = (double)(next_u64() % 100000) / 16.0;
        rec[k] = (int32_t)(next_u64() % 700);
        fc[k] = (int32_t)(next_u64() % 300);
        char y1_text[32] = "";
        if (!isnan(y1[k]))
            sprintf(y1_text, "%.17g", y1[k]);
        used += (size_t)sprintf(text + used, "%d,2006/11/2,2014/3/31,%d,%s,%.17g,%d,%d,0.9\n",
                                1000 + k, fc[k], y1_text, y2[k], 5 * k, rec[k]);
    }
    const char *const maps[] = {"member_id=ID",      "join_date=FFP",
                                "flight_count=FC",   "seg_km_sum=KM",
                                "fare_yr1=Y1",       "fare_yr2=Y2",
                                "avg_discount=DISC", "reference_date=LOAD",
                                "recency_days=REC",  NULL};
    cvseg_import_plan plan;
    int64_t begin = 0, begin_line = 0;
    settings(&plan, CVSEG_KIND_MEMBERS, 0, ',', maps);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &begin_line), CVSEG_OK);
    CU_ASSERT_TRUE(cvseg_import_is_airline(&plan));
    const int32_t reference = civil_days(2014, 3, 31);
    for (int p = 1; p <= 7; p += p < 3 ? 1 : 4) {
        cvseg_import_table t;
        CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, p, &t), CVSEG_OK);
        int same = t.rows == N;
        for (int k = 0; k < N && same; ++k) {
            const double m = ((double *)t.data[CVSEG_FIELD_MONETARY])[k];
            same = ((int32_t *)t.data[CVSEG_FIELD_LAST_PURCHASE])[k] == reference - rec[k] &&
                   ((int32_t *)t.data[CVSEG_FIELD_FREQUENCY])[k] == fc[k] &&
                   ((int32_t *)t.data[CVSEG_FIELD_JOIN_DATE])[k] == civil_days(2006, 11, 2) &&
                   (isnan(y1[k]) ? isnan(m) : m == y1[k] + y2[k]);
        }
        CU_ASSERT_TRUE(same);
        cvseg_import_table_free(&t);
    }
    /* A row whose reference date differs. */
    char *load = strstr(strstr(text, "\n1030,") + 1, "2014/3/31");
    memcpy(load, "2014/4/01", 9);
    cvseg_import_table t;
    CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, 3, &t), CVSEG_EDATA);
    CU_ASSERT_TRUE(message_is("file 'in.csv', line 32, column 'LOAD': '2014/4/01' differs from "
                              "the reference date 2014-03-31 of line 2 (every row must hold the "
                              "same date)"));
    cvseg_import_table_free(&t);
    cvseg_import_plan_free(&plan);
    free(text);
}

/* Products: the IEEE product of the two parsed doubles, NaN from an empty
 * factor; at P ranks. */
static void test_ranks_product(void)
{
    const char *text = "c,d,q,p\n1,2011-01-01,3,0.1\n2,2011-01-02,-2,\n3,2011-01-03,7,1e-3\n";
    const char *const maps[] = {"member_id=c", "date=d", "amount=q*p", NULL};
    cvseg_import_plan plan;
    int64_t begin = 0, begin_line = 0;
    settings(&plan, CVSEG_KIND_TRANSACTIONS, 0, ',', maps);
    CU_ASSERT_EQUAL_FATAL(plan_text(&plan, text, &begin, &begin_line), CVSEG_OK);
    for (int p = 1; p <= 7; p += p < 3 ? 1 : 4) {
        cvseg_import_table t;
        CU_ASSERT_EQUAL(parse_ranks(&plan, text, begin, begin_line, p, &t), CVSEG_OK);
        CU_ASSERT_EQUAL_FATAL(t.rows, 3);
        const double *amount = t.data[CVSEG_FIELD_AMOUNT];
        volatile double three = 3.0, tenth = 0.1, seven = 7.0, milli = 1e-3;
        CVSEG_ASSERT_SAME_DOUBLE(amount[0], three * tenth);
        CU_ASSERT_TRUE(isnan(amount[1]));
        CVSEG_ASSERT_SAME_DOUBLE(amount[2], seven * milli);
        cvseg_import_table_free(&t);
    }
    cvseg_import_plan_free(&plan);
}

int main(void)
{
    CU_TestInfo tests[] = {{"plan: CDNOW master, sample, header widths", test_plan_cdnow},
                           {"plan: CDNOW errors", test_plan_cdnow_errors},
                           {"plan: CSV header, quotes, --map, repeated names", test_plan_csv},
                           {"plan: CSV products A*B", test_plan_csv_products},
                           {"plan: CSV errors (messages)", test_plan_csv_errors},
                           {"plan: reference date column, recency", test_plan_reference},
                           {"plan: --map values", test_plan_map},
                           {"cells: values", test_cells},
                           {"cells: errors (messages)", test_cell_errors},
                           {"rows: split, quotes, field counts", test_split_rows},
                           {"P ranks: CSV = one rank = generated", test_ranks_csv},
                           {"P ranks: --missing-member skip", test_ranks_missing_member},
                           {"P ranks: first bad line", test_ranks_first_bad_line},
                           {"P ranks: CDNOW", test_ranks_cdnow},
                           {"P ranks: derived airline fields, reference", test_ranks_derived},
                           {"P ranks: products", test_ranks_product},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("text_parse", tests);
}
