/* test_rng.c: the counter-based RNG: purity, stream separation, uniform and
 * normal distributions, and the 63-bit permutation used for member ids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "cvseg/rng.h"

#define DRAWS 100000

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_pure_function_of_key(void)
{
    /* The same key gives the same value, whatever was drawn in between and in
     * whatever order the counters are visited. */
    uint64_t forward[1000];
    for (uint64_t c = 0; c < 1000; ++c)
        forward[c] = cvseg_rng_u64(42, 7, c);
    for (int64_t c = 999; c >= 0; --c) {
        (void)cvseg_rng_u64(43, 7, (uint64_t)c); /* unrelated draws in between */
        CU_ASSERT_EQUAL(cvseg_rng_u64(42, 7, (uint64_t)c), forward[c]);
        const double u1 = cvseg_rng_uniform(42, 7, (uint64_t)c);
        const double u2 = cvseg_rng_uniform(42, 7, (uint64_t)c);
        CVSEG_ASSERT_SAME_DOUBLE(u1, u2);
        const double n1 = cvseg_rng_normal(42, 7, (uint64_t)c);
        const double n2 = cvseg_rng_normal(42, 7, (uint64_t)c);
        CVSEG_ASSERT_SAME_DOUBLE(n1, n2);
    }
    /* uniform is the top 53 bits of u64 scaled by 2^-53 */
    for (uint64_t c = 0; c < 1000; ++c)
        CVSEG_ASSERT_SAME_DOUBLE(cvseg_rng_uniform(42, 7, c),
                                 (double)(forward[c] >> 11) * 0x1.0p-53);
    /* Large counters and keys are fine too. */
    CU_ASSERT_EQUAL(cvseg_rng_u64(UINT64_MAX, UINT64_MAX, UINT64_MAX),
                    cvseg_rng_u64(UINT64_MAX, UINT64_MAX, UINT64_MAX));
}

static void test_streams_and_seeds_differ(void)
{
    /* Different streams (and seeds, and counters) give different values:
     * with 64-bit outputs a collision among a few thousand draws would be a
     * defect of the mixing, not chance. */
    enum { N = 2000 };
    uint64_t *all = malloc(sizeof(uint64_t) * 4 * N);
    CU_ASSERT_FATAL(all != NULL);
    int64_t v = 0;
    int64_t equal_streams = 0, equal_seeds = 0;
    for (uint64_t c = 0; c < N; ++c) {
        const uint64_t a = cvseg_rng_u64(1, 1, c);
        const uint64_t b = cvseg_rng_u64(1, 2, c);
        const uint64_t s = cvseg_rng_u64(2, 1, c);
        const uint64_t z = cvseg_rng_u64(1, 0, c);
        equal_streams += (a == b) + (a == z) + (b == z);
        equal_seeds += (a == s);
        all[v++] = a;
        all[v++] = b;
        all[v++] = s;
        all[v++] = z;
    }
    CVSEG_ASSERT_EQUAL_I64(equal_streams, 0);
    CVSEG_ASSERT_EQUAL_I64(equal_seeds, 0);
    qsort(all, (size_t)v, sizeof all[0], compare_u64);
    int64_t duplicates = 0;
    for (int64_t i = 1; i < v; ++i)
        duplicates += all[i] == all[i - 1];
    CVSEG_ASSERT_EQUAL_I64(duplicates, 0);
    free(all);

    /* Stream keys built from small words differ for different words and in
     * every argument position. */
    const uint64_t k000 = cvseg_rng_stream(0, 0, 0);
    const uint64_t k100 = cvseg_rng_stream(1, 0, 0);
    const uint64_t k010 = cvseg_rng_stream(0, 1, 0);
    const uint64_t k001 = cvseg_rng_stream(0, 0, 1);
    CU_ASSERT(k000 != k100 && k000 != k010 && k000 != k001);
    CU_ASSERT(k100 != k010 && k100 != k001 && k010 != k001);
    CU_ASSERT_EQUAL(cvseg_rng_stream(3, 5, 7), cvseg_rng_stream(3, 5, 7));
    uint64_t keys[64];
    int nk = 0;
    for (uint64_t a = 0; a < 4; ++a)
        for (uint64_t b = 0; b < 4; ++b)
            for (uint64_t c = 0; c < 4; ++c)
                keys[nk++] = cvseg_rng_stream(a, b, c);
    qsort(keys, (size_t)nk, sizeof keys[0], compare_u64);
    for (int i = 1; i < nk; ++i)
        CU_ASSERT(keys[i] != keys[i - 1]);
}

static void test_uniform_distribution(void)
{
    long double sum = 0.0L;
    int64_t out_of_range = 0;
    int64_t bins[10] = {0};
    for (uint64_t c = 0; c < DRAWS; ++c) {
        const double u = cvseg_rng_uniform(2024, 3, c);
        out_of_range += !(u >= 0.0 && u < 1.0);
        sum += u;
        const int b = (int)(u * 10.0);
        if (b >= 0 && b < 10)
            bins[b] += 1;
    }
    CVSEG_ASSERT_EQUAL_I64(out_of_range, 0);
    const double mean = (double)(sum / DRAWS);
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.5, 0.01);
    /* Each decile holds about 10 % (sd of a bin count is about 95). */
    for (int b = 0; b < 10; ++b)
        CU_ASSERT(labs((long)(bins[b] - DRAWS / 10)) < 600);
    /* The kernel's largest possible value is below 1. */
    CU_ASSERT((double)(UINT64_MAX >> 11) * 0x1.0p-53 < 1.0);
}

