/* duplicates.c: distributed duplicate-key detection. */
#include <stdlib.h>

#include "cvseg/dist.h"
#include "cvseg/rng.h"
#include "cvseg/sort.h"

cvseg_status cvseg_dist_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                   int64_t *duplicates, int64_t *example)
{
    cvseg_status status = CVSEG_OK;
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    int *send_counts = calloc((size_t)ranks, sizeof(int));
    int *recv_counts = calloc((size_t)ranks, sizeof(int));
    int *send_displs = calloc((size_t)ranks, sizeof(int));
    int *recv_displs = calloc((size_t)ranks, sizeof(int));
    int *fill = calloc((size_t)ranks, sizeof(int));
    uint64_t *send = malloc(sizeof(uint64_t) * (size_t)(n > 0 ? n : 1));
    uint64_t *received = NULL, *scratch = NULL;
    int64_t found = 0, smallest = INT64_MAX;
    if (!send_counts || !recv_counts || !send_displs || !recv_displs || !fill || !send)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_dist_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i)
        send_counts[cvseg_mix64((uint64_t)keys[i]) % (uint64_t)ranks] += 1;
    for (int r = 1; r < ranks; ++r)
        send_displs[r] = send_displs[r - 1] + send_counts[r - 1];
    for (int64_t i = 0; i < n; ++i) {
        const int r = (int)(cvseg_mix64((uint64_t)keys[i]) % (uint64_t)ranks);
        send[send_displs[r] + fill[r]++] = cvseg_i64_key(keys[i]);
    }
    status = cvseg_dist_check(MPI_Alltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, comm),
                              "duplicate check counts");
    int64_t total = 0;
    for (int r = 0; r < ranks; ++r) {
        recv_displs[r] = (int)total;
        total += recv_counts[r];
    }
    received = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
    scratch = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
    if (status == CVSEG_OK && (!received || !scratch))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_dist_agree(comm, status);
    if (status == CVSEG_OK)
        status =
            cvseg_dist_check(MPI_Alltoallv(send, send_counts, send_displs, MPI_UINT64_T, received,
                                           recv_counts, recv_displs, MPI_UINT64_T, comm),
                             "duplicate check exchange");
    if (status != CVSEG_OK)
        goto done;
    cvseg_radix_sort_u64(received, scratch, NULL, NULL, total);
    for (int64_t i = 1; i < total; ++i) {
        if (received[i] == received[i - 1]) {
            found += 1;
            const int64_t key = (int64_t)(received[i] ^ 0x8000000000000000ULL);
            smallest = key < smallest ? key : smallest;
        }
    }
    status = cvseg_dist_sum_i64(comm, &found, 1);
    if (status == CVSEG_OK)
        status = cvseg_dist_check(
            MPI_Allreduce(MPI_IN_PLACE, &smallest, 1, MPI_INT64_T, MPI_MIN, comm), "duplicates");
done:
    *duplicates = found;
    *example = smallest;
    free(send_counts);
    free(recv_counts);
    free(send_displs);
    free(recv_displs);
    free(fill);
    free(send);
    free(received);
    free(scratch);
    return status;
}
