/* pipeline_output.c: results file, summary document, JSON files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "migration.h"
#include "pipeline.h"
#include "provenance.h"

static const cvseg_enum_def results_status_enum = {cvseg_member_status_names,
                                                   CVSEG_MEMBER_STATUS_COUNT};
static const cvseg_enum_def results_segment_enum = {cvseg_segment_names, CVSEG_SEG_COUNT};
static const cvseg_enum_def results_matrix_enum = {cvseg_value_cell_names, CVSEG_MATRIX_COUNT};
static const cvseg_enum_def results_abc_enum = {cvseg_abc_names, CVSEG_ABC_COUNT};
static const cvseg_enum_def results_label_enum = {cvseg_cluster_label_names, CVSEG_LABEL_COUNT};
static const cvseg_enum_def results_lifecycle_enum = {cvseg_lifecycle_names, CVSEG_LIFE_COUNT};

/* At most this many /results columns (features, scores, classes, clusters,
 * migration, CLV). */
enum { RESULTS_MAX_COLUMNS = 40 };

/* The feature columns: LRFMC's five (with units), or R, F, M and the
 * custom features that are none of them. Returns the next free column. */
static int results_feature_columns(const cvseg_job *job, cvseg_column *columns, int c)
{
    const cvseg_job_settings *settings = &job->settings;
    const int64_t n = job->rows.n_local;
    if (settings->feature_set == CVSEG_FEATURES_LRFMC) {
        for (int j = 0; j < settings->d; ++j)
            columns[c++] = (cvseg_column){settings->feature_names[j], CVSEG_T_F64,
                                          job->rows.features + (int64_t)j * n, NULL,
                                          j == 0   ? "months"
                                          : j == 1 ? "days"
                                          : j == 3 ? "km"
                                                   : NULL};
        return c;
    }
    columns[c++] = (cvseg_column){"recency", CVSEG_T_F64, job->rows.recency, NULL, "days"};
    columns[c++] = (cvseg_column){"frequency", CVSEG_T_F64, job->rows.frequency, NULL, NULL};
    columns[c++] = (cvseg_column){"monetary", CVSEG_T_F64, job->rows.monetary, NULL, NULL};
    if (settings->feature_set == CVSEG_FEATURES_CUSTOM)
        for (int j = 0; j < settings->d; ++j)
            if (strcmp(settings->feature_names[j], "recency") &&
                strcmp(settings->feature_names[j], "frequency") &&
                strcmp(settings->feature_names[j], "monetary"))
                columns[c++] = (cvseg_column){settings->feature_names[j], CVSEG_T_F64,
                                              job->rows.features + (int64_t)j * n, NULL, NULL};
    return c;
}

/* The scores and classes (total_score [n]: r + f + m). Returns the next
 * free column. */
static int results_rfm_columns(const cvseg_rfm_results *rfm, const uint8_t *total_score,
                               cvseg_column *columns, int c)
{
    columns[c++] = (cvseg_column){"r_score", CVSEG_T_U8, rfm->r_score, NULL, NULL};
    columns[c++] = (cvseg_column){"f_score", CVSEG_T_U8, rfm->f_score, NULL, NULL};
    columns[c++] = (cvseg_column){"m_score", CVSEG_T_U8, rfm->m_score, NULL, NULL};
    columns[c++] = (cvseg_column){"rfm_cell", CVSEG_T_U16, rfm->cell, NULL, NULL};
    columns[c++] = (cvseg_column){"rfm_total", CVSEG_T_U8, total_score, NULL, NULL};
    columns[c++] = (cvseg_column){"segment", CVSEG_T_U8, rfm->segment, &results_segment_enum, NULL};
    columns[c++] =
        (cvseg_column){"value_matrix", CVSEG_T_U8, rfm->value_cell, &results_matrix_enum, NULL};
    columns[c++] = (cvseg_column){"abc_class", CVSEG_T_U8, rfm->abc_class, &results_abc_enum, NULL};
    return c;
}

/* Clusters, previous segment and cluster, CLV columns, where the run has
 * them. Returns the next free column. */
