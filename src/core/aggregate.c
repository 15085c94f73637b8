/* aggregate.c: grouping of transaction rows by member (bucketed radix sort). */
#include "cvseg/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/sort.h"
#include "cvseg/transaction_rows.h"

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

/* The rows being grouped, one array per column [n]: after the scatter in
 * bucket order (file order within a bucket), after the bucket sort in key
 * order (file order within a key). order is NULL unless ORDERS mode. */
typedef struct {
    uint64_t *key;
    int32_t *date;
    double *amount;
    int64_t *order;
} aggregate_columns;

static void aggregate_columns_free(aggregate_columns *c)
{
    free(c->key);
    free(c->date);
    free(c->amount);
    free(c->order);
    memset(c, 0, sizeof *c);
}

/* Read-only view of a member's (or a bucket's) rows from position g of the
 * columns: key/date/amount [count], order [count] or NULL. */
typedef struct {
    const uint64_t *key;
    const int32_t *date;
    const double *amount;
    const int64_t *order;
} aggregate_view;

static aggregate_view aggregate_view_at(const aggregate_columns *c, int64_t g)
{
    const aggregate_view v = {c->key + g, c->date + g, c->amount + g,
                              c->order ? c->order + g : NULL};
    return v;
}

/* Per-thread scratch arrays, [capacity] each: of the per-member kernels,
 * and (days unused) of the bucket sort. */
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
    int64_t *start;  /* [count + 1] first row of each bucket */
    int64_t *member; /* [count + 1] first member of each bucket (counted while sorting) */
    int64_t *next;   /* [count] the scatter's cursors */
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

static void aggregate_buckets_free(aggregate_buckets *b)
{
    free(b->start);
    free(b->member);
    free(b->next);
    b->start = b->member = b->next = NULL;
}

/* The bucket of member id. */
static inline int64_t aggregate_bucket_of(const aggregate_buckets *b, int64_t member_id)
{
    return (int64_t)((cvseg_i64_key(member_id) - b->lowest) >> b->shift);
}

/* Plans the buckets of member_id [n] and counts their rows into b->start
 * (allocated here, with b->member and b->next). ENOMEM. */
static cvseg_status aggregate_buckets_count(const int64_t *member_id, int64_t n,
                                            aggregate_buckets *b)
{
    aggregate_buckets_plan(member_id, n, b);
    b->start = calloc((size_t)b->count + 1, sizeof(int64_t));
    b->member = calloc((size_t)b->count + 1, sizeof(int64_t));
    b->next = malloc(sizeof(int64_t) * (size_t)b->count);
    if (!b->start || !b->member || !b->next)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    for (int64_t i = 0; i < n; ++i)
        b->start[aggregate_bucket_of(b, member_id[i]) + 1] += 1;
    for (int k = 0; k < b->count; ++k)
        b->start[k + 1] += b->start[k];
    return CVSEG_OK;
}

/* Counting scatter of one column: from [n] (elements of size 4 or 8 bytes)
 * into a new array *to [n] in bucket order, file order within a bucket;
 * then frees *from (NULL afterwards), so a column and its scattered copy
 * are the only two alive. ENOMEM (nothing freed). */
static cvseg_status aggregate_scatter_column(const int64_t *member_id, int64_t n,
                                             aggregate_buckets *b, void **from, void **to,
                                             size_t size)
{
    char *out = malloc(size * (size_t)(n > 0 ? n : 1));
    if (!out)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    const char *in = *from;
    memcpy(b->next, b->start, sizeof(int64_t) * (size_t)b->count);
    if (size == sizeof(int32_t)) {
        for (int64_t i = 0; i < n; ++i)
            memcpy(out + sizeof(int32_t) * (size_t)b->next[aggregate_bucket_of(b, member_id[i])]++,
                   in + sizeof(int32_t) * (size_t)i, sizeof(int32_t));
    } else {
        for (int64_t i = 0; i < n; ++i)
            memcpy(out + sizeof(int64_t) * (size_t)b->next[aggregate_bucket_of(b, member_id[i])]++,
                   in + sizeof(int64_t) * (size_t)i, sizeof(int64_t));
    }
    free(*from);
    *from = NULL;
    *to = out;
    return CVSEG_OK;
}

/* The keys (cvseg_i64_key) of member_id [n] scattered into a new *key [n]
 * like aggregate_scatter_column. ENOMEM. */
