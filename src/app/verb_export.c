/* verb_export.c: `cvseg export`: one CSV row per member of a results (or
 * clv, member, transaction) file, written by every rank with MPI-IO.
 *
 * Rows go in windows of ranks x piece rows: in each window every rank reads
 * its consecutive share of the rows (collective reads), formats it
 * (csv_write.h; gzip members for .gz) and all ranks append their bytes in
 * rank order (parallel_text.h). So the file is in member order, memory is
 * bounded by one piece per rank, and the text does not depend on the ranks
 * or threads (the .gz bytes depend on the ranks: one member per rank and
 * block of rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/csv_write.h"
#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/io_columns.h"
#include "cvseg/outputs.h"
#include "cvseg/parallel_text.h"
#include "cvseg/partition.h"

static const cvseg_option export_options[] = {
    {"results", CVSEG_OPT_VALUE, "RESULTS.h5",
     "file to export: results of rfm/train/score (/results), of clv (/clv), or a member table "
     "(/members)",
     1, 0},
    {"out", CVSEG_OPT_VALUE, "FILE.csv",
     "CSV file to write (a name ending in .gz is written gzip-compressed)", 1, 0},
    {"columns", CVSEG_OPT_VALUE, "COL,COL,...",
     "columns to write, in this order (default: member_id, then every other 1-D dataset of the "
     "group by name)",
     0, 0},
    {"group", CVSEG_OPT_VALUE, "GROUP",
     "group to export (default: the first of /results, /clv, /members, /transactions)", 0, 0},
};
enum { EXPORT_OPTIONS = (int)(sizeof export_options / sizeof export_options[0]) };
/* The run's declared files (outputs.h), by index. */
enum { EXPORT_FILE_RESULTS, EXPORT_FILE_OUT, EXPORT_FILES };

/* Rows each rank formats per window, unless CVSEG_EXPORT_PIECE_ROWS says. */
#define EXPORT_PIECE_ROWS  (256 * 1024)
#define EXPORT_MAX_COLUMNS 256
#define EXPORT_GZIP_LEVEL  6 /* zlib level of .gz outputs */

typedef struct {
    const char *path; /* as given */
    char group[256];
    int n_columns;
    char *names[EXPORT_MAX_COLUMNS];
    cvseg_column_info info[EXPORT_MAX_COLUMNS];
    cvseg_csv_column csv[EXPORT_MAX_COLUMNS];
    void *buffers[EXPORT_MAX_COLUMNS]; /* [piece rows] of the column's type */
    int64_t n_rows;
} export_table;

static void export_table_free(export_table *table)
{
    for (int c = 0; c < table->n_columns; ++c) {
        free(table->names[c]);
        cvseg_column_info_free(&table->info[c]);
        free(table->buffers[c]);
    }
    table->n_columns = 0;
}

/* --group, else the first table group the file has. EDATA when none. */
static cvseg_status export_choose_group(cvseg_reader *reader, const char *given,
                                        export_table *table)
{
    static const char *const groups[] = {"/results", "/clv", "/members", "/transactions"};
    if (given) {
        snprintf(table->group, sizeof table->group, "%s%s", given[0] == '/' ? "" : "/", given);
        return CVSEG_OK;
    }
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; ++g)
        if (cvseg_reader_exists(reader, groups[g])) {
            snprintf(table->group, sizeof table->group, "%s", groups[g]);
            return CVSEG_OK;
        }
    return CVSEG_FAIL(CVSEG_EDATA,
                      "file '%s': none of the groups /results, /clv, /members, /transactions "
                      "(use --group)",
                      table->path);
}

static cvseg_status export_add_column(export_table *table, const char *name)
{
    for (int c = 0; c < table->n_columns; ++c)
        if (strcmp(table->names[c], name) == 0)
            return CVSEG_FAIL(CVSEG_EUSAGE, "--columns: column '%s' is named twice", name);
    if (table->n_columns == EXPORT_MAX_COLUMNS)
        return CVSEG_FAIL(CVSEG_EUSAGE, "more than %d columns", EXPORT_MAX_COLUMNS);
    table->names[table->n_columns] = strdup(name);
    if (!table->names[table->n_columns])
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    table->n_columns++;
    return CVSEG_OK;
}

