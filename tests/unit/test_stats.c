/* test_stats.c: exact moments: accuracy against a naive long double
 * reference, the three-pass merge over simulated ranks (bit-identical to one
 * chunk, in rank order and reversed, 1 and 2 threads), include masks, empty
 * and constant data. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x0DDB1A5E5BAD5EEDULL
#include "test_support.h"
#include "cvseg/partition.h"
#include "cvseg/stats.h"

/* The three-pass protocol of the distributed layer, with the MPI reductions
 * replaced by merges of the chunks' partials in rank order (or reversed). */
static cvseg_moments moments_over_chunks(const double *x, const uint8_t *include,
                                         const int64_t *cuts, int p, int reverse)
{
    cvseg_moments m = {0, 0.0, 0.0, 0.0, 0.0};
    cvseg_range range = cvseg_range_empty();
    for (int s = 0; s < p; ++s) {
        const int r = reverse ? p - 1 - s : s;
        cvseg_range part = cvseg_range_empty();
        cvseg_range_accumulate(x + cuts[r], include ? include + cuts[r] : NULL,
                               cuts[r + 1] - cuts[r], &part);
        cvseg_range_merge(&range, &part);
    }
    if (range.count == 0)
        return m;
    const int e1 = cvseg_moments_sum_exponent(&range);
    cvseg_i128 sum = 0;
    for (int s = 0; s < p; ++s) {
        const int r = reverse ? p - 1 - s : s;
        sum += cvseg_fixed_sum(x + cuts[r], include ? include + cuts[r] : NULL,
                               cuts[r + 1] - cuts[r], e1);
    }
    m.count = range.count;
    m.mean = cvseg_moments_mean(sum, e1, range.count);
    const int e2 = cvseg_moments_sqdev_exponent(&range, m.mean);
    cvseg_i128 sq = 0;
    for (int s = 0; s < p; ++s) {
        const int r = reverse ? p - 1 - s : s;
        sq += cvseg_fixed_sum_sqdev(x + cuts[r], include ? include + cuts[r] : NULL,
                                    cuts[r + 1] - cuts[r], m.mean, e2);
    }
    m.sd = cvseg_moments_sd(sq, e2, range.count);
    m.min = range.min;
    m.max = range.max;
    return m;
}

static int same_moments(const cvseg_moments *a, const cvseg_moments *b)
{
    return a->count == b->count && memcmp(&a->mean, &b->mean, sizeof(double)) == 0 &&
           memcmp(&a->sd, &b->sd, sizeof(double)) == 0 &&
           memcmp(&a->min, &b->min, sizeof(double)) == 0 &&
           memcmp(&a->max, &b->max, sizeof(double)) == 0;
}

static void assert_same_moments(const cvseg_moments *a, const cvseg_moments *b, const char *what)
{
    const int same = same_moments(a, b);
    if (!same)
        fprintf(stderr,
                "  %s: count %lld/%lld mean %.17g/%.17g sd %.17g/%.17g min %.17g/%.17g "
                "max %.17g/%.17g\n",
                what, (long long)a->count, (long long)b->count, a->mean, b->mean, a->sd, b->sd,
                a->min, b->min, a->max, b->max);
    CU_ASSERT(same);
}

/* Naive two-pass long double reference. */
static void naive_moments(const double *x, const uint8_t *include, int64_t n, int64_t *count,
                          long double *mean, long double *sd, double *lo, double *hi)
{
    long double sum = 0.0L;
    int64_t c = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
        if (include && !include[i])
            continue;
        sum += x[i];
        ++c;
        *lo = fmin(*lo, x[i]);
        *hi = fmax(*hi, x[i]);
    }
    *count = c;
    *mean = c ? sum / c : 0.0L;
    long double sq = 0.0L;
    for (int64_t i = 0; i < n; ++i) {
        if (include && !include[i])
            continue;
        const long double dev = (long double)x[i] - *mean;
        sq += dev * dev;
    }
    *sd = c ? sqrtl(sq / c) : 0.0L;
}

enum { DATA_SKEWED, DATA_SIGNED, DATA_INTEGER, DATA_OFFSET, DATA_TINY_SPREAD, DATA_KINDS };

static void fill(double *x, int64_t n, int kind)
{
    for (int64_t i = 0; i < n; ++i) {
        switch (kind) {
        case DATA_SKEWED: /* monetary-like: log-normal, rounded to cents */
            x[i] = round(exp(3.5 + 1.2 * next_normal()) * 100.0) / 100.0;
            break;
        case DATA_SIGNED:
            x[i] = 50.0 * next_normal() - 10.0;
            break;
        case DATA_INTEGER: /* purchase counts: many ones */
            x[i] = next_uniform() < 0.6 ? 1.0 : (double)(1 + next_u64() % 40);
            break;
        case DATA_OFFSET: /* a large mean with a small spread */
            x[i] = 1e9 + next_uniform();
            break;
        default: /* standardised features */
            x[i] = 1e-3 * next_normal();
            break;
        }
    }
}

