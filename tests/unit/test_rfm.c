/* test_rfm.c: RFM / LRFMC features and cleaning, quintile scores and their
 * orientation, the eight value segments (methods.md 3), ABC classes with
 * ties, the value matrix, and group summaries merged over simulated ranks. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0xA5A5A5A5DEADBEEFULL
#include "test_support.h"
#include "cvseg/partition.h"
#include "cvseg/quantile.h"
#include "cvseg/date.h"
#include "cvseg/rfm.h"

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ scores */

static void test_quintile_score_rule(void)
{
    /* Hand-computed: edges {1, 1, 2, 5}. */
    const double edges[4] = {1.0, 1.0, 2.0, 5.0};
    const double values[] = {0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 5.5, -1.0};
    const int expect[] = {1, 1, 3, 3, 4, 4, 5, 1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
        CVSEG_ASSERT_EQUAL_I64(cvseg_quintile_score(values[i], edges, 1), expect[i]);
        CVSEG_ASSERT_EQUAL_I64(cvseg_quintile_score(values[i], edges, 0), 6 - expect[i]);
    }
    /* Random edges and values: 1 + number of edges strictly below. */
    for (int t = 0; t < 20000; ++t) {
        double e[4];
        for (int q = 0; q < 4; ++q)
            e[q] = (double)(next_u64() % 10);
        qsort(e, 4, sizeof e[0], compare_double);
        const double v = (double)(next_u64() % 12) - 1.0;
        int below = 0;
        for (int q = 0; q < 4; ++q)
            below += e[q] < v;
        CVSEG_ASSERT_EQUAL_I64(cvseg_quintile_score(v, e, 1), 1 + below);
        CVSEG_ASSERT_EQUAL_I64(cvseg_quintile_score(v, e, 0), 5 - below);
    }
}

static void test_scores_with_ties_from_global_edges(void)
{
    /* Purchase counts: 60 % equal to 1. Edges by the quintile rule; every
     * member with the same F gets the same score, scores are monotone in F,
     * and the score-1 group holds all the ones. */
    enum { N = 5000 };
    double *f = malloc(sizeof(double) * N);
    CU_ASSERT_FATAL(f != NULL);
    for (int i = 0; i < N; ++i)
        f[i] = next_uniform() < 0.6 ? 1.0 : (double)(2 + next_u64() % 30);
    int64_t ranks[4];
    for (int q = 1; q <= 4; ++q)
        ranks[q - 1] = cvseg_quantile_rank(q, 5, N);
    double edges[4];
    cvseg_select_local(f, NULL, N, 4, ranks, edges);
    uint8_t score_of_value[40] = {0};
    int64_t score_counts[6] = {0};
    for (int i = 0; i < N; ++i) {
        const uint8_t s = cvseg_quintile_score(f[i], edges, 1);
        CU_ASSERT(s >= 1 && s <= 5);
        const int v = (int)f[i];
        if (score_of_value[v] == 0)
            score_of_value[v] = s;
        CU_ASSERT_EQUAL(score_of_value[v], s);
        score_counts[s] += 1;
    }
    CU_ASSERT_EQUAL(score_of_value[1], 1);
    for (int v = 2; v < 40; ++v)
        for (int w = 1; w < v; ++w)
            if (score_of_value[v] && score_of_value[w])
                CU_ASSERT(score_of_value[w] <= score_of_value[v]);
    /* the edges are order statistics: at least q N / 5 members <= edge q */
    for (int q = 0; q < 4; ++q) {
        int64_t at_most = 0;
        for (int i = 0; i < N; ++i)
            at_most += f[i] <= edges[q];
        CU_ASSERT(5 * at_most >= (int64_t)(q + 1) * N);
    }
    free(f);
}

/* Runs cvseg_rfm_classify on the given members. */
typedef struct {
    uint8_t r, f, m;
    uint16_t cell;
    uint8_t segment, abc, value_cell;
} classified;

static void classify(const cvseg_rfm_model *model, const double *r, const double *f,
                     const double *m, const uint8_t *status, int64_t n, classified *out)
{
    uint8_t rs[64], fs[64], ms[64], seg[64], abc[64], vc[64];
    uint16_t cell[64];
    CU_ASSERT_FATAL(n <= 64);
    cvseg_rfm_classify(model, r, f, m, status, n, rs, fs, ms, cell, seg, abc, vc);
    for (int64_t i = 0; i < n; ++i) {
        out[i].r = rs[i];
        out[i].f = fs[i];
        out[i].m = ms[i];
        out[i].cell = cell[i];
        out[i].segment = seg[i];
        out[i].abc = abc[i];
        out[i].value_cell = vc[i];
    }
}

