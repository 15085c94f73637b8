/* verb_report.c: `cvseg report`: renders the summary stored in a results file
 * as text (for people), markdown (for tickets and wikis) or JSON (for
 * machines). Rank 0 prints; other ranks only take part in the file open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvseg/clv.h"
#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/outputs.h"
#include "cvseg/rfm.h"
#include "pipeline.h"
#include "report.h"

static const cvseg_option report_options[] = {
    {"results", CVSEG_OPT_VALUE, "RESULTS.h5",
     "results file of rfm, train or score (required unless --sweep is given)", 0, 0},
    {"model", CVSEG_OPT_VALUE, "MODEL.h5", "model file (adds the model's provenance)", 0, 0},
    {"format", CVSEG_OPT_VALUE, "text|json|markdown|html",
     "output format (default text); html: one self-contained page with SVG charts", 0, 0},
    {"sweep", CVSEG_OPT_VALUE, "SWEEP.h5",
     "add a sweep's table and its elbow / CH / silhouette / DB curves", 0, 0},
    {"out", CVSEG_OPT_VALUE, "FILE", "write the report to FILE (default: standard output)", 0, 0},
};
enum { REPORT_OPTIONS = sizeof report_options / sizeof report_options[0] };
/* The run's declared files (outputs.h), by index. */
enum { REPORT_FILE_RESULTS, REPORT_FILE_SWEEP, REPORT_FILE_MODEL, REPORT_FILE_OUT, REPORT_FILES };

static double report_num(json_t *object, const char *key)
{
    return json_number_value(json_object_get(object, key));
}

static const char *report_str(json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s ? s : "";
}

/* One table of groups (segments, classes, cells). */
static void report_group_rows(FILE *out, json_t *rows, int markdown, const char *title)
{
    if (markdown)
        fprintf(out,
                "\n### %s\n\n| group | members | share | mean R (days) | mean F | mean M | "
                "total M | share of M |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
                title);
    else
        fprintf(out, "\n%s\n  %-18s %12s %7s %10s %9s %11s %15s %7s\n", title, "group", "members",
                "share", "mean R", "mean F", "mean M", "total M", "M share");
    size_t index;
    json_t *row;
    json_array_foreach(rows, index, row)
    {
        if (markdown)
            fprintf(out, "| %s | %.0f | %.1f %% | %.1f | %.2f | %.2f | %.2f | %.1f %% |\n",
                    report_str(row, "name"), report_num(row, "members"),
                    100 * report_num(row, "share"), report_num(row, "mean_recency"),
                    report_num(row, "mean_frequency"), report_num(row, "mean_monetary"),
                    report_num(row, "total_monetary"), 100 * report_num(row, "monetary_share"));
        else
            fprintf(out, "  %-18s %12.0f %6.1f%% %10.1f %9.2f %11.2f %15.2f %6.1f%%\n",
                    report_str(row, "name"), report_num(row, "members"),
                    100 * report_num(row, "share"), report_num(row, "mean_recency"),
                    report_num(row, "mean_frequency"), report_num(row, "mean_monetary"),
                    report_num(row, "total_monetary"), 100 * report_num(row, "monetary_share"));
    }
}

/* Lifecycle table of score --clv (the summary's "clv" object). */
static void report_render_clv(FILE *out, json_t *clv, int markdown)
{
    json_t *life = json_object_get(clv, "lifecycle");
    double total = 0.0;
    for (int s = 0; s < CVSEG_LIFE_COUNT; ++s)
        total += report_num(life, cvseg_lifecycle_names[s]);
    fprintf(out,
            "\n%scustomer lifetime value: sum of clv %.2f; %.0f members without CLV (prospect), "
            "%.0f CLV rows of members not scored\n",
            markdown ? "## " : "", report_num(clv, "clv_sum"),
            report_num(clv, "members_without_clv"), report_num(clv, "clv_rows_not_scored"));
    fprintf(out, markdown ? "\n| lifecycle | members | share |\n|---|---:|---:|\n"
                          : "  lifecycle    members    share\n");
    for (int s = 0; s < CVSEG_LIFE_COUNT; ++s) {
        const double members = report_num(life, cvseg_lifecycle_names[s]);
        fprintf(out, markdown ? "| %s | %.0f | %.4f |\n" : "  %-10s %9.0f %8.4f\n",
                cvseg_lifecycle_names[s], members, total > 0.0 ? members / total : 0.0);
    }
}

