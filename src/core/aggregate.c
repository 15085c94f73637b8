/* aggregate.c: grouping of transaction rows by member (bucketed radix sort). */
#include "cvseg/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/sort.h"

void cvseg_member_aggregate_free(cvseg_member_aggregate *aggregate)
{
    free(aggregate->member_id);
    free(aggregate->first_purchase);
    free(aggregate->last_purchase);
    free(aggregate->frequency);
    free(aggregate->monetary);
    free(aggregate->distinct_days);
    free(aggregate->repeat_monetary);
    memset(aggregate, 0, sizeof *aggregate);
}

static int aggregate_compare_dates(const void *a, const void *b)
{
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* One transaction while grouping: the order key of its member id, and the
 * fields that are summed. */
typedef struct {
    uint64_t key;
    double amount;
    int32_t date;
} aggregate_record;

/* Per-thread scratch of the per-member kernels, [capacity] each. */
typedef struct {
    int64_t capacity;
    int32_t *days;
    uint64_t *keys, *index, *key_scratch, *index_scratch;
} aggregate_scratch;

static void aggregate_scratch_free(aggregate_scratch *s)
{
    free(s->days);
    free(s->keys);
    free(s->index);
    free(s->key_scratch);
    free(s->index_scratch);
    memset(s, 0, sizeof *s);
}

/* Makes room for count rows; 0 on success, -1 when out of memory. */
static int aggregate_scratch_reserve(aggregate_scratch *s, int64_t count)
{
    if (count <= s->capacity)
        return 0;
    aggregate_scratch_free(s);
    const size_t size = (size_t)count;
    s->days = malloc(sizeof(int32_t) * size);
    s->keys = malloc(sizeof(uint64_t) * size);
    s->index = malloc(sizeof(uint64_t) * size);
    s->key_scratch = malloc(sizeof(uint64_t) * size);
    s->index_scratch = malloc(sizeof(uint64_t) * size);
    if (!s->days || !s->keys || !s->index || !s->key_scratch || !s->index_scratch) {
        aggregate_scratch_free(s);
        return -1;
    }
    s->capacity = count;
    return 0;
}

/* Buckets of the first pass: about 4,096 rows per bucket (a cache-resident
 * sort), 2^8..2^16 buckets, by the high bits of (key - lowest) >> shift. */
typedef struct {
    int count;       /* buckets */
    int shift;       /* bucket of key: (key - lowest) >> shift */
    uint64_t lowest; /* smallest key */
    int64_t *start;  /* [count + 1] first record of each bucket */
    int64_t *member; /* [count + 1] first member of each bucket (counted while sorting) */
} aggregate_buckets;

/* Bucket count and key range of member_id [n]. */
static void aggregate_buckets_plan(const int64_t *member_id, int64_t n, aggregate_buckets *b)
{
    int bucket_bits = 8;
    while (bucket_bits < 16 && (n >> bucket_bits) > 4096)
        ++bucket_bits;
    b->count = 1 << bucket_bits;
    uint64_t lowest = UINT64_MAX, highest = 0;
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t key = cvseg_i64_key(member_id[i]);
        lowest = key < lowest ? key : lowest;
        highest = key > highest ? key : highest;
    }
    int shift = 0;
    while (n > 0 && ((highest - lowest) >> shift) >= (uint64_t)b->count)
        ++shift;
    b->lowest = lowest;
    b->shift = shift;
}

/* Counting scatter of the rows into their buckets, file order within each:
 * fills b->start and records [n] (source_row [n], when not NULL, the input
 * row of each). ENOMEM. */
static cvseg_status aggregate_scatter(const int64_t *member_id, const int32_t *date,
                                      const double *amount, int64_t n, aggregate_buckets *b,
                                      aggregate_record *records, int64_t *source_row)
{
    for (int64_t i = 0; i < n; ++i)
        b->start[((cvseg_i64_key(member_id[i]) - b->lowest) >> b->shift) + 1] += 1;
    for (int k = 0; k < b->count; ++k)
        b->start[k + 1] += b->start[k];
    int64_t *next = malloc(sizeof(int64_t) * (size_t)b->count);
    if (!next)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    memcpy(next, b->start, sizeof(int64_t) * (size_t)b->count);
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t key = cvseg_i64_key(member_id[i]);
        const int64_t at = next[(key - b->lowest) >> b->shift]++;
        aggregate_record *r = &records[at];
        if (source_row)
            source_row[at] = i;
        r->key = key;
        r->amount = amount[i];
        r->date = date[i];
    }
    free(next);
    return CVSEG_OK;
}

