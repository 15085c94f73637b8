/* test_aggregate.c: the per-member purchase counting of cvseg_aggregate_purchases
 * (aggregate --frequency rows|orders|days): a hand-computed log, a brute-force
 * reference on random logs (bit-identical sums, taken in file order), and P
 * simulated ranks (members range-partitioned, each member's rows on one rank
 * in file order, as the exchange delivers them; some ranks empty) at 1 and 2
 * threads giving the one-rank answer. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "cvseg/aggregate.h"
#define TEST_SEED 0xA66E6A7EULL
#include "test_support.h"

/* A small log: member 7 has a two-row order (ids 1, dates 10 and 12), a
 * cancelled order (net -4), two orders on day 40; member 3 only returns;
 * member 5 one purchase and a larger return (net M -20); member 9 a zero-net
 * order and one purchase; member 11 one order of 0.01, 0.02, -0.03, whose net
 * is 0.0 in file order (no purchase) but > 0 in the reverse order: the sums
 * must be taken in file order. Rows interleaved. */
enum { SMALL_N = 17 };
static const int64_t small_member[SMALL_N] = {7, 3, 11, 7, 5, 7, 9, 7, 3, 11, 5, 7, 9, 9, 7, 11, 7};
static const int64_t small_order[SMALL_N] = {1,  70, 20, 1,  90, 2, 11, 2, 71,
                                             20, 91, 3,  11, 12, 4, 20, 1};
static const int32_t small_date[SMALL_N] = {10,  50, 100, 10, 5,  30, 80,  30, 60,
                                            100, 70, 40,  80, 90, 40, 100, 12};
static const double small_amount[SMALL_N] = {20.0, -10.0, 0.01, 5.5,  10.0, 8.0, 5.0,   -12.0, -2.5,
                                             0.02, -30.0, 3.0,  -5.0, 4.0,  2.0, -0.03, 1.0};

static void check_member(const cvseg_member_aggregate *a, int64_t o, int64_t id, int32_t first,
                         int32_t last, int32_t frequency, double monetary, int32_t days,
                         double repeat)
{
    CVSEG_ASSERT_EQUAL_I64(a->member_id[o], id);
    CVSEG_ASSERT_EQUAL_I64(a->first_purchase[o], first);
    CVSEG_ASSERT_EQUAL_I64(a->last_purchase[o], last);
    CVSEG_ASSERT_EQUAL_I64(a->frequency[o], frequency);
    CVSEG_ASSERT_SAME_DOUBLE(a->monetary[o], monetary);
    CVSEG_ASSERT_EQUAL_I64(a->distinct_days[o], days);
    CVSEG_ASSERT_SAME_DOUBLE(a->repeat_monetary[o], repeat);
}

static void test_small_log_orders(void)
{
    cvseg_member_aggregate a;
    CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(small_member, small_date, small_amount,
                                                    small_order, SMALL_N, CVSEG_FREQUENCY_ORDERS,
                                                    &a),
                          CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(a.members, 5);
    check_member(&a, 0, 3, 50, 60, 0, -12.5, 0, 0.0); /* no purchase: dates of its rows */
    check_member(&a, 1, 5, 5, 5, 1, -20.0, 1, -30.0);
    /* order 1 dated 10 (its earliest row), order 2 net -4 is no purchase */
    check_member(&a, 2, 7, 10, 40, 3, 27.5, 2, 1.0 + 8.0 - 12.0 + 3.0 + 2.0);
    check_member(&a, 3, 9, 90, 90, 1, 4.0, 1, 0.0);
    check_member(&a, 4, 11, 100, 100, 0, 0.01 + 0.02 - 0.03, 0, 0.0);
    CVSEG_ASSERT_EQUAL_I64(a.orders, 2 + 2 + 4 + 2 + 1);
    CVSEG_ASSERT_EQUAL_I64(a.purchases, 5);
    CVSEG_ASSERT_EQUAL_I64(a.no_purchase, 2);
    CVSEG_ASSERT_EQUAL_I64(a.non_positive_monetary, 1);
    cvseg_member_aggregate_free(&a);
}

