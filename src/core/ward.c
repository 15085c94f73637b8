/* ward.c: exact Ward agglomeration (see ward.h). */
#include "cvseg/ward.h"

#include <math.h>
#include <string.h>

/* Ward cost of merging two groups. */
static double ward_cost(const double *ca, double wa, const double *cb, double wb, int d)
{
    double d2 = 0.0;
    for (int j = 0; j < d; ++j) {
        const double diff = ca[j] - cb[j];
        d2 += diff * diff;
    }
    return wa * wb / (wa + wb) * d2;
}

cvseg_status cvseg_ward(const double *points, const double *weights, int m, int d,
                        cvseg_ward_merge *merges)
{
    double ward_centre[CVSEG_WARD_MAX_POINTS][CVSEG_WARD_MAX_D];
    double weight[CVSEG_WARD_MAX_POINTS];
    int active[CVSEG_WARD_MAX_POINTS];
    if (m < 1 || m > CVSEG_WARD_MAX_POINTS || d < 1 || d > CVSEG_WARD_MAX_D)
        return CVSEG_FAIL(CVSEG_EUSAGE, "ward: %d points of %d dimensions out of range", m, d);
    for (int p = 0; p < m; ++p) {
        if (!(weights[p] > 0.0))
            return CVSEG_FAIL(CVSEG_EUSAGE, "ward: weight %d is not positive", p);
        memcpy(ward_centre[p], points + (size_t)p * d, sizeof(double) * (size_t)d);
        weight[p] = weights[p];
        active[p] = 1;
    }
    for (int step = 0; step < m - 1; ++step) {
        int best_a = -1, best_b = -1;
        double best = INFINITY;
        for (int a = 0; a < m; ++a)
            for (int b = a + 1; b < m && active[a]; ++b) {
                if (!active[b])
                    continue;
                const double cost =
                    ward_cost(ward_centre[a], weight[a], ward_centre[b], weight[b], d);
                if (cost < best || best_a < 0) {
                    best = cost;
                    best_a = a;
                    best_b = b;
                }
            }
        const double w = weight[best_a] + weight[best_b];
        for (int j = 0; j < d; ++j)
            ward_centre[best_a][j] = (weight[best_a] * ward_centre[best_a][j] +
                                      weight[best_b] * ward_centre[best_b][j]) /
                                     w;
        weight[best_a] = w;
        active[best_b] = 0;
        merges[step].a = best_a;
        merges[step].b = best_b;
        merges[step].cost = best;
    }
    return CVSEG_OK;
}

void cvseg_ward_cut(const double *points, const double *weights, int m, int d,
                    const cvseg_ward_merge *merges, int k, int *group, double *centres,
                    double *weight)
{
    int owner[CVSEG_WARD_MAX_POINTS], number[CVSEG_WARD_MAX_POINTS];
    for (int p = 0; p < m; ++p)
        owner[p] = p;
    for (int step = 0; step < m - k; ++step) /* b's points join a */
        for (int p = 0; p < m; ++p)
            if (owner[p] == merges[step].b)
                owner[p] = merges[step].a;
    int groups = 0;
    for (int p = 0; p < m; ++p)
        number[p] = owner[p] == p ? groups++ : -1;
    memset(centres, 0, sizeof(double) * (size_t)k * (size_t)d);
    memset(weight, 0, sizeof(double) * (size_t)k);
    for (int p = 0; p < m; ++p) {
        const int g = number[owner[p]];
        group[p] = g;
        weight[g] += weights[p];
        for (int j = 0; j < d; ++j)
            centres[(size_t)g * d + j] += weights[p] * points[(size_t)p * d + j];
    }
    for (int g = 0; g < k; ++g)
        for (int j = 0; j < d; ++j)
            centres[(size_t)g * d + j] /= weight[g];
}

int cvseg_ward_choose_k(const cvseg_ward_merge *merges, int m, int k_max, double *ratio)
{
    /* cost(k -> k-1) is the merge of step m - k. */
    int best_k = 1;
    double best = -1.0;
    for (int k = 0; k <= m; ++k)
        ratio[k] = 0.0;
    const int top = k_max < m - 1 ? k_max : m - 1;
    for (int k = 2; k <= top; ++k) {
        const double above = merges[m - k].cost, below = merges[m - k - 1].cost;
        ratio[k] = below > 0.0 ? above / below : above > 0.0 ? INFINITY : 1.0;
        if (ratio[k] > best) {
            best = ratio[k];
            best_k = k;
        }
    }
    return best_k;
}

/* Euclidean distance of points p and q [d]. */
static double ward_distance(const double *p, const double *q, int d)
{
    double d2 = 0.0;
    for (int j = 0; j < d; ++j) {
        const double diff = p[j] - q[j];
        d2 += diff * diff;
    }
    return sqrt(d2);
}

/* Silhouette of point p: weighted distance sums to every group (in point
 * order), then a, b and s as ward.h states. */
static double ward_point_silhouette(const double *points, const double *weights, int m, int d,
                                    const int *group, int k, int p)
{
    double sum[CVSEG_WARD_MAX_POINTS] = {0}, total[CVSEG_WARD_MAX_POINTS] = {0};
    for (int q = 0; q < m; ++q) {
        total[group[q]] += weights[q];
        if (q != p)
            sum[group[q]] +=
                weights[q] * ward_distance(points + (size_t)p * d, points + (size_t)q * d, d);
    }
    const int g = group[p];
    if (!(total[g] > 1.0))
        return 0.0;
    const double a = sum[g] / (total[g] - 1.0);
    double b = INFINITY;
    for (int h = 0; h < k; ++h)
        if (h != g && sum[h] / total[h] < b)
            b = sum[h] / total[h];
    const double larger = a > b ? a : b;
    return larger > 0.0 ? (b - a) / larger : 0.0;
}

double cvseg_ward_silhouette(const double *points, const double *weights, int m, int d,
                             const int *group, int k)
{
    double weighted = 0.0, total = 0.0;
    for (int p = 0; p < m; ++p) {
        weighted += weights[p] * ward_point_silhouette(points, weights, m, d, group, k, p);
        total += weights[p];
    }
    return weighted / total;
}

int cvseg_ward_choose_k_silhouette(const double *points, const double *weights, int m, int d,
                                   const cvseg_ward_merge *merges, int k_max, double tolerance,
                                   double *silhouette)
{
    double centres[CVSEG_WARD_MAX_POINTS * CVSEG_WARD_MAX_D], weight[CVSEG_WARD_MAX_POINTS];
    int group[CVSEG_WARD_MAX_POINTS], chosen = 1;
    double best = -INFINITY;
    for (int k = 0; k <= m; ++k)
        silhouette[k] = 0.0;
    const int top = k_max < m ? k_max : m;
    for (int k = 2; k <= top; ++k) {
        cvseg_ward_cut(points, weights, m, d, merges, k, group, centres, weight);
        silhouette[k] = cvseg_ward_silhouette(points, weights, m, d, group, k);
        if (silhouette[k] > best)
            best = silhouette[k];
    }
    for (int k = 2; k <= top; ++k)
        if (silhouette[k] >= best - tolerance)
            chosen = k;
    return chosen;
}
