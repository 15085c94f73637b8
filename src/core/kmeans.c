/* kmeans.c: Lloyd assignment and update, seeding helpers, cluster order. */
#include "cvseg/kmeans.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/rng.h"

/* Coordinate terms are bounded by 2^43, so the sum of up to 2^10 of them is
 * an integer below 2^53: exact in a double. The hot loop therefore adds
 * terms (trunc(z * 2^e), integer-valued doubles) in double precision, and
 * every FLUSH_ROWS rows per thread moves the exact block sums into the
 * 128-bit accumulators. Same integers, same result as adding each term to
 * the 128-bit sum directly, at the cost of a double add. */
#define COORDINATE_BITS 43
#define FLUSH_ROWS      1024
/* Points per step of the assignment kernel: two 4-wide vectors. */
#define GROUP 8

typedef double cvseg_v4d __attribute__((vector_size(32)));
typedef int64_t cvseg_v4l __attribute__((vector_size(32)));

cvseg_kmeans_exponents cvseg_kmeans_exponents_for(double zmax, int d)
{
    cvseg_kmeans_exponents e;
    e.coordinate = cvseg_fixed_exponent(zmax) - (62 - COORDINATE_BITS);
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

/* Nearest centre of GROUP consecutive points (column stride n, first row
 * `row`), vectorised across points. Per point the arithmetic is exactly that
 * of cvseg_sqdist: diff = z - c; acc = diff*diff, then acc += diff*diff for
 * j = 1..d-1 (0.0 + x == x for the first term). Ties keep the lower centre
 * (strict <). Always inlined so that D is a compile-time constant. */
static inline __attribute__((always_inline)) void
nearest_group(const double *z, int64_t n, int64_t row, const double *centres, int k, const int D,
              double *best_out, int32_t *label_out)
{
    cvseg_v4d x[CVSEG_KMEANS_MAX_D][2];
    for (int j = 0; j < D; ++j) {
        memcpy(&x[j][0], z + (int64_t)j * n + row, sizeof(cvseg_v4d));
        memcpy(&x[j][1], z + (int64_t)j * n + row + 4, sizeof(cvseg_v4d));
    }
    cvseg_v4d best[2] = {{INFINITY, INFINITY, INFINITY, INFINITY},
                         {INFINITY, INFINITY, INFINITY, INFINITY}};
    cvseg_v4l label[2] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    for (int c = 0; c < k; ++c) {
        const double *centre = centres + (int64_t)c * D;
        const cvseg_v4l cv = {c, c, c, c};
        for (int h = 0; h < 2; ++h) {
            const cvseg_v4d c0 = {centre[0], centre[0], centre[0], centre[0]};
            cvseg_v4d diff = x[0][h] - c0;
            cvseg_v4d acc = diff * diff;
            for (int j = 1; j < D; ++j) {
                const cvseg_v4d cj = {centre[j], centre[j], centre[j], centre[j]};
                diff = x[j][h] - cj;
                acc = acc + diff * diff;
            }
            const cvseg_v4l better = acc < best[h]; /* all ones where closer */
            best[h] = (cvseg_v4d)(((cvseg_v4l)acc & better) | ((cvseg_v4l)best[h] & ~better));
            label[h] = (cv & better) | (label[h] & ~better);
        }
    }
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 4; ++l) {
            best_out[4 * h + l] = best[h][l];
            label_out[4 * h + l] = (int32_t)label[h][l];
        }
}

/* Nearest centre of one point (the tail): the same expression. */
static void nearest_one(const double *z, int64_t n, int64_t row, const double *centres, int k,
                        int d, double *best_out, int32_t *label_out)
{
    double best = INFINITY;
    int32_t label = 0;
    for (int c = 0; c < k; ++c) {
        const double acc = cvseg_sqdist(z, n, row, centres + (int64_t)c * d, d);
        if (acc < best) {
            best = acc;
            label = c;
        }
    }
    *best_out = best;
    *label_out = label;
}

/* Per-thread accumulation state of cvseg_kmeans_assign. */
typedef struct {
    double *block_sum; /* [k][d] exact integer-valued double sums since the last flush */
    cvseg_i128 *sum;   /* [k][d] */
    int64_t *count;    /* [k] */
    cvseg_i128 inertia;
    int64_t changed;
    int rows_since_flush;
} thread_sums;

