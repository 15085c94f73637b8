/* verb_pipeline.c: `cvseg rfm`, `cvseg train` and `cvseg score`. */
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/cluster_names.h"
#include "pipeline.h"

#define COMMON_OPTIONS                                                                             \
    {"in", CVSEG_OPT_VALUE, "MEMBERS.h5", "member table (group /members)", 1, 0},                  \
        {"out", CVSEG_OPT_VALUE, "RESULTS.h5", "per-member results (group /results)", 1, 0},       \
        {"reference-date",                                                                         \
         CVSEG_OPT_VALUE,                                                                          \
         "DATE",                                                                                   \
         "end of the window (default: the table's reference_date attribute)",                      \
         0,                                                                                        \
         0},                                                                                       \
        {"summary", CVSEG_OPT_VALUE, "SUMMARY.json", "write the summary document", 0, 0},          \
        {"map", CVSEG_OPT_VALUE, "FIELD=COLUMN", "read FIELD from dataset COLUMN (repeatable)", 0, \
         1},                                                                                       \
        {"invalid",                                                                                \
         CVSEG_OPT_VALUE,                                                                          \
         "error|drop",                                                                             \
         "members with NaN/Inf, negative F or dates out of order: fail (default) or drop",         \
         0,                                                                                        \
         0},                                                                                       \
    {                                                                                              \
        "no-duplicate-check", CVSEG_OPT_SWITCH, NULL, "skip the duplicate member id check", 0, 0   \
    }

#define SCORING_OPTIONS                                                                             \
    {"features",                                                                                    \
     CVSEG_OPT_VALUE,                                                                               \
     "rfm|lrfmc|COL,COL,...",                                                                       \
     "feature set (default rfm); a list of numeric columns for custom clustering",                  \
     0,                                                                                             \
     0},                                                                                            \
        {"recency-order",                                                                           \
         CVSEG_OPT_VALUE,                                                                           \
         "recent-high|recent-low",                                                                  \
         "r_score 5 = most recent (default) or 1 = most recent",                                    \
         0,                                                                                         \
         0},                                                                                        \
        {"segment-baseline",                                                                        \
         CVSEG_OPT_VALUE,                                                                           \
         "mean|median",                                                                             \
         "High/Low threshold of the eight segments (default mean)",                                 \
         0,                                                                                         \
         0},                                                                                        \
        {"abc", CVSEG_OPT_VALUE, "abc|pyramid", "ABC preset: 15/25/60 % (default) or 5/15/80 %", 0, \
         0},                                                                                        \
        {"abc-cuts", CVSEG_OPT_VALUE, "A,B", "custom ABC shares, e.g. 0.10,0.20", 0, 0},            \
        {"keep-missing-fare",                                                                       \
         CVSEG_OPT_SWITCH,                                                                          \
         NULL,                                                                                      \
         "LRFMC: keep members with a missing fare",                                                 \
         0,                                                                                         \
         0},                                                                                        \
    {                                                                                               \
        "keep-inconsistent", CVSEG_OPT_SWITCH, NULL,                                                \
            "LRFMC: keep zero-fare members with discount and distance", 0, 0                        \
    }

static const cvseg_option pipeline_verb_rfm_options[] = {COMMON_OPTIONS, SCORING_OPTIONS};

