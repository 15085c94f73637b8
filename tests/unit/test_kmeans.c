/* test_kmeans.c: Lloyd steps on separated blobs, monotone inertia, partials
 * merged over simulated ranks and threads (bit-identical, pack/unpack),
 * the vector and scalar assignment against the documented expressions, ties, the centre update, the
 * seeding helpers split over chunks, weighted k-means++ and the cluster order. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x5EEDC0DE12345678ULL
#include "test_support.h"
#include "cvseg/kmeans.h"
#include "cvseg/partition.h"

/* ASan builds: an impossible allocation returns NULL (as malloc does) instead
 * of aborting, so the out-of-memory path can be tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static void assert_same_i128(cvseg_i128 a, cvseg_i128 b, const char *what)
{
    if (a != b)
        fprintf(stderr, "  %s: i128 %lld:%llu vs %lld:%llu\n", what, (long long)(a >> 64),
                (unsigned long long)(uint64_t)a, (long long)(b >> 64),
                (unsigned long long)(uint64_t)b);
    CU_ASSERT(a == b);
}

static double max_abs_of(const double *z, int64_t count)
{
    double m = 0.0;
    for (int64_t i = 0; i < count; ++i)
        m = fmax(m, fabs(z[i]));
    return m;
}

/* Copies rows [from, to) of column-major z [d][n] into chunk [d][to - from]. */
static double *chunk_copy(const double *z, int64_t n, int d, int64_t from, int64_t to)
{
    const int64_t rows = to - from;
    double *c = malloc(sizeof(double) * (size_t)(rows * d > 0 ? rows * d : 1));
    for (int j = 0; j < d; ++j)
        memcpy(c + (int64_t)j * rows, z + (int64_t)j * n + from, sizeof(double) * (size_t)rows);
    return c;
}

static int same_partial(const cvseg_kmeans_partial *a, const cvseg_kmeans_partial *b)
{
    if (a->k != b->k || a->d != b->d || a->inertia != b->inertia || a->changed != b->changed)
        return 0;
    for (int c = 0; c < a->k; ++c)
        if (a->count[c] != b->count[c])
            return 0;
    for (int64_t t = 0; t < (int64_t)a->k * a->d; ++t)
        if (a->sum[t] != b->sum[t])
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ Lloyd */

static void test_blobs_recovered(void)
{
    enum { N = 3000, D = 2, K = 3 };
    const double truth[K][D] = {{-6.0, -5.0}, {0.0, 6.0}, {7.0, -2.0}};
    double *z = malloc(sizeof(double) * N * D);
    int *blob = malloc(sizeof(int) * N);
    int32_t *label = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(z && blob && label);
    for (int i = 0; i < N; ++i) {
        blob[i] = (int)(next_u64() % K);
        for (int j = 0; j < D; ++j) /* uniform noise in a box of half-width 1 */
            z[(int64_t)j * N + i] = truth[blob[i]][j] + 2.0 * next_uniform() - 1.0;
        label[i] = -1;
    }
    /* start from one point of each blob, in the order blob 2, 0, 1, taken at
     * the edge of its blob (the last such point), so the first assignment is
     * not yet the answer for every point */
    int starts[K] = {-1, -1, -1};
    const int blob_of_start[K] = {2, 0, 1};
    for (int c = 0; c < K; ++c) {
        double far = -1.0;
        for (int i = 0; i < N; ++i) {
            if (blob[i] != blob_of_start[c])
                continue;
            const double dx = z[i] - truth[blob[i]][0], dy = z[N + i] - truth[blob[i]][1];
            if (dx * dx + dy * dy > far) {
                far = dx * dx + dy * dy;
                starts[c] = i;
            }
        }
    }
    double centres[K * D];
    for (int c = 0; c < K; ++c)
        for (int j = 0; j < D; ++j)
            centres[c * D + j] = z[(int64_t)j * N + starts[c]];
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * D), D);
    cvseg_kmeans_quantize(z, N, D, &e);
    cvseg_kmeans_partial partial;
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_partial_alloc(&partial, K, D), CVSEG_OK);
    cvseg_i128 previous = 0;
    int iterations = 0, converged = 0;
    int64_t increases = 0;
    for (; iterations < 50 && !converged; ++iterations) {
        cvseg_kmeans_partial_zero(&partial);
        cvseg_kmeans_assign(z, N, D, centres, K, &e, label, NULL, &partial);
        if (iterations > 0 && partial.inertia > previous)
            ++increases;
        previous = partial.inertia;
        converged = partial.changed == 0;
        cvseg_kmeans_update(&partial, &e, centres);
    }
    CVSEG_ASSERT_EQUAL_I64(increases, 0);
    CU_ASSERT(converged);
    CU_ASSERT(iterations < 20);
    /* each blob is one cluster, the clusters are distinct */
    int label_of_blob[K] = {-1, -1, -1};
    int64_t wrong = 0;
    for (int i = 0; i < N; ++i) {
        if (label_of_blob[blob[i]] < 0)
            label_of_blob[blob[i]] = label[i];
        wrong += label[i] != label_of_blob[blob[i]];
    }
    CVSEG_ASSERT_EQUAL_I64(wrong, 0);
    CU_ASSERT(label_of_blob[0] != label_of_blob[1] && label_of_blob[0] != label_of_blob[2] &&
              label_of_blob[1] != label_of_blob[2]);
    /* the centres are the blob means (naive long double reference) */
    for (int b = 0; b < K; ++b) {
        long double s[D] = {0, 0};
        int64_t c = 0;
        for (int i = 0; i < N; ++i)
            if (blob[i] == b) {
                for (int j = 0; j < D; ++j)
                    s[j] += z[(int64_t)j * N + i];
                ++c;
            }
        for (int j = 0; j < D; ++j)
            CU_ASSERT_DOUBLE_EQUAL(centres[label_of_blob[b] * D + j], (double)(s[j] / c), 1e-12);
        CVSEG_ASSERT_EQUAL_I64(partial.count[label_of_blob[b]], c);
    }
    /* inertia equals the naive sum of squared distances */
    long double naive = 0.0L;
    double *dist = malloc(sizeof(double) * N);
    cvseg_kmeans_partial_zero(&partial);
    cvseg_kmeans_assign(z, N, D, centres, K, &e, label, dist, &partial);
    CVSEG_ASSERT_EQUAL_I64(partial.changed, 0);
    for (int i = 0; i < N; ++i) {
        long double acc = 0.0L;
        for (int j = 0; j < D; ++j) {
            const long double diff = (long double)z[(int64_t)j * N + i] - centres[label[i] * D + j];
            acc += diff * diff;
        }
        naive += acc;
        CU_ASSERT(fabsl(acc - dist[i]) <= 1e-12L * (1.0L + acc));
        CVSEG_ASSERT_SAME_DOUBLE(dist[i],
                                 cvseg_kmeans_distance2(z, N, i, centres + label[i] * D, D));
    }
    const double inertia = cvseg_fixed_to_double(partial.inertia, e.distance);
    CU_ASSERT(fabsl(inertia - naive) <= 1e-10L * naive);
    cvseg_kmeans_partial_free(&partial);
    free(dist);
    free(z);
    free(blob);
    free(label);
}

