/* quantile.c: radix selection of exact order statistics. */
#include "cvseg/quantile.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

uint64_t cvseg_order_key(double x)
{
    uint64_t bits;
    if (x == 0.0)
        x = 0.0; /* -0.0 -> +0.0 */
    memcpy(&bits, &x, sizeof bits);
    return (bits & 0x8000000000000000ULL) ? ~bits : bits | 0x8000000000000000ULL;
}

double cvseg_order_key_value(uint64_t key)
{
    const uint64_t bits = (key & 0x8000000000000000ULL) ? key & 0x7fffffffffffffffULL : ~key;
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

void cvseg_select_init(cvseg_select_state *state, int m, const int64_t *ranks)
{
    memset(state, 0, sizeof *state);
    state->count = m;
    for (int t = 0; t < m; ++t)
        state->rank_left[t] = ranks[t];
}

static int quantile_shift_of_level(int level)
{
    return 48 - 16 * level;
}

/* Counts over keys taken from doubles (x) or given directly (keys). The
 * per-thread histograms are allocated before the parallel region, so that
 * every thread reaches the worksharing loop and a failure is reported. */
static cvseg_status quantile_select_histogram(const cvseg_select_state *state, const double *x,
                                              const uint64_t *keys, const uint8_t *include,
                                              int64_t n, int64_t *hist)
{
    const int m = state->count;
    const int shift = quantile_shift_of_level(state->level);
    const int prefix_bits = 16 * state->level;
    /* Targets with equal prefixes share one histogram: count only distinct ones. */
    int distinct[CVSEG_SELECT_MAX_TARGETS];
    int n_distinct = 0;
    int same_as[CVSEG_SELECT_MAX_TARGETS];
    for (int t = 0; t < m; ++t) {
        same_as[t] = -1;
        for (int u = 0; u < n_distinct; ++u)
            if (state->prefix[distinct[u]] == state->prefix[t])
                same_as[t] = distinct[u];
        if (same_as[t] < 0) {
            same_as[t] = t;
            distinct[n_distinct++] = t;
        }
    }
    const int threads = omp_get_max_threads();
    const size_t per_thread = (size_t)n_distinct * CVSEG_SELECT_BINS;
    int64_t *all = calloc((size_t)threads * per_thread, sizeof(int64_t));
    if (!all)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %d quantile histograms per thread",
                          n_distinct);
    memset(hist, 0, sizeof(int64_t) * (size_t)m * CVSEG_SELECT_BINS);
#pragma omp parallel num_threads(threads)
    {
        int64_t *mine = all + (size_t)omp_get_thread_num() * per_thread;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            if (include && !include[i])
                continue;
            const uint64_t key = keys ? keys[i] : cvseg_order_key(x[i]);
            const uint64_t high = prefix_bits ? key >> (64 - prefix_bits) : 0;
            const unsigned digit = (unsigned)((key >> shift) & 0xffffu);
            for (int u = 0; u < n_distinct; ++u) {
                const uint64_t want =
                    prefix_bits ? state->prefix[distinct[u]] >> (64 - prefix_bits) : 0;
                mine[(size_t)u * CVSEG_SELECT_BINS + digit] += (high == want);
            }
        }
#pragma omp critical(cvseg_select_histogram)
        for (int u = 0; u < n_distinct; ++u)
            for (int b = 0; b < CVSEG_SELECT_BINS; ++b)
                hist[(size_t)distinct[u] * CVSEG_SELECT_BINS + b] +=
                    mine[(size_t)u * CVSEG_SELECT_BINS + b];
    }
    free(all);
    for (int t = 0; t < m; ++t)
        if (same_as[t] != t)
            memcpy(hist + (size_t)t * CVSEG_SELECT_BINS,
                   hist + (size_t)same_as[t] * CVSEG_SELECT_BINS,
                   sizeof(int64_t) * CVSEG_SELECT_BINS);
    return CVSEG_OK;
}

cvseg_status cvseg_select_histogram(const cvseg_select_state *state, const double *x,
                                    const uint8_t *include, int64_t n, int64_t *hist)
{
    return quantile_select_histogram(state, x, NULL, include, n, hist);
}

cvseg_status cvseg_select_histogram_keys(const cvseg_select_state *state, const uint64_t *keys,
                                         const uint8_t *include, int64_t n, int64_t *hist)
{
    return quantile_select_histogram(state, NULL, keys, include, n, hist);
}

/* Moves target t one level down by h [CVSEG_SELECT_BINS], the global
 * histogram of the values under its prefix: appends the bin holding its rank
 * to the prefix (bits at shift) and keeps the rank within that bin. Returns
 * -1 when the rank lies past the histogram (the last bin is taken), else 0. */
