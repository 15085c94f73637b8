/* partition.h: block partition of N rows over P ranks.
 *
 * Rank r owns rows [offset, offset + count). Counts differ by at most one,
 * the first N % P ranks get one row more, ranks beyond N get zero rows.
 * Pure arithmetic, thread-safe.
 */
#ifndef CVSEG_PARTITION_H
#define CVSEG_PARTITION_H

#include <stdint.h>

typedef struct {
    int64_t offset; /* first global row of this rank */
    int64_t count;  /* rows owned by this rank (may be 0) */
} cvseg_block;

/* n_rows >= 0, n_ranks >= 1, 0 <= rank < n_ranks. */
cvseg_block cvseg_block_partition(int64_t n_rows, int n_ranks, int rank);

#endif