/* The run line, data quality counts and fare rules of a results summary. */
static void report_render_run(FILE *out, json_t *doc, int markdown)
{
    const char *h = markdown ? "## " : "";
    fprintf(out, "%scvseg report: %s of %s\n", h, report_str(doc, "verb"),
            report_str(doc, "input"));
    fprintf(out,
            "%sreference date %s, features %s, %.0f members (%.0f scored), %.0f ranks x %.0f "
            "threads, %.2f s\n",
            markdown ? "\n" : "", report_str(doc, "reference_date"), report_str(doc, "features"),
            report_num(doc, "members"), report_num(doc, "members_scored"), report_num(doc, "ranks"),
            report_num(doc, "threads"), report_num(doc, "seconds"));
    json_t *quality = json_object_get(doc, "data_quality");
    const char *key;
    json_t *value;
    fprintf(out, "%sdata quality:", markdown ? "\n" : "");
    json_object_foreach(quality, key, value)
    {
        fprintf(out, " %s %lld;", key, (long long)json_integer_value(value));
    }
    fprintf(out, "\n");
    if (json_is_string(json_object_get(doc, "fare_rules")))
        fprintf(out, "%sfare cleaning rules: %s\n", markdown ? "\n" : "",
                report_str(doc, "fare_rules"));
}

/* Quintile edges and members per score of R, F and M. */
static void report_render_quintiles(FILE *out, json_t *quintiles, int markdown)
{
    fprintf(out, "%squintile edges (%s):\n", markdown ? "\n" : "", report_str(quintiles, "rule"));
    for (int f = 0; f < CVSEG_RFM_FEATURES; ++f) {
        json_t *q = json_object_get(quintiles, cvseg_rfm_feature_names[f]);
        json_t *edges = json_object_get(q, "edges"),
               *bins = json_object_get(q, "members_per_score");
        fprintf(out, "%s  %-9s edges", markdown ? "-" : "", cvseg_rfm_feature_names[f]);
        for (size_t e = 0; e < json_array_size(edges); ++e)
            fprintf(out, " %g", json_number_value(json_array_get(edges, e)));
        fprintf(out, "; members per score 1..5:");
        for (size_t b = 0; b < json_array_size(bins); ++b)
            fprintf(out, " %lld", (long long)json_integer_value(json_array_get(bins, b)));
        if (json_array_size(json_object_get(q, "empty_scores")) > 0)
            fprintf(out, " (collapsed bins: equal edges)");
        fprintf(out, "\n");
    }
}

/* The K-Means line and the head of its cluster table (one column per
 * feature in markdown). */
static void report_render_kmeans_head(FILE *out, json_t *kmeans, json_t *features, int markdown)
{
    fprintf(out,
            "\n%sK-Means: k = %.0f, %.0f iterations, inertia %.10g, %s, %.4f s per iteration, "
            "%.0f restarts, %.0f empty-cluster repairs\n",
            markdown ? "## " : "", report_num(kmeans, "k"), report_num(kmeans, "iterations"),
            report_num(kmeans, "inertia"),
            json_is_true(json_object_get(kmeans, "converged")) ? "converged" : "NOT converged",
            report_num(kmeans, "seconds_per_iteration"), report_num(kmeans, "restarts"),
            report_num(kmeans, "empty_cluster_repairs"));
    if (markdown) {
        fprintf(out, "\n| cluster | label | members | share | revenue share |");
        for (size_t j = 0; j < json_array_size(features); ++j)
            fprintf(out, " %s |", json_string_value(json_array_get(features, j)));
        fprintf(out, "\n|---:|---|---:|---:|---:|");
        for (size_t j = 0; j < json_array_size(features); ++j)
            fprintf(out, "---:|");
        fprintf(out, "\n");
    } else {
        fprintf(out, "  %-7s %-18s %12s %7s %8s  centroid (original units; z in brackets)\n",
                "cluster", "label", "members", "share", "revenue");
    }
}

