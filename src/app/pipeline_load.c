/* pipeline_load.c: settings, reading the member table, features. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "pipeline.h"

const char *const cvseg_cluster_label_names[CVSEG_LABEL_COUNT] = {"important_value",
                                                                  "important_develop",
                                                                  "important_keep",
                                                                  "important_retain",
                                                                  "general_value",
                                                                  "general_develop",
                                                                  "general_keep",
                                                                  "general_retain",
                                                                  "general",
                                                                  "low_value",
                                                                  "none"};

/* 1 when recency, frequency and monetary are views into the features (the
 * rfm and lrfmc sets: pipeline_load_rfm_columns), not arrays of their own. */
static int pipeline_load_rfm_views(const cvseg_job_rows *rows)
{
    return rows->features &&
           (rows->recency == rows->features || rows->recency == rows->features + rows->n_local);
}

void cvseg_job_free(cvseg_job *job)
{
    free(job->rows.member_id);
    free(job->rows.status);
    if (!pipeline_load_rfm_views(&job->rows)) {
        free(job->rows.recency);
        free(job->rows.frequency);
        free(job->rows.monetary);
    }
    free(job->rows.features);
    free(job->rfm.r_score);
    free(job->rfm.f_score);
    free(job->rfm.m_score);
    free(job->rfm.segment);
    free(job->rfm.abc_class);
    free(job->rfm.value_cell);
    free(job->rfm.cell);
    cvseg_job_clear_clusters(job);
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m) {
        free(job->migration.members[m]);
        free(job->migration.monetary[m]);
    }
    free(job->migration.previous_cluster);
    free(job->clustering.warm_centres);
    free(job->migration.previous_segment);
    free(job->clv.values);
    free(job->clv.lifecycle);
    memset(job, 0, sizeof *job);
}

static const char *const pipeline_load_lrfmc_names[5] = {"length", "recency", "frequency",
                                                         "mileage", "discount"};

/* --features COL,COL,...: one to CVSEG_MAX_FEATURES distinct, non-empty
 * names (no empty list, no empty element, no trailing comma). */
static cvseg_status pipeline_load_feature_list(const char *features, cvseg_job_settings *settings)
{
    cvseg_status status = CVSEG_OK;
    settings->feature_set = CVSEG_FEATURES_CUSTOM;
    settings->d = 0;
    const char *at = features;
    do {
        const char *comma = strchr(at, ',');
        const size_t length = comma ? (size_t)(comma - at) : strlen(at);
        if (length == 0 || length >= 64 || settings->d >= CVSEG_MAX_FEATURES) {
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "option --features: '%s': expected rfm, lrfmc or a list of 1 to "
                                "%d column names separated by commas",
                                features, CVSEG_MAX_FEATURES);
            break;
        }
        snprintf(settings->feature_names[settings->d], 64, "%.*s", (int)length, at);
        for (int j = 0; j < settings->d && status == CVSEG_OK; ++j)
            if (strcmp(settings->feature_names[j], settings->feature_names[settings->d]) == 0)
                status = CVSEG_FAIL(CVSEG_EUSAGE, "option --features: column '%s' given twice",
                                    settings->feature_names[j]);
        settings->d += 1;
        at = comma ? comma + 1 : NULL;
    } while (at && status == CVSEG_OK);
    return status;
}

/* The values of the choice options (their defaults where not given). */
typedef struct {
    const char *features, *invalid, *order, *baseline, *abc, *transform;
} pipeline_load_choices;

/* Reads the flags, the choice options and --reference-date (INT32_MIN when
 * not given: the table's attribute applies). */
static cvseg_status pipeline_load_read_choices(const cvseg_options *options,
                                               cvseg_job_settings *settings,
                                               pipeline_load_choices *choices)
{
    int have_date = 0;
    *choices = (pipeline_load_choices){"rfm", "error", "recent-high", "mean", "abc", "none"};
    settings->input_path = cvseg_opt(options, "in");
    settings->check_duplicates = !cvseg_opt_has(options, "no-duplicate-check");
    settings->rules.drop_missing_fare = !cvseg_opt_has(options, "keep-missing-fare");
    settings->rules.drop_inconsistent = !cvseg_opt_has(options, "keep-inconsistent");
    if (cvseg_opt_has(options, "features"))
        choices->features = cvseg_opt(options, "features");
    cvseg_status status =
        cvseg_opt_choice(options, "invalid", "error", "error|drop", &choices->invalid);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "recency-order", "recent-high", "recent-high|recent-low",
                                  &choices->order);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "segment-baseline", "mean", "mean|median",
                                  &choices->baseline);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "abc", "abc", "abc|pyramid", &choices->abc);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "transform", "none", "none|log1p", &choices->transform);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(options, "reference-date", &settings->reference_date, &have_date);
    if (status == CVSEG_OK)
        settings->reference_date = have_date ? settings->reference_date : INT32_MIN;
    return status;
}

