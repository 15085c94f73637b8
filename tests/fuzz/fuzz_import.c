/* fuzz_import.c: libFuzzer harness for `cvseg import`'s parser in src/core
 * (text_plan.c, text_parse.c). The first byte picks the settings (bit 0:
 * transactions or members; bit 1: CDNOW whitespace or CSV; bits 2-3: the
 * delimiter , ; | tab; bit 4: --missing-member skip); the rest is the file.
 * The head lines are found as the io layer finds them (the first two
 * non-blank lines), the plan is made from them, and the data lines are
 * parsed once whole and once as 3 simulated ranks (shares as
 * cvseg_text_share gives them, moved to line starts). Checks the contracts:
 * a parse never holds more rows than lines, and the 3-rank parse succeeds
 * exactly when the whole one does and then holds the same rows byte for
 * byte (the result does not depend on the rank count). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/status.h"
#include "cvseg/text_parse.h"
#include "text_lines.h"

enum { FUZZ_IMPORT_RANKS = 3 };

/* Parses text[start, end) (whole lines) as lines first_line.. into *t. */
static cvseg_status fuzz_import_parse(const cvseg_import_plan *plan, const char *text,
                                      int64_t start, int64_t end, int64_t first_line,
                                      cvseg_import_table *t)
{
    const int64_t lines =
        text_lines_newlines(text, start, end) + (end > start && text[end - 1] != '\n');
    const cvseg_status status =
        cvseg_import_parse_lines(plan, text + start, (size_t)(end - start), first_line, lines, t);
    if (status == CVSEG_OK && t->rows > lines)
        abort();
    return status;
}

/* Whole parse vs FUZZ_IMPORT_RANKS shares of text[begin, size). */
static void fuzz_import_compare(const cvseg_import_plan *plan, const char *text, int64_t size,
                                int64_t begin, int64_t begin_line)
{
    cvseg_import_table whole;
    const cvseg_status whole_status =
        fuzz_import_parse(plan, text, begin, size, begin_line, &whole);
    cvseg_status parts_status = CVSEG_OK;
    int64_t row = 0;
    for (int r = 0; r < FUZZ_IMPORT_RANKS && parts_status == CVSEG_OK; ++r) {
        int64_t lo = 0, hi = 0;
        cvseg_text_share(begin, size, r, FUZZ_IMPORT_RANKS, &lo, &hi);
        const int64_t start = text_lines_start_at_or_after(text, size, begin, lo);
        int64_t end =
            r + 1 < FUZZ_IMPORT_RANKS ? text_lines_start_at_or_after(text, size, begin, hi) : size;
        end = end < start ? start : end;
        cvseg_import_table part;
        parts_status = fuzz_import_parse(
            plan, text, start, end, begin_line + text_lines_newlines(text, begin, start), &part);
        for (int f = 0; f < CVSEG_FIELD_COUNT && parts_status == CVSEG_OK; ++f) {
            if (whole_status == CVSEG_OK && !whole.data[f] != !part.data[f])
                abort();
            const size_t bytes = cvseg_cell_type_bytes(cvseg_import_fields[f].type);
            if (whole_status == CVSEG_OK && part.data[f] &&
                (row + part.rows > whole.rows ||
                 memcmp((char *)whole.data[f] + (size_t)row * bytes, part.data[f],
                        (size_t)part.rows * bytes) != 0))
                abort();
        }
        row += parts_status == CVSEG_OK ? part.rows : 0;
        cvseg_import_table_free(&part);
    }
    if ((whole_status == CVSEG_OK) != (parts_status == CVSEG_OK) ||
        (whole_status == CVSEG_OK && row != whole.rows))
        abort();
    cvseg_import_table_free(&whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delimiters[4] = {',', ';', '|', '\t'};
    if (size == 0)
        return 0;
    const uint8_t settings = data[0];
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    const int64_t length = (int64_t)strlen(text); /* the io layer's text has no NUL */
    cvseg_import_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.path = "fuzz.csv";
    plan.kind = settings & 1 ? CVSEG_KIND_TRANSACTIONS : CVSEG_KIND_MEMBERS;
    plan.whitespace = (settings >> 1) & 1;
    plan.delimiter = delimiters[(settings >> 2) & 3];
    plan.skip_missing_member = (settings >> 4) & 1;
    cvseg_text_line head[2];
    text_lines_head(text, (size_t)length, head);
    int64_t begin = 0, begin_line = 0;
    cvseg_error_clear();
    const cvseg_status status = plan.whitespace
                                    ? cvseg_import_plan_cdnow(&plan, head, &begin, &begin_line)
                                    : cvseg_import_plan_csv(&plan, head, &begin, &begin_line);
    if (status == CVSEG_OK && begin >= 0 && begin <= length)
        fuzz_import_compare(&plan, text, length, begin, begin_line);
    cvseg_import_plan_free(&plan);
    text_lines_free_head(head);
    free(text);
    return 0;
}
