/* test_fixed.c: 128-bit fixed-point sums: exponent choice, exact term
 * arithmetic, word transport, conversion back to double, the documented error
 * bound, and order independence across simulated ranks and threads. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x9E3779B97F4A7C15ULL
#include "test_support.h"
#include "cvseg/fixed.h"
#include "cvseg/stats.h"

static void assert_same_i128(cvseg_i128 a, cvseg_i128 b)
{
    if (a != b)
        fprintf(stderr, "  i128 differ: hi %lld lo %llu vs hi %lld lo %llu\n", (long long)(a >> 64),
                (unsigned long long)(uint64_t)a, (long long)(b >> 64),
                (unsigned long long)(uint64_t)b);
    CU_ASSERT(a == b);
}

static void check_exponent(double max_abs)
{
    const int e = cvseg_fixed_exponent(max_abs);
    /* Exact checks: ldexp by a power of two is exact away from overflow. */
    const double scaled = ldexp(max_abs, e);
    const int ok_upper = scaled < 0x1.0p62;
    const int ok_lower = 2.0 * scaled >= 0x1.0p62;
    if (!ok_upper || !ok_lower)
        fprintf(stderr, "  max_abs %.17g: exponent %d gives %.17g\n", max_abs, e, scaled);
    CU_ASSERT(ok_upper);
    CU_ASSERT(ok_lower);
    /* The term of the bound itself (and of minus the bound) fits. */
    const double scale = cvseg_fixed_scale(e);
    CVSEG_ASSERT_SAME_DOUBLE(scale, ldexp(1.0, e));
    const int64_t q = cvseg_fixed_term(max_abs, scale);
    CU_ASSERT(q < (INT64_C(1) << 62) && q >= (INT64_C(1) << 61));
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_term(-max_abs, scale), -q);
}

static void test_exponent_choice(void)
{
    const double handpicked[] = {1.0,
                                 0.5,
                                 0.75,
                                 1.5,
                                 2.0,
                                 3.0,
                                 1000.0,
                                 1024.0,
                                 1023.99,
                                 1e-6,
                                 123456.78,
                                 4294967296.0,
                                 1e15,
                                 1e100,
                                 1e-100,
                                 0x1.fffffffffffffp0,
                                 0x1.0000000000001p0,
                                 DBL_MAX / 4.0};
    for (size_t i = 0; i < sizeof handpicked / sizeof handpicked[0]; ++i)
        check_exponent(handpicked[i]);
    /* Hand-computed values: 1 <= 1 < 2 -> e = 61; 2 -> 60; 0.75 -> 62; 1000 -> 52. */
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(1.0), 61);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(1.5), 61);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(2.0), 60);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(0.75), 62);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(1000.0), 52);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_exponent(1024.0), 51);
    for (int k = -900; k <= 900; k += 7) {
        check_exponent(ldexp(1.0, k));
        check_exponent(ldexp(1.0, k) * (1.0 + next_uniform()) * (1.0 - 0x1p-53));
    }
    for (int i = 0; i < 10000; ++i)
        check_exponent(ldexp(0.5 + 0.5 * next_uniform(), (int)(next_u64() % 200) - 100));
}

static void test_exponent_tiny_bound_keeps_scale_finite(void)
{
    /* fixed.h: exponents are used as 2^e doubles ("exact for |e| <= 1000").
     * For a bound below 2^-961 the "largest e with B*2^e < 2^62" is above
     * 1023 and 2^e overflows to +inf, so every term becomes (int64)(inf) or
     * (int64)(0 * inf): undefined behaviour and a garbage sum. The exponent
     * must stay where the scale is finite. */
    const double tiny[] = {1e-300, 0x1p-1000, 0x1p-1022, 4.9e-324};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; ++i) {
        const int e = cvseg_fixed_exponent(tiny[i]);
        const double scale = cvseg_fixed_scale(e);
        if (!isfinite(scale))
            fprintf(stderr, "  bound %g -> exponent %d, scale %g\n", tiny[i], e, scale);
        CU_ASSERT(isfinite(scale));
        if (isfinite(scale)) {
            const double x[3] = {tiny[i], tiny[i], -tiny[i]};
            const cvseg_i128 s = cvseg_fixed_sum(x, NULL, 3, e);
            const double back = cvseg_fixed_to_double(s, e);
            CU_ASSERT(fabs(back - tiny[i]) <= 3.0 * ldexp(1.0, -e) + 4.9e-324);
        }
    }
}