/* --abc preset or --abc-cuts A,B (they exclude each other). */
static cvseg_status pipeline_load_abc(const cvseg_options *options, const char *abc,
                                      cvseg_job_settings *settings)
{
    snprintf(settings->abc_preset, sizeof settings->abc_preset, "%s", abc);
    cvseg_status status = cvseg_abc_preset(abc, &settings->abc);
    if (status == CVSEG_OK && cvseg_opt_has(options, "abc") && cvseg_opt_has(options, "abc-cuts"))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "options --abc and --abc-cuts exclude each other (give one of them)");
    if (status == CVSEG_OK && cvseg_opt_has(options, "abc-cuts")) {
        double a = 0, b = 0;
        if (sscanf(cvseg_opt(options, "abc-cuts"), "%lf,%lf", &a, &b) != 2 || !(a > 0) ||
            !(b > 0) || a + b >= 1.0)
            status = CVSEG_FAIL(
                CVSEG_EUSAGE, "option --abc-cuts: expected A,B shares like 0.15,0.25 (A + B < 1)");
        settings->abc.share_a = a;
        settings->abc.share_b = b;
        snprintf(settings->abc_preset, sizeof settings->abc_preset, "custom");
    }
    return status;
}

/* --features (rfm, lrfmc or a column list) and --transform. */
static cvseg_status pipeline_load_feature_set(const char *features, const char *transform,
                                              cvseg_job_settings *settings)
{
    cvseg_status status = CVSEG_OK;
    if (strcmp(features, "rfm") == 0) {
        settings->feature_set = CVSEG_FEATURES_RFM;
        settings->d = 3;
        for (int j = 0; j < 3; ++j)
            snprintf(settings->feature_names[j], 64, "%s", cvseg_rfm_feature_names[j]);
    } else if (strcmp(features, "lrfmc") == 0) {
        settings->feature_set = CVSEG_FEATURES_LRFMC;
        settings->d = 5;
        for (int j = 0; j < 5; ++j)
            snprintf(settings->feature_names[j], 64, "%s", pipeline_load_lrfmc_names[j]);
    } else {
        status = pipeline_load_feature_list(features, settings);
    }
    /* log1p applies to the skewed count and amount features. */
    for (int j = 0; j < settings->d && strcmp(transform, "log1p") == 0; ++j)
        settings->log1p[j] = strcmp(settings->feature_names[j], "recency") != 0 &&
                             strcmp(settings->feature_names[j], "length") != 0 &&
                             strcmp(settings->feature_names[j], "discount") != 0;
    return status;
}

/* --map FIELD=COLUMN (repeatable). */
static cvseg_status pipeline_load_column_map(const cvseg_options *options,
                                             cvseg_job_settings *settings)
{
    cvseg_status status = CVSEG_OK;
    const cvseg_option *table = options->table;
    for (int o = 0; o < options->count && status == CVSEG_OK; ++o) {
        if (strcmp(table[o].name, "map") != 0)
            continue;
        for (int r = 0; r < options->n_repeats[o] && status == CVSEG_OK; ++r) {
            const char *pair = options->repeats[o][r];
            const char *equals = strchr(pair, '=');
            if (!equals || equals == pair || !equals[1] ||
                settings->n_map >= CVSEG_MAX_FEATURES * 2 || (size_t)(equals - pair) >= 64 ||
                strlen(equals + 1) >= 64) {
                status =
                    CVSEG_FAIL(CVSEG_EUSAGE, "option --map: expected FIELD=COLUMN, got '%s'", pair);
                break;
            }
            snprintf(settings->column_map[settings->n_map][0], 64, "%.*s", (int)(equals - pair),
                     pair);
            snprintf(settings->column_map[settings->n_map][1], 64, "%s", equals + 1);
            settings->n_map += 1;
        }
    }
    return status;
}

