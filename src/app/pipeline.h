/* pipeline.h: the rfm / train / score pipeline shared by those verbs.
 *
 * One cvseg_job holds this rank's rows (block partition of the member table),
 * the global statistics (identical on every rank) and the per-member results.
 * Arrays marked [n] have this rank's n_local rows; [d][n] are column-major.
 */
#ifndef CVSEG_PIPELINE_H
#define CVSEG_PIPELINE_H

#include <jansson.h>
#include <stdint.h>

#include "app.h"
#include "migration.h"
#include "cvseg/clv.h"
#include "cvseg/exchange.h"
#include "cvseg/kmeans_mpi.h"
#include "cvseg/outputs.h"
#include "cvseg/rfm.h"
#include "cvseg/stats.h"

#define CVSEG_MAX_FEATURES 16

typedef enum { CVSEG_FEATURES_RFM, CVSEG_FEATURES_LRFMC, CVSEG_FEATURES_CUSTOM } cvseg_feature_set;

/* Cluster value labels (HDF5 enum "cluster_label"): the eight segment names,
 * then the airline labels not among them, then none. */
enum {
    CVSEG_LABEL_GENERAL = 8,
    CVSEG_LABEL_LOW_VALUE = 9,
    CVSEG_LABEL_NONE = 10,
    CVSEG_LABEL_COUNT = 11
};
extern const char *const cvseg_cluster_label_names[CVSEG_LABEL_COUNT];

/* The files rfm / train / score declare (positions in job->outputs). */
enum {
    CVSEG_JOB_IN,
    CVSEG_JOB_OUT,
    CVSEG_JOB_SUMMARY,
    CVSEG_JOB_MODEL, /* written by train, read by score */
    CVSEG_JOB_INIT,
    CVSEG_JOB_INIT_FROM,
    CVSEG_JOB_CHECKPOINT,
    CVSEG_JOB_PREVIOUS,
    CVSEG_JOB_CLV, /* score --clv: read */
    CVSEG_JOB_FILES
};

/* Settings: parsed from the options by cvseg_job_parse_settings (or read
 * from the model file by score); read by every stage; cvseg_job_load fills
 * in reference_date when it was not given. */
typedef struct {
    const char *input_path;
    cvseg_feature_set feature_set;
    int d; /* clustering features */
    char feature_names[CVSEG_MAX_FEATURES][64];
    int log1p[CVSEG_MAX_FEATURES];                  /* 1: feature transformed by log1p */
    char column_map[CVSEG_MAX_FEATURES * 2][2][64]; /* FIELD -> COLUMN from --map */
    int n_map;
    int32_t reference_date;
    int invalid_drop; /* 1: drop invalid rows, 0: error */
    int recency_recent_high;
    int baseline_median;
    cvseg_abc_cuts abc;
    char abc_preset[16];
    cvseg_lrfmc_rules rules;
    int check_duplicates;
} cvseg_job_settings;

/* Rows: this rank's block of the member table and its global counts
 * (written by cvseg_job_load). */
typedef struct {
    int64_t n_global, offset, n_local;
    int64_t *member_id;                     /* [n] */
    uint8_t *status;                        /* [n] cvseg_member_status */
    double *recency, *frequency, *monetary; /* [n] RFM features (raw units) */
    double *features;                       /* [d][n] clustering features, raw units */
    int fare_columns; /* LRFMC: 1 when the table has fare_yr1 and fare_yr2 (fare rules apply) */
    /* global counts */
    int64_t status_counts[CVSEG_MEMBER_STATUS_COUNT];
    int64_t non_positive_monetary; /* scored members with M <= 0 (RFM and custom sets) */
    int64_t n_ok;
    int64_t
        joined_after_last_flight; /* LRFMC: members whose join date is after their last flight */
} cvseg_job_rows;

/* RFM results (written by cvseg_job_score_rfm; the model by score's model
 * file when frozen): global statistics, then per-member results. */