/* trunc(m * 2^p * 2^e) computed with integers only. */
static int64_t exact_term(int64_t m, int p, int e)
{
    const int s = p + e;
    if (s >= 0)
        return m * (INT64_C(1) << s);
    if (s <= -63)
        return 0;
    return m / (INT64_C(1) << -s); /* C division truncates toward zero */
}

static void test_terms_are_exact_integer_math(void)
{
    enum { N = 20000 };
    double *x = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(x != NULL);
    /* x = m * 2^p with |m| < 2^52 and p in [-60, -2]: |x| < 2^50. */
    const double bound = 0x1p50;
    const int e = cvseg_fixed_exponent(bound);
    CVSEG_ASSERT_EQUAL_I64(e, 11);
    const double scale = cvseg_fixed_scale(e);
    cvseg_i128 expect = 0, direct = 0;
    for (int i = 0; i < N; ++i) {
        int64_t m = (int64_t)(next_u64() >> 12);
        if (next_u64() & 1)
            m = -m;
        const int p = -60 + (int)(next_u64() % 59);
        x[i] = ldexp((double)m, p);
        const int64_t q = cvseg_fixed_term(x[i], scale);
        CVSEG_ASSERT_EQUAL_I64(q, exact_term(m, p, e));
        expect += exact_term(m, p, e);
        direct += q;
    }
    assert_same_i128(direct, expect);
    assert_same_i128(cvseg_fixed_sum(x, NULL, N, e), expect);
    /* Hand-computed: 0.3 at e = 4 -> trunc(4.8) = 4; -0.3 -> -4 (toward zero). */
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_term(0.3, cvseg_fixed_scale(4)), 4);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_term(-0.3, cvseg_fixed_scale(4)), -4);
    CVSEG_ASSERT_EQUAL_I64(cvseg_fixed_term(-0.0, cvseg_fixed_scale(4)), 0);
    free(x);
}

static void check_words(cvseg_i128 value)
{
    int64_t words[2];
    cvseg_i128_to_words(value, words);
    assert_same_i128(cvseg_i128_from_words(words), value);
    /* value = high * 2^64 + (unsigned) low */
    const cvseg_i128 rebuilt =
        (cvseg_i128)words[0] * ((cvseg_i128)1 << 64) + (cvseg_i128)(uint64_t)words[1];
    assert_same_i128(rebuilt, value);
}

