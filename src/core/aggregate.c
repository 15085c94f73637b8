/* aggregate.c: hash grouping of transaction rows by member. */
#include "cvseg/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/sort.h"

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
    z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
    return z ^ (z >> 33);
}

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

cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    int64_t capacity = 16;
    while (capacity < 2 * n)
        capacity *= 2;
    const uint64_t mask = (uint64_t)capacity - 1;
    int64_t *slot_key = malloc(sizeof(int64_t) * (size_t)capacity);
    int64_t *slot_member = malloc(sizeof(int64_t) * (size_t)capacity);
    int64_t *row_member = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    int64_t *first_id = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    int64_t *start = NULL, *rows = NULL;
    uint64_t *keys = NULL, *scratch = NULL, *order = NULL, *order_scratch = NULL;
    int64_t members = 0;
    memset(out, 0, sizeof *out);
    if (!slot_key || !slot_member || !row_member || !first_id) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    for (int64_t s = 0; s < capacity; ++s)
        slot_member[s] = -1;
    /* Members numbered in order of first appearance. */
    for (int64_t i = 0; i < n; ++i) {
        uint64_t s = mix((uint64_t)member_id[i]) & mask;
        while (slot_member[s] >= 0 && slot_key[s] != member_id[i])
            s = (s + 1) & mask;
        if (slot_member[s] < 0) {
            slot_key[s] = member_id[i];
            slot_member[s] = members;
            first_id[members] = member_id[i];
            ++members;
        }
        row_member[i] = slot_member[s];
    }
    free(slot_key);
    free(slot_member);
    slot_key = slot_member = NULL;
    /* Stable counting sort of rows by member. */
    start = calloc((size_t)members + 1, sizeof(int64_t));
    rows = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    keys = malloc(sizeof(uint64_t) * (size_t)(members > 0 ? members : 1));
    scratch = malloc(sizeof(uint64_t) * (size_t)(members > 0 ? members : 1));
    order = malloc(sizeof(uint64_t) * (size_t)(members > 0 ? members : 1));
    order_scratch = malloc(sizeof(uint64_t) * (size_t)(members > 0 ? members : 1));
    out->member_id = malloc(sizeof(int64_t) * (size_t)(members > 0 ? members : 1));
    out->first_purchase = malloc(sizeof(int32_t) * (size_t)(members > 0 ? members : 1));
    out->last_purchase = malloc(sizeof(int32_t) * (size_t)(members > 0 ? members : 1));
    out->frequency = malloc(sizeof(int32_t) * (size_t)(members > 0 ? members : 1));
    out->monetary = malloc(sizeof(double) * (size_t)(members > 0 ? members : 1));
    out->distinct_days = malloc(sizeof(int32_t) * (size_t)(members > 0 ? members : 1));
    out->repeat_monetary = malloc(sizeof(double) * (size_t)(members > 0 ? members : 1));
    if (!start || !rows || !keys || !scratch || !order || !order_scratch || !out->member_id ||
        !out->first_purchase || !out->last_purchase || !out->frequency || !out->monetary ||
        !out->distinct_days || !out->repeat_monetary) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    for (int64_t i = 0; i < n; ++i)
        start[row_member[i] + 1] += 1;
    for (int64_t m = 0; m < members; ++m)
        start[m + 1] += start[m];
    {
        int64_t *fill = row_member; /* reuse: next free position per member */
        int64_t *next = malloc(sizeof(int64_t) * (size_t)(members > 0 ? members : 1));
        if (!next) {
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
            goto done;
        }
        memcpy(next, start, sizeof(int64_t) * (size_t)members);
        for (int64_t i = 0; i < n; ++i)
            rows[next[fill[i]]++] = i;
        free(next);
    }
    /* Members in ascending id. */
    for (int64_t m = 0; m < members; ++m) {
        keys[m] = cvseg_i64_key(first_id[m]);
        order[m] = (uint64_t)m;
    }
    cvseg_radix_sort_u64(keys, scratch, order, order_scratch, members);
    out->members = members;
#pragma omp parallel
    {
        int32_t *days = NULL;
        int64_t days_capacity = 0;
#pragma omp for schedule(dynamic, 1024)
        for (int64_t o = 0; o < members; ++o) {
            const int64_t m = (int64_t)order[o];
            const int64_t begin = start[m], end = start[m + 1];
            int32_t first = date[rows[begin]], last = first;
            double sum = 0.0;
            for (int64_t r = begin; r < end; ++r) {
                const int32_t day = date[rows[r]];
                first = day < first ? day : first;
                last = day > last ? day : last;
                sum += amount[rows[r]];
            }
            double repeat = 0.0;
            for (int64_t r = begin; r < end; ++r)
                if (date[rows[r]] > first)
                    repeat += amount[rows[r]];
            const int64_t count = end - begin;
            if (count > days_capacity) {
                int32_t *grown = realloc(days, sizeof(int32_t) * (size_t)count);
                if (grown) {
                    days = grown;
                    days_capacity = count;
                }
            }
            int32_t distinct = 1;
            if (count > 1 && days_capacity >= count) {
                for (int64_t r = begin; r < end; ++r)
                    days[r - begin] = date[rows[r]];
                qsort(days, (size_t)count, sizeof(int32_t), compare_dates);
                for (int64_t t = 1; t < count; ++t)
                    distinct += days[t] != days[t - 1];
            } else if (count > 1) {
                distinct = -1; /* allocation failed: flagged below */
            }
            out->member_id[o] = first_id[m];
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
    free(slot_key);
    free(slot_member);
    free(row_member);
    free(first_id);
    free(start);
    free(rows);
    free(keys);
    free(scratch);
    free(order);
    free(order_scratch);
    if (status != CVSEG_OK)
        cvseg_member_aggregate_free(out);
    return status;
}
