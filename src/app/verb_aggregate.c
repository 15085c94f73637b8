/* verb_aggregate.c: `cvseg aggregate`: a distributed group-by of an unsorted
 * transaction log into a member table.
 *
 * 1. every rank reads a block of rows; returns and rows after the reference
 *    date are dropped per the options;
 * 2. P-1 splitters on the member-id key are found by exact distributed
 *    selection (balanced by rows), and every row goes to the rank owning its
 *    id range (cvseg_exchange_run): all rows of a member meet on one rank, in file
 *    order, and ranks hold increasing id ranges;
 * 3. each rank aggregates its members (radix grouping, OpenMP) and the member
 *    table is written in ascending member id: the file is identical for any
 *    number of ranks. (Range rather than hash partitioning, so that the
 *    output order needs no second exchange.)
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/aggregate.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "cvseg/quantile.h"
#include "cvseg/sort.h"
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

/* Whether the log has order ids (agreed; same file on every rank). EDATA when
 * want is CVSEG_ORDER_IDS_REQUIRED and there are none. */
static cvseg_status aggregate_has_order_ids(cvseg_app *app, cvseg_reader *reader, const char *input,
                                            cvseg_order_ids want, int *has)
{
    cvseg_status status = CVSEG_OK;
    *has = want != CVSEG_ORDER_IDS_NONE && cvseg_reader_exists(reader, "/transactions/order_id");
    /* (a missing group is reported by cvseg_reader_table) */
    if (want == CVSEG_ORDER_IDS_REQUIRED && !*has && cvseg_reader_exists(reader, "/transactions"))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': no dataset '/transactions/order_id': --frequency orders "
                            "needs order ids (import --map order_id=COLUMN)",
                            input);
    return cvseg_mpi_agree(app->comm, status);
}

cvseg_status cvseg_aggregate_exchange(cvseg_app *app, const char *input, int32_t reference,
                                      int drop_returns, cvseg_phases *phases, int64_t counts[5],
                                      cvseg_transaction_rows *rows)
{
    return cvseg_transactions_exchange(app, input, reference, drop_returns, CVSEG_ORDER_IDS_NONE,
                                       phases, counts, rows);
}

