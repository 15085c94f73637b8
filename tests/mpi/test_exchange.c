/* test_exchange.c: the 64-bit record exchange (exchange.h) on 1, 2 and 4 ranks.
 *
 * Every rank knows the whole traffic pattern (records from s to d), so every
 * rank can compute what it must receive without asking anyone: the reference
 * is "every record arrives once, grouped by source rank in rank order, each
 * group in its sender's order, at its destination". The replies of the
 * reversed plan must land back on the exact send positions.
 *
 * Built four times: with the default limits (one Alltoallv), with
 * CVSEG_EXCHANGE_MAX_COUNT=7 (several rounds), with a 100-byte message
 * limit (rounds by bytes: 4 records of 24 bytes, 33 of 3 bytes), and with
 * CVSEG_EXCHANGE_MAX_COUNT=7 plus CVSEG_EXCHANGE_MAX_DISPLACEMENT=40 (the
 * pairwise path); the tests check that the intended path ran
 * (cvseg_exchange_rounds, plan.pairwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "mpi_test_main.h"

typedef enum { MIXED, ALL_TO_ONE, NOTHING, LARGE, FROM_ONE } pattern;

/* Records from rank s to rank d under a pattern (P ranks). */
static int64_t traffic(pattern p, int s, int d, int P)
{
    switch (p) {
    case MIXED: /* rank 0 sends nothing; rank 1 receives nothing; uneven rest */
        return s == 0 || d == 1 ? 0 : (s * 7 + d * 3) % 11 + (s == d ? 5 : 0);
    case ALL_TO_ONE:
        return d == P - 1 ? 9 * (s + 1) : 0;
    case NOTHING:
        return 0;
    case LARGE:
        return 1000 + 17 * s + 5 * d;
    case FROM_ONE:
        return s == P - 1 ? 23 + d : 0;
    }
    return 0;
}

typedef struct {
    int32_t source;
    int32_t destination;
    int64_t index; /* position within its (source, destination) group */
    int64_t reply; /* set by the receiver before sending it back */
} record;

/* Messages per pair for records of size bytes: the largest pair count over
 * the per-message limit (records and bytes). */
static int64_t expected_rounds(pattern p, int P, size_t size)
{
    int64_t limit = CVSEG_EXCHANGE_MAX_BYTES / (int64_t)size, rounds = 0;
    limit = limit < CVSEG_EXCHANGE_MAX_COUNT ? limit : CVSEG_EXCHANGE_MAX_COUNT;
    for (int s = 0; s < P; ++s)
        for (int d = 0; d < P; ++d) {
            const int64_t pieces = (traffic(p, s, d, P) + limit - 1) / limit;
            rounds = pieces > rounds ? pieces : rounds;
        }
    return rounds;
}

static int expected_pairwise(pattern p, int P)
{
    for (int r = 0; r < P; ++r) {
        int64_t out = 0, in = 0;
        for (int q = 0; q < P; ++q) {
            out += traffic(p, r, q, P);
            in += traffic(p, q, r, P);
        }
        if (out > CVSEG_EXCHANGE_MAX_DISPLACEMENT || in > CVSEG_EXCHANGE_MAX_DISPLACEMENT)
            return 1;
    }
    return 0;
}

/* 1 when receive [n] holds exactly the records due to this rank, in order. */
static int arrived_in_order(pattern p, const record *receive, int64_t n)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    int64_t at = 0;
    for (int s = 0; s < P; ++s)
        for (int64_t i = 0; i < traffic(p, s, me, P); ++i, ++at)
            if (at >= n || receive[at].source != s || receive[at].destination != me ||
                receive[at].index != i)
                return 0;
    return at == n;
}