static void test_small_log_days_and_rows(void)
{
    cvseg_member_aggregate a;
    CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(small_member, small_date, small_amount, NULL,
                                                    SMALL_N, CVSEG_FREQUENCY_DAYS, &a),
                          CVSEG_OK);
    /* member 7: days 10 (+25.5), 12 (+1), 30 (-4), 40 (+5); member 9: day 80 nets 0 */
    check_member(&a, 2, 7, 10, 40, 3, 27.5, 3, 1.0 + 8.0 - 12.0 + 3.0 + 2.0);
    check_member(&a, 3, 9, 90, 90, 1, 4.0, 1, 0.0);
    check_member(&a, 4, 11, 100, 100, 0, 0.01 + 0.02 - 0.03, 0, 0.0);
    CVSEG_ASSERT_EQUAL_I64(a.orders, 0);
    CVSEG_ASSERT_EQUAL_I64(a.no_purchase, 2);
    cvseg_member_aggregate_free(&a);
    CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_rows(small_member, small_date, small_amount, SMALL_N, &a),
                          CVSEG_OK);
    check_member(&a, 0, 3, 50, 60, 2, -12.5, 2, -2.5); /* rows: every row counts */
    check_member(&a, 2, 7, 10, 40, 7, 27.5, 4, 1.0 + 8.0 - 12.0 + 3.0 + 2.0);
    CVSEG_ASSERT_EQUAL_I64(a.no_purchase, 0);
    CVSEG_ASSERT_EQUAL_I64(a.non_positive_monetary, 3);
    cvseg_member_aggregate_free(&a);
    CVSEG_ASSERT_EQUAL_I64(cvseg_aggregate_purchases(small_member, small_date, small_amount, NULL,
                                                     SMALL_N, CVSEG_FREQUENCY_ORDERS, &a),
                           CVSEG_EINTERNAL);
}

/* A random log of n rows over `members` members; some members with many rows
 * (beyond the insertion-sort size), order ids reused across members. */
typedef struct {
    int64_t n;
    int64_t *member, *order;
    int32_t *date;
    double *amount;
} test_log;

static test_log make_log(int64_t n, int64_t members)
{
    test_log log = {n, malloc(sizeof(int64_t) * (size_t)n), malloc(sizeof(int64_t) * (size_t)n),
                    malloc(sizeof(int32_t) * (size_t)n), malloc(sizeof(double) * (size_t)n)};
    for (int64_t i = 0; i < n; ++i) {
        const int64_t m = next_u64() % 8 == 0 ? 4 : (int64_t)(next_u64() % (uint64_t)members);
        log.member[i] = m * 1000003 - 50000;                          /* negative ids too */
        log.order[i] = (int64_t)(next_u64() % (m % 3 == 0 ? 3 : 40)); /* big orders: sum order */
        log.date[i] = 15000 + (int32_t)(log.order[i] * 3 + (int64_t)(next_u64() % 3));
        log.amount[i] = next_uniform() < 0.2 ? -50.0 * next_uniform() : 30.0 * next_normal() + 5.0;
        if (m % 17 == 5) /* only returns */
            log.amount[i] = -fabs(log.amount[i]) - 0.5;
    }
    return log;
}

static void free_log(test_log *log)
{
    free(log->member);
    free(log->order);
    free(log->date);
    free(log->amount);
}

