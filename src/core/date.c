/* date.c: civil date arithmetic (H. Hinnant's days_from_civil algorithm). */
#include "cvseg/date.h"

int32_t cvseg_days_from_civil(int year, int month, int day)
{
    year -= month <= 2;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const unsigned year_of_era = (unsigned)(year - era * 400);
    const unsigned day_of_year =
        (153u * (unsigned)(month + (month > 2 ? -3 : 9)) + 2u) / 5u + (unsigned)day - 1u;
    const unsigned day_of_era =
        year_of_era * 365u + year_of_era / 4u - year_of_era / 100u + day_of_year;
    return (int32_t)(era * 146097 + (int)day_of_era - 719468);
}

void cvseg_civil_from_days(int32_t days, int *year, int *month, int *day)
{
    const int z = days + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned day_of_era = (unsigned)(z - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460u + day_of_era / 36524u - day_of_era / 146096u) / 365u;
    const int y = (int)year_of_era + era * 400;
    const unsigned day_of_year =
        day_of_era - (365u * year_of_era + year_of_era / 4u - year_of_era / 100u);
    const unsigned mp = (5u * day_of_year + 2u) / 153u;
    *day = (int)(day_of_year - (153u * mp + 2u) / 5u + 1u);
    *month = (int)(mp < 10u ? mp + 3u : mp - 9u);
    *year = y + (*month <= 2);
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 ? 28 + leap : days[month - 1];
}

/* Reads 1..max_digits decimal digits; returns the number of digits read. */
static size_t read_digits(const char *text, size_t length, size_t max_digits, int *value)
{
    size_t used = 0;
    int v = 0;
    while (used < length && used < max_digits && text[used] >= '0' && text[used] <= '9') {
        v = v * 10 + (text[used] - '0');
        ++used;
    }
    *value = v;
    return used;
}

cvseg_status cvseg_parse_date(const char *text, size_t length, int32_t *days)
{
    cvseg_status status = CVSEG_EDATA;
    int year = 0, month = 0, day = 0;
    size_t pos = read_digits(text, length, 4, &year);
    if (pos != 4)
        goto done;
    if (pos == length)
        goto done;
    if (text[pos] == '-' || text[pos] == '/') {
        const char separator = text[pos++];
        size_t used = read_digits(text + pos, length - pos, 2, &month);
        if (used == 0)
            goto done;
        pos += used;
        if (pos >= length || text[pos] != separator)
            goto done;
        ++pos;
        used = read_digits(text + pos, length - pos, 2, &day);
        if (used == 0)
            goto done;
        pos += used;
    } else {
        if (length != 8 || read_digits(text + 4, 2, 2, &month) != 2 ||
            read_digits(text + 6, 2, 2, &day) != 2)
            goto done;
        pos = 8;
    }
    if (pos != length || year < 1 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month))
        goto done;
    *days = cvseg_days_from_civil(year, month, day);
    status = CVSEG_OK;
done:
    return status;
}

void cvseg_format_date(int32_t days, char out[11])
{
    int year, month, day;
    cvseg_civil_from_days(days, &year, &month, &day);
    /* Years outside 0..9999 are clamped so the text keeps its 10 characters. */
    const unsigned y = (unsigned)(year < 0 ? 0 : year > 9999 ? 9999 : year);
    const unsigned m = (unsigned)month % 13u, d = (unsigned)day % 32u;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}