typedef struct {
    cvseg_moments moments[3]; /* R, F, M */
    cvseg_moments amount_moments;
    cvseg_rfm_model model;
    int64_t score_bins[3][6]; /* members per score 1..5 (index 1..5) */
    uint8_t *r_score, *f_score, *m_score, *segment, *abc_class, *value_cell; /* [n] */
    uint16_t *cell;                                                          /* [n] RFM cell */
    cvseg_group_summary by_segment, by_abc, by_matrix;
} cvseg_rfm_results;

/* Clustering (written by cvseg_job_cluster / train_prepared / assign; the
 * configuration and checkpoint settings by the verb). */
typedef struct {
    int clustered;
    int k;
    double scaler_mean[CVSEG_MAX_FEATURES], scaler_sd[CVSEG_MAX_FEATURES];
    double *centroids;     /* [k][d] z units, engine order */
    int64_t *sizes;        /* [k] */
    uint8_t *labels;       /* [k] */
    int16_t *cluster;      /* [n] -1 for dropped */
    uint8_t *member_label; /* [n] */
    float *distance;       /* [n] */
    cvseg_group_summary by_cluster;
    cvseg_kmeans_config kmeans_config;
    int64_t kmeans_sample; /* > 0: the restarts run on about this many members
                              (chosen by member id), then Lloyd on all from the best */
    cvseg_kmeans_result kmeans;
    const char *init_name;

    /* warm start (train --init-from MODEL.h5): old centroids in transformed
     * feature units, standardised with this run's scaler before use */
    double *warm_centres; /* [k][d] or NULL */

    /* checkpoint / restart (train) */
    const char *checkpoint_path;
    double checkpoint_interval; /* seconds; 0 = every iteration */
    int resume;
} cvseg_clustering;

/* Migration and drift (score --previous; training figures from the model). */
typedef struct {
    int migrated;
    int sizes[CVSEG_MIGRATION_MATRICES];        /* categories + 1 (absent) per matrix */
    int64_t *members[CVSEG_MIGRATION_MATRICES]; /* [size][size] segment, cluster, ABC */
    double *monetary[CVSEG_MIGRATION_MATRICES]; /* [size][size] */
    int64_t new_members, gone_members;
    int16_t *previous_cluster; /* [n] -1: new tonight */
    uint8_t *previous_segment; /* [n] CVSEG_SEG_NONE: new tonight */
    int drift_available;
    double psi[3];        /* R, F, M on the frozen quintile bins */
    double mean_shift[3]; /* in training standard deviations */
    double segment_share_change[8];
    int64_t training_score_bins[3][5];
    int64_t training_segment_members[8];
    double training_statistics[3][2];
} cvseg_migration;

/* CLV columns joined by member id (score --clv). */
typedef struct {
    int attached;
    double *values;     /* [CVSEG_CLV_ATTACHED][n]; NaN where the CLV file lacks the member */
    uint8_t *lifecycle; /* [n] cvseg_lifecycle; prospect where the CLV file lacks the member */
    int64_t life_counts[CVSEG_LIFE_COUNT]; /* tonight's members per stage (global) */
    int64_t missing;                       /* tonight's members not in the CLV file (global) */
    int64_t ignored; /* CLV file rows whose id is not among tonight's members (global) */
    double sum;      /* exact sum of the finite clv values of tonight's members */
} cvseg_clv_columns;

/* One run of the pipeline: the parts above, each owned by one stage. */
typedef struct {
    cvseg_job_settings settings;
    cvseg_outputs *outputs; /* the run's declared files (outputs.h) */
    cvseg_job_rows rows;
    cvseg_rfm_results rfm;
    cvseg_clustering clustering;
    cvseg_migration migration;
    cvseg_clv_columns clv;
    cvseg_phases phases;
    json_t *summary_extra; /* keys added to the summary, or NULL (owner: the verb) */
} cvseg_job;

void cvseg_job_free(cvseg_job *job);

