/* verb_clv.c: `cvseg clv`: BG/NBD + Gamma-Gamma customer lifetime value from
 * a transaction log.
 *
 * 1. the rows up to the calibration end (or the holdout end) are read and
 *    range-partitioned by member id exactly as `aggregate` does
 *    (cvseg_aggregate_exchange); each rank groups its members' calibration
 *    rows and, with --holdout-end, their holdout rows;
 * 2. per member x (repeat purchase days), t_x and T (days), the mean spend
 *    per repeat day; the distinct (x, t_x, T) and (x, mean spend) tuples with
 *    their counts are gathered in one sorted table on every rank
 *    (cvseg_mpi_gather_tuples), so both fits see the same numbers in the
 *    same order for any ranks x threads, and run identically on every rank;
 * 3. per member P(alive), expected purchases and spend, CLV, historic value
 *    and the lifecycle stage (OpenMP), written as /clv in ascending member id;
 *    the holdout chart sums are exact (integers and 128-bit fixed point).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cvseg/aggregate.h"
#include "cvseg/clv.h"
#include "cvseg/clv_mpi.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/fixed.h"
#include "cvseg/io.h"
#include "cvseg/outputs.h"
#include "pipeline.h"
#include "provenance.h"
#include "transactions.h"

static const cvseg_option clv_options[] = {
    {"in", CVSEG_OPT_VALUE, "TRANSACTIONS.h5", "transaction log (group /transactions)", 1, 0},
    {"out", CVSEG_OPT_VALUE, "CLV.h5", "per-member values to write (group /clv)", 1, 0},
    {"calibration-end", CVSEG_OPT_VALUE, "DATE", "last day of the calibration window", 1, 0},
    {"holdout-end", CVSEG_OPT_VALUE, "DATE",
     "last day of a holdout window after the calibration end: actual vs predicted purchases", 0, 0},
    {"unit", CVSEG_OPT_VALUE, "day|week|month",
     "time unit of t_x, T, --horizon and --discount (week = 7 days, month = 30.4375; default week)",
     0, 0},
    {"horizon", CVSEG_OPT_VALUE, "N", "units ahead for expected purchases and CLV (default 52)", 0,
     0},
    {"discount", CVSEG_OPT_VALUE, "RATE", "discount rate per unit (default 0)", 0, 0},
    {"margin", CVSEG_OPT_VALUE, "FRACTION", "profit margin applied to spend (default 1)", 0, 0},
    {"new-days", CVSEG_OPT_VALUE, "D",
     "lifecycle: first purchase at most D days before the calibration end is new (default 91)", 0,
     0},
    {"summary", CVSEG_OPT_VALUE, "SUMMARY.json", "write parameters, counts and timings as JSON", 0,
     0},
};
enum { CLV_OPTIONS = sizeof clv_options / sizeof clv_options[0] };

enum { CLV_CHART_BINS = 8 };
/* The run's declared files (outputs.h), by index. */
enum {
    CLV_FILE_IN,
    CLV_FILE_OUT,
    CLV_FILE_SUMMARY,
    CLV_FILES
}; /* calibration frequency 0..6, 7+ */

typedef struct {
    const char *input, *output, *summary, *unit;
    int32_t calibration_end, holdout_end;
    int have_holdout;
    double unit_days, discount, margin, new_days;
    int64_t horizon;
} clv_settings;

/* This rank's members, ascending member id: [n] each. */
typedef struct {
    int64_t n;
    int64_t *member_id;
    int32_t *x, *t_x_days, *T_days, *first_purchase, *holdout;
    double *monetary, *mean_spend;
    int64_t holdout_only; /* global: members whose first purchase is in the holdout */
} clv_members;

/* Per-member results [n]. */
typedef struct {
    double *t_x, *T, *p_alive, *expected, *spend, *clv, *historic, *holdout_expected;
    uint8_t *lifecycle;
} clv_results;

typedef struct {
    cvseg_clv_fit bgnbd, gg;
    int64_t bgnbd_rows, gg_rows, repeat_buyers, gg_members;
    double bgnbd_seconds, gg_seconds; /* the optimiser alone, on the gathered table */
    double bgnbd_cpu, gg_cpu;         /* its process CPU seconds (all threads) */
} clv_fits;