/* Brute force: member o's purchases, directly from the rules (rows in file order). */
static void reference_member(const test_log *log, int64_t id, cvseg_frequency_mode mode,
                             cvseg_member_aggregate *ref, int64_t o)
{
    int32_t first = INT32_MAX, last = INT32_MIN, lo = INT32_MAX, hi = INT32_MIN, f = 0, days = 0;
    int32_t purchase_days[4096];
    double sum = 0.0;
    for (int64_t i = 0; i < log->n; ++i) {
        if (log->member[i] != id)
            continue;
        sum += log->amount[i];
        lo = log->date[i] < lo ? log->date[i] : lo;
        hi = log->date[i] > hi ? log->date[i] : hi;
        const int64_t key = mode == CVSEG_FREQUENCY_ORDERS ? log->order[i] : log->date[i];
        int seen = 0; /* a group is evaluated at its first row */
        for (int64_t j = 0; j < i && !seen; ++j)
            seen = log->member[j] == id &&
                   (mode == CVSEG_FREQUENCY_ORDERS ? log->order[j] : log->date[j]) == key;
        double net = 0.0;
        int32_t day = INT32_MAX;
        for (int64_t j = i; j < log->n && !seen; ++j)
            if (log->member[j] == id &&
                (mode == CVSEG_FREQUENCY_ORDERS ? log->order[j] : log->date[j]) == key) {
                net += log->amount[j];
                day = log->date[j] < day ? log->date[j] : day;
            }
        if (seen || !(net > 0.0))
            continue;
        ++f;
        first = day < first ? day : first;
        last = day > last ? day : last;
        int known = 0;
        for (int32_t d = 0; d < days; ++d)
            known |= purchase_days[d] == day;
        if (!known && days < 4096)
            purchase_days[days++] = day;
    }
    double repeat = 0.0;
    for (int64_t i = 0; i < log->n && f > 0; ++i)
        if (log->member[i] == id && log->date[i] > first)
            repeat += log->amount[i];
    ref->member_id[o] = id;
    ref->first_purchase[o] = f > 0 ? first : lo;
    ref->last_purchase[o] = f > 0 ? last : hi;
    ref->frequency[o] = f;
    ref->monetary[o] = sum;
    ref->distinct_days[o] = days;
    ref->repeat_monetary[o] = repeat;
}

static void test_random_against_brute_force(void)
{
    test_log log = make_log(6000, 300);
    for (int mode = CVSEG_FREQUENCY_ORDERS; mode <= CVSEG_FREQUENCY_DAYS; ++mode) {
        cvseg_member_aggregate a, ref;
        CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(log.member, log.date, log.amount, log.order,
                                                        log.n, (cvseg_frequency_mode)mode, &a),
                              CVSEG_OK);
        ref = a; /* same shapes; own arrays */
        ref.member_id = malloc(sizeof(int64_t) * (size_t)a.members);
        ref.first_purchase = malloc(sizeof(int32_t) * (size_t)a.members);
        ref.last_purchase = malloc(sizeof(int32_t) * (size_t)a.members);
        ref.frequency = malloc(sizeof(int32_t) * (size_t)a.members);
        ref.monetary = malloc(sizeof(double) * (size_t)a.members);
        ref.distinct_days = malloc(sizeof(int32_t) * (size_t)a.members);
        ref.repeat_monetary = malloc(sizeof(double) * (size_t)a.members);
        int64_t no_purchase = 0, purchases = 0;
        for (int64_t o = 0; o < a.members; ++o) {
            reference_member(&log, a.member_id[o], (cvseg_frequency_mode)mode, &ref, o);
            check_member(&a, o, ref.member_id[o], ref.first_purchase[o], ref.last_purchase[o],
                         ref.frequency[o], ref.monetary[o], ref.distinct_days[o],
                         ref.repeat_monetary[o]);
            no_purchase += ref.frequency[o] == 0;
            purchases += ref.frequency[o];
            if (o > 0)
                CU_ASSERT(a.member_id[o] > a.member_id[o - 1]);
        }
        CU_ASSERT(no_purchase > 0); /* the log exercises members without a purchase */
        CVSEG_ASSERT_EQUAL_I64(a.no_purchase, no_purchase);
        CVSEG_ASSERT_EQUAL_I64(a.purchases, purchases);
        cvseg_member_aggregate_free(&a);
        cvseg_member_aggregate_free(&ref);
    }
    free_log(&log);
}

