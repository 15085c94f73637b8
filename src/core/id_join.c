/* id_join.c: hash partition by member id and the join at the owner rank
 * (id_join.h). */
#include "cvseg/id_join.h"

#include <stdlib.h>
#include <string.h>

#include "cvseg/bucket.h"
#include "cvseg/rng.h"

int cvseg_id_owner(int64_t id, int ranks)
{
    return cvseg_bucket_hash_owner(id, ranks); /* the same owner as the duplicate check */
}

void cvseg_id_owner_counts(const int64_t *records, int words, int64_t n, int ranks, int64_t *counts)
{
    memset(counts, 0, sizeof(int64_t) * (size_t)ranks);
    for (int64_t i = 0; i < n; ++i)
        counts[cvseg_id_owner(records[i * words], ranks)] += 1;
}

void cvseg_id_pack_by_owner(const int64_t *records, int words, int64_t n, int ranks, int64_t *next,
                            int64_t *ordered)
{
    for (int64_t i = 0; i < n; ++i) {
        const int r = cvseg_id_owner(records[i * words], ranks);
        memcpy(ordered + next[r]++ * words, records + i * words, sizeof(int64_t) * (size_t)words);
    }
}

/* The slot of id: its own, or the empty slot where it would go. */
static uint64_t id_join_slot(const cvseg_id_index *index, int64_t id)
{
    const uint64_t mask = (uint64_t)index->capacity - 1;
    uint64_t s = (cvseg_mix64((uint64_t)id) >> 16) & mask;
    while (index->value[s] >= 0 && index->key[s] != id)
        s = (s + 1) & mask;
    return s;
}

cvseg_status cvseg_id_index_build(cvseg_id_index *index, const int64_t *ids, int64_t stride,
                                  int64_t n, int64_t *duplicate)
{
    *duplicate = -1;
    index->capacity = 16;
    while (index->capacity < 2 * n)
        index->capacity *= 2;
    index->key = malloc(sizeof(int64_t) * (size_t)index->capacity);
    index->value = malloc(sizeof(int64_t) * (size_t)index->capacity);
    if (!index->key || !index->value)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    for (int64_t s = 0; s < index->capacity; ++s)
        index->value[s] = -1;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t id = ids[i * stride];
        const uint64_t s = id_join_slot(index, id);
        if (index->value[s] >= 0 && *duplicate < 0)
            *duplicate = i;
        if (index->value[s] < 0) {
            index->key[s] = id;
            index->value[s] = i;
        }
    }
    return CVSEG_OK;
}

int64_t cvseg_id_index_find(const cvseg_id_index *index, int64_t id)
{
    return index->value[id_join_slot(index, id)];
}

void cvseg_id_index_free(cvseg_id_index *index)
{
    free(index->key);
    free(index->value);
    memset(index, 0, sizeof *index);
}

cvseg_status cvseg_id_join(const int64_t *build, int64_t build_stride, int64_t build_n,
                           const int64_t *probe, int64_t probe_stride, int64_t probe_n,
                           int64_t *match, uint8_t *matched, int64_t *duplicate)
{
    cvseg_id_index index = {0};
    cvseg_status status = cvseg_id_index_build(&index, build, build_stride, build_n, duplicate);
    if (status == CVSEG_OK) {
        memset(matched, 0, (size_t)build_n);
        for (int64_t t = 0; t < probe_n; ++t) {
            match[t] = cvseg_id_index_find(&index, probe[t * probe_stride]);
            if (match[t] >= 0)
                matched[match[t]] = 1;
        }
    }
    cvseg_id_index_free(&index);
    return status;
}
