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
#include "pipeline.h"
#include "provenance.h"

static const cvseg_enum_def status_enum = {cvseg_member_status_names, CVSEG_MEMBER_STATUS_COUNT};
static const cvseg_enum_def segment_enum = {cvseg_segment_names, CVSEG_SEG_COUNT};
static const cvseg_enum_def matrix_enum = {cvseg_value_cell_names, CVSEG_MATRIX_COUNT};
static const cvseg_enum_def abc_enum = {cvseg_abc_names, CVSEG_ABC_COUNT};
static const cvseg_enum_def label_enum = {cvseg_cluster_label_names, CVSEG_LABEL_COUNT};
static const cvseg_enum_def lifecycle_enum = {cvseg_lifecycle_names, CVSEG_LIFE_COUNT};

static const char *feature_set_name(const cvseg_job *job)
{
    return job->settings.feature_set == CVSEG_FEATURES_RFM     ? "rfm"
           : job->settings.feature_set == CVSEG_FEATURES_LRFMC ? "lrfmc"
                                                               : "custom";
}

cvseg_status cvseg_job_write_results(cvseg_app *app, cvseg_job *job, json_t *summary,
                                     cvseg_status run_status)
{
    cvseg_writer *writer = NULL;
    cvseg_status status = cvseg_writer_open(job->outputs, CVSEG_JOB_OUT, &writer);
    uint8_t *total_score = NULL;
    char *text = NULL;
    if (status != CVSEG_OK)
        return status;
    if (run_status != CVSEG_OK && run_status != CVSEG_ENOCONV && run_status != CVSEG_EDRIFT)
        return cvseg_writer_close(writer, run_status);
    const int64_t n = job->rows.n_local;
    total_score = malloc((size_t)(n > 0 ? n : 1));
    if (!total_score)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto finish;
    for (int64_t i = 0; i < n; ++i)
        total_score[i] = (uint8_t)(job->rfm.r_score[i] + job->rfm.f_score[i] + job->rfm.m_score[i]);
    cvseg_column columns[40];
    int c = 0;
    columns[c++] = (cvseg_column){"member_id", CVSEG_T_I64, job->rows.member_id, NULL, NULL};
    columns[c++] = (cvseg_column){"status", CVSEG_T_U8, job->rows.status, &status_enum, NULL};
    if (job->settings.feature_set == CVSEG_FEATURES_LRFMC) {
        for (int j = 0; j < job->settings.d; ++j)
            columns[c++] = (cvseg_column){job->settings.feature_names[j], CVSEG_T_F64,
                                          job->rows.features + (int64_t)j * n, NULL,
                                          j == 0   ? "months"
                                          : j == 1 ? "days"
                                          : j == 3 ? "km"
                                                   : NULL};
    } else {
        columns[c++] = (cvseg_column){"recency", CVSEG_T_F64, job->rows.recency, NULL, "days"};
        columns[c++] = (cvseg_column){"frequency", CVSEG_T_F64, job->rows.frequency, NULL, NULL};
        columns[c++] = (cvseg_column){"monetary", CVSEG_T_F64, job->rows.monetary, NULL, NULL};
        if (job->settings.feature_set == CVSEG_FEATURES_CUSTOM)
            for (int j = 0; j < job->settings.d; ++j)
                if (strcmp(job->settings.feature_names[j], "recency") &&
                    strcmp(job->settings.feature_names[j], "frequency") &&
                    strcmp(job->settings.feature_names[j], "monetary"))
                    columns[c++] = (cvseg_column){job->settings.feature_names[j], CVSEG_T_F64,
                                                  job->rows.features + (int64_t)j * n, NULL, NULL};
    }
    columns[c++] = (cvseg_column){"r_score", CVSEG_T_U8, job->rfm.r_score, NULL, NULL};
    columns[c++] = (cvseg_column){"f_score", CVSEG_T_U8, job->rfm.f_score, NULL, NULL};
    columns[c++] = (cvseg_column){"m_score", CVSEG_T_U8, job->rfm.m_score, NULL, NULL};
    columns[c++] = (cvseg_column){"rfm_cell", CVSEG_T_U16, job->rfm.cell, NULL, NULL};
    columns[c++] = (cvseg_column){"rfm_total", CVSEG_T_U8, total_score, NULL, NULL};
    columns[c++] = (cvseg_column){"segment", CVSEG_T_U8, job->rfm.segment, &segment_enum, NULL};
    columns[c++] =
        (cvseg_column){"value_matrix", CVSEG_T_U8, job->rfm.value_cell, &matrix_enum, NULL};
    columns[c++] = (cvseg_column){"abc_class", CVSEG_T_U8, job->rfm.abc_class, &abc_enum, NULL};
    if (job->clustering.clustered) {
        columns[c++] = (cvseg_column){"cluster", CVSEG_T_I16, job->clustering.cluster, NULL, NULL};
        columns[c++] = (cvseg_column){"cluster_label", CVSEG_T_U8, job->clustering.member_label,
                                      &label_enum, NULL};
        columns[c++] = (cvseg_column){"cluster_distance", CVSEG_T_F32, job->clustering.distance,
                                      NULL, "z units"};
    }
    if (job->migration.migrated) {
        columns[c++] = (cvseg_column){"previous_segment", CVSEG_T_U8,
                                      job->migration.previous_segment, &segment_enum, NULL};
        columns[c++] = (cvseg_column){"previous_cluster", CVSEG_T_I16,
                                      job->migration.previous_cluster, NULL, NULL};
    }
    for (int v = 0; v < CVSEG_CLV_ATTACHED && job->clv.attached; ++v)
        columns[c++] = (cvseg_column){cvseg_clv_attached_names[v], CVSEG_T_F64,
                                      job->clv.values + (int64_t)v * n, NULL, NULL};
    if (job->clv.attached)
        columns[c++] =
            (cvseg_column){"lifecycle", CVSEG_T_U8, job->clv.lifecycle, &lifecycle_enum, NULL};
    status = cvseg_writer_columns(writer, "/results", job->rows.n_global, job->rows.offset, n, c,
                                  columns);
    static const char *const matrix_names[3] = {"segment", "cluster", "abc"};
    for (int m = 0; m < 3 && job->migration.migrated && status == CVSEG_OK; ++m) {
        char dataset[128];
        const int64_t dims[2] = {job->migration.sizes[m], job->migration.sizes[m]};
        snprintf(dataset, sizeof dataset, "/migration/%s_members", matrix_names[m]);
        status =
            cvseg_writer_small(writer, dataset, CVSEG_T_I64, 2, dims, job->migration.members[m]);
        snprintf(dataset, sizeof dataset, "/migration/%s_monetary", matrix_names[m]);
        if (status == CVSEG_OK)
            status = cvseg_writer_small(writer, dataset, CVSEG_T_F64, 2, dims,
                                        job->migration.monetary[m]);
    }
    if (job->migration.migrated && status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/migration", "categories",
                                       "rows: last night, columns: tonight; segment: the nine "
                                       "segment enum values then absent; cluster: 0..k-1, "
                                       "unclustered, absent; abc: A, B, C, none, absent");
    if (job->migration.migrated && status == CVSEG_OK)
        status =
            cvseg_writer_attr_i64(writer, "/migration", "new_members", job->migration.new_members);
    if (job->migration.migrated && status == CVSEG_OK)
        status = cvseg_writer_attr_i64(writer, "/migration", "gone_members",
                                       job->migration.gone_members);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/results", "schema", "cvseg.results/1");
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, "/results", "reference_date",
                                       job->settings.reference_date);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/results", "features", feature_set_name(job));
    if (status == CVSEG_OK && job->clustering.clustered)
        status = cvseg_writer_attr_i32(writer, "/results", "converged",
                                       job->clustering.kmeans.converged);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, "/results", job->settings.input_path,
                                        job->clustering.kmeans_config.seed);
    if (status == CVSEG_OK && summary) {
        text = json_dumps(summary, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!text)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the summary");
        status = cvseg_mpi_agree(app->comm, status);
        /* Rank 0's text is the one written: every rank must pass the same
         * dataset shape to the collective create. */
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
            status =
                cvseg_writer_small(writer, "/report/summary_json", CVSEG_T_U8, 1, &length, text);
    }
