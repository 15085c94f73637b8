/* text_import.c: parallel line-aligned reads of a text file (see text_import.h). */
#include "cvseg/text_import.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cvseg/csv.h"
#include "cvseg/collectives.h"

#define TEXT_READ_PIECE (64 * 1024)
/* Longest header (or first data) line accepted. */
#define TEXT_HEAD_LINE_MAX (16 * 1024 * 1024)

/* Reads exactly n bytes at offset (fewer only at the end of the file: *got). */
static cvseg_status text_read_at(const cvseg_text_file *file, int64_t offset, char *buffer,
                                 size_t n, size_t *got)
{
    cvseg_status status = CVSEG_OK;
    size_t done = 0;
    if (file->memory) {
        done = offset >= file->size               ? 0
               : (int64_t)n > file->size - offset ? (size_t)(file->size - offset)
                                                  : n;
        if (done > 0)
            memcpy(buffer, file->memory + offset, done);
        goto done;
    }
    while (done < n) {
        const size_t ask = n - done > ((size_t)1 << 30) ? ((size_t)1 << 30) : n - done;
        const ssize_t r = pread(file->fd, buffer + done, ask, (off_t)(offset + (int64_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': read failed at byte %lld (%s)", file->path,
                                (long long)(offset + (int64_t)done), strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
done:
    *got = done;
    return status;
}

/* ------------------------------------------------------------ decoding */

/* 1-based number of the line holding byte `at` of text. */
static int64_t text_line_of(const char *text, size_t at)
{
    int64_t line = 1;
    for (size_t k = 0; k < at; ++k)
        line += text[k] == '\n';
    return line;
}

/* Reads the whole file through zlib (gzip data is inflated; other bytes are
 * passed through) into *data[0..*size). */
static cvseg_status text_inflate(const char *path, char **data, size_t *size)
{
    cvseg_status status = CVSEG_OK;
    size_t used = 0, capacity = 4 * TEXT_READ_PIECE;
    char *buffer = malloc(capacity);
    gzFile in = gzopen(path, "rb");
    if (!buffer || !in) {
        status = CVSEG_FAIL(in ? CVSEG_ENOMEM : CVSEG_EIO, "file '%s': cannot open (%s)", path,
                            in ? "out of memory" : strerror(errno));
        goto done;
    }
    for (;;) {
        if (capacity - used < TEXT_READ_PIECE) {
            char *grown = realloc(buffer, capacity *= 2);
            if (!grown) {
                status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory decompressing '%s'", path);
                goto done;
            }
            buffer = grown;
        }
        const int got = gzread(in, buffer + used, TEXT_READ_PIECE);
        int code = Z_OK;
        const char *reason = gzerror(in, &code);
        if (got < 0 || (got == 0 && code != Z_OK)) { /* Z_BUF_ERROR: the stream is cut short */
            status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', line %lld: damaged gzip data (%s)", path,
                                (long long)text_line_of(buffer, used), reason);
            goto done;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
done:
    if (in)
        gzclose(in);
    if (status != CVSEG_OK) {
        free(buffer);
        buffer = NULL;
    }
    *data = buffer;
    *size = used;
    return status;
}

/* Converts in[0..n) from encoding to UTF-8 into *out[0..*out_size). */
static cvseg_status text_convert(const char *path, const char *encoding, const char *in, size_t n,
                                 char **out, size_t *out_size)
{
    cvseg_status status = CVSEG_OK;
    size_t capacity = 2 * n + 16, used = 0;
    char *buffer = NULL;
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1) {
        status = CVSEG_FAIL(CVSEG_EUSAGE, "option --encoding: '%s' is not an encoding iconv knows",
                            encoding);
        goto done;
    }
    buffer = malloc(capacity);
    char *source = (char *)in;
    size_t left = n;
    while (status == CVSEG_OK && buffer) {
        char *target = buffer + used;
        size_t room = capacity - used;
        const size_t r = iconv(cd, left ? &source : NULL, &left, &target, &room);
        used = (size_t)(target - buffer);
        if (r != (size_t)-1 && left == 0)
            break;
        if (r == (size_t)-1 && errno == E2BIG) {
            char *grown = realloc(buffer, capacity *= 2);
            buffer = grown ? grown : (free(buffer), NULL);
        } else
            status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', line %lld: not valid %s text (%s)", path,
                                (long long)text_line_of(buffer, used), encoding,
                                errno == EINVAL ? "cut short at the end of the file"
                                                : "an invalid byte sequence");
    }
    if (!buffer && status == CVSEG_OK)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory converting '%s'", path);
done:
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    if (status != CVSEG_OK) {
        free(buffer);
        buffer = NULL;
    }
    *out = buffer;
    *out_size = used;
    return status;
}

/* 1 if the file must be decoded: gzip magic bytes, or an encoding other
 * than UTF-8. */
static int text_needs_decoding(const cvseg_text_file *file, const char *encoding)
{
    unsigned char magic[2] = {0, 0};
    const int gzip = pread(file->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    const int utf8 =
        !encoding || strcasecmp(encoding, "UTF-8") == 0 || strcasecmp(encoding, "UTF8") == 0;
    return gzip || !utf8;
}

/* Rank 0 decodes the file, every rank receives the text into file->memory.
 * Collective. */
static cvseg_status text_decode(MPI_Comm comm, int rank, const char *encoding,
                                cvseg_text_file *file)
{
    char *raw = NULL;
    size_t raw_size = 0, size = 0;
    cvseg_status status = CVSEG_OK;
    if (rank == 0) {
        status = text_inflate(file->path, &raw, &raw_size);
        const int utf8 =
            !encoding || strcasecmp(encoding, "UTF-8") == 0 || strcasecmp(encoding, "UTF8") == 0;
        if (status == CVSEG_OK && !utf8) {
            status = text_convert(file->path, encoding, raw, raw_size, &file->memory, &size);
            free(raw);
        } else {
            file->memory = raw;
            size = raw_size;
        }
    }
    status = cvseg_mpi_agree(comm, status);
    int64_t total = (int64_t)size;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Bcast(&total, 1, MPI_INT64_T, 0, comm), "text broadcast");
    if (status == CVSEG_OK && rank != 0 && !(file->memory = malloc((size_t)total + 1)))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld bytes of decoded text",
                            (long long)total);
    status = cvseg_mpi_agree(comm, status);
    for (int64_t at = 0; status == CVSEG_OK && at < total; at += 1 << 30) {
        const int piece = (int)(total - at < (1 << 30) ? total - at : (1 << 30));
        status = cvseg_mpi_check(MPI_Bcast(file->memory + at, piece, MPI_CHAR, 0, comm),
                                 "text broadcast");
    }
    file->size = total;
    return status;
}

/* Copies the line buffer[scan, scan + length) (file offsets; the next line
 * starts at next) into *line: without a '\r' at its end, and without a UTF-8
 * byte order mark at the start of the file. */
static cvseg_status text_take_head_line(const cvseg_text_file *file, const char *buffer,
                                        size_t scan, size_t length, size_t next,
                                        int64_t line_number, cvseg_text_line *line)
{
    cvseg_status status = CVSEG_OK;
    const char *text = buffer + scan;
    if (length > 0 && text[length - 1] == '\r')
        --length;
    if (scan == 0 && length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        length -= 3;
    }
    line->text = malloc(length + 1);
    if (!line->text) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory reading '%s'", file->path);
        goto done;
    }
    memcpy(line->text, text, length);
    line->text[length] = '\0';
    line->length = length;
    line->number = line_number;
    line->start = (int64_t)scan;
    line->end = (int64_t)next;
done:
    return status;
}

/* Rank 0's part of cvseg_text_open: finds the first two non-blank lines. */
static cvseg_status text_read_head(cvseg_text_file *file)
{
    cvseg_status status = CVSEG_OK;
    char *buffer = NULL;
    size_t used = 0, capacity = 0, scan = 0;
    int64_t line_number = 0;
    int found = 0, eof = 0;
    while (found < 2) {
        /* Complete lines in buffer[scan, used) (the last one only at end of file). */
        const char *newline = used > scan ? memchr(buffer + scan, '\n', used - scan) : NULL;
        if (!newline && !eof) {
            if (used - scan > TEXT_HEAD_LINE_MAX) {
                status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', line %lld: longer than %d bytes",
                                    file->path, (long long)(line_number + 1), TEXT_HEAD_LINE_MAX);
                goto done;
            }
            if (capacity - used < TEXT_READ_PIECE) {
                capacity = capacity ? 2 * capacity : 4 * TEXT_READ_PIECE;
                char *grown = realloc(buffer, capacity);
                if (!grown) {
                    status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory reading '%s'", file->path);
                    goto done;
                }
                buffer = grown;
            }
            size_t got = 0;
            status = text_read_at(file, (int64_t)used, buffer + used, TEXT_READ_PIECE, &got);
            if (status != CVSEG_OK)
                goto done;
            used += got;
            eof = got < TEXT_READ_PIECE;
            continue;
        }
        if (scan >= used)
            break; /* end of file */
        const size_t line_end = newline ? (size_t)(newline - buffer) : used;
        const size_t next = newline ? line_end + 1 : used;
        size_t length = line_end - scan;
        ++line_number;
        if (!cvseg_is_blank(buffer + scan, length)) {
            status = text_take_head_line(file, buffer, scan, length, next, line_number,
                                         &file->head[found]);
            if (status != CVSEG_OK)
                goto done;
            ++found;
        }
        scan = next;
    }
done:
    free(buffer);
    return status;
}

