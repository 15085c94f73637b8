/* collectives.c: collectives on the core's partials. */
#include "cvseg/collectives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/quantile.h"

cvseg_status cvseg_mpi_check(int mpi_code, const char *what)
{
    cvseg_status status = CVSEG_OK;
    if (mpi_code != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(mpi_code, text, &length);
        status = CVSEG_FAIL(CVSEG_EMPI, "MPI failure in %s: %s", what, text);
    }
    return status;
}

cvseg_status cvseg_mpi_agree(MPI_Comm comm, cvseg_status local_status)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    /* MINLOC on (status, rank): the most severe status, lowest rank first. */
    struct {
        int status;
        int rank;
    } mine = {(int)local_status, rank}, worst;
    int code = MPI_Allreduce(&mine, &worst, 1, MPI_2INT, MPI_MINLOC, comm);
    if (code != MPI_SUCCESS)
        return cvseg_mpi_check(code, "status agreement");
    if (worst.status == CVSEG_OK)
        return CVSEG_OK;
    char message[CVSEG_MPI_MESSAGE_MAX];
    memset(message, 0, sizeof message);
    if (rank == worst.rank) {
        if (cvseg_error_status() != CVSEG_OK)
            snprintf(message, sizeof message, "%s|%s", cvseg_error_location(),
                     cvseg_error_message());
        else
            snprintf(message, sizeof message, "|%s", cvseg_strerror((cvseg_status)worst.status));
    }
    code = MPI_Bcast(message, (int)sizeof message, MPI_CHAR, worst.rank, comm);
    if (code != MPI_SUCCESS)
        return cvseg_mpi_check(code, "error message broadcast");
    char *bar = strchr(message, '|');
    if (bar) {
        *bar = '\0';
        cvseg_error_set_message((cvseg_status)worst.status, message, bar + 1);
    }
    return (cvseg_status)worst.status;
}

cvseg_status cvseg_mpi_sum_i64(MPI_Comm comm, int64_t *values, int count)
{
    return cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, comm),
                           "int64 sum");
}

cvseg_status cvseg_mpi_max_f64(MPI_Comm comm, double *values, int count)
{
    return cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_MAX, comm),
                           "double max");
}

/* The layer's MPI datatypes and ops, created once (cvseg_mpi_init or on
 * first use) and freed by cvseg_mpi_finalize. OpenMP threads never call MPI,
 * so no lock is needed. */
enum { COLLECTIVES_RECORD_TYPES_MAX = 16 };
static struct {
    int ready;
    MPI_Datatype i128_type; /* 16 bytes: one cvseg_i128 in memory */
    MPI_Op i128_sum;
    int records;
    size_t record_size[COLLECTIVES_RECORD_TYPES_MAX];
    MPI_Datatype record_type[COLLECTIVES_RECORD_TYPES_MAX];
} collectives_types = {0, MPI_DATATYPE_NULL, MPI_OP_NULL, 0, {0}, {MPI_DATATYPE_NULL}};

/* MPI_Op adding 128-bit integers in place (wrapping, as cvseg_i128 sums). */
static void collectives_i128_add(void *in, void *inout, int *length, MPI_Datatype *type)
{
    (void)type;
    const char *a = in;
    char *b = inout;
    for (int t = 0; t < *length; ++t) {
        cvseg_u128 x, y;
        memcpy(&x, a + 16 * (size_t)t, 16);
        memcpy(&y, b + 16 * (size_t)t, 16);
        y += x;
        memcpy(b + 16 * (size_t)t, &y, 16);
    }
}

static cvseg_status collectives_types_ready(void)
{
    cvseg_status status = CVSEG_OK;
    if (collectives_types.ready)
        return CVSEG_OK;
    _Static_assert(sizeof(cvseg_i128) == 16, "cvseg_i128 is 16 bytes");
    status =
        cvseg_mpi_check(MPI_Type_contiguous(16, MPI_BYTE, &collectives_types.i128_type), "type");
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Type_commit(&collectives_types.i128_type), "type commit");
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Op_create(collectives_i128_add, 1, &collectives_types.i128_sum), "op create");
    if (status == CVSEG_OK)
        collectives_types.ready = 1;
    else
        cvseg_mpi_finalize();
    return status;
}

cvseg_status cvseg_mpi_init(MPI_Comm comm)
{
    return cvseg_mpi_agree(comm, collectives_types_ready());
}

