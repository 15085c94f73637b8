/* csv.c: line and field splitting, number and date cells (see csv.h). */
#include "cvseg/csv.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/date.h"

/* Longest numeric cell parsed (longer text is not a number we accept). */
#define CSV_NUMBER_TEXT_MAX 128

const char *cvseg_csv_problem_text(cvseg_csv_problem problem)
{
    switch (problem) {
    case CVSEG_CSV_OK:
        return "ok";
    case CVSEG_CSV_OPEN_QUOTE:
        return "has a quote that is not closed on its line (quoted fields may not span lines)";
    case CVSEG_CSV_AFTER_QUOTE:
        return "has text after a closing quote";
    case CVSEG_CSV_EMPTY:
        return "is empty but a value is required";
    case CVSEG_CSV_NOT_INTEGER:
        return "is not an integer";
    case CVSEG_CSV_NOT_NUMBER:
        return "is not a number";
    case CVSEG_CSV_OUT_OF_RANGE:
        return "is out of range";
    case CVSEG_CSV_NOT_DATE:
        return "is not a date (expected YYYY-MM-DD, YYYYMMDD or YYYY/M/D)";
    }
    return "is invalid";
}

static int csv_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int csv_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int cvseg_next_line(const char *data, size_t size, size_t *pos, const char **line, size_t *length)
{
    if (*pos >= size)
        return 0;
    const char *start = data + *pos;
    const char *newline = memchr(start, '\n', size - *pos);
    size_t n = newline ? (size_t)(newline - start) : size - *pos;
    *pos += newline ? n + 1 : n;
    if (n > 0 && start[n - 1] == '\r')
        --n;
    *line = start;
    *length = n;
    return 1;
}

void cvseg_trim(const char **text, size_t *length)
{
    const char *t = *text;
    size_t n = *length;
    while (n > 0 && csv_is_blank(t[0])) {
        ++t;
        --n;
    }
    while (n > 0 && csv_is_blank(t[n - 1]))
        --n;
    *text = t;
    *length = n;
}

int cvseg_is_blank(const char *text, size_t length)
{
    cvseg_trim(&text, &length);
    return length == 0;
}

/* The quoted field whose text starts at line[*pos] (just past the opening
 * quote): its unescaped text ("" -> ") is appended at scratch[*out..], and
 * *pos moves past the closing quote and the blanks after it, to the
 * delimiter or the end. CVSEG_CSV_OPEN_QUOTE when the quote is not closed,
 * CVSEG_CSV_AFTER_QUOTE when other text follows it. */
static cvseg_csv_problem csv_split_quoted(const char *line, size_t length, char delimiter,
                                          size_t *pos, char *scratch, size_t *out)
{
    int closed = 0;
    while (*pos < length && !closed) {
        if (line[*pos] == '"' && *pos + 1 < length && line[*pos + 1] == '"') {
            scratch[(*out)++] = '"';
            *pos += 2;
        } else if (line[*pos] == '"') {
            closed = 1;
            ++*pos;
        } else {
            scratch[(*out)++] = line[(*pos)++];
        }
    }
    while (closed && *pos < length && line[*pos] != delimiter && csv_is_blank(line[*pos]))
        ++*pos;
    return !closed                                    ? CVSEG_CSV_OPEN_QUOTE
           : *pos < length && line[*pos] != delimiter ? CVSEG_CSV_AFTER_QUOTE
                                                      : CVSEG_CSV_OK;
}

