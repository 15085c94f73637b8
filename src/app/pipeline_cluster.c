/* pipeline_cluster.c: standardisation, K-Means, cluster order and labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/cluster_names.h"
#include "cvseg/collectives.h"
#include "cvseg/rng.h"
#include "pipeline.h"

/* Sign-preserving log1p: defined for every real (returns can make M < 0). */
static double cluster_pipeline_signed_log1p(double x)
{
    return copysign(log1p(fabs(x)), x);
}

/* Value orientation of a feature: -1 when smaller is better (recency). */
static double cluster_pipeline_orientation_of(const char *name)
{
    return strcmp(name, "recency") == 0 ? -1.0 : 1.0;
}

/* Index of a named feature, or -1. */
static int cluster_pipeline_feature_index(const cvseg_job *job, const char *name)
{
    for (int j = 0; j < job->settings.d; ++j)
        if (strcmp(job->settings.feature_names[j], name) == 0)
            return j;
    return -1;
}

/* The cluster_label enum code of a name (CVSEG_LABEL_NONE if unknown). */
static uint8_t cluster_pipeline_label_code(const char *name)
{
    uint8_t code = CVSEG_LABEL_NONE;
    for (int v = 0; v < CVSEG_LABEL_COUNT; ++v)
        if (strcmp(cvseg_cluster_label_names[v], name) == 0)
            code = (uint8_t)v;
    return code;
}

/* Value labels of the k centroids (z units, engine order) into
 * job->clustering.labels[k] by the prototype table of the feature set
 * (cluster_names.h): LRFMC's table for lrfmc, the RFM table for features
 * that include recency, frequency and monetary; none otherwise. */
static cvseg_status cluster_pipeline_name_clusters(cvseg_job *job)
{
    const cvseg_prototype_table *table = job->settings.feature_set == CVSEG_FEATURES_LRFMC
                                             ? &cvseg_prototypes_lrfmc
                                             : &cvseg_prototypes_rfm;
    const int k = job->clustering.k, q = table->d;
    int column[CVSEG_PROTOTYPE_D], name[CVSEG_KMEANS_MAX_K], rank[CVSEG_KMEANS_MAX_K];
    double projected[CVSEG_KMEANS_MAX_K * CVSEG_PROTOTYPE_D] = {0}; /* (gcc: maybe-uninitialized) */
    int missing = 0;
    for (int j = 0; j < q; ++j) {
        column[j] = cluster_pipeline_feature_index(job, table->feature_names[j]);
        missing |= column[j] < 0;
    }
    for (int c = 0; c < k; ++c) {
        job->clustering.labels[c] = CVSEG_LABEL_NONE;
        for (int j = 0; j < q && !missing; ++j)
            projected[c * q + j] =
                job->clustering.centroids[(int64_t)c * job->settings.d + column[j]];
    }
    if (missing)
        return CVSEG_OK;
    cvseg_status status =
        cvseg_cluster_names(projected, k, q, table->pattern, table->p, name, rank);
    for (int c = 0; c < k && status == CVSEG_OK; ++c)
        job->clustering.labels[c] = cluster_pipeline_label_code(table->names[name[c]]);
    return status;
}

void cvseg_job_cluster_name(const cvseg_job *job, int c, char *out, size_t size)
{
    int rank = 1;
    for (int before = 0; before < c; ++before)
        rank += job->clustering.labels[before] == job->clustering.labels[c];
    cvseg_cluster_name_format(cvseg_cluster_label_names[job->clustering.labels[c]], rank, out,
                              size);
}

/* z [d][n_ok] := the included rows' features, transformed (log1p where
 * asked): computed once, for the scaler fit and the standardisation.
 * ok_rows [n_ok] or NULL: every row (n_ok = n). */
static void cluster_pipeline_transform_rows(const cvseg_job_settings *settings,
                                            const cvseg_job_rows *rows, const int64_t *ok_rows,
                                            int64_t n_ok, double *z)
{
    const int64_t n = rows->n_local;
    for (int j = 0; j < settings->d; ++j) {
        const double *x = rows->features + (int64_t)j * n;
        double *zj = z + (int64_t)j * n_ok;
        const int log1p_wanted = settings->log1p[j];
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < n_ok; ++t) {
            const double value = x[ok_rows ? ok_rows[t] : t];
            zj[t] = log1p_wanted ? cluster_pipeline_signed_log1p(value) : value;
        }
    }
}