static void test_inertia_never_increases(void)
{
    /* Overlapping Gaussian data, k = 6, random starts: Lloyd's inertia is
     * non-increasing (up to the fixed-point resolution). */
    enum { N = 4000, D = 4, K = 6 };
    double *z = malloc(sizeof(double) * N * D);
    int32_t *label = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(z && label);
    for (int64_t t = 0; t < (int64_t)N * D; ++t)
        z[t] = next_normal() + (t % 3 == 0 ? 2.0 : 0.0);
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * D), D);
    cvseg_kmeans_quantize(z, N, D, &e);
    const double resolution = ldexp((double)N, -e.distance);
    for (int run = 0; run < 3; ++run) {
        double centres[K * D];
        for (int c = 0; c < K; ++c) {
            const int64_t row = (int64_t)(next_u64() % N);
            for (int j = 0; j < D; ++j)
                centres[c * D + j] = z[(int64_t)j * N + row];
        }
        for (int i = 0; i < N; ++i)
            label[i] = -1;
        cvseg_kmeans_partial partial;
        CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_partial_alloc(&partial, K, D), CVSEG_OK);
        double previous = INFINITY;
        for (int it = 0; it < 30; ++it) {
            cvseg_kmeans_partial_zero(&partial);
            cvseg_kmeans_assign(z, N, D, centres, K, &e, label, NULL, &partial);
            const double inertia = cvseg_fixed_to_double(partial.inertia, e.distance);
            if (!(inertia <= previous + resolution + 1e-12 * previous))
                fprintf(stderr, "  run %d iteration %d: inertia %.17g after %.17g\n", run, it,
                        inertia, previous);
            CU_ASSERT(inertia <= previous + resolution + 1e-12 * previous);
            previous = inertia;
            if (it == 0)
                CVSEG_ASSERT_EQUAL_I64(partial.changed, N); /* all labels were -1 */
            int64_t total = 0;
            for (int c = 0; c < K; ++c)
                total += partial.count[c];
            CVSEG_ASSERT_EQUAL_I64(total, N);
            cvseg_kmeans_update(&partial, &e, centres);
        }
        cvseg_kmeans_partial_free(&partial);
    }
    free(z);
    free(label);
}

/* ------------------------------------------------------------------ merges */

