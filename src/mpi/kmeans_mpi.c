/* kmeans_mpi.c: seeding, Lloyd iterations, empty-cluster repair, restarts. */
#include "cvseg/kmeans_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/rng.h"

#define KMEANS_MPI_PARALLEL_ROUNDS 5

/* Shared state of one run on one rank. */
typedef struct {
    MPI_Comm comm;
    const double *z;
    int64_t n; /* local rows */
    int d;
    int64_t first; /* global index of the first local row */
    int64_t total; /* global rows */
    cvseg_kmeans_exponents exponents;
} kmeans_mpi_run;

/* One assignment pass over the local rows and the merge of its partial over
 * all ranks (agreeing first, so a rank out of memory fails everywhere).
 * Collective on comm. */
static cvseg_status kmeans_mpi_assign_and_reduce(MPI_Comm comm, const double *z, int64_t n, int d,
                                                 const double *centres, int k,
                                                 const cvseg_kmeans_exponents *e, int32_t *label,
                                                 double *distance2, cvseg_kmeans_partial *partial)
{
    cvseg_status status = cvseg_kmeans_assign(z, n, d, centres, k, e, label, distance2, partial);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_kmeans_allreduce(comm, partial);
    return status;
}

/* Fetches global row `row` of z into out [d] on every rank. */
static cvseg_status kmeans_mpi_fetch_row(const kmeans_mpi_run *ctx, int64_t row, double *out)
{
    double *mine = calloc((size_t)ctx->d, sizeof(double));
    cvseg_status status = mine ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(ctx->comm, status);
    if (status == CVSEG_OK) {
        if (row >= ctx->first && row < ctx->first + ctx->n)
            for (int j = 0; j < ctx->d; ++j)
                mine[j] = ctx->z[(int64_t)j * ctx->n + (row - ctx->first)];
        /* Exactly one rank contributes non-zero values: the sum is that row. */
        status = cvseg_mpi_check(MPI_Allreduce(mine, out, ctx->d, MPI_DOUBLE, MPI_SUM, ctx->comm),
                                 "row broadcast");
    }
    free(mine);
    return status;
}

/* Global row whose cumulative fixed-point weight first exceeds target.
 * local_total: this rank's fixed sum of min_d2; block_sums: its block sums. */
static cvseg_status kmeans_mpi_pick_weighted_row(const kmeans_mpi_run *ctx, const double *min_d2,
                                                 const int64_t *block_sums, cvseg_i128 local_total,
                                                 cvseg_i128 target, int64_t *row)
{
    cvseg_i128 before = 0, total = 0;
    cvseg_status status = cvseg_mpi_exscan_i128(ctx->comm, local_total, &before, &total);
    int64_t mine = -1;
    if (status == CVSEG_OK && target >= before && target < before + local_total) {
        const int64_t local = cvseg_kmeans_pick_by_weight(min_d2, ctx->n, &ctx->exponents,
                                                          block_sums, target - before);
        if (local >= 0)
            mine = ctx->first + local;
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allreduce(&mine, row, 1, MPI_INT64_T, MPI_MAX, ctx->comm),
                                 "weighted pick");
    return status;
}

/* Fixed-point target in [0, total) from a uniform draw. */
static cvseg_i128 kmeans_mpi_draw_target(double u, cvseg_i128 total)
{
    if (total <= 0)
        return 0;
    cvseg_i128 target = (cvseg_i128)(u * (double)total);
    if (target >= total)
        target = total - 1;
    if (target < 0)
        target = 0;
    return target;
}

/* Both seedings start alike: min_d2 := +inf and the first centre is a row
 * drawn uniformly over all global rows (stream (restart, 0, 0)). */
