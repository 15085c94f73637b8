/* migration.c: last night vs tonight, joined by member id across ranks.
 *
 * Both files are partitioned independently (blocks of their own row order);
 * records are hash-partitioned by member id to owner ranks (MPI_Alltoallv),
 * joined there with a hash table, and the previous segment and cluster are
 * sent back to the rank that holds tonight's row. No rank ever holds more
 * than its share of either file. Transition matrices have one extra
 * category, "absent": new members come from it, members gone tonight go to
 * it. Monetary totals per cell are exact fixed-point sums (tonight's M for
 * members present tonight, last night's M for members gone).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "cvseg/fixed.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "cvseg/rng.h"
#include "pipeline.h"

enum { WORDS = 6 }; /* id, origin row, segment, cluster, abc, monetary bits */

static int64_t bits_of(double x)
{
    int64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double double_of(int64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* |x| for finite x, 0 for NaN / Inf (amounts the matrices skip). */
static double migration_finite_abs(double x)
{
    return isfinite(x) ? fabs(x) : 0.0;
}

static int category(int matrix, int64_t value, int k)
{
    /* segment 0..8, cluster -1..k-1 -> 0..k, ABC 0..3; absent is the last. */
    return matrix == 1 ? (int)(value < 0 ? k : value) : (int)value;
}

cvseg_status cvseg_job_migration(cvseg_app *app, cvseg_job *job, const char *previous_path)
{
    cvseg_status status = CVSEG_OK;
    cvseg_reader *reader = NULL;
    const int P = app->ranks, k = job->clustering.k;
    int64_t old_rows = 0;
    int64_t *new_records = NULL, *old_records = NULL, *new_received = NULL, *old_received = NULL;
    int64_t new_n = 0, old_n = 0;
    int64_t *old_id = NULL;
    int16_t *old_cluster = NULL;
    uint8_t *old_segment = NULL, *old_abc = NULL;
    double *old_monetary = NULL;
    cvseg_exchange_plan new_plan = {0}, old_plan = {0};
    int64_t *slot_key = NULL, *slot_value = NULL;
    uint8_t *matched = NULL;
    cvseg_i128 *sums[3] = {NULL, NULL, NULL};
    int64_t *replies = NULL, *returned = NULL;
    const int sizes[3] = {CVSEG_SEG_COUNT + 1, k + 2, CVSEG_ABC_COUNT + 1};
    for (int m = 0; m < 3; ++m) {
        job->migration.sizes[m] = sizes[m];
        job->migration.members[m] = calloc((size_t)(sizes[m] * sizes[m]), sizeof(int64_t));
        job->migration.monetary[m] = calloc((size_t)(sizes[m] * sizes[m]), sizeof(double));
        sums[m] = calloc((size_t)(sizes[m] * sizes[m]), sizeof(cvseg_i128));
        if (!job->migration.members[m] || !job->migration.monetary[m] || !sums[m])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for transition matrices");
    }
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;

    /* Last night's results, in blocks of their own order. */
    static const char *const columns[4] = {"member_id", "segment", "abc_class", "monetary"};
    status = cvseg_reader_open(app->comm, previous_path, &reader);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, "/results", columns, 4, &old_rows);
    if (status != CVSEG_OK)
        goto done;
    const int has_cluster = cvseg_reader_exists(reader, "/results/cluster");
    const cvseg_block block = cvseg_block_partition(old_rows, P, app->rank);
    const size_t old_alloc = (size_t)(block.count > 0 ? block.count : 1);
    old_id = malloc(sizeof(int64_t) * old_alloc);
    old_cluster = calloc(old_alloc, sizeof(int16_t));
    old_segment = malloc(old_alloc);
    old_abc = malloc(old_alloc);
    old_monetary = malloc(sizeof(double) * old_alloc);
    if (!old_id || !old_cluster || !old_segment || !old_abc || !old_monetary)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for last night's results");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/results", "member_id", CVSEG_T_I64, block.offset,
                                     block.count, old_id);
    if (status == CVSEG_OK)
        status = cvseg_reader_enum_column(reader, "/results", "segment", block.offset, block.count,
                                          old_segment);
    if (status == CVSEG_OK)
        status = cvseg_reader_enum_column(reader, "/results", "abc_class", block.offset,
                                          block.count, old_abc);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/results", "monetary", CVSEG_T_F64, block.offset,
                                     block.count, old_monetary);
    if (status == CVSEG_OK && has_cluster)
        status = cvseg_reader_column(reader, "/results", "cluster", CVSEG_T_I16, block.offset,
                                     block.count, old_cluster);
    for (int64_t i = 0; i < block.count && !has_cluster; ++i)
        old_cluster[i] = -1;
    for (int64_t i = 0; i < block.count && status == CVSEG_OK; ++i)
        if (old_segment[i] >= CVSEG_SEG_COUNT || old_abc[i] >= CVSEG_ABC_COUNT ||
            old_cluster[i] >= k || old_cluster[i] < -1)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '/results/segment', row %lld: category out of "
                                "range for this model (segment %d, ABC %d, cluster %d)",
                                previous_path, (long long)(block.offset + i), old_segment[i],
                                old_abc[i], old_cluster[i]);
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;

    /* Records to the owners of their ids. */
    new_records =
        malloc(sizeof(int64_t) * WORDS * (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    old_records = malloc(sizeof(int64_t) * WORDS * old_alloc);
    if (!new_records || !old_records)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < job->rows.n_local; ++i) {
        int64_t *r = new_records + i * WORDS;
        r[0] = job->rows.member_id[i];
        r[1] = i;
        r[2] = job->rfm.segment[i];
        r[3] = job->clustering.cluster ? job->clustering.cluster[i] : -1;
        r[4] = job->rfm.abc_class[i];
        r[5] = bits_of(job->rows.monetary[i]);
    }
    for (int64_t i = 0; i < block.count; ++i) {
        int64_t *r = old_records + i * WORDS;
        r[0] = old_id[i];
        r[1] = -1;
        r[2] = old_segment[i];
        r[3] = old_cluster[i];
        r[4] = old_abc[i];
        r[5] = bits_of(old_monetary[i]);
    }
    status = cvseg_member_scatter(app->comm, P, WORDS, new_records, job->rows.n_local,
                                  &new_received, &new_n, &new_plan);
    if (status == CVSEG_OK)
        status = cvseg_member_scatter(app->comm, P, WORDS, old_records, block.count, &old_received,
                                      &old_n, &old_plan);
    if (status != CVSEG_OK)
        goto done;

    /* Hash join at the owner. */
    int64_t capacity = 16;
    while (capacity < 2 * old_n)
        capacity *= 2;
    slot_key = malloc(sizeof(int64_t) * (size_t)capacity);
    slot_value = malloc(sizeof(int64_t) * (size_t)capacity);
    matched = calloc((size_t)(old_n > 0 ? old_n : 1), 1);
    replies = malloc(sizeof(int64_t) * WORDS * (size_t)(new_n > 0 ? new_n : 1));
    if (!slot_key || !slot_value || !matched || !replies)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;
    const uint64_t mask = (uint64_t)capacity - 1;
    for (int64_t s = 0; s < capacity; ++s)
        slot_value[s] = -1;
    for (int64_t o = 0; o < old_n; ++o) {
        const int64_t id = old_received[o * WORDS];
        uint64_t s = (cvseg_mix64((uint64_t)id) >> 16) & mask;
        while (slot_value[s] >= 0 && slot_key[s] != id)
            s = (s + 1) & mask;
        if (slot_value[s] < 0) {
            slot_key[s] = id;
            slot_value[s] = o;
        }
    }
    const double bound =
        fmax(fmax(fabs(job->rfm.moments[2].min), fabs(job->rfm.moments[2].max)), 1.0);
    double old_bound = bound;
    /* The bound covers every amount added below: last night's rows and all of
     * tonight's rows (dropped and invalid members too), NaN/Inf excluded. */
    for (int64_t o = 0; o < old_n; ++o)
        old_bound = fmax(old_bound, migration_finite_abs(double_of(old_received[o * WORDS + 5])));
    for (int64_t t = 0; t < new_n; ++t)
        old_bound = fmax(old_bound, migration_finite_abs(double_of(new_received[t * WORDS + 5])));
    status = cvseg_mpi_max_f64(app->comm, &old_bound, 1);
    if (status != CVSEG_OK)
        goto done;
    const int exponent = cvseg_fixed_exponent(isfinite(old_bound) ? old_bound : 1.0);
    const double scale = cvseg_fixed_scale(exponent);
    int64_t new_count = 0, gone_count = 0;
    for (int64_t t = 0; t < new_n; ++t) {
        const int64_t *r = new_received + t * WORDS;
        uint64_t s = (cvseg_mix64((uint64_t)r[0]) >> 16) & mask;
        while (slot_value[s] >= 0 && slot_key[s] != r[0])
            s = (s + 1) & mask;
        const int64_t o = slot_value[s];
        const int64_t *old = o >= 0 ? old_received + o * WORDS : NULL;
        if (old)
            matched[o] = 1;
        else
            new_count += 1;
        const double money = double_of(r[5]);
        const int64_t term = isfinite(money) ? cvseg_fixed_term(money, scale) : 0;
        for (int m = 0; m < 3; ++m) {
            const int from = old ? category(m, old[2 + m], k) : sizes[m] - 1;
            const int to = category(m, r[2 + m], k);
            job->migration.members[m][from * sizes[m] + to] += 1;
            sums[m][from * sizes[m] + to] += term;
        }
        int64_t *reply = replies + t * WORDS;
        reply[0] = r[0];
        reply[1] = r[1];
        reply[2] = old ? old[2] : CVSEG_SEG_NONE;
        reply[3] = old ? old[3] : -1;
        reply[4] = old ? old[4] : CVSEG_ABC_NONE;
        reply[5] = old ? 1 : 0;
    }
    for (int64_t o = 0; o < old_n; ++o) {
        if (matched[o])
            continue;
        const int64_t *old = old_received + o * WORDS;
        gone_count += 1;
        const double money = double_of(old[5]);
        const int64_t term = isfinite(money) ? cvseg_fixed_term(money, scale) : 0;
        for (int m = 0; m < 3; ++m) {
            const int from = category(m, old[2 + m], k);
            job->migration.members[m][from * sizes[m] + sizes[m] - 1] += 1;
            sums[m][from * sizes[m] + sizes[m] - 1] += term;
        }
    }
    /* Global matrices. */
    for (int m = 0; m < 3 && status == CVSEG_OK; ++m) {
        status = cvseg_mpi_sum_i64(app->comm, job->migration.members[m], sizes[m] * sizes[m]);
        if (status == CVSEG_OK)
            status = cvseg_mpi_sum_i128(app->comm, sums[m], sizes[m] * sizes[m]);
        for (int c = 0; c < sizes[m] * sizes[m] && status == CVSEG_OK; ++c)
            job->migration.monetary[m][c] = cvseg_fixed_to_double(sums[m][c], exponent);
    }
    int64_t counts[2] = {new_count, gone_count};
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(app->comm, counts, 2);
    job->migration.new_members = counts[0];
    job->migration.gone_members = counts[1];
    if (status != CVSEG_OK)
        goto done;

    /* Previous segment and cluster back to tonight's rows: reverse exchange
     * (records arrived grouped by source rank: the replies are in that order). */
    returned =
        malloc(sizeof(int64_t) * WORDS * (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    job->migration.previous_cluster =
        malloc(sizeof(int16_t) * (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    job->migration.previous_segment =
        malloc((size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    if (!returned || !job->migration.previous_cluster || !job->migration.previous_segment)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(app->comm, status);
    cvseg_exchange_plan_reverse(&new_plan);
    if (status == CVSEG_OK)
        status =
            cvseg_exchange_run(app->comm, &new_plan, replies, returned, sizeof(int64_t) * WORDS);
    for (int64_t t = 0; t < job->rows.n_local && status == CVSEG_OK; ++t) {
        const int64_t *reply = returned + t * WORDS;
        job->migration.previous_segment[reply[1]] = (uint8_t)reply[2];
        job->migration.previous_cluster[reply[1]] = (int16_t)reply[3];
    }
    job->migration.migrated = status == CVSEG_OK;
done:
    cvseg_reader_close(reader);
    free(new_records);
    free(old_records);
    free(new_received);
    free(old_received);
    free(old_id);
    free(old_cluster);
    free(old_segment);
    free(old_abc);
    free(old_monetary);
    cvseg_exchange_plan_free(&new_plan);
    cvseg_exchange_plan_free(&old_plan);
    free(slot_key);
    free(slot_value);
    free(matched);
    free(replies);
    free(returned);
    for (int m = 0; m < 3; ++m)
        free(sums[m]);
    return cvseg_mpi_agree(app->comm, status);
}

void cvseg_job_drift(cvseg_job *job)
{
    int64_t total_training = 0, total_tonight = 0;
    for (int s = 0; s < 5; ++s)
        total_training += job->migration.training_score_bins[0][s];
    for (int s = 1; s <= 5; ++s)
        total_tonight += job->rfm.score_bins[0][s];
    job->migration.drift_available = total_training > 0 && total_tonight > 0;
    if (!job->migration.drift_available)
        return;
    const double floor_share = 1e-4; /* keeps empty bins finite */
    for (int f = 0; f < 3; ++f) {
        double psi = 0.0;
        for (int s = 0; s < 5; ++s) {
            const double expected =
                fmax((double)job->migration.training_score_bins[f][s] / (double)total_training,
                     floor_share);
            const double actual =
                fmax((double)job->rfm.score_bins[f][s + 1] / (double)total_tonight, floor_share);
            psi += (actual - expected) * log(actual / expected);
        }
        job->migration.psi[f] = psi;
        const double sd = job->migration.training_statistics[f][1];
        job->migration.mean_shift[f] =
            sd > 0.0 ? (job->rfm.moments[f].mean - job->migration.training_statistics[f][0]) / sd
                     : 0.0;
    }
    int64_t training_scored = 0;
    for (int g = 0; g < 8; ++g)
        training_scored += job->migration.training_segment_members[g];
    for (int g = 0; g < 8; ++g)
        job->migration.segment_share_change[g] =
            (job->rows.n_ok ? (double)job->rfm.by_segment.count[g] / (double)job->rows.n_ok : 0.0) -
            (training_scored
                 ? (double)job->migration.training_segment_members[g] / (double)training_scored
                 : 0.0);
}
