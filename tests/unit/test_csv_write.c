/* test_csv_write.c: CSV output of `cvseg export`: shortest round-trip numbers
 * (random doubles and floats incl. subnormals, +-0, extremes), RFC 4180
 * escaping, typed rows, gzip members (inflated with zlib, concatenated). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cunit_main.h"
#include "cvseg/csv_write.h"

static uint64_t test_state = 0x9E3779B97F4A7C15u;

static uint64_t next_bits(void)
{
    /* SplitMix64 (independent of the engine's rng.h). */
    uint64_t z = (test_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double double_from_bits(uint64_t bits)
{
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* Significant digits of a number's text (leading and trailing zeros dropped). */
static int significant_digits(const char *text)
{
    char digits[64];
    int n = 0;
    for (const char *p = text; *p && *p != 'e' && n < 63; ++p)
        if (*p >= '0' && *p <= '9' && (n > 0 || *p != '0'))
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        --n;
    return n;
}

/* The text must read back bit-identically; for normal numbers it has the
 * fewest significant digits that read back (found by trying 1..17). Returns
 * 1 when x passes (prints the first few that do not). */
static int check_double(double x)
{
    static int printed = 0;
    char text[CVSEG_CSV_NUMBER_MAX], shortest[64];
    const size_t length = cvseg_csv_format_double(x, text);
    const double back = strtod(text, NULL);
    int d = 1;
    while (isnormal(x) && d < 17) {
        snprintf(shortest, sizeof shortest, "%.*g", d, x);
        if (strtod(shortest, NULL) == x)
            break;
        ++d;
    }
    const int ok = length == strlen(text) && memcmp(&back, &x, sizeof x) == 0 &&
                   (!isnormal(x) || significant_digits(text) == d);
    if (!ok && printed++ < 5)
        fprintf(stderr, "  %a written as '%s' reads back as %a (%d digits suffice)\n", x, text,
                back, d);
    return ok;
}

static void test_double_round_trip(void)
{
    long failures = 0, checked = 0;
    /* Random bit patterns cover every exponent, subnormals included. */
    for (int i = 0; i < 200000; ++i) {
        const double x = double_from_bits(next_bits());
        if (!isnan(x)) {
            failures += !check_double(x);
            ++checked;
        }
    }
    /* Subnormals, +-0, extremes, decimal-looking values. */
    for (int i = 0; i < 20000; ++i, ++checked)
        failures += !check_double(double_from_bits(next_bits() & 0x800FFFFFFFFFFFFFu));
    const double special[] = {
        0.0,  -0.0,   DBL_MIN, DBL_MAX, -DBL_MAX, DBL_TRUE_MIN,       0.1,  0.2, 0.3, 1.0 / 3.0,
        1e23, 5e-324, 123.45,  -1e-300, 2e15,     9007199254740993.0, 1e16, 0.5};
    for (size_t k = 0; k < sizeof special / sizeof special[0]; ++k, ++checked)
        failures += !check_double(special[k]);
    for (int i = 0; i < 100000; ++i, ++checked) /* money with 2 decimals */
        failures += !check_double((double)(next_bits() % 100000000u) / 100.0);
    if (failures)
        fprintf(stderr, "  %ld of %ld doubles failed\n", failures, checked);
    CVSEG_ASSERT_EQUAL_I64(failures, 0);
}

static void test_double_spelling(void)
{
    char text[CVSEG_CSV_NUMBER_MAX];
    const struct {
        double x;
        const char *text;
    } cases[] = {{0.1, "0.1"},
                 {12.0, "12.0"},
                 {-0.0, "-0.0"},
                 {0.0, "0.0"},
                 {123.45, "123.45"},
                 {1e20, "1e+20"},
                 {1.0 / 3.0, "0.3333333333333333"},
                 {2.5e-7, "2.5e-07"},
                 {INFINITY, "inf"},
                 {-INFINITY, "-inf"},
                 {0.30000000000000004, "3.0000000000000004e-01"},
                 {1.2345678901234567e-04, "1.2345678901234567e-04"},
                 {0.000125, "0.000125"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        cvseg_csv_format_double(cases[k].x, text);
        if (strcmp(text, cases[k].text) != 0)
            fprintf(stderr, "  %a: '%s', expected '%s'\n", cases[k].x, text, cases[k].text);
        CU_ASSERT_STRING_EQUAL(text, cases[k].text);
    }
    CU_ASSERT_EQUAL(cvseg_csv_format_double(NAN, text), 0);
    CU_ASSERT_STRING_EQUAL(text, "");
}

static void test_float_round_trip(void)
{
    char text[CVSEG_CSV_NUMBER_MAX];
    long failures = 0;
    for (int i = 0; i < 300000; ++i) {
        const uint32_t bits = (uint32_t)next_bits();
        float x;
        memcpy(&x, &bits, sizeof x);
        if (isnan(x))
            continue;
        cvseg_csv_format_float(x, text);
        const float back = strtof(text, NULL);
        if (memcmp(&back, &x, sizeof x) != 0 && failures < 5)
            fprintf(stderr, "  %a written as '%s' reads back as %a\n", (double)x, text,
                    (double)back);
        failures += memcmp(&back, &x, sizeof x) != 0;
    }
    CVSEG_ASSERT_EQUAL_I64(failures, 0);
    cvseg_csv_format_float(0.1f, text);
    CU_ASSERT_STRING_EQUAL(text, "0.1");
    cvseg_csv_format_float(3.0f, text);
    CU_ASSERT_STRING_EQUAL(text, "3.0");
    CU_ASSERT_EQUAL(cvseg_csv_format_float(NAN, text), 0);
}

static void check_field(const char *in, const char *expected)
{
    cvseg_text out = {0};
    CU_ASSERT_EQUAL(cvseg_csv_append_field(&out, in, strlen(in)), CVSEG_OK);
    CU_ASSERT_EQUAL(out.length, strlen(expected));
    CU_ASSERT(out.length == strlen(expected) &&
              (out.length == 0 || memcmp(out.data, expected, out.length) == 0));
    cvseg_text_free(&out);
}

static void test_escaping(void)
{
    check_field("plain", "plain");
    check_field("", "");
    check_field("a,b", "\"a,b\"");
    check_field("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_field("two\nlines", "\"two\nlines\"");
    check_field("cr\r", "\"cr\r\"");
    check_field("\"", "\"\"\"\"");
    check_field("semi;colon tab\t", "semi;colon tab\t");
}

/* Rows of every kind; the header; a refused date and enum value. */
static void test_rows(void)
{
    static const char *names[256] = {[0] = "ok", [1] = "general, keep", [3] = "q\"x"};
    const int64_t ids[3] = {1, -9000000000000000000, 42};
    const int64_t days[3] = {0, 10407, -719162};
    const double money[3] = {0.1, NAN, -2.5};
    const float distance[3] = {0.25f, 1.0f / 3.0f, -0.0f};
    const uint8_t status[3] = {0, 1, 3};
    cvseg_csv_column columns[5] = {{"member_id", CVSEG_CSV_INTEGER, ids, NULL},
                                   {"day", CVSEG_CSV_DATE, days, NULL},
                                   {"monetary", CVSEG_CSV_DOUBLE, money, NULL},
                                   {"distance,z", CVSEG_CSV_FLOAT, distance, NULL},
                                   {"status", CVSEG_CSV_ENUM, status, names}};
    cvseg_text out = {0};
    cvseg_csv_bad bad;
    CU_ASSERT_EQUAL(cvseg_csv_append_header(&out, 5, columns), CVSEG_OK);
    CU_ASSERT_EQUAL(cvseg_csv_append_rows(&out, 5, columns, 3, 0, &bad), CVSEG_OK);
    const char *expected = "member_id,day,monetary,\"distance,z\",status\n"
                           "1,1970-01-01,0.1,0.25,ok\n"
                           "-9000000000000000000,1998-06-30,,0.33333334,\"general, keep\"\n"
                           "42,0001-01-01,-2.5,-0.0,\"q\"\"x\"\n";
    CU_ASSERT_EQUAL(out.length, strlen(expected));
    if (out.length != strlen(expected) || memcmp(out.data, expected, out.length) != 0)
        fprintf(stderr, "  got:\n%.*s", (int)out.length, out.data);
    CU_ASSERT(out.length == strlen(expected) && memcmp(out.data, expected, out.length) == 0);
    const size_t before = out.length;
    const int64_t bad_days[2] = {0, 2932897};
    columns[1].values = bad_days;
    CU_ASSERT_EQUAL(cvseg_csv_append_rows(&out, 2, columns, 2, 0, &bad), CVSEG_EDATA);
    CVSEG_ASSERT_EQUAL_I64(bad.row, 1);
    CVSEG_ASSERT_EQUAL_I64(bad.column, 1);
    CVSEG_ASSERT_EQUAL_I64(bad.value, 2932897);
    const uint8_t bad_status[3] = {0, 2, 0};
    columns[4].values = bad_status;
    columns[1].values = days;
    CU_ASSERT_EQUAL(cvseg_csv_append_rows(&out, 5, columns, 3, 0, &bad), CVSEG_EDATA);
    CVSEG_ASSERT_EQUAL_I64(bad.row, 1);
    CVSEG_ASSERT_EQUAL_I64(bad.column, 4);
    CVSEG_ASSERT_EQUAL_I64(bad.value, 2);
    CU_ASSERT_EQUAL(out.length, before);
    cvseg_text_free(&out);
}

/* Inflates concatenated gzip members (as gzip -d and Python's gzip do). */
static int inflate_all(const cvseg_text *in, cvseg_text *out)
{
    size_t at = 0;
    while (at < in->length) {
        z_stream stream = {0};
        if (inflateInit2(&stream, 15 + 16) != Z_OK)
            return -1;
        stream.next_in = (Bytef *)(in->data + at);
        stream.avail_in = (uInt)(in->length - at);
        int result = Z_OK;
        while (result == Z_OK) {
            if (cvseg_text_reserve(out, 65536) != CVSEG_OK)
                return -1;
            stream.next_out = (Bytef *)(out->data + out->length);
            stream.avail_out = 65536;
            result = inflate(&stream, Z_NO_FLUSH);
            out->length += 65536 - stream.avail_out;
        }
        at += (size_t)(stream.next_in - (Bytef *)(in->data + at));
        inflateEnd(&stream);
        if (result != Z_STREAM_END)
            return -1;
    }
    return 0;
}

/* Many blocks: plain and gzip give the same text for 1 and 2 threads, the
 * gzip bytes do not depend on the thread count either. */
static void test_blocks_and_gzip(void)
{
    const int64_t n = 3 * CVSEG_CSV_BLOCK_ROWS + 77;
    int64_t *ids = malloc((size_t)n * sizeof *ids);
    double *values = malloc((size_t)n * sizeof *values);
    for (int64_t i = 0; i < n; ++i) {
        ids[i] = i * 7 - 5;
        values[i] = double_from_bits(next_bits() >> 2);
    }
    const cvseg_csv_column columns[2] = {{"id", CVSEG_CSV_INTEGER, ids, NULL},
                                         {"x", CVSEG_CSV_DOUBLE, values, NULL}};
    cvseg_text plain[2] = {{0}}, packed[2] = {{0}}, unpacked = {0}, serial = {0};
    cvseg_csv_bad bad;
    for (int t = 0; t < 2; ++t) {
        omp_set_num_threads(t + 1);
        CU_ASSERT_EQUAL(cvseg_csv_append_rows(&plain[t], 2, columns, n, 0, &bad), CVSEG_OK);
        CU_ASSERT_EQUAL(cvseg_csv_append_rows(&packed[t], 2, columns, n, 6, &bad), CVSEG_OK);
    }
    CU_ASSERT(plain[0].length == plain[1].length &&
              memcmp(plain[0].data, plain[1].data, plain[0].length) == 0);
    CU_ASSERT(packed[0].length == packed[1].length &&
              memcmp(packed[0].data, packed[1].data, packed[0].length) == 0);
    CU_ASSERT(packed[0].length < plain[0].length);
    /* The blocks' text equals one row at a time. */
    char line[128];
    for (int64_t i = 0; i < n; ++i) {
        char number[CVSEG_CSV_NUMBER_MAX];
        cvseg_csv_format_double(values[i], number);
        const int length = snprintf(line, sizeof line, "%lld,%s\n", (long long)ids[i], number);
        cvseg_text_append(&serial, line, (size_t)length);
    }
    CU_ASSERT(serial.length == plain[0].length &&
              memcmp(serial.data, plain[0].data, serial.length) == 0);
    CU_ASSERT_EQUAL(inflate_all(&packed[0], &unpacked), 0);
    CU_ASSERT(unpacked.length == plain[0].length &&
              memcmp(unpacked.data, plain[0].data, unpacked.length) == 0);
    for (int t = 0; t < 2; ++t) {
        cvseg_text_free(&plain[t]);
        cvseg_text_free(&packed[t]);
    }
    cvseg_text_free(&unpacked);
    cvseg_text_free(&serial);
    free(ids);
    free(values);
}

/* An empty member (no rows) is still valid gzip; a member of a large text. */
static void test_gzip_member(void)
{
    cvseg_text packed = {0}, unpacked = {0};
    CU_ASSERT_EQUAL(cvseg_gzip_append_member(&packed, "", 0, 6), CVSEG_OK);
    CU_ASSERT(packed.length >= 20);
    const size_t n = 5u << 20;
    char *big = malloc(n);
    for (size_t i = 0; i < n; ++i)
        big[i] = (char)('a' + next_bits() % 3);
    CU_ASSERT_EQUAL(cvseg_gzip_append_member(&packed, big, n, 1), CVSEG_OK);
    CU_ASSERT_EQUAL(inflate_all(&packed, &unpacked), 0);
    CU_ASSERT(unpacked.length == n && memcmp(unpacked.data, big, n) == 0);
    free(big);
    cvseg_text_free(&packed);
    cvseg_text_free(&unpacked);
}

int main(void)
{
    CU_TestInfo tests[] = {{"double round trip (random bits, subnormals)", test_double_round_trip},
                           {"double spelling", test_double_spelling},
                           {"float round trip", test_float_round_trip},
                           {"RFC 4180 escaping", test_escaping},
                           {"typed rows, header, refused values", test_rows},
                           {"blocks, threads, gzip members", test_blocks_and_gzip},
                           {"gzip member", test_gzip_member},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("csv_write", tests);
}
