/* verb_aggregate.c: `cvseg aggregate`: a distributed group-by of an unsorted
 * transaction log into a member table.
 *
 * 1. every rank reads a block of rows, drops rows per the options and sends
 *    every row to the rank owning its member-id range (transactions.c:
 *    cvseg_transactions_exchange): all rows of a member meet on one rank, in
 *    file order, and ranks hold increasing id ranges;
 * 2. each rank aggregates its members (cvseg_aggregate_consume: bucketed
 *    sort column by column, each received column freed once moved; OpenMP)
 *    and the member table is written in ascending member
 *    id: the file is identical for any number of ranks. (Range rather than
 *    hash partitioning, so that the output order needs no second exchange.)
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/aggregate.h"
#include "cvseg/collectives.h"
#include "cvseg/date.h"
#include "cvseg/io.h"
#include "pipeline.h"
#include "provenance.h"
#include "transactions.h"

static const cvseg_option aggregate_options[] = {
    {"in", CVSEG_OPT_VALUE, "TRANSACTIONS.h5", "transaction log (group /transactions)", 1, 0},
    {"out", CVSEG_OPT_VALUE, "MEMBERS.h5", "member table to write (group /members)", 1, 0},
    {"reference-date", CVSEG_OPT_VALUE, "DATE",
     "end of the window; later rows are left out and counted", 1, 0},
    {"returns", CVSEG_OPT_VALUE, "net|drop",
     "rows with amount <= 0: counted and summed as given (net, default) or dropped", 0, 0},
    {"frequency", CVSEG_OPT_VALUE, "rows|orders|days",
     "what F counts: rows; orders (rows sharing /transactions/order_id) with a net amount > 0; "
     "or days with a net amount > 0 (default: orders when the log has order ids, else rows)",
     0, 0},
    {"summary", CVSEG_OPT_VALUE, "SUMMARY.json", "write counts and timings as JSON", 0, 0},
};
enum { AGGREGATE_OPTIONS = sizeof aggregate_options / sizeof aggregate_options[0] };
/* The run's declared files (outputs.h), by index. */
enum { AGGREGATE_FILE_IN, AGGREGATE_FILE_OUT, AGGREGATE_FILE_SUMMARY, AGGREGATE_FILES };

/* Totals over the members of all ranks (int64_t totals[AGGREGATE_TOTALS]). */
enum {
    AGGREGATE_ORDERS,       /* ORDERS mode: distinct (member, order id) pairs */
    AGGREGATE_PURCHASES,    /* sum of F */
    AGGREGATE_NO_PURCHASE,  /* members without a purchase */
    AGGREGATE_NON_POSITIVE, /* members with a purchase and net M <= 0 */
    AGGREGATE_TOTALS
};

typedef struct {
    const char *input;
    const char *returns;   /* "net" or "drop" */
    const char *frequency; /* "rows", "orders", "days"; NULL: by the file, until grouped */
    int32_t reference;
    int drop_returns;
    int summary; /* --summary given */
} aggregate_settings;

/* What the run counted, over all ranks. */
typedef struct {
    int64_t rows[CVSEG_TX_COUNTS];    /* rows read, used, ... (cvseg_tx_count) */
    int64_t totals[AGGREGATE_TOTALS]; /* over members */
    int64_t members;                  /* members in the table */
    int64_t offset;                   /* first table row of this rank's members */
    cvseg_frequency_mode mode;
} aggregate_tally;

static void aggregate_help(const cvseg_app *app)
{
    if (app->rank == 0)
        cvseg_options_help(stdout, "aggregate",
                           "Aggregates a transaction log (member_id, date, amount, optional "
                           "order_id; rows in any order) into a member table: "
                           "first_purchase, last_purchase (of purchases), frequency "
                           "(purchases: rows, orders or days with a net amount > 0), "
                           "monetary (net sum), distinct_days (purchase days), "
                           "repeat_monetary (spend after the first purchase day), in "
                           "ascending member_id. Members without a purchase get frequency 0 "
                           "(status no_purchase in rfm/train/score).",
                           aggregate_options, AGGREGATE_OPTIONS);
}

static cvseg_status aggregate_settings_read(const cvseg_options *options,
                                            aggregate_settings *settings)
{
    int have_date = 0;
    *settings = (aggregate_settings){cvseg_opt(options, "in"),         "net", NULL, 0, 0,
                                     cvseg_opt_has(options, "summary")};
    cvseg_status status =
        cvseg_opt_choice(options, "returns", "net", "net|drop", &settings->returns);
    if (status == CVSEG_OK && cvseg_opt_has(options, "frequency"))
        status = cvseg_opt_choice(options, "frequency", "rows", "rows|orders|days",
                                  &settings->frequency);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(options, "reference-date", &settings->reference, &have_date);
    settings->drop_returns = strcmp(settings->returns, "drop") == 0;
    return status;
}

