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
 * Returns CVSEG_OK or CVSEG_EDATA (nothing recorded: the caller names the
 * file, line and column). */
cvseg_status cvseg_parse_date(const char *text, size_t length, int32_t *days);

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