/* One row of the cluster table: size, shares and the centroid per feature. */
static void report_render_cluster(FILE *out, json_t *cluster, json_t *features, int markdown)
{
    json_t *centroid = json_object_get(cluster, "centroid");
    json_t *z = json_object_get(cluster, "centroid_z");
    if (markdown)
        fprintf(out, "| %.0f | %s | %.0f | %.1f %% | %.1f %% |", report_num(cluster, "cluster"),
                report_str(cluster, "label"), report_num(cluster, "size"),
                100 * report_num(cluster, "share"), 100 * report_num(cluster, "revenue_share"));
    else
        fprintf(out, "  %-7.0f %-18s %12.0f %6.1f%% %7.1f%% ", report_num(cluster, "cluster"),
                report_str(cluster, "label"), report_num(cluster, "size"),
                100 * report_num(cluster, "share"), 100 * report_num(cluster, "revenue_share"));
    for (size_t j = 0; j < json_array_size(features); ++j) {
        const char *name = json_string_value(json_array_get(features, j));
        if (markdown)
            fprintf(out, " %.2f (%+.2f) |", report_num(centroid, name), report_num(z, name));
        else
            fprintf(out, " %s %.2f [%+.2f]", name, report_num(centroid, name), report_num(z, name));
    }
    fprintf(out, "\n");
}

/* The K-Means section: run figures and one row per cluster. */
static void report_render_kmeans(FILE *out, json_t *kmeans, int markdown)
{
    json_t *features = json_object_get(kmeans, "features");
    report_render_kmeans_head(out, kmeans, features, markdown);
    size_t index;
    json_t *cluster;
    json_array_foreach(json_object_get(kmeans, "clusters"), index, cluster)
    {
        report_render_cluster(out, cluster, features, markdown);
    }
}

/* PSI and mean shift of R, F and M against the training data. */
static void report_render_drift(FILE *out, json_t *drift, int markdown)
{
    json_t *psi = json_object_get(drift, "psi"), *shift = json_object_get(drift, "mean_shift_sd");
    fprintf(out,
            "\n%sdrift against the training data (PSI on the frozen quintile bins; mean "
            "shift in training sd):\n",
            markdown ? "## " : "");
    for (int f = 0; f < CVSEG_RFM_FEATURES; ++f) {
        const char *const name = cvseg_rfm_feature_names[f];
        fprintf(out, "%s  %-9s PSI %.4f, mean shift %+.3f sd\n", markdown ? "-" : "", name,
                report_num(psi, name), report_num(shift, name));
    }
}

/* New and gone members and the segment transition matrix. */
static void report_render_migration(FILE *out, json_t *migration, int markdown)
{
    json_t *segment = json_object_get(migration, "segment");
    json_t *categories = json_object_get(segment, "categories");
    json_t *members = json_object_get(segment, "members");
    fprintf(out, "\n%smigration since the previous results: %.0f new members, %.0f gone\n",
            markdown ? "## " : "", report_num(migration, "new_members"),
            report_num(migration, "gone_members"));
    fprintf(out, "%ssegment transitions (rows: previous, columns: tonight; members)\n",
            markdown ? "\n" : "");
    if (markdown) {
        fprintf(out, "\n| from \\ to |");
        for (size_t b = 0; b < json_array_size(categories); ++b)
            fprintf(out, " %s |", json_string_value(json_array_get(categories, b)));
        fprintf(out, "\n|---|");
        for (size_t b = 0; b < json_array_size(categories); ++b)
            fprintf(out, "---:|");
        fprintf(out, "\n");
    }
    for (size_t a = 0; a < json_array_size(categories); ++a) {
        json_t *row = json_array_get(members, a);
        fprintf(out, markdown ? "| %s |" : "  %-18s",
                json_string_value(json_array_get(categories, a)));
        for (size_t b = 0; b < json_array_size(row); ++b)
            fprintf(out, markdown ? " %lld |" : " %9lld",
                    (long long)json_integer_value(json_array_get(row, b)));
        fprintf(out, "\n");
    }
}

