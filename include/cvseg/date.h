/* date.h: calendar dates as int32 days since 1970-01-01 (proleptic Gregorian).
 * Pure, thread-safe. */
#ifndef CVSEG_DATE_H
#define CVSEG_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "cvseg/status.h"

/* Days since 1970-01-01 of a valid civil date. */
int32_t cvseg_days_from_civil(int year, int month, int day);
/* Inverse of cvseg_days_from_civil. */
void cvseg_civil_from_days(int32_t days, int *year, int *month, int *day);

/* Parses one of "YYYY-MM-DD", "YYYYMMDD", "YYYY/M/D" (also "YYYY/MM/DD" and
 * "YYYY-M-D") from text[0..length). Validates month and day-of-month.
 * The dashed and slashed forms may carry an ISO time: "T" or blanks, then
 * HH:MM or HH:MM:SS (hour 1-2 digits, 0-23; minute, second 2 digits, 0-59),
 * then optionally "Z" or an offset "+hh:mm", "-hh:mm" or "+hhmm" (hh <= 23,
 * mm <= 59), e.g. "2010-12-01 08:26", "2010-12-01T08:26:00+01:00". The time
 * is checked and dropped: the result is the written calendar day (the offset
 * does not move it).
 * Returns CVSEG_OK or CVSEG_EDATA (nothing recorded: the caller names the
 * file, line and column). */
cvseg_status cvseg_parse_date(const char *text, size_t length, int32_t *days);

/* 1 if format is a usable --date-format: only the directives %Y %y %m %d
 * %H %M %S %b %% besides literal bytes, with exactly one year (%Y or %y),
 * one month (%m or %b) and one day (%d). */
int cvseg_date_format_valid(const char *format);

/* Parses text[0..length) against a strptime-like format (checked with
 * cvseg_date_format_valid). Directives: %Y year (1-4 digits), %y two-digit
 * year (00-68 -> 2000-2068, 69-99 -> 1969-1999, the POSIX pivot), %m month
 * and %d day (1-2 digits: "12/1/2010" reads with %m/%d/%Y), %H hour (0-23),
 * %M minute and %S second (0-59; 1-2 digits), %b English month abbreviation
 * (Jan..Dec, any case), %% a percent sign. A blank in the format matches one
 * or more blanks (space, tab); any other byte matches itself. The whole text
 * must match; the date is validated (no Feb 30) and the time dropped.
 * Returns CVSEG_OK or CVSEG_EDATA (nothing recorded, *days untouched). */
cvseg_status cvseg_date_parse_format(const char *format, const char *text, size_t length,
                                     int32_t *days);

/* Valid dates are the years 0001..9999 (what YYYY-MM-DD can write):
 * 0001-01-01 .. 9999-12-31 in days since 1970-01-01. Dates read from data
 * files outside this range are bad input. */
#define CVSEG_DATE_MIN (-719162)
#define CVSEG_DATE_MAX 2932896
static inline int cvseg_date_valid(int32_t days)
{
    return days >= CVSEG_DATE_MIN && days <= CVSEG_DATE_MAX;
}

/* Writes "YYYY-MM-DD" (11 bytes with the terminator) into out; dates outside
 * cvseg_date_valid are clamped to the years 0000..9999 (callers refuse them
 * before printing). */
void cvseg_format_date(int32_t days, char out[11]);

#endif
