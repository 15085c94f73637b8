/* test_cluster_names.c: the cluster naming rule (cluster_names.h): one to
 * one by the optimal assignment when k equals the number of names (checked
 * against an independent brute force over all permutations), nearest
 * prototype with rank suffixes otherwise, deterministic ties, and the
 * airline case (high F/M: important_keep, high C: important_develop). */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x5EEDC1A5ULL
#include "test_support.h"
#include "cvseg/cluster_names.h"

static const cvseg_prototype_table *const lrfmc = &cvseg_prototypes_lrfmc;
static const cvseg_prototype_table *const rfm = &cvseg_prototypes_rfm;

/* Index of a name in a table, or -1. */
static int name_index(const cvseg_prototype_table *t, const char *name)
{
    for (int q = 0; q < t->p; ++q)
        if (strcmp(t->names[q], name) == 0)
            return q;
    return -1;
}

/* The textbook LRFMC centres (L, R, F, M, C in z units, value order): the
 * high F/M group, the high C group, the long-standing group, the new
 * members and the lost ones. */
static void test_airline_names(void)
{
    const double centres[5][5] = {{0.48, -0.80, 2.48, 2.42, 0.31},
                                  {0.05, -0.00, -0.23, -0.23, 2.19},
                                  {1.16, -0.38, -0.09, -0.10, -0.16},
                                  {-0.70, -0.41, -0.16, -0.16, -0.26},
                                  {-0.31, 1.69, -0.57, -0.54, -0.17}};
    int name[5], rank[5];
    CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(&centres[0][0], 5, 5, lrfmc->pattern, 5, name, rank),
                          CVSEG_OK);
    CU_ASSERT_STRING_EQUAL(lrfmc->names[name[0]], "important_keep");
    CU_ASSERT_STRING_EQUAL(lrfmc->names[name[1]], "important_develop");
    CU_ASSERT_STRING_EQUAL(lrfmc->names[name[2]], "important_retain");
    CU_ASSERT_STRING_EQUAL(lrfmc->names[name[3]], "general");
    CU_ASSERT_STRING_EQUAL(lrfmc->names[name[4]], "low_value");
    for (int c = 0; c < 5; ++c)
        CU_ASSERT_EQUAL(rank[c], 1);
}

/* Summed squared distance of an assignment. */
static double assignment_cost(const double *centres, const double (*prototypes)[CVSEG_PROTOTYPE_D],
                              int k, int d, const int *name)
{
    double sum = 0.0;
    for (int c = 0; c < k; ++c)
        for (int j = 0; j < d; ++j) {
            const double delta = centres[c * d + j] - prototypes[name[c]][j];
            sum += delta * delta;
        }
    return sum;
}

/* Independent reference: Heap's algorithm over all 8! permutations. */
static double best_by_heap(const double *centres, const double (*prototypes)[CVSEG_PROTOTYPE_D],
                           int k, int d)
{
    int a[8], counter[8] = {0};
    for (int i = 0; i < k; ++i)
        a[i] = i;
    double best = assignment_cost(centres, prototypes, k, d, a);
    for (int i = 1; i < k;) {
        if (counter[i] < i) {
            const int j = i % 2 == 0 ? 0 : counter[i];
            const int t = a[j];
            a[j] = a[i];
            a[i] = t;
            const double cost = assignment_cost(centres, prototypes, k, d, a);
            best = cost < best ? cost : best;
            counter[i] += 1;
            i = 1;
        } else {
            counter[i] = 0;
            i += 1;
        }
    }
    return best;
}

/* k == 8 (RFM): names are a permutation and the cost is the minimum. */
static void test_one_to_one_is_optimal(void)
{
    for (int trial = 0; trial < 40; ++trial) {
        double centres[8 * 3];
        for (int i = 0; i < 8 * 3; ++i)
            centres[i] = 3.0 * next_uniform() - 1.5;
        int name[8], rank[8], seen[8] = {0};
        CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(centres, 8, 3, rfm->pattern, 8, name, rank),
                              CVSEG_OK);
        for (int c = 0; c < 8; ++c) {
            seen[name[c]] += 1;
            CU_ASSERT_EQUAL(rank[c], 1);
        }
        for (int q = 0; q < 8; ++q)
            CU_ASSERT_EQUAL(seen[q], 1);
        const double got = assignment_cost(centres, rfm->pattern, 8, 3, name);
        const double best = best_by_heap(centres, rfm->pattern, 8, 3);
        CU_ASSERT(got <= best * (1.0 + 1e-12) + 1e-300);
    }
}

