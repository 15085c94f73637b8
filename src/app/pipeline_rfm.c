/* pipeline_rfm.c: exact global statistics, quintile edges, scores, classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/quantile.h"
#include "pipeline.h"

static void *rfm_pipeline_alloc(int64_t n, size_t size, cvseg_status *status)
{
    return cvseg_job_rows_alloc(n, size, status);
}

/* Bound of |x| over the included rows, from global moments. */
static double rfm_pipeline_bound(const cvseg_moments *m)
{
    return m->count > 0 ? fmax(fabs(m->min), fabs(m->max)) : 0.0;
}

/* The order statistics one cvseg_mpi_select call picks per feature (slots
 * of its ranks/values arrays): the four quintile edges, the median, and for
 * monetary the two ABC cuts. */
enum {
    RFM_PIPELINE_EDGES = 0, /* 4 slots: quintile edges 1..4 */
    RFM_PIPELINE_MEDIAN = 4,
    RFM_PIPELINE_ABC_A = 5,
    RFM_PIPELINE_ABC_B = 6,
    RFM_PIPELINE_SLOTS = 7
};

/* rfm's per-member arrays; include and amount: [n] scratch. Collective. */
static cvseg_status rfm_pipeline_allocate(cvseg_app *app, int64_t n, cvseg_rfm_results *rfm,
                                          uint8_t **include, double **amount)
{
    cvseg_status status = CVSEG_OK;
    *include = rfm_pipeline_alloc(n, 1, &status);
    *amount = rfm_pipeline_alloc(n, sizeof(double), &status);
    rfm->r_score = rfm_pipeline_alloc(n, 1, &status);
    rfm->f_score = rfm_pipeline_alloc(n, 1, &status);
    rfm->m_score = rfm_pipeline_alloc(n, 1, &status);
    rfm->segment = rfm_pipeline_alloc(n, 1, &status);
    rfm->abc_class = rfm_pipeline_alloc(n, 1, &status);
    rfm->value_cell = rfm_pipeline_alloc(n, 1, &status);
    rfm->cell = rfm_pipeline_alloc(n, sizeof(uint16_t), &status);
    return cvseg_mpi_agree(app->comm, status);
}

/* Global moments of R, F, M and the amount per purchase over the OK rows
 * (include := 1 for those). Collective. */
static cvseg_status rfm_pipeline_moments(cvseg_app *app, const cvseg_job_rows *rows,
                                         uint8_t *include, double *amount, cvseg_rfm_results *rfm)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = rows->n_local;
    const double *rfm_columns[3] = {rows->recency, rows->frequency, rows->monetary};
    for (int64_t i = 0; i < n; ++i)
        include[i] = rows->status[i] == CVSEG_MEMBER_OK;
    for (int f = 0; f < 3 && status == CVSEG_OK; ++f)
        status = cvseg_mpi_moments(app->comm, rfm_columns[f], include, n, &rfm->moments[f]);
    cvseg_rfm_amount_per_purchase(rows->frequency, rows->monetary, n, amount);
    if (status == CVSEG_OK)
        status = cvseg_mpi_moments(app->comm, amount, include, n, &rfm->amount_moments);
    return status;
}

/* The model from exact order statistics: quintile edges, baselines (mean
 * or median), ABC cuts, matrix baselines. Collective. */
