/* fuzz_csv.c: libFuzzer harness for the text parsers of src/core (csv.c,
 * date.c): the input is a text file. The first byte picks the delimiter;
 * every line is split as CSV and as whitespace fields, and every field is
 * parsed as an integer, a number and a date, and every 8-byte window as a
 * date. Checks the parsers' contracts: field texts inside the scratch buffer
 * and NUL-terminated, parsed dates format back to a valid date that parses
 * to the same day, integers within the asked range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/csv.h"
#include "cvseg/date.h"

enum { FUZZ_MAX_FIELDS = 64 };

static void fuzz_csv_check_fields(const char *scratch, size_t capacity, const cvseg_field *fields,
                                  int n)
{
    for (int f = 0; f < n && f < FUZZ_MAX_FIELDS; ++f) {
        if (fields[f].text < scratch || fields[f].text + fields[f].length >= scratch + capacity ||
            fields[f].text[fields[f].length] != '\0')
            abort();
        int64_t value = 0;
        int missing = 0;
        double number = 0;
        int32_t days = 0;
        cvseg_csv_problem problem = CVSEG_CSV_OK;
        if (cvseg_parse_int(fields[f].text, fields[f].length, -1000, 1000000, &value, &missing,
                            &problem) == CVSEG_OK &&
            (value < -1000 || value > 1000000))
            abort();
        (void)cvseg_parse_double(fields[f].text, fields[f].length, &number, &missing, &problem);
        (void)cvseg_csv_problem_text(problem);
        if (cvseg_parse_date_cell(fields[f].text, fields[f].length, &days, &missing, &problem) ==
                CVSEG_OK &&
            !missing) {
            char text[11];
            int32_t again = 0;
            cvseg_format_date(days, text);
            if (cvseg_parse_date(text, strlen(text), &again) != CVSEG_OK || again != days)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char delimiter =
        (data[0] == '"' || data[0] == '\n' || data[0] == '\r') ? ',' : (char)data[0];
    const char *text = (const char *)data + 1;
    const size_t length = size - 1;
    char *scratch = malloc(length + 1);
    cvseg_field fields[FUZZ_MAX_FIELDS];
    size_t pos = 0, line_length = 0;
    const char *line = NULL;
    while (scratch && cvseg_next_line(text, length, &pos, &line, &line_length)) {
        int n = 0;
        cvseg_csv_problem problem = CVSEG_CSV_OK;
        if (cvseg_csv_split(line, line_length, delimiter, scratch, fields, FUZZ_MAX_FIELDS, &n,
                            &problem) == CVSEG_OK)
            fuzz_csv_check_fields(scratch, line_length + 1, fields, n);
        if (cvseg_ws_split(line, line_length, scratch, fields, FUZZ_MAX_FIELDS, &n) == CVSEG_OK)
            fuzz_csv_check_fields(scratch, line_length + 1, fields, n);
        (void)cvseg_is_blank(line, line_length);
    }
    for (size_t at = 0; at + 8 <= length; at += 8) {
        int32_t days = 0;
        for (size_t width = 8; width <= 10 && at + width <= length; ++width)
            (void)cvseg_parse_date(text + at, width, &days);
    }
    free(scratch);
    return 0;
}
