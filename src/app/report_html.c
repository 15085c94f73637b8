/* report_html.c: `cvseg report --format html`: one self-contained HTML file
 * (inline CSS and SVG, no scripts, no external assets) rendered from the
 * summary document of a results file and, optionally, of a sweep file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cvseg/clv.h"
#include "cvseg/rfm.h"
#include "report.h"

#define HTML_PI 3.14159265358979323846

/* Categorical palette (Okabe-Ito, then Tableau), readable for colour-blind
 * readers; the heat map uses a single-hue ramp. */
static const char *const report_html_palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                  "#56B4E9", "#D55E00", "#F0E442", "#000000",
                                                  "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"};
enum { HTML_PALETTE_SIZE = sizeof report_html_palette / sizeof report_html_palette[0] };

static double report_html_num(json_t *object, const char *key)
{
    return json_number_value(json_object_get(object, key));
}

static const char *report_html_str(json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s ? s : "";
}

/* Writes text with &, <, >, " escaped. */
static void report_html_text(FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; ++p) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*p, out);
        }
    }
}

static void report_html_head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    report_html_text(out, title);
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;"
          "max-width:960px;padding:12px;color:#222;background:#fff;line-height:1.4}\n"
          "h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:2px solid #0072B2;"
          "padding-bottom:2px;margin-top:1.6em}\n"
          ".scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;margin:.5em 0}\n"
          "th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}"
          "\nth:first-child,td:first-child{text-align:left}th{background:#f3f6f9}\n"
          ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}"
          ".chart{min-width:0}.wide{grid-column:1/-1;max-width:640px}\n"
          "svg{width:100%;height:auto;display:block}svg text{font-family:inherit}\n"
          ".note{color:#555;font-size:.85em}.flag{color:#b00020}td.l{text-align:left}\n"
          "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#555}"
          "dd{margin:0}\n</style></head><body>\n",
          out);
}

/* The run: input, reference date, members, ranks x threads, time. */
static void report_html_run(FILE *out, json_t *doc)
{
    fputs("<h1>cvseg report: ", out);
    report_html_text(out, report_html_str(doc, "verb"));
    fputs(" of ", out);
    report_html_text(out, report_html_str(doc, "input"));
    fputs("</h1>\n<dl>", out);
    static const char *const keys[] = {"input", "reference_date", "features", "engine"};
    static const char *const labels[] = {"input", "reference date", "features", "engine"};
    for (int t = 0; t < 4; ++t) {
        fprintf(out, "<dt>%s</dt><dd>", labels[t]);
        report_html_text(out, report_html_str(doc, keys[t]));
        fputs("</dd>", out);
    }
    fprintf(out,
            "<dt>members</dt><dd>%.0f (%.0f scored)</dd><dt>ranks &times; threads</dt>"
            "<dd>%.0f &times; %.0f</dd><dt>time</dt><dd>%.2f s</dd></dl>\n",
            report_html_num(doc, "members"), report_html_num(doc, "members_scored"),
            report_html_num(doc, "ranks"), report_html_num(doc, "threads"),
            report_html_num(doc, "seconds"));
}

