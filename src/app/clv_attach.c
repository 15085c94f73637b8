/* clv_attach.c: score --clv. The CLV file's /clv rows (ascending member_id,
 * read in blocks of that order) and tonight's members (this rank's rows) are
 * hash-partitioned by member id (member_join.c), joined at the owner rank,
 * and the CLV values go back to the rank that holds tonight's row. Members
 * the file lacks get NaN and the lifecycle "prospect"; file rows whose id is
 * not among tonight's members are counted and otherwise ignored. Values
 * travel as their bit patterns: the columns are copied exactly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/fixed.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "pipeline.h"

const char *const cvseg_clv_attached_names[CVSEG_CLV_ATTACHED] = {
    "p_alive", "expected_purchases", "expected_spend", "clv", "historic_value"};

/* A CLV record: id, the five values' bits, lifecycle. A reply: tonight's
 * row, the five values' bits, lifecycle. */
enum { CLV_ATTACH_WORDS = 2 + CVSEG_CLV_ATTACHED };

/* Reads rows [offset, offset + count) of /clv into records [count][WORDS]. */
static cvseg_status clv_attach_read_block(MPI_Comm comm, cvseg_reader *reader, const char *path,
                                          int64_t offset, int64_t count, int64_t *records)
{
    const size_t alloc = (size_t)(count > 0 ? count : 1);
    int64_t *ids = malloc(sizeof(int64_t) * alloc);
    double *values = malloc(sizeof(double) * alloc);
    uint8_t *stage = malloc(alloc);
    cvseg_status status = CVSEG_OK;
    if (!ids || !values || !stage)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the CLV file");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_reader_column(reader, "/clv", "member_id", CVSEG_T_I64, offset, count, ids);
    for (int64_t i = 0; i < count && status == CVSEG_OK; ++i)
        records[i * CLV_ATTACH_WORDS] = ids[i];
    for (int c = 0; c < CVSEG_CLV_ATTACHED && status == CVSEG_OK; ++c) {
        status = cvseg_reader_column(reader, "/clv", cvseg_clv_attached_names[c], CVSEG_T_F64,
                                     offset, count, values);
        for (int64_t i = 0; i < count && status == CVSEG_OK; ++i)
            memcpy(&records[i * CLV_ATTACH_WORDS + 1 + c], &values[i], sizeof(double));
    }
    if (status == CVSEG_OK)
        status = cvseg_reader_enum_column(reader, "/clv", "lifecycle", offset, count, stage);
    for (int64_t i = 0; i < count && status == CVSEG_OK; ++i) {
        if (stage[i] >= CVSEG_LIFE_COUNT)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '/clv/lifecycle', row %lld: value %d is not a "
                                "lifecycle stage",
                                path, (long long)(offset + i), stage[i]);
        records[i * CLV_ATTACH_WORDS + CLV_ATTACH_WORDS - 1] = stage[i];
    }
    free(ids);
    free(values);
    free(stage);
    return cvseg_mpi_agree(comm, status);
}

/* This rank's block of the CLV file's rows: records (allocated) [count][WORDS]. */
static cvseg_status clv_attach_read(cvseg_app *app, const char *path, int64_t **records,
                                    int64_t *count)
{
    static const char *const columns[] = {"member_id",      "p_alive", "expected_purchases",
                                          "expected_spend", "clv",     "historic_value",
                                          "lifecycle"};
    cvseg_reader *reader = NULL;
    int64_t rows = 0;
    *records = NULL;
    *count = 0;
    cvseg_status status = cvseg_reader_open(app->comm, path, &reader);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, "/clv", columns, 7, &rows);
    if (status == CVSEG_OK) {
        const cvseg_block block = cvseg_block_partition(rows, app->ranks, app->rank);
        *records = malloc(sizeof(int64_t) * CLV_ATTACH_WORDS *
                          (size_t)(block.count > 0 ? block.count : 1));
        if (!*records)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the CLV file");
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            status =
                clv_attach_read_block(app->comm, reader, path, block.offset, block.count, *records);
        *count = block.count;
    }
    cvseg_reader_close(reader);
    return status;
}