finish:
    free(text);
    free(total_score);
    /* A run that did not converge, or that found drift, still writes its
     * (flagged) results. */
    status = cvseg_writer_close(writer, status);
    return status == CVSEG_OK ? run_status : status;
}

/* Rank 0: document as JSON into temporary, flushed and synced. */
static cvseg_status json_write_synced(const char *temporary, const char *label, json_t *document)
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
        status = json_write_synced(cvseg_outputs_temporary(outputs, index),
                                   cvseg_outputs_given(outputs, index), document);
    status = cvseg_mpi_agree(app->comm, status);
    return status == CVSEG_OK ? run_status : status;
}

/* ------------------------------------------------------------------ summary */

static json_t *group_table(const cvseg_group_summary *summary, const char *const *names,
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

static json_t *double_array(const double *values, int count)
{
    json_t *array = json_array();
    for (int t = 0; t < count; ++t)
        json_array_append_new(array, json_real(values[t]));
    return array;
}

json_t *cvseg_job_summary(cvseg_app *app, cvseg_job *job)
{
    char date[11];
    json_t *doc = json_object();
    cvseg_format_date(job->settings.reference_date, date);
    json_object_set_new(doc, "engine", json_string("cvseg " CVSEG_VERSION));
    json_object_set_new(doc, "verb", json_string(app->verb));
    json_object_set_new(doc, "input",
                        json_string(job->settings.input_path ? job->settings.input_path : ""));
    json_object_set_new(doc, "reference_date", json_string(date));
    json_object_set_new(doc, "features", json_string(feature_set_name(job)));
    json_object_set_new(doc, "members", json_integer(job->rows.n_global));
    json_object_set_new(doc, "members_scored", json_integer(job->rows.n_ok));
    if (job->summary_extra) /* e.g. train --two-step's "two_step" */
        json_object_update(doc, job->summary_extra);
    json_object_set_new(doc, "ranks", json_integer(app->ranks));
    json_object_set_new(doc, "threads", json_integer(app->threads));
    json_object_set_new(doc, "peak_rss_mb_per_rank", json_real(cvseg_peak_rss_mb(app)));

    json_t *quality = json_object();
    for (int s = 0; s < CVSEG_MEMBER_STATUS_COUNT; ++s)
        json_object_set_new(quality, cvseg_member_status_names[s],
                            json_integer(job->rows.status_counts[s]));
    if (job->settings.feature_set == CVSEG_FEATURES_LRFMC) {
        json_object_set_new(quality, "joined_after_last_flight",
                            json_integer(job->rows.joined_after_last_flight));
        json_object_set_new(
            doc, "fare_rules",
            json_string(
                !job->rows.fare_columns ? "not applied: no fare columns (fare_yr1, fare_yr2)"
                : job->settings.rules.drop_missing_fare || job->settings.rules.drop_inconsistent
                    ? "applied"
                    : "not applied: --keep-missing-fare --keep-inconsistent"));
    }
    if (job->settings.feature_set != CVSEG_FEATURES_LRFMC)
        json_object_set_new(quality, "non_positive_monetary",
                            json_integer(job->rows.non_positive_monetary));
    json_object_set_new(doc, "data_quality", quality);

    static const char *const rfm_names[3] = {"recency", "frequency", "monetary"};
    json_t *statistics = json_object();
    for (int f = 0; f < 3; ++f) {
        const cvseg_moments *m = &job->rfm.moments[f];
        json_object_set_new(statistics, rfm_names[f],
                            json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)m->count,
                                      "mean", m->mean, "sd", m->sd, "min", m->min, "max", m->max));
    }
    json_object_set_new(doc, "statistics", statistics);

    json_t *quintiles = json_object();
    for (int f = 0; f < 3; ++f) {
        json_t *bins = json_array(), *collapsed = json_array();
        for (int s = 1; s <= 5; ++s) {
            json_array_append_new(bins, json_integer(job->rfm.score_bins[f][s]));
            if (job->rfm.score_bins[f][s] == 0)
                json_array_append_new(collapsed, json_integer(s));
        }
        json_object_set_new(quintiles, rfm_names[f],
                            json_pack("{s:o, s:o, s:o, s:f}", "edges",
                                      double_array(job->rfm.model.edges[f], 4), "members_per_score",
                                      bins, "empty_scores", collapsed, "baseline",
                                      job->rfm.model.baseline[f]));
    }
    json_object_set_new(quintiles, "rule",
                        json_string("edge q = smallest value with at least q*N/5 members <= it "
                                    "(inverse empirical CDF); score = 1 + edges strictly below "
                                    "(F, M); recency reversed"));
    json_object_set_new(
        quintiles, "recency_order",
        json_string(job->rfm.model.recency_recent_high ? "recent-high" : "recent-low"));
    json_object_set_new(doc, "quintiles", quintiles);

    double total_monetary = 0.0;
    for (int g = 0; g < job->rfm.by_segment.groups; ++g)
        total_monetary += cvseg_group_summary_total(&job->rfm.by_segment, g, 2);
    json_object_set_new(doc, "total_monetary", json_real(total_monetary));
    json_object_set_new(doc, "segment_baseline",
                        json_string(job->settings.baseline_median ? "median" : "mean"));
    json_object_set_new(
        doc, "segments",
        group_table(&job->rfm.by_segment, cvseg_segment_names, job->rows.n_ok, total_monetary));
    json_object_set_new(
        doc, "abc",
        json_pack("{s:s, s:f, s:f, s:o, s:o}", "preset", job->settings.abc_preset, "share_a",
                  job->settings.abc.share_a, "share_b", job->settings.abc.share_b, "cuts",
                  double_array(job->rfm.model.abc_cut, 2), "classes",
                  group_table(&job->rfm.by_abc, cvseg_abc_names, job->rows.n_ok, total_monetary)));
    json_object_set_new(doc, "value_matrix",
                        json_pack("{s:f, s:f, s:o}", "frequency_baseline",
                                  job->rfm.model.matrix_f_baseline, "amount_baseline",
                                  job->rfm.model.matrix_amount_baseline, "cells",
                                  group_table(&job->rfm.by_matrix, cvseg_value_cell_names,
                                              job->rows.n_ok, total_monetary)));

    json_t *phases = json_object();
    double total_seconds = 0.0;
    for (int p = 0; p < job->phases.count; ++p) {
        json_object_set_new(phases, job->phases.name[p], json_real(job->phases.seconds[p]));
        total_seconds += job->phases.seconds[p];
    }
    json_object_set_new(doc, "phases", phases);
    json_object_set_new(doc, "seconds", json_real(total_seconds));

    if (job->clustering.clustered) {
        const int k = job->clustering.k, d = job->settings.d;
        json_t *kmeans = json_object();
        json_object_set_new(kmeans, "k", json_integer(k));
        json_object_set_new(kmeans, "iterations", json_integer(job->clustering.kmeans.iterations));
        json_object_set_new(kmeans, "inertia", json_real(job->clustering.kmeans.inertia));
        json_object_set_new(kmeans, "converged", json_boolean(job->clustering.kmeans.converged));
        json_object_set_new(kmeans, "restarts", json_integer(job->clustering.kmeans.restarts));
        json_object_set_new(kmeans, "best_restart",
                            json_integer(job->clustering.kmeans.best_restart));
        json_object_set_new(kmeans, "empty_cluster_repairs",
                            json_integer(job->clustering.kmeans.empty_repairs));
        json_object_set_new(kmeans, "seconds_per_iteration",
                            json_real(job->clustering.kmeans.lloyd_iterations
                                          ? job->clustering.kmeans.lloyd_seconds /
                                                (double)job->clustering.kmeans.lloyd_iterations
                                          : 0.0));
        json_object_set_new(kmeans, "seeding_seconds",
                            json_real(job->clustering.kmeans.seeding_seconds));
        json_object_set_new(kmeans, "seed",
                            json_integer((json_int_t)job->clustering.kmeans_config.seed));
        json_object_set_new(
            kmeans, "init",
            json_string(job->clustering.init_name ? job->clustering.init_name : "model"));
        json_t *names = json_array(), *transforms = json_array();
        for (int j = 0; j < d; ++j) {
            json_array_append_new(names, json_string(job->settings.feature_names[j]));
            json_array_append_new(transforms,
                                  json_string(job->settings.log1p[j] ? "log1p" : "none"));
        }
        json_object_set_new(kmeans, "features", names);
        json_object_set_new(kmeans, "transforms", transforms);
        json_t *clusters = json_array();
        for (int c = 0; c < k; ++c) {
            json_t *z = json_object(), *original = json_object();
            for (int j = 0; j < d; ++j) {
                const double zc = job->clustering.centroids[(int64_t)c * d + j];
                double value = zc * job->clustering.scaler_sd[j] + job->clustering.scaler_mean[j];
                if (job->settings.log1p[j])
                    value = copysign(expm1(fabs(value)), value);
                json_object_set_new(z, job->settings.feature_names[j], json_real(zc));
                json_object_set_new(original, job->settings.feature_names[j], json_real(value));
            }
            const double revenue = cvseg_group_summary_total(&job->clustering.by_cluster, c, 2);
            char name[96];
            cvseg_job_cluster_name(job, c, name, sizeof name);
            json_array_append_new(
                clusters,
                json_pack(
                    "{s:i, s:s, s:I, s:f, s:o, s:o, s:f, s:f, s:f, s:f}", "cluster", c, "label",
                    name, "size", (json_int_t)job->clustering.by_cluster.count[c], "share",
                    job->rows.n_ok
                        ? (double)job->clustering.by_cluster.count[c] / (double)job->rows.n_ok
                        : 0.0,
                    "centroid_z", z, "centroid", original, "mean_recency",
                    cvseg_group_summary_mean(&job->clustering.by_cluster, c, 0), "mean_frequency",
                    cvseg_group_summary_mean(&job->clustering.by_cluster, c, 1), "mean_monetary",
                    cvseg_group_summary_mean(&job->clustering.by_cluster, c, 2), "revenue_share",
                    total_monetary != 0.0 ? revenue / total_monetary : 0.0));
        }
        json_object_set_new(kmeans, "clusters", clusters);
        json_object_set_new(doc, "kmeans", kmeans);
    }
    if (job->migration.migrated) {
        json_t *migration = json_object();
        json_object_set_new(migration, "new_members", json_integer(job->migration.new_members));
        json_object_set_new(migration, "gone_members", json_integer(job->migration.gone_members));
        static const char *const matrix_names[3] = {"segment", "cluster", "abc"};
        for (int m = 0; m < 3; ++m) {
            const int size = job->migration.sizes[m];
            json_t *labels = json_array(), *members = json_array(), *money = json_array();
            for (int a = 0; a < size; ++a) {
                char name[64];
                if (a == size - 1)
                    snprintf(name, sizeof name, "absent");
                else if (m == 0)
                    snprintf(name, sizeof name, "%s", cvseg_segment_names[a]);
                else if (m == 2)
                    snprintf(name, sizeof name, "%s", cvseg_abc_names[a]);
                else if (a == size - 2)
                    snprintf(name, sizeof name, "unclustered");
                else
                    snprintf(name, sizeof name, "%d", a);
                json_array_append_new(labels, json_string(name));
                json_t *row = json_array(), *money_row = json_array();
                for (int b = 0; b < size; ++b) {
                    json_array_append_new(row,
                                          json_integer(job->migration.members[m][a * size + b]));
                    json_array_append_new(money_row,
                                          json_real(job->migration.monetary[m][a * size + b]));
                }
                json_array_append_new(members, row);
                json_array_append_new(money, money_row);
            }
            json_object_set_new(migration, matrix_names[m],
                                json_pack("{s:o, s:o, s:o}", "categories", labels, "members",
                                          members, "monetary", money));
        }
        json_object_set_new(doc, "migration", migration);
    }
    if (job->clv.attached) {
        json_t *clv = json_object(), *life = json_object();
        for (int s = 0; s < CVSEG_LIFE_COUNT; ++s)
            json_object_set_new(life, cvseg_lifecycle_names[s],
                                json_integer(job->clv.life_counts[s]));
        json_object_set_new(clv, "lifecycle", life);
        json_object_set_new(clv, "clv_sum", json_real(job->clv.sum));
        json_object_set_new(clv, "members_without_clv", json_integer(job->clv.missing));
        json_object_set_new(clv, "clv_rows_not_scored", json_integer(job->clv.ignored));
        json_object_set_new(doc, "clv", clv);
    }
    if (job->migration.drift_available) {
        static const char *const names[3] = {"recency", "frequency", "monetary"};
        json_t *drift = json_object(), *psi = json_object(), *shift = json_object();
        json_t *shares = json_object();
        for (int f = 0; f < 3; ++f) {
            json_object_set_new(psi, names[f], json_real(job->migration.psi[f]));
            json_object_set_new(shift, names[f], json_real(job->migration.mean_shift[f]));
        }
        for (int g = 0; g < 8; ++g)
            json_object_set_new(shares, cvseg_segment_names[g],
                                json_real(job->migration.segment_share_change[g]));
        double worst = 0.0;
        for (int f = 0; f < 3; ++f)
            worst = fmax(worst, job->migration.psi[f]);
        json_object_set_new(drift, "psi", psi);
        json_object_set_new(drift, "max_psi", json_real(worst));
        json_object_set_new(drift, "mean_shift_sd", shift);
        json_object_set_new(drift, "segment_share_change", shares);
        json_object_set_new(doc, "drift", drift);
    }
    json_object_set_new(doc, "command_line", json_string(app->command_line));
    return doc;
}
