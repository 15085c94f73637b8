/* test_member_scatter.c: records to the owner of their member id
 * (member_scatter.h) on 1, 2 and 4 ranks.
 *
 * Every rank can regenerate every rank's records, so it knows what it must
 * receive without asking: the records whose id it owns (mix64(id) mod P),
 * grouped by source rank in rank order, each group in its sender's order.
 * Replies sent back through the reversed plan must reach every sent record
 * exactly once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/exchange.h"
#include "cvseg/member_scatter.h"
#include "cvseg/rng.h"
#include "mpi_test_main.h"

enum { WORDS = 4 }; /* id, source rank, position at the source, payload */

/* Records of rank s (allocated [*n][WORDS]): uneven counts, rank 1 none, ids
 * from a shared pool (repeats across ranks) and the int64 extremes. */
static int64_t *records_of(int s, int64_t *n)
{
    static const int64_t extremes[] = {INT64_MIN, INT64_MAX, -1, 0};
    *n = s == 1 ? 0 : 5 + (s * 37) % 53;
    int64_t *r = malloc(sizeof(int64_t) * WORDS * (size_t)(*n > 0 ? *n : 1));
    for (int64_t i = 0; i < *n; ++i) {
        const uint64_t h = cvseg_mix64((uint64_t)(s * 1000 + i));
        r[i * WORDS] = h % 5 == 0 ? extremes[h % 4] : (int64_t)(h % 97) - 40;
        r[i * WORDS + 1] = s;
        r[i * WORDS + 2] = i;
        r[i * WORDS + 3] = (int64_t)h;
    }
    return r;
}

static int owner_of(int64_t id, int ranks)
{
    return (int)(cvseg_mix64((uint64_t)id) % (uint64_t)ranks);
}

/* 1 when received [n][WORDS] is exactly what this rank must receive. */
static int received_as_expected(const int64_t *received, int64_t n)
{
    int64_t at = 0;
    int ok = 1;
    for (int s = 0; s < cvseg_test_size && ok; ++s) {
        int64_t count = 0;
        int64_t *r = records_of(s, &count);
        for (int64_t i = 0; i < count && ok; ++i) {
            if (owner_of(r[i * WORDS], cvseg_test_size) != cvseg_test_rank)
                continue;
            ok = at < n &&
                 memcmp(received + at * WORDS, r + i * WORDS, sizeof(int64_t) * WORDS) == 0;
            at += 1;
        }
        free(r);
    }
    return ok && at == n;
}

static void test_records_reach_owners_and_replies_return(void)
{
    int64_t n = 0, received_n = -1;
    int64_t *mine = records_of(cvseg_test_rank, &n), *received = NULL, *returned = NULL;
    cvseg_exchange_plan plan = {0};
    CU_ASSERT_EQUAL(cvseg_member_scatter(cvseg_test_comm, cvseg_test_size, WORDS, mine, n,
                                         &received, &received_n, &plan),
                    CVSEG_OK);
    CU_ASSERT(received_as_expected(received, received_n));
    CVSEG_ASSERT_EQUAL_I64(cvseg_test_sum_i64(received_n), cvseg_test_sum_i64(n));
    for (int64_t t = 0; t < received_n; ++t) /* the reply: the owner's rank */
        received[t * WORDS + 3] = cvseg_test_rank;
    returned = malloc(sizeof(int64_t) * WORDS * (size_t)(n > 0 ? n : 1));
    cvseg_exchange_plan_reverse(&plan);
    CU_ASSERT_EQUAL(
        cvseg_exchange_run(cvseg_test_comm, &plan, received, returned, sizeof(int64_t) * WORDS),
        CVSEG_OK);
    uint8_t *seen = calloc((size_t)(n > 0 ? n : 1), 1);
    for (int64_t t = 0; t < n; ++t) {
        const int64_t *reply = returned + t * WORDS, i = reply[2];
        CVSEG_ASSERT_EQUAL_I64(reply[1], cvseg_test_rank);
        CU_ASSERT_FATAL(i >= 0 && i < n);
        CVSEG_ASSERT_EQUAL_I64(reply[0], mine[i * WORDS]);
        CVSEG_ASSERT_EQUAL_I64(reply[3], owner_of(mine[i * WORDS], cvseg_test_size));
        CU_ASSERT_EQUAL(seen[i], 0);
        seen[i] = 1;
    }
    cvseg_exchange_plan_free(&plan);
    free(seen);
    free(mine);
    free(received);
    free(returned);
}

/* No records anywhere: nothing moves, every rank succeeds. */
static void test_nothing_to_send(void)
{
    int64_t *received = NULL, received_n = -1;
    cvseg_exchange_plan plan = {0};
    CU_ASSERT_EQUAL(cvseg_member_scatter(cvseg_test_comm, cvseg_test_size, WORDS, NULL, 0,
                                         &received, &received_n, &plan),
                    CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(received_n, 0);
    cvseg_exchange_plan_free(&plan);
    free(received);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {{"records reach their owners; replies return",
                            test_records_reach_owners_and_replies_return},
                           {"nothing to send", test_nothing_to_send},
                           CU_TEST_INFO_NULL};
    return cvseg_mpi_test_main(argc, argv, "mpi member scatter", tests);
}