static cvseg_rfm_model base_model(void)
{
    cvseg_rfm_model model;
    memset(&model, 0, sizeof model);
    const double er[4] = {10, 30, 60, 120}, ef[4] = {1, 2, 4, 8}, em[4] = {50, 100, 200, 400};
    memcpy(model.edges[CVSEG_R], er, sizeof er);
    memcpy(model.edges[CVSEG_F], ef, sizeof ef);
    memcpy(model.edges[CVSEG_M], em, sizeof em);
    model.recency_recent_high = 1;
    model.baseline[CVSEG_R] = 100.0;
    model.baseline[CVSEG_F] = 5.0;
    model.baseline[CVSEG_M] = 500.0;
    model.abc_cut[0] = 1000.0;
    model.abc_cut[1] = 300.0;
    model.matrix_f_baseline = 3.0;
    model.matrix_amount_baseline = 50.0;
    return model;
}

static void test_recency_orientation(void)
{
    cvseg_rfm_model model = base_model();
    const double r[6] = {5, 10, 11, 45, 120, 400};
    const double f[6] = {1, 1, 1, 1, 1, 1};
    const double m[6] = {10, 10, 10, 10, 10, 10};
    const uint8_t status[6] = {0};
    classified out[6];
    /* recent_high = 1: smaller R is better and gets the higher score */
    classify(&model, r, f, m, status, 6, out);
    const int recent_high[6] = {5, 5, 4, 3, 2, 1};
    for (int i = 0; i < 6; ++i)
        CVSEG_ASSERT_EQUAL_I64(out[i].r, recent_high[i]);
    for (int i = 1; i < 6; ++i)
        CU_ASSERT(out[i].r <= out[i - 1].r);
    /* recent_high = 0: 1 = most recent */
    model.recency_recent_high = 0;
    classify(&model, r, f, m, status, 6, out);
    for (int i = 0; i < 6; ++i)
        CVSEG_ASSERT_EQUAL_I64(out[i].r, 6 - recent_high[i]);
    /* F and M are never reversed */
    CVSEG_ASSERT_EQUAL_I64(out[0].f, 1);
    CVSEG_ASSERT_EQUAL_I64(out[0].m, 1);
}

static void test_eight_segments_and_cells(void)
{
    /* Baselines R 100, F 5, M 500. High F/M: strictly above; High R: recency
     * strictly below; equal counts as Low. One member per row of the table
     * in methods.md 3, several on the boundaries, plus a dropped member. */
    const cvseg_rfm_model model = base_model();
    enum { N = 9 };
    const double r[N] = {50, 50, 100, 200, 99.5, 0, 150, 100, 20};
    const double f[N] = {10, 5, 10, 1, 6, 5, 6, 5, 10};
    const double m[N] = {1000, 1000, 1000, 500.01, 500, 10, 499, 500, 1e6};
    uint8_t status[N] = {0};
    status[8] = CVSEG_MEMBER_INVALID;
    const int expect_segment[N] = {
        CVSEG_SEG_IMPORTANT_VALUE,   /* R H, F H, M H */
        CVSEG_SEG_IMPORTANT_DEVELOP, /* R H, F L (= baseline), M H */
        CVSEG_SEG_IMPORTANT_KEEP,    /* R L (= baseline), F H, M H */
        CVSEG_SEG_IMPORTANT_RETAIN,  /* R L, F L, M H */
        CVSEG_SEG_GENERAL_VALUE,     /* R H, F H, M L (= baseline) */
        CVSEG_SEG_GENERAL_DEVELOP,   /* R H, F L, M L */
        CVSEG_SEG_GENERAL_KEEP,      /* R L, F H, M L */
        CVSEG_SEG_GENERAL_RETAIN,    /* R L, F L, M L (all on the baseline) */
        CVSEG_SEG_NONE};
    /* The enum values are the table order (HDF5 enum "segment"). */
    const int expect_numeric[N] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    classified out[N];
    classify(&model, r, f, m, status, N, out);
    for (int i = 0; i < N; ++i) {
        if (out[i].segment != expect_segment[i])
            fprintf(stderr, "  member %d: segment %d (%s), expected %d (%s)\n", i, out[i].segment,
                    cvseg_segment_names[out[i].segment < CVSEG_SEG_COUNT ? out[i].segment : 8],
                    expect_segment[i], cvseg_segment_names[expect_segment[i]]);
        CVSEG_ASSERT_EQUAL_I64(out[i].segment, expect_segment[i]);
        CVSEG_ASSERT_EQUAL_I64(out[i].segment, expect_numeric[i]);
    }
    CU_ASSERT_STRING_EQUAL(cvseg_segment_names[CVSEG_SEG_IMPORTANT_DEVELOP], "important_develop");
    CU_ASSERT_STRING_EQUAL(cvseg_segment_names[CVSEG_SEG_GENERAL_KEEP], "general_keep");
    /* Scores and cells, hand-computed from the edges of base_model():
     * R edges {10,30,60,120} reversed; F {1,2,4,8}; M {50,100,200,400}. */
    const int expect_r[N] = {3, 3, 2, 1, 2, 5, 1, 2, 0};
    const int expect_f[N] = {5, 4, 5, 1, 4, 4, 4, 4, 0};
    const int expect_m[N] = {5, 5, 5, 5, 5, 1, 5, 5, 0};
    for (int i = 0; i < N; ++i) {
        CVSEG_ASSERT_EQUAL_I64(out[i].r, expect_r[i]);
        CVSEG_ASSERT_EQUAL_I64(out[i].f, expect_f[i]);
        CVSEG_ASSERT_EQUAL_I64(out[i].m, expect_m[i]);
        CVSEG_ASSERT_EQUAL_I64(out[i].cell,
                               i == 8 ? 0 : 100 * expect_r[i] + 10 * expect_f[i] + expect_m[i]);
    }
    CVSEG_ASSERT_EQUAL_I64(out[0].cell, 355);
    /* the dropped member gets the NONE classes */
    CVSEG_ASSERT_EQUAL_I64(out[8].abc, CVSEG_ABC_NONE);
    CVSEG_ASSERT_EQUAL_I64(out[8].value_cell, CVSEG_MATRIX_NONE);
    /* the other statuses drop too */
    for (int s = 1; s < CVSEG_MEMBER_STATUS_COUNT; ++s) {
        uint8_t st[1] = {(uint8_t)s};
        classified o[1];
        classify(&model, r, f, m, st, 1, o);
        CVSEG_ASSERT_EQUAL_I64(o[0].segment, CVSEG_SEG_NONE);
        CVSEG_ASSERT_EQUAL_I64(o[0].cell, 0);
        CVSEG_ASSERT_EQUAL_I64(o[0].r + o[0].f + o[0].m, 0);
    }
}

