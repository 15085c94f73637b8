/* rfm.c: RFM / LRFMC features, scores and classes. */
#include "cvseg/rfm.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "cvseg/date.h"

const char *const cvseg_member_status_names[CVSEG_MEMBER_STATUS_COUNT] = {
    "ok", "dropped_missing_fare", "dropped_inconsistent", "invalid", "no_purchase"};
const char *const cvseg_segment_names[CVSEG_SEG_COUNT] = {
    "important_value",  "important_develop", "important_keep",
    "important_retain", "general_value",     "general_develop",
    "general_keep",     "general_retain",    "none"};
const char *const cvseg_value_cell_names[CVSEG_MATRIX_COUNT] = {"quality", "spender", "frequent",
                                                                "uncertain", "none"};
const char *const cvseg_abc_names[CVSEG_ABC_COUNT] = {"A", "B", "C", "none"};
const char *const cvseg_rfm_feature_names[CVSEG_RFM_FEATURES] = {
    [CVSEG_R] = "recency", [CVSEG_F] = "frequency", [CVSEG_M] = "monetary"};

static void rfm_raise_status(uint8_t *status, cvseg_member_status to)
{
    if (*status == CVSEG_MEMBER_OK)
        *status = (uint8_t)to;
}

void cvseg_rfm_features(const int32_t *last_purchase, const int32_t *first_purchase,
                        const int32_t *frequency, const double *monetary, int64_t n,
                        int32_t reference_date, double *recency, double *frequency_out,
                        double *monetary_out, uint8_t *status)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        recency[i] = (double)reference_date - (double)last_purchase[i];
        frequency_out[i] = (double)frequency[i];
        monetary_out[i] = monetary[i];
        if (!cvseg_value_valid(monetary[i]) || frequency[i] < 0 ||
            last_purchase[i] > reference_date || !cvseg_date_valid(last_purchase[i]) ||
            (first_purchase &&
             (first_purchase[i] > last_purchase[i] || !cvseg_date_valid(first_purchase[i]))))
            rfm_raise_status(&status[i], CVSEG_MEMBER_INVALID);
        else if (frequency[i] == 0)
            rfm_raise_status(&status[i], CVSEG_MEMBER_NO_PURCHASE);
    }
}

void cvseg_lrfmc_features(const int32_t *join_date, const int32_t *last_flight,
                          const int32_t *flight_count, const double *seg_km_sum,
                          const double *avg_discount, const double *fare_yr1,
                          const double *fare_yr2, int64_t n, int32_t reference_date,
                          const cvseg_lrfmc_rules *rules, double *length, double *recency,
                          double *frequency, double *mileage, double *discount, uint8_t *status)
{
    const int fares = fare_yr1 != NULL && fare_yr2 != NULL;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        length[i] = ((double)reference_date - (double)join_date[i]) / CVSEG_DAYS_PER_MONTH;
        recency[i] = (double)reference_date - (double)last_flight[i];
        frequency[i] = (double)flight_count[i];
        mileage[i] = seg_km_sum[i];
        discount[i] = avg_discount[i];
        if (fares) {
            const int fare_missing = isnan(fare_yr1[i]) || isnan(fare_yr2[i]);
            if (rules->drop_missing_fare && fare_missing)
                rfm_raise_status(&status[i], CVSEG_MEMBER_MISSING_FARE);
            if (rules->drop_inconsistent && !fare_missing && fare_yr1[i] + fare_yr2[i] == 0.0 &&
                avg_discount[i] != 0.0 && seg_km_sum[i] > 0.0)
                rfm_raise_status(&status[i], CVSEG_MEMBER_INCONSISTENT);
        }
        /* A join date after the last flight is real data (flights credited
         * retroactively): L and R stand on their own. */
        if (!cvseg_value_valid(seg_km_sum[i]) || !cvseg_value_valid(avg_discount[i]) ||
            flight_count[i] < 0 || last_flight[i] > reference_date ||
            !cvseg_date_valid(last_flight[i]) || !cvseg_date_valid(join_date[i]))
            rfm_raise_status(&status[i], CVSEG_MEMBER_INVALID);
    }
}