static cvseg_status aggregate_scatter_keys(const int64_t *member_id, int64_t n,
                                           aggregate_buckets *b, uint64_t **key)
{
    *key = malloc(sizeof(uint64_t) * (size_t)(n > 0 ? n : 1));
    if (!*key)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    memcpy(b->next, b->start, sizeof(int64_t) * (size_t)b->count);
    for (int64_t i = 0; i < n; ++i)
        (*key)[b->next[aggregate_bucket_of(b, member_id[i])]++] = cvseg_i64_key(member_id[i]);
    return CVSEG_OK;
}

/* Moves rows into buckets, one column at a time, freeing each input column
 * once it is scattered (the ids last; order ids only when orders, else
 * freed): at any moment the input's columns plus one scattered column are
 * alive, never a second copy of every row. rows is left with no arrays. */
static cvseg_status aggregate_scatter_rows(cvseg_transaction_rows *rows, int orders,
                                           aggregate_buckets *b, aggregate_columns *c)
{
    const int64_t n = rows->n;
    cvseg_status status = aggregate_buckets_count(rows->member_id, n, b);
    if (status == CVSEG_OK)
        status = aggregate_scatter_column(rows->member_id, n, b, (void **)&rows->date,
                                          (void **)&c->date, sizeof(int32_t));
    if (status == CVSEG_OK)
        status = aggregate_scatter_column(rows->member_id, n, b, (void **)&rows->amount,
                                          (void **)&c->amount, sizeof(double));
    if (status == CVSEG_OK && orders)
        status = aggregate_scatter_column(rows->member_id, n, b, (void **)&rows->order_id,
                                          (void **)&c->order, sizeof(int64_t));
    free(rows->order_id); /* not counted by order */
    rows->order_id = NULL;
    if (status == CVSEG_OK)
        status = aggregate_scatter_keys(rows->member_id, n, b, &c->key);
    cvseg_transaction_rows_free(rows);
    return status;
}

/* Sub-buckets of one bucket's finer pass: at most 2^AGGREGATE_FINE_BITS, and
 * the pass is taken for buckets of at most AGGREGATE_FINE_MAX rows whose
 * insertion sort moves rows at most AGGREGATE_FINE_MOVES times each on average
 * (else radix sort). */
enum { AGGREGATE_FINE_BITS = 12, AGGREGATE_FINE_MAX = 16384, AGGREGATE_FINE_MOVES = 8 };

/* Scratch of the bucket sort: the key and position arrays (arrays, whose
 * days go unused), the counts of the finer pass, and a copy of a bucket of
 * up to AGGREGATE_FINE_MAX rows (larger ones are reordered column by column
 * through the scratch arrays). */
typedef struct {
    aggregate_scratch arrays;
    int64_t counts[(1 << AGGREGATE_FINE_BITS) + 1];
    aggregate_record records[AGGREGATE_FINE_MAX];
    int64_t orders[AGGREGATE_FINE_MAX];
} aggregate_sort_scratch;

/* Finer pass over records [count] whose keys, less lowest, are below 2^bits:
 * a counting scatter of (key, position) into s->arrays.keys / .index by the top
 * bits of (key - lowest), then an insertion sort, which moves every record
 * only within its sub-bucket. Returns 0, or -1 (s->arrays.keys / .index left
 * unordered) when the insertion sort would move records more than
 * AGGREGATE_FINE_MOVES times each on average: then sub-buckets hold long runs
 * of distinct keys out of order. (A run of one member's equal keys costs
 * nothing: the sort is stable and does not move equal keys.) */
static int aggregate_fine_sort(const aggregate_record *records, int64_t count, uint64_t lowest,
                               int bits, aggregate_sort_scratch *s)
{
    int fine = 1;
    while (fine < AGGREGATE_FINE_BITS && ((int64_t)1 << fine) < count)
        ++fine;
    fine = fine < bits ? fine : bits;
    const int shift = bits - fine;
    int64_t *counts = s->counts, moves = 0;
    memset(counts, 0, sizeof(int64_t) * ((size_t)1 << fine));
    for (int64_t t = 0; t < count; ++t)
        counts[(records[t].key - lowest) >> shift] += 1;
    for (int64_t d = 0, at = 0; d < ((int64_t)1 << fine); ++d) {
        const int64_t c = counts[d];
        counts[d] = at;
        at += c;
    }
    for (int64_t t = 0; t < count; ++t) {
        const int64_t at = counts[(records[t].key - lowest) >> shift]++;
        s->arrays.keys[at] = records[t].key;
        s->arrays.index[at] = (uint64_t)t;
    }
    const int64_t budget = AGGREGATE_FINE_MOVES * count;
    for (int64_t t = 1; t < count && moves <= budget; ++t) {
        const uint64_t key = s->arrays.keys[t], index = s->arrays.index[t];
        int64_t u = t;
        for (; u > 0 && s->arrays.keys[u - 1] > key; --u) {
            s->arrays.keys[u] = s->arrays.keys[u - 1];
            s->arrays.index[u] = s->arrays.index[u - 1];
        }
        s->arrays.keys[u] = key;
        s->arrays.index[u] = index;
        moves += t - u;
    }
    return moves <= budget ? 0 : -1;
}

