/* rng.h: counter-based random numbers.
 *
 * A draw is a pure function of (seed, stream, counter): no state, so every
 * member's numbers are the same whichever rank or thread computes them. The
 * mixing is the SplitMix64 finaliser applied to a combination of the key
 * words (statistically good for simulation and seeding, not cryptographic).
 * Streams separate independent uses (a generator field, a K-Means restart and
 * round); the counter is usually a global member or row index.
 */
#ifndef CVSEG_RNG_H
#define CVSEG_RNG_H

#include <stdint.h>

/* The SplitMix64 finaliser: a bijective 64-bit mix (also used to spread
 * member ids over owner ranks). Inline: passes over every key call it. */
static inline uint64_t cvseg_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 64 random bits for (seed, stream, counter). */
uint64_t cvseg_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter);
/* Uniform double in [0, 1) with 53 random bits. */
double cvseg_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
/* Standard normal (Box-Muller on the counters 2c and 2c+1 of the stream). */
double cvseg_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter);
/* Key for a stream built from up to three small words (e.g. restart, round). */
uint64_t cvseg_rng_stream(uint64_t a, uint64_t b, uint64_t c);
/* A bijection of [0, 2^63): distinct inputs give distinct outputs (used for
 * sparse member ids). */
uint64_t cvseg_permute63(uint64_t seed, uint64_t x);

#endif
