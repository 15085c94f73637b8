/* test_ward.c: Ward agglomeration of weighted points against a brute-force
 * reference (every merge the pair with the smallest increase of the within
 * sum of squares computed from the member points themselves), the cut, and
 * the distance-ratio rule on planted groups; the silhouette of weighted points
 * against scikit-learn (constants below) and a brute force on the expanded
 * members, and the silhouette rule on planted groups of unequal size and
 * spread. */
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

/* Seven weighted points in three groups; expected values from scikit-learn
 * 1.2.1 on the expanded data (each point repeated weight times):
 *   P = [[0,0],[1,.5],[.2,1.1],[5,5],[5.5,4.2],[9,0],[9.3,.4]]
 *   w = [3,1,2,4,1,1,2]; X = np.repeat(P, w, axis=0)
 *   silhouette_score(X, np.repeat([0,0,0,1,1,2,2], w))  -> 0.9119561003512427
 *   silhouette_score(X, np.repeat([0,0,0,1,1,1,1], w))  -> 0.691476310509273 */
static void test_silhouette_sklearn(void)
{
    const double p[] = {0, 0, 1, 0.5, 0.2, 1.1, 5, 5, 5.5, 4.2, 9, 0, 9.3, 0.4};
    const double w[] = {3, 1, 2, 4, 1, 1, 2};
    const int three[] = {0, 0, 0, 1, 1, 2, 2}, two[] = {0, 0, 0, 1, 1, 1, 1};
    const double s3 = cvseg_ward_silhouette(p, w, 7, 2, three, 3);
    const double s2 = cvseg_ward_silhouette(p, w, 7, 2, two, 2);
    CU_ASSERT(fabs(s3 - 0.9119561003512427) <= 1e-12);
    CU_ASSERT(fabs(s2 - 0.691476310509273) <= 1e-12);
    const int alone[] = {0, 0, 0, 0, 0, 0, 1}; /* a group of one member: s = 0 there */
    const double w1[] = {3, 1, 2, 4, 1, 1, 1};
    CU_ASSERT(cvseg_ward_silhouette(p, w1, 7, 2, alone, 2) < 0.5);
}

/* Silhouette of the expanded members, straight from the definition. */
static double expanded_silhouette(const double *p, const double *w, const int *group, int m)
{
    enum { MAX_MEMBERS = 256 };
    int owner[MAX_MEMBERS], n = 0;
    for (int i = 0; i < m; ++i)
        for (int c = 0; c < (int)w[i]; ++c)
            owner[n++] = i;
    double total = 0.0;
    for (int x = 0; x < n; ++x) {
        double a = 0.0, b = INFINITY, own = 0.0;
        for (int h = 0; h < 8; ++h) {
            double sum = 0.0, count = 0.0;
            for (int y = 0; y < n; ++y)
                if (group[owner[y]] == h && y != x) {
                    const double *u = p + owner[x] * D, *v = p + owner[y] * D;
                    sum += sqrt((u[0] - v[0]) * (u[0] - v[0]) + (u[1] - v[1]) * (u[1] - v[1]));
                    count += 1.0;
                }
            if (h == group[owner[x]]) {
                a = count > 0.0 ? sum / count : 0.0;
                own = count;
            } else if (count > 0.0 && sum / count < b)
                b = sum / (count + 0.0);
        }
        if (own > 0.0 && (a > 0.0 || b > 0.0))
            total += (b - a) / (a > b ? a : b);
    }
    return total / n;
}

static void test_silhouette_brute_force(void)
{
    double p[M * D], w[M], centres[M * D], weight[M];
    int group[M];
    cvseg_ward_merge merges[M - 1];
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < D; ++j)
            p[i * D + j] = 4.0 * (i % 4) * (j + 1) + next_normal();
        w[i] = 1.0 + (double)(next_u64() % 8);
    }
    CU_ASSERT_FATAL(cvseg_ward(p, w, M, D, merges) == CVSEG_OK);
    for (int k = 2; k <= 8; ++k) {
        cvseg_ward_cut(p, w, M, D, merges, k, group, centres, weight);
        const double s = cvseg_ward_silhouette(p, w, M, D, group, k);
        const double ref = expanded_silhouette(p, w, group, M);
        CU_ASSERT(fabs(s - ref) <= 1e-12);
    }
}

/* Five planted groups tiled by points as K-Means pre-clusters tile them: a
 * big one (6 x 6 points of 100 members, spacing 0.5) and four small ones
 * around it (3 x 3 points of 10 members, spacing 0.3). The silhouette rule
 * finds 5 (scikit-learn on the expanded members agrees: 0.695 at k = 5,
 * 0.683 at 2); the distance-ratio rule chooses 7 here. */
static void test_silhouette_rule(void)
{
    enum { BIG = 36, SMALL = 9, POINTS = BIG + 4 * SMALL, K_MAX = 10 };
    static const double corner[4][D] = {{7, 1.25}, {1.25, 7}, {-4.5, 1.25}, {1.25, -4.5}};
    double p[POINTS * D], w[POINTS], s[POINTS + 1], ratio[POINTS + 1];
    cvseg_ward_merge merges[POINTS - 1];
    for (int i = 0; i < BIG; ++i) {
        p[i * D] = 0.5 * (i / 6);
        p[i * D + 1] = 0.5 * (i % 6);
        w[i] = 100.0;
    }
    for (int i = BIG; i < POINTS; ++i) {
        const int g = (i - BIG) / SMALL, cell = (i - BIG) % SMALL;
        p[i * D] = corner[g][0] + 0.3 * (cell / 3);
        p[i * D + 1] = corner[g][1] + 0.3 * (cell % 3);
        w[i] = 10.0;
    }
    CU_ASSERT_FATAL(cvseg_ward(p, w, POINTS, D, merges) == CVSEG_OK);
    CU_ASSERT(cvseg_ward_choose_k_silhouette(p, w, POINTS, D, merges, K_MAX, 0.0, s) == 5);
    CU_ASSERT(cvseg_ward_choose_k_silhouette(p, w, POINTS, D, merges, K_MAX, 0.02, s) == 5);
    /* a tolerance that reaches down to S(10) = 0.43 chooses k = 10 */
    CU_ASSERT(cvseg_ward_choose_k_silhouette(p, w, POINTS, D, merges, K_MAX, 0.3, s) == K_MAX);
    CU_ASSERT(fabs(s[5] - 0.695) < 5e-4 && fabs(s[2] - 0.683) < 5e-4);
    CU_ASSERT(s[0] == 0.0 && s[1] == 0.0 && s[K_MAX + 1] == 0.0);
    CU_ASSERT(cvseg_ward_choose_k(merges, POINTS, K_MAX, ratio) == 7);
    CU_ASSERT(cvseg_ward_choose_k_silhouette(p, w, 1, D, merges, K_MAX, 0.0, s) == 1);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"merges equal a brute-force Ward on the member points", test_against_brute_force},
        {"cut and distance-ratio rule on three planted groups", test_cut_and_ratio},
        {"silhouette of weighted points equals scikit-learn", test_silhouette_sklearn},
        {"silhouette equals a brute force on the expanded members", test_silhouette_brute_force},
        {"silhouette rule finds unequal planted groups", test_silhouette_rule},
        CU_TEST_INFO_NULL,
    };
    return cvseg_run_cunit("ward", tests);
}