static void test_partial_merge_over_ranks_and_threads(void)
{
    enum { N = 5003, D = 5, K = 7 };
    double *z = malloc(sizeof(double) * N * D);
    int32_t *label_whole = malloc(sizeof(int32_t) * N);
    int32_t *label_chunks = malloc(sizeof(int32_t) * N);
    double *dist_whole = malloc(sizeof(double) * N);
    double *dist_chunks = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(z && label_whole && label_chunks && dist_whole && dist_chunks);
    for (int64_t t = 0; t < (int64_t)N * D; ++t)
        z[t] = next_normal() * (1.0 + (double)(t % 5)) + (t % 7 == 0 ? 3.0 : -1.0);
    double centres[K * D];
    for (int c = 0; c < K; ++c) {
        const int64_t row = (int64_t)(next_u64() % N);
        for (int j = 0; j < D; ++j)
            centres[c * D + j] = z[(int64_t)j * N + row];
    }
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * D), D);
    cvseg_kmeans_quantize(z, N, D, &e);
    /* previous labels: some rows already labelled, some -1 (changed counts) */
    int32_t *previous = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; ++i)
        previous[i] = (int32_t)(next_u64() % (K + 1)) - 1;
    cvseg_kmeans_partial whole, merged, part, unpacked;
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&whole, K, D) == CVSEG_OK);
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&merged, K, D) == CVSEG_OK);
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&part, K, D) == CVSEG_OK);
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&unpacked, K, D) == CVSEG_OK);
    const int64_t nv = cvseg_kmeans_partial_values(K, D);
    CVSEG_ASSERT_EQUAL_I64(nv, K + K * D + 2);
    cvseg_i128 *values = malloc(sizeof(cvseg_i128) * (size_t)nv);
    cvseg_i128 *reduced = malloc(sizeof(cvseg_i128) * (size_t)nv);
    omp_set_num_threads(1);
    memcpy(label_whole, previous, sizeof(int32_t) * N);
    cvseg_kmeans_partial_zero(&whole);
    cvseg_kmeans_assign(z, N, D, centres, K, &e, label_whole, dist_whole, &whole);
    int64_t mismatches = 0, checks = 0;
    for (int threads = 1; threads <= 3; ++threads) {
        omp_set_num_threads(threads);
        for (int p = 1; p <= 7; ++p) {
            for (int pattern = 0; pattern < 4; ++pattern) {
                int64_t cuts[8];
                make_cuts(N, p, pattern, cuts);
                for (int reverse = 0; reverse < 2; ++reverse) {
                    cvseg_kmeans_partial_zero(&merged);
                    memset(reduced, 0, sizeof(cvseg_i128) * (size_t)nv);
                    for (int s = 0; s < p; ++s) {
                        const int r = reverse ? p - 1 - s : s;
                        const int64_t rows = cuts[r + 1] - cuts[r];
                        double *zc = chunk_copy(z, N, D, cuts[r], cuts[r + 1]);
                        memcpy(label_chunks + cuts[r], previous + cuts[r],
                               sizeof(int32_t) * (size_t)rows);
                        cvseg_kmeans_partial_zero(&part);
                        cvseg_kmeans_assign(zc, rows, D, centres, K, &e, label_chunks + cuts[r],
                                            dist_chunks + cuts[r], &part);
                        cvseg_kmeans_partial_merge(&merged, &part);
                        /* the MPI path: pack, add value by value, unpack */
                        cvseg_kmeans_partial_pack(&part, values);
                        for (int64_t v = 0; v < nv; ++v)
                            reduced[v] += values[v];
                        free(zc);
                    }
                    cvseg_kmeans_partial_unpack(&unpacked, reduced);
                    ++checks;
                    const int ok = same_partial(&merged, &whole) &&
                                   same_partial(&unpacked, &whole) &&
                                   memcmp(label_chunks, label_whole, sizeof(int32_t) * N) == 0 &&
                                   memcmp(dist_chunks, dist_whole, sizeof(double) * N) == 0;
                    if (!ok && mismatches++ < 3)
                        fprintf(stderr, "  threads %d p %d pattern %d reverse %d differ\n", threads,
                                p, pattern, reverse);
                }
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    CVSEG_ASSERT_EQUAL_I64(checks, 3 * 7 * 4 * 2);
    /* changed = rows whose label differs from the previous one */
    int64_t changed = 0;
    for (int i = 0; i < N; ++i)
        changed += label_whole[i] != previous[i];
    CVSEG_ASSERT_EQUAL_I64(whole.changed, changed);
    /* the same centres come out of the update, bit for bit */
    double c1[K * D], c2[K * D];
    memcpy(c1, centres, sizeof c1);
    memcpy(c2, centres, sizeof c2);
    const double s1 = cvseg_kmeans_update(&whole, &e, c1);
    const double s2 = cvseg_kmeans_update(&unpacked, &e, c2);
    CU_ASSERT(memcmp(c1, c2, sizeof c1) == 0);
    CVSEG_ASSERT_SAME_DOUBLE(s1, s2);
    /* pack / unpack round trip with negative sums and large values */
    for (int64_t t = 0; t < (int64_t)K * D; ++t)
        part.sum[t] = -((cvseg_i128)1 << 100) + (cvseg_i128)t;
    for (int c = 0; c < K; ++c)
        part.count[c] = INT64_C(1) << 40 | c;
    part.inertia = ((cvseg_i128)1 << 120) + 5;
    part.changed = 123456789012LL;
    cvseg_kmeans_partial_pack(&part, values);
    CVSEG_ASSERT_EQUAL_I64(values[0] == part.count[0], 1); /* counts first */
    CU_ASSERT(values[K] == part.sum[0]);                   /* then the sums */
    CU_ASSERT(values[nv - 2] == part.inertia);
    CU_ASSERT(values[nv - 1] == part.changed);
    cvseg_kmeans_partial_zero(&unpacked);
    cvseg_kmeans_partial_unpack(&unpacked, values);
    CU_ASSERT(same_partial(&unpacked, &part));
    omp_set_num_threads(2);
    cvseg_kmeans_partial_free(&whole);
    cvseg_kmeans_partial_free(&merged);
    cvseg_kmeans_partial_free(&part);
    cvseg_kmeans_partial_free(&unpacked);
    free(values);
    free(reduced);
    free(previous);
    free(z);
    free(label_whole);
    free(label_chunks);
    free(dist_whole);
    free(dist_chunks);
}

/* ------------------------------------------------ the documented expressions */

/* The assignment of kmeans.h written out independently: score by fused
 * multiply-adds from ||c||^2, strict < (lowest index wins ties), d2 =
 * max(0, ||x||^2 + best), sums of the grid values and of the distances
 * rounded to the distance grid as 128-bit integers. */
static void reference_assign(const double *z, int64_t n, int d, const double *centres, int k,
                             const cvseg_kmeans_exponents *e, int32_t *label, double *distance,
                             cvseg_kmeans_partial *partial)
{
    const double coordinate_scale = ldexp(1.0, e->coordinate);
    const double distance_scale = ldexp(1.0, e->distance);
    for (int64_t i = 0; i < n; ++i) {
        double best = INFINITY;
        int nearest = 0;
        for (int c = 0; c < k; ++c) {
            double norm2 = 0.0;
            for (int j = 0; j < d; ++j)
                norm2 += centres[c * d + j] * centres[c * d + j];
            double score = norm2;
            for (int j = 0; j < d; ++j)
                score = fma(z[(int64_t)j * n + i], -2.0 * centres[c * d + j], score);
            if (score < best) {
                best = score;
                nearest = c;
            }
        }
        double x2 = z[i] * z[i];
        for (int j = 1; j < d; ++j)
            x2 = fma(z[(int64_t)j * n + i], z[(int64_t)j * n + i], x2);
        const double d2 = x2 + best > 0.0 ? x2 + best : 0.0;
        for (int j = 0; j < d; ++j)
            partial->sum[nearest * d + j] += (int64_t)(z[(int64_t)j * n + i] * coordinate_scale);
        partial->count[nearest] += 1;
        partial->inertia += (int64_t)rint(d2 * distance_scale);
        partial->changed += label[i] != nearest;
        label[i] = nearest;
        distance[i] = d2;
    }
}

static void test_paths_follow_the_documented_expressions(void)
{
    /* d 1..6 take the vector path (where built with AVX2 + FMA), 7 and 8 the
     * scalar one; N is odd (a scalar tail) and spans several block flushes. */
    enum { N = 20011, K = 9, MAX_D = 8 };
    double *z = malloc(sizeof(double) * N * MAX_D);
    double *dist = malloc(sizeof(double) * N), *dist_ref = malloc(sizeof(double) * N);
    int32_t *label = malloc(sizeof(int32_t) * N), *label_ref = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(z && dist && dist_ref && label && label_ref);
    int64_t differ = 0;
    for (int d = 1; d <= MAX_D; ++d) {
        for (int64_t t = 0; t < (int64_t)N * d; ++t)
            z[t] = next_normal() * 2.0 + (t % 3 == 0 ? 4.0 : -1.0);
        /* the last two centres are both row 0: a zero distance and exact ties */
        double centres[K * MAX_D];
        for (int c = 0; c < K; ++c) {
            const int64_t row = (int64_t)(next_u64() % N);
            for (int j = 0; j < d; ++j)
                centres[c * d + j] = z[(int64_t)j * N + (c >= K - 2 ? 0 : row)];
        }
        const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * d), d);
        cvseg_kmeans_quantize(z, N, d, &e);
        for (int i = 0; i < N; ++i)
            label_ref[i] = label[i] = (int32_t)(next_u64() % (K + 1)) - 1;
        cvseg_kmeans_partial ref, got;
        CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&ref, K, d) == CVSEG_OK);
        CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&got, K, d) == CVSEG_OK);
        reference_assign(z, N, d, centres, K, &e, label_ref, dist_ref, &ref);
        for (int threads = 1; threads <= 2; ++threads) {
            omp_set_num_threads(threads);
            int32_t *label_run = malloc(sizeof(int32_t) * N);
            CU_ASSERT_FATAL(label_run != NULL);
            memcpy(label_run, label, sizeof(int32_t) * N);
            cvseg_kmeans_partial_zero(&got);
            cvseg_kmeans_assign(z, N, d, centres, K, &e, label_run, dist, &got);
            const int same = same_partial(&got, &ref) &&
                             memcmp(label_run, label_ref, sizeof(int32_t) * N) == 0 &&
                             memcmp(dist, dist_ref, sizeof(double) * N) == 0;
            if (!same)
                fprintf(stderr, "  d %d threads %d: differs from the reference\n", d, threads);
            differ += !same;
            /* the distances recomputed from the labels are the same bits */
            double *again = malloc(sizeof(double) * N);
            CU_ASSERT_FATAL(again != NULL);
            cvseg_kmeans_label_distances(z, N, d, centres, label_run, again);
            differ += memcmp(again, dist_ref, sizeof(double) * N) != 0;
            free(again);
            free(label_run);
        }
        cvseg_kmeans_partial_free(&ref);
        cvseg_kmeans_partial_free(&got);
    }
    omp_set_num_threads(2);
    CVSEG_ASSERT_EQUAL_I64(differ, 0);
    free(z);
    free(dist);
    free(dist_ref);
    free(label);
    free(label_ref);
}