static cvseg_status clv_parse(cvseg_options *options, clv_settings *settings)
{
    int present = 0;
    cvseg_status status =
        cvseg_opt_date(options, "calibration-end", &settings->calibration_end, &present);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_date(options, "holdout-end", &settings->holdout_end, &settings->have_holdout);
    if (status == CVSEG_OK && settings->have_holdout &&
        settings->holdout_end <= settings->calibration_end)
        status = CVSEG_FAIL(CVSEG_EUSAGE, "option --holdout-end: must be after --calibration-end");
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "unit", "week", "day|week|month", &settings->unit);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "horizon", 52, 1, 100000, &settings->horizon);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "discount", 0.0, 0.0, 10.0, &settings->discount);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "margin", 1.0, 0.0, 1e6, &settings->margin);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "new-days", 91.0, 0.0, 1e6, &settings->new_days);
    if (status != CVSEG_OK)
        return status;
    settings->unit_days = strcmp(settings->unit, "day") == 0    ? 1.0
                          : strcmp(settings->unit, "week") == 0 ? 7.0
                                                                : 30.4375;
    settings->input = cvseg_opt(options, "in");
    settings->output = cvseg_opt(options, "out");
    settings->summary = cvseg_opt(options, "summary");
    return status;
}

static void clv_members_free(clv_members *members)
{
    free(members->member_id);
    free(members->x);
    free(members->t_x_days);
    free(members->T_days);
    free(members->first_purchase);
    free(members->holdout);
    free(members->monetary);
    free(members->mean_spend);
    memset(members, 0, sizeof *members);
}

/* Copies the rows with lo < date <= hi, in order, into part (arrays [n]). */
static cvseg_status clv_select_rows(const cvseg_transaction_rows *rows, int32_t lo, int32_t hi,
                                    cvseg_transaction_rows *part)
{
    const size_t size = (size_t)(rows->n > 0 ? rows->n : 1);
    part->n = 0;
    part->member_id = malloc(sizeof(int64_t) * size);
    part->date = malloc(sizeof(int32_t) * size);
    part->amount = malloc(sizeof(double) * size);
    if (!part->member_id || !part->date || !part->amount)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld rows", (long long)rows->n);
    for (int64_t i = 0; i < rows->n; ++i)
        if (rows->date[i] > lo && rows->date[i] <= hi) {
            part->member_id[part->n] = rows->member_id[i];
            part->date[part->n] = rows->date[i];
            part->amount[part->n] = rows->amount[i];
            ++part->n;
        }
    return CVSEG_OK;
}

static cvseg_status clv_members_alloc(clv_members *members, int64_t n)
{
    const size_t size = (size_t)(n > 0 ? n : 1);
    members->n = n;
    members->member_id = malloc(sizeof(int64_t) * size);
    members->x = malloc(sizeof(int32_t) * size);
    members->t_x_days = malloc(sizeof(int32_t) * size);
    members->T_days = malloc(sizeof(int32_t) * size);
    members->first_purchase = malloc(sizeof(int32_t) * size);
    members->holdout = calloc(size, sizeof(int32_t));
    members->monetary = malloc(sizeof(double) * size);
    members->mean_spend = malloc(sizeof(double) * size);
    if (!members->member_id || !members->x || !members->t_x_days || !members->T_days ||
        !members->first_purchase || !members->holdout || !members->monetary || !members->mean_spend)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld members", (long long)n);
    return CVSEG_OK;
}

/* Per-member calibration values from cal (ascending id), holdout purchase
 * days from hold (ascending id; members only there are counted, not kept). */
static cvseg_status clv_members_build(const cvseg_member_aggregate *cal,
                                      const cvseg_member_aggregate *hold, int32_t calibration_end,
                                      clv_members *members, int64_t *holdout_only)
{
    cvseg_status status = clv_members_alloc(members, cal->members);
    int64_t h = 0;
    *holdout_only = 0;
    for (int64_t i = 0; i < cal->members && status == CVSEG_OK; ++i) {
        const int32_t x = cal->distinct_days[i] - 1;
        members->member_id[i] = cal->member_id[i];
        members->x[i] = x;
        members->first_purchase[i] = cal->first_purchase[i];
        members->t_x_days[i] = cal->last_purchase[i] - cal->first_purchase[i];
        members->T_days[i] = calibration_end - cal->first_purchase[i];
        members->monetary[i] = cal->monetary[i];
        members->mean_spend[i] = x > 0 ? cal->repeat_monetary[i] / x : 0.0;
        while (hold && h < hold->members && hold->member_id[h] < cal->member_id[i]) {
            ++*holdout_only;
            ++h;
        }
        if (hold && h < hold->members && hold->member_id[h] == cal->member_id[i])
            members->holdout[i] = hold->distinct_days[h++];
    }
    if (hold)
        *holdout_only += hold->members - h;
    return status;
}