/* Sub-buckets of one bucket's finer pass: at most 2^AGGREGATE_FINE_BITS, and
 * the pass is taken for buckets of at most AGGREGATE_FINE_MAX rows whose
 * sub-buckets hold at most AGGREGATE_FINE_RUN rows each (else radix sort). */
enum { AGGREGATE_FINE_BITS = 12, AGGREGATE_FINE_MAX = 16384, AGGREGATE_FINE_RUN = 64 };

/* Scratch of the in-place bucket sort, [capacity] each, the counts of the
 * finer pass, and room to reorder a bucket of up to AGGREGATE_FINE_MAX
 * records by copying (larger ones are reordered in place). */
typedef struct {
    int64_t capacity;
    uint64_t *keys, *index, *key_scratch, *index_scratch;
    int64_t counts[(1 << AGGREGATE_FINE_BITS) + 1];
    aggregate_record records[AGGREGATE_FINE_MAX];
    int64_t rows[AGGREGATE_FINE_MAX];
} aggregate_sort_scratch;

static void aggregate_sort_scratch_free(aggregate_sort_scratch *s)
{
    free(s->keys);
    free(s->index);
    free(s->key_scratch);
    free(s->index_scratch);
    s->keys = s->index = s->key_scratch = s->index_scratch = NULL;
    s->capacity = 0;
}

/* Makes room for count rows; 0 on success, -1 when out of memory. */
static int aggregate_sort_scratch_reserve(aggregate_sort_scratch *s, int64_t count)
{
    if (count <= s->capacity)
        return 0;
    aggregate_sort_scratch_free(s);
    const size_t size = (size_t)count;
    s->keys = malloc(sizeof(uint64_t) * size);
    s->index = malloc(sizeof(uint64_t) * size);
    s->key_scratch = malloc(sizeof(uint64_t) * size);
    s->index_scratch = malloc(sizeof(uint64_t) * size);
    if (!s->keys || !s->index || !s->key_scratch || !s->index_scratch) {
        aggregate_sort_scratch_free(s);
        return -1;
    }
    s->capacity = count;
    return 0;
}

/* Finer pass over records [count] whose keys, less lowest, are below 2^bits:
 * a counting scatter of (key, position) into s->keys / s->index by the top
 * bits of (key - lowest), then an insertion sort, which moves every record
 * only within its sub-bucket. Returns 0, or -1 (nothing done) when a
 * sub-bucket holds more than AGGREGATE_FINE_RUN records. */
static int aggregate_fine_sort(const aggregate_record *records, int64_t count, uint64_t lowest,
                               int bits, aggregate_sort_scratch *s)
{
    int fine = 1;
    while (fine < AGGREGATE_FINE_BITS && ((int64_t)1 << fine) < count)
        ++fine;
    fine = fine < bits ? fine : bits;
    const int shift = bits - fine;
    int64_t *counts = s->counts, largest = 0;
    memset(counts, 0, sizeof(int64_t) * ((size_t)1 << fine));
    for (int64_t t = 0; t < count; ++t)
        counts[(records[t].key - lowest) >> shift] += 1;
    for (int64_t d = 0, at = 0; d < ((int64_t)1 << fine); ++d) {
        const int64_t c = counts[d];
        largest = c > largest ? c : largest;
        counts[d] = at;
        at += c;
    }
    if (largest > AGGREGATE_FINE_RUN)
        return -1;
    for (int64_t t = 0; t < count; ++t) {
        const int64_t at = counts[(records[t].key - lowest) >> shift]++;
        s->keys[at] = records[t].key;
        s->index[at] = (uint64_t)t;
    }
    for (int64_t t = 1; t < count; ++t) {
        const uint64_t key = s->keys[t], index = s->index[t];
        int64_t u = t;
        for (; u > 0 && s->keys[u - 1] > key; --u) {
            s->keys[u] = s->keys[u - 1];
            s->index[u] = s->index[u - 1];
        }
        s->keys[u] = key;
        s->index[u] = index;
    }
    return 0;
}

