/* verb_import.c: `cvseg import`: CDNOW text files and CSV exports into HDF5
 * transaction logs (/transactions) and member tables (/members). The wiring
 * only: options -> plan, ranges, table, report.
 *
 * Every rank reads its own line-aligned byte range of the text file
 * (text_import.h), parses it into typed columns with the core text parser
 * (text_parse.h: plans, cells, rows), and all ranks write one collective
 * table at offsets from an exclusive scan of their row counts. A bad cell or
 * line stops the rank's parse with a one-line message naming the file, the
 * global line number, the column and the text; the agreement picks the
 * lowest failing rank, whose range holds the lowest lines, so the message
 * printed is that of the first bad line of the file. The output is created
 * only after the whole input parsed, so a failed import never touches it.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/text_import.h"
#include "cvseg/text_parse.h"
#include "pipeline.h"
#include "provenance.h"

static const cvseg_option import_options[] = {
    {"format", CVSEG_OPT_VALUE, "cdnow|csv",
     "input format: CDNOW text (whitespace-separated) or CSV with a header row", 1, 0},
    {"in", CVSEG_OPT_VALUE, "TEXT", "input text file", 1, 0},
    {"out", CVSEG_OPT_VALUE, "FILE", "output HDF5 file", 1, 0},
    {"kind", CVSEG_OPT_VALUE, "transactions|members",
     "table to write (csv: default members; cdnow: transactions only)", 0, 0},
    {"map", CVSEG_OPT_VALUE, "FIELD=COLUMN",
     "csv: take FIELD from the column named COLUMN (repeatable; default: the column named "
     "like the field)",
     0, 1},
    {"reference-date", CVSEG_OPT_VALUE, "DATE",
     "end of the observation window, stored as the attribute reference_date (overrides a "
     "mapped reference_date column)",
     0, 0},
    {"delimiter", CVSEG_OPT_VALUE, "C", "csv: field delimiter, one character or 'tab' (default ,)",
     0, 0},
    {"date-format", CVSEG_OPT_VALUE, "FMT",
     "csv: read every date cell with this strptime-like format (%Y %y %m %d %H %M %S %b %%), "
     "e.g. '%m/%d/%Y %H:%M'",
     0, 0},
    {"missing-member", CVSEG_OPT_VALUE, "error|skip",
     "csv: a row whose member_id cell is empty is an error (default) or is skipped and counted", 0,
     0},
    {"summary", CVSEG_OPT_VALUE, "SUMMARY.json", "write row counts (read, imported, skipped)", 0,
     0},
    {"encoding", CVSEG_OPT_VALUE, "NAME",
     "text encoding of the input (iconv name, e.g. GB18030, LATIN1, UTF-16; default UTF-8); "
     "converted to UTF-8 on rank 0 before parsing",
     0, 0},
};
enum { IMPORT_OPTIONS = sizeof import_options / sizeof import_options[0] };

static const char import_summary[] =
    "Imports a text file into an HDF5 transaction log (/transactions: member_id, date, amount,\n"
    "quantity) or member table (/members: member_id, first_purchase, last_purchase, frequency,\n"
    "monetary, and the airline fields join_date, flight_count, seg_km_sum, avg_discount,\n"
    "fare_yr1, fare_yr2). Every rank parses its own share of the lines; the datasets are\n"
    "identical for any number of ranks.\n"
    "\n"
    "--format cdnow: the CDNOW files, whitespace-separated: CDNOW_master.txt (a header line, then\n"
    "  customer id, YYYYMMDD date, number of CDs, dollar value) or CDNOW_sample.txt (no header;\n"
    "  id in master, id in sample, date, CDs, dollars: member_id is the id in master).\n"
    "--format csv: a header row naming the columns, then one row per line. Fields are separated\n"
    "  by --delimiter; \"quoted\" fields may contain the delimiter and \"\" for a quote, but not\n"
    "  line breaks. Fields for --kind members: member_id, last_purchase, frequency, monetary\n"
    "  (required), first_purchase, join_date, flight_count, seg_km_sum, avg_discount, fare_yr1,\n"
    "  fare_yr2 (optional), reference_date (a column holding the same date on every row, e.g.\n"
    "  LOAD_TIME: becomes the attribute reference_date) and recency_days (days from the last\n"
    "  purchase to the reference date, e.g. LAST_TO_END: last_purchase = reference date -\n"
    "  recency_days). Without frequency, frequency = flight_count; without monetary,\n"
    "  monetary = fare_yr1 + fare_yr2 (NaN when either is missing), and an airline table\n"
    "  (join_date, flight_count, seg_km_sum, avg_discount) needs neither. Fields for --kind\n"
    "  transactions: member_id, date, amount (required), quantity, order_id (optional).\n"
    "  A number field may be the product of two columns: --map amount=Quantity*UnitPrice (the\n"
    "  IEEE product of the two parsed doubles). order_id (invoice number, text or integer) is\n"
    "  stored as int64: a canonical decimal integer as itself, other text as a 63-bit hash of\n"
    "  its bytes (FNV-1a + SplitMix64 finalizer), so '536365' and 'C536365' differ.\n"
    "  Airline example: --map member_id=MEMBER_NO --map join_date=FFP_DATE\n"
    "  --map flight_count=FLIGHT_COUNT --map seg_km_sum=SEG_KM_SUM --map "
    "avg_discount=avg_discount\n"
    "  --map fare_yr1=SUM_YR_1 --map fare_yr2=SUM_YR_2 --map reference_date=LOAD_TIME\n"
    "  --map recency_days=LAST_TO_END\n"
    "\n"
    "Cells: dates are YYYY-MM-DD, YYYYMMDD or YYYY/M/D, the first and last optionally with a\n"
    "time (' ' or 'T', HH:MM[:SS], optional Z or +hh:mm; checked, then dropped), or follow\n"
    "--date-format (%Y, %y: 00-68 -> 20xx, 69-99 -> 19xx, %m, %d, %H, %M, %S 1-2 digits, %b\n"
    "Jan..Dec); integers are decimal (\"12.0\" counts as\n"
    "12); numbers are decimal with an optional exponent. An empty number cell (or NaN) is stored\n"
    "as NaN, a missing value, never as zero. Integer and date cells must not be empty: HDF5\n"
    "integers have no missing value, so an empty one is a bad row. Blank lines are skipped.\n"
    "A bad line stops the import with exit code 2 and one message naming the file, line, column\n"
    "and text; the output file is then not written (an earlier one stays as it was). With\n"
    "--missing-member skip, rows with an empty member cell are left out and counted (stderr and\n"
    "--summary). A .gz input is decompressed and --encoding text converted to UTF-8 on rank 0,\n"
    "then shared with every rank (each holds the whole decoded text).";

#define IMPORT_DATE_UNITS "days since 1970-01-01"

/* ------------------------------------------------------------ options */

