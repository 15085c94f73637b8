/* pipeline_load.c: settings, reading the member table, features. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void cvseg_job_free(cvseg_job *job)
{
    free(job->rows.member_id);
    free(job->rows.status);
    free(job->rows.recency);
    free(job->rows.frequency);
    free(job->rows.monetary);
    free(job->rows.features);
    free(job->rfm.r_score);
    free(job->rfm.f_score);
    free(job->rfm.m_score);
    free(job->rfm.segment);
    free(job->rfm.abc_class);
    free(job->rfm.value_cell);
    free(job->rfm.cell);
    free(job->clustering.centroids);
    free(job->clustering.sizes);
    free(job->clustering.labels);
    free(job->clustering.cluster);
    free(job->clustering.member_label);
    free(job->clustering.distance);
    free(job->clustering.kmeans.centres);
    free(job->clustering.kmeans.sizes);
    for (int m = 0; m < 3; ++m) {
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

static const char *const rfm_feature_names[3] = {"recency", "frequency", "monetary"};
static const char *const lrfmc_feature_names[5] = {"length", "recency", "frequency", "mileage",
                                                   "discount"};

/* --features COL,COL,...: one to CVSEG_MAX_FEATURES distinct, non-empty
 * names (no empty list, no empty element, no trailing comma). */
static cvseg_status parse_feature_list(const char *features, cvseg_job *job)
{
    cvseg_status status = CVSEG_OK;
    job->settings.feature_set = CVSEG_FEATURES_CUSTOM;
    job->settings.d = 0;
    const char *at = features;
    do {
        const char *comma = strchr(at, ',');
        const size_t length = comma ? (size_t)(comma - at) : strlen(at);
        if (length == 0 || length >= 64 || job->settings.d >= CVSEG_MAX_FEATURES) {
            status = CVSEG_FAIL(CVSEG_EUSAGE,
                                "option --features: '%s': expected rfm, lrfmc or a list of 1 to "
                                "%d column names separated by commas",
                                features, CVSEG_MAX_FEATURES);
            break;
        }
        snprintf(job->settings.feature_names[job->settings.d], 64, "%.*s", (int)length, at);
        for (int j = 0; j < job->settings.d && status == CVSEG_OK; ++j)
            if (strcmp(job->settings.feature_names[j],
                       job->settings.feature_names[job->settings.d]) == 0)
                status = CVSEG_FAIL(CVSEG_EUSAGE, "option --features: column '%s' given twice",
                                    job->settings.feature_names[j]);
        job->settings.d += 1;
        at = comma ? comma + 1 : NULL;
    } while (at && status == CVSEG_OK);
    return status;
}

