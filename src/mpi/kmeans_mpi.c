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

/* The k-means|| candidate set, identical on every rank once gathered. */
typedef struct {
    double *rows;     /* [capacity][d]: rows [0, m) in use */
    int64_t m;        /* candidates so far */
    int64_t capacity; /* rows allocated */
    int ranks;        /* size of comm */
    int *counts;      /* [ranks] values (rows x d) each rank contributes */
    int *displs;      /* [ranks] their displacements in the gathered block */
} kmeans_mpi_candidates;

static void kmeans_mpi_candidates_free(kmeans_mpi_candidates *set)
{
    free(set->rows);
    free(set->counts);
    free(set->displs);
}

/* Room for the expected candidates of all rounds (grown when exceeded).
 * Collective on comm (agrees). */
static cvseg_status kmeans_mpi_candidates_alloc(const kmeans_mpi_run *ctx, double oversampling,
                                                kmeans_mpi_candidates *set)
{
    cvseg_status status = CVSEG_OK;
    memset(set, 0, sizeof *set);
    set->capacity = 1 + (int64_t)(KMEANS_MPI_PARALLEL_ROUNDS * oversampling * 2) + 16;
    set->rows = malloc(sizeof(double) * (size_t)(set->capacity * ctx->d));
    set->ranks = 1;
    MPI_Comm_size(ctx->comm, &set->ranks);
    set->counts = calloc((size_t)set->ranks, sizeof(int));
    set->displs = calloc((size_t)set->ranks, sizeof(int));
    if (!set->rows || !set->counts || !set->displs)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for k-means|| candidates");
    return cvseg_mpi_agree(ctx->comm, status);
}

/* This rank's rows drawn with probability oversampling * min_d2 / phi (draw
 * keyed by the global row), in row order: *mine [*chosen][d], allocated here
 * (caller frees). Two passes: count, then copy. Collective (agrees). */
static cvseg_status kmeans_mpi_parallel_select(const kmeans_mpi_run *ctx, double oversampling,
                                               double phi, uint64_t seed, uint64_t stream,
                                               const double *min_d2, double **mine, int64_t *chosen)
{
    cvseg_status status = CVSEG_OK;
    const int d = ctx->d;
    for (int pass = 0; pass < 2 && status == CVSEG_OK; ++pass) {
        *chosen = 0;
        for (int64_t i = 0; i < ctx->n; ++i) {
            const double p = oversampling * min_d2[i] / phi;
            if (cvseg_rng_uniform(seed, stream, (uint64_t)(ctx->first + i)) < p) {
                if (pass == 1)
                    for (int j = 0; j < d; ++j)
                        (*mine)[*chosen * d + j] = ctx->z[(int64_t)j * ctx->n + i];
                ++*chosen;
            }
        }
        if (pass == 0) {
            *mine = malloc(sizeof(double) * (size_t)((*chosen > 0 ? *chosen : 1) * d));
            if (!*mine)
                status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
            status = cvseg_mpi_agree(ctx->comm, status);
        }
    }
    return status;
}

/* Appends every rank's chosen rows (mine [chosen][d]), in rank order, to
 * the candidate set after row m (growing it); *new_rows: rows appended.
 * Collective. */
static cvseg_status kmeans_mpi_parallel_gather(const kmeans_mpi_run *ctx, const double *mine,
                                               int64_t chosen, kmeans_mpi_candidates *set,
                                               int64_t *new_rows)
{
    const int d = ctx->d;
    int my_values = (int)(chosen * d);
    cvseg_status status = cvseg_mpi_check(
        MPI_Allgather(&my_values, 1, MPI_INT, set->counts, 1, MPI_INT, ctx->comm), "gather");
    int64_t gathered = 0;
    for (int r = 0; r < set->ranks; ++r) {
        set->displs[r] = (int)gathered;
        gathered += set->counts[r];
    }
    *new_rows = gathered / d;
    if (status == CVSEG_OK && set->m + *new_rows > set->capacity) {
        set->capacity = set->m + *new_rows;
        double *grown = realloc(set->rows, sizeof(double) * (size_t)(set->capacity * d));
        if (!grown)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        else
            set->rows = grown;
        status = cvseg_mpi_agree(ctx->comm, status);
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgatherv(mine, my_values, MPI_DOUBLE, set->rows + set->m * d,
                                                set->counts, set->displs, MPI_DOUBLE, ctx->comm),
                                 "candidate gather");
    return status;
}