static void check_against_naive(const double *x, const uint8_t *include, int64_t n)
{
    const cvseg_moments m = cvseg_moments_local(x, include, n);
    int64_t count;
    long double mean, sd;
    double lo, hi;
    naive_moments(x, include, n, &count, &mean, &sd, &lo, &hi);
    CVSEG_ASSERT_EQUAL_I64(m.count, count);
    if (count == 0)
        return;
    const double max_abs = fmax(fabs(lo), fabs(hi));
    /* Relative 1e-12, plus the absolute resolution of the fixed-point sum for
     * means near zero. */
    const double mean_tol = 1e-12 * fabsl(mean) + 4.0 * max_abs * 0x1p-62;
    /* The squared-deviation sum is off by at most spread^2 * 2^-61 per member
     * (truncation), so sd^2 by that much; and the mean used for the
     * deviations is a double, off by up to half an ulp (plus the fixed-point
     * resolution), which adds its square to sd^2 (inherent to a double mean:
     * visible when |mean| / sd is large). */
    const double spread = hi - lo;
    const double mean_off = 0.5 * (nextafter(fabs(m.mean), INFINITY) - fabs(m.mean)) + mean_tol;
    const double delta = spread * spread * 0x1p-60 + mean_off * mean_off;
    const double sd_tol =
        1e-12 * (double)sd + (sd > 0 ? fmin(sqrt(delta), delta / (double)sd) : sqrt(delta));
    const double mean_err = (double)fabsl((long double)m.mean - mean);
    const double sd_err = (double)fabsl((long double)m.sd - sd);
    if (mean_err > mean_tol || sd_err > sd_tol)
        fprintf(stderr, "  n=%lld mean %.17g vs %.17Lg, sd %.17g vs %.17Lg\n", (long long)n, m.mean,
                mean, m.sd, sd);
    CU_ASSERT(mean_err <= mean_tol);
    CU_ASSERT(sd_err <= sd_tol);
    CU_ASSERT(m.sd >= 0.0);
    CVSEG_ASSERT_SAME_DOUBLE(m.min, lo);
    CVSEG_ASSERT_SAME_DOUBLE(m.max, hi);
}

static void test_moments_against_naive(void)
{
    enum { N = 50000 };
    double *x = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(x != NULL);
    for (int kind = 0; kind < DATA_KINDS; ++kind) {
        fill(x, N, kind);
        check_against_naive(x, NULL, N);
        check_against_naive(x, NULL, 1);
        check_against_naive(x, NULL, 2);
        check_against_naive(x, NULL, 777);
    }
    /* Hand-computed: {2,4,4,4,5,5,7,9}: mean 5, population sd 2. */
    const double h[8] = {2, 4, 4, 4, 5, 5, 7, 9};
    const cvseg_moments m = cvseg_moments_local(h, NULL, 8);
    CVSEG_ASSERT_EQUAL_I64(m.count, 8);
    CVSEG_ASSERT_SAME_DOUBLE(m.mean, 5.0);
    CVSEG_ASSERT_SAME_DOUBLE(m.sd, 2.0);
    CVSEG_ASSERT_SAME_DOUBLE(m.min, 2.0);
    CVSEG_ASSERT_SAME_DOUBLE(m.max, 9.0);
    /* {-3, 1}: mean -1, sd 2. */
    const double g[2] = {-3.0, 1.0};
    const cvseg_moments mg = cvseg_moments_local(g, NULL, 2);
    CVSEG_ASSERT_SAME_DOUBLE(mg.mean, -1.0);
    CVSEG_ASSERT_SAME_DOUBLE(mg.sd, 2.0);
    free(x);
}