/* ROWS mode from the rules: log holds one member's rows, in file order. */
static void reference_rows_member(const test_log *log, cvseg_member_aggregate *ref, int64_t o)
{
    int32_t first = INT32_MAX, last = INT32_MIN, days = 0;
    double sum = 0.0, repeat = 0.0;
    for (int64_t i = 0; i < log->n; ++i) {
        sum += log->amount[i];
        first = log->date[i] < first ? log->date[i] : first;
        last = log->date[i] > last ? log->date[i] : last;
        int seen = 0;
        for (int64_t j = 0; j < i && !seen; ++j)
            seen = log->date[j] == log->date[i];
        days += !seen;
    }
    for (int64_t i = 0; i < log->n; ++i)
        if (log->date[i] > first)
            repeat += log->amount[i];
    ref->member_id[o] = log->member[0];
    ref->first_purchase[o] = first;
    ref->last_purchase[o] = last;
    ref->frequency[o] = (int32_t)log->n;
    ref->monetary[o] = sum;
    ref->distinct_days[o] = days;
    ref->repeat_monetary[o] = repeat;
}

/* Rows of log in member order (file order within a member), by qsort. */
static const test_log *sorted_log;
static int compare_rows(const void *a, const void *b)
{
    const int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    const int64_t x = sorted_log->member[i], y = sorted_log->member[j];
    return x != y ? (x > y) - (x < y) : (i > j) - (i < j);
}

/* Every member of log against reference_member on that member's rows alone
 * (found by a qsort of the row numbers), in all three modes, at 1 and 2
 * threads. */
static void check_against_sorted(const test_log *log)
{
    int64_t *row = malloc(sizeof(int64_t) * (size_t)log->n);
    for (int64_t i = 0; i < log->n; ++i)
        row[i] = i;
    sorted_log = log;
    qsort(row, (size_t)log->n, sizeof(int64_t), compare_rows);
    test_log one = make_log(log->n, 1); /* buffers */
    cvseg_member_aggregate ref = {0};
    CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_rows(log->member, log->date, log->amount, log->n, &ref),
                          CVSEG_OK); /* only for its arrays */
    for (int threads = 1; threads <= 2; ++threads)
        for (int mode = CVSEG_FREQUENCY_ROWS; mode <= CVSEG_FREQUENCY_DAYS; ++mode) {
            omp_set_num_threads(threads);
            cvseg_member_aggregate a;
            CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(log->member, log->date, log->amount,
                                                            log->order, log->n,
                                                            (cvseg_frequency_mode)mode, &a),
                                  CVSEG_OK);
            int64_t o = 0;
            for (int64_t g = 0, end = 0; g < log->n; g = end, ++o) {
                for (end = g, one.n = 0;
                     end < log->n && log->member[row[end]] == log->member[row[g]]; ++end, ++one.n) {
                    one.member[one.n] = log->member[row[end]];
                    one.order[one.n] = log->order[row[end]];
                    one.date[one.n] = log->date[row[end]];
                    one.amount[one.n] = log->amount[row[end]];
                }
                if (o < a.members && o < ref.members) {
                    if (mode == CVSEG_FREQUENCY_ROWS)
                        reference_rows_member(&one, &ref, o);
                    else
                        reference_member(&one, one.member[0], (cvseg_frequency_mode)mode, &ref, o);
                    check_member(&a, o, ref.member_id[o], ref.first_purchase[o],
                                 ref.last_purchase[o], ref.frequency[o], ref.monetary[o],
                                 ref.distinct_days[o], ref.repeat_monetary[o]);
                }
            }
            CVSEG_ASSERT_EQUAL_I64(a.members, o);
            cvseg_member_aggregate_free(&a);
        }
    omp_set_num_threads(1);
    cvseg_member_aggregate_free(&ref);
    free_log(&one);
    free(row);
}

/* The grouping's sort paths: ids over the whole int64 range (the finer
 * pass of every bucket on many bits), ids packed in a narrow range beside
 * two far ones (nearly all rows in one bucket: the radix sort), one member
 * with thousands of rows (a sub-bucket too full for the insertion sort),
 * ids a little wider than the buckets (the finer pass on few bits), a log
 * in id order but for a few rows (buckets left as they are, or sorted), and
 * thousands of small ids beside wide ones (a bucket within the copy buffer
 * whose finer pass leaves too much to the insertion sort: the radix sort). */
