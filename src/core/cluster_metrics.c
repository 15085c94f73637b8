/* cluster_metrics.c: exact cluster-quality metrics (see cluster_metrics.h). */
#include "cvseg/cluster_metrics.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bounds are scaled by this so that a rounded value at the bound fits. */
#define METRICS_SLACK (1.0 + 0x1p-40)

int64_t cvseg_cluster_pass1_values(int k, int d)
{
    return (int64_t)k + (int64_t)k * d;
}

int64_t cvseg_cluster_pass2_values(int k)
{
    return 2 * (int64_t)k + 1;
}

static int64_t metrics_value_count(int k, int d)
{
    return cvseg_cluster_pass1_values(k, d) + cvseg_cluster_pass2_values(k);
}

cvseg_status cvseg_cluster_partial_alloc(cvseg_cluster_partial *partial, int k, int d, double zmax)
{
    memset(partial, 0, sizeof *partial);
    if (k < 1 || k > CVSEG_CLUSTER_METRICS_MAX_K || d < 1 || d > CVSEG_CLUSTER_METRICS_MAX_D)
        return CVSEG_FAIL(CVSEG_EUSAGE,
                          "cluster metrics: k = %d, d = %d out of range (k <= %d, d <= %d)", k, d,
                          CVSEG_CLUSTER_METRICS_MAX_K, CVSEG_CLUSTER_METRICS_MAX_D);
    partial->k = k;
    partial->d = d;
    partial->coordinate_exponent = cvseg_fixed_exponent(zmax * METRICS_SLACK);
    const double square_bound = 4.0 * d * zmax * zmax * METRICS_SLACK;
    partial->square_exponent = cvseg_fixed_exponent(square_bound);
    partial->distance_exponent = cvseg_fixed_exponent(sqrt(square_bound) * METRICS_SLACK);
    partial->unit_exponent = cvseg_fixed_exponent(1.0);
    partial->values = calloc((size_t)metrics_value_count(k, d), sizeof(cvseg_i128));
    return partial->values
               ? CVSEG_OK
               : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for cluster metrics (k=%d)", k);
}

void cvseg_cluster_partial_free(cvseg_cluster_partial *partial)
{
    free(partial->values);
    partial->values = NULL;
}

void cvseg_cluster_partial_merge(cvseg_cluster_partial *into, const cvseg_cluster_partial *from)
{
    const int64_t count = metrics_value_count(into->k, into->d);
    for (int64_t t = 0; t < count; ++t)
        into->values[t] += from->values[t];
}

/* values[offset + t] += local[t] for t < count, one thread at a time: integer
 * sums, so the order in which threads arrive does not matter. */
static void metrics_merge_block(cvseg_i128 *values, const cvseg_i128 *local, int64_t count)
{
#pragma omp critical(cvseg_cluster_metrics_merge)
    for (int64_t t = 0; t < count; ++t)
        values[t] += local[t];
}

void cvseg_cluster_sums(const double *z, int64_t n, int d, const int32_t *label,
                        cvseg_cluster_partial *partial)
{
    const int k = partial->k;
    const int64_t count = cvseg_cluster_pass1_values(k, d);
    const double scale = cvseg_fixed_scale(partial->coordinate_exponent);
#pragma omp parallel
    {
        cvseg_i128 local[CVSEG_CLUSTER_METRICS_MAX_K * (1 + CVSEG_CLUSTER_METRICS_MAX_D)];
        memset(local, 0, sizeof(cvseg_i128) * (size_t)count);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            const int c = label[i];
            local[c] += 1;
            for (int j = 0; j < d; ++j)
                local[k + (int64_t)c * d + j] += cvseg_fixed_term(z[(int64_t)j * n + i], scale);
        }
        metrics_merge_block(partial->values, local, count);
    }
}

void cvseg_cluster_means(const cvseg_cluster_partial *partial, double *means, double *grand)
{
    const int k = partial->k, d = partial->d;
    const cvseg_i128 *v = partial->values;
    int64_t n = 0;
    for (int c = 0; c < k; ++c)
        n += (int64_t)v[c];
    for (int j = 0; j < d; ++j) {
        cvseg_i128 total = 0;
        for (int c = 0; c < k; ++c) {
            const cvseg_i128 sum = v[k + (int64_t)c * d + j];
            total += sum;
            means[c * d + j] =
                v[c] > 0 ? cvseg_fixed_to_double(sum, partial->coordinate_exponent) / (double)v[c]
                         : 0.0;
        }
        grand[j] =
            n > 0 ? cvseg_fixed_to_double(total, partial->coordinate_exponent) / (double)n : 0.0;
    }
}

/* Squared distance of local row i to centre [d], by differences in feature
 * order. */
