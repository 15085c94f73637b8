/* test_quantile.c: order keys and exact radix selection against a qsort
 * reference (ties, negatives, masks, n = 1), over simulated ranks whose
 * histograms are summed before each refinement, and the quintile rank rule. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0xC0FFEE1234567ULL
#include "test_support.h"
#include "cvseg/partition.h"
#include "cvseg/quantile.h"

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A random finite double of any magnitude and sign (not NaN). */
static double any_double(void)
{
    switch (next_u64() % 8) {
    case 0:
        return (next_u64() % 2 ? -1.0 : 1.0) *
               ldexp(next_uniform(), (int)(next_u64() % 2098) - 1074);
    case 1:
        return (double)((int64_t)(next_u64() % 21) - 10);
    case 2:
        return next_u64() % 2 ? 0.0 : -0.0;
    case 3: {
        double x;
        uint64_t bits = next_u64();
        memcpy(&x, &bits, sizeof x);
        return isnan(x) ? 1.0 : x; /* includes +-inf and subnormals */
    }
    default:
        return (next_uniform() - 0.5) * exp(40.0 * next_uniform() - 20.0);
    }
}

static void test_order_key_monotone_and_invertible(void)
{
    enum { N = 20000 };
    double *x = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(x != NULL);
    const double special[] = {-INFINITY, -DBL_MAX, -1.0, -DBL_MIN, -4.9e-324, -0.0,   0.0,
                              4.9e-324,  DBL_MIN,  1.0,  DBL_MAX,  INFINITY,  1e-300, -1e300};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    for (int i = 0; i < N; ++i)
        x[i] = i < n_special ? special[i] : any_double();
    qsort(x, N, sizeof x[0], compare_double);
    int64_t bad_order = 0, bad_inverse = 0;
    for (int i = 0; i < N; ++i) {
        const uint64_t k = cvseg_order_key(x[i]);
        const double back = cvseg_order_key_value(k);
        const double expect = x[i] == 0.0 ? 0.0 : x[i]; /* -0.0 comes back as +0.0 */
        bad_inverse += memcmp(&back, &expect, sizeof back) != 0;
        if (i > 0) {
            const uint64_t prev = cvseg_order_key(x[i - 1]);
            if (x[i - 1] < x[i])
                bad_order += !(prev < k);
            else /* equal values (also -0.0 and +0.0) share a key */
                bad_order += prev != k;
        }
    }
    CVSEG_ASSERT_EQUAL_I64(bad_order, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_inverse, 0);
    /* Random pairs: key order is value order. */
    int64_t bad_pairs = 0;
    for (int t = 0; t < 100000; ++t) {
        const double a = any_double(), b = any_double();
        const uint64_t ka = cvseg_order_key(a), kb = cvseg_order_key(b);
        bad_pairs += (a < b) != (ka < kb) || (a == b) != (ka == kb);
    }
    CVSEG_ASSERT_EQUAL_I64(bad_pairs, 0);
    CU_ASSERT_EQUAL(cvseg_order_key(-0.0), cvseg_order_key(0.0));
    CU_ASSERT(cvseg_order_key(-4.9e-324) < cvseg_order_key(0.0));
    CU_ASSERT(cvseg_order_key(0.0) < cvseg_order_key(4.9e-324));
    free(x);
}

/* Reference: t-th smallest (1-based) of the included values, by qsort. */
static void reference_select(const double *x, const uint8_t *include, int64_t n, int m,
                             const int64_t *ranks, double *values)
{
    double *kept = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i)
        if (!include || include[i])
            kept[c++] = x[i];
    qsort(kept, (size_t)c, sizeof kept[0], compare_double);
    for (int t = 0; t < m; ++t)
        values[t] = kept[ranks[t] - 1];
    free(kept);
}

enum { KIND_CONTINUOUS, KIND_TIES, KIND_COUNTS, KIND_NEGATIVE, KIND_ANY, KIND_FEW, KINDS };