/* Reads and exchanges the log, groups this rank's members (phase "group");
 * settles settings->frequency. Collective; agreed. */
static cvseg_status aggregate_group(cvseg_app *app, aggregate_settings *settings,
                                    cvseg_phases *phases, aggregate_tally *tally,
                                    cvseg_member_aggregate *members)
{
    cvseg_transaction_rows rows = {0};
    const cvseg_order_ids want_orders = !settings->frequency ? CVSEG_ORDER_IDS_IF_PRESENT
                                        : strcmp(settings->frequency, "orders") == 0
                                            ? CVSEG_ORDER_IDS_REQUIRED
                                            : CVSEG_ORDER_IDS_NONE;
    cvseg_status status = cvseg_transactions_exchange(app, settings->input, settings->reference,
                                                      settings->drop_returns, want_orders, phases,
                                                      tally->rows, &rows);
    if (status != CVSEG_OK)
        return status;
    if (!settings->frequency) /* the same on every rank: the file has order ids or not */
        settings->frequency = rows.order_id ? "orders" : "rows";
    const char *frequency = settings->frequency;
    tally->mode = strcmp(frequency, "orders") == 0 ? CVSEG_FREQUENCY_ORDERS
                  : strcmp(frequency, "days") == 0 ? CVSEG_FREQUENCY_DAYS
                                                   : CVSEG_FREQUENCY_ROWS;
    status = cvseg_aggregate_consume(&rows, tally->mode, members); /* frees rows */
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_phase_end(phases, app, "group");
    return status;
}

/* Member totals over all ranks and this rank's place in the table. */
static cvseg_status aggregate_count_members(cvseg_app *app, const cvseg_member_aggregate *members,
                                            aggregate_tally *tally)
{
    tally->totals[AGGREGATE_ORDERS] = members->orders;
    tally->totals[AGGREGATE_PURCHASES] = members->purchases;
    tally->totals[AGGREGATE_NO_PURCHASE] = members->no_purchase;
    tally->totals[AGGREGATE_NON_POSITIVE] = members->non_positive_monetary;
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, tally->totals, AGGREGATE_TOTALS);
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(app->comm, members->members, &tally->offset, &tally->members);
    return status;
}

/* /members: the columns, their attributes and the provenance. Collective. */
static cvseg_status aggregate_write(cvseg_app *app, cvseg_outputs *outputs,
                                    const aggregate_settings *settings,
                                    const cvseg_member_aggregate *members,
                                    const aggregate_tally *tally)
{
    cvseg_writer *writer = NULL;
    cvseg_status status = cvseg_writer_open(outputs, AGGREGATE_FILE_OUT, &writer);
    if (status != CVSEG_OK)
        return status;
    const char *day_units = "days since 1970-01-01", *group = "/members";
    const cvseg_column columns[] = {
        {"member_id", CVSEG_T_I64, members->member_id, NULL, NULL},
        {"first_purchase", CVSEG_T_I32, members->first_purchase, NULL, day_units},
        {"last_purchase", CVSEG_T_I32, members->last_purchase, NULL, day_units},
        {"frequency", CVSEG_T_I32, members->frequency, NULL, NULL},
        {"monetary", CVSEG_T_F64, members->monetary, NULL, NULL},
        {"distinct_days", CVSEG_T_I32, members->distinct_days, NULL, NULL},
        {"repeat_monetary", CVSEG_T_F64, members->repeat_monetary, NULL, NULL},
    };
    status = cvseg_writer_columns(writer, group, tally->members, tally->offset, members->members,
                                  (int)(sizeof columns / sizeof columns[0]), columns);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, group, "reference_date", settings->reference);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "schema", "cvseg.members/1");
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "returns", settings->returns);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "frequency_mode", settings->frequency);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i64(writer, group, "transactions_used",
                                       tally->rows[CVSEG_TX_ROWS_USED]);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, group, settings->input, 0);
    return cvseg_writer_close(writer, status);
}

static void aggregate_log(const cvseg_app *app, const aggregate_settings *settings,
                          const aggregate_tally *tally)
{
    const int64_t *rows = tally->rows, *totals = tally->totals;
    cvseg_log(app, 1,
              "%lld rows read, %lld used, %lld returns (amount <= 0; %s), %lld after the reference "
              "date left out; %lld members (%lld without a purchase, %lld with net spend <= 0); "
              "frequency counts %s: %lld purchases",
              (long long)rows[CVSEG_TX_ROWS_READ], (long long)rows[CVSEG_TX_ROWS_USED],
              (long long)rows[CVSEG_TX_RETURNS], settings->drop_returns ? "dropped" : "netted",
              (long long)rows[CVSEG_TX_AFTER_REFERENCE], (long long)tally->members,
              (long long)totals[AGGREGATE_NO_PURCHASE], (long long)totals[AGGREGATE_NON_POSITIVE],
              settings->frequency, (long long)totals[AGGREGATE_PURCHASES]);
}