static void text_free_head(cvseg_text_file *file)
{
    for (int k = 0; k < 2; ++k) {
        free(file->head[k].text);
        memset(&file->head[k], 0, sizeof file->head[k]);
    }
}

/* Sends rank 0's head lines to every rank. */
static cvseg_status text_broadcast_head(MPI_Comm comm, int rank, cvseg_text_file *file)
{
    cvseg_status status = CVSEG_OK;
    for (int k = 0; k < 2 && status == CVSEG_OK; ++k) {
        cvseg_text_line *line = &file->head[k];
        int64_t meta[4] = {line->text ? (int64_t)line->length : -1, line->number, line->start,
                           line->end};
        status = cvseg_mpi_check(MPI_Bcast(meta, 4, MPI_INT64_T, 0, comm), "head broadcast");
        if (status != CVSEG_OK || meta[0] < 0)
            continue;
        if (rank != 0) {
            line->length = (size_t)meta[0];
            line->number = meta[1];
            line->start = meta[2];
            line->end = meta[3];
            line->text = malloc(line->length + 1);
            if (!line->text)
                status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a header line");
        }
        status = cvseg_mpi_agree(comm, status);
        if (status == CVSEG_OK)
            status = cvseg_mpi_check(
                MPI_Bcast(line->text, (int)line->length + 1, MPI_CHAR, 0, comm), "head broadcast");
    }
    return status;
}

