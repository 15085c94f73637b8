/* sort.h: LSD radix sort of 64-bit keys, optionally carrying a 64-bit payload.
 * Stable; skips byte positions where all keys agree. Pure, single-threaded
 * per call (callers parallelise over independent arrays). */
#ifndef CVSEG_SORT_H
#define CVSEG_SORT_H

#include <stdint.h>

/* Sorts keys [n] ascending; scratch [n]. payload and payload_scratch [n] may
 * both be NULL; otherwise payload is permuted with the keys. */
void cvseg_radix_sort_u64(uint64_t *keys, uint64_t *scratch, uint64_t *payload,
                          uint64_t *payload_scratch, int64_t n);

/* Order-preserving map of int64 to uint64 (flips the sign bit). */
static inline uint64_t cvseg_i64_key(int64_t x)
{
    return (uint64_t)x ^ 0x8000000000000000ULL;
}

/* The inverse of cvseg_i64_key. */
static inline int64_t cvseg_key_i64(uint64_t key)
{
    return (int64_t)(key ^ 0x8000000000000000ULL);
}

#endif