static void test_normal_distribution(void)
{
    long double sum = 0.0L, sum_sq = 0.0L;
    int64_t not_finite = 0, beyond_2sd = 0;
    for (uint64_t c = 0; c < DRAWS; ++c) {
        const double x = cvseg_rng_normal(99, 11, c);
        not_finite += !isfinite(x);
        sum += x;
        sum_sq += (long double)x * x;
        beyond_2sd += fabs(x) > 2.0;
    }
    CVSEG_ASSERT_EQUAL_I64(not_finite, 0);
    const double mean = (double)(sum / DRAWS);
    const double sd = sqrt((double)(sum_sq / DRAWS - (sum / DRAWS) * (sum / DRAWS)));
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.0, 0.02);
    CU_ASSERT_DOUBLE_EQUAL(sd, 1.0, 0.02);
    /* P(|X| > 2) = 4.55 %. */
    CU_ASSERT_DOUBLE_EQUAL((double)beyond_2sd / DRAWS, 0.0455, 0.004);
    /* Box-Muller on counters 2c and 2c+1 of the same stream. */
    for (uint64_t c = 0; c < 100; ++c) {
        const double u1 = 1.0 - cvseg_rng_uniform(99, 11, 2 * c);
        const double u2 = cvseg_rng_uniform(99, 11, 2 * c + 1);
        const double expect = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
        CU_ASSERT_DOUBLE_EQUAL(cvseg_rng_normal(99, 11, c), expect, 1e-12);
    }
}

static void test_permute63_injective(void)
{
    const uint64_t limit = 1ULL << 63;
    uint64_t *out = malloc(sizeof(uint64_t) * 2 * DRAWS);
    CU_ASSERT_FATAL(out != NULL);
    int64_t too_big = 0, v = 0;
    for (uint64_t seed = 0; seed < 3; ++seed) {
        v = 0;
        /* consecutive small inputs and inputs near the top of the range */
        for (uint64_t x = 0; x < DRAWS; ++x) {
            out[v++] = cvseg_permute63(seed, x);
            out[v++] = cvseg_permute63(seed, limit - 1 - x);
        }
        for (int64_t i = 0; i < v; ++i)
            too_big += out[i] >= limit;
        qsort(out, (size_t)v, sizeof out[0], compare_u64);
        int64_t duplicates = 0;
        for (int64_t i = 1; i < v; ++i)
            duplicates += out[i] == out[i - 1];
        CVSEG_ASSERT_EQUAL_I64(duplicates, 0);
    }
    CVSEG_ASSERT_EQUAL_I64(too_big, 0);
    /* A permutation, not the identity; depends on the seed; deterministic. */
    int64_t fixed_points = 0, same_across_seeds = 0;
    for (uint64_t x = 0; x < 1000; ++x) {
        fixed_points += cvseg_permute63(5, x) == x;
        same_across_seeds += cvseg_permute63(5, x) == cvseg_permute63(6, x);
        CU_ASSERT_EQUAL(cvseg_permute63(5, x), cvseg_permute63(5, x));
    }
    CU_ASSERT(fixed_points <= 1);
    CU_ASSERT(same_across_seeds <= 1);
    free(out);
}

static void test_permute63_bijection_small_domain_image(void)
{
    /* Brute-force check on a random sample: outputs of random 63-bit inputs
     * (not just consecutive ones) are distinct and in range. */
    enum { N = 50000 };
    uint64_t *in = malloc(sizeof(uint64_t) * N);
    uint64_t *out = malloc(sizeof(uint64_t) * N);
    CU_ASSERT_FATAL(in != NULL && out != NULL);
    uint64_t s = 0x1234567887654321ULL;
    for (int i = 0; i < N; ++i) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        in[i] = (s * 0x2545F4914F6CDD1DULL) >> 1;
    }
    qsort(in, N, sizeof in[0], compare_u64);
    int distinct_in = 1;
    for (int i = 1; i < N; ++i)
        if (in[i] != in[i - 1])
            in[distinct_in++] = in[i];
    for (int i = 0; i < distinct_in; ++i) {
        out[i] = cvseg_permute63(77, in[i]);
        CU_ASSERT(out[i] < (1ULL << 63));
    }
    qsort(out, (size_t)distinct_in, sizeof out[0], compare_u64);
    int64_t duplicates = 0;
    for (int i = 1; i < distinct_in; ++i)
        duplicates += out[i] == out[i - 1];
    CVSEG_ASSERT_EQUAL_I64(duplicates, 0);
    free(in);
    free(out);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"a draw is a pure function of (seed, stream, counter)", test_pure_function_of_key},
        {"different streams and seeds differ", test_streams_and_seeds_differ},
        {"uniform in [0,1), mean 0.5, flat deciles", test_uniform_distribution},
        {"normal: mean 0, sd 1, tails", test_normal_distribution},
        {"permute63 is injective and stays below 2^63", test_permute63_injective},
        {"permute63 on random 63-bit inputs", test_permute63_bijection_small_domain_image},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("rng", tests);
}