static void test_merge_over_simulated_ranks(void)
{
    enum { N = 5003 };
    double *x = malloc(sizeof(double) * N);
    uint8_t *include = malloc(N);
    CU_ASSERT_FATAL(x != NULL && include != NULL);
    const int64_t sizes[] = {N, 1, 13};
    int64_t mismatches = 0, checks = 0;
    for (int kind = 0; kind < DATA_KINDS; ++kind) {
        fill(x, N, kind);
        for (int64_t i = 0; i < N; ++i)
            include[i] = next_uniform() < 0.7;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; ++si) {
            const int64_t n = sizes[si];
            for (int masked = 0; masked < 2; ++masked) {
                const uint8_t *inc = masked ? include : NULL;
                omp_set_num_threads(1);
                const cvseg_moments whole = cvseg_moments_local(x, inc, n);
                for (int threads = 1; threads <= 2; ++threads) {
                    omp_set_num_threads(threads);
                    const cvseg_moments again = cvseg_moments_local(x, inc, n);
                    assert_same_moments(&again, &whole, "threads");
                    for (int p = 1; p <= 7; ++p) {
                        for (int pattern = 0; pattern < 5; ++pattern) {
                            int64_t cuts[8];
                            make_cuts(n, p, pattern, cuts);
                            for (int reverse = 0; reverse < 2; ++reverse) {
                                const cvseg_moments m =
                                    moments_over_chunks(x, inc, cuts, p, reverse);
                                ++checks;
                                if (!same_moments(&m, &whole)) {
                                    if (mismatches++ < 5)
                                        assert_same_moments(&m, &whole, "chunks");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    CU_ASSERT(checks > 1000);
    omp_set_num_threads(2);
    free(x);
    free(include);
}

static void test_signed_zero_min_max_partition_independent(void)
{
    /* -0.0 and +0.0 compare equal, so "keep the first of equals" makes the
     * bits of min/max depend on the order in which ranks (or threads) are
     * merged: one chunk gives -0.0 here, the reversed merge +0.0. The range
     * is documented as identical for any partition. */
    const double x[6] = {-0.0, 5.0, 0.0, 3.0, -0.0, 0.0};
    const double y[6] = {0.0, -2.0, -0.0, -7.0, 0.0, -0.0};
    const double *data[2] = {x, y};
    for (int k = 0; k < 2; ++k) {
        omp_set_num_threads(1);
        const cvseg_moments whole = cvseg_moments_local(data[k], NULL, 6);
        for (int p = 2; p <= 6; ++p) {
            for (int pattern = 0; pattern < 5; ++pattern) {
                int64_t cuts[8];
                make_cuts(6, p, pattern, cuts);
                for (int reverse = 0; reverse < 2; ++reverse) {
                    const cvseg_moments m = moments_over_chunks(data[k], NULL, cuts, p, reverse);
                    if (!same_moments(&m, &whole) && p == 2 && pattern == 0)
                        assert_same_moments(&m, &whole, "signed zeros");
                    CU_ASSERT(same_moments(&m, &whole));
                }
            }
        }
    }
    omp_set_num_threads(2);
}

static void test_include_mask(void)
{
    enum { N = 9999 };
    double *x = malloc(sizeof(double) * N);
    double *kept = malloc(sizeof(double) * N);
    uint8_t *include = malloc(N);
    CU_ASSERT_FATAL(x != NULL && kept != NULL && include != NULL);
    fill(x, N, DATA_SKEWED);
    int64_t n_kept = 0;
    for (int64_t i = 0; i < N; ++i) {
        include[i] = (uint8_t)(next_uniform() < 0.4 ? 0 : 1 + next_u64() % 200); /* any nonzero */
        if (include[i])
            kept[n_kept++] = x[i];
        else
            x[i] = i % 2 ? 1e12 : -1e12; /* excluded outliers must not matter */
    }
    const cvseg_moments masked = cvseg_moments_local(x, include, N);
    const cvseg_moments compact = cvseg_moments_local(kept, NULL, n_kept);
    assert_same_moments(&masked, &compact, "mask vs compacted");
    CVSEG_ASSERT_EQUAL_I64(masked.count, n_kept);
    CU_ASSERT(masked.max < 1e12 && masked.min > -1e12);
    check_against_naive(x, include, N);
    /* range honours the mask too */
    cvseg_range r = cvseg_range_empty();
    cvseg_range_accumulate(x, include, N, &r);
    CVSEG_ASSERT_EQUAL_I64(r.count, n_kept);
    CVSEG_ASSERT_SAME_DOUBLE(r.min, compact.min);
    CVSEG_ASSERT_SAME_DOUBLE(r.max, compact.max);
    free(x);
    free(kept);
    free(include);
}

static void test_empty(void)
{
    const double x[3] = {1.0, 2.0, 3.0};
    const uint8_t none[3] = {0, 0, 0};
    const cvseg_moments a = cvseg_moments_local(x, NULL, 0);
    const cvseg_moments b = cvseg_moments_local(x, none, 3);
    const cvseg_moments zero = {0, 0.0, 0.0, 0.0, 0.0};
    assert_same_moments(&a, &zero, "n = 0");
    assert_same_moments(&b, &zero, "all excluded");
    const cvseg_range r = cvseg_range_empty();
    CVSEG_ASSERT_EQUAL_I64(r.count, 0);
    CU_ASSERT(isinf(r.min) && r.min > 0);
    CU_ASSERT(isinf(r.max) && r.max < 0);
    /* merging an empty range changes nothing */
    cvseg_range s = cvseg_range_empty();
    cvseg_range_accumulate(x, NULL, 3, &s);
    cvseg_range_merge(&s, &r);
    CVSEG_ASSERT_EQUAL_I64(s.count, 3);
    CVSEG_ASSERT_SAME_DOUBLE(s.min, 1.0);
    CVSEG_ASSERT_SAME_DOUBLE(s.max, 3.0);
    /* finalisers on count 0 */
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_moments_mean(0, 0, 0), 0.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_moments_sd(0, 0, 0), 0.0);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_sum(x, none, 3, 10) == 0, 1);
}

static void test_constant_data(void)
{
    /* n copies of c: the mean is c and the sd is exactly 0 (a constant
     * feature must be recognisable by sd == 0, e.g. before z-scoring). */
    const double constants[] = {1.0, 3.0, 12.99, 0.1, 7.3, -4.25, 1e9 + 0.5, 1.0 / 3.0};
    const int64_t counts[] = {1, 2, 3, 9, 11, 13, 25, 41, 100, 1000};
    double x[1000];
    int64_t bad_sd = 0, bad_mean = 0;
    for (size_t ci = 0; ci < sizeof constants / sizeof constants[0]; ++ci) {
        for (size_t ni = 0; ni < sizeof counts / sizeof counts[0]; ++ni) {
            const int64_t n = counts[ni];
            for (int64_t i = 0; i < n; ++i)
                x[i] = constants[ci];
            const cvseg_moments m = cvseg_moments_local(x, NULL, n);
            if (m.sd != 0.0 && bad_sd++ < 5)
                fprintf(stderr, "  %lld copies of %.17g: sd = %.17g, mean = %.17g\n", (long long)n,
                        constants[ci], m.sd, m.mean);
            if (m.mean != constants[ci] && bad_mean++ < 5)
                fprintf(stderr, "  %lld copies of %.17g: mean = %.17g\n", (long long)n,
                        constants[ci], m.mean);
            CVSEG_ASSERT_SAME_DOUBLE(m.min, constants[ci]);
            CVSEG_ASSERT_SAME_DOUBLE(m.max, constants[ci]);
        }
    }
    CVSEG_ASSERT_EQUAL_I64(bad_sd, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_mean, 0);
}

static void test_exponents(void)
{
    cvseg_range r = {10, -3.0, 1000.0};
    /* max |x| = 1000 < 1024 -> e = 52 */
    CVSEG_ASSERT_EQUAL_I64(cvseg_moments_sum_exponent(&r), 52);
    r.min = -5000.0;
    CVSEG_ASSERT_EQUAL_I64(cvseg_moments_sum_exponent(&r), cvseg_fixed_exponent(5000.0));
    /* every squared deviation fits under the chosen exponent, including the
     * rounding of (x - mean)^2 */
    for (int t = 0; t < 2000; ++t) {
        const double lo = -exp(10.0 * next_uniform()) * next_uniform();
        const double hi = lo + exp(10.0 * next_uniform() - 3.0);
        const cvseg_range range = {2, lo, hi};
        const double mean = lo + (hi - lo) * next_uniform();
        const int e = cvseg_moments_sqdev_exponent(&range, mean);
        const double scale = cvseg_fixed_scale(e);
        const double d1 = (hi - mean) * (hi - mean), d2 = (mean - lo) * (mean - lo);
        CU_ASSERT(fmax(d1, d2) * scale < 0x1p62);
    }
    const cvseg_range empty = cvseg_range_empty();
    CVSEG_ASSERT_EQUAL_I64(cvseg_moments_sum_exponent(&empty), 0);
    CVSEG_ASSERT_EQUAL_I64(cvseg_moments_sqdev_exponent(&empty, 0.0), 0);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"moments against a naive long double two-pass reference", test_moments_against_naive},
        {"three-pass merge over P = 1..7 simulated ranks is bit-identical",
         test_merge_over_simulated_ranks},
        {"min/max of signed zeros do not depend on the partition",
         test_signed_zero_min_max_partition_independent},
        {"include mask honoured", test_include_mask},
        {"count 0 gives zeros", test_empty},
        {"constant data: mean exact, sd exactly 0", test_constant_data},
        {"fixed-point exponents of the passes", test_exponents},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("stats", tests);
}
