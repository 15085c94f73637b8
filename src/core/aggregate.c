/* aggregate.c: hash grouping of transaction rows by member. */
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

cvseg_status cvseg_aggregate_rows(const int64_t *member_id, const int32_t *date,
                                  const double *amount, int64_t n, cvseg_member_aggregate *out)
{
    cvseg_status status = CVSEG_OK;
    const size_t rows_alloc = (size_t)(n > 0 ? n : 1);
    uint64_t *keys = malloc(sizeof(uint64_t) * rows_alloc);
    uint64_t *rows = malloc(sizeof(uint64_t) * rows_alloc);
    uint64_t *key_scratch = malloc(sizeof(uint64_t) * rows_alloc);
    uint64_t *row_scratch = malloc(sizeof(uint64_t) * rows_alloc);
    int64_t *start = NULL;
    int64_t members = 0;
    memset(out, 0, sizeof *out);
    if (!keys || !rows || !key_scratch || !row_scratch) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory to group %lld rows", (long long)n);
        goto done;
    }
    /* Stable LSD radix sort of the rows by member id: each member's rows end
     * up contiguous, in file order, and members in ascending id. */
    for (int64_t i = 0; i < n; ++i) {
        keys[i] = cvseg_i64_key(member_id[i]);
        rows[i] = (uint64_t)i;
    }
    cvseg_radix_sort_u64(keys, key_scratch, rows, row_scratch, n);
    free(key_scratch);
    free(row_scratch);
    key_scratch = row_scratch = NULL;
    for (int64_t i = 0; i < n; ++i)
        members += i == 0 || keys[i] != keys[i - 1];
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
        if (i == 0 || keys[i] != keys[i - 1])
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
                        days[r - begin] = date[rows[r]];
                    qsort(days, (size_t)count, sizeof(int32_t), compare_dates);
                    for (int64_t t = 1; t < count; ++t)
                        distinct += days[t] != days[t - 1];
                } else {
                    distinct = -1; /* allocation failed: flagged below */
                }
            }
            out->member_id[o] = member_id[rows[begin]];
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
    free(keys);
    free(rows);
    free(key_scratch);
    free(row_scratch);
    free(start);
    if (status != CVSEG_OK)
        cvseg_member_aggregate_free(out);
    return status;
}