static void fill(double *x, int64_t n, int kind)
{
    for (int64_t i = 0; i < n; ++i) {
        switch (kind) {
        case KIND_CONTINUOUS:
            x[i] = exp(3.0 + next_uniform() * 4.0);
            break;
        case KIND_TIES: /* 60 % equal to 1 */
            x[i] = next_uniform() < 0.6 ? 1.0 : 1.0 + (double)(next_u64() % 7);
            break;
        case KIND_COUNTS: /* purchase-count-like integers, heavy mass at 1 */
            x[i] = next_uniform() < 0.45 ? 1.0 : floor(exp(4.0 * next_uniform()));
            break;
        case KIND_NEGATIVE:
            x[i] = (next_uniform() - 0.7) * 1000.0;
            if (next_u64() % 10 == 0)
                x[i] = next_u64() % 2 ? -0.0 : 0.0;
            break;
        case KIND_ANY:
            x[i] = any_double();
            break;
        default: /* values sharing all but the last key bits */
            x[i] = (1.0 + (double)(next_u64() % 4) * 0x1p-52) * (next_u64() % 2 ? 1.0 : -1.0);
            break;
        }
    }
}

static int values_equal(const double *a, const double *b, int m)
{
    for (int t = 0; t < m; ++t)
        if (!(a[t] == b[t])) /* == so that -0.0 and +0.0 agree */
            return 0;
    return 1;
}