static void test_value_matrix(void)
{
    /* matrix baselines: F > 3 frequent; M / F > 50 big amount. */
    const cvseg_rfm_model model = base_model();
    enum { N = 7 };
    const double r[N] = {1, 1, 1, 1, 1, 1, 1};
    const double f[N] = {5, 2, 5, 1, 3, 0, 4};
    const double m[N] = {500, 200, 100, 10, 150, 0, 200.0001};
    const uint8_t status[N] = {0};
    const int expect[N] = {CVSEG_MATRIX_QUALITY,   CVSEG_MATRIX_SPENDER,   CVSEG_MATRIX_FREQUENT,
                           CVSEG_MATRIX_UNCERTAIN, CVSEG_MATRIX_UNCERTAIN, CVSEG_MATRIX_UNCERTAIN,
                           CVSEG_MATRIX_QUALITY};
    classified out[N];
    classify(&model, r, f, m, status, N, out);
    for (int i = 0; i < N; ++i)
        CVSEG_ASSERT_EQUAL_I64(out[i].value_cell, expect[i]);
    double amount[N];
    cvseg_rfm_amount_per_purchase(f, m, N, amount);
    const double expect_amount[N] = {100, 100, 20, 10, 50, 0, 200.0001 / 4.0};
    for (int i = 0; i < N; ++i)
        CVSEG_ASSERT_SAME_DOUBLE(amount[i], expect_amount[i]);
}

/* ------------------------------------------------------------------ ABC */

