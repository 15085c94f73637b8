/* test_transaction_rows.c: the row filter of aggregate, against a plain
 * reference, and split into P simulated ranks (counts add up, the first
 * invalid row is the global first, kept rows concatenate in file order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x7a5e11
#include "cunit_main.h"
#include "cvseg/sort.h"
#include "cvseg/transaction_rows.h"
#include "test_support.h"

enum { N = 3000, REFERENCE = 20000 };

static int64_t ids[N], orders[N];
static int32_t dates[N];
static double amounts[N];

static void make_rows(int with_invalid)
{
    for (int64_t i = 0; i < N; ++i) {
        ids[i] = (int64_t)(next_u64() % 500) - 250;
        orders[i] = (int64_t)(next_u64() % 100000);
        dates[i] = REFERENCE - 300 + (int32_t)(next_u64() % 400); /* some after REFERENCE */
        amounts[i] = next_uniform() < 0.1 ? -next_uniform() * 50.0 : next_uniform() * 80.0;
        if (next_uniform() < 0.02)
            amounts[i] = 0.0;
    }
    if (with_invalid) {
        amounts[1700] = NAN;
        dates[2100] = -800000; /* before 0001-01-01 */
        amounts[2500] = INFINITY;
    }
}

/* Filters rows [begin, end) as one rank; appends kept rows to the outputs. */
static void filter_chunk(int64_t begin, int64_t end, int drop, int64_t *counts,
                         cvseg_tx_invalid *invalid, cvseg_transaction_rows *all, uint64_t *keys)
{
    const int64_t n = end - begin;
    cvseg_transaction_rows rows = {
        n, malloc(sizeof(int64_t) * (size_t)(n + 1)), malloc(sizeof(int32_t) * (size_t)(n + 1)),
        malloc(sizeof(double) * (size_t)(n + 1)), malloc(sizeof(int64_t) * (size_t)(n + 1))};
    memcpy(rows.member_id, ids + begin, sizeof(int64_t) * (size_t)n);
    memcpy(rows.date, dates + begin, sizeof(int32_t) * (size_t)n);
    memcpy(rows.amount, amounts + begin, sizeof(double) * (size_t)n);
    memcpy(rows.order_id, orders + begin, sizeof(int64_t) * (size_t)n);
    int64_t local[CVSEG_TX_COUNTS];
    cvseg_transaction_rows_filter(&rows, begin, REFERENCE, drop, keys + all->n, local, invalid);
    for (int c = 0; c < CVSEG_TX_COUNTS; ++c)
        counts[c] += local[c];
    memcpy(all->member_id + all->n, rows.member_id, sizeof(int64_t) * (size_t)rows.n);
    memcpy(all->date + all->n, rows.date, sizeof(int32_t) * (size_t)rows.n);
    memcpy(all->amount + all->n, rows.amount, sizeof(double) * (size_t)rows.n);
    memcpy(all->order_id + all->n, rows.order_id, sizeof(int64_t) * (size_t)rows.n);
    all->n += rows.n;
    cvseg_transaction_rows_free(&rows);
}