void cvseg_mpi_finalize(void)
{
    if (collectives_types.i128_sum != MPI_OP_NULL)
        MPI_Op_free(&collectives_types.i128_sum);
    if (collectives_types.i128_type != MPI_DATATYPE_NULL)
        MPI_Type_free(&collectives_types.i128_type);
    for (int t = 0; t < collectives_types.records; ++t)
        MPI_Type_free(&collectives_types.record_type[t]);
    collectives_types.records = 0;
    collectives_types.ready = 0;
}

cvseg_status cvseg_mpi_record_type(size_t bytes, MPI_Datatype *type)
{
    cvseg_status status = CVSEG_OK;
    *type = MPI_DATATYPE_NULL;
    for (int t = 0; t < collectives_types.records; ++t)
        if (collectives_types.record_size[t] == bytes)
            *type = collectives_types.record_type[t];
    if (*type != MPI_DATATYPE_NULL)
        return CVSEG_OK;
    if (bytes == 0 || bytes > 1u << 20 || collectives_types.records == COLLECTIVES_RECORD_TYPES_MAX)
        return CVSEG_FAIL(CVSEG_EINTERNAL, "no record datatype for %zu-byte records", bytes);
    MPI_Datatype created = MPI_DATATYPE_NULL;
    status = cvseg_mpi_check(MPI_Type_contiguous((int)bytes, MPI_BYTE, &created), "record type");
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Type_commit(&created), "record type commit");
    if (status == CVSEG_OK) {
        collectives_types.record_size[collectives_types.records] = bytes;
        collectives_types.record_type[collectives_types.records++] = created;
        *type = created;
    } else if (created != MPI_DATATYPE_NULL) {
        MPI_Type_free(&created);
    }
    return status;
}

cvseg_status cvseg_mpi_sum_i128(MPI_Comm comm, cvseg_i128 *values, int count)
{
    cvseg_status status = collectives_types_ready();
    if (status == CVSEG_OK)
        status =
            cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, values, count, collectives_types.i128_type,
                                          collectives_types.i128_sum, comm),
                            "exact 128-bit sum");
    return status;
}

cvseg_status cvseg_mpi_exscan_i64(MPI_Comm comm, int64_t value, int64_t *before, int64_t *total)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int64_t prefix = 0;
    cvseg_status status = cvseg_mpi_check(
        MPI_Exscan(&value, &prefix, 1, MPI_INT64_T, MPI_SUM, comm), "exclusive scan");
    if (rank == 0)
        prefix = 0; /* MPI leaves rank 0's result undefined */
    int64_t sum = value;
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(comm, &sum, 1);
    *before = prefix;
    if (total)
        *total = sum;
    return status;
}

cvseg_status cvseg_mpi_exscan_i128(MPI_Comm comm, cvseg_i128 value, cvseg_i128 *before,
                                   cvseg_i128 *total)
{
    int rank = 0;
    cvseg_i128 prefix = 0, sum = value;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_rank(comm, &rank), "rank");
    if (status == CVSEG_OK)
        status = collectives_types_ready();
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Exscan(&value, &prefix, 1, collectives_types.i128_type,
                                            collectives_types.i128_sum, comm),
                                 "exclusive scan");
    *before = rank == 0 ? 0 : prefix; /* MPI leaves rank 0's result undefined */
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i128(comm, &sum, 1);
    if (total)
        *total = sum;
    return status;
}

cvseg_status cvseg_mpi_range(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                             cvseg_range *range)
{
    *range = cvseg_range_empty();
    cvseg_range_accumulate(x, include, n, range);
    double extremes[2] = {-range->min, range->max};
    cvseg_status status = cvseg_mpi_max_f64(comm, extremes, 2);
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(comm, &range->count, 1);
    range->min = -extremes[0];
    range->max = extremes[1];
    return status;
}

