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

static void test_iso_times(void)
{
    int32_t days = -1;
    const int32_t day = cvseg_days_from_civil(2010, 12, 1);
    const char *good[] = {
        "2010-12-01 08:26",         "2010-12-01T08:26:00",    "2010-12-01 8:26",
        "2010-12-01T23:59:59Z",     "2010-12-01T00:00+01:00", "2010-12-01 08:26-05:30",
        "2010-12-01T08:26:00+0100", "2010/12/1 08:26",        "2010-12-01  08:26"};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; ++k) {
        days = -1;
        const cvseg_status status = parse(good[k], &days);
        if (status != CVSEG_OK)
            fprintf(stderr, "  '%s' was refused\n", good[k]);
        CU_ASSERT_EQUAL(status, CVSEG_OK);
        CVSEG_ASSERT_EQUAL_I64(days, day); /* the written day; the offset does not move it */
    }
    const char *bad[] = {"2010-12-01 24:00",
                         "2010-12-01 08:60",
                         "2010-12-01T08:26:60",
                         "2010-12-01 08",
                         "2010-12-01T",
                         "2010-12-01 08:5",
                         "2010-12-01 08:26+24:00",
                         "2010-12-01 08:26+01:60",
                         "2010-12-01 08:26 Z",
                         "2010-12-01x08:26",
                         "20101201 08:26",
                         "2010-02-30 08:26",
                         "2010-12-01 08:26:00.5",
                         "2010-12-01 08:26+1"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
        days = 12345;
        const cvseg_status status = parse(bad[k], &days);
        if (status != CVSEG_EDATA)
            fprintf(stderr, "  '%s' was accepted\n", bad[k]);
        CU_ASSERT_EQUAL(status, CVSEG_EDATA);
        CVSEG_ASSERT_EQUAL_I64(days, 12345);
    }
}

static cvseg_status parse_as(const char *format, const char *text, int32_t *days)
{
    return cvseg_date_parse_format(format, text, strlen(text), days);
}

static void test_formats(void)
{
    const struct {
        const char *format, *text;
        int year, month, day;
    } good[] = {
        {"%m/%d/%Y %H:%M", "12/1/2010 8:26", 2010, 12, 1},
        {"%m/%d/%Y %H:%M", "01/31/2011 23:59", 2011, 1, 31},
        {"%m/%d/%Y %H:%M", "2/29/2012  0:00", 2012, 2, 29},
        {"%d.%m.%Y", "1.2.2011", 2011, 2, 1},
        {"%Y%m%d", "20101201", 2010, 12, 1},
        {"%d %b %Y", "09 dec 2011", 2011, 12, 9},
        {"%d-%b-%y", "9-DEC-11", 2011, 12, 9},
        {"%d-%b-%y", "1-Jan-68", 2068, 1, 1},
        {"%d-%b-%y", "1-Jan-69", 1969, 1, 1},
        {"%d/%m/%y", "31/12/99", 1999, 12, 31},
        {"%Y-%m-%dT%H:%M:%S", "2010-12-01T08:26:05", 2010, 12, 1},
        {"%H:%M:%S %Y/%m/%d", "8:2:3 2010/12/1", 2010, 12, 1},
        {"%d%%%m%%%Y", "1%2%2011", 2011, 2, 1},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; ++k) {
        int32_t days = -1;
        CU_ASSERT_TRUE(cvseg_date_format_valid(good[k].format));
        const cvseg_status status = parse_as(good[k].format, good[k].text, &days);
        if (status != CVSEG_OK)
            fprintf(stderr, "  '%s' with '%s' was refused\n", good[k].text, good[k].format);
        CU_ASSERT_EQUAL(status, CVSEG_OK);
        CVSEG_ASSERT_EQUAL_I64(days,
                               cvseg_days_from_civil(good[k].year, good[k].month, good[k].day));
    }
    const struct {
        const char *format, *text;
    } bad[] = {
        {"%m/%d/%Y %H:%M", "2/30/2012 8:26"},
        {"%m/%d/%Y %H:%M", "2/29/2011 8:26"},
        {"%m/%d/%Y %H:%M", "12/1/2010 24:00"},
        {"%m/%d/%Y %H:%M", "12/1/2010 8:60"},
        {"%m/%d/%Y %H:%M", "13/1/2010 8:26"},
        {"%m/%d/%Y %H:%M", "12/0/2010 8:26"},
        {"%m/%d/%Y %H:%M", "12/1/2010"},
        {"%m/%d/%Y %H:%M", "12/1/2010 8:26:00"},
        {"%m/%d/%Y %H:%M", "12-1-2010 8:26"},
        {"%m/%d/%Y %H:%M", "12/1/2010T8:26"},
        {"%m/%d/%Y %H:%M", ""},
        {"%m/%d/%Y", "123/1/2010"},
        {"%d %b %Y", "1 Foo 2011"},
        {"%Y-%m-%d %H:%M:%S", "2010-12-01 08:26:61"},
        {"%Y-%m-%d", "0000-01-01"},
        {"%d%%%m%%%Y", "1-2-2011"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
        int32_t days = 12345;
        const cvseg_status status = parse_as(bad[k].format, bad[k].text, &days);
        if (status != CVSEG_EDATA)
            fprintf(stderr, "  '%s' with '%s' was accepted\n", bad[k].text, bad[k].format);
        CU_ASSERT_EQUAL(status, CVSEG_EDATA);
        CVSEG_ASSERT_EQUAL_I64(days, 12345);
    }
    const char *invalid[] = {"%m/%d",      "%Y-%m",       "%Y-%d",       "%Y %m %d %q",
                             "%Y-%m-%d %", "%Y %y %m %d", "%Y %m %b %d", "%Y %m %d %d"};
    for (size_t k = 0; k < sizeof invalid / sizeof invalid[0]; ++k)
        CU_ASSERT_FALSE(cvseg_date_format_valid(invalid[k]));
}

int main(void)
{
    CU_TestInfo tests[] = {{"epoch and the three formats", test_epoch_and_formats},
                           {"invalid months, days, shapes", test_invalid},
                           {"leap years", test_leap_years},
                           {"round trip for every day 1900..2100", test_round_trip},
                           {"format", test_format},
                           {"ISO dates with times", test_iso_times},
                           {"--date-format", test_formats},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("date", tests);
}
