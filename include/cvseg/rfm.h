/* rfm.h: RFM / LRFMC features, quintile scores, value segments, ABC classes
 * and the customer value matrix. Pure kernels over one rank's rows; the
 * global quantities they need (edges, means, cuts) come in a cvseg_rfm_model
 * computed by the distributed layer.
 *
 * Array shapes: every per-member array is [n] (this rank's rows). Features
 * are doubles (integer-valued for R and F, so exact).
 */
#ifndef CVSEG_RFM_H
#define CVSEG_RFM_H

#include <math.h>
#include <stdint.h>

#include "cvseg/fixed.h"
#include "cvseg/status.h"

/* Real-valued inputs (monetary, LRFMC distance and discount, custom feature
 * columns) must be finite with |x| <= CVSEG_VALUE_MAX: then every square of a
 * difference that the moments and K-Means form stays finite ((2e150)^2 =
 * 4e300 < DBL_MAX). Other values are bad input, like NaN (status INVALID). */
#define CVSEG_VALUE_MAX 1e150
static inline int cvseg_value_valid(double x)
{
    return fabs(x) <= CVSEG_VALUE_MAX; /* false for NaN */
}

/* Per-member status (HDF5 enum "member_status"). */
typedef enum {
    CVSEG_MEMBER_OK = 0,
    CVSEG_MEMBER_MISSING_FARE = 1, /* LRFMC: a yearly fare total is missing */
    CVSEG_MEMBER_INCONSISTENT = 2, /* LRFMC: fare 0, discount > 0, distance > 0 */
    CVSEG_MEMBER_INVALID = 3,      /* NaN/Inf/|x| > 1e150, negative F, dates out of order or
                                      outside 0001..9999 */
    CVSEG_MEMBER_NO_PURCHASE = 4,  /* RFM: F = 0 (e.g. only returns): kept, not scored */
    CVSEG_MEMBER_STATUS_COUNT = 5
} cvseg_member_status;

/* The eight RFM value segments (HDF5 enum "segment"); NONE for dropped members. */
typedef enum {
    CVSEG_SEG_IMPORTANT_VALUE = 0,   /* R H, F H, M H */
    CVSEG_SEG_IMPORTANT_DEVELOP = 1, /* R H, F L, M H */
    CVSEG_SEG_IMPORTANT_KEEP = 2,    /* R L, F H, M H */
    CVSEG_SEG_IMPORTANT_RETAIN = 3,  /* R L, F L, M H */
    CVSEG_SEG_GENERAL_VALUE = 4,     /* R H, F H, M L */
    CVSEG_SEG_GENERAL_DEVELOP = 5,   /* R H, F L, M L */
    CVSEG_SEG_GENERAL_KEEP = 6,      /* R L, F H, M L */
    CVSEG_SEG_GENERAL_RETAIN = 7,    /* R L, F L, M L */
    CVSEG_SEG_NONE = 8,
    CVSEG_SEG_COUNT = 9
} cvseg_segment;

typedef enum {
    CVSEG_MATRIX_QUALITY = 0,   /* F high, amount per purchase high */
    CVSEG_MATRIX_SPENDER = 1,   /* F low,  amount high */
    CVSEG_MATRIX_FREQUENT = 2,  /* F high, amount low */
    CVSEG_MATRIX_UNCERTAIN = 3, /* F low,  amount low */
    CVSEG_MATRIX_NONE = 4,
    CVSEG_MATRIX_COUNT = 5
} cvseg_value_cell;

typedef enum {
    CVSEG_ABC_A = 0,
    CVSEG_ABC_B = 1,
    CVSEG_ABC_C = 2,
    CVSEG_ABC_NONE = 3,
    CVSEG_ABC_COUNT = 4
} cvseg_abc_class;

extern const char *const cvseg_member_status_names[CVSEG_MEMBER_STATUS_COUNT];
extern const char *const cvseg_segment_names[CVSEG_SEG_COUNT];
extern const char *const cvseg_value_cell_names[CVSEG_MATRIX_COUNT];
extern const char *const cvseg_abc_names[CVSEG_ABC_COUNT];

/* Feature indices */
enum { CVSEG_R = 0, CVSEG_F = 1, CVSEG_M = 2, CVSEG_RFM_FEATURES = 3 };
/* "recency", "frequency", "monetary": the features' names in files and
 * summaries, by index. */
extern const char *const cvseg_rfm_feature_names[CVSEG_RFM_FEATURES];

/* Everything global that scoring needs; identical on all ranks; stored in the
 * model file for rescoring. */
typedef struct {
    double edges[3][4];            /* quintile edges of R, F, M (inverse empirical CDF) */
    int recency_recent_high;       /* 1: r_score 5 = most recent (default); 0: 1 = most recent */
    double baseline[3];            /* High/Low thresholds of R, F, M (mean or median) */
    double abc_cut[2];             /* M >= abc_cut[0]: A; else M >= abc_cut[1]: B; else C */
    double matrix_f_baseline;      /* F > this: frequent */
    double matrix_amount_baseline; /* M/F > this: high amount */
} cvseg_rfm_model;

