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

/* The feature names (transforms 0) or transforms (1) as a comma list. */
static void model_file_join_names(const cvseg_job_settings *settings, int transforms, char *out,
                                  size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int j = 0; j < settings->d && used < capacity; ++j)
        used += (size_t)snprintf(out + used, capacity - used, "%s%s", j ? "," : "",
                                 transforms ? (settings->log1p[j] ? "log1p" : "none")
                                            : settings->feature_names[j]);
}

/* original [k][d]: the centroids in original feature units. */
static void model_file_original_centroids(const cvseg_job *job, double *original)
{
    const int k = job->clustering.k, d = job->settings.d;
    for (int c = 0; c < k; ++c)
        for (int j = 0; j < d; ++j) {
            double value = job->clustering.centroids[c * d + j] * job->clustering.scaler_sd[j] +
                           job->clustering.scaler_mean[j];
            original[c * d + j] =
                job->settings.log1p[j] ? copysign(expm1(fabs(value)), value) : value;
        }
}

/* A dataset of /model: path, type, shape (rank 1 or 2) and data. */
typedef struct {
    const char *path;
    cvseg_type type;
    int rank;
    int64_t dims[2];
    const void *data;
} model_file_array;

/* The datasets of /model (header comment), original [k][d] as above.
 * Collective. */
static cvseg_status model_file_write_arrays(cvseg_writer *writer, const cvseg_job *job,
                                            const double *original)
{
    const cvseg_clustering *clustering = &job->clustering;
    const cvseg_rfm_results *rfm = &job->rfm;
    const int64_t k = clustering->k, d = job->settings.d;
    double statistics[3][2];
    int64_t bins[3][5];
    for (int f = 0; f < 3; ++f) {
        statistics[f][0] = rfm->moments[f].mean;
        statistics[f][1] = rfm->moments[f].sd;
        for (int b = 0; b < 5; ++b)
            bins[f][b] = rfm->score_bins[f][b + 1];
    }
    const double matrix[2] = {rfm->model.matrix_f_baseline, rfm->model.matrix_amount_baseline};
    const model_file_array arrays[] = {
        {"/model/centroids", CVSEG_T_F64, 2, {k, d}, clustering->centroids},
        {"/model/centroids_original", CVSEG_T_F64, 2, {k, d}, original},
        {"/model/scaler_mean", CVSEG_T_F64, 1, {d}, clustering->scaler_mean},
        {"/model/scaler_sd", CVSEG_T_F64, 1, {d}, clustering->scaler_sd},
        {"/model/cluster_label", CVSEG_T_U8, 1, {k}, clustering->labels},
        {"/model/cluster_size", CVSEG_T_I64, 1, {k}, clustering->sizes},
        {"/model/quintile_edges", CVSEG_T_F64, 2, {3, 4}, rfm->model.edges},
        {"/model/segment_baseline", CVSEG_T_F64, 1, {3}, rfm->model.baseline},
        {"/model/abc_cut", CVSEG_T_F64, 1, {2}, rfm->model.abc_cut},
        {"/model/value_matrix_baseline", CVSEG_T_F64, 1, {2}, matrix},
        {"/model/training_statistics", CVSEG_T_F64, 2, {3, 2}, statistics},
        {"/model/score_bins", CVSEG_T_I64, 2, {3, 5}, bins},
        {"/model/segment_members", CVSEG_T_I64, 1, {8}, rfm->by_segment.count}};
    cvseg_status status = CVSEG_OK;
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0] && status == CVSEG_OK; ++a)
        status = cvseg_writer_small(writer, arrays[a].path, arrays[a].type, arrays[a].rank,
                                    arrays[a].dims, arrays[a].data);
    return status;
}

/* An attribute of /model: name and value of one kind. */
typedef enum { MODEL_FILE_STR, MODEL_FILE_I32, MODEL_FILE_I64, MODEL_FILE_F64 } model_file_kind;
typedef struct {
    const char *name;
    model_file_kind kind;
    const char *text;
    int64_t integer;
    double real;
} model_file_attribute;

/* Writes attributes [count] to /model in order. Collective. */
static cvseg_status model_file_write_attributes(cvseg_writer *writer,
                                                const model_file_attribute *attributes, int count)
{
    cvseg_status status = CVSEG_OK;
    for (int a = 0; a < count && status == CVSEG_OK; ++a) {
        const model_file_attribute *t = &attributes[a];
        if (t->kind == MODEL_FILE_STR)
            status = cvseg_writer_attr_str(writer, "/model", t->name, t->text);
        else if (t->kind == MODEL_FILE_I32)
            status = cvseg_writer_attr_i32(writer, "/model", t->name, (int32_t)t->integer);
        else if (t->kind == MODEL_FILE_I64)
            status = cvseg_writer_attr_i64(writer, "/model", t->name, t->integer);
        else
            status = cvseg_writer_attr_f64(writer, "/model", t->name, t->real);
    }
    return status;
}

