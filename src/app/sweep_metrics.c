/* sweep_metrics.c: the distributed cluster metrics of `cvseg sweep` (exact
 * fixed-point partials reduced over ranks; silhouette on a deterministic
 * stratified sample gathered to every rank). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/cluster_metrics.h"
#include "cvseg/collectives.h"
#include "cvseg/partition.h"
#include "cvseg/quantile.h"
#include "cvseg/rng.h"
#include "sweep.h"

/* Stream of the sample keys (ASCII "silhouet"). */
#define SWEEP_SAMPLE_STREAM 0x73696c686f756574ULL

cvseg_status cvseg_sweep_metrics(cvseg_app *app, const cvseg_prepared *prepared, int k, int d,
                                 double zmax, cvseg_cluster_metrics *metrics)
{
    cvseg_cluster_partial partial;
    double means[CVSEG_CLUSTER_METRICS_MAX_K * CVSEG_CLUSTER_METRICS_MAX_D];
    double grand[CVSEG_CLUSTER_METRICS_MAX_D];
    cvseg_status status = cvseg_cluster_partial_alloc(&partial, k, d, zmax);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        return status;
    cvseg_cluster_sums(prepared->z, prepared->n_ok, d, prepared->label, &partial);
    status = cvseg_mpi_sum_i128(app->comm, partial.values, (int)cvseg_cluster_pass1_values(k, d));
    if (status == CVSEG_OK) {
        cvseg_cluster_means(&partial, means, grand);
        cvseg_cluster_dispersion(prepared->z, prepared->n_ok, d, prepared->label, means, &partial);
        status = cvseg_mpi_sum_i128(app->comm, partial.values + cvseg_cluster_pass1_values(k, d),
                                    (int)cvseg_cluster_pass2_values(k));
    }
    if (status == CVSEG_OK)
        cvseg_cluster_metrics_finish(&partial, means, grand, metrics);
    cvseg_cluster_partial_free(&partial);
    return status;
}

/* Order key of a member: cluster in the top 8 bits, then 56 bits of a
 * counter-based hash of (seed, member id): independent of ranks. */
static uint64_t sweep_sample_key(uint64_t seed, int cluster, int64_t member_id)
{
    return ((uint64_t)cluster << 56) |
           (cvseg_rng_u64(seed, SWEEP_SAMPLE_STREAM, (uint64_t)member_id) >> 8);
}

/* threshold[c]: the largest key of cluster c in the sample (the sizes[c]-th
 * smallest key of the cluster); 0 with a cluster left out. Collective. */
static cvseg_status sweep_thresholds(cvseg_app *app, const uint64_t *keys, int64_t n,
                                     const int64_t *counts, const int64_t *sizes, int k,
                                     uint64_t *threshold)
{
    cvseg_status status = CVSEG_OK;
    int64_t ranks[CVSEG_SELECT_MAX_TARGETS], before = 0;
    int which[CVSEG_SELECT_MAX_TARGETS], m = 0;
    for (int c = 0; c <= k && status == CVSEG_OK; ++c) {
        if (m == CVSEG_SELECT_MAX_TARGETS || (c == k && m > 0)) {
            uint64_t found[CVSEG_SELECT_MAX_TARGETS];
            status = cvseg_mpi_select_keys(app->comm, keys, n, m, ranks, found);
            for (int t = 0; t < m; ++t)
                threshold[which[t]] = found[t];
            m = 0;
        }
        if (c == k)
            break;
        threshold[c] = 0;
        if (sizes[c] > 0) {
            ranks[m] = before + sizes[c];
            which[m++] = c;
        }
        before += counts[c];
    }
    return status;
}

/* Keys of the OK rows (label in engine order). */
static uint64_t *sweep_keys(const cvseg_prepared *prepared, uint64_t seed)
{
    const int64_t n = prepared->n_ok;
    uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)(n > 0 ? n : 1));
    if (keys)
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < n; ++t)
            keys[t] = sweep_sample_key(seed, prepared->label[t], prepared->ids[t]);
    return keys;
}

typedef struct {
    uint64_t key;
    int64_t id;
    double x[CVSEG_CLUSTER_METRICS_MAX_D];
} sweep_point;

static int sweep_point_compare(const void *a, const void *b)
{
    const sweep_point *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return p->id < q->id ? -1 : p->id > q->id;
}

/* This rank's sample points (key <= its cluster's threshold). */
static int64_t sweep_local_points(const cvseg_prepared *prepared, const uint64_t *keys, int d,
                                  const uint64_t *threshold, const int64_t *sizes, sweep_point *out)
{
    int64_t count = 0;
    for (int64_t t = 0; t < prepared->n_ok; ++t) {
        const int c = prepared->label[t];
        if (sizes[c] == 0 || keys[t] > threshold[c])
            continue;
        if (out) {
            out[count].key = keys[t];
            out[count].id = prepared->ids[t];
            for (int j = 0; j < d; ++j)
                out[count].x[j] = prepared->z[(int64_t)j * prepared->n_ok + t];
        }
        ++count;
    }
    return count;
}