static void test_ties_go_to_lowest_index(void)
{
    /* Point (0, 0) is at squared distance 1 from centres 1, 2 and 3; centre 0
     * is far; centre 4 duplicates centre 1. Spans several assignment blocks. */
    enum { N = 700, D = 2, K = 5 };
    double *z = calloc(N * D, sizeof(double));
    int32_t *label = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(z && label);
    for (int i = 0; i < N; ++i) {
        label[i] = -1;
        if (i % 2) { /* (2, 0): nearest are centre 1 and 4 at 1 (tie) */
            z[i] = 2.0;
        }
    }
    const double centres[K * D] = {50.0, 50.0, 1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0};
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(50.0, D);
    cvseg_kmeans_partial partial;
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&partial, K, D) == CVSEG_OK);
    for (int threads = 1; threads <= 2; ++threads) {
        omp_set_num_threads(threads);
        cvseg_kmeans_partial_zero(&partial);
        cvseg_kmeans_assign(z, N, D, centres, K, &e, label, NULL, &partial);
        int64_t wrong = 0;
        for (int i = 0; i < N; ++i)
            wrong += label[i] != 1;
        CVSEG_ASSERT_EQUAL_I64(wrong, 0);
        CVSEG_ASSERT_EQUAL_I64(partial.count[1], N);
        CVSEG_ASSERT_EQUAL_I64(partial.count[4], 0);
        /* inertia: every point at squared distance 1 */
        CVSEG_ASSERT_SAME_DOUBLE(cvseg_fixed_to_double(partial.inertia, e.distance), (double)N);
    }
    omp_set_num_threads(2);
    cvseg_kmeans_partial_free(&partial);
    free(z);
    free(label);
}

static void test_update_empty_cluster_and_shift(void)
{
    enum { K = 3, D = 2 };
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(10.0, D);
    cvseg_kmeans_partial g;
    CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&g, K, D) == CVSEG_OK);
    cvseg_kmeans_partial_zero(&g);
    const double scale = cvseg_fixed_scale(e.coordinate);
    /* cluster 0: points (1, 2) and (3, 4) -> (2, 3); cluster 1 empty;
     * cluster 2: point (-5, 0.5) */
    g.count[0] = 2;
    g.sum[0] = cvseg_fixed_term(1.0, scale) + cvseg_fixed_term(3.0, scale);
    g.sum[1] = cvseg_fixed_term(2.0, scale) + cvseg_fixed_term(4.0, scale);
    g.count[1] = 0;
    g.count[2] = 1;
    g.sum[4] = cvseg_fixed_term(-5.0, scale);
    g.sum[5] = cvseg_fixed_term(0.5, scale);
    double centres[K * D] = {0.0, 0.0, 7.0, -7.0, -4.0, 0.5};
    const double shift = cvseg_kmeans_update(&g, &e, centres);
    CVSEG_ASSERT_SAME_DOUBLE(centres[0], 2.0);
    CVSEG_ASSERT_SAME_DOUBLE(centres[1], 3.0);
    CVSEG_ASSERT_SAME_DOUBLE(centres[2], 7.0); /* empty: unchanged */
    CVSEG_ASSERT_SAME_DOUBLE(centres[3], -7.0);
    CVSEG_ASSERT_SAME_DOUBLE(centres[4], -5.0);
    CVSEG_ASSERT_SAME_DOUBLE(centres[5], 0.5);
    /* (2-0)^2 + (3-0)^2 + (-5+4)^2 + 0 = 14 */
    CVSEG_ASSERT_SAME_DOUBLE(shift, 14.0);
    /* a second update with the same sums does not move anything */
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_kmeans_update(&g, &e, centres), 0.0);
    for (int t = 0; t < K * D; ++t)
        CU_ASSERT(isfinite(centres[t]));
    cvseg_kmeans_partial_free(&g);
}

