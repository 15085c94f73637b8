/* duplicates.c: distributed duplicate-key detection. */
#include <stdlib.h>

#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "cvseg/rng.h"
#include "cvseg/sort.h"

/* Owner rank of a key (hash partition). */
static int duplicates_owner(int64_t key, int ranks)
{
    return (int)(cvseg_mix64((uint64_t)key) % (uint64_t)ranks);
}

/* Keys that repeat an earlier one in sorted [n] and the smallest of them. */
static void duplicates_scan(const uint64_t *sorted, int64_t n, int64_t *found, int64_t *smallest)
{
    for (int64_t i = 1; i < n; ++i) {
        if (sorted[i] == sorted[i - 1]) {
            *found += 1;
            const int64_t key = (int64_t)(sorted[i] ^ 0x8000000000000000ULL);
            *smallest = key < *smallest ? key : *smallest;
        }
    }
}

cvseg_status cvseg_mpi_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                  int64_t *duplicates, int64_t *example)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "duplicate check size");
    cvseg_exchange_plan plan = {0};
    int64_t *counts = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *fill = calloc((size_t)ranks, sizeof(int64_t));
    uint64_t *send = malloc(sizeof(uint64_t) * (size_t)(n > 0 ? n : 1));
    uint64_t *received = NULL, *scratch = NULL;
    int64_t found = 0, smallest = INT64_MAX;
    if (status == CVSEG_OK && (!counts || !fill || !send))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i)
        counts[duplicates_owner(keys[i], ranks)] += 1;
    status = cvseg_exchange_plan_create(comm, counts, &plan);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i) {
        const int r = duplicates_owner(keys[i], ranks);
        send[plan.send_displs[r] + fill[r]++] = cvseg_i64_key(keys[i]);
    }
    const int64_t total = plan.recv_total;
    received = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
    scratch = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
    if (!received || !scratch)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(comm, &plan, send, received, sizeof(uint64_t));
    if (status != CVSEG_OK)
        goto done;
    cvseg_radix_sort_u64(received, scratch, NULL, NULL, total);
    duplicates_scan(received, total, &found, &smallest);
    status = cvseg_mpi_sum_i64(comm, &found, 1);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &smallest, 1, MPI_INT64_T, MPI_MIN, comm), "duplicates");
done:
    *duplicates = found;
    *example = smallest;
    cvseg_exchange_plan_free(&plan);
    free(counts);
    free(fill);
    free(send);
    free(received);
    free(scratch);
    return status;
}