/* Sorts a bucket of count <= AGGREGATE_FINE_MAX rows (columns c from
 * position begin; reserved scratch): copied into s->records / s->orders,
 * ordered there (finer pass, or radix sort of (key, position)), written
 * back in key order. */
static void aggregate_sort_small(aggregate_columns *c, int64_t begin, int64_t count,
                                 uint64_t lowest, int bits, aggregate_sort_scratch *s)
{
    for (int64_t t = 0; t < count; ++t) {
        const aggregate_record r = {c->key[begin + t], c->amount[begin + t], c->date[begin + t]};
        s->records[t] = r;
    }
    if (c->order)
        memcpy(s->orders, c->order + begin, sizeof(int64_t) * (size_t)count);
    if (aggregate_fine_sort(s->records, count, lowest, bits, s) != 0) {
        for (int64_t t = 0; t < count; ++t) {
            s->arrays.keys[t] = s->records[t].key;
            s->arrays.index[t] = (uint64_t)t;
        }
        cvseg_radix_sort_u64(s->arrays.keys, s->arrays.key_scratch, s->arrays.index,
                             s->arrays.index_scratch, count);
    }
    for (int64_t t = 0; t < count; ++t) {
        const aggregate_record *r = &s->records[s->arrays.index[t]];
        c->key[begin + t] = r->key;
        c->amount[begin + t] = r->amount;
        c->date[begin + t] = r->date;
    }
    for (int64_t t = 0; c->order && t < count; ++t)
        c->order[begin + t] = s->orders[s->arrays.index[t]];
}

/* Sorts a bucket of more than AGGREGATE_FINE_MAX rows (columns c from
 * position begin; reserved scratch): a radix sort of (key, position), then
 * each column gathered through the positions into a free scratch array
 * (independent loads, not a chain of dependent ones) and copied back. */
static void aggregate_sort_large(aggregate_columns *c, int64_t begin, int64_t count,
                                 aggregate_sort_scratch *s)
{
    for (int64_t t = 0; t < count; ++t) {
        s->arrays.keys[t] = c->key[begin + t];
        s->arrays.index[t] = (uint64_t)t;
    }
    cvseg_radix_sort_u64(s->arrays.keys, s->arrays.key_scratch, s->arrays.index,
                         s->arrays.index_scratch, count);
    memcpy(c->key + begin, s->arrays.keys, sizeof(uint64_t) * (size_t)count);
    double *amounts = (double *)s->arrays.key_scratch;
    for (int64_t t = 0; t < count; ++t)
        amounts[t] = c->amount[begin + (int64_t)s->arrays.index[t]];
    memcpy(c->amount + begin, amounts, sizeof(double) * (size_t)count);
    int32_t *dates = (int32_t *)s->arrays.index_scratch;
    for (int64_t t = 0; t < count; ++t)
        dates[t] = c->date[begin + (int64_t)s->arrays.index[t]];
    memcpy(c->date + begin, dates, sizeof(int32_t) * (size_t)count);
    int64_t *orders = (int64_t *)s->arrays.key_scratch;
    for (int64_t t = 0; c->order && t < count; ++t)
        orders[t] = c->order[begin + (int64_t)s->arrays.index[t]];
    if (c->order)
        memcpy(c->order + begin, orders, sizeof(int64_t) * (size_t)count);
}

/* Stable sort by key of one bucket's rows (columns c from position begin,
 * count rows), in place; every key, less lowest, is below 2^bits. A bucket
 * already in key order (an id-ordered log) is left as it is. 0, or -1 when
 * out of memory. */