/* One oversampling round (stream (restart, 1000 + round, 0)): draw, gather,
 * and update min_d2 and *local (this rank's fixed sum of min_d2) with all
 * new candidates in one pass. *finished when no weight is left (every row
 * is a candidate). Collective. */
static cvseg_status kmeans_mpi_parallel_round(const kmeans_mpi_run *ctx, int round,
                                              double oversampling, uint64_t seed, int restart,
                                              double *min_d2, kmeans_mpi_candidates *set,
                                              cvseg_i128 *local, int *finished)
{
    const int d = ctx->d;
    cvseg_i128 total = *local;
    cvseg_status status = cvseg_mpi_sum_i128(ctx->comm, &total, 1);
    if (status != CVSEG_OK || total <= 0) {
        *finished = 1;
    } else {
        const double phi = (double)total * ldexp(1.0, -ctx->exponents.distance);
        const uint64_t stream = cvseg_rng_stream((uint64_t)restart, 1000 + (uint64_t)round, 0);
        int64_t chosen = 0, new_rows = 0;
        double *mine = NULL;
        status = kmeans_mpi_parallel_select(ctx, oversampling, phi, seed, stream, min_d2, &mine,
                                            &chosen);
        if (status == CVSEG_OK)
            status = kmeans_mpi_parallel_gather(ctx, mine, chosen, set, &new_rows);
        free(mine);
        if (status == CVSEG_OK && new_rows > 0) /* all new candidates in one pass */
            *local = cvseg_kmeans_min_update(ctx->z, ctx->n, d, set->rows + set->m * d,
                                             (int)new_rows, &ctx->exponents, min_d2, NULL);
        set->m += new_rows;
    }
    return status;
}

/* weights [m] (allocated here, caller frees): global rows nearest to each
 * candidate. scratch_label [n] is overwritten. Collective (agrees). */
static cvseg_status kmeans_mpi_parallel_weights(const kmeans_mpi_run *ctx,
                                                const kmeans_mpi_candidates *set,
                                                int32_t *scratch_label, double **weights)
{
    const int d = ctx->d;
    const int64_t m = set->m;
    cvseg_kmeans_partial partial;
    cvseg_status status = cvseg_kmeans_partial_alloc(&partial, (int)m, d);
    status = cvseg_mpi_agree(ctx->comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < ctx->n; ++i)
        scratch_label[i] = -1;
    status = cvseg_kmeans_assign(ctx->z, ctx->n, d, set->rows, (int)m, &ctx->exponents,
                                 scratch_label, NULL, &partial);
    *weights = malloc(sizeof(double) * (size_t)m);
    int64_t *sizes = malloc(sizeof(int64_t) * (size_t)m);
    if (status == CVSEG_OK && (!*weights || !sizes))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(ctx->comm, status);
    if (status == CVSEG_OK) {
        memcpy(sizes, partial.count, sizeof(int64_t) * (size_t)m);
        status = cvseg_mpi_sum_i64(ctx->comm, sizes, (int)m);
    }
    if (status == CVSEG_OK)
        for (int64_t c = 0; c < m; ++c)
            (*weights)[c] = (double)sizes[c];
    free(sizes);
done:
    cvseg_kmeans_partial_free(&partial);
    return status;
}

/* k-means||: oversampling rounds, then weighted greedy k-means++ on the
 * candidates (weights: rows nearest to each candidate). */
