/* test_csv.c: line and field splitting, integer, number and date cells. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cunit_main.h"
#include "cvseg/csv.h"

#define MAX_FIELDS 16

typedef struct {
    char scratch[512];
    cvseg_field fields[MAX_FIELDS];
    int n;
    cvseg_csv_problem problem;
    cvseg_status status;
} split_result;

/* The fields point into r->scratch, so the result is filled in place (a
 * returned copy would point into the callee's stack). */
static void csv(split_result *r, const char *line, char delimiter)
{
    memset(r, 0, sizeof *r);
    r->status = cvseg_csv_split(line, strlen(line), delimiter, r->scratch, r->fields, MAX_FIELDS,
                                &r->n, &r->problem);
}

static void ws(split_result *r, const char *line)
{
    memset(r, 0, sizeof *r);
    r->status = cvseg_ws_split(line, strlen(line), r->scratch, r->fields, MAX_FIELDS, &r->n);
}

/* Field k equals text (and is NUL-terminated at its length). */
static int field_is(const split_result *r, int k, const char *text)
{
    return k < r->n && r->fields[k].length == strlen(text) &&
           memcmp(r->fields[k].text, text, r->fields[k].length) == 0 &&
           r->fields[k].text[r->fields[k].length] == '\0';
}

static void test_csv_plain(void)
{
    split_result r;
    csv(&r, "1,2024-01-31,3.5", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(r.n, 3);
    CU_ASSERT(field_is(&r, 0, "1"));
    CU_ASSERT(field_is(&r, 1, "2024-01-31"));
    CU_ASSERT(field_is(&r, 2, "3.5"));
    csv(&r, "a;b", ';');
    CVSEG_ASSERT_EQUAL_I64(r.n, 2);
    CU_ASSERT(field_is(&r, 1, "b"));
    csv(&r, "a\tb c\t d", '\t');
    CVSEG_ASSERT_EQUAL_I64(r.n, 3);
    CU_ASSERT(field_is(&r, 1, "b c"));
    CU_ASSERT(field_is(&r, 2, " d")); /* unquoted fields are verbatim */
}

static void test_csv_empty_fields(void)
{
    split_result r;
    csv(&r, "", ',');
    CVSEG_ASSERT_EQUAL_I64(r.n, 1);
    CU_ASSERT(field_is(&r, 0, ""));
    csv(&r, ",,", ',');
    CVSEG_ASSERT_EQUAL_I64(r.n, 3);
    CU_ASSERT(field_is(&r, 0, "") && field_is(&r, 1, "") && field_is(&r, 2, ""));
    csv(&r, "1,,3,", ',');
    CVSEG_ASSERT_EQUAL_I64(r.n, 4);
    CU_ASSERT(field_is(&r, 1, ""));
    CU_ASSERT(field_is(&r, 2, "3"));
    CU_ASSERT(field_is(&r, 3, ""));
}

static void test_csv_quotes(void)
{
    split_result r;
    csv(&r, "\"a,b\",c", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(r.n, 2);
    CU_ASSERT(field_is(&r, 0, "a,b"));
    CU_ASSERT(field_is(&r, 1, "c"));
    csv(&r, "\"say \"\"hi\"\"\",\"\"", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(r.n, 2);
    CU_ASSERT(field_is(&r, 0, "say \"hi\""));
    CU_ASSERT(field_is(&r, 1, ""));
    csv(&r, "\"\"\"\"", ',');
    CU_ASSERT(field_is(&r, 0, "\""));
    /* Blanks around a quoted field are dropped; inside it they are kept. */
    csv(&r, " \" x \" ,y", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CU_ASSERT(field_is(&r, 0, " x "));
    CU_ASSERT(field_is(&r, 1, "y"));
    /* A quote inside an unquoted field is an ordinary byte. */
    csv(&r, "ab\"c,d", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CU_ASSERT(field_is(&r, 0, "ab\"c"));
}

static void test_csv_quote_errors(void)
{
    split_result r;
    csv(&r, "1,\"open", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_EDATA);
    CU_ASSERT_EQUAL(r.problem, CVSEG_CSV_OPEN_QUOTE);
    CVSEG_ASSERT_EQUAL_I64(r.n, 1);
    csv(&r, "\"a\"b,c", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_EDATA);
    CU_ASSERT_EQUAL(r.problem, CVSEG_CSV_AFTER_QUOTE);
    CU_ASSERT(strlen(cvseg_csv_problem_text(CVSEG_CSV_OPEN_QUOTE)) > 0);
}

static void test_csv_trailing_cr(void)
{
    split_result r;
    csv(&r, "a,b\r", ',');
    CVSEG_ASSERT_EQUAL_I64(r.n, 2);
    CU_ASSERT(field_is(&r, 1, "b"));
    csv(&r, "a,\"b\"\r", ',');
    CU_ASSERT_EQUAL(r.status, CVSEG_OK);
    CU_ASSERT(field_is(&r, 1, "b"));
}

static void test_csv_more_fields_than_room(void)
{
    char scratch[64];
    cvseg_field fields[2];
    int n = 0;
    cvseg_csv_problem problem;
    const char *line = "1,2,3,4,5";
    CU_ASSERT_EQUAL(cvseg_csv_split(line, strlen(line), ',', scratch, fields, 2, &n, &problem),
                    CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(n, 5);
    CU_ASSERT(fields[1].length == 1 && fields[1].text[0] == '2');
}

static void test_whitespace(void)
{
    split_result r;
    ws(&r, " 00001 19970101  1   11.77\r");
    CVSEG_ASSERT_EQUAL_I64(r.n, 4);
    CU_ASSERT(field_is(&r, 0, "00001"));
    CU_ASSERT(field_is(&r, 1, "19970101"));
    CU_ASSERT(field_is(&r, 3, "11.77"));
    ws(&r, "a\t\tb");
    CVSEG_ASSERT_EQUAL_I64(r.n, 2);
    CU_ASSERT(field_is(&r, 1, "b"));
    ws(&r, "   \t ");
    CVSEG_ASSERT_EQUAL_I64(r.n, 0);
    ws(&r, "");
    CVSEG_ASSERT_EQUAL_I64(r.n, 0);
}

static void test_next_line(void)
{
    const char data[] = "a,b\r\n\nlast";
    size_t pos = 0, length = 0;
    const char *line = NULL;
    CU_ASSERT(cvseg_next_line(data, sizeof data - 1, &pos, &line, &length));
    CU_ASSERT(length == 3 && memcmp(line, "a,b", 3) == 0);
    CU_ASSERT(cvseg_next_line(data, sizeof data - 1, &pos, &line, &length));
    CVSEG_ASSERT_EQUAL_I64(length, 0);
    CU_ASSERT(cvseg_next_line(data, sizeof data - 1, &pos, &line, &length));
    CU_ASSERT(length == 4 && memcmp(line, "last", 4) == 0);
    CU_ASSERT(!cvseg_next_line(data, sizeof data - 1, &pos, &line, &length));
    CU_ASSERT(cvseg_is_blank(" \t\r", 3));
    CU_ASSERT(!cvseg_is_blank(" x ", 3));
}

static cvseg_status int_of(const char *text, int64_t min, int64_t max, int64_t *value, int *missing,
                           cvseg_csv_problem *problem)
{
    return cvseg_parse_int(text, strlen(text), min, max, value, missing, problem);
}

static void test_integers(void)
{
    int64_t v = -1;
    int missing = -1;
    cvseg_csv_problem p;
    CU_ASSERT_EQUAL(int_of("42", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, 42);
    CVSEG_ASSERT_EQUAL_I64(missing, 0);
    CU_ASSERT_EQUAL(int_of(" -7 ", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, -7);
    CU_ASSERT_EQUAL(int_of("+00001", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, 1);
    CU_ASSERT_EQUAL(int_of("12.000", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, 12);
    CU_ASSERT_EQUAL(int_of("9223372036854775807", INT64_MIN, INT64_MAX, &v, &missing, &p),
                    CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, INT64_MAX);
    CU_ASSERT_EQUAL(int_of("-9223372036854775808", INT64_MIN, INT64_MAX, &v, &missing, &p),
                    CVSEG_OK);
    CU_ASSERT(v == INT64_MIN);
    CU_ASSERT_EQUAL(int_of("2147483647", INT32_MIN, INT32_MAX, &v, &missing, &p), CVSEG_OK);
    CU_ASSERT_EQUAL(int_of("-0", 0, 10, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v, 0);
}

static void test_integer_errors(void)
{
    int64_t v = 0;
    int missing = 0;
    cvseg_csv_problem p;
    const char *garbage[] = {"abc", "1a", "12.5", "1e3", "--1", "+", "-", ".5", "1 2", "0x10"};
    for (size_t k = 0; k < sizeof garbage / sizeof garbage[0]; ++k) {
        CU_ASSERT_EQUAL(int_of(garbage[k], INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_EDATA);
        CU_ASSERT_EQUAL(p, CVSEG_CSV_NOT_INTEGER);
    }
    CU_ASSERT_EQUAL(int_of("9223372036854775808", INT64_MIN, INT64_MAX, &v, &missing, &p),
                    CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(int_of("-9223372036854775809", INT64_MIN, INT64_MAX, &v, &missing, &p),
                    CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(int_of("99999999999999999999999", INT64_MIN, INT64_MAX, &v, &missing, &p),
                    CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(int_of("2147483648", INT32_MIN, INT32_MAX, &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(int_of("-2147483649", INT32_MIN, INT32_MAX, &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(int_of("-1", 0, 10, &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    /* Below a positive minimum, and *value = 0 on every range error. */
    CU_ASSERT_EQUAL(int_of("3", 5, 10, &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(int_of("-7", -5, 10, &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(int_of("-5", -5, 10, &v, &missing, &p), CVSEG_OK);
    CU_ASSERT_EQUAL(v, -5);
}

static void test_integer_missing(void)
{
    int64_t v = 5;
    int missing = 0;
    cvseg_csv_problem p;
    CU_ASSERT_EQUAL(int_of("", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(missing, 1);
    CU_ASSERT_EQUAL(int_of("  ", INT64_MIN, INT64_MAX, &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(missing, 1);
    CU_ASSERT_EQUAL(int_of("", INT64_MIN, INT64_MAX, &v, NULL, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_EMPTY);
}

static cvseg_status double_of(const char *text, double *value, int *missing,
                              cvseg_csv_problem *problem)
{
    return cvseg_parse_double(text, strlen(text), value, missing, problem);
}

static void test_doubles(void)
{
    double v = 0.0;
    int missing = -1;
    cvseg_csv_problem p;
    CU_ASSERT_EQUAL(double_of("11.77", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 11.77);
    CVSEG_ASSERT_EQUAL_I64(missing, 0);
    CU_ASSERT_EQUAL(double_of(" -0.5 ", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, -0.5);
    CU_ASSERT_EQUAL(double_of("3", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 3.0);
    CU_ASSERT_EQUAL(double_of("5.", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 5.0);
    CU_ASSERT_EQUAL(double_of(".25", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 0.25);
    CU_ASSERT_EQUAL(double_of("1.5e3", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 1500.0);
    CU_ASSERT_EQUAL(double_of("+2E-2", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 0.02);
    CU_ASSERT_EQUAL(double_of("0.1", &v, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(v, 0.1);                                 /* correctly rounded */
    CU_ASSERT_EQUAL(double_of("1e-400", &v, &missing, &p), CVSEG_OK); /* underflow: tiny */
    CU_ASSERT(v >= 0.0 && v < 1e-300);
}

static void test_double_missing_and_errors(void)
{
    double v = 0.0;
    int missing = 0;
    cvseg_csv_problem p;
    CU_ASSERT_EQUAL(double_of("", &v, &missing, &p), CVSEG_OK);
    CU_ASSERT(isnan(v));
    CVSEG_ASSERT_EQUAL_I64(missing, 1);
    CU_ASSERT_EQUAL(double_of(" \t", &v, &missing, &p), CVSEG_OK);
    CU_ASSERT(isnan(v) && missing == 1);
    CU_ASSERT_EQUAL(double_of("NaN", &v, &missing, &p), CVSEG_OK);
    CU_ASSERT(isnan(v) && missing == 1);
    CU_ASSERT_EQUAL(double_of("", &v, NULL, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_EMPTY);
    const char *garbage[] = {"abc",   "1.2.3", "1,5", "1e", "e5",    "inf", "-Infinity",
                             "0x1p3", "1 000", ".",   "-",  "12abc", "$5"};
    for (size_t k = 0; k < sizeof garbage / sizeof garbage[0]; ++k) {
        CU_ASSERT_EQUAL(double_of(garbage[k], &v, &missing, &p), CVSEG_EDATA);
        CU_ASSERT_EQUAL(p, CVSEG_CSV_NOT_NUMBER);
    }
    CU_ASSERT_EQUAL(double_of("1e400", &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(double_of("-1e309", &v, &missing, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_OUT_OF_RANGE);
}

static void test_date_cells(void)
{
    int32_t days = -1;
    int missing = 0;
    cvseg_csv_problem p;
    CU_ASSERT_EQUAL(cvseg_parse_date_cell(" 1970-01-02 ", 12, &days, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, 1);
    CU_ASSERT_EQUAL(cvseg_parse_date_cell("", 0, &days, &missing, &p), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(missing, 1);
    CU_ASSERT_EQUAL(cvseg_parse_date_cell("", 0, &days, NULL, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_EMPTY);
    CU_ASSERT_EQUAL(cvseg_parse_date_cell("2024-13-01", 10, &days, NULL, &p), CVSEG_EDATA);
    CU_ASSERT_EQUAL(p, CVSEG_CSV_NOT_DATE);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"csv: plain fields, other delimiters", test_csv_plain},
        {"csv: empty fields", test_csv_empty_fields},
        {"csv: quoted fields and escaped quotes", test_csv_quotes},
        {"csv: unclosed quote, text after quote", test_csv_quote_errors},
        {"csv: trailing CR", test_csv_trailing_cr},
        {"csv: counts fields beyond the room given", test_csv_more_fields_than_room},
        {"whitespace splitting", test_whitespace},
        {"next line, blank lines", test_next_line},
        {"integers", test_integers},
        {"integers: garbage and overflow", test_integer_errors},
        {"integers: empty is missing", test_integer_missing},
        {"doubles", test_doubles},
        {"doubles: missing, garbage, overflow", test_double_missing_and_errors},
        {"date cells", test_date_cells},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("csv", tests);
}