static void flush(thread_sums *t, int kd)
{
    for (int u = 0; u < kd; ++u) {
        t->sum[u] += (int64_t)t->block_sum[u];
        t->block_sum[u] = 0.0;
    }
    t->rows_since_flush = 0;
}

static inline __attribute__((always_inline)) void
accumulate_row(thread_sums *t, const double *z, int64_t n, int64_t row, int d, int k,
               double coordinate_scale, double distance_scale, double best, int32_t c,
               int32_t *label, double *distance)
{
    t->count[c] += 1;
    double *block_c = t->block_sum + (int64_t)c * d;
    for (int j = 0; j < d; ++j)
        block_c[j] += trunc(z[(int64_t)j * n + row] * coordinate_scale);
    t->inertia += cvseg_fixed_term(best, distance_scale);
    t->changed += label[row] != c;
    label[row] = c;
    if (distance)
        distance[row] = best;
    if (++t->rows_since_flush == FLUSH_ROWS)
        flush(t, k * d);
}

#define ASSIGN_CASE(DIM)                                                                           \
    case DIM:                                                                                      \
        for (int64_t g = g_begin; g < g_end; ++g) {                                                \
            nearest_group(z, n, g *GROUP, centres, k, DIM, best, best_label);                      \
            for (int i = 0; i < GROUP; ++i)                                                        \
                accumulate_row(&t, z, n, g *GROUP + i, DIM, k, coordinate_scale, distance_scale,   \
                               best[i], best_label[i], label, distance);                           \
        }                                                                                          \
        break;

void cvseg_kmeans_assign(const double *z, int64_t n, int d, const double *centres, int k,
                         const cvseg_kmeans_exponents *exponents, int32_t *label, double *distance,
                         cvseg_kmeans_partial *partial)
{
    const double coordinate_scale = cvseg_fixed_scale(exponents->coordinate);
    const double distance_scale = cvseg_fixed_scale(exponents->distance);
    const int64_t groups = n / GROUP;
    const int kd = k * d;
#pragma omp parallel
    {
        thread_sums t = {calloc((size_t)kd, sizeof(double)),
                         calloc((size_t)kd, sizeof(cvseg_i128)),
                         calloc((size_t)k, sizeof(int64_t)),
                         0,
                         0,
                         0};
        const int ok = t.block_sum && t.sum && t.count;
        double best[GROUP];
        int32_t best_label[GROUP];
        /* Static split of whole groups over threads; the tail goes to the last thread. */
        const int threads = omp_get_num_threads(), me = omp_get_thread_num();
        const int64_t g_begin = groups * me / threads, g_end = groups * (me + 1) / threads;
        if (ok) {
            switch (d) {
                ASSIGN_CASE(1)
                ASSIGN_CASE(2)
                ASSIGN_CASE(3)
                ASSIGN_CASE(4)
                ASSIGN_CASE(5)
                ASSIGN_CASE(6)
                ASSIGN_CASE(7)
                ASSIGN_CASE(8)
            default:
                for (int64_t g = g_begin; g < g_end; ++g) {
                    nearest_group(z, n, g * GROUP, centres, k, d, best, best_label);
                    for (int i = 0; i < GROUP; ++i)
                        accumulate_row(&t, z, n, g * GROUP + i, d, k, coordinate_scale,
                                       distance_scale, best[i], best_label[i], label, distance);
                }
            }
            if (me == threads - 1)
                for (int64_t row = groups * GROUP; row < n; ++row) {
                    nearest_one(z, n, row, centres, k, d, &best[0], &best_label[0]);
                    accumulate_row(&t, z, n, row, d, k, coordinate_scale, distance_scale, best[0],
                                   best_label[0], label, distance);
                }
            flush(&t, kd);
        }
#pragma omp critical(cvseg_kmeans_assign)
        {
            if (ok) {
                for (int u = 0; u < kd; ++u)
                    partial->sum[u] += t.sum[u];
                for (int c = 0; c < k; ++c)
                    partial->count[c] += t.count[c];
                partial->inertia += t.inertia;
                partial->changed += t.changed;
            } else {
                /* Cannot happen for sane k, d; make it visible, never silent. */
                partial->changed = -1;
            }
        }
        free(t.block_sum);
        free(t.sum);
        free(t.count);
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