static void test_word_split_round_trip(void)
{
    const cvseg_i128 one = 1;
    const cvseg_i128 max = (cvseg_i128)(((cvseg_u128)1 << 127) - 1);
    const cvseg_i128 min = -max - 1;
    const cvseg_i128 values[] = {0,
                                 1,
                                 -1,
                                 2,
                                 -2,
                                 INT64_MAX,
                                 INT64_MIN,
                                 (cvseg_i128)INT64_MAX + 1,
                                 (cvseg_i128)INT64_MIN - 1,
                                 one << 64,
                                 -(one << 64),
                                 (one << 64) - 1,
                                 -(one << 64) + 1,
                                 (one << 100) + 12345,
                                 -(one << 100) - 12345,
                                 max,
                                 min,
                                 max - 1,
                                 min + 1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i)
        check_words(values[i]);
    for (int i = 0; i < 10000; ++i) {
        const cvseg_i128 v = (cvseg_i128)(((cvseg_u128)next_u64() << 64) | next_u64());
        check_words(v);
        check_words(v >> (next_u64() % 127));
    }
    /* Known word layouts: [0] is the high (signed) word, [1] the low word. */
    int64_t w[2];
    cvseg_i128_to_words(-1, w);
    CVSEG_ASSERT_EQUAL_I64(w[0], -1);
    CVSEG_ASSERT_EQUAL_I64(w[1], -1);
    cvseg_i128_to_words(one << 64, w);
    CVSEG_ASSERT_EQUAL_I64(w[0], 1);
    CVSEG_ASSERT_EQUAL_I64(w[1], 0);
    cvseg_i128_to_words(-(one << 64), w);
    CVSEG_ASSERT_EQUAL_I64(w[0], -1);
    CVSEG_ASSERT_EQUAL_I64(w[1], 0);
    cvseg_i128_to_words(-2, w);
    CVSEG_ASSERT_EQUAL_I64(w[0], -1);
    CVSEG_ASSERT_EQUAL_I64(w[1], -2);
    /* Summing word-split values after reassembly equals summing directly
     * (what an MPI reduction on the words must reproduce). */
    const cvseg_i128 a = -(one << 90) + 7, b = (one << 70) - 3;
    int64_t wa[2], wb[2];
    cvseg_i128_to_words(a, wa);
    cvseg_i128_to_words(b, wb);
    assert_same_i128(cvseg_i128_from_words(wa) + cvseg_i128_from_words(wb), a + b);
}

static void test_to_double(void)
{
    const cvseg_i128 one = 1;
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(3 * (one << 61), 61), 3.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(-3 * (one << 61), 61), -3.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(0, 61), 0.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(5, 0), 5.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(5, -3), 40.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(1, 10), 1.0 / 1024.0);
    /* Correct rounding of integers beyond 2^53 (round half to even). */
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 53) + 1, 0), 0x1p53);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 53) + 3, 0), 0x1p53 + 4.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 53) + 2, 0), 0x1p53 + 2.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(-((one << 53) + 3), 0), -(0x1p53 + 4.0));
    /* Low bits far below the 53 kept bits still round up past the halfway point. */
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 100) + (one << 47) + 1, 0),
                             0x1p100 + 0x1p48);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 100) + (one << 47), 0), 0x1p100);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double((one << 100) + 1, 100), 1.0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(one << 120, 20), 0x1p100);
    /* Round trip of a representable value through one term. */
    for (int i = 0; i < 1000; ++i) {
        const double x = (next_uniform() - 0.5) * 1e6;
        const int e = cvseg_fixed_exponent(5e5);
        const double back = cvseg_fixed_to_double(cvseg_fixed_term(x, cvseg_fixed_scale(e)), e);
        CU_ASSERT(fabs(back - x) < ldexp(1.0, -e));
        CU_ASSERT(fabs(back) <= fabs(x)); /* truncation toward zero */
    }
}

static void check_error_bound(const double *x, int64_t n, double bound)
{
    const int e = cvseg_fixed_exponent(bound);
    const cvseg_i128 s = cvseg_fixed_sum(x, NULL, n, e);
    const double fixed = cvseg_fixed_to_double(s, e);
    long double naive = 0.0L;
    for (int64_t i = 0; i < n; ++i)
        naive += x[i];
    /* n terms, each truncated by < 2^-e; half an ulp for the conversion; and
     * the long double reference itself is off by at most n * bound * 2^-64. */
    const double allowed = (double)n * ldexp(1.0, -e) +
                           0.5 * (nextafter(fabs(fixed), INFINITY) - fabs(fixed)) +
                           (double)n * bound * 0x1p-63;
    const double error = (double)fabsl((long double)fixed - naive);
    if (!(error <= allowed))
        fprintf(stderr, "  n=%lld bound=%g: |fixed - naive| = %g > %g\n", (long long)n, bound,
                error, allowed);
    CU_ASSERT(error <= allowed);
}

