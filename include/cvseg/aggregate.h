/* aggregate.h: transaction rows -> one row per member (pure kernel).
 *
 * Input rows [n] of one rank, in file order. Rows are grouped per member by a
 * stable radix sort on the member id (so each member's rows keep their file
 * order and every sum is taken in file order: the result
 * does not depend on how the rows were spread over ranks, as long as every
 * member's rows are on one rank in file order), and members output in
 * ascending member id.
 *
 * Per member: first and last purchase date, frequency F (rows), monetary M
 * (sum of amounts), distinct purchase days, and repeat_monetary (the sum of
 * amounts on days after the first purchase day, for lifetime-value models).
 */
#ifndef CVSEG_AGGREGATE_H
#define CVSEG_AGGREGATE_H

#include <stdint.h>

#include "cvseg/status.h"

typedef struct {
    int64_t members;
    int64_t *member_id;      /* [members], ascending */
    int32_t *first_purchase; /* [members] */
    int32_t *last_purchase;
    int32_t *frequency;
    double *monetary;
    int32_t *distinct_days;
    double *repeat_monetary;
} cvseg_member_aggregate;

/* Aggregates n rows. Allocates the output arrays (free with
 * cvseg_member_aggregate_free). ENOMEM on allocation failure. */
cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out);
void cvseg_member_aggregate_free(cvseg_member_aggregate *aggregate);

#endif
