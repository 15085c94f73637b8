/* quantile.h: exact order statistics by radix selection (mergeable histograms).
 *
 * Finds, for each of m target ranks t (1-based, 1 <= t <= N), the t-th
 * smallest value among the included rows of all ranks, without sampling and
 * without gathering the values: each double is mapped to an order-preserving
 * 64-bit key; four passes each count the next 16 key bits of the values that
 * share the already known prefix of each target; the histograms of all ranks
 * are summed (in the MPI layer) and cvseg_select_refine narrows the prefix.
 * After 4 levels the prefix is the exact key of the answer.
 *
 * The quintile rule of cvseg: edge q (q = 1..4) is the smallest value v with
 * at least q*N/5 members <= v, i.e. the value of rank ceil(q*N/5) (the inverse
 * of the empirical CDF, numpy's method="inverted_cdf").
 */
#ifndef CVSEG_QUANTILE_H
#define CVSEG_QUANTILE_H

#include <stdint.h>

#include "cvseg/status.h"

#define CVSEG_SELECT_LEVELS      4
#define CVSEG_SELECT_BINS        65536
#define CVSEG_SELECT_MAX_TARGETS 16

/* Order-preserving map double -> uint64 (-0.0 maps like +0.0; no NaN). */
uint64_t cvseg_order_key(double x);
double cvseg_order_key_value(uint64_t key);

typedef struct {
    int count;                                   /* m targets, 1..CVSEG_SELECT_MAX_TARGETS */
    int64_t rank_left[CVSEG_SELECT_MAX_TARGETS]; /* rank still to find inside the prefix */
    uint64_t prefix[CVSEG_SELECT_MAX_TARGETS];   /* known high key bits */
    int level;                                   /* levels done, 0..CVSEG_SELECT_LEVELS */
} cvseg_select_state;

/* Starts a selection of the given 1-based ranks. */
void cvseg_select_init(cvseg_select_state *state, int m, const int64_t *ranks);

/* Counts, for every target, the included values whose key matches the
 * target's prefix, by their next 16 key bits. hist: [m][CVSEG_SELECT_BINS],
 * zeroed and filled here. x: [n], include: [n] or NULL. OpenMP inside.
 * CVSEG_ENOMEM when the per-thread histograms cannot be allocated. */
cvseg_status cvseg_select_histogram(const cvseg_select_state *state, const double *x,
                                    const uint8_t *include, int64_t n, int64_t *hist);

/* The same over precomputed order keys (e.g. cvseg_i64_key of member ids). */
cvseg_status cvseg_select_histogram_keys(const cvseg_select_state *state, const uint64_t *keys,
                                         const uint8_t *include, int64_t n, int64_t *hist);

/* Given the global histogram (summed over all ranks), fixes the next 16 bits
 * of every target. Returns 0, or -1 if a rank lies beyond the counted values
 * (inconsistent input). */
int cvseg_select_refine(cvseg_select_state *state, const int64_t *global_hist);

/* After CVSEG_SELECT_LEVELS refinements: the selected values (as doubles, or
 * the raw keys in state->prefix). */
void cvseg_select_values(const cvseg_select_state *state, double *values);

/* Row-wise selection (the MPI layer's path): targets that share a prefix
 * share one histogram row, and a target whose prefix holds one distinct key
 * in all ranks' data is resolved at once (ties: counts, dates). */

/* The distinct prefixes of the unresolved targets: prefixes [rows] and
 * row_of [state->count] (-1 for a resolved target, resolved [count] != 0).
 * Returns rows (0..count). */
int cvseg_select_rows(const cvseg_select_state *state, const uint8_t *resolved, uint64_t *prefixes,
                      int *row_of);

/* Counts the included values whose key matches one of prefixes [rows] (the
 * state->level known digits) by their next 16 bits: hist [rows][BINS],
 * zeroed and filled here. Values as doubles x or keys (one of them NULL);
 * include [n] or NULL. OpenMP inside; CVSEG_ENOMEM when the per-thread
 * histograms cannot be allocated. */
cvseg_status cvseg_select_histogram_rows(const cvseg_select_state *state, int rows,
                                         const uint64_t *prefixes, const double *x,
                                         const uint64_t *keys, const uint8_t *include, int64_t n,
                                         int64_t *hist);

/* Fixes the next 16 bits of every target with row_of[t] >= 0 from the
 * global hist [rows][BINS]; level += 1. 0, or -1 if a rank lies beyond the
 * counted values. */
int cvseg_select_refine_rows(cvseg_select_state *state, const int64_t *global_hist,
                             const int *row_of);

/* lo, hi [rows] := the smallest and largest key of the included values
 * matching each prefix (UINT64_MAX and 0 where none). OpenMP inside. */
void cvseg_select_prefix_range(const cvseg_select_state *state, int rows, const uint64_t *prefixes,
                               const double *x, const uint64_t *keys, const uint8_t *include,
                               int64_t n, uint64_t *lo, uint64_t *hi);

/* out := the keys of the included values matching one of prefixes [rows],
 * in row order of the input; returns their number. The caller sizes out
 * (the level-0 histogram gives the count). */
int64_t cvseg_select_gather(const cvseg_select_state *state, int rows, const uint64_t *prefixes,
                            const double *x, const uint64_t *keys, const uint8_t *include,
                            int64_t n, uint64_t *out);

/* Target rank of quintile-style edge q of `parts` parts over n values:
 * ceil(q * n / parts), at least 1. */
int64_t cvseg_quantile_rank(int64_t q, int64_t parts, int64_t n);

/* Convenience for one process: selects the ranks directly (tests). */
cvseg_status cvseg_select_local(const double *x, const uint8_t *include, int64_t n, int m,
                                const int64_t *ranks, double *values);

#endif
