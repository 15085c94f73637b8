/* clv_mpi.h: the distributed step of the CLV fits (MPI layer). */
#ifndef CVSEG_CLV_MPI_H
#define CVSEG_CLV_MPI_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/status.h"

/* Distinct tuples with counts over all ranks. rows [n][width + 1] holds this
 * rank's tuples (width key words, then a count word); it is sorted and
 * compressed in place. On return *table [*m][width + 1] (malloc'd; free it)
 * holds every distinct key of all ranks with its summed count, sorted
 * lexicographically by key: identical bits on every rank, whatever the
 * partition of the tuples. ENOMEM / EINTERNAL (more than INT_MAX words to
 * gather) agreed on all ranks. Collective on comm. */
cvseg_status cvseg_mpi_gather_tuples(MPI_Comm comm, uint64_t *rows, int64_t n, int width,
                                     uint64_t **table, int64_t *m);

#endif
