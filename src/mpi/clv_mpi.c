/* clv_mpi.c: distinct tuples with counts over ranks (see clv_mpi.h). */
#include "cvseg/clv_mpi.h"

#include <limits.h>
#include <stdlib.h>

#include "cvseg/clv.h"
#include "cvseg/collectives.h"

cvseg_status cvseg_mpi_gather_tuples(MPI_Comm comm, uint64_t *rows, int64_t n, int width,
                                     uint64_t **table, int64_t *m)
{
    int ranks = 1;
    int *counts = NULL, *displs = NULL;
    uint64_t *all = NULL;
    const int64_t stride = width + 1;
    const int64_t local = cvseg_tuples_compress(rows, n, width);
    int64_t words = local * stride, total = 0;
    cvseg_status status = CVSEG_OK;
    *table = NULL;
    *m = 0;
    MPI_Comm_size(comm, &ranks);
    counts = malloc(sizeof(int) * (size_t)ranks);
    displs = malloc(sizeof(int) * (size_t)ranks);
    if (!counts || !displs)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the tuple gather");
    status = cvseg_mpi_agree(comm, status);
    total = words;
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(comm, &total, 1);
    if (status == CVSEG_OK && total > INT_MAX)
        status =
            CVSEG_FAIL(CVSEG_EINTERNAL, "%lld words of distinct CLV tuples exceed one MPI gather",
                       (long long)total);
    if (status != CVSEG_OK)
        goto done;
    const int mine = (int)words;
    status =
        cvseg_mpi_check(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, comm), "tuple counts");
    if (status != CVSEG_OK)
        goto done;
    for (int r = 0, at = 0; r < ranks; at += counts[r], ++r)
        displs[r] = at;
    all = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
    status = cvseg_mpi_agree(comm, all ? CVSEG_OK
                                       : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld tuples",
                                                    (long long)(total / stride)));
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allgatherv(rows, mine, MPI_UINT64_T, all, counts, displs, MPI_UINT64_T, comm),
            "tuple gather");
    if (status != CVSEG_OK)
        goto done;
    *m = cvseg_tuples_compress(all, total / stride, width);
    *table = all;
    all = NULL;
done:
    free(counts);
    free(displs);
    free(all);
    return status;
}
