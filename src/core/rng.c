/* rng.c: SplitMix64-based counter RNG. */
#include "cvseg/rng.h"

#include <math.h>

uint64_t cvseg_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint64_t key = cvseg_mix64(seed + 0x9e3779b97f4a7c15ULL);
    key = cvseg_mix64(key ^ (stream * 0xd1b54a32d192ed03ULL));
    return cvseg_mix64(key + (counter + 1) * 0x9e3779b97f4a7c15ULL);
}

double cvseg_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return (double)(cvseg_rng_u64(seed, stream, counter) >> 11) * 0x1.0p-53;
}

double cvseg_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter)
{
    const double u1 = 1.0 - cvseg_rng_uniform(seed, stream, 2 * counter); /* (0, 1] */
    const double u2 = cvseg_rng_uniform(seed, stream, 2 * counter + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t cvseg_rng_stream(uint64_t a, uint64_t b, uint64_t c)
{
    return cvseg_mix64(cvseg_mix64(cvseg_mix64(a) ^ b) ^ c);
}

uint64_t cvseg_permute63(uint64_t seed, uint64_t x)
{
    const uint64_t mask = (1ULL << 63) - 1;
    const uint64_t key = cvseg_mix64(seed) & mask;
    x &= mask;
    /* Each step is a bijection of [0, 2^63). */
    for (int round = 0; round < 3; ++round) {
        x = (x ^ key) & mask;
        x ^= x >> 29;
        x = (x * 0xbf58476d1ce4e5b9ULL) & mask;
        x ^= x >> 32;
        x = (x * 0x94d049bb133111ebULL) & mask;
    }
    return x;
}
