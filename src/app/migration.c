/* migration.c: last night vs tonight, joined by member id across ranks.
 *
 * Both files are partitioned independently (blocks of their own row order);
 * records are hash-partitioned by member id to owner ranks
 * (member_scatter.h, on the shared record exchange), joined there with a
 * hash table (id_join.h), and the previous segment and cluster are
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
#include "cvseg/id_join.h"
#include "cvseg/io.h"
#include "cvseg/member_scatter.h"
#include "cvseg/partition.h"
#include "migration.h"
#include "pipeline.h"

const char *const cvseg_migration_matrix_names[CVSEG_MIGRATION_MATRICES] = {"segment", "cluster",
                                                                            "abc"};

/* The words of a join record [MIGRATION_WORDS] int64: member id, tonight's
 * row (-1 for last night's records), the category of each matrix (segment,
 * cluster, ABC), monetary bits. A reply carries the same id and row, last
 * night's categories (none / -1 when new) and 1 when matched. */
enum {
    MIGRATION_ID,
    MIGRATION_ROW,
    MIGRATION_CATEGORY, /* + cvseg_migration_matrix */
    MIGRATION_MONEY = MIGRATION_CATEGORY + CVSEG_MIGRATION_MATRICES,
    MIGRATION_MATCHED = MIGRATION_MONEY,
    MIGRATION_WORDS
};

/* One side of the join (tonight or last night): this rank's records
 * [n][WORDS] before the exchange, those that arrived at this owner
 * [received_n][WORDS], and the exchange plan. */
typedef struct {
    int64_t n, *records;
    int64_t received_n, *received;
    cvseg_exchange_plan plan;
} migration_side;

/* This rank's block of last night's /results: columns [count]. */
typedef struct {
    int64_t offset, count;
    int64_t *id;
    int16_t *cluster; /* -1 when the file has no clusters */
    uint8_t *segment, *abc;
    double *monetary;
} migration_previous;

/* The join at this owner: match [tonight received_n] (last night's record
 * or -1), matched [last night received_n], replies [tonight
 * received_n][WORDS]; exact monetary sums per matrix cell. */
typedef struct {
    int64_t *match;
    uint8_t *matched;
    int64_t *replies;
    cvseg_i128 *sums[CVSEG_MIGRATION_MATRICES]; /* [size][size] */
    int exponent;                               /* of the fixed-point sums */
    int64_t new_count, gone_count;              /* this owner's */
} migration_join;

static int64_t migration_bits_of(double x)
{
    int64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double migration_double_of(int64_t b)
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

/* Row / column of value in matrix m: segment 0..8 and ABC 0..3 as they
 * are, cluster -1..k-1 -> k, 0..k-1 (unclustered after the clusters);
 * absent is the last (size - 1). */
static int migration_category(cvseg_migration_matrix m, int64_t value, int k)
{
    return m == CVSEG_MIGRATION_CLUSTER && value < 0 ? k : (int)value;
}

/* Zeroed matrices [size][size] in migration and sums. Collective (agreement). */
static cvseg_status migration_matrices_alloc(MPI_Comm comm, cvseg_migration *migration, int k,
                                             migration_join *join)
{
    cvseg_status status = CVSEG_OK;
    const int sizes[CVSEG_MIGRATION_MATRICES] = {CVSEG_SEG_COUNT + 1, k + 2, CVSEG_ABC_COUNT + 1};
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m) {
        const size_t cells = (size_t)(sizes[m] * sizes[m]);
        migration->sizes[m] = sizes[m];
        migration->members[m] = calloc(cells, sizeof(int64_t));
        migration->monetary[m] = calloc(cells, sizeof(double));
        join->sums[m] = calloc(cells, sizeof(cvseg_i128));
        if (!migration->members[m] || !migration->monetary[m] || !join->sums[m])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for transition matrices");
    }
    return cvseg_mpi_agree(comm, status);
}

static void migration_previous_free(migration_previous *previous)
{
    free(previous->id);
    free(previous->cluster);
    free(previous->segment);
    free(previous->abc);
    free(previous->monetary);
}

/* Reads the block's columns (cluster -1 everywhere when has_cluster is 0). */
static cvseg_status migration_previous_read(cvseg_reader *reader, int has_cluster,
                                            migration_previous *p)
{
    cvseg_status status = cvseg_reader_column(reader, "/results", "member_id", CVSEG_T_I64,
                                              p->offset, p->count, p->id);
    if (status == CVSEG_OK)
        status = cvseg_reader_enum_column(reader, "/results", "segment", p->offset, p->count,
                                          p->segment);
    if (status == CVSEG_OK)
        status =
            cvseg_reader_enum_column(reader, "/results", "abc_class", p->offset, p->count, p->abc);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/results", "monetary", CVSEG_T_F64, p->offset,
                                     p->count, p->monetary);
    if (status == CVSEG_OK && has_cluster)
        status = cvseg_reader_column(reader, "/results", "cluster", CVSEG_T_I16, p->offset,
                                     p->count, p->cluster);
    for (int64_t i = 0; i < p->count && !has_cluster; ++i)
        p->cluster[i] = -1;
    return status;
}

