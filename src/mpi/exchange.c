/* exchange.c: all-to-all exchange of fixed-size records with 64-bit counts. */
#include "cvseg/exchange.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/bucket.h"
#include "cvseg/collectives.h"
#include "cvseg/quantile.h"
#include "cvseg/sort.h"

#define EXCHANGE_TAG 4711

/* Records per message for records of size bytes (at least 1). */
static int64_t exchange_limit(size_t size)
{
    const int64_t by_bytes = (int64_t)(CVSEG_EXCHANGE_MAX_BYTES / (size > 0 ? size : 1));
    const int64_t limit = by_bytes < CVSEG_EXCHANGE_MAX_COUNT ? by_bytes : CVSEG_EXCHANGE_MAX_COUNT;
    return limit > 0 ? limit : 1;
}

static int64_t exchange_pieces(int64_t count, int64_t limit)
{
    return (count + limit - 1) / limit;
}

int64_t cvseg_exchange_rounds(const cvseg_exchange_plan *plan, size_t record_size)
{
    return exchange_pieces(plan->max_pair, exchange_limit(record_size));
}

void cvseg_exchange_plan_free(cvseg_exchange_plan *plan)
{
    free(plan->memory);
    memset(plan, 0, sizeof *plan);
}

/* Displacements from counts; returns the total. */
static int64_t exchange_prefix(const int64_t *counts, int ranks, int64_t *displs)
{
    int64_t total = 0;
    for (int r = 0; r < ranks; ++r) {
        displs[r] = total;
        total += counts[r];
    }
    return total;
}

cvseg_status cvseg_exchange_plan_create(MPI_Comm comm, const int64_t *send_counts,
                                        cvseg_exchange_plan *plan)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "exchange size");
    memset(plan, 0, sizeof *plan);
    int64_t *block = calloc(4 * (size_t)ranks, sizeof(int64_t));
    if (status == CVSEG_OK && !block)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for an exchange plan of %d ranks", ranks);
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK) {
        free(block);
        return status;
    }
    plan->ranks = ranks;
    plan->memory = block;
    plan->send_counts = block;
    plan->send_displs = block + ranks;
    plan->recv_counts = block + 2 * (size_t)ranks;
    plan->recv_displs = block + 3 * (size_t)ranks;
    memcpy(plan->send_counts, send_counts, sizeof(int64_t) * (size_t)ranks);
    status = cvseg_mpi_check(
        MPI_Alltoall(plan->send_counts, 1, MPI_INT64_T, plan->recv_counts, 1, MPI_INT64_T, comm),
        "exchange counts");
    plan->send_total = exchange_prefix(plan->send_counts, ranks, plan->send_displs);
    plan->recv_total = exchange_prefix(plan->recv_counts, ranks, plan->recv_displs);
    /* What every rank must agree on (maxima over ranks), by slot. */
    enum { EXCHANGE_MAX_PAIR, EXCHANGE_PAIRWISE, EXCHANGE_NEEDS };
    int64_t need[EXCHANGE_NEEDS] = {[EXCHANGE_MAX_PAIR] = 0, /* the largest pair count */
                                    [EXCHANGE_PAIRWISE] =
                                        plan->send_total > CVSEG_EXCHANGE_MAX_DISPLACEMENT ||
                                        plan->recv_total > CVSEG_EXCHANGE_MAX_DISPLACEMENT};
    for (int r = 0; r < ranks; ++r) {
        int64_t *largest = &need[EXCHANGE_MAX_PAIR];
        *largest = plan->send_counts[r] > *largest ? plan->send_counts[r] : *largest;
        *largest = plan->recv_counts[r] > *largest ? plan->recv_counts[r] : *largest;
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, need, EXCHANGE_NEEDS, MPI_INT64_T, MPI_MAX, comm),
            "exchange planning");
    plan->max_pair = need[EXCHANGE_MAX_PAIR];
    plan->pairwise = need[EXCHANGE_PAIRWISE] != 0;
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        cvseg_exchange_plan_free(plan);
    return status;
}

void cvseg_exchange_plan_reverse(cvseg_exchange_plan *plan)
{
    int64_t *counts = plan->send_counts, *displs = plan->send_displs, total = plan->send_total;
    plan->send_counts = plan->recv_counts;
    plan->send_displs = plan->recv_displs;
    plan->send_total = plan->recv_total;
    plan->recv_counts = counts;
    plan->recv_displs = displs;
    plan->recv_total = total;
}