static const cvseg_option pipeline_verb_train_options[] = {
    COMMON_OPTIONS,
    SCORING_OPTIONS,
    {"model", CVSEG_OPT_VALUE, "MODEL.h5", "write the trained model", 1, 0},
    {"k", CVSEG_OPT_VALUE, "K", "clusters (default 5)", 0, 0},
    {"n-init", CVSEG_OPT_VALUE, "N", "restarts, the lowest inertia wins (default 10)", 0, 0},
    {"restart-sample", CVSEG_OPT_VALUE, "N",
     "with more members than N, the restarts run on about N of them (chosen by member id), then "
     "Lloyd on all from the best (default 100000; 0: every restart on all members)",
     0, 0},
    {"init", CVSEG_OPT_VALUE, "k-means++|k-means-parallel|CENTERS.h5",
     "seeding (default k-means++); a file with /centers [k][d] in z units", 0, 0},
    {"max-iter", CVSEG_OPT_VALUE, "N", "Lloyd iterations per restart (default 300)", 0, 0},
    {"tol", CVSEG_OPT_VALUE, "X",
     "stop when the centre shift is below X times the mean feature variance (default 1e-4)", 0, 0},
    {"seed", CVSEG_OPT_VALUE, "S", "random seed (default 1)", 0, 0},
    {"transform", CVSEG_OPT_VALUE, "none|log1p", "log1p on count and amount features", 0, 0},
    {"init-from", CVSEG_OPT_VALUE, "MODEL.h5",
     "warm start from an earlier model's centroids (same features; k taken from it)", 0, 0},
    {"checkpoint", CVSEG_OPT_VALUE, "FILE",
     "write the K-Means state to FILE every --checkpoint-interval seconds and on SIGTERM or "
     "SIGUSR1 (then exit 7)",
     0, 0},
    {"checkpoint-interval", CVSEG_OPT_VALUE, "SECONDS",
     "seconds between checkpoints (default 60; 0 = every iteration)", 0, 0},
    {"resume", CVSEG_OPT_SWITCH, NULL,
     "continue from --checkpoint FILE if it exists (results bit-identical to an uninterrupted run)",
     0, 0},
    {"two-step", CVSEG_OPT_SWITCH, NULL,
     "two-step clustering: K-Means pre-clusters merged by Ward linkage, k chosen by the "
     "silhouette of the Ward cuts, refined by Lloyd (instead of --k)",
     0, 0},
    {"pre-clusters", CVSEG_OPT_VALUE, "K0", "--two-step: pre-clusters (default 50)", 0, 0},
    {"k-max", CVSEG_OPT_VALUE, "K", "--two-step: largest k considered (default 15)", 0, 0},
};

static const cvseg_option pipeline_verb_score_options[] = {
    COMMON_OPTIONS,
    {"model", CVSEG_OPT_VALUE, "MODEL.h5", "model written by cvseg train", 1, 0},
    {"previous", CVSEG_OPT_VALUE, "OLD_RESULTS.h5",
     "join last night's results by member_id: transition matrices, previous_segment and "
     "previous_cluster columns, new and gone members",
     0, 0},
    {"clv", CVSEG_OPT_VALUE, "CLV.h5",
     "attach p_alive, expected_purchases, expected_spend, clv, historic_value and lifecycle from "
     "cvseg clv's /clv by member_id (NaN and prospect for members it lacks)",
     0, 0},
    {"drift-threshold", CVSEG_OPT_VALUE, "PSI",
     "exit with code 6 (results still written) when a feature's population stability index on "
     "the frozen quintile bins exceeds PSI (e.g. 0.25)",
     0, 0},
};

#define COUNT(table) ((int)(sizeof table / sizeof table[0]))

/* train's option table, for `cvseg sweep` (which takes everything train takes). */
const cvseg_option *const cvseg_train_option_table = pipeline_verb_train_options;
const int cvseg_train_option_count = COUNT(pipeline_verb_train_options);

static cvseg_status pipeline_verb_parse(cvseg_app *app, const cvseg_option *table, int count,
                                        cvseg_options *options, const char *summary)
{
    cvseg_status status = cvseg_options_parse(app, table, count, options);
    if (status == CVSEG_OK && app->help_requested && app->rank == 0)
        cvseg_options_help(stdout, app->verb, summary, table, count);
    return status;
}

/* Declares the run's files (outputs.h): the same file twice, a special file
 * or a missing folder ends the run here, before any work. Collective. */
