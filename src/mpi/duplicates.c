/* duplicates.c: distributed duplicate-key detection. Tables exported in key
 * order (each rank's block strictly increasing, the blocks in rank order)
 * are recognised in one local pass and one small MPI_Allgather.
 *
 * Otherwise keys are compared by their hashes h = cvseg_mix64(key), a
 * bijection (equal hashes <=> equal keys; duplicates_unmix names a key back
 * from its hash). The top bits of h (11 bits, more for many ranks) name its
 * bucket, and each rank owns a contiguous range of buckets. Every rank
 * counting-sorts the hashes of its keys by bucket straight into one send
 * buffer (a count pass and a place pass, hashing twice rather than storing
 * hashes), which is then already grouped by owner: one MPI_Alltoallv
 * (cvseg_exchange_plan_create, cvseg_exchange_run: 64-bit counts) moves
 * it (send and receive buffers on transparent huge pages). The owner holds
 * one chunk per source, each sorted by bucket; for each of its buckets it
 * finds the bucket's segment in every chunk (binary search) and inserts
 * those hashes into an open-addressing table of twice the bucket's size
 * (cache-resident: 10 M uniform keys make buckets of about 5,000), indexed
 * by the bits below the bucket's: a hash already there repeats an earlier
 * one. A bucket too large for a 262,144-slot table (2 MiB: many copies of
 * a few keys; uniform keys stay below it up to about 260 M keys) is
 * counting-sorted by the next 11 bits instead, each run of equal
 * top bits sorted and equal neighbours counted. Buckets run in parallel
 * (OpenMP); the count is a sum and the smallest key a minimum, so the
 * result depends on neither ranks nor threads.
 *
 * Memory per rank: the n-hash send buffer (freed after the exchange), the
 * received hashes, (threads + 1) 2^bits bucket counts, and per thread a buffer of
 * max(largest bucket, its table) hashes. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* The inner digit: the 11 hash bits below a bucket's. */
enum { DUPLICATES_INNER_BITS = 11, DUPLICATES_INNER = 1 << DUPLICATES_INNER_BITS };

/* How the hashes are split: buckets (2^bits) by the top bits of the hash,
 * owned by ranks in contiguous ranges (first bucket of rank r:
 * ceil(r * buckets / ranks), so the owner is monotone in the bucket). */
typedef struct {
    int ranks, rank;
    int bits;        /* bucket bits: 11, more for many ranks (>= 8 buckets a rank, at most 20) */
    int64_t buckets; /* 2^bits */
} duplicates_layout;

static duplicates_layout duplicates_layout_of(int ranks, int rank)
{
    duplicates_layout layout = {.ranks = ranks, .rank = rank, .bits = 11};
    while (layout.bits < 20 && (INT64_C(1) << layout.bits) < 8 * (int64_t)ranks)
        ++layout.bits;
    layout.buckets = INT64_C(1) << layout.bits;
    return layout;
}

/* The first bucket rank r owns (r = ranks: layout->buckets). */
static int64_t duplicates_first_bucket(const duplicates_layout *layout, int r)
{
    return ((int64_t)r * layout->buckets + layout->ranks - 1) / layout->ranks;
}

static uint64_t duplicates_bucket_of(const duplicates_layout *layout, uint64_t hash)
{
    return hash >> (64 - layout->bits);
}

/* An array of n (>= 1) hashes, NULL when out of memory. Large ones are
 * advised onto transparent huge pages: the passes that scatter into them
 * by bucket touch thousands of pages at once, and 4 KiB pages thrash the
 * TLB. */
static uint64_t *duplicates_alloc(int64_t n)
{
    const size_t bytes = sizeof(uint64_t) * (size_t)(n > 0 ? n : 1);
    uint64_t *p = malloc(bytes);
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21, start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    const uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (p && end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE); /* advice: may fail */
#endif
    return p;
}

/* Counting sort of the hashes (cvseg_mix64) of keys [n] by bucket into
 * send [n], stable; start [buckets + 1] := where each bucket begins (and
 * n). Up to threads OpenMP threads, each on a block of keys with its own
 * row of cursor [threads][buckets] (scratch). The hashes are computed twice
 * (count, then place) rather than stored. */