cvseg_status cvseg_job_parse_settings(cvseg_app *app, const cvseg_options *options, cvseg_job *job)
{
    cvseg_status status = CVSEG_OK;
    const char *features = "rfm", *invalid = "error", *order = "recent-high";
    const char *baseline = "mean", *abc = "abc", *transform = "none";
    int have_date = 0;
    job->settings.input_path = cvseg_opt(options, "in");
    job->settings.check_duplicates = !cvseg_opt_has(options, "no-duplicate-check");
    job->settings.rules.drop_missing_fare = !cvseg_opt_has(options, "keep-missing-fare");
    job->settings.rules.drop_inconsistent = !cvseg_opt_has(options, "keep-inconsistent");
    if (cvseg_opt_has(options, "features"))
        features = cvseg_opt(options, "features");
    status = cvseg_opt_choice(options, "invalid", "error", "error|drop", &invalid);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "recency-order", "recent-high", "recent-high|recent-low",
                                  &order);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "segment-baseline", "mean", "mean|median", &baseline);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "abc", "abc", "abc|pyramid", &abc);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "transform", "none", "none|log1p", &transform);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_date(options, "reference-date", &job->settings.reference_date, &have_date);
    if (status != CVSEG_OK)
        goto done;
    job->settings.reference_date = have_date ? job->settings.reference_date : INT32_MIN;
    job->settings.invalid_drop = strcmp(invalid, "drop") == 0;
    job->settings.recency_recent_high = strcmp(order, "recent-high") == 0;
    job->settings.baseline_median = strcmp(baseline, "median") == 0;
    snprintf(job->settings.abc_preset, sizeof job->settings.abc_preset, "%s", abc);
    status = cvseg_abc_preset(abc, &job->settings.abc);
    if (status == CVSEG_OK && cvseg_opt_has(options, "abc") && cvseg_opt_has(options, "abc-cuts"))
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "options --abc and --abc-cuts exclude each other (give one of them)");
    if (status == CVSEG_OK && cvseg_opt_has(options, "abc-cuts")) {
        double a = 0, b = 0;
        if (sscanf(cvseg_opt(options, "abc-cuts"), "%lf,%lf", &a, &b) != 2 || !(a > 0) ||
            !(b > 0) || a + b >= 1.0)
            status = CVSEG_FAIL(
                CVSEG_EUSAGE, "option --abc-cuts: expected A,B shares like 0.15,0.25 (A + B < 1)");
        job->settings.abc.share_a = a;
        job->settings.abc.share_b = b;
        snprintf(job->settings.abc_preset, sizeof job->settings.abc_preset, "custom");
    }
    if (status != CVSEG_OK)
        goto done;
    if (strcmp(features, "rfm") == 0) {
        job->settings.feature_set = CVSEG_FEATURES_RFM;
        job->settings.d = 3;
        for (int j = 0; j < 3; ++j)
            snprintf(job->settings.feature_names[j], 64, "%s", rfm_feature_names[j]);
    } else if (strcmp(features, "lrfmc") == 0) {
        job->settings.feature_set = CVSEG_FEATURES_LRFMC;
        job->settings.d = 5;
        for (int j = 0; j < 5; ++j)
            snprintf(job->settings.feature_names[j], 64, "%s", lrfmc_feature_names[j]);
    } else {
        status = parse_feature_list(features, job);
    }
    /* log1p applies to the skewed count and amount features. */
    for (int j = 0; j < job->settings.d && strcmp(transform, "log1p") == 0; ++j)
        job->settings.log1p[j] = strcmp(job->settings.feature_names[j], "recency") != 0 &&
                                 strcmp(job->settings.feature_names[j], "length") != 0 &&
                                 strcmp(job->settings.feature_names[j], "discount") != 0;
    const cvseg_option *table = options->table;
    for (int o = 0; o < options->count && status == CVSEG_OK; ++o) {
        if (strcmp(table[o].name, "map") != 0)
            continue;
        for (int r = 0; r < options->n_repeats[o] && status == CVSEG_OK; ++r) {
            const char *pair = options->repeats[o][r];
            const char *equals = strchr(pair, '=');
            if (!equals || equals == pair || !equals[1] ||
                job->settings.n_map >= CVSEG_MAX_FEATURES * 2 || (size_t)(equals - pair) >= 64 ||
                strlen(equals + 1) >= 64) {
                status =
                    CVSEG_FAIL(CVSEG_EUSAGE, "option --map: expected FIELD=COLUMN, got '%s'", pair);
                break;
            }
            snprintf(job->settings.column_map[job->settings.n_map][0], 64, "%.*s",
                     (int)(equals - pair), pair);
            snprintf(job->settings.column_map[job->settings.n_map][1], 64, "%s", equals + 1);
            job->settings.n_map += 1;
        }
    }
done:
    (void)app;
    return status;
}

/* The member-table column that holds a field (after --map). */
static const char *column_of(const cvseg_job *job, const char *field)
{
    for (int m = 0; m < job->settings.n_map; ++m)
        if (strcmp(job->settings.column_map[m][0], field) == 0)
            return job->settings.column_map[m][1];
    return field;
}

static void *alloc_rows(int64_t n, size_t size, cvseg_status *status)
{
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p && *status == CVSEG_OK)
        *status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld rows", (long long)n);
    return p;
}

static cvseg_status read_column(cvseg_reader *reader, const cvseg_job *job, const char *field,
                                cvseg_type type, void *out)
{
    return cvseg_reader_column(reader, "/members", column_of(job, field), type, job->rows.offset,
                               job->rows.n_local, out);
}