static void test_abc_ranks_integer_math(void)
{
    cvseg_abc_cuts abc, pyramid, other;
    CVSEG_ASSERT_EQUAL_I64(cvseg_abc_preset("abc", &abc), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(cvseg_abc_preset("pyramid", &pyramid), CVSEG_OK);
    CU_ASSERT_DOUBLE_EQUAL(abc.share_a, 0.15, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(abc.share_b, 0.25, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(pyramid.share_a, 0.05, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(pyramid.share_b, 0.15, 1e-15);
    CVSEG_ASSERT_EQUAL_I64(cvseg_abc_preset("pareto", &other), CVSEG_EUSAGE);
    cvseg_error_clear();
    /* percent of members in A, in A + B */
    const int64_t pct[2][2] = {{15, 40}, {5, 20}};
    const cvseg_abc_cuts *cuts[2] = {&abc, &pyramid};
    int64_t bad = 0;
    for (int c = 0; c < 2; ++c) {
        for (int64_t n = 1; n <= 200000; ++n) {
            int64_t ranks[2];
            cvseg_abc_ranks(cuts[c], n, ranks);
            for (int k = 0; k < 2; ++k) {
                const int64_t from_top = (pct[c][k] * n + 99) / 100; /* ceil, integers */
                if (ranks[k] != n - from_top + 1 && bad++ < 5)
                    fprintf(stderr, "  n %lld cut %d: rank %lld, expected %lld\n", (long long)n, k,
                            (long long)ranks[k], (long long)(n - from_top + 1));
            }
        }
        for (int64_t n = 1000000; n <= 1000000000000LL; n *= 10) {
            for (int64_t j = -3; j <= 3; ++j) {
                int64_t ranks[2];
                cvseg_abc_ranks(cuts[c], n + j, ranks);
                for (int k = 0; k < 2; ++k) {
                    const int64_t from_top = (pct[c][k] * (n + j) + 99) / 100;
                    bad += ranks[k] != n + j - from_top + 1;
                }
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(bad, 0);
}

static void test_abc_classes_with_ties(void)
{
    /* M with many ties; A cut = value at descending position ceil(0.15 n),
     * B cut at ceil(0.40 n). Members with equal M share the class; the
     * classes are exactly {M >= cut A}, {cut B <= M < cut A}, the rest; A
     * holds at least 15 % of members and A + B at least 40 %. */
    enum { N = 50 };
    double m[N], r[N], f[N];
    uint8_t status[N] = {0};
    for (int i = 0; i < N; ++i) {
        m[i] = (double)(10 * (1 + next_u64() % 6)); /* only 6 distinct values */
        r[i] = 1.0;
        f[i] = 1.0;
    }
    m[0] = 60.0;
    m[1] = 10.0;
    cvseg_abc_cuts cuts;
    CVSEG_ASSERT_EQUAL_I64(cvseg_abc_preset("abc", &cuts), CVSEG_OK);
    int64_t ranks[2];
    cvseg_abc_ranks(&cuts, N, ranks);
    CVSEG_ASSERT_EQUAL_I64(ranks[0], N - 8 + 1); /* ceil(7.5) = 8 from the top */
    CVSEG_ASSERT_EQUAL_I64(ranks[1], N - 20 + 1);
    double sorted[N];
    memcpy(sorted, m, sizeof m);
    qsort(sorted, N, sizeof sorted[0], compare_double);
    double cut[2];
    cvseg_select_local(m, NULL, N, 2, ranks, cut);
    CVSEG_ASSERT_SAME_DOUBLE(cut[0], sorted[ranks[0] - 1]);
    CVSEG_ASSERT_SAME_DOUBLE(cut[1], sorted[ranks[1] - 1]);
    cvseg_rfm_model model = base_model();
    model.abc_cut[0] = cut[0];
    model.abc_cut[1] = cut[1];
    classified out[N];
    classify(&model, r, f, m, status, N, out);
    int64_t in_a = 0, in_ab = 0;
    int class_of_value[7];
    for (int v = 0; v < 7; ++v)
        class_of_value[v] = -1;
    for (int i = 0; i < N; ++i) {
        const int expect = m[i] >= cut[0]   ? CVSEG_ABC_A
                           : m[i] >= cut[1] ? CVSEG_ABC_B
                                            : CVSEG_ABC_C;
        CVSEG_ASSERT_EQUAL_I64(out[i].abc, expect);
        const int v = (int)(m[i] / 10.0);
        if (class_of_value[v] < 0)
            class_of_value[v] = out[i].abc;
        CVSEG_ASSERT_EQUAL_I64(out[i].abc, class_of_value[v]); /* ties: same class */
        in_a += out[i].abc == CVSEG_ABC_A;
        in_ab += out[i].abc != CVSEG_ABC_C;
    }
    CU_ASSERT(in_a >= 8);
    CU_ASSERT(in_ab >= 20);
    CVSEG_ASSERT_EQUAL_I64(class_of_value[6], CVSEG_ABC_A);
    CU_ASSERT(class_of_value[1] == CVSEG_ABC_C || cut[1] <= 10.0);
}

/* ------------------------------------------------------------------ features */

static void test_rfm_features_and_invalid(void)
{
    const int32_t ref = 10000;
    enum { N = 9 };
    const int32_t last[N] = {9990, 10000, 9000, 10001, 9500, 9500, 9500, 9500, 9999};
    const int32_t first[N] = {9000, 10000, 8000, 9000, 9600, 9000, 9000, 9000, 9999};
    const int32_t freq[N] = {3, 1, 0, 2, 2, -1, 2, 2, 4};
    const double money[N] = {120.5, 9.99, 0.0, 10.0, 10.0, 10.0, NAN, INFINITY, -5.0};
    const int expect[N] = {CVSEG_MEMBER_OK,          CVSEG_MEMBER_OK,
                           CVSEG_MEMBER_NO_PURCHASE, /* F = 0: kept, not scored */
                           CVSEG_MEMBER_INVALID,     /* last after reference */
                           CVSEG_MEMBER_INVALID,     /* first after last */
                           CVSEG_MEMBER_INVALID,     /* negative F */
                           CVSEG_MEMBER_INVALID,     /* NaN M */
                           CVSEG_MEMBER_INVALID,     /* Inf M */
                           CVSEG_MEMBER_OK};         /* negative M (returns) is data */
    double rec[N], f[N], m[N];
    uint8_t status[N];
    memset(status, 0, sizeof status);
    cvseg_rfm_features(last, first, freq, money, N, ref, rec, f, m, status);
    for (int i = 0; i < N; ++i) {
        CVSEG_ASSERT_EQUAL_I64(status[i], expect[i]);
        CVSEG_ASSERT_SAME_DOUBLE(rec[i], (double)(ref - last[i]));
        CVSEG_ASSERT_SAME_DOUBLE(f[i], (double)freq[i]);
        if (!isnan(money[i]))
            CVSEG_ASSERT_SAME_DOUBLE(m[i], money[i]);
    }
    CVSEG_ASSERT_SAME_DOUBLE(rec[0], 10.0);
    /* without first_purchase the first > last rule cannot fire */
    memset(status, 0, sizeof status);
    cvseg_rfm_features(last, NULL, freq, money, N, ref, rec, f, m, status);
    CVSEG_ASSERT_EQUAL_I64(status[4], CVSEG_MEMBER_OK);
    CVSEG_ASSERT_EQUAL_I64(status[3], CVSEG_MEMBER_INVALID);
    /* a status set earlier stays (only ever raised from OK) */
    memset(status, CVSEG_MEMBER_MISSING_FARE, sizeof status);
    cvseg_rfm_features(last, first, freq, money, N, ref, rec, f, m, status);
    for (int i = 0; i < N; ++i)
        CVSEG_ASSERT_EQUAL_I64(status[i], CVSEG_MEMBER_MISSING_FARE);
}

/* The documented ranges: |value| <= 1e150 and dates in 0001-01-01..9999-12-31
 * are data; beyond them a member is invalid (RFM and LRFMC). */
static void test_value_and_date_ranges(void)
{
    enum { N = 7 };
    const int32_t ref = CVSEG_DATE_MAX;
    const int32_t last[N] = {CVSEG_DATE_MIN, CVSEG_DATE_MAX, INT32_MIN, 100, 100, 100, 100};
    const int32_t first[N] = {CVSEG_DATE_MIN, 0, INT32_MIN, CVSEG_DATE_MIN - 1, 0, 0, 0};
    const int32_t freq[N] = {1, 1, 1, 1, 1, 1, 1};
    const double money[N] = {1.0, 1.0, 1.0, 1.0, 1e150, -1e150, 1.0000000000000001e151};
    const int expect[N] = {CVSEG_MEMBER_OK,      CVSEG_MEMBER_OK, CVSEG_MEMBER_INVALID,
                           CVSEG_MEMBER_INVALID, CVSEG_MEMBER_OK, CVSEG_MEMBER_OK,
                           CVSEG_MEMBER_INVALID};
    double rec[N], f[N], m[N];
    uint8_t status[N] = {0};
    cvseg_rfm_features(last, first, freq, money, N, ref, rec, f, m, status);
    for (int i = 0; i < N; ++i)
        CVSEG_ASSERT_EQUAL_I64(status[i], expect[i]);
    /* LRFMC: a join date before year 1, a distance beyond the bound */
    const int32_t join[2] = {CVSEG_DATE_MIN - 1, 0}, flown[2] = {100, 100}, count[2] = {1, 1};
    const double km[2] = {10.0, -2e150}, disc[2] = {0.5, 0.5}, fare[2] = {1.0, 1.0};
    const cvseg_lrfmc_rules rules = {1, 1};
    double l[2], r[2], ff[2], mm[2], c[2];
    uint8_t st[2] = {0, 0};
    cvseg_lrfmc_features(join, flown, count, km, disc, fare, fare, 2, 200, &rules, l, r, ff, mm, c,
                         st);
    CVSEG_ASSERT_EQUAL_I64(st[0], CVSEG_MEMBER_INVALID);
    CVSEG_ASSERT_EQUAL_I64(st[1], CVSEG_MEMBER_INVALID);
    CU_ASSERT(cvseg_date_valid(cvseg_days_from_civil(1, 1, 1)));
    CU_ASSERT(cvseg_date_valid(cvseg_days_from_civil(9999, 12, 31)));
    CU_ASSERT(!cvseg_date_valid(cvseg_days_from_civil(1, 1, 1) - 1));
    CU_ASSERT(!cvseg_date_valid(cvseg_days_from_civil(9999, 12, 31) + 1));
}

static void test_lrfmc_cleaning_rules(void)
{
    const int32_t ref = 20000;
    enum { N = 9 };
    const int32_t join[N] = {19000, 19000, 19000, 19000, 19000, 19000, 19990, 17000, 18000};
    const int32_t last[N] = {19970, 19970, 19970, 19970, 19970, 19970, 19980, 20000, 19000};
    const int32_t flights[N] = {10, 3, 3, 4, 4, 4, 2, 1, 7};
    const double km[N] = {5000, 1200, 1200, 1200, 1200, 0, 800, 300, 2500};
    const double disc[N] = {0.8, 0.7, 0.7, 0.7, 0.0, 0.7, 0.9, 1.0, 0.6};
    const double fare1[N] = {100, NAN, 50, 0, 0, 0, 30, 10, 0};
    const double fare2[N] = {200, 40, NAN, 0, 0, 0, 30, 0, 5};
    /* rows: 0 ok; 1, 2 missing fare; 3 inconsistent; 4 zero fares but no
     * discount: ok; 5 zero fares but no distance: ok; 6 joined after the last
     * flight: ok (real data; L and R independent); 7 last flight on the
     * reference day: ok; 8 one zero fare of two: ok. Mode 4: no fare columns
     * (NULL): the fare rules are not applied. */
    const int both[N] = {0, 1, 1, 2, 0, 0, 0, 0, 0};
    const int no_missing[N] = {0, 0, 0, 2, 0, 0, 0, 0, 0};
    const int no_inconsistent[N] = {0, 1, 1, 0, 0, 0, 0, 0, 0};
    const int none[N] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    const int *expect[5] = {both, no_missing, no_inconsistent, none, none};
    for (int mode = 0; mode < 5; ++mode) {
        const cvseg_lrfmc_rules rules = {mode == 0 || mode == 2 || mode == 4,
                                         mode == 0 || mode == 1 || mode == 4};
        double l[N], r[N], f[N], mm[N], c[N];
        uint8_t status[N];
        memset(status, 0, sizeof status);
        cvseg_lrfmc_features(join, last, flights, km, disc, mode == 4 ? NULL : fare1,
                             mode == 4 ? NULL : fare2, N, ref, &rules, l, r, f, mm, c, status);
        for (int i = 0; i < N; ++i) {
            if (status[i] != expect[mode][i])
                fprintf(stderr, "  rules %d/%d row %d: status %d, expected %d\n",
                        rules.drop_missing_fare, rules.drop_inconsistent, i, status[i],
                        expect[mode][i]);
            CVSEG_ASSERT_EQUAL_I64(status[i], expect[mode][i]);
            CVSEG_ASSERT_SAME_DOUBLE(l[i], (double)(ref - join[i]) / 30.4375);
            CVSEG_ASSERT_SAME_DOUBLE(r[i], (double)(ref - last[i]));
            CVSEG_ASSERT_SAME_DOUBLE(f[i], (double)flights[i]);
            CVSEG_ASSERT_SAME_DOUBLE(mm[i], km[i]);
            CVSEG_ASSERT_SAME_DOUBLE(c[i], disc[i]);
        }
        /* hand-computed: 1000 days = 32.854... months; 30.4375 days = 1 month */
        CU_ASSERT_DOUBLE_EQUAL(l[0], 32.85420944558521, 1e-12);
    }
    CU_ASSERT_DOUBLE_EQUAL(CVSEG_DAYS_PER_MONTH, 365.25 / 12.0, 0.0);
    /* 1461 days (four years) are exactly 48 months */
    const int32_t j1[1] = {ref - 1461}, l1[1] = {ref};
    const int32_t fl[1] = {1};
    const double k1[1] = {1}, d1[1] = {1}, f1[1] = {1};
    double l[1], r[1], f[1], mm[1], c[1];
    uint8_t st[1] = {0};
    const cvseg_lrfmc_rules rules = {1, 1};
    cvseg_lrfmc_features(j1, l1, fl, k1, d1, f1, f1, 1, ref, &rules, l, r, f, mm, c, st);
    CVSEG_ASSERT_SAME_DOUBLE(l[0], 48.0);
    CVSEG_ASSERT_EQUAL_I64(st[0], CVSEG_MEMBER_OK);
}

/* ------------------------------------------------------------------ summaries */

static int same_summary(const cvseg_group_summary *a, const cvseg_group_summary *b)
{
    if (a->groups != b->groups)
        return 0;
    for (int f = 0; f < 3; ++f)
        if (a->exponent[f] != b->exponent[f])
            return 0;
    for (int g = 0; g < a->groups; ++g) {
        if (a->count[g] != b->count[g])
            return 0;
        for (int f = 0; f < 3; ++f)
            if (a->sum[g][f] != b->sum[g][f])
                return 0;
    }
    return 1;
}

static void test_group_summaries_merge(void)
{
    enum { N = 6007, G = 9 };
    double *r = malloc(sizeof(double) * N);
    double *f = malloc(sizeof(double) * N);
    double *m = malloc(sizeof(double) * N);
    uint8_t *group = malloc(N);
    CU_ASSERT_FATAL(r && f && m && group);
    double max_abs[3] = {0, 0, 0};
    for (int i = 0; i < N; ++i) {
        r[i] = (double)(next_u64() % 365);
        f[i] = next_uniform() < 0.5 ? 1.0 : (double)(1 + next_u64() % 50);
        m[i] = round(exp(2.0 + 4.0 * next_uniform()) * 100.0) / 100.0 *
               (next_u64() % 50 == 0 ? -1.0 : 1.0);
        group[i] = (uint8_t)(next_u64() % (G + 1)); /* G = "none": skipped when groups = G */
        if (i % 1000 == 7)
            group[i] = 200;
        max_abs[0] = fmax(max_abs[0], fabs(r[i]));
        max_abs[1] = fmax(max_abs[1], fabs(f[i]));
        max_abs[2] = fmax(max_abs[2], fabs(m[i]));
    }
    for (int i = 0; i < N; ++i) /* group 3 stays empty */
        if (group[i] == 3)
            group[i] = 4;
    cvseg_group_summary whole;
    cvseg_group_summary_init(&whole, G, max_abs);
    cvseg_group_summary_add(&whole, group, r, f, m, N);
    int64_t total = 0;
    for (int g = 0; g < G; ++g)
        total += whole.count[g];
    int64_t expect_total = 0;
    for (int i = 0; i < N; ++i)
        expect_total += group[i] < G;
    CVSEG_ASSERT_EQUAL_I64(total, expect_total);
    CVSEG_ASSERT_EQUAL_I64(whole.count[3], 0);
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_group_summary_mean(&whole, 3, 2), 0.0);
    /* means and totals against naive long double sums */
    for (int g = 0; g < G; ++g) {
        long double s[3] = {0, 0, 0};
        int64_t c = 0;
        for (int i = 0; i < N; ++i)
            if (group[i] == g) {
                s[0] += r[i];
                s[1] += f[i];
                s[2] += m[i];
                ++c;
            }
        CVSEG_ASSERT_EQUAL_I64(whole.count[g], c);
        for (int k = 0; k < 3; ++k) {
            const double tol = (double)N * max_abs[k] * 0x1p-60 + 1e-13 * fabsl(s[k]);
            CU_ASSERT(fabsl((long double)cvseg_group_summary_total(&whole, g, k) - s[k]) <= tol);
            if (c > 0)
                CU_ASSERT(fabsl((long double)cvseg_group_summary_mean(&whole, g, k) - s[k] / c) <=
                          tol / (double)c + 1e-15 * fabsl(s[k] / c));
        }
    }
    /* integer-valued features are summed exactly */
    int64_t recency_total_0 = 0;
    for (int i = 0; i < N; ++i)
        recency_total_0 += group[i] == 0 ? (int64_t)r[i] : 0;
    CVSEG_ASSERT_SAME_DOUBLE(cvseg_group_summary_total(&whole, 0, 0), (double)recency_total_0);
    /* simulated ranks, in order and reversed: bit-identical */
    int64_t mismatches = 0;
    for (int p = 1; p <= 7; ++p) {
        for (int pattern = 0; pattern < 3; ++pattern) {
            int64_t cuts[8];
            cuts[0] = 0;
            cuts[p] = N;
            for (int k = 1; k < p; ++k)
                cuts[k] = pattern == 0   ? cvseg_block_partition(N, p, k).offset
                          : pattern == 1 ? (k == 1 ? 0 : cuts[k - 1] + (int64_t)(next_u64() % 2000))
                                         : N;
            for (int k = 1; k < p; ++k)
                if (cuts[k] > N)
                    cuts[k] = N;
            for (int reverse = 0; reverse < 2; ++reverse) {
                cvseg_group_summary merged;
                cvseg_group_summary_init(&merged, G, max_abs);
                for (int s = 0; s < p; ++s) {
                    const int k = reverse ? p - 1 - s : s;
                    cvseg_group_summary part;
                    cvseg_group_summary_init(&part, G, max_abs);
                    cvseg_group_summary_add(&part, group + cuts[k], r + cuts[k], f + cuts[k],
                                            m + cuts[k], cuts[k + 1] - cuts[k]);
                    cvseg_group_summary_merge(&merged, &part);
                }
                mismatches += !same_summary(&merged, &whole);
                for (int g = 0; g < G; ++g)
                    for (int k = 0; k < 3; ++k)
                        CVSEG_ASSERT_SAME_DOUBLE(cvseg_group_summary_mean(&merged, g, k),
                                                 cvseg_group_summary_mean(&whole, g, k));
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    free(r);
    free(f);
    free(m);
    free(group);
}

/* cvseg_group_summaries_add: one pass over R, F, M for three summaries, at
 * 1 and 2 threads, equals cvseg_group_summary_add once per summary. */
static void test_summaries_at_once(void)
{
    enum { N = 70001 }; /* above the size from which threads are used */
    double *r = malloc(sizeof(double) * N), *f = malloc(sizeof(double) * N);
    double *m = malloc(sizeof(double) * N);
    uint8_t *groups[3] = {malloc(N), malloc(N), malloc(N)};
    CU_ASSERT_FATAL(r && f && m && groups[0] && groups[1] && groups[2]);
    const int sizes[3] = {8, 3, 4};
    for (int i = 0; i < N; ++i) {
        r[i] = (double)(next_u64() % 900);
        f[i] = (double)(1 + next_u64() % 40);
        m[i] = round(exp(1.0 + 6.0 * next_uniform()) * 100.0) / 100.0;
        for (int s = 0; s < 3; ++s)
            groups[s][i] = (uint8_t)(next_u64() % (uint64_t)(sizes[s] + 2)); /* some "none" */
    }
    /* Summary 2 has other bounds (other exponents): its terms are its own. */
    const double max_abs[2][3] = {{900.0, 41.0, exp(7.0) * 1.01}, {5000.0, 41.0, 1e6}};
    cvseg_group_summary one[3], at_once[2][3];
    for (int s = 0; s < 3; ++s) {
        cvseg_group_summary_init(&one[s], sizes[s], max_abs[s == 2]);
        cvseg_group_summary_add(&one[s], groups[s], r, f, m, N);
    }
    for (int t = 0; t < 2; ++t) {
        omp_set_num_threads(t + 1);
        cvseg_group_summary *targets[3];
        for (int s = 0; s < 3; ++s) {
            cvseg_group_summary_init(&at_once[t][s], sizes[s], max_abs[s == 2]);
            targets[s] = &at_once[t][s];
        }
        cvseg_group_summaries_add(targets, (const uint8_t *const *)groups, 3, r, f, m, N);
        for (int s = 0; s < 3; ++s)
            CU_ASSERT(same_summary(&at_once[t][s], &one[s]));
        /* and two summaries that share their exponents */
        cvseg_group_summary pair[2], *pair_targets[2] = {&pair[0], &pair[1]};
        for (int s = 0; s < 2; ++s)
            cvseg_group_summary_init(&pair[s], sizes[s], max_abs[0]);
        cvseg_group_summaries_add(pair_targets, (const uint8_t *const *)groups, 2, r, f, m, N);
        for (int s = 0; s < 2; ++s)
            CU_ASSERT(same_summary(&pair[s], &one[s]));
    }
    omp_set_num_threads(2);
    free(r);
    free(f);
    free(m);
    for (int s = 0; s < 3; ++s)
        free(groups[s]);
}

static void test_classify_threads(void)
{
    /* The per-member kernels give the same outputs with 1 and 2 threads. */
    enum { N = 3000 };
    int32_t last[N], first[N], freq[N];
    double money[N], rec[N], f[N], m[N];
    uint8_t status[N];
    for (int i = 0; i < N; ++i) {
        last[i] = 10000 - (int32_t)(next_u64() % 400);
        first[i] = last[i] - (int32_t)(next_u64() % 300);
        freq[i] = 1 + (int32_t)(next_u64() % 20);
        money[i] = round(exp(3.0 + 2.0 * next_uniform()) * 100.0) / 100.0;
    }
    const cvseg_rfm_model model = base_model();
    uint8_t out[2][6][N];
    uint16_t cell[2][N];
    for (int t = 0; t < 2; ++t) {
        omp_set_num_threads(t + 1);
        memset(status, 0, sizeof status);
        cvseg_rfm_features(last, first, freq, money, N, 10000, rec, f, m, status);
        cvseg_rfm_classify(&model, rec, f, m, status, N, out[t][0], out[t][1], out[t][2], cell[t],
                           out[t][3], out[t][4], out[t][5]);
    }
    omp_set_num_threads(2);
    /* M in place in the monetary column (as the loader does): the same M. */
    double in_place[N];
    memcpy(in_place, money, sizeof in_place);
    memset(status, 0, sizeof status);
    cvseg_rfm_features(last, first, freq, in_place, N, 10000, rec, f, in_place, status);
    CU_ASSERT(memcmp(in_place, m, sizeof in_place) == 0);
    CU_ASSERT(memcmp(out[0], out[1], sizeof out[0]) == 0);
    CU_ASSERT(memcmp(cell[0], cell[1], sizeof cell[0]) == 0);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"quintile score = 1 + #edges strictly below; reversed 6 - s", test_quintile_score_rule},
        {"equal values get equal scores with global edges and ties",
         test_scores_with_ties_from_global_edges},
        {"recency orientation (recent_high 1 and 0)", test_recency_orientation},
        {"the eight segments of methods.md 3 and RFM cells", test_eight_segments_and_cells},
        {"customer value matrix cells", test_value_matrix},
        {"ABC presets and ranks = integer ceil", test_abc_ranks_integer_math},
        {"ABC classes with ties", test_abc_classes_with_ties},
        {"RFM features flag invalid members", test_rfm_features_and_invalid},
        {"values beyond 1e150 and dates outside 0001..9999 are invalid",
         test_value_and_date_ranges},
        {"LRFMC cleaning rules and switches", test_lrfmc_cleaning_rules},
        {"group summaries merge bit-identically over simulated ranks", test_group_summaries_merge},
        {"features and classes identical with 1 and 2 threads", test_classify_threads},
        {"three summaries in one pass, 1 and 2 threads", test_summaries_at_once},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("rfm", tests);
}
