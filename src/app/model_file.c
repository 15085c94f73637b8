/* model_file.c: the model file written by train and read by score.
 *
 * Group /model, attributes: schema "cvseg.model/1", features (rfm|lrfmc|custom),
 * feature_names and transforms (comma lists), k, seed, n_init, max_iter, tol,
 * init, inertia, iterations, converged, restarts, reference_date (of the
 * training data), recency_order, segment_baseline, abc_preset, abc_share_a,
 * abc_share_b, invalid policy, cleaning switches, and provenance.
 * Datasets (float64 unless noted):
 *   centroids [k][d]            standardised units, engine cluster order
 *   centroids_original [k][d]   original feature units
 *   scaler_mean [d], scaler_sd [d]   of the (transformed) features
 *   cluster_label [k] uint8     codes of the cluster_label enum (names in attribute)
 *   cluster_size [k] int64      training members per cluster
 *   quintile_edges [3][4]       R, F, M edges
 *   segment_baseline [3]        High/Low thresholds of R, F, M
 *   abc_cut [2]                 M cuts of classes A and B
 *   value_matrix_baseline [2]   F and amount-per-purchase thresholds
 *   training_statistics [3][2]  mean and sd of R, F, M in the training data
 *   score_bins [3][5] int64     training members per r/f/m score 1..5 (drift)
 *   segment_members [8] int64   training members per segment (drift)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "pipeline.h"
#include "provenance.h"

static void join_names(const cvseg_job *job, int transforms, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int j = 0; j < job->settings.d && used < capacity; ++j)
        used += (size_t)snprintf(out + used, capacity - used, "%s%s", j ? "," : "",
                                 transforms ? (job->settings.log1p[j] ? "log1p" : "none")
                                            : job->settings.feature_names[j]);
}

cvseg_status cvseg_model_write(cvseg_app *app, cvseg_job *job, cvseg_status run_status)
{
    return cvseg_model_write_to(app, job, job->outputs, CVSEG_JOB_MODEL, run_status);
}

cvseg_status cvseg_model_write_to(cvseg_app *app, cvseg_job *job, cvseg_outputs *outputs, int index,
                                  cvseg_status run_status)
{
    cvseg_writer *writer = NULL;
    cvseg_status status = cvseg_writer_open(outputs, index, &writer);
    if (status != CVSEG_OK)
        return status;
    const int k = job->clustering.k, d = job->settings.d;
    double *original = malloc(sizeof(double) * (size_t)(k * d));
    char names[CVSEG_MAX_FEATURES * 65], transforms[CVSEG_MAX_FEATURES * 8];
    char label_names[1024];
    size_t used = 0;
    if (!original)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK || (run_status != CVSEG_OK && run_status != CVSEG_ENOCONV))
        goto finish;
    for (int c = 0; c < k; ++c)
        for (int j = 0; j < d; ++j) {
            double value = job->clustering.centroids[c * d + j] * job->clustering.scaler_sd[j] +
                           job->clustering.scaler_mean[j];
            original[c * d + j] =
                job->settings.log1p[j] ? copysign(expm1(fabs(value)), value) : value;
        }
    join_names(job, 0, names, sizeof names);
    join_names(job, 1, transforms, sizeof transforms);
    for (int v = 0; v < CVSEG_LABEL_COUNT; ++v)
        used += (size_t)snprintf(label_names + used, sizeof label_names - used, "%s%s",
                                 v ? "," : "", cvseg_cluster_label_names[v]);
    const int64_t dims_kd[2] = {k, d}, dims_d[1] = {d}, dims_k[1] = {k}, dims_edges[2] = {3, 4};
    const int64_t dims_3[1] = {3}, dims_2[1] = {2}, dims_stats[2] = {3, 2};
    double statistics[3][2];
    for (int f = 0; f < 3; ++f) {
        statistics[f][0] = job->rfm.moments[f].mean;
        statistics[f][1] = job->rfm.moments[f].sd;
    }
    const double matrix[2] = {job->rfm.model.matrix_f_baseline,
                              job->rfm.model.matrix_amount_baseline};
    status = cvseg_writer_group(writer, "/model");
#define SMALL(p, t, r, dims, data)                                                                 \
    if (status == CVSEG_OK)                                                                        \
    status = cvseg_writer_small(writer, p, t, r, dims, data)
    SMALL("/model/centroids", CVSEG_T_F64, 2, dims_kd, job->clustering.centroids);
    SMALL("/model/centroids_original", CVSEG_T_F64, 2, dims_kd, original);
    SMALL("/model/scaler_mean", CVSEG_T_F64, 1, dims_d, job->clustering.scaler_mean);
    SMALL("/model/scaler_sd", CVSEG_T_F64, 1, dims_d, job->clustering.scaler_sd);
    SMALL("/model/cluster_label", CVSEG_T_U8, 1, dims_k, job->clustering.labels);
    SMALL("/model/cluster_size", CVSEG_T_I64, 1, dims_k, job->clustering.sizes);
    SMALL("/model/quintile_edges", CVSEG_T_F64, 2, dims_edges, job->rfm.model.edges);
    SMALL("/model/segment_baseline", CVSEG_T_F64, 1, dims_3, job->rfm.model.baseline);
    SMALL("/model/abc_cut", CVSEG_T_F64, 1, dims_2, job->rfm.model.abc_cut);
    SMALL("/model/value_matrix_baseline", CVSEG_T_F64, 1, dims_2, matrix);
    SMALL("/model/training_statistics", CVSEG_T_F64, 2, dims_stats, statistics);
    int64_t bins[3][5];
    for (int f = 0; f < 3; ++f)
        for (int b = 0; b < 5; ++b)
            bins[f][b] = job->rfm.score_bins[f][b + 1];
    const int64_t dims_bins[2] = {3, 5}, dims_8[1] = {8};
    SMALL("/model/score_bins", CVSEG_T_I64, 2, dims_bins, bins);
    SMALL("/model/segment_members", CVSEG_T_I64, 1, dims_8, job->rfm.by_segment.count);
#undef SMALL
#define ATTR(kind, name, value)                                                                    \
    if (status == CVSEG_OK)                                                                        \
    status = cvseg_writer_attr_##kind(writer, "/model", name, value)
    ATTR(str, "schema", "cvseg.model/1");
    ATTR(str, "features",
         job->settings.feature_set == CVSEG_FEATURES_RFM     ? "rfm"
         : job->settings.feature_set == CVSEG_FEATURES_LRFMC ? "lrfmc"
                                                             : "custom");
    ATTR(str, "feature_names", names);
    ATTR(str, "transforms", transforms);
    ATTR(str, "cluster_label_names", label_names);
    ATTR(str, "cluster_order", "descending value score (sum of z, recency negated), then size");
    ATTR(i32, "k", k);
    ATTR(i32, "d", d);
    ATTR(i32, "n_init", job->clustering.kmeans_config.n_init);
    ATTR(i32, "max_iter", job->clustering.kmeans_config.max_iter);
    ATTR(f64, "tol", job->clustering.kmeans_config.tol);
    ATTR(str, "init", job->clustering.init_name ? job->clustering.init_name : "");
    ATTR(f64, "inertia", job->clustering.kmeans.inertia);
    ATTR(i32, "iterations", job->clustering.kmeans.iterations);
    ATTR(i32, "converged", job->clustering.kmeans.converged);
    ATTR(i32, "restarts", job->clustering.kmeans.restarts);
    ATTR(i32, "reference_date", job->settings.reference_date);
    ATTR(str, "recency_order", job->rfm.model.recency_recent_high ? "recent-high" : "recent-low");
    ATTR(str, "segment_baseline", job->settings.baseline_median ? "median" : "mean");
    ATTR(str, "abc_preset", job->settings.abc_preset);
    ATTR(f64, "abc_share_a", job->settings.abc.share_a);
    ATTR(f64, "abc_share_b", job->settings.abc.share_b);
    ATTR(str, "invalid", job->settings.invalid_drop ? "drop" : "error");
    ATTR(i32, "drop_missing_fare", job->settings.rules.drop_missing_fare);
    ATTR(i32, "drop_inconsistent", job->settings.rules.drop_inconsistent);
    ATTR(i64, "training_members", job->rows.n_ok);
#undef ATTR
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, "/model", job->settings.input_path,
                                        job->clustering.kmeans_config.seed);
finish:
    free(original);
    const int writes = run_status == CVSEG_OK || run_status == CVSEG_ENOCONV;
    status = cvseg_writer_close(writer, status == CVSEG_OK && !writes ? run_status : status);
    return status == CVSEG_OK ? run_status : status;
}

static cvseg_status read_string(cvseg_reader *reader, const char *name, char *out, size_t capacity)
{
    int present = 0;
    cvseg_status status = cvseg_reader_attr_str(reader, "/model", name, out, capacity, &present);
    if (status == CVSEG_OK && !present)
        status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': missing attribute '%s' of /model",
                            cvseg_reader_path(reader), name);
    return status;
}

static cvseg_status read_array(cvseg_reader *reader, const char *path, cvseg_type type,
                               int64_t rows, int64_t cols, void *out)
{
    int64_t dims[2];
    cvseg_status status = cvseg_reader_small(reader, path, type, rows * cols, dims, out);
    if (status == CVSEG_OK && (dims[0] != rows || dims[1] != cols))
        status =
            CVSEG_FAIL(CVSEG_EDATA, "model '%s', dataset '%s': shape %lldx%lld, expected %lldx%lld",
                       cvseg_reader_path(reader), path, (long long)dims[0], (long long)dims[1],
                       (long long)rows, (long long)cols);
    return status;
}

cvseg_status cvseg_model_read(cvseg_app *app, cvseg_job *job, const char *path)
{
    cvseg_reader *reader = NULL;
    char text[2048];
    int present = 0;
    int32_t k = 0, d = 0, value = 0;
    double statistics[3][2], matrix[2];
    cvseg_status status = cvseg_reader_open(app->comm, path, &reader);
    if (status != CVSEG_OK)
        return status;
    status = read_string(reader, "schema", text, sizeof text);
    if (status == CVSEG_OK && strcmp(text, "cvseg.model/1") != 0)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "model '%s': schema '%s', expected cvseg.model/1", path, text);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "k", &k, &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "d", &d, &present);
    if (status == CVSEG_OK && (k < 1 || k > CVSEG_KMEANS_MAX_K || d < 1 || d > CVSEG_MAX_FEATURES))
        status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': k = %d or d = %d out of range", path, k, d);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    /* The feature set is the model's: the member table must carry its columns. */
    status = read_string(reader, "features", text, sizeof text);
    if (status == CVSEG_OK) {
        const cvseg_feature_set set = strcmp(text, "rfm") == 0     ? CVSEG_FEATURES_RFM
                                      : strcmp(text, "lrfmc") == 0 ? CVSEG_FEATURES_LRFMC
                                                                   : CVSEG_FEATURES_CUSTOM;
        job->settings.feature_set = set;
    }
    if (status == CVSEG_OK)
        status = read_string(reader, "feature_names", text, sizeof text);
    if (status == CVSEG_OK) {
        job->settings.d = 0;
        char *save = NULL;
        for (char *name = strtok_r(text, ",", &save); name && job->settings.d < CVSEG_MAX_FEATURES;
             name = strtok_r(NULL, ",", &save))
            snprintf(job->settings.feature_names[job->settings.d++], 64, "%s", name);
        if (job->settings.d != d)
            status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': %d feature names for d = %d", path,
                                job->settings.d, d);
    }
    if (status == CVSEG_OK)
        status = read_string(reader, "transforms", text, sizeof text);
    if (status == CVSEG_OK) {
        int j = 0;
        char *save = NULL;
        for (char *name = strtok_r(text, ",", &save); name && j < d;
             name = strtok_r(NULL, ",", &save))
            job->settings.log1p[j++] = strcmp(name, "log1p") == 0;
    }
    if (status == CVSEG_OK)
        status = read_string(reader, "recency_order", text, sizeof text);
    job->rfm.model.recency_recent_high = strcmp(text, "recent-high") == 0;
    job->settings.recency_recent_high = job->rfm.model.recency_recent_high;
    if (status == CVSEG_OK)
        status = read_string(reader, "segment_baseline", text, sizeof text);
    job->settings.baseline_median = strcmp(text, "median") == 0;
    if (status == CVSEG_OK)
        status = read_string(reader, "abc_preset", job->settings.abc_preset,
                             sizeof job->settings.abc_preset);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_f64(reader, "/model", "abc_share_a", &job->settings.abc.share_a,
                                       &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_f64(reader, "/model", "abc_share_b", &job->settings.abc.share_b,
                                       &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "drop_missing_fare", &value, &present);
    job->settings.rules.drop_missing_fare = value;
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "drop_inconsistent", &value, &present);
    job->settings.rules.drop_inconsistent = value;
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i64(reader, "/model", "seed",
                                       (int64_t *)&job->clustering.kmeans_config.seed, &present);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    job->clustering.k = k;
    job->clustering.centroids = malloc(sizeof(double) * (size_t)(k * d));
    job->clustering.sizes = calloc((size_t)k, sizeof(int64_t));
    job->clustering.labels = malloc((size_t)k);
    if (!job->clustering.centroids || !job->clustering.sizes || !job->clustering.labels)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status =
            read_array(reader, "/model/centroids", CVSEG_T_F64, k, d, job->clustering.centroids);
    if (status == CVSEG_OK)
        status = read_array(reader, "/model/scaler_mean", CVSEG_T_F64, d, 1,
                            job->clustering.scaler_mean);
    if (status == CVSEG_OK)
        status =
            read_array(reader, "/model/scaler_sd", CVSEG_T_F64, d, 1, job->clustering.scaler_sd);
    if (status == CVSEG_OK)
        status =
            read_array(reader, "/model/cluster_label", CVSEG_T_U8, k, 1, job->clustering.labels);
    if (status == CVSEG_OK)
        status =
            read_array(reader, "/model/quintile_edges", CVSEG_T_F64, 3, 4, job->rfm.model.edges);
    if (status == CVSEG_OK)
        status = read_array(reader, "/model/segment_baseline", CVSEG_T_F64, 3, 1,
                            job->rfm.model.baseline);
    if (status == CVSEG_OK)
        status = read_array(reader, "/model/abc_cut", CVSEG_T_F64, 2, 1, job->rfm.model.abc_cut);
    if (status == CVSEG_OK)
        status = read_array(reader, "/model/value_matrix_baseline", CVSEG_T_F64, 2, 1, matrix);
    if (status == CVSEG_OK)
        status = read_array(reader, "/model/training_statistics", CVSEG_T_F64, 3, 2, statistics);
    if (status == CVSEG_OK)
        memcpy(job->migration.training_statistics, statistics, sizeof statistics);
    /* Drift references (absent in models without them: drift is then not reported). */
    if (status == CVSEG_OK && cvseg_reader_exists(reader, "/model/score_bins"))
        status = read_array(reader, "/model/score_bins", CVSEG_T_I64, 3, 5,
                            job->migration.training_score_bins);
    if (status == CVSEG_OK && cvseg_reader_exists(reader, "/model/segment_members"))
        status = read_array(reader, "/model/segment_members", CVSEG_T_I64, 8, 1,
                            job->migration.training_segment_members);
    if (status == CVSEG_OK) {
        job->rfm.model.matrix_f_baseline = matrix[0];
        job->rfm.model.matrix_amount_baseline = matrix[1];
        for (int t = 0; t < k * d && status == CVSEG_OK; ++t)
            if (!isfinite(job->clustering.centroids[t]))
                status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': centroids contain NaN or Inf", path);
        for (int c = 0; c < k && status == CVSEG_OK; ++c)
            if (job->clustering.labels[c] >= CVSEG_LABEL_COUNT)
                status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': cluster label code %d out of range",
                                    path, job->clustering.labels[c]);
    }
    status = cvseg_mpi_agree(app->comm, status);
done:
    cvseg_reader_close(reader);
    return status;
}
