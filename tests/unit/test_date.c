/* test_date.c: date parsing (three formats), validation, days <-> civil. */
#include <string.h>

#include "cunit_main.h"
#include "cvseg/date.h"

static cvseg_status parse(const char *text, int32_t *days)
{
    return cvseg_parse_date(text, strlen(text), days);
}

static void test_epoch_and_formats(void)
{
    int32_t days = -1;
    CU_ASSERT_EQUAL(parse("1970-01-01", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, 0);
    CU_ASSERT_EQUAL(parse("19700102", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, 1);
    CU_ASSERT_EQUAL(parse("1969/12/31", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, -1);
    /* All spellings of one date agree. */
    const char *same[] = {"1997-01-01", "19970101", "1997/1/1", "1997/01/01", "1997-1-1"};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; ++k) {
        CU_ASSERT_EQUAL(parse(same[k], &days), CVSEG_OK);
        CVSEG_ASSERT_EQUAL_I64(days, 9862);
    }
    CU_ASSERT_EQUAL(parse("1998/6/30", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, 10407);
    CU_ASSERT_EQUAL(parse("2024-12-31", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, 20088);
    /* Only the given length is read. */
    CU_ASSERT_EQUAL(cvseg_parse_date("2000-03-01junk", 10, &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, cvseg_days_from_civil(2000, 3, 1));
}

static void test_invalid(void)
{
    int32_t days = 12345;
    const char *bad[] = {"",           "2024",        "2024-13-01",  "2024-00-10", "2024-01-00",
                         "2024-01-32", "2024-04-31",  "20241301",    "20240230",   "2024/2/30",
                         "2023-02-29", "1900-02-29",  "2100-02-29",  "24-01-01",   "2024-1-1x",
                         "2024-01/01", "2024_01_01",  "202401011",   "2024011",    "abcd-ef-gh",
                         "0000-01-01", "2024--01-01", "2024-001-01", "1997 01 01"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
        const cvseg_status status = parse(bad[k], &days);
        if (status != CVSEG_EDATA)
            fprintf(stderr, "  '%s' was accepted\n", bad[k]);
        CU_ASSERT_EQUAL(status, CVSEG_EDATA);
    }
    CVSEG_ASSERT_EQUAL_I64(days, 12345); /* untouched on failure */
}

static void test_leap_years(void)
{
    int32_t days = 0;
    CU_ASSERT_EQUAL(parse("2000-02-29", &days), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(days, cvseg_days_from_civil(2000, 3, 1) - 1);
    CU_ASSERT_EQUAL(parse("2024-02-29", &days), CVSEG_OK);
    CU_ASSERT_EQUAL(parse("20000229", &days), CVSEG_OK);
    CU_ASSERT_EQUAL(parse("2000/2/29", &days), CVSEG_OK);
    CU_ASSERT_EQUAL(parse("1900-02-29", &days), CVSEG_EDATA);
    CU_ASSERT_EQUAL(parse("2023-02-29", &days), CVSEG_EDATA);
    CU_ASSERT_EQUAL(parse("19000229", &days), CVSEG_EDATA);
    CU_ASSERT_EQUAL(parse("2023/2/29", &days), CVSEG_EDATA);
    CU_ASSERT_EQUAL(parse("2023-02-28", &days), CVSEG_OK);
}

/* Every day of 1900..2100: civil -> days is consecutive, days -> civil and
 * format -> parse give the same day back. */
static void test_round_trip(void)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int32_t expected = cvseg_days_from_civil(1900, 1, 1);
    CVSEG_ASSERT_EQUAL_I64(expected, -25567);
    long failures = 0;
    for (int year = 1900; year <= 2100; ++year) {
        const int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        for (int month = 1; month <= 12; ++month) {
            const int last = month_days[month - 1] + (month == 2 && leap);
            for (int day = 1; day <= last; ++day, ++expected) {
                const int32_t days = cvseg_days_from_civil(year, month, day);
                int y = 0, m = 0, d = 0;
                cvseg_civil_from_days(days, &y, &m, &d);
                char text[11];
                cvseg_format_date(days, text);
                char iso[40], compact[40], slashed[40];
                snprintf(iso, sizeof iso, "%04d-%02d-%02d", year, month, day);
                snprintf(compact, sizeof compact, "%04d%02d%02d", year, month, day);
                snprintf(slashed, sizeof slashed, "%d/%d/%d", year, month, day);
                int32_t parsed_iso = 0, parsed_compact = 0, parsed_slashed = 0;
                const int ok = days == expected && y == year && m == month && d == day &&
                               strcmp(text, iso) == 0 && parse(iso, &parsed_iso) == CVSEG_OK &&
                               parse(compact, &parsed_compact) == CVSEG_OK &&
                               parse(slashed, &parsed_slashed) == CVSEG_OK && parsed_iso == days &&
                               parsed_compact == days && parsed_slashed == days;
                if (!ok && failures++ < 5)
                    fprintf(stderr, "  %s: days %d (expected %d), back %d-%d-%d, text %s\n", iso,
                            days, expected, y, m, d, text);
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(failures, 0);
    CVSEG_ASSERT_EQUAL_I64(expected, cvseg_days_from_civil(2101, 1, 1));
}

static void test_format(void)
{
    char text[11];
    cvseg_format_date(0, text);
    CU_ASSERT_STRING_EQUAL(text, "1970-01-01");
    cvseg_format_date(-1, text);
    CU_ASSERT_STRING_EQUAL(text, "1969-12-31");
    cvseg_format_date(10407, text);
    CU_ASSERT_STRING_EQUAL(text, "1998-06-30");
    cvseg_format_date(cvseg_days_from_civil(2000, 2, 29), text);
    CU_ASSERT_STRING_EQUAL(text, "2000-02-29");
    cvseg_format_date(cvseg_days_from_civil(9999, 12, 31), text);
    CU_ASSERT_STRING_EQUAL(text, "9999-12-31");
    cvseg_format_date(cvseg_days_from_civil(1, 1, 1), text);
    CU_ASSERT_STRING_EQUAL(text, "0001-01-01");
    CVSEG_ASSERT_EQUAL_I64(strlen(text), 10);
}

int main(void)
{
    CU_TestInfo tests[] = {{"epoch and the three formats", test_epoch_and_formats},
                           {"invalid months, days, shapes", test_invalid},
                           {"leap years", test_leap_years},
                           {"round trip for every day 1900..2100", test_round_trip},
                           {"format", test_format},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("date", tests);
}
