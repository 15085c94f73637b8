/* test_collectives.c: the MPI collectives of collectives.h on 1, 2 and 4 ranks.
 *
 * Every rank builds the same deterministic global array (heavy ties,
 * negatives, both signed zeros, a few huge values), takes its slice under a
 * block partition or a skewed one (rank 0 empty), and checks that the
 * distributed answer is bit-identical to the one-process answer over the
 * whole array.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/fixed.h"
#include "cvseg/partition.h"
#include "cvseg/quantile.h"
#include "cvseg/rng.h"
#include "cvseg/stats.h"
#include "mpi_test_main.h"

static const int64_t sizes[] = {0, 1, 3, 1000, 65537};
#define N_SIZES ((int)(sizeof sizes / sizeof sizes[0]))

static double value_of(int64_t g)
{
    const uint64_t h = cvseg_rng_u64(11, 3, (uint64_t)g);
    if (h % 97 == 0)
        return -1e12 + (double)(h % 5); /* a few huge negatives */
    if (h % 89 == 0)
        return 3.5e9;
    switch (h % 8) {
    case 0:
        return 0.0;
    case 1:
        return -0.0;
    default:
        return ((double)((int64_t)((h >> 8) % 41)) - 20.0) * 0.75 + (double)(h % 3) / 3.0;
    }
}

static uint8_t include_of(int64_t g)
{
    return (cvseg_rng_u64(11, 4, (uint64_t)g) % 7) != 0;
}

/* partition 0: blocks; 1: skewed, rank r >= 2 owns [n r^2 / P^2, n (r+1)^2 / P^2),
 * rank 1 owns [0, 4 n / P^2) and rank 0 owns nothing (when P > 1). */
static cvseg_block part(int64_t n, int partition)
{
    if (partition == 0)
        return cvseg_block_partition(n, cvseg_test_size, cvseg_test_rank);
    const int64_t p2 = (int64_t)cvseg_test_size * cvseg_test_size;
    const int64_t r = cvseg_test_rank;
    cvseg_block block;
    block.offset = r <= 1 ? 0 : n * r * r / p2;
    block.count = n * (r + 1) * (r + 1) / p2 - block.offset;
    if (r == 0 && cvseg_test_size > 1)
        block.count = 0; /* rank 0 stays empty; rank 1 starts at row 0 */
    return block;
}

typedef struct {
    int64_t n;
    double *x;        /* [n] whole array */
    uint8_t *include; /* [n] */
} global_array;

static global_array make_array(int64_t n)
{
    global_array a = {n, malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)),
                      malloc((size_t)(n > 0 ? n : 1))};
    CU_ASSERT_FATAL(a.x != NULL && a.include != NULL);
    for (int64_t g = 0; g < n; ++g) {
        a.x[g] = value_of(g);
        a.include[g] = include_of(g);
    }
    return a;
}

static void free_array(global_array *a)
{
    free(a->x);
    free(a->include);
}

static void test_partition_covers(void)
{
    for (int s = 0; s < N_SIZES; ++s)
        for (int p = 0; p < 2; ++p) {
            const cvseg_block block = part(sizes[s], p);
            CU_ASSERT(block.count >= 0 && block.offset >= 0);
            /* Slices are contiguous, in rank order, and cover [0, n). */
            int64_t before = 0, total = 0;
            CU_ASSERT_EQUAL(cvseg_mpi_exscan_i64(cvseg_test_comm, block.count, &before, &total),
                            CVSEG_OK);
            CVSEG_ASSERT_EQUAL_I64(total, sizes[s]);
            if (block.count > 0)
                CVSEG_ASSERT_EQUAL_I64(before, block.offset);
            if (p == 1 && cvseg_test_size > 1 && cvseg_test_rank == 0)
                CVSEG_ASSERT_EQUAL_I64(block.count, 0);
        }
}

