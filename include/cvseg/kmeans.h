/* kmeans.h: K-Means kernels over one rank's rows (pure C + OpenMP).
 *
 * Data layout: z is column-major (structure of arrays): z[j * n + i] is
 * feature j of local row i, standardised. Centres are row-major [k][d].
 *
 * Assignment: a row x goes to the centre c with the lowest score
 *   score(x, c) = ||c||^2 - 2 x.c
 * (the expansion of ||x - c||^2 without the ||x||^2 every centre shares, as
 * scikit-learn's Lloyd also uses), evaluated by one fixed expression:
 * ||c||^2 = sum over j = 0..d-1 in order of c_j * c_j, then
 * score = fma(x_j, -2 c_j, score) for j = 0..d-1 (cvseg_kmeans_score). Ties go
 * to the lowest centre index (as numpy's argmin). The squared distance of the
 * row to its centre is d2 = max(0, ||x||^2 + score) with ||x||^2 =
 * fma(x_j, x_j, .) from x_0 * x_0 (cvseg_kmeans_distance2); it differs from
 * sum (x_j - c_j)^2 by rounding only (a few ulps of ||x||^2 + ||c||^2).
 *
 * Determinism: every per-row value above is one expression of that row and
 * the centres (fused multiply-adds are exact-rounded, so the vector and scalar
 * paths give the same bits), so it does not depend on which rank or thread
 * computes it. Every sum that crosses rows (centroid sums, counts, inertia,
 * k-means++ potentials) is an exact fixed-point integer (fixed.h) with terms
 * of at most 2^43 units, so partials merge to the same bits in any order. The
 * inertia adds each d2 rounded to the nearest unit (2^-43 of the bound on d2),
 * so its error is below n/2 units and typically about sqrt(n) / 2.
 */
#ifndef CVSEG_KMEANS_H
#define CVSEG_KMEANS_H

#include <math.h>
#include <stdint.h>

#include "cvseg/fixed.h"
#include "cvseg/status.h"

#define CVSEG_KMEANS_MAX_K 256
#define CVSEG_KMEANS_MAX_D 32

/* Fixed-point exponents used by one K-Means run; identical on all ranks,
 * derived from the global bound on |z| (cvseg_kmeans_exponents). */
typedef struct {
    int coordinate; /* for sums of z */
    int distance;   /* for sums of squared distances */
} cvseg_kmeans_exponents;

/* zmax: global max |z_ij| (and |centre_cj| of given centres); d: dimensions.
 * Centres stay in the convex hull of the data, so a squared distance is at
 * most d * (2 zmax)^2. Each exponent makes a term at its bound below 2^43:
 * the truncation error of one term is below 2^-43 of that bound. */
cvseg_kmeans_exponents cvseg_kmeans_exponents_for(double zmax, int d);

/* Mergeable partial of one Lloyd step. */
typedef struct {
    int k, d;
    cvseg_i128 *sum;    /* [k][d] fixed-point sums of members' z */
    int64_t *count;     /* [k] members per cluster */
    cvseg_i128 inertia; /* fixed-point sum of squared distances */
    int64_t changed;    /* members whose label changed */
} cvseg_kmeans_partial;

cvseg_status cvseg_kmeans_partial_alloc(cvseg_kmeans_partial *partial, int k, int d);
void cvseg_kmeans_partial_free(cvseg_kmeans_partial *partial);
void cvseg_kmeans_partial_zero(cvseg_kmeans_partial *partial);
void cvseg_kmeans_partial_merge(cvseg_kmeans_partial *into, const cvseg_kmeans_partial *from);
/* Packs into / unpacks from k + k*d + 2 128-bit values (counts, sums,
 * inertia, changed) for one MPI reduction. */
int64_t cvseg_kmeans_partial_values(int k, int d);
void cvseg_kmeans_partial_pack(const cvseg_kmeans_partial *partial, cvseg_i128 *values);
void cvseg_kmeans_partial_unpack(cvseg_kmeans_partial *partial, const cvseg_i128 *values);

/* Squared Euclidean distance of local row i to centre c by differences,
 * sum over j in order of (z - c)^2: the seeding helpers use it. */