uint8_t cvseg_quintile_score(double value, const double edges[4], int higher_is_better)
{
    int below = 0;
    for (int q = 0; q < 4; ++q)
        below += edges[q] < value;
    return (uint8_t)(higher_is_better ? 1 + below : 5 - below);
}

void cvseg_rfm_amount_per_purchase(const double *frequency, const double *monetary, int64_t n,
                                   double *amount)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i)
        amount[i] = frequency[i] > 0.0 ? monetary[i] / frequency[i] : 0.0;
}

void cvseg_rfm_classify(const cvseg_rfm_model *model, const double *recency,
                        const double *frequency, const double *monetary, const uint8_t *status,
                        int64_t n, uint8_t *r_score, uint8_t *f_score, uint8_t *m_score,
                        uint16_t *rfm_cell, uint8_t *segment, uint8_t *abc_class,
                        uint8_t *value_cell)
{
    const cvseg_rfm_model mo = *model; /* local: no aliasing with the outputs */
    const int r_up = !mo.recency_recent_high;
    /* Branch-free so that the loop vectorises: every member's values are
     * computed, then those of members that are not OK are replaced. */
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const int ok = status[i] == CVSEG_MEMBER_OK;
        const double r = recency[i], f = frequency[i], m = monetary[i];
        /* R: fewer days is better; recency_recent_high chooses whether that
         * means a high or a low score. */
        const int rs = cvseg_quintile_score(r, mo.edges[CVSEG_R], r_up);
        const int fs = cvseg_quintile_score(f, mo.edges[CVSEG_F], 1);
        const int ms = cvseg_quintile_score(m, mo.edges[CVSEG_M], 1);
        r_score[i] = (uint8_t)(ok ? rs : 0);
        f_score[i] = (uint8_t)(ok ? fs : 0);
        m_score[i] = (uint8_t)(ok ? ms : 0);
        rfm_cell[i] = (uint16_t)(ok ? 100 * rs + 10 * fs + ms : 0);
        /* Table order: M high first (important_*), then R high/low, F high/low. */
        const int seg = (m > mo.baseline[CVSEG_M] ? 0 : 4) + (r < mo.baseline[CVSEG_R] ? 0 : 2) +
                        (f > mo.baseline[CVSEG_F] ? 0 : 1);
        segment[i] = (uint8_t)(ok ? seg : CVSEG_SEG_NONE);
        /* A (0) when M >= abc_cut[0]; else B (1) when M >= abc_cut[1]; else C (2) */
        const int below_a = !(m >= mo.abc_cut[0]), below_b = !(m >= mo.abc_cut[1]);
        abc_class[i] = (uint8_t)(ok ? below_a * (1 + below_b) : CVSEG_ABC_NONE);
        const double per_purchase = m / (f > 0.0 ? f : 1.0);
        const double amount = f > 0.0 ? per_purchase : 0.0;
        const int frequent = f > mo.matrix_f_baseline;
        const int big_amount = amount > mo.matrix_amount_baseline;
        const int cell = frequent ? (big_amount ? CVSEG_MATRIX_QUALITY : CVSEG_MATRIX_FREQUENT)
                                  : (big_amount ? CVSEG_MATRIX_SPENDER : CVSEG_MATRIX_UNCERTAIN);
        value_cell[i] = (uint8_t)(ok ? cell : CVSEG_MATRIX_NONE);
    }
}

cvseg_status cvseg_abc_preset(const char *name, cvseg_abc_cuts *cuts)
{
    cvseg_status status = CVSEG_OK;
    if (strcmp(name, "abc") == 0) {
        cuts->share_a = 0.15;
        cuts->share_b = 0.25;
    } else if (strcmp(name, "pyramid") == 0) {
        cuts->share_a = 0.05;
        cuts->share_b = 0.15;
    } else {
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "unknown ABC preset '%s' (expected abc or pyramid)", name);
    }
    return status;
}

