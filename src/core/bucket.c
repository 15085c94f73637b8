/* bucket.c: routing records to their owner rank. */
#include "cvseg/bucket.h"

#include <string.h>

#include "cvseg/rng.h"

int cvseg_bucket_range_owner(const uint64_t *splitters, int ranks, uint64_t key)
{
    /* Branch-free binary search (keys are random: a branch on each
     * comparison is mispredicted half the time): the answer stays within
     * [base - splitters, base - splitters + n]. */
    const uint64_t *base = splitters;
    int n = ranks - 1;
    while (n > 1) {
        const int half = n / 2;
        base += (base[half - 1] < key) * half; /* arithmetic, not a branch */
        n -= half;
    }
    return (int)(base - splitters) + (n == 1 ? base[0] < key : 0);
}

int cvseg_bucket_hash_owner(int64_t key, int ranks)
{
    return (int)(cvseg_mix64((uint64_t)key) % (uint64_t)ranks);
}

void cvseg_bucket_range_owners(const uint64_t *splitters, int ranks, const uint64_t *keys,
                               int64_t n, int *destination)
{
    for (int64_t i = 0; i < n; ++i)
        destination[i] = cvseg_bucket_range_owner(splitters, ranks, keys[i]);
}

void cvseg_bucket_count(const int *destination, int64_t n, int ranks, int64_t *counts)
{
    memset(counts, 0, sizeof(int64_t) * (size_t)ranks);
    for (int64_t i = 0; i < n; ++i)
        counts[destination[i]] += 1;
}

void cvseg_bucket_key_range(const uint64_t *keys, int64_t n, uint64_t *lowest, uint64_t *highest)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int64_t i = 0; i < n; ++i) {
        lo = keys[i] < lo ? keys[i] : lo;
        hi = keys[i] > hi ? keys[i] : hi;
    }
    *lowest = lo;
    *highest = hi;
}

int cvseg_bucket_bin_shift(uint64_t lowest, uint64_t highest)
{
    int shift = 0;
    while (((highest - lowest) >> shift) >= CVSEG_BUCKET_BINS)
        ++shift;
    return shift;
}

void cvseg_bucket_bin_counts(const uint64_t *keys, int64_t n, uint64_t lowest, int shift,
                             int64_t *counts)
{
    memset(counts, 0, sizeof(int64_t) * CVSEG_BUCKET_BINS);
    for (int64_t i = 0; i < n; ++i)
        counts[(keys[i] - lowest) >> shift] += 1;
}

int64_t cvseg_bucket_bin_collect(const uint64_t *keys, int64_t n, uint64_t lowest, int shift,
                                 const uint8_t *wanted, uint64_t *out)
{
    int64_t found = 0;
    for (int64_t i = 0; i < n; ++i)
        if (wanted[(keys[i] - lowest) >> shift])
            out[found++] = keys[i];
    return found;
}

void cvseg_bucket_range_count(const uint64_t *splitters, int ranks, const uint64_t *keys, int64_t n,
                              int64_t *counts)
{
    memset(counts, 0, sizeof(int64_t) * (size_t)ranks);
    for (int64_t i = 0; i < n; ++i)
        counts[cvseg_bucket_range_owner(splitters, ranks, keys[i])] += 1;
}

void cvseg_bucket_range_pack(const uint64_t *splitters, int ranks, const uint64_t *keys, int64_t n,
                             const int64_t *displs, int64_t *fill, const void *source, void *packed,
                             size_t size)
{
    memset(fill, 0, sizeof(int64_t) * (size_t)ranks);
    const char *from = source;
    char *to = packed;
    /* The common record sizes copied as words (the same bytes as memcpy). */
    if (size == sizeof(uint64_t)) {
        for (int64_t i = 0; i < n; ++i) {
            const int r = cvseg_bucket_range_owner(splitters, ranks, keys[i]);
            memcpy(to + (size_t)(displs[r] + fill[r]++) * sizeof(uint64_t),
                   from + (size_t)i * sizeof(uint64_t), sizeof(uint64_t));
        }
    } else if (size == sizeof(uint32_t)) {
        for (int64_t i = 0; i < n; ++i) {
            const int r = cvseg_bucket_range_owner(splitters, ranks, keys[i]);
            memcpy(to + (size_t)(displs[r] + fill[r]++) * sizeof(uint32_t),
                   from + (size_t)i * sizeof(uint32_t), sizeof(uint32_t));
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const int r = cvseg_bucket_range_owner(splitters, ranks, keys[i]);
            memcpy(to + (size_t)(displs[r] + fill[r]++) * size, from + (size_t)i * size, size);
        }
    }
}

void cvseg_bucket_pack(const int *destination, int64_t n, int ranks, const int64_t *displs,
                       int64_t *fill, const void *source, void *packed, size_t size)
{
    memset(fill, 0, sizeof(int64_t) * (size_t)ranks);
    const char *from = source;
    char *to = packed;
    /* The common record sizes copied as words (the same bytes as memcpy). */
    if (size == sizeof(uint64_t)) {
        for (int64_t i = 0; i < n; ++i) {
            const int r = destination[i];
            memcpy(to + (size_t)(displs[r] + fill[r]++) * sizeof(uint64_t),
                   from + (size_t)i * sizeof(uint64_t), sizeof(uint64_t));
        }
    } else if (size == sizeof(uint32_t)) {
        for (int64_t i = 0; i < n; ++i) {
            const int r = destination[i];
            memcpy(to + (size_t)(displs[r] + fill[r]++) * sizeof(uint32_t),
                   from + (size_t)i * sizeof(uint32_t), sizeof(uint32_t));
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const int r = destination[i];
            memcpy(to + (size_t)(displs[r] + fill[r]++) * size, from + (size_t)i * size, size);
        }
    }
}
