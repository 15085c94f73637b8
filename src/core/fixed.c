/* fixed.c: exact fixed-point sums (see fixed.h for the error bound). */
#include "cvseg/fixed.h"

#include <math.h>

int cvseg_fixed_exponent(double max_abs)
{
    if (!(max_abs > 0.0) || !isfinite(max_abs))
        return 62;
    int exponent_of_bound;
    frexp(max_abs, &exponent_of_bound); /* max_abs < 2^exponent_of_bound */
    const int exponent = 62 - exponent_of_bound;
    return exponent > 1000 ? 1000 : exponent; /* keep 2^e finite for subnormal bounds */
}

double cvseg_fixed_scale(int exponent)
{
    return ldexp(1.0, exponent);
}

double cvseg_fixed_to_double(cvseg_i128 sum, int exponent)
{
    /* (double) of an __int128 is correctly rounded; the power-of-two scaling
     * is exact unless the result under/overflows. */
    return ldexp((double)sum, -exponent);
}

void cvseg_i128_to_words(cvseg_i128 value, int64_t words[2])
{
    const cvseg_u128 bits = (cvseg_u128)value;
    words[0] = (int64_t)(uint64_t)(bits >> 64);
    words[1] = (int64_t)(uint64_t)bits;
}

cvseg_i128 cvseg_i128_from_words(const int64_t words[2])
{
    const cvseg_u128 bits = ((cvseg_u128)(uint64_t)words[0] << 64) | (cvseg_u128)(uint64_t)words[1];
    return (cvseg_i128)bits;
}
