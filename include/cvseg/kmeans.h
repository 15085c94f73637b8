/* kmeans.h: K-Means kernels over one rank's rows (pure C + OpenMP).
 *
 * Data layout: z is column-major (structure of arrays): z[j * n + i] is
 * feature j of local row i, standardised. Centres are row-major [k][d].
 *
 * Determinism: the squared distance of a point to a centre is always computed
 * by the same expression (sum over j = 0..d-1 in order of (z - c)^2, no FMA
 * contraction), so it does not depend on which rank or thread computes it.
 * Every sum that crosses points (centroid sums, inertia, k-means++
 * potentials) is an exact fixed-point integer (fixed.h), so partials merge
 * to the same bits in any order. Ties in the nearest centre go to the lowest
 * centre index (as numpy's argmin).
 */
#ifndef CVSEG_KMEANS_H
#define CVSEG_KMEANS_H

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

/* zmax: global max |z_ij|; d: dimensions. Centres stay in the convex hull of the
 * data, so a squared distance is at most d * (2 zmax)^2. */
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

/* Squared Euclidean distance of local row i to centre c (the one expression). */
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

/* One assignment step: label[i] = nearest centre; adds each row to the
 * partial (sum, count, inertia, changed vs the label held before).
 * distance: [n] or NULL, receives the squared distance to the chosen centre.
 * z: [d][n], centres: [k][d], label: [n] in/out (-1 = none yet).
 * partial must be zeroed by the caller (it is added to). OpenMP inside. */
void cvseg_kmeans_assign(const double *z, int64_t n, int d, const double *centres, int k,
                         const cvseg_kmeans_exponents *exponents, int32_t *label, double *distance,
                         cvseg_kmeans_partial *partial);

/* New centres from merged sums: centre = sum / count; an empty cluster keeps
 * its old centre (the caller repairs it first). Returns the total squared
 * centre shift (sum over k, d of (new - old)^2). centres: [k][d] in/out. */
double cvseg_kmeans_update(const cvseg_kmeans_partial *global, const cvseg_kmeans_exponents *e,
                           double *centres);

/* --- seeding helpers --------------------------------------------------- */

/* min_d2[i] = min(min_d2[i], ||z_i - centre||^2); returns the fixed-point
 * sum of the updated min_d2 over the rows (exponent e.distance).
 * min_d2 [n] in/out (start with +inf). */
cvseg_i128 cvseg_kmeans_min_update(const double *z, int64_t n, int d, const double *centre,
                                   const cvseg_kmeans_exponents *e, double *min_d2);

/* Fixed-point potential if `centre` were added: sum_i min(min_d2[i], d2(i)). */
cvseg_i128 cvseg_kmeans_trial_potential(const double *z, int64_t n, int d, const double *centre,
                                        const cvseg_kmeans_exponents *e, const double *min_d2);

/* Local row where the running fixed-point sum of min_d2 first exceeds target
 * (target counted from this rank's start, 0 <= target < local total).
 * Returns -1 when target >= the local total. Scans in row order. */
int64_t cvseg_kmeans_pick_by_weight(const double *min_d2, int64_t n,
                                    const cvseg_kmeans_exponents *e, cvseg_i128 target);

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

#endif