/* ------------------------------------------------------------------ seeding */

static void test_seeding_helpers_over_chunks(void)
{
    enum { N = 4001, D = 3, BLOCKS = (N + CVSEG_KMEANS_SEED_BLOCK - 1) / CVSEG_KMEANS_SEED_BLOCK };
    double *z = malloc(sizeof(double) * N * D);
    double *min_whole = malloc(sizeof(double) * N);
    double *min_chunks = malloc(sizeof(double) * N);
    int64_t *blocks_whole = malloc(sizeof(int64_t) * BLOCKS);
    int64_t *blocks_chunk = malloc(sizeof(int64_t) * N); /* enough for any chunk */
    CU_ASSERT_FATAL(z && min_whole && min_chunks && blocks_whole && blocks_chunk);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_seed_blocks(N), BLOCKS);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_seed_blocks(0), 1);
    for (int64_t t = 0; t < (int64_t)N * D; ++t)
        z[t] = next_normal() * 2.0;
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * D), D);
    cvseg_kmeans_quantize(z, N, D, &e);
    double centre_a[D], centre_b[D];
    for (int j = 0; j < D; ++j) {
        centre_a[j] = z[(int64_t)j * N + 17];
        centre_b[j] = z[(int64_t)j * N + 3000];
    }
    for (int i = 0; i < N; ++i)
        min_whole[i] = INFINITY;
    omp_set_num_threads(1);
    const cvseg_i128 total_a =
        cvseg_kmeans_min_update(z, N, D, centre_a, 1, &e, min_whole, blocks_whole);
    /* three trials in one pass: b, a (changes nothing) and row 2500 */
    double trials[3 * D];
    for (int j = 0; j < D; ++j) {
        trials[j] = centre_b[j];
        trials[D + j] = centre_a[j];
        trials[2 * D + j] = z[(int64_t)j * N + 2500];
    }
    cvseg_i128 potential[3];
    cvseg_kmeans_trial_potentials(z, N, D, trials, 3, &e, min_whole, potential);
    const cvseg_i128 trial_b = potential[0];
    assert_same_i128(potential[1], total_a, "trial of an existing centre");
    CVSEG_ASSERT_SAME_DOUBLE(min_whole[17], 0.0);
    /* brute force: the sums of the fixed-point terms */
    const double scale = cvseg_fixed_scale(e.distance);
    cvseg_i128 brute_a = 0, brute_b = 0, brute_c = 0, brute_blocks[BLOCKS] = {0};
    for (int i = 0; i < N; ++i) {
        CVSEG_ASSERT_SAME_DOUBLE(min_whole[i], cvseg_sqdist(z, N, i, centre_a, D));
        brute_a += cvseg_fixed_term(min_whole[i], scale);
        brute_blocks[i / CVSEG_KMEANS_SEED_BLOCK] += cvseg_fixed_term(min_whole[i], scale);
        const double db = cvseg_sqdist(z, N, i, centre_b, D);
        brute_b += cvseg_fixed_term(db < min_whole[i] ? db : min_whole[i], scale);
        const double dc = cvseg_sqdist(z, N, i, trials + 2 * D, D);
        brute_c += cvseg_fixed_term(dc < min_whole[i] ? dc : min_whole[i], scale);
    }
    assert_same_i128(total_a, brute_a, "min_update total");
    assert_same_i128(trial_b, brute_b, "trial potential");
    assert_same_i128(potential[2], brute_c, "third trial potential");
    for (int b = 0; b < BLOCKS; ++b)
        assert_same_i128(blocks_whole[b], brute_blocks[b], "block sum");
    /* several centres in one pass = one after the other */
    {
        double *min_two = malloc(sizeof(double) * N), *min_seq = malloc(sizeof(double) * N);
        CU_ASSERT_FATAL(min_two && min_seq);
        for (int i = 0; i < N; ++i)
            min_two[i] = min_seq[i] = INFINITY;
        const cvseg_i128 both = cvseg_kmeans_min_update(z, N, D, trials, 3, &e, min_two, NULL);
        cvseg_i128 last = 0;
        for (int c = 0; c < 3; ++c)
            last = cvseg_kmeans_min_update(z, N, D, trials + c * D, 1, &e, min_seq, NULL);
        assert_same_i128(both, last, "three centres in one pass");
        CU_ASSERT(memcmp(min_two, min_seq, sizeof(double) * N) == 0);
        free(min_two);
        free(min_seq);
    }
    CU_ASSERT(trial_b <= total_a);
    /* trial_potential leaves min_d2 alone */
    CVSEG_ASSERT_SAME_DOUBLE(min_whole[3000], cvseg_sqdist(z, N, 3000, centre_a, D));

    int64_t wrong_picks = 0, checks = 0;
    for (int threads = 1; threads <= 2; ++threads) {
        omp_set_num_threads(threads);
        for (int p = 1; p <= 7; ++p) {
            int64_t cuts[8];
            make_cuts(N, p, p % 4, cuts);
            cvseg_i128 chunk_total[8], prefix[9];
            prefix[0] = 0;
            cvseg_i128 trial_sum = 0;
            for (int r = 0; r < p; ++r) {
                const int64_t rows = cuts[r + 1] - cuts[r];
                double *zc = chunk_copy(z, N, D, cuts[r], cuts[r + 1]);
                for (int64_t i = 0; i < rows; ++i)
                    min_chunks[cuts[r] + i] = INFINITY;
                chunk_total[r] = cvseg_kmeans_min_update(zc, rows, D, centre_a, 1, &e,
                                                         min_chunks + cuts[r], NULL);
                cvseg_i128 chunk_trial;
                cvseg_kmeans_trial_potentials(zc, rows, D, centre_b, 1, &e, min_chunks + cuts[r],
                                              &chunk_trial);
                trial_sum += chunk_trial;
                prefix[r + 1] = prefix[r] + chunk_total[r];
                free(zc);
            }
            assert_same_i128(prefix[p], total_a, "chunk totals");
            assert_same_i128(trial_sum, trial_b, "chunk trial potentials");
            CU_ASSERT(memcmp(min_chunks, min_whole, sizeof(double) * N) == 0);
            /* targets: random, 0, total - 1, and every chunk boundary */
            cvseg_i128 targets[64];
            int nt = 0;
            targets[nt++] = 0;
            targets[nt++] = total_a - 1;
            for (int r = 1; r < p; ++r) {
                if (prefix[r] < total_a)
                    targets[nt++] = prefix[r];
                if (prefix[r] > 0)
                    targets[nt++] = prefix[r] - 1;
            }
            while (nt < 64) {
                const cvseg_u128 u = ((cvseg_u128)next_u64() << 64) | next_u64();
                targets[nt++] = (cvseg_i128)(u % (cvseg_u128)total_a);
            }
            for (int t = 0; t < nt; ++t) {
                const cvseg_i128 target = targets[t];
                const int64_t expect =
                    cvseg_kmeans_pick_by_weight(min_whole, N, &e, blocks_whole, target);
                /* without block sums: the same row */
                wrong_picks +=
                    cvseg_kmeans_pick_by_weight(min_whole, N, &e, NULL, target) != expect;
                /* find the chunk by prefix sums, pick inside it */
                int owner = -1;
                for (int r = 0; r < p && owner < 0; ++r)
                    if (prefix[r] <= target && target < prefix[r + 1])
                        owner = r;
                int64_t got = -2;
                if (owner >= 0) {
                    /* the owner's block sums, as its min_update reports them */
                    const int64_t rows = cuts[owner + 1] - cuts[owner];
                    double *zc = chunk_copy(z, N, D, cuts[owner], cuts[owner + 1]);
                    double *mc = malloc(sizeof(double) * (size_t)(rows > 0 ? rows : 1));
                    CU_ASSERT_FATAL(zc && mc);
                    for (int64_t i = 0; i < rows; ++i)
                        mc[i] = INFINITY;
                    cvseg_kmeans_min_update(zc, rows, D, centre_a, 1, &e, mc, blocks_chunk);
                    const int64_t local = cvseg_kmeans_pick_by_weight(mc, rows, &e, blocks_chunk,
                                                                      target - prefix[owner]);
                    free(zc);
                    free(mc);
                    got = local < 0 ? -3 : cuts[owner] + local;
                }
                ++checks;
                wrong_picks += got != expect;
                /* brute force: the first row whose running sum exceeds target */
                cvseg_i128 running = 0;
                int64_t brute = -1;
                for (int64_t i = 0; i < N && brute < 0; ++i) {
                    running += cvseg_fixed_term(min_whole[i], scale);
                    if (running > target)
                        brute = i;
                }
                CVSEG_ASSERT_EQUAL_I64(expect, brute);
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(wrong_picks, 0);
    CU_ASSERT(checks > 2 * 7 * 64 - 1);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_pick_by_weight(min_whole, N, &e, blocks_whole, total_a),
                           -1);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_pick_by_weight(min_whole, N, &e, NULL, total_a), -1);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_pick_by_weight(min_whole, 0, &e, NULL, 0), -1);
    omp_set_num_threads(2);
    free(z);
    free(min_whole);
    free(min_chunks);
    free(blocks_whole);
    free(blocks_chunk);
}