/* z [d][n_ok] in place: (z - mean) / sd with the clustering's scaler (0
 * where sd = 0). */
static void cluster_pipeline_standardise(const cvseg_job_settings *settings,
                                         const cvseg_clustering *clustering, int64_t n_ok,
                                         double *z)
{
    for (int j = 0; j < settings->d; ++j) {
        double *zj = z + (int64_t)j * n_ok;
        const double mean = clustering->scaler_mean[j], sd = clustering->scaler_sd[j];
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < n_ok; ++t)
            zj[t] = sd > 0.0 ? (zj[t] - mean) / sd : 0.0;
    }
}

/* Fits the scaler: exact moments of each transformed feature over the
 * included rows (z [d][n_ok] from cluster_pipeline_transform_rows). */
static cvseg_status cluster_pipeline_fit_scaler(cvseg_app *app, const cvseg_job_settings *settings,
                                                cvseg_clustering *clustering, const double *z,
                                                int64_t n_ok)
{
    cvseg_status status = CVSEG_OK;
    for (int j = 0; j < settings->d && status == CVSEG_OK; ++j) {
        cvseg_moments moments;
        status = cvseg_mpi_moments(app->comm, z + (int64_t)j * n_ok, NULL, n_ok, &moments);
        clustering->scaler_mean[j] = moments.mean;
        clustering->scaler_sd[j] = moments.sd;
    }
    return status;
}

static void cluster_pipeline_log_iteration(void *context, int restart, int iteration,
                                           double inertia, double shift, int64_t changed,
                                           double seconds)
{
    const cvseg_app *app = context;
    cvseg_log(app, 1,
              "restart %d iteration %3d: inertia %.10g, centre shift %.3g, changed %lld, %.4f s",
              restart, iteration, inertia, shift, (long long)changed, seconds);
}

/* Writes per-member cluster outputs and the per-cluster summary from labels
 * and squared distances over the OK rows (ok_rows [n_ok], or NULL: every
 * row). order_inverse[old] = new. */
static cvseg_status cluster_pipeline_member_outputs(cvseg_app *app, const cvseg_job_rows *rows,
                                                    const cvseg_rfm_results *rfm,
                                                    cvseg_clustering *clustering,
                                                    const int64_t *ok_rows, int64_t n_ok,
                                                    const int32_t *label, const double *distance2,
                                                    const int *order_inverse)
{
    const int64_t n = rows->n_local;
    cvseg_status status = CVSEG_OK;
    clustering->cluster = malloc(sizeof(int16_t) * (size_t)(n > 0 ? n : 1));
    clustering->member_label = malloc((size_t)(n > 0 ? n : 1));
    clustering->distance = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    uint8_t *group = malloc((size_t)(n > 0 ? n : 1));
    if (!clustering->cluster || !clustering->member_label || !clustering->distance || !group)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i) {
        clustering->cluster[i] = -1;
        clustering->member_label[i] = CVSEG_LABEL_NONE;
        clustering->distance[i] = NAN;
        group[i] = 255;
    }
    for (int64_t t = 0; t < n_ok; ++t) {
        const int c = order_inverse ? order_inverse[label[t]] : label[t];
        const int64_t i = ok_rows ? ok_rows[t] : t;
        clustering->cluster[i] = (int16_t)c;
        clustering->member_label[i] = clustering->labels[c];
        clustering->distance[i] = (float)sqrt(distance2[t]);
        group[i] = (uint8_t)c;
    }
    const double bounds[3] = {fmax(fabs(rfm->moments[0].min), fabs(rfm->moments[0].max)),
                              fmax(fabs(rfm->moments[1].min), fabs(rfm->moments[1].max)),
                              fmax(fabs(rfm->moments[2].min), fabs(rfm->moments[2].max))};
    cvseg_group_summary_init(&clustering->by_cluster, clustering->k, bounds);
    cvseg_group_summary_add(&clustering->by_cluster, group, rows->recency, rows->frequency,
                            rows->monetary, n);
    status = cvseg_mpi_group_summary(app->comm, &clustering->by_cluster);