cvseg_status cvseg_csv_split(const char *line, size_t length, char delimiter, char *scratch,
                             cvseg_field *fields, int max_fields, int *n_fields,
                             cvseg_csv_problem *problem)
{
    cvseg_status status = CVSEG_OK;
    size_t pos = 0, out = 0;
    int count = 0;
    *problem = CVSEG_CSV_OK;
    if (length > 0 && line[length - 1] == '\r')
        --length;
    for (;;) {
        /* One field starts at pos. */
        const size_t field_start = out;
        size_t probe = pos;
        while (probe < length && line[probe] != delimiter && csv_is_blank(line[probe]))
            ++probe;
        if (probe < length && line[probe] == '"') {
            pos = probe + 1;
            *problem = csv_split_quoted(line, length, delimiter, &pos, scratch, &out);
            if (*problem != CVSEG_CSV_OK) {
                status = CVSEG_EDATA;
                goto done;
            }
        } else {
            while (pos < length && line[pos] != delimiter)
                scratch[out++] = line[pos++];
        }
        if (count < max_fields) {
            fields[count].text = scratch + field_start;
            fields[count].length = out - field_start;
        }
        scratch[out++] = '\0';
        ++count;
        if (pos >= length)
            break;
        ++pos; /* the delimiter; a delimiter at the very end starts an empty field */
    }
done:
    *n_fields = count;
    return status;
}

cvseg_status cvseg_ws_split(const char *line, size_t length, char *scratch, cvseg_field *fields,
                            int max_fields, int *n_fields)
{
    size_t pos = 0, out = 0;
    int count = 0;
    for (;;) {
        while (pos < length && csv_is_blank(line[pos]))
            ++pos;
        if (pos >= length)
            break;
        const size_t field_start = out;
        while (pos < length && !csv_is_blank(line[pos]))
            scratch[out++] = line[pos++];
        if (count < max_fields) {
            fields[count].text = scratch + field_start;
            fields[count].length = out - field_start;
        }
        scratch[out++] = '\0';
        ++count;
    }
    *n_fields = count;
    return CVSEG_OK;
}

/* Handles an empty cell: OK with *missing = 1 when allowed, else EDATA. */
static cvseg_status csv_empty_cell(int *missing, cvseg_csv_problem *problem)
{
    cvseg_status status = CVSEG_OK;
    if (missing)
        *missing = 1;
    else {
        *problem = CVSEG_CSV_EMPTY;
        status = CVSEG_EDATA;
    }
    return status;
}

/* The integer of sign and magnitude (overflow: beyond 64 bits) into *value
 * when it lies in [min, max] (CVSEG_CSV_OK), else *value = 0 and
 * CVSEG_CSV_OUT_OF_RANGE. The range check works on the magnitude, without
 * signed overflow. */
static cvseg_csv_problem csv_int_in_range(int negative, uint64_t magnitude, int overflow,
                                          int64_t min, int64_t max, int64_t *value)
{
    cvseg_csv_problem problem = CVSEG_CSV_OK;
    if (overflow)
        problem = CVSEG_CSV_OUT_OF_RANGE;
    else if (negative) {
        const uint64_t limit = min < 0 ? (uint64_t)(-(min + 1)) + 1u : 0u;
        if (magnitude > limit)
            problem = CVSEG_CSV_OUT_OF_RANGE;
        else {
            *value = magnitude == 0 ? 0 : -(int64_t)(magnitude - 1u) - 1;
            if (*value < min)
                problem = CVSEG_CSV_OUT_OF_RANGE;
        }
    } else {
        if (max < 0 || magnitude > (uint64_t)max)
            problem = CVSEG_CSV_OUT_OF_RANGE;
        else
            *value = (int64_t)magnitude;
        if (problem != CVSEG_CSV_OUT_OF_RANGE && *value < min)
            problem = CVSEG_CSV_OUT_OF_RANGE;
    }
    if (problem == CVSEG_CSV_OUT_OF_RANGE)
        *value = 0;
    return problem;
}