static void test_sort_paths_against_sorted(void)
{
    enum { ROWS = 40000 };
    for (int shape = 0; shape < 6; ++shape) {
        test_log log = make_log(ROWS, 5000);
        for (int64_t i = 0; i < ROWS; ++i) {
            const uint64_t r = next_u64();
            if (shape == 0)
                log.member[i] = (int64_t)(r % 4000 * 0x9E3779B97F4A7C15ULL);
            else if (shape == 1)
                log.member[i] = i == 7 ? INT64_MAX : i == 9 ? INT64_MIN : (int64_t)(r % 3000);
            else if (shape == 2)
                log.member[i] = r % 8 == 0 ? 42 : (int64_t)(r % 5000) * 77;
            else if (shape == 3)
                log.member[i] = (int64_t)(r % 100000) - 3;
            else if (shape == 4) /* an id-ordered log: buckets already in order, some not */
                log.member[i] = i % 997 == 0 ? (int64_t)(r % 40000) : i;
            else /* a quarter of the rows on 3,000 small ids, in one sub-bucket of the
                  * first bucket's finer pass: too many moves for the insertion sort */
                log.member[i] = r % 4 == 0 ? (int64_t)(r / 4 % 3000) : (int64_t)(r >> 24);
        }
        check_against_sorted(&log);
        free_log(&log);
    }
}

/* Members range-partitioned over p simulated ranks (cuts over ascending
 * distinct ids), each rank's rows in file order; the concatenated member
 * tables and summed totals must equal the one-rank answer bit for bit. */
static void check_ranks(const test_log *log, const cvseg_member_aggregate *whole,
                        cvseg_frequency_mode mode, int p, int pattern)
{
    int64_t cuts[9];
    make_cuts(whole->members, p, pattern, cuts);
    test_log part = make_log(log->n, 1); /* buffers */
    int64_t o = 0, orders = 0, purchases = 0, no_purchase = 0, non_positive = 0;
    for (int r = 0; r < p; ++r) {
        const int64_t lo = cuts[r], hi = cuts[r + 1];
        part.n = 0;
        for (int64_t i = 0; i < log->n && hi > lo; ++i)
            if (log->member[i] >= whole->member_id[lo] &&
                log->member[i] <= whole->member_id[hi - 1]) {
                part.member[part.n] = log->member[i];
                part.order[part.n] = log->order[i];
                part.date[part.n] = log->date[i];
                part.amount[part.n++] = log->amount[i];
            }
        cvseg_member_aggregate a;
        CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(part.member, part.date, part.amount,
                                                        part.order, part.n, mode, &a),
                              CVSEG_OK);
        CVSEG_ASSERT_EQUAL_I64(a.members, hi - lo);
        for (int64_t t = 0; t < a.members && o < whole->members; ++t, ++o)
            check_member(whole, o, a.member_id[t], a.first_purchase[t], a.last_purchase[t],
                         a.frequency[t], a.monetary[t], a.distinct_days[t], a.repeat_monetary[t]);
        orders += a.orders;
        purchases += a.purchases;
        no_purchase += a.no_purchase;
        non_positive += a.non_positive_monetary;
        cvseg_member_aggregate_free(&a);
    }
    CVSEG_ASSERT_EQUAL_I64(o, whole->members);
    CVSEG_ASSERT_EQUAL_I64(orders, whole->orders);
    CVSEG_ASSERT_EQUAL_I64(purchases, whole->purchases);
    CVSEG_ASSERT_EQUAL_I64(no_purchase, whole->no_purchase);
    CVSEG_ASSERT_EQUAL_I64(non_positive, whole->non_positive_monetary);
    free_log(&part);
}