static double metrics_distance2(const double *z, int64_t n, int64_t i, const double *centre, int d)
{
    double acc = 0.0;
    for (int j = 0; j < d; ++j) {
        const double diff = z[(int64_t)j * n + i] - centre[j];
        acc += diff * diff;
    }
    return acc;
}

/* (b - a) / max(a, b), 0 where both are 0 or b is undefined (b < 0). */
static double metrics_silhouette_of(double a, double b)
{
    const double larger = a > b ? a : b;
    return b < 0.0 || !(larger > 0.0) ? 0.0 : (b - a) / larger;
}

/* Simplified silhouette of local row i with own cluster `own`. */
static double metrics_simplified(const double *z, int64_t n, int64_t i, int own,
                                 const double *means, const cvseg_i128 *counts, int k, int d,
                                 double a)
{
    if (counts[own] <= 1)
        return 0.0;
    double b = -1.0;
    for (int c = 0; c < k; ++c) {
        if (c == own || counts[c] == 0)
            continue;
        const double distance = sqrt(metrics_distance2(z, n, i, means + (int64_t)c * d, d));
        b = b < 0.0 || distance < b ? distance : b;
    }
    return metrics_silhouette_of(a, b);
}

void cvseg_cluster_dispersion(const double *z, int64_t n, int d, const int32_t *label,
                              const double *means, cvseg_cluster_partial *partial)
{
    const int k = partial->k;
    const int64_t offset = cvseg_cluster_pass1_values(k, d);
    const int64_t count = cvseg_cluster_pass2_values(k);
    const double square_scale = cvseg_fixed_scale(partial->square_exponent);
    const double distance_scale = cvseg_fixed_scale(partial->distance_exponent);
    const double unit_scale = cvseg_fixed_scale(partial->unit_exponent);
    const cvseg_i128 *counts = partial->values;
#pragma omp parallel
    {
        cvseg_i128 local[2 * CVSEG_CLUSTER_METRICS_MAX_K + 1];
        memset(local, 0, sizeof(cvseg_i128) * (size_t)count);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            const int c = label[i];
            const double d2 = metrics_distance2(z, n, i, means + (int64_t)c * d, d);
            const double a = sqrt(d2);
            local[c] += cvseg_fixed_term(d2, square_scale);
            local[k + c] += cvseg_fixed_term(a, distance_scale);
            local[2 * k] += cvseg_fixed_term(metrics_simplified(z, n, i, c, means, counts, k, d, a),
                                             unit_scale);
        }
        metrics_merge_block(partial->values + offset, local, count);
    }
}

/* Davies-Bouldin index over the non-empty clusters (sklearn's rules). */
static double metrics_davies_bouldin(const cvseg_i128 *counts, const double *spread,
                                     const double *means, int k, int d)
{
    int all_spread_zero = 1, all_centres_equal = 1, clusters = 0;
    for (int c = 0; c < k; ++c)
        if (counts[c] > 0)
            all_spread_zero &= fabs(spread[c]) <= 1e-8;
    double total = 0.0;
    for (int c = 0; c < k; ++c) {
        if (counts[c] == 0)
            continue;
        double worst = 0.0;
        for (int o = 0; o < k; ++o) {
            if (o == c || counts[o] == 0)
                continue;
            const double separation =
                sqrt(metrics_distance2(means + (int64_t)c * d, 1, 0, means + (int64_t)o * d, d));
            all_centres_equal &= separation <= 1e-8;
            const double ratio = separation > 0.0 ? (spread[c] + spread[o]) / separation : 0.0;
            worst = ratio > worst ? ratio : worst;
        }
        total += worst;
        ++clusters;
    }
    if (clusters < 2)
        return NAN;
    return all_spread_zero || all_centres_equal ? 0.0 : total / clusters;
}

void cvseg_cluster_metrics_finish(const cvseg_cluster_partial *partial, const double *means,
                                  const double *grand, cvseg_cluster_metrics *metrics)
{
    const int k = partial->k, d = partial->d;
    const cvseg_i128 *v = partial->values, *pass2 = v + cvseg_cluster_pass1_values(k, d);
    double spread[CVSEG_CLUSTER_METRICS_MAX_K];
    cvseg_i128 within = 0;
    memset(metrics, 0, sizeof *metrics);
    double between = 0.0;
    for (int c = 0; c < k; ++c) {
        metrics->members += (int64_t)v[c];
        metrics->clusters += v[c] > 0;
        within += pass2[c];
        spread[c] = v[c] > 0 ? cvseg_fixed_to_double(pass2[k + c], partial->distance_exponent) /
                                   (double)v[c]
                             : 0.0;
        between += (double)v[c] * metrics_distance2(means + (int64_t)c * d, 1, 0, grand, d);
    }
    metrics->inertia = cvseg_fixed_to_double(within, partial->square_exponent);
    const double n = (double)metrics->members, labels = metrics->clusters;
    if (metrics->clusters < 2 || metrics->members <= metrics->clusters)
        metrics->calinski_harabasz = NAN;
    else
        metrics->calinski_harabasz =
            metrics->inertia == 0.0 ? 1.0
                                    : between * (n - labels) / (metrics->inertia * (labels - 1.0));
    metrics->davies_bouldin = metrics_davies_bouldin(v, spread, means, k, d);
    metrics->silhouette_simplified =
        metrics->members > 0 ? cvseg_fixed_to_double(pass2[2 * k], partial->unit_exponent) / n
                             : NAN;
}