/* Piece t (of at most limit records) of a group of count records that
 * starts at displ: its first record and its length (0 once the group is done). */
static void exchange_piece(int64_t count, int64_t displ, int64_t t, int64_t limit, int64_t *first,
                           int64_t *length)
{
    const int64_t done = t * limit;
    const int64_t left = count > done ? count - done : 0;
    *first = displ + (count > done ? done : count);
    *length = left < limit ? left : limit;
}

/* Rounds of MPI_Alltoallv; every count and displacement fits in an int. */
static cvseg_status exchange_alltoallv(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                       const void *send, void *receive, size_t size,
                                       MPI_Datatype type, int *scratch)
{
    cvseg_status status = CVSEG_OK;
    const int P = plan->ranks;
    const int64_t limit = exchange_limit(size), rounds = cvseg_exchange_rounds(plan, size);
    int *sc = scratch, *sd = scratch + P, *rc = scratch + 2 * P, *rd = scratch + 3 * P;
    for (int64_t t = 0; t < rounds; ++t) {
        for (int r = 0; r < P; ++r) {
            int64_t first = 0, length = 0;
            exchange_piece(plan->send_counts[r], plan->send_displs[r], t, limit, &first, &length);
            sd[r] = (int)first;
            sc[r] = (int)length;
            exchange_piece(plan->recv_counts[r], plan->recv_displs[r], t, limit, &first, &length);
            rd[r] = (int)first;
            rc[r] = (int)length;
        }
        /* Keep taking part in every round after a failure: no rank is left waiting. */
        const cvseg_status round_status = cvseg_mpi_check(
            MPI_Alltoallv(send, sc, sd, type, receive, rc, rd, type, comm), "record exchange");
        status = status == CVSEG_OK ? round_status : status;
    }
    return status;
}

/* Step k of the pairwise exchange: pieces to rank+k, pieces from rank-k. */
static cvseg_status exchange_step(MPI_Comm comm, const cvseg_exchange_plan *plan, int rank, int k,
                                  const char *send, char *receive, size_t size, MPI_Datatype type)
{
    cvseg_status status = CVSEG_OK;
    const int to = (rank + k) % plan->ranks, from = (rank - k + plan->ranks) % plan->ranks;
    const int64_t limit = exchange_limit(size);
    const int64_t out = exchange_pieces(plan->send_counts[to], limit);
    const int64_t in = exchange_pieces(plan->recv_counts[from], limit);
    for (int64_t t = 0; t < (out > in ? out : in); ++t) {
        MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
        int64_t first = 0, length = 0;
        int code = MPI_SUCCESS;
        if (t < in) {
            exchange_piece(plan->recv_counts[from], plan->recv_displs[from], t, limit, &first,
                           &length);
            code = MPI_Irecv(receive + (size_t)first * size, (int)length, type, from, EXCHANGE_TAG,
                             comm, &requests[0]);
        }
        if (code == MPI_SUCCESS && t < out) {
            exchange_piece(plan->send_counts[to], plan->send_displs[to], t, limit, &first, &length);
            code = MPI_Isend(send + (size_t)first * size, (int)length, type, to, EXCHANGE_TAG, comm,
                             &requests[1]);
        }
        if (code == MPI_SUCCESS)
            code = MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
        const cvseg_status piece_status = cvseg_mpi_check(code, "pairwise record exchange");
        status = status == CVSEG_OK ? piece_status : status;
    }
    return status;
}

static cvseg_status exchange_pairwise(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                      const void *send, void *receive, size_t size,
                                      MPI_Datatype type)
{
    int rank = 0;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_rank(comm, &rank), "exchange rank");
    if (plan->recv_counts[rank] > 0) /* to itself: a copy */
        memcpy((char *)receive + (size_t)plan->recv_displs[rank] * size,
               (const char *)send + (size_t)plan->send_displs[rank] * size,
               (size_t)plan->recv_counts[rank] * size);
    for (int k = 1; k < plan->ranks; ++k) {
        const cvseg_status step_status =
            exchange_step(comm, plan, rank, k, send, receive, size, type);
        status = status == CVSEG_OK ? step_status : status;
    }
    return status;
}