static void test_error_bound_random_data(void)
{
    enum { N = 100000 };
    double *x = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(x != NULL);
    const double scales[] = {1.0, 1e-7, 3.7e3, 1e12, 1e200, 1e-200};
    for (size_t s = 0; s < sizeof scales / sizeof scales[0]; ++s) {
        double bound = 0.0;
        for (int i = 0; i < N; ++i) {
            /* skewed (log-normal-like) data of both signs */
            const double magnitude = exp(6.0 * next_uniform() - 3.0);
            x[i] = (next_u64() % 3 == 0 ? -1.0 : 1.0) * magnitude * scales[s];
            bound = fmax(bound, fabs(x[i]));
        }
        check_error_bound(x, N, bound);
        check_error_bound(x, 1, bound);
        check_error_bound(x, 1000, bound);
        /* A looser global bound (as when another rank holds the maximum). */
        check_error_bound(x, N, bound * 1000.0);
    }
    /* Cancellation: big positive and negative terms that cancel exactly. */
    for (int i = 0; i < N; i += 2) {
        x[i] = 1e9 + i;
        x[i + 1] = -(1e9 + i);
    }
    const int e = cvseg_fixed_exponent(1e9 + N);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(cvseg_fixed_sum(x, NULL, N, e), e), 0.0);
    free(x);
}

static void test_sum_is_order_and_partition_independent(void)
{
    enum { N = 30011 };
    double *x = malloc(sizeof(double) * N);
    double *reversed = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(x != NULL && reversed != NULL);
    double bound = 0.0;
    for (int i = 0; i < N; ++i) {
        x[i] = (next_uniform() - 0.3) * exp(10.0 * next_uniform());
        reversed[N - 1 - i] = x[i];
        bound = fmax(bound, fabs(x[i]));
    }
    const int e = cvseg_fixed_exponent(bound);
    omp_set_num_threads(1);
    const cvseg_i128 whole = cvseg_fixed_sum(x, NULL, N, e);
    assert_same_i128(cvseg_fixed_sum(reversed, NULL, N, e), whole);
    for (int threads = 1; threads <= 3; ++threads) {
        omp_set_num_threads(threads);
        assert_same_i128(cvseg_fixed_sum(x, NULL, N, e), whole);
        for (int p = 1; p <= 7; ++p) {
            /* random cut points (duplicates give empty chunks) */
            int64_t cuts[8];
            cuts[0] = 0;
            cuts[p] = N;
            for (int r = 1; r < p; ++r)
                cuts[r] = (int64_t)(next_u64() % (N + 1));
            for (int r = 1; r < p; ++r)
                for (int s = r + 1; s < p; ++s)
                    if (cuts[s] < cuts[r]) {
                        const int64_t t = cuts[r];
                        cuts[r] = cuts[s];
                        cuts[s] = t;
                    }
            if (p >= 3)
                cuts[1] = 0; /* rank 0 empty */
            cvseg_i128 forward = 0, backward = 0;
            for (int r = 0; r < p; ++r)
                forward += cvseg_fixed_sum(x + cuts[r], NULL, cuts[r + 1] - cuts[r], e);
            for (int r = p - 1; r >= 0; --r)
                backward += cvseg_fixed_sum(x + cuts[r], NULL, cuts[r + 1] - cuts[r], e);
            assert_same_i128(forward, whole);
            assert_same_i128(backward, whole);
        }
    }
    omp_set_num_threads(2);
    free(x);
    free(reversed);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"exponent: max*2^e < 2^62 <= 2*max*2^e", test_exponent_choice},
        {"exponent of a tiny bound keeps 2^e finite", test_exponent_tiny_bound_keeps_scale_finite},
        {"terms and sums equal exact integer math", test_terms_are_exact_integer_math},
        {"i128 word split round-trips", test_word_split_round_trip},
        {"fixed_to_double is exact scaling, correctly rounded", test_to_double},
        {"error bound n*2^-e + ulp on random data", test_error_bound_random_data},
        {"sum independent of order, partition and threads",
         test_sum_is_order_and_partition_independent},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("fixed", tests);
}