cvseg_status cvseg_job_parse_settings(cvseg_app *app, const cvseg_options *options,
                                      cvseg_job_settings *settings)
{
    pipeline_load_choices choices;
    cvseg_status status = pipeline_load_read_choices(options, settings, &choices);
    if (status != CVSEG_OK)
        goto done;
    settings->invalid_drop = strcmp(choices.invalid, "drop") == 0;
    settings->recency_recent_high = strcmp(choices.order, "recent-high") == 0;
    settings->baseline_median = strcmp(choices.baseline, "median") == 0;
    status = pipeline_load_abc(options, choices.abc, settings);
    if (status != CVSEG_OK)
        goto done;
    status = pipeline_load_feature_set(choices.features, choices.transform, settings);
    if (status == CVSEG_OK)
        status = pipeline_load_column_map(options, settings);
done:
    (void)app;
    return status;
}

/* The member-table column that holds a field (after --map). */
static const char *pipeline_load_column(const cvseg_job_settings *settings, const char *field)
{
    for (int m = 0; m < settings->n_map; ++m)
        if (strcmp(settings->column_map[m][0], field) == 0)
            return settings->column_map[m][1];
    return field;
}

/* From this size up a per-member array is populated in one system call
 * (MADV_POPULATE_WRITE, Linux 5.14+) instead of one page fault per 4 KiB on
 * first touch: faulting the fresh arrays was a third of reading them. Every
 * such array is written in full right after, so the peak is the same. */
#define PIPELINE_LOAD_POPULATE_BYTES ((size_t)1 << 20)

void *cvseg_job_rows_alloc(int64_t n, size_t size, cvseg_status *status)
{
    const size_t bytes = (size_t)(n > 0 ? n : 1) * size;
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p && *status == CVSEG_OK)
        *status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld rows", (long long)n);
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
    if (p && bytes >= PIPELINE_LOAD_POPULATE_BYTES && end > start)
        (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE); /* advice: may fail */
#endif
    return p;
}

static void *pipeline_load_alloc(int64_t n, size_t size, cvseg_status *status)
{
    return cvseg_job_rows_alloc(n, size, status);
}

/* The raw columns of this rank's rows that the features are computed from
 * ([n] each; NULL where the feature set does not read them). first is the
 * first purchase (retail) or the join date (airline). */
typedef struct {
    int32_t *last, *first, *freq, *join;
    double *km, *discount, *fare1, *fare2;
} pipeline_load_raw;

static void pipeline_load_raw_free(pipeline_load_raw *raw)
{
    free(raw->last);
    free(raw->first);
    free(raw->freq);
    free(raw->join);
    free(raw->km);
    free(raw->discount);
    free(raw->fare1);
    free(raw->fare2);
}

static cvseg_status pipeline_load_column_read(cvseg_reader *reader,
                                              const cvseg_job_settings *settings,
                                              const cvseg_job_rows *rows, const char *field,
                                              cvseg_type type, void *out)
{
    return cvseg_reader_column(reader, "/members", pipeline_load_column(settings, field), type,
                               rows->offset, rows->n_local, out);
}

/* The column (after --map) and reason that make row i invalid. */
static const char *pipeline_load_invalid_reason(const cvseg_job_settings *settings,
                                                const cvseg_job_rows *rows,
                                                const pipeline_load_raw *raw, int64_t i,
                                                char *reason, size_t size)
{
    const int32_t *last = raw->last, *first = raw->first, *freq = raw->freq;
    const char *column = pipeline_load_column(settings, "monetary");
    const int airline = settings->feature_set == CVSEG_FEATURES_LRFMC;
    if (!cvseg_date_valid(last[i]) || (first && !cvseg_date_valid(first[i]))) {
        const int bad_last = !cvseg_date_valid(last[i]);
        column = pipeline_load_column(settings, bad_last  ? "last_purchase"
                                                : airline ? "join_date"
                                                          : "first_purchase");
        snprintf(reason, size, "date %d (days since 1970-01-01) is outside 0001-01-01..9999-12-31",
                 bad_last ? last[i] : first[i]);
    } else if (freq && freq[i] < 0) {
        column = pipeline_load_column(settings, airline ? "flight_count" : "frequency");
        snprintf(reason, size, "negative frequency %d", freq[i]);
    } else if (last[i] > settings->reference_date) {
        char day[11], reference[11];
        cvseg_format_date(last[i], day);
        cvseg_format_date(settings->reference_date, reference);
        column = pipeline_load_column(settings, "last_purchase");
        snprintf(reason, size, "last purchase %s is after the reference date %s", day, reference);
    } else if (first && first[i] > last[i] && !airline) {
        column = pipeline_load_column(settings, airline ? "join_date" : "first_purchase");
        snprintf(reason, size, "first date is after the last purchase");
    } else {
        if (airline)
            column = pipeline_load_column(settings, "seg_km_sum");
        snprintf(reason, size, "value is NaN, infinite or beyond +-1e150 (%g)", rows->monetary[i]);
    }
    return column;
}