cvseg_status cvseg_text_open(MPI_Comm comm, const char *path, const char *encoding,
                             cvseg_text_file *file)
{
    cvseg_status status = CVSEG_OK;
    struct stat info;
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    memset(file, 0, sizeof *file);
    file->path = path;
    file->fd = -1;
    file->fd = open(path, O_RDONLY);
    if (file->fd < 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot open (%s)", path, strerror(errno));
    else if (fstat(file->fd, &info) != 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot stat (%s)", path, strerror(errno));
    else if (!S_ISREG(info.st_mode))
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': not a regular file", path);
    else
        file->size = (int64_t)info.st_size;
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK && text_needs_decoding(file, encoding))
        status = text_decode(comm, rank, encoding, file);
    if (status != CVSEG_OK)
        goto done;
    if (rank == 0)
        status = text_read_head(file);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = text_broadcast_head(comm, rank, file);
done:
    if (status != CVSEG_OK)
        cvseg_text_close(file);
    return status;
}

/* The first line start at or after pos in [begin, size]. */
static cvseg_status text_line_start_at_or_after(const cvseg_text_file *file, int64_t begin,
                                                int64_t pos, int64_t *start)
{
    cvseg_status status = CVSEG_OK;
    char piece[TEXT_READ_PIECE];
    *start = file->size;
    if (pos <= begin) {
        *start = begin;
        goto done;
    }
    for (int64_t at = pos - 1; at < file->size;) {
        size_t got = 0;
        status = text_read_at(file, at, piece, sizeof piece, &got);
        if (status != CVSEG_OK || got == 0)
            goto done;
        const char *newline = memchr(piece, '\n', got);
        if (newline) {
            *start = at + (int64_t)(newline - piece) + 1;
            goto done;
        }
        at += (int64_t)got;
    }
done:
    return status;
}

cvseg_status cvseg_text_read_range(MPI_Comm comm, const cvseg_text_file *file, int64_t begin,
                                   int64_t begin_line, cvseg_text_range *range)
{
    cvseg_status status = CVSEG_OK;
    int rank = 0, ranks = 1;
    int64_t newlines = 0, before = 0, total = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    memset(range, 0, sizeof *range);
    if (begin < 0 || begin > file->size)
        begin = file->size;
    int64_t lo = begin, hi = begin;
    cvseg_text_share(begin, file->size, rank, ranks, &lo, &hi);
    int64_t start = begin, end = file->size;
    status = text_line_start_at_or_after(file, begin, lo, &start);
    if (status == CVSEG_OK && rank + 1 < ranks)
        status = text_line_start_at_or_after(file, begin, hi, &end);
    if (status != CVSEG_OK)
        goto agree;
    if (end < start)
        end = start; /* a line longer than this rank's share starts before it */
    range->begin = start;
    range->end = end;
    range->size = (size_t)(end - start);
    range->data = malloc(range->size + 1);
    if (!range->data) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld bytes of '%s'",
                            (long long)range->size, file->path);
        goto agree;
    }
    size_t got = 0;
    status = text_read_at(file, start, range->data, range->size, &got);
    if (status == CVSEG_OK && got != range->size)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': shorter than expected (changed while read?)",
                            file->path);
    if (status != CVSEG_OK)
        goto agree;
    range->data[range->size] = '\0';
    for (const char *at = range->data, *stop = range->data + range->size;
         (at = memchr(at, '\n', (size_t)(stop - at))) != NULL; ++at)
        ++newlines;
    range->lines = newlines + (range->size > 0 && range->data[range->size - 1] != '\n');
agree:
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(comm, newlines, &before, &total);
    if (status == CVSEG_OK)
        range->first_line = begin_line + before;
    else
        cvseg_text_range_free(range);
    return status;
}

void cvseg_text_range_free(cvseg_text_range *range)
{
    free(range->data);
    memset(range, 0, sizeof *range);
}

void cvseg_text_close(cvseg_text_file *file)
{
    if (file->fd >= 0)
        close(file->fd);
    free(file->memory);
    file->memory = NULL;
    text_free_head(file);
    file->fd = -1;
}