/* Data quality counts and the quintile edges with collapsed bins. */
static void report_html_quality(FILE *out, json_t *doc)
{
    const char *key;
    json_t *value;
    fputs("<h2>Data quality</h2>\n<div class=\"scroll\"><table><tr><th>status</th>"
          "<th>members</th></tr>\n",
          out);
    json_object_foreach(json_object_get(doc, "data_quality"), key, value)
    {
        fputs("<tr><td>", out);
        report_html_text(out, key);
        fprintf(out, "</td><td>%lld</td></tr>\n", (long long)json_integer_value(value));
    }
    json_t *quintiles = json_object_get(doc, "quintiles");
    fputs("</table></div>\n<h2>Quintile edges</h2>\n<p class=\"note\">", out);
    report_html_text(out, report_html_str(quintiles, "rule"));
    fputs("</p>\n<div class=\"scroll\"><table><tr><th>feature</th><th>edges</th>"
          "<th>members per score 1..5</th><th>collapsed bins</th></tr>\n",
          out);
    for (int f = 0; f < CVSEG_RFM_FEATURES; ++f) {
        const char *const name = cvseg_rfm_feature_names[f];
        json_t *q = json_object_get(quintiles, name);
        json_t *edges = json_object_get(q, "edges"),
               *bins = json_object_get(q, "members_per_score");
        json_t *empty = json_object_get(q, "empty_scores");
        fprintf(out, "<tr><td>%s</td><td>", name);
        for (size_t e = 0; e < json_array_size(edges); ++e)
            fprintf(out, "%s%g", e ? ", " : "", json_number_value(json_array_get(edges, e)));
        fputs("</td><td>", out);
        for (size_t b = 0; b < json_array_size(bins); ++b)
            fprintf(out, "%s%lld", b ? ", " : "",
                    (long long)json_integer_value(json_array_get(bins, b)));
        fprintf(out, "</td><td%s>", json_array_size(empty) ? " class=\"flag\"" : "");
        for (size_t b = 0; b < json_array_size(empty); ++b)
            fprintf(out, "%sscore %lld", b ? ", " : "",
                    (long long)json_integer_value(json_array_get(empty, b)));
        fputs(json_array_size(empty) ? " (equal edges)</td></tr>\n" : "none</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

/* A table of groups (segments, ABC classes, value-matrix cells). */
static void report_html_groups(FILE *out, json_t *rows, const char *title)
{
    if (!json_array_size(rows))
        return;
    fprintf(out,
            "<h3>%s</h3>\n<div class=\"scroll\"><table><tr><th>group</th><th>members</th>"
            "<th>share</th><th>mean R (days)</th><th>mean F</th><th>mean M</th><th>revenue</th>"
            "<th>revenue share</th></tr>\n",
            title);
    size_t index;
    json_t *row;
    json_array_foreach(rows, index, row)
    {
        fputs("<tr><td>", out);
        report_html_text(out, report_html_str(row, "name"));
        fprintf(out,
                "</td><td>%.0f</td><td>%.1f %%</td><td>%.1f</td><td>%.2f</td><td>%.2f</td>"
                "<td>%.2f</td><td>%.1f %%</td></tr>\n",
                report_html_num(row, "members"), 100 * report_html_num(row, "share"),
                report_html_num(row, "mean_recency"), report_html_num(row, "mean_frequency"),
                report_html_num(row, "mean_monetary"), report_html_num(row, "total_monetary"),
                100 * report_html_num(row, "monetary_share"));
    }
    fputs("</table></div>\n", out);
}

/* Horizontal bars: share of members and share of revenue per group. */
static void report_html_svg_share_bars(FILE *out, json_t *rows, const char *title)
{
    const size_t n = json_array_size(rows);
    if (n == 0)
        return;
    const double row_height = 30.0, top = 40.0, left = 150.0, width = 480.0;
    const double bar = 380.0 * 0.98, height = top + row_height * (double)n + 10.0;
    fprintf(out,
            "<div class=\"chart\"><svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">"
            "<title>%s</title>\n<text x=\"4\" y=\"16\" font-size=\"14\" font-weight=\"bold\">%s"
            "</text>\n<rect x=\"%.0f\" y=\"24\" width=\"10\" height=\"10\" fill=\"%s\"/><text "
            "x=\"%.0f\" y=\"33\" font-size=\"11\">members</text><rect x=\"%.0f\" y=\"24\" "
            "width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.0f\" y=\"33\" font-size=\"11\">"
            "revenue</text>\n",
            width + 20, height, title, title, title, left, report_html_palette[0], left + 14,
            left + 90, report_html_palette[1], left + 104);
    for (size_t r = 0; r < n; ++r) {
        json_t *row = json_array_get(rows, r);
        const double y = top + row_height * (double)r;
        const double members = report_html_num(row, "share"),
                     revenue = report_html_num(row, "monetary_share");
        fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", left - 6,
                y + 17);
        report_html_text(out, report_html_str(row, "name"));
        fprintf(out,
                "</text><rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"11\" fill=\"%s\"/>"
                "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"11\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%.1f%% / %.1f%%</text>\n",
                left, y + 4, bar * 0.75 * members, report_html_palette[0], left, y + 16,
                bar * 0.75 * revenue, report_html_palette[1],
                left + 4 + bar * 0.75 * fmax(members, revenue), y + 17, 100 * members,
                100 * revenue);
    }
    fputs("</svg></div>\n", out);
}

/* Radar chart of the cluster centroids, one axis per feature (z units,
 * radius from -zlim to +zlim). */
static void report_html_svg_radar(FILE *out, json_t *kmeans)
{
    json_t *features = json_object_get(kmeans, "features"), *clusters;
    clusters = json_object_get(kmeans, "clusters");
    const size_t d = json_array_size(features), k = json_array_size(clusters);
    if (d < 3 || k == 0)
        return;
    double zlim = 1.0;
    for (size_t c = 0; c < k; ++c)
        for (size_t j = 0; j < d; ++j)
            zlim = fmax(zlim, fabs(report_html_num(
                                  json_object_get(json_array_get(clusters, c), "centroid_z"),
                                  json_string_value(json_array_get(features, j)))));
    zlim = ceil(zlim);
    const double cx = 210, cy = 200, radius = 150;
    fputs("<div class=\"chart wide\"><svg viewBox=\"0 0 560 420\" role=\"img\" aria-label=\"radar "
          "chart of the cluster centroids\"><title>cluster centroids (z)</title>\n<text x=\"4\" "
          "y=\"16\" font-size=\"14\" font-weight=\"bold\">Cluster centroids (z units)</text>\n",
          out);
    for (int ring = 0; ring <= 4; ++ring) { /* rings at -zlim .. +zlim */
        const double r = radius * ring / 4.0;
        fprintf(out,
                "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"%.1f\" fill=\"none\" stroke=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#777\">%+.1f</text>\n",
                cx, cy, r, ring == 2 ? "#999" : "#ddd", cx + 2, cy - r - 1,
                -zlim + 2.0 * zlim * ring / 4.0);
    }
    for (size_t j = 0; j < d; ++j) {
        const double angle = 2.0 * HTML_PI * (double)j / (double)d - HTML_PI / 2.0;
        const double x = cx + radius * cos(angle), y = cy + radius * sin(angle);
        fprintf(out,
                "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">",
                cx, cy, x, y, cx + (radius + 18) * cos(angle), cy + (radius + 18) * sin(angle) + 4);
        report_html_text(out, json_string_value(json_array_get(features, j)));
        fputs("</text>\n", out);
    }
    for (size_t c = 0; c < k; ++c) {
        json_t *cluster = json_array_get(clusters, c), *z = json_object_get(cluster, "centroid_z");
        const char *colour = report_html_palette[c % HTML_PALETTE_SIZE];
        fprintf(out,
                "<polygon fill=\"%s\" fill-opacity=\"0.12\" stroke=\"%s\" stroke-width=\"2\" "
                "points=\"",
                colour, colour);
        for (size_t j = 0; j < d; ++j) {
            const double value = report_html_num(z, json_string_value(json_array_get(features, j)));
            const double r = radius * (value + zlim) / (2.0 * zlim);
            const double angle = 2.0 * HTML_PI * (double)j / (double)d - HTML_PI / 2.0;
            fprintf(out, "%.1f,%.1f ", cx + r * cos(angle), cy + r * sin(angle));
        }
        fprintf(out,
                "\"/>\n<rect x=\"410\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"427\" y=\"%.0f\" font-size=\"11\">%.0f ",
                40 + 20.0 * (double)c, colour, 50 + 20.0 * (double)c,
                report_html_num(cluster, "cluster"));
        report_html_text(out, report_html_str(cluster, "label"));
        fputs("</text>\n", out);
    }
    fputs("</svg></div>\n", out);
}

/* Cluster profiles: members, shares, centroid in original units and z. */
static void report_html_clusters(FILE *out, json_t *kmeans)
{
    json_t *features = json_object_get(kmeans, "features");
    if (strcmp(report_html_str(kmeans, "init"), "model") == 0) /* score: frozen centroids */
        fprintf(out,
                "<h2>Clusters</h2>\n<p>k = %.0f, centroids of the model (frozen), inertia "
                "%.6g.</p>\n",
                report_html_num(kmeans, "k"), report_html_num(kmeans, "inertia"));
    else
        fprintf(out,
                "<h2>Clusters</h2>\n<p>K-Means: k = %.0f, %.0f iterations, inertia %.6g, %s.</p>\n",
                report_html_num(kmeans, "k"), report_html_num(kmeans, "iterations"),
                report_html_num(kmeans, "inertia"),
                json_is_true(json_object_get(kmeans, "converged"))
                    ? "converged"
                    : "<span class=\"flag\">not converged</span>");
    fputs("<div class=\"scroll\"><table><tr><th>cluster</th><th>name</th><th>members</th>"
          "<th>share</th><th>revenue share</th>",
          out);
    for (size_t j = 0; j < json_array_size(features); ++j) {
        fputs("<th>", out);
        report_html_text(out, json_string_value(json_array_get(features, j)));
        fputs(" (z)</th>", out);
    }
    fputs("</tr>\n", out);
    size_t index;
    json_t *cluster;
    json_array_foreach(json_object_get(kmeans, "clusters"), index, cluster)
    {
        json_t *centroid = json_object_get(cluster, "centroid"), *z;
        z = json_object_get(cluster, "centroid_z");
        fprintf(out, "<tr><td>%.0f</td><td class=\"l\">", report_html_num(cluster, "cluster"));
        report_html_text(out, report_html_str(cluster, "label"));
        fprintf(out, "</td><td>%.0f</td><td>%.1f %%</td><td>%.1f %%</td>",
                report_html_num(cluster, "size"), 100 * report_html_num(cluster, "share"),
                100 * report_html_num(cluster, "revenue_share"));
        for (size_t j = 0; j < json_array_size(features); ++j) {
            const char *name = json_string_value(json_array_get(features, j));
            fprintf(out, "<td>%.2f (%+.2f)</td>", report_html_num(centroid, name),
                    report_html_num(z, name));
        }
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n<div class=\"charts\">\n", out);
    report_html_svg_radar(out, kmeans);
    report_html_svg_share_bars(out, json_object_get(kmeans, "clusters_as_groups"),
                               "Cluster shares");
    fputs("</div>\n", out);
}

/* Heat map of a transition matrix with counts (rows previous, columns now). */
static void report_html_svg_heatmap(FILE *out, json_t *matrix, const char *title)
{
    json_t *categories = json_object_get(matrix, "categories");
    json_t *members = json_object_get(matrix, "members");
    const size_t n = json_array_size(categories);
    if (n == 0)
        return;
    double high = 1.0;
    for (size_t a = 0; a < n; ++a)
        for (size_t b = 0; b < n; ++b)
            high = fmax(high, json_number_value(json_array_get(json_array_get(members, a), b)));
    const double cell = 44, left = 130, top = 120;
    fprintf(
        out,
        "<div class=\"chart wide\"><svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">"
        "<title>%s</title><text x=\"4\" y=\"16\" font-size=\"14\" font-weight=\"bold\">%s "
        "(rows: previous, columns: now)</text>\n",
        left + cell * (double)n + 10, top + cell * (double)n + 10, title, title, title);
    for (size_t a = 0; a < n; ++a) {
        const char *name = json_string_value(json_array_get(categories, a));
        fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">", left - 4,
                top + cell * ((double)a + 0.6));
        report_html_text(out, name);
        fprintf(out,
                "</text><text transform=\"translate(%.1f %.0f) rotate(-55)\" font-size=\"10\">",
                left + cell * ((double)a + 0.5), top - 4);
        report_html_text(out, name);
        fputs("</text>\n", out);
        for (size_t b = 0; b < n; ++b) {
            const double count = json_number_value(json_array_get(json_array_get(members, a), b));
            const double t = sqrt(count / high); /* perceptual lift for small counts */
            fprintf(
                out,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"rgb(%d,%d,%d)"
                "\" stroke=\"#fff\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" "
                "text-anchor=\"middle\" fill=\"%s\">%.0f</text>\n",
                left + cell * (double)b, top + cell * (double)a, cell, cell, (int)(247 - 239 * t),
                (int)(251 - 203 * t), (int)(255 - 148 * t), left + cell * ((double)b + 0.5),
                top + cell * ((double)a + 0.6), t > 0.6 ? "#fff" : "#222", count);
        }
    }
    fputs("</svg></div>\n", out);
}

/* One line chart of a sweep column against k; the recommended k marked. */
static void report_html_svg_sweep_line(FILE *out, json_t *rows, const char *key, const char *title,
                                       int recommended)
{
    const size_t n = json_array_size(rows);
    double low = INFINITY, high = -INFINITY, k_low = INFINITY, k_high = -INFINITY;
    for (size_t r = 0; r < n; ++r) {
        json_t *row = json_array_get(rows, r);
        const double v = report_html_num(row, key), k = report_html_num(row, "k");
        if (!json_is_number(json_object_get(row, key)))
            continue;
        low = fmin(low, v);
        high = fmax(high, v);
        k_low = fmin(k_low, k);
        k_high = fmax(k_high, k);
    }
    if (!(high >= low))
        return;
    if (high == low)
        high = low + 1.0;
    if (k_high == k_low)
        k_high = k_low + 1.0;
    const double left = 60, top = 28, width = 250, height = 150;
    fprintf(out,
            "<div class=\"chart\"><svg viewBox=\"0 0 330 215\" role=\"img\" aria-label=\"%s\">"
            "<title>%s</title><text x=\"4\" y=\"16\" font-size=\"13\" font-weight=\"bold\">%s"
            "</text>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafbfc\" "
            "stroke=\"#ccc\"/>\n<text x=\"%.0f\" y=\"%.0f\" font-size=\"9\" text-anchor=\"end\">"
            "%.4g</text><text x=\"%.0f\" y=\"%.0f\" font-size=\"9\" text-anchor=\"end\">%.4g</text>"
            "\n",
            title, title, title, left, top, width, height, left - 3, top + 8, high, left - 3,
            top + height, low);
    fputs("<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"", out);
    for (size_t r = 0; r < n; ++r) {
        json_t *row = json_array_get(rows, r);
        if (json_is_number(json_object_get(row, key)))
            fprintf(out, "%.1f,%.1f ",
                    left + width * (report_html_num(row, "k") - k_low) / (k_high - k_low),
                    top + height * (high - report_html_num(row, key)) / (high - low));
    }
    fputs("\"/>\n", out);
    for (size_t r = 0; r < n; ++r) {
        json_t *row = json_array_get(rows, r);
        const double k = report_html_num(row, "k"),
                     x = left + width * (k - k_low) / (k_high - k_low);
        const int chosen = (int)k == recommended;
        if (json_is_number(json_object_get(row, key)))
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"/>", x,
                    top + height * (high - report_html_num(row, key)) / (high - low),
                    chosen ? 6 : 3, chosen ? "#D55E00" : "#0072B2");
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.0f\" font-size=\"9\" text-anchor=\"middle\">%.0f</text>\n",
                x, top + height + 12, k);
    }
    fprintf(out,
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">k</text>"
            "</svg></div>\n",
            left + width / 2, top + height + 26);
}

