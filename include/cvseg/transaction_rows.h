/* transaction_rows.h: columns of transaction rows and the filter that decides
 * which rows `cvseg aggregate` (and `cvseg clv`) use (pure kernels).
 */
#ifndef CVSEG_TRANSACTION_ROWS_H
#define CVSEG_TRANSACTION_ROWS_H

#include <stdint.h>

/* Transaction rows of one rank: [n] each. After the exchange
 * (src/app/transactions.h) every member's rows are on one rank in file
 * order, ranks holding increasing member-id ranges. */
typedef struct {
    int64_t n;
    int64_t *member_id;
    int32_t *date;
    double *amount;
    int64_t *order_id; /* NULL unless order ids were asked for and present */
} cvseg_transaction_rows;

/* Frees the arrays (free()) and zeroes rows. */
void cvseg_transaction_rows_free(cvseg_transaction_rows *rows);

/* Slots of the row counters (int64_t counts[CVSEG_TX_COUNTS]); they merge
 * by addition. */
typedef enum {
    CVSEG_TX_ROWS_READ = 0,   /* rows read */
    CVSEG_TX_ROWS_USED,       /* rows kept for the aggregation */
    CVSEG_TX_RETURNS,         /* rows with amount <= 0 (dropped or not) */
    CVSEG_TX_RETURNS_DROPPED, /* returns left out (drop_returns) */
    CVSEG_TX_AFTER_REFERENCE, /* rows dated after the reference date, left out */
    CVSEG_TX_COUNTS           /* number of slots */
} cvseg_tx_count;

/* The first row with an invalid date or amount (cvseg_date_valid,
 * cvseg_value_valid), in file rows; row -1 when none. */
typedef struct {
    int64_t row;
    int32_t date;
    double amount;
} cvseg_tx_invalid;

/* Filters rows in place, keeping file order: drops rows dated after
 * reference, and rows with amount <= 0 when drop_returns; rows->n becomes
 * the number kept. first_row: the file row of rows[0] (for invalid->row).
 * keys [rows->n on entry] receives cvseg_i64_key(member_id) of each kept row;
 * it may be (uint64_t *)rows->member_id, which then holds the keys instead of
 * the ids (cvseg_key_i64 turns them back).
 * counts [CVSEG_TX_COUNTS] receives this block's counts (overwritten).
 * Invalid values are reported in invalid, not filtered (a row after the
 * reference date is still checked). */
void cvseg_transaction_rows_filter(cvseg_transaction_rows *rows, int64_t first_row,
                                   int32_t reference, int drop_returns, uint64_t *keys,
                                   int64_t counts[CVSEG_TX_COUNTS], cvseg_tx_invalid *invalid);

#endif
