/* bucket.h: routing records to their owner rank (pure kernels).
 *
 * The arithmetic of an all-to-all exchange that is not MPI: which rank owns
 * a record (by range splitters or by hash), how many records go to each
 * rank, and the stable packing of records into a send buffer that holds the
 * records of destination 0, then of destination 1, ... (each group in the
 * order of the input). src/mpi/exchange.c moves the packed buffers.
 * Pure, single-threaded, thread-safe on distinct arrays.
 */
#ifndef CVSEG_BUCKET_H
#define CVSEG_BUCKET_H

#include <stddef.h>
#include <stdint.h>

/* Owner of key in a range partition over ranks: the number of splitters
 * [ranks - 1] (ascending) strictly below key. Keys equal to splitter r go to
 * rank r. ranks >= 1. */
int cvseg_bucket_range_owner(const uint64_t *splitters, int ranks, uint64_t key);

/* Owner of key in a hash partition over ranks >= 1: cvseg_mix64(key) % ranks. */
int cvseg_bucket_hash_owner(int64_t key, int ranks);

/* destination [n] = range owner of keys [n] (cvseg_bucket_range_owner). */
void cvseg_bucket_range_owners(const uint64_t *splitters, int ranks, const uint64_t *keys,
                               int64_t n, int *destination);

/* counts [ranks] = records per destination of destination [n] (each in
 * 0..ranks-1). */
void cvseg_bucket_count(const int *destination, int64_t n, int ranks, int64_t *counts);

/* Stable packing: record i of source [n][size bytes] goes to packed at
 * record displs[destination[i]] + (records before i with the same
 * destination). displs [ranks]: first record of each destination (the
 * prefix sums of cvseg_bucket_count); fill [ranks] is scratch. */
void cvseg_bucket_pack(const int *destination, int64_t n, int ranks, const int64_t *displs,
                       int64_t *fill, const void *source, void *packed, size_t size);

/* Bins of a key range for finding range splitters: the bin of key is
 * (key - lowest) >> shift, below CVSEG_BUCKET_BINS for every key of
 * [lowest, highest]. */
#define CVSEG_BUCKET_BINS 65536

/* Smallest and largest of keys [n] (UINT64_MAX and 0 when n is 0). */
void cvseg_bucket_key_range(const uint64_t *keys, int64_t n, uint64_t *lowest, uint64_t *highest);

/* Smallest shift putting [lowest, highest] (lowest <= highest) into
 * CVSEG_BUCKET_BINS bins. */
int cvseg_bucket_bin_shift(uint64_t lowest, uint64_t highest);

/* counts [CVSEG_BUCKET_BINS] (overwritten) = keys [n] per bin. Every key
 * within [lowest, lowest + (CVSEG_BUCKET_BINS << shift)). */
void cvseg_bucket_bin_counts(const uint64_t *keys, int64_t n, uint64_t lowest, int shift,
                             int64_t *counts);

/* Copies the keys [n] whose bin is marked in wanted [CVSEG_BUCKET_BINS]
 * (non-zero) to out, in input order; returns how many. */
int64_t cvseg_bucket_bin_collect(const uint64_t *keys, int64_t n, uint64_t lowest, int shift,
                                 const uint8_t *wanted, uint64_t *out);

/* The same two steps with the destination of record i computed from its key
 * (cvseg_bucket_range_owner of keys [n] over splitters [ranks - 1]) instead
 * of read from an array: counts [ranks] per owner, and the stable packing
 * of source [n][size bytes] (which may be keys itself). */
void cvseg_bucket_range_count(const uint64_t *splitters, int ranks, const uint64_t *keys, int64_t n,
                              int64_t *counts);
void cvseg_bucket_range_pack(const uint64_t *splitters, int ranks, const uint64_t *keys, int64_t n,
                             const int64_t *displs, int64_t *fill, const void *source, void *packed,
                             size_t size);

#endif
