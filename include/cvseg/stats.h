/* stats.h: mergeable partials for exact global moments and group summaries.
 *
 * Moments are computed in three passes so that the result is bit-identical
 * for any partition of the rows (see fixed.h):
 *   1. range:   count, min, max                      (merge: +, min, max)
 *   2. sum:     fixed-point sum of x, exponent from max(|min|, |max|)
 *   3. sq. dev: fixed-point sum of (x - mean)^2, exponent from the largest
 *               possible square
 * mean = sum / count, population sd = sqrt(sum of squared deviations / count).
 * Rows whose include flag is 0 are skipped (include may be NULL: all rows).
 * The kernels use OpenMP threads internally; call them outside parallel
 * regions.
 */
#ifndef CVSEG_STATS_H
#define CVSEG_STATS_H

#include <stdint.h>

#include "cvseg/fixed.h"

typedef struct {
    int64_t count;
    double min; /* +inf when count == 0 */
    double max; /* -inf when count == 0 */
} cvseg_range;

typedef struct {
    int64_t count;
    double mean, sd, min, max; /* population sd; all 0 when count == 0 */
} cvseg_moments;

cvseg_range cvseg_range_empty(void);
/* x: [n]; include: [n] or NULL. Adds the rows to *range. */
void cvseg_range_accumulate(const double *x, const uint8_t *include, int64_t n, cvseg_range *range);
void cvseg_range_merge(cvseg_range *into, const cvseg_range *from);

/* Exponents for the two fixed-point passes, from the global range. */
int cvseg_moments_sum_exponent(const cvseg_range *global_range);
int cvseg_moments_sqdev_exponent(const cvseg_range *global_range, double mean);

/* Fixed-point sum of x (pass 2) and of (x - mean)^2 (pass 3) over included rows. */
cvseg_i128 cvseg_fixed_sum(const double *x, const uint8_t *include, int64_t n, int exponent);
cvseg_i128 cvseg_fixed_sum_sqdev(const double *x, const uint8_t *include, int64_t n, double mean,
                                 int exponent);

/* Mean from the global sum; sd from the global squared-deviation sum. */
double cvseg_moments_mean(cvseg_i128 global_sum, int exponent, int64_t count);
double cvseg_moments_sd(cvseg_i128 global_sqdev, int exponent, int64_t count);

/* Convenience for one process (tests, single-rank use): all three passes. */
cvseg_moments cvseg_moments_local(const double *x, const uint8_t *include, int64_t n);

#endif