/* Seconds per phase. */
static void report_render_timings(FILE *out, json_t *phases, int markdown)
{
    const char *key;
    json_t *value;
    fprintf(out, "%stimings:", markdown ? "\n" : "\n");
    json_object_foreach(phases, key, value)
    {
        fprintf(out, " %s %.3f s;", key, json_number_value(value));
    }
    fprintf(out, "\n");
}

/* A results summary as text or markdown: its sections in order; optional
 * sections (kmeans, drift, migration, clv) only when present. */
static void report_render_summary(FILE *out, json_t *doc, int markdown)
{
    report_render_run(out, doc, markdown);
    report_render_quintiles(out, json_object_get(doc, "quintiles"), markdown);
    report_group_rows(out, json_object_get(doc, "segments"), markdown, "RFM value segments");
    report_group_rows(out, json_object_get(json_object_get(doc, "abc"), "classes"), markdown,
                      "ABC classes");
    report_group_rows(out, json_object_get(json_object_get(doc, "value_matrix"), "cells"), markdown,
                      "customer value matrix");
    if (json_object_get(doc, "kmeans"))
        report_render_kmeans(out, json_object_get(doc, "kmeans"), markdown);
    if (json_object_get(doc, "drift"))
        report_render_drift(out, json_object_get(doc, "drift"), markdown);
    if (json_object_get(doc, "migration"))
        report_render_migration(out, json_object_get(doc, "migration"), markdown);
    if (json_object_get(doc, "clv"))
        report_render_clv(out, json_object_get(doc, "clv"), markdown);
    report_render_timings(out, json_object_get(doc, "phases"), markdown);
}

/* The sweep table (text or markdown) and the recommended k. */
static void report_render_sweep(FILE *out, json_t *sweep, int markdown)
{
    fprintf(out,
            markdown ? "\n## sweep of %s\n\n| k | inertia | CH | DB | silhouette (sample) | "
                       "silhouette (simplified) | iterations | converged |\n"
                       "|---:|---:|---:|---:|---:|---:|---:|---|\n"
                     : "\nsweep of %s\n  %4s %14s %14s %8s %10s %10s %10s %9s\n",
            report_str(sweep, "input"), "k", "inertia", "CH", "DB", "silhouette", "simplified",
            "iterations", "converged");
    size_t index;
    json_t *row;
    json_array_foreach(json_object_get(sweep, "sweep"), index, row)
    {
        fprintf(out,
                markdown ? "| %.0f | %.6g | %.6g | %.4f | %.4f | %.4f | %.0f | %s |\n"
                         : "  %4.0f %14.6g %14.6g %8.4f %10.4f %10.4f %10.0f %9s\n",
                report_num(row, "k"), report_num(row, "inertia"),
                report_num(row, "calinski_harabasz"), report_num(row, "davies_bouldin"),
                report_num(row, "silhouette_sample"), report_num(row, "silhouette_simplified"),
                report_num(row, "iterations"),
                json_is_true(json_object_get(row, "converged")) ? "yes" : "no");
    }
    fprintf(out, "%srecommended k: %lld (%s)\n", markdown ? "\n" : "",
            (long long)json_integer_value(json_object_get(sweep, "recommended_k")),
            report_str(sweep, "recommendation"));
}

/* The summary document stored in a cvseg file (results or sweep). Collective. */
static cvseg_status report_load(cvseg_app *app, const char *path, json_t **doc)
{
    cvseg_reader *reader = NULL;
    const int64_t capacity = 16 * 1024 * 1024;
    int64_t dims[2];
    char *text = calloc((size_t)capacity + 1, 1);
    cvseg_status status = text ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    *doc = NULL;
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_open(app->comm, path, &reader);
    if (status == CVSEG_OK && !cvseg_reader_exists(reader, "/report/summary_json"))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s': no /report/summary_json (not a cvseg results file)", path);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status =
            cvseg_reader_small(reader, "/report/summary_json", CVSEG_T_U8, capacity, dims, text);
    if (status == CVSEG_OK) {
        json_error_t error;
        *doc = json_loads(text, 0, &error);
        if (!*doc)
            status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '/report/summary_json': %s", path,
                                error.text);
    }
    cvseg_reader_close(reader);
    free(text);
    return cvseg_mpi_agree(app->comm, status);
}