static void test_moments(void)
{
    for (int s = 0; s < N_SIZES; ++s) {
        global_array a = make_array(sizes[s]);
        for (int p = 0; p < 2; ++p)
            for (int use_include = 0; use_include < 2; ++use_include) {
                const cvseg_block block = part(a.n, p);
                const uint8_t *include = use_include ? a.include : NULL;
                const cvseg_moments expected = cvseg_moments_local(a.x, include, a.n);
                cvseg_moments got;
                memset(&got, 0x55, sizeof got);
                const cvseg_status status =
                    cvseg_mpi_moments(cvseg_test_comm, a.x + block.offset,
                                      include ? include + block.offset : NULL, block.count, &got);
                CU_ASSERT_EQUAL(status, CVSEG_OK);
                CVSEG_ASSERT_EQUAL_I64(got.count, expected.count);
                CVSEG_ASSERT_SAME_DOUBLE(got.mean, expected.mean);
                CVSEG_ASSERT_SAME_DOUBLE(got.sd, expected.sd);
                CVSEG_ASSERT_SAME_DOUBLE(got.min, expected.min);
                CVSEG_ASSERT_SAME_DOUBLE(got.max, expected.max);
                CU_ASSERT(memcmp(&got, &expected, sizeof got) == 0);
                if (a.n >= 1000) {
                    CU_ASSERT(expected.min < -1e11);
                    CU_ASSERT(expected.max == 3.5e9);
                }
                cvseg_range range;
                CU_ASSERT_EQUAL(cvseg_mpi_range(cvseg_test_comm, a.x + block.offset,
                                                include ? include + block.offset : NULL,
                                                block.count, &range),
                                CVSEG_OK);
                CVSEG_ASSERT_EQUAL_I64(range.count, expected.count);
                if (expected.count > 0) {
                    CVSEG_ASSERT_SAME_DOUBLE(range.min, expected.min);
                    CVSEG_ASSERT_SAME_DOUBLE(range.max, expected.max);
                } else {
                    CU_ASSERT(range.min == INFINITY && range.max == -INFINITY);
                }
            }
        free_array(&a);
    }
}

/* All zeros of both signs: the minimum and maximum are +0.0 everywhere. */
static void test_moments_signed_zeros(void)
{
    const int64_t n = 37;
    double x[37];
    for (int64_t g = 0; g < n; ++g)
        x[g] = g % 3 ? -0.0 : 0.0;
    for (int p = 0; p < 2; ++p) {
        const cvseg_block block = part(n, p);
        const cvseg_moments expected = cvseg_moments_local(x, NULL, n);
        cvseg_moments got;
        CU_ASSERT_EQUAL(
            cvseg_mpi_moments(cvseg_test_comm, x + block.offset, NULL, block.count, &got),
            CVSEG_OK);
        CU_ASSERT(memcmp(&got, &expected, sizeof got) == 0);
        CVSEG_ASSERT_SAME_DOUBLE(got.min, 0.0);
        CVSEG_ASSERT_SAME_DOUBLE(got.max, 0.0);
    }
}

static int make_targets(int64_t count, int64_t *ranks)
{
    int m = 0;
    ranks[m++] = 1;
    ranks[m++] = count;
    for (int q = 1; q <= 4; ++q)
        ranks[m++] = cvseg_quantile_rank(q, 5, count);
    ranks[m++] = (count + 1) / 2;
    ranks[m++] = count > 1 ? 2 : 1;
    ranks[m++] = count > 1 ? count - 1 : 1;
    ranks[m++] = count; /* repeated target */
    return m;
}

/* cvseg_mpi_select on partition p of a against the one-process selection
 * and the extremes found directly. */
static void check_select(const global_array *a, int p, const uint8_t *include)
{
    const cvseg_block block = part(a->n, p);
    int64_t count = 0;
    for (int64_t g = 0; g < a->n; ++g)
        count += include ? include[g] : 1;
    if (count == 0)
        return;
    int64_t ranks[CVSEG_SELECT_MAX_TARGETS];
    const int m = make_targets(count, ranks);
    double expected[CVSEG_SELECT_MAX_TARGETS], got[CVSEG_SELECT_MAX_TARGETS];
    cvseg_select_local(a->x, include, a->n, m, ranks, expected);
    memset(got, 0x55, sizeof got);
    const cvseg_status status =
        cvseg_mpi_select(cvseg_test_comm, a->x + block.offset,
                         include ? include + block.offset : NULL, block.count, m, ranks, got);
    CU_ASSERT_EQUAL(status, CVSEG_OK);
    for (int t = 0; t < m; ++t)
        CVSEG_ASSERT_SAME_DOUBLE(got[t], expected[t]);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t g = 0; g < a->n; ++g)
        if (!include || include[g]) {
            const double v = a->x[g] == 0.0 ? 0.0 : a->x[g];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    CU_ASSERT(got[0] == lo);
    CU_ASSERT(got[1] == hi);
}