/* The attributes that describe the model: schema, features, labels, k, d.
 * Collective. */
static cvseg_status model_file_write_layout(cvseg_writer *writer, const cvseg_job *job)
{
    char names[CVSEG_MAX_FEATURES * 65], transforms[CVSEG_MAX_FEATURES * 8];
    char label_names[1024];
    size_t used = 0;
    model_file_join_names(&job->settings, 0, names, sizeof names);
    model_file_join_names(&job->settings, 1, transforms, sizeof transforms);
    for (int v = 0; v < CVSEG_LABEL_COUNT; ++v)
        used += (size_t)snprintf(label_names + used, sizeof label_names - used, "%s%s",
                                 v ? "," : "", cvseg_cluster_label_names[v]);
    const cvseg_feature_set set = job->settings.feature_set;
    const model_file_attribute attributes[] = {
        {"schema", MODEL_FILE_STR, .text = "cvseg.model/1"},
        {"features", MODEL_FILE_STR, .text = cvseg_feature_set_name(set)},
        {"feature_names", MODEL_FILE_STR, .text = names},
        {"transforms", MODEL_FILE_STR, .text = transforms},
        {"cluster_label_names", MODEL_FILE_STR, .text = label_names},
        {"cluster_order", MODEL_FILE_STR,
         .text = "descending value score (sum of z, recency negated), then size"},
        {"k", MODEL_FILE_I32, .integer = job->clustering.k},
        {"d", MODEL_FILE_I32, .integer = job->settings.d}};
    return model_file_write_attributes(writer, attributes,
                                       (int)(sizeof attributes / sizeof attributes[0]));
}

/* The attributes of the training run and its settings. Collective. */
static cvseg_status model_file_write_training(cvseg_writer *writer, const cvseg_job *job)
{
    const cvseg_clustering *clustering = &job->clustering;
    const cvseg_job_settings *settings = &job->settings;
    const model_file_attribute attributes[] = {
        {"n_init", MODEL_FILE_I32, .integer = clustering->kmeans_config.n_init},
        {"max_iter", MODEL_FILE_I32, .integer = clustering->kmeans_config.max_iter},
        {"tol", MODEL_FILE_F64, .real = clustering->kmeans_config.tol},
        {"init", MODEL_FILE_STR, .text = clustering->init_name ? clustering->init_name : ""},
        {"inertia", MODEL_FILE_F64, .real = clustering->kmeans.inertia},
        {"iterations", MODEL_FILE_I32, .integer = clustering->kmeans.iterations},
        {"converged", MODEL_FILE_I32, .integer = clustering->kmeans.converged},
        {"restarts", MODEL_FILE_I32, .integer = clustering->kmeans.restarts},
        {"reference_date", MODEL_FILE_I32, .integer = settings->reference_date},
        {"recency_order", MODEL_FILE_STR,
         .text = job->rfm.model.recency_recent_high ? "recent-high" : "recent-low"},
        {"segment_baseline", MODEL_FILE_STR, .text = settings->baseline_median ? "median" : "mean"},
        {"abc_preset", MODEL_FILE_STR, .text = settings->abc_preset},
        {"abc_share_a", MODEL_FILE_F64, .real = settings->abc.share_a},
        {"abc_share_b", MODEL_FILE_F64, .real = settings->abc.share_b},
        {"invalid", MODEL_FILE_STR, .text = settings->invalid_drop ? "drop" : "error"},
        {"drop_missing_fare", MODEL_FILE_I32, .integer = settings->rules.drop_missing_fare},
        {"drop_inconsistent", MODEL_FILE_I32, .integer = settings->rules.drop_inconsistent},
        {"training_members", MODEL_FILE_I64, .integer = job->rows.n_ok}};
    return model_file_write_attributes(writer, attributes,
                                       (int)(sizeof attributes / sizeof attributes[0]));
}

/* /model: datasets, attributes, provenance (original [k][d] as above).
 * Collective. */
static cvseg_status model_file_write(cvseg_app *app, cvseg_writer *writer, const cvseg_job *job,
                                     const double *original)
{
    cvseg_status status = cvseg_writer_group(writer, "/model");
    if (status == CVSEG_OK)
        status = model_file_write_arrays(writer, job, original);
    if (status == CVSEG_OK)
        status = model_file_write_layout(writer, job);
    if (status == CVSEG_OK)
        status = model_file_write_training(writer, job);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, "/model", job->settings.input_path,
                                        job->clustering.kmeans_config.seed);
    return status;
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
    const int writes = run_status == CVSEG_OK || run_status == CVSEG_ENOCONV;
    double *original = malloc(sizeof(double) * (size_t)(job->clustering.k * job->settings.d));
    if (!original)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK && writes) {
        model_file_original_centroids(job, original);
        status = model_file_write(app, writer, job, original);
    }
    free(original);
    status = cvseg_writer_close(writer, status == CVSEG_OK && !writes ? run_status : status);
    return status == CVSEG_OK ? run_status : status;
}

