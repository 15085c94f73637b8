/* duplicates.c: distributed duplicate-key detection. Tables exported in key
 * order (each rank's block strictly increasing, the blocks in rank order)
 * are recognised in one local pass and one small MPI_Allgather; otherwise
 * every key goes to the rank its hash names (cvseg_exchange_records), which
 * sorts what it received and counts repeats. */
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

/* 1 when keys [n] are strictly increasing (n <= 1 included). */
static int duplicates_increasing(const int64_t *keys, int64_t n)
{
    int64_t descents = 0;
#pragma omp parallel for schedule(static) reduction(+ : descents)
    for (int64_t i = 1; i < n; ++i)
        descents += keys[i] <= keys[i - 1];
    return descents == 0;
}

/* *apart := 1 when every rank's keys [n] are strictly increasing and each
 * non-empty block's first key is above the last key of the non-empty
 * blocks of lower ranks: then no key repeats anywhere. Collective. */
static cvseg_status duplicates_sorted_apart(MPI_Comm comm, int ranks, const int64_t *keys,
                                            int64_t n, int *apart)
{
    enum { FIELDS = 3 }; /* increasing, first, last: n > 0 only */
    int64_t mine[FIELDS] = {n == 0 ? -1 : duplicates_increasing(keys, n), n > 0 ? keys[0] : 0,
                            n > 0 ? keys[n - 1] : 0};
    int64_t *all = malloc(sizeof(int64_t) * FIELDS * (size_t)ranks);
    cvseg_status status =
        all ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allgather(mine, FIELDS, MPI_INT64_T, all, FIELDS, MPI_INT64_T, comm),
            "duplicate check ranges");
    int sorted = status == CVSEG_OK, seen = 0;
    int64_t previous_last = 0;
    for (int r = 0; r < ranks && sorted; ++r) {
        const int64_t *block = all + (size_t)r * FIELDS;
        if (block[0] < 0)
            continue; /* empty block */
        sorted = block[0] == 1 && (!seen || block[1] > previous_last);
        previous_last = block[2];
        seen = 1;
    }
    *apart = sorted;
    free(all);
    return status;
}

cvseg_status cvseg_mpi_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                  int64_t *duplicates, int64_t *example)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "duplicate check size");
    uint64_t *received = NULL, *scratch = NULL;
    int64_t total = 0, found = 0, smallest = INT64_MAX;
    int apart = 0;
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = duplicates_sorted_apart(comm, ranks, keys, n, &apart);
    if (status != CVSEG_OK || apart)
        goto done;
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