/* Gathers every rank's points to every rank (as bytes), sorted by key. */
static cvseg_status sweep_gather(cvseg_app *app, const sweep_point *mine, int64_t count,
                                 sweep_point **all, int64_t *total)
{
    int *counts = malloc(sizeof(int) * (size_t)app->ranks);
    int *offsets = malloc(sizeof(int) * (size_t)app->ranks);
    const int bytes = (int)(count * (int64_t)sizeof(sweep_point));
    cvseg_status status = counts && offsets ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, app->comm),
                                 "sample sizes");
    int64_t sum = 0;
    for (int r = 0; r < app->ranks && status == CVSEG_OK; ++r) {
        offsets[r] = (int)sum;
        sum += counts[r];
    }
    *total = sum / (int64_t)sizeof(sweep_point);
    *all = status == CVSEG_OK ? malloc((size_t)(sum > 0 ? sum : 1)) : NULL;
    if (status == CVSEG_OK && !*all)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the silhouette sample");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allgatherv(mine, bytes, MPI_BYTE, *all, counts, offsets, MPI_BYTE, app->comm),
            "sample gather");
    if (status == CVSEG_OK)
        qsort(*all, (size_t)*total, sizeof(sweep_point), sweep_point_compare);
    free(counts);
    free(offsets);
    return status;
}

/* Mean silhouette of the gathered sample: each rank computes a block of the
 * points, the values are summed exactly over ranks. */
static cvseg_status sweep_sample_silhouette(cvseg_app *app, const sweep_point *points, int64_t m,
                                            int d, int k, double *silhouette)
{
    int64_t start[CVSEG_CLUSTER_METRICS_MAX_K + 1] = {0};
    double *x = malloc(sizeof(double) * (size_t)(m * d > 0 ? m * d : 1));
    const cvseg_block block = cvseg_block_partition(m, app->ranks, app->rank);
    double *s = malloc(sizeof(double) * (size_t)(block.count > 0 ? block.count : 1));
    cvseg_status status = x && s ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    int clusters = 0;
    if (status == CVSEG_OK) {
        for (int64_t i = 0; i < m; ++i) {
            start[(points[i].key >> 56) + 1] += 1;
            for (int j = 0; j < d; ++j)
                x[(int64_t)j * m + i] = points[i].x[j];
        }
        for (int c = 0; c < k; ++c) {
            clusters += start[c + 1] > 0;
            start[c + 1] += start[c];
        }
        cvseg_silhouette_values(x, m, d, k, start, block.offset, block.offset + block.count, s);
        cvseg_i128 sum = cvseg_unit_sum(s, block.count);
        status = cvseg_mpi_sum_i128(app->comm, &sum, 1);
        *silhouette = clusters >= 2 && clusters < m
                          ? cvseg_fixed_to_double(sum, cvseg_fixed_exponent(1.0)) / (double)m
                          : NAN;
    }
    free(x);
    free(s);
    return status;
}

cvseg_status cvseg_sweep_silhouette(cvseg_app *app, const cvseg_prepared *prepared, int k, int d,
                                    const int64_t *cluster_sizes, int64_t sample_target,
                                    uint64_t seed, cvseg_sweep_sample *sample)
{
    int64_t sizes[CVSEG_CLUSTER_METRICS_MAX_K];
    uint64_t threshold[CVSEG_CLUSTER_METRICS_MAX_K];
    sweep_point *mine = NULL, *all = NULL;
    memset(sample, 0, sizeof *sample);
    sample->silhouette = NAN;
    cvseg_silhouette_sample_sizes(cluster_sizes, k, sample_target, sizes);
    uint64_t *keys = sweep_keys(prepared, seed);
    cvseg_status status = keys ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = sweep_thresholds(app, keys, prepared->n_ok, cluster_sizes, sizes, k, threshold);
    int64_t count = 0;
    if (status == CVSEG_OK) {
        count = sweep_local_points(prepared, keys, d, threshold, sizes, NULL);
        mine = malloc(sizeof(sweep_point) * (size_t)(count > 0 ? count : 1));
        status = mine ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        status = cvseg_mpi_agree(app->comm, status);
    }
    if (status == CVSEG_OK) {
        sweep_local_points(prepared, keys, d, threshold, sizes, mine);
        status = sweep_gather(app, mine, count, &all, &sample->size);
    }
    if (status == CVSEG_OK)
        status = sweep_sample_silhouette(app, all, sample->size, d, k, &sample->silhouette);
    if (status == CVSEG_OK) {
        sample->member_id = malloc(sizeof(int64_t) * (size_t)(sample->size > 0 ? sample->size : 1));
        status = sample->member_id ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        for (int64_t i = 0; status == CVSEG_OK && i < sample->size; ++i)
            sample->member_id[i] = all[i].id;
        status = cvseg_mpi_agree(app->comm, status);
    }
    free(keys);
    free(mine);
    free(all);
    return status;
}