static int results_optional_columns(const cvseg_job *job, cvseg_column *columns, int c)
{
    const cvseg_clustering *clustering = &job->clustering;
    if (clustering->clustered) {
        columns[c++] = (cvseg_column){"cluster", CVSEG_T_I16, clustering->cluster, NULL, NULL};
        columns[c++] = (cvseg_column){"cluster_label", CVSEG_T_U8, clustering->member_label,
                                      &results_label_enum, NULL};
        columns[c++] =
            (cvseg_column){"cluster_distance", CVSEG_T_F32, clustering->distance, NULL, "z units"};
    }
    if (job->migration.migrated) {
        columns[c++] = (cvseg_column){"previous_segment", CVSEG_T_U8,
                                      job->migration.previous_segment, &results_segment_enum, NULL};
        columns[c++] = (cvseg_column){"previous_cluster", CVSEG_T_I16,
                                      job->migration.previous_cluster, NULL, NULL};
    }
    for (int v = 0; v < CVSEG_CLV_ATTACHED && job->clv.attached; ++v)
        columns[c++] = (cvseg_column){cvseg_clv_attached_names[v], CVSEG_T_F64,
                                      job->clv.values + (int64_t)v * job->rows.n_local, NULL, NULL};
    if (job->clv.attached)
        columns[c++] = (cvseg_column){"lifecycle", CVSEG_T_U8, job->clv.lifecycle,
                                      &results_lifecycle_enum, NULL};
    return c;
}

/* /results: every column of this rank's rows. Collective. */
static cvseg_status results_write_columns(cvseg_writer *writer, const cvseg_job *job,
                                          const uint8_t *total_score)
{
    cvseg_column columns[RESULTS_MAX_COLUMNS];
    int c = 0;
    columns[c++] = (cvseg_column){"member_id", CVSEG_T_I64, job->rows.member_id, NULL, NULL};
    columns[c++] =
        (cvseg_column){"status", CVSEG_T_U8, job->rows.status, &results_status_enum, NULL};
    c = results_feature_columns(job, columns, c);
    c = results_rfm_columns(&job->rfm, total_score, columns, c);
    c = results_optional_columns(job, columns, c);
    return cvseg_writer_columns(writer, "/results", job->rows.n_global, job->rows.offset,
                                job->rows.n_local, c, columns);
}

/* /migration: the transition matrices and their attributes. Collective. */
static cvseg_status results_write_migration(cvseg_writer *writer, const cvseg_migration *migration)
{
    cvseg_status status = CVSEG_OK;
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES && status == CVSEG_OK; ++m) {
        char dataset[128];
        const int64_t dims[2] = {migration->sizes[m], migration->sizes[m]};
        snprintf(dataset, sizeof dataset, "/migration/%s_members", cvseg_migration_matrix_names[m]);
        status = cvseg_writer_small(writer, dataset, CVSEG_T_I64, 2, dims, migration->members[m]);
        snprintf(dataset, sizeof dataset, "/migration/%s_monetary",
                 cvseg_migration_matrix_names[m]);
        if (status == CVSEG_OK)
            status =
                cvseg_writer_small(writer, dataset, CVSEG_T_F64, 2, dims, migration->monetary[m]);
    }
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/migration", "categories",
                                       "rows: last night, columns: tonight; segment: the nine "
                                       "segment enum values then absent; cluster: 0..k-1, "
                                       "unclustered, absent; abc: A, B, C, none, absent");
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i64(writer, "/migration", "new_members", migration->new_members);
    if (status == CVSEG_OK)
        status =
            cvseg_writer_attr_i64(writer, "/migration", "gone_members", migration->gone_members);
    return status;
}

/* The attributes of /results: schema, reference date, features,
 * convergence, provenance. Collective. */
static cvseg_status results_write_attributes(cvseg_app *app, cvseg_writer *writer,
                                             const cvseg_job *job)
{
    cvseg_status status = cvseg_writer_attr_str(writer, "/results", "schema", "cvseg.results/1");
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, "/results", "reference_date",
                                       job->settings.reference_date);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/results", "features",
                                       cvseg_feature_set_name(job->settings.feature_set));
    if (status == CVSEG_OK && job->clustering.clustered)
        status = cvseg_writer_attr_i32(writer, "/results", "converged",
                                       job->clustering.kmeans.converged);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, "/results", job->settings.input_path,
                                        job->clustering.kmeans_config.seed);
    return status;
}

