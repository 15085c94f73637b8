/* fixed.h: exact, order-independent sums of doubles in 128-bit fixed point.
 *
 * Why: a floating-point sum depends on the order of its terms, so a mean
 * computed over 1, 2 or 4 ranks (or 1 or 2 threads) would differ in its last
 * bits. cvseg sums every distributed quantity that feeds a decision
 * (moments, K-Means centroid sums and inertia, k-means++ potentials) as
 * integers instead: each term x is converted once to q = trunc(x * 2^e) (an
 * int64, exact arithmetic from then on) and the q are added in 128-bit
 * integers. Integer addition is associative, so every partition and every
 * merge order gives the same bits.
 *
 * Error bound: each term loses less than 2^-e (truncation toward zero); a sum
 * of n terms is within n * 2^-e of the exact real sum, and the final
 * conversion to double adds half an ulp. The exponent e is chosen from a
 * global bound B on |x|, identical on all ranks, as the largest e with
 * B * 2^e < 2^62; so the relative resolution is 2^-62 of the largest term
 * (about 2e-19). Sums of up to 2^64 terms cannot overflow.
 */
#ifndef CVSEG_FIXED_H
#define CVSEG_FIXED_H

#include <stdint.h>

__extension__ typedef __int128 cvseg_i128;
__extension__ typedef unsigned __int128 cvseg_u128;

/* Exponent e for terms bounded by |x| <= max_abs (max_abs >= 0, finite). */
int cvseg_fixed_exponent(double max_abs);

/* 2^e as a double (exact for |e| <= 1000). */
double cvseg_fixed_scale(int exponent);

/* One term: trunc(x * scale), scale = cvseg_fixed_scale(e). |x| must be within
 * the bound the exponent was chosen for. */
static inline int64_t cvseg_fixed_term(double x, double scale)
{
    return (int64_t)(x * scale);
}

/* The double nearest to sum * 2^-e. */
double cvseg_fixed_to_double(cvseg_i128 sum, int exponent);

/* Splits a 128-bit value into two int64 words for MPI transport and back. */
void cvseg_i128_to_words(cvseg_i128 value, int64_t words[2]);
cvseg_i128 cvseg_i128_from_words(const int64_t words[2]);

#endif