done:
    free(group);
    return status;
}

/* This rank's OK rows: their row indices and ids (none copied when every
 * row is OK, see cvseg_prepared), and standardised z [d][n_ok] (fitting the
 * clustering's scaler when fit). Fills prepared's n_ok, rows, ids, ids_copy
 * and z; on failure they are freed. Collective (agreement). */
static cvseg_status cluster_pipeline_prepare_rows(cvseg_app *app,
                                                  const cvseg_job_settings *settings,
                                                  const cvseg_job_rows *rows,
                                                  cvseg_clustering *clustering, int fit,
                                                  cvseg_prepared *prepared)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = rows->n_local;
    int64_t n_ok = 0;
    for (int64_t i = 0; i < n; ++i)
        n_ok += rows->status[i] == CVSEG_MEMBER_OK;
    const int copy = n_ok < n;
    prepared->n_ok = n_ok;
    prepared->rows = copy ? malloc(sizeof(int64_t) * (size_t)n_ok) : NULL;
    prepared->ids_copy = copy ? malloc(sizeof(int64_t) * (size_t)n_ok) : NULL;
    prepared->ids = copy ? prepared->ids_copy : rows->member_id;
    prepared->z = cvseg_job_rows_alloc(n_ok * settings->d, sizeof(double), &status);
    if (status == CVSEG_OK && copy && (!prepared->rows || !prepared->ids_copy))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld x %d features", (long long)n_ok,
                            settings->d);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK && copy)
        for (int64_t i = 0, t = 0; i < n; ++i)
            if (rows->status[i] == CVSEG_MEMBER_OK) {
                prepared->rows[t] = i;
                prepared->ids_copy[t++] = rows->member_id[i];
            }
    if (status == CVSEG_OK) {
        cluster_pipeline_transform_rows(settings, rows, prepared->rows, n_ok, prepared->z);
        if (fit) /* the same values as over all rows with an include mask: exact sums */
            status = cluster_pipeline_fit_scaler(app, settings, clustering, prepared->z, n_ok);
    }
    if (status == CVSEG_OK)
        cluster_pipeline_standardise(settings, clustering, n_ok, prepared->z);
    if (status != CVSEG_OK)
        cvseg_prepared_free(prepared);
    return status;
}

/* 64-bit fingerprint of the data and settings a checkpoint belongs to. */
static uint64_t cluster_pipeline_mix_in(uint64_t hash, const void *bytes, size_t length)
{
    const unsigned char *p = bytes;
    for (size_t t = 0; t < length; ++t)
        hash = (hash ^ p[t]) * 0x100000001b3ULL; /* FNV-1a */
    return hash;
}

static uint64_t cluster_pipeline_run_fingerprint(const cvseg_job *job, double zmax)
{
    const cvseg_kmeans_config *c = &job->clustering.kmeans_config;
    uint64_t h = 0xcbf29ce484222325ULL;
    h = cluster_pipeline_mix_in(h, &job->rows.n_ok, sizeof job->rows.n_ok);
    h = cluster_pipeline_mix_in(h, &job->clustering.k, sizeof job->clustering.k);
    h = cluster_pipeline_mix_in(h, &job->settings.d, sizeof job->settings.d);
    h = cluster_pipeline_mix_in(h, &c->seed, sizeof c->seed);
    h = cluster_pipeline_mix_in(h, &c->n_init, sizeof c->n_init);
    h = cluster_pipeline_mix_in(h, &c->max_iter, sizeof c->max_iter);
    h = cluster_pipeline_mix_in(h, &c->tol, sizeof c->tol);
    h = cluster_pipeline_mix_in(h, &c->init, sizeof c->init);
    h = cluster_pipeline_mix_in(h, &zmax, sizeof zmax);
    h = cluster_pipeline_mix_in(h, job->clustering.scaler_mean,
                                sizeof(double) * (size_t)job->settings.d);
    h = cluster_pipeline_mix_in(h, job->clustering.scaler_sd,
                                sizeof(double) * (size_t)job->settings.d);
    h = cluster_pipeline_mix_in(h, job->settings.log1p, sizeof(int) * (size_t)job->settings.d);
    for (int j = 0; j < job->settings.d; ++j)
        h = cluster_pipeline_mix_in(h, job->settings.feature_names[j],
                                    strlen(job->settings.feature_names[j]));
    if (c->init == CVSEG_INIT_GIVEN)
        h = cluster_pipeline_mix_in(h, c->given_centres,
                                    sizeof(double) * (size_t)(job->clustering.k * job->settings.d));
    return h;
}

