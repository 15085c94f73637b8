/* verb_sweep.c: `cvseg sweep`: read, clean, feature and standardise once,
 * then for every k the training `train` does (same flags, same labels) and
 * exact quality metrics; a recommended k by a documented rule. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "provenance.h"
#include "sweep.h"

#define SWEEP_MAX_KS         64
#define SWEEP_DEFAULT_SAMPLE 20000
#define SWEEP_MAX_SAMPLE     200000
/* Criterion values within this relative distance of the best tie. */
#define SWEEP_TIE_REL 1e-9
/* Below this silhouette (Kaufman and Rousseeuw) no substantial structure. */
#define SWEEP_WEAK_SILHOUETTE 0.25

/* Train options that do not apply to a sweep (it has its own --out, --k, --init). */
static const char *const sweep_dropped[] = {
    "out", "model", "k", "init", "init-from", "checkpoint", "checkpoint-interval", "resume"};

static const cvseg_option sweep_own[] = {
    {"out", CVSEG_OPT_VALUE, "SWEEP.h5", "the sweep table (group /sweep)", 1, 0},
    {"k", CVSEG_OPT_VALUE, "K1-K2", "range of k (default 2-12)", 0, 0},
    {"init", CVSEG_OPT_VALUE, "k-means++|k-means-parallel", "seeding (default k-means++)", 0, 0},
    {"silhouette-sample", CVSEG_OPT_VALUE, "N",
     "members in the stratified silhouette sample (default 20000; all when fewer)", 0, 0},
    {"models", CVSEG_OPT_VALUE, "DIR", "write the model of every k as DIR/model-kK.h5", 0, 0},
    {"labels", CVSEG_OPT_SWITCH, NULL,
     "also write /labels: member_id and cluster_kK (engine order, -1 dropped) for every k", 0, 0},
};

static cvseg_option sweep_options[CVSEG_MAX_OPTIONS];
static int sweep_option_count;

static void sweep_build_options(void)
{
    sweep_option_count = 0;
    for (int o = 0; o < cvseg_train_option_count; ++o) {
        int dropped = 0;
        for (size_t t = 0; t < sizeof sweep_dropped / sizeof sweep_dropped[0]; ++t)
            dropped |= strcmp(cvseg_train_option_table[o].name, sweep_dropped[t]) == 0;
        if (!dropped && sweep_option_count < CVSEG_MAX_OPTIONS)
            sweep_options[sweep_option_count++] = cvseg_train_option_table[o];
    }
    for (size_t o = 0; o < sizeof sweep_own / sizeof sweep_own[0]; ++o)
        if (sweep_option_count < CVSEG_MAX_OPTIONS)
            sweep_options[sweep_option_count++] = sweep_own[o];
}

/* One row of the sweep table. */
typedef struct {
    int k;
    cvseg_cluster_metrics metrics;
    double kmeans_inertia, seconds;
    int iterations, converged;
    cvseg_sweep_sample sample;
} sweep_row;

/* Criterion 0: Calinski-Harabasz, 1: Davies-Bouldin, 2: sampled silhouette. */
static double sweep_criterion(const sweep_row *row, int criterion)
{
    return criterion == 0   ? row->metrics.calinski_harabasz
           : criterion == 1 ? row->metrics.davies_bouldin
                            : row->sample.silhouette;
}

typedef struct {
    int first, last;
    int64_t sample_target;
    const char *models_dir;
    int labels;
} sweep_settings;

static cvseg_status sweep_parse_range(const char *text, int *first, int *last)
{
    int a = 0, b = 0, used = 0;
    cvseg_status status = CVSEG_OK;
    if (sscanf(text, "%d-%d%n", &a, &b, &used) == 2 && text[used] == '\0') {
        /* a range */
    } else if (sscanf(text, "%d%n", &a, &used) == 1 && text[used] == '\0') {
        b = a;
    } else {
        a = b = 0;
    }
    if (a < 2 || b < a || b > CVSEG_CLUSTER_METRICS_MAX_K || b - a + 1 > SWEEP_MAX_KS)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "option --k: expected K1-K2 with 2 <= K1 <= K2 <= %d and at most %d "
                            "values, got '%s'",
                            CVSEG_CLUSTER_METRICS_MAX_K, SWEEP_MAX_KS, text);
    *first = a;
    *last = b;
    return status;
}