static void duplicates_scatter(const duplicates_layout *layout, const int64_t *keys, int64_t n,
                               int threads, int64_t *cursor, int64_t *start, uint64_t *send)
{
    const int64_t buckets = layout->buckets;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        const int64_t low = n * t / team, high = n * (t + 1) / team;
        int64_t *mine = cursor + (size_t)t * (size_t)buckets;
        for (int64_t b = 0; b < buckets; ++b)
            mine[b] = 0;
        for (int64_t i = low; i < high; ++i)
            mine[duplicates_bucket_of(layout, cvseg_mix64((uint64_t)keys[i]))] += 1;
#pragma omp barrier
#pragma omp single
        { /* bucket by bucket, the threads' blocks in order */
            int64_t position = 0;
            for (int64_t b = 0; b < buckets; ++b) {
                start[b] = position;
                for (int u = 0; u < team; ++u) {
                    const int64_t count = cursor[(size_t)u * (size_t)buckets + (size_t)b];
                    cursor[(size_t)u * (size_t)buckets + (size_t)b] = position;
                    position += count;
                }
            }
            start[buckets] = n;
        }
        for (int64_t i = low; i < high; ++i) {
            const uint64_t hash = cvseg_mix64((uint64_t)keys[i]);
            send[mine[duplicates_bucket_of(layout, hash)]++] = hash;
        }
    }
}

/* Sends the hashes of keys [n] to the owners of their buckets:
 * *received [plan->recv_total] the hashes this rank owns, one chunk per
 * source rank (plan->recv_displs, plan->recv_counts), each sorted by
 * bucket. Collective; the status is the same on every rank. */
static cvseg_status duplicates_route(MPI_Comm comm, const duplicates_layout *layout,
                                     const int64_t *keys, int64_t n, uint64_t **received,
                                     cvseg_exchange_plan *plan)
{
    const int threads = n >= 65536 ? omp_get_max_threads() : 1;
    const size_t words =
        (size_t)layout->buckets * (size_t)(threads + 1) + 1 + (size_t)layout->ranks;
    int64_t *start = malloc(sizeof(int64_t) * words), *counts = start + layout->buckets + 1;
    int64_t *cursor = counts + layout->ranks; /* [threads][buckets] */
    uint64_t *send = duplicates_alloc(n);
    cvseg_status status = CVSEG_OK;
    if (!start || !send)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        duplicates_scatter(layout, keys, n, threads, cursor, start, send);
        for (int r = 0; r < layout->ranks; ++r)
            counts[r] = start[duplicates_first_bucket(layout, r + 1)] -
                        start[duplicates_first_bucket(layout, r)];
        status = cvseg_exchange_plan_create(comm, counts, plan);
    }
    if (status == CVSEG_OK) {
        *received = duplicates_alloc(plan->recv_total);
        if (!*received)
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
        status = cvseg_mpi_agree(comm, status);
    }
    if (status == CVSEG_OK)
        status = cvseg_exchange_run(comm, plan, send, *received, sizeof(uint64_t));
    free(start);
    free(send);
    return status;
}