/* Step 1: reads and exchanges the log, groups this rank's members. */
static cvseg_status clv_collect(cvseg_app *app, const clv_settings *settings, cvseg_phases *phases,
                                int64_t counts[CVSEG_TX_COUNTS], clv_members *members)
{
    cvseg_transaction_rows rows = {0}, cal_rows = {0}, hold_rows = {0};
    cvseg_member_aggregate cal = {0}, hold = {0};
    const int32_t last = settings->have_holdout ? settings->holdout_end : settings->calibration_end;
    cvseg_status status =
        cvseg_aggregate_exchange(app, settings->input, last, 0, phases, counts, &rows);
    if (status != CVSEG_OK)
        goto done;
    if (settings->have_holdout) { /* else every row is in the calibration window */
        status = clv_select_rows(&rows, INT32_MIN, settings->calibration_end, &cal_rows);
        if (status == CVSEG_OK)
            status = clv_select_rows(&rows, settings->calibration_end, settings->holdout_end,
                                     &hold_rows);
        cvseg_transaction_rows_free(&rows);
    }
    if (status == CVSEG_OK) /* each call frees the rows it is given */
        status = cvseg_aggregate_consume(settings->have_holdout ? &cal_rows : &rows,
                                         CVSEG_FREQUENCY_ROWS, &cal);
    if (status == CVSEG_OK && settings->have_holdout)
        status = cvseg_aggregate_consume(&hold_rows, CVSEG_FREQUENCY_ROWS, &hold);
    if (status == CVSEG_OK)
        status = clv_members_build(&cal, settings->have_holdout ? &hold : NULL,
                                   settings->calibration_end, members, &members->holdout_only);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(app->comm, &members->holdout_only, 1);
    if (status == CVSEG_OK)
        cvseg_phase_end(phases, app, "group");
done:
    cvseg_transaction_rows_free(&rows);
    cvseg_transaction_rows_free(&cal_rows);
    cvseg_transaction_rows_free(&hold_rows);
    cvseg_member_aggregate_free(&cal);
    cvseg_member_aggregate_free(&hold);
    return status;
}

/* Gathers the BG/NBD tuples (x, t_x days, T days) and fits. Collective. */
static cvseg_status clv_fit_bgnbd(cvseg_app *app, const clv_settings *settings,
                                  const clv_members *members, clv_fits *fits)
{
    uint64_t *rows = malloc(sizeof(uint64_t) * 4 * (size_t)(members->n > 0 ? members->n : 1));
    uint64_t *table = NULL;
    double *columns = NULL;
    int64_t m = 0;
    cvseg_status status = cvseg_mpi_agree(
        app->comm, rows ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for tuples"));
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < members->n; ++i) {
        rows[4 * i] = (uint64_t)members->x[i];
        rows[4 * i + 1] = (uint64_t)members->t_x_days[i];
        rows[4 * i + 2] = (uint64_t)members->T_days[i];
        rows[4 * i + 3] = 1;
    }
    status = cvseg_mpi_gather_tuples(app->comm, rows, members->n, 3, &table, &m);
    if (status != CVSEG_OK)
        goto done;
    columns = malloc(sizeof(double) * 4 * (size_t)(m > 0 ? m : 1));
    if (!columns) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld tuples", (long long)m);
    } else {
        for (int64_t i = 0; i < m; ++i) {
            columns[i] = (double)table[4 * i];
            columns[m + i] = (double)table[4 * i + 1] / settings->unit_days;
            columns[2 * m + i] = (double)table[4 * i + 2] / settings->unit_days;
            columns[3 * m + i] = (double)table[4 * i + 3];
            fits->repeat_buyers += table[4 * i] > 0 ? (int64_t)table[4 * i + 3] : 0;
        }
        const cvseg_bgnbd_data data = {m, columns, columns + m, columns + 2 * m, columns + 3 * m};
        fits->bgnbd_rows = m;
        const double started = cvseg_now();
        const clock_t cpu = clock();
        status = cvseg_bgnbd_fit(&data, &fits->bgnbd);
        fits->bgnbd_seconds = cvseg_now() - started;
        fits->bgnbd_cpu = (double)(clock() - cpu) / CLOCKS_PER_SEC;
    }
    status = cvseg_mpi_agree(app->comm, status);
done:
    free(rows);
    free(table);
    free(columns);
    return status;
}

/* Gathers the Gamma-Gamma tuples (x, mean spend bits) of repeat buyers with
 * a positive mean spend and fits. Collective. */
