/* pipeline_rfm.c: exact global statistics, quintile edges, scores, classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/quantile.h"
#include "pipeline.h"

static void *alloc_rows(int64_t n, size_t size, cvseg_status *status)
{
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p && *status == CVSEG_OK)
        *status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld rows", (long long)n);
    return p;
}

/* Bound of |x| over the included rows, from global moments. */
static double bound_of(const cvseg_moments *m)
{
    return m->count > 0 ? fmax(fabs(m->min), fabs(m->max)) : 0.0;
}

cvseg_status cvseg_job_score_rfm(cvseg_app *app, cvseg_job *job, int frozen)
{
    cvseg_status status = CVSEG_OK;
    const int64_t n = job->rows.n_local;
    uint8_t *include = alloc_rows(n, 1, &status);
    double *amount = alloc_rows(n, sizeof(double), &status);
    const double *rfm[3] = {job->rows.recency, job->rows.frequency, job->rows.monetary};
    job->rfm.r_score = alloc_rows(n, 1, &status);
    job->rfm.f_score = alloc_rows(n, 1, &status);
    job->rfm.m_score = alloc_rows(n, 1, &status);
    job->rfm.segment = alloc_rows(n, 1, &status);
    job->rfm.abc_class = alloc_rows(n, 1, &status);
    job->rfm.value_cell = alloc_rows(n, 1, &status);
    job->rfm.cell = alloc_rows(n, sizeof(uint16_t), &status);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    if (job->rows.n_ok == 0) {
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': no member left to score (%lld rows, all dropped)",
                       job->settings.input_path, (long long)job->rows.n_global);
        goto done;
    }
    for (int64_t i = 0; i < n; ++i)
        include[i] = job->rows.status[i] == CVSEG_MEMBER_OK;
    for (int f = 0; f < 3 && status == CVSEG_OK; ++f)
        status = cvseg_mpi_moments(app->comm, rfm[f], include, n, &job->rfm.moments[f]);
    cvseg_rfm_amount_per_purchase(job->rows.frequency, job->rows.monetary, n, amount);
    if (status == CVSEG_OK)
        status = cvseg_mpi_moments(app->comm, amount, include, n, &job->rfm.amount_moments);
    if (status != CVSEG_OK)
        goto done;
    cvseg_phase_end(&job->phases, app, "moments");

    if (!frozen) {
        const int64_t total = job->rows.n_ok;
        int64_t ranks[8];
        double values[8];
        for (int q = 1; q <= 4; ++q)
            ranks[q - 1] = cvseg_quantile_rank(q, 5, total);
        ranks[4] = cvseg_quantile_rank(1, 2, total); /* median */
        int64_t abc_ranks[2];
        cvseg_abc_ranks(&job->settings.abc, total, abc_ranks);
        ranks[5] = abc_ranks[0];
        ranks[6] = abc_ranks[1];
        job->rfm.model.recency_recent_high = job->settings.recency_recent_high;
        for (int f = 0; f < 3 && status == CVSEG_OK; ++f) {
            /* M also selects the ABC cuts; the median only when asked. */
            const int m = f == 2 ? 7 : job->settings.baseline_median ? 5 : 4;
            status = cvseg_mpi_select(app->comm, rfm[f], include, n, m, ranks, values);
            if (status != CVSEG_OK)
                break;
            memcpy(job->rfm.model.edges[f], values, sizeof(double) * 4);
            job->rfm.model.baseline[f] =
                job->settings.baseline_median ? values[4] : job->rfm.moments[f].mean;
            if (f == 2) {
                job->rfm.model.abc_cut[0] = values[5];
                job->rfm.model.abc_cut[1] = values[6];
            }
        }
        job->rfm.model.matrix_f_baseline = job->rfm.moments[1].mean;
        job->rfm.model.matrix_amount_baseline = job->rfm.amount_moments.mean;
        if (status != CVSEG_OK)
            goto done;
        cvseg_phase_end(&job->phases, app, "quantiles");
    }
    cvseg_rfm_classify(&job->rfm.model, job->rows.recency, job->rows.frequency, job->rows.monetary,
                       job->rows.status, n, job->rfm.r_score, job->rfm.f_score, job->rfm.m_score,
                       job->rfm.cell, job->rfm.segment, job->rfm.abc_class, job->rfm.value_cell);
    memset(job->rfm.score_bins, 0, sizeof job->rfm.score_bins);
    for (int64_t i = 0; i < n; ++i) {
        job->rfm.score_bins[0][job->rfm.r_score[i]] += 1;
        job->rfm.score_bins[1][job->rfm.f_score[i]] += 1;
        job->rfm.score_bins[2][job->rfm.m_score[i]] += 1;
    }
    status = cvseg_mpi_sum_i64(app->comm, &job->rfm.score_bins[0][0], 3 * 6);
    const double bounds[3] = {bound_of(&job->rfm.moments[0]), bound_of(&job->rfm.moments[1]),
                              bound_of(&job->rfm.moments[2])};
    cvseg_group_summary_init(&job->rfm.by_segment, 8, bounds);
    cvseg_group_summary_init(&job->rfm.by_abc, 3, bounds);
    cvseg_group_summary_init(&job->rfm.by_matrix, 4, bounds);
    cvseg_group_summary_add(&job->rfm.by_segment, job->rfm.segment, job->rows.recency,
                            job->rows.frequency, job->rows.monetary, n);
    cvseg_group_summary_add(&job->rfm.by_abc, job->rfm.abc_class, job->rows.recency,
                            job->rows.frequency, job->rows.monetary, n);
    cvseg_group_summary_add(&job->rfm.by_matrix, job->rfm.value_cell, job->rows.recency,
                            job->rows.frequency, job->rows.monetary, n);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &job->rfm.by_segment);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &job->rfm.by_abc);
    if (status == CVSEG_OK)
        status = cvseg_mpi_group_summary(app->comm, &job->rfm.by_matrix);
    if (status == CVSEG_OK)
        cvseg_phase_end(&job->phases, app, "scores");
done:
    free(include);
    free(amount);
    return cvseg_mpi_agree(app->comm, status);
}