/* A string attribute of /model that must be present (EDATA otherwise). */
static cvseg_status model_file_read_string(cvseg_reader *reader, const char *name, char *out,
                                           size_t capacity)
{
    int present = 0;
    cvseg_status status = cvseg_reader_attr_str(reader, "/model", name, out, capacity, &present);
    if (status == CVSEG_OK && !present)
        status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': missing attribute '%s' of /model",
                            cvseg_reader_path(reader), name);
    return status;
}

/* A dataset that must have shape [rows][cols] (EDATA otherwise). */
static cvseg_status model_file_read_array(cvseg_reader *reader, const char *path, cvseg_type type,
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

/* The schema, k and d (in range). */
static cvseg_status model_file_read_shape(cvseg_reader *reader, const char *path, int32_t *k,
                                          int32_t *d)
{
    char text[2048];
    int present = 0;
    cvseg_status status = model_file_read_string(reader, "schema", text, sizeof text);
    if (status == CVSEG_OK && strcmp(text, "cvseg.model/1") != 0)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "model '%s': schema '%s', expected cvseg.model/1", path, text);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "k", k, &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "d", d, &present);
    if (status == CVSEG_OK &&
        (*k < 1 || *k > CVSEG_KMEANS_MAX_K || *d < 1 || *d > CVSEG_MAX_FEATURES))
        status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': k = %d or d = %d out of range", path, *k, *d);
    return status;
}

/* The feature set, names (d of them) and transforms: the model's, so the
 * member table must carry its columns. text [capacity] is scratch. */
static cvseg_status model_file_read_features(cvseg_reader *reader, const char *path, int d,
                                             cvseg_job_settings *settings, char *text,
                                             size_t capacity)
{
    cvseg_status status = model_file_read_string(reader, "features", text, capacity);
    if (status == CVSEG_OK)
        settings->feature_set = cvseg_feature_set_from_name(text);
    if (status == CVSEG_OK)
        status = model_file_read_string(reader, "feature_names", text, capacity);
    if (status == CVSEG_OK) {
        settings->d = 0;
        char *save = NULL;
        for (char *name = strtok_r(text, ",", &save); name && settings->d < CVSEG_MAX_FEATURES;
             name = strtok_r(NULL, ",", &save))
            snprintf(settings->feature_names[settings->d++], 64, "%s", name);
        if (settings->d != d)
            status = CVSEG_FAIL(CVSEG_EDATA, "model '%s': %d feature names for d = %d", path,
                                settings->d, d);
    }
    if (status == CVSEG_OK)
        status = model_file_read_string(reader, "transforms", text, capacity);
    if (status == CVSEG_OK) {
        int j = 0;
        char *save = NULL;
        for (char *name = strtok_r(text, ",", &save); name && j < d;
             name = strtok_r(NULL, ",", &save))
            settings->log1p[j++] = strcmp(name, "log1p") == 0;
    }
    return status;
}

/* The scoring settings (recency order, segment baseline, ABC, cleaning
 * switches) and the seed. text [capacity] is scratch. An absent
 * drop_inconsistent takes drop_missing_fare's value (one variable reads
 * both, as models have always been read). */
static cvseg_status model_file_read_settings(cvseg_reader *reader, cvseg_job *job, char *text,
                                             size_t capacity)
{
    cvseg_job_settings *settings = &job->settings;
    int present = 0;
    int32_t value = 0;
    cvseg_status status = model_file_read_string(reader, "recency_order", text, capacity);
    job->rfm.model.recency_recent_high = strcmp(text, "recent-high") == 0;
    settings->recency_recent_high = job->rfm.model.recency_recent_high;
    if (status == CVSEG_OK)
        status = model_file_read_string(reader, "segment_baseline", text, capacity);
    settings->baseline_median = strcmp(text, "median") == 0;
    if (status == CVSEG_OK)
        status = model_file_read_string(reader, "abc_preset", settings->abc_preset,
                                        sizeof settings->abc_preset);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_f64(reader, "/model", "abc_share_a", &settings->abc.share_a,
                                       &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_f64(reader, "/model", "abc_share_b", &settings->abc.share_b,
                                       &present);
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "drop_missing_fare", &value, &present);
    settings->rules.drop_missing_fare = value;
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i32(reader, "/model", "drop_inconsistent", &value, &present);
    settings->rules.drop_inconsistent = value;
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_i64(reader, "/model", "seed",
                                       (int64_t *)&job->clustering.kmeans_config.seed, &present);
    return status;
}