/* calloc of n rows of size bytes (at least one row) for a per-member array
 * that is written in full next: large ones are populated up front (one
 * system call instead of a page fault per page). Records CVSEG_ENOMEM in
 * *status (if still OK) and returns NULL on failure; freed with free(). */
void *cvseg_job_rows_alloc(int64_t n, size_t size, cvseg_status *status);

/* Reads this rank's block of the member table (settings->input_path) into
 * rows: features, statuses and the global counts. Reads settings; writes
 * settings->reference_date only when it was not given (INT32_MIN: the
 * table's attribute). Collective. */
cvseg_status cvseg_job_load(cvseg_app *app, cvseg_job_settings *settings, cvseg_job_rows *rows);
/* From settings and rows (read) into rfm (written): global moments, quintile
 * edges, baselines, ABC cuts (unless `frozen`: then rfm->model is used as
 * given), scores and classes, summaries; ends the phases "moments",
 * "quantiles" (not frozen) and "scores". EDATA when no member is left.
 * Collective. */
cvseg_status cvseg_job_score_rfm(cvseg_app *app, const cvseg_job_settings *settings,
                                 const cvseg_job_rows *rows, cvseg_rfm_results *rfm,
                                 cvseg_phases *phases, int frozen);
/* Standardises (fitting the scaler unless frozen) and clusters; orders and
 * labels clusters. Collective. */
cvseg_status cvseg_job_cluster(cvseg_app *app, cvseg_job *job);
/* The standardised rows of a clustering run (train, sweep, score): this
 * rank's OK rows, their ids, z [d][n_ok] (rounded in place by K-Means), and
 * the last run's label [n_ok] (engine order) and squared distance [n_ok].
 * When every row is OK (the usual case) no index or id copy is made: rows is
 * NULL (OK row t is row t) and ids is the job's own member_id. */
typedef struct {
    int64_t n_ok;
    int64_t *rows;      /* [n_ok] row of each OK row, or NULL: row t */
    const int64_t *ids; /* [n_ok] their member ids */
    int64_t *ids_copy;  /* what ids points to when it is a copy, else NULL */
    double *z;
    int32_t *label;
    double *distance2;
} cvseg_prepared;
/* Fits the scaler and standardises (cvseg_job_cluster's first half). Collective. */
cvseg_status cvseg_job_prepare(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared);
/* K-Means at job->clustering.k on prepared rows, order, labels, member outputs
 * (cvseg_job_cluster's second half). Collective. */
cvseg_status cvseg_job_train_prepared(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared);
void cvseg_prepared_free(cvseg_prepared *prepared);
/* The display name of cluster c (engine order): its label, with a rank
 * suffix (_2, _3, ...) when higher-value clusters have the same label. */
void cvseg_job_cluster_name(const cvseg_job *job, int c, char *out, size_t size);
/* The feature set's name in files and summaries: "rfm", "lrfmc" or "custom";
 * and back (an unknown name is custom). */
const char *cvseg_feature_set_name(cvseg_feature_set set);
cvseg_feature_set cvseg_feature_set_from_name(const char *name);
/* Frees the clustering outputs so that the job can be clustered again. */
void cvseg_job_clear_clusters(cvseg_job *job);
/* Two-step clustering (train --two-step): K-Means at pre_clusters, Ward
 * merging of the weighted pre-cluster centres, k in 2..k_max by the
 * silhouette of the Ward cuts, then Lloyd from the merged groups' centres; the job
 * ends up clustered at the chosen k (job->clustering.k), as after cvseg_job_cluster.
 * Sets job->summary_extra ("two_step"). Collective. */
cvseg_status cvseg_job_cluster_two_step(cvseg_app *app, cvseg_job *job, int pre_clusters,
                                        int k_max);
/* Frozen-model assignment for rescoring: standardises rows with
 * clustering's scaler, assigns each OK member to the nearest centroid and
 * fills clustering's sizes, per-member outputs and by_cluster (bounds from
 * rfm's moments); ends the phase "assign". Collective. */