/* Finds the first invalid row (global order) and records a message naming it. */
static cvseg_status pipeline_load_report_invalid(cvseg_app *app, const cvseg_job_settings *settings,
                                                 const cvseg_job_rows *rows,
                                                 const pipeline_load_raw *raw)
{
    int64_t mine = INT64_MAX;
    for (int64_t i = 0; i < rows->n_local && mine == INT64_MAX; ++i)
        if (rows->status[i] == CVSEG_MEMBER_INVALID)
            mine = i;
    int64_t global = mine == INT64_MAX ? INT64_MAX : rows->offset + mine;
    cvseg_status status = cvseg_mpi_agree(
        app->comm,
        cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, &global, 1, MPI_INT64_T, MPI_MIN, app->comm),
                        "first invalid"));
    if (status != CVSEG_OK)
        return status;
    if (global == INT64_MAX)
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "invalid members counted but none found");
    else if (mine != INT64_MAX && rows->offset + mine == global) {
        char reason[256];
        const char *column =
            pipeline_load_invalid_reason(settings, rows, raw, mine, reason, sizeof reason);
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/members/%s', row %lld (member_id %lld): %s "
                            "(use --invalid drop to drop such members)",
                            settings->input_path, column, (long long)global,
                            (long long)rows->member_id[mine], reason);
    }
    /* Other ranks return OK: the agreement then carries the owner's message. */
    return status;
}

/* 1 when the member table has both fare columns (after --map): the fare
 * cleaning rules apply only then. Same answer on every rank (one file). */
static int pipeline_load_fare_columns(cvseg_reader *reader, const cvseg_job_settings *settings)
{
    char path[2][80];
    snprintf(path[0], sizeof path[0], "/members/%s", pipeline_load_column(settings, "fare_yr1"));
    snprintf(path[1], sizeof path[1], "/members/%s", pipeline_load_column(settings, "fare_yr2"));
    return cvseg_reader_exists(reader, path[0]) && cvseg_reader_exists(reader, path[1]);
}

/* rows->joined_after_last_flight := members (all ranks) whose join date is
 * after their last flight (kept: L and R are independent). Collective. */
static cvseg_status pipeline_load_count_joined_after(cvseg_app *app, cvseg_job_rows *rows,
                                                     const int32_t *join, const int32_t *last)
{
    int64_t count = 0;
    for (int64_t i = 0; i < rows->n_local; ++i)
        count += join[i] > last[i];
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, &count, 1);
    rows->joined_after_last_flight = count;
    return status;
}

/* Opens the member table and checks that the columns the feature set needs
 * are there (rows->n_global := its length; rows->fare_columns for airline).
 * Collective. */