/* Values that take the selection's other paths: 1: continuous over many
 * binades (few candidates, every level); 2: continuous inside one 16-bit
 * key prefix (too many to gather: the passes read all values); 3: one
 * value (resolved after level 0). */
static void fill_select_values(int kind, global_array *a)
{
    for (int64_t g = 0; g < a->n && kind > 0; ++g) {
        const uint64_t h = cvseg_rng_u64(11, 5, (uint64_t)g);
        const double unit = (double)(h >> 11) * 0x1p-53;
        a->x[g] = kind == 1   ? (h % 2 ? -1.0 : 1.0) * ldexp(1.0 + unit, (int)(h % 61) - 30)
                  : kind == 2 ? 1000.0 + 10.0 * unit
                              : 42.0;
    }
}

static void test_select(void)
{
    for (int s = 0; s < N_SIZES; ++s)
        for (int kind = 0; kind < 4; ++kind) {
            global_array a = make_array(sizes[s]);
            fill_select_values(kind, &a);
            for (int p = 0; p < 2; ++p)
                for (int use_include = 0; use_include < 2; ++use_include) {
                    if (use_include != p)
                        continue; /* blocks without, skewed with the include mask */
                    check_select(&a, p, use_include ? a.include : NULL);
                }
            free_array(&a);
        }
}

/* A rank beyond the number of values: the same error on every rank. */
static void test_select_out_of_range(void)
{
    for (int s = 0; s < 3; ++s) {
        global_array a = make_array(sizes[s]);
        const cvseg_block block = part(a.n, 1);
        const int64_t ranks[2] = {1, a.n + 1};
        double values[2];
        cvseg_error_clear();
        const cvseg_status status = cvseg_mpi_select(cvseg_test_comm, a.x + block.offset, NULL,
                                                     block.count, 2, ranks, values);
        CU_ASSERT_NOT_EQUAL(status, CVSEG_OK);
        CU_ASSERT(cvseg_test_same_i64(status));
        cvseg_error_clear();
        free_array(&a);
    }
}