static void run_pattern(pattern p)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    int64_t *counts = calloc((size_t)P, sizeof(int64_t));
    CU_ASSERT_FATAL(counts != NULL);
    int64_t send_n = 0;
    for (int d = 0; d < P; ++d)
        send_n += counts[d] = traffic(p, me, d, P);
    record *send = calloc((size_t)(send_n + 1), sizeof(record));
    record *back = calloc((size_t)(send_n + 1), sizeof(record));
    CU_ASSERT_FATAL(send != NULL && back != NULL);
    for (int d = 0, at = 0; d < P; ++d)
        for (int64_t i = 0; i < counts[d]; ++i, ++at)
            send[at] = (record){me, d, i, -1};
    cvseg_exchange_plan plan;
    CU_ASSERT_EQUAL_FATAL(cvseg_exchange_plan_create(cvseg_test_comm, counts, &plan), CVSEG_OK);
    CU_ASSERT_EQUAL(cvseg_exchange_rounds(&plan, sizeof(record)),
                    expected_rounds(p, P, sizeof(record)));
    CU_ASSERT_EQUAL(plan.pairwise, expected_pairwise(p, P));
    CU_ASSERT_EQUAL(plan.send_total, send_n);
    record *receive = calloc((size_t)(plan.recv_total + 1), sizeof(record));
    CU_ASSERT_FATAL(receive != NULL);
    CU_ASSERT_EQUAL(cvseg_exchange_run(cvseg_test_comm, &plan, send, receive, sizeof(record)),
                    CVSEG_OK);
    CU_ASSERT(arrived_in_order(p, receive, plan.recv_total));
    /* Reply: every record goes back to the position it was sent from. */
    for (int64_t t = 0; t < plan.recv_total; ++t)
        receive[t].reply = 1000 * me + receive[t].index;
    cvseg_exchange_plan_reverse(&plan);
    CU_ASSERT_EQUAL(cvseg_exchange_run(cvseg_test_comm, &plan, receive, back, sizeof(record)),
                    CVSEG_OK);
    int64_t wrong = 0;
    for (int64_t t = 0; t < send_n; ++t)
        wrong += back[t].source != me || back[t].destination != send[t].destination ||
                 back[t].index != send[t].index ||
                 back[t].reply != 1000 * send[t].destination + send[t].index;
    CU_ASSERT_EQUAL(wrong, 0);
    cvseg_exchange_plan_free(&plan);
    free(counts);
    free(send);
    free(back);
    free(receive);
}

static void test_mixed(void)
{
    run_pattern(MIXED);
}

static void test_all_to_one(void)
{
    run_pattern(ALL_TO_ONE);
}

static void test_from_one(void)
{
    run_pattern(FROM_ONE);
}

static void test_nothing(void)
{
    run_pattern(NOTHING);
}

static void test_large(void)
{
    run_pattern(LARGE);
}

/* Records of an odd size (3 bytes) keep their bytes and order. */
static void test_odd_record_size(void)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    int64_t *counts = calloc((size_t)P, sizeof(int64_t));
    unsigned char *send = malloc(3 * 20 * (size_t)P), *receive = malloc(3 * 20 * (size_t)P);
    CU_ASSERT_FATAL(counts && send && receive);
    int64_t at = 0;
    for (int d = 0; d < P; ++d) {
        counts[d] = 10 + d;
        for (int64_t i = 0; i < counts[d]; ++i, ++at) {
            send[3 * at] = (unsigned char)me;
            send[3 * at + 1] = (unsigned char)d;
            send[3 * at + 2] = (unsigned char)i;
        }
    }
    cvseg_exchange_plan plan;
    CU_ASSERT_EQUAL_FATAL(cvseg_exchange_plan_create(cvseg_test_comm, counts, &plan), CVSEG_OK);
    CU_ASSERT_EQUAL(plan.recv_total, (int64_t)P * (10 + me));
    CU_ASSERT_EQUAL(cvseg_exchange_run(cvseg_test_comm, &plan, send, receive, 3), CVSEG_OK);
    int64_t wrong = 0;
    at = 0;
    for (int s = 0; s < P; ++s)
        for (int64_t i = 0; i < 10 + me; ++i, ++at)
            wrong += receive[3 * at] != s || receive[3 * at + 1] != me || receive[3 * at + 2] != i;
    CU_ASSERT_EQUAL(wrong, 0);
    cvseg_exchange_plan_free(&plan);
    free(counts);
    free(send);
    free(receive);
}

/* Records of rank s in the routing tests: [routed_count(s)], each with the
 * destination routed_destination(s, i, P). */
static int64_t routed_count(int s)
{
    return 50 + 13 * s;
}

static int routed_destination(int s, int64_t i, int P)
{
    return (int)((i * 7 + s * 3 + i / 5) % P);
}

/* cvseg_exchange_plan_for + cvseg_exchange_records: every record at its
 * destination, grouped by source in rank order, each group in its sender's
 * order (the reference walks every rank's records). */
