/* ward.h: exact Ward agglomeration of weighted points (pure C), for the
 * two-step clustering of `train --two-step`: K-Means pre-clusters (their
 * centres weighted by their sizes) are merged by Ward's criterion.
 *
 * Merging groups A and B raises the within sum of squares by
 *   cost = w_A w_B / (w_A + w_B) * ||c_A - c_B||^2
 * (c the weighted centroids, w the weights); with weights equal to the
 * members of each pre-cluster this is exactly the increase of the members'
 * within sum of squares, so the agglomeration is Ward's on the members with
 * the pre-clusters as atoms. Each step merges the pair of lowest cost (ties:
 * the lexicographically smallest pair of group ids); a group's id is the
 * smallest point index in it. Deterministic: the same input gives the same
 * bits on every rank.
 */
#ifndef CVSEG_WARD_H
#define CVSEG_WARD_H

#include "cvseg/status.h"

#define CVSEG_WARD_MAX_POINTS 512
#define CVSEG_WARD_MAX_D      32

typedef struct {
    int a, b;    /* group ids merged (a < b; b disappears into a) */
    double cost; /* increase of the within sum of squares */
} cvseg_ward_merge;

/* points [m][d], weights [m] (> 0); merges [m - 1] in merge order.
 * EUSAGE when m or d is out of range or a weight is not positive. */
cvseg_status cvseg_ward(const double *points, const double *weights, int m, int d,
                        cvseg_ward_merge *merges);

/* The k groups left after the first m - k merges: group [m] in 0..k-1
 * (numbered by smallest point index), centres [k][d] (weighted means) and
 * weight [k]. 1 <= k <= m. */
void cvseg_ward_cut(const double *points, const double *weights, int m, int d,
                    const cvseg_ward_merge *merges, int k, int *group, double *centres,
                    double *weight);

/* Distance-ratio rule: the k in 2..min(k_max, m - 1) with the largest
 * ratio cost(k -> k-1) / cost(k+1 -> k) of consecutive merge costs (ties: the
 * smallest k; a zero denominator counts as an infinite ratio when the
 * numerator is positive, as 1 when both are zero). ratio [m + 1] receives
 * R(k) at index k (0 elsewhere). Returns 1 when m < 3 or k_max < 2. */
int cvseg_ward_choose_k(const cvseg_ward_merge *merges, int m, int k_max, double *ratio);

/* Mean silhouette (Rousseeuw 1987) of the members when every member sits at
 * its point: points [m][d], weights [m] (member counts, >= 1), group [m] in
 * 0..k-1. Equal to sklearn.metrics.silhouette_score on the data set that
 * repeats point p weights[p] times: for point p in group g with Dpq the
 * Euclidean distance of points p and q, a = sum_{q in g} w_q Dpq / (W_g - 1),
 * b = min over other groups h of sum_{q in h} w_q Dpq / W_h, s = (b - a) /
 * max(a, b) (0 when W_g = 1 or a = b = 0); the result is sum w_p s_p / sum w_p.
 * 2 <= k <= m; every group non-empty. Sums in point order (deterministic). */
double cvseg_ward_silhouette(const double *points, const double *weights, int m, int d,
                             const int *group, int k);

/* Tolerance of the silhouette rule of `train --two-step`. */
#define CVSEG_WARD_SILHOUETTE_TOLERANCE 0.01

/* Silhouette rule (the k of `train --two-step`): with S(k) the
 * cvseg_ward_silhouette of the Ward cut into k groups (cvseg_ward_cut), k in
 * 2..min(k_max, m), the largest k with S(k) >= max S - tolerance (tolerance
 * 0: the k of the largest S, ties to the largest k). silhouette [m + 1]
 * receives S(k) at index k (0 elsewhere). Returns 1 when m < 2 or k_max < 2. */
int cvseg_ward_choose_k_silhouette(const double *points, const double *weights, int m, int d,
                                   const cvseg_ward_merge *merges, int k_max, double tolerance,
                                   double *silhouette);

#endif