static cvseg_status pipeline_verb_declare_files(cvseg_app *app, const cvseg_options *options,
                                                cvseg_job *job)
{
    const int train = strcmp(app->verb, "train") == 0;
    const char *init = cvseg_opt(options, "init");
    const int init_file = init && strcmp(init, "k-means++") != 0 &&
                          strcmp(init, "k-means-parallel") != 0 && strcmp(init, "k-means||") != 0;
    const cvseg_file_decl files[CVSEG_JOB_FILES] = {
        [CVSEG_JOB_IN] = {"--in", cvseg_opt(options, "in"), CVSEG_FILE_INPUT},
        [CVSEG_JOB_OUT] = {"--out", cvseg_opt(options, "out"), CVSEG_FILE_OUTPUT},
        [CVSEG_JOB_SUMMARY] = {"--summary", cvseg_opt(options, "summary"), CVSEG_FILE_OUTPUT},
        [CVSEG_JOB_MODEL] = {"--model", cvseg_opt(options, "model"),
                             train ? CVSEG_FILE_OUTPUT : CVSEG_FILE_INPUT},
        [CVSEG_JOB_INIT] = {"--init", init_file ? init : NULL, CVSEG_FILE_INPUT},
        [CVSEG_JOB_INIT_FROM] = {"--init-from", cvseg_opt(options, "init-from"), CVSEG_FILE_INPUT},
        [CVSEG_JOB_CHECKPOINT] = {"--checkpoint", cvseg_opt(options, "checkpoint"),
                                  CVSEG_FILE_CHECKPOINT},
        [CVSEG_JOB_PREVIOUS] = {"--previous", cvseg_opt(options, "previous"), CVSEG_FILE_INPUT},
        [CVSEG_JOB_CLV] = {"--clv", cvseg_opt(options, "clv"), CVSEG_FILE_INPUT},
    };
    return cvseg_outputs_open(app->comm, app->command_line, CVSEG_JOB_FILES, files, &job->outputs);
}

/* Writes the results and the summary to their temporaries (committed with
 * the model by cvseg_outputs_finish). */
static cvseg_status pipeline_verb_finish_outputs(cvseg_app *app, cvseg_job *job,
                                                 const cvseg_options *options,
                                                 cvseg_status run_status)
{
    json_t *summary = cvseg_job_summary(app, job);
    const double started = cvseg_now();
    cvseg_status status = cvseg_job_write_results(app, job, summary, run_status);
    cvseg_log(app, 1, "%-10s %.3f s (results file)", "write", cvseg_now() - started);
    if ((status == CVSEG_OK || status == CVSEG_ENOCONV || status == CVSEG_EDRIFT) &&
        cvseg_opt_has(options, "summary"))
        status = cvseg_write_json_output(app, job->outputs, CVSEG_JOB_SUMMARY, summary, status);
    json_decref(summary);
    return status;
}

/* The shared start of rfm / train / score: settings, then the declared
 * files. */
static cvseg_status pipeline_verb_begin(cvseg_app *app, const cvseg_options *options,
                                        cvseg_job *job)
{
    cvseg_status status = cvseg_job_parse_settings(app, options, &job->settings);
    if (status == CVSEG_OK)
        status = pipeline_verb_declare_files(app, options, job);
    return status;
}

/* Reads the member table and scores RFM (frozen: with the model's edges).
 * Collective. */
static cvseg_status pipeline_verb_load_and_score(cvseg_app *app, cvseg_job *job, int frozen)
{
    cvseg_status status = cvseg_job_load(app, &job->settings, &job->rows);
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "read");
        status =
            cvseg_job_score_rfm(app, &job->settings, &job->rows, &job->rfm, &job->phases, frozen);
    }
    return status;
}

cvseg_status cvseg_verb_rfm(cvseg_app *app)
{
    cvseg_options options;
    cvseg_job job;
    memset(&job, 0, sizeof job);
    cvseg_status status = pipeline_verb_parse(
        app, pipeline_verb_rfm_options, COUNT(pipeline_verb_rfm_options), &options,
        "Computes RFM (or LRFMC) features, exact global statistics and "
        "quintile edges, r/f/m scores, RFM cells, the eight value segments, "
        "ABC classes and the value matrix for every member; writes /results "
        "and a summary.");
    if (status != CVSEG_OK || app->help_requested)
        return status;
    cvseg_phase_begin(&job.phases);
    status = pipeline_verb_begin(app, &options, &job);
    if (status == CVSEG_OK)
        status = pipeline_verb_load_and_score(app, &job, 0);
    if (status == CVSEG_OK)
        status = pipeline_verb_finish_outputs(app, &job, &options, status);
    else
        status = cvseg_mpi_agree(app->comm, status);
    status = cvseg_outputs_finish(job.outputs, status);
    cvseg_job_free(&job);
    return status;
}