static cvseg_status import_parse_delimiter(const cvseg_options *options, char *delimiter)
{
    const char *text = cvseg_opt_or(options, "delimiter", ",");
    cvseg_status status = CVSEG_OK;
    if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0)
        *delimiter = '\t';
    else if (strlen(text) == 1 && text[0] != '"' && text[0] != '\r' && text[0] != '\n')
        *delimiter = text[0];
    else
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --delimiter: '%s' is not one character (other than a quote) "
                            "or 'tab'",
                            text);
    return status;
}

/* --date-format and --missing-member (usage errors only). */
static cvseg_status import_parse_row_rules(const cvseg_options *options, cvseg_import_plan *plan)
{
    const char *missing = "error";
    plan->date_format = cvseg_opt(options, "date-format");
    cvseg_status status =
        cvseg_opt_choice(options, "missing-member", "error", "error|skip", &missing);
    plan->skip_missing_member = status == CVSEG_OK && strcmp(missing, "skip") == 0;
    if (status == CVSEG_OK && plan->date_format && !cvseg_date_format_valid(plan->date_format))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --date-format: '%s' needs one year (%%Y or %%y), one month "
                            "(%%m or %%b) and one day (%%d); other fields: %%H %%M %%S %%%%",
                            plan->date_format);
    return status;
}

/* The --map options into plan->mapped (usage errors only). */
static cvseg_status import_parse_maps(const cvseg_options *options, cvseg_import_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    int o = 0;
    while (o < options->count && strcmp(options->table[o].name, "map") != 0)
        ++o;
    for (int r = 0; r < options->n_repeats[o] && status == CVSEG_OK; ++r)
        status = cvseg_import_plan_map(plan, options->repeats[o][r]); /* argv outlives the import */
    return status;
}

/* Usage checks: identical on every rank, no communication. */
static cvseg_status import_usage(const cvseg_options *options, cvseg_import_plan *plan)
{
    const char *format = "csv", *kind = "members";
    cvseg_status status = cvseg_opt_choice(options, "format", NULL, "cdnow|csv", &format);
    const int cdnow = status == CVSEG_OK && strcmp(format, "cdnow") == 0;
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "kind", cdnow ? "transactions" : "members",
                                  "transactions|members", &kind);
    plan->kind = strcmp(kind, "transactions") == 0 ? CVSEG_KIND_TRANSACTIONS : CVSEG_KIND_MEMBERS;
    plan->path = cvseg_opt(options, "in");
    plan->whitespace = cdnow;
    if (status == CVSEG_OK && cdnow && plan->kind != CVSEG_KIND_TRANSACTIONS)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--format cdnow imports transactions only (--kind transactions); "
                            "`cvseg aggregate` makes the member table");
    if (status == CVSEG_OK && cdnow &&
        (cvseg_opt_has(options, "map") || cvseg_opt_has(options, "delimiter") ||
         cvseg_opt_has(options, "date-format") || cvseg_opt_has(options, "missing-member")))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--map, --delimiter, --date-format and --missing-member apply to "
                            "--format csv only (CDNOW columns are fixed)");
    if (status == CVSEG_OK && !cdnow)
        status = import_parse_delimiter(options, &plan->delimiter);
    if (status == CVSEG_OK)
        status = import_parse_row_rules(options, plan);
    if (status == CVSEG_OK)
        status = import_parse_maps(options, plan);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(options, "reference-date", &plan->attribute_reference,
                                &plan->have_attribute_reference);
    return status;
}