static void test_records_by_destination(void)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    const int64_t n = routed_count(me);
    record *local = malloc(sizeof(record) * (size_t)n);
    int *destination = malloc(sizeof(int) * (size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        destination[i] = routed_destination(me, i, P);
        local[i] = (record){me, destination[i], i, 0};
    }
    cvseg_exchange_plan plan;
    CU_ASSERT_EQUAL_FATAL(cvseg_exchange_plan_for(cvseg_test_comm, destination, n, &plan),
                          CVSEG_OK);
    record *receive = malloc(sizeof(record) * (size_t)(plan.recv_total + 1));
    CU_ASSERT_EQUAL(cvseg_exchange_records(cvseg_test_comm, &plan, destination, n, local, receive,
                                           sizeof(record)),
                    CVSEG_OK);
    int64_t at = 0, wrong = 0;
    for (int s = 0; s < P; ++s)
        for (int64_t i = 0; i < routed_count(s); ++i)
            if (routed_destination(s, i, P) == me) {
                wrong += at >= plan.recv_total || receive[at].source != s ||
                         receive[at].destination != me || receive[at].index != i;
                ++at;
            }
    CU_ASSERT_EQUAL(at, plan.recv_total);
    CU_ASSERT_EQUAL(wrong, 0);
    cvseg_exchange_plan_free(&plan);
    free(local);
    free(destination);
    free(receive);
}

/* cvseg_exchange_columns: two columns of different sizes and one left out,
 * against the same reference; the local arrays are taken. */
static void test_columns_by_destination(void)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    const int64_t n = routed_count(me);
    int64_t *index = malloc(sizeof(int64_t) * (size_t)n);
    int32_t *source = malloc(sizeof(int32_t) * (size_t)n);
    int *destination = malloc(sizeof(int) * (size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        destination[i] = routed_destination(me, i, P);
        index[i] = i * 3 + 1;
        source[i] = me;
    }
    cvseg_exchange_plan plan;
    CU_ASSERT_EQUAL_FATAL(cvseg_exchange_plan_for(cvseg_test_comm, destination, n, &plan),
                          CVSEG_OK);
    cvseg_exchange_column columns[3] = {
        {index, NULL, sizeof(int64_t)}, {NULL, NULL, 8}, {source, NULL, sizeof(int32_t)}};
    CU_ASSERT_EQUAL(cvseg_exchange_columns(cvseg_test_comm, &plan, destination, n, 3, columns),
                    CVSEG_OK);
    CU_ASSERT_PTR_NULL(columns[0].local);
    CU_ASSERT_PTR_NULL(columns[2].local);
    CU_ASSERT_PTR_NULL(columns[1].received);
    const int64_t *got_index = columns[0].received;
    const int32_t *got_source = columns[2].received;
    int64_t at = 0, wrong = 0;
    for (int s = 0; s < P; ++s)
        for (int64_t i = 0; i < routed_count(s); ++i)
            if (routed_destination(s, i, P) == me) {
                wrong += at >= plan.recv_total || got_index[at] != i * 3 + 1 || got_source[at] != s;
                ++at;
            }
    CU_ASSERT_EQUAL(at, plan.recv_total);
    CU_ASSERT_EQUAL(wrong, 0);
    cvseg_exchange_plan_free(&plan);
    free(columns[0].received);
    free(columns[2].received);
    free(destination);
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Key i of rank s in the splitter test (repeats across ranks). */
static uint64_t split_key(int s, int64_t i)
{
    return (uint64_t)((i * 2654435761u + (uint64_t)s * 40503u) % 997u) << 40;
}

/* Splitter test keys of three shapes: split_key; spread over all 64 bits;
 * mostly one key (the bins holding splitters hold many keys). */
static uint64_t shaped_key(int shape, int s, int64_t i)
{
    const uint64_t k = split_key(s, i);
    return shape == 0      ? k
           : shape == 1    ? (k >> 40) * 0x9E3779B97F4A7C15ULL + (uint64_t)i
           : (k >> 40) % 5 ? 77
                           : k;
}

static void check_range_splitters(int shape)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    int64_t total = 0;
    for (int s = 0; s < P; ++s)
        total += routed_count(s);
    uint64_t *all = malloc(sizeof(uint64_t) * (size_t)total);
    uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)routed_count(me));
    for (int s = 0, at = 0; s < P; ++s)
        for (int64_t i = 0; i < routed_count(s); ++i)
            all[at++] = shaped_key(shape, s, i);
    for (int64_t i = 0; i < routed_count(me); ++i)
        keys[i] = shaped_key(shape, me, i);
    uint64_t splitters[16] = {0};
    CU_ASSERT_FATAL(P <= 17);
    CU_ASSERT_EQUAL(
        cvseg_exchange_range_splitters(cvseg_test_comm, keys, routed_count(me), total, splitters),
        CVSEG_OK);
    qsort(all, (size_t)total, sizeof(uint64_t), compare_u64);
    for (int r = 1; r < P; ++r) {
        const int64_t rank = (r * total + P - 1) / P; /* ceil, 1-based */
        CU_ASSERT_EQUAL(splitters[r - 1], all[rank - 1]);
    }
    free(all);
    free(keys);
}