static void test_simulated_ranks_and_threads(void)
{
    test_log log = make_log(20000, 2000);
    for (int mode = CVSEG_FREQUENCY_ROWS; mode <= CVSEG_FREQUENCY_DAYS; ++mode) {
        cvseg_member_aggregate whole;
        omp_set_num_threads(1);
        CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(log.member, log.date, log.amount, log.order,
                                                        log.n, (cvseg_frequency_mode)mode, &whole),
                              CVSEG_OK);
        for (int threads = 1; threads <= 2; ++threads) {
            omp_set_num_threads(threads);
            for (int p = 1; p <= 8; p += 3)
                for (int pattern = 0; pattern <= 4; ++pattern)
                    check_ranks(&log, &whole, (cvseg_frequency_mode)mode, p, pattern);
        }
        cvseg_member_aggregate_free(&whole);
    }
    free_log(&log);
}

/* A copy of log's rows as owned arrays (order ids when with_orders). */
static cvseg_transaction_rows owned_rows(const test_log *log, int with_orders)
{
    const size_t n = (size_t)log->n;
    cvseg_transaction_rows rows = {log->n, malloc(8 * n), malloc(4 * n), malloc(8 * n),
                                   with_orders ? malloc(8 * n) : NULL};
    memcpy(rows.member_id, log->member, 8 * n);
    memcpy(rows.date, log->date, 4 * n);
    memcpy(rows.amount, log->amount, 8 * n);
    if (with_orders)
        memcpy(rows.order_id, log->order, 8 * n);
    return rows;
}

/* cvseg_aggregate_consume takes the rows: they are freed and zeroed on
 * success and on failure (ORDERS without order ids: EINTERNAL); order ids
 * given in ROWS or DAYS mode are ignored; the result equals
 * cvseg_aggregate_purchases'. */
static void test_consume_takes_the_rows(void)
{
    test_log log = make_log(3000, 300);
    for (int mode = CVSEG_FREQUENCY_ROWS; mode <= CVSEG_FREQUENCY_DAYS; ++mode) {
        cvseg_member_aggregate want, got;
        CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_purchases(log.member, log.date, log.amount, log.order,
                                                        log.n, (cvseg_frequency_mode)mode, &want),
                              CVSEG_OK);
        cvseg_transaction_rows rows = owned_rows(&log, 1);
        CU_ASSERT_EQUAL_FATAL(cvseg_aggregate_consume(&rows, (cvseg_frequency_mode)mode, &got),
                              CVSEG_OK);
        CU_ASSERT(rows.n == 0 && !rows.member_id && !rows.date && !rows.amount && !rows.order_id);
        CVSEG_ASSERT_EQUAL_I64(got.members, want.members);
        for (int64_t o = 0; o < got.members && o < want.members; ++o)
            check_member(&want, o, got.member_id[o], got.first_purchase[o], got.last_purchase[o],
                         got.frequency[o], got.monetary[o], got.distinct_days[o],
                         got.repeat_monetary[o]);
        CVSEG_ASSERT_EQUAL_I64(got.purchases, want.purchases);
        cvseg_member_aggregate_free(&want);
        cvseg_member_aggregate_free(&got);
    }
    cvseg_transaction_rows rows = owned_rows(&log, 0);
    cvseg_member_aggregate none;
    CVSEG_ASSERT_EQUAL_I64(cvseg_aggregate_consume(&rows, CVSEG_FREQUENCY_ORDERS, &none),
                           CVSEG_EINTERNAL);
    CU_ASSERT(rows.n == 0 && !rows.member_id && !rows.date && !rows.amount);
    CU_ASSERT(none.members == 0 && !none.member_id);
    free_log(&log);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"orders: a hand-computed log", test_small_log_orders},
        {"days and rows: a hand-computed log", test_small_log_days_and_rows},
        {"orders and days against a brute-force reference", test_random_against_brute_force},
        {"P simulated ranks x 1, 2 threads = one rank", test_simulated_ranks_and_threads},
        {"sort paths (wide, narrow, skewed ids) against a sorted reference",
         test_sort_paths_against_sorted},
        {"consume: takes and frees the rows, equals purchases", test_consume_takes_the_rows},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("aggregate", tests);
}
