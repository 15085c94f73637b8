/* test_cluster_metrics.c: the exact cluster metrics. Partials over P
 * simulated ranks (uneven and empty chunks) and 1-3 threads give the
 * one-chunk bits; CH, DB, inertia and both silhouettes against direct
 * double-precision formulas written out here (sklearn's definitions); the
 * silhouette values do not depend on how the sample points are split; the
 * stratified sample sizes. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0xC1A55E5ULL
#include "test_support.h"
#include "cvseg/cluster_metrics.h"

enum { N = 3001, D = 3, K = 4 };

static double z_all[D * N];
static int32_t label_all[N];

static void make_data(void)
{
    for (int64_t i = 0; i < N; ++i) {
        label_all[i] = (int32_t)(next_u64() % K);
        for (int j = 0; j < D; ++j)
            z_all[j * N + i] = 2.0 * label_all[i] + next_normal();
    }
}

static double zmax_all(void)
{
    double m = 0.0;
    for (int64_t t = 0; t < (int64_t)D * N; ++t)
        m = fmax(m, fabs(z_all[t]));
    return m;
}

/* Both passes over p chunks (merged in chunk order) with `threads` threads. */
static void metrics_over_chunks(int p, int pattern, int threads, cvseg_cluster_metrics *out)
{
    int64_t cuts[16];
    double means[K * D], grand[D], chunk[D * N];
    cvseg_cluster_partial total, part;
    make_cuts(N, p, pattern, cuts);
    omp_set_num_threads(threads);
    CU_ASSERT_FATAL(cvseg_cluster_partial_alloc(&total, K, D, zmax_all()) == CVSEG_OK);
    for (int pass = 1; pass <= 2; ++pass) {
        if (pass == 2)
            cvseg_cluster_means(&total, means, grand);
        for (int r = 0; r < p; ++r) {
            const int64_t n = cuts[r + 1] - cuts[r];
            for (int j = 0; j < D; ++j)
                memcpy(chunk + j * n, z_all + j * N + cuts[r], sizeof(double) * (size_t)n);
            CU_ASSERT_FATAL(cvseg_cluster_partial_alloc(&part, K, D, zmax_all()) == CVSEG_OK);
            if (pass == 1)
                cvseg_cluster_sums(chunk, n, D, label_all + cuts[r], &part);
            else /* pass 2 reads the merged counts from the partial */
                memcpy(part.values, total.values, sizeof(cvseg_i128) * K);
            if (pass == 2) {
                cvseg_cluster_dispersion(chunk, n, D, label_all + cuts[r], means, &part);
                const int64_t skip = cvseg_cluster_pass1_values(K, D);
                for (int64_t t = 0; t < cvseg_cluster_pass2_values(K); ++t)
                    total.values[skip + t] += part.values[skip + t];
            } else {
                cvseg_cluster_partial_merge(&total, &part);
            }
            cvseg_cluster_partial_free(&part);
        }
    }
    cvseg_cluster_metrics_finish(&total, means, grand, out);
    cvseg_cluster_partial_free(&total);
    omp_set_num_threads(1);
}

static void test_partials_bit_identical(void)
{
    cvseg_cluster_metrics one, other;
    metrics_over_chunks(1, 0, 1, &one);
    for (int p = 1; p <= 7; ++p)
        for (int pattern = 0; pattern < 5; ++pattern)
            for (int threads = 1; threads <= 3; ++threads) {
                metrics_over_chunks(p, pattern, threads, &other);
                CVSEG_ASSERT_SAME_DOUBLE(one.inertia, other.inertia);
                CVSEG_ASSERT_SAME_DOUBLE(one.calinski_harabasz, other.calinski_harabasz);
                CVSEG_ASSERT_SAME_DOUBLE(one.davies_bouldin, other.davies_bouldin);
                CVSEG_ASSERT_SAME_DOUBLE(one.silhouette_simplified, other.silhouette_simplified);
            }
}

static double distance(const double *x, int64_t n, int64_t i, const double *c, int64_t stride)
{
    double acc = 0.0;
    for (int j = 0; j < D; ++j)
        acc += (x[j * n + i] - c[j * stride]) * (x[j * n + i] - c[j * stride]);
    return sqrt(acc);
}

