/* csv_write.c: CSV text of typed columns (exact numbers, RFC 4180 fields) and
 * gzip members (zlib). */
#include "cvseg/csv_write.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cvseg/date.h"

cvseg_status cvseg_text_reserve(cvseg_text *text, size_t extra)
{
    if (extra <= text->capacity - text->length)
        return CVSEG_OK;
    size_t capacity = text->capacity ? text->capacity : 4096;
    while (capacity - text->length < extra) {
        if (capacity > SIZE_MAX / 2)
            return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %zu bytes of text", extra);
        capacity *= 2;
    }
    char *data = realloc(text->data, capacity);
    if (!data)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %zu bytes of text", capacity);
    text->data = data;
    text->capacity = capacity;
    return CVSEG_OK;
}

cvseg_status cvseg_text_append(cvseg_text *text, const char *bytes, size_t length)
{
    const cvseg_status status = cvseg_text_reserve(text, length);
    if (status == CVSEG_OK && length > 0) {
        memcpy(text->data + text->length, bytes, length);
        text->length += length;
    }
    return status;
}

void cvseg_text_free(cvseg_text *text)
{
    free(text->data);
    *text = (cvseg_text){0};
}

/* Appends ".0" to a plain integer spelling ("12" -> "12.0"), as Python's
 * repr does, so that a reader keeps the column a float column. */
static size_t csv_write_mark_float(char *out, size_t length)
{
    if (strpbrk(out, ".en") == NULL && length + 2 < CVSEG_CSV_NUMBER_MAX) {
        memcpy(out + length, ".0", 3);
        length += 2;
    }
    return length;
}

size_t cvseg_csv_format_double(double x, char out[CVSEG_CSV_NUMBER_MAX])
{
    if (isnan(x)) {
        out[0] = '\0';
        return 0;
    }
    if (isinf(x))
        return (size_t)snprintf(out, CVSEG_CSV_NUMBER_MAX, "%s", x < 0 ? "-inf" : "inf");
    int length = 0, digits = 15;
    for (; digits <= 17; ++digits) {
        length = snprintf(out, CVSEG_CSV_NUMBER_MAX, "%.*g", digits, x);
        if (strtod(out, NULL) == x)
            break;
    }
    /* More than 17 digits in fixed notation (leading zeros of a small number
     * included): exponent notation instead, because pandas' default parser
     * reads only the first 17 digits. */
    int spelled = 0, leading = 0;
    for (const char *p = out; *p && *p != 'e'; ++p) {
        leading += *p == '0' && spelled == leading;
        spelled += *p >= '0' && *p <= '9';
    }
    if (spelled > 17 && !strchr(out, 'e'))
        length = snprintf(out, CVSEG_CSV_NUMBER_MAX, "%.*e", spelled - leading - 1, x);
    return csv_write_mark_float(out, (size_t)length);
}

size_t cvseg_csv_format_float(float x, char out[CVSEG_CSV_NUMBER_MAX])
{
    if (isnan(x)) {
        out[0] = '\0';
        return 0;
    }
    if (isinf(x))
        return (size_t)snprintf(out, CVSEG_CSV_NUMBER_MAX, "%s", x < 0 ? "-inf" : "inf");
    int length = 0;
    for (int digits = 6; digits <= 9; ++digits) {
        length = snprintf(out, CVSEG_CSV_NUMBER_MAX, "%.*g", digits, (double)x);
        if (strtof(out, NULL) == x)
            break;
    }
    return csv_write_mark_float(out, (size_t)length);
}