static cvseg_status clv_fit_gg(cvseg_app *app, const clv_members *members, clv_fits *fits)
{
    uint64_t *rows = malloc(sizeof(uint64_t) * 3 * (size_t)(members->n > 0 ? members->n : 1));
    uint64_t *table = NULL;
    double *columns = NULL;
    int64_t m = 0, n = 0;
    cvseg_status status = cvseg_mpi_agree(
        app->comm, rows ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for tuples"));
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < members->n; ++i)
        if (members->x[i] > 0 && members->mean_spend[i] > 0) {
            rows[3 * n] = (uint64_t)members->x[i];
            memcpy(&rows[3 * n + 1], &members->mean_spend[i], sizeof(double));
            rows[3 * n + 2] = 1;
            ++n;
        }
    status = cvseg_mpi_gather_tuples(app->comm, rows, n, 2, &table, &m);
    if (status != CVSEG_OK)
        goto done;
    columns = malloc(sizeof(double) * 3 * (size_t)(m > 0 ? m : 1));
    if (!columns) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld tuples", (long long)m);
    } else {
        for (int64_t i = 0; i < m; ++i) {
            columns[i] = (double)table[3 * i];
            memcpy(&columns[m + i], &table[3 * i + 1], sizeof(double));
            columns[2 * m + i] = (double)table[3 * i + 2];
            fits->gg_members += (int64_t)table[3 * i + 2];
        }
        const cvseg_gg_data data = {m, columns, columns + m, columns + 2 * m};
        fits->gg_rows = m;
        const double started = cvseg_now();
        const clock_t cpu = clock();
        status = cvseg_gg_fit(&data, &fits->gg);
        fits->gg_seconds = cvseg_now() - started;
        fits->gg_cpu = (double)(clock() - cpu) / CLOCKS_PER_SEC;
    }
    status = cvseg_mpi_agree(app->comm, status);
done:
    free(rows);
    free(table);
    free(columns);
    return status;
}

static void clv_results_free(clv_results *results)
{
    free(results->t_x);
    free(results->T);
    free(results->p_alive);
    free(results->expected);
    free(results->spend);
    free(results->clv);
    free(results->historic);
    free(results->holdout_expected);
    free(results->lifecycle);
    memset(results, 0, sizeof *results);
}

static cvseg_status clv_results_alloc(clv_results *results, int64_t n)
{
    const size_t size = (size_t)(n > 0 ? n : 1);
    double **columns[] = {
        &results->t_x,   &results->T,   &results->p_alive,  &results->expected,
        &results->spend, &results->clv, &results->historic, &results->holdout_expected};
    int ok = 1;
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; ++c)
        ok = (*columns[c] = calloc(size, sizeof(double))) != NULL && ok;
    results->lifecycle = calloc(size, sizeof(uint8_t));
    if (!ok || !results->lifecycle)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld members", (long long)n);
    return CVSEG_OK;
}

/* One member's values (row i); non-OK when 2F1 fails. */
static cvseg_status clv_predict_one(const clv_settings *settings, const cvseg_bgnbd_params *bg,
                                    const cvseg_gg_params *gg, const clv_members *members,
                                    int64_t i, clv_results *results)
{
    const double x = members->x[i];
    const double t_x = members->t_x_days[i] / settings->unit_days;
    const double T = members->T_days[i] / settings->unit_days;
    double value = 0.0;
    results->t_x[i] = t_x;
    results->T[i] = T;
    results->p_alive[i] = cvseg_bgnbd_p_alive(bg, x, t_x, T);
    results->spend[i] = cvseg_gg_expected_spend(gg, x, members->mean_spend[i]);
    cvseg_status status = cvseg_clv_value(bg, x, t_x, T, (int)settings->horizon, settings->discount,
                                          results->spend[i], &value, &results->expected[i]);
    results->clv[i] = settings->margin * value;
    results->historic[i] = settings->margin * members->monetary[i];
    results->lifecycle[i] = (uint8_t)cvseg_lifecycle_stage(1, x, members->T_days[i],
                                                           results->p_alive[i], settings->new_days);
    if (status == CVSEG_OK && settings->have_holdout)
        status = cvseg_bgnbd_expected(bg, x, t_x, T,
                                      (settings->holdout_end - settings->calibration_end) /
                                          settings->unit_days,
                                      &results->holdout_expected[i]);
    return status;
}

/* Step 3: every member's values (OpenMP; each row depends only on itself). */
static cvseg_status clv_predict(const clv_settings *settings, const clv_fits *fits,
                                const clv_members *members, clv_results *results)
{
    const double *bt = fits->bgnbd.theta, *gt = fits->gg.theta;
    const cvseg_bgnbd_params bg = {bt[CVSEG_BGNBD_R], bt[CVSEG_BGNBD_ALPHA], bt[CVSEG_BGNBD_A],
                                   bt[CVSEG_BGNBD_B]};
    const cvseg_gg_params gg = {gt[CVSEG_GG_P], gt[CVSEG_GG_Q], gt[CVSEG_GG_V]};
    int64_t first_bad = INT64_MAX;
    cvseg_status status = clv_results_alloc(results, members->n);
    if (status != CVSEG_OK)
        return status;
    cvseg_clv_init();
#pragma omp parallel for schedule(dynamic, 4096) reduction(min : first_bad)
    for (int64_t i = 0; i < members->n; ++i)
        if (clv_predict_one(settings, &bg, &gg, members, i, results) != CVSEG_OK && i < first_bad)
            first_bad = i;
    if (first_bad != INT64_MAX) /* again on this thread, to record the message */
        status = clv_predict_one(settings, &bg, &gg, members, first_bad, results);
    return status;
}