/* Replaces this rank's sample (z [d][m], ids [m]) by the sample of all
 * ranks in rank order (= global row order). Collective. */
static cvseg_status cluster_pipeline_gather_sample(cvseg_app *app, int d, double **z, int64_t **ids,
                                                   int64_t *m)
{
    int *counts = calloc((size_t)app->ranks, sizeof(int));
    int *offsets = calloc((size_t)app->ranks, sizeof(int));
    const int mine = (int)*m;
    int64_t total = 0;
    cvseg_status status = counts && offsets ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, app->comm),
                                 "sample counts");
    for (int r = 0; r < app->ranks && status == CVSEG_OK; ++r) {
        offsets[r] = (int)total;
        total += counts[r];
    }
    double *all_z = malloc(sizeof(double) * (size_t)(total > 0 ? total * d : 1));
    int64_t *all_ids = malloc(sizeof(int64_t) * (size_t)(total > 0 ? total : 1));
    if (status == CVSEG_OK && (!all_z || !all_ids || total > INT32_MAX))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a K-Means sample of %lld members",
                            (long long)total);
    status = cvseg_mpi_agree(app->comm, status);
    for (int j = 0; j < d && status == CVSEG_OK; ++j)
        status = cvseg_mpi_check(MPI_Allgatherv(*z + (int64_t)j * mine, mine, MPI_DOUBLE,
                                                all_z + (int64_t)j * total, counts, offsets,
                                                MPI_DOUBLE, app->comm),
                                 "sample gather");
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgatherv(*ids, mine, MPI_INT64_T, all_ids, counts, offsets,
                                                MPI_INT64_T, app->comm),
                                 "sample gather");
    status = cvseg_mpi_agree(app->comm, status);
    free(counts);
    free(offsets);
    free(*z);
    free(*ids);
    *z = all_z;
    *ids = all_ids;
    *m = total;
    return status;
}

/* The restarts on a sample (job->clustering.kmeans_sample > 0, several restarts, a
 * seeded start): members whose id hashes below n_sample / n_ok form the
 * sample (the same members for any ranks and threads); K-Means with all
 * restarts runs on their z (a copy), and its best centres [k][d] become the
 * given start of the single run on all members. *centres NULL when the
 * sample stage does not apply. Collective. */
/* This rank's sample: the OK rows whose member id hashes below
 * share * 2^64 (the same members for any ranks and threads); z [d][m] and
 * ids [m] allocated here (NULL on failure). Collective (agreement). */
static cvseg_status cluster_pipeline_select_sample(cvseg_app *app, const cvseg_job *job,
                                                   const cvseg_prepared *prepared, double **z_out,
                                                   int64_t **ids_out, int64_t *m_out)
{
    const uint64_t seed = job->clustering.kmeans_config.seed;
    const int64_t n_ok = prepared->n_ok;
    const double share = (double)job->clustering.kmeans_sample / (double)job->rows.n_ok;
    const uint64_t cut = (uint64_t)(share * 18446744073709551615.0);
    int64_t m = 0;
    for (int64_t t = 0; t < n_ok; ++t)
        m += cvseg_rng_u64(seed, 0x53414d50ULL, (uint64_t)prepared->ids[t]) < cut;
    double *z = malloc(sizeof(double) * (size_t)(m > 0 ? m * job->settings.d : 1));
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(m > 0 ? m : 1));
    cvseg_status status =
        z && ids ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the K-Means sample");
    status = cvseg_mpi_agree(app->comm, status);
    for (int64_t t = 0, s = 0; t < n_ok && status == CVSEG_OK; ++t) {
        if (cvseg_rng_u64(seed, 0x53414d50ULL, (uint64_t)prepared->ids[t]) >= cut)
            continue;
        for (int j = 0; j < job->settings.d; ++j)
            z[(int64_t)j * m + s] = prepared->z[(int64_t)j * n_ok + t];
        ids[s++] = prepared->ids[t];
    }
    *z_out = z;
    *ids_out = ids;
    *m_out = m;
    return status;
}