static cvseg_status pipeline_verb_read_centres(cvseg_app *app, const char *path, int64_t *k, int d,
                                               double **centres)
{
    cvseg_reader *reader = NULL;
    int64_t dims[2] = {0, 0};
    double *values = malloc(sizeof(double) * CVSEG_KMEANS_MAX_K * CVSEG_MAX_FEATURES);
    cvseg_status status = values ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_open(app->comm, path, &reader);
    if (status == CVSEG_OK)
        status = cvseg_reader_small(reader, "/centers", CVSEG_T_F64,
                                    CVSEG_KMEANS_MAX_K * CVSEG_MAX_FEATURES, dims, values);
    if (status == CVSEG_OK && (dims[1] != d || dims[0] < 1))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "file '%s', dataset '/centers': shape %lldx%lld, expected kx%d", path,
                            (long long)dims[0], (long long)dims[1], d);
    if (status == CVSEG_OK && *k > 0 && dims[0] != *k)
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "file '%s', dataset '/centers': %lld centres but --k %lld",
                       path, (long long)dims[0], (long long)*k);
    status = cvseg_mpi_agree(app->comm, status);
    cvseg_reader_close(reader);
    if (status == CVSEG_OK) {
        *k = dims[0];
        *centres = values;
    } else {
        free(values);
    }
    return status;
}

static const char pipeline_verb_train_summary[] =
    "Everything `cvseg rfm` does, then K-Means over the standardised features (exact and "
    "bit-identical for any number of ranks and threads); writes /results with clusters, the "
    "model file and a summary. Exit code 5 when no restart converged within --max-iter "
    "(results are still written, flagged converged = 0).\n"
    "\n"
    "Cluster names (cluster_label): when k equals the number of names of the feature set (5 for "
    "lrfmc, 8 for rfm), each name goes to one cluster, by the assignment that minimises the summed "
    "squared distance between the centroids (z units) and the prototypes below; for other k each "
    "cluster takes its nearest prototype, and a name repeated by lower-value clusters gets a "
    "suffix _2, _3, ... in the summary and report. Prototypes (z units):\n";

/* train's settings beyond the shared ones and job->clustering's. */
typedef struct {
    int64_t k, n_init, max_iter, seed, restart_sample;
    double tol;
    double *given; /* --init CENTERS.h5: [k][d] (owned) or NULL */
} pipeline_verb_train;

/* train's K-Means numbers and checkpoint settings. */
static cvseg_status pipeline_verb_train_numbers(const cvseg_options *options, cvseg_job *job,
                                                pipeline_verb_train *train)
{
    cvseg_status status = cvseg_opt_i64(options, "k", 0, 1, CVSEG_KMEANS_MAX_K, &train->k);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "n-init", 10, 1, 1000, &train->n_init);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_i64(options, "restart-sample", 100000, 0, INT64_MAX, &train->restart_sample);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "max-iter", 300, 1, 1000000, &train->max_iter);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "seed", 1, 0, INT64_MAX, &train->seed);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "tol", 1e-4, 0.0, 1e6, &train->tol);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "checkpoint-interval", 60.0, 0.0, 1e9,
                               &job->clustering.checkpoint_interval);
    job->clustering.checkpoint_path = cvseg_opt(options, "checkpoint");
    job->clustering.resume = cvseg_opt_has(options, "resume");
    if (status == CVSEG_OK && job->clustering.resume && !job->clustering.checkpoint_path)
        status = CVSEG_FAIL(CVSEG_EUSAGE, "option --resume needs --checkpoint FILE");
    return status;
}

/* --init: k-means++, k-means-parallel (k-means||) or a file of centres.
 * Collective. */