cvseg_status cvseg_parse_int(const char *text, size_t length, int64_t min, int64_t max,
                             int64_t *value, int *missing, cvseg_csv_problem *problem)
{
    cvseg_status status = CVSEG_EDATA;
    size_t pos = 0;
    int negative = 0;
    uint64_t magnitude = 0;
    int overflow = 0;
    *value = 0;
    *problem = CVSEG_CSV_NOT_INTEGER;
    if (missing)
        *missing = 0;
    cvseg_trim(&text, &length);
    if (length == 0) {
        status = csv_empty_cell(missing, problem);
        goto done;
    }
    if (text[pos] == '+' || text[pos] == '-')
        negative = text[pos++] == '-';
    const size_t first_digit = pos;
    while (pos < length && csv_is_digit(text[pos])) {
        const unsigned digit = (unsigned)(text[pos++] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10u)
            overflow = 1;
        else
            magnitude = magnitude * 10u + digit;
    }
    if (pos == first_digit)
        goto done;
    if (pos < length && text[pos] == '.') {
        ++pos;
        while (pos < length && text[pos] == '0')
            ++pos;
    }
    if (pos != length)
        goto done;
    *problem = csv_int_in_range(negative, magnitude, overflow, min, max, value);
    if (*problem == CVSEG_CSV_OK)
        status = CVSEG_OK;
done:
    return status;
}

static int csv_is_nan_text(const char *text, size_t length)
{
    return length == 3 && (text[0] == 'n' || text[0] == 'N') &&
           (text[1] == 'a' || text[1] == 'A') && (text[2] == 'n' || text[2] == 'N');
}

cvseg_status cvseg_parse_double(const char *text, size_t length, double *value, int *missing,
                                cvseg_csv_problem *problem)
{
    cvseg_status status = CVSEG_EDATA;
    char copy[CSV_NUMBER_TEXT_MAX + 1];
    size_t pos = 0, digits = 0;
    *value = NAN;
    *problem = CVSEG_CSV_NOT_NUMBER;
    if (missing)
        *missing = 0;
    cvseg_trim(&text, &length);
    if (length == 0 || csv_is_nan_text(text, length)) {
        status = csv_empty_cell(missing, problem);
        goto done;
    }
    if (length > CSV_NUMBER_TEXT_MAX)
        goto done;
    /* Validate the syntax first: strtod alone would accept inf, nan(...),
     * hexadecimal and leading garbage-free prefixes. */
    if (text[pos] == '+' || text[pos] == '-')
        ++pos;
    while (pos < length && csv_is_digit(text[pos])) {
        ++pos;
        ++digits;
    }
    if (pos < length && text[pos] == '.') {
        ++pos;
        while (pos < length && csv_is_digit(text[pos])) {
            ++pos;
            ++digits;
        }
    }
    if (digits == 0)
        goto done;
    if (pos < length && (text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
        if (pos < length && (text[pos] == '+' || text[pos] == '-'))
            ++pos;
        const size_t exponent_start = pos;
        while (pos < length && csv_is_digit(text[pos]))
            ++pos;
        if (pos == exponent_start)
            goto done;
    }
    if (pos != length)
        goto done;
    memcpy(copy, text, length);
    copy[length] = '\0';
    errno = 0;
    const double parsed = strtod(copy, NULL);
    if (errno == ERANGE && fabs(parsed) > DBL_MAX / 2) {
        *problem = CVSEG_CSV_OUT_OF_RANGE;
        goto done;
    }
    *value = parsed;
    *problem = CVSEG_CSV_OK;
    status = CVSEG_OK;
done:
    return status;
}

cvseg_status cvseg_parse_date_cell(const char *text, size_t length, int32_t *days, int *missing,
                                   cvseg_csv_problem *problem)
{
    cvseg_status status = CVSEG_OK;
    *problem = CVSEG_CSV_OK;
    *days = 0;
    if (missing)
        *missing = 0;
    cvseg_trim(&text, &length);
    if (length == 0)
        status = csv_empty_cell(missing, problem);
    else if (cvseg_parse_date(text, length, days) != CVSEG_OK) {
        *problem = CVSEG_CSV_NOT_DATE;
        status = CVSEG_EDATA;
    }
    return status;
}
