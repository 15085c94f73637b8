/* pipeline_twostep.c: `train --two-step`: K-Means pre-clusters, exact Ward
 * merging on every rank (the same bits everywhere: no communication), k by
 * the silhouette of the Ward cuts, Lloyd refinement from the merged centres. */
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/ward.h"
#include "pipeline.h"

/* The "two_step" summary object: merge costs, silhouettes (the rule) and the
 * distance ratios (for comparison). */
static json_t *twostep_summary(int pre_clusters, int k_max, int chosen,
                               const cvseg_ward_merge *merges, const double *silhouette,
                               const double *ratio)
{
    json_t *costs = json_array(), *silhouettes = json_array(), *ratios = json_array();
    const int top = k_max < pre_clusters - 1 ? k_max : pre_clusters - 1;
    for (int k = 2; k <= top + 1 && k <= pre_clusters; ++k) /* cost(k -> k-1) */
        json_array_append_new(
            costs, json_pack("{s:i, s:f}", "k", k, "merge_cost", merges[pre_clusters - k].cost));
    for (int k = 2; k <= top; ++k) {
        json_array_append_new(silhouettes,
                              json_pack("{s:i, s:f}", "k", k, "silhouette", silhouette[k]));
        json_array_append_new(
            ratios, json_pack("{s:i, s:f}", "k", k, "ratio", ratio[k] < 1e300 ? ratio[k] : 1e300));
    }
    json_t *step = json_pack("{s:i, s:i, s:i, s:s, s:f, s:o, s:o, s:o}", "pre_clusters",
                             pre_clusters, "k_max", k_max, "chosen_k", chosen, "rule",
                             "silhouette: the largest k in 2..k_max whose Ward cut has a mean "
                             "silhouette (members at their pre-cluster centres) within 0.01 of "
                             "the best",
                             "tolerance", CVSEG_WARD_SILHOUETTE_TOLERANCE, "merge_costs", costs,
                             "silhouettes", silhouettes, "ratios", ratios);
    return json_pack("{s:o}", "two_step", step);
}

/* Pre-clusters, Ward, the chosen k and its centres [k][d] (malloc'd). */
static cvseg_status twostep_merge(cvseg_app *app, cvseg_job *job, cvseg_prepared *prepared,
                                  int pre_clusters, int k_max, int *k_out, double **centres_out)
{
    cvseg_kmeans_config pre = job->clustering.kmeans_config;
    cvseg_kmeans_result result;
    cvseg_ward_merge merges[CVSEG_WARD_MAX_POINTS];
    double weights[CVSEG_WARD_MAX_POINTS], ratio[CVSEG_WARD_MAX_POINTS + 1],
        silhouette[CVSEG_WARD_MAX_POINTS + 1];
    int group[CVSEG_WARD_MAX_POINTS];
    memset(&result, 0, sizeof result);
    pre.k = pre_clusters;
    pre.hook = NULL;
    pre.resume = NULL;
    cvseg_status status =
        cvseg_mpi_kmeans(app->comm, prepared->z, prepared->n_ok, job->settings.d, prepared->ids,
                         &pre, prepared->label, prepared->distance2, &result);
    for (int c = 0; c < pre_clusters && status == CVSEG_OK; ++c)
        weights[c] = (double)result.sizes[c];
    if (status == CVSEG_OK)
        status = cvseg_ward(result.centres, weights, pre_clusters, job->settings.d, merges);
    if (status == CVSEG_OK) {
        const int k = cvseg_ward_choose_k_silhouette(result.centres, weights, pre_clusters,
                                                     job->settings.d, merges, k_max,
                                                     CVSEG_WARD_SILHOUETTE_TOLERANCE, silhouette);
        double cut_weight[CVSEG_WARD_MAX_POINTS];
        *centres_out = malloc(sizeof(double) * (size_t)(k * job->settings.d));
        if (!*centres_out)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        else
            cvseg_ward_cut(result.centres, weights, pre_clusters, job->settings.d, merges, k, group,
                           *centres_out, cut_weight);
        *k_out = k;
        cvseg_ward_choose_k(merges, pre_clusters, k_max, ratio); /* reported, not the rule */
        job->summary_extra = twostep_summary(pre_clusters, k_max, k, merges, silhouette, ratio);
        cvseg_log(app, 1, "two-step: %d pre-clusters merged by Ward; k = %d (silhouette %.3f)",
                  pre_clusters, k, silhouette[k]);
    }
    free(result.centres);
    free(result.sizes);
    return cvseg_mpi_agree(app->comm, status);
}

cvseg_status cvseg_job_cluster_two_step(cvseg_app *app, cvseg_job *job, int pre_clusters, int k_max)
{
    cvseg_prepared prepared;
    double *centres = NULL;
    int k = 0;
    cvseg_status status = CVSEG_OK;
    if (pre_clusters < 3 || pre_clusters > CVSEG_WARD_MAX_POINTS || k_max < 2 ||
        k_max >= pre_clusters)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "--two-step: need 3 <= --pre-clusters <= %d and 2 <= --k-max < "
                            "--pre-clusters (got %d and %d)",
                            CVSEG_WARD_MAX_POINTS, pre_clusters, k_max);
    if (status == CVSEG_OK)
        status = cvseg_job_prepare(app, job, &prepared);
    else
        memset(&prepared, 0, sizeof prepared);
    if (status == CVSEG_OK && job->rows.n_ok < pre_clusters)
        status = CVSEG_FAIL(CVSEG_EDATA, "--two-step: %lld members, fewer than --pre-clusters %d",
                            (long long)job->rows.n_ok, pre_clusters);
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "standardise");
        status = twostep_merge(app, job, &prepared, pre_clusters, k_max, &k, &centres);
    }
    if (status == CVSEG_OK) {
        cvseg_phase_end(&job->phases, app, "pre-cluster");
        job->clustering.k = k;
        job->clustering.kmeans_config.init = CVSEG_INIT_GIVEN;
        job->clustering.kmeans_config.given_centres = centres;
        job->clustering.init_name = "two-step (Ward)";
        status = cvseg_job_train_prepared(app, job, &prepared);
        job->clustering.kmeans_config.given_centres = NULL;
    }
    cvseg_prepared_free(&prepared);
    free(centres);
    return cvseg_mpi_agree(app->comm, status);
}