cvseg_status cvseg_mpi_moments(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                               cvseg_moments *moments)
{
    cvseg_range range;
    memset(moments, 0, sizeof *moments);
    cvseg_status status = cvseg_mpi_range(comm, x, include, n, &range);
    if (status != CVSEG_OK || range.count == 0)
        goto done;
    const int sum_exponent = cvseg_moments_sum_exponent(&range);
    cvseg_i128 sum = cvseg_fixed_sum(x, include, n, sum_exponent);
    status = cvseg_mpi_sum_i128(comm, &sum, 1);
    if (status != CVSEG_OK)
        goto done;
    moments->count = range.count;
    moments->mean = cvseg_moments_mean(sum, sum_exponent, range.count);
    const int sqdev_exponent = cvseg_moments_sqdev_exponent(&range, moments->mean);
    cvseg_i128 sqdev = cvseg_fixed_sum_sqdev(x, include, n, moments->mean, sqdev_exponent);
    status = cvseg_mpi_sum_i128(comm, &sqdev, 1);
    if (status != CVSEG_OK)
        goto done;
    moments->sd = cvseg_moments_sd(sqdev, sqdev_exponent, range.count);
    moments->min = range.min;
    moments->max = range.max;
done:
    return status;
}

/* A selection in progress across ranks. The passes read the caller's
 * values (x or keys, with include) until this rank has gathered the keys
 * that can still matter (candidates); then only those. */
typedef struct {
    MPI_Comm comm;
    cvseg_select_state state;
    uint8_t resolved[CVSEG_SELECT_MAX_TARGETS];
    int64_t *local, *global; /* [count][BINS] each: this rank's, summed */
    const double *x;
    const uint64_t *keys;
    const uint8_t *include;
    int64_t n;
    uint64_t *candidates; /* NULL until gathered */
} collectives_selection;

/* The next 16 key bits of every unresolved target: one histogram row per
 * distinct prefix, summed over ranks. Collective. */
static cvseg_status collectives_select_level(collectives_selection *s)
{
    uint64_t prefixes[CVSEG_SELECT_MAX_TARGETS];
    int row_of[CVSEG_SELECT_MAX_TARGETS];
    const int rows = cvseg_select_rows(&s->state, s->resolved, prefixes, row_of);
    cvseg_status status = cvseg_select_histogram_rows(&s->state, rows, prefixes, s->x, s->keys,
                                                      s->include, s->n, s->local);
    status = cvseg_mpi_agree(s->comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allreduce(s->local, s->global, rows * CVSEG_SELECT_BINS,
                                               MPI_INT64_T, MPI_SUM, s->comm),
                                 "quantile histogram");
    if (status == CVSEG_OK && cvseg_select_refine_rows(&s->state, s->global, row_of) != 0)
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "quantile rank beyond the number of values");
    return status;
}

/* After level 0: this rank's keys that match a target's first 16 bits
 * become what the later passes read, when they are at most a quarter of its
 * rows (their count is in the local level-0 histogram). Local: a rank that
 * does not gather reads all its values, with the same counts. */
static void collectives_select_gather(collectives_selection *s)
{
    uint64_t prefixes[CVSEG_SELECT_MAX_TARGETS];
    int row_of[CVSEG_SELECT_MAX_TARGETS];
    const int rows = cvseg_select_rows(&s->state, s->resolved, prefixes, row_of);
    int64_t count = 0;
    for (int r = 0; r < rows; ++r)
        count += s->local[prefixes[r] >> 48];
    if (count > s->n / 4)
        return;
    s->candidates = malloc(sizeof(uint64_t) * (size_t)(count > 0 ? count : 1));
    if (!s->candidates)
        return;
    s->n = cvseg_select_gather(&s->state, rows, prefixes, s->x, s->keys, s->include, s->n,
                               s->candidates);
    s->x = NULL;
    s->keys = s->candidates;
    s->include = NULL;
}

/* A target whose prefix matches one distinct key over all ranks is that
 * key (ties need no further level); *open := targets still open.
 * Collective. */
static cvseg_status collectives_select_resolve(collectives_selection *s, int *open)
{
    uint64_t prefixes[CVSEG_SELECT_MAX_TARGETS], bounds[2 * CVSEG_SELECT_MAX_TARGETS];
    int row_of[CVSEG_SELECT_MAX_TARGETS];
    const int rows = cvseg_select_rows(&s->state, s->resolved, prefixes, row_of);
    cvseg_select_prefix_range(&s->state, rows, prefixes, s->x, s->keys, s->include, s->n, bounds,
                              bounds + rows);
    for (int r = 0; r < rows; ++r)
        bounds[rows + r] = ~bounds[rows + r]; /* the largest key as the smallest complement */
    const cvseg_status status = cvseg_mpi_check(
        MPI_Allreduce(MPI_IN_PLACE, bounds, 2 * rows, MPI_UINT64_T, MPI_MIN, s->comm),
        "quantile key range");
    *open = 0;
    for (int t = 0; t < s->state.count && status == CVSEG_OK; ++t) {
        const int r = row_of[t];
        if (r >= 0 && bounds[r] == ~bounds[rows + r]) {
            s->state.prefix[t] = bounds[r];
            s->resolved[t] = 1;
        } else if (r >= 0) {
            *open += 1;
        }
    }
    return status;
}

