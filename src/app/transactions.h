/* transactions.h: the distributed read-and-exchange step of `cvseg aggregate`,
 * shared with `cvseg clv` (src/app/transactions.c).
 */
#ifndef CVSEG_TRANSACTIONS_H
#define CVSEG_TRANSACTIONS_H

#include <stdint.h>

#include "app.h"
#include "cvseg/transaction_rows.h" /* cvseg_transaction_rows, CVSEG_TX_* count slots */

/* Whether the exchange reads /transactions/order_id. */
typedef enum {
    CVSEG_ORDER_IDS_NONE = 0,       /* not read */
    CVSEG_ORDER_IDS_IF_PRESENT = 1, /* read when the dataset exists */
    CVSEG_ORDER_IDS_REQUIRED = 2    /* read; EDATA when missing */
} cvseg_order_ids;

/* Reads /transactions of input (block per rank), drops rows dated after
 * reference (and rows with amount <= 0 when drop_returns), range-partitions
 * the rest by member id (exact splitters) and exchanges them. counts
 * [CVSEG_TX_COUNTS] (global, slots cvseg_tx_count): rows read, rows kept,
 * returns (amount <= 0), returns dropped, rows after reference. Records phases
 * "read" and "exchange". rows receives arrays to free with
 * cvseg_transaction_rows_free: every member's rows on one rank in file order,
 * ranks holding increasing member-id ranges (rank r's ids all below rank
 * r+1's). EDATA for an invalid date or amount (NaN, infinite, beyond
 * +-1e150). Collective; the status is agreed on all ranks. */
cvseg_status cvseg_aggregate_exchange(cvseg_app *app, const char *input, int32_t reference,
                                      int drop_returns, cvseg_phases *phases,
                                      int64_t counts[CVSEG_TX_COUNTS],
                                      cvseg_transaction_rows *rows);
/* The same, also carrying each row's order id (int64; rows->order_id) per
 * want_orders; rows->order_id stays NULL when not read. Collective. */
cvseg_status cvseg_transactions_exchange(cvseg_app *app, const char *input, int32_t reference,
                                         int drop_returns, cvseg_order_ids want_orders,
                                         cvseg_phases *phases, int64_t counts[CVSEG_TX_COUNTS],
                                         cvseg_transaction_rows *rows);

#endif