/* The --summary document (counts, phases, data quality, peak memory).
 * Collective (the peak is a maximum over ranks); *status receives its status. */
static json_t *aggregate_summary(cvseg_app *app, const aggregate_settings *settings,
                                 const aggregate_tally *tally, const cvseg_phases *phases,
                                 cvseg_status *status)
{
    const int64_t *rows = tally->rows, *totals = tally->totals;
    char day[11];
    cvseg_format_date(settings->reference, day);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:i}", "verb", "aggregate",
        "input", settings->input, "reference_date", day, "rows",
        (json_int_t)rows[CVSEG_TX_ROWS_READ], "rows_used", (json_int_t)rows[CVSEG_TX_ROWS_USED],
        "returns", (json_int_t)rows[CVSEG_TX_RETURNS], "returns_dropped",
        (json_int_t)rows[CVSEG_TX_RETURNS_DROPPED], "after_reference_date",
        (json_int_t)rows[CVSEG_TX_AFTER_REFERENCE], "members", (json_int_t)tally->members,
        "returns_policy", settings->returns, "ranks", app->ranks, "threads", app->threads);
    json_t *phase_object = json_object();
    for (int p = 0; p < phases->count; ++p)
        json_object_set_new(phase_object, phases->name[p], json_real(phases->seconds[p]));
    json_object_set_new(doc, "phases", phase_object);
    json_object_set_new(doc, "frequency_mode", json_string(settings->frequency));
    if (tally->mode == CVSEG_FREQUENCY_ORDERS)
        json_object_set_new(doc, "orders", json_integer(totals[AGGREGATE_ORDERS]));
    json_object_set_new(doc, "purchases", json_integer(totals[AGGREGATE_PURCHASES]));
    json_object_set_new(doc, "no_purchase_members", json_integer(totals[AGGREGATE_NO_PURCHASE]));
    json_object_set_new(
        doc, "data_quality",
        json_pack("{s:I, s:I}", "no_purchase", (json_int_t)totals[AGGREGATE_NO_PURCHASE],
                  "non_positive_monetary", (json_int_t)totals[AGGREGATE_NON_POSITIVE]));
    double peak = 0.0;
    *status = cvseg_peak_rss_max(app, &peak);
    json_object_set_new(doc, "peak_rss_mb_per_rank", json_real(peak));
    return doc;
}

/* Groups, writes the table (phase "write"), logs and writes the summary. */
static cvseg_status aggregate_run(cvseg_app *app, cvseg_outputs *outputs,
                                  aggregate_settings *settings)
{
    cvseg_phases phases = {0};
    cvseg_member_aggregate members = {0};
    aggregate_tally tally = {0};
    cvseg_phase_begin(&phases);
    cvseg_status status = aggregate_group(app, settings, &phases, &tally, &members);
    if (status == CVSEG_OK)
        status = aggregate_count_members(app, &members, &tally);
    if (status == CVSEG_OK)
        status = aggregate_write(app, outputs, settings, &members, &tally);
    if (status == CVSEG_OK)
        status = cvseg_phase_end(&phases, app, "write");
    if (status == CVSEG_OK)
        aggregate_log(app, settings, &tally);
    if (status == CVSEG_OK && settings->summary) {
        json_t *doc = aggregate_summary(app, settings, &tally, &phases, &status);
        status = cvseg_write_json_output(app, outputs, AGGREGATE_FILE_SUMMARY, doc, status);
        json_decref(doc);
    }
    cvseg_member_aggregate_free(&members);
    return status;
}

cvseg_status cvseg_verb_aggregate(cvseg_app *app)
{
    cvseg_options options;
    cvseg_outputs *outputs = NULL;
    aggregate_settings settings;
    cvseg_status status = cvseg_options_parse(app, aggregate_options, AGGREGATE_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
        aggregate_help(app);
        return CVSEG_OK;
    }
    if (status == CVSEG_OK)
        status = aggregate_settings_read(&options, &settings);
    if (status != CVSEG_OK)
        return status;
    const cvseg_file_decl files[AGGREGATE_FILES] = {
        [AGGREGATE_FILE_IN] = {"--in", settings.input, CVSEG_FILE_INPUT},
        [AGGREGATE_FILE_OUT] = {"--out", cvseg_opt(&options, "out"), CVSEG_FILE_OUTPUT},
        [AGGREGATE_FILE_SUMMARY] = {"--summary", cvseg_opt(&options, "summary"),
                                    CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, AGGREGATE_FILES, files, &outputs);
    if (status != CVSEG_OK)
        return status;
    status = aggregate_run(app, outputs, &settings);
    /* The member table and the summary are committed together. */
    return cvseg_outputs_finish(outputs, status);
}