static void test_select_matches_qsort(void)
{
    const int64_t sizes[] = {1, 2, 3, 10, 100, 4096};
    double *x = malloc(sizeof(double) * 4096);
    uint8_t *include = malloc(4096);
    CU_ASSERT_FATAL(x != NULL && include != NULL);
    int64_t mismatches = 0, cases = 0;
    for (int kind = 0; kind < KINDS; ++kind) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; ++si) {
            /* masked and unmasked alternate over sizes and kinds */
            for (int masked = (int)((si + (size_t)kind) % 2); masked < 2; masked += 2) {
                const int64_t n = sizes[si];
                fill(x, n, kind);
                int64_t count = n;
                if (masked) {
                    count = 0;
                    for (int64_t i = 0; i < n; ++i) {
                        include[i] = next_uniform() < 0.6;
                        count += include[i];
                    }
                    if (count == 0) {
                        include[0] = 1;
                        count = 1;
                    }
                    for (int64_t i = 0; i < n; ++i) /* excluded rows: extreme values */
                        if (!include[i] && i % 3 == 0)
                            x[i] = i % 2 ? -1e300 : 1e300;
                }
                /* ranks: the quintile edges, the extremes and random ones */
                int64_t ranks[CVSEG_SELECT_MAX_TARGETS];
                int m = 0;
                for (int q = 1; q <= 4; ++q)
                    ranks[m++] = cvseg_quantile_rank(q, 5, count);
                ranks[m++] = 1;
                ranks[m++] = count;
                while (m < CVSEG_SELECT_MAX_TARGETS && m < 7)
                    ranks[m++] = 1 + (int64_t)(next_u64() % (uint64_t)count);
                double got[CVSEG_SELECT_MAX_TARGETS], want[CVSEG_SELECT_MAX_TARGETS];
                omp_set_num_threads(1 + (int)(cases % 2));
                cvseg_select_local(x, masked ? include : NULL, n, m, ranks, got);
                reference_select(x, masked ? include : NULL, n, m, ranks, want);
                ++cases;
                if (!values_equal(got, want, m)) {
                    if (mismatches++ < 5)
                        for (int t = 0; t < m; ++t)
                            fprintf(stderr, "  kind %d n %lld rank %lld: %.17g vs %.17g\n", kind,
                                    (long long)n, (long long)ranks[t], got[t], want[t]);
                }
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    CU_ASSERT(cases == KINDS * 6);
    omp_set_num_threads(2);
    /* n = 1 */
    const double one = -3.25;
    const int64_t r1 = 1;
    double v;
    cvseg_select_local(&one, NULL, 1, 1, &r1, &v);
    CVSEG_ASSERT_SAME_DOUBLE(v, -3.25);
    /* Hand-made: 60 % ones; ranks 2, 4, 6, 8 of {1,1,1,1,1,1,2,3,4,5}. */
    const double t[10] = {5, 1, 4, 1, 1, 3, 1, 2, 1, 1};
    int64_t qr[4];
    for (int q = 1; q <= 4; ++q)
        qr[q - 1] = cvseg_quantile_rank(q, 5, 10);
    CVSEG_ASSERT_EQUAL_I64(qr[0], 2);
    CVSEG_ASSERT_EQUAL_I64(qr[3], 8);
    double edges[4];
    cvseg_select_local(t, NULL, 10, 4, qr, edges);
    CVSEG_ASSERT_SAME_DOUBLE(edges[0], 1.0);
    CVSEG_ASSERT_SAME_DOUBLE(edges[1], 1.0);
    CVSEG_ASSERT_SAME_DOUBLE(edges[2], 1.0);
    CVSEG_ASSERT_SAME_DOUBLE(edges[3], 3.0);
    free(x);
    free(include);
}

static void test_select_over_simulated_ranks(void)
{
    enum { N = 3001, M = 5 };
    double *x = malloc(sizeof(double) * N);
    uint8_t *include = malloc(N);
    int64_t *global = malloc(sizeof(int64_t) * M * CVSEG_SELECT_BINS);
    int64_t *part = malloc(sizeof(int64_t) * M * CVSEG_SELECT_BINS);
    CU_ASSERT_FATAL(x != NULL && include != NULL && global != NULL && part != NULL);
    int64_t mismatches = 0, checks = 0;
    /* Every P = 1..7 with two (data kind, mask) combinations each; 1 or 2
     * threads alternating; every cut pattern (block, random with empty ranks,
     * all rows on the last rank, all on rank 0). */
    for (int p = 1; p <= 7; ++p) {
        for (int combo = 0; combo < 2; ++combo) {
            const int kind = (3 * p + combo) % KINDS;
            const int masked = (p + combo) % 2;
            fill(x, N, kind);
            int64_t count = 0;
            for (int64_t i = 0; i < N; ++i) {
                include[i] = next_uniform() < 0.8;
                count += include[i];
            }
            const uint8_t *inc = masked ? include : NULL;
            const int64_t total = masked ? count : N;
            int64_t ranks[M];
            for (int q = 1; q <= 4; ++q)
                ranks[q - 1] = cvseg_quantile_rank(q, 5, total);
            ranks[4] = total;
            double want[M], whole[M];
            reference_select(x, inc, N, M, ranks, want);
            cvseg_select_local(x, inc, N, M, ranks, whole);
            CU_ASSERT(values_equal(whole, want, M));
            omp_set_num_threads(1 + (p + combo) % 2);
            int64_t cuts[8];
            make_cuts(N, p, (p + combo) % 4, cuts);
            cvseg_select_state state;
            cvseg_select_init(&state, M, ranks);
            int refine_status = 0;
            for (int level = 0; level < CVSEG_SELECT_LEVELS; ++level) {
                memset(global, 0, sizeof(int64_t) * M * CVSEG_SELECT_BINS);
                for (int r = 0; r < p; ++r) {
                    cvseg_select_histogram(&state, x + cuts[r], inc ? inc + cuts[r] : NULL,
                                           cuts[r + 1] - cuts[r], part);
                    for (int64_t b = 0; b < (int64_t)M * CVSEG_SELECT_BINS; ++b)
                        global[b] += part[b];
                }
                refine_status |= cvseg_select_refine(&state, global);
            }
            CVSEG_ASSERT_EQUAL_I64(state.level, CVSEG_SELECT_LEVELS);
            CVSEG_ASSERT_EQUAL_I64(refine_status, 0);
            double got[M];
            cvseg_select_values(&state, got);
            ++checks;
            if (!values_equal(got, want, M) && mismatches++ < 5)
                fprintf(stderr, "  kind %d p %d: edge1 %.17g vs %.17g\n", kind, p, got[0], want[0]);
            for (int t = 0; t < M; ++t) /* bit-identical to the one-chunk selection */
                CVSEG_ASSERT_SAME_DOUBLE(got[t], whole[t]);
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    CVSEG_ASSERT_EQUAL_I64(checks, 7 * 2);
    omp_set_num_threads(2);
    free(x);
    free(include);
    free(global);
    free(part);
}

static void test_histogram_counts(void)
{
    /* Level 0 histogram: bin = top 16 key bits; every included value counted
     * once per target; a rank beyond the count is reported. */
    const double x[6] = {1.0, 1.0, 2.0, -1.0, 1.0, 0.0};
    const uint8_t include[6] = {1, 1, 1, 1, 0, 1};
    const int64_t ranks[2] = {1, 5};
    cvseg_select_state state;
    cvseg_select_init(&state, 2, ranks);
    int64_t *hist = malloc(sizeof(int64_t) * 2 * CVSEG_SELECT_BINS);
    CU_ASSERT_FATAL(hist != NULL);
    cvseg_select_histogram(&state, x, include, 6, hist);
    for (int t = 0; t < 2; ++t) {
        int64_t total = 0;
        for (int b = 0; b < CVSEG_SELECT_BINS; ++b)
            total += hist[(size_t)t * CVSEG_SELECT_BINS + b];
        CVSEG_ASSERT_EQUAL_I64(total, 5);
        CVSEG_ASSERT_EQUAL_I64(hist[(size_t)t * CVSEG_SELECT_BINS + (cvseg_order_key(1.0) >> 48)],
                               2);
        CVSEG_ASSERT_EQUAL_I64(hist[(size_t)t * CVSEG_SELECT_BINS + (cvseg_order_key(-1.0) >> 48)],
                               1);
    }
    /* A rank above the number of values is inconsistent input. */
    const int64_t too_far[1] = {6};
    cvseg_select_init(&state, 1, too_far);
    cvseg_select_histogram(&state, x, include, 6, hist);
    CVSEG_ASSERT_EQUAL_I64(cvseg_select_refine(&state, hist), -1);
    free(hist);
}

static void test_quantile_rank_rule(void)
{
    double sorted[200];
    for (int64_t n = 1; n <= 200; ++n) {
        for (int64_t q = 0; q <= 5; ++q) {
            /* smallest t with 5 t >= q n, at least 1 (integer math) */
            int64_t t = 0;
            while (5 * t < q * n)
                ++t;
            if (t < 1)
                t = 1;
            CVSEG_ASSERT_EQUAL_I64(cvseg_quantile_rank(q, 5, n), t);
            if (q >= 1 && q <= 4) {
                /* numpy's inverted_cdf: the value at sorted index ceil(n p) - 1 */
                const double p = (double)q / 5.0;
                const int64_t index = (int64_t)ceil((double)n * p) - 1;
                CVSEG_ASSERT_EQUAL_I64(cvseg_quantile_rank(q, 5, n) - 1, index);
                /* the edge is the smallest v with at least q n / 5 values <= v */
                for (int64_t i = 0; i < n; ++i)
                    sorted[i] = (double)i;
                const double edge = sorted[t - 1];
                int64_t at_most = 0, below = 0;
                for (int64_t i = 0; i < n; ++i) {
                    at_most += sorted[i] <= edge;
                    below += sorted[i] < edge;
                }
                CU_ASSERT(5 * at_most >= q * n);
                CU_ASSERT(5 * below < q * n);
            }
        }
    }
    /* other part counts (deciles) and large n */
    CVSEG_ASSERT_EQUAL_I64(cvseg_quantile_rank(3, 10, 7), 3);
    CVSEG_ASSERT_EQUAL_I64(cvseg_quantile_rank(1, 5, 1000000000000LL), 200000000000LL);
    CVSEG_ASSERT_EQUAL_I64(cvseg_quantile_rank(4, 5, 1000000000001LL), 800000000001LL);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"order key is monotone, -0.0 == 0.0, key_value inverts it",
         test_order_key_monotone_and_invertible},
        {"selection equals a qsort reference (ties, negatives, masks, n = 1)",
         test_select_matches_qsort},
        {"histograms summed over P = 1..7 simulated ranks select the same values",
         test_select_over_simulated_ranks},
        {"histogram counts and inconsistent ranks", test_histogram_counts},
        {"quintile rank ceil(q n / 5) = numpy inverted_cdf", test_quantile_rank_rule},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("quantile", tests);
}