static cvseg_status kmeans_mpi_first_centre(const kmeans_mpi_run *ctx, uint64_t seed, int restart,
                                            double *min_d2, double *centre)
{
    for (int64_t i = 0; i < ctx->n; ++i)
        min_d2[i] = INFINITY;
    int64_t row = (int64_t)(cvseg_rng_uniform(seed, cvseg_rng_stream((uint64_t)restart, 0, 0), 0) *
                            (double)ctx->total);
    if (row >= ctx->total)
        row = ctx->total - 1;
    return kmeans_mpi_fetch_row(ctx, row, centre);
}

/* Greedy k-means++ over all ranks. centres [k][d]. Per centre: one pass to
 * evaluate all trial candidates, one to update min_d2 with the winner. */
static cvseg_status kmeans_mpi_seed_plusplus(const kmeans_mpi_run *ctx, int k, uint64_t seed,
                                             int restart, double *min_d2, double *centres)
{
    cvseg_status status = CVSEG_OK;
    const int d = ctx->d;
    int trials = 2 + (int)floor(log((double)k));
    if (trials > CVSEG_KMEANS_MAX_TRIALS)
        trials = CVSEG_KMEANS_MAX_TRIALS;
    double *candidates = malloc(sizeof(double) * (size_t)(trials * d));
    int64_t *block_sums = malloc(sizeof(int64_t) * (size_t)cvseg_kmeans_seed_blocks(ctx->n));
    if (!candidates || !block_sums)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(ctx->comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = kmeans_mpi_first_centre(ctx, seed, restart, min_d2, centres);
    if (status != CVSEG_OK)
        goto done;
    cvseg_i128 local =
        cvseg_kmeans_min_update(ctx->z, ctx->n, d, centres, 1, &ctx->exponents, min_d2, block_sums);
    for (int c = 1; c < k && status == CVSEG_OK; ++c) {
        cvseg_i128 total = local;
        status = cvseg_mpi_sum_i128(ctx->comm, &total, 1);
        for (int t = 0; t < trials && status == CVSEG_OK; ++t) {
            const double u = cvseg_rng_uniform(
                seed, cvseg_rng_stream((uint64_t)restart, (uint64_t)c, (uint64_t)t), 0);
            int64_t trial_row = -1;
            if (total > 0) {
                status = kmeans_mpi_pick_weighted_row(ctx, min_d2, block_sums, local,
                                                      kmeans_mpi_draw_target(u, total), &trial_row);
            } else {
                /* Every row coincides with a centre: take a uniform row. */
                trial_row = (int64_t)(u * (double)ctx->total);
            }
            if (status == CVSEG_OK)
                status = kmeans_mpi_fetch_row(ctx, trial_row, candidates + (int64_t)t * d);
        }
        cvseg_i128 potential[CVSEG_KMEANS_MAX_TRIALS];
        if (status == CVSEG_OK) {
            cvseg_kmeans_trial_potentials(ctx->z, ctx->n, d, candidates, trials, &ctx->exponents,
                                          min_d2, potential);
            status = cvseg_mpi_sum_i128(ctx->comm, potential, trials);
        }
        if (status != CVSEG_OK)
            break;
        int best = 0; /* lowest potential, first trial on ties */
        for (int t = 1; t < trials; ++t)
            if (potential[t] < potential[best])
                best = t;
        memcpy(centres + (int64_t)c * d, candidates + (int64_t)best * d,
               sizeof(double) * (size_t)d);
        if (c + 1 < k)
            local = cvseg_kmeans_min_update(ctx->z, ctx->n, d, centres + (int64_t)c * d, 1,
                                            &ctx->exponents, min_d2, block_sums);
    }
done:
    free(candidates);
    free(block_sums);
    return status;
}

/* k-means||: oversampling rounds, then weighted greedy k-means++ on the
 * candidates (weights: rows nearest to each candidate). */
static cvseg_status kmeans_mpi_seed_parallel(const kmeans_mpi_run *ctx, int k, uint64_t seed,
                                             int restart, double *min_d2, int32_t *scratch_label,
                                             double *centres)
{
    cvseg_status status = CVSEG_OK;
    const int d = ctx->d;
    const double oversampling = 2.0 * k;
    int64_t capacity = 1 + (int64_t)(KMEANS_MPI_PARALLEL_ROUNDS * oversampling * 2) + 16;
    int64_t m = 0;
    double *candidates = malloc(sizeof(double) * (size_t)(capacity * d));
    double *weights = NULL;
    double *selected = NULL;
    int *counts = NULL, *displs = NULL;
    int ranks = 1;
    MPI_Comm_size(ctx->comm, &ranks);
    counts = calloc((size_t)ranks, sizeof(int));
    displs = calloc((size_t)ranks, sizeof(int));
    if (!candidates || !counts || !displs)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for k-means|| candidates");
    status = cvseg_mpi_agree(ctx->comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = kmeans_mpi_first_centre(ctx, seed, restart, min_d2, candidates);
    m = 1;
    cvseg_i128 local = 0;
    if (status == CVSEG_OK)
        local = cvseg_kmeans_min_update(ctx->z, ctx->n, d, candidates, 1, &ctx->exponents, min_d2,
                                        NULL);
    for (int round = 1; round <= KMEANS_MPI_PARALLEL_ROUNDS && status == CVSEG_OK; ++round) {
        cvseg_i128 total = local;
        status = cvseg_mpi_sum_i128(ctx->comm, &total, 1);
        if (status != CVSEG_OK || total <= 0)
            break;
        const double phi = (double)total * ldexp(1.0, -ctx->exponents.distance);
        const uint64_t stream = cvseg_rng_stream((uint64_t)restart, 1000 + (uint64_t)round, 0);
        /* Local selection, in row order. */
        int64_t chosen = 0;
        double *mine = NULL;
        for (int pass = 0; pass < 2 && status == CVSEG_OK; ++pass) {
            chosen = 0;
            for (int64_t i = 0; i < ctx->n; ++i) {
                const double p = oversampling * min_d2[i] / phi;
                if (cvseg_rng_uniform(seed, stream, (uint64_t)(ctx->first + i)) < p) {
                    if (pass == 1)
                        for (int j = 0; j < d; ++j)
                            mine[chosen * d + j] = ctx->z[(int64_t)j * ctx->n + i];
                    ++chosen;
                }
            }
            if (pass == 0) {
                mine = malloc(sizeof(double) * (size_t)((chosen > 0 ? chosen : 1) * d));
                if (!mine)
                    status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
                status = cvseg_mpi_agree(ctx->comm, status);
            }
        }
        int my_values = (int)(chosen * d);
        if (status == CVSEG_OK)
            status = cvseg_mpi_check(
                MPI_Allgather(&my_values, 1, MPI_INT, counts, 1, MPI_INT, ctx->comm), "gather");
        int64_t gathered = 0;
        for (int r = 0; r < ranks; ++r) {
            displs[r] = (int)gathered;
            gathered += counts[r];
        }
        const int64_t new_rows = gathered / d;
        if (status == CVSEG_OK && m + new_rows > capacity) {
            capacity = m + new_rows;
            double *grown = realloc(candidates, sizeof(double) * (size_t)(capacity * d));
            if (!grown)
                status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
            else
                candidates = grown;
            status = cvseg_mpi_agree(ctx->comm, status);
        }
        if (status == CVSEG_OK)
            status = cvseg_mpi_check(MPI_Allgatherv(mine, my_values, MPI_DOUBLE, candidates + m * d,
                                                    counts, displs, MPI_DOUBLE, ctx->comm),
                                     "candidate gather");
        free(mine);
        if (status == CVSEG_OK && new_rows > 0) /* all new candidates in one pass */
            local = cvseg_kmeans_min_update(ctx->z, ctx->n, d, candidates + m * d, (int)new_rows,
                                            &ctx->exponents, min_d2, NULL);
        m += new_rows;
    }
    if (status != CVSEG_OK)
        goto done;
    /* Weights: rows nearest to each candidate. */
    {
        cvseg_kmeans_partial partial;
        status = cvseg_kmeans_partial_alloc(&partial, (int)m, d);
        status = cvseg_mpi_agree(ctx->comm, status);
        if (status != CVSEG_OK)
            goto done;
        for (int64_t i = 0; i < ctx->n; ++i)
            scratch_label[i] = -1;
        status = cvseg_kmeans_assign(ctx->z, ctx->n, d, candidates, (int)m, &ctx->exponents,
                                     scratch_label, NULL, &partial);
        weights = malloc(sizeof(double) * (size_t)m);
        int64_t *sizes = malloc(sizeof(int64_t) * (size_t)m);
        if (status == CVSEG_OK && (!weights || !sizes))
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        status = cvseg_mpi_agree(ctx->comm, status);
        if (status == CVSEG_OK) {
            memcpy(sizes, partial.count, sizeof(int64_t) * (size_t)m);
            status = cvseg_mpi_sum_i64(ctx->comm, sizes, (int)m);
        }
        if (status == CVSEG_OK)
            for (int64_t c = 0; c < m; ++c)
                weights[c] = (double)sizes[c];
        free(sizes);
        cvseg_kmeans_partial_free(&partial);
    }
    if (status == CVSEG_OK)
        status = cvseg_kmeans_weighted_plusplus(candidates, weights, m, d, k, seed,
                                                cvseg_rng_stream((uint64_t)restart, 2000, 0), 0,
                                                centres);
    status = cvseg_mpi_agree(ctx->comm, status);
done:
    free(selected);
    free(weights);
    free(candidates);
    free(counts);
    free(displs);
    return status;
}

/* Distinct rows of z over all ranks, counted up to limit (exact when below
 * it): each rank's first `limit` distinct rows, gathered and merged in rank
 * order. Collective on comm. */
static cvseg_status kmeans_mpi_count_distinct(const kmeans_mpi_run *ctx, int limit,
                                              int64_t *distinct)
{
    cvseg_distinct_set mine, merged;
    int ranks = 1;
    MPI_Comm_size(ctx->comm, &ranks);
    cvseg_status status = cvseg_distinct_init(&mine, ctx->d, limit);
    const cvseg_status merged_status = cvseg_distinct_init(&merged, ctx->d, limit);
    status = status != CVSEG_OK ? status : merged_status;
    int *counts = calloc((size_t)ranks, sizeof(int)), *displs = calloc((size_t)ranks, sizeof(int));
    double *all = malloc(sizeof(double) * (size_t)ranks * (size_t)limit * (size_t)ctx->d);
    if (status == CVSEG_OK && (!counts || !displs || !all))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the distinct-member count");
    status = cvseg_mpi_agree(ctx->comm, status);
    int my_values = 0;
    if (status == CVSEG_OK) {
        cvseg_distinct_add_columns(&mine, ctx->z, ctx->n);
        my_values = (int)(mine.count * ctx->d);
        status = cvseg_mpi_check(
            MPI_Allgather(&my_values, 1, MPI_INT, counts, 1, MPI_INT, ctx->comm), "distinct count");
    }
    int64_t values = 0;
    for (int r = 0; r < ranks && status == CVSEG_OK; ++r) {
        displs[r] = (int)values;
        values += counts[r];
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgatherv(mine.rows, my_values, MPI_DOUBLE, all, counts,
                                                displs, MPI_DOUBLE, ctx->comm),
                                 "distinct rows");
    for (int64_t v = 0; v < values && status == CVSEG_OK; v += ctx->d)
        cvseg_distinct_add(&merged, all + v);
    *distinct = merged.count;
    cvseg_distinct_free(&mine);
    cvseg_distinct_free(&merged);
    free(counts);
    free(displs);
    free(all);
    return status;
}

typedef struct {
    double distance2;
    int64_t member_id;
} kmeans_mpi_far_point;

/* Moves the farthest rows (largest squared distance, ties: smallest member
 * id) of clusters with at least two members into each empty cluster, adjusting
 * the merged partial on every rank.
 * Returns the number of clusters repaired. */
static cvseg_status kmeans_mpi_repair_empty(const kmeans_mpi_run *ctx, cvseg_kmeans_partial *global,
                                            const int64_t *member_id, int32_t *label,
                                            double *distance2, double *centres, int64_t *repaired)
{
    cvseg_status status = CVSEG_OK;
    const int d = ctx->d;
    const double scale = ldexp(1.0, ctx->exponents.coordinate);
    double *row = malloc(sizeof(double) * (size_t)(d + 1));
    int ranks = 1, rank = 0;
    MPI_Comm_size(ctx->comm, &ranks);
    MPI_Comm_rank(ctx->comm, &rank);
    kmeans_mpi_far_point *all = malloc(sizeof(kmeans_mpi_far_point) * (size_t)ranks);
    if (!row || !all)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(ctx->comm, status);
    /* The Lloyd step does not store distances; the far rows need them. */
    if (status == CVSEG_OK)
        cvseg_kmeans_label_distances(ctx->z, ctx->n, d, centres, label, distance2);
    for (int c = 0; c < global->k && status == CVSEG_OK; ++c) {
        if (global->count[c] != 0)
            continue;
        kmeans_mpi_far_point mine = {-1.0, INT64_MAX};
        int64_t mine_index = -1;
        for (int64_t i = 0; i < ctx->n; ++i) {
            /* A cluster's only member stays: moving it would empty its cluster. */
            if (global->count[label[i]] < 2)
                continue;
            if (distance2[i] > mine.distance2 ||
                (distance2[i] == mine.distance2 && member_id[i] < mine.member_id)) {
                mine.distance2 = distance2[i];
                mine.member_id = member_id[i];
                mine_index = i;
            }
        }
        status = cvseg_mpi_check(MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all,
                                               (int)sizeof mine, MPI_BYTE, ctx->comm),
                                 "repair gather");
        if (status != CVSEG_OK)
            break;
        int winner = -1;
        for (int r = 0; r < ranks; ++r) {
            if (all[r].distance2 < 0.0)
                continue;
            if (winner < 0 || all[r].distance2 > all[winner].distance2 ||
                (all[r].distance2 == all[winner].distance2 &&
                 all[r].member_id < all[winner].member_id))
                winner = r;
        }
        if (winner < 0)
            break; /* no row can move (fewer rows than clusters) */
        memset(row, 0, sizeof(double) * (size_t)(d + 1));
        if (rank == winner) {
            for (int j = 0; j < d; ++j)
                row[j] = ctx->z[(int64_t)j * ctx->n + mine_index];
            row[d] = (double)label[mine_index];
            label[mine_index] = c;
            distance2[mine_index] = -1.0; /* not chosen again in this iteration */
        }
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, row, d + 1, MPI_DOUBLE, MPI_SUM, ctx->comm), "repair row");
        if (status != CVSEG_OK)
            break;
        const int old = (int)row[d];
        for (int j = 0; j < d; ++j) {
            const cvseg_i128 q = cvseg_fixed_term(row[j], scale);
            global->sum[(int64_t)old * d + j] -= q;
            global->sum[(int64_t)c * d + j] += q;
        }
        global->count[old] -= 1;
        global->count[c] += 1;
        *repaired += 1;
    }
    free(row);
    free(all);
    return status;
}