static cvseg_status pipeline_verb_train_init(cvseg_app *app, const cvseg_options *options,
                                             cvseg_job *job, pipeline_verb_train *train)
{
    cvseg_status status = CVSEG_OK;
    const char *init = cvseg_opt_or(options, "init", "k-means++");
    job->clustering.init_name = init;
    if (strcmp(init, "k-means++") == 0) {
        job->clustering.kmeans_config.init = CVSEG_INIT_PLUSPLUS;
    } else if (strcmp(init, "k-means-parallel") == 0 || strcmp(init, "k-means||") == 0) {
        job->clustering.kmeans_config.init = CVSEG_INIT_PARALLEL;
    } else {
        job->clustering.kmeans_config.init = CVSEG_INIT_GIVEN;
        status = pipeline_verb_read_centres(app, init, &train->k, job->settings.d, &train->given);
        if (status == CVSEG_OK)
            job->clustering.kmeans_config.given_centres = train->given;
    }
    return status;
}

/* The --init-from model must match this run: d, k (when given), features
 * and transforms. */
static cvseg_status pipeline_verb_check_warm_model(const char *path, const cvseg_job *job,
                                                   const cvseg_job *old, int64_t k)
{
    cvseg_status status = CVSEG_OK;
    if (old->settings.d != job->settings.d)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--init-from %s: model has d = %d features, this run has d = %d", path,
                            old->settings.d, job->settings.d);
    if (status == CVSEG_OK && k > 0 && old->clustering.k != k)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--init-from %s: model has k = %d, this run asks for k = %lld "
                            "(leave out --k to take the model's)",
                            path, old->clustering.k, (long long)k);
    for (int j = 0; j < job->settings.d && status == CVSEG_OK; ++j)
        if (strcmp(old->settings.feature_names[j], job->settings.feature_names[j]) != 0 ||
            old->settings.log1p[j] != job->settings.log1p[j])
            status = CVSEG_FAIL(
                CVSEG_EUSAGE, "--init-from %s: feature %d is %s%s in the model, %s%s here", path, j,
                old->settings.feature_names[j], old->settings.log1p[j] ? " (log1p)" : "",
                job->settings.feature_names[j], job->settings.log1p[j] ? " (log1p)" : "");
    return status;
}

/* train --init-from MODEL.h5: the model's k and its centroids in
 * transformed feature units (job->clustering.warm_centres). Collective. */
static cvseg_status pipeline_verb_warm_start(cvseg_app *app, const char *path, cvseg_job *job,
                                             int64_t *k)
{
    cvseg_job old;
    memset(&old, 0, sizeof old);
    cvseg_status status = cvseg_model_read(app, &old, path);
    if (status == CVSEG_OK)
        status = pipeline_verb_check_warm_model(path, job, &old, *k);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK) {
        const int d = old.settings.d;
        *k = old.clustering.k;
        job->clustering.warm_centres = malloc(sizeof(double) * (size_t)(old.clustering.k * d));
        if (!job->clustering.warm_centres)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        else
            for (int c = 0; c < old.clustering.k; ++c)
                for (int j = 0; j < d; ++j)
                    job->clustering.warm_centres[c * d + j] =
                        old.clustering.centroids[c * d + j] * old.clustering.scaler_sd[j] +
                        old.clustering.scaler_mean[j];
        job->clustering.init_name = "warm start";
    }
    cvseg_job_free(&old);
    return cvseg_mpi_agree(app->comm, status);
}

/* The K-Means configuration; --two-step's options. */
static cvseg_status pipeline_verb_train_config(const cvseg_options *options, cvseg_job *job,
                                               const pipeline_verb_train *train,
                                               int64_t *pre_clusters, int64_t *k_max)
{
    job->clustering.k = (int)(train->k > 0 ? train->k : 5);
    job->clustering.kmeans_config.n_init = (int)train->n_init;
    job->clustering.kmeans_sample = train->restart_sample;
    job->clustering.kmeans_config.max_iter = (int)train->max_iter;
    job->clustering.kmeans_config.tol = train->tol;
    job->clustering.kmeans_config.seed = (uint64_t)train->seed;
    cvseg_status status = cvseg_opt_i64(options, "pre-clusters", 50, 3, 512, pre_clusters);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "k-max", 15, 2, 511, k_max);
    if (status == CVSEG_OK && cvseg_opt_has(options, "two-step") &&
        (cvseg_opt_has(options, "k") || cvseg_opt_has(options, "init-from") ||
         job->clustering.checkpoint_path || job->clustering.kmeans_config.init == CVSEG_INIT_GIVEN))
        status = CVSEG_FAIL(CVSEG_EUSAGE, "--two-step chooses k itself: it does not combine with "
                                          "--k, --init CENTERS.h5, --init-from or --checkpoint");
    return status;
}