/* EDATA for the first row whose categories do not fit this model (k). */
static cvseg_status migration_previous_check(const char *path, const migration_previous *p, int k)
{
    for (int64_t i = 0; i < p->count; ++i)
        if (p->segment[i] >= CVSEG_SEG_COUNT || p->abc[i] >= CVSEG_ABC_COUNT ||
            p->cluster[i] >= k || p->cluster[i] < -1)
            return CVSEG_FAIL(CVSEG_EDATA,
                              "file '%s', dataset '/results/segment', row %lld: category out of "
                              "range for this model (segment %d, ABC %d, cluster %d)",
                              path, (long long)(p->offset + i), p->segment[i], p->abc[i],
                              p->cluster[i]);
    return CVSEG_OK;
}

/* Last night's results, this rank's block of their own order, checked
 * against k. Collective. */
static cvseg_status migration_previous_load(MPI_Comm comm, int ranks, int rank, const char *path,
                                            int k, migration_previous *p)
{
    static const char *const columns[4] = {"member_id", "segment", "abc_class", "monetary"};
    cvseg_reader *reader = NULL;
    int64_t rows = 0;
    cvseg_status status = cvseg_reader_open(comm, path, &reader);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, "/results", columns, 4, &rows);
    if (status != CVSEG_OK)
        goto done;
    const int has_cluster = cvseg_reader_exists(reader, "/results/cluster");
    const cvseg_block block = cvseg_block_partition(rows, ranks, rank);
    const size_t alloc = (size_t)(block.count > 0 ? block.count : 1);
    p->offset = block.offset;
    p->count = block.count;
    p->id = malloc(sizeof(int64_t) * alloc);
    p->cluster = calloc(alloc, sizeof(int16_t));
    p->segment = malloc(alloc);
    p->abc = malloc(alloc);
    p->monetary = malloc(sizeof(double) * alloc);
    if (!p->id || !p->cluster || !p->segment || !p->abc || !p->monetary)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for last night's results");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = migration_previous_read(reader, has_cluster, p);
    if (status == CVSEG_OK)
        status = migration_previous_check(path, p, k);
    status = cvseg_mpi_agree(comm, status);
done:
    cvseg_reader_close(reader);
    return status;
}

/* The join records of both sides: tonight's rows and last night's block.
 * Collective (agreement). */
static cvseg_status migration_records(MPI_Comm comm, const cvseg_job *job,
                                      const migration_previous *p, migration_side *tonight,
                                      migration_side *last_night)
{
    const cvseg_job_rows *rows = &job->rows;
    const size_t words = MIGRATION_WORDS * sizeof(int64_t);
    tonight->n = rows->n_local;
    last_night->n = p->count;
    tonight->records = malloc(words * (size_t)(tonight->n > 0 ? tonight->n : 1));
    last_night->records = malloc(words * (size_t)(p->count > 0 ? p->count : 1));
    cvseg_status status = CVSEG_OK;
    if (!tonight->records || !last_night->records)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(comm, status);
    for (int64_t i = 0; i < tonight->n && status == CVSEG_OK; ++i) {
        int64_t *r = tonight->records + i * MIGRATION_WORDS;
        r[MIGRATION_ID] = rows->member_id[i];
        r[MIGRATION_ROW] = i;
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_SEGMENT] = job->rfm.segment[i];
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_CLUSTER] =
            job->clustering.cluster ? job->clustering.cluster[i] : -1;
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_ABC] = job->rfm.abc_class[i];
        r[MIGRATION_MONEY] = migration_bits_of(rows->monetary[i]);
    }
    for (int64_t i = 0; i < p->count && status == CVSEG_OK; ++i) {
        int64_t *r = last_night->records + i * MIGRATION_WORDS;
        r[MIGRATION_ID] = p->id[i];
        r[MIGRATION_ROW] = -1;
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_SEGMENT] = p->segment[i];
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_CLUSTER] = p->cluster[i];
        r[MIGRATION_CATEGORY + CVSEG_MIGRATION_ABC] = p->abc[i];
        r[MIGRATION_MONEY] = migration_bits_of(p->monetary[i]);
    }
    return status;
}