static double kmeans_mpi_mean_variance(const kmeans_mpi_run *ctx, cvseg_status *status)
{
    double total = 0.0;
    for (int j = 0; j < ctx->d && *status == CVSEG_OK; ++j) {
        cvseg_moments moments;
        *status =
            cvseg_mpi_moments(ctx->comm, ctx->z + (int64_t)j * ctx->n, NULL, ctx->n, &moments);
        total += moments.sd * moments.sd;
    }
    return ctx->d > 0 ? total / ctx->d : 0.0;
}

cvseg_status cvseg_mpi_kmeans(MPI_Comm comm, double *z, int64_t n, int d, const int64_t *member_id,
                              const cvseg_kmeans_config *config, int32_t *label, double *distance2,
                              cvseg_kmeans_result *result)
{
    cvseg_status status = CVSEG_OK;
    const int k = config->k;
    kmeans_mpi_run ctx = {comm, z, n, d, 0, 0, {0, 0}};
    double *centres = malloc(sizeof(double) * (size_t)(k * d));
    double *best_centres = malloc(sizeof(double) * (size_t)(k * d));
    double *min_d2 = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    cvseg_kmeans_partial partial = {0};
    memset(result, 0, sizeof *result);
    result->centres = calloc((size_t)(k * d), sizeof(double));
    result->sizes = calloc((size_t)k, sizeof(int64_t));
    if (!centres || !best_centres || !min_d2 || !result->centres || !result->sizes)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for K-Means on %lld rows", (long long)n);
    if (status == CVSEG_OK)
        status = cvseg_kmeans_partial_alloc(&partial, k, d);
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    status = cvseg_mpi_exscan_i64(comm, n, &ctx.first, &ctx.total);
    if (status == CVSEG_OK && ctx.total < k)
        status = CVSEG_FAIL(CVSEG_EDATA, "K-Means needs at least k = %d members, got %lld", k,
                            (long long)ctx.total);
    if (status != CVSEG_OK)
        goto done;
    /* Global bound on |z| (and on given centres) fixes the fixed-point exponents. */
    double zmax = 0.0;
    for (int64_t t = 0; t < (int64_t)d * n; ++t)
        zmax = fabs(z[t]) > zmax ? fabs(z[t]) : zmax;
    if (config->init == CVSEG_INIT_GIVEN)
        for (int t = 0; t < k * d; ++t)
            zmax = fabs(config->given_centres[t]) > zmax ? fabs(config->given_centres[t]) : zmax;
    status = cvseg_mpi_max_f64(comm, &zmax, 1);
    if (status != CVSEG_OK)
        goto done;
    if (!isfinite(zmax)) {
        status = CVSEG_FAIL(CVSEG_EDATA, "standardised features contain NaN or Inf");
        goto done;
    }
    ctx.exponents = cvseg_kmeans_exponents_for(zmax, d);
    cvseg_kmeans_quantize(z, n, d, &ctx.exponents);
    /* k clusters need k distinct points (on the grid): identical members
     * would leave clusters empty or duplicated. */
    int64_t distinct = 0;
    status = kmeans_mpi_count_distinct(&ctx, k, &distinct);
    if (status == CVSEG_OK && distinct < k)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "K-Means with k = %d needs at least %d distinct members (distinct "
                            "standardised feature vectors); the data has only %lld",
                            k, k, (long long)distinct);
    if (status != CVSEG_OK)
        goto done;
    const double tol_abs = config->tol * kmeans_mpi_mean_variance(&ctx, &status);
    const int restarts = config->init == CVSEG_INIT_GIVEN ? 1 : config->n_init;
    cvseg_kmeans_state state;
    memset(&state, 0, sizeof state);
    state.centres = centres;
    state.label = label;
    state.best_centres = best_centres;
    state.best_inertia = INFINITY;
    if (config->resume) {
        const cvseg_kmeans_state *r = config->resume;
        state.restart = r->restart;
        state.iteration = r->iteration;
        state.have_best = r->have_best;
        state.best_inertia = r->have_best ? r->best_inertia : INFINITY;
        state.best_iterations = r->best_iterations;
        state.best_converged = r->best_converged;
        state.best_restart = r->best_restart;
        state.empty_repairs = r->empty_repairs;
        state.lloyd_iterations = r->lloyd_iterations;
        state.lloyd_seconds = r->lloyd_seconds;
        memcpy(centres, r->centres, sizeof(double) * (size_t)(k * d));
        if (r->have_best)
            memcpy(best_centres, r->best_centres, sizeof(double) * (size_t)(k * d));
        if (r->iteration > 0)
            memcpy(label, r->label, sizeof(int32_t) * (size_t)n);
    }
    result->restarts = restarts;
    int stop = 0, assigned_best = 0;
    for (; state.restart < restarts && status == CVSEG_OK && !stop; ++state.restart) {
        const int restart = state.restart;
        if (state.iteration == 0) {
            const double seeding_started = MPI_Wtime();
            if (config->init == CVSEG_INIT_GIVEN)
                memcpy(centres, config->given_centres, sizeof(double) * (size_t)(k * d));
            else if (config->init == CVSEG_INIT_PARALLEL)
                status = kmeans_mpi_seed_parallel(&ctx, k, config->seed, restart, min_d2, label,
                                                  centres);
            else
                status = kmeans_mpi_seed_plusplus(&ctx, k, config->seed, restart, min_d2, centres);
            result->seeding_seconds += MPI_Wtime() - seeding_started;
            if (status != CVSEG_OK)
                break;
            for (int64_t i = 0; i < n; ++i)
                label[i] = -1;
        }
        int converged = 0;
        while (state.iteration < config->max_iter && status == CVSEG_OK) {
            const double started = MPI_Wtime();
            cvseg_kmeans_partial_zero(&partial);
            status = kmeans_mpi_assign_and_reduce(comm, z, n, d, centres, k, &ctx.exponents, label,
                                                  NULL, &partial);
            if (status != CVSEG_OK)
                break;
            int64_t empty = 0;
            for (int c = 0; c < k; ++c)
                empty += partial.count[c] == 0;
            if (empty > 0)
                status = kmeans_mpi_repair_empty(&ctx, &partial, member_id, label, distance2,
                                                 centres, &state.empty_repairs);
            if (status != CVSEG_OK)
                break;
            const double shift = cvseg_kmeans_update(&partial, &ctx.exponents, centres);
            state.iteration += 1;
            const double seconds = MPI_Wtime() - started;
            state.lloyd_seconds += seconds;
            state.lloyd_iterations += 1;
            if (config->progress)
                config->progress(config->progress_context, restart, state.iteration,
                                 cvseg_fixed_to_double(partial.inertia, ctx.exponents.distance),
                                 shift, partial.changed, seconds);
            if (partial.changed == 0 || shift <= tol_abs) {
                converged = 1;
                break;
            }
            if (config->hook && state.iteration < config->max_iter) {
                status = config->hook(config->hook_context, &state, &stop);
                if (status != CVSEG_OK || stop)
                    break;
            }
        }
        if (status != CVSEG_OK || stop)
            break;
        /* Inertia at the final centres (the figure restarts are compared on). */
        cvseg_kmeans_partial_zero(&partial);
        status = kmeans_mpi_assign_and_reduce(comm, z, n, d, centres, k, &ctx.exponents, label,
                                              distance2, &partial);
        if (status != CVSEG_OK)
            break;
        const double inertia = cvseg_fixed_to_double(partial.inertia, ctx.exponents.distance);
        /* When this restart stays the best, label, distance2 and partial already
         * hold the final assignment below. */
        assigned_best = inertia < state.best_inertia;
        if (inertia < state.best_inertia) {
            state.best_inertia = inertia;
            state.have_best = 1;
            memcpy(best_centres, centres, sizeof(double) * (size_t)(k * d));
            state.best_iterations = state.iteration;
            state.best_converged = converged;
            state.best_restart = restart;
        }
        state.iteration = 0;
        if (config->hook && restart + 1 < restarts) {
            state.restart += 1; /* the boundary: next restart, not seeded yet */
            status = config->hook(config->hook_context, &state, &stop);
            state.restart -= 1;
        }
    }
    if (status == CVSEG_OK && stop)
        status = CVSEG_FAIL(CVSEG_EINTERRUPTED,
                            "K-Means interrupted at restart %d, iteration %d; "
                            "checkpoint written, continue with --resume",
                            state.restart, state.iteration);
    result->iterations = state.best_iterations;
    result->converged = state.best_converged;
    result->best_restart = state.best_restart;
    result->empty_repairs = state.empty_repairs;
    result->lloyd_iterations = state.lloyd_iterations;
    result->lloyd_seconds = state.lloyd_seconds;
    if (status != CVSEG_OK)
        goto done;
    /* Timings differ per rank: report the slowest, identical everywhere. */
    double seconds[2] = {result->lloyd_seconds, result->seeding_seconds};
    status = cvseg_mpi_max_f64(comm, seconds, 2);
    result->lloyd_seconds = seconds[0];
    result->seeding_seconds = seconds[1];
    if (status != CVSEG_OK)
        goto done;
    /* Final assignment with the best centres (unless the last pass was it). */
    if (!assigned_best) {
        cvseg_kmeans_partial_zero(&partial);
        status = kmeans_mpi_assign_and_reduce(comm, z, n, d, best_centres, k, &ctx.exponents, label,
                                              distance2, &partial);
    }
    if (status == CVSEG_OK) {
        memcpy(result->centres, best_centres, sizeof(double) * (size_t)(k * d));
        memcpy(result->sizes, partial.count, sizeof(int64_t) * (size_t)k);
        result->inertia = cvseg_fixed_to_double(partial.inertia, ctx.exponents.distance);
    }
