/* duplicates.c: distributed duplicate-key detection. Tables exported in key
 * order (each rank's block strictly increasing, the blocks in rank order)
 * are recognised in one local pass and one small MPI_Allgather; otherwise
 * every key goes to the rank its hash names (cvseg_exchange_records), which
 * sorts the hashes it received by their top 22 bits (two counting passes;
 * hashes are uniform, so the runs of equal top bits are short), sorts each
 * run and counts repeats. */
#include <stdlib.h>

#include "cvseg/collectives.h"
#include "cvseg/exchange.h"
#include "cvseg/rng.h"

/* The inverse of an odd number modulo 2^64 (Newton's iteration). */
static uint64_t duplicates_inverse(uint64_t odd)
{
    uint64_t x = odd;
    for (int i = 0; i < 6; ++i)
        x *= 2 - odd * x;
    return x;
}

/* The inverse of cvseg_mix64 (SplitMix64's finaliser: xor-shifts and odd
 * multipliers, each invertible), to name a duplicated key from its hash. */
static uint64_t duplicates_unmix(uint64_t h)
{
    h ^= (h >> 31) ^ (h >> 62);
    h *= duplicates_inverse(0x94d049bb133111ebULL);
    h ^= (h >> 27) ^ (h >> 54);
    h *= duplicates_inverse(0xbf58476d1ce4e5b9ULL);
    h ^= (h >> 30) ^ (h >> 60);
    return h;
}

enum { DUPLICATES_TOP_SHIFT = 42, DUPLICATES_DIGIT_BITS = 11 };

enum { DUPLICATES_BUCKETS = 1 << DUPLICATES_DIGIT_BITS };

/* Counting sort of from [n] into to [n] by the 11 hash bits at shift;
 * start [BUCKETS + 1] := where each bucket begins in to (and n). */
static void duplicates_bucket(const uint64_t *from, uint64_t *to, int64_t n, int shift,
                              int64_t *start)
{
    const uint64_t mask = DUPLICATES_BUCKETS - 1;
    int64_t cursor[DUPLICATES_BUCKETS] = {0};
    for (int64_t i = 0; i < n; ++i)
        cursor[(from[i] >> shift) & mask] += 1;
    int64_t position = 0;
    for (int b = 0; b < DUPLICATES_BUCKETS; ++b) {
        const int64_t c = cursor[b];
        start[b] = cursor[b] = position;
        position += c;
    }
    start[DUPLICATES_BUCKETS] = n;
    for (int64_t i = 0; i < n; ++i)
        to[cursor[(from[i] >> shift) & mask]++] = from[i];
}

/* Sorts hashes [n] by their top 22 bits: one pass by the top 11 into
 * scratch [n], then each bucket (small enough to stay in cache) by the next
 * 11 back into hashes. Equal hashes (equal keys: cvseg_mix64 is a
 * bijection) end up in runs that share those bits, a few values long for
 * uniform hashes. */
static void duplicates_sort_top(uint64_t *hashes, uint64_t *scratch, int64_t n)
{
    int64_t outer[DUPLICATES_BUCKETS + 1], inner[DUPLICATES_BUCKETS + 1];
    duplicates_bucket(hashes, scratch, n, DUPLICATES_TOP_SHIFT + DUPLICATES_DIGIT_BITS, outer);
    for (int b = 0; b < DUPLICATES_BUCKETS; ++b)
        duplicates_bucket(scratch + outer[b], hashes + outer[b], outer[b + 1] - outer[b],
                          DUPLICATES_TOP_SHIFT, inner);
}

