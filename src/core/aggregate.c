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

static int compare_dates(const void *a, const void *b)
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
} tx_record;

/* Stable sort of rows by key in two memory passes: a counting scatter into
 * 256..65,536 buckets by the high bits of (key - min key), then a radix sort
 * of each bucket, which fits in cache. records [n] receives the rows in key
 * order, file order within equal keys. */
static cvseg_status sort_records(const int64_t *member_id, const int32_t *date,
                                 const double *amount, int64_t n, tx_record *records)
{
    cvseg_status status = CVSEG_OK;
    /* About 4,096 rows per bucket (a cache-resident sort), 256..65,536 buckets. */
    int bucket_bits = 8;
    while (bucket_bits < 16 && (n >> bucket_bits) > 4096)
        ++bucket_bits;
    const int BUCKETS = 1 << bucket_bits;
    int64_t *bucket_start = calloc((size_t)BUCKETS + 1, sizeof(int64_t));
    tx_record *scattered = malloc(sizeof(tx_record) * (size_t)(n > 0 ? n : 1));
    if (!bucket_start || !scattered) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    uint64_t lowest = UINT64_MAX, highest = 0;
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t key = cvseg_i64_key(member_id[i]);
        lowest = key < lowest ? key : lowest;
        highest = key > highest ? key : highest;
    }
    int shift = 0;
    while (n > 0 && ((highest - lowest) >> shift) >= (uint64_t)BUCKETS)
        ++shift;
    for (int64_t i = 0; i < n; ++i)
        bucket_start[((cvseg_i64_key(member_id[i]) - lowest) >> shift) + 1] += 1;
    for (int b = 0; b < BUCKETS; ++b)
        bucket_start[b + 1] += bucket_start[b];
    {
        int64_t *next = malloc(sizeof(int64_t) * (size_t)BUCKETS);
        if (!next) {
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
            goto done;
        }
        memcpy(next, bucket_start, sizeof(int64_t) * (size_t)BUCKETS);
        for (int64_t i = 0; i < n; ++i) {
            const uint64_t key = cvseg_i64_key(member_id[i]);
            tx_record *r = &scattered[next[(key - lowest) >> shift]++];
            r->key = key;
            r->amount = amount[i];
            r->date = date[i];
        }
        free(next);
    }
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        int64_t capacity = 0;
        uint64_t *keys = NULL, *index = NULL, *key_scratch = NULL, *index_scratch = NULL;
#pragma omp for schedule(dynamic, 64)
        for (int b = 0; b < BUCKETS; ++b) {
            const int64_t begin = bucket_start[b], count = bucket_start[b + 1] - begin;
            if (count == 0 || failed)
                continue;
            if (count > capacity) {
                free(keys);
                free(index);
                free(key_scratch);
                free(index_scratch);
                keys = malloc(sizeof(uint64_t) * (size_t)count);
                index = malloc(sizeof(uint64_t) * (size_t)count);
                key_scratch = malloc(sizeof(uint64_t) * (size_t)count);
                index_scratch = malloc(sizeof(uint64_t) * (size_t)count);
                capacity = count;
                if (!keys || !index || !key_scratch || !index_scratch) {
                    failed = 1;
                    capacity = 0;
                    continue;
                }
            }
            for (int64_t t = 0; t < count; ++t) {
                keys[t] = scattered[begin + t].key;
                index[t] = (uint64_t)t;
            }
            cvseg_radix_sort_u64(keys, key_scratch, index, index_scratch, count);
            for (int64_t t = 0; t < count; ++t)
                records[begin + t] = scattered[begin + (int64_t)index[t]];
        }
        free(keys);
        free(index);
        free(key_scratch);
        free(index_scratch);
    }
    if (failed)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory sorting transaction rows");
done:
    free(bucket_start);
    free(scattered);
    return status;
}

cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    tx_record *records = malloc(sizeof(tx_record) * (size_t)(n > 0 ? n : 1));
    int64_t *start = NULL;
    int64_t members = 0;
    memset(out, 0, sizeof *out);
    if (!records) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    /* Each member's rows end up contiguous, in file order; members ascend. */
    status = sort_records(member_id, date, amount, n, records);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i)
        members += i == 0 || records[i].key != records[i - 1].key;
    start = malloc(sizeof(int64_t) * (size_t)(members + 1));
    const size_t member_alloc = (size_t)(members > 0 ? members : 1);
    out->member_id = malloc(sizeof(int64_t) * member_alloc);
    out->first_purchase = malloc(sizeof(int32_t) * member_alloc);
    out->last_purchase = malloc(sizeof(int32_t) * member_alloc);
    out->frequency = malloc(sizeof(int32_t) * member_alloc);
    out->monetary = malloc(sizeof(double) * member_alloc);
    out->distinct_days = malloc(sizeof(int32_t) * member_alloc);
    out->repeat_monetary = malloc(sizeof(double) * member_alloc);
    if (!start || !out->member_id || !out->first_purchase || !out->last_purchase ||
        !out->frequency || !out->monetary || !out->distinct_days || !out->repeat_monetary) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    for (int64_t i = 0, m = 0; i < n; ++i)
        if (i == 0 || records[i].key != records[i - 1].key)
            start[m++] = i;
    start[members] = n;
    out->members = members;
#pragma omp parallel
    {
        int32_t *days = NULL;
        int64_t days_capacity = 0;
#pragma omp for schedule(dynamic, 4096)
        for (int64_t o = 0; o < members; ++o) {
            const int64_t begin = start[o], end = start[o + 1];
            int32_t first = records[begin].date, last = first;
            double sum = 0.0;
            for (int64_t r = begin; r < end; ++r) {
                const int32_t day = records[r].date;
                first = day < first ? day : first;
                last = day > last ? day : last;
                sum += records[r].amount;
            }
            double repeat = 0.0;
            for (int64_t r = begin; r < end; ++r)
                if (records[r].date > first)
                    repeat += records[r].amount;
            const int64_t count = end - begin;
            int32_t distinct = 1;
            if (count > 1 && first != last) {
                if (count > days_capacity) {
                    int32_t *grown = realloc(days, sizeof(int32_t) * (size_t)count);
                    if (grown) {
                        days = grown;
                        days_capacity = count;
                    }
                }
                if (days_capacity >= count) {
                    for (int64_t r = begin; r < end; ++r)
                        days[r - begin] = records[r].date;
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
                        qsort(days, (size_t)count, sizeof(int32_t), compare_dates);
                    }
                    for (int64_t t = 1; t < count; ++t)
                        distinct += days[t] != days[t - 1];
                } else {
                    distinct = -1; /* allocation failed: flagged below */
                }
            }
            out->member_id[o] = (int64_t)(records[begin].key ^ 0x8000000000000000ULL);
            out->first_purchase[o] = first;
            out->last_purchase[o] = last;
            out->frequency[o] = (int32_t)count;
            out->monetary[o] = sum;
            out->distinct_days[o] = distinct;
            out->repeat_monetary[o] = repeat;
        }
        free(days);
    }
    for (int64_t o = 0; o < members; ++o)
        if (out->distinct_days[o] < 0) {
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory counting purchase days");
            break;
        }
done:
    free(records);
    free(start);
    if (status != CVSEG_OK)
        cvseg_member_aggregate_free(out);
    return status;
}