/* Lifecycle counts and the holdout chart (members, actual and predicted
 * purchases per calibration frequency 0..6, 7+), exact over ranks. */
static cvseg_status clv_tallies(cvseg_app *app, const clv_members *members,
                                const clv_results *results, int64_t life[CVSEG_LIFE_COUNT],
                                int64_t chart[2][CLV_CHART_BINS], double predicted[CLV_CHART_BINS])
{
    cvseg_i128 sums[CLV_CHART_BINS] = {0};
    double bound = 0.0;
    for (int64_t i = 0; i < members->n; ++i) {
        const int bin = members->x[i] < CLV_CHART_BINS - 1 ? members->x[i] : CLV_CHART_BINS - 1;
        life[results->lifecycle[i]] += 1;
        chart[0][bin] += 1;
        chart[1][bin] += members->holdout[i];
        bound =
            fabs(results->holdout_expected[i]) > bound ? fabs(results->holdout_expected[i]) : bound;
    }
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, life, CVSEG_LIFE_COUNT);
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(app->comm, &chart[0][0], 2 * CLV_CHART_BINS);
    if (status == CVSEG_OK)
        status = cvseg_mpi_max_f64(app->comm, &bound, 1);
    if (status != CVSEG_OK)
        return status;
    const int exponent = cvseg_fixed_exponent(bound);
    const double scale = cvseg_fixed_scale(exponent);
    for (int64_t i = 0; i < members->n; ++i) {
        const int bin = members->x[i] < CLV_CHART_BINS - 1 ? members->x[i] : CLV_CHART_BINS - 1;
        sums[bin] += cvseg_fixed_term(results->holdout_expected[i], scale);
    }
    status = cvseg_mpi_sum_i128(app->comm, sums, CLV_CHART_BINS);
    for (int b = 0; b < CLV_CHART_BINS; ++b)
        predicted[b] = cvseg_fixed_to_double(sums[b], exponent);
    return status;
}

static const cvseg_enum_def clv_lifecycle_enum = {cvseg_lifecycle_names, CVSEG_LIFE_COUNT};

/* Model parameters as attributes of /clv. */
static cvseg_status clv_write_attributes(cvseg_writer *writer, const clv_settings *settings,
                                         const clv_fits *fits)
{
    static const char *const names[] = {"bgnbd_r",       "bgnbd_alpha",   "bgnbd_a",      "bgnbd_b",
                                        "gamma_gamma_p", "gamma_gamma_q", "gamma_gamma_v"};
    enum { PARAMS = CVSEG_BGNBD_PARAMS + CVSEG_GG_PARAMS };
    const double *bt = fits->bgnbd.theta, *gt = fits->gg.theta;
    const double values[PARAMS] = {bt[CVSEG_BGNBD_R], bt[CVSEG_BGNBD_ALPHA], bt[CVSEG_BGNBD_A],
                                   bt[CVSEG_BGNBD_B], gt[CVSEG_GG_P],        gt[CVSEG_GG_Q],
                                   gt[CVSEG_GG_V]};
    cvseg_status status = cvseg_writer_attr_str(writer, "/clv", "schema", "cvseg.clv/1");
    for (int j = 0; j < PARAMS && status == CVSEG_OK; ++j)
        status = cvseg_writer_attr_f64(writer, "/clv", names[j], values[j]);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_f64(writer, "/clv", "bgnbd_log_likelihood",
                                       fits->bgnbd.log_likelihood);
    if (status == CVSEG_OK)
        status =
            cvseg_writer_attr_i32(writer, "/clv", "calibration_end", settings->calibration_end);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, "/clv", "unit", settings->unit);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i64(writer, "/clv", "horizon", settings->horizon);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_f64(writer, "/clv", "discount", settings->discount);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_f64(writer, "/clv", "margin", settings->margin);
    return status;
}