/* /report/summary_json: rank 0's text of summary. Every rank must pass the
 * same dataset shape to the collective create, so the text is broadcast.
 * Collective. */
static cvseg_status results_write_summary(cvseg_app *app, cvseg_writer *writer, json_t *summary)
{
    char *text = json_dumps(summary, JSON_INDENT(2) | JSON_SORT_KEYS);
    cvseg_status status = CVSEG_OK;
    if (!text)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the summary");
    status = cvseg_mpi_agree(app->comm, status);
    int64_t length = text ? (int64_t)strlen(text) : 0;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Bcast(&length, 1, MPI_INT64_T, 0, app->comm), "bcast");
    if (status == CVSEG_OK && app->rank != 0) {
        char *resized = realloc(text, (size_t)length + 1);
        if (!resized)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the summary");
        else
            text = resized;
    }
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Bcast(text, (int)length + 1, MPI_CHAR, 0, app->comm),
                                 "summary broadcast");
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/report/summary_json", CVSEG_T_U8, 1, &length, text);
    free(text);
    return status;
}

/* The /results file's content (the writer is open). Collective. */
static cvseg_status results_write(cvseg_app *app, cvseg_writer *writer, const cvseg_job *job,
                                  json_t *summary)
{
    const int64_t n = job->rows.n_local;
    uint8_t *total_score = malloc((size_t)(n > 0 ? n : 1));
    cvseg_status status = CVSEG_OK;
    if (!total_score)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i)
        total_score[i] = (uint8_t)(job->rfm.r_score[i] + job->rfm.f_score[i] + job->rfm.m_score[i]);
    status = results_write_columns(writer, job, total_score);
    if (status == CVSEG_OK && job->migration.migrated)
        status = results_write_migration(writer, &job->migration);
    if (status == CVSEG_OK)
        status = results_write_attributes(app, writer, job);
    if (status == CVSEG_OK && summary)
        status = results_write_summary(app, writer, summary);
done:
    free(total_score);
    return status;
}

cvseg_status cvseg_job_write_results(cvseg_app *app, cvseg_job *job, json_t *summary,
                                     cvseg_status run_status)
{
    cvseg_writer *writer = NULL;
    cvseg_status status = cvseg_writer_open(job->outputs, CVSEG_JOB_OUT, &writer);
    if (status != CVSEG_OK)
        return status;
    if (run_status != CVSEG_OK && run_status != CVSEG_ENOCONV && run_status != CVSEG_EDRIFT)
        return cvseg_writer_close(writer, run_status);
    status = results_write(app, writer, job, summary);
    /* A run that did not converge, or that found drift, still writes its
     * (flagged) results. */
    status = cvseg_writer_close(writer, status);
    return status == CVSEG_OK ? run_status : status;
}

/* Rank 0: document as JSON into temporary, flushed and synced. */
static cvseg_status summary_write_synced(const char *temporary, const char *label, json_t *document)
{
    cvseg_status status = CVSEG_OK;
    FILE *out = fopen(temporary, "w");
    int failed = !out || json_dumpf(document, out, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 ||
                 fflush(out) != 0 || fsync(fileno(out)) != 0;
    const int saved = errno;
    if (out && fclose(out) != 0)
        failed = 1;
    if (failed)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write the summary: %s", label,
                            strerror(saved ? saved : errno));
    return status;
}

cvseg_status cvseg_write_json_output(cvseg_app *app, cvseg_outputs *outputs, int index,
                                     json_t *document, cvseg_status run_status)
{
    cvseg_status status = CVSEG_OK;
    if (app->rank == 0)
        status = summary_write_synced(cvseg_outputs_temporary(outputs, index),
                                      cvseg_outputs_given(outputs, index), document);
    status = cvseg_mpi_agree(app->comm, status);
    return status == CVSEG_OK ? run_status : status;
}

/* ------------------------------------------------------------------ summary */