static int quantile_refine_target(cvseg_select_state *state, int t, const int64_t *h, int shift)
{
    int64_t left = state->rank_left[t];
    int bin = 0, result = 0;
    while (bin < CVSEG_SELECT_BINS && left > h[bin]) {
        left -= h[bin];
        ++bin;
    }
    if (bin == CVSEG_SELECT_BINS) {
        result = -1;
        bin = CVSEG_SELECT_BINS - 1;
    }
    state->prefix[t] |= (uint64_t)bin << shift;
    state->rank_left[t] = left;
    return result;
}

int cvseg_select_refine(cvseg_select_state *state, const int64_t *global_hist)
{
    const int shift = quantile_shift_of_level(state->level);
    int result = 0;
    for (int t = 0; t < state->count; ++t) {
        const int64_t *h = global_hist + (size_t)t * CVSEG_SELECT_BINS;
        if (quantile_refine_target(state, t, h, shift) < 0)
            result = -1;
    }
    state->level += 1;
    return result;
}

void cvseg_select_values(const cvseg_select_state *state, double *values)
{
    for (int t = 0; t < state->count; ++t)
        values[t] = cvseg_order_key_value(state->prefix[t]);
}

int cvseg_select_rows(const cvseg_select_state *state, const uint8_t *resolved, uint64_t *prefixes,
                      int *row_of)
{
    int rows = 0;
    for (int t = 0; t < state->count; ++t) {
        row_of[t] = -1;
        for (int r = 0; r < rows && !resolved[t] && row_of[t] < 0; ++r)
            if (prefixes[r] == state->prefix[t])
                row_of[t] = r;
        if (!resolved[t] && row_of[t] < 0) {
            prefixes[rows] = state->prefix[t];
            row_of[t] = rows++;
        }
    }
    return rows;
}

/* Which prefix row a key matches: the known high bits of each prefix, and
 * for 16 known bits (level 1, where the passes read all values) a table of
 * the row of each 16-bit value, so that a key is matched in one lookup. */
typedef struct {
    int prefix_bits, rows;
    uint64_t want[CVSEG_SELECT_MAX_TARGETS];
    uint8_t *table; /* [65536] row + 1, 0: none; NULL: compare with want */
} quantile_matcher;

static void quantile_matcher_init(const cvseg_select_state *state, int rows,
                                  const uint64_t *prefixes, quantile_matcher *matcher)
{
    matcher->prefix_bits = 16 * state->level;
    matcher->rows = rows;
    for (int r = 0; r < rows; ++r)
        matcher->want[r] = matcher->prefix_bits ? prefixes[r] >> (64 - matcher->prefix_bits) : 0;
    matcher->table = matcher->prefix_bits == 16 ? calloc(65536, 1) : NULL;
    for (int r = 0; r < rows && matcher->table; ++r)
        matcher->table[matcher->want[r]] = (uint8_t)(r + 1);
}

/* The row whose prefix key matches, or -1 (prefixes are distinct). */
static inline int quantile_match(const quantile_matcher *matcher, uint64_t key)
{
    if (matcher->table)
        return (int)matcher->table[key >> 48] - 1;
    const uint64_t high = matcher->prefix_bits ? key >> (64 - matcher->prefix_bits) : 0;
    for (int r = 0; r < matcher->rows; ++r)
        if (matcher->want[r] == high)
            return r;
    return -1;
}

static inline uint64_t quantile_key_at(const double *x, const uint64_t *keys, int64_t i)
{
    return keys ? keys[i] : cvseg_order_key(x[i]);
}

/* Adds the values [from, to) to hist [rows][BINS]. */
static void quantile_count_rows(const cvseg_select_state *state, const quantile_matcher *matcher,
                                const double *x, const uint64_t *keys, const uint8_t *include,
                                int64_t from, int64_t to, int64_t *hist)
{
    const int shift = quantile_shift_of_level(state->level);
    for (int64_t i = from; i < to; ++i) {
        if (include && !include[i])
            continue;
        const uint64_t key = quantile_key_at(x, keys, i);
        const int r = quantile_match(matcher, key);
        if (r >= 0)
            hist[(size_t)r * CVSEG_SELECT_BINS + ((key >> shift) & 0xffffu)] += 1;
    }
}

