/* stats.c: range, fixed-point sums and moments. */
#include "cvseg/stats.h"

#include <math.h>

cvseg_range cvseg_range_empty(void)
{
    cvseg_range range = {0, INFINITY, -INFINITY};
    return range;
}

void cvseg_range_accumulate(const double *x, const uint8_t *include, int64_t n, cvseg_range *range)
{
    int64_t count = 0;
    double lo = range->min, hi = range->max;
#pragma omp parallel for reduction(+ : count) reduction(min : lo) reduction(max : hi)
    for (int64_t i = 0; i < n; ++i) {
        if (include && !include[i])
            continue;
        const double v = x[i] == 0.0 ? 0.0 : x[i]; /* -0.0 and 0.0 alike */
        ++count;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    range->count += count;
    range->min = lo;
    range->max = hi;
}

void cvseg_range_merge(cvseg_range *into, const cvseg_range *from)
{
    into->count += from->count;
    into->min = from->min < into->min ? from->min : into->min;
    into->max = from->max > into->max ? from->max : into->max;
}

int cvseg_moments_sum_exponent(const cvseg_range *global_range)
{
    if (global_range->count == 0)
        return 0;
    return cvseg_fixed_exponent(fmax(fabs(global_range->min), fabs(global_range->max)));
}

int cvseg_moments_sqdev_exponent(const cvseg_range *global_range, double mean)
{
    if (global_range->count == 0)
        return 0;
    const double spread = fmax(fabs(global_range->max - mean), fabs(mean - global_range->min));
    /* (x - mean)^2 is rounded, so allow a little above spread^2. */
    return cvseg_fixed_exponent(spread * spread * (1.0 + 0x1p-40));
}

/* Reduction of a 128-bit integer across OpenMP threads: per-thread partials
 * added in a critical section (integer addition: order does not matter). */
cvseg_i128 cvseg_fixed_sum(const double *x, const uint8_t *include, int64_t n, int exponent)
{
    const double scale = cvseg_fixed_scale(exponent);
    cvseg_i128 total = 0;
#pragma omp parallel
    {
        cvseg_i128 mine = 0;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            if (include && !include[i])
                continue;
            mine += cvseg_fixed_term(x[i], scale);
        }
#pragma omp critical(cvseg_fixed_sum)
        total += mine;
    }
    return total;
}

cvseg_i128 cvseg_fixed_sum_sqdev(const double *x, const uint8_t *include, int64_t n, double mean,
                                 int exponent)
{
    const double scale = cvseg_fixed_scale(exponent);
    cvseg_i128 total = 0;
#pragma omp parallel
    {
        cvseg_i128 mine = 0;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            if (include && !include[i])
                continue;
            const double deviation = x[i] - mean;
            mine += cvseg_fixed_term(deviation * deviation, scale);
        }
#pragma omp critical(cvseg_fixed_sum)
        total += mine;
    }
    return total;
}

/* sum * 2^-exponent / count rounded once (an exact integer division with a
 * sticky remainder bit), so a constant column has mean exactly equal to its
 * value and sd exactly 0. */
double cvseg_moments_mean(cvseg_i128 global_sum, int exponent, int64_t count)
{
    if (count <= 0)
        return 0.0;
    const int negative = global_sum < 0;
    const cvseg_u128 magnitude = negative ? -(cvseg_u128)global_sum : (cvseg_u128)global_sum;
    const cvseg_u128 quotient = magnitude / (cvseg_u128)count;
    const cvseg_u128 remainder = magnitude % (cvseg_u128)count;
    double scaled;
    if (quotient >> 53) /* 54+ bits: a sticky bit for the remainder rounds correctly */
        scaled = ldexp((double)((quotient << 1) | (cvseg_u128)(remainder != 0)), -1);
    else
        scaled = (double)quotient + (double)remainder / (double)count;
    const double mean = ldexp(scaled, -exponent);
    return negative ? -mean : mean;
}

double cvseg_moments_sd(cvseg_i128 global_sqdev, int exponent, int64_t count)
{
    return count > 0 ? sqrt(cvseg_fixed_to_double(global_sqdev, exponent) / (double)count) : 0.0;
}

cvseg_moments cvseg_moments_local(const double *x, const uint8_t *include, int64_t n)
{
    cvseg_moments moments = {0, 0.0, 0.0, 0.0, 0.0};
    cvseg_range range = cvseg_range_empty();
    cvseg_range_accumulate(x, include, n, &range);
    if (range.count == 0)
        return moments;
    const int sum_exponent = cvseg_moments_sum_exponent(&range);
    moments.count = range.count;
    moments.mean =
        cvseg_moments_mean(cvseg_fixed_sum(x, include, n, sum_exponent), sum_exponent, range.count);
    const int sqdev_exponent = cvseg_moments_sqdev_exponent(&range, moments.mean);
    moments.sd =
        cvseg_moments_sd(cvseg_fixed_sum_sqdev(x, include, n, moments.mean, sqdev_exponent),
                         sqdev_exponent, range.count);
    moments.min = range.min;
    moments.max = range.max;
    return moments;
}