/* One row per group: members, share, means and monetary totals. */
static json_t *summary_group_table(const cvseg_group_summary *summary, const char *const *names,
                                   int64_t members, double total_monetary)
{
    json_t *rows = json_array();
    for (int g = 0; g < summary->groups; ++g) {
        const double group_monetary = cvseg_group_summary_total(summary, g, 2);
        json_array_append_new(
            rows, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "name", names[g], "members",
                            (json_int_t)summary->count[g], "share",
                            members ? (double)summary->count[g] / (double)members : 0.0,
                            "mean_recency", cvseg_group_summary_mean(summary, g, 0),
                            "mean_frequency", cvseg_group_summary_mean(summary, g, 1),
                            "mean_monetary", cvseg_group_summary_mean(summary, g, 2),
                            "total_monetary", group_monetary, "monetary_share",
                            total_monetary != 0.0 ? group_monetary / total_monetary : 0.0));
    }
    return rows;
}

static json_t *summary_double_array(const double *values, int count)
{
    json_t *array = json_array();
    for (int t = 0; t < count; ++t)
        json_array_append_new(array, json_real(values[t]));
    return array;
}

/* engine, verb, input, dates, member counts, the verb's extra keys, ranks,
 * threads, memory. */
static void summary_run(cvseg_app *app, const cvseg_job *job, json_t *doc)
{
    char date[11];
    cvseg_format_date(job->settings.reference_date, date);
    json_object_set_new(doc, "engine", json_string("cvseg " CVSEG_VERSION));
    json_object_set_new(doc, "verb", json_string(app->verb));
    json_object_set_new(doc, "input",
                        json_string(job->settings.input_path ? job->settings.input_path : ""));
    json_object_set_new(doc, "reference_date", json_string(date));
    json_object_set_new(doc, "features",
                        json_string(cvseg_feature_set_name(job->settings.feature_set)));
    json_object_set_new(doc, "members", json_integer(job->rows.n_global));
    json_object_set_new(doc, "members_scored", json_integer(job->rows.n_ok));
    if (job->summary_extra) /* e.g. train --two-step's "two_step" */
        json_object_update(doc, job->summary_extra);
    json_object_set_new(doc, "ranks", json_integer(app->ranks));
    json_object_set_new(doc, "threads", json_integer(app->threads));
    json_object_set_new(doc, "peak_rss_mb_per_rank", json_real(cvseg_peak_rss_mb(app)));
}

/* "data_quality" (members per status and the feature set's checks) and,
 * for LRFMC, "fare_rules". */
static void summary_data_quality(const cvseg_job_settings *settings, const cvseg_job_rows *rows,
                                 json_t *doc)
{
    json_t *quality = json_object();
    for (int s = 0; s < CVSEG_MEMBER_STATUS_COUNT; ++s)
        json_object_set_new(quality, cvseg_member_status_names[s],
                            json_integer(rows->status_counts[s]));
    if (settings->feature_set == CVSEG_FEATURES_LRFMC) {
        json_object_set_new(quality, "joined_after_last_flight",
                            json_integer(rows->joined_after_last_flight));
        json_object_set_new(
            doc, "fare_rules",
            json_string(!rows->fare_columns ? "not applied: no fare columns (fare_yr1, fare_yr2)"
                        : settings->rules.drop_missing_fare || settings->rules.drop_inconsistent
                            ? "applied"
                            : "not applied: --keep-missing-fare --keep-inconsistent"));
    }
    if (settings->feature_set != CVSEG_FEATURES_LRFMC)
        json_object_set_new(quality, "non_positive_monetary",
                            json_integer(rows->non_positive_monetary));
    json_object_set_new(doc, "data_quality", quality);
}

/* "statistics": count, mean, sd, min, max of R, F, M. */
static json_t *summary_statistics(const cvseg_rfm_results *rfm)
{
    json_t *statistics = json_object();
    for (int f = 0; f < 3; ++f) {
        const cvseg_moments *m = &rfm->moments[f];
        json_object_set_new(statistics, cvseg_rfm_feature_names[f],
                            json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)m->count,
                                      "mean", m->mean, "sd", m->sd, "min", m->min, "max", m->max));
    }
    return statistics;
}

/* "quintiles": edges, members per score, empty scores and baseline of R,
 * F, M; the edge rule; the recency order. */
