/* member_scatter.c: records to the owner of their member id, through the
 * shared record exchange (exchange.c). */
#include "cvseg/member_scatter.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/id_join.h"

cvseg_status cvseg_member_scatter(MPI_Comm comm, int ranks, int words, const int64_t *records,
                                  int64_t n, int64_t **received, int64_t *received_n,
                                  cvseg_exchange_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    int64_t *counts = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *next = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *ordered = malloc(sizeof(int64_t) * (size_t)words * (size_t)(n > 0 ? n : 1));
    *received = NULL;
    *received_n = 0;
    if (!counts || !next || !ordered)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    cvseg_id_owner_counts(records, words, n, ranks, counts);
    status = cvseg_exchange_plan_create(comm, counts, plan);
    if (status != CVSEG_OK)
        goto done;
    memcpy(next, plan->send_displs, sizeof(int64_t) * (size_t)ranks);
    cvseg_id_pack_by_owner(records, words, n, ranks, next, ordered);
    const int64_t total = plan->recv_total;
    *received = malloc(sizeof(int64_t) * (size_t)words * (size_t)(total > 0 ? total : 1));
    if (!*received)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status =
            cvseg_exchange_run(comm, plan, ordered, *received, sizeof(int64_t) * (size_t)words);
    *received_n = total;
done:
    free(counts);
    free(next);
    free(ordered);
    return status;
}
