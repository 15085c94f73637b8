/* exchange.h: all-to-all exchange of fixed-size records with 64-bit counts
 * (MPI layer).
 *
 * A plan says, for every peer rank, how many records this rank sends to it
 * and receives from it, and where they sit in the send and receive buffers.
 * Counts and displacements are in records and 64-bit. The send buffer holds
 * the records of destination 0, then of destination 1, ...; the receive
 * buffer gets the records of source 0, then of source 1, ..., each group in
 * the order its sender stored it. Every record arrives exactly once.
 *
 * MPI counts and displacements are int. cvseg_exchange_run moves records as
 * a contiguous MPI datatype of record_size bytes, in as many rounds of
 * MPI_Alltoallv as needed to keep every message (one pair, one round) at
 * most CVSEG_EXCHANGE_MAX_COUNT records and CVSEG_EXCHANGE_MAX_BYTES bytes
 * (one round below that; the byte cap keeps messages clear of transports'
 * 2 GiB troubles and bounds MPI's own buffers). When some rank's
 * send or receive buffer holds more than CVSEG_EXCHANGE_MAX_DISPLACEMENT
 * records (so that a displacement would not fit in an int), every rank uses
 * pairwise nonblocking sends and receives instead, in pieces of at most
 * CVSEG_EXCHANGE_MAX_COUNT records (and bytes as above), each addressed by
 * its own pointer. The limits can be lowered at compile time (tests do, to
 * exercise rounds).
 *
 * All functions taking comm are collective on it.
 */
#ifndef CVSEG_EXCHANGE_H
#define CVSEG_EXCHANGE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "cvseg/status.h"

#ifndef CVSEG_EXCHANGE_MAX_COUNT
#define CVSEG_EXCHANGE_MAX_COUNT 2147483647 /* INT_MAX */
#endif
#ifndef CVSEG_EXCHANGE_MAX_BYTES
#define CVSEG_EXCHANGE_MAX_BYTES 1073741824 /* 1 GiB per message */
#endif
#ifndef CVSEG_EXCHANGE_MAX_CANDIDATES
#define CVSEG_EXCHANGE_MAX_CANDIDATES 1048576 /* keys gathered to place splitters */
#endif
#ifndef CVSEG_EXCHANGE_MAX_DISPLACEMENT
#define CVSEG_EXCHANGE_MAX_DISPLACEMENT 2147483647 /* INT_MAX */
#endif

typedef struct {
    int ranks;
    int64_t *send_counts; /* [ranks] records to each destination */
    int64_t *send_displs; /* [ranks] first record of each destination in the send buffer */
    int64_t *recv_counts; /* [ranks] records from each source */
    int64_t *recv_displs; /* [ranks] first record of each source in the receive buffer */
    int64_t send_total;   /* records in the send buffer */
    int64_t recv_total;   /* records in the receive buffer */
    int64_t max_pair;     /* largest count of any pair of ranks (same on every rank) */
    int pairwise;         /* 1: some buffer is beyond int displacements (same on every rank) */
    void *memory;         /* owns the four arrays */
} cvseg_exchange_plan;

/* Builds the plan from this rank's send_counts [ranks] (records per
 * destination): exchanges the counts (MPI_Alltoall of int64) and agrees on
 * the number of rounds. On failure the plan holds no memory; the status is
 * the same on every rank. */
cvseg_status cvseg_exchange_plan_create(MPI_Comm comm, const int64_t *send_counts,
                                        cvseg_exchange_plan *plan);

/* Rounds (messages per pair) cvseg_exchange_run takes for records of
 * record_size bytes; 0 when nothing moves. The same on every rank. Local. */
int64_t cvseg_exchange_rounds(const cvseg_exchange_plan *plan, size_t record_size);

/* Swaps the send and receive sides: the plan of a reply that returns every
 * received record to its source, into the position it was sent from. Local. */
void cvseg_exchange_plan_reverse(cvseg_exchange_plan *plan);

void cvseg_exchange_plan_free(cvseg_exchange_plan *plan);

