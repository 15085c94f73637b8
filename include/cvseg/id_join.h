/* id_join.h: the pure pieces of a distributed join by member id (score
 * --previous, score --clv). Pure C, no MPI: the MPI side is
 * member_scatter.h.
 *
 * A distributed join hash-partitions records to the rank that owns their id
 * (cvseg_id_owner), packs them by destination (cvseg_id_pack_by_owner), and
 * at each owner joins the arriving records with an open-addressing index of
 * ids (cvseg_id_index_*, cvseg_id_join). Records are [n][words] int64 with
 * the member id in word 0. All functions are thread-safe on distinct data.
 */
#ifndef CVSEG_ID_JOIN_H
#define CVSEG_ID_JOIN_H

#include <stdint.h>

#include "cvseg/status.h"

/* The rank (0 <= owner < ranks) that owns id: mix64(id) mod ranks.
 * ranks >= 1. Every join and the duplicate check use this partition. */
int cvseg_id_owner(int64_t id, int ranks);

/* counts [ranks] (overwritten): records of records [n][words] owned by each
 * rank. */
void cvseg_id_owner_counts(const int64_t *records, int words, int64_t n, int ranks,
                           int64_t *counts);

/* Packs records [n][words] into ordered [n][words] grouped by owner, each
 * group in input order. next [ranks]: on entry the first record of each
 * owner's group in ordered (an exclusive prefix sum of
 * cvseg_id_owner_counts: the exchange plan's send displacements), on return
 * one past its last. */
void cvseg_id_pack_by_owner(const int64_t *records, int words, int64_t n, int ranks, int64_t *next,
                            int64_t *ordered);

/* Open-addressing index of ids (linear probing, capacity a power of two
 * >= 16 and >= 2n). */
typedef struct {
    int64_t capacity;
    int64_t *key, *value; /* [capacity]; value -1: empty slot */
} cvseg_id_index;

/* Indexes the n ids ids[0], ids[stride], ...; value = position (0..n-1).
 * *duplicate receives the position of the first id seen twice (-1: none);
 * the first position of a repeated id is the one kept. ENOMEM (index then
 * holds what was allocated: free it). */
cvseg_status cvseg_id_index_build(cvseg_id_index *index, const int64_t *ids, int64_t stride,
                                  int64_t n, int64_t *duplicate);
/* Position of id, or -1. */
int64_t cvseg_id_index_find(const cvseg_id_index *index, int64_t id);
void cvseg_id_index_free(cvseg_id_index *index);

/* The join at one owner. Build side: ids build[0], build[build_stride], ...
 * (build_n of them); probe side likewise. match [probe_n]: position of each
 * probe id on the build side (its first occurrence), or -1. matched
 * [build_n] (overwritten): 1 where some probe matched that build row (a
 * repeated build id after its first occurrence is never matched).
 * *duplicate: as in cvseg_id_index_build. ENOMEM. */
cvseg_status cvseg_id_join(const int64_t *build, int64_t build_stride, int64_t build_n,
                           const int64_t *probe, int64_t probe_stride, int64_t probe_n,
                           int64_t *match, uint8_t *matched, int64_t *duplicate);

#endif