/* Writes /clv: this rank's members at their global offset. Collective. */
static cvseg_status clv_write(cvseg_app *app, cvseg_outputs *outputs, const clv_settings *settings,
                              const clv_fits *fits, const clv_members *members,
                              const clv_results *results)
{
    cvseg_writer *writer = NULL;
    int64_t offset = 0, total = 0;
    cvseg_status status = cvseg_mpi_exscan_i64(app->comm, members->n, &offset, &total);
    if (status == CVSEG_OK)
        status = cvseg_writer_open(outputs, CLV_FILE_OUT, &writer);
    if (status != CVSEG_OK)
        return status;
    const cvseg_column columns[] = {
        {"member_id", CVSEG_T_I64, members->member_id, NULL, NULL},
        {"x", CVSEG_T_I32, members->x, NULL, NULL},
        {"t_x", CVSEG_T_F64, results->t_x, NULL, settings->unit},
        {"T", CVSEG_T_F64, results->T, NULL, settings->unit},
        {"p_alive", CVSEG_T_F64, results->p_alive, NULL, NULL},
        {"expected_purchases", CVSEG_T_F64, results->expected, NULL, NULL},
        {"expected_spend", CVSEG_T_F64, results->spend, NULL, NULL},
        {"clv", CVSEG_T_F64, results->clv, NULL, NULL},
        {"historic_value", CVSEG_T_F64, results->historic, NULL, NULL},
        {"lifecycle", CVSEG_T_U8, results->lifecycle, &clv_lifecycle_enum, NULL},
        {"holdout_purchases", CVSEG_T_I32, members->holdout, NULL, NULL},
        {"holdout_expected", CVSEG_T_F64, results->holdout_expected, NULL, NULL},
    };
    const int n_columns =
        (int)(sizeof columns / sizeof columns[0]) - (settings->have_holdout ? 0 : 2);
    cvseg_status write_status =
        cvseg_writer_columns(writer, "/clv", total, offset, members->n, n_columns, columns);
    if (write_status == CVSEG_OK)
        write_status = clv_write_attributes(writer, settings, fits);
    if (write_status == CVSEG_OK)
        write_status = cvseg_provenance_write(app, writer, "/clv", settings->input, 0);
    return cvseg_writer_close(writer, write_status);
}

static json_t *clv_fit_json(const cvseg_clv_fit *fit, const char *const *names, int k,
                            double seconds, double cpu_seconds)
{
    json_t *object = json_object(), *errors = json_object();
    for (int j = 0; j < k; ++j) {
        json_object_set_new(object, names[j], json_real(fit->theta[j]));
        json_object_set_new(errors, names[j],
                            isfinite(fit->standard_error[j]) ? json_real(fit->standard_error[j])
                                                             : json_null());
    }
    json_object_set_new(object, "standard_errors", errors);
    json_object_set_new(object, "log_likelihood", json_real(fit->log_likelihood));
    json_object_set_new(object, "iterations", json_integer(fit->iterations));
    json_object_set_new(object, "gradient_norm", json_real(fit->gradient_norm));
    json_object_set_new(object, "seconds", json_real(seconds));
    json_object_set_new(object, "cpu_seconds", json_real(cpu_seconds));
    return object;
}

/* The holdout chart: one row per calibration frequency (0..6, "7+"). */
static json_t *clv_chart_json(const int64_t chart[2][CLV_CHART_BINS],
                              const double predicted[CLV_CHART_BINS])
{
    json_t *rows = json_array();
    for (int b = 0; b < CLV_CHART_BINS; ++b) {
        const double n = (double)chart[0][b];
        char label[8];
        snprintf(label, sizeof label, b == CLV_CHART_BINS - 1 ? "%d+" : "%d", b);
        json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:f, s:f, s:f}", "x", label,
                                              "members", (json_int_t)chart[0][b], "actual",
                                              (json_int_t)chart[1][b], "predicted", predicted[b],
                                              "actual_mean", n > 0 ? chart[1][b] / n : 0.0,
                                              "predicted_mean", n > 0 ? predicted[b] / n : 0.0));
    }
    return rows;
}

typedef struct {
    int64_t counts[CVSEG_TX_COUNTS];
    int64_t members, holdout_only, life[CVSEG_LIFE_COUNT];
    int64_t chart[2][CLV_CHART_BINS];
    double predicted[CLV_CHART_BINS];
} clv_tally;