static void test_weighted_plusplus(void)
{
    enum { M = 60, D = 3 };
    double cand[M * D], weight[M];
    /* three far-apart groups of 20 distinct candidates */
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < D; ++j)
            cand[i * D + j] =
                100.0 * (double)(i % 3) * (j == i % 3 ? 1.0 : 0.0) + next_uniform() - 0.5;
        weight[i] = 1.0 + (double)(next_u64() % 50);
    }
    double a[M * D], b[M * D], c[M * D];
    /* deterministic */
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_weighted_plusplus(cand, weight, M, D, 3, 7, 11, 0, a),
                           CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_weighted_plusplus(cand, weight, M, D, 3, 7, 11, 0, b),
                           CVSEG_OK);
    CU_ASSERT(memcmp(a, b, sizeof(double) * 3 * D) == 0);
    /* each centre is a candidate; the three groups are all covered */
    int group_hit[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
        int found = -1;
        for (int i = 0; i < M && found < 0; ++i)
            if (memcmp(a + k * D, cand + i * D, sizeof(double) * D) == 0)
                found = i;
        CU_ASSERT(found >= 0);
        if (found >= 0)
            group_hit[found % 3] += 1;
    }
    CU_ASSERT(group_hit[0] == 1 && group_hit[1] == 1 && group_hit[2] == 1);
    /* k distinct candidates, up to k = m; a different seed changes something */
    int differs = 0;
    for (int k = 1; k <= M; k += (k < 10 ? 1 : 10)) {
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            CVSEG_ASSERT_EQUAL_I64(
                cvseg_kmeans_weighted_plusplus(cand, weight, M, D, k, seed, 5, 0, c), CVSEG_OK);
            int used[M] = {0};
            int64_t not_candidate = 0, repeated = 0;
            for (int q = 0; q < k; ++q) {
                int found = -1;
                for (int i = 0; i < M && found < 0; ++i)
                    if (memcmp(c + q * D, cand + i * D, sizeof(double) * D) == 0)
                        found = i;
                if (found < 0)
                    ++not_candidate;
                else
                    repeated += used[found]++ > 0;
            }
            CVSEG_ASSERT_EQUAL_I64(not_candidate, 0);
            CVSEG_ASSERT_EQUAL_I64(repeated, 0);
            if (seed == 2 && k >= 3) {
                CVSEG_ASSERT_EQUAL_I64(
                    cvseg_kmeans_weighted_plusplus(cand, weight, M, D, k, 1, 5, 0, b), CVSEG_OK);
                differs += memcmp(b, c, sizeof(double) * (size_t)(k * D)) != 0;
            }
        }
    }
    CU_ASSERT(differs > 0);
    /* zero-weight candidates are never chosen while positive weight remains */
    double w2[M];
    for (int i = 0; i < M; ++i)
        w2[i] = i % 2 ? 0.0 : 1.0 + (double)i;
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_weighted_plusplus(cand, w2, M, D, 10, 3, 1, 2, c),
                           CVSEG_OK);
    for (int q = 0; q < 10; ++q) {
        int found = -1;
        for (int i = 0; i < M && found < 0; ++i)
            if (memcmp(c + q * D, cand + i * D, sizeof(double) * D) == 0)
                found = i;
        CU_ASSERT(found >= 0 && found % 2 == 0);
    }
    /* fewer candidates than k */
    CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_weighted_plusplus(cand, weight, 2, D, 3, 1, 1, 0, c),
                           CVSEG_EDATA);
    cvseg_error_clear();
}