static json_t *summary_quintiles(const cvseg_rfm_results *rfm)
{
    json_t *quintiles = json_object();
    for (int f = 0; f < 3; ++f) {
        json_t *bins = json_array(), *collapsed = json_array();
        for (int s = 1; s <= 5; ++s) {
            json_array_append_new(bins, json_integer(rfm->score_bins[f][s]));
            if (rfm->score_bins[f][s] == 0)
                json_array_append_new(collapsed, json_integer(s));
        }
        json_object_set_new(quintiles, cvseg_rfm_feature_names[f],
                            json_pack("{s:o, s:o, s:o, s:f}", "edges",
                                      summary_double_array(rfm->model.edges[f], 4),
                                      "members_per_score", bins, "empty_scores", collapsed,
                                      "baseline", rfm->model.baseline[f]));
    }
    json_object_set_new(quintiles, "rule",
                        json_string("edge q = smallest value with at least q*N/5 members <= it "
                                    "(inverse empirical CDF); score = 1 + edges strictly below "
                                    "(F, M); recency reversed"));
    json_object_set_new(quintiles, "recency_order",
                        json_string(rfm->model.recency_recent_high ? "recent-high" : "recent-low"));
    return quintiles;
}

/* "total_monetary", "segment_baseline", "segments", "abc", "value_matrix".
 * Returns the total monetary (of all segments). */
static double summary_value_tables(const cvseg_job *job, json_t *doc)
{
    const cvseg_rfm_results *rfm = &job->rfm;
    const int64_t n_ok = job->rows.n_ok;
    double total_monetary = 0.0;
    for (int g = 0; g < rfm->by_segment.groups; ++g)
        total_monetary += cvseg_group_summary_total(&rfm->by_segment, g, 2);
    json_object_set_new(doc, "total_monetary", json_real(total_monetary));
    json_object_set_new(doc, "segment_baseline",
                        json_string(job->settings.baseline_median ? "median" : "mean"));
    json_object_set_new(
        doc, "segments",
        summary_group_table(&rfm->by_segment, cvseg_segment_names, n_ok, total_monetary));
    json_object_set_new(
        doc, "abc",
        json_pack("{s:s, s:f, s:f, s:o, s:o}", "preset", job->settings.abc_preset, "share_a",
                  job->settings.abc.share_a, "share_b", job->settings.abc.share_b, "cuts",
                  summary_double_array(rfm->model.abc_cut, 2), "classes",
                  summary_group_table(&rfm->by_abc, cvseg_abc_names, n_ok, total_monetary)));
    json_object_set_new(doc, "value_matrix",
                        json_pack("{s:f, s:f, s:o}", "frequency_baseline",
                                  rfm->model.matrix_f_baseline, "amount_baseline",
                                  rfm->model.matrix_amount_baseline, "cells",
                                  summary_group_table(&rfm->by_matrix, cvseg_value_cell_names, n_ok,
                                                      total_monetary)));
    return total_monetary;
}

/* "phases" (name -> seconds) and their total "seconds". */
static void summary_phases(const cvseg_phases *phases, json_t *doc)
{
    json_t *object = json_object();
    double total_seconds = 0.0;
    for (int p = 0; p < phases->count; ++p) {
        json_object_set_new(object, phases->name[p], json_real(phases->seconds[p]));
        total_seconds += phases->seconds[p];
    }
    json_object_set_new(doc, "phases", object);
    json_object_set_new(doc, "seconds", json_real(total_seconds));
}

/* Cluster c: label, size, share, centroid in z and original units, means,
 * revenue share. */
