/* test_id_join.c: the distributed join by member id, simulated on P ranks.
 *
 * Each simulated rank holds a chunk of both tables (records: id, global
 * position, payload), counts and packs its records by owner as
 * cvseg_member_scatter does, "exchanges" them (the owner receives the groups
 * of source 0, 1, ... in rank order, as MPI_Alltoallv delivers them), and
 * joins at the owner. The merged answer must equal a brute-force join over
 * the whole tables: each probe record's first build record with the same id,
 * which build rows matched, and the first repeated build id of each owner. */
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x1d701a5ULL
#include "cunit_main.h"
#include "cvseg/id_join.h"
#include "cvseg/rng.h"
#include "test_support.h"

enum { WORDS = 3, MAX_RANKS = 8 }; /* id, global position, payload */

typedef struct {
    int64_t n;
    int64_t *records; /* [n][WORDS] */
} table;

/* One rank's received records, grouped by source rank. */
typedef struct {
    int64_t n;
    int64_t *records; /* [n][WORDS] */
} inbox;

static table table_make(int64_t n, int64_t pool, int shape)
{
    static const int64_t extremes[] = {INT64_MIN, INT64_MAX, -1, 0, 1, INT64_MIN + 1};
    table t = {n, malloc(sizeof(int64_t) * WORDS * (size_t)(n > 0 ? n : 1))};
    for (int64_t i = 0; i < n; ++i) {
        int64_t id;
        if (shape == 0) /* few distinct ids: matches and repeats */
            id = (int64_t)(next_u64() % (uint64_t)pool) - pool / 2;
        else if (shape == 1) /* anywhere in int64: almost never equal */
            id = (int64_t)next_u64();
        else /* extremes mixed with a small pool */
            id = next_u64() % 3 == 0 ? extremes[next_u64() % 6]
                                     : (int64_t)(next_u64() % (uint64_t)pool) * 1000003;
        t.records[i * WORDS] = id;
        t.records[i * WORDS + 1] = i;
        t.records[i * WORDS + 2] = (int64_t)next_u64();
    }
    return t;
}

/* Brute force: match[t] = first build position with probe t's id, or -1;
 * matched[o] = 1 when o is the first position of its id and some probe
 * has it. */
static void brute_force(const table *build, const table *probe, int64_t *match, uint8_t *matched)
{
    memset(matched, 0, (size_t)(build->n > 0 ? build->n : 1));
    for (int64_t t = 0; t < probe->n; ++t) {
        match[t] = -1;
        for (int64_t o = 0; o < build->n && match[t] < 0; ++o)
            if (build->records[o * WORDS] == probe->records[t * WORDS])
                match[t] = o;
        if (match[t] >= 0)
            matched[match[t]] = 1;
    }
}

/* Brute force, per owner rank r of p: the smallest build position whose id
 * appeared at an earlier position, among ids owned by r (mix64 mod p); -1. */
static int64_t brute_first_repeat(const table *build, int p, int r)
{
    for (int64_t j = 0; j < build->n; ++j) {
        const int64_t id = build->records[j * WORDS];
        if ((int)(cvseg_mix64((uint64_t)id) % (uint64_t)p) != r)
            continue;
        for (int64_t i = 0; i < j; ++i)
            if (build->records[i * WORDS] == id)
                return j;
    }
    return -1;
}

/* Every simulated source rank packs its chunk [cuts[s], cuts[s+1]) by owner;
 * inboxes[r] receives the groups for r from sources 0..p-1 in order. */
