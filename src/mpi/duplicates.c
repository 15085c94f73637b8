/* duplicates.c: distributed duplicate-key detection: every key goes to the
 * rank its hash names (cvseg_exchange_records), which sorts what it
 * received and counts repeats. */
#include <stdlib.h>

#include "cvseg/bucket.h"
#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "cvseg/sort.h"

/* Keys that repeat an earlier one in sorted [n] and the smallest of them. */
static void duplicates_scan(const uint64_t *sorted, int64_t n, int64_t *found, int64_t *smallest)
{
    for (int64_t i = 1; i < n; ++i) {
        if (sorted[i] == sorted[i - 1]) {
            *found += 1;
            const int64_t key = cvseg_key_i64(sorted[i]);
            *smallest = key < *smallest ? key : *smallest;
        }
    }
}

/* Sends every key [n] to its hash owner: *received [*total] order keys
 * (cvseg_i64_key) of the keys this rank owns. Collective; agreed. */
static cvseg_status duplicates_route(MPI_Comm comm, int ranks, const int64_t *keys, int64_t n,
                                     uint64_t **received, int64_t *total)
{
    cvseg_exchange_plan plan = {0};
    int *destination = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    cvseg_status status = CVSEG_OK;
    if (!destination)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    for (int64_t i = 0; i < n && status == CVSEG_OK; ++i)
        destination[i] = cvseg_bucket_hash_owner(keys[i], ranks);
    if (status == CVSEG_OK)
        status = cvseg_exchange_plan_for(comm, destination, n, &plan);
    *total = plan.recv_total;
    if (status == CVSEG_OK) {
        *received = malloc(sizeof(uint64_t) * (size_t)(*total > 0 ? *total : 1));
        if (!*received)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
        status = cvseg_mpi_agree(comm, status);
    }
    if (status == CVSEG_OK) /* int64 keys travel as they are */
        status =
            cvseg_exchange_records(comm, &plan, destination, n, keys, *received, sizeof(int64_t));
    for (int64_t i = 0; i < *total && status == CVSEG_OK; ++i)
        (*received)[i] = cvseg_i64_key((int64_t)(*received)[i]);
    cvseg_exchange_plan_free(&plan);
    free(destination);
    return status;
}

cvseg_status cvseg_mpi_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                  int64_t *duplicates, int64_t *example)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "duplicate check size");
    uint64_t *received = NULL, *scratch = NULL;
    int64_t total = 0, found = 0, smallest = INT64_MAX;
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = duplicates_route(comm, ranks, keys, n, &received, &total);
    if (status == CVSEG_OK) {
        scratch = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
        if (!scratch)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
        status = cvseg_mpi_agree(comm, status);
    }
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
    free(received);
    free(scratch);
    return status;
}