/* The clustering features of a results document, comma-separated: the
 * K-Means feature list, else the RFM / LRFMC set; "" when unknown. */
static void report_result_features(const json_t *doc, char *out, size_t capacity)
{
    const json_t *names = json_object_get(json_object_get(doc, "kmeans"), "features");
    const char *set = json_string_value(json_object_get(doc, "features"));
    size_t used = 0;
    out[0] = '\0';
    if (json_is_array(names)) {
        for (size_t j = 0; j < json_array_size(names) && used < capacity; ++j)
            used += (size_t)snprintf(out + used, capacity - used, "%s%s", j ? "," : "",
                                     json_string_value(json_array_get(names, j)));
    } else if (set && strcmp(set, "rfm") == 0) {
        snprintf(out, capacity, "recency,frequency,monetary");
    } else if (set && strcmp(set, "lrfmc") == 0) {
        snprintf(out, capacity, "length,recency,frequency,mileage,discount");
    }
}

/* EUSAGE when the model was trained on other features than the results. */
static cvseg_status report_check_model(const json_t *doc, const char *model_names,
                                       const char *model_path, const char *results_path)
{
    char result_names[4096];
    report_result_features(doc, result_names, sizeof result_names);
    if (result_names[0] && strcmp(result_names, model_names) != 0)
        return CVSEG_FAIL(CVSEG_EUSAGE,
                          "--model %s: trained on features '%s', but results '%s' have '%s'",
                          model_path, model_names, results_path, result_names);
    return CVSEG_OK;
}

/* Renders on rank 0 to out in the chosen format. */
static void report_render(FILE *out, const char *format, json_t *doc, json_t *sweep)
{
    if (strcmp(format, "html") == 0) {
        cvseg_report_html(out, doc, sweep);
    } else if (strcmp(format, "json") == 0) {
        if (doc && sweep)
            json_object_set(doc, "sweep_report", sweep);
        json_dumpf(doc ? doc : sweep, out, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', out);
    } else {
        if (doc)
            report_render_summary(out, doc, strcmp(format, "markdown") == 0);
        if (sweep)
            report_render_sweep(out, sweep, strcmp(format, "markdown") == 0);
    }
}

/* Writes the report to stdout (outputs NULL) or, on rank 0, to the
 * temporary of the run's declared --out (committed by cvseg_outputs_finish).
 * Collective. */
static cvseg_status report_output(cvseg_app *app, cvseg_outputs *outputs, const char *format,
                                  json_t *doc, json_t *sweep)
{
    cvseg_status status = CVSEG_OK;
    if (app->rank == 0 && !outputs) {
        report_render(stdout, format, doc, sweep);
        fflush(stdout);
    } else if (app->rank == 0) {
        const char *temporary = cvseg_outputs_temporary(outputs, REPORT_FILE_OUT);
        FILE *out = fopen(temporary, "w");
        if (out)
            report_render(out, format, doc, sweep);
        if (!out || ferror(out) || fflush(out) != 0 || fsync(fileno(out)) != 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write the report: %s",
                                cvseg_outputs_given(outputs, REPORT_FILE_OUT), strerror(errno));
        if (out && fclose(out) != 0 && status == CVSEG_OK)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write the report: %s",
                                cvseg_outputs_given(outputs, REPORT_FILE_OUT), strerror(errno));
    }
    return cvseg_mpi_agree(app->comm, status);
}

/* Parses the options (printing the help on rank 0 when asked) and checks
 * that a results or sweep file is given; *format: text, json, markdown or
 * html. */
static cvseg_status report_parse(cvseg_app *app, cvseg_options *options, const char **format)
{
    cvseg_status status = cvseg_options_parse(app, report_options, REPORT_OPTIONS, options);
    if (status != CVSEG_OK || app->help_requested) {
        if (status == CVSEG_OK && app->rank == 0)
            cvseg_options_help(stdout, "report",
                               "Prints the report stored in a results file (segments, classes, "
                               "value matrix, quintile edges, clusters, data quality, timings) "
                               "and/or a sweep file; --format html writes one self-contained page "
                               "with SVG charts.",
                               report_options, REPORT_OPTIONS);
    } else {
        status = cvseg_opt_choice(options, "format", "text", "text|json|markdown|html", format);
        if (status == CVSEG_OK && !cvseg_opt_has(options, "results") &&
            !cvseg_opt_has(options, "sweep"))
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "cvseg report: missing required option --results RESULTS.h5 (or "
                                "--sweep SWEEP.h5 for a sweep alone; see cvseg report --help)");
    }
    return status;
}