static json_t *summary_cluster(const cvseg_job *job, int c, double total_monetary)
{
    const cvseg_clustering *clustering = &job->clustering;
    const int d = job->settings.d;
    json_t *z = json_object(), *original = json_object();
    for (int j = 0; j < d; ++j) {
        const double zc = clustering->centroids[(int64_t)c * d + j];
        double value = zc * clustering->scaler_sd[j] + clustering->scaler_mean[j];
        if (job->settings.log1p[j])
            value = copysign(expm1(fabs(value)), value);
        json_object_set_new(z, job->settings.feature_names[j], json_real(zc));
        json_object_set_new(original, job->settings.feature_names[j], json_real(value));
    }
    const cvseg_group_summary *by_cluster = &clustering->by_cluster;
    const double revenue = cvseg_group_summary_total(by_cluster, c, 2);
    char name[96];
    cvseg_job_cluster_name(job, c, name, sizeof name);
    return json_pack("{s:i, s:s, s:I, s:f, s:o, s:o, s:f, s:f, s:f, s:f}", "cluster", c, "label",
                     name, "size", (json_int_t)by_cluster->count[c], "share",
                     job->rows.n_ok ? (double)by_cluster->count[c] / (double)job->rows.n_ok : 0.0,
                     "centroid_z", z, "centroid", original, "mean_recency",
                     cvseg_group_summary_mean(by_cluster, c, 0), "mean_frequency",
                     cvseg_group_summary_mean(by_cluster, c, 1), "mean_monetary",
                     cvseg_group_summary_mean(by_cluster, c, 2), "revenue_share",
                     total_monetary != 0.0 ? revenue / total_monetary : 0.0);
}

/* The run's K-Means figures (the stable keys k, iterations, inertia,
 * converged, seconds_per_iteration among them). */
static void summary_kmeans_run(const cvseg_clustering *clustering, json_t *kmeans)
{
    const cvseg_kmeans_result *result = &clustering->kmeans;
    json_object_set_new(kmeans, "k", json_integer(clustering->k));
    json_object_set_new(kmeans, "iterations", json_integer(result->iterations));
    json_object_set_new(kmeans, "inertia", json_real(result->inertia));
    json_object_set_new(kmeans, "converged", json_boolean(result->converged));
    json_object_set_new(kmeans, "restarts", json_integer(result->restarts));
    json_object_set_new(kmeans, "best_restart", json_integer(result->best_restart));
    json_object_set_new(kmeans, "empty_cluster_repairs", json_integer(result->empty_repairs));
    json_object_set_new(kmeans, "seconds_per_iteration",
                        json_real(result->lloyd_iterations
                                      ? result->lloyd_seconds / (double)result->lloyd_iterations
                                      : 0.0));
    json_object_set_new(kmeans, "seeding_seconds", json_real(result->seeding_seconds));
    json_object_set_new(kmeans, "seed", json_integer((json_int_t)clustering->kmeans_config.seed));
    json_object_set_new(kmeans, "init",
                        json_string(clustering->init_name ? clustering->init_name : "model"));
}

/* "kmeans": the run, the features and their transforms, the clusters. */
static json_t *summary_kmeans(const cvseg_job *job, double total_monetary)
{
    json_t *kmeans = json_object();
    summary_kmeans_run(&job->clustering, kmeans);
    json_t *names = json_array(), *transforms = json_array();
    for (int j = 0; j < job->settings.d; ++j) {
        json_array_append_new(names, json_string(job->settings.feature_names[j]));
        json_array_append_new(transforms, json_string(job->settings.log1p[j] ? "log1p" : "none"));
    }
    json_object_set_new(kmeans, "features", names);
    json_object_set_new(kmeans, "transforms", transforms);
    json_t *clusters = json_array();
    for (int c = 0; c < job->clustering.k; ++c)
        json_array_append_new(clusters, summary_cluster(job, c, total_monetary));
    json_object_set_new(kmeans, "clusters", clusters);
    return kmeans;
}

/* The name of row / column a of matrix m (size categories): its segment,
 * ABC class or cluster number, "unclustered", "absent". */
static void summary_category_name(cvseg_migration_matrix m, int a, int size, char *name,
                                  size_t capacity)
{
    if (a == size - 1)
        snprintf(name, capacity, "absent");
    else if (m == CVSEG_MIGRATION_SEGMENT)
        snprintf(name, capacity, "%s", cvseg_segment_names[a]);
    else if (m == CVSEG_MIGRATION_ABC)
        snprintf(name, capacity, "%s", cvseg_abc_names[a]);
    else if (a == size - 2)
        snprintf(name, capacity, "unclustered");
    else
        snprintf(name, capacity, "%d", a);
}

