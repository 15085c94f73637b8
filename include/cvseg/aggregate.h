/* aggregate.h: transaction rows -> one row per member (pure kernel).
 *
 * Input rows [n] of one rank, in file order. Rows are grouped per member by a
 * stable sort on the member id (a counting scatter into buckets, one column
 * at a time, then each bucket sorted in cache), so each member's rows keep
 * their file order and
 * every sum is taken in file order: the result does not depend on how the
 * rows were spread over ranks, as long as every member's rows are on one
 * rank in file order. Members are output in ascending member id.
 *
 * What counts as a purchase depends on the frequency mode:
 * - ROWS: every row (as given, returns included when they were kept);
 * - ORDERS: an order, i.e. the member's rows sharing one order id, whose net
 *   amount (sum of its rows, in file order) is > 0; the order's date is the
 *   earliest date of its rows;
 * - DAYS: a day whose net amount (sum of the member's rows of that date) is > 0.
 *
 * Per member: frequency F = number of purchases; first_purchase and
 * last_purchase = earliest and latest purchase date; distinct_days = distinct
 * dates of purchases (DAYS: F); monetary M = sum of all the member's amounts
 * (net of returns, whatever the mode); repeat_monetary = sum of the amounts of
 * rows dated after first_purchase (for lifetime-value models). A member with
 * no purchase (only returns or zero-net orders/days; never in ROWS mode) gets
 * F = 0, distinct_days = 0, repeat_monetary = 0, and first/last_purchase = the
 * earliest/latest date of its rows.
 */
#ifndef CVSEG_AGGREGATE_H
#define CVSEG_AGGREGATE_H

#include <stdint.h>

#include "cvseg/status.h"
#include "cvseg/transaction_rows.h"

typedef enum {
    CVSEG_FREQUENCY_ROWS = 0,
    CVSEG_FREQUENCY_ORDERS = 1,
    CVSEG_FREQUENCY_DAYS = 2
} cvseg_frequency_mode;

typedef struct {
    int64_t members;
    int64_t *member_id;      /* [members], ascending */
    int32_t *first_purchase; /* [members] */
    int32_t *last_purchase;
    int32_t *frequency;
    double *monetary;
    int32_t *distinct_days;
    double *repeat_monetary;
    /* Totals over these members (merge by addition): */
    int64_t orders;                /* ORDERS: distinct (member, order id) pairs; else 0 */
    int64_t purchases;             /* sum of F */
    int64_t no_purchase;           /* members with F = 0 */
    int64_t non_positive_monetary; /* members with F > 0 and M <= 0 */
} cvseg_member_aggregate;

/* Aggregates n rows in ROWS mode (every row a purchase). Allocates the output
 * arrays (free with cvseg_member_aggregate_free). ENOMEM on allocation
 * failure. */
cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out);

/* Aggregates n rows in the given mode. order_id [n] is needed for ORDERS
 * (EINTERNAL when NULL) and ignored otherwise. Same outputs and statuses as
 * cvseg_aggregate_rows, which equals mode ROWS. */
cvseg_status cvseg_aggregate_purchases(const int64_t *member_id, const int32_t *date,
                                       const double *amount, const int64_t *order_id, int64_t n,
                                       cvseg_frequency_mode mode, cvseg_member_aggregate *out);
/* The same as cvseg_aggregate_purchases on rows (rows->order_id needed for
 * ORDERS, EINTERNAL without), taking ownership of rows' arrays: each column
 * is freed as soon as it has been moved into bucket order, so the peak is
 * the rows' own bytes plus one column (8 bytes a row), not a second copy of
 * every row. rows is freed and zeroed on return, whatever the status. */
cvseg_status cvseg_aggregate_consume(cvseg_transaction_rows *rows, cvseg_frequency_mode mode,
                                     cvseg_member_aggregate *out);

void cvseg_member_aggregate_free(cvseg_member_aggregate *aggregate);

#endif
