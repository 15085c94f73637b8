/* sweep.h: `cvseg sweep`: training over a range of k in one job, with exact
 * cluster-quality metrics per k. */
#ifndef CVSEG_SWEEP_H
#define CVSEG_SWEEP_H

#include "cvseg/cluster_metrics.h"
#include "pipeline.h"

/* The silhouette sample of one k: member ids [size] in sample order
 * (cluster, then key), and the mean silhouette over the sample. */
typedef struct {
    int64_t size;
    int64_t *member_id;
    double silhouette; /* NaN with fewer than 2 clusters in the sample */
} cvseg_sweep_sample;

/* Inertia, Calinski-Harabasz, Davies-Bouldin and the simplified silhouette
 * of prepared->label over all prepared rows (z as K-Means left it), exact:
 * two in-memory passes, each one 128-bit MPI reduction. zmax: global bound
 * on |z|. Collective. */
cvseg_status cvseg_sweep_metrics(cvseg_app *app, const cvseg_prepared *prepared, int k, int d,
                                 double zmax, cvseg_cluster_metrics *metrics);

/* Silhouette on the deterministic stratified sample: sample_target members
 * split over the clusters in proportion to cluster_sizes [k] (largest
 * remainders); in each cluster the members with the smallest
 * hash(seed, member_id). The same sample for any number of ranks. The sample
 * is gathered to every rank; the O(m^2) pass is split over ranks and threads.
 * Collective. sample->member_id allocated here (caller frees). */
cvseg_status cvseg_sweep_silhouette(cvseg_app *app, const cvseg_prepared *prepared, int k, int d,
                                    const int64_t *cluster_sizes, int64_t sample_target,
                                    uint64_t seed, cvseg_sweep_sample *sample);

#endif