/* Two clusters near one prototype: sign rules would name both alike; the
 * assignment names them apart. */
static void test_no_two_clusters_share_a_name(void)
{
    double centres[5][5];
    for (int c = 0; c < 5; ++c)
        memcpy(centres[c], lrfmc->pattern[c], sizeof centres[c]);
    centres[3][0] = 0.1; /* general */
    memcpy(centres[4], centres[3], sizeof centres[4]);
    centres[4][1] = 0.2; /* also near general */
    int name[5], rank[5];
    CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(&centres[0][0], 5, 5, lrfmc->pattern, 5, name, rank),
                          CVSEG_OK);
    for (int a = 0; a < 5; ++a)
        for (int b = a + 1; b < 5; ++b)
            CU_ASSERT_NOT_EQUAL(name[a], name[b]);
    CU_ASSERT_EQUAL(name[0], name_index(lrfmc, "important_keep"));
}

/* Other k: nearest prototype, rank suffix in engine (value) order. */
static void test_suffix_rule(void)
{
    const double centres[4][3] = {
        {-1.2, 1.1, 0.9}, {-0.8, 0.7, 1.3}, {1.1, -1.0, -0.9}, {-0.9, 1.2, 0.8}};
    int name[4], rank[4];
    CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(&centres[0][0], 4, 3, rfm->pattern, 8, name, rank),
                          CVSEG_OK);
    const int value = name_index(rfm, "important_value");
    CU_ASSERT_EQUAL(name[0], value);
    CU_ASSERT_EQUAL(name[1], value);
    CU_ASSERT_EQUAL(name[2], name_index(rfm, "general_retain"));
    CU_ASSERT_EQUAL(name[3], value);
    CU_ASSERT_EQUAL(rank[0], 1);
    CU_ASSERT_EQUAL(rank[1], 2);
    CU_ASSERT_EQUAL(rank[2], 1);
    CU_ASSERT_EQUAL(rank[3], 3);
    char text[64];
    cvseg_cluster_name_format(rfm->names[name[1]], rank[1], text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "important_value_2");
    cvseg_cluster_name_format(rfm->names[name[0]], rank[0], text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "important_value");
}

/* Ties: centres at the origin are equally far from every RFM prototype, so
 * every permutation costs the same: the first (identity) wins, and for
 * other k the lowest index, every time. */
static void test_ties_deterministic(void)
{
    double centres[8 * 3] = {0};
    int name[8], rank[8];
    for (int run = 0; run < 3; ++run) {
        CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(centres, 8, 3, rfm->pattern, 8, name, rank),
                              CVSEG_OK);
        for (int c = 0; c < 8; ++c)
            CU_ASSERT_EQUAL(name[c], c);
        CU_ASSERT_EQUAL_FATAL(cvseg_cluster_names(centres, 3, 3, rfm->pattern, 8, name, rank),
                              CVSEG_OK);
        for (int c = 0; c < 3; ++c) {
            CU_ASSERT_EQUAL(name[c], 0);
            CU_ASSERT_EQUAL(rank[c], c + 1);
        }
    }
    CU_ASSERT_NOT_EQUAL(cvseg_cluster_names(centres, 0, 3, rfm->pattern, 8, name, rank), CVSEG_OK);
}

/* The help text holds every name of both tables. */
static void test_table_text(void)
{
    char text[4096];
    cvseg_prototype_tables_text(text, sizeof text);
    for (int q = 0; q < lrfmc->p; ++q)
        CU_ASSERT_PTR_NOT_NULL(strstr(text, lrfmc->names[q]));
    for (int q = 0; q < rfm->p; ++q)
        CU_ASSERT_PTR_NOT_NULL(strstr(text, rfm->names[q]));
    char small[16];
    cvseg_prototype_tables_text(small, sizeof small);
    CU_ASSERT(strlen(small) < sizeof small);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"airline centres: high F/M important_keep, high C important_develop", test_airline_names},
        {"k == names: a permutation of minimum cost (vs Heap's algorithm)",
         test_one_to_one_is_optimal},
        {"k == names: two clusters near one prototype get different names",
         test_no_two_clusters_share_a_name},
        {"other k: nearest prototype, _2/_3 suffix by value order", test_suffix_rule},
        {"ties: first permutation, lowest index", test_ties_deterministic},
        {"prototype table text", test_table_text},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("cluster_names", tests);
}