/* The --columns list (each must be in the group: else EUSAGE naming it). */
static cvseg_status export_listed_columns(export_table *table, const char *list, char **present,
                                          int n_present)
{
    cvseg_status status = CVSEG_OK;
    const char *at = list;
    while (status == CVSEG_OK) {
        const size_t length = strcspn(at, ",");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(length < 255 ? length : 255), at);
        int found = 0;
        for (int p = 0; p < n_present && !found; ++p)
            found = strcmp(present[p], name) == 0;
        if (length == 0)
            status = CVSEG_FAIL(CVSEG_EUSAGE, "--columns '%s': an empty column name", list);
        else if (!found)
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "--columns: unknown column '%s' (no dataset '%s/%s' "
                                "in file '%s')",
                                name, table->group, name, table->path);
        else
            status = export_add_column(table, name);
        if (at[length] == '\0')
            break;
        at += length + 1;
    }
    return status;
}

/* member_id first, then every other 1-D dataset by name. */
static cvseg_status export_default_columns(cvseg_reader *reader, export_table *table,
                                           char **present, int n_present)
{
    cvseg_status status = CVSEG_OK;
    for (int pass = 0; pass < 2 && status == CVSEG_OK; ++pass)
        for (int p = 0; p < n_present && status == CVSEG_OK; ++p) {
            const int is_id = strcmp(present[p], "member_id") == 0;
            cvseg_column_info info;
            if (is_id != (pass == 0))
                continue;
            status = cvseg_reader_describe(reader, table->group, present[p], &info);
            if (status == CVSEG_OK && info.dimensions == 1)
                status = export_add_column(table, present[p]);
            cvseg_column_info_free(&info);
        }
    if (status == CVSEG_OK && table->n_columns == 0)
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': group '%s' has no 1-D dataset to export",
                            table->path, table->group);
    return status;
}

/* How column c is read and written; its piece buffer. */
static cvseg_status export_prepare_column(cvseg_reader *reader, export_table *table, int c,
                                          int64_t piece_rows)
{
    cvseg_column_info *info = &table->info[c];
    cvseg_status status = cvseg_reader_describe(reader, table->group, table->names[c], info);
    if (status != CVSEG_OK)
        return status;
    if (info->class == CVSEG_COLUMN_OTHER)
        return CVSEG_FAIL(CVSEG_EDATA,
                          "file '%s', dataset '%s/%s': not a number or enum (cannot export "
                          "it; leave it out with --columns)",
                          table->path, table->group, table->names[c]);
    const cvseg_csv_kind kind = info->class == CVSEG_COLUMN_ENUM ? CVSEG_CSV_ENUM
                                : info->class == CVSEG_COLUMN_FLOAT
                                    ? (info->size <= 4 ? CVSEG_CSV_FLOAT : CVSEG_CSV_DOUBLE)
                                : info->is_date ? CVSEG_CSV_DATE
                                                : CVSEG_CSV_INTEGER;
    const size_t width = kind == CVSEG_CSV_ENUM ? 1 : kind == CVSEG_CSV_FLOAT ? 4 : 8;
    table->buffers[c] = malloc((size_t)(piece_rows > 0 ? piece_rows : 1) * width);
    if (!table->buffers[c])
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a piece of column '%s'",
                          table->names[c]);
    table->csv[c] = (cvseg_csv_column){table->names[c], kind, table->buffers[c],
                                       (const char *const *)info->enum_names};
    return CVSEG_OK;
}