static void scatter(const table *t, int p, const int64_t *cuts, inbox *inboxes)
{
    for (int r = 0; r < p; ++r)
        inboxes[r] = (inbox){0, malloc(sizeof(int64_t) * WORDS * (size_t)(t->n > 0 ? t->n : 1))};
    for (int s = 0; s < p; ++s) {
        const int64_t n = cuts[s + 1] - cuts[s];
        const int64_t *chunk = t->records + cuts[s] * WORDS;
        int64_t counts[MAX_RANKS], displs[MAX_RANKS], next[MAX_RANKS];
        int64_t *ordered = malloc(sizeof(int64_t) * WORDS * (size_t)(n > 0 ? n : 1));
        cvseg_id_owner_counts(chunk, WORDS, n, p, counts);
        for (int r = 0; r < p; ++r)
            next[r] = displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
        cvseg_id_pack_by_owner(chunk, WORDS, n, p, next, ordered);
        for (int r = 0; r < p; ++r) {
            CVSEG_ASSERT_EQUAL_I64(next[r], displs[r] + counts[r]);
            memcpy(inboxes[r].records + inboxes[r].n * WORDS, ordered + displs[r] * WORDS,
                   sizeof(int64_t) * WORDS * (size_t)counts[r]);
            inboxes[r].n += counts[r];
        }
        free(ordered);
    }
}

/* Records of box not owned by r or out of their sources' order (expected 0).
 * Each group arrives at its owner, and a source's records keep their order. */
static int64_t inbox_errors(const inbox *box, int p, int r)
{
    int64_t errors = 0;
    for (int64_t i = 0; i < box->n; ++i) {
        const int64_t id = box->records[i * WORDS];
        errors += cvseg_id_owner(id, p) != (int)(cvseg_mix64((uint64_t)id) % (uint64_t)p);
        errors += cvseg_id_owner(id, p) != r;
        /* chunks are contiguous in rank order: positions ascend */
        errors += i > 0 && box->records[i * WORDS + 1] <= box->records[(i - 1) * WORDS + 1];
    }
    return errors;
}

/* Joins at every simulated owner and merges into global match / matched
 * (match -2: a probe record joined nowhere). */
static void join_ranks(const table *build, const table *probe, int p, const int64_t *build_cuts,
                       const int64_t *probe_cuts, int64_t *match, uint8_t *matched)
{
    inbox builds[MAX_RANKS], probes[MAX_RANKS];
    scatter(build, p, build_cuts, builds);
    scatter(probe, p, probe_cuts, probes);
    for (int64_t t = 0; t < probe->n; ++t)
        match[t] = -2; /* not joined anywhere yet */
    for (int r = 0; r < p; ++r) {
        CVSEG_ASSERT_EQUAL_I64(inbox_errors(&builds[r], p, r) + inbox_errors(&probes[r], p, r), 0);
        const inbox *b = &builds[r], *q = &probes[r];
        int64_t *local = malloc(sizeof(int64_t) * (size_t)(q->n > 0 ? q->n : 1));
        uint8_t *hit = malloc((size_t)(b->n > 0 ? b->n : 1));
        int64_t duplicate = -7;
        CU_ASSERT_EQUAL(
            cvseg_id_join(b->records, WORDS, b->n, q->records, WORDS, q->n, local, hit, &duplicate),
            CVSEG_OK);
        const int64_t expected = brute_first_repeat(build, p, r);
        CVSEG_ASSERT_EQUAL_I64(duplicate >= 0 ? b->records[duplicate * WORDS + 1] : -1, expected);
        for (int64_t t = 0; t < q->n; ++t) {
            const int64_t global = q->records[t * WORDS + 1];
            match[global] = match[global] != -2 ? -3 /* joined twice */
                            : local[t] >= 0     ? b->records[local[t] * WORDS + 1]
                                                : -1;
        }
        for (int64_t o = 0; o < b->n; ++o)
            matched[b->records[o * WORDS + 1]] = hit[o];
        free(local);
        free(hit);
        free(builds[r].records);
        free(probes[r].records);
    }
}

/* The first t where got [n] differs from want (printing both), or -1. */
static int64_t first_difference(const int64_t *got, const int64_t *want, int64_t n)
{
    for (int64_t t = 0; t < n; ++t)
        if (got[t] != want[t]) {
            fprintf(stderr, "  probe %lld: joined with %lld, expected %lld\n", (long long)t,
                    (long long)got[t], (long long)want[t]);
            return t;
        }
    return -1;
}