static int aggregate_sort_bucket(aggregate_columns *c, int64_t begin, int64_t count,
                                 uint64_t lowest, int bits, aggregate_sort_scratch *s)
{
    int64_t descents = 0;
    for (int64_t t = begin + 1; t < begin + count; ++t)
        descents += c->key[t] < c->key[t - 1];
    int failed = 0;
    if (count < 2 || bits == 0 || descents == 0) /* bits 0: one key */
        failed = 0;
    else if (aggregate_scratch_reserve(&s->arrays, count) != 0)
        failed = -1;
    else if (count <= AGGREGATE_FINE_MAX)
        aggregate_sort_small(c, begin, count, lowest, bits, s);
    else
        aggregate_sort_large(c, begin, count, s);
    return failed;
}

/* Stable sort of every bucket of the columns in place, buckets in parallel;
 * b->member [k + 1] receives the members (distinct keys) of bucket k. ENOMEM. */
static cvseg_status aggregate_sort_buckets(const aggregate_buckets *b, aggregate_columns *c)
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
                failed |=
                    aggregate_sort_bucket(c, begin, count, b->lowest + ((uint64_t)k << b->shift),
                                          bits, scratch) != 0;
            int64_t members = count > 0;
            for (int64_t t = begin + 1; t < begin + count; ++t)
                members += c->key[t] != c->key[t - 1];
            b->member[k + 1] = members;
        }
        if (scratch)
            aggregate_scratch_free(&scratch->arrays);
        free(scratch);
    }
    return failed ? CVSEG_FAIL(CVSEG_ENOMEM, "out of memory sorting transaction rows") : CVSEG_OK;
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

/* Distinct values of date [count], count <= AGGREGATE_FEW_ROWS. */
static int32_t aggregate_distinct_few(const int32_t *date, int64_t count)
{
    int32_t distinct = 0;
    for (int64_t r = 0; r < count; ++r) {
        int seen = 0;
        for (int64_t u = 0; u < r; ++u)
            seen |= date[u] == date[r];
        distinct += !seen;
    }
    return distinct;
}

/* Sum of the amounts of rows [count] dated after day, in row order. */
static double aggregate_sum_after(aggregate_view rows, int64_t count, int32_t day)
{
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r)
        if (rows.date[r] > day)
            sum += rows.amount[r];
    return sum;
}