void cvseg_silhouette_sample_sizes(const int64_t *counts, int k, int64_t m, int64_t *sizes)
{
    int64_t n = 0, given = 0;
    for (int c = 0; c < k; ++c)
        n += counts[c];
    if (m >= n) {
        memcpy(sizes, counts, sizeof(int64_t) * (size_t)k);
        return;
    }
    for (int c = 0; c < k; ++c) { /* floor(m * n_c / n), exactly */
        sizes[c] = (int64_t)(((cvseg_i128)m * counts[c]) / n);
        given += sizes[c];
    }
    while (given < m) { /* largest remainder first, ties to the lower cluster */
        int best = -1;
        cvseg_i128 best_remainder = -1;
        for (int c = 0; c < k; ++c) {
            const cvseg_i128 remainder = ((cvseg_i128)m * counts[c]) % n;
            if (sizes[c] < counts[c] && remainder > best_remainder &&
                sizes[c] == (int64_t)(((cvseg_i128)m * counts[c]) / n)) {
                best = c;
                best_remainder = remainder;
            }
        }
        if (best < 0) /* every remainder used: give to the first cluster with room */
            for (int c = 0; c < k && best < 0; ++c)
                if (sizes[c] < counts[c])
                    best = c;
        sizes[best] += 1;
        given += 1;
    }
}

/* Sum of the distances of sample row i to rows [begin, end): row j goes to
 * partial sum (j - begin) mod 4, each in row order, then (s0 + s1) + (s2 + s3).
 * A distance is sqrt of sum over features in order of diff * diff (separate
 * multiply and add; sqrt is correctly rounded), so the AVX path, four rows
 * per step, gives the scalar path's bits. */
static double metrics_silhouette_block_sum(const double *x, int64_t m, int d, int64_t i,
                                           int64_t begin, int64_t end)
{
    double lane[4] = {0.0, 0.0, 0.0, 0.0};
    int64_t j = begin;
#if defined(__AVX__)
    __m256d sums = _mm256_setzero_pd();
    for (; j + 4 <= end; j += 4) {
        __m256d d2 = _mm256_setzero_pd();
        for (int f = 0; f < d; ++f) {
            const __m256d diff = _mm256_sub_pd(_mm256_loadu_pd(x + (int64_t)f * m + j),
                                               _mm256_set1_pd(x[(int64_t)f * m + i]));
            d2 = _mm256_add_pd(d2, _mm256_mul_pd(diff, diff));
        }
        sums = _mm256_add_pd(sums, _mm256_sqrt_pd(d2));
    }
    _mm256_storeu_pd(lane, sums);
#endif
    for (; j < end; ++j) {
        double d2 = 0.0;
        for (int f = 0; f < d; ++f) {
            const double diff = x[(int64_t)f * m + j] - x[(int64_t)f * m + i];
            d2 += diff * diff;
        }
        lane[(j - begin) & 3] += sqrt(d2);
    }
    return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

void cvseg_silhouette_values(const double *x, int64_t m, int d, int k, const int64_t *start,
                             int64_t i_begin, int64_t i_end, double *s)
{
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = i_begin; i < i_end; ++i) {
        int own = 0;
        while (own + 1 < k && start[own + 1] <= i)
            ++own;
        const int64_t own_size = start[own + 1] - start[own];
        double b = -1.0, a = 0.0;
        if (own_size > 1) {
            a = metrics_silhouette_block_sum(x, m, d, i, start[own], start[own + 1]) /
                (double)(own_size - 1);
            for (int c = 0; c < k; ++c) {
                const int64_t size = start[c + 1] - start[c];
                if (c == own || size == 0)
                    continue;
                const double mean =
                    metrics_silhouette_block_sum(x, m, d, i, start[c], start[c + 1]) / (double)size;
                b = b < 0.0 || mean < b ? mean : b;
            }
        }
        s[i - i_begin] = own_size > 1 ? metrics_silhouette_of(a, b) : 0.0;
    }
}

cvseg_i128 cvseg_unit_sum(const double *v, int64_t n)
{
    const double scale = cvseg_fixed_scale(cvseg_fixed_exponent(1.0));
    cvseg_i128 total = 0;
    for (int64_t i = 0; i < n; ++i)
        total += cvseg_fixed_term(v[i], scale);
    return total;
}