/* The sweep: curves and the table, with the recommended k and its rule. */
static void report_html_sweep(FILE *out, json_t *sweep)
{
    json_t *rows = json_object_get(sweep, "sweep");
    const int recommended = (int)json_integer_value(json_object_get(sweep, "recommended_k"));
    fprintf(out,
            "<h2>Choosing k (sweep)</h2>\n<p><strong>recommended k = %d</strong>: ", recommended);
    report_html_text(out, report_html_str(sweep, "recommendation"));
    fputs("</p>\n<div class=\"charts\">\n", out);
    report_html_svg_sweep_line(out, rows, "inertia", "Elbow: inertia", recommended);
    report_html_svg_sweep_line(out, rows, "calinski_harabasz",
                               "Calinski-Harabasz (higher is better)", recommended);
    report_html_svg_sweep_line(out, rows, "silhouette_sample",
                               "Silhouette, sample (higher is better)", recommended);
    report_html_svg_sweep_line(out, rows, "davies_bouldin", "Davies-Bouldin (lower is better)",
                               recommended);
    fputs("</div>\n<div class=\"scroll\"><table><tr><th>k</th><th>inertia</th><th>CH</th>"
          "<th>DB</th><th>silhouette (sample)</th><th>silhouette (simplified)</th>"
          "<th>iterations</th><th>converged</th></tr>\n",
          out);
    size_t index;
    json_t *row;
    json_array_foreach(rows, index, row)
    {
        fprintf(out,
                "<tr%s><td>%.0f</td><td>%.6g</td><td>%.6g</td><td>%.4f</td><td>%.4f</td>"
                "<td>%.4f</td><td>%.0f</td><td>%s</td></tr>\n",
                (int)report_html_num(row, "k") == recommended ? " style=\"font-weight:bold\"" : "",
                report_html_num(row, "k"), report_html_num(row, "inertia"),
                report_html_num(row, "calinski_harabasz"), report_html_num(row, "davies_bouldin"),
                report_html_num(row, "silhouette_sample"),
                report_html_num(row, "silhouette_simplified"), report_html_num(row, "iterations"),
                json_is_true(json_object_get(row, "converged")) ? "yes" : "no");
    }
    fputs("</table></div>\n", out);
}