static cvseg_status cluster_pipeline_sample_restarts(cvseg_app *app, cvseg_job *job,
                                                     const cvseg_prepared *prepared,
                                                     double **centres)
{
    const cvseg_kmeans_config *c = &job->clustering.kmeans_config;
    cvseg_kmeans_result result;
    double *z = NULL, *distance2 = NULL;
    int64_t *ids = NULL, m = 0;
    int32_t *label = NULL;
    memset(&result, 0, sizeof result);
    *centres = NULL;
    if (job->clustering.kmeans_sample <= 0 || c->n_init <= 1 || c->init == CVSEG_INIT_GIVEN ||
        job->rows.n_ok <= job->clustering.kmeans_sample)
        return CVSEG_OK;
    /* Every rank gathers the whole sample (global row order) and runs the
     * restarts alone: no collectives per iteration, the same answer on every
     * rank (the K-Means result does not depend on the partition). */
    cvseg_status status = cluster_pipeline_select_sample(app, job, prepared, &z, &ids, &m);
    if (status == CVSEG_OK)
        status = cluster_pipeline_gather_sample(app, job->settings.d, &z, &ids, &m);
    if (status == CVSEG_OK) {
        label = malloc(sizeof(int32_t) * (size_t)(m > 0 ? m : 1));
        distance2 = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
        if (!label || !distance2)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the K-Means sample");
        status = cvseg_mpi_agree(app->comm, status);
    }
    if (status != CVSEG_OK)
        goto done;
    cvseg_kmeans_config sample_config = *c;
    sample_config.hook = NULL;
    sample_config.resume = NULL;
    sample_config.progress = NULL;
    status = cvseg_mpi_kmeans(MPI_COMM_SELF, z, m, job->settings.d, ids, &sample_config, label,
                              distance2, &result);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "K-Means: %d restarts on a sample of %lld members, best inertia %.10g",
                  c->n_init, (long long)m, result.inertia);
    *centres = status == CVSEG_OK ? result.centres : NULL;
    if (status != CVSEG_OK)
        free(result.centres);
done:
    free(result.sizes);
    free(z);
    free(ids);
    free(label);
    free(distance2);
    return status;
}

typedef struct {
    cvseg_app *app;
    cvseg_job *job;
    uint64_t fingerprint;
    int64_t n_local;
    double last_write;
} cluster_pipeline_checkpoint_context;

/* At every boundary: agree on "a signal arrived" and "the interval passed";
 * write the checkpoint if either; stop after writing on a signal. */
static cvseg_status cluster_pipeline_checkpoint_hook(void *context, const cvseg_kmeans_state *state,
                                                     int *stop)
{
    cluster_pipeline_checkpoint_context *ctx = context;
    int flags[2] = {cvseg_checkpoint_signalled(),
                    cvseg_now() - ctx->last_write >= ctx->job->clustering.checkpoint_interval};
    cvseg_status status = cvseg_mpi_check(
        MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, ctx->app->comm), "checkpoint");
    if (status == CVSEG_OK && (flags[0] || flags[1])) {
        status = cvseg_checkpoint_write(ctx->app, ctx->job->outputs, ctx->fingerprint,
                                        ctx->job->clustering.k, ctx->job->settings.d, ctx->n_local,
                                        state);
        ctx->last_write = cvseg_now();
        if (status == CVSEG_OK)
            cvseg_log(ctx->app, 2, "checkpoint written: restart %d, iteration %d", state->restart,
                      state->iteration);
    }
    if (status == CVSEG_OK && flags[0]) {
        cvseg_log(ctx->app, 1, "signal received: checkpoint %s written at restart %d, iteration %d",
                  ctx->job->clustering.checkpoint_path, state->restart, state->iteration);
        *stop = 1;
    }
    return status;
}