/* Configures K-Means, loads, scores and clusters (K-Means or two-step).
 * Collective. */
static cvseg_status pipeline_verb_train_run(cvseg_app *app, const cvseg_options *options,
                                            cvseg_job *job, const pipeline_verb_train *train)
{
    int64_t pre_clusters = 50, k_max = 15;
    cvseg_status status = pipeline_verb_train_config(options, job, train, &pre_clusters, &k_max);
    if (status == CVSEG_OK)
        status = pipeline_verb_load_and_score(app, job, 0);
    if (status == CVSEG_OK)
        status = cvseg_opt_has(options, "two-step")
                     ? cvseg_job_cluster_two_step(app, job, (int)pre_clusters, (int)k_max)
                     : cvseg_job_cluster(app, job);
    if (status != CVSEG_OK)
        status = cvseg_mpi_agree(app->comm, status);
    return status;
}

/* The model, then results and summary (exit code 5 when K-Means did not
 * converge: everything is still written). Collective. */
static cvseg_status pipeline_verb_train_write(cvseg_app *app, const cvseg_options *options,
                                              cvseg_job *job, int64_t max_iter)
{
    const cvseg_status run_status = job->clustering.kmeans.converged ? CVSEG_OK : CVSEG_ENOCONV;
    if (run_status == CVSEG_ENOCONV)
        CVSEG_FAIL(CVSEG_ENOCONV,
                   "K-Means did not converge within --max-iter %lld; results written and flagged "
                   "(converged = 0)",
                   (long long)max_iter);
    cvseg_status status = cvseg_model_write(app, job, run_status);
    if (status == CVSEG_OK || status == CVSEG_ENOCONV) {
        cvseg_phase_end(&job->phases, app, "model");
        status = pipeline_verb_finish_outputs(app, job, options, run_status);
    }
    return status;
}

cvseg_status cvseg_verb_train(cvseg_app *app)
{
    cvseg_options options;
    cvseg_job job;
    pipeline_verb_train train = {0};
    char prototypes[2048], summary[3072];
    memset(&job, 0, sizeof job);
    cvseg_prototype_tables_text(prototypes, sizeof prototypes);
    snprintf(summary, sizeof summary, "%s%s", pipeline_verb_train_summary, prototypes);
    cvseg_status status = pipeline_verb_parse(
        app, pipeline_verb_train_options, COUNT(pipeline_verb_train_options), &options, summary);
    if (status != CVSEG_OK || app->help_requested)
        return status;
    cvseg_phase_begin(&job.phases);
    status = cvseg_job_parse_settings(app, &options, &job.settings);
    if (status == CVSEG_OK)
        status = pipeline_verb_train_numbers(&options, &job, &train);
    if (status == CVSEG_OK)
        status = pipeline_verb_declare_files(app, &options, &job);
    /* From now on SIGTERM / SIGUSR1 request a checkpoint at the next
     * K-Means boundary instead of killing the run. */
    if (status == CVSEG_OK && job.clustering.checkpoint_path)
        cvseg_checkpoint_signals();
    if (status == CVSEG_OK)
        status = pipeline_verb_train_init(app, &options, &job, &train);
    if (status == CVSEG_OK && cvseg_opt_has(&options, "init-from"))
        status = pipeline_verb_warm_start(app, cvseg_opt(&options, "init-from"), &job, &train.k);
    if (status == CVSEG_OK)
        status = pipeline_verb_train_run(app, &options, &job, &train);
    if (status == CVSEG_OK)
        status = pipeline_verb_train_write(app, &options, &job, train.max_iter);
    /* Model, results and summary are committed together; a finished run
     * also removes its checkpoint, leaving nothing to resume by mistake. */
    status = cvseg_outputs_finish(job.outputs, status);
    free(train.given);
    json_decref(job.summary_extra);
    cvseg_job_free(&job);
    return status;
}

/* score's model: the frozen model, the member table, RFM with the model's
 * edges, clusters by nearest centroid. Collective. */