/* K-Means and sweep settings from the options (job settings done before). */
static cvseg_status sweep_parse_settings(cvseg_app *app, const cvseg_options *options,
                                         cvseg_job *job, sweep_settings *settings)
{
    int64_t n_init = 10, max_iter = 300, seed = 1, restart_sample = 100000; /* as train */
    double tol = 1e-4;
    const char *init = "k-means++";
    (void)app;
    memset(settings, 0, sizeof *settings);
    cvseg_status status =
        sweep_parse_range(cvseg_opt_or(options, "k", "2-12"), &settings->first, &settings->last);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "n-init", 10, 1, 1000, &n_init);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "restart-sample", 100000, 0, INT64_MAX, &restart_sample);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "max-iter", 300, 1, 1000000, &max_iter);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "seed", 1, 0, INT64_MAX, &seed);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "tol", 1e-4, 0.0, 1e6, &tol);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "silhouette-sample", SWEEP_DEFAULT_SAMPLE, 2,
                               SWEEP_MAX_SAMPLE, &settings->sample_target);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_choice(options, "init", "k-means++", "k-means++|k-means-parallel", &init);
    if (status == CVSEG_OK && job->settings.d > CVSEG_CLUSTER_METRICS_MAX_D)
        status = CVSEG_FAIL(CVSEG_EUSAGE, "sweep: at most %d features, got %d",
                            CVSEG_CLUSTER_METRICS_MAX_D, job->settings.d);
    job->clustering.init_name = init;
    job->clustering.kmeans_config.init =
        strcmp(init, "k-means++") == 0 ? CVSEG_INIT_PLUSPLUS : CVSEG_INIT_PARALLEL;
    job->clustering.kmeans_config.n_init = (int)n_init;
    job->clustering.kmeans_sample = restart_sample;
    job->clustering.kmeans_config.max_iter = (int)max_iter;
    job->clustering.kmeans_config.tol = tol;
    job->clustering.kmeans_config.seed = (uint64_t)seed;
    settings->models_dir = cvseg_opt(options, "models");
    settings->labels = cvseg_opt_has(options, "labels");
    return status;
}

/* Creates --models DIR on rank 0 (an existing folder is fine). Collective. */
static cvseg_status sweep_models_dir(cvseg_app *app, const char *dir)
{
    cvseg_status status = CVSEG_OK;
    if (dir && app->rank == 0 && mkdir(dir, 0777) != 0 && errno != EEXIST)
        status =
            CVSEG_FAIL(CVSEG_EIO, "--models %s: cannot create folder (%s)", dir, strerror(errno));
    return cvseg_mpi_agree(app->comm, status);
}

/* Row of the best value of one criterion (sign +1: largest, -1: smallest);
 * values within SWEEP_TIE_REL of the best tie and go to the smallest k; -1
 * when no row has a finite value. */
static int sweep_best_row(const sweep_row *rows, int count, int criterion, double sign)
{
    double best = -INFINITY;
    int found = -1;
    for (int r = 0; r < count; ++r) {
        const double value = sign * sweep_criterion(rows + r, criterion);
        best = isfinite(value) && value > best ? value : best;
    }
    for (int r = 0; r < count && found < 0; ++r) {
        const double value = sign * sweep_criterion(rows + r, criterion);
        if (isfinite(value) && value >= best - SWEEP_TIE_REL * fabs(best))
            found = r;
    }
    return found;
}

/* Recommended k (README "Choosing k"): each of three criteria votes for
 * one k: the largest Calinski-Harabasz, the smallest Davies-Bouldin, the
 * largest sampled silhouette (ties: the smallest k). The recommendation is
 * the median of the votes (so a k with two votes wins); criteria that are
 * undefined do not vote (with two votes: the smaller k). When the chosen
 * k's silhouette is below SWEEP_WEAK_SILHOUETTE the reason says the
 * structure is weak (flat curves). */