void cvseg_prepared_free(cvseg_prepared *prepared)
{
    free(prepared->rows);
    free(prepared->ids_copy);
    free(prepared->z);
    free(prepared->label);
    free(prepared->distance2);
    memset(prepared, 0, sizeof *prepared);
}

cvseg_status cvseg_job_prepare(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared)
{
    memset(prepared, 0, sizeof *prepared);
    cvseg_status status = cluster_pipeline_prepare_rows(app, &job->settings, &job->rows,
                                                        &job->clustering, 1, prepared);
    const int64_t n_ok = prepared->n_ok;
    if (status == CVSEG_OK) {
        prepared->label = cvseg_job_rows_alloc(n_ok, sizeof(int32_t), &status);
        prepared->distance2 = cvseg_job_rows_alloc(n_ok, sizeof(double), &status);
        status = cvseg_mpi_agree(app->comm, status);
    }
    if (status != CVSEG_OK)
        cvseg_prepared_free(prepared);
    return status;
}

void cvseg_job_clear_clusters(cvseg_job *job)
{
    free(job->clustering.centroids);
    free(job->clustering.sizes);
    free(job->clustering.labels);
    free(job->clustering.cluster);
    free(job->clustering.member_label);
    free(job->clustering.distance);
    free(job->clustering.kmeans.centres);
    free(job->clustering.kmeans.sizes);
    job->clustering.centroids = job->clustering.kmeans.centres = NULL;
    job->clustering.sizes = job->clustering.kmeans.sizes = NULL;
    job->clustering.labels = job->clustering.member_label = NULL;
    job->clustering.cluster = NULL;
    job->clustering.distance = NULL;
    job->clustering.clustered = 0;
}

cvseg_status cvseg_job_cluster(cvseg_app *app, cvseg_job *job)
{
    cvseg_prepared prepared;
    cvseg_status status = cvseg_job_prepare(app, job, &prepared);
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "standardise");
        status = cvseg_job_train_prepared(app, job, &prepared);
    }
    cvseg_prepared_free(&prepared);
    return status;
}

/* Warm start: the old centres in this run's standardised units, given to
 * K-Means as its start. */
static void cluster_pipeline_warm_start(cvseg_job *job)
{
    for (int c = 0; c < job->clustering.k; ++c)
        for (int j = 0; j < job->settings.d; ++j) {
            double *v = job->clustering.warm_centres + c * job->settings.d + j;
            *v = job->clustering.scaler_sd[j] > 0.0
                     ? (*v - job->clustering.scaler_mean[j]) / job->clustering.scaler_sd[j]
                     : 0.0;
        }
    job->clustering.kmeans_config.init = CVSEG_INIT_GIVEN;
    job->clustering.kmeans_config.given_centres = job->clustering.warm_centres;
}

/* --checkpoint: the run's fingerprint, the hook that writes checkpoints
 * and, with --resume, the state to resume from (resume_state, when the file
 * exists). Collective. */
static cvseg_status
cluster_pipeline_checkpoint_setup(cvseg_app *app, cvseg_job *job, const cvseg_prepared *prepared,
                                  cluster_pipeline_checkpoint_context *checkpoint,
                                  cvseg_kmeans_state *resume_state)
{
    double zmax = 0.0;
    cvseg_status status =
        cvseg_mpi_zmax(app->comm, prepared->z, prepared->n_ok, job->settings.d, &zmax);
    checkpoint->fingerprint = cluster_pipeline_run_fingerprint(job, zmax);
    checkpoint->n_local = prepared->n_ok;
    checkpoint->last_write = cvseg_now();
    job->clustering.kmeans_config.hook = cluster_pipeline_checkpoint_hook;
    job->clustering.kmeans_config.hook_context = checkpoint;
    if (status == CVSEG_OK && job->clustering.resume) {
        int found = 0;
        status = cvseg_checkpoint_read(app, job->clustering.checkpoint_path,
                                       checkpoint->fingerprint, job->clustering.k, job->settings.d,
                                       prepared->n_ok, resume_state, &found);
        if (status == CVSEG_OK && found) {
            job->clustering.kmeans_config.resume = resume_state;
            cvseg_log(app, 1, "resuming from %s: restart %d, iteration %d",
                      job->clustering.checkpoint_path, resume_state->restart,
                      resume_state->iteration);
        } else if (status == CVSEG_OK) {
            cvseg_log(app, 1, "no checkpoint at %s: starting from the beginning",
                      job->clustering.checkpoint_path);
        }
    }
    return status;
}