cvseg_status cvseg_select_histogram_rows(const cvseg_select_state *state, int rows,
                                         const uint64_t *prefixes, const double *x,
                                         const uint64_t *keys, const uint8_t *include, int64_t n,
                                         int64_t *hist)
{
    quantile_matcher matcher;
    quantile_matcher_init(state, rows, prefixes, &matcher);
    const size_t per_thread = (size_t)rows * CVSEG_SELECT_BINS;
    memset(hist, 0, sizeof(int64_t) * per_thread);
    const int threads = n >= 65536 ? omp_get_max_threads() : 1;
    /* Thread 0 counts into hist; the others into histograms of their own. */
    int64_t *others =
        threads > 1 ? calloc((size_t)(threads - 1) * per_thread, sizeof(int64_t)) : NULL;
    if (threads > 1 && !others) {
        free(matcher.table);
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %d quantile histograms per thread",
                          rows);
    }
#pragma omp parallel num_threads(threads)
    {
        const int thread = omp_get_thread_num(), team = omp_get_num_threads();
        const int64_t from = n * thread / team, to = n * (thread + 1) / team;
        int64_t *mine = thread == 0 ? hist : others + (size_t)(thread - 1) * per_thread;
        quantile_count_rows(state, &matcher, x, keys, include, from, to, mine);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t b = 0; b < per_thread; ++b)
            for (int t = 1; t < threads; ++t)
                hist[b] += others[(size_t)(t - 1) * per_thread + b];
    }
    free(others);
    free(matcher.table);
    return CVSEG_OK;
}

int cvseg_select_refine_rows(cvseg_select_state *state, const int64_t *global_hist,
                             const int *row_of)
{
    const int shift = quantile_shift_of_level(state->level);
    int result = 0;
    for (int t = 0; t < state->count; ++t) {
        if (row_of[t] < 0)
            continue;
        const int64_t *h = global_hist + (size_t)row_of[t] * CVSEG_SELECT_BINS;
        if (quantile_refine_target(state, t, h, shift) < 0)
            result = -1;
    }
    state->level += 1;
    return result;
}

void cvseg_select_prefix_range(const cvseg_select_state *state, int rows, const uint64_t *prefixes,
                               const double *x, const uint64_t *keys, const uint8_t *include,
                               int64_t n, uint64_t *lo, uint64_t *hi)
{
    quantile_matcher matcher;
    quantile_matcher_init(state, rows, prefixes, &matcher);
    for (int r = 0; r < rows; ++r) {
        lo[r] = UINT64_MAX;
        hi[r] = 0;
    }
#pragma omp parallel if (n >= 65536)
    {
        uint64_t my_lo[CVSEG_SELECT_MAX_TARGETS], my_hi[CVSEG_SELECT_MAX_TARGETS];
        for (int r = 0; r < rows; ++r) {
            my_lo[r] = UINT64_MAX;
            my_hi[r] = 0;
        }
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) {
            if (include && !include[i])
                continue;
            const uint64_t key = quantile_key_at(x, keys, i);
            const int r = quantile_match(&matcher, key);
            if (r >= 0) {
                my_lo[r] = key < my_lo[r] ? key : my_lo[r];
                my_hi[r] = key > my_hi[r] ? key : my_hi[r];
            }
        }
#pragma omp critical(cvseg_select_prefix_range)
        for (int r = 0; r < rows; ++r) {
            lo[r] = my_lo[r] < lo[r] ? my_lo[r] : lo[r];
            hi[r] = my_hi[r] > hi[r] ? my_hi[r] : hi[r];
        }
    }
    free(matcher.table);
}

int64_t cvseg_select_gather(const cvseg_select_state *state, int rows, const uint64_t *prefixes,
                            const double *x, const uint64_t *keys, const uint8_t *include,
                            int64_t n, uint64_t *out)
{
    quantile_matcher matcher;
    quantile_matcher_init(state, rows, prefixes, &matcher);
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (include && !include[i])
            continue;
        const uint64_t key = quantile_key_at(x, keys, i);
        if (quantile_match(&matcher, key) >= 0)
            out[count++] = key;
    }
    free(matcher.table);
    return count;
}

int64_t cvseg_quantile_rank(int64_t q, int64_t parts, int64_t n)
{
    const int64_t rank = (q * n + parts - 1) / parts;
    return rank < 1 ? 1 : rank;
}

cvseg_status cvseg_select_local(const double *x, const uint8_t *include, int64_t n, int m,
                                const int64_t *ranks, double *values)
{
    cvseg_select_state state;
    int64_t *hist = malloc(sizeof(int64_t) * (size_t)m * CVSEG_SELECT_BINS);
    cvseg_status status =
        hist ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for quantile histograms");
    cvseg_select_init(&state, m, ranks);
    for (int level = 0; level < CVSEG_SELECT_LEVELS && status == CVSEG_OK; ++level) {
        status = cvseg_select_histogram(&state, x, include, n, hist);
        if (status == CVSEG_OK)
            cvseg_select_refine(&state, hist);
    }
    if (status == CVSEG_OK)
        cvseg_select_values(&state, values);
    free(hist);
    return status;
}
