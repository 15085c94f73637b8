/* test_support.h: what the kernel tests share: a test-local random generator
 * (independent of the kernels under test) and the chunk boundaries of P
 * simulated ranks.
 *
 * Define TEST_SEED before including: each test file keeps its own sequence. */
#ifndef CVSEG_TEST_SUPPORT_H
#define CVSEG_TEST_SUPPORT_H

#include <math.h>
#include <stdint.h>

#include "cvseg/partition.h"

static uint64_t rng_state = TEST_SEED;

static inline uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline double next_uniform(void)
{
    return (double)(next_u64() >> 11) * 0x1.0p-53;
}

static inline double next_normal(void)
{
    const double u1 = 1.0 - next_uniform(), u2 = next_uniform();
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Chunk boundaries of p simulated ranks: cuts[0] = 0 <= ... <= cuts[p] = n.
 * pattern 0: block partition; 1: random cuts (duplicates = empty ranks);
 * 2: everything on the last rank; 3: everything on rank 0; 4: every even
 * rank empty. */
static inline void make_cuts(int64_t n, int p, int pattern, int64_t *cuts)
{
    cuts[0] = 0;
    cuts[p] = n;
    for (int r = 1; r < p; ++r) {
        switch (pattern) {
        case 0:
            cuts[r] = cvseg_block_partition(n, p, r).offset;
            break;
        case 1:
            cuts[r] = (int64_t)(next_u64() % (uint64_t)(n + 1));
            break;
        case 2:
            cuts[r] = 0;
            break;
        case 3:
            cuts[r] = n;
            break;
        default:
            cuts[r] = r % 2 ? cvseg_block_partition(n, p, r).offset : cuts[r - 1];
            break;
        }
    }
    for (int r = 1; r < p; ++r) /* sort (random pattern) */
        for (int s = r + 1; s < p; ++s)
            if (cuts[s] < cuts[r]) {
                const int64_t t = cuts[r];
                cuts[r] = cuts[s];
                cuts[s] = t;
            }
    if (pattern == 4)
        for (int r = 1; r < p; ++r)
            if (cuts[r] < cuts[r - 1])
                cuts[r] = cuts[r - 1];
}

#endif