/* Exact selection of m ranks: level 0 over all values, then (on the
 * gathered candidates where small) resolution of ties and further levels
 * for the targets still open. Collective. */
static cvseg_status collectives_select_any(MPI_Comm comm, const double *x, const uint64_t *keys,
                                           const uint8_t *include, int64_t n, int m,
                                           const int64_t *ranks, double *values, uint64_t *keys_out)
{
    collectives_selection s = {.comm = comm, .x = x, .keys = keys, .include = include, .n = n};
    s.local = malloc(sizeof(int64_t) * 2 * (size_t)m * CVSEG_SELECT_BINS);
    s.global = s.local ? s.local + (size_t)m * CVSEG_SELECT_BINS : NULL;
    cvseg_status status = cvseg_mpi_agree(
        comm,
        s.local ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for quantile histograms"));
    if (status != CVSEG_OK)
        goto done;
    cvseg_select_init(&s.state, m, ranks);
    status = collectives_select_level(&s);
    if (status == CVSEG_OK)
        collectives_select_gather(&s);
    int open = m;
    while (status == CVSEG_OK && s.state.level < CVSEG_SELECT_LEVELS) {
        status = collectives_select_resolve(&s, &open);
        if (status != CVSEG_OK || open == 0)
            break;
        status = collectives_select_level(&s);
    }
    if (status == CVSEG_OK && values)
        cvseg_select_values(&s.state, values);
    if (status == CVSEG_OK && keys_out)
        for (int t = 0; t < m; ++t)
            keys_out[t] = s.state.prefix[t];
done:
    free(s.local);
    free(s.candidates);
    return status;
}

cvseg_status cvseg_mpi_select(MPI_Comm comm, const double *x, const uint8_t *include, int64_t n,
                              int m, const int64_t *ranks, double *values)
{
    return collectives_select_any(comm, x, NULL, include, n, m, ranks, values, NULL);
}

cvseg_status cvseg_mpi_select_keys(MPI_Comm comm, const uint64_t *keys, int64_t n, int m,
                                   const int64_t *ranks, uint64_t *keys_out)
{
    return collectives_select_any(comm, NULL, keys, NULL, n, m, ranks, NULL, keys_out);
}

cvseg_status cvseg_mpi_kmeans_allreduce(MPI_Comm comm, cvseg_kmeans_partial *partial)
{
    const int64_t count = cvseg_kmeans_partial_values(partial->k, partial->d);
    cvseg_i128 *values = malloc(sizeof(cvseg_i128) * (size_t)count);
    cvseg_status status = CVSEG_OK;
    if (!values)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the K-Means reduction");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        cvseg_kmeans_partial_pack(partial, values);
        status = cvseg_mpi_sum_i128(comm, values, (int)count);
    }
    if (status == CVSEG_OK)
        cvseg_kmeans_partial_unpack(partial, values);
    free(values);
    return status;
}

cvseg_status cvseg_mpi_group_summary(MPI_Comm comm, cvseg_group_summary *summary)
{
    /* Per group: the count, then the sums of R, F, M. */
    enum { COUNT = 0, SUMS = 1, PER_GROUP = SUMS + CVSEG_RFM_FEATURES };
    cvseg_i128 values[CVSEG_GROUPS_MAX * PER_GROUP];
    for (int g = 0; g < summary->groups; ++g) {
        values[g * PER_GROUP + COUNT] = summary->count[g];
        for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
            values[g * PER_GROUP + SUMS + f] = summary->sum[g][f];
    }
    cvseg_status status = cvseg_mpi_sum_i128(comm, values, summary->groups * PER_GROUP);
    for (int g = 0; g < summary->groups && status == CVSEG_OK; ++g) {
        summary->count[g] = (int64_t)values[g * PER_GROUP + COUNT];
        for (int f = 0; f < CVSEG_RFM_FEATURES; ++f)
            summary->sum[g][f] = values[g * PER_GROUP + SUMS + f];
    }
    return status;
}