static void test_against_formulas(void)
{
    cvseg_cluster_metrics got;
    metrics_over_chunks(3, 1, 2, &got);
    double mean[K][D] = {{0}}, grand[D] = {0}, count[K] = {0}, within = 0, spread[K] = {0};
    for (int64_t i = 0; i < N; ++i) {
        count[label_all[i]] += 1;
        for (int j = 0; j < D; ++j) {
            mean[label_all[i]][j] += z_all[j * N + i];
            grand[j] += z_all[j * N + i] / N;
        }
    }
    for (int c = 0; c < K; ++c)
        for (int j = 0; j < D; ++j)
            mean[c][j] /= count[c];
    double simplified = 0.0, between = 0.0;
    for (int64_t i = 0; i < N; ++i) {
        const int own = label_all[i];
        const double a = distance(z_all, N, i, mean[own], 1);
        double b = INFINITY;
        for (int c = 0; c < K; ++c)
            if (c != own)
                b = fmin(b, distance(z_all, N, i, mean[c], 1));
        within += a * a;
        spread[own] += a / count[own];
        simplified += (b - a) / fmax(a, b) / N;
    }
    for (int c = 0; c < K; ++c)
        between += count[c] * pow(distance(mean[c], 1, 0, grand, 1), 2);
    double db = 0.0;
    for (int c = 0; c < K; ++c) {
        double worst = 0.0;
        for (int o = 0; o < K; ++o)
            if (o != c)
                worst = fmax(worst, (spread[c] + spread[o]) / distance(mean[c], 1, 0, mean[o], 1));
        db += worst / K;
    }
    CU_ASSERT(fabs(got.inertia - within) <= 1e-11 * within);
    CU_ASSERT(fabs(got.calinski_harabasz - between * (N - K) / (within * (K - 1))) <=
              1e-10 * got.calinski_harabasz);
    CU_ASSERT(fabs(got.davies_bouldin - db) <= 1e-11);
    CU_ASSERT(fabs(got.silhouette_simplified - simplified) <= 1e-11);
    CU_ASSERT(got.members == N && got.clusters == K);
}

/* Full silhouette: sample sorted by cluster; values against the direct
 * double loop, and identical bits for any split of the index range. */
static void test_silhouette_values(void)
{
    enum { M = 400 };
    static double x[D * M], s_all[M], s_split[M];
    int64_t start[K + 1] = {0}, fill[K];
    int32_t cluster_of[M];
    for (int64_t i = 0; i < M; ++i)
        start[label_all[i] + 1] += 1;
    for (int c = 0; c < K; ++c)
        start[c + 1] += start[c];
    memcpy(fill, start, sizeof fill);
    for (int64_t i = 0; i < M; ++i) {
        const int64_t row = fill[label_all[i]]++;
        cluster_of[row] = label_all[i];
        for (int j = 0; j < D; ++j)
            x[j * M + row] = z_all[j * N + i];
    }
    cvseg_silhouette_values(x, M, D, K, start, 0, M, s_all);
    for (int64_t b = 0; b < M; b += 37)
        cvseg_silhouette_values(x, M, D, K, start, b, b + 37 < M ? b + 37 : M, s_split + b);
    CU_ASSERT(memcmp(s_all, s_split, sizeof s_all) == 0);
    for (int64_t i = 0; i < M; ++i) {
        double sum[K] = {0};
        for (int64_t o = 0; o < M; ++o)
            sum[cluster_of[o]] += distance(x, M, i, x + o, M);
        const int own = cluster_of[i];
        const double a = sum[own] / (double)(start[own + 1] - start[own] - 1);
        double b = INFINITY;
        for (int c = 0; c < K; ++c)
            if (c != own)
                b = fmin(b, sum[c] / (double)(start[c + 1] - start[c]));
        CU_ASSERT(fabs(s_all[i] - (b - a) / fmax(a, b)) <= 1e-12);
    }
}

static void test_sample_sizes(void)
{
    const int64_t counts[4] = {10, 0, 5, 85};
    int64_t sizes[4];
    cvseg_silhouette_sample_sizes(counts, 4, 7, sizes); /* 0.7, 0, 0.35, 5.95 */
    CU_ASSERT(sizes[0] == 1 && sizes[1] == 0 && sizes[2] == 0 && sizes[3] == 6);
    cvseg_silhouette_sample_sizes(counts, 4, 1000, sizes);
    CU_ASSERT(sizes[0] == 10 && sizes[1] == 0 && sizes[2] == 5 && sizes[3] == 85);
    const int64_t even[3] = {3, 3, 3};
    cvseg_silhouette_sample_sizes(even, 3, 4, sizes); /* ties to the lower cluster */
    CU_ASSERT(sizes[0] == 2 && sizes[1] == 1 && sizes[2] == 1);
}

int main(void)
{
    make_data();
    CU_TestInfo tests[] = {
        {"partials over P = 1..7 ranks, 5 patterns, 1-3 threads: bit-identical",
         test_partials_bit_identical},
        {"inertia, CH, DB, simplified silhouette against the formulas", test_against_formulas},
        {"silhouette values: formula, any split of the range", test_silhouette_values},
        {"stratified sample sizes: largest remainders", test_sample_sizes},
        CU_TEST_INFO_NULL,
    };
    return cvseg_run_cunit("cluster_metrics", tests);
}