/* ------------------------------------------------------------ output */

/* Totals over the ranks: reports skipped rows (stderr, rank 0) and writes
 * the --summary document. Collective. */
static cvseg_status import_report_rows(cvseg_app *app, cvseg_outputs *outputs,
                                       const cvseg_import_plan *plan, const cvseg_import_table *t,
                                       int64_t total, const char *summary)
{
    int64_t counts[2] = {t->rows_read, t->skipped_missing_member};
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, counts, 2);
    if (status == CVSEG_OK && counts[1] > 0 && app->rank == 0)
        fprintf(stderr,
                "cvseg: import: %lld of %lld rows skipped (missing_member: %lld; "
                "--missing-member skip)\n",
                (long long)counts[1], (long long)counts[0], (long long)counts[1]);
    if (status == CVSEG_OK && summary) {
        json_t *doc =
            json_pack("{s:s, s:s, s:I, s:I, s:{s:I}, s:i}", "verb", "import", "input", plan->path,
                      "rows_read", (json_int_t)counts[0], "rows_imported", (json_int_t)total,
                      "rows_skipped", "missing_member", (json_int_t)counts[1], "ranks", app->ranks);
        status = cvseg_write_json_output(app, outputs, 2, doc, status);
        json_decref(doc);
    }
    return status;
}

/* The stored output fields of the plan as writer columns; returns their count. */
static int import_columns(const cvseg_import_plan *plan, const cvseg_import_table *t,
                          cvseg_column columns[CVSEG_FIELD_COUNT])
{
    int n_columns = 0;
    for (int f = 0; f < CVSEG_FIELD_COUNT; ++f) {
        const cvseg_import_field_def *field = &cvseg_import_fields[f];
        if (!field->output || !(field->kinds & plan->kind) || !cvseg_import_field_stored(plan, f))
            continue;
        const cvseg_type type = field->type == CVSEG_CELL_I64 || field->type == CVSEG_CELL_ORDER
                                    ? CVSEG_T_I64
                                : field->type == CVSEG_CELL_F64 ? CVSEG_T_F64
                                                                : CVSEG_T_I32;
        columns[n_columns++] =
            (cvseg_column){field->name, type, t->data[f], NULL,
                           field->type == CVSEG_CELL_DATE ? IMPORT_DATE_UNITS : field->units};
    }
    return n_columns;
}

/* Writes the table and its attributes. Collective. */
static cvseg_status import_write_table(cvseg_app *app, cvseg_outputs *outputs,
                                       const cvseg_import_plan *plan, const cvseg_import_table *t,
                                       int64_t offset, int64_t total)
{
    cvseg_writer *writer = NULL;
    cvseg_column columns[CVSEG_FIELD_COUNT];
    const int n_columns = import_columns(plan, t, columns);
    const int airline = cvseg_import_is_airline(plan);
    const char *group = plan->kind == CVSEG_KIND_MEMBERS ? "/members" : "/transactions";
    cvseg_status status = cvseg_writer_open(outputs, 1, &writer);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_writer_columns(writer, group, total, offset, t->rows, n_columns, columns);
    if (status == CVSEG_OK)
        status =
            cvseg_writer_attr_str(writer, group, "schema",
                                  plan->kind == CVSEG_KIND_TRANSACTIONS ? "cvseg.transactions/1"
                                  : airline                             ? "cvseg.members.airline/1"
                                                                        : "cvseg.members/1");
    if (status == CVSEG_OK && plan->have_attribute_reference)
        status = cvseg_writer_attr_i32(writer, group, "reference_date", plan->attribute_reference);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, group, plan->path, 0);
    status = cvseg_writer_close(writer, status);
done:
    return status;
}

/* ------------------------------------------------------------ the verb */

