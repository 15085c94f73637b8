/* date.c: civil date arithmetic (H. Hinnant's days_from_civil algorithm). */
#include "cvseg/date.h"

#include <string.h>

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

static int date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 ? 28 + leap : days[month - 1];
}

/* Reads 1..max_digits decimal digits; returns the number of digits read. */
static size_t date_read_digits(const char *text, size_t length, size_t max_digits, int *value)
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

/* Reads "HH:MM[:SS]" from text[*pos..length) with 1..2 digits per field and
 * range checks; advances *pos. Returns 1 on success. */
static int date_read_clock(const char *text, size_t length, size_t *pos)
{
    int hour = 0, minute = 0, second = 0;
    size_t at = *pos, used = date_read_digits(text + at, length - at, 2, &hour);
    int ok = used > 0 && at + used < length && text[at + used] == ':';
    at += used + 1;
    used = ok ? date_read_digits(text + at, length - at, 2, &minute) : 0;
    ok = ok && used == 2;
    at += used;
    if (ok && at < length && text[at] == ':') {
        used = date_read_digits(text + at + 1, length - at - 1, 2, &second);
        ok = used == 2;
        at += used + 1;
    }
    ok = ok && hour <= 23 && minute <= 59 && second <= 59;
    if (ok)
        *pos = at;
    return ok;
}

/* The optional ISO time after a date: ("T" | blanks) HH:MM[:SS] then an
 * optional "Z" or "+hh:mm" / "-hh:mm" (hh <= 23, mm <= 59; also "+hhmm").
 * Returns 1 if text[pos..length) is empty or such a time. */
static int date_iso_time_suffix(const char *text, size_t length, size_t pos)
{
    int ok = 1;
    if (pos == length)
        goto done;
    ok = 0;
    if (text[pos] == 'T')
        ++pos;
    else if (text[pos] == ' ')
        while (pos < length && text[pos] == ' ')
            ++pos;
    else
        goto done;
    if (!date_read_clock(text, length, &pos))
        goto done;
    if (pos < length && text[pos] == 'Z')
        ++pos;
    else if (pos < length && (text[pos] == '+' || text[pos] == '-')) {
        int hours = 0, minutes = 0;
        ++pos;
        const size_t used = date_read_digits(text + pos, length - pos, 2, &hours);
        pos += used;
        if (used != 2 || hours > 23)
            goto done;
        if (pos < length && text[pos] == ':')
            ++pos;
        if (date_read_digits(text + pos, length - pos, 2, &minutes) != 2 || minutes > 59)
            goto done;
        pos += 2;
    }
    ok = pos == length;
done:
    return ok;
}

cvseg_status cvseg_parse_date(const char *text, size_t length, int32_t *days)
{
    cvseg_status status = CVSEG_EDATA;
    int year = 0, month = 0, day = 0;
    size_t pos = date_read_digits(text, length, 4, &year);
    if (pos != 4)
        goto done;
    if (pos == length)
        goto done;
    if (text[pos] == '-' || text[pos] == '/') {
        const char separator = text[pos++];
        size_t used = date_read_digits(text + pos, length - pos, 2, &month);
        if (used == 0)
            goto done;
        pos += used;
        if (pos >= length || text[pos] != separator)
            goto done;
        ++pos;
        used = date_read_digits(text + pos, length - pos, 2, &day);
        if (used == 0)
            goto done;
        pos += used;
    } else {
        if (length != 8 || date_read_digits(text + 4, 2, 2, &month) != 2 ||
            date_read_digits(text + 6, 2, 2, &day) != 2)
            goto done;
        pos = 8;
    }
    if (!date_iso_time_suffix(text, length, pos) || year < 1 || month < 1 || month > 12 ||
        day < 1 || day > date_days_in_month(year, month))
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

/* ------------------------------------------------------------ --date-format */

typedef struct {
    int year, month, day, hour, minute, second;
} date_fields;

static const char date_months[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};

static int date_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Reads one %-directive's value at text[*pos]; advances *pos. Returns 1 on
 * success (digits present, value in the field's range). */
static int date_directive(char directive, const char *text, size_t length, size_t *pos,
                          date_fields *out)
{
    const char *at = text + *pos;
    const size_t left = length - *pos;
    int value = 0, ok = 0;
    size_t used = 0;
    if (directive == 'b') {
        for (int m = 0; m < 12 && !ok; ++m)
            if (left >= 3 && date_lower(at[0]) == date_months[m][0] &&
                date_lower(at[1]) == date_months[m][1] && date_lower(at[2]) == date_months[m][2]) {
                out->month = m + 1;
                used = 3;
                ok = 1;
            }
        goto done;
    }
    used = date_read_digits(at, left, directive == 'Y' ? 4 : 2, &value);
    if (used == 0)
        goto done;
    ok = 1;
    switch (directive) {
    case 'Y':
        out->year = value;
        break;
    case 'y':
        out->year = value < 69 ? 2000 + value : 1900 + value;
        break;
    case 'm':
        out->month = value;
        break;
    case 'd':
        out->day = value;
        break;
    case 'H':
        out->hour = value;
        ok = value <= 23;
        break;
    case 'M':
        out->minute = value;
        ok = value <= 59;
        break;
    case 'S':
        out->second = value;
        ok = value <= 59;
        break;
    default:
        ok = 0;
        break;
    }
done:
    *pos += ok ? used : 0;
    return ok;
}

int cvseg_date_format_valid(const char *format)
{
    int seen_year = 0, seen_month = 0, seen_day = 0, ok = 1;
    for (const char *f = format; *f && ok; ++f) {
        if (*f != '%')
            continue;
        ok = f[1] != '\0' && strchr("YymdHMSb%", f[1]) != NULL;
        if (!ok)
            break;
        ++f;
        seen_year += *f == 'Y' || *f == 'y';
        seen_month += *f == 'm' || *f == 'b';
        seen_day += *f == 'd';
    }
    return ok && seen_year == 1 && seen_month == 1 && seen_day == 1;
}

cvseg_status cvseg_date_parse_format(const char *format, const char *text, size_t length,
                                     int32_t *days)
{
    cvseg_status status = CVSEG_EDATA;
    date_fields got = {0, 0, 0, 0, 0, 0};
    size_t pos = 0;
    for (const char *f = format; *f; ++f) {
        if (*f == '%' && f[1] != '%') {
            if (!date_directive(*++f, text, length, &pos, &got))
                goto done;
        } else if (*f == ' ') {
            const size_t start = pos;
            while (pos < length && (text[pos] == ' ' || text[pos] == '\t'))
                ++pos;
            if (pos == start)
                goto done;
        } else {
            f += *f == '%'; /* "%%" is a literal '%' */
            if (pos >= length || text[pos] != *f)
                goto done;
            ++pos;
        }
    }
    if (pos != length || got.year < 1 || got.month < 1 || got.month > 12 || got.day < 1 ||
        got.day > date_days_in_month(got.year, got.month))
        goto done;
    *days = cvseg_days_from_civil(got.year, got.month, got.day);
    status = CVSEG_OK;
done:
    return status;
}