/* Centroids [k][d], cluster sizes [k] (zero) and labels [k]. Collective
 * (agreement). */
static cvseg_status model_file_alloc(MPI_Comm comm, cvseg_clustering *clustering, int k, int d)
{
    clustering->k = k;
    clustering->centroids = malloc(sizeof(double) * (size_t)(k * d));
    clustering->sizes = calloc((size_t)k, sizeof(int64_t));
    clustering->labels = malloc((size_t)k);
    cvseg_status status = CVSEG_OK;
    if (!clustering->centroids || !clustering->sizes || !clustering->labels)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    return cvseg_mpi_agree(comm, status);
}

/* The datasets of /model that score uses; the drift references only where
 * present (models without them: drift is then not reported). */
static cvseg_status model_file_read_arrays(cvseg_reader *reader, cvseg_job *job, int k, int d)
{
    double statistics[3][2], matrix[2];
    cvseg_rfm_model *model = &job->rfm.model;
    cvseg_clustering *clustering = &job->clustering;
    const struct {
        const char *path;
        cvseg_type type;
        int64_t rows, cols;
        void *out;
    } arrays[] = {{"/model/centroids", CVSEG_T_F64, k, d, clustering->centroids},
                  {"/model/scaler_mean", CVSEG_T_F64, d, 1, clustering->scaler_mean},
                  {"/model/scaler_sd", CVSEG_T_F64, d, 1, clustering->scaler_sd},
                  {"/model/cluster_label", CVSEG_T_U8, k, 1, clustering->labels},
                  {"/model/quintile_edges", CVSEG_T_F64, 3, 4, model->edges},
                  {"/model/segment_baseline", CVSEG_T_F64, 3, 1, model->baseline},
                  {"/model/abc_cut", CVSEG_T_F64, 2, 1, model->abc_cut},
                  {"/model/value_matrix_baseline", CVSEG_T_F64, 2, 1, matrix},
                  {"/model/training_statistics", CVSEG_T_F64, 3, 2, statistics}};
    cvseg_status status = CVSEG_OK;
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0] && status == CVSEG_OK; ++a)
        status = model_file_read_array(reader, arrays[a].path, arrays[a].type, arrays[a].rows,
                                       arrays[a].cols, arrays[a].out);
    if (status == CVSEG_OK)
        memcpy(job->migration.training_statistics, statistics, sizeof statistics);
    if (status == CVSEG_OK && cvseg_reader_exists(reader, "/model/score_bins"))
        status = model_file_read_array(reader, "/model/score_bins", CVSEG_T_I64, 3, 5,
                                       job->migration.training_score_bins);
    if (status == CVSEG_OK && cvseg_reader_exists(reader, "/model/segment_members"))
        status = model_file_read_array(reader, "/model/segment_members", CVSEG_T_I64, 8, 1,
                                       job->migration.training_segment_members);
    if (status == CVSEG_OK) {
        model->matrix_f_baseline = matrix[0];
        model->matrix_amount_baseline = matrix[1];
    }
    return status;
}

/* EDATA for centroids [k*d] with NaN or Inf or a label code out of range. */
static cvseg_status model_file_check(const char *path, const cvseg_clustering *clustering, int d)
{
    for (int t = 0; t < clustering->k * d; ++t)
        if (!isfinite(clustering->centroids[t]))
            return CVSEG_FAIL(CVSEG_EDATA, "model '%s': centroids contain NaN or Inf", path);
    for (int c = 0; c < clustering->k; ++c)
        if (clustering->labels[c] >= CVSEG_LABEL_COUNT)
            return CVSEG_FAIL(CVSEG_EDATA, "model '%s': cluster label code %d out of range", path,
                              clustering->labels[c]);
    return CVSEG_OK;
}

cvseg_status cvseg_model_read(cvseg_app *app, cvseg_job *job, const char *path)
{
    cvseg_reader *reader = NULL;
    char text[2048];
    int32_t k = 0, d = 0;
    cvseg_status status = cvseg_reader_open(app->comm, path, &reader);
    if (status != CVSEG_OK)
        return status;
    status = cvseg_mpi_agree(app->comm, model_file_read_shape(reader, path, &k, &d));
    if (status != CVSEG_OK)
        goto done;
    status = model_file_read_features(reader, path, d, &job->settings, text, sizeof text);
    if (status == CVSEG_OK)
        status = model_file_read_settings(reader, job, text, sizeof text);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = model_file_alloc(app->comm, &job->clustering, k, d);
    if (status == CVSEG_OK)
        status = model_file_read_arrays(reader, job, k, d);
    if (status == CVSEG_OK)
        status = model_file_check(path, &job->clustering, d);
    status = cvseg_mpi_agree(app->comm, status);
done:
    cvseg_reader_close(reader);
    return status;
}
