/* cluster_names.h: naming K-Means clusters after a documented prototype table.
 *
 * A prototype is a centroid pattern in z units (the global mean is 0): +1 a
 * feature well above the mean, -1 well below, 0 at the mean. A feature set
 * with names (LRFMC: 5, RFM: 8) has one prototype per name. Pure C.
 */
#ifndef CVSEG_CLUSTER_NAMES_H
#define CVSEG_CLUSTER_NAMES_H

#include <stddef.h>

#include "cvseg/status.h"

#define CVSEG_PROTOTYPES_MAX 8 /* names of a feature set (k == names: one to one) */
#define CVSEG_PROTOTYPE_D    5 /* features a prototype table covers */

/* One feature set's names: pattern[p][j] is the z value of feature
 * feature_names[j] in prototype p (named names[p]). */
typedef struct {
    const char *feature_set; /* "lrfmc" or "rfm" */
    int p;                   /* prototypes (names) */
    int d;                   /* features */
    const char *feature_names[CVSEG_PROTOTYPE_D];
    const char *names[CVSEG_PROTOTYPES_MAX];
    double pattern[CVSEG_PROTOTYPES_MAX][CVSEG_PROTOTYPE_D];
} cvseg_prototype_table;

extern const cvseg_prototype_table cvseg_prototypes_lrfmc; /* length recency frequency mileage
                                                              discount */
extern const cvseg_prototype_table cvseg_prototypes_rfm;   /* recency frequency monetary */

/* Names k clusters. centres [k][d] in z units, in engine order (descending
 * value), columns in the table's feature order; prototypes [p][d].
 * - k == p (p <= CVSEG_PROTOTYPES_MAX): one to one, the permutation that
 *   minimises the summed squared distance between centres and their
 *   prototypes; ties: the lexicographically first permutation (cluster 0's
 *   prototype index lowest first).
 * - otherwise: each cluster its nearest prototype (ties: lowest index).
 * Out: name[k] prototype index; rank[k] = 1 + the clusters before it (lower
 * engine index, i.e. higher value) with the same name (suffix _2, _3, ...).
 * CVSEG_EINTERNAL for k < 1, p < 1, d outside 1..CVSEG_PROTOTYPE_D or
 * p > CVSEG_PROTOTYPES_MAX. */
cvseg_status cvseg_cluster_names(const double *centres, int k, int d,
                                 const double (*prototypes)[CVSEG_PROTOTYPE_D], int p, int *name,
                                 int *rank);

/* The display name of a cluster: base, or base_RANK when rank > 1. */
void cvseg_cluster_name_format(const char *base, int rank, char *out, size_t size);

/* Writes the prototype tables (both feature sets) as aligned text, one line
 * per name, into out (NUL-terminated, truncated to size). */
void cvseg_prototype_tables_text(char *out, size_t size);

#endif