static cvseg_status kmeans_mpi_seed_parallel(const kmeans_mpi_run *ctx, int k, uint64_t seed,
                                             int restart, double *min_d2, int32_t *scratch_label,
                                             double *centres)
{
    const double oversampling = 2.0 * k;
    kmeans_mpi_candidates set;
    double *weights = NULL;
    cvseg_status status = kmeans_mpi_candidates_alloc(ctx, oversampling, &set);
    if (status != CVSEG_OK)
        goto done;
    status = kmeans_mpi_first_centre(ctx, seed, restart, min_d2, set.rows);
    set.m = 1;
    cvseg_i128 local = 0;
    if (status == CVSEG_OK)
        local = cvseg_kmeans_min_update(ctx->z, ctx->n, ctx->d, set.rows, 1, &ctx->exponents,
                                        min_d2, NULL);
    int finished = 0;
    for (int round = 1; round <= KMEANS_MPI_PARALLEL_ROUNDS && status == CVSEG_OK && !finished;
         ++round)
        status = kmeans_mpi_parallel_round(ctx, round, oversampling, seed, restart, min_d2, &set,
                                           &local, &finished);
    if (status != CVSEG_OK)
        goto done;
    status = kmeans_mpi_parallel_weights(ctx, &set, scratch_label, &weights);
    if (status == CVSEG_OK)
        status = cvseg_kmeans_weighted_plusplus(set.rows, weights, set.m, ctx->d, k, seed,
                                                cvseg_rng_stream((uint64_t)restart, 2000, 0), 0,
                                                centres);
    status = cvseg_mpi_agree(ctx->comm, status);
done:
    free(weights);
    kmeans_mpi_candidates_free(&set);
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

/* This rank's farthest movable row (largest distance2, ties: smallest member
 * id) among clusters with at least two members: its index, or -1 (and
 * *far = {-1, INT64_MAX}) when there is none. */
static int64_t kmeans_mpi_local_far(const kmeans_mpi_run *ctx, const cvseg_kmeans_partial *global,
                                    const int64_t *member_id, const int32_t *label,
                                    const double *distance2, kmeans_mpi_far_point *far)
{
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
    *far = mine;
    return mine_index;
}

/* Rank holding the farthest row of all ranks' candidates all [ranks] (same
 * rule as kmeans_mpi_local_far), or -1 when no rank has one. */
static int kmeans_mpi_far_winner(const kmeans_mpi_far_point *all, int ranks)
{
    int winner = -1;
    for (int r = 0; r < ranks; ++r) {
        if (all[r].distance2 < 0.0)
            continue;
        if (winner < 0 || all[r].distance2 > all[winner].distance2 ||
            (all[r].distance2 == all[winner].distance2 && all[r].member_id < all[winner].member_id))
            winner = r;
    }
    return winner;
}

/* Moves local row `index` of rank `winner` into empty cluster c: the winner
 * relabels it, every rank moves its coordinates (row [d + 1] scratch: the
 * coordinates, then the old label) from its old cluster's sum and count to
 * c's. Collective. */
static cvseg_status kmeans_mpi_move_row(const kmeans_mpi_run *ctx, cvseg_kmeans_partial *global,
                                        int c, int winner, int64_t index, int32_t *label,
                                        double *distance2, double *row)
{
    const int d = ctx->d;
    const double scale = ldexp(1.0, ctx->exponents.coordinate);
    int rank = 0;
    MPI_Comm_rank(ctx->comm, &rank);
    memset(row, 0, sizeof(double) * (size_t)(d + 1));
    if (rank == winner) {
        for (int j = 0; j < d; ++j)
            row[j] = ctx->z[(int64_t)j * ctx->n + index];
        row[d] = (double)label[index];
        label[index] = c;
        distance2[index] = -1.0; /* not chosen again in this iteration */
    }
    cvseg_status status = cvseg_mpi_check(
        MPI_Allreduce(MPI_IN_PLACE, row, d + 1, MPI_DOUBLE, MPI_SUM, ctx->comm), "repair row");
    if (status == CVSEG_OK) {
        const int old = (int)row[d];
        for (int j = 0; j < d; ++j) {
            const cvseg_i128 q = cvseg_fixed_term(row[j], scale);
            global->sum[(int64_t)old * d + j] -= q;
            global->sum[(int64_t)c * d + j] += q;
        }
        global->count[old] -= 1;
        global->count[c] += 1;
    }
    return status;
}

/* Moves the farthest rows (largest squared distance, ties: smallest member
 * id) of clusters with at least two members into each empty cluster, adjusting
 * the merged partial on every rank.
 * Returns the number of clusters repaired. */
static cvseg_status kmeans_mpi_repair_empty(const kmeans_mpi_run *ctx, cvseg_kmeans_partial *global,
                                            const int64_t *member_id, int32_t *label,
                                            double *distance2, double *centres, int64_t *repaired)
{
    cvseg_status status = CVSEG_OK;
    double *row = malloc(sizeof(double) * (size_t)(ctx->d + 1));
    int ranks = 1;
    MPI_Comm_size(ctx->comm, &ranks);
    kmeans_mpi_far_point *all = malloc(sizeof(kmeans_mpi_far_point) * (size_t)ranks);
    if (!row || !all)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(ctx->comm, status);
    /* The Lloyd step does not store distances; the far rows need them. */
    if (status == CVSEG_OK)
        cvseg_kmeans_label_distances(ctx->z, ctx->n, ctx->d, centres, label, distance2);
    for (int c = 0; c < global->k && status == CVSEG_OK; ++c) {
        if (global->count[c] != 0)
            continue;
        kmeans_mpi_far_point mine;
        const int64_t index = kmeans_mpi_local_far(ctx, global, member_id, label, distance2, &mine);
        status = cvseg_mpi_check(MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all,
                                               (int)sizeof mine, MPI_BYTE, ctx->comm),
                                 "repair gather");
        if (status != CVSEG_OK)
            break;
        const int winner = kmeans_mpi_far_winner(all, ranks);
        if (winner < 0)
            break; /* no row can move (fewer rows than clusters) */
        status = kmeans_mpi_move_row(ctx, global, c, winner, index, label, distance2, row);
        if (status != CVSEG_OK)
            break;
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

/* The largest of bound and |x[t]| over x [count] (exact: no rounding). */
static double kmeans_mpi_abs_max(const double *x, int64_t count, double bound)
{
    for (int64_t t = 0; t < count; ++t)
        bound = fabs(x[t]) > bound ? fabs(x[t]) : bound;
    return bound;
}

/* Work arrays of one run on one rank. */
typedef struct {
    int k;
    double *centres;      /* [k][d] of the restart in progress */
    double *best_centres; /* [k][d] of the best restart so far */
    double *min_d2;       /* [n] seeding: squared distance to the nearest centre (the caller's
                             distance2, free until the final assignment writes it) */
    cvseg_kmeans_partial partial; /* merged sums of the last assignment */
} kmeans_mpi_buffers;

static void kmeans_mpi_buffers_free(kmeans_mpi_buffers *b)
{
    cvseg_kmeans_partial_free(&b->partial);
    free(b->centres);
    free(b->best_centres);
}

/* The buffers and result->centres [k][d], result->sizes [k] (result zeroed
 * first); the seeding works in distance2 [n]. Collective (agrees). */
static cvseg_status kmeans_mpi_alloc(const kmeans_mpi_run *ctx, int k, double *distance2,
                                     kmeans_mpi_buffers *b, cvseg_kmeans_result *result)
{
    const int d = ctx->d;
    const int64_t n = ctx->n;
    cvseg_status status = CVSEG_OK;
    memset(b, 0, sizeof *b);
    b->k = k;
    b->centres = malloc(sizeof(double) * (size_t)(k * d));
    b->best_centres = malloc(sizeof(double) * (size_t)(k * d));
    b->min_d2 = distance2;
    memset(result, 0, sizeof *result);
    result->centres = calloc((size_t)(k * d), sizeof(double));
    result->sizes = calloc((size_t)k, sizeof(int64_t));
    if (!b->centres || !b->best_centres || !result->centres || !result->sizes)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for K-Means on %lld rows", (long long)n);
    if (status == CVSEG_OK)
        status = cvseg_kmeans_partial_alloc(&b->partial, k, d);
    return cvseg_mpi_agree(ctx->comm, status);
}

/* Global row numbering (ctx->first, ctx->total), the fixed-point exponents
 * from the global bound on |z| and on given centres, z (ctx->z, writable)
 * rounded to their grid, and the checks that k clusters can exist.
 * Collective. */
static cvseg_status kmeans_mpi_prepare(kmeans_mpi_run *ctx, double *z,
                                       const cvseg_kmeans_config *config)
{
    const int k = config->k;
    cvseg_status status = cvseg_mpi_exscan_i64(ctx->comm, ctx->n, &ctx->first, &ctx->total);
    if (status == CVSEG_OK && ctx->total < k)
        status = CVSEG_FAIL(CVSEG_EDATA, "K-Means needs at least k = %d members, got %lld", k,
                            (long long)ctx->total);
    if (status != CVSEG_OK)
        goto done;
    double zmax = kmeans_mpi_abs_max(ctx->z, (int64_t)ctx->d * ctx->n, 0.0);
    if (config->init == CVSEG_INIT_GIVEN)
        zmax = kmeans_mpi_abs_max(config->given_centres, (int64_t)k * ctx->d, zmax);
    status = cvseg_mpi_max_f64(ctx->comm, &zmax, 1);
    if (status != CVSEG_OK)
        goto done;
    if (!isfinite(zmax)) {
        status = CVSEG_FAIL(CVSEG_EDATA, "standardised features contain NaN or Inf");
        goto done;
    }
    ctx->exponents = cvseg_kmeans_exponents_for(zmax, ctx->d);
    cvseg_kmeans_quantize(z, ctx->n, ctx->d, &ctx->exponents);
    /* k clusters need k distinct points (on the grid): identical members
     * would leave clusters empty or duplicated. */
    int64_t distinct = 0;
    status = kmeans_mpi_count_distinct(ctx, k, &distinct);
    if (status == CVSEG_OK && distinct < k)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "K-Means with k = %d needs at least %d distinct members (distinct "
                            "standardised feature vectors); the data has only %lld",
                            k, k, (long long)distinct);
done:
    return status;
}

/* The run's state: fresh, or continued from config->resume (centres, best
 * centres and, within a restart, this rank's labels label [n]). */
static void kmeans_mpi_state_init(const kmeans_mpi_run *ctx, const cvseg_kmeans_config *config,
                                  kmeans_mpi_buffers *b, int32_t *label, cvseg_kmeans_state *state)
{
    const size_t centre_values = (size_t)(b->k * ctx->d);
    memset(state, 0, sizeof *state);
    state->centres = b->centres;
    state->label = label;
    state->best_centres = b->best_centres;
    state->best_inertia = INFINITY;
    if (!config->resume)
        return;
    const cvseg_kmeans_state *r = config->resume;
    state->restart = r->restart;
    state->iteration = r->iteration;
    state->have_best = r->have_best;
    state->best_inertia = r->have_best ? r->best_inertia : INFINITY;
    state->best_iterations = r->best_iterations;
    state->best_converged = r->best_converged;
    state->best_restart = r->best_restart;
    state->empty_repairs = r->empty_repairs;
    state->lloyd_iterations = r->lloyd_iterations;
    state->lloyd_seconds = r->lloyd_seconds;
    memcpy(b->centres, r->centres, sizeof(double) * centre_values);
    if (r->have_best)
        memcpy(b->best_centres, r->best_centres, sizeof(double) * centre_values);
    if (r->iteration > 0)
        memcpy(label, r->label, sizeof(int32_t) * (size_t)ctx->n);
}

/* Seeds restart `restart` into b->centres (timed into
 * result->seeding_seconds) and clears the labels label [n]. Collective. */
static cvseg_status kmeans_mpi_seed(const kmeans_mpi_run *ctx, const cvseg_kmeans_config *config,
                                    int restart, kmeans_mpi_buffers *b, int32_t *label,
                                    cvseg_kmeans_result *result)
{
    cvseg_status status = CVSEG_OK;
    const int k = b->k;
    const double seeding_started = MPI_Wtime();
    if (config->init == CVSEG_INIT_GIVEN)
        memcpy(b->centres, config->given_centres, sizeof(double) * (size_t)(k * ctx->d));
    else if (config->init == CVSEG_INIT_PARALLEL)
        status =
            kmeans_mpi_seed_parallel(ctx, k, config->seed, restart, b->min_d2, label, b->centres);
    else
        status = kmeans_mpi_seed_plusplus(ctx, k, config->seed, restart, b->min_d2, b->centres);
    result->seeding_seconds += MPI_Wtime() - seeding_started;
    if (status == CVSEG_OK)
        for (int64_t i = 0; i < ctx->n; ++i)
            label[i] = -1;
    return status;
}

/* One Lloyd step: assign, merge, repair empty clusters, move the centres;
 * *shift: the relative centre shift. Collective. */
static cvseg_status kmeans_mpi_lloyd_step(const kmeans_mpi_run *ctx, const int64_t *member_id,
                                          kmeans_mpi_buffers *b, int32_t *label, double *distance2,
                                          cvseg_kmeans_state *state, double *shift)
{
    cvseg_kmeans_partial_zero(&b->partial);
    cvseg_status status =
        kmeans_mpi_assign_and_reduce(ctx->comm, ctx->z, ctx->n, ctx->d, b->centres, b->k,
                                     &ctx->exponents, label, NULL, &b->partial);
    if (status != CVSEG_OK)
        return status;
    int64_t empty = 0;
    for (int c = 0; c < b->k; ++c)
        empty += b->partial.count[c] == 0;
    if (empty > 0)
        status = kmeans_mpi_repair_empty(ctx, &b->partial, member_id, label, distance2, b->centres,
                                         &state->empty_repairs);
    if (status == CVSEG_OK)
        *shift = cvseg_kmeans_update(&b->partial, &ctx->exponents, b->centres);
    return status;
}

/* Lloyd iterations of restart `restart` from state->iteration until the
 * stopping rule (*converged), config->max_iter, an error or a hook's *stop.
 * Collective. */
static cvseg_status kmeans_mpi_lloyd(const kmeans_mpi_run *ctx, const cvseg_kmeans_config *config,
                                     double tol_abs, const int64_t *member_id,
                                     kmeans_mpi_buffers *b, int32_t *label, double *distance2,
                                     cvseg_kmeans_state *state, int *converged, int *stop)
{
    cvseg_status status = CVSEG_OK;
    *converged = 0;
    while (state->iteration < config->max_iter && status == CVSEG_OK) {
        const double started = MPI_Wtime();
        double shift = 0.0;
        status = kmeans_mpi_lloyd_step(ctx, member_id, b, label, distance2, state, &shift);
        if (status != CVSEG_OK)
            break;
        state->iteration += 1;
        const double seconds = MPI_Wtime() - started;
        state->lloyd_seconds += seconds;
        state->lloyd_iterations += 1;
        if (config->progress)
            config->progress(config->progress_context, state->restart, state->iteration,
                             cvseg_fixed_to_double(b->partial.inertia, ctx->exponents.distance),
                             shift, b->partial.changed, seconds);
        if (b->partial.changed == 0 || shift <= tol_abs) {
            *converged = 1;
            break;
        }
        if (config->hook && state->iteration < config->max_iter) {
            status = config->hook(config->hook_context, state, stop);
            if (status != CVSEG_OK || *stop)
                break;
        }
    }
    return status;
}

/* Inertia at the restart's final centres (the figure restarts are compared
 * on); keeps the restart when it is the best so far. *assigned_best: label,
 * distance2 and b->partial hold the best restart's final assignment.
 * Collective. */
static cvseg_status kmeans_mpi_keep_best(const kmeans_mpi_run *ctx, kmeans_mpi_buffers *b,
                                         int32_t *label, double *distance2, int converged,
                                         cvseg_kmeans_state *state, int *assigned_best)
{
    cvseg_kmeans_partial_zero(&b->partial);
    cvseg_status status =
        kmeans_mpi_assign_and_reduce(ctx->comm, ctx->z, ctx->n, ctx->d, b->centres, b->k,
                                     &ctx->exponents, label, distance2, &b->partial);
    if (status != CVSEG_OK)
        return status;
    const double inertia = cvseg_fixed_to_double(b->partial.inertia, ctx->exponents.distance);
    *assigned_best = inertia < state->best_inertia;
    if (inertia < state->best_inertia) {
        state->best_inertia = inertia;
        state->have_best = 1;
        memcpy(b->best_centres, b->centres, sizeof(double) * (size_t)(b->k * ctx->d));
        state->best_iterations = state->iteration;
        state->best_converged = converged;
        state->best_restart = state->restart;
    }
    return status;
}

/* The restarts from state->restart on: seed (unless resuming inside a
 * restart), Lloyd, keep the best, and call the hook at each restart
 * boundary. Stops early on an error or a hook's *stop. Collective. */
static cvseg_status kmeans_mpi_restarts(const kmeans_mpi_run *ctx,
                                        const cvseg_kmeans_config *config, double tol_abs,
                                        int restarts, const int64_t *member_id,
                                        kmeans_mpi_buffers *b, int32_t *label, double *distance2,
                                        cvseg_kmeans_state *state, cvseg_kmeans_result *result,
                                        int *stop, int *assigned_best)
{
    cvseg_status status = CVSEG_OK;
    for (; state->restart < restarts && status == CVSEG_OK && !*stop; ++state->restart) {
        const int restart = state->restart;
        if (state->iteration == 0)
            status = kmeans_mpi_seed(ctx, config, restart, b, label, result);
        int converged = 0;
        if (status == CVSEG_OK)
            status = kmeans_mpi_lloyd(ctx, config, tol_abs, member_id, b, label, distance2, state,
                                      &converged, stop);
        if (status != CVSEG_OK || *stop)
            break;
        status = kmeans_mpi_keep_best(ctx, b, label, distance2, converged, state, assigned_best);
        if (status != CVSEG_OK)
            break;
        state->iteration = 0;
        if (config->hook && restart + 1 < restarts) {
            state->restart += 1; /* the boundary: next restart, not seeded yet */
            status = config->hook(config->hook_context, state, stop);
            state->restart -= 1;
        }
    }
    return status;
}

/* The result of the best restart: counters, timings (max over ranks), and
 * centres, sizes and inertia of its final assignment (repeated unless the
 * last pass was it). EINTERRUPTED when a hook stopped the run. Collective. */
static cvseg_status kmeans_mpi_finish(const kmeans_mpi_run *ctx, const cvseg_kmeans_state *state,
                                      int stop, int assigned_best, cvseg_status status,
                                      kmeans_mpi_buffers *b, int32_t *label, double *distance2,
                                      cvseg_kmeans_result *result)
{
    if (status == CVSEG_OK && stop)
        status = CVSEG_FAIL(CVSEG_EINTERRUPTED,
                            "K-Means interrupted at restart %d, iteration %d; "
                            "checkpoint written, continue with --resume",
                            state->restart, state->iteration);
    result->iterations = state->best_iterations;
    result->converged = state->best_converged;
    result->best_restart = state->best_restart;
    result->empty_repairs = state->empty_repairs;
    result->lloyd_iterations = state->lloyd_iterations;
    result->lloyd_seconds = state->lloyd_seconds;
    if (status != CVSEG_OK)
        return status;
    /* Timings differ per rank: report the slowest, identical everywhere. */
    enum { LLOYD, SEEDING, TIMINGS };
    double seconds[TIMINGS] = {
        [LLOYD] = result->lloyd_seconds, [SEEDING] = result->seeding_seconds};
    status = cvseg_mpi_max_f64(ctx->comm, seconds, TIMINGS);
    result->lloyd_seconds = seconds[LLOYD];
    result->seeding_seconds = seconds[SEEDING];
    if (status == CVSEG_OK && !assigned_best) {
        cvseg_kmeans_partial_zero(&b->partial);
        status = kmeans_mpi_assign_and_reduce(ctx->comm, ctx->z, ctx->n, ctx->d, b->best_centres,
                                              b->k, &ctx->exponents, label, distance2, &b->partial);
    }
    if (status == CVSEG_OK) {
        memcpy(result->centres, b->best_centres, sizeof(double) * (size_t)(b->k * ctx->d));
        memcpy(result->sizes, b->partial.count, sizeof(int64_t) * (size_t)b->k);
        result->inertia = cvseg_fixed_to_double(b->partial.inertia, ctx->exponents.distance);
    }
    return status;
}

cvseg_status cvseg_mpi_kmeans(MPI_Comm comm, double *z, int64_t n, int d, const int64_t *member_id,
                              const cvseg_kmeans_config *config, int32_t *label, double *distance2,
                              cvseg_kmeans_result *result)
{
    kmeans_mpi_run ctx = {comm, z, n, d, 0, 0, {0, 0}};
    kmeans_mpi_buffers buffers;
    cvseg_kmeans_state state;
    int stop = 0, assigned_best = 0;
    cvseg_status status = kmeans_mpi_alloc(&ctx, config->k, distance2, &buffers, result);
    if (status == CVSEG_OK)
        status = kmeans_mpi_prepare(&ctx, z, config);
    if (status != CVSEG_OK)
        goto done;
    const double tol_abs = config->tol * kmeans_mpi_mean_variance(&ctx, &status);
    const int restarts = config->init == CVSEG_INIT_GIVEN ? 1 : config->n_init;
    kmeans_mpi_state_init(&ctx, config, &buffers, label, &state);
    result->restarts = restarts;
    if (status == CVSEG_OK)
        status = kmeans_mpi_restarts(&ctx, config, tol_abs, restarts, member_id, &buffers, label,
                                     distance2, &state, result, &stop, &assigned_best);
    status = kmeans_mpi_finish(&ctx, &state, stop, assigned_best, status, &buffers, label,
                               distance2, result);
done:
    kmeans_mpi_buffers_free(&buffers);
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
    double bound = kmeans_mpi_abs_max(z, (int64_t)d * n, 0.0);
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
    double zmax = kmeans_mpi_abs_max(z, (int64_t)d * n, 0.0);
    zmax = kmeans_mpi_abs_max(centres, (int64_t)k * d, zmax);
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