cvseg_status cvseg_exchange_run(MPI_Comm comm, const cvseg_exchange_plan *plan, const void *send,
                                void *receive, size_t record_size)
{
    MPI_Datatype type = MPI_DATATYPE_NULL;
    int *scratch = plan->pairwise ? NULL : malloc(sizeof(int) * 4 * (size_t)plan->ranks);
    cvseg_status status = cvseg_mpi_record_type(record_size, &type);
    if (status == CVSEG_OK && !plan->pairwise && !scratch)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for an exchange of %d ranks", plan->ranks);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK && plan->pairwise)
        status = exchange_pairwise(comm, plan, send, receive, record_size, type);
    else if (status == CVSEG_OK)
        status = exchange_alltoallv(comm, plan, send, receive, record_size, type, scratch);
    free(scratch);
    return cvseg_mpi_agree(comm, status);
}

/* Splitters by radix selection (4 passes over the keys; for keys with too
 * many equal to a splitter for exchange_splitters_by_bins). */
static cvseg_status exchange_splitters_by_selection(MPI_Comm comm, const uint64_t *keys, int64_t n,
                                                    int ranks, int64_t total, uint64_t *splitters)
{
    cvseg_status status = CVSEG_OK;
    /* In groups of at most CVSEG_SELECT_MAX_TARGETS splitters per selection. */
    for (int first = 1; first < ranks && status == CVSEG_OK; first += CVSEG_SELECT_MAX_TARGETS) {
        const int m =
            ranks - first < CVSEG_SELECT_MAX_TARGETS ? ranks - first : CVSEG_SELECT_MAX_TARGETS;
        int64_t targets[CVSEG_SELECT_MAX_TARGETS];
        for (int t = 0; t < m; ++t)
            targets[t] = cvseg_quantile_rank(first + t, ranks, total);
        status = cvseg_mpi_select_keys(comm, keys, n, m, targets, splitters + first - 1);
    }
    return status;
}

/* The scratch of exchange_splitters_by_bins. */
typedef struct {
    uint64_t range[2];  /* global lowest key, complement of the highest */
    int shift;          /* bin of key: (key - range[0]) >> shift */
    int64_t *hist;      /* [CVSEG_BUCKET_BINS] global keys per bin */
    uint8_t *wanted;    /* [CVSEG_BUCKET_BINS] bins holding a splitter */
    int64_t candidates; /* keys in the wanted bins, over all ranks */
    int64_t *left;      /* [ranks] rank of splitter r inside its bin (1-based) */
    int *bin;           /* [ranks] bin of splitter r */
    int *counts;        /* [2 * ranks] candidates per rank, their displacements */
    uint64_t *gathered; /* [candidates + 1] the candidates of all ranks, then sorted */
    uint64_t *scratch;  /* [candidates + 1] */
} exchange_bins;

static void exchange_bins_free(exchange_bins *b)
{
    free(b->hist);
    free(b->wanted);
    free(b->left);
    free(b->bin);
    free(b->counts);
    free(b->gathered);
    free(b->scratch);
}

/* Global key range, bins and the global count per bin. Agreed. */
static cvseg_status exchange_bins_count(MPI_Comm comm, const uint64_t *keys, int64_t n, int ranks,
                                        exchange_bins *b)
{
    uint64_t highest = 0;
    cvseg_bucket_key_range(keys, n, &b->range[0], &highest);
    b->range[1] = ~highest;
    b->hist = malloc(sizeof(int64_t) * CVSEG_BUCKET_BINS);
    b->wanted = calloc(CVSEG_BUCKET_BINS, 1);
    b->left = malloc(sizeof(int64_t) * (size_t)ranks);
    b->bin = malloc(sizeof(int) * (size_t)ranks);
    b->counts = malloc(sizeof(int) * 2 * (size_t)ranks);
    cvseg_status status = CVSEG_OK;
    if (!b->hist || !b->wanted || !b->left || !b->bin || !b->counts)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for range splitters");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, b->range, 2, MPI_UINT64_T, MPI_MIN, comm), "key range");
    if (status == CVSEG_OK) {
        b->shift = cvseg_bucket_bin_shift(b->range[0], ~b->range[1]);
        cvseg_bucket_bin_counts(keys, n, b->range[0], b->shift, b->hist);
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, b->hist, CVSEG_BUCKET_BINS, MPI_INT64_T, MPI_SUM, comm),
            "key histogram");
    }
    return cvseg_mpi_agree(comm, status);
}

/* Bin and rank inside it of splitter r (global rank ceil(r * total /
 * ranks)), r = 1..ranks-1 (stored at r - 1); marks their bins and counts
 * their keys. */
