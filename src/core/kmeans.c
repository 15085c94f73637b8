/* kmeans.c: Lloyd assignment and update, seeding helpers, cluster order. */
#include "cvseg/kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/rng.h"

/* Points per block in the assignment kernel: the block's running best
 * distances and labels stay in L1 while every centre is tried. */
#define ASSIGN_BLOCK 256

cvseg_kmeans_exponents cvseg_kmeans_exponents_for(double zmax, int d)
{
    cvseg_kmeans_exponents e;
    e.coordinate = cvseg_fixed_exponent(zmax);
    const double bound = (double)d * 4.0 * zmax * zmax * (1.0 + 0x1p-40);
    e.distance = cvseg_fixed_exponent(bound);
    return e;
}

cvseg_status cvseg_kmeans_partial_alloc(cvseg_kmeans_partial *partial, int k, int d)
{
    cvseg_status status = CVSEG_OK;
    memset(partial, 0, sizeof *partial);
    partial->k = k;
    partial->d = d;
    partial->sum = calloc((size_t)k * (size_t)d, sizeof(cvseg_i128));
    partial->count = calloc((size_t)k, sizeof(int64_t));
    if (!partial->sum || !partial->count) {
        cvseg_kmeans_partial_free(partial);
        status =
            CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for K-Means partial sums (k=%d, d=%d)", k, d);
    }
    return status;
}

void cvseg_kmeans_partial_free(cvseg_kmeans_partial *partial)
{
    free(partial->sum);
    free(partial->count);
    partial->sum = NULL;
    partial->count = NULL;
}

void cvseg_kmeans_partial_zero(cvseg_kmeans_partial *partial)
{
    memset(partial->sum, 0, sizeof(cvseg_i128) * (size_t)partial->k * (size_t)partial->d);
    memset(partial->count, 0, sizeof(int64_t) * (size_t)partial->k);
    partial->inertia = 0;
    partial->changed = 0;
}

void cvseg_kmeans_partial_merge(cvseg_kmeans_partial *into, const cvseg_kmeans_partial *from)
{
    const int64_t kd = (int64_t)into->k * into->d;
    for (int64_t t = 0; t < kd; ++t)
        into->sum[t] += from->sum[t];
    for (int c = 0; c < into->k; ++c)
        into->count[c] += from->count[c];
    into->inertia += from->inertia;
    into->changed += from->changed;
}

int64_t cvseg_kmeans_partial_values(int k, int d)
{
    return (int64_t)k + (int64_t)k * d + 2;
}

void cvseg_kmeans_partial_pack(const cvseg_kmeans_partial *partial, cvseg_i128 *values)
{
    const int64_t kd = (int64_t)partial->k * partial->d;
    int64_t v = 0;
    for (int c = 0; c < partial->k; ++c)
        values[v++] = partial->count[c];
    for (int64_t t = 0; t < kd; ++t)
        values[v++] = partial->sum[t];
    values[v++] = partial->inertia;
    values[v] = partial->changed;
}

void cvseg_kmeans_partial_unpack(cvseg_kmeans_partial *partial, const cvseg_i128 *values)
{
    const int64_t kd = (int64_t)partial->k * partial->d;
    int64_t v = 0;
    for (int c = 0; c < partial->k; ++c)
        partial->count[c] = (int64_t)values[v++];
    for (int64_t t = 0; t < kd; ++t)
        partial->sum[t] = values[v++];
    partial->inertia = values[v++];
    partial->changed = (int64_t)values[v];
}

/* Nearest centre for rows [start, start + count) of a block. */
static void nearest_in_block(const double *z, int64_t n, int d, const double *centres, int k,
                             int64_t start, int count, double *best, int32_t *best_label)
{
    double acc[ASSIGN_BLOCK];
    for (int i = 0; i < count; ++i) {
        best[i] = INFINITY;
        best_label[i] = 0;
    }
    for (int c = 0; c < k; ++c) {
        const double *centre = centres + (int64_t)c * d;
        for (int i = 0; i < count; ++i)
            acc[i] = 0.0;
        for (int j = 0; j < d; ++j) {
            const double cj = centre[j];
            const double *zj = z + (int64_t)j * n + start;
            for (int i = 0; i < count; ++i) {
                const double diff = zj[i] - cj;
                acc[i] += diff * diff;
            }
        }
        /* Branch-free select written arithmetically (no masked stores). */
        for (int i = 0; i < count; ++i) {
            const int32_t better = acc[i] < best[i];
            best[i] = better ? acc[i] : best[i];
            best_label[i] += better * (c - best_label[i]);
        }
    }
}

