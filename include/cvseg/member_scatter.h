/* member_scatter.h: records sent to the rank that owns their member id
 * (MPI layer; the pure pieces are id_join.h). The first step of the
 * distributed joins of score --previous and score --clv.
 */
#ifndef CVSEG_MEMBER_SCATTER_H
#define CVSEG_MEMBER_SCATTER_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/exchange.h"
#include "cvseg/status.h"

/* Sends records [n][words] int64 (word 0 the member id) to the rank that
 * owns the id (cvseg_id_owner over ranks, the size of comm); returns the
 * received records (allocated [received_n][words], grouped by source rank,
 * each group in its sender's order), their count and the plan (reverse it
 * with cvseg_exchange_plan_reverse to send one reply per received record
 * back to the position it came from; free it with
 * cvseg_exchange_plan_free, also on failure). Every rank passes the same
 * words. The status is the same on every rank. Collective on comm. */
cvseg_status cvseg_member_scatter(MPI_Comm comm, int ranks, int words, const int64_t *records,
                                  int64_t n, int64_t **received, int64_t *received_n,
                                  cvseg_exchange_plan *plan);

#endif