/* Moves the records: send [plan->send_total][record_size] bytes, ordered by
 * destination as above, into receive [plan->recv_total][record_size]. Every
 * rank passes the same record_size. The status is the same on every rank. */
cvseg_status cvseg_exchange_run(MPI_Comm comm, const cvseg_exchange_plan *plan, const void *send,
                                void *receive, size_t record_size);

/* Range partition balanced by records: splitters [ranks - 1] = the keys of
 * global rank ceil(r * total / ranks), r = 1..ranks-1, over the keys [n] of
 * every rank (total = their count over all ranks; nothing is selected when
 * total is 0 and splitters are left as given). cvseg_bucket_range_owner then
 * sends every key to its range. Exact: one histogram of the keys over
 * 65,536 bins of their global range, then the keys of the bins holding a
 * splitter gathered on every rank and sorted; when those are more than
 * CVSEG_EXCHANGE_MAX_CANDIDATES (many equal keys), distributed radix
 * selection (cvseg_mpi_select_keys) instead. The status is the same on
 * every rank. */
cvseg_status cvseg_exchange_range_splitters(MPI_Comm comm, const uint64_t *keys, int64_t n,
                                            int64_t total, uint64_t *splitters);

/* The plan for records bound to destination [n] (ranks of comm; count
 * with cvseg_bucket_count, then cvseg_exchange_plan_create). */
cvseg_status cvseg_exchange_plan_for(MPI_Comm comm, const int *destination, int64_t n,
                                     cvseg_exchange_plan *plan);

/* Packs local [n][record_size] by destination [n] (stable:
 * cvseg_bucket_pack, into a temporary send buffer) and moves the records
 * with cvseg_exchange_run into receive [plan->recv_total][record_size]
 * (allocated by the caller): each source's records in the order it held them.
 * The plan is the one cvseg_exchange_plan_for built from destination. */
cvseg_status cvseg_exchange_records(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                    const int *destination, int64_t n, const void *local,
                                    void *receive, size_t record_size);

/* One column of records moved by cvseg_exchange_columns. */
typedef struct {
    void *local;    /* [n][size] this rank's records (malloc'ed; NULL: column left out);
                       taken (set to NULL) once packed */
    void *received; /* out: [plan->recv_total][size] (malloc'ed; NULL on failure) */
    size_t size;    /* bytes per record, the same on every rank */
} cvseg_exchange_column;

/* Moves n_columns columns of the same n records by destination [n] with one
 * plan (cvseg_exchange_plan_for), one column after the other: packs the
 * column (stable, as cvseg_exchange_records) into one send buffer shared by
 * all columns, resizes the local array to the received records (realloc)
 * and receives into it; so at most the rows and one packed column are held,
 * and the received columns reuse the local arrays' memory. On success every
 * local is NULL and received holds the column. On failure the received
 * arrays are freed; a local array is freed or still held (local says which).
 * Collective; the status is the same on every rank. */
cvseg_status cvseg_exchange_columns(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                    const int *destination, int64_t n, int n_columns,
                                    cvseg_exchange_column *columns);

/* The plan and the column exchange for records routed by range: record i
 * goes to cvseg_bucket_range_owner(splitters, ranks, keys[i]) (splitters
 * [ranks - 1], e.g. from cvseg_exchange_range_splitters), computed as the
 * records are counted and packed rather than stored. keys [n] may be the
 * local array of one of the columns: it is read until that column is
 * packed, which the columns are in index order, so it must be the last
 * column given. Otherwise as cvseg_exchange_plan_for and
 * cvseg_exchange_columns. Collective. */
cvseg_status cvseg_exchange_plan_by_range(MPI_Comm comm, const uint64_t *splitters,
                                          const uint64_t *keys, int64_t n,
                                          cvseg_exchange_plan *plan);
cvseg_status cvseg_exchange_columns_by_range(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                             const uint64_t *splitters, const uint64_t *keys,
                                             int64_t n, int n_columns,
                                             cvseg_exchange_column *columns);

#endif
