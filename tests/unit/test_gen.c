/* test_gen.c: synthetic members, airline members and transactions: any
 * block of rows is bit-identical to the same rows of a bigger block (any
 * split, any thread count), and the data has the documented shape. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x6E6E6E6E12121212ULL
#include "test_support.h"
#include "cvseg/gen.h"
#include "cvseg/partition.h"
#include "cvseg/rfm.h"

static int compare_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const cvseg_gen_config config5 = {20240601ULL, 5, 19875, 365}; /* 2024-06-01 */

typedef struct {
    int64_t *id;
    int32_t *first, *last, *freq;
    double *money;
    int16_t *group;
} members;

static members members_alloc(int64_t n)
{
    members m;
    m.id = malloc(sizeof(int64_t) * (size_t)n);
    m.first = malloc(sizeof(int32_t) * (size_t)n);
    m.last = malloc(sizeof(int32_t) * (size_t)n);
    m.freq = malloc(sizeof(int32_t) * (size_t)n);
    m.money = malloc(sizeof(double) * (size_t)n);
    m.group = malloc(sizeof(int16_t) * (size_t)n);
    return m;
}

static void members_free(members *m)
{
    free(m->id);
    free(m->first);
    free(m->last);
    free(m->freq);
    free(m->money);
    free(m->group);
}

static void generate(const cvseg_gen_config *c, int64_t first, int64_t count, members *m,
                     int64_t at)
{
    cvseg_gen_members(c, first, count, m->id + at, m->first + at, m->last + at, m->freq + at,
                      m->money + at, m->group + at);
}