void cvseg_kmeans_assign(const double *z, int64_t n, int d, const double *centres, int k,
                         const cvseg_kmeans_exponents *exponents, int32_t *label, double *distance,
                         cvseg_kmeans_partial *partial)
{
    const double coordinate_scale = cvseg_fixed_scale(exponents->coordinate);
    const double distance_scale = cvseg_fixed_scale(exponents->distance);
    const int64_t blocks = (n + ASSIGN_BLOCK - 1) / ASSIGN_BLOCK;
#pragma omp parallel
    {
        cvseg_i128 *sum = calloc((size_t)k * (size_t)d, sizeof(cvseg_i128));
        int64_t *count = calloc((size_t)k, sizeof(int64_t));
        cvseg_i128 inertia = 0;
        int64_t changed = 0;
        double best[ASSIGN_BLOCK];
        int32_t best_label[ASSIGN_BLOCK];
        /* Allocation failure of a few KB is not survivable in a sensible way;
         * a thread without buffers leaves the loop to the others. */
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            if (!sum || !count)
                continue;
            const int64_t start = b * ASSIGN_BLOCK;
            const int rows = (int)(n - start < ASSIGN_BLOCK ? n - start : ASSIGN_BLOCK);
            nearest_in_block(z, n, d, centres, k, start, rows, best, best_label);
            for (int i = 0; i < rows; ++i) {
                const int64_t row = start + i;
                const int32_t c = best_label[i];
                count[c] += 1;
                cvseg_i128 *sum_c = sum + (int64_t)c * d;
                for (int j = 0; j < d; ++j)
                    sum_c[j] += cvseg_fixed_term(z[(int64_t)j * n + row], coordinate_scale);
                inertia += cvseg_fixed_term(best[i], distance_scale);
                changed += label[row] != c;
                label[row] = c;
                if (distance)
                    distance[row] = best[i];
            }
        }
#pragma omp critical(cvseg_kmeans_assign)
        if (sum && count) {
            for (int64_t t = 0; t < (int64_t)k * d; ++t)
                partial->sum[t] += sum[t];
            for (int c = 0; c < k; ++c)
                partial->count[c] += count[c];
            partial->inertia += inertia;
            partial->changed += changed;
        }
        free(sum);
        free(count);
    }
}

double cvseg_kmeans_update(const cvseg_kmeans_partial *global, const cvseg_kmeans_exponents *e,
                           double *centres)
{
    double shift = 0.0;
    for (int c = 0; c < global->k; ++c) {
        if (global->count[c] == 0)
            continue;
        for (int j = 0; j < global->d; ++j) {
            const int64_t t = (int64_t)c * global->d + j;
            const double updated =
                cvseg_fixed_to_double(global->sum[t], e->coordinate) / (double)global->count[c];
            const double moved = updated - centres[t];
            shift += moved * moved;
            centres[t] = updated;
        }
    }
    return shift;
}

cvseg_i128 cvseg_kmeans_min_update(const double *z, int64_t n, int d, const double *centre,
                                   const cvseg_kmeans_exponents *e, double *min_d2)
{
    const double scale = cvseg_fixed_scale(e->distance);
    cvseg_i128 total = 0;
#pragma omp parallel
    {
        cvseg_i128 mine = 0;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            const double d2 = cvseg_sqdist(z, n, i, centre, d);
            if (d2 < min_d2[i])
                min_d2[i] = d2;
            mine += cvseg_fixed_term(min_d2[i], scale);
        }
#pragma omp critical(cvseg_kmeans_min_update)
        total += mine;
    }
    return total;
}

cvseg_i128 cvseg_kmeans_trial_potential(const double *z, int64_t n, int d, const double *centre,
                                        const cvseg_kmeans_exponents *e, const double *min_d2)
{
    const double scale = cvseg_fixed_scale(e->distance);
    cvseg_i128 total = 0;
#pragma omp parallel
    {
        cvseg_i128 mine = 0;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            const double d2 = cvseg_sqdist(z, n, i, centre, d);
            mine += cvseg_fixed_term(d2 < min_d2[i] ? d2 : min_d2[i], scale);
        }
#pragma omp critical(cvseg_kmeans_trial_potential)
        total += mine;
    }
    return total;
}