static cvseg_status pipeline_load_open(cvseg_app *app, const cvseg_job_settings *settings,
                                       cvseg_job_rows *rows, cvseg_reader **reader)
{
    const char *needed[32];
    int n_needed = 0;
    cvseg_status status = cvseg_reader_open(app->comm, settings->input_path, reader);
    if (status != CVSEG_OK)
        return status;
    needed[n_needed++] = pipeline_load_column(settings, "member_id");
    needed[n_needed++] = pipeline_load_column(settings, "last_purchase");
    if (settings->feature_set == CVSEG_FEATURES_LRFMC) {
        needed[n_needed++] = pipeline_load_column(settings, "join_date");
        needed[n_needed++] = pipeline_load_column(settings, "flight_count");
        needed[n_needed++] = pipeline_load_column(settings, "seg_km_sum");
        needed[n_needed++] = pipeline_load_column(settings, "avg_discount");
        rows->fare_columns = pipeline_load_fare_columns(*reader, settings);
        if (rows->fare_columns) {
            needed[n_needed++] = pipeline_load_column(settings, "fare_yr1");
            needed[n_needed++] = pipeline_load_column(settings, "fare_yr2");
        }
    } else {
        needed[n_needed++] = pipeline_load_column(settings, "frequency");
        needed[n_needed++] = pipeline_load_column(settings, "monetary");
    }
    if (settings->feature_set == CVSEG_FEATURES_CUSTOM)
        for (int j = 0; j < settings->d; ++j)
            needed[n_needed++] = pipeline_load_column(settings, settings->feature_names[j]);
    return cvseg_reader_table(*reader, "/members", needed, n_needed, &rows->n_global);
}

/* settings->reference_date from the table's attribute when not given.
 * Collective. */
static cvseg_status pipeline_load_reference_date(cvseg_app *app, cvseg_reader *reader,
                                                 cvseg_job_settings *settings)
{
    if (settings->reference_date != INT32_MIN)
        return CVSEG_OK;
    int present = 0;
    cvseg_status status = cvseg_reader_attr_i32(reader, "/members", "reference_date",
                                                &settings->reference_date, &present);
    if (status == CVSEG_OK && !present)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', group '/members': no reference_date attribute; give "
                            "--reference-date YYYY-MM-DD",
                            settings->input_path);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK && !cvseg_date_valid(settings->reference_date))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', group '/members': reference_date attribute %d (days "
                            "since 1970-01-01) is outside 0001-01-01..9999-12-31",
                            settings->input_path, settings->reference_date);
    return status;
}

/* recency, frequency, monetary [n]: for the rfm set the features' own
 * columns 0..2, for lrfmc columns 1..3 (R, F and M are features there: one
 * array and no copy each); arrays of their own for a custom set. */
static void pipeline_load_rfm_columns(const cvseg_job_settings *settings, cvseg_job_rows *rows,
                                      cvseg_status *status)
{
    const int64_t n = rows->n_local;
    const int64_t first = settings->feature_set == CVSEG_FEATURES_RFM     ? 0
                          : settings->feature_set == CVSEG_FEATURES_LRFMC ? n
                                                                          : -1;
    if (first < 0) {
        rows->recency = pipeline_load_alloc(n, sizeof(double), status);
        rows->frequency = pipeline_load_alloc(n, sizeof(double), status);
        rows->monetary = pipeline_load_alloc(n, sizeof(double), status);
    } else if (rows->features) {
        rows->recency = rows->features + first;
        rows->frequency = rows->features + first + n;
        rows->monetary = rows->features + first + 2 * n;
    }
}

/* This rank's block of rows: the row arrays, then member_id and the last
 * purchase read. Collective. */
static cvseg_status pipeline_load_block(cvseg_app *app, cvseg_reader *reader,
                                        const cvseg_job_settings *settings, cvseg_job_rows *rows,
                                        pipeline_load_raw *raw)
{
    cvseg_status status = CVSEG_OK;
    const cvseg_block block = cvseg_block_partition(rows->n_global, app->ranks, app->rank);
    rows->offset = block.offset;
    rows->n_local = block.count;
    const int64_t n = rows->n_local;
    rows->member_id = pipeline_load_alloc(n, sizeof(int64_t), &status);
    rows->status = pipeline_load_alloc(n, 1, &status);
    rows->features = pipeline_load_alloc(n * settings->d, sizeof(double), &status);
    pipeline_load_rfm_columns(settings, rows, &status);
    raw->last = pipeline_load_alloc(n, sizeof(int32_t), &status);
    raw->freq = pipeline_load_alloc(n, sizeof(int32_t), &status);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        return status;
    status = pipeline_load_column_read(reader, settings, rows, "member_id", CVSEG_T_I64,
                                       rows->member_id);
    if (status == CVSEG_OK)
        status = pipeline_load_column_read(reader, settings, rows, "last_purchase", CVSEG_T_I32,
                                           raw->last);
    return status;
}

/* LRFMC: the airline columns and features; the RFM view of a member is R
 * days, F flights, M kilometres. Collective. */
