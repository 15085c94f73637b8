/* text_lines.h: the io layer's line rules (text_import.c) written out for
 * in-memory texts, for the unit test and the fuzz harness of the import
 * parser (text_parse.h). Header-only test support. */
#ifndef CVSEG_TESTS_TEXT_LINES_H
#define CVSEG_TESTS_TEXT_LINES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/text_parse.h"

/* The first two non-blank lines of text[0..size) into head (offsets, 1-based
 * numbers, a final '\r' dropped; text NULL when absent). Owned copies: free
 * with text_lines_free_head. */
static inline void text_lines_head(const char *text, size_t size, cvseg_text_line head[2])
{
    memset(head, 0, 2 * sizeof *head);
    size_t pos = 0;
    int64_t number = 0;
    for (int found = 0; pos < size && found < 2;) {
        const char *newline = memchr(text + pos, '\n', size - pos);
        const size_t end = newline ? (size_t)(newline - text) : size;
        size_t length = end - pos;
        int blank = 1;
        ++number;
        for (size_t k = pos; k < end; ++k)
            blank &= text[k] == ' ' || text[k] == '\t' || text[k] == '\r';
        if (!blank) {
            length -= text[pos + length - 1] == '\r';
            head[found].text = malloc(length + 1);
            if (head[found].text == NULL)
                abort();
            memcpy(head[found].text, text + pos, length);
            head[found].text[length] = '\0';
            head[found].length = length;
            head[found].number = number;
            head[found].start = (int64_t)pos;
            head[found].end = (int64_t)(newline ? end + 1 : end);
            ++found;
        }
        pos = newline ? end + 1 : size;
    }
}

static inline void text_lines_free_head(cvseg_text_line head[2])
{
    free(head[0].text);
    free(head[1].text);
}

/* The first line start at or after pos in [begin, size] (begin when
 * pos <= begin). */
static inline int64_t text_lines_start_at_or_after(const char *text, int64_t size, int64_t begin,
                                                   int64_t pos)
{
    if (pos <= begin)
        return begin;
    for (int64_t k = pos - 1; k < size; ++k)
        if (text[k] == '\n')
            return k + 1;
    return size;
}

/* '\n' bytes in text[from, to). */
static inline int64_t text_lines_newlines(const char *text, int64_t from, int64_t to)
{
    int64_t n = 0;
    for (int64_t k = from; k < to; ++k)
        n += text[k] == '\n';
    return n;
}

#endif