void cvseg_abc_ranks(const cvseg_abc_cuts *cuts, int64_t n, int64_t ranks[2])
{
    const double cumulative[2] = {cuts->share_a, cuts->share_a + cuts->share_b};
    for (int c = 0; c < 2; ++c) {
        int64_t from_top = (int64_t)ceil(cumulative[c] * (double)n - 1e-9);
        if (from_top < 1)
            from_top = 1;
        if (from_top > n)
            from_top = n;
        ranks[c] = n - from_top + 1; /* ascending rank of that member */
        if (ranks[c] < 1)
            ranks[c] = 1;
    }
}

void cvseg_group_summary_init(cvseg_group_summary *summary, int groups,
                              const double max_abs[CVSEG_RFM_FEATURES])
{
    memset(summary, 0, sizeof *summary);
    summary->groups = groups;
    for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
        summary->exponent[f] = cvseg_fixed_exponent(max_abs[f]);
}

void cvseg_group_summary_add(cvseg_group_summary *summary, const uint8_t *group,
                             const double *recency, const double *frequency, const double *monetary,
                             int64_t n)
{
    const double *features[CVSEG_RFM_FEATURES] = {
        [CVSEG_R] = recency, [CVSEG_F] = frequency, [CVSEG_M] = monetary};
    double scale[CVSEG_RFM_FEATURES];
    for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
        scale[f] = cvseg_fixed_scale(summary->exponent[f]);
    for (int64_t i = 0; i < n; ++i) {
        const int g = group[i];
        if (g >= summary->groups)
            continue;
        summary->count[g] += 1;
        for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
            summary->sum[g][f] += cvseg_fixed_term(features[f][i], scale[f]);
    }
}

enum { RFM_SUMMARIES_MAX = 8 };

void cvseg_group_summaries_add(cvseg_group_summary *const *summaries, const uint8_t *const *groups,
                               int count, const double *recency, const double *frequency,
                               const double *monetary, int64_t n)
{
    for (int at = 0; at < count; at += RFM_SUMMARIES_MAX) {
        const int some = count - at < RFM_SUMMARIES_MAX ? count - at : RFM_SUMMARIES_MAX;
#pragma omp parallel if (n >= 65536)
        {
            /* Each thread sums its share of the rows into summaries of its own. */
            cvseg_group_summary mine[RFM_SUMMARIES_MAX];
            const int thread = omp_get_thread_num(), team = omp_get_num_threads();
            const int64_t from = n * thread / team, to = n * (thread + 1) / team;
            for (int s = 0; s < some; ++s) {
                mine[s] = *summaries[at + s];
                memset(mine[s].count, 0, sizeof mine[s].count);
                memset(mine[s].sum, 0, sizeof mine[s].sum);
                cvseg_group_summary_add(&mine[s], groups[at + s] + from, recency + from,
                                        frequency + from, monetary + from, to - from);
            }
#pragma omp critical(cvseg_group_summaries_add)
            for (int s = 0; s < some; ++s)
                cvseg_group_summary_merge(summaries[at + s], &mine[s]);
        }
    }
}

void cvseg_group_summary_merge(cvseg_group_summary *into, const cvseg_group_summary *from)
{
    for (int g = 0; g < into->groups; ++g) {
        into->count[g] += from->count[g];
        for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
            into->sum[g][f] += from->sum[g][f];
    }
}

double cvseg_group_summary_total(const cvseg_group_summary *summary, int g, int f)
{
    return cvseg_fixed_to_double(summary->sum[g][f], summary->exponent[f]);
}

double cvseg_group_summary_mean(const cvseg_group_summary *summary, int g, int f)
{
    return summary->count[g] > 0
               ? cvseg_group_summary_total(summary, g, f) / (double)summary->count[g]
               : 0.0;
}