/* One transition matrix: categories, members [size][size], monetary. */
static json_t *summary_migration_matrix(const cvseg_migration *migration, cvseg_migration_matrix m)
{
    const int size = migration->sizes[m];
    json_t *labels = json_array(), *members = json_array(), *money = json_array();
    for (int a = 0; a < size; ++a) {
        char name[64];
        summary_category_name(m, a, size, name, sizeof name);
        json_array_append_new(labels, json_string(name));
        json_t *row = json_array(), *money_row = json_array();
        for (int b = 0; b < size; ++b) {
            json_array_append_new(row, json_integer(migration->members[m][a * size + b]));
            json_array_append_new(money_row, json_real(migration->monetary[m][a * size + b]));
        }
        json_array_append_new(members, row);
        json_array_append_new(money, money_row);
    }
    return json_pack("{s:o, s:o, s:o}", "categories", labels, "members", members, "monetary",
                     money);
}

/* "migration": new and gone members and the three matrices. */
static json_t *summary_migration(const cvseg_migration *migration)
{
    json_t *object = json_object();
    json_object_set_new(object, "new_members", json_integer(migration->new_members));
    json_object_set_new(object, "gone_members", json_integer(migration->gone_members));
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m)
        json_object_set_new(object, cvseg_migration_matrix_names[m],
                            summary_migration_matrix(migration, m));
    return object;
}

/* "clv": members per lifecycle stage, the CLV sum, unmatched counts. */
static json_t *summary_clv(const cvseg_clv_columns *columns)
{
    json_t *clv = json_object(), *life = json_object();
    for (int s = 0; s < CVSEG_LIFE_COUNT; ++s)
        json_object_set_new(life, cvseg_lifecycle_names[s], json_integer(columns->life_counts[s]));
    json_object_set_new(clv, "lifecycle", life);
    json_object_set_new(clv, "clv_sum", json_real(columns->sum));
    json_object_set_new(clv, "members_without_clv", json_integer(columns->missing));
    json_object_set_new(clv, "clv_rows_not_scored", json_integer(columns->ignored));
    return clv;
}

/* "drift": PSI of R, F, M and its maximum, mean shifts, segment share
 * changes. */
static json_t *summary_drift(const cvseg_migration *migration)
{
    json_t *drift = json_object(), *psi = json_object(), *shift = json_object();
    json_t *shares = json_object();
    for (int f = 0; f < 3; ++f) {
        json_object_set_new(psi, cvseg_rfm_feature_names[f], json_real(migration->psi[f]));
        json_object_set_new(shift, cvseg_rfm_feature_names[f], json_real(migration->mean_shift[f]));
    }
    for (int g = 0; g < 8; ++g)
        json_object_set_new(shares, cvseg_segment_names[g],
                            json_real(migration->segment_share_change[g]));
    double worst = 0.0;
    for (int f = 0; f < 3; ++f)
        worst = fmax(worst, migration->psi[f]);
    json_object_set_new(drift, "psi", psi);
    json_object_set_new(drift, "max_psi", json_real(worst));
    json_object_set_new(drift, "mean_shift_sd", shift);
    json_object_set_new(drift, "segment_share_change", shares);
    return drift;
}

json_t *cvseg_job_summary(cvseg_app *app, cvseg_job *job)
{
    json_t *doc = json_object();
    summary_run(app, job, doc);
    summary_data_quality(&job->settings, &job->rows, doc);
    json_object_set_new(doc, "statistics", summary_statistics(&job->rfm));
    json_object_set_new(doc, "quintiles", summary_quintiles(&job->rfm));
    const double total_monetary = summary_value_tables(job, doc);
    summary_phases(&job->phases, doc);
    if (job->clustering.clustered)
        json_object_set_new(doc, "kmeans", summary_kmeans(job, total_monetary));
    if (job->migration.migrated)
        json_object_set_new(doc, "migration", summary_migration(&job->migration));
    if (job->clv.attached)
        json_object_set_new(doc, "clv", summary_clv(&job->clv));
    if (job->migration.drift_available)
        json_object_set_new(doc, "drift", summary_drift(&job->migration));
    json_object_set_new(doc, "command_line", json_string(app->command_line));
    return doc;
}