static cvseg_status rfm_pipeline_quantiles(cvseg_app *app, const cvseg_job_settings *settings,
                                           const cvseg_job_rows *rows, const uint8_t *include,
                                           cvseg_rfm_results *rfm)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = rows->n_local, total = rows->n_ok;
    const double *rfm_columns[3] = {rows->recency, rows->frequency, rows->monetary};
    int64_t ranks[RFM_PIPELINE_SLOTS];
    double values[RFM_PIPELINE_SLOTS];
    for (int q = 1; q <= 4; ++q)
        ranks[RFM_PIPELINE_EDGES + q - 1] = cvseg_quantile_rank(q, 5, total);
    ranks[RFM_PIPELINE_MEDIAN] = cvseg_quantile_rank(1, 2, total);
    int64_t abc_ranks[2];
    cvseg_abc_ranks(&settings->abc, total, abc_ranks);
    ranks[RFM_PIPELINE_ABC_A] = abc_ranks[0];
    ranks[RFM_PIPELINE_ABC_B] = abc_ranks[1];
    rfm->model.recency_recent_high = settings->recency_recent_high;
    for (int f = 0; f < 3 && status == CVSEG_OK; ++f) {
        /* M also selects the ABC cuts; the median only when asked. */
        const int m = f == 2                      ? RFM_PIPELINE_SLOTS
                      : settings->baseline_median ? RFM_PIPELINE_MEDIAN + 1
                                                  : RFM_PIPELINE_MEDIAN;
        status = cvseg_mpi_select(app->comm, rfm_columns[f], include, n, m, ranks, values);
        if (status != CVSEG_OK)
            break;
        memcpy(rfm->model.edges[f], values + RFM_PIPELINE_EDGES, sizeof(double) * 4);
        rfm->model.baseline[f] =
            settings->baseline_median ? values[RFM_PIPELINE_MEDIAN] : rfm->moments[f].mean;
        if (f == 2) {
            rfm->model.abc_cut[0] = values[RFM_PIPELINE_ABC_A];
            rfm->model.abc_cut[1] = values[RFM_PIPELINE_ABC_B];
        }
    }
    rfm->model.matrix_f_baseline = rfm->moments[1].mean;
    rfm->model.matrix_amount_baseline = rfm->amount_moments.mean;
    return status;
}

/* Scores, cells, segments, classes; global score bins and group summaries.
 * Collective. */
static cvseg_status rfm_pipeline_classify(cvseg_app *app, const cvseg_job_rows *rows,
                                          cvseg_rfm_results *rfm)
{
    const int64_t n = rows->n_local;
    cvseg_rfm_classify(&rfm->model, rows->recency, rows->frequency, rows->monetary, rows->status, n,
                       rfm->r_score, rfm->f_score, rfm->m_score, rfm->cell, rfm->segment,
                       rfm->abc_class, rfm->value_cell);
    memset(rfm->score_bins, 0, sizeof rfm->score_bins);
    for (int64_t i = 0; i < n; ++i) {
        rfm->score_bins[0][rfm->r_score[i]] += 1;
        rfm->score_bins[1][rfm->f_score[i]] += 1;
        rfm->score_bins[2][rfm->m_score[i]] += 1;
    }
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, &rfm->score_bins[0][0], 3 * 6);
    const double bounds[3] = {rfm_pipeline_bound(&rfm->moments[0]),
                              rfm_pipeline_bound(&rfm->moments[1]),
                              rfm_pipeline_bound(&rfm->moments[2])};
    cvseg_group_summary_init(&rfm->by_segment, 8, bounds);
    cvseg_group_summary_init(&rfm->by_abc, 3, bounds);
    cvseg_group_summary_init(&rfm->by_matrix, 4, bounds);
    cvseg_group_summary *const summaries[3] = {&rfm->by_segment, &rfm->by_abc, &rfm->by_matrix};
    const uint8_t *const groups[3] = {rfm->segment, rfm->abc_class, rfm->value_cell};
    cvseg_group_summaries_add(summaries, groups, 3, rows->recency, rows->frequency, rows->monetary,
                              n);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &rfm->by_segment);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &rfm->by_abc);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &rfm->by_matrix);
    return status;
}

cvseg_status cvseg_job_score_rfm(cvseg_app *app, const cvseg_job_settings *settings,
                                 const cvseg_job_rows *rows, cvseg_rfm_results *rfm,
                                 cvseg_phases *phases, int frozen)
{
    uint8_t *include = NULL;
    double *amount = NULL;
    cvseg_status status = rfm_pipeline_allocate(app, rows->n_local, rfm, &include, &amount);
    if (status != CVSEG_OK)
        goto done;
    if (rows->n_ok == 0) {
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': no member left to score (%lld rows, all dropped)",
                       settings->input_path, (long long)rows->n_global);
        goto done;
    }
    status = rfm_pipeline_moments(app, rows, include, amount, rfm);
    if (status != CVSEG_OK)
        goto done;
    cvseg_phase_end(phases, app, "moments");
    if (!frozen) {
        status = rfm_pipeline_quantiles(app, settings, rows, include, rfm);
        if (status != CVSEG_OK)
            goto done;
        cvseg_phase_end(phases, app, "quantiles");
    }
    status = rfm_pipeline_classify(app, rows, rfm);
    if (status == CVSEG_OK)
        cvseg_phase_end(phases, app, "scores");
done:
    free(include);
    free(amount);
    return cvseg_mpi_agree(app->comm, status);
}