/* Finds the first invalid row (global order) and records a message naming it. */
static cvseg_status report_first_invalid(cvseg_app *app, cvseg_job *job, const int32_t *last,
                                         const int32_t *first, const int32_t *freq)
{
    int64_t mine = INT64_MAX;
    for (int64_t i = 0; i < job->rows.n_local && mine == INT64_MAX; ++i)
        if (job->rows.status[i] == CVSEG_MEMBER_INVALID)
            mine = i;
    int64_t global = mine == INT64_MAX ? INT64_MAX : job->rows.offset + mine;
    cvseg_status status = cvseg_mpi_agree(
        app->comm,
        cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, &global, 1, MPI_INT64_T, MPI_MIN, app->comm),
                        "first invalid"));
    if (status != CVSEG_OK)
        return status;
    if (global == INT64_MAX)
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "invalid members counted but none found");
    else if (mine != INT64_MAX && job->rows.offset + mine == global) {
        const int64_t i = mine;
        char reason[256];
        const char *column = column_of(job, "monetary");
        if (!cvseg_date_valid(last[i]) || (first && !cvseg_date_valid(first[i]))) {
            const int bad_last = !cvseg_date_valid(last[i]);
            column = column_of(job, bad_last ? "last_purchase"
                                    : job->settings.feature_set == CVSEG_FEATURES_LRFMC
                                        ? "join_date"
                                        : "first_purchase");
            snprintf(reason, sizeof reason,
                     "date %d (days since 1970-01-01) is outside 0001-01-01..9999-12-31",
                     bad_last ? last[i] : first[i]);
        } else if (freq && freq[i] < 0) {
            column =
                column_of(job, job->settings.feature_set == CVSEG_FEATURES_LRFMC ? "flight_count"
                                                                                 : "frequency");
            snprintf(reason, sizeof reason, "negative frequency %d", freq[i]);
        } else if (last[i] > job->settings.reference_date) {
            char day[11], reference[11];
            cvseg_format_date(last[i], day);
            cvseg_format_date(job->settings.reference_date, reference);
            column = column_of(job, "last_purchase");
            snprintf(reason, sizeof reason, "last purchase %s is after the reference date %s", day,
                     reference);
        } else if (first && first[i] > last[i] &&
                   job->settings.feature_set != CVSEG_FEATURES_LRFMC) {
            column = column_of(job, job->settings.feature_set == CVSEG_FEATURES_LRFMC
                                        ? "join_date"
                                        : "first_purchase");
            snprintf(reason, sizeof reason, "first date is after the last purchase");
        } else {
            if (job->settings.feature_set == CVSEG_FEATURES_LRFMC)
                column = column_of(job, "seg_km_sum");
            snprintf(reason, sizeof reason, "value is NaN, infinite or beyond +-1e150 (%g)",
                     job->rows.monetary[i]);
        }
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/members/%s', row %lld (member_id %lld): %s "
                            "(use --invalid drop to drop such members)",
                            job->settings.input_path, column, (long long)global,
                            (long long)job->rows.member_id[i], reason);
    }
    /* Other ranks return OK: the agreement then carries the owner's message. */
    return status;
}

/* 1 when the member table has both fare columns (after --map): the fare
 * cleaning rules apply only then. Same answer on every rank (one file). */
static int fare_columns_present(cvseg_reader *reader, const cvseg_job *job)
{
    char path[2][80];
    snprintf(path[0], sizeof path[0], "/members/%s", column_of(job, "fare_yr1"));
    snprintf(path[1], sizeof path[1], "/members/%s", column_of(job, "fare_yr2"));
    return cvseg_reader_exists(reader, path[0]) && cvseg_reader_exists(reader, path[1]);
}

/* job->rows.joined_after_last_flight := members (all ranks) whose join date is
 * after their last flight (kept: L and R are independent). Collective. */
static cvseg_status count_joined_after(cvseg_app *app, cvseg_job *job, const int32_t *join,
                                       const int32_t *last)
{
    int64_t count = 0;
    for (int64_t i = 0; i < job->rows.n_local; ++i)
        count += join[i] > last[i];
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, &count, 1);
    job->rows.joined_after_last_flight = count;
    return status;
}

