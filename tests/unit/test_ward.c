/* test_ward.c: Ward agglomeration of weighted points against a brute-force
 * reference (every merge the pair with the smallest increase of the within
 * sum of squares computed from the member points themselves), the cut, and
 * the distance-ratio rule on planted groups. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#define TEST_SEED 0x3A7DULL
#include "test_support.h"
#include "cvseg/ward.h"

enum { M = 24, D = 2 };

/* Within sum of squares of the points whose owner is g (weights as counts). */
static double within(const double *p, const double *w, const int *owner, int g)
{
    double c[D] = {0}, total = 0.0, ss = 0.0;
    for (int i = 0; i < M; ++i)
        if (owner[i] == g) {
            total += w[i];
            for (int j = 0; j < D; ++j)
                c[j] += w[i] * p[i * D + j];
        }
    for (int i = 0; i < M; ++i)
        if (owner[i] == g)
            for (int j = 0; j < D; ++j)
                ss += w[i] * (p[i * D + j] - c[j] / total) * (p[i * D + j] - c[j] / total);
    return ss;
}

static void test_against_brute_force(void)
{
    double p[M * D], w[M];
    int owner[M];
    cvseg_ward_merge merges[M - 1];
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < D; ++j)
            p[i * D + j] = 10.0 * (i % 3) + next_normal();
        w[i] = 1.0 + (double)(next_u64() % 5);
        owner[i] = i;
    }
    CU_ASSERT_FATAL(cvseg_ward(p, w, M, D, merges) == CVSEG_OK);
    for (int step = 0; step < M - 1; ++step) {
        double best = INFINITY;
        int ba = -1, bb = -1;
        for (int a = 0; a < M; ++a)
            for (int b = a + 1; b < M; ++b) {
                if (owner[a] != a || owner[b] != b)
                    continue;
                int trial[M];
                memcpy(trial, owner, sizeof trial);
                for (int i = 0; i < M; ++i)
                    trial[i] = trial[i] == b ? a : trial[i];
                const double cost =
                    within(p, w, trial, a) - within(p, w, owner, a) - within(p, w, owner, b);
                if (cost < best) {
                    best = cost;
                    ba = a;
                    bb = b;
                }
            }
        CU_ASSERT(merges[step].a == ba && merges[step].b == bb);
        CU_ASSERT(fabs(merges[step].cost - best) <= 1e-9 * (1.0 + best));
        for (int i = 0; i < M; ++i)
            owner[i] = owner[i] == bb ? ba : owner[i];
    }
    /* merge costs of Ward never decrease (monotone) */
    for (int step = 1; step < M - 1; ++step)
        CU_ASSERT(merges[step].cost >= merges[step - 1].cost * (1.0 - 1e-12));
}

static void test_cut_and_ratio(void)
{
    double p[M * D], w[M], ratio[M + 1], centres[3 * D], weight[3];
    int group[M];
    cvseg_ward_merge merges[M - 1];
    for (int i = 0; i < M; ++i) { /* three far groups: i mod 3 */
        for (int j = 0; j < D; ++j)
            p[i * D + j] = 100.0 * (i % 3) + next_normal();
        w[i] = 1.0;
    }
    CU_ASSERT_FATAL(cvseg_ward(p, w, M, D, merges) == CVSEG_OK);
    CU_ASSERT(cvseg_ward_choose_k(merges, M, 10, ratio) == 3);
    CU_ASSERT(ratio[3] > 100.0 && ratio[0] == 0.0);
    cvseg_ward_cut(p, w, M, D, merges, 3, group, centres, weight);
    for (int i = 0; i < M; ++i)
        CU_ASSERT(group[i] == i % 3); /* numbered by smallest point index */
    for (int g = 0; g < 3; ++g) {
        CU_ASSERT(weight[g] == M / 3);
        CU_ASSERT(fabs(centres[g * D] - 100.0 * g) < 2.0);
    }
    CU_ASSERT(cvseg_ward(p, w, 0, D, merges) == CVSEG_EUSAGE);
    w[5] = 0.0;
    CU_ASSERT(cvseg_ward(p, w, M, D, merges) == CVSEG_EUSAGE);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"merges equal a brute-force Ward on the member points", test_against_brute_force},
        {"cut and distance-ratio rule on three planted groups", test_cut_and_ratio},
        CU_TEST_INFO_NULL,
    };
    return cvseg_run_cunit("ward", tests);
}