static void test_order(void)
{
    enum { K = 5, D = 2 };
    /* orientation (+1, -1): score = c0 - c1 */
    const double orientation[D] = {1.0, -1.0};
    const double centres[K * D] = {
        1.0,  1.0, /* 0: score 0, size 10 */
        3.0,  0.0, /* 1: score 3 */
        2.0,  2.0, /* 2: score 0, size 30 */
        -1.0, 1.0, /* 3: score -2 */
        0.5,  0.5, /* 4: score 0, size 10 (tie with 0: index) */
    };
    const int64_t count[K] = {10, 5, 30, 100, 10};
    int order[K];
    cvseg_kmeans_order(centres, count, K, D, orientation, order);
    const int expect[K] = {1, 2, 0, 4, 3};
    for (int c = 0; c < K; ++c)
        CVSEG_ASSERT_EQUAL_I64(order[c], expect[c]);
    /* a permutation for random inputs, sorted by the rule */
    for (int t = 0; t < 200; ++t) {
        double cs[8 * 3];
        int64_t n[8];
        const double o[3] = {1.0, -0.5, 2.0};
        for (int c = 0; c < 8; ++c) {
            for (int j = 0; j < 3; ++j)
                cs[c * 3 + j] = (double)(next_u64() % 3);
            n[c] = (int64_t)(next_u64() % 4);
        }
        int ord[8], seen[8] = {0};
        cvseg_kmeans_order(cs, n, 8, 3, o, ord);
        for (int c = 0; c < 8; ++c)
            seen[ord[c]] += 1;
        for (int c = 0; c < 8; ++c)
            CVSEG_ASSERT_EQUAL_I64(seen[c], 1);
        for (int c = 1; c < 8; ++c) {
            const int x = ord[c - 1], y = ord[c];
            const double sx = cs[x * 3] - 0.5 * cs[x * 3 + 1] + 2.0 * cs[x * 3 + 2];
            const double sy = cs[y * 3] - 0.5 * cs[y * 3 + 1] + 2.0 * cs[y * 3 + 2];
            CU_ASSERT(sx > sy || (sx == sy && (n[x] > n[y] || (n[x] == n[y] && x < y))));
        }
    }
}

static void test_exponents_bound_distances(void)
{
    for (int t = 0; t < 1000; ++t) {
        const double zmax = exp(8.0 * next_uniform() - 4.0);
        const int d = 1 + (int)(next_u64() % CVSEG_KMEANS_MAX_D);
        const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(zmax, d);
        /* terms below 2^43: 1024 of them add exactly in a double */
        CU_ASSERT(zmax * cvseg_fixed_scale(e.coordinate) < 0x1p43);
        CU_ASSERT(zmax * cvseg_fixed_scale(e.coordinate) >= 0x1p42);
        /* the largest squared distance inside the hull: d * (2 zmax)^2 */
        double acc = 0.0;
        for (int j = 0; j < d; ++j) {
            const double diff = zmax - -zmax;
            acc += diff * diff;
        }
        CU_ASSERT(acc * cvseg_fixed_scale(e.distance) < 0x1p43);
    }
}

/* k-means|| weighs its candidates with the assignment kernel: thousands of
 * centres, far beyond CVSEG_KMEANS_MAX_K (the kernel once kept them in
 * stack tables of 256 entries). Vector (d 3) and scalar (d 7) paths. */
static void test_assign_many_centres(void)
{
    enum { N = 2003, K = 1200, MAX_D = 7 };
    double *z = malloc(sizeof(double) * N * MAX_D), *centres = malloc(sizeof(double) * K * MAX_D);
    double *dist = malloc(sizeof(double) * N), *dist_ref = malloc(sizeof(double) * N);
    int32_t *label = malloc(sizeof(int32_t) * N), *label_ref = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(z && centres && dist && dist_ref && label && label_ref);
    const int dims[2] = {3, 7};
    for (int v = 0; v < 2; ++v) {
        const int d = dims[v];
        for (int64_t t = 0; t < (int64_t)N * d; ++t)
            z[t] = next_normal();
        for (int c = 0; c < K; ++c)
            for (int j = 0; j < d; ++j)
                centres[c * d + j] = z[(int64_t)j * N + (c * 7919) % N];
        const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(max_abs_of(z, N * d), d);
        cvseg_kmeans_quantize(z, N, d, &e);
        for (int c = 0; c < K; ++c)
            for (int j = 0; j < d; ++j)
                centres[c * d + j] = z[(int64_t)j * N + (c * 7919) % N];
        for (int i = 0; i < N; ++i)
            label[i] = label_ref[i] = -1;
        cvseg_kmeans_partial ref, got;
        CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&ref, K, d) == CVSEG_OK);
        CU_ASSERT_FATAL(cvseg_kmeans_partial_alloc(&got, K, d) == CVSEG_OK);
        reference_assign(z, N, d, centres, K, &e, label_ref, dist_ref, &ref);
        CVSEG_ASSERT_EQUAL_I64(cvseg_kmeans_assign(z, N, d, centres, K, &e, label, dist, &got),
                               CVSEG_OK);
        CU_ASSERT(same_partial(&got, &ref));
        CU_ASSERT(memcmp(label, label_ref, sizeof(int32_t) * N) == 0);
        CU_ASSERT(memcmp(dist, dist_ref, sizeof(double) * N) == 0);
        cvseg_kmeans_partial_free(&ref);
        cvseg_kmeans_partial_free(&got);
    }
    free(z);
    free(centres);
    free(dist);
    free(dist_ref);
    free(label);
    free(label_ref);
}