/* Both sides' records to the owners of their ids. Collective. */
static cvseg_status migration_scatter(const cvseg_app *app, migration_side *tonight,
                                      migration_side *last_night)
{
    cvseg_status status =
        cvseg_member_scatter(app->comm, app->ranks, MIGRATION_WORDS, tonight->records, tonight->n,
                             &tonight->received, &tonight->received_n, &tonight->plan);
    if (status == CVSEG_OK)
        status = cvseg_member_scatter(app->comm, app->ranks, MIGRATION_WORDS, last_night->records,
                                      last_night->n, &last_night->received, &last_night->received_n,
                                      &last_night->plan);
    return status;
}

/* The hash join at this owner (id_join.h): last night's repeated ids join
 * their first record. Collective (agreement). */
static cvseg_status migration_match(MPI_Comm comm, const migration_side *tonight,
                                    const migration_side *last_night, migration_join *join)
{
    const int64_t new_n = tonight->received_n, old_n = last_night->received_n;
    join->match = malloc(sizeof(int64_t) * (size_t)(new_n > 0 ? new_n : 1));
    join->matched = malloc((size_t)(old_n > 0 ? old_n : 1));
    join->replies = malloc(sizeof(int64_t) * MIGRATION_WORDS * (size_t)(new_n > 0 ? new_n : 1));
    cvseg_status status = CVSEG_OK;
    if (!join->match || !join->matched || !join->replies)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    int64_t duplicate = -1;
    if (status == CVSEG_OK)
        status = cvseg_id_join(last_night->received, MIGRATION_WORDS, old_n, tonight->received,
                               MIGRATION_WORDS, new_n, join->match, join->matched, &duplicate);
    return cvseg_mpi_agree(comm, status);
}

/* The fixed-point exponent of the monetary sums: from a bound on every
 * amount added (tonight's M range, and every joined record's finite
 * amount: last night's rows and all of tonight's rows, dropped and invalid
 * members too), the same on every rank. Collective. */
static cvseg_status migration_exponent(MPI_Comm comm, const cvseg_moments *monetary,
                                       const migration_side *tonight,
                                       const migration_side *last_night, int *exponent)
{
    double bound = fmax(fmax(fabs(monetary->min), fabs(monetary->max)), 1.0);
    for (int64_t o = 0; o < last_night->received_n; ++o)
        bound = fmax(bound, migration_finite_abs(migration_double_of(
                                last_night->received[o * MIGRATION_WORDS + MIGRATION_MONEY])));
    for (int64_t t = 0; t < tonight->received_n; ++t)
        bound = fmax(bound, migration_finite_abs(migration_double_of(
                                tonight->received[t * MIGRATION_WORDS + MIGRATION_MONEY])));
    const cvseg_status status = cvseg_mpi_max_f64(comm, &bound, 1);
    *exponent = cvseg_fixed_exponent(isfinite(bound) ? bound : 1.0);
    return status;
}

/* Adds one member to cell (from, to) of every matrix: categories of from
 * and to records (NULL: absent), amount bits money. */
static void migration_count(cvseg_migration *migration, migration_join *join, int k,
                            const int64_t *from, const int64_t *to, int64_t money, double scale)
{
    const double amount = migration_double_of(money);
    const int64_t term = isfinite(amount) ? cvseg_fixed_term(amount, scale) : 0;
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m) {
        const int size = migration->sizes[m], absent = size - 1;
        const int row = from ? migration_category(m, from[MIGRATION_CATEGORY + m], k) : absent;
        const int column = to ? migration_category(m, to[MIGRATION_CATEGORY + m], k) : absent;
        migration->members[m][row * size + column] += 1;
        join->sums[m][row * size + column] += term;
    }
}

/* The local matrices at this owner (tonight's members with tonight's M,
 * members gone tonight with last night's M) and one reply per tonight
 * record: last night's categories. */
static void migration_tally(cvseg_migration *migration, int k, const migration_side *tonight,
                            const migration_side *last_night, migration_join *join)
{
    const double scale = cvseg_fixed_scale(join->exponent);
    for (int64_t t = 0; t < tonight->received_n; ++t) {
        const int64_t *r = tonight->received + t * MIGRATION_WORDS, o = join->match[t];
        const int64_t *old = o >= 0 ? last_night->received + o * MIGRATION_WORDS : NULL;
        join->new_count += old == NULL;
        migration_count(migration, join, k, old, r, r[MIGRATION_MONEY], scale);
        int64_t *reply = join->replies + t * MIGRATION_WORDS;
        reply[MIGRATION_ID] = r[MIGRATION_ID];
        reply[MIGRATION_ROW] = r[MIGRATION_ROW];
        for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m)
            reply[MIGRATION_CATEGORY + m] = old ? old[MIGRATION_CATEGORY + m]
                                            : m == CVSEG_MIGRATION_SEGMENT ? CVSEG_SEG_NONE
                                            : m == CVSEG_MIGRATION_ABC     ? CVSEG_ABC_NONE
                                                                           : -1;
        reply[MIGRATION_MATCHED] = old ? 1 : 0;
    }
    for (int64_t o = 0; o < last_night->received_n; ++o) {
        if (join->matched[o])
            continue;
        const int64_t *old = last_night->received + o * MIGRATION_WORDS;
        join->gone_count += 1;
        migration_count(migration, join, k, old, NULL, old[MIGRATION_MONEY], scale);
    }
}

