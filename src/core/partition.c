/* partition.c: block partition arithmetic. */
#include "cvseg/partition.h"

cvseg_block cvseg_block_partition(int64_t n_rows, int n_ranks, int rank)
{
    const int64_t base = n_rows / n_ranks;
    const int64_t extra = n_rows % n_ranks;
    cvseg_block block;
    block.count = base + (rank < extra ? 1 : 0);
    block.offset = (int64_t)rank * base + (rank < extra ? rank : extra);
    return block;
}