static json_t *clv_summary(const cvseg_app *app, const clv_settings *settings, const clv_fits *fits,
                           const clv_tally *tally, const cvseg_phases *phases)
{
    static const char *const bg_names[] = {"r", "alpha", "a", "b"};
    static const char *const gg_names[] = {"p", "q", "v"};
    char day[11];
    cvseg_format_date(settings->calibration_end, day);
    json_t *clv = json_pack(
        "{s:o, s:o, s:I, s:I, s:I, s:I, s:I}", "bgnbd",
        clv_fit_json(&fits->bgnbd, bg_names, 4, fits->bgnbd_seconds, fits->bgnbd_cpu),
        "gamma_gamma", clv_fit_json(&fits->gg, gg_names, 3, fits->gg_seconds, fits->gg_cpu),
        "members", (json_int_t)tally->members, "repeat_buyers", (json_int_t)fits->repeat_buyers,
        "gamma_gamma_members", (json_int_t)fits->gg_members, "bgnbd_tuples",
        (json_int_t)fits->bgnbd_rows, "gamma_gamma_tuples", (json_int_t)fits->gg_rows);
    json_t *life = json_object(), *phase_object = json_object();
    for (int s = 0; s < CVSEG_LIFE_COUNT; ++s)
        json_object_set_new(life, cvseg_lifecycle_names[s], json_integer(tally->life[s]));
    for (int p = 0; p < phases->count; ++p)
        json_object_set_new(phase_object, phases->name[p], json_real(phases->seconds[p]));
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:I, s:I, s:i, s:i}", "verb", "clv", "input",
                  settings->input, "calibration_end", day, "unit", settings->unit, "horizon",
                  (json_int_t)settings->horizon, "discount", settings->discount, "margin",
                  settings->margin, "rows", (json_int_t)tally->counts[CVSEG_TX_ROWS_READ],
                  "rows_used", (json_int_t)tally->counts[CVSEG_TX_ROWS_USED], "ranks", app->ranks,
                  "threads", app->threads);
    if (settings->have_holdout) {
        cvseg_format_date(settings->holdout_end, day);
        json_object_set_new(doc, "holdout_end", json_string(day));
        json_object_set_new(clv, "holdout", clv_chart_json(tally->chart, tally->predicted));
        json_object_set_new(clv, "holdout_only_members", json_integer(tally->holdout_only));
    }
    json_object_set_new(doc, "clv", clv);
    json_object_set_new(doc, "lifecycle", life);
    json_object_set_new(doc, "members", json_integer(tally->members));
    json_object_set_new(doc, "phases", phase_object);
    return doc;
}

/* Progress lines: the parameters and the holdout chart. */
static void clv_log(const cvseg_app *app, const clv_settings *settings, const clv_fits *fits,
                    const clv_tally *tally)
{
    const double *bg = fits->bgnbd.theta, *gg = fits->gg.theta;
    cvseg_log(app, 1, "%lld members, %lld repeat buyers (%lld distinct (x, t_x, T))",
              (long long)tally->members, (long long)fits->repeat_buyers,
              (long long)fits->bgnbd_rows);
    cvseg_log(app, 1, "BG/NBD r %.6f alpha %.6f a %.6f b %.6f, log-likelihood %.4f (%.3f s)",
              bg[CVSEG_BGNBD_R], bg[CVSEG_BGNBD_ALPHA], bg[CVSEG_BGNBD_A], bg[CVSEG_BGNBD_B],
              fits->bgnbd.log_likelihood, fits->bgnbd_seconds);
    cvseg_log(app, 1, "Gamma-Gamma p %.6f q %.6f v %.6f (%lld repeat buyers, %.3f s)",
              gg[CVSEG_GG_P], gg[CVSEG_GG_Q], gg[CVSEG_GG_V], (long long)fits->gg_members,
              fits->gg_seconds);
    if (!settings->have_holdout)
        return;
    cvseg_log(app, 1, "holdout: x  members  actual_mean  predicted_mean");
    for (int b = 0; b < CLV_CHART_BINS; ++b) {
        const double n = tally->chart[0][b] > 0 ? (double)tally->chart[0][b] : 1.0;
        cvseg_log(app, 1, "holdout: %d%s %8lld %12.4f %15.4f", b,
                  b == CLV_CHART_BINS - 1 ? "+" : "", (long long)tally->chart[0][b],
                  tally->chart[1][b] / n, tally->predicted[b] / n);
    }
}

/* Parses the options into settings (printing the help on rank 0 when
 * asked). */
static cvseg_status clv_parse_options(cvseg_app *app, cvseg_options *options,
                                      clv_settings *settings)
{
    cvseg_status status = cvseg_options_parse(app, clv_options, CLV_OPTIONS, options);
    if (status == CVSEG_OK && app->help_requested) {
        if (app->rank == 0)
            cvseg_options_help(
                stdout, "clv",
                "Customer lifetime value from a transaction log: BG/NBD (P(alive), expected "
                "purchases) and Gamma-Gamma (expected spend) fitted by maximum likelihood on the "
                "calibration window; per member x, t_x, T, p_alive, expected_purchases, "
                "expected_spend, clv, historic_value and lifecycle in /clv (ascending member_id).",
                clv_options, CLV_OPTIONS);
    } else if (status == CVSEG_OK) {
        status = clv_parse(options, settings);
    }
    return status;
}