cvseg_status cvseg_job_load(cvseg_app *app, cvseg_job *job)
{
    cvseg_status status = CVSEG_OK;
    cvseg_reader *reader = NULL;
    int32_t *last = NULL, *first = NULL, *freq = NULL, *join = NULL;
    double *km = NULL, *discount = NULL, *fare1 = NULL, *fare2 = NULL;
    const int airline = job->settings.feature_set == CVSEG_FEATURES_LRFMC;
    const char *needed[32];
    int n_needed = 0;

    status = cvseg_reader_open(app->comm, job->settings.input_path, &reader);
    if (status != CVSEG_OK)
        goto done;
    needed[n_needed++] = column_of(job, "member_id");
    needed[n_needed++] = column_of(job, "last_purchase");
    if (airline) {
        needed[n_needed++] = column_of(job, "join_date");
        needed[n_needed++] = column_of(job, "flight_count");
        needed[n_needed++] = column_of(job, "seg_km_sum");
        needed[n_needed++] = column_of(job, "avg_discount");
        job->rows.fare_columns = fare_columns_present(reader, job);
        if (job->rows.fare_columns) {
            needed[n_needed++] = column_of(job, "fare_yr1");
            needed[n_needed++] = column_of(job, "fare_yr2");
        }
    } else {
        needed[n_needed++] = column_of(job, "frequency");
        needed[n_needed++] = column_of(job, "monetary");
    }
    if (job->settings.feature_set == CVSEG_FEATURES_CUSTOM)
        for (int j = 0; j < job->settings.d; ++j)
            needed[n_needed++] = column_of(job, job->settings.feature_names[j]);
    status = cvseg_reader_table(reader, "/members", needed, n_needed, &job->rows.n_global);
    if (status != CVSEG_OK)
        goto done;
    if (job->settings.reference_date == INT32_MIN) {
        int present = 0;
        status = cvseg_reader_attr_i32(reader, "/members", "reference_date",
                                       &job->settings.reference_date, &present);
        if (status == CVSEG_OK && !present)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', group '/members': no reference_date attribute; give "
                                "--reference-date YYYY-MM-DD",
                                job->settings.input_path);
        status = cvseg_mpi_agree(app->comm, status);
        if (status != CVSEG_OK)
            goto done;
        if (!cvseg_date_valid(job->settings.reference_date)) {
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', group '/members': reference_date attribute %d (days "
                                "since 1970-01-01) is outside 0001-01-01..9999-12-31",
                                job->settings.input_path, job->settings.reference_date);
            goto done;
        }
    }
    const cvseg_block block = cvseg_block_partition(job->rows.n_global, app->ranks, app->rank);
    job->rows.offset = block.offset;
    job->rows.n_local = block.count;
    const int64_t n = job->rows.n_local;
    job->rows.member_id = alloc_rows(n, sizeof(int64_t), &status);
    job->rows.status = alloc_rows(n, 1, &status);
    job->rows.recency = alloc_rows(n, sizeof(double), &status);
    job->rows.frequency = alloc_rows(n, sizeof(double), &status);
    job->rows.monetary = alloc_rows(n, sizeof(double), &status);
    job->rows.features = alloc_rows(n * job->settings.d, sizeof(double), &status);
    last = alloc_rows(n, sizeof(int32_t), &status);
    freq = alloc_rows(n, sizeof(int32_t), &status);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = read_column(reader, job, "member_id", CVSEG_T_I64, job->rows.member_id);
    if (status == CVSEG_OK)
        status = read_column(reader, job, "last_purchase", CVSEG_T_I32, last);
    if (status != CVSEG_OK)
        goto done;
    if (airline) {
        join = alloc_rows(n, sizeof(int32_t), &status);
        km = alloc_rows(n, sizeof(double), &status);
        discount = alloc_rows(n, sizeof(double), &status);
        if (job->rows.fare_columns) {
            fare1 = alloc_rows(n, sizeof(double), &status);
            fare2 = alloc_rows(n, sizeof(double), &status);
        }
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            status = read_column(reader, job, "join_date", CVSEG_T_I32, join);
        if (status == CVSEG_OK)
            status = read_column(reader, job, "flight_count", CVSEG_T_I32, freq);
        if (status == CVSEG_OK)
            status = read_column(reader, job, "seg_km_sum", CVSEG_T_F64, km);
        if (status == CVSEG_OK)
            status = read_column(reader, job, "avg_discount", CVSEG_T_F64, discount);
        if (status == CVSEG_OK && job->rows.fare_columns)
            status = read_column(reader, job, "fare_yr1", CVSEG_T_F64, fare1);
        if (status == CVSEG_OK && job->rows.fare_columns)
            status = read_column(reader, job, "fare_yr2", CVSEG_T_F64, fare2);
        if (status == CVSEG_OK)
            status = count_joined_after(app, job, join, last);
        if (status != CVSEG_OK)
            goto done;
        double *f = job->rows.features;
        cvseg_lrfmc_features(join, last, freq, km, discount, fare1, fare2, n,
                             job->settings.reference_date, &job->settings.rules, f, f + n,
                             f + 2 * n, f + 3 * n, f + 4 * n, job->rows.status);
        /* RFM view of an airline member: R days, F flights, M kilometres. */
        memcpy(job->rows.recency, f + n, sizeof(double) * (size_t)n);
        memcpy(job->rows.frequency, f + 2 * n, sizeof(double) * (size_t)n);
        memcpy(job->rows.monetary, f + 3 * n, sizeof(double) * (size_t)n);
        first = join;
        join = NULL;
    } else {
        status = read_column(reader, job, "frequency", CVSEG_T_I32, freq);
        if (status == CVSEG_OK)
            status = read_column(reader, job, "monetary", CVSEG_T_F64, job->rows.monetary);
        if (status == CVSEG_OK && cvseg_reader_exists(reader, "/members/first_purchase") &&
            strcmp(column_of(job, "first_purchase"), "first_purchase") == 0) {
            first = alloc_rows(n, sizeof(int32_t), &status);
            status = cvseg_mpi_agree(app->comm, status);
            if (status == CVSEG_OK)
                status = read_column(reader, job, "first_purchase", CVSEG_T_I32, first);
        }
        if (status != CVSEG_OK)
            goto done;
        double *raw_monetary = job->rows.monetary;
        job->rows.monetary = alloc_rows(n, sizeof(double), &status);
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            cvseg_rfm_features(last, first, freq, raw_monetary, n, job->settings.reference_date,
                               job->rows.recency, job->rows.frequency, job->rows.monetary,
                               job->rows.status);
        free(raw_monetary);
        if (status != CVSEG_OK)
            goto done;
        if (job->settings.feature_set == CVSEG_FEATURES_RFM) {
            memcpy(job->rows.features, job->rows.recency, sizeof(double) * (size_t)n);
            memcpy(job->rows.features + n, job->rows.frequency, sizeof(double) * (size_t)n);
            memcpy(job->rows.features + 2 * n, job->rows.monetary, sizeof(double) * (size_t)n);
        } else {
            for (int j = 0; j < job->settings.d && status == CVSEG_OK; ++j) {
                double *column = job->rows.features + (int64_t)j * n;
                status =
                    read_column(reader, job, job->settings.feature_names[j], CVSEG_T_F64, column);
                for (int64_t i = 0; i < n && status == CVSEG_OK; ++i)
                    if (!cvseg_value_valid(column[i]) && job->rows.status[i] == CVSEG_MEMBER_OK)
                        job->rows.status[i] = CVSEG_MEMBER_INVALID;
            }
            if (status != CVSEG_OK)
                goto done;
        }
    }
    /* Status counts and the invalid-row policy. */
    memset(job->rows.status_counts, 0, sizeof job->rows.status_counts);
    for (int64_t i = 0; i < n; ++i)
        job->rows.status_counts[job->rows.status[i]] += 1;
    status = cvseg_mpi_sum_i64(app->comm, job->rows.status_counts, CVSEG_MEMBER_STATUS_COUNT);
    if (status != CVSEG_OK)
        goto done;
    /* Scored members with net spend <= 0 (returns): data quality, not an error. */
    job->rows.non_positive_monetary = 0;
    for (int64_t i = 0; i < n && !airline; ++i)
        job->rows.non_positive_monetary +=
            job->rows.status[i] == CVSEG_MEMBER_OK && !(job->rows.monetary[i] > 0.0);
    status = cvseg_mpi_sum_i64(app->comm, &job->rows.non_positive_monetary, 1);
    if (status != CVSEG_OK)
        goto done;
    if (job->rows.status_counts[CVSEG_MEMBER_INVALID] > 0 && !job->settings.invalid_drop) {
        status = report_first_invalid(app, job, last, first, freq);
        status = cvseg_mpi_agree(app->comm, status);
        goto done;
    }
    job->rows.n_ok = job->rows.status_counts[CVSEG_MEMBER_OK];
    if (job->settings.check_duplicates) {
        int64_t duplicates = 0, example = 0;
        status = cvseg_mpi_duplicates(app->comm, job->rows.member_id, n, &duplicates, &example);
        if (status == CVSEG_OK && duplicates > 0)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '/members/%s': %lld duplicate member ids "
                                "(e.g. %lld); ids must be unique",
                                job->settings.input_path, column_of(job, "member_id"),
                                (long long)duplicates, (long long)example);
        status = cvseg_mpi_agree(app->comm, status);
    }
done:
    cvseg_reader_close(reader);
    free(last);
    free(first);
    free(freq);
    free(join);
    free(km);
    free(discount);
    free(fare1);
    free(fare2);
    return status;
}
