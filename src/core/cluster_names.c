/* cluster_names.c: prototype tables and the cluster naming rule. */
#include "cvseg/cluster_names.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

/* LRFMC (methods.md 4): L, R, F, M, C in z units. */
const cvseg_prototype_table cvseg_prototypes_lrfmc = {
    "lrfmc",
    5,
    5,
    {"length", "recency", "frequency", "mileage", "discount"},
    {"important_keep", "important_develop", "important_retain", "general", "low_value"},
    {
        {0, -1, +1, +1, +1}, /* C, F, M high; flew recently */
        {0, -1, 0, 0, +1},   /* C high, recent; F and M not (yet) high */
        {+1, +1, 0, 0, 0},   /* long-standing members who have not flown lately */
        {0, 0, 0, 0, 0},     /* middle values */
        {-1, +1, -1, -1, -1} /* C, F, M, L low, R high */
    }};

/* RFM value segments (methods.md 3): High = +1 (R: fewer days, -1). */
const cvseg_prototype_table cvseg_prototypes_rfm = {
    "rfm",
    8,
    3,
    {"recency", "frequency", "monetary"},
    {"important_value", "important_develop", "important_keep", "important_retain", "general_value",
     "general_develop", "general_keep", "general_retain"},
    {{-1, +1, +1},
     {-1, -1, +1},
     {+1, +1, +1},
     {+1, -1, +1},
     {-1, +1, -1},
     {-1, -1, -1},
     {+1, +1, -1},
     {+1, -1, -1}}};

/* Squared distance between centre c and prototype q. */
static double names_cost(const double *centres, const double (*prototypes)[CVSEG_PROTOTYPE_D],
                         int d, int c, int q)
{
    double sum = 0.0;
    for (int j = 0; j < d; ++j) {
        const double delta = centres[c * d + j] - prototypes[q][j];
        sum += delta * delta;
    }
    return sum;
}

typedef struct {
    const double *cost; /* [k][k] */
    int k;
    int current[CVSEG_PROTOTYPES_MAX];
    int used[CVSEG_PROTOTYPES_MAX];
    int best[CVSEG_PROTOTYPES_MAX];
    double best_cost;
} names_search;

/* Depth-first over permutations in lexicographic order; only a strictly
 * lower total replaces the best, so ties keep the first permutation. The
 * total is summed over clusters 0..k-1 in that order for every permutation. */
static void names_permute(names_search *s, int c, double partial)
{
    if (c == s->k) {
        if (partial < s->best_cost) {
            s->best_cost = partial;
            memcpy(s->best, s->current, sizeof s->best);
        }
        return;
    }
    for (int q = 0; q < s->k; ++q) {
        if (s->used[q])
            continue;
        s->used[q] = 1;
        s->current[c] = q;
        names_permute(s, c + 1, partial + s->cost[c * s->k + q]);
        s->used[q] = 0;
    }
}

cvseg_status cvseg_cluster_names(const double *centres, int k, int d,
                                 const double (*prototypes)[CVSEG_PROTOTYPE_D], int p, int *name,
                                 int *rank)
{
    cvseg_status status = CVSEG_OK;
    if (k < 1 || p < 1 || d < 1 || d > CVSEG_PROTOTYPE_D || p > CVSEG_PROTOTYPES_MAX) {
        status =
            CVSEG_FAIL(CVSEG_EINTERNAL, "cluster names: k %d, p %d, d %d out of range", k, p, d);
        goto done;
    }
    if (k == p) {
        double cost[CVSEG_PROTOTYPES_MAX * CVSEG_PROTOTYPES_MAX];
        names_search s = {cost, k, {0}, {0}, {0}, DBL_MAX};
        for (int c = 0; c < k; ++c)
            for (int q = 0; q < k; ++q)
                cost[c * k + q] = names_cost(centres, prototypes, d, c, q);
        names_permute(&s, 0, 0.0);
        memcpy(name, s.best, sizeof(int) * (size_t)k);
    } else {
        for (int c = 0; c < k; ++c) {
            int nearest = 0;
            double nearest_cost = names_cost(centres, prototypes, d, c, 0);
            for (int q = 1; q < p; ++q) {
                const double cost = names_cost(centres, prototypes, d, c, q);
                if (cost < nearest_cost) {
                    nearest = q;
                    nearest_cost = cost;
                }
            }
            name[c] = nearest;
        }
    }
    for (int c = 0; c < k; ++c) {
        rank[c] = 1;
        for (int before = 0; before < c; ++before)
            rank[c] += name[before] == name[c];
    }
done:
    return status;
}

void cvseg_cluster_name_format(const char *base, int rank, char *out, size_t size)
{
    if (rank > 1)
        snprintf(out, size, "%s_%d", base, rank);
    else
        snprintf(out, size, "%s", base);
}

/* Appends one table to out at *used. */
static void names_table_text(const cvseg_prototype_table *t, char *out, size_t size, size_t *used)
{
    int n = snprintf(out + *used, size - *used, "  %-20s", t->feature_set);
    *used += n > 0 && (size_t)n < size - *used ? (size_t)n : 0;
    for (int j = 0; j < t->d; ++j) {
        n = snprintf(out + *used, size - *used, " %9s", t->feature_names[j]);
        *used += n > 0 && (size_t)n < size - *used ? (size_t)n : 0;
    }
    for (int q = 0; q < t->p; ++q) {
        n = snprintf(out + *used, size - *used, "\n    %-18s", t->names[q]);
        *used += n > 0 && (size_t)n < size - *used ? (size_t)n : 0;
        for (int j = 0; j < t->d; ++j) {
            const double v = t->pattern[q][j];
            n = v == 0.0 ? snprintf(out + *used, size - *used, " %9s", "0")
                         : snprintf(out + *used, size - *used, " %+9.0f", v);
            *used += n > 0 && (size_t)n < size - *used ? (size_t)n : 0;
        }
    }
    n = snprintf(out + *used, size - *used, "\n");
    *used += n > 0 && (size_t)n < size - *used ? (size_t)n : 0;
}

void cvseg_prototype_tables_text(char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    names_table_text(&cvseg_prototypes_lrfmc, out, size, &used);
    names_table_text(&cvseg_prototypes_rfm, out, size, &used);
}