/* RFM features from a member table. R = reference_date - last_purchase (days),
 * F = frequency, M = monetary. status[i] = INVALID when M is not
 * cvseg_value_valid, F < 0, last_purchase > reference_date, or a date is not
 * cvseg_date_valid; else NO_PURCHASE when F = 0; else OK (status is only ever
 * raised, so a status set by an earlier rule stays). first_purchase may be
 * NULL; when given, first > last is INVALID too. monetary_out may be
 * monetary itself (M is a copy of it). */
void cvseg_rfm_features(const int32_t *last_purchase, const int32_t *first_purchase,
                        const int32_t *frequency, const double *monetary, int64_t n,
                        int32_t reference_date, double *recency, double *frequency_out,
                        double *monetary_out, uint8_t *status);

/* LRFMC cleaning rules (methods.md 4); each switch 1 = apply. */
typedef struct {
    int drop_missing_fare;
    int drop_inconsistent;
} cvseg_lrfmc_rules;

/* Days in the month unit of L. */
#define CVSEG_DAYS_PER_MONTH 30.4375

/* LRFMC features: L = (reference - join_date) / 30.4375 (months), R = reference -
 * last flight (days), F = flight_count, M = seg_km_sum, C = avg_discount.
 * fare_yr1/fare_yr2 may be NaN (missing); both NULL (a table without fare
 * columns): the fare rules are not applied. A join date after the last
 * flight is valid (L and R are independent). INVALID: distance or discount
 * not cvseg_value_valid, negative F, a last flight after the reference date,
 * a date outside 0001..9999. Out arrays [n] each. */
void cvseg_lrfmc_features(const int32_t *join_date, const int32_t *last_flight,
                          const int32_t *flight_count, const double *seg_km_sum,
                          const double *avg_discount, const double *fare_yr1,
                          const double *fare_yr2, int64_t n, int32_t reference_date,
                          const cvseg_lrfmc_rules *rules, double *length, double *recency,
                          double *frequency, double *mileage, double *discount, uint8_t *status);

/* 1 + number of edges strictly below value (1..5); reversed (6 - s) when
 * higher_is_better is 0. Equal values always get equal scores. */
uint8_t cvseg_quintile_score(double value, const double edges[4], int higher_is_better);

/* Scores and classes for n members. Dropped members (status != OK) get
 * scores 0, cell 0 and the NONE classes. */
void cvseg_rfm_classify(const cvseg_rfm_model *model, const double *recency,
                        const double *frequency, const double *monetary, const uint8_t *status,
                        int64_t n, uint8_t *r_score, uint8_t *f_score, uint8_t *m_score,
                        uint16_t *rfm_cell, uint8_t *segment, uint8_t *abc_class,
                        uint8_t *value_cell);

/* Average amount per purchase (M / F, 0 when F <= 0) into amount[n]. */
void cvseg_rfm_amount_per_purchase(const double *frequency, const double *monetary, int64_t n,
                                   double *amount);

/* ABC presets: shares of members in A and B (C is the rest). */
typedef struct {
    double share_a, share_b;
} cvseg_abc_cuts;
/* "abc" (0.15, 0.25) or "pyramid" (0.05, 0.15); returns CVSEG_EUSAGE otherwise. */
cvseg_status cvseg_abc_preset(const char *name, cvseg_abc_cuts *cuts);
/* Ascending 1-based ranks whose values are the A and B cuts for n members:
 * the value at descending position ceil(share * n) (cumulative shares). */
void cvseg_abc_ranks(const cvseg_abc_cuts *cuts, int64_t n, int64_t ranks[2]);

/* ------------------------------------------------------------------ summaries
 * Per group g (segment, class, cell or score): members and exact fixed-point
 * sums of R, F, M. Mergeable by addition. */
#define CVSEG_GROUPS_MAX 256
typedef struct {
    int groups;
    int exponent[CVSEG_RFM_FEATURES]; /* fixed-point exponents of R, F, M sums */
    int64_t count[CVSEG_GROUPS_MAX];
    cvseg_i128 sum[CVSEG_GROUPS_MAX][CVSEG_RFM_FEATURES];
} cvseg_group_summary;

/* Prepares an empty summary; max_abs[3]: global bounds of |R|, |F|, |M|. */
void cvseg_group_summary_init(cvseg_group_summary *summary, int groups,
                              const double max_abs[CVSEG_RFM_FEATURES]);
/* Adds members with group[i] < groups. */
void cvseg_group_summary_add(cvseg_group_summary *summary, const uint8_t *group,
                             const double *recency, const double *frequency, const double *monetary,
                             int64_t n);
/* The same for `count` summaries (summaries[s] by groups[s][i]) with OpenMP:
 * each thread adds its share of the rows into summaries of its own, merged
 * after (exact integer sums: the result does not depend on the threads). */
void cvseg_group_summaries_add(cvseg_group_summary *const *summaries, const uint8_t *const *groups,
                               int count, const double *recency, const double *frequency,
                               const double *monetary, int64_t n);
void cvseg_group_summary_merge(cvseg_group_summary *into, const cvseg_group_summary *from);
/* Mean of feature f in group g (0 for an empty group) and total of feature f. */
double cvseg_group_summary_mean(const cvseg_group_summary *summary, int g, int f);
double cvseg_group_summary_total(const cvseg_group_summary *summary, int g, int f);

#endif