static void test_sums_and_scans(void)
{
    const int P = cvseg_test_size, r = cvseg_test_rank;
    cvseg_i128 values[3];
    values[0] = ((cvseg_i128)1 << 100) + r;
    values[1] = -((cvseg_i128)(r + 1) << 64);
    /* The fixed-point sum of a slice of the array, summed: the whole-array sum. */
    global_array a = make_array(65537);
    const int exponent = cvseg_fixed_exponent(1e12 + 10);
    const cvseg_block block = part(a.n, 1);
    values[2] = cvseg_fixed_sum(a.x + block.offset, NULL, block.count, exponent);
    const cvseg_i128 whole = cvseg_fixed_sum(a.x, NULL, a.n, exponent);
    CU_ASSERT_EQUAL(cvseg_mpi_sum_i128(cvseg_test_comm, values, 3), CVSEG_OK);
    CU_ASSERT(values[0] == ((cvseg_i128)P << 100) + (cvseg_i128)P * (P - 1) / 2);
    CU_ASSERT(values[1] == -(((cvseg_i128)P * (P + 1) / 2) << 64));
    CU_ASSERT(values[2] == whole);
    free_array(&a);
    /* count 0 is allowed */
    CU_ASSERT_EQUAL(cvseg_mpi_sum_i128(cvseg_test_comm, values, 0), CVSEG_OK);

    int64_t v64[2] = {r - 3, INT64_C(1) << 40};
    CU_ASSERT_EQUAL(cvseg_mpi_sum_i64(cvseg_test_comm, v64, 2), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(v64[0], (int64_t)P * (P - 1) / 2 - 3 * P);
    CVSEG_ASSERT_EQUAL_I64(v64[1], (INT64_C(1) << 40) * P);
    double f64[2] = {-(double)r, r == P - 1 ? 2.5 : -INFINITY};
    CU_ASSERT_EQUAL(cvseg_mpi_max_f64(cvseg_test_comm, f64, 2), CVSEG_OK);
    CVSEG_ASSERT_SAME_DOUBLE(f64[0], -0.0); /* rank 0 sends -(double)0 */
    CVSEG_ASSERT_SAME_DOUBLE(f64[1], 2.5);

    /* Exclusive scans. */
    int64_t before = -1, total = -1;
    CU_ASSERT_EQUAL(cvseg_mpi_exscan_i64(cvseg_test_comm, (int64_t)r * r - 5, &before, &total),
                    CVSEG_OK);
    int64_t want_before = 0, want_total = 0;
    for (int q = 0; q < P; ++q) {
        if (q < r)
            want_before += (int64_t)q * q - 5;
        want_total += (int64_t)q * q - 5;
    }
    CVSEG_ASSERT_EQUAL_I64(before, want_before);
    CVSEG_ASSERT_EQUAL_I64(total, want_total);
    before = -1;
    CU_ASSERT_EQUAL(cvseg_mpi_exscan_i64(cvseg_test_comm, 7, &before, NULL), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(before, 7 * r);

    cvseg_i128 b128 = -1, t128 = -1;
    const cvseg_i128 mine = ((cvseg_i128)(r + 1) << 80) - 7 * (cvseg_i128)r;
    CU_ASSERT_EQUAL(cvseg_mpi_exscan_i128(cvseg_test_comm, mine, &b128, &t128), CVSEG_OK);
    cvseg_i128 want_b = 0, want_t = 0;
    for (int q = 0; q < P; ++q) {
        const cvseg_i128 v = ((cvseg_i128)(q + 1) << 80) - 7 * (cvseg_i128)q;
        if (q < r)
            want_b += v;
        want_t += v;
    }
    CU_ASSERT(b128 == want_b);
    CU_ASSERT(t128 == want_t);
    b128 = -1;
    CU_ASSERT_EQUAL(cvseg_mpi_exscan_i128(cvseg_test_comm, -1, &b128, NULL), CVSEG_OK);
    CU_ASSERT(b128 == -(cvseg_i128)r);
}

/* ------------------------------------------------------------ duplicates */

static int64_t base_key(int64_t g)
{
    return (int64_t)cvseg_permute63(5, (uint64_t)g) - (INT64_C(1) << 62);
}

static int planted(int64_t g)
{
    return g % 97 == 5 && (g / 97) % 2 == 1;
}

/* kind 0: unique keys; 1: planted copies of a key 97 rows earlier;
 * 2: INT64_MIN / INT64_MAX repeated; 3: one key everywhere; 4: increasing
 * (the sorted-table path); 5: non-decreasing, every key twice; 6: two
 * increasing halves that overlap (each half's blocks look sorted); 7:
 * increasing but for one repeat where the last rank's block starts (the
 * blocks are sorted, the repeat crosses ranks). */
#define DUPLICATE_KINDS 8
static int64_t key_of(int kind, int64_t g, int64_t n)
{
    switch (kind) {
    case 1:
        return planted(g) ? base_key(g - 97) : base_key(g);
    case 2:
        if (g == 0 || g == n - 1)
            return INT64_MIN;
        if (g == 1 || g == 2)
            return INT64_MAX;
        return base_key(g);
    case 3:
        return -5;
    case 4:
        return INT64_MIN + 3 * g;
    case 5:
        return g / 2 - 7;
    case 6:
        return g < n / 2 ? 2 * g : 2 * (g - n / 2) + 1;
    case 7: {
        const int64_t cut = cvseg_block_partition(n, cvseg_test_size, cvseg_test_size - 1).offset;
        return g - (cut > 0 && g >= cut);
    }
    default:
        return base_key(g);
    }
}

static int compare_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_duplicates(void)
{
    for (int s = 0; s < N_SIZES; ++s)
        for (int kind = 0; kind < DUPLICATE_KINDS; ++kind)
            for (int p = 0; p < 2; ++p) {
                const int64_t n = sizes[s];
                /* Expected by brute force over the whole key array. */
                int64_t want = 0, want_example = INT64_MAX, want_planted = 0;
                int64_t *all = malloc(sizeof(int64_t) * (size_t)(n + 1));
                CU_ASSERT_FATAL(all != NULL);
                for (int64_t g = 0; g < n; ++g) {
                    all[g] = key_of(kind, g, n);
                    want_planted += kind == 1 && planted(g);
                }
                qsort(all, (size_t)n, sizeof(int64_t), compare_i64);
                for (int64_t g = 1; g < n; ++g)
                    if (all[g] == all[g - 1]) {
                        ++want;
                        want_example = all[g] < want_example ? all[g] : want_example;
                    }
                free(all);
                if (kind == 1)
                    CVSEG_ASSERT_EQUAL_I64(want, want_planted);
                if (kind == 2 && n >= 4)
                    CU_ASSERT(want == 2 && want_example == INT64_MIN);
                if (kind == 3)
                    CVSEG_ASSERT_EQUAL_I64(want, n > 1 ? n - 1 : 0);
                if (kind == 4 || kind == 6)
                    CVSEG_ASSERT_EQUAL_I64(want, 0);
                if (kind == 5)
                    CVSEG_ASSERT_EQUAL_I64(want, n / 2);
                if (kind == 7 && cvseg_test_size > 1 && n >= cvseg_test_size)
                    CVSEG_ASSERT_EQUAL_I64(want, 1);
                if (kind == 1 && n >= 1000)
                    CU_ASSERT(want > 0);
                const cvseg_block block = part(n, p);
                int64_t *keys = malloc(sizeof(int64_t) * (size_t)(block.count + 1));
                CU_ASSERT_FATAL(keys != NULL);
                for (int64_t i = 0; i < block.count; ++i)
                    keys[i] = key_of(kind, block.offset + i, n);
                int64_t found = -1, example = 0;
                const cvseg_status status =
                    cvseg_mpi_duplicates(cvseg_test_comm, keys, block.count, &found, &example);
                CU_ASSERT_EQUAL(status, CVSEG_OK);
                if (found != want)
                    fprintf(stderr, "  n %lld kind %d partition %d\n", (long long)n, kind, p);
                CVSEG_ASSERT_EQUAL_I64(found, want);
                if (want > 0)
                    CVSEG_ASSERT_EQUAL_I64(example, want_example);
                free(keys);
            }
}

/* ---------------------------------------------- duplicates: hashed path */

/* The inverse of SplitMix64's finaliser (cvseg_mix64), written here from
 * its definition: builds keys whose hashes are chosen (checked below). */
static uint64_t odd_inverse(uint64_t odd)
{
    uint64_t x = odd; /* Newton: each step doubles the correct low bits */
    for (int i = 0; i < 6; ++i)
        x *= 2 - odd * x;
    return x;
}

static uint64_t unmix64(uint64_t h)
{
    h ^= (h >> 31) ^ (h >> 62);
    h *= odd_inverse(0x94d049bb133111ebULL);
    h ^= (h >> 27) ^ (h >> 54);
    h *= odd_inverse(0xbf58476d1ce4e5b9ULL);
    h ^= (h >> 30) ^ (h >> 60);
    return h;
}

/* A key whose cvseg_mix64 hash has the given top bits (22 of them: the
 * bucket and the run the owner sorts by) and random low bits. */
static int64_t key_with_top(uint64_t top22, int64_t g)
{
    const uint64_t h = (top22 << 42) | (cvseg_rng_u64(19, 2, (uint64_t)g) >> 22);
    const int64_t key = (int64_t)unmix64(h);
    CU_ASSERT(cvseg_mix64((uint64_t)key) == h);
    return key;
}

/* The global key array of case c [n] (every rank builds the same):
 * 0: random keys drawn from 0.8 n values (many repeats, across ranks);
 * 1: keys whose hashes share the top 11 bits, and half of them the top 22
 *    (one bucket, one run), with repeats; 2: one key 7 copies, another 3,
 *    the rest unique, copies spread over the array; 3: INT64_MIN, INT64_MAX,
 *    0 and -1 repeated among random keys; 4: keys of rank r repeat keys of
 *    rank r + 1 (every other row is the next block's row). */
#define HASHED_CASES 5
static void hashed_keys(int c, int64_t n, int64_t *all)
{
    for (int64_t g = 0; g < n; ++g) {
        const uint64_t r = cvseg_rng_u64(23, (uint64_t)c, (uint64_t)g);
        switch (c) {
        case 0:
            all[g] = (int64_t)cvseg_rng_u64(29, 0, r % (uint64_t)(n * 4 / 5 + 1));
            break;
        case 1:
            all[g] = key_with_top(g % 2 ? 0x2aaaaau : 0x2aaaaau ^ (r % 2048), (int64_t)(r % 50));
            break;
        case 2:
            all[g] = g % 13 == 3 && g < 13 * 7 ? -42 : g % 11 == 1 && g < 33 ? 42 : (int64_t)r;
            break;
        case 3: {
            const int64_t special[4] = {INT64_MIN, INT64_MAX, 0, -1};
            all[g] = g % 5 == 0 ? special[(g / 5) % 4] : (int64_t)r;
            break;
        }
        default: {
            const cvseg_block next = cvseg_block_partition(n, cvseg_test_size, 0);
            all[g] = g % 2 && g + next.count < n ? (int64_t)(g + next.count) * 7919 : g * 7919;
        }
        }
    }
}

/* Duplicates in all [n] by sorting a copy: *found repeats, *smallest the
 * smallest repeated key (INT64_MAX when none). */
static void reference_duplicates(const int64_t *all, int64_t n, int64_t *found, int64_t *smallest)
{
    int64_t *copy = malloc(sizeof(int64_t) * (size_t)(n + 1));
    CU_ASSERT_FATAL(copy != NULL);
    memcpy(copy, all, sizeof(int64_t) * (size_t)n);
    qsort(copy, (size_t)n, sizeof(int64_t), compare_i64);
    *found = 0;
    *smallest = INT64_MAX;
    for (int64_t g = 1; g < n; ++g)
        if (copy[g] == copy[g - 1]) {
            *found += 1;
            *smallest = copy[g] < *smallest ? copy[g] : *smallest;
        }
    free(copy);
}

/* partition 0, 1: part(); 2: everything on the last rank. */
static cvseg_block hashed_part(int64_t n, int partition)
{
    if (partition < 2)
        return part(n, partition);
    const int last = cvseg_test_rank == cvseg_test_size - 1;
    return (cvseg_block){.offset = 0, .count = last ? n : 0};
}

static void test_duplicates_hashed(void)
{
    static const int64_t hashed_sizes[] = {0, 2, 17, 5000, 300007};
    for (int s = 0; s < 5; ++s)
        for (int c = 0; c < HASHED_CASES; ++c) {
            const int64_t n = hashed_sizes[s];
            int64_t *all = malloc(sizeof(int64_t) * (size_t)(n + 1)), want = 0, smallest = 0;
            CU_ASSERT_FATAL(all != NULL);
            hashed_keys(c, n, all);
            reference_duplicates(all, n, &want, &smallest);
            if (c == 2 && n >= 100)
                CU_ASSERT(want == 6 + 2 && smallest == -42);
            if (c == 3 && n >= 20)
                CU_ASSERT(want >= 4 && smallest == INT64_MIN);
            for (int p = 0; p < 3; ++p)
                for (int threads = 1; threads <= 3; threads += 2) {
                    const cvseg_block block = hashed_part(n, p);
                    int64_t found = -1, example = 0;
                    omp_set_num_threads(threads);
                    CU_ASSERT_EQUAL(cvseg_mpi_duplicates(cvseg_test_comm, all + block.offset,
                                                         block.count, &found, &example),
                                    CVSEG_OK);
                    if (found != want)
                        fprintf(stderr,
                                "  n %lld case %d partition %d threads %d: %lld, not %lld\n",
                                (long long)n, c, p, threads, (long long)found, (long long)want);
                    CVSEG_ASSERT_EQUAL_I64(found, want);
                    if (want > 0)
                        CVSEG_ASSERT_EQUAL_I64(example, smallest);
                }
            omp_set_num_threads(1);
            free(all);
        }
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {{"partitions of the test", test_partition_covers},
                           {"moments and range", test_moments},
                           {"moments of signed zeros", test_moments_signed_zeros},
                           {"exact selection", test_select},
                           {"selection beyond the count", test_select_out_of_range},
                           {"sums and exclusive scans", test_sums_and_scans},
                           {"duplicates", test_duplicates},
                           {"duplicates by hash bucket", test_duplicates_hashed},
                           CU_TEST_INFO_NULL};
    return cvseg_mpi_test_main(argc, argv, "mpi dist", tests);
}