cvseg_status cvseg_job_assign(cvseg_app *app, const cvseg_job_settings *settings,
                              const cvseg_job_rows *rows, const cvseg_rfm_results *rfm,
                              cvseg_clustering *clustering, cvseg_phases *phases);
/* Writes /results (and /report/summary_json) to the temporary of
 * CVSEG_JOB_OUT. Returns run_status, or the failure of writing. Collective. */
cvseg_status cvseg_job_write_results(cvseg_app *app, cvseg_job *job, json_t *summary,
                                     cvseg_status run_status);
/* Builds the summary document (on every rank; identical). */
json_t *cvseg_job_summary(cvseg_app *app, cvseg_job *job);
/* Writes JSON to the temporary of output index of outputs on rank 0 (synced;
 * committed with the run's other outputs). Returns run_status, or EIO when
 * writing failed. Collective (agreement). */
cvseg_status cvseg_write_json_output(cvseg_app *app, cvseg_outputs *outputs, int index,
                                     json_t *document, cvseg_status run_status);

/* Model file: everything `score` needs, written to the temporary of
 * CVSEG_JOB_MODEL. Returns run_status, or the failure of writing. Collective. */
cvseg_status cvseg_model_write(cvseg_app *app, cvseg_job *job, cvseg_status run_status);
/* The same to the temporary of output index of outputs (sweep's --models). */
cvseg_status cvseg_model_write_to(cvseg_app *app, cvseg_job *job, cvseg_outputs *outputs, int index,
                                  cvseg_status run_status);
cvseg_status cvseg_model_read(cvseg_app *app, cvseg_job *job, const char *path);

/* Checkpoint file (group /checkpoint): the K-Means state at a boundary plus a
 * fingerprint of the data and settings; written to the temporary of
 * CVSEG_JOB_CHECKPOINT of outputs and renamed into place at once. Collective. */
cvseg_status cvseg_checkpoint_write(cvseg_app *app, cvseg_outputs *outputs, uint64_t fingerprint,
                                    int k, int d, int64_t n_local, const cvseg_kmeans_state *state);
/* found = 0 when path does not exist. state arrays allocated here (free with
 * cvseg_checkpoint_free). EUSAGE when the fingerprint differs. */
cvseg_status cvseg_checkpoint_read(cvseg_app *app, const char *path, uint64_t fingerprint, int k,
                                   int d, int64_t n_local, cvseg_kmeans_state *state, int *found);
void cvseg_checkpoint_free(cvseg_kmeans_state *state);
/* Installs SIGTERM / SIGUSR1 handlers that request a checkpoint. */
void cvseg_checkpoint_signals(void);
/* 1 once such a signal arrived. */
int cvseg_checkpoint_signalled(void);

/* Joins tonight's results with OLD_RESULTS by member_id across ranks and
 * fills the transition matrices and previous_* columns. Collective. */
cvseg_status cvseg_job_migration(cvseg_app *app, cvseg_job *job, const char *previous_path);
/* The CLV columns score --clv attaches, in /clv and /results order. */
enum { CVSEG_CLV_ATTACHED = 5 };
extern const char *const cvseg_clv_attached_names[CVSEG_CLV_ATTACHED];
/* Joins CLV.h5's /clv rows (cvseg clv) to tonight's members by member_id
 * across ranks: fills job->clv.values, clv_lifecycle and the clv_* totals.
 * EDATA for a bad lifecycle value or an id twice in the file. Collective. */
cvseg_status cvseg_job_attach_clv(cvseg_app *app, cvseg_job *job, const char *clv_path);

/* PSI, mean shifts and segment share changes against the model's training
 * figures. */
void cvseg_job_drift(cvseg_job *job);

/* train's option table (verb_pipeline.c), reused by sweep. */
extern const cvseg_option *const cvseg_train_option_table;
extern const int cvseg_train_option_count;

/* Shared option parsing of rfm/train/score into settings (zeroed by the
 * caller). */
cvseg_status cvseg_job_parse_settings(cvseg_app *app, const cvseg_options *options,
                                      cvseg_job_settings *settings);

#endif