cvseg_status cvseg_csv_append_field(cvseg_text *out, const char *text, size_t length)
{
    int quote = 0;
    size_t quotes = 0;
    for (size_t i = 0; i < length; ++i) {
        const char c = text[i];
        quote |= c == ',' || c == '"' || c == '\r' || c == '\n';
        quotes += c == '"';
    }
    if (!quote)
        return cvseg_text_append(out, text, length);
    cvseg_status status = cvseg_text_reserve(out, length + quotes + 2);
    if (status != CVSEG_OK)
        return status;
    char *p = out->data + out->length;
    *p++ = '"';
    for (size_t i = 0; i < length; ++i) {
        if (text[i] == '"')
            *p++ = '"';
        *p++ = text[i];
    }
    *p++ = '"';
    out->length = (size_t)(p - out->data);
    return CVSEG_OK;
}

cvseg_status cvseg_csv_append_header(cvseg_text *out, int n_columns,
                                     const cvseg_csv_column *columns)
{
    cvseg_status status = CVSEG_OK;
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
        if (c > 0)
            status = cvseg_text_append(out, ",", 1);
        if (status == CVSEG_OK)
            status = cvseg_csv_append_field(out, columns[c].name, strlen(columns[c].name));
    }
    return status == CVSEG_OK ? cvseg_text_append(out, "\n", 1) : status;
}

/* Appends the field of row of column; EDATA (nothing recorded) for a value
 * it refuses, its value in *refused. */
static cvseg_status csv_write_append_value(cvseg_text *out, const cvseg_csv_column *column,
                                           int64_t row, long long *refused)
{
    char number[CVSEG_CSV_NUMBER_MAX];
    size_t length = 0;
    switch (column->kind) {
    case CVSEG_CSV_INTEGER:
        length = (size_t)snprintf(number, sizeof number, "%lld",
                                  (long long)((const int64_t *)column->values)[row]);
        break;
    case CVSEG_CSV_DATE: {
        const int64_t days = ((const int64_t *)column->values)[row];
        if (days < CVSEG_DATE_MIN || days > CVSEG_DATE_MAX) {
            *refused = (long long)days;
            return CVSEG_EDATA;
        }
        cvseg_format_date((int32_t)days, number);
        length = 10;
        break;
    }
    case CVSEG_CSV_DOUBLE:
        length = cvseg_csv_format_double(((const double *)column->values)[row], number);
        break;
    case CVSEG_CSV_FLOAT:
        length = cvseg_csv_format_float(((const float *)column->values)[row], number);
        break;
    case CVSEG_CSV_ENUM: {
        const uint8_t value = ((const uint8_t *)column->values)[row];
        const char *name = column->names[value];
        if (!name) {
            *refused = value;
            return CVSEG_EDATA;
        }
        return cvseg_csv_append_field(out, name, strlen(name));
    }
    }
    return cvseg_text_append(out, number, length);
}

/* Formats rows [first, first + n) into out (plain text). */
static cvseg_status csv_write_format_block(cvseg_text *out, int n_columns,
                                           const cvseg_csv_column *columns, int64_t first,
                                           int64_t n, cvseg_csv_bad *bad)
{
    cvseg_status status = CVSEG_OK;
    for (int64_t row = first; row < first + n && status == CVSEG_OK; ++row) {
        for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
            if (c > 0)
                status = cvseg_text_append(out, ",", 1);
            if (status == CVSEG_OK)
                status = csv_write_append_value(out, &columns[c], row, &bad->value);
            if (status == CVSEG_EDATA) {
                bad->row = row;
                bad->column = c;
            }
        }
        if (status == CVSEG_OK)
            status = cvseg_text_append(out, "\n", 1);
    }
    return status;
}