static void exchange_bins_locate(int ranks, int64_t total, exchange_bins *b)
{
    int64_t before = 0;
    int bin = 0;
    b->candidates = 0;
    for (int r = 1; r < ranks; ++r) {
        const int64_t target = cvseg_quantile_rank(r, ranks, total); /* ascending in r */
        while (before + b->hist[bin] < target)
            before += b->hist[bin++];
        b->bin[r - 1] = bin;
        b->left[r - 1] = target - before;
        b->candidates += b->wanted[bin] ? 0 : b->hist[bin];
        b->wanted[bin] = 1;
    }
}

/* Every rank's keys of the wanted bins into b->gathered, sorted. Agreed. */
static cvseg_status exchange_bins_gather(MPI_Comm comm, const uint64_t *keys, int64_t n, int ranks,
                                         exchange_bins *b)
{
    cvseg_status status = CVSEG_OK;
    b->gathered = malloc(sizeof(uint64_t) * (size_t)(b->candidates + 1));
    b->scratch = malloc(sizeof(uint64_t) * (size_t)(b->candidates + 1));
    if (!b->gathered || !b->scratch)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld splitter candidates",
                            (long long)b->candidates);
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        return status;
    /* (at most candidates keys of this rank fall in the wanted bins) */
    const int mine =
        (int)cvseg_bucket_bin_collect(keys, n, b->range[0], b->shift, b->wanted, b->scratch);
    int *counts = b->counts, *displs = b->counts + ranks;
    status = cvseg_mpi_check(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, comm),
                             "splitter candidate counts");
    for (int r = 0, at = 0; r < ranks; ++r) {
        displs[r] = at;
        at += counts[r];
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Allgatherv(b->scratch, mine, MPI_UINT64_T, b->gathered, counts,
                                                displs, MPI_UINT64_T, comm),
                                 "splitter candidates");
    if (status == CVSEG_OK)
        cvseg_radix_sort_u64(b->gathered, b->scratch, NULL, NULL, b->candidates);
    return cvseg_mpi_agree(comm, status);
}

/* Splitters from one histogram of the keys over 65,536 bins of their global
 * range and a gather of the keys in the bins that hold a splitter (sorted
 * there; the bins ascend with the keys). *done is 0 when there are more
 * than CVSEG_EXCHANGE_MAX_CANDIDATES of them (same on every rank). Agreed. */
static cvseg_status exchange_splitters_by_bins(MPI_Comm comm, const uint64_t *keys, int64_t n,
                                               int ranks, int64_t total, uint64_t *splitters,
                                               int *done)
{
    exchange_bins b = {0};
    *done = 0;
    cvseg_status status = exchange_bins_count(comm, keys, n, ranks, &b);
    if (status == CVSEG_OK)
        exchange_bins_locate(ranks, total, &b);
    if (status == CVSEG_OK && b.candidates <= CVSEG_EXCHANGE_MAX_CANDIDATES) {
        status = exchange_bins_gather(comm, keys, n, ranks, &b);
        int64_t offset = 0; /* first candidate of bin b.bin[r - 1] */
        for (int r = 1, bin = 0; r < ranks && status == CVSEG_OK; ++r) {
            for (; bin < b.bin[r - 1]; ++bin)
                offset += b.wanted[bin] ? b.hist[bin] : 0;
            splitters[r - 1] = b.gathered[offset + b.left[r - 1] - 1];
        }
        *done = status == CVSEG_OK;
    }
    exchange_bins_free(&b);
    return status;
}

cvseg_status cvseg_exchange_range_splitters(MPI_Comm comm, const uint64_t *keys, int64_t n,
                                            int64_t total, uint64_t *splitters)
{
    int ranks = 1, done = 0;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "exchange size");
    if (status == CVSEG_OK && ranks > 1 && total > 0)
        status = exchange_splitters_by_bins(comm, keys, n, ranks, total, splitters, &done);
    if (status == CVSEG_OK && ranks > 1 && total > 0 && !done)
        status = exchange_splitters_by_selection(comm, keys, n, ranks, total, splitters);
    return status;
}

cvseg_status cvseg_exchange_records(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                    const int *destination, int64_t n, const void *local,
                                    void *receive, size_t record_size)
{
    cvseg_status status = CVSEG_OK;
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)plan->ranks);
    void *packed = malloc(record_size * (size_t)(n > 0 ? n : 1));
    if (!fill || !packed)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the row exchange");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        cvseg_bucket_pack(destination, n, plan->ranks, plan->send_displs, fill, local, packed,
                          record_size);
        status = cvseg_exchange_run(comm, plan, packed, receive, record_size);
    }
    free(fill);
    free(packed);
    return status;
}