static int members_equal(const members *a, const members *b, int64_t n)
{
    return memcmp(a->id, b->id, sizeof(int64_t) * (size_t)n) == 0 &&
           memcmp(a->first, b->first, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(a->last, b->last, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(a->freq, b->freq, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(a->money, b->money, sizeof(double) * (size_t)n) == 0 &&
           memcmp(a->group, b->group, sizeof(int16_t) * (size_t)n) == 0;
}

static void test_members_any_split(void)
{
    enum { N = 20000 };
    members whole = members_alloc(N), parts = members_alloc(N);
    omp_set_num_threads(1);
    generate(&config5, 0, N, &whole, 0);
    int64_t mismatches = 0;
    for (int threads = 1; threads <= 2; ++threads) {
        omp_set_num_threads(threads);
        for (int p = 1; p <= 7; ++p) {
            for (int pattern = 0; pattern < 4; ++pattern) {
                int64_t cuts[8];
                make_cuts(N, p, pattern, cuts);
                memset(parts.money, 0, sizeof(double) * N);
                for (int r = p - 1; r >= 0; --r) /* any order */
                    generate(&config5, cuts[r], cuts[r + 1] - cuts[r], &parts, cuts[r]);
                mismatches += !members_equal(&whole, &parts, N);
            }
        }
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    /* a block far from the start equals the tail of a bigger block */
    members big = members_alloc(1000), small = members_alloc(300);
    generate(&config5, 5000000, 1000, &big, 0);
    generate(&config5, 5000700, 300, &small, 0);
    members tail = big;
    tail.id += 700;
    tail.first += 700;
    tail.last += 700;
    tail.freq += 700;
    tail.money += 700;
    tail.group += 700;
    CU_ASSERT(members_equal(&tail, &small, 300));
    /* a different seed gives different members */
    cvseg_gen_config other = config5;
    other.seed += 1;
    generate(&other, 5000700, 300, &small, 0);
    CU_ASSERT(memcmp(small.money, big.money + 700, sizeof(double) * 300) != 0);
    CU_ASSERT(memcmp(small.id, big.id + 700, sizeof(int64_t) * 300) != 0);
    omp_set_num_threads(2);
    members_free(&big);
    members_free(&small);
    members_free(&whole);
    members_free(&parts);
}

/* min_ones_percent: more than that share of members buy exactly once (0: no
 * check). */
static void check_member_shape(const cvseg_gen_config *c, int64_t n, int expect_all_groups,
                               int min_ones_percent)
{
    members m = members_alloc(n);
    generate(c, 0, n, &m, 0);
    int64_t bad_freq = 0, ones = 0, bad_money = 0, bad_last = 0, bad_first = 0, bad_group = 0,
            bad_id = 0, bad_window = 0;
    int64_t *group_count = calloc((size_t)c->groups, sizeof(int64_t));
    for (int64_t i = 0; i < n; ++i) {
        bad_freq += m.freq[i] < 1;
        ones += m.freq[i] == 1;
        bad_money += !(m.money[i] > 0.0) || !isfinite(m.money[i]);
        bad_last += m.last[i] > c->reference_date;
        bad_first += m.first[i] > m.last[i];
        bad_window += m.first[i] <= c->reference_date - c->window_days;
        bad_id += m.id[i] < 0 || m.id[i] != cvseg_gen_member_id(c->seed, i);
        if (m.group[i] < 0 || m.group[i] >= c->groups)
            ++bad_group;
        else
            group_count[m.group[i]] += 1;
        /* one purchase: first == last */
        if (m.freq[i] == 1)
            bad_first += m.first[i] != m.last[i];
    }
    CVSEG_ASSERT_EQUAL_I64(bad_freq, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_money, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_last, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_first, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_window, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_group, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_id, 0);
    const int many_ones = 100 * ones > min_ones_percent * n;
    if (min_ones_percent > 0 && !many_ones)
        fprintf(stderr, "  K=%d: %lld of %lld members with F = 1\n", c->groups, (long long)ones,
                (long long)n);
    if (min_ones_percent > 0) {
        CU_ASSERT(many_ones);
        CU_ASSERT(ones < n); /* but not everybody */
    }
    if (expect_all_groups)
        for (int g = 0; g < c->groups; ++g) {
            if (group_count[g] == 0)
                fprintf(stderr, "  K=%d: group %d is empty\n", c->groups, g);
            CU_ASSERT(group_count[g] > 0);
        }
    /* ids are unique */
    qsort(m.id, (size_t)n, sizeof m.id[0], compare_i64);
    int64_t duplicates = 0;
    for (int64_t i = 1; i < n; ++i)
        duplicates += m.id[i] == m.id[i - 1];
    CVSEG_ASSERT_EQUAL_I64(duplicates, 0);
    free(group_count);
    members_free(&m);
}

static void test_members_shape(void)
{
    check_member_shape(&config5, 20000, 1, 25); /* F = 1 groups: 0.28 of weight 0.70 */
    cvseg_gen_config c = config5;
    c.groups = 1; /* one archetype only (champions): no mass at F = 1 expected */
    check_member_shape(&c, 5000, 1, 0);
    c.groups = 8;
    check_member_shape(&c, 20000, 1, 25); /* 0.38 of 1.00 */
    /* K = 20: twelve seeded groups of weight 0.08 placed far from the others,
     * most with more than one purchase: the fixed F = 1 groups hold 0.38 of
     * 1.96 (19 %) */
    c.groups = 20;
    c.seed = 99;
    check_member_shape(&c, 20000, 0, 15);
    c.window_days = 30;
    check_member_shape(&c, 5000, 0, 15);
    /* skewed spend: mean above median */
    members m = members_alloc(20000);
    generate(&config5, 0, 20000, &m, 0);
    long double sum = 0.0L;
    for (int i = 0; i < 20000; ++i)
        sum += m.money[i];
    qsort(m.money, 20000, sizeof m.money[0], compare_double);
    CU_ASSERT((double)(sum / 20000) > m.money[10000]);
    members_free(&m);
}

/* ------------------------------------------------------------------ airline */

typedef struct {
    int64_t *id;
    int32_t *join, *last, *flights;
    double *km, *disc, *fare1, *fare2, *money;
    int16_t *group;
} airline;

static airline airline_alloc(int64_t n)
{
    airline a;
    a.id = malloc(sizeof(int64_t) * (size_t)n);
    a.join = malloc(sizeof(int32_t) * (size_t)n);
    a.last = malloc(sizeof(int32_t) * (size_t)n);
    a.flights = malloc(sizeof(int32_t) * (size_t)n);
    a.km = malloc(sizeof(double) * (size_t)n);
    a.disc = malloc(sizeof(double) * (size_t)n);
    a.fare1 = malloc(sizeof(double) * (size_t)n);
    a.fare2 = malloc(sizeof(double) * (size_t)n);
    a.money = malloc(sizeof(double) * (size_t)n);
    a.group = malloc(sizeof(int16_t) * (size_t)n);
    return a;
}

static void airline_free(airline *a)
{
    free(a->id);
    free(a->join);
    free(a->last);
    free(a->flights);
    free(a->km);
    free(a->disc);
    free(a->fare1);
    free(a->fare2);
    free(a->money);
    free(a->group);
}

static void airline_generate(const cvseg_gen_config *c, int64_t first, int64_t count, airline *a,
                             int64_t at)
{
    cvseg_gen_airline(c, first, count, a->id + at, a->join + at, a->last + at, a->flights + at,
                      a->km + at, a->disc + at, a->fare1 + at, a->fare2 + at, a->money + at,
                      a->group + at);
}

static int airline_equal(const airline *x, const airline *y, int64_t n)
{
    /* memcmp: NaN payloads must match too */
    return memcmp(x->id, y->id, sizeof(int64_t) * (size_t)n) == 0 &&
           memcmp(x->join, y->join, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(x->last, y->last, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(x->flights, y->flights, sizeof(int32_t) * (size_t)n) == 0 &&
           memcmp(x->km, y->km, sizeof(double) * (size_t)n) == 0 &&
           memcmp(x->disc, y->disc, sizeof(double) * (size_t)n) == 0 &&
           memcmp(x->fare1, y->fare1, sizeof(double) * (size_t)n) == 0 &&
           memcmp(x->fare2, y->fare2, sizeof(double) * (size_t)n) == 0 &&
           memcmp(x->money, y->money, sizeof(double) * (size_t)n) == 0 &&
           memcmp(x->group, y->group, sizeof(int16_t) * (size_t)n) == 0;
}

static void test_airline(void)
{
    enum { N = 40000 };
    const cvseg_gen_config c = {7, 5, 15000, 730};
    airline whole = airline_alloc(N), parts = airline_alloc(N);
    omp_set_num_threads(1);
    airline_generate(&c, 0, N, &whole, 0);
    int64_t mismatches = 0;
    for (int p = 1; p <= 7; ++p) {
        omp_set_num_threads(1 + p % 2);
        int64_t cuts[8];
        make_cuts(N, p, p % 4, cuts);
        for (int r = 0; r < p; ++r)
            airline_generate(&c, cuts[r], cuts[r + 1] - cuts[r], &parts, cuts[r]);
        mismatches += !airline_equal(&whole, &parts, N);
    }
    CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
    omp_set_num_threads(2);
    int64_t missing = 0, inconsistent = 0, bad_dates = 0, bad_flights = 0, bad_money = 0,
            bad_group = 0;
    int64_t group_count[5] = {0};
    for (int64_t i = 0; i < N; ++i) {
        missing += isnan(whole.fare1[i]) || isnan(whole.fare2[i]);
        inconsistent += whole.fare1[i] == 0.0 && whole.fare2[i] == 0.0 && whole.disc[i] > 0.0 &&
                        whole.km[i] > 0.0;
        bad_dates += whole.join[i] > whole.last[i] || whole.last[i] > c.reference_date ||
                     whole.last[i] <= c.reference_date - c.window_days;
        bad_flights += whole.flights[i] < 1 || !(whole.km[i] > 0.0) || !(whole.disc[i] > 0.0);
        const double expect_money = whole.fare1[i] + whole.fare2[i];
        bad_money += isnan(expect_money) ? !isnan(whole.money[i]) : whole.money[i] != expect_money;
        if (whole.group[i] < 0 || whole.group[i] >= 5)
            ++bad_group;
        else
            group_count[whole.group[i]] += 1;
    }
    /* about 0.5 % missing (expected 200, sd 14) and 0.3 % inconsistent
     * (expected 120, sd 11) */
    if (missing < 140 || missing > 260 || inconsistent < 75 || inconsistent > 170)
        fprintf(stderr, "  missing %lld, inconsistent %lld of %d\n", (long long)missing,
                (long long)inconsistent, N);
    CU_ASSERT(missing >= 140 && missing <= 260);
    CU_ASSERT(inconsistent >= 75 && inconsistent <= 170);
    CVSEG_ASSERT_EQUAL_I64(bad_dates, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_flights, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_money, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_group, 0);
    for (int g = 0; g < 5; ++g)
        CU_ASSERT(group_count[g] > 0);
    /* The LRFMC cleaning finds exactly these members and nothing invalid. */
    double *l = malloc(sizeof(double) * N), *r = malloc(sizeof(double) * N),
           *f = malloc(sizeof(double) * N), *m = malloc(sizeof(double) * N),
           *cc = malloc(sizeof(double) * N);
    uint8_t *status = calloc(N, 1);
    const cvseg_lrfmc_rules rules = {1, 1};
    cvseg_lrfmc_features(whole.join, whole.last, whole.flights, whole.km, whole.disc, whole.fare1,
                         whole.fare2, N, c.reference_date, &rules, l, r, f, m, cc, status);
    int64_t by_status[CVSEG_MEMBER_STATUS_COUNT] = {0};
    for (int64_t i = 0; i < N; ++i)
        by_status[status[i] < CVSEG_MEMBER_STATUS_COUNT ? status[i] : 0] += 1;
    CVSEG_ASSERT_EQUAL_I64(by_status[CVSEG_MEMBER_MISSING_FARE], missing);
    CVSEG_ASSERT_EQUAL_I64(by_status[CVSEG_MEMBER_INCONSISTENT], inconsistent);
    CVSEG_ASSERT_EQUAL_I64(by_status[CVSEG_MEMBER_INVALID], 0);
    free(l);
    free(r);
    free(f);
    free(m);
    free(cc);
    free(status);
    airline_free(&whole);
    airline_free(&parts);
}

/* ------------------------------------------------------------------ transactions */

static void test_transactions(void)
{
    enum { N = 100000, MEMBERS = 3000 };
    const cvseg_gen_config c = {31337, 5, 19000, 400};
    int64_t *id = malloc(sizeof(int64_t) * N), *id2 = malloc(sizeof(int64_t) * N);
    int32_t *date = malloc(sizeof(int32_t) * N), *date2 = malloc(sizeof(int32_t) * N);
    double *amount = malloc(sizeof(double) * N), *amount2 = malloc(sizeof(double) * N);
    int32_t *qty = malloc(sizeof(int32_t) * N), *qty2 = malloc(sizeof(int32_t) * N);
    CU_ASSERT_FATAL(id && id2 && date && date2 && amount && amount2 && qty && qty2);
    omp_set_num_threads(1);
    cvseg_gen_transactions(&c, MEMBERS, 0, N, id, date, amount, qty);
    for (int p = 1; p <= 7; ++p) {
        omp_set_num_threads(1 + p % 2);
        int64_t cuts[8];
        make_cuts(N, p, p % 4, cuts);
        for (int r = 0; r < p; ++r)
            cvseg_gen_transactions(&c, MEMBERS, cuts[r], cuts[r + 1] - cuts[r], id2 + cuts[r],
                                   date2 + cuts[r], amount2 + cuts[r], qty2 + cuts[r]);
        CU_ASSERT(memcmp(id, id2, sizeof(int64_t) * N) == 0);
        CU_ASSERT(memcmp(date, date2, sizeof(int32_t) * N) == 0);
        CU_ASSERT(memcmp(amount, amount2, sizeof(double) * N) == 0);
        CU_ASSERT(memcmp(qty, qty2, sizeof(int32_t) * N) == 0);
    }
    omp_set_num_threads(2);
    /* member ids are ids of members 0..MEMBERS-1 */
    int64_t *known = malloc(sizeof(int64_t) * MEMBERS);
    for (int64_t i = 0; i < MEMBERS; ++i)
        known[i] = cvseg_gen_member_id(c.seed, i);
    qsort(known, MEMBERS, sizeof known[0], compare_i64);
    int64_t unknown = 0, bad_date = 0, negative = 0, zero = 0, bad_qty = 0, first_tenth = 0;
    for (int64_t t = 0; t < N; ++t) {
        const int64_t *hit = bsearch(&id[t], known, MEMBERS, sizeof known[0], compare_i64);
        unknown += hit == NULL;
        bad_date += date[t] > c.reference_date || date[t] <= c.reference_date - c.window_days;
        negative += amount[t] < 0.0;
        zero += amount[t] == 0.0 || !isfinite(amount[t]);
        bad_qty += qty[t] < 1 || qty[t] > 4;
    }
    /* skew: members with low indices buy more (the first tenth of members
     * by index gets well over a tenth of the transactions) */
    int64_t *tenth = malloc(sizeof(int64_t) * (MEMBERS / 10));
    for (int64_t i = 0; i < MEMBERS / 10; ++i)
        tenth[i] = cvseg_gen_member_id(c.seed, i);
    qsort(tenth, MEMBERS / 10, sizeof tenth[0], compare_i64);
    for (int64_t t = 0; t < N; ++t)
        first_tenth += bsearch(&id[t], tenth, MEMBERS / 10, sizeof tenth[0], compare_i64) != NULL;
    free(tenth);
    CVSEG_ASSERT_EQUAL_I64(unknown, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_date, 0);
    CVSEG_ASSERT_EQUAL_I64(zero, 0);
    CVSEG_ASSERT_EQUAL_I64(bad_qty, 0);
    /* about 1 % returns: expected 1000, sd 31 */
    if (negative < 850 || negative > 1150)
        fprintf(stderr, "  %lld negative amounts of %d\n", (long long)negative, N);
    CU_ASSERT(negative >= 850 && negative <= 1150);
    CU_ASSERT(first_tenth > N / 5);
    free(known);
    free(id);
    free(id2);
    free(date);
    free(date2);
    free(amount);
    free(amount2);
    free(qty);
    free(qty2);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"members: any split and thread count gives the same rows", test_members_any_split},
        {"members: F >= 1, many F = 1, M > 0, dates, ids, groups", test_members_shape},
        {"airline: splits, 0.5 % missing fares, 0.3 % inconsistent", test_airline},
        {"transactions: splits, dates in the window, 1 % returns", test_transactions},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("gen", tests);
}