/* At the owner: one reply [WORDS] per tonight record (id, row), in their
 * order. counts[0] += tonight's records without a CLV row, counts[1] += CLV
 * rows matching no tonight record. EDATA when an id is twice in the file. */
static cvseg_status clv_attach_answer(const char *path, const int64_t *clv, int64_t clv_n,
                                      const int64_t *tonight, int64_t tonight_n, int64_t *replies,
                                      int64_t counts[2])
{
    cvseg_id_index index = {0};
    int64_t duplicate = -1;
    uint8_t *matched = calloc((size_t)(clv_n > 0 ? clv_n : 1), 1);
    cvseg_status status = cvseg_id_index_build(&index, clv, CLV_ATTACH_WORDS, clv_n, &duplicate);
    if (status == CVSEG_OK && !matched)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    if (status == CVSEG_OK && duplicate >= 0)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '/clv/member_id': member id %lld appears more "
                            "than once",
                            path, (long long)clv[duplicate * CLV_ATTACH_WORDS]);
    const double missing = NAN;
    for (int64_t t = 0; t < tonight_n && status == CVSEG_OK; ++t) {
        const int64_t o = cvseg_id_index_find(&index, tonight[2 * t]);
        int64_t *reply = replies + t * CLV_ATTACH_WORDS;
        reply[0] = tonight[2 * t + 1];
        for (int w = 1; w < CLV_ATTACH_WORDS && o >= 0; ++w)
            reply[w] = clv[o * CLV_ATTACH_WORDS + w];
        for (int c = 0; c < CVSEG_CLV_ATTACHED && o < 0; ++c)
            memcpy(&reply[1 + c], &missing, sizeof(double));
        if (o < 0)
            reply[CLV_ATTACH_WORDS - 1] = CVSEG_LIFE_PROSPECT;
        counts[0] += o < 0;
        if (o >= 0)
            matched[o] = 1;
    }
    for (int64_t o = 0; o < clv_n && status == CVSEG_OK; ++o)
        counts[1] += !matched[o];
    free(matched);
    cvseg_id_index_free(&index);
    return status;
}

/* Tonight's rows joined with the CLV records: returned [n_local][WORDS]
 * (allocated), one reply per row in some order (word 0 the row). counts as
 * in clv_attach_answer, this rank's part. Collective. */