/* Migration after score --previous: heat maps with counts. */
static void report_html_migration(FILE *out, json_t *migration)
{
    fprintf(out,
            "<h2>Migration since the previous results</h2>\n<p>%.0f new members, %.0f gone."
            "</p>\n<div class=\"charts\">\n",
            report_html_num(migration, "new_members"), report_html_num(migration, "gone_members"));
    report_html_svg_heatmap(out, json_object_get(migration, "segment"), "Segment migration");
    report_html_svg_heatmap(out, json_object_get(migration, "cluster"), "Cluster migration");
    fputs("</div>\n", out);
}

/* Lifecycle table after score --clv. */
static void report_html_clv(FILE *out, json_t *clv)
{
    json_t *life = json_object_get(clv, "lifecycle");
    fprintf(out,
            "<h2>Customer lifetime value</h2>\n<p>Sum of clv %.2f; %.0f members without CLV "
            "(prospect); %.0f CLV rows of members not scored.</p>\n<div class=\"scroll\"><table>"
            "<tr><th>lifecycle</th><th>members</th></tr>\n",
            report_html_num(clv, "clv_sum"), report_html_num(clv, "members_without_clv"),
            report_html_num(clv, "clv_rows_not_scored"));
    for (int s = 0; s < CVSEG_LIFE_COUNT; ++s)
        fprintf(out, "<tr><td>%s</td><td>%.0f</td></tr>\n", cvseg_lifecycle_names[s],
                report_html_num(life, cvseg_lifecycle_names[s]));
    fputs("</table></div>\n", out);
}