/* Puts records [count] (and rows [count] when not NULL) of a bucket larger
 * than the copy buffer in key order: s->keys [count] holds the sorted keys
 * and s->index [count] the position of each; the amounts and dates are
 * gathered into the two free scratch arrays (independent loads, not a chain
 * of dependent ones), then written back, then the rows. */
static void aggregate_reorder_large(aggregate_record *records, int64_t *rows, int64_t count,
                                    aggregate_sort_scratch *s)
{
    double *amounts = (double *)s->key_scratch;
    uint64_t *dates = s->index_scratch;
    for (int64_t t = 0; t < count; ++t) {
        amounts[t] = records[s->index[t]].amount;
        dates[t] = (uint64_t)(uint32_t)records[s->index[t]].date;
    }
    for (int64_t t = 0; t < count; ++t) {
        records[t].key = s->keys[t];
        records[t].amount = amounts[t];
        records[t].date = (int32_t)(uint32_t)dates[t];
    }
    if (rows) {
        for (int64_t t = 0; t < count; ++t)
            s->index_scratch[t] = (uint64_t)rows[s->index[t]];
        for (int64_t t = 0; t < count; ++t)
            rows[t] = (int64_t)s->index_scratch[t];
    }
}

/* Stable sort of records [count] (and rows [count] when not NULL) by key,
 * in place; every key, less lowest, is below 2^bits. 0, or -1 when out of
 * memory. */
static int aggregate_sort_bucket(aggregate_record *records, int64_t *rows, int64_t count,
                                 uint64_t lowest, int bits, aggregate_sort_scratch *s)
{
    if (count < 2 || bits == 0) /* bits 0: one key */
        return 0;
    if (aggregate_sort_scratch_reserve(s, count) != 0)
        return -1;
    if (count > AGGREGATE_FINE_MAX || aggregate_fine_sort(records, count, lowest, bits, s) != 0) {
        for (int64_t t = 0; t < count; ++t) {
            s->keys[t] = records[t].key;
            s->index[t] = (uint64_t)t;
        }
        cvseg_radix_sort_u64(s->keys, s->key_scratch, s->index, s->index_scratch, count);
    }
    if (count > AGGREGATE_FINE_MAX) { /* sorted by the radix sort: s->keys in order */
        aggregate_reorder_large(records, rows, count, s);
        return 0;
    }
    for (int64_t t = 0; t < count; ++t)
        s->records[t] = records[s->index[t]];
    memcpy(records, s->records, sizeof(aggregate_record) * (size_t)count);
    if (rows) {
        for (int64_t t = 0; t < count; ++t)
            s->rows[t] = rows[s->index[t]];
        memcpy(rows, s->rows, sizeof(int64_t) * (size_t)count);
    }
    return 0;
}

/* Stable sort of every bucket of records (and of source_row when not NULL)
 * in place, buckets in parallel; b->member [k + 1] receives the members
 * (distinct keys) of bucket k. ENOMEM. */
static cvseg_status aggregate_sort_buckets(const aggregate_buckets *b, aggregate_record *records,
                                           int64_t *source_row)
{
    int failed = 0;
    const int bits = b->shift < 64 ? b->shift : 64; /* bits below a bucket's lowest key */
#pragma omp parallel reduction(| : failed)
    {
        aggregate_sort_scratch *scratch = calloc(1, sizeof *scratch);
        failed |= scratch == NULL;
#pragma omp for schedule(dynamic, 64)
        for (int k = 0; k < b->count; ++k) {
            const int64_t begin = b->start[k], count = b->start[k + 1] - begin;
            if (count > 1 && !failed && scratch)
                failed |= aggregate_sort_bucket(
                              records + begin, source_row ? source_row + begin : NULL, count,
                              b->lowest + ((uint64_t)k << b->shift), bits, scratch) != 0;
            int64_t members = count > 0;
            for (int64_t t = begin + 1; t < begin + count; ++t)
                members += records[t].key != records[t - 1].key;
            b->member[k + 1] = members;
        }
        if (scratch)
            aggregate_sort_scratch_free(scratch);
        free(scratch);
    }
    return failed ? CVSEG_FAIL(CVSEG_ENOMEM, "out of memory sorting transaction rows") : CVSEG_OK;
}

