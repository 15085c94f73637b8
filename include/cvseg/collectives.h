/* collectives.h: collectives built on the core's mergeable partials (MPI layer).
 *
 * Every function here is collective on comm: all ranks of comm call it in the
 * same order. None uses MPI_COMM_WORLD. OpenMP threads never call these
 * (MPI_THREAD_FUNNELED).
 */
#ifndef CVSEG_COLLECTIVES_H
#define CVSEG_COLLECTIVES_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "cvseg/kmeans.h"
#include "cvseg/rfm.h"
#include "cvseg/stats.h"
#include "cvseg/status.h"

/* Agreement: every rank passes its local status; all ranks return the same
 * status: the most severe (lowest) one, from the lowest failing rank. That
 * rank's message is copied into every rank's error record, so rank 0 can
 * print it. Call it before any collective that a failed rank would skip. */
cvseg_status cvseg_mpi_agree(MPI_Comm comm, cvseg_status local_status);

/* Maps an MPI return code to CVSEG_OK or a recorded CVSEG_EMPI. */
cvseg_status cvseg_mpi_check(int mpi_code, const char *what);

/* Creates this layer's MPI datatypes and reduction ops once; call it after
 * the communicator is set up (the app does, around the run). Collective:
 * the status is agreed. Functions that need them create them on first use
 * when it was not called. Idempotent. */
cvseg_status cvseg_mpi_init(MPI_Comm comm);
/* Frees them (before MPI_Finalize). Not collective. */
void cvseg_mpi_finalize(void);
/* A committed contiguous datatype of `bytes` MPI_BYTEs (one record),
 * created once per size and kept until cvseg_mpi_finalize. Not collective. */
cvseg_status cvseg_mpi_record_type(size_t bytes, MPI_Datatype *type);

/* Global sums / extrema of small values. */
cvseg_status cvseg_mpi_sum_i64(MPI_Comm comm, int64_t *values, int count);
cvseg_status cvseg_mpi_max_f64(MPI_Comm comm, double *values, int count);
cvseg_status cvseg_mpi_sum_i128(MPI_Comm comm, cvseg_i128 *values, int count);
/* Exclusive prefix sum of value over ranks (rank 0 gets 0) and the total. */
cvseg_status cvseg_mpi_exscan_i64(MPI_Comm comm, int64_t value, int64_t *before, int64_t *total);
cvseg_status cvseg_mpi_exscan_i128(MPI_Comm comm, cvseg_i128 value, cvseg_i128 *before,
                                   cvseg_i128 *total);

/* Exact global moments of x over included rows (three passes; see stats.h). */
cvseg_status cvseg_mpi_moments(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                               cvseg_moments *moments);
cvseg_status cvseg_mpi_range(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                             cvseg_range *range);

/* Exact order statistics: values[t] = the ranks[t]-th smallest included value
 * over all ranks (1-based). m <= CVSEG_SELECT_MAX_TARGETS. One pass over x
 * counts the first 16 key bits (one histogram for all targets); each rank
 * then keeps the keys that share a target's first 16 bits (when at most a
 * quarter of its rows), a target whose prefix holds a single key is
 * resolved (ties), and the remaining 16-bit levels run over the kept keys,
 * one histogram per distinct prefix. */
cvseg_status cvseg_mpi_select(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                              int m, const int64_t *ranks, double *values);

/* The same over order keys: keys_out[t] = the ranks[t]-th smallest key. */
cvseg_status cvseg_mpi_select_keys(MPI_Comm comm, const uint64_t *keys, int64_t n, int m,
                                   const int64_t *ranks, uint64_t *keys_out);

/* Sums a K-Means partial over all ranks in place (one packed MPI_Allreduce
 * with an exact 128-bit integer sum). */
cvseg_status cvseg_mpi_kmeans_allreduce(MPI_Comm comm, cvseg_kmeans_partial *partial);

/* Sums a group summary (segments, classes) over all ranks in place. */
cvseg_status cvseg_mpi_group_summary(MPI_Comm comm, cvseg_group_summary *summary);

/* Bytes of a message from the lowest failing rank, for cvseg_mpi_agree. */
#define CVSEG_MPI_MESSAGE_MAX 640

/* Duplicate detection of int64 keys across ranks. When every rank's keys are
 * strictly increasing and the non-empty blocks follow each other in rank
 * order (a table exported in key order), there is none: one local pass and
 * an MPI_Allgather of three numbers per rank say so. Otherwise the keys'
 * hashes are bucketed by their top bits, sent to the owners of the buckets
 * (MPI_Alltoallv) and counted there bucket by bucket (duplicates.c).
 * Returns the
 * number of keys that repeat an earlier one (global) and the smallest
 * duplicated key (valid when *duplicates > 0). Collective. */
cvseg_status cvseg_mpi_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                  int64_t *duplicates, int64_t *example);

#endif