/* Group, columns, their types and the row count. Collective. */
static cvseg_status export_open_table(const cvseg_app *app, cvseg_reader *reader,
                                      const cvseg_options *options, int64_t piece_rows,
                                      export_table *table)
{
    char **present = NULL;
    int n_present = 0;
    cvseg_status status = export_choose_group(reader, cvseg_opt(options, "group"), table);
    if (status == CVSEG_OK)
        status = cvseg_reader_list(reader, table->group, &present, &n_present);
    if (status == CVSEG_OK && cvseg_opt_has(options, "columns"))
        status = export_listed_columns(table, cvseg_opt(options, "columns"), present, n_present);
    else if (status == CVSEG_OK)
        status = export_default_columns(reader, table, present, n_present);
    for (int c = 0; c < table->n_columns && status == CVSEG_OK; ++c)
        status = export_prepare_column(reader, table, c, piece_rows);
    cvseg_column_names_free(present, n_present);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, table->group, (const char *const *)table->names,
                                    table->n_columns, &table->n_rows);
    return status;
}

/* Reads rows [first, first + count) of every column into the buffers.
 * Collective (count may be 0). */
static cvseg_status export_read_piece(cvseg_reader *reader, export_table *table, int64_t first,
                                      int64_t count)
{
    cvseg_status status = CVSEG_OK;
    for (int c = 0; c < table->n_columns && status == CVSEG_OK; ++c) {
        const cvseg_csv_kind kind = table->csv[c].kind;
        if (kind == CVSEG_CSV_ENUM)
            status = cvseg_reader_enum_column(reader, table->group, table->names[c], first, count,
                                              table->buffers[c]);
        else
            status = cvseg_reader_column(reader, table->group, table->names[c],
                                         kind == CVSEG_CSV_FLOAT    ? CVSEG_T_F32
                                         : kind == CVSEG_CSV_DOUBLE ? CVSEG_T_F64
                                                                    : CVSEG_T_I64,
                                         first, count, table->buffers[c]);
    }
    return status;
}

/* Formats this rank's rows of the piece (the header first on rank 0 in the
 * first window) into text. EDATA naming the value the formatter refuses. */
static cvseg_status export_format_piece(export_table *table, int header, int64_t first,
                                        int64_t count, int gzip_level, cvseg_text *text)
{
    cvseg_text head = {0};
    cvseg_csv_bad bad = {-1, -1, 0};
    cvseg_status status = CVSEG_OK;
    text->length = 0;
    if (header)
        status = cvseg_csv_append_header(&head, table->n_columns, table->csv);
    if (status == CVSEG_OK && header && gzip_level > 0)
        status = cvseg_gzip_append_member(text, head.data, head.length, gzip_level);
    else if (status == CVSEG_OK && header)
        status = cvseg_text_append(text, head.data, head.length);
    if (status == CVSEG_OK)
        status = cvseg_csv_append_rows(text, table->n_columns, table->csv, count, gzip_level, &bad);
    if (status == CVSEG_EDATA)
        status = CVSEG_FAIL(
            CVSEG_EDATA, "file '%s', dataset '%s/%s', row %lld: %s %lld %s", table->path,
            table->group, table->names[bad.column], (long long)(first + bad.row),
            table->csv[bad.column].kind == CVSEG_CSV_DATE ? "date" : "enum value", bad.value,
            table->csv[bad.column].kind == CVSEG_CSV_DATE
                ? "(days since 1970-01-01) outside 0001-01-01..9999-12-31"
                : "has no name in the enum type");
    cvseg_text_free(&head);
    return status;
}

/* Window by window: read, format, append. Collective. */
static cvseg_status export_write(const cvseg_app *app, cvseg_reader *reader, export_table *table,
                                 int64_t piece_rows, int gzip_level, cvseg_parallel_text *file)
{
    const int64_t window = piece_rows * app->ranks;
    const int64_t windows = table->n_rows > 0 ? (table->n_rows + window - 1) / window : 1;
    cvseg_text text = {0};
    cvseg_status status = CVSEG_OK;
    for (int64_t w = 0; w < windows && status == CVSEG_OK; ++w) {
        const int64_t start = w * window;
        const int64_t in_window = table->n_rows - start < window ? table->n_rows - start : window;
        const cvseg_block block =
            cvseg_block_partition(in_window > 0 ? in_window : 0, app->ranks, app->rank);
        status = export_read_piece(reader, table, start + block.offset, block.count);
        if (status == CVSEG_OK)
            status = export_format_piece(table, w == 0 && app->rank == 0, start + block.offset,
                                         block.count, gzip_level, &text);
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            status = cvseg_parallel_text_append(file, text.data, (int64_t)text.length);
    }
    cvseg_text_free(&text);
    return status;
}