/* K-Means on all prepared rows (from sample_centres when not NULL: then
 * the configuration goes back to `seeded`, as given, for the model). EDATA
 * names the input file. Collective. */
static cvseg_status cluster_pipeline_run_kmeans(cvseg_app *app, cvseg_job *job,
                                                cvseg_prepared *prepared, double *sample_centres,
                                                const cvseg_kmeans_config *seeded)
{
    const cvseg_kmeans_config seeded_config = *seeded;
    cvseg_status status =
        cvseg_mpi_kmeans(app->comm, prepared->z, prepared->n_ok, job->settings.d, prepared->ids,
                         &job->clustering.kmeans_config, prepared->label, prepared->distance2,
                         &job->clustering.kmeans);
    if (sample_centres) { /* the model records the settings given */
        job->clustering.kmeans_config = seeded_config;
        job->clustering.kmeans.restarts = seeded_config.n_init;
    }
    if (status == CVSEG_EDATA) { /* the kernel does not know the file: name it */
        char location[256], message[CVSEG_ERROR_MESSAGE_MAX];
        snprintf(location, sizeof location, "%s", cvseg_error_location());
        snprintf(message, sizeof message, "file '%s': %s", job->settings.input_path,
                 cvseg_error_message());
        cvseg_error_set_message(status, location, message);
    }
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "K-Means: seeding %.3f s, %lld Lloyd iterations %.3f s (all restarts)",
                  job->clustering.kmeans.seeding_seconds,
                  (long long)job->clustering.kmeans.lloyd_iterations,
                  job->clustering.kmeans.lloyd_seconds);
    return status;
}

/* Engine order (descending value score, then size): centroids[k][d] and
 * sizes[k] in that order; order_inverse[kernel cluster] := engine
 * cluster. Collective. */
static cvseg_status cluster_pipeline_order_clusters(cvseg_app *app, cvseg_job *job,
                                                    int *order_inverse)
{
    const int k = job->clustering.k, d = job->settings.d;
    double orientation[CVSEG_MAX_FEATURES];
    int order[CVSEG_KMEANS_MAX_K];
    for (int j = 0; j < d; ++j)
        orientation[j] = cluster_pipeline_orientation_of(job->settings.feature_names[j]);
    cvseg_kmeans_order(job->clustering.kmeans.centres, job->clustering.kmeans.sizes, k, d,
                       orientation, order);
    job->clustering.centroids = malloc(sizeof(double) * (size_t)(k * d));
    job->clustering.sizes = malloc(sizeof(int64_t) * (size_t)k);
    job->clustering.labels = malloc((size_t)k);
    cvseg_status status = CVSEG_OK;
    if (!job->clustering.centroids || !job->clustering.sizes || !job->clustering.labels)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        return status;
    for (int c = 0; c < k; ++c) {
        memcpy(job->clustering.centroids + (int64_t)c * d,
               job->clustering.kmeans.centres + (int64_t)order[c] * d, sizeof(double) * (size_t)d);
        job->clustering.sizes[c] = job->clustering.kmeans.sizes[order[c]];
        order_inverse[order[c]] = c;
    }
    return status;
}