static cvseg_status pipeline_load_airline(cvseg_app *app, cvseg_reader *reader,
                                          const cvseg_job_settings *settings, cvseg_job_rows *rows,
                                          pipeline_load_raw *raw)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = rows->n_local;
    raw->join = pipeline_load_alloc(n, sizeof(int32_t), &status);
    raw->km = pipeline_load_alloc(n, sizeof(double), &status);
    raw->discount = pipeline_load_alloc(n, sizeof(double), &status);
    if (rows->fare_columns) {
        raw->fare1 = pipeline_load_alloc(n, sizeof(double), &status);
        raw->fare2 = pipeline_load_alloc(n, sizeof(double), &status);
    }
    status = cvseg_mpi_agree(app->comm, status);
    const struct {
        const char *field;
        cvseg_type type;
        void *out;
    } columns[6] = {
        {"join_date", CVSEG_T_I32, raw->join}, {"flight_count", CVSEG_T_I32, raw->freq},
        {"seg_km_sum", CVSEG_T_F64, raw->km},  {"avg_discount", CVSEG_T_F64, raw->discount},
        {"fare_yr1", CVSEG_T_F64, raw->fare1}, {"fare_yr2", CVSEG_T_F64, raw->fare2}};
    for (int c = 0; c < (rows->fare_columns ? 6 : 4) && status == CVSEG_OK; ++c)
        status = pipeline_load_column_read(reader, settings, rows, columns[c].field,
                                           columns[c].type, columns[c].out);
    if (status == CVSEG_OK)
        status = pipeline_load_count_joined_after(app, rows, raw->join, raw->last);
    if (status != CVSEG_OK)
        return status;
    double *f = rows->features;
    cvseg_lrfmc_features(raw->join, raw->last, raw->freq, raw->km, raw->discount, raw->fare1,
                         raw->fare2, n, settings->reference_date, &settings->rules, f, f + n,
                         f + 2 * n, f + 3 * n, f + 4 * n, rows->status);
    raw->first = raw->join;
    raw->join = NULL;
    return status;
}

/* Custom feature set: the listed columns; a non-finite value makes the
 * member invalid. */
static cvseg_status pipeline_load_custom(cvseg_reader *reader, const cvseg_job_settings *settings,
                                         cvseg_job_rows *rows)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = rows->n_local;
    for (int j = 0; j < settings->d && status == CVSEG_OK; ++j) {
        double *column = rows->features + (int64_t)j * n;
        status = pipeline_load_column_read(reader, settings, rows, settings->feature_names[j],
                                           CVSEG_T_F64, column);
        for (int64_t i = 0; i < n && status == CVSEG_OK; ++i)
            if (!cvseg_value_valid(column[i]) && rows->status[i] == CVSEG_MEMBER_OK)
                rows->status[i] = CVSEG_MEMBER_INVALID;
    }
    return status;
}

/* RFM and custom sets: frequency, monetary, first purchase (when the table
 * has it under its own name), the RFM features, then the clustering
 * features. Collective. */
static cvseg_status pipeline_load_retail(cvseg_app *app, cvseg_reader *reader,
                                         const cvseg_job_settings *settings, cvseg_job_rows *rows,
                                         pipeline_load_raw *raw)
{
    const int64_t n = rows->n_local;
    cvseg_status status =
        pipeline_load_column_read(reader, settings, rows, "frequency", CVSEG_T_I32, raw->freq);
    if (status == CVSEG_OK)
        status = pipeline_load_column_read(reader, settings, rows, "monetary", CVSEG_T_F64,
                                           rows->monetary);
    if (status == CVSEG_OK && cvseg_reader_exists(reader, "/members/first_purchase") &&
        strcmp(pipeline_load_column(settings, "first_purchase"), "first_purchase") == 0) {
        raw->first = pipeline_load_alloc(n, sizeof(int32_t), &status);
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            status = pipeline_load_column_read(reader, settings, rows, "first_purchase",
                                               CVSEG_T_I32, raw->first);
    }
    if (status != CVSEG_OK)
        return status;
    /* M is the monetary column as read: the features take it in place. */
    cvseg_rfm_features(raw->last, raw->first, raw->freq, rows->monetary, n,
                       settings->reference_date, rows->recency, rows->frequency, rows->monetary,
                       rows->status);
    if (settings->feature_set != CVSEG_FEATURES_RFM)
        return pipeline_load_custom(reader, settings, rows);
    return status;
}