int64_t cvseg_kmeans_pick_by_weight(const double *min_d2, int64_t n,
                                    const cvseg_kmeans_exponents *e, cvseg_i128 target)
{
    const double scale = cvseg_fixed_scale(e->distance);
    cvseg_i128 running = 0;
    int64_t picked = -1;
    for (int64_t i = 0; i < n && picked < 0; ++i) {
        running += cvseg_fixed_term(min_d2[i], scale);
        if (running > target)
            picked = i;
    }
    return picked;
}

cvseg_status cvseg_kmeans_weighted_plusplus(const double *candidates, const double *weight,
                                            int64_t m, int d, int k, uint64_t seed, uint64_t stream,
                                            int trials, double *centres)
{
    cvseg_status status = CVSEG_OK;
    double *min_d2 = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
    double *trial_d2 = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
    uint64_t draw = 0;
    if (!min_d2 || !trial_d2) {
        status =
            CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld seeding candidates", (long long)m);
        goto done;
    }
    if (m < k) {
        status = CVSEG_FAIL(CVSEG_EDATA, "only %lld distinct seeding candidates for k = %d",
                            (long long)m, k);
        goto done;
    }
    if (trials <= 0)
        trials = 2 + (int)floor(log((double)k));
    double total_weight = 0.0;
    for (int64_t i = 0; i < m; ++i)
        total_weight += weight[i];
    /* First centre: weighted by weight alone. */
    {
        const double target = cvseg_rng_uniform(seed, stream, draw++) * total_weight;
        double running = 0.0;
        int64_t pick = m - 1;
        for (int64_t i = 0; i < m; ++i) {
            running += weight[i];
            if (running > target) {
                pick = i;
                break;
            }
        }
        memcpy(centres, candidates + pick * d, sizeof(double) * (size_t)d);
        for (int64_t i = 0; i < m; ++i) {
            double acc = 0.0;
            for (int j = 0; j < d; ++j) {
                const double diff = candidates[i * d + j] - centres[j];
                acc += diff * diff;
            }
            min_d2[i] = acc;
        }
    }
    for (int c = 1; c < k; ++c) {
        double potential = 0.0;
        for (int64_t i = 0; i < m; ++i)
            potential += weight[i] * min_d2[i];
        double best_potential = INFINITY;
        int64_t best_pick = 0;
        for (int t = 0; t < trials; ++t) {
            const double target = cvseg_rng_uniform(seed, stream, draw++) * potential;
            double running = 0.0;
            int64_t pick = -1;
            for (int64_t i = 0; i < m; ++i) {
                running += weight[i] * min_d2[i];
                if (running > target) {
                    pick = i;
                    break;
                }
            }
            if (pick < 0) /* all remaining weight is zero: take the first unused */
                for (int64_t i = 0; i < m && pick < 0; ++i)
                    if (min_d2[i] > 0.0)
                        pick = i;
            if (pick < 0)
                pick = 0;
            double trial_potential = 0.0;
            for (int64_t i = 0; i < m; ++i) {
                double acc = 0.0;
                for (int j = 0; j < d; ++j) {
                    const double diff = candidates[i * d + j] - candidates[pick * d + j];
                    acc += diff * diff;
                }
                trial_d2[i] = acc < min_d2[i] ? acc : min_d2[i];
                trial_potential += weight[i] * trial_d2[i];
            }
            if (trial_potential < best_potential) {
                best_potential = trial_potential;
                best_pick = pick;
            }
        }
        memcpy(centres + (int64_t)c * d, candidates + best_pick * d, sizeof(double) * (size_t)d);
        for (int64_t i = 0; i < m; ++i) {
            double acc = 0.0;
            for (int j = 0; j < d; ++j) {
                const double diff = candidates[i * d + j] - candidates[best_pick * d + j];
                acc += diff * diff;
            }
            if (acc < min_d2[i])
                min_d2[i] = acc;
        }
    }
done:
    free(min_d2);
    free(trial_d2);
    return status;
}

typedef struct {
    double score;
    int64_t size;
    int index;
} order_entry;

static int compare_order(const void *a, const void *b)
{
    const order_entry *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->index - y->index;
}

void cvseg_kmeans_order(const double *centres, const int64_t *count, int k, int d,
                        const double *orientation, int *order)
{
    order_entry entries[CVSEG_KMEANS_MAX_K];
    for (int c = 0; c < k; ++c) {
        double score = 0.0;
        for (int j = 0; j < d; ++j)
            score += orientation[j] * centres[(int64_t)c * d + j];
        entries[c].score = score;
        entries[c].size = count[c];
        entries[c].index = c;
    }
    qsort(entries, (size_t)k, sizeof entries[0], compare_order);
    for (int c = 0; c < k; ++c)
        order[c] = entries[c].index;
}