/* Distinct rows counted up to a limit, per simulated rank (P = 1..5, some
 * chunks empty) and merged in rank order, against a brute-force count;
 * -0.0 and 0.0 are one value. */
static void test_distinct_rows_over_chunks(void)
{
    enum { N = 997, D = 3 };
    double *z = malloc(sizeof(double) * N * D);
    CU_ASSERT_FATAL(z != NULL);
    for (int distinct_values = 1; distinct_values <= 7; distinct_values += 3) {
        for (int64_t i = 0; i < N; ++i) {
            const int v = (int)(next_u64() % (uint64_t)distinct_values);
            for (int j = 0; j < D; ++j)
                z[(int64_t)j * N + i] = v == 0 ? (i % 2 ? -0.0 : 0.0) : (double)(v * (j + 1));
        }
        int64_t brute = 0; /* rows whose value differs from every earlier row */
        for (int64_t i = 0; i < N; ++i) {
            int seen = 0;
            for (int64_t h = 0; h < i && !seen; ++h)
                seen = z[i] == z[h] && z[N + i] == z[N + h] && z[2 * N + i] == z[2 * N + h];
            brute += !seen;
        }
        for (int limit = 1; limit <= 9; limit += 4)
            for (int ranks = 1; ranks <= 5; ++ranks) {
                cvseg_distinct_set merged;
                CU_ASSERT_FATAL(cvseg_distinct_init(&merged, D, limit) == CVSEG_OK);
                for (int r = 0; r < ranks; ++r) {
                    /* rank 1 of 3 and more gets no rows */
                    const int64_t from = N * r / ranks,
                                  to = (ranks > 2 && r == 1) ? from : N * (r + 1) / ranks;
                    double *chunk = chunk_copy(z, N, D, from, to);
                    cvseg_distinct_set mine;
                    CU_ASSERT_FATAL(cvseg_distinct_init(&mine, D, limit) == CVSEG_OK);
                    cvseg_distinct_add_columns(&mine, chunk, to - from);
                    for (int64_t v = 0; v < mine.count; ++v)
                        cvseg_distinct_add(&merged, mine.rows + v * D);
                    cvseg_distinct_free(&mine);
                    free(chunk);
                    if (to != N * (r + 1) / ranks) { /* the empty rank's rows go to the next */
                        double *rest = chunk_copy(z, N, D, to, N * (r + 1) / ranks);
                        CU_ASSERT_FATAL(cvseg_distinct_init(&mine, D, limit) == CVSEG_OK);
                        cvseg_distinct_add_columns(&mine, rest, N * (r + 1) / ranks - to);
                        for (int64_t v = 0; v < mine.count; ++v)
                            cvseg_distinct_add(&merged, mine.rows + v * D);
                        cvseg_distinct_free(&mine);
                        free(rest);
                    }
                }
                CVSEG_ASSERT_EQUAL_I64(merged.count, brute < limit ? brute : limit);
                cvseg_distinct_free(&merged);
            }
    }
    free(z);
}

/* Scratch the assignment cannot get is a status, not a silent skip inside the
 * threads: an absurd k (2^28 centres of d 8 need far more than this machine
 * has) gives CVSEG_ENOMEM and leaves labels and the partial untouched. The
 * centres are not read before the scratch exists. */
static void test_assign_out_of_memory_is_a_status(void)
{
    double z[8] = {0}, centres[8] = {0};
    int32_t label[1] = {-1};
    cvseg_i128 sum[8] = {0};
    int64_t count[1] = {0};
    cvseg_kmeans_partial partial = {1 << 28, 8, sum, count, 0, 0};
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(1.0, 8);
    CVSEG_ASSERT_EQUAL_I64(
        cvseg_kmeans_assign(z, 1, 8, centres, 1 << 28, &e, label, NULL, &partial), CVSEG_ENOMEM);
    CVSEG_ASSERT_EQUAL_I64(label[0], -1);
    CVSEG_ASSERT_EQUAL_I64(partial.changed, 0);
    cvseg_error_clear();
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"Lloyd steps recover well-separated blobs", test_blobs_recovered},
        {"inertia never increases", test_inertia_never_increases},
        {"partials over P = 1..7 ranks, 1-3 threads, pack/unpack: bit-identical",
         test_partial_merge_over_ranks_and_threads},
        {"vector and scalar paths follow the documented expressions, bit for bit",
         test_paths_follow_the_documented_expressions},
        {"ties go to the lowest centre index", test_ties_go_to_lowest_index},
        {"assignment with 1200 centres (k-means|| candidates)", test_assign_many_centres},
        {"distinct rows up to a limit over chunks", test_distinct_rows_over_chunks},
        {"assignment out of memory is a status", test_assign_out_of_memory_is_a_status},
        {"update: empty clusters keep their centre; squared shift",
         test_update_empty_cluster_and_shift},
        {"min_update / trial_potential / pick_by_weight over chunks",
         test_seeding_helpers_over_chunks},
        {"weighted k-means++: deterministic, distinct, covers blobs", test_weighted_plusplus},
        {"cluster order: score, then size, then index", test_order},
        {"exponents bound coordinates and distances", test_exponents_bound_distances},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("kmeans", tests);
}