/* The first index of chunk [n] (sorted by bucket) whose bucket is >= bucket. */
static int64_t duplicates_lower_bound(const duplicates_layout *layout, const uint64_t *chunk,
                                      int64_t n, int64_t bucket)
{
    int64_t low = 0, high = n;
    while (low < high) {
        const int64_t middle = low + (high - low) / 2;
        if ((int64_t)duplicates_bucket_of(layout, chunk[middle]) < bucket)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Where bucket's hashes lie in each source's chunk of received: segment
 * [ranks][2] := first index, end index (into received). Returns their count. */
static int64_t duplicates_segments(const duplicates_layout *layout, const uint64_t *received,
                                   const cvseg_exchange_plan *plan, int64_t bucket,
                                   int64_t (*segment)[2])
{
    int64_t total = 0;
    for (int s = 0; s < layout->ranks; ++s) {
        const uint64_t *chunk = received + plan->recv_displs[s];
        const int64_t n = plan->recv_counts[s];
        segment[s][0] = plan->recv_displs[s] + duplicates_lower_bound(layout, chunk, n, bucket);
        segment[s][1] = plan->recv_displs[s] + duplicates_lower_bound(layout, chunk, n, bucket + 1);
        total += segment[s][1] - segment[s][0];
    }
    return total;
}

/* Counts the hashes of one bucket, from segment [ranks][2] of received,
 * that repeat an earlier one, and the smallest key among them: counting
 * sort by the inner digit into buffer [the bucket's size], then each run
 * (equal bucket and inner digit, a few values for uniform hashes) sorted. */
static void duplicates_count_bucket(const duplicates_layout *layout, const uint64_t *received,
                                    int64_t (*segment)[2], uint64_t *buffer, int64_t *found,
                                    int64_t *smallest)
{
    const int shift = 64 - layout->bits - DUPLICATES_INNER_BITS;
    const uint64_t mask = DUPLICATES_INNER - 1;
    int64_t start[DUPLICATES_INNER + 1] = {0}, cursor[DUPLICATES_INNER];
    for (int s = 0; s < layout->ranks; ++s)
        for (int64_t i = segment[s][0]; i < segment[s][1]; ++i)
            start[((received[i] >> shift) & mask) + 1] += 1;
    for (int d = 0; d < DUPLICATES_INNER; ++d) {
        cursor[d] = start[d];
        start[d + 1] += start[d];
    }
    for (int s = 0; s < layout->ranks; ++s)
        for (int64_t i = segment[s][0]; i < segment[s][1]; ++i)
            buffer[cursor[(received[i] >> shift) & mask]++] = received[i];
    for (int d = 0; d < DUPLICATES_INNER; ++d) {
        if (start[d + 1] - start[d] < 2)
            continue;
        duplicates_sort_run(buffer + start[d], start[d + 1] - start[d]);
        for (int64_t i = start[d] + 1; i < start[d + 1]; ++i)
            if (buffer[i] == buffer[i - 1]) {
                *found += 1;
                const int64_t key = (int64_t)duplicates_unmix(buffer[i]);
                *smallest = key < *smallest ? key : *smallest;
            }
    }
}

/* Hash-table slots at most, 2^18 (2 MiB, within a core's L2 on current
 * servers); a bucket holding more than half of them is sorted instead
 * (duplicates_count_bucket). With 2,048 buckets, uniform keys take the table
 * up to about 2^28 keys in all: 100 M members make buckets of 49,000. */
enum { DUPLICATES_TABLE_BITS_MAX = 18 };

/* The table bits for a bucket of size hashes: load at most one half. */
static int duplicates_table_bits(int64_t size)
{
    int bits = 4;
    while (bits < 62 && (INT64_C(1) << bits) < 2 * size)
        ++bits;
    return bits;
}

/* As duplicates_count_bucket, by inserting the bucket's hashes into an
 * open-addressing table [2^duplicates_table_bits(size)] (linear probing,
 * 0 = empty; the hash 0 is counted apart) indexed by the bits below the
 * bucket's: a hash found there repeats an earlier one. */
static void duplicates_count_table(const duplicates_layout *layout, const uint64_t *received,
                                   int64_t (*segment)[2], int64_t size, uint64_t *table,
                                   int64_t *found, int64_t *smallest)
{
    const int bits = duplicates_table_bits(size);
    const uint64_t mask = (UINT64_C(1) << bits) - 1;
    int64_t zeros = 0;
    memset(table, 0, sizeof(uint64_t) << bits);
    for (int s = 0; s < layout->ranks; ++s)
        for (int64_t i = segment[s][0]; i < segment[s][1]; ++i) {
            const uint64_t hash = received[i];
            uint64_t slot = (hash << layout->bits) >> (64 - bits);
            while (table[slot] != 0 && table[slot] != hash)
                slot = (slot + 1) & mask;
            zeros += hash == 0;
            if (hash != 0 && table[slot] == hash) {
                *found += 1;
                const int64_t key = (int64_t)duplicates_unmix(hash);
                *smallest = key < *smallest ? key : *smallest;
            }
            table[slot] = hash;
        }
    if (zeros > 1) {
        *found += zeros - 1;
        *smallest = 0 < *smallest ? 0 : *smallest;
    }
}

/* Counts, over the buckets this rank owns, the received hashes
 * [plan->recv_total] that repeat an earlier one, and the smallest key among
 * them; buckets in parallel (OpenMP), each thread with its own buffer of
 * largest (the largest bucket's size) hashes and segment table. Local. */
static cvseg_status duplicates_count_owned(const duplicates_layout *layout,
                                           const uint64_t *received,
                                           const cvseg_exchange_plan *plan, int64_t largest,
                                           int64_t *found, int64_t *smallest)
{
    const int64_t first = duplicates_first_bucket(layout, layout->rank);
    const int64_t end = duplicates_first_bucket(layout, layout->rank + 1);
    int64_t count = 0, minimum = INT64_MAX;
    int failed = 0;
#pragma omp parallel reduction(+ : count, failed) reduction(min : minimum)
    {
        const int table_bits = duplicates_table_bits(largest);
        const int64_t table =
            INT64_C(1) << (table_bits < DUPLICATES_TABLE_BITS_MAX ? table_bits
                                                                  : DUPLICATES_TABLE_BITS_MAX);
        uint64_t *buffer = malloc(sizeof(uint64_t) * (size_t)(largest > table ? largest : table));
        int64_t(*segment)[2] = malloc(sizeof *segment * (size_t)layout->ranks);
        failed += !buffer || !segment;
#pragma omp for schedule(dynamic, 16)
        for (int64_t b = first; b < end; ++b) {
            if (!buffer || !segment)
                continue;
            const int64_t size = duplicates_segments(layout, received, plan, b, segment);
            if (duplicates_table_bits(size) <= DUPLICATES_TABLE_BITS_MAX)
                duplicates_count_table(layout, received, segment, size, buffer, &count, &minimum);
            else
                duplicates_count_bucket(layout, received, segment, buffer, &count, &minimum);
        }
        free(buffer);
        free(segment);
    }
    *found = count;
    *smallest = minimum;
    return failed ? CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check") : CVSEG_OK;
}

/* The most hashes any bucket this rank owns holds in received. Returns
 * CVSEG_ENOMEM (local) when the segment table cannot be allocated. */
static cvseg_status duplicates_largest(const duplicates_layout *layout, const uint64_t *received,
                                       const cvseg_exchange_plan *plan, int64_t *largest)
{
    int64_t(*segment)[2] = malloc(sizeof *segment * (size_t)layout->ranks);
    const int64_t end = duplicates_first_bucket(layout, layout->rank + 1);
    const cvseg_status status =
        segment ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the duplicate check");
    *largest = 0;
    for (int64_t b = duplicates_first_bucket(layout, layout->rank); b < end && segment; ++b) {
        const int64_t size = duplicates_segments(layout, received, plan, b, segment);
        *largest = size > *largest ? size : *largest;
    }
    free(segment);
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
    int ranks = 1, rank = 0;
    cvseg_status status = cvseg_mpi_check(MPI_Comm_size(comm, &ranks), "duplicate check size");
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(MPI_Comm_rank(comm, &rank), "duplicate check rank");
    uint64_t *received = NULL;
    cvseg_exchange_plan plan = {0};
    int64_t found = 0, smallest = INT64_MAX, largest = 0;
    int apart = 0;
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = duplicates_sorted_apart(comm, ranks, keys, n, &apart);
    if (status != CVSEG_OK || apart)
        goto done;
    const duplicates_layout layout = duplicates_layout_of(ranks, rank);
    status = duplicates_route(comm, &layout, keys, n, &received, &plan);
    if (status == CVSEG_OK) {
        status = duplicates_largest(&layout, received, &plan, &largest);
        if (status == CVSEG_OK)
            status = duplicates_count_owned(&layout, received, &plan, largest, &found, &smallest);
        status = cvseg_mpi_agree(comm, status);
    }
    if (status == CVSEG_OK)
        status = cvseg_mpi_sum_i64(comm, &found, 1);
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &smallest, 1, MPI_INT64_T, MPI_MIN, comm), "duplicates");
done:
    *duplicates = found;
    *example = smallest;
    cvseg_exchange_plan_free(&plan);
    free(received);
    return status;
}