/* Stable sort of rows by key in two memory passes: a counting scatter into
 * 256..65,536 buckets by the high bits of (key - min key), straight into
 * records, then a sort of each bucket in place, which fits in cache (a
 * finer counting pass and an insertion sort, or a radix sort). records [n]
 * receives the rows in key order, file order within equal keys; source_row
 * [n] (NULL: not wanted) the input row of each record; b (to free with
 * aggregate_buckets_free, also on failure) the buckets, b->member[k] the
 * members before bucket k and b->member[b->count] all of them. */
static cvseg_status aggregate_sort_records(const int64_t *member_id, const int32_t *date,
                                           const double *amount, int64_t n,
                                           aggregate_record *records, int64_t *source_row,
                                           aggregate_buckets *b)
{
    cvseg_status status = CVSEG_OK;
    aggregate_buckets_plan(member_id, n, b);
    b->start = calloc((size_t)b->count + 1, sizeof(int64_t));
    b->member = calloc((size_t)b->count + 1, sizeof(int64_t));
    if (!b->start || !b->member)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    if (status == CVSEG_OK)
        status = aggregate_scatter(member_id, date, amount, n, b, records, source_row);
    if (status == CVSEG_OK)
        status = aggregate_sort_buckets(b, records, source_row);
    for (int k = 0; status == CVSEG_OK && k < b->count; ++k)
        b->member[k + 1] += b->member[k];
    return status;
}

static void aggregate_buckets_free(aggregate_buckets *b)
{
    free(b->start);
    free(b->member);
    b->start = b->member = NULL;
}

/* One member's aggregate. */
typedef struct {
    int32_t first, last, frequency, distinct_days;
    double monetary, repeat_monetary;
    int64_t orders;
    int failed; /* out of memory */
} aggregate_member;

/* Sorts days [count] in place and returns the number of distinct values. */
static int32_t aggregate_distinct_days(int32_t *days, int64_t count)
{
    if (count <= 32) { /* insertion sort: most members have few rows */
        for (int64_t t = 1; t < count; ++t) {
            const int32_t v = days[t];
            int64_t u = t;
            while (u > 0 && days[u - 1] > v) {
                days[u] = days[u - 1];
                --u;
            }
            days[u] = v;
        }
    } else {
        qsort(days, (size_t)count, sizeof(int32_t), aggregate_compare_dates);
    }
    int32_t distinct = count > 0;
    for (int64_t t = 1; t < count; ++t)
        distinct += days[t] != days[t - 1];
    return distinct;
}

/* Rows of a member up to which distinct dates are counted by comparing
 * every pair (no copy, no sort, no data-dependent branch). */
enum { AGGREGATE_FEW_ROWS = 16 };

/* Distinct dates of rows [count], count <= AGGREGATE_FEW_ROWS. */
static int32_t aggregate_distinct_few(const aggregate_record *rows, int64_t count)
{
    int32_t distinct = 0;
    for (int64_t r = 0; r < count; ++r) {
        int seen = 0;
        for (int64_t u = 0; u < r; ++u)
            seen |= rows[u].date == rows[r].date;
        distinct += !seen;
    }
    return distinct;
}

/* Sum of the amounts of rows [count] dated after day, in row order. */
static double aggregate_sum_after(const aggregate_record *rows, int64_t count, int32_t day)
{
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r)
        if (rows[r].date > day)
            sum += rows[r].amount;
    return sum;
}

/* ROWS mode: rows [count] of one member in file order, every row a purchase. */
static void aggregate_by_rows(const aggregate_record *rows, int64_t count, aggregate_scratch *s,
                              aggregate_member *m)
{
    int32_t first = rows[0].date, last = first;
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r) {
        first = rows[r].date < first ? rows[r].date : first;
        last = rows[r].date > last ? rows[r].date : last;
        sum += rows[r].amount;
    }
    m->first = first;
    m->last = last;
    m->monetary = sum;
    m->repeat_monetary = aggregate_sum_after(rows, count, first);
    m->frequency = (int32_t)count;
    m->distinct_days = 1;
    if (count <= AGGREGATE_FEW_ROWS && first != last) {
        m->distinct_days = aggregate_distinct_few(rows, count);
    } else if (count > 1 && first != last) {
        if (aggregate_scratch_reserve(s, count) != 0) {
            m->failed = 1;
            return;
        }
        for (int64_t r = 0; r < count; ++r)
            s->days[r] = rows[r].date;
        m->distinct_days = aggregate_distinct_days(s->days, count);
    }
}