static int sweep_recommend(const sweep_row *rows, int count, char *reason, size_t size)
{
    const int ch = sweep_best_row(rows, count, 0, 1.0), db = sweep_best_row(rows, count, 1, -1.0);
    const int sil = sweep_best_row(rows, count, 2, 1.0);
    int votes[3], n = 0;
    if (ch >= 0)
        votes[n++] = ch;
    if (db >= 0)
        votes[n++] = db;
    if (sil >= 0)
        votes[n++] = sil;
    for (int a = 0; a < n; ++a) /* sort the row indices (k grows with the row) */
        for (int b = a + 1; b < n; ++b)
            if (votes[b] < votes[a]) {
                const int t = votes[a];
                votes[a] = votes[b];
                votes[b] = t;
            }
    if (n == 0) {
        snprintf(reason, size, "no criterion defined: the smallest k");
        return rows[0].k;
    }
    const int winner = votes[(n - 1) / 2];
    const int agree = (ch == winner) + (db == winner) + (sil == winner);
    snprintf(reason, size,
             "median of the votes, %d of 3 agree (largest CH at k=%d, smallest DB at k=%d, "
             "largest silhouette at k=%d)%s",
             agree, ch >= 0 ? rows[ch].k : 0, db >= 0 ? rows[db].k : 0, sil >= 0 ? rows[sil].k : 0,
             rows[winner].sample.silhouette < SWEEP_WEAK_SILHOUETTE
                 ? "; weak structure: silhouette below 0.25, the curves are flat and no k is "
                   "clearly better"
                 : "");
    return rows[winner].k;
}

static json_t *sweep_real(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *sweep_summary(const cvseg_app *app, const cvseg_job *job, const sweep_row *rows,
                             int count, int recommended, const char *reason,
                             const sweep_settings *settings)
{
    json_t *doc = json_object(), *list = json_array(), *phases = json_object();
    for (int r = 0; r < count; ++r) {
        const sweep_row *row = rows + r;
        json_t *item = json_object();
        json_object_set_new(item, "k", json_integer(row->k));
        json_object_set_new(item, "inertia", sweep_real(row->metrics.inertia));
        json_object_set_new(item, "kmeans_inertia", sweep_real(row->kmeans_inertia));
        json_object_set_new(item, "calinski_harabasz", sweep_real(row->metrics.calinski_harabasz));
        json_object_set_new(item, "davies_bouldin", sweep_real(row->metrics.davies_bouldin));
        json_object_set_new(item, "silhouette_sample", sweep_real(row->sample.silhouette));
        json_object_set_new(item, "silhouette_sample_size", json_integer(row->sample.size));
        json_object_set_new(item, "silhouette_simplified",
                            sweep_real(row->metrics.silhouette_simplified));
        json_object_set_new(item, "iterations", json_integer(row->iterations));
        json_object_set_new(item, "converged", json_boolean(row->converged));
        json_object_set_new(item, "seconds", json_real(row->seconds));
        json_array_append_new(list, item);
    }
    for (int p = 0; p < job->phases.count; ++p)
        json_object_set_new(phases, job->phases.name[p], json_real(job->phases.seconds[p]));
    json_object_set_new(doc, "sweep", list);
    json_object_set_new(doc, "recommended_k", json_integer(recommended));
    json_object_set_new(doc, "recommendation", json_string(reason));
    json_object_set_new(doc, "members", json_integer(job->rows.n_ok));
    json_object_set_new(doc, "ranks", json_integer(app->ranks));
    json_object_set_new(doc, "threads", json_integer(app->threads));
    json_object_set_new(doc, "input", json_string(job->settings.input_path));
    json_object_set_new(doc, "silhouette_sample_target", json_integer(settings->sample_target));
    json_object_set_new(doc, "seed", json_integer((json_int_t)job->clustering.kmeans_config.seed));
    json_object_set_new(doc, "n_init", json_integer(job->clustering.kmeans_config.n_init));
    json_object_set_new(doc, "phases", phases);
    json_object_set_new(doc, "seconds", json_real(cvseg_now() - app->start_time));
    return doc;
}

static void sweep_print(const cvseg_app *app, const sweep_row *rows, int count, int recommended,
                        const char *reason)
{
    if (app->rank != 0)
        return;
    printf("%4s %16s %18s %15s %18s %22s %10s %9s\n", "k", "inertia", "calinski_harabasz",
           "davies_bouldin", "silhouette_sample", "silhouette_simplified", "iterations",
           "converged");
    for (int r = 0; r < count; ++r)
        printf("%4d %16.6f %18.6f %15.6f %18.6f %22.6f %10d %9d\n", rows[r].k,
               rows[r].metrics.inertia, rows[r].metrics.calinski_harabasz,
               rows[r].metrics.davies_bouldin, rows[r].sample.silhouette,
               rows[r].metrics.silhouette_simplified, rows[r].iterations, rows[r].converged);
    printf("recommended k: %d (%s)\n", recommended, reason);
    fflush(stdout);
}

/* The /sweep table, one row per k. Collective. */
static cvseg_status sweep_write_table(cvseg_writer *writer, const sweep_row *rows, int count)
{
    int32_t k[SWEEP_MAX_KS], iterations[SWEEP_MAX_KS], converged[SWEEP_MAX_KS];
    int64_t sizes[SWEEP_MAX_KS];
    double columns[6][SWEEP_MAX_KS];
    static const char *const names[6] = {
        "/sweep/inertia",        "/sweep/kmeans_inertia",    "/sweep/calinski_harabasz",
        "/sweep/davies_bouldin", "/sweep/silhouette_sample", "/sweep/silhouette_simplified"};
    for (int r = 0; r < count; ++r) {
        k[r] = rows[r].k;
        iterations[r] = rows[r].iterations;
        converged[r] = rows[r].converged;
        sizes[r] = rows[r].sample.size;
        columns[0][r] = rows[r].metrics.inertia;
        columns[1][r] = rows[r].kmeans_inertia;
        columns[2][r] = rows[r].metrics.calinski_harabasz;
        columns[3][r] = rows[r].metrics.davies_bouldin;
        columns[4][r] = rows[r].sample.silhouette;
        columns[5][r] = rows[r].metrics.silhouette_simplified;
    }
    const int64_t dims[1] = {count};
    cvseg_status status = cvseg_writer_small(writer, "/sweep/k", CVSEG_T_I32, 1, dims, k);
    for (int c = 0; c < 6 && status == CVSEG_OK; ++c)
        status = cvseg_writer_small(writer, names[c], CVSEG_T_F64, 1, dims, columns[c]);
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/sweep/iterations", CVSEG_T_I32, 1, dims, iterations);
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/sweep/converged", CVSEG_T_I32, 1, dims, converged);
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/sweep/silhouette_sample_size", CVSEG_T_I64, 1, dims,
                                    sizes);
    for (int r = 0; r < count && status == CVSEG_OK; ++r) {
        char path[64];
        snprintf(path, sizeof path, "/sweep/sample_k%d", rows[r].k);
        const int64_t sample_dims[1] = {rows[r].sample.size};
        status =
            cvseg_writer_small(writer, path, CVSEG_T_I64, 1, sample_dims, rows[r].sample.member_id);
    }
    return status;
}