cvseg_status cvseg_gzip_append_member(cvseg_text *out, const char *data, size_t length, int level)
{
    z_stream stream = {0};
    /* windowBits 15 + 16: a gzip header and trailer around the deflate data. */
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return CVSEG_FAIL(CVSEG_ENOMEM, "cannot start a gzip stream (level %d)", level);
    cvseg_status status = CVSEG_OK;
    size_t done = 0;
    int result = Z_OK;
    while (status == CVSEG_OK && result != Z_STREAM_END) {
        const size_t piece = length - done < (size_t)UINT_MAX / 2 ? length - done : UINT_MAX / 2;
        stream.next_in = (Bytef *)(uintptr_t)(data + done);
        stream.avail_in = (uInt)piece;
        const int flush = done + piece == length ? Z_FINISH : Z_NO_FLUSH;
        status = cvseg_text_reserve(out, deflateBound(&stream, (uLong)piece) + 64);
        if (status != CVSEG_OK)
            break;
        stream.next_out = (Bytef *)(out->data + out->length);
        stream.avail_out =
            (uInt)(out->capacity - out->length < UINT_MAX ? out->capacity - out->length : UINT_MAX);
        const uInt room = stream.avail_out;
        result = deflate(&stream, flush);
        out->length += room - stream.avail_out;
        done += piece - stream.avail_in;
        if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR)
            status = CVSEG_FAIL(CVSEG_EINTERNAL, "gzip compression failed (zlib %d)", result);
    }
    deflateEnd(&stream);
    return status;
}

/* Formats (and compresses) block b of CVSEG_CSV_BLOCK_ROWS rows into *text.
 * Runs inside an OpenMP thread: returns a status, records nothing that the
 * caller reads (the caller records its own message). */
static cvseg_status csv_write_block(cvseg_text *text, int n_columns,
                                    const cvseg_csv_column *columns, int64_t n_rows, int64_t b,
                                    int gzip_level, cvseg_csv_bad *bad)
{
    const int64_t first = b * CVSEG_CSV_BLOCK_ROWS;
    const int64_t n = n_rows - first < CVSEG_CSV_BLOCK_ROWS ? n_rows - first : CVSEG_CSV_BLOCK_ROWS;
    cvseg_text plain = {0};
    cvseg_status status = csv_write_format_block(&plain, n_columns, columns, first, n, bad);
    if (status == CVSEG_OK && gzip_level > 0) {
        status = cvseg_gzip_append_member(text, plain.data, plain.length, gzip_level);
        cvseg_text_free(&plain);
    } else {
        *text = plain;
    }
    return status;
}

cvseg_status cvseg_csv_append_rows(cvseg_text *out, int n_columns, const cvseg_csv_column *columns,
                                   int64_t n_rows, int gzip_level, cvseg_csv_bad *bad)
{
    const int64_t n_blocks = (n_rows + CVSEG_CSV_BLOCK_ROWS - 1) / CVSEG_CSV_BLOCK_ROWS;
    const size_t slots = n_blocks > 0 ? (size_t)n_blocks : 1;
    cvseg_text *texts = calloc(slots, sizeof *texts);
    cvseg_csv_bad *bads = calloc(slots, sizeof *bads);
    cvseg_status *statuses = calloc(slots, sizeof *statuses);
    cvseg_status status = CVSEG_OK;
    size_t total = 0;
    *bad = (cvseg_csv_bad){-1, -1, 0};
    if (!texts || !bads || !statuses) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld rows of CSV", (long long)n_rows);
        goto done;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b)
        statuses[b] =
            csv_write_block(&texts[b], n_columns, columns, n_rows, b, gzip_level, &bads[b]);
    for (int64_t b = 0; b < n_blocks && status == CVSEG_OK; ++b) {
        status = statuses[b];
        total += texts[b].length;
        if (status == CVSEG_EDATA)
            *bad = bads[b];
        else if (status != CVSEG_OK)
            status = CVSEG_FAIL(status, "cannot format rows %lld.. as CSV (%s)",
                                (long long)(b * CVSEG_CSV_BLOCK_ROWS), cvseg_strerror(status));
    }
    if (status == CVSEG_OK)
        status = cvseg_text_reserve(out, total);
    for (int64_t b = 0; b < n_blocks && status == CVSEG_OK; ++b)
        status = cvseg_text_append(out, texts[b].data, texts[b].length);
done:
    for (int64_t b = 0; texts && b < n_blocks; ++b)
        cvseg_text_free(&texts[b]);
    free(texts);
    free(bads);
    free(statuses);
    return status;
}
