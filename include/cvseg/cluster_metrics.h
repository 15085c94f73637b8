/* cluster_metrics.h: cluster-quality metrics from labels (pure C + OpenMP).
 *
 * Definitions are scikit-learn's (sklearn.metrics), on the standardised
 * features z and the labels of a K-Means run:
 *   inertia      W = sum_i ||x_i - mu_{l(i)}||^2, mu_c the mean of cluster c;
 *   Calinski-Harabasz  CH = [B / (k - 1)] / [W / (n - k)],
 *                B = sum_c n_c ||mu_c - mu||^2 (mu the grand mean); 1 when W = 0;
 *   Davies-Bouldin DB = mean_c max_{c' != c} (s_c + s_c') / ||mu_c - mu_c'||,
 *                s_c = mean distance of cluster c's members to mu_c
 *                (pairs with equal centres ignored; 0 when all s_c or all
 *                centre distances are 0);
 *   simplified silhouette: mean over members of (b - a) / max(a, b) with
 *                a = ||x - mu_own||, b = min over other clusters ||x - mu_c||
 *                (0 for members of a cluster of one, and where a = b = 0);
 *   silhouette (on a sample): sklearn.metrics.silhouette_score, with a and b
 *                the mean distances to the other members of the own cluster
 *                and of the nearest other cluster.
 *
 * Determinism: every sum that crosses members is an exact 128-bit fixed-point
 * integer (fixed.h), accumulated per thread and merged by integer addition;
 * every per-member value is one fixed expression of that member. So the
 * metrics are bit-identical for any split of the members over ranks or
 * threads. The partials merge by adding their `values` arrays (i128).
 *
 * Passes: (1) cvseg_cluster_sums: counts and coordinate sums -> means;
 * (2) cvseg_cluster_dispersion: within sums (squared and plain distances to
 * the means) and the simplified silhouette. Each pass's values are reduced
 * over ranks before the next step.
 */
#ifndef CVSEG_CLUSTER_METRICS_H
#define CVSEG_CLUSTER_METRICS_H

#include <stdint.h>

#include "cvseg/fixed.h"
#include "cvseg/status.h"

#define CVSEG_CLUSTER_METRICS_MAX_K 256
#define CVSEG_CLUSTER_METRICS_MAX_D 16

typedef struct {
    int k, d; /* k <= CVSEG_CLUSTER_METRICS_MAX_K, d <= CVSEG_CLUSTER_METRICS_MAX_D */
    int coordinate_exponent; /* terms of z */
    int square_exponent;     /* terms of ||x - mu||^2 */
    int distance_exponent;   /* terms of ||x - mu|| */
    int unit_exponent;       /* terms bounded by 1 (silhouette values) */
    /* values: one contiguous i128 array (merge by adding element-wise):
     *   [0, k)               counts
     *   [k, k + k*d)         coordinate sums, row-major [k][d]        (pass 1)
     *   then [k] sum of squared distances, [k] sum of distances, [1]
     *   sum of simplified silhouettes                                 (pass 2) */
    cvseg_i128 *values;
} cvseg_cluster_partial;

/* Length of the pass-1 block (values[0 .. pass1)) and of the pass-2 block
 * (values[pass1 .. pass1 + pass2)). */
int64_t cvseg_cluster_pass1_values(int k, int d);
int64_t cvseg_cluster_pass2_values(int k);

/* zmax: a global bound on |z| (identical on all ranks). Zeroed values. */
cvseg_status cvseg_cluster_partial_alloc(cvseg_cluster_partial *partial, int k, int d, double zmax);
void cvseg_cluster_partial_free(cvseg_cluster_partial *partial);
/* into.values += from.values (both blocks). */
void cvseg_cluster_partial_merge(cvseg_cluster_partial *into, const cvseg_cluster_partial *from);

/* Pass 1 over n local members: z [d][n] column-major, label [n] in 0..k-1.
 * Adds to partial (counts and sums). OpenMP inside. */
void cvseg_cluster_sums(const double *z, int64_t n, int d, const int32_t *label,
                        cvseg_cluster_partial *partial);

/* From the merged pass-1 block: means [k][d] (cluster means, 0 for empty
 * clusters) and grand [d] (the mean of all members). */
void cvseg_cluster_means(const cvseg_cluster_partial *partial, double *means, double *grand);

/* Pass 2: adds the within sums and simplified silhouettes of the n local
 * members against means [k][d]. OpenMP inside. */
void cvseg_cluster_dispersion(const double *z, int64_t n, int d, const int32_t *label,
                              const double *means, cvseg_cluster_partial *partial);

typedef struct {
    int64_t members;
    int clusters; /* non-empty clusters */
    double inertia, calinski_harabasz, davies_bouldin, silhouette_simplified;
} cvseg_cluster_metrics;

/* The metrics from both merged blocks, means and grand from
 * cvseg_cluster_means. CH and DB are NaN with fewer than 2 non-empty
 * clusters or (CH) n <= k. */
void cvseg_cluster_metrics_finish(const cvseg_cluster_partial *partial, const double *means,
                                  const double *grand, cvseg_cluster_metrics *metrics);

/* --- silhouette on a sample -------------------------------------------- */

/* Splits a sample of m members over the clusters in proportion to counts [k]
 * (largest remainders, ties to the lower cluster; never more than a
 * cluster's count): sizes [k] sums to min(m, sum counts). */
void cvseg_silhouette_sample_sizes(const int64_t *counts, int k, int64_t m, int64_t *sizes);

/* Silhouette values s [i_end - i_begin] of sample points i_begin..i_end-1.
 * x [d][m] column-major, the whole sample, ordered so that cluster c
 * occupies rows [start[c], start[c + 1]) (start [k + 1]). Each s_i is one
 * fixed expression of the sample (distances summed in row order, four
 * interleaved partial sums per cluster), independent of the range split.
 * OpenMP inside. */
void cvseg_silhouette_values(const double *x, int64_t m, int d, int k, const int64_t *start,
                             int64_t i_begin, int64_t i_end, double *s);

/* Exact fixed-point sum of n values bounded by |v| <= 1 (exponent 61). */
cvseg_i128 cvseg_unit_sum(const double *v, int64_t n);

#endif