/* Splitters = the keys of global rank ceil(r * N / P) of the sorted keys,
 * for every key shape (the rounds build gathers at most 3 candidates, so it
 * takes the radix selection). */
static void test_range_splitters(void)
{
    for (int shape = 0; shape < 3; ++shape)
        check_range_splitters(shape);
}

/* cvseg_exchange_plan_by_range + cvseg_exchange_columns_by_range: the keys
 * are the last column and are themselves moved; every record reaches the
 * rank whose range holds its key (the number of splitters below the key),
 * grouped by source in rank order, each group in its sender's order. */
static void test_columns_by_range(void)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    const int64_t n = routed_count(me);
    uint64_t splitters[16];
    CU_ASSERT_FATAL(P <= 17);
    for (int r = 1; r < P; ++r) /* some keys equal a splitter */
        splitters[r - 1] = (uint64_t)(r * 997 / P) << 40;
    int64_t *index = malloc(sizeof(int64_t) * (size_t)n);
    int32_t *source = malloc(sizeof(int32_t) * (size_t)n);
    uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        index[i] = i * 3 + 1;
        source[i] = me;
        keys[i] = split_key(me, i);
    }
    cvseg_exchange_plan plan;
    CU_ASSERT_EQUAL_FATAL(cvseg_exchange_plan_by_range(cvseg_test_comm, splitters, keys, n, &plan),
                          CVSEG_OK);
    cvseg_exchange_column columns[3] = {{index, NULL, sizeof(int64_t)},
                                        {source, NULL, sizeof(int32_t)},
                                        {keys, NULL, sizeof(uint64_t)}};
    CU_ASSERT_EQUAL(
        cvseg_exchange_columns_by_range(cvseg_test_comm, &plan, splitters, keys, n, 3, columns),
        CVSEG_OK);
    const int64_t *got_index = columns[0].received;
    const int32_t *got_source = columns[1].received;
    const uint64_t *got_key = columns[2].received;
    int64_t at = 0, wrong = 0;
    for (int s = 0; s < P; ++s)
        for (int64_t i = 0; i < routed_count(s); ++i) {
            int owner = 0;
            for (int r = 1; r < P; ++r)
                owner += splitters[r - 1] < split_key(s, i);
            if (owner != me)
                continue;
            wrong += at >= plan.recv_total || got_index[at] != i * 3 + 1 || got_source[at] != s ||
                     got_key[at] != split_key(s, i);
            ++at;
        }
    CU_ASSERT_EQUAL(at, plan.recv_total);
    CU_ASSERT_EQUAL(wrong, 0);
    cvseg_exchange_plan_free(&plan);
    for (int c = 0; c < 3; ++c)
        free(columns[c].received);
}

/* The duplicate check rides on the exchange: ids repeated across ranks. */
static void test_duplicates(void)
{
    const int P = cvseg_test_size, me = cvseg_test_rank;
    int64_t keys[40], found = -1, example = 0;
    for (int i = 0; i < 40; ++i)
        keys[i] = (int64_t)(me * 40 + i) * 1000003 - 5000000000LL;
    keys[7] = -5000000000LL; /* rank 0's first key again, on every rank */
    CU_ASSERT_EQUAL(cvseg_mpi_duplicates(cvseg_test_comm, keys, 40, &found, &example), CVSEG_OK);
    CU_ASSERT_EQUAL(found, P);
    CU_ASSERT_EQUAL(example, -5000000000LL);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {{"uneven, empty sender and receiver", test_mixed},
                           {"all to one rank", test_all_to_one},
                           {"one rank to all", test_from_one},
                           {"nothing to move", test_nothing},
                           {"thousands of records per pair", test_large},
                           {"3-byte records", test_odd_record_size},
                           {"records routed by destination", test_records_by_destination},
                           {"columns routed by destination", test_columns_by_destination},
                           {"range splitters", test_range_splitters},
                           {"columns routed by range, keys moved last", test_columns_by_range},
                           {"duplicate check", test_duplicates},
                           CU_TEST_INFO_NULL};
    return cvseg_mpi_test_main(argc, argv, "mpi exchange", tests);
}