/* Declares the run's files (--in checked, --out and --summary to
 * temporaries). Collective. */
static cvseg_status clv_open_outputs(cvseg_app *app, const clv_settings *settings,
                                     cvseg_outputs **outputs)
{
    const cvseg_file_decl files[CLV_FILES] = {
        [CLV_FILE_IN] = {"--in", settings->input, CVSEG_FILE_INPUT},
        [CLV_FILE_OUT] = {"--out", settings->output, CVSEG_FILE_OUTPUT},
        [CLV_FILE_SUMMARY] = {"--summary", settings->summary, CVSEG_FILE_OUTPUT}};
    return cvseg_outputs_open(app->comm, app->command_line, CLV_FILES, files, outputs);
}

/* Steps 1-2: this rank's members from the log, and both models fitted
 * (phases "group", "fit"). Collective. */
static cvseg_status clv_fit_models(cvseg_app *app, const clv_settings *settings,
                                   cvseg_phases *phases, clv_tally *tally, clv_members *members,
                                   clv_fits *fits)
{
    cvseg_status status = clv_collect(app, settings, phases, tally->counts, members);
    if (status == CVSEG_OK)
        status = clv_fit_bgnbd(app, settings, members, fits);
    if (status == CVSEG_OK)
        status = clv_fit_gg(app, members, fits);
    if (status == CVSEG_OK)
        cvseg_phase_end(phases, app, "fit");
    return status;
}

/* Step 3: per-member predictions and their global tallies (phase
 * "predict"). Collective. */
static cvseg_status clv_predict_members(cvseg_app *app, const clv_settings *settings,
                                        const clv_fits *fits, const clv_members *members,
                                        cvseg_phases *phases, clv_results *results,
                                        clv_tally *tally)
{
    cvseg_status status = cvseg_mpi_agree(app->comm, clv_predict(settings, fits, members, results));
    int64_t before = 0;
    if (status == CVSEG_OK)
        status = cvseg_mpi_exscan_i64(app->comm, members->n, &before, &tally->members);
    if (status == CVSEG_OK)
        status = clv_tallies(app, members, results, tally->life, tally->chart, tally->predicted);
    if (status == CVSEG_OK)
        cvseg_phase_end(phases, app, "predict");
    return status;
}

/* Step 5: progress lines and, with --summary, the summary document (to its
 * temporary). Collective. */
static cvseg_status clv_report(cvseg_app *app, cvseg_outputs *outputs, const clv_settings *settings,
                               const clv_fits *fits, int64_t holdout_only, clv_tally *tally,
                               const cvseg_phases *phases)
{
    cvseg_status status = CVSEG_OK;
    clv_log(app, settings, fits, tally);
    if (settings->summary) {
        tally->holdout_only = holdout_only;
        json_t *doc = clv_summary(app, settings, fits, tally, phases);
        status = cvseg_write_json_output(app, outputs, CLV_FILE_SUMMARY, doc, status);
        json_decref(doc);
    }
    return status;
}

cvseg_status cvseg_verb_clv(cvseg_app *app)
{
    cvseg_options options;
    clv_settings settings = {0};
    cvseg_phases phases = {0};
    clv_members members = {0};
    clv_results results = {0};
    clv_fits fits = {0};
    clv_tally tally = {0};
    cvseg_outputs *outputs = NULL;
    int written = 0; /* /clv written (to its temporary) */
    cvseg_status status = clv_parse_options(app, &options, &settings);
    if (status != CVSEG_OK || app->help_requested)
        return status;
    status = clv_open_outputs(app, &settings, &outputs);
    if (status != CVSEG_OK)
        return status;
    cvseg_phase_begin(&phases);
    status = clv_fit_models(app, &settings, &phases, &tally, &members, &fits);
    if (status == CVSEG_OK)
        status = clv_predict_members(app, &settings, &fits, &members, &phases, &results, &tally);
    if (status == CVSEG_OK)
        status = clv_write(app, outputs, &settings, &fits, &members, &results);
    if (status == CVSEG_OK) {
        written = 1;
        cvseg_phase_end(&phases, app, "write");
        status = clv_report(app, outputs, &settings, &fits, members.holdout_only, &tally, &phases);
    }
    /* /clv and the summary are committed together; a fit that did not
     * converge (exit 5) writes nothing. */
    status =
        written ? cvseg_outputs_finish(outputs, status) : cvseg_outputs_abandon(outputs, status);
    clv_members_free(&members);
    clv_results_free(&results);
    return status;
}