/* The summary text as /report/summary_json (rank 0's text on every rank). */
static cvseg_status sweep_write_summary(cvseg_app *app, cvseg_writer *writer, json_t *summary)
{
    char *text = json_dumps(summary, JSON_INDENT(2) | JSON_SORT_KEYS);
    cvseg_status status = text ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    int64_t length = text ? (int64_t)strlen(text) : 0;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Bcast(&length, 1, MPI_INT64_T, 0, app->comm), "bcast");
    char *shared = status == CVSEG_OK ? malloc((size_t)length + 1) : NULL;
    if (status == CVSEG_OK && !shared)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK) {
        if (app->rank == 0)
            memcpy(shared, text, (size_t)length + 1);
        status = cvseg_mpi_check(MPI_Bcast(shared, (int)length + 1, MPI_CHAR, 0, app->comm),
                                 "summary broadcast");
    }
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/report/summary_json", CVSEG_T_U8, 1, &length, shared);
    free(text);
    free(shared);
    return status;
}

/* The labels of this k as /labels/cluster_kK (input order, -1 dropped). */
static cvseg_status sweep_write_labels(cvseg_writer *writer, const cvseg_job *job, int k)
{
    char name[32];
    snprintf(name, sizeof name, "cluster_k%d", k);
    const cvseg_column column = {name, CVSEG_T_I16, job->clustering.cluster, NULL, NULL};
    return cvseg_writer_columns(writer, "/labels", job->rows.n_global, job->rows.offset,
                                job->rows.n_local, 1, &column);
}

/* The run's declared files (outputs.h), by index: the models of --models
 * DIR follow, one per k of the range. */
enum { SWEEP_FILE_IN, SWEEP_FILE_OUT, SWEEP_FILE_SUMMARY, SWEEP_FILE_MODELS };

/* Declares the input, --out, --summary and DIR/model-kK.h5 for every k
 * (after the folder exists). Collective. */