/* Stable sort of s->keys [count] carrying s->index. */
static void aggregate_sort_keys(aggregate_scratch *s, int64_t count)
{
    if (count > 32) {
        cvseg_radix_sort_u64(s->keys, s->key_scratch, s->index, s->index_scratch, count);
        return;
    }
    for (int64_t t = 1; t < count; ++t) {
        const uint64_t key = s->keys[t], index = s->index[t];
        int64_t u = t;
        while (u > 0 && s->keys[u - 1] > key) {
            s->keys[u] = s->keys[u - 1];
            s->index[u] = s->index[u - 1];
            --u;
        }
        s->keys[u] = key;
        s->index[u] = index;
    }
}

/* ORDERS / DAYS mode: rows [count] of one member in file order, grouped by
 * order id (order_id[source_row[r]]) or by date; a group with a net amount
 * > 0 is a purchase, dated by its earliest row. */
static void aggregate_by_groups(const aggregate_record *rows, const int64_t *source_row,
                                const int64_t *order_id, int64_t count, aggregate_scratch *s,
                                aggregate_member *m)
{
    if (aggregate_scratch_reserve(s, count) != 0) {
        m->failed = 1;
        return;
    }
    int32_t lo = rows[0].date, hi = lo, first = INT32_MAX, last = INT32_MIN, purchases = 0;
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r) {
        lo = rows[r].date < lo ? rows[r].date : lo;
        hi = rows[r].date > hi ? rows[r].date : hi;
        sum += rows[r].amount;
        s->keys[r] =
            order_id ? cvseg_i64_key(order_id[source_row[r]]) : cvseg_i64_key(rows[r].date);
        s->index[r] = (uint64_t)r;
    }
    aggregate_sort_keys(s, count);
    for (int64_t g = 0, end = 0; g < count; g = end) {
        double net = 0.0; /* the group's rows in file order (stable sort) */
        int32_t day = INT32_MAX;
        for (end = g; end < count && s->keys[end] == s->keys[g]; ++end) {
            const aggregate_record *row = &rows[s->index[end]];
            net += row->amount;
            day = row->date < day ? row->date : day;
        }
        m->orders += 1;
        if (net > 0.0) {
            first = day < first ? day : first;
            last = day > last ? day : last;
            s->days[purchases++] = day;
        }
    }
    m->monetary = sum;
    m->frequency = purchases;
    m->first = purchases > 0 ? first : lo;
    m->last = purchases > 0 ? last : hi;
    m->distinct_days = aggregate_distinct_days(s->days, purchases);
    m->repeat_monetary = purchases > 0 ? aggregate_sum_after(rows, count, first) : 0.0;
}

static cvseg_status aggregate_alloc(cvseg_member_aggregate *out, int64_t members)
{
    const size_t size = (size_t)(members > 0 ? members : 1);
    out->members = members;
    out->member_id = malloc(sizeof(int64_t) * size);
    out->first_purchase = malloc(sizeof(int32_t) * size);
    out->last_purchase = malloc(sizeof(int32_t) * size);
    out->frequency = malloc(sizeof(int32_t) * size);
    out->monetary = malloc(sizeof(double) * size);
    out->distinct_days = malloc(sizeof(int32_t) * size);
    out->repeat_monetary = malloc(sizeof(double) * size);
    if (!out->member_id || !out->first_purchase || !out->last_purchase || !out->frequency ||
        !out->monetary || !out->distinct_days || !out->repeat_monetary)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld members", (long long)members);
    return CVSEG_OK;
}

/* Member o of out: its rows [count] (source_row [count] or NULL) in file
 * order. Adds to the totals; 1 when a scratch failed. */
