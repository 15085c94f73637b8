/* transaction_rows.c: which transaction rows the aggregation uses. */
#include "cvseg/transaction_rows.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/date.h"
#include "cvseg/rfm.h"
#include "cvseg/sort.h"

void cvseg_transaction_rows_free(cvseg_transaction_rows *rows)
{
    free(rows->member_id);
    free(rows->date);
    free(rows->amount);
    free(rows->order_id);
    memset(rows, 0, sizeof *rows);
}

void cvseg_transaction_rows_filter(cvseg_transaction_rows *rows, int64_t first_row,
                                   int32_t reference, int drop_returns, uint64_t *keys,
                                   int64_t counts[CVSEG_TX_COUNTS], cvseg_tx_invalid *invalid)
{
    int64_t *ids = rows->member_id, *orders = rows->order_id;
    int32_t *dates = rows->date;
    double *amounts = rows->amount;
    const int64_t n = rows->n;
    /* Counters and the first invalid row in locals (registers): the row
     * arrays could alias them. */
    int64_t kept = 0, returns = 0, dropped = 0, after = 0;
    cvseg_tx_invalid first = {-1, 0, 0.0};
    for (int64_t i = 0; i < n; ++i) {
        const int is_return = amounts[i] <= 0.0;
        if ((!cvseg_value_valid(amounts[i]) || !cvseg_date_valid(dates[i])) && first.row < 0)
            first = (cvseg_tx_invalid){first_row + i, dates[i], amounts[i]};
        returns += is_return;
        if (dates[i] > reference) {
            after += 1;
            continue;
        }
        if (is_return && drop_returns) {
            dropped += 1;
            continue;
        }
        const int64_t id = ids[i]; /* read once: keys may be the ids' own memory */
        ids[kept] = id;
        dates[kept] = dates[i];
        amounts[kept] = amounts[i];
        if (orders)
            orders[kept] = orders[i];
        keys[kept] = cvseg_i64_key(id);
        ++kept;
    }
    counts[CVSEG_TX_ROWS_READ] = n;
    counts[CVSEG_TX_ROWS_USED] = kept;
    counts[CVSEG_TX_RETURNS] = returns;
    counts[CVSEG_TX_RETURNS_DROPPED] = dropped;
    counts[CVSEG_TX_AFTER_REFERENCE] = after;
    *invalid = first;
    rows->n = kept;
}