cvseg_status cvseg_job_train_prepared(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared)
{
    cvseg_kmeans_state resume_state;
    cluster_pipeline_checkpoint_context checkpoint = {app, job, 0, 0, 0.0};
    memset(&resume_state, 0, sizeof resume_state);
    double *sample_centres = NULL; /* [k][d] best of the restarts on a sample */
    int order_inverse[CVSEG_KMEANS_MAX_K];
    if (job->clustering.warm_centres)
        cluster_pipeline_warm_start(job);
    job->clustering.kmeans_config.k = job->clustering.k;
    job->clustering.kmeans_config.progress = cluster_pipeline_log_iteration;
    job->clustering.kmeans_config.progress_context = app;
    cvseg_status status = cluster_pipeline_sample_restarts(app, job, prepared, &sample_centres);
    if (status != CVSEG_OK)
        goto done;
    const cvseg_kmeans_config seeded_config = job->clustering.kmeans_config;
    if (sample_centres) { /* one run on all members from the sample's best */
        job->clustering.kmeans_config.init = CVSEG_INIT_GIVEN;
        job->clustering.kmeans_config.given_centres = sample_centres;
    }
    if (job->clustering.checkpoint_path)
        status = cluster_pipeline_checkpoint_setup(app, job, prepared, &checkpoint, &resume_state);
    if (status == CVSEG_OK)
        status = cluster_pipeline_run_kmeans(app, job, prepared, sample_centres, &seeded_config);
    if (status != CVSEG_OK)
        goto done;
    cvseg_phase_end(&job->phases, app, "kmeans");
    status = cluster_pipeline_order_clusters(app, job, order_inverse);
    if (status == CVSEG_OK)
        status = cluster_pipeline_name_clusters(job);
    if (status != CVSEG_OK)
        goto done;
    status = cluster_pipeline_member_outputs(app, &job->rows, &job->rfm, &job->clustering,
                                             prepared->rows, prepared->n_ok, prepared->label,
                                             prepared->distance2, order_inverse);
    job->clustering.clustered = status == CVSEG_OK;
    for (int64_t t = 0; t < prepared->n_ok; ++t) /* the caller sees engine order */
        prepared->label[t] = order_inverse[prepared->label[t]];
done:
    cvseg_checkpoint_free(&resume_state);
    free(sample_centres);
    job->clustering.kmeans_config.resume = NULL;
    return cvseg_mpi_agree(app->comm, status);
}

cvseg_status cvseg_job_assign(cvseg_app *app, const cvseg_job_settings *settings,
                              const cvseg_job_rows *rows, const cvseg_rfm_results *rfm,
                              cvseg_clustering *clustering, cvseg_phases *phases)
{
    cvseg_prepared prepared;
    memset(&prepared, 0, sizeof prepared);
    double inertia = 0.0;
    cvseg_status status =
        cluster_pipeline_prepare_rows(app, settings, rows, clustering, 0, &prepared);
    if (status != CVSEG_OK)
        goto done;
    const int64_t n_ok = prepared.n_ok;
    prepared.label = malloc(sizeof(int32_t) * (size_t)(n_ok > 0 ? n_ok : 1));
    prepared.distance2 = malloc(sizeof(double) * (size_t)(n_ok > 0 ? n_ok : 1));
    if (!prepared.label || !prepared.distance2)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_kmeans_predict(app->comm, prepared.z, n_ok, settings->d,
                                          clustering->centroids, clustering->k, prepared.label,
                                          prepared.distance2, &inertia);
    if (status != CVSEG_OK)
        goto done;
    clustering->kmeans.inertia = inertia;
    int64_t sizes[CVSEG_KMEANS_MAX_K] = {0};
    for (int64_t t = 0; t < n_ok; ++t)
        sizes[prepared.label[t]] += 1;
    status = cvseg_mpi_sum_i64(app->comm, sizes, clustering->k);
    if (status == CVSEG_OK) {
        memcpy(clustering->sizes, sizes, sizeof(int64_t) * (size_t)clustering->k);
        status = cluster_pipeline_member_outputs(app, rows, rfm, clustering, prepared.rows, n_ok,
                                                 prepared.label, prepared.distance2, NULL);
    }
    clustering->clustered = status == CVSEG_OK;
    if (status == CVSEG_OK)
        cvseg_phase_end(phases, app, "assign");
done:
    cvseg_prepared_free(&prepared);
    return cvseg_mpi_agree(app->comm, status);
}