static void check_split(int drop, int with_invalid)
{
    static int64_t kept_id[N], all_ids[N], all_orders[N];
    static int32_t kept_date[N];
    static double kept_amount[N];
    static uint64_t keys[N];
    make_rows(with_invalid);
    /* Reference: one pass, the rules written out. */
    int64_t expected[CVSEG_TX_COUNTS] = {N, 0, 0, 0, 0}, first_invalid = -1, n_kept = 0;
    for (int64_t i = 0; i < N; ++i) {
        const int valid = isfinite(amounts[i]) && fabs(amounts[i]) <= 1e150 && dates[i] >= -719162;
        if (!valid && first_invalid < 0)
            first_invalid = i;
        expected[CVSEG_TX_RETURNS] += amounts[i] <= 0.0;
        if (dates[i] > REFERENCE)
            expected[CVSEG_TX_AFTER_REFERENCE] += 1;
        else if (drop && amounts[i] <= 0.0)
            expected[CVSEG_TX_RETURNS_DROPPED] += 1;
        else
            kept_id[n_kept++] = i; /* the row index */
    }
    expected[CVSEG_TX_ROWS_USED] = n_kept;
    for (int p = 1; p <= 5; ++p)
        for (int pattern = 0; pattern < 5; ++pattern) {
            int64_t cuts[6], counts[CVSEG_TX_COUNTS] = {0}, found = -1;
            cvseg_transaction_rows all = {0, all_ids, kept_date, kept_amount, all_orders};
            make_cuts(N, p, pattern, cuts);
            for (int r = 0; r < p; ++r) {
                cvseg_tx_invalid invalid;
                filter_chunk(cuts[r], cuts[r + 1], drop, counts, &invalid, &all, keys);
                if (invalid.row >= 0 && found < 0)
                    found = invalid.row;
                if (invalid.row >= 0) {
                    CU_ASSERT_EQUAL(invalid.date, dates[invalid.row]);
                    CU_ASSERT(memcmp(&invalid.amount, &amounts[invalid.row], sizeof(double)) == 0);
                }
            }
            for (int c = 0; c < CVSEG_TX_COUNTS; ++c)
                CVSEG_ASSERT_EQUAL_I64(counts[c], expected[c]);
            CVSEG_ASSERT_EQUAL_I64(found, first_invalid);
            CVSEG_ASSERT_EQUAL_I64(all.n, n_kept);
            int64_t mismatches = 0; /* one assertion per split: a failure stays fast */
            for (int64_t k = 0; k < all.n && k < n_kept; ++k) {
                const int64_t i = kept_id[k];
                mismatches += all.member_id[k] != ids[i] || all.date[k] != dates[i] ||
                              memcmp(&all.amount[k], &amounts[i], sizeof(double)) != 0 ||
                              all.order_id[k] != orders[i] || keys[k] != cvseg_i64_key(ids[i]);
            }
            CVSEG_ASSERT_EQUAL_I64(mismatches, 0);
        }
}

static void test_net_returns(void)
{
    check_split(0, 0);
}

static void test_dropped_returns(void)
{
    check_split(1, 0);
}

static void test_first_invalid_row(void)
{
    check_split(0, 1);
}

static void test_without_order_ids(void)
{
    int64_t id[3] = {5, 6, 7}, counts[CVSEG_TX_COUNTS];
    int32_t date[3] = {10, 30, 20};
    double amount[3] = {1.0, 2.0, -3.0};
    uint64_t keys[3];
    cvseg_tx_invalid invalid;
    cvseg_transaction_rows rows = {3, id, date, amount, NULL};
    cvseg_transaction_rows_filter(&rows, 100, 25, 0, keys, counts, &invalid);
    CVSEG_ASSERT_EQUAL_I64(rows.n, 2);
    CVSEG_ASSERT_EQUAL_I64(id[1], 7);
    CVSEG_ASSERT_EQUAL_I64(invalid.row, -1);
    CVSEG_ASSERT_EQUAL_I64(counts[CVSEG_TX_RETURNS], 1);
    CVSEG_ASSERT_EQUAL_I64(counts[CVSEG_TX_AFTER_REFERENCE], 1);
}

/* keys given as the ids' own memory: they hold the kept rows' keys, the
 * other columns are filtered as with a separate key array. */
static void test_keys_in_place(void)
{
    int64_t id[5] = {-5, 6, INT64_MIN, 8, INT64_MAX}, counts[CVSEG_TX_COUNTS];
    int32_t date[5] = {10, 30, 20, 5, 1};
    double amount[5] = {1.0, 2.0, -3.0, 0.0, 4.0};
    cvseg_tx_invalid invalid;
    cvseg_transaction_rows rows = {5, id, date, amount, NULL};
    cvseg_transaction_rows_filter(&rows, 0, 25, 1, (uint64_t *)id, counts, &invalid);
    const int64_t kept[2] = {-5, INT64_MAX};
    CVSEG_ASSERT_EQUAL_I64(rows.n, 2);
    for (int k = 0; k < 2; ++k)
        CU_ASSERT_EQUAL((uint64_t)id[k], cvseg_i64_key(kept[k]));
    CU_ASSERT_EQUAL(date[1], 1);
    CU_ASSERT_DOUBLE_EQUAL(amount[1], 4.0, 0.0);
    CVSEG_ASSERT_EQUAL_I64(counts[CVSEG_TX_RETURNS_DROPPED], 2);
}

int main(void)
{
    CU_TestInfo tests[] = {{"returns netted, P simulated ranks", test_net_returns},
                           {"returns dropped, P simulated ranks", test_dropped_returns},
                           {"first invalid row over the ranks", test_first_invalid_row},
                           {"without order ids", test_without_order_ids},
                           {"keys in the ids' own memory", test_keys_in_place},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("transaction_rows", tests);
}
