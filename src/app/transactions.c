/* transactions.c: the read-and-exchange step of `cvseg aggregate` and
 * `cvseg clv` (transactions.h).
 *
 * 1. every rank reads a block of rows; returns and rows after the reference
 *    date are dropped per the options (cvseg_transaction_rows_filter);
 * 2. P-1 splitters on the member-id key are found exactly
 *    (cvseg_exchange_range_splitters, balanced by rows), and every row goes
 *    to the rank owning its id range (cvseg_exchange_columns_by_range, one
 *    column at a time): all rows of a member meet on one rank, in file
 *    order, and ranks hold increasing id ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/date.h"
#include "cvseg/exchange.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "cvseg/sort.h"
#include "transactions.h"

/* One rank's rows on their way to their owners. From the filter to the end
 * of the exchange rows.member_id holds the order key of each id
 * (cvseg_i64_key, in place: no second array of the ids). */
typedef struct {
    cvseg_transaction_rows rows; /* the block read, then the kept rows */
    uint64_t *splitters;         /* [ranks] (ranks - 1 used) */
} transactions_block;

static void transactions_block_free(transactions_block *block)
{
    cvseg_transaction_rows_free(&block->rows);
    free(block->splitters);
    memset(block, 0, sizeof *block);
}

/* Whether the log has order ids (agreed; same file on every rank). EDATA when
 * want is CVSEG_ORDER_IDS_REQUIRED and there are none. */
static cvseg_status transactions_has_order_ids(cvseg_app *app, cvseg_reader *reader,
                                               const char *input, cvseg_order_ids want, int *has)
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

/* Opens input and checks /transactions: its row count and order ids. */
static cvseg_status transactions_open(cvseg_app *app, const char *input, cvseg_order_ids want,
                                      cvseg_reader **reader, int *has_orders, int64_t *n_rows)
{
    static const char *const columns[4] = {"member_id", "date", "amount", "order_id"};
    cvseg_status status = cvseg_reader_open(app->comm, input, reader);
    if (status == CVSEG_OK)
        status = transactions_has_order_ids(app, *reader, input, want, has_orders);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(*reader, "/transactions", columns, 3 + *has_orders, n_rows);
    return status;
}

/* Arrays for n rows (order ids when has_orders) and the routing. Agreed. */
static cvseg_status transactions_alloc(cvseg_app *app, int64_t n, int has_orders,
                                       transactions_block *block)
{
    cvseg_status status = CVSEG_OK;
    const size_t rows_alloc = (size_t)(n > 0 ? n : 1);
    cvseg_transaction_rows *rows = &block->rows;
    rows->n = n;
    rows->member_id = malloc(sizeof(int64_t) * rows_alloc);
    rows->date = malloc(sizeof(int32_t) * rows_alloc);
    rows->amount = malloc(sizeof(double) * rows_alloc);
    rows->order_id = has_orders ? malloc(sizeof(int64_t) * rows_alloc) : NULL;
    block->splitters = calloc((size_t)app->ranks, sizeof(uint64_t));
    if (!rows->member_id || !rows->date || !rows->amount || (has_orders && !rows->order_id) ||
        !block->splitters)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld transaction rows", (long long)n);
    return cvseg_mpi_agree(app->comm, status);
}

/* Reads this rank's rows [offset, offset + rows->n) of every column. */
static cvseg_status transactions_read(cvseg_reader *reader, int64_t offset,
                                      cvseg_transaction_rows *rows)
{
    const char *group = "/transactions";
    cvseg_status status = cvseg_reader_column(reader, group, "member_id", CVSEG_T_I64, offset,
                                              rows->n, rows->member_id);
    if (status == CVSEG_OK)
        status =
            cvseg_reader_column(reader, group, "date", CVSEG_T_I32, offset, rows->n, rows->date);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, group, "amount", CVSEG_T_F64, offset, rows->n,
                                     rows->amount);
    if (status == CVSEG_OK && rows->order_id)
        status = cvseg_reader_column(reader, group, "order_id", CVSEG_T_I64, offset, rows->n,
                                     rows->order_id);
    return status;
}

/* EDATA naming the first invalid row over all ranks (reported by the rank
 * that holds it). Collective; agreed. */
static cvseg_status transactions_check_invalid(cvseg_app *app, const char *input,
                                               const cvseg_tx_invalid *invalid)
{
    int64_t first_bad = invalid->row < 0 ? INT64_MAX : invalid->row;
    cvseg_status status =
        cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_INT64_T, MPI_MIN, app->comm),
                        "first invalid transaction row");
    const int mine = first_bad != INT64_MAX && first_bad == invalid->row;
    if (status == CVSEG_OK && mine && !cvseg_date_valid(invalid->date))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/transactions/date', row %lld: date %d (days "
                            "since 1970-01-01) is outside 0001-01-01..9999-12-31",
                            input, (long long)first_bad, invalid->date);
    else if (status == CVSEG_OK && mine)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/transactions/amount', row %lld: amount is "
                            "NaN, infinite or beyond +-1e150 (%g)",
                            input, (long long)first_bad, invalid->amount);
    return cvseg_mpi_agree(app->comm, status);
}