static cvseg_status clv_attach_exchange(cvseg_app *app, const cvseg_job *job, const char *path,
                                        const int64_t *clv, int64_t clv_count, int64_t **returned,
                                        int64_t counts[2])
{
    cvseg_exchange_plan tonight_plan = {0}, clv_plan = {0};
    int64_t *tonight =
        malloc(sizeof(int64_t) * 2 * (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    int64_t *tonight_received = NULL, *clv_received = NULL, *replies = NULL;
    int64_t tonight_n = 0, clv_n = 0;
    *returned = malloc(sizeof(int64_t) * CLV_ATTACH_WORDS *
                       (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1));
    cvseg_status status = CVSEG_OK;
    if (!tonight || !*returned)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(app->comm, status);
    for (int64_t i = 0; i < job->rows.n_local && status == CVSEG_OK; ++i) {
        tonight[2 * i] = job->rows.member_id[i];
        tonight[2 * i + 1] = i;
    }
    if (status == CVSEG_OK)
        status = cvseg_member_scatter(app->comm, app->ranks, 2, tonight, job->rows.n_local,
                                      &tonight_received, &tonight_n, &tonight_plan);
    if (status == CVSEG_OK)
        status = cvseg_member_scatter(app->comm, app->ranks, CLV_ATTACH_WORDS, clv, clv_count,
                                      &clv_received, &clv_n, &clv_plan);
    if (status == CVSEG_OK) {
        replies =
            malloc(sizeof(int64_t) * CLV_ATTACH_WORDS * (size_t)(tonight_n > 0 ? tonight_n : 1));
        status = replies ? clv_attach_answer(path, clv_received, clv_n, tonight_received, tonight_n,
                                             replies, counts)
                         : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
        status = cvseg_mpi_agree(app->comm, status);
    }
    if (status == CVSEG_OK) {
        cvseg_exchange_plan_reverse(&tonight_plan);
        status = cvseg_exchange_run(app->comm, &tonight_plan, replies, *returned,
                                    sizeof(int64_t) * CLV_ATTACH_WORDS);
    }
    cvseg_exchange_plan_free(&tonight_plan);
    cvseg_exchange_plan_free(&clv_plan);
    free(tonight);
    free(tonight_received);
    free(clv_received);
    free(replies);
    return status;
}

/* Global lifecycle counts and the exact (fixed-point) sum of the finite clv
 * values of tonight's members. Collective. */
static cvseg_status clv_attach_totals(cvseg_app *app, cvseg_job *job)
{
    const double *clv = job->clv.values + 3 * job->rows.n_local;
    double bound = 1.0;
    for (int64_t i = 0; i < job->rows.n_local; ++i) {
        job->clv.life_counts[job->clv.lifecycle[i]] += 1;
        if (isfinite(clv[i]))
            bound = fmax(bound, fabs(clv[i]));
    }
    cvseg_status status = cvseg_mpi_sum_i64(app->comm, job->clv.life_counts, CVSEG_LIFE_COUNT);
    if (status == CVSEG_OK)
        status = cvseg_mpi_max_f64(app->comm, &bound, 1);
    if (status != CVSEG_OK)
        return status;
    const int exponent = cvseg_fixed_exponent(bound);
    const double scale = cvseg_fixed_scale(exponent);
    cvseg_i128 sum = 0;
    for (int64_t i = 0; i < job->rows.n_local; ++i)
        if (isfinite(clv[i]))
            sum += cvseg_fixed_term(clv[i], scale);
    status = cvseg_mpi_sum_i128(app->comm, &sum, 1);
    job->clv.sum = cvseg_fixed_to_double(sum, exponent);
    return status;
}

cvseg_status cvseg_job_attach_clv(cvseg_app *app, cvseg_job *job, const char *clv_path)
{
    int64_t *clv = NULL, *returned = NULL, clv_count = 0;
    int64_t counts[2] = {0, 0};
    const size_t n = (size_t)(job->rows.n_local > 0 ? job->rows.n_local : 1);
    job->clv.values = malloc(sizeof(double) * CVSEG_CLV_ATTACHED * n);
    job->clv.lifecycle = malloc(n);
    cvseg_status status = CVSEG_OK;
    if (!job->clv.values || !job->clv.lifecycle)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the CLV columns");
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK)
        status = clv_attach_read(app, clv_path, &clv, &clv_count);
    if (status == CVSEG_OK)
        status = clv_attach_exchange(app, job, clv_path, clv, clv_count, &returned, counts);
    for (int64_t t = 0; t < job->rows.n_local && status == CVSEG_OK; ++t) {
        const int64_t *reply = returned + t * CLV_ATTACH_WORDS;
        const int64_t row = reply[0];
        for (int c = 0; c < CVSEG_CLV_ATTACHED; ++c)
            memcpy(&job->clv.values[c * job->rows.n_local + row], &reply[1 + c], sizeof(double));
        job->clv.lifecycle[row] = (uint8_t)reply[CLV_ATTACH_WORDS - 1];
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(app->comm, counts, 2);
    if (status == CVSEG_OK)
        status = clv_attach_totals(app, job);
    job->clv.missing = counts[0];
    job->clv.ignored = counts[1];
    job->clv.attached = status == CVSEG_OK;
    free(clv);
    free(returned);
    return cvseg_mpi_agree(app->comm, status);
}