static int aggregate_one(const aggregate_record *rows, const int64_t *source_row, int64_t count,
                         const int64_t *order_id, cvseg_frequency_mode mode,
                         aggregate_scratch *scratch, cvseg_member_aggregate *out, int64_t o,
                         int64_t totals[4])
{
    aggregate_member m = {0};
    if (mode == CVSEG_FREQUENCY_ROWS)
        aggregate_by_rows(rows, count, scratch, &m);
    else
        aggregate_by_groups(rows, source_row, mode == CVSEG_FREQUENCY_ORDERS ? order_id : NULL,
                            count, scratch, &m);
    out->member_id[o] = cvseg_key_i64(rows[0].key);
    out->first_purchase[o] = m.first;
    out->last_purchase[o] = m.last;
    out->frequency[o] = m.frequency;
    out->monetary[o] = m.monetary;
    out->distinct_days[o] = m.distinct_days;
    out->repeat_monetary[o] = m.repeat_monetary;
    totals[0] += m.orders;
    totals[1] += m.frequency;
    totals[2] += m.frequency == 0;
    totals[3] += m.frequency > 0 && !(m.monetary > 0.0);
    return m.failed;
}

/* Aggregates every member, bucket by bucket (b from aggregate_sort_records:
 * each member's records are a run of equal keys inside one bucket). Fills
 * out's arrays and totals; ENOMEM when a scratch failed. */
static cvseg_status aggregate_members(const aggregate_record *records, const int64_t *source_row,
                                      const aggregate_buckets *b, const int64_t *order_id,
                                      cvseg_frequency_mode mode, cvseg_member_aggregate *out)
{
    int64_t orders = 0, purchases = 0, no_purchase = 0, non_positive = 0;
    int failed = 0;
#pragma omp parallel reduction(+ : orders, purchases, no_purchase, non_positive) reduction(| : failed)
    {
        aggregate_scratch scratch = {0};
        int64_t totals[4] = {0, 0, 0, 0};
#pragma omp for schedule(dynamic, 16)
        for (int k = 0; k < b->count; ++k) {
            int64_t o = b->member[k];
            for (int64_t g = b->start[k], end = g; g < b->start[k + 1]; g = end, ++o) {
                for (end = g + 1; end < b->start[k + 1] && records[end].key == records[g].key;)
                    ++end;
                failed |= aggregate_one(records + g, source_row ? source_row + g : NULL, end - g,
                                        order_id, mode, &scratch, out, o, totals);
            }
        }
        orders += totals[0];
        purchases += totals[1];
        no_purchase += totals[2];
        non_positive += totals[3];
        aggregate_scratch_free(&scratch);
    }
    out->orders = mode == CVSEG_FREQUENCY_ORDERS ? orders : 0;
    out->purchases = purchases;
    out->no_purchase = no_purchase;
    out->non_positive_monetary = non_positive;
    return failed ? CVSEG_FAIL(CVSEG_ENOMEM, "out of memory counting purchases") : CVSEG_OK;
}

cvseg_status cvseg_aggregate_purchases(const int64_t *member_id, const int32_t *date,
                                       const double *amount, const int64_t *order_id, int64_t n,
                                       cvseg_frequency_mode mode, cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    const size_t size = (size_t)(n > 0 ? n : 1);
    const int orders = mode == CVSEG_FREQUENCY_ORDERS;
    aggregate_record *records = malloc(sizeof(aggregate_record) * size);
    int64_t *source_row = orders ? malloc(sizeof(int64_t) * size) : NULL;
    aggregate_buckets buckets = {0};
    memset(out, 0, sizeof *out);
    if (orders && !order_id) {
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "orders counted without order ids");
        goto done;
    }
    if (!records || (orders && !source_row)) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    /* Each member's rows end up contiguous, in file order; members ascend. */
    status = aggregate_sort_records(member_id, date, amount, n, records, source_row, &buckets);
    if (status == CVSEG_OK)
        status = aggregate_alloc(out, buckets.member[buckets.count]);
    if (status == CVSEG_OK)
        status = aggregate_members(records, source_row, &buckets, order_id, mode, out);
done:
    free(records);
    free(source_row);
    aggregate_buckets_free(&buckets);
    if (status != CVSEG_OK)
        cvseg_member_aggregate_free(out);
    return status;
}

cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out)
{
    return cvseg_aggregate_purchases(member_id, date, amount, NULL, n, CVSEG_FREQUENCY_ROWS, out);
}