static int duplicates_compare(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts run [n]: insertion sort for the short runs uniform hashes give. */
static void duplicates_sort_run(uint64_t *run, int64_t n)
{
    if (n > 16) {
        qsort(run, (size_t)n, sizeof *run, duplicates_compare);
        return;
    }
    for (int64_t i = 1; i < n; ++i) {
        const uint64_t value = run[i];
        int64_t j = i;
        for (; j > 0 && run[j - 1] > value; --j)
            run[j] = run[j - 1];
        run[j] = value;
    }
}

/* Hashes that repeat an earlier one in hashes [n] (sorted by their top 22
 * bits; each run is sorted here) and the smallest key among them. */
static void duplicates_scan(uint64_t *hashes, int64_t n, int64_t *found, int64_t *smallest)
{
    for (int64_t start = 0, end = 0; start < n; start = end) {
        const uint64_t top = hashes[start] >> DUPLICATES_TOP_SHIFT;
        for (end = start + 1; end < n && hashes[end] >> DUPLICATES_TOP_SHIFT == top;)
            ++end;
        if (end - start == 1)
            continue;
        duplicates_sort_run(hashes + start, end - start);
        for (int64_t i = start + 1; i < end; ++i) {
            if (hashes[i] == hashes[i - 1]) {
                *found += 1;
                const int64_t key = (int64_t)duplicates_unmix(hashes[i]);
                *smallest = key < *smallest ? key : *smallest;
            }
        }
    }
}

/* Sends every key [n] to the owner its hash names: *received [*total] the hashes
 * (cvseg_mix64) of the keys this rank owns. Collective; agreed. */
static cvseg_status duplicates_route(MPI_Comm comm, int ranks, const int64_t *keys, int64_t n,
                                     uint64_t **received, int64_t *total)
{
    cvseg_exchange_plan plan = {0};
    int *destination = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    cvseg_status status = CVSEG_OK;
    if (!destination)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    /* The owner from the hash's low 32 bits (a multiply, not a division);
     * the sort uses its top bits, which stay uniform on every owner. */
    for (int64_t i = 0; i < n && status == CVSEG_OK; ++i)
        destination[i] =
            (int)(((cvseg_mix64((uint64_t)keys[i]) & 0xffffffffu) * (uint64_t)ranks) >> 32);
    if (status == CVSEG_OK)
        status = cvseg_exchange_plan_for(comm, destination, n, &plan);
    *total = plan.recv_total;
    if (status == CVSEG_OK) {
        *received = malloc(sizeof(uint64_t) * (size_t)(*total > 0 ? *total : 1));
        if (!*received)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
        status = cvseg_mpi_agree(comm, status);
    }
    if (status == CVSEG_OK) /* int64 keys travel as they are */
        status =
            cvseg_exchange_records(comm, &plan, destination, n, keys, *received, sizeof(int64_t));
    for (int64_t i = 0; i < *total && status == CVSEG_OK; ++i)
        (*received)[i] = cvseg_mix64((*received)[i]);
    cvseg_exchange_plan_free(&plan);
    free(destination);
    return status;
}

/* 1 when keys [n] are strictly increasing (n <= 1 included). */
static int duplicates_increasing(const int64_t *keys, int64_t n)
{
    int64_t descents = 0;
#pragma omp parallel for schedule(static) reduction(+ : descents)
    for (int64_t i = 1; i < n; ++i)
        descents += keys[i] <= keys[i - 1];
    return descents == 0;
}

/* *apart := 1 when every rank's keys [n] are strictly increasing and each
 * non-empty block's first key is above the last key of the non-empty
 * blocks of lower ranks: then no key repeats anywhere. Collective. */
static cvseg_status duplicates_sorted_apart(MPI_Comm comm, int ranks, const int64_t *keys,
                                            int64_t n, int *apart)
{
    enum { FIELDS = 3 }; /* increasing, first, last: n > 0 only */
    int64_t mine[FIELDS] = {n == 0 ? -1 : duplicates_increasing(keys, n), n > 0 ? keys[0] : 0,
                            n > 0 ? keys[n - 1] : 0};
    int64_t *all = malloc(sizeof(int64_t) * FIELDS * (size_t)ranks);
    cvseg_status status =
        all ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allgather(mine, FIELDS, MPI_INT64_T, all, FIELDS, MPI_INT64_T, comm),
            "duplicate check ranges");
    int sorted = status == CVSEG_OK, seen = 0;
    int64_t previous_last = 0;
    for (int r = 0; r < ranks && sorted; ++r) {
        const int64_t *block = all + (size_t)r * FIELDS;
        if (block[0] < 0)
            continue; /* empty block */
        sorted = block[0] == 1 && (!seen || block[1] > previous_last);
        previous_last = block[2];
        seen = 1;
    }
    *apart = sorted;
    free(all);
    return status;
}

cvseg_status cvseg_mpi_duplicates(MPI_Comm comm, const int64_t *keys, int64_t n,
                                  int64_t *duplicates, int64_t *example)
{
    int ranks = 1;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "duplicate check size");
    uint64_t *received = NULL, *scratch = NULL;
    int64_t total = 0, found = 0, smallest = INT64_MAX;
    int apart = 0;
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = duplicates_sorted_apart(comm, ranks, keys, n, &apart);
    if (status != CVSEG_OK || apart)
        goto done;
    status = duplicates_route(comm, ranks, keys, n, &received, &total);
    if (status == CVSEG_OK) {
        scratch = malloc(sizeof(uint64_t) * (size_t)(total > 0 ? total : 1));
        if (!scratch)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
        status = cvseg_mpi_agree(comm, status);
    }
    if (status != CVSEG_OK)
        goto done;
    duplicates_sort_top(received, scratch, total);
    duplicates_scan(received, total, &found, &smallest);
    status = cvseg_mpi_sum_i64(comm, &found, 1);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &smallest, 1, MPI_INT64_T, MPI_MIN, comm), "duplicates");
done:
    *duplicates = found;
    *example = smallest;
    free(received);
    free(scratch);
    return status;
}