static void check_case(int64_t build_n, int64_t probe_n, int64_t pool, int shape)
{
    table build = table_make(build_n, pool, shape), probe = table_make(probe_n, pool, shape);
    if (shape == 1 && build_n > 0) /* a few exact matches among random ids */
        for (int64_t t = 0; t < probe_n; t += 3)
            probe.records[t * WORDS] = build.records[(t % build_n) * WORDS];
    const size_t pn = (size_t)(probe_n > 0 ? probe_n : 1), bn = (size_t)(build_n > 0 ? build_n : 1);
    int64_t *want = malloc(sizeof(int64_t) * pn), *got = malloc(sizeof(int64_t) * pn);
    uint8_t *want_hit = malloc(bn), *got_hit = malloc(bn);
    brute_force(&build, &probe, want, want_hit);
    for (int p = 1; p <= MAX_RANKS; ++p)
        for (int pattern = 0; pattern < 5; ++pattern) {
            int64_t build_cuts[MAX_RANKS + 1], probe_cuts[MAX_RANKS + 1];
            make_cuts(build_n, p, pattern, build_cuts);
            make_cuts(probe_n, p, (pattern + 1) % 5, probe_cuts);
            memset(got_hit, 7, bn);
            join_ranks(&build, &probe, p, build_cuts, probe_cuts, got, got_hit);
            CVSEG_ASSERT_EQUAL_I64(first_difference(got, want, probe_n), -1);
            int64_t hit_errors = 0;
            for (int64_t o = 0; o < build_n; ++o)
                hit_errors += got_hit[o] != want_hit[o];
            CVSEG_ASSERT_EQUAL_I64(hit_errors, 0);
        }
    free(want);
    free(got);
    free(want_hit);
    free(got_hit);
    free(build.records);
    free(probe.records);
}

static void test_repeats_and_missing_ids(void)
{
    check_case(200, 300, 150, 0); /* both sides repeat ids; some probes miss */
    check_case(60, 40, 1000, 0);
    check_case(1, 50, 4, 0);
}

static void test_extreme_ids(void)
{
    check_case(120, 90, 20, 2); /* INT64_MIN, INT64_MAX, -1, 0 among others */
    check_case(150, 150, 1, 1); /* random 64-bit ids, some copied across */
}

static void test_empty_inputs(void)
{
    check_case(0, 0, 10, 0);
    check_case(0, 25, 10, 0); /* nothing to join with: every probe misses */
    check_case(25, 0, 10, 0); /* nothing probes: no build row matched */
}

/* Many records on one owner: the index grows and probes wrap around. */
static void test_large_single_owner(void)
{
    check_case(2500, 2000, 3000, 0);
}

static void test_index_find_and_duplicate(void)
{
    const int64_t ids[] = {5, INT64_MIN, 5, INT64_MAX, -1, INT64_MIN};
    cvseg_id_index index = {0};
    int64_t duplicate = 0;
    CU_ASSERT_EQUAL(cvseg_id_index_build(&index, ids, 1, 6, &duplicate), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(duplicate, 2);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, 5), 0);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, INT64_MIN), 1);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, INT64_MAX), 3);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, -1), 4);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, 0), -1);
    CU_ASSERT(index.capacity >= 16);
    cvseg_id_index_free(&index);
    CU_ASSERT_PTR_NULL(index.key);
    CU_ASSERT_EQUAL(cvseg_id_index_build(&index, ids, 1, 0, &duplicate), CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(duplicate, -1);
    CVSEG_ASSERT_EQUAL_I64(cvseg_id_index_find(&index, 5), -1);
    cvseg_id_index_free(&index);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"repeated and missing ids, P = 1..8 simulated ranks", test_repeats_and_missing_ids},
        {"extreme and random 64-bit ids", test_extreme_ids},
        {"empty inputs on either side", test_empty_inputs},
        {"large tables", test_large_single_owner},
        {"index: find, first duplicate, empty", test_index_find_and_duplicate},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("id_join", tests);
}