static cvseg_status sweep_open_files(cvseg_app *app, const cvseg_options *options,
                                     const sweep_settings *settings, cvseg_outputs **outputs)
{
    static char model_paths[SWEEP_MAX_KS][CVSEG_PATH_MAX];
    cvseg_file_decl files[SWEEP_FILE_MODELS + SWEEP_MAX_KS];
    const int count = settings->last - settings->first + 1;
    files[SWEEP_FILE_IN] = (cvseg_file_decl){"--in", cvseg_opt(options, "in"), CVSEG_FILE_INPUT};
    files[SWEEP_FILE_OUT] =
        (cvseg_file_decl){"--out", cvseg_opt(options, "out"), CVSEG_FILE_OUTPUT};
    files[SWEEP_FILE_SUMMARY] =
        (cvseg_file_decl){"--summary", cvseg_opt(options, "summary"), CVSEG_FILE_OUTPUT};
    for (int r = 0; r < count; ++r) {
        snprintf(model_paths[r], sizeof model_paths[r], "%s/model-k%d.h5",
                 settings->models_dir ? settings->models_dir : ".", settings->first + r);
        files[SWEEP_FILE_MODELS + r] = (cvseg_file_decl){
            "--models", settings->models_dir ? model_paths[r] : NULL, CVSEG_FILE_OUTPUT};
    }
    return cvseg_outputs_open(app->comm, app->command_line, SWEEP_FILE_MODELS + count, files,
                              outputs);
}

/* One k: the training train does, then the metrics. Collective. */
static cvseg_status sweep_one(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared, double zmax,
                              const sweep_settings *settings, cvseg_outputs *outputs,
                              cvseg_writer *writer, sweep_row *row)
{
    const double started = cvseg_now();
    cvseg_phase_begin(&job->phases); /* the kmeans phase of this k alone */
    cvseg_job_clear_clusters(job);
    job->clustering.k = row->k;
    cvseg_status status = cvseg_job_train_prepared(app, job, prepared);
    if (status == CVSEG_OK) {
        row->kmeans_inertia = job->clustering.kmeans.inertia;
        row->iterations = job->clustering.kmeans.iterations;
        row->converged = job->clustering.kmeans.converged;
        status = cvseg_sweep_metrics(app, prepared, row->k, job->settings.d, zmax, &row->metrics);
    }
    if (status == CVSEG_OK)
        status = cvseg_sweep_silhouette(app, prepared, row->k, job->settings.d,
                                        job->clustering.sizes, settings->sample_target,
                                        job->clustering.kmeans_config.seed, &row->sample);
    if (status == CVSEG_OK && settings->labels)
        status = sweep_write_labels(writer, job, row->k);
    if (status == CVSEG_OK && settings->models_dir) {
        status =
            cvseg_model_write_to(app, job, outputs, SWEEP_FILE_MODELS + row->k - settings->first,
                                 row->converged ? CVSEG_OK : CVSEG_ENOCONV);
        status = status == CVSEG_ENOCONV ? CVSEG_OK : status;
    }
    row->seconds = cvseg_now() - started;
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_max_f64(app->comm, &row->seconds, 1);
    if (status == CVSEG_OK)
        cvseg_log(app, 1,
                  "k %d: inertia %.6g, CH %.6g, DB %.6g, silhouette %.6g (sample %lld), "
                  "simplified %.6g, %.3f s",
                  row->k, row->metrics.inertia, row->metrics.calinski_harabasz,
                  row->metrics.davies_bouldin, row->sample.silhouette, (long long)row->sample.size,
                  row->metrics.silhouette_simplified, row->seconds);
    return cvseg_mpi_agree(app->comm, status);
}

/* Loads, scores, standardises once; runs every k into rows. Collective. */
static cvseg_status sweep_run(cvseg_app *app, cvseg_job *job, const sweep_settings *settings,
                              cvseg_outputs *outputs, cvseg_writer *writer, sweep_row *rows)
{
    cvseg_prepared prepared;
    memset(&prepared, 0, sizeof prepared);
    double zmax = 0.0;
    cvseg_status status = cvseg_job_load(app, job);
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "read");
        status = cvseg_job_score_rfm(app, job, 0);
    }
    if (status == CVSEG_OK)
        status = cvseg_job_prepare(app, job, &prepared);
    if (status == CVSEG_OK)
        status = cvseg_mpi_zmax(app->comm, prepared.z, prepared.n_ok, job->settings.d, &zmax);
    if (status == CVSEG_OK && settings->labels) {
        const cvseg_column column = {"member_id", CVSEG_T_I64, job->rows.member_id, NULL, NULL};
        status = cvseg_writer_columns(writer, "/labels", job->rows.n_global, job->rows.offset,
                                      job->rows.n_local, 1, &column);
    }
    if (status == CVSEG_OK)
        cvseg_phase_end(&job->phases, app, "standardise");
    const int base_phases = job->phases.count;
    for (int k = settings->first; k <= settings->last && status == CVSEG_OK; ++k) {
        sweep_row *row = rows + (k - settings->first);
        row->k = k;
        status = sweep_one(app, job, &prepared, zmax, settings, outputs, writer, row);
        job->phases.count = base_phases; /* per-k times are in the rows */
    }
    cvseg_prepared_free(&prepared);
    return status;
}