/* Where each record goes: destination [n], or (destination NULL) the range
 * owner of keys [n] over splitters [ranks - 1]. */
typedef struct {
    const int *destination;
    const uint64_t *splitters;
    const uint64_t *keys;
} exchange_router;

/* The plan of n records routed by router: counts per destination, then
 * cvseg_exchange_plan_create. Collective (agrees). */
static cvseg_status exchange_plan_routed(MPI_Comm comm, const exchange_router *router, int64_t n,
                                         cvseg_exchange_plan *plan)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "exchange size");
    int64_t *counts = calloc((size_t)ranks, sizeof(int64_t));
    memset(plan, 0, sizeof *plan);
    if (status == CVSEG_OK && !counts)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for an exchange plan of %d ranks", ranks);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        if (router->destination)
            cvseg_bucket_count(router->destination, n, ranks, counts);
        else
            cvseg_bucket_range_count(router->splitters, ranks, router->keys, n, counts);
        status = cvseg_exchange_plan_create(comm, counts, plan);
    }
    free(counts);
    return status;
}

cvseg_status cvseg_exchange_plan_for(MPI_Comm comm, const int *destination, int64_t n,
                                     cvseg_exchange_plan *plan)
{
    const exchange_router router = {destination, NULL, NULL};
    return exchange_plan_routed(comm, &router, n, plan);
}

cvseg_status cvseg_exchange_plan_by_range(MPI_Comm comm, const uint64_t *splitters,
                                          const uint64_t *keys, int64_t n,
                                          cvseg_exchange_plan *plan)
{
    const exchange_router router = {NULL, splitters, keys};
    return exchange_plan_routed(comm, &router, n, plan);
}

/* Moves one column: packs column->local into send (room for its n records),
 * resizes the local array to the received records (realloc: its pages are
 * reused rather than new ones touched) and receives into it. Agreed. */
static cvseg_status exchange_one_column(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                        const exchange_router *router, int64_t n, int64_t *fill,
                                        void *send, cvseg_exchange_column *column)
{
    const int64_t total = plan->recv_total;
    if (router->destination)
        cvseg_bucket_pack(router->destination, n, plan->ranks, plan->send_displs, fill,
                          column->local, send, column->size);
    else
        cvseg_bucket_range_pack(router->splitters, plan->ranks, router->keys, n, plan->send_displs,
                                fill, column->local, send, column->size);
    void *resized = realloc(column->local, column->size * (size_t)(total > 0 ? total : 1));
    cvseg_status status = CVSEG_OK;
    if (resized) {
        column->local = NULL; /* now the received array */
        column->received = resized;
    } else {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld received rows", (long long)total);
    }
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(comm, plan, send, column->received, column->size);
    return status;
}

static cvseg_status exchange_columns_routed(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                            const exchange_router *router, int64_t n, int n_columns,
                                            cvseg_exchange_column *columns)
{
    size_t widest = 1;
    for (int c = 0; c < n_columns; ++c)
        widest = columns[c].local && columns[c].size > widest ? columns[c].size : widest;
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)plan->ranks);
    void *send = malloc(widest * (size_t)(n > 0 ? n : 1));
    cvseg_status status = CVSEG_OK;
    if (!fill || !send)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the row exchange");
    status = cvseg_mpi_agree(comm, status);
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c)
        if (columns[c].local)
            status = exchange_one_column(comm, plan, router, n, fill, send, &columns[c]);
    for (int c = 0; c < n_columns && status != CVSEG_OK; ++c) {
        free(columns[c].received);
        columns[c].received = NULL;
    }
    free(fill);
    free(send);
    return status;
}

cvseg_status cvseg_exchange_columns(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                    const int *destination, int64_t n, int n_columns,
                                    cvseg_exchange_column *columns)
{
    const exchange_router router = {destination, NULL, NULL};
    return exchange_columns_routed(comm, plan, &router, n, n_columns, columns);
}

cvseg_status cvseg_exchange_columns_by_range(MPI_Comm comm, const cvseg_exchange_plan *plan,
                                             const uint64_t *splitters, const uint64_t *keys,
                                             int64_t n, int n_columns,
                                             cvseg_exchange_column *columns)
{
    const exchange_router router = {NULL, splitters, keys};
    return exchange_columns_routed(comm, plan, &router, n, n_columns, columns);
}