/* ROWS mode: rows [count] of one member in file order, every row a purchase. */
static void aggregate_by_rows(aggregate_view rows, int64_t count, aggregate_scratch *s,
                              aggregate_member *m)
{
    int32_t first = rows.date[0], last = first;
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r) {
        first = rows.date[r] < first ? rows.date[r] : first;
        last = rows.date[r] > last ? rows.date[r] : last;
        sum += rows.amount[r];
    }
    m->first = first;
    m->last = last;
    m->monetary = sum;
    m->repeat_monetary = aggregate_sum_after(rows, count, first);
    m->frequency = (int32_t)count;
    m->distinct_days = 1;
    if (count <= AGGREGATE_FEW_ROWS && first != last) {
        m->distinct_days = aggregate_distinct_few(rows.date, count);
    } else if (count > 1 && first != last) {
        if (aggregate_scratch_reserve(s, count) != 0) {
            m->failed = 1;
            return;
        }
        memcpy(s->days, rows.date, sizeof(int32_t) * (size_t)count);
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
 * order id (rows.order, ORDERS) or by date (rows.order NULL); a group with a
 * net amount > 0 is a purchase, dated by its earliest row. */
static void aggregate_by_groups(aggregate_view rows, int64_t count, aggregate_scratch *s,
                                aggregate_member *m)
{
    if (aggregate_scratch_reserve(s, count) != 0) {
        m->failed = 1;
        return;
    }
    int32_t lo = rows.date[0], hi = lo, first = INT32_MAX, last = INT32_MIN, purchases = 0;
    double sum = 0.0;
    for (int64_t r = 0; r < count; ++r) {
        lo = rows.date[r] < lo ? rows.date[r] : lo;
        hi = rows.date[r] > hi ? rows.date[r] : hi;
        sum += rows.amount[r];
        s->keys[r] = rows.order ? cvseg_i64_key(rows.order[r]) : cvseg_i64_key(rows.date[r]);
        s->index[r] = (uint64_t)r;
    }
    aggregate_sort_keys(s, count);
    for (int64_t g = 0, end = 0; g < count; g = end) {
        double net = 0.0; /* the group's rows in file order (stable sort) */
        int32_t day = INT32_MAX;
        for (end = g; end < count && s->keys[end] == s->keys[g]; ++end) {
            const int64_t row = (int64_t)s->index[end];
            net += rows.amount[row];
            day = rows.date[row] < day ? rows.date[row] : day;
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

/* Member o of out: its rows [count] in file order. Adds to the totals; 1
 * when a scratch failed. */
static int aggregate_one(aggregate_view rows, int64_t count, cvseg_frequency_mode mode,
                         aggregate_scratch *scratch, cvseg_member_aggregate *out, int64_t o,
                         int64_t totals[4])
{
    aggregate_member m = {0};
    if (mode == CVSEG_FREQUENCY_ROWS)
        aggregate_by_rows(rows, count, scratch, &m);
    else
        aggregate_by_groups(rows, count, scratch, &m);
    out->member_id[o] = cvseg_key_i64(rows.key[0]);
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

/* Aggregates every member, bucket by bucket (b and c from
 * aggregate_sort_buckets: each member's rows are a run of equal keys inside
 * one bucket). Fills out's arrays and totals; ENOMEM when a scratch failed. */
static cvseg_status aggregate_members(const aggregate_columns *c, const aggregate_buckets *b,
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
                for (end = g + 1; end < b->start[k + 1] && c->key[end] == c->key[g];)
                    ++end;
                failed |=
                    aggregate_one(aggregate_view_at(c, g), end - g, mode, &scratch, out, o, totals);
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

cvseg_status cvseg_aggregate_consume(cvseg_transaction_rows *rows, cvseg_frequency_mode mode,
                                     cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    const int orders = mode == CVSEG_FREQUENCY_ORDERS;
    aggregate_buckets buckets = {0};
    aggregate_columns columns = {0};
    memset(out, 0, sizeof *out);
    if (orders && !rows->order_id)
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "orders counted without order ids");
    /* Each member's rows end up contiguous, in file order; members ascend. */
    if (status == CVSEG_OK)
        status = aggregate_scatter_rows(rows, orders, &buckets, &columns);
    if (status == CVSEG_OK)
        status = aggregate_sort_buckets(&buckets, &columns);
    for (int k = 0; status == CVSEG_OK && k < buckets.count; ++k)
        buckets.member[k + 1] += buckets.member[k];
    if (status == CVSEG_OK)
        status = aggregate_alloc(out, buckets.member[buckets.count]);
    if (status == CVSEG_OK)
        status = aggregate_members(&columns, &buckets, mode, out);
    cvseg_transaction_rows_free(rows);
    aggregate_columns_free(&columns);
    aggregate_buckets_free(&buckets);
    if (status != CVSEG_OK)
        cvseg_member_aggregate_free(out);
    return status;
}

/* A copy of array [n] of size-byte elements, or NULL (and *status ENOMEM). */
static void *aggregate_copy(const void *array, int64_t n, size_t size, cvseg_status *status)
{
    void *copy = malloc(size * (size_t)(n > 0 ? n : 1));
    if (copy && n > 0)
        memcpy(copy, array, size * (size_t)n);
    if (!copy && *status == CVSEG_OK)
        *status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
    return copy;
}

cvseg_status cvseg_aggregate_purchases(const int64_t *member_id, const int32_t *date,
                                       const double *amount, const int64_t *order_id, int64_t n,
                                       cvseg_frequency_mode mode, cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    cvseg_transaction_rows rows = {n, NULL, NULL, NULL, NULL};
    rows.member_id = aggregate_copy(member_id, n, sizeof(int64_t), &status);
    rows.date = aggregate_copy(date, n, sizeof(int32_t), &status);
    rows.amount = aggregate_copy(amount, n, sizeof(double), &status);
    if (mode == CVSEG_FREQUENCY_ORDERS && order_id)
        rows.order_id = aggregate_copy(order_id, n, sizeof(int64_t), &status);
    if (status == CVSEG_OK)
        status = cvseg_aggregate_consume(&rows, mode, out); /* frees rows */
    else
        memset(out, 0, sizeof *out);
    cvseg_transaction_rows_free(&rows);
    return status;
}

cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out)
{
    return cvseg_aggregate_purchases(member_id, date, amount, NULL, n, CVSEG_FREQUENCY_ROWS, out);
}