/* Clusters as group rows (name, share, monetary_share) for the bar chart. */
static json_t *report_html_cluster_groups(json_t *kmeans)
{
    json_t *groups = json_array();
    size_t index;
    json_t *cluster;
    json_array_foreach(json_object_get(kmeans, "clusters"), index, cluster)
    {
        char name[96];
        snprintf(name, sizeof name, "%.0f %s", report_html_num(cluster, "cluster"),
                 report_html_str(cluster, "label"));
        json_array_append_new(groups, json_pack("{s:s, s:f, s:f}", "name", name, "share",
                                                report_html_num(cluster, "share"), "monetary_share",
                                                report_html_num(cluster, "revenue_share")));
    }
    return groups;
}

void cvseg_report_html(FILE *out, json_t *doc, json_t *sweep)
{
    report_html_head(out, doc ? "cvseg report" : "cvseg sweep report");
    if (doc) {
        report_html_run(out, doc);
        report_html_quality(out, doc);
        fputs("<h2>Segments</h2>\n<div class=\"charts\">\n", out);
        report_html_svg_share_bars(out, json_object_get(doc, "segments"), "RFM value segments");
        report_html_svg_share_bars(out, json_object_get(json_object_get(doc, "abc"), "classes"),
                                   "ABC classes");
        fputs("</div>\n", out);
        report_html_groups(out, json_object_get(doc, "segments"), "RFM value segments");
        report_html_groups(out, json_object_get(json_object_get(doc, "abc"), "classes"),
                           "ABC classes");
        report_html_groups(out, json_object_get(json_object_get(doc, "value_matrix"), "cells"),
                           "Customer value matrix");
        json_t *kmeans = json_object_get(doc, "kmeans");
        if (kmeans) {
            json_object_set_new(kmeans, "clusters_as_groups", report_html_cluster_groups(kmeans));
            report_html_clusters(out, kmeans);
        }
        if (json_object_get(doc, "migration"))
            report_html_migration(out, json_object_get(doc, "migration"));
        if (json_object_get(doc, "clv"))
            report_html_clv(out, json_object_get(doc, "clv"));
    } else {
        fputs("<h1>cvseg sweep of ", out);
        report_html_text(out, report_html_str(sweep, "input"));
        fprintf(out, "</h1>\n<p>%.0f members, %.0f ranks &times; %.0f threads, %.2f s</p>\n",
                report_html_num(sweep, "members"), report_html_num(sweep, "ranks"),
                report_html_num(sweep, "threads"), report_html_num(sweep, "seconds"));
    }
    if (sweep)
        report_html_sweep(out, sweep);
    fputs("<p class=\"note\">Written by cvseg; self-contained (inline SVG, no scripts, no "
          "external assets).</p>\n</body></html>\n",
          out);
}