done:
    cvseg_kmeans_partial_free(&partial);
    free(centres);
    free(best_centres);
    free(min_d2);
    if (status != CVSEG_OK) {
        free(result->centres);
        free(result->sizes);
        result->centres = NULL;
        result->sizes = NULL;
    }
    return status;
}

cvseg_status cvseg_mpi_zmax(MPI_Comm comm, const double *z, int64_t n, int d, double *zmax)
{
    double bound = 0.0;
    for (int64_t t = 0; t < (int64_t)d * n; ++t)
        bound = fabs(z[t]) > bound ? fabs(z[t]) : bound;
    cvseg_status status = cvseg_mpi_max_f64(comm, &bound, 1);
    *zmax = bound;
    return status;
}

cvseg_status cvseg_mpi_kmeans_predict(MPI_Comm comm, double *z, int64_t n, int d,
                                      const double *centres, int k, int32_t *label,
                                      double *distance2, double *inertia)
{
    cvseg_kmeans_partial partial;
    cvseg_status status = cvseg_kmeans_partial_alloc(&partial, k, d);
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        return status;
    double zmax = 0.0;
    for (int64_t t = 0; t < (int64_t)d * n; ++t)
        zmax = fabs(z[t]) > zmax ? fabs(z[t]) : zmax;
    for (int t = 0; t < k * d; ++t)
        zmax = fabs(centres[t]) > zmax ? fabs(centres[t]) : zmax;
    status = cvseg_mpi_max_f64(comm, &zmax, 1);
    if (status == CVSEG_OK && !isfinite(zmax))
        status = CVSEG_FAIL(CVSEG_EDATA, "standardised features contain NaN or Inf");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(zmax, d);
        cvseg_kmeans_quantize(z, n, d, &e);
        for (int64_t i = 0; i < n; ++i)
            label[i] = -1;
        status =
            kmeans_mpi_assign_and_reduce(comm, z, n, d, centres, k, &e, label, distance2, &partial);
        if (status == CVSEG_OK)
            *inertia = cvseg_fixed_to_double(partial.inertia, e.distance);
    }
    cvseg_kmeans_partial_free(&partial);
    return status;
}