/* Declares the run's files (inputs checked, --out to a temporary).
 * Collective. */
static cvseg_status report_open_outputs(cvseg_app *app, const cvseg_options *options,
                                        cvseg_outputs **outputs)
{
    const cvseg_file_decl files[REPORT_FILES] = {
        [REPORT_FILE_RESULTS] = {"--results", cvseg_opt(options, "results"), CVSEG_FILE_INPUT},
        [REPORT_FILE_SWEEP] = {"--sweep", cvseg_opt(options, "sweep"), CVSEG_FILE_INPUT},
        [REPORT_FILE_MODEL] = {"--model", cvseg_opt(options, "model"), CVSEG_FILE_INPUT},
        [REPORT_FILE_OUT] = {"--out", cvseg_opt(options, "out"), CVSEG_FILE_OUTPUT}};
    return cvseg_outputs_open(app->comm, app->command_line, REPORT_FILES, files, outputs);
}

/* The summaries of --results (*doc) and --sweep (*sweep); NULL when not
 * given. Collective. */
static cvseg_status report_load_inputs(cvseg_app *app, const cvseg_options *options, json_t **doc,
                                       json_t **sweep)
{
    cvseg_status status = CVSEG_OK;
    if (cvseg_opt_has(options, "results"))
        status = report_load(app, cvseg_opt(options, "results"), doc);
    if (status == CVSEG_OK && cvseg_opt_has(options, "sweep"))
        status = report_load(app, cvseg_opt(options, "sweep"), sweep);
    return status;
}

/* Adds --model's path and training input to doc ("model"), after checking
 * that it was trained on the results' features. Collective. */
static cvseg_status report_add_model(cvseg_app *app, const cvseg_options *options, json_t *doc)
{
    cvseg_reader *model = NULL;
    char input[4096] = "";
    int present = 0;
    cvseg_status status = cvseg_reader_open(app->comm, cvseg_opt(options, "model"), &model);
    if (status == CVSEG_OK)
        status =
            cvseg_reader_attr_str(model, "/model", "input_file", input, sizeof input, &present);
    char names[4096] = "";
    if (status == CVSEG_OK)
        status =
            cvseg_reader_attr_str(model, "/model", "feature_names", names, sizeof names, &present);
    if (status == CVSEG_OK)
        status = report_check_model(doc, names, cvseg_opt(options, "model"),
                                    cvseg_opt(options, "results"));
    status = cvseg_mpi_agree(app->comm, status);
    cvseg_reader_close(model);
    if (status == CVSEG_OK)
        json_object_set_new(
            doc, "model",
            json_pack("{s:s, s:s}", "path", cvseg_opt(options, "model"), "training_input", input));
    return status;
}

cvseg_status cvseg_verb_report(cvseg_app *app)
{
    cvseg_options options;
    const char *format = "text";
    json_t *doc = NULL, *sweep = NULL;
    cvseg_outputs *outputs = NULL;
    cvseg_status status = report_parse(app, &options, &format);
    if (status != CVSEG_OK || app->help_requested)
        return status;
    status = report_open_outputs(app, &options, &outputs);
    if (status != CVSEG_OK)
        return status;
    status = report_load_inputs(app, &options, &doc, &sweep);
    if (status == CVSEG_OK && doc && cvseg_opt_has(&options, "model"))
        status = report_add_model(app, &options, doc);
    if (status == CVSEG_OK)
        status =
            report_output(app, cvseg_opt(&options, "out") ? outputs : NULL, format, doc, sweep);
    status = cvseg_outputs_finish(outputs, status);
    json_decref(doc);
    json_decref(sweep);
    return status;
}