/* Global matrices, monetary cells and new / gone counts. Collective. */
static cvseg_status migration_reduce(MPI_Comm comm, cvseg_migration *migration,
                                     migration_join *join)
{
    cvseg_status status = CVSEG_OK;
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES && status == CVSEG_OK; ++m) {
        const int cells = migration->sizes[m] * migration->sizes[m];
        status = cvseg_mpi_sum_i64(comm, migration->members[m], cells);
        if (status == CVSEG_OK)
            status = cvseg_mpi_sum_i128(comm, join->sums[m], cells);
        for (int c = 0; c < cells && status == CVSEG_OK; ++c)
            migration->monetary[m][c] = cvseg_fixed_to_double(join->sums[m][c], join->exponent);
    }
    int64_t counts[2] = {join->new_count, join->gone_count};
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(comm, counts, 2);
    migration->new_members = counts[0];
    migration->gone_members = counts[1];
    return status;
}

/* Previous segment and cluster back to tonight's rows: the reverse
 * exchange (records arrived grouped by source rank: the replies are in that
 * order). Collective. */
static cvseg_status migration_send_back(MPI_Comm comm, int64_t n_local, cvseg_migration *migration,
                                        migration_side *tonight, const int64_t *replies)
{
    const size_t n = (size_t)(n_local > 0 ? n_local : 1);
    int64_t *returned = malloc(sizeof(int64_t) * MIGRATION_WORDS * n);
    migration->previous_cluster = malloc(sizeof(int16_t) * n);
    migration->previous_segment = malloc(n);
    cvseg_status status = CVSEG_OK;
    if (!returned || !migration->previous_cluster || !migration->previous_segment)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    status = cvseg_mpi_agree(comm, status);
    cvseg_exchange_plan_reverse(&tonight->plan);
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(comm, &tonight->plan, replies, returned,
                                    sizeof(int64_t) * MIGRATION_WORDS);
    for (int64_t t = 0; t < n_local && status == CVSEG_OK; ++t) {
        const int64_t *reply = returned + t * MIGRATION_WORDS, row = reply[MIGRATION_ROW];
        migration->previous_segment[row] =
            (uint8_t)reply[MIGRATION_CATEGORY + CVSEG_MIGRATION_SEGMENT];
        migration->previous_cluster[row] =
            (int16_t)reply[MIGRATION_CATEGORY + CVSEG_MIGRATION_CLUSTER];
    }
    free(returned);
    return status;
}

static void migration_side_free(migration_side *side)
{
    free(side->records);
    free(side->received);
    cvseg_exchange_plan_free(&side->plan);
}

static void migration_join_free(migration_join *join)
{
    free(join->match);
    free(join->matched);
    free(join->replies);
    for (int m = 0; m < CVSEG_MIGRATION_MATRICES; ++m)
        free(join->sums[m]);
}

cvseg_status cvseg_job_migration(cvseg_app *app, cvseg_job *job, const char *previous_path)
{
    const int k = job->clustering.k;
    cvseg_migration *migration = &job->migration;
    migration_previous previous = {0};
    migration_side tonight = {0}, last_night = {0};
    migration_join join = {0};
    cvseg_status status = migration_matrices_alloc(app->comm, migration, k, &join);
    if (status == CVSEG_OK)
        status =
            migration_previous_load(app->comm, app->ranks, app->rank, previous_path, k, &previous);
    if (status == CVSEG_OK)
        status = migration_records(app->comm, job, &previous, &tonight, &last_night);
    migration_previous_free(&previous);
    if (status == CVSEG_OK)
        status = migration_scatter(app, &tonight, &last_night);
    if (status == CVSEG_OK)
        status = migration_match(app->comm, &tonight, &last_night, &join);
    if (status == CVSEG_OK)
        status = migration_exponent(app->comm, &job->rfm.moments[2] /* M */, &tonight, &last_night,
                                    &join.exponent);
    if (status == CVSEG_OK) {
        migration_tally(migration, k, &tonight, &last_night, &join);
        status = migration_reduce(app->comm, migration, &join);
    }
    if (status == CVSEG_OK)
        status =
            migration_send_back(app->comm, job->rows.n_local, migration, &tonight, join.replies);
    migration->migrated = status == CVSEG_OK;
    migration_side_free(&tonight);
    migration_side_free(&last_night);
    migration_join_free(&join);
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