/* Range-partitions the kept rows (total over all ranks; member_id holding
 * the keys) and moves every column to its owner (each row's owner computed
 * from its key as the rows are counted and packed; the keys' own column
 * moves last): block->rows becomes this rank's received rows (still keys). */
static cvseg_status transactions_move(cvseg_app *app, int64_t total, transactions_block *block)
{
    cvseg_transaction_rows *rows = &block->rows;
    const uint64_t *keys = (const uint64_t *)rows->member_id;
    cvseg_exchange_plan plan = {0};
    enum { COLUMN_DATE, COLUMN_AMOUNT, COLUMN_ORDER, COLUMN_ID, COLUMNS };
    cvseg_exchange_column columns[COLUMNS] = {
        [COLUMN_ID] = {rows->member_id, NULL, sizeof(int64_t)},
        [COLUMN_DATE] = {rows->date, NULL, sizeof(int32_t)},
        [COLUMN_AMOUNT] = {rows->amount, NULL, sizeof(double)},
        [COLUMN_ORDER] = {rows->order_id, NULL, sizeof(int64_t)}}; /* NULL: not read */
    cvseg_status status =
        cvseg_exchange_range_splitters(app->comm, keys, rows->n, total, block->splitters);
    if (status == CVSEG_OK)
        status = cvseg_exchange_plan_by_range(app->comm, block->splitters, keys, rows->n, &plan);
    if (status == CVSEG_OK)
        status = cvseg_exchange_columns_by_range(app->comm, &plan, block->splitters, keys, rows->n,
                                                 COLUMNS, columns);
    /* On success the received arrays; else what is left of the local ones. */
    const int moved = status == CVSEG_OK;
    rows->member_id = moved ? columns[COLUMN_ID].received : columns[COLUMN_ID].local;
    rows->date = moved ? columns[COLUMN_DATE].received : columns[COLUMN_DATE].local;
    rows->amount = moved ? columns[COLUMN_AMOUNT].received : columns[COLUMN_AMOUNT].local;
    rows->order_id = moved ? columns[COLUMN_ORDER].received : columns[COLUMN_ORDER].local;
    rows->n = moved ? plan.recv_total : 0;
    cvseg_exchange_plan_free(&plan);
    return status;
}

/* Sends every kept row to the rank owning its member's id range
 * (transactions_move; with one rank they stay where they are) and turns
 * the keys back into member ids. */
static cvseg_status transactions_route(cvseg_app *app, int64_t total, transactions_block *block)
{
    cvseg_transaction_rows *rows = &block->rows;
    const cvseg_status status = app->ranks > 1 ? transactions_move(app, total, block) : CVSEG_OK;
    for (int64_t i = 0; i < rows->n; ++i)
        rows->member_id[i] = cvseg_key_i64((uint64_t)rows->member_id[i]);
    return status;
}

cvseg_status cvseg_aggregate_exchange(cvseg_app *app, const char *input, int32_t reference,
                                      int drop_returns, cvseg_phases *phases,
                                      int64_t counts[CVSEG_TX_COUNTS], cvseg_transaction_rows *rows)
{
    return cvseg_transactions_exchange(app, input, reference, drop_returns, CVSEG_ORDER_IDS_NONE,
                                       phases, counts, rows);
}

cvseg_status cvseg_transactions_exchange(cvseg_app *app, const char *input, int32_t reference,
                                         int drop_returns, cvseg_order_ids want_orders,
                                         cvseg_phases *phases, int64_t counts[CVSEG_TX_COUNTS],
                                         cvseg_transaction_rows *rows)
{
    cvseg_reader *reader = NULL;
    transactions_block block = {0};
    cvseg_tx_invalid invalid;
    int has_orders = 0;
    int64_t n_rows = 0;
    memset(counts, 0, CVSEG_TX_COUNTS * sizeof counts[0]);
    memset(rows, 0, sizeof *rows);
    cvseg_status status = transactions_open(app, input, want_orders, &reader, &has_orders, &n_rows);
    if (status != CVSEG_OK)
        goto done;
    const cvseg_block part = cvseg_block_partition(n_rows, app->ranks, app->rank);
    status = transactions_alloc(app, part.count, has_orders, &block);
    if (status == CVSEG_OK)
        status = transactions_read(reader, part.offset, &block.rows);
    if (status == CVSEG_OK)
        status = cvseg_phase_end(phases, app, "read");
    if (status != CVSEG_OK)
        goto done;
    cvseg_transaction_rows_filter(&block.rows, part.offset, reference, drop_returns,
                                  (uint64_t *)block.rows.member_id, counts, &invalid);
    status = transactions_check_invalid(app, input, &invalid);
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(app->comm, counts, CVSEG_TX_COUNTS);
    if (status == CVSEG_OK)
        status = transactions_route(app, counts[CVSEG_TX_ROWS_USED], &block);
    if (status == CVSEG_OK)
        status = cvseg_phase_end(phases, app, "exchange");
    if (status == CVSEG_OK) {
        *rows = block.rows; /* handed over */
        memset(&block.rows, 0, sizeof block.rows);
    }
done:
    cvseg_reader_close(reader);
    transactions_block_free(&block);
    return status;
}