cvseg_status cvseg_transactions_exchange(cvseg_app *app, const char *input, int32_t reference,
                                         int drop_returns, cvseg_order_ids want_orders,
                                         cvseg_phases *phases, int64_t counts[5],
                                         cvseg_transaction_rows *rows)
{
    cvseg_reader *reader = NULL;
    cvseg_status status = CVSEG_OK;
    int64_t n_rows = 0;
    int64_t *ids = NULL, *send_ids = NULL, *recv_ids = NULL;
    int32_t *dates = NULL, *send_dates = NULL, *recv_dates = NULL;
    double *amounts = NULL, *send_amounts = NULL, *recv_amounts = NULL;
    int64_t *orders = NULL, *send_orders = NULL, *recv_orders = NULL; /* with order ids only */
    int has_orders = 0;
    uint64_t *keys = NULL, *splitters = NULL;
    int64_t *send_counts = NULL, *fill = NULL;
    int *destination = NULL;
    cvseg_exchange_plan plan = {0};
    memset(counts, 0, 5 * sizeof counts[0]);
    memset(rows, 0, sizeof *rows);
    static const char *const columns[4] = {"member_id", "date", "amount", "order_id"};
    status = cvseg_reader_open(app->comm, input, &reader);
    if (status == CVSEG_OK)
        status = aggregate_has_order_ids(app, reader, input, want_orders, &has_orders);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, "/transactions", columns, 3 + has_orders, &n_rows);
    if (status != CVSEG_OK)
        goto done;
    const cvseg_block block = cvseg_block_partition(n_rows, app->ranks, app->rank);
    const int64_t n = block.count;
    const size_t rows_alloc = (size_t)(n > 0 ? n : 1);
    const int P = app->ranks;
    ids = malloc(sizeof(int64_t) * rows_alloc);
    dates = malloc(sizeof(int32_t) * rows_alloc);
    amounts = malloc(sizeof(double) * rows_alloc);
    keys = malloc(sizeof(uint64_t) * rows_alloc);
    destination = malloc(sizeof(int) * rows_alloc);
    splitters = calloc((size_t)P, sizeof(uint64_t));
    send_counts = calloc((size_t)P, sizeof(int64_t));
    fill = calloc((size_t)P, sizeof(int64_t));
    orders = has_orders ? malloc(sizeof(int64_t) * rows_alloc) : NULL;
    if (!ids || !dates || !amounts || !keys || !destination || !splitters || !send_counts ||
        !fill || (has_orders && !orders))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld transaction rows", (long long)n);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/transactions", "member_id", CVSEG_T_I64,
                                     block.offset, n, ids);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/transactions", "date", CVSEG_T_I32, block.offset, n,
                                     dates);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/transactions", "amount", CVSEG_T_F64, block.offset,
                                     n, amounts);
    if (status == CVSEG_OK && has_orders)
        status = cvseg_reader_column(reader, "/transactions", "order_id", CVSEG_T_I64, block.offset,
                                     n, orders);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_phase_end(phases, app, "read");
    if (status != CVSEG_OK)
        goto done;

    /* Filter in place (file order kept), counting what is left out. */
    int64_t kept = 0, bad_row = -1;
    int32_t bad_date = 0;
    double bad_amount = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const int is_return = amounts[i] <= 0.0;
        if ((!cvseg_value_valid(amounts[i]) || !cvseg_date_valid(dates[i])) && bad_row < 0) {
            bad_row = block.offset + i;
            bad_date = dates[i];
            bad_amount = amounts[i];
        }
        counts[2] += is_return;
        if (dates[i] > reference) {
            counts[4] += 1;
            continue;
        }
        if (is_return && drop_returns) {
            counts[3] += 1;
            continue;
        }
        ids[kept] = ids[i];
        dates[kept] = dates[i];
        amounts[kept] = amounts[i];
        if (has_orders)
            orders[kept] = orders[i];
        keys[kept] = cvseg_i64_key(ids[i]);
        ++kept;
    }
    counts[0] = n;
    counts[1] = kept;
    {
        int64_t first_bad = bad_row < 0 ? INT64_MAX : bad_row;
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_INT64_T, MPI_MIN, app->comm),
            "first invalid transaction row");
        if (status == CVSEG_OK && first_bad != INT64_MAX && first_bad == bad_row &&
            !cvseg_date_valid(bad_date))
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '/transactions/date', row %lld: date %d (days "
                                "since 1970-01-01) is outside 0001-01-01..9999-12-31",
                                input, (long long)first_bad, bad_date);
        else if (status == CVSEG_OK && first_bad != INT64_MAX && first_bad == bad_row)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '/transactions/amount', row %lld: amount is "
                                "NaN, infinite or beyond +-1e150 (%g)",
                                input, (long long)first_bad, bad_amount);
        status = cvseg_mpi_agree(app->comm, status);
        if (status != CVSEG_OK)
            goto done;
    }
    status = cvseg_mpi_sum_i64(app->comm, counts, 5);
    if (status != CVSEG_OK)
        goto done;
    const int64_t total_kept = counts[1];

    /* Splitters: key of the row at rank ceil(r * N / P), r = 1..P-1. */
    for (int first = 1; first < P && total_kept > 0 && status == CVSEG_OK;
         first += CVSEG_SELECT_MAX_TARGETS) {
        const int m = P - first < CVSEG_SELECT_MAX_TARGETS ? P - first : CVSEG_SELECT_MAX_TARGETS;
        int64_t ranks[CVSEG_SELECT_MAX_TARGETS];
        for (int t = 0; t < m; ++t)
            ranks[t] = cvseg_quantile_rank(first + t, P, total_kept);
        status = cvseg_mpi_select_keys(app->comm, keys, kept, m, ranks, splitters + first - 1);
    }
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < kept; ++i) {
        /* owner = number of splitters strictly below the key */
        int lo = 0, hi = P - 1;
        while (lo < hi) {
            const int mid = (lo + hi) / 2;
            if (splitters[mid] < keys[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        destination[i] = lo;
        send_counts[lo] += 1;
    }
    status = cvseg_exchange_plan_create(app->comm, send_counts, &plan);
    if (status != CVSEG_OK)
        goto done;
    send_ids = malloc(sizeof(int64_t) * rows_alloc);
    send_dates = malloc(sizeof(int32_t) * rows_alloc);
    send_amounts = malloc(sizeof(double) * rows_alloc);
    send_orders = has_orders ? malloc(sizeof(int64_t) * rows_alloc) : NULL;
    if (!send_ids || !send_dates || !send_amounts || (has_orders && !send_orders))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the row exchange");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < kept; ++i) {
        const int64_t at = plan.send_displs[destination[i]] + fill[destination[i]]++;
        send_ids[at] = ids[i];
        send_dates[at] = dates[i];
        send_amounts[at] = amounts[i];
        if (has_orders)
            send_orders[at] = orders[i];
    }
    free(ids);
    free(dates);
    free(amounts);
    free(keys);
    free(orders);
    ids = NULL;
    dates = NULL;
    amounts = NULL;
    keys = NULL;
    orders = NULL;
    const int64_t received = plan.recv_total;
    recv_ids = malloc(sizeof(int64_t) * (size_t)(received > 0 ? received : 1));
    recv_dates = malloc(sizeof(int32_t) * (size_t)(received > 0 ? received : 1));
    recv_amounts = malloc(sizeof(double) * (size_t)(received > 0 ? received : 1));
    recv_orders =
        has_orders ? malloc(sizeof(int64_t) * (size_t)(received > 0 ? received : 1)) : NULL;
    if (!recv_ids || !recv_dates || !recv_amounts || (has_orders && !recv_orders))
        status =
            CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld received rows", (long long)received);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(app->comm, &plan, send_ids, recv_ids, sizeof(int64_t));
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(app->comm, &plan, send_dates, recv_dates, sizeof(int32_t));
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(app->comm, &plan, send_amounts, recv_amounts, sizeof(double));
    if (status == CVSEG_OK && has_orders)
        status = cvseg_exchange_run(app->comm, &plan, send_orders, recv_orders, sizeof(int64_t));
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_phase_end(phases, app, "exchange");
    if (status != CVSEG_OK)
        goto done;
    rows->n = received;
    rows->member_id = recv_ids;
    rows->date = recv_dates;
    rows->amount = recv_amounts;
    rows->order_id = recv_orders;
    recv_ids = NULL;
    recv_dates = NULL;
    recv_amounts = NULL;
    recv_orders = NULL;
done:
    cvseg_reader_close(reader);
    free(ids);
    free(dates);
    free(amounts);
    free(keys);
    free(destination);
    free(splitters);
    free(send_counts);
    free(fill);
    cvseg_exchange_plan_free(&plan);
    free(send_ids);
    free(send_dates);
    free(send_amounts);
    free(recv_ids);
    free(recv_dates);
    free(recv_amounts);
    free(orders);
    free(send_orders);
    free(recv_orders);
    return status;
}

void cvseg_transaction_rows_free(cvseg_transaction_rows *rows)
{
    free(rows->member_id);
    free(rows->date);
    free(rows->amount);
    free(rows->order_id);
    memset(rows, 0, sizeof *rows);
}

cvseg_status cvseg_verb_aggregate(cvseg_app *app)
{
    cvseg_options options;
    cvseg_writer *writer = NULL;
    cvseg_outputs *outputs = NULL;
    cvseg_phases phases = {0};
    cvseg_member_aggregate members = {0};
    cvseg_transaction_rows rows = {0};
    const char *returns = "net", *frequency = NULL;
    int32_t reference = 0;
    int have_date = 0;
    /* counts: rows read, rows kept, returns (amount <= 0), returns dropped, after reference */
    int64_t counts[5] = {0, 0, 0, 0, 0};
    cvseg_status status = cvseg_options_parse(app, aggregate_options, AGGREGATE_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
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
        return CVSEG_OK;
    }
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(&options, "returns", "net", "net|drop", &returns);
    if (status == CVSEG_OK && cvseg_opt_has(&options, "frequency"))
        status = cvseg_opt_choice(&options, "frequency", "rows", "rows|orders|days", &frequency);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(&options, "reference-date", &reference, &have_date);
    if (status != CVSEG_OK)
        return status;
    const int drop_returns = strcmp(returns, "drop") == 0;
    const char *input = cvseg_opt(&options, "in");
    const cvseg_file_decl files[3] = {
        {"--in", input, CVSEG_FILE_INPUT},
        {"--out", cvseg_opt(&options, "out"), CVSEG_FILE_OUTPUT},
        {"--summary", cvseg_opt(&options, "summary"), CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, 3, files, &outputs);
    if (status != CVSEG_OK)
        return status;
    cvseg_phase_begin(&phases);

    const cvseg_order_ids want_orders = !frequency ? CVSEG_ORDER_IDS_IF_PRESENT
                                        : strcmp(frequency, "orders") == 0
                                            ? CVSEG_ORDER_IDS_REQUIRED
                                            : CVSEG_ORDER_IDS_NONE;
    status = cvseg_transactions_exchange(app, input, reference, drop_returns, want_orders, &phases,
                                         counts, &rows);
    if (status != CVSEG_OK)
        goto done;
    if (!frequency) /* the same on every rank: the file has order ids or not */
        frequency = rows.order_id ? "orders" : "rows";
    const cvseg_frequency_mode mode = strcmp(frequency, "orders") == 0 ? CVSEG_FREQUENCY_ORDERS
                                      : strcmp(frequency, "days") == 0 ? CVSEG_FREQUENCY_DAYS
                                                                       : CVSEG_FREQUENCY_ROWS;
    status = cvseg_aggregate_purchases(rows.member_id, rows.date, rows.amount, rows.order_id,
                                       rows.n, mode, &members);
    cvseg_transaction_rows_free(&rows);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_phase_end(&phases, app, "group");
    if (status != CVSEG_OK)
        goto done;

    /* orders, purchases, members without a purchase, with net M <= 0 */
    int64_t totals[4] = {members.orders, members.purchases, members.no_purchase,
                         members.non_positive_monetary};
    int64_t offset = 0, total_members = 0;
    status = cvseg_mpi_sum_i64(app->comm, totals, 4);
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(app->comm, members.members, &offset, &total_members);
    if (status == CVSEG_OK)
        status = cvseg_writer_open(outputs, 1, &writer);
    if (status != CVSEG_OK)
        goto done;
    const char *day_units = "days since 1970-01-01";
    const cvseg_column out_columns[] = {
        {"member_id", CVSEG_T_I64, members.member_id, NULL, NULL},
        {"first_purchase", CVSEG_T_I32, members.first_purchase, NULL, day_units},
        {"last_purchase", CVSEG_T_I32, members.last_purchase, NULL, day_units},
        {"frequency", CVSEG_T_I32, members.frequency, NULL, NULL},
        {"monetary", CVSEG_T_F64, members.monetary, NULL, NULL},
        {"distinct_days", CVSEG_T_I32, members.distinct_days, NULL, NULL},
        {"repeat_monetary", CVSEG_T_F64, members.repeat_monetary, NULL, NULL},
    };
    cvseg_status write_status =
        cvseg_writer_columns(writer, "/members", total_members, offset, members.members,
                             (int)(sizeof out_columns / sizeof out_columns[0]), out_columns);
    if (write_status == CVSEG_OK)
        write_status = cvseg_writer_attr_i32(writer, "/members", "reference_date", reference);
    if (write_status == CVSEG_OK)
        write_status = cvseg_writer_attr_str(writer, "/members", "schema", "cvseg.members/1");
    if (write_status == CVSEG_OK)
        write_status = cvseg_writer_attr_str(writer, "/members", "returns", returns);
    if (write_status == CVSEG_OK)
        write_status = cvseg_writer_attr_str(writer, "/members", "frequency_mode", frequency);
    if (write_status == CVSEG_OK)
        write_status = cvseg_writer_attr_i64(writer, "/members", "transactions_used", counts[1]);
    if (write_status == CVSEG_OK)
        write_status = cvseg_provenance_write(app, writer, "/members", input, 0);
    status = cvseg_writer_close(writer, write_status);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_phase_end(&phases, app, "write");
    if (status != CVSEG_OK)
        goto done;
    cvseg_log(app, 1,
              "%lld rows read, %lld used, %lld returns (amount <= 0; %s), %lld after the reference "
              "date left out; %lld members (%lld without a purchase, %lld with net spend <= 0); "
              "frequency counts %s: %lld purchases",
              (long long)counts[0], (long long)counts[1], (long long)counts[2],
              drop_returns ? "dropped" : "netted", (long long)counts[4], (long long)total_members,
              (long long)totals[2], (long long)totals[3], frequency, (long long)totals[1]);
    if (cvseg_opt_has(&options, "summary")) {
        char day[11];
        cvseg_format_date(reference, day);
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:i}", "verb", "aggregate",
            "input", input, "reference_date", day, "rows", (json_int_t)counts[0], "rows_used",
            (json_int_t)counts[1], "returns", (json_int_t)counts[2], "returns_dropped",
            (json_int_t)counts[3], "after_reference_date", (json_int_t)counts[4], "members",
            (json_int_t)total_members, "returns_policy", returns, "ranks", app->ranks, "threads",
            app->threads);
        json_t *phase_object = json_object();
        for (int p = 0; p < phases.count; ++p)
            json_object_set_new(phase_object, phases.name[p], json_real(phases.seconds[p]));
        json_object_set_new(doc, "phases", phase_object);
        json_object_set_new(doc, "frequency_mode", json_string(frequency));
        if (mode == CVSEG_FREQUENCY_ORDERS)
            json_object_set_new(doc, "orders", json_integer(totals[0]));
        json_object_set_new(doc, "purchases", json_integer(totals[1]));
        json_object_set_new(doc, "no_purchase_members", json_integer(totals[2]));
        json_object_set_new(doc, "data_quality",
                            json_pack("{s:I, s:I}", "no_purchase", (json_int_t)totals[2],
                                      "non_positive_monetary", (json_int_t)totals[3]));
        double peak = 0.0;
        status = cvseg_peak_rss_max(app, &peak);
        json_object_set_new(doc, "peak_rss_mb_per_rank", json_real(peak));
        status = cvseg_write_json_output(app, outputs, 2, doc, status);
        json_decref(doc);
    }
done:
    /* The member table and the summary are committed together. */
    status = cvseg_outputs_finish(outputs, status);
    cvseg_member_aggregate_free(&members);
    cvseg_transaction_rows_free(&rows);
    return status;
}