static inline double cvseg_sqdist(const double *z, int64_t n, int64_t i, const double *centre,
                                  int d)
{
    double acc = 0.0;
    for (int j = 0; j < d; ++j) {
        const double diff = z[(int64_t)j * n + i] - centre[j];
        acc += diff * diff;
    }
    return acc;
}

/* ||c||^2 of one centre [d], the first term of its score. */
static inline double cvseg_kmeans_centre_norm2(const double *centre, int d)
{
    double acc = 0.0;
    for (int j = 0; j < d; ++j)
        acc += centre[j] * centre[j];
    return acc;
}

/* ||x||^2 of local row i. */
static inline double cvseg_kmeans_norm2(const double *z, int64_t n, int64_t i, int d)
{
    double acc = z[i] * z[i];
    for (int j = 1; j < d; ++j)
        acc = fma(z[(int64_t)j * n + i], z[(int64_t)j * n + i], acc);
    return acc;
}

/* Assignment score of local row i against a centre [d] with ||c||^2 = norm2. */
static inline double cvseg_kmeans_score(const double *z, int64_t n, int64_t i, const double *centre,
                                        double norm2, int d)
{
    double acc = norm2;
    for (int j = 0; j < d; ++j)
        acc = fma(z[(int64_t)j * n + i], -2.0 * centre[j], acc);
    return acc;
}

/* Squared distance of local row i to a centre [d], as the assignment reports it. */
static inline double cvseg_kmeans_distance2(const double *z, int64_t n, int64_t i,
                                            const double *centre, int d)
{
    const double d2 = cvseg_kmeans_norm2(z, n, i, d) +
                      cvseg_kmeans_score(z, n, i, centre, cvseg_kmeans_centre_norm2(centre, d), d);
    return d2 > 0.0 ? d2 : 0.0;
}

/* Rounds every z toward zero to a multiple of 2^-e.coordinate (a change of
 * less than 2^-43 of the bound zmax). The Lloyd step adds coordinates as
 * plain doubles, exactly, only for z on this grid. z: [d][n] in/out. */
void cvseg_kmeans_quantize(double *z, int64_t n, int d, const cvseg_kmeans_exponents *e);

/* One assignment step: label[i] = nearest centre; adds each row to the
 * partial (sum, count, inertia, changed vs the label held before).
 * z must be on the grid of cvseg_kmeans_quantize for these exponents; the
 * partial is then exact and independent of how rows are split.
 * distance: [n] or NULL, receives the squared distance to the chosen centre.
 * z: [d][n], centres: [k][d], label: [n] in/out (-1 = none yet).
 * partial must be zeroed by the caller (it is added to). OpenMP inside.
 * Any k >= 1 (not only CVSEG_KMEANS_MAX_K: k-means|| weighs thousands of
 * candidates with it); all scratch is allocated before the parallel region.
 * Returns CVSEG_ENOMEM (nothing assigned, partial untouched) when it cannot. */
cvseg_status cvseg_kmeans_assign(const double *z, int64_t n, int d, const double *centres, int k,
                                 const cvseg_kmeans_exponents *exponents, int32_t *label,
                                 double *distance, cvseg_kmeans_partial *partial);

/* distance[i] = cvseg_kmeans_distance2 of row i to centre label[i]: the same
 * bits as the assignment that produced label. OpenMP inside. */
void cvseg_kmeans_label_distances(const double *z, int64_t n, int d, const double *centres,
                                  const int32_t *label, double *distance);

/* New centres from merged sums: centre = sum / count; an empty cluster keeps
 * its old centre (the caller repairs it first). Returns the total squared
 * centre shift (sum over k, d of (new - old)^2). centres: [k][d] in/out. */
double cvseg_kmeans_update(const cvseg_kmeans_partial *global, const cvseg_kmeans_exponents *e,
                           double *centres);

/* --- seeding helpers --------------------------------------------------- */

/* The seeding sums: a row's term is trunc(min_d2 * 2^e.distance); sums run
 * over blocks of CVSEG_KMEANS_SEED_BLOCK local rows. */