static cvseg_status pipeline_verb_score_apply(cvseg_app *app, const cvseg_options *options,
                                              cvseg_job *job)
{
    cvseg_status status = cvseg_model_read(app, job, cvseg_opt(options, "model"));
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "model");
        status = pipeline_verb_load_and_score(app, job, 1);
    }
    if (status == CVSEG_OK)
        status = cvseg_job_assign(app, &job->settings, &job->rows, &job->rfm, &job->clustering,
                                  &job->phases);
    return status;
}

/* score --previous (migration) and --clv (attached columns). Collective. */
static cvseg_status pipeline_verb_score_joins(cvseg_app *app, const cvseg_options *options,
                                              cvseg_job *job)
{
    cvseg_status status = CVSEG_OK;
    if (cvseg_opt_has(options, "previous")) {
        status = cvseg_job_migration(app, job, cvseg_opt(options, "previous"));
        if (status == CVSEG_OK)
            cvseg_phase_end(&job->phases, app, "migration");
    }
    if (status == CVSEG_OK && cvseg_opt_has(options, "clv")) {
        status = cvseg_job_attach_clv(app, job, cvseg_opt(options, "clv"));
        if (status == CVSEG_OK)
            cvseg_phase_end(&job->phases, app, "clv");
    }
    return status;
}

/* Drift against the model's training figures; *run_status := EDRIFT when
 * --drift-threshold is exceeded (results are still written). */
static cvseg_status pipeline_verb_score_drift(cvseg_app *app, const cvseg_options *options,
                                              cvseg_job *job, cvseg_status *run_status)
{
    double threshold = 0.0;
    cvseg_status status = cvseg_opt_f64(options, "drift-threshold", 0.0, 0.0, 1e9, &threshold);
    *run_status = status;
    if (status != CVSEG_OK)
        return status;
    cvseg_job_drift(job);
    double worst = 0.0;
    for (int f = 0; f < 3; ++f)
        worst = job->migration.psi[f] > worst ? job->migration.psi[f] : worst;
    if (job->migration.drift_available)
        cvseg_log(app, 1, "drift: PSI recency %.4f, frequency %.4f, monetary %.4f",
                  job->migration.psi[0], job->migration.psi[1], job->migration.psi[2]);
    if (job->migration.migrated)
        cvseg_log(app, 1, "migration: %lld new members, %lld gone",
                  (long long)job->migration.new_members, (long long)job->migration.gone_members);
    if (cvseg_opt_has(options, "drift-threshold") && job->migration.drift_available &&
        worst > threshold)
        *run_status = CVSEG_FAIL(CVSEG_EDRIFT,
                                 "drift above threshold: max PSI %.4g > %.4g (results written; "
                                 "consider retraining)",
                                 worst, threshold);
    return status;
}

cvseg_status cvseg_verb_score(cvseg_app *app)
{
    cvseg_options options;
    cvseg_job job;
    cvseg_status run_status = CVSEG_OK;
    memset(&job, 0, sizeof job);
    cvseg_status status = pipeline_verb_parse(
        app, pipeline_verb_score_options, COUNT(pipeline_verb_score_options), &options,
        "Applies a trained model to a member snapshot without retraining: the frozen "
        "scaler, quintile edges, segment thresholds, ABC cuts, centroids, cluster order and "
        "labels. One pass over the data; writes the same /results layout as train.");
    if (status != CVSEG_OK || app->help_requested)
        return status;
    cvseg_phase_begin(&job.phases);
    status = pipeline_verb_begin(app, &options, &job);
    if (status == CVSEG_OK)
        status = pipeline_verb_score_apply(app, &options, &job);
    if (status == CVSEG_OK)
        status = pipeline_verb_score_joins(app, &options, &job);
    if (status == CVSEG_OK)
        status = pipeline_verb_score_drift(app, &options, &job, &run_status);
    if (status == CVSEG_OK)
        status = pipeline_verb_finish_outputs(app, &job, &options, run_status);
    else
        status = cvseg_mpi_agree(app->comm, status);
    status = cvseg_outputs_finish(job.outputs, status);
    cvseg_job_free(&job);
    return status;
}