/* Rows per rank and window: EXPORT_PIECE_ROWS or CVSEG_EXPORT_PIECE_ROWS
 * (>= 1; the smallest over ranks). Collective. */
static cvseg_status export_piece_rows(const cvseg_app *app, int64_t *rows)
{
    const char *given = getenv("CVSEG_EXPORT_PIECE_ROWS");
    *rows = given && atoll(given) > 0 ? atoll(given) : EXPORT_PIECE_ROWS;
    return cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, rows, 1, MPI_INT64_T, MPI_MIN, app->comm),
                           "export planning");
}

/* gzip level of a .gz output (0: plain text). */
static int export_gzip_level(const char *path)
{
    const size_t length = strlen(path);
    return length > 3 && strcmp(path + length - 3, ".gz") == 0 ? EXPORT_GZIP_LEVEL : 0;
}

static void export_help(const cvseg_app *app)
{
    if (app->rank == 0)
        cvseg_options_help(stdout, "export",
                           "Writes one CSV row per member (header line; enums as names, dates "
                           "as YYYY-MM-DD, floats in the shortest text that reads back "
                           "exactly, NaN as an empty field), in member order, every rank "
                           "writing its part with MPI-IO; FILE.csv.gz is gzip-compressed.",
                           export_options, EXPORT_OPTIONS);
}

/* Opens the input table and the output text, writes every window, logs. */
static cvseg_status export_run(cvseg_app *app, cvseg_outputs *outputs, const cvseg_options *options,
                               export_table *table, cvseg_reader **reader)
{
    cvseg_parallel_text *file = NULL;
    int64_t piece_rows = EXPORT_PIECE_ROWS;
    const char *out = cvseg_opt(options, "out");
    cvseg_status status = export_piece_rows(app, &piece_rows);
    if (status == CVSEG_OK)
        status = cvseg_reader_open(app->comm, table->path, reader);
    if (status == CVSEG_OK)
        status = export_open_table(app, *reader, options, piece_rows, table);
    if (status == CVSEG_OK)
        status = cvseg_parallel_text_open(
            app->comm, cvseg_outputs_temporary(outputs, EXPORT_FILE_OUT), out, &file);
    if (status == CVSEG_OK)
        status = export_write(app, *reader, table, piece_rows, export_gzip_level(out), file);
    const int64_t bytes = file ? cvseg_parallel_text_size(file) : 0;
    if (file)
        status = cvseg_parallel_text_close(file, status);
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "%lld rows x %d columns of %s%s -> %s (%lld bytes)",
                  (long long)table->n_rows, table->n_columns, table->path, table->group, out,
                  (long long)bytes);
    return status;
}

cvseg_status cvseg_verb_export(cvseg_app *app)
{
    cvseg_options options;
    cvseg_outputs *outputs = NULL;
    cvseg_reader *reader = NULL;
    export_table table = {0};
    cvseg_status status = cvseg_options_parse(app, export_options, EXPORT_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
        export_help(app);
        return CVSEG_OK;
    }
    if (status != CVSEG_OK)
        return status;
    const cvseg_file_decl files[EXPORT_FILES] = {
        [EXPORT_FILE_RESULTS] = {"--results", cvseg_opt(&options, "results"), CVSEG_FILE_INPUT},
        [EXPORT_FILE_OUT] = {"--out", cvseg_opt(&options, "out"), CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, EXPORT_FILES, files, &outputs);
    if (status != CVSEG_OK)
        return status;
    table.path = cvseg_opt(&options, "results");
    status = export_run(app, outputs, &options, &table, &reader);
    export_table_free(&table);
    cvseg_reader_close(reader);
    return cvseg_outputs_finish(outputs, status);
}