/* What one import holds; everything is released by import_state_free. */
typedef struct {
    cvseg_options options;
    cvseg_import_plan plan;
    cvseg_text_file file;
    cvseg_import_table table;
    cvseg_outputs *outputs;
    int64_t offset, total; /* this rank's first row in the table, rows in all */
    double started;        /* seconds (cvseg_now) when the input was opened */
} import_state;

/* Usage checks and the declared files (--in, --out, --summary). Collective. */
static cvseg_status import_declare(cvseg_app *app, import_state *s)
{
    cvseg_status status = import_usage(&s->options, &s->plan);
    if (status != CVSEG_OK)
        goto done;
    const cvseg_file_decl files[3] = {
        {"--in", s->plan.path, CVSEG_FILE_INPUT},
        {"--out", cvseg_opt(&s->options, "out"), CVSEG_FILE_OUTPUT},
        {"--summary", cvseg_opt(&s->options, "summary"), CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, 3, files, &s->outputs);
    if (status == CVSEG_OK && s->plan.have_attribute_reference) {
        /* The option also serves recency_days when no column gives the date. */
        s->plan.reference = s->plan.attribute_reference;
        s->plan.have_reference = 1;
    }
done:
    return status;
}

/* Opens the input and plans from its first lines (every rank holds them;
 * same decisions); *begin / *begin_line: where the data lines start. Collective. */
static cvseg_status import_plan(cvseg_app *app, import_state *s, int64_t *begin,
                                int64_t *begin_line)
{
    s->started = cvseg_now();
    cvseg_status status =
        cvseg_text_open(app->comm, s->plan.path, cvseg_opt(&s->options, "encoding"), &s->file);
    if (status != CVSEG_OK)
        goto done;
    status = s->plan.whitespace ? cvseg_import_plan_cdnow(&s->plan, s->file.head, begin, begin_line)
                                : cvseg_import_plan_csv(&s->plan, s->file.head, begin, begin_line);
    status = cvseg_mpi_agree(app->comm, status);
done:
    return status;
}

/* Each rank reads and parses its own lines; the table's row offsets.
 * Collective. */
static cvseg_status import_parse(cvseg_app *app, import_state *s, int64_t begin, int64_t begin_line)
{
    cvseg_text_range range;
    cvseg_status status = cvseg_text_read_range(app->comm, &s->file, begin, begin_line, &range);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_import_parse_lines(&s->plan, range.data, range.size, range.first_line,
                                      range.lines, &s->table);
    cvseg_text_range_free(&range);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(app->comm, s->table.rows, &s->offset, &s->total);
done:
    return status;
}

/* Writes the table and the row counts, commits the outputs. Collective. */
static cvseg_status import_write(cvseg_app *app, import_state *s)
{
    const cvseg_import_plan *plan = &s->plan;
    cvseg_log(
        app, 1, "parsed %lld %s from %s (%lld bytes, %s%s) in %.2f s on %d ranks",
        (long long)s->total, plan->kind == CVSEG_KIND_TRANSACTIONS ? "transactions" : "members",
        plan->path, (long long)s->file.size,
        plan->whitespace ? (plan->n_columns == 5 ? "CDNOW sample layout" : "CDNOW master layout")
                         : "CSV",
        cvseg_import_is_airline(plan) ? ", airline fields" : "", cvseg_now() - s->started,
        app->ranks);
    cvseg_status status = import_write_table(app, s->outputs, plan, &s->table, s->offset, s->total);
    if (status == CVSEG_OK)
        status = import_report_rows(app, s->outputs, plan, &s->table, s->total,
                                    cvseg_opt(&s->options, "summary"));
    status = cvseg_outputs_finish(s->outputs, status);
    s->outputs = NULL;
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "wrote %s in %.2f s", cvseg_opt(&s->options, "out"),
                  cvseg_now() - app->start_time);
    return status;
}

cvseg_status cvseg_verb_import(cvseg_app *app)
{
    import_state s;
    int64_t begin = 0, begin_line = 1;
    memset(&s, 0, sizeof s);
    s.file.fd = -1;
    cvseg_status status = cvseg_options_parse(app, import_options, IMPORT_OPTIONS, &s.options);
    if (status == CVSEG_OK && app->help_requested) {
        if (app->rank == 0)
            cvseg_options_help(stdout, "import", import_summary, import_options, IMPORT_OPTIONS);
        goto done;
    }
    if (status == CVSEG_OK)
        status = import_declare(app, &s);
    if (status == CVSEG_OK)
        status = import_plan(app, &s, &begin, &begin_line);
    if (status == CVSEG_OK)
        status = import_parse(app, &s, begin, begin_line);
    if (status == CVSEG_OK)
        status = import_write(app, &s);
done:
    status = cvseg_outputs_finish(s.outputs, status);
    cvseg_import_table_free(&s.table);
    cvseg_text_close(&s.file);
    cvseg_import_plan_free(&s.plan);
    return status;
}