/* Global status counts and scored members with net spend <= 0 (returns:
 * data quality, not an error); then the invalid-row policy. Collective. */
static cvseg_status pipeline_load_counts(cvseg_app *app, const cvseg_job_settings *settings,
                                         cvseg_job_rows *rows, const pipeline_load_raw *raw)
{
    const int64_t n = rows->n_local;
    const int airline = settings->feature_set == CVSEG_FEATURES_LRFMC;
    memset(rows->status_counts, 0, sizeof rows->status_counts);
    for (int64_t i = 0; i < n; ++i)
        rows->status_counts[rows->status[i]] += 1;
    cvseg_status status =
        cvseg_mpi_sum_i64(app->comm, rows->status_counts, CVSEG_MEMBER_STATUS_COUNT);
    if (status != CVSEG_OK)
        return status;
    rows->non_positive_monetary = 0;
    for (int64_t i = 0; i < n && !airline; ++i)
        rows->non_positive_monetary +=
            rows->status[i] == CVSEG_MEMBER_OK && !(rows->monetary[i] > 0.0);
    status = cvseg_mpi_sum_i64(app->comm, &rows->non_positive_monetary, 1);
    if (status != CVSEG_OK)
        return status;
    if (rows->status_counts[CVSEG_MEMBER_INVALID] > 0 && !settings->invalid_drop) {
        status = pipeline_load_report_invalid(app, settings, rows, raw);
        return cvseg_mpi_agree(app->comm, status);
    }
    rows->n_ok = rows->status_counts[CVSEG_MEMBER_OK];
    return status;
}

/* Member ids must be unique (unless --no-duplicate-check). Collective. */
static cvseg_status pipeline_load_check_duplicates(cvseg_app *app,
                                                   const cvseg_job_settings *settings,
                                                   const cvseg_job_rows *rows)
{
    if (!settings->check_duplicates)
        return CVSEG_OK;
    int64_t duplicates = 0, example = 0;
    cvseg_status status =
        cvseg_mpi_duplicates(app->comm, rows->member_id, rows->n_local, &duplicates, &example);
    if (status == CVSEG_OK && duplicates > 0)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/members/%s': %lld duplicate member ids "
                            "(e.g. %lld); ids must be unique",
                            settings->input_path, pipeline_load_column(settings, "member_id"),
                            (long long)duplicates, (long long)example);
    return cvseg_mpi_agree(app->comm, status);
}

cvseg_status cvseg_job_load(cvseg_app *app, cvseg_job_settings *settings, cvseg_job_rows *rows)
{
    cvseg_reader *reader = NULL;
    pipeline_load_raw raw = {0};
    cvseg_status status = pipeline_load_open(app, settings, rows, &reader);
    if (status == CVSEG_OK)
        status = pipeline_load_reference_date(app, reader, settings);
    if (status == CVSEG_OK)
        status = pipeline_load_block(app, reader, settings, rows, &raw);
    if (status != CVSEG_OK)
        goto done;
    if (settings->feature_set == CVSEG_FEATURES_LRFMC)
        status = pipeline_load_airline(app, reader, settings, rows, &raw);
    else
        status = pipeline_load_retail(app, reader, settings, rows, &raw);
    if (status == CVSEG_OK)
        status = pipeline_load_counts(app, settings, rows, &raw);
    if (status == CVSEG_OK)
        status = pipeline_load_check_duplicates(app, settings, rows);
done:
    cvseg_reader_close(reader);
    pipeline_load_raw_free(&raw);
    return status;
}

const char *cvseg_feature_set_name(cvseg_feature_set set)
{
    return set == CVSEG_FEATURES_RFM ? "rfm" : set == CVSEG_FEATURES_LRFMC ? "lrfmc" : "custom";
}

cvseg_feature_set cvseg_feature_set_from_name(const char *name)
{
    return strcmp(name, "rfm") == 0     ? CVSEG_FEATURES_RFM
           : strcmp(name, "lrfmc") == 0 ? CVSEG_FEATURES_LRFMC
                                        : CVSEG_FEATURES_CUSTOM;
}