#define CVSEG_KMEANS_SEED_BLOCK 1024
#define CVSEG_KMEANS_MAX_TRIALS 16

/* Blocks of n rows (at least 1, so arrays of this size are never empty). */
static inline int64_t cvseg_kmeans_seed_blocks(int64_t n)
{
    return n > 0 ? (n + CVSEG_KMEANS_SEED_BLOCK - 1) / CVSEG_KMEANS_SEED_BLOCK : 1;
}

/* min_d2[i] = min(min_d2[i], min over the m centres of cvseg_sqdist); returns
 * the fixed-point sum of the updated min_d2 over the rows, and when
 * block_sums [cvseg_kmeans_seed_blocks(n)] is not NULL the sum of each block.
 * centres [m][d] (m >= 1), min_d2 [n] in/out (start with +inf). One pass. */
cvseg_i128 cvseg_kmeans_min_update(const double *z, int64_t n, int d, const double *centres, int m,
                                   const cvseg_kmeans_exponents *e, double *min_d2,
                                   int64_t *block_sums);

/* potential[t] = fixed-point sum over rows of min(min_d2[i], cvseg_sqdist to
 * candidate t), for t < trials <= CVSEG_KMEANS_MAX_TRIALS: the potential if
 * that candidate were added. candidates [trials][d]. One pass over z. */
void cvseg_kmeans_trial_potentials(const double *z, int64_t n, int d, const double *candidates,
                                   int trials, const cvseg_kmeans_exponents *e,
                                   const double *min_d2, cvseg_i128 *potential);

/* Local row where the running fixed-point sum of min_d2 first exceeds target
 * (target counted from this rank's start, 0 <= target < local total).
 * Returns -1 when target >= the local total. Scans in row order; block_sums
 * from the min_update that produced min_d2 (or NULL) skip whole blocks. */
int64_t cvseg_kmeans_pick_by_weight(const double *min_d2, int64_t n,
                                    const cvseg_kmeans_exponents *e, const int64_t *block_sums,
                                    cvseg_i128 target);

/* Weighted greedy k-means++ on a small candidate set held by every rank (the
 * last step of k-means||). candidates [m][d], weight [m]; picks k centres into
 * centres [k][d]. Deterministic from (seed, stream). trials: local trials per
 * pick (0 = 2 + floor(ln k)). */
cvseg_status cvseg_kmeans_weighted_plusplus(const double *candidates, const double *weight,
                                            int64_t m, int d, int k, uint64_t seed, uint64_t stream,
                                            int trials, double *centres);

/* Order of clusters: by descending value score (sum of orientation[j] *
 * centre[j]), then descending size, then old index. order[new] = old. */
void cvseg_kmeans_order(const double *centres, const int64_t *count, int k, int d,
                        const double *orientation, int *order);

/* --- distinct rows ----------------------------------------------------- */

/* A set of up to `limit` distinct rows of d doubles (equal by value: -0.0
 * equals 0.0), in the order first added. K-Means needs at least k distinct
 * rows: counting them only up to k keeps the check cheap (typically the
 * first k rows are distinct). Merge per-rank sets by adding their rows in
 * rank order: if the merged count is below the limit it is the exact number
 * of distinct rows over all ranks. */
typedef struct {
    int d, limit;
    int64_t count;    /* rows held, <= limit */
    double *rows;     /* [limit][d] */
    int64_t *slot;    /* [capacity] index into rows or -1 */
    int64_t capacity; /* power of two, > 2 * limit */
} cvseg_distinct_set;

/* CVSEG_ENOMEM when the set cannot be allocated; 1 <= d <= CVSEG_KMEANS_MAX_D,
 * limit >= 1 (else CVSEG_EINTERNAL). */
cvseg_status cvseg_distinct_init(cvseg_distinct_set *set, int d, int limit);
void cvseg_distinct_free(cvseg_distinct_set *set);
/* Adds row x [d] unless held or the set is full. */
void cvseg_distinct_add(cvseg_distinct_set *set, const double *x);
/* Adds the rows of column-major z [d][n] in row order, stopping once full. */
void cvseg_distinct_add_columns(cvseg_distinct_set *set, const double *z, int64_t n);

#endif
