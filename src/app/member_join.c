/* member_join.c: the pieces of a distributed join by member id (score
 * --previous, score --clv): records hash-partitioned to the rank that owns
 * their id, and an open-addressing index of ids at that owner. */
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/rng.h"
#include "pipeline.h"

static int member_join_owner(int64_t id, int ranks)
{
    return (int)(cvseg_mix64((uint64_t)id) % (uint64_t)ranks);
}

cvseg_status cvseg_member_scatter(MPI_Comm comm, int ranks, int words, const int64_t *records,
                                  int64_t n, int64_t **received, int64_t *received_n,
                                  cvseg_exchange_plan *plan)
{
    cvseg_status status = CVSEG_OK;
    int64_t *counts = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *fill = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *ordered = malloc(sizeof(int64_t) * (size_t)words * (size_t)(n > 0 ? n : 1));
    *received = NULL;
    *received_n = 0;
    if (!counts || !fill || !ordered)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i)
        counts[member_join_owner(records[i * words], ranks)] += 1;
    status = cvseg_exchange_plan_create(comm, counts, plan);
    if (status != CVSEG_OK)
        goto done;
    for (int64_t i = 0; i < n; ++i) {
        const int r = member_join_owner(records[i * words], ranks);
        memcpy(ordered + (plan->send_displs[r] + fill[r]++) * words, records + i * words,
               sizeof(int64_t) * (size_t)words);
    }
    const int64_t total = plan->recv_total;
    *received = malloc(sizeof(int64_t) * (size_t)words * (size_t)(total > 0 ? total : 1));
    if (!*received)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the member join");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status =
            cvseg_exchange_run(comm, plan, ordered, *received, sizeof(int64_t) * (size_t)words);
    *received_n = total;
done:
    free(counts);
    free(fill);
    free(ordered);
    return status;
}

static uint64_t member_join_slot(const cvseg_id_index *index, int64_t id)
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
        const uint64_t s = member_join_slot(index, id);
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
    return index->value[member_join_slot(index, id)];
}

void cvseg_id_index_free(cvseg_id_index *index)
{
    free(index->key);
    free(index->value);
    memset(index, 0, sizeof *index);
}