/* The recommendation, the /sweep table, its attributes, provenance and the
 * summary into the open writer, then finishes it (renamed into place only
 * when run_status and every write succeeded). Collective. */
static cvseg_status sweep_finish_file(cvseg_app *app, const cvseg_job *job,
                                      const sweep_settings *settings, const sweep_row *rows,
                                      cvseg_writer *writer, cvseg_status status, json_t **summary,
                                      char *reason, size_t size, int *recommended)
{
    const int count = settings->last - settings->first + 1;
    if (status == CVSEG_OK) {
        *recommended = sweep_recommend(rows, count, reason, size);
        *summary = sweep_summary(app, job, rows, count, *recommended, reason, settings);
        status = sweep_write_table(writer, rows, count);
    }
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, "/sweep", "recommended_k", *recommended);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/sweep", "recommendation", reason);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, "/sweep", job->settings.input_path,
                                        job->clustering.kmeans_config.seed);
    if (status == CVSEG_OK)
        status = sweep_write_summary(app, writer, *summary);
    return cvseg_writer_close(writer, status);
}

cvseg_status cvseg_verb_sweep(cvseg_app *app)
{
    cvseg_options options;
    cvseg_job job;
    sweep_settings settings;
    sweep_row rows[SWEEP_MAX_KS];
    cvseg_writer *writer = NULL;
    cvseg_outputs *outputs = NULL;
    json_t *summary = NULL;
    memset(&job, 0, sizeof job);
    memset(rows, 0, sizeof rows);
    sweep_build_options();
    cvseg_status status = cvseg_options_parse(app, sweep_options, sweep_option_count, &options);
    if (status == CVSEG_OK && app->help_requested && app->rank == 0)
        cvseg_options_help(
            stdout, app->verb,
            "Reads, cleans, features and standardises the members once, then runs the training "
            "`cvseg train` does (same flags: same labels) for every k of --k, with inertia, "
            "Calinski-Harabasz, Davies-Bouldin and the simplified silhouette on all members "
            "(exact), the silhouette on a deterministic stratified sample, and a recommended k "
            "(the median of the k chosen by the largest CH, the smallest DB and the largest "
            "silhouette). Writes /sweep, a summary and optionally every model.",
            sweep_options, sweep_option_count);
    if (status != CVSEG_OK || app->help_requested)
        return status;
    cvseg_phase_begin(&job.phases);
    status = cvseg_job_parse_settings(app, &options, &job);
    if (status == CVSEG_OK)
        status = sweep_parse_settings(app, &options, &job, &settings);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = sweep_models_dir(app, settings.models_dir);
    if (status == CVSEG_OK)
        status = sweep_open_files(app, &options, &settings, &outputs);
    if (status == CVSEG_OK)
        status = cvseg_writer_open(outputs, SWEEP_FILE_OUT, &writer);
    if (status != CVSEG_OK)
        goto done;
    status = sweep_run(app, &job, &settings, outputs, writer, rows);
    const int count = settings.last - settings.first + 1;
    char reason[512] = "";
    int recommended = 0, all_converged = 1;
    for (int r = 0; r < count; ++r)
        all_converged &= rows[r].converged;
    status = sweep_finish_file(app, &job, &settings, rows, writer, status, &summary, reason,
                               sizeof reason, &recommended);
    const cvseg_status run_status = all_converged ? CVSEG_OK : CVSEG_ENOCONV;
    if (status == CVSEG_OK && cvseg_opt_has(&options, "summary"))
        status = cvseg_write_json_output(app, outputs, SWEEP_FILE_SUMMARY, summary, CVSEG_OK);
    if (status == CVSEG_OK) {
        sweep_print(app, rows, count, recommended, reason);
        if (run_status != CVSEG_OK)
            status = CVSEG_FAIL(CVSEG_ENOCONV,
                                "K-Means did not converge at some k within --max-iter; the sweep "
                                "is written with converged = 0 there");
    }
done:
    /* the sweep file, the summary and the models are committed together */
    status = cvseg_outputs_finish(outputs, status);
    for (int r = 0; r < SWEEP_MAX_KS; ++r)
        free(rows[r].sample.member_id);
    json_decref(summary);
    cvseg_job_free(&job);
    return cvseg_mpi_agree(app->comm, status);
}
