/* kmeans.c: Lloyd assignment and update, seeding helpers, cluster order. */
#include "cvseg/kmeans.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/rng.h"

/* Every term of an exact sum is below 2^43 units: a distance term is
 * rint(d2 * 2^e), an integer (rounded to nearest, so the inertia is unbiased); a coordinate z is on
 * the grid of multiples of 2^-e (cvseg_kmeans_quantize), so z * 2^e is an integer. A sum of up to
 * 2^10 such terms is below 2^53 units: exact in a double. The hot loops therefore add plain
 * doubles, and every FLUSH_TERMS terms per accumulator move the exact block sums into 128-bit
 * integers. Same integers, same result as adding each term to a 128-bit sum directly. */
#define TERM_BITS   43
#define FLUSH_TERMS 1024

cvseg_kmeans_exponents cvseg_kmeans_exponents_for(double zmax, int d)
{
    cvseg_kmeans_exponents e;
    e.coordinate = cvseg_fixed_exponent(zmax) - (62 - TERM_BITS);
    const double bound = (double)d * 4.0 * zmax * zmax * (1.0 + 0x1p-40);
    e.distance = cvseg_fixed_exponent(bound) - (62 - TERM_BITS);
    return e;
}

void cvseg_kmeans_quantize(double *z, int64_t n, int d, const cvseg_kmeans_exponents *e)
{
    const double scale = cvseg_fixed_scale(e->coordinate);
    const double unit = cvseg_fixed_scale(-e->coordinate);
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < (int64_t)d * n; ++t)
        z[t] = trunc(z[t] * scale) * unit;
}

cvseg_status cvseg_kmeans_partial_alloc(cvseg_kmeans_partial *partial, int k, int d)
{
    cvseg_status status = CVSEG_OK;
    memset(partial, 0, sizeof *partial);
    partial->k = k;
    partial->d = d;
    partial->sum = calloc((size_t)k * (size_t)d, sizeof(cvseg_i128));
    partial->count = calloc((size_t)k, sizeof(int64_t));
    if (!partial->sum || !partial->count) {
        cvseg_kmeans_partial_free(partial);
        status =
            CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for K-Means partial sums (k=%d, d=%d)", k, d);
    }
    return status;
}

void cvseg_kmeans_partial_free(cvseg_kmeans_partial *partial)
{
    free(partial->sum);
    free(partial->count);
    partial->sum = NULL;
    partial->count = NULL;
}

void cvseg_kmeans_partial_zero(cvseg_kmeans_partial *partial)
{
    memset(partial->sum, 0, sizeof(cvseg_i128) * (size_t)partial->k * (size_t)partial->d);
    memset(partial->count, 0, sizeof(int64_t) * (size_t)partial->k);
    partial->inertia = 0;
    partial->changed = 0;
}

void cvseg_kmeans_partial_merge(cvseg_kmeans_partial *into, const cvseg_kmeans_partial *from)
{
    const int64_t kd = (int64_t)into->k * into->d;
    for (int64_t t = 0; t < kd; ++t)
        into->sum[t] += from->sum[t];
    for (int c = 0; c < into->k; ++c)
        into->count[c] += from->count[c];
    into->inertia += from->inertia;
    into->changed += from->changed;
}

int64_t cvseg_kmeans_partial_values(int k, int d)
{
    return (int64_t)k + (int64_t)k * d + 2;
}

void cvseg_kmeans_partial_pack(const cvseg_kmeans_partial *partial, cvseg_i128 *values)
{
    const int64_t kd = (int64_t)partial->k * partial->d;
    int64_t v = 0;
    for (int c = 0; c < partial->k; ++c)
        values[v++] = partial->count[c];
    for (int64_t t = 0; t < kd; ++t)
        values[v++] = partial->sum[t];
    values[v++] = partial->inertia;
    values[v] = partial->changed;
}

void cvseg_kmeans_partial_unpack(cvseg_kmeans_partial *partial, const cvseg_i128 *values)
{
    const int64_t kd = (int64_t)partial->k * partial->d;
    int64_t v = 0;
    for (int c = 0; c < partial->k; ++c)
        partial->count[c] = (int64_t)values[v++];
    for (int64_t t = 0; t < kd; ++t)
        partial->sum[t] = values[v++];
    partial->inertia = values[v++];
    partial->changed = (int64_t)values[v];
}

/* --- assignment ---------------------------------------------------------- */

/* Per-thread accumulation state of cvseg_kmeans_assign. block holds
 * integer-valued double sums since the last flush, `copies` copies of a
 * [k][stride] table; a row of it is the D coordinate sums, then the member
 * count, then the distance sum. */
typedef struct {
    double *block;
    int copies, stride;
    double coordinate_scale; /* 2^e: block coordinate sums to fixed-point integers */
    cvseg_i128 *sum;         /* [k][d] */
    int64_t *count;          /* [k] */
    cvseg_i128 inertia;
    int64_t changed;
} kmeans_thread_sums;

/* count zeroed doubles at a 64-byte boundary (vector loads of the block). */
static double *kmeans_zeroed_aligned(size_t count)
{
    const size_t bytes = (count * sizeof(double) + 63) / 64 * 64;
    double *block = aligned_alloc(64, bytes);
    if (block)
        memset(block, 0, bytes);
    return block;
}

/* Moves the block sums into the 128-bit sums and clears them. */
static void kmeans_flush(kmeans_thread_sums *t, int k, int d)
{
    for (int copy = 0; copy < t->copies; ++copy)
        for (int c = 0; c < k; ++c) {
            double *row = t->block + ((int64_t)copy * k + c) * t->stride;
            for (int j = 0; j < d; ++j)
                t->sum[(int64_t)c * d + j] += (int64_t)(row[j] * t->coordinate_scale);
            t->count[c] += (int64_t)row[d];
            t->inertia += (int64_t)row[d + 1];
            memset(row, 0, sizeof(double) * (size_t)t->stride);
        }
}

/* One row, scalar: the reference form of the assignment (and the tail of the
 * vector path, which computes the same expressions lane by lane). */
static inline void kmeans_assign_row(const double *z, int64_t n, int64_t row, int d,
                                     const double *centres, const double *norm2, int k,
                                     double distance_scale, int32_t *label, double *distance,
                                     double *block, int stride, int64_t *changed)
{
    double best = INFINITY;
    int32_t nearest = 0;
    for (int c = 0; c < k; ++c) {
        const double score = cvseg_kmeans_score(z, n, row, centres + (int64_t)c * d, norm2[c], d);
        if (score < best) {
            best = score;
            nearest = c;
        }
    }
    double d2 = cvseg_kmeans_norm2(z, n, row, d) + best;
    d2 = d2 > 0.0 ? d2 : 0.0;
    double *sums = block + (int64_t)nearest * stride;
    for (int j = 0; j < d; ++j)
        sums[j] += z[(int64_t)j * n + row]; /* on the grid: exact */
    sums[d] += 1.0;
    sums[d + 1] += rint(d2 * distance_scale);
    *changed += label[row] != nearest;
    label[row] = nearest;
    if (distance)
        distance[row] = d2;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

/* The vector path: 8 rows per step (two 4-wide vectors, lanes = rows), for
 * d <= VECTOR_MAX_D so that coordinates, count and distance fit a row of 8
 * doubles in the block table. Each lane l adds into its own copy l of the
 * table, so rows that go to the same cluster do not wait on each other. */
#define VECTOR_MAX_D  6
#define VECTOR_ROWS   8
#define VECTOR_STRIDE 8
#define VECTOR_COPIES 4
/* Steps between flushes: each copy receives 2 terms per step. */
#define VECTOR_FLUSH_STEPS (FLUSH_TERMS / 2)

static inline void kmeans_transpose4(__m256d c0, __m256d c1, __m256d c2, __m256d c3, __m256d r[4])
{
    const __m256d t0 = _mm256_unpacklo_pd(c0, c1), t1 = _mm256_unpackhi_pd(c0, c1);
    const __m256d t2 = _mm256_unpacklo_pd(c2, c3), t3 = _mm256_unpackhi_pd(c2, c3);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* Doubles per centre in the vector table: norm2, -2 c_j (j < D) and the
 * centre index, each broadcast to 4 lanes. */
#define TABLE_ROW(D) (4 * ((D) + 2))

/* Rows row..row+VECTOR_ROWS-1. table: [k][TABLE_ROW(D)]. Per lane the
 * arithmetic is exactly kmeans_assign_row's: score = fma chain from norm2, strict <
 * keeps the lower centre, d2 = max(0, norm2(x) + best), the distance term
 * rint(d2 * scale), coordinates added as they are (on the grid). Always
 * inlined so that D is a compile-time constant and x stays in registers.
 * Kept as one function (61 lines): the argmin's best/nearest registers and
 * x feed the transpose and the block sums directly; split, they would be
 * passed through memory in the hottest loop of the engine. */
static inline __attribute__((always_inline)) void
kmeans_assign_step(const double *z, int64_t n, int64_t row, const double *table, int k, const int D,
                   __m256d distance_scale, int32_t *label, double *distance, double *block,
                   int64_t *changed)
{
    __m256d x[VECTOR_MAX_D][2], best[2], nearest[2];
    for (int j = 0; j < D; ++j)
        for (int h = 0; h < 2; ++h)
            x[j][h] = _mm256_loadu_pd(z + (int64_t)j * n + row + 4 * h);
    for (int h = 0; h < 2; ++h) {
        best[h] = _mm256_set1_pd(INFINITY);
        nearest[h] = _mm256_setzero_pd();
    }
    for (int c = 0; c < k; ++c) {
        const double *centre = table + (int64_t)c * TABLE_ROW(D);
        const __m256d index = _mm256_load_pd(centre + 4 * (D + 1));
        for (int h = 0; h < 2; ++h) {
            __m256d score = _mm256_load_pd(centre);
            for (int j = 0; j < D; ++j)
                score = _mm256_fmadd_pd(x[j][h], _mm256_load_pd(centre + 4 * (j + 1)), score);
            const __m256d closer = _mm256_cmp_pd(score, best[h], _CMP_LT_OQ);
            best[h] = _mm256_min_pd(score, best[h]); /* score < best ? score : best */
            nearest[h] = _mm256_blendv_pd(nearest[h], index, closer);
        }
    }
    const __m256d zero = _mm256_setzero_pd();
    for (int h = 0; h < 2; ++h) {
        int32_t *labels = label + row + 4 * h;
        const __m128i updated = _mm256_cvtpd_epi32(nearest[h]);
        const __m128i previous = _mm_loadu_si128((const __m128i *)labels);
        const int same = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(updated, previous)));
        *changed += 4 - __builtin_popcount((unsigned)same);
        _mm_storeu_si128((__m128i *)labels, updated);
        __m256d norm2 = _mm256_mul_pd(x[0][h], x[0][h]);
        for (int j = 1; j < D; ++j)
            norm2 = _mm256_fmadd_pd(x[j][h], x[j][h], norm2);
        const __m256d d2 = _mm256_max_pd(_mm256_add_pd(norm2, best[h]), zero);
        if (distance)
            _mm256_storeu_pd(distance + row + 4 * h, d2);
        __m256d column[VECTOR_STRIDE];
        for (int j = 0; j < D; ++j)
            column[j] = x[j][h]; /* on the grid: exact sums (see cvseg_kmeans_quantize) */
        column[D] = _mm256_set1_pd(1.0);
        column[D + 1] = _mm256_round_pd(_mm256_mul_pd(d2, distance_scale),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        for (int j = D + 2; j < VECTOR_STRIDE; ++j)
            column[j] = zero;
        __m256d low[4], high[4]; /* per lane: columns 0..3 and 4..7 */
        kmeans_transpose4(column[0], column[1], column[2], column[3], low);
        kmeans_transpose4(column[4], column[5], column[6], column[7], high);
        /* The labels from the register: reading them back from the store just
         * made would stall on store-to-load forwarding. */
        const int32_t lane_label[4] = {_mm_extract_epi32(updated, 0), _mm_extract_epi32(updated, 1),
                                       _mm_extract_epi32(updated, 2),
                                       _mm_extract_epi32(updated, 3)};
        for (int l = 0; l < 4; ++l) {
            double *sums = block + ((int64_t)l * k + lane_label[l]) * VECTOR_STRIDE;
            _mm256_store_pd(sums, _mm256_add_pd(_mm256_load_pd(sums), low[l]));
            _mm256_store_pd(sums + 4, _mm256_add_pd(_mm256_load_pd(sums + 4), high[l]));
        }
    }
}

#define VECTOR_CASE(DIM)                                                                           \
    case DIM:                                                                                      \
        for (int64_t g = g_begin; g < g_end; ++g) {                                                \
            kmeans_assign_step(z, n, VECTOR_ROWS *g, table, k, DIM, vector_distance_scale, label,  \
                               distance, t->block, &t->changed);                                   \
            if (++steps == VECTOR_FLUSH_STEPS) {                                                   \
                kmeans_flush(t, k, d);                                                             \
                steps = 0;                                                                         \
            }                                                                                      \
        }                                                                                          \
        break;

/* Rows [VECTOR_ROWS g_begin, VECTOR_ROWS g_end) on the vector path. */
static void kmeans_assign_vector(const double *z, int64_t n, int d, const double *table, int k,
                                 double distance_scale, int32_t *label, double *distance,
                                 int64_t g_begin, int64_t g_end, kmeans_thread_sums *t)
{
    const __m256d vector_distance_scale = _mm256_set1_pd(distance_scale);
    int steps = 0;
    switch (d) {
        VECTOR_CASE(1)
        VECTOR_CASE(2)
        VECTOR_CASE(3)
        VECTOR_CASE(4)
        VECTOR_CASE(5)
        VECTOR_CASE(6)
    default:
        break;
    }
    kmeans_flush(t, k, d);
}
#else
#define VECTOR_MAX_D  0 /* scalar path only; the sizes below are then unused */
#define VECTOR_ROWS   1
#define VECTOR_STRIDE 1
#define VECTOR_COPIES 1
#endif

/* Scratch of one cvseg_kmeans_assign call, allocated before the parallel
 * region (an allocation failure inside it could not be reported): the centre
 * norms, the broadcast centre table of the vector path and, per thread, its
 * block table and exact sums. Slices of thread t start at t * the slice size;
 * block slices are whole 64-byte lines. */
typedef struct {
    int threads;
    double *norm2; /* [k] */
    double *table; /* [k][TABLE_ROW(d)] (vector path) or NULL */
    double *block; /* [threads][block_doubles] */
    size_t block_doubles;
    cvseg_i128 *sum; /* [threads][k][d] */
    int64_t *count;  /* [threads][k] */
} kmeans_assign_scratch;

static void kmeans_assign_scratch_free(kmeans_assign_scratch *s)
{
    free(s->norm2);
    free(s->table);
    free(s->block);
    free(s->sum);
    free(s->count);
}

static cvseg_status kmeans_assign_scratch_alloc(kmeans_assign_scratch *s, int k, int d, int copies,
                                                int stride, int vector)
{
    memset(s, 0, sizeof *s);
    s->threads = omp_get_max_threads();
    s->block_doubles = ((size_t)copies * (size_t)k * (size_t)stride + 7) / 8 * 8;
    const size_t threads = (size_t)s->threads;
    /* The largest first; stop at the first failure. */
    s->block = kmeans_zeroed_aligned(threads * s->block_doubles);
    s->sum = s->block ? calloc(threads * (size_t)k * (size_t)d, sizeof(cvseg_i128)) : NULL;
    s->count = s->sum ? calloc(threads * (size_t)k, sizeof(int64_t)) : NULL;
    s->norm2 = s->count ? malloc(sizeof(double) * (size_t)k) : NULL;
#if defined(__AVX2__) && defined(__FMA__)
    if (vector && s->norm2)
        s->table = kmeans_zeroed_aligned((size_t)k * TABLE_ROW(VECTOR_MAX_D));
#endif
    if (!s->norm2 || !s->block || !s->sum || !s->count || (vector && !s->table)) {
        kmeans_assign_scratch_free(s);
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the K-Means assignment (k=%d, d=%d)", k,
                          d);
    }
    return CVSEG_OK;
}

/* ||c||^2 of every centre and, on the vector path, the broadcast table:
 * norm2, -2 c_j and the index of each centre, 4 lanes each. */
static void kmeans_assign_fill_tables(kmeans_assign_scratch *s, const double *centres, int k, int d)
{
    for (int c = 0; c < k; ++c)
        s->norm2[c] = cvseg_kmeans_centre_norm2(centres + (int64_t)c * d, d);
#if defined(__AVX2__) && defined(__FMA__)
    if (s->table)
        for (int c = 0; c < k; ++c)
            for (int l = 0; l < 4; ++l) {
                double *centre = s->table + (int64_t)c * TABLE_ROW(d);
                centre[l] = s->norm2[c];
                for (int j = 0; j < d; ++j)
                    centre[4 * (j + 1) + l] = -2.0 * centres[(int64_t)c * d + j];
                centre[4 * (d + 1) + l] = (double)c;
            }
#endif
}

/* Adds every thread's exact sums and counts to the partial (integers: the
 * order does not matter). */
static void kmeans_assign_merge_threads(const kmeans_assign_scratch *s, int k, int d,
                                        cvseg_kmeans_partial *partial)
{
    const size_t kd = (size_t)k * (size_t)d;
    for (int th = 0; th < s->threads; ++th) {
        for (size_t u = 0; u < kd; ++u)
            partial->sum[u] += s->sum[(size_t)th * kd + u];
        for (int c = 0; c < k; ++c)
            partial->count[c] += s->count[(size_t)th * (size_t)k + (size_t)c];
    }
}

cvseg_status cvseg_kmeans_assign(const double *z, int64_t n, int d, const double *centres, int k,
                                 const cvseg_kmeans_exponents *exponents, int32_t *label,
                                 double *distance, cvseg_kmeans_partial *partial)
{
    const double coordinate_scale = cvseg_fixed_scale(exponents->coordinate);
    const double distance_scale = cvseg_fixed_scale(exponents->distance);
    const int vector = d <= VECTOR_MAX_D;
    const int copies = vector ? VECTOR_COPIES : 1, stride = vector ? VECTOR_STRIDE : d + 2;
    kmeans_assign_scratch s;
    cvseg_status status = kmeans_assign_scratch_alloc(&s, k, d, copies, stride, vector);
    if (status != CVSEG_OK)
        return status;
    kmeans_assign_fill_tables(&s, centres, k, d);
    const double *const norm2 = s.norm2, *const table = s.table;
    (void)table; /* unused by a scalar-only build */
    /* Rows per vector step; the scalar path takes whole rows. */
    const int64_t rows_per_group = vector ? VECTOR_ROWS : 1;
    const int64_t groups = n / rows_per_group;
#pragma omp parallel num_threads(s.threads)
    {
        const int threads = omp_get_num_threads(), me = omp_get_thread_num();
        kmeans_thread_sums t = {s.block + (size_t)me * s.block_doubles,
                                copies,
                                stride,
                                coordinate_scale,
                                s.sum + (size_t)me * (size_t)k * (size_t)d,
                                s.count + (size_t)me * (size_t)k,
                                0,
                                0};
        /* Static split of whole groups over threads; the tail goes to the last thread. */
        const int64_t g_begin = groups * me / threads, g_end = groups * (me + 1) / threads;
        int64_t scalar_begin = g_begin, scalar_end = g_end; /* rows on the scalar path */
#if defined(__AVX2__) && defined(__FMA__)
        if (vector) {
            kmeans_assign_vector(z, n, d, table, k, distance_scale, label, distance, g_begin, g_end,
                                 &t);
            scalar_begin = groups * rows_per_group;
            scalar_end = me == threads - 1 ? n : scalar_begin;
        }
#endif
        int rows = 0;
        for (int64_t row = scalar_begin; row < scalar_end; ++row) {
            kmeans_assign_row(z, n, row, d, centres, norm2, k, distance_scale, label, distance,
                              t.block, t.stride, &t.changed);
            if (++rows == FLUSH_TERMS) {
                kmeans_flush(&t, k, d);
                rows = 0;
            }
        }
        kmeans_flush(&t, k, d);
#pragma omp critical(cvseg_kmeans_assign)
        {
            partial->inertia += t.inertia;
            partial->changed += t.changed;
        }
    }
    kmeans_assign_merge_threads(&s, k, d, partial);
    kmeans_assign_scratch_free(&s);
    return status;
}

void cvseg_kmeans_label_distances(const double *z, int64_t n, int d, const double *centres,
                                  const int32_t *label, double *distance)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i)
        distance[i] = cvseg_kmeans_distance2(z, n, i, centres + (int64_t)label[i] * d, d);
}

double cvseg_kmeans_update(const cvseg_kmeans_partial *global, const cvseg_kmeans_exponents *e,
                           double *centres)
{
    double shift = 0.0;
    for (int c = 0; c < global->k; ++c) {
        if (global->count[c] == 0)
            continue;
        for (int j = 0; j < global->d; ++j) {
            const int64_t t = (int64_t)c * global->d + j;
            const double updated =
                cvseg_fixed_to_double(global->sum[t], e->coordinate) / (double)global->count[c];
            const double moved = updated - centres[t];
            shift += moved * moved;
            centres[t] = updated;
        }
    }
    return shift;
}

/* Seeding sums: each term trunc(min_d2 * 2^e) is an integer below 2^43 and a
 * block has at most CVSEG_KMEANS_SEED_BLOCK = 1024 rows, so every partial sum
 * of a block is an integer below 2^53: exact in a double in any order, which
 * lets the compiler vectorise the block sums (omp simd reduction). */

/* One past the last row of seeding block b of n rows. */
static inline int64_t kmeans_seed_block_end(int64_t b, int64_t n)
{
    const int64_t end = (b + 1) * CVSEG_KMEANS_SEED_BLOCK;
    return end < n ? end : n;
}

/* d2[i - begin] = cvseg_sqdist of rows [begin, end) to centre, column by
 * column: the same additions in the same order per row, vectorised across
 * rows. d2: [CVSEG_KMEANS_SEED_BLOCK]. */
static inline void kmeans_block_sqdist(const double *z, int64_t n, int d, const double *centre,
                                       int64_t begin, int64_t end, double *d2)
{
    const int64_t rows = end - begin;
    for (int64_t r = 0; r < rows; ++r)
        d2[r] = 0.0;
    for (int j = 0; j < d; ++j) {
        const double *column = z + (int64_t)j * n + begin;
        const double cj = centre[j];
        for (int64_t r = 0; r < rows; ++r) {
            const double diff = column[r] - cj;
            d2[r] += diff * diff;
        }
    }
}

cvseg_i128 cvseg_kmeans_min_update(const double *z, int64_t n, int d, const double *centres, int m,
                                   const cvseg_kmeans_exponents *e, double *min_d2,
                                   int64_t *block_sums)
{
    const double scale = cvseg_fixed_scale(e->distance);
    const int64_t blocks = cvseg_kmeans_seed_blocks(n);
    cvseg_i128 total = 0;
#pragma omp parallel
    {
        cvseg_i128 mine = 0;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            const int64_t begin = b * CVSEG_KMEANS_SEED_BLOCK, end = kmeans_seed_block_end(b, n);
            double d2[CVSEG_KMEANS_SEED_BLOCK];
            for (int c = 0; c < m; ++c) {
                kmeans_block_sqdist(z, n, d, centres + (int64_t)c * d, begin, end, d2);
                for (int64_t i = begin; i < end; ++i)
                    min_d2[i] = d2[i - begin] < min_d2[i] ? d2[i - begin] : min_d2[i];
            }
            double block = 0.0;
#pragma omp simd reduction(+ : block)
            for (int64_t i = begin; i < end; ++i)
                block += trunc(min_d2[i] * scale);
            if (block_sums)
                block_sums[b] = (int64_t)block;
            mine += (int64_t)block;
        }
#pragma omp critical(cvseg_kmeans_min_update)
        total += mine;
    }
    return total;
}

void cvseg_kmeans_trial_potentials(const double *z, int64_t n, int d, const double *candidates,
                                   int trials, const cvseg_kmeans_exponents *e,
                                   const double *min_d2, cvseg_i128 *potential)
{
    const double scale = cvseg_fixed_scale(e->distance);
    const int64_t blocks = cvseg_kmeans_seed_blocks(n);
    for (int t = 0; t < trials; ++t)
        potential[t] = 0;
#pragma omp parallel
    {
        cvseg_i128 mine[CVSEG_KMEANS_MAX_TRIALS] = {0};
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            const int64_t begin = b * CVSEG_KMEANS_SEED_BLOCK, end = kmeans_seed_block_end(b, n);
            /* The block stays in cache across the trials: one pass over memory. */
            double d2[CVSEG_KMEANS_SEED_BLOCK];
            for (int t = 0; t < trials; ++t) {
                kmeans_block_sqdist(z, n, d, candidates + (int64_t)t * d, begin, end, d2);
                double block = 0.0;
#pragma omp simd reduction(+ : block)
                for (int64_t i = begin; i < end; ++i) {
                    const double nearer = d2[i - begin] < min_d2[i] ? d2[i - begin] : min_d2[i];
                    block += trunc(nearer * scale);
                }
                mine[t] += (int64_t)block;
            }
        }
#pragma omp critical(cvseg_kmeans_trial_potentials)
        for (int t = 0; t < trials; ++t)
            potential[t] += mine[t];
    }
}

int64_t cvseg_kmeans_pick_by_weight(const double *min_d2, int64_t n,
                                    const cvseg_kmeans_exponents *e, const int64_t *block_sums,
                                    cvseg_i128 target)
{
    const double scale = cvseg_fixed_scale(e->distance);
    cvseg_i128 running = 0;
    int64_t begin = 0, picked = -1;
    if (block_sums) { /* skip whole blocks: the same running sums, sooner */
        const int64_t blocks = cvseg_kmeans_seed_blocks(n);
        int64_t b = 0;
        while (b < blocks && running + block_sums[b] <= target)
            running += block_sums[b++];
        begin = b * CVSEG_KMEANS_SEED_BLOCK;
    }
    for (int64_t i = begin; i < n && picked < 0; ++i) {
        running += cvseg_fixed_term(min_d2[i], scale);
        if (running > target)
            picked = i;
    }
    return picked;
}

/* Squared distance between rows a [d] and b [d], summed in coordinate order. */
static double kmeans_wpp_distance2(const double *a, const double *b, int d)
{
    double acc = 0.0;
    for (int j = 0; j < d; ++j) {
        const double diff = a[j] - b[j];
        acc += diff * diff;
    }
    return acc;
}

/* min_d2 [m]: squared distance of each candidate to centre [d] (first:
 * set it; otherwise keep the smaller). */
static void kmeans_wpp_nearest(const double *candidates, int64_t m, int d, const double *centre,
                               double *min_d2, int first)
{
    for (int64_t i = 0; i < m; ++i) {
        const double acc = kmeans_wpp_distance2(candidates + i * d, centre, d);
        if (first || acc < min_d2[i])
            min_d2[i] = acc;
    }
}

/* First candidate whose running sum of weight [m] (times min_d2 [m] unless
 * NULL) exceeds target; -1 when none does. */
static int64_t kmeans_wpp_running_pick(const double *weight, const double *min_d2, int64_t m,
                                       double target)
{
    double running = 0.0;
    for (int64_t i = 0; i < m; ++i) {
        running += min_d2 ? weight[i] * min_d2[i] : weight[i];
        if (running > target)
            return i;
    }
    return -1;
}

/* One trial of a pick: the candidate drawn for target, and the potential
 * sum(weight * min(min_d2, d2 to it)) it would leave (trial_d2 [m] scratch). */
static double kmeans_wpp_trial(const double *candidates, const double *weight, const double *min_d2,
                               int64_t m, int d, double target, double *trial_d2, int64_t *pick_out)
{
    int64_t pick = kmeans_wpp_running_pick(weight, min_d2, m, target);
    if (pick < 0) /* all remaining weight is zero: take the first unused */
        for (int64_t i = 0; i < m && pick < 0; ++i)
            if (min_d2[i] > 0.0)
                pick = i;
    if (pick < 0)
        pick = 0;
    double trial_potential = 0.0;
    for (int64_t i = 0; i < m; ++i) {
        const double acc = kmeans_wpp_distance2(candidates + i * d, candidates + pick * d, d);
        trial_d2[i] = acc < min_d2[i] ? acc : min_d2[i];
        trial_potential += weight[i] * trial_d2[i];
    }
    *pick_out = pick;
    return trial_potential;
}

/* The next centre: of `trials` draws (*draw onwards in the stream), the one
 * leaving the lowest potential (first on ties). */
static int64_t kmeans_wpp_pick(const double *candidates, const double *weight, const double *min_d2,
                               int64_t m, int d, int trials, uint64_t seed, uint64_t stream,
                               uint64_t *draw, double *trial_d2)
{
    double potential = 0.0;
    for (int64_t i = 0; i < m; ++i)
        potential += weight[i] * min_d2[i];
    double best_potential = INFINITY;
    int64_t best_pick = 0;
    for (int t = 0; t < trials; ++t) {
        const double target = cvseg_rng_uniform(seed, stream, (*draw)++) * potential;
        int64_t pick = 0;
        const double trial_potential =
            kmeans_wpp_trial(candidates, weight, min_d2, m, d, target, trial_d2, &pick);
        if (trial_potential < best_potential) {
            best_potential = trial_potential;
            best_pick = pick;
        }
    }
    return best_pick;
}

cvseg_status cvseg_kmeans_weighted_plusplus(const double *candidates, const double *weight,
                                            int64_t m, int d, int k, uint64_t seed, uint64_t stream,
                                            int trials, double *centres)
{
    cvseg_status status = CVSEG_OK;
    double *min_d2 = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
    double *trial_d2 = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
    uint64_t draw = 0;
    if (!min_d2 || !trial_d2) {
        status =
            CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %lld seeding candidates", (long long)m);
        goto done;
    }
    if (m < k) {
        status = CVSEG_FAIL(CVSEG_EDATA, "only %lld distinct seeding candidates for k = %d",
                            (long long)m, k);
        goto done;
    }
    if (trials <= 0)
        trials = 2 + (int)floor(log((double)k));
    double total_weight = 0.0;
    for (int64_t i = 0; i < m; ++i)
        total_weight += weight[i];
    /* First centre: weighted by weight alone. */
    const double target = cvseg_rng_uniform(seed, stream, draw++) * total_weight;
    int64_t pick = kmeans_wpp_running_pick(weight, NULL, m, target);
    if (pick < 0)
        pick = m - 1;
    memcpy(centres, candidates + pick * d, sizeof(double) * (size_t)d);
    kmeans_wpp_nearest(candidates, m, d, centres, min_d2, 1);
    for (int c = 1; c < k; ++c) {
        const int64_t best_pick = kmeans_wpp_pick(candidates, weight, min_d2, m, d, trials, seed,
                                                  stream, &draw, trial_d2);
        memcpy(centres + (int64_t)c * d, candidates + best_pick * d, sizeof(double) * (size_t)d);
        kmeans_wpp_nearest(candidates, m, d, candidates + best_pick * d, min_d2, 0);
    }
done:
    free(min_d2);
    free(trial_d2);
    return status;
}

typedef struct {
    double score;
    int64_t size;
    int index;
} kmeans_order_entry;

static int kmeans_compare_order(const void *a, const void *b)
{
    const kmeans_order_entry *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->index - y->index;
}

void cvseg_kmeans_order(const double *centres, const int64_t *count, int k, int d,
                        const double *orientation, int *order)
{
    kmeans_order_entry entries[CVSEG_KMEANS_MAX_K];
    for (int c = 0; c < k; ++c) {
        double score = 0.0;
        for (int j = 0; j < d; ++j)
            score += orientation[j] * centres[(int64_t)c * d + j];
        entries[c].score = score;
        entries[c].size = count[c];
        entries[c].index = c;
    }
    qsort(entries, (size_t)k, sizeof entries[0], kmeans_compare_order);
    for (int c = 0; c < k; ++c)
        order[c] = entries[c].index;
}

/* --- distinct rows ------------------------------------------------------- */

cvseg_status cvseg_distinct_init(cvseg_distinct_set *set, int d, int limit)
{
    memset(set, 0, sizeof *set);
    if (d < 1 || d > CVSEG_KMEANS_MAX_D || limit < 1)
        return CVSEG_FAIL(CVSEG_EINTERNAL, "distinct rows: d = %d, limit = %d out of range", d,
                          limit);
    set->d = d;
    set->limit = limit;
    set->capacity = 4;
    while (set->capacity <= 2 * (int64_t)limit)
        set->capacity *= 2;
    set->rows = malloc(sizeof(double) * (size_t)limit * (size_t)(d > 0 ? d : 1));
    set->slot = malloc(sizeof(int64_t) * (size_t)set->capacity);
    if (!set->rows || !set->slot) {
        cvseg_distinct_free(set);
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for %d distinct rows", limit);
    }
    for (int64_t s = 0; s < set->capacity; ++s)
        set->slot[s] = -1;
    return CVSEG_OK;
}

void cvseg_distinct_free(cvseg_distinct_set *set)
{
    free(set->rows);
    free(set->slot);
    set->rows = NULL;
    set->slot = NULL;
}

/* Hash of a row by value (-0.0 hashed as 0.0). */
static uint64_t kmeans_distinct_hash(const double *x, int d)
{
    uint64_t h = 0x243F6A8885A308D3ULL;
    for (int j = 0; j < d; ++j) {
        const double v = x[j] == 0.0 ? 0.0 : x[j];
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        h = cvseg_mix64(h ^ bits);
    }
    return h;
}

void cvseg_distinct_add(cvseg_distinct_set *set, const double *x)
{
    if (set->count >= set->limit)
        return;
    const uint64_t mask = (uint64_t)set->capacity - 1;
    uint64_t s = kmeans_distinct_hash(x, set->d) & mask;
    for (; set->slot[s] >= 0; s = (s + 1) & mask) {
        const double *held = set->rows + set->slot[s] * set->d;
        int same = 1;
        for (int j = 0; j < set->d && same; ++j)
            same = held[j] == x[j];
        if (same)
            return;
    }
    memcpy(set->rows + set->count * set->d, x, sizeof(double) * (size_t)set->d);
    set->slot[s] = set->count++;
}

void cvseg_distinct_add_columns(cvseg_distinct_set *set, const double *z, int64_t n)
{
    double row[CVSEG_KMEANS_MAX_D];
    for (int64_t i = 0; i < n && set->count < set->limit; ++i) {
        for (int j = 0; j < set->d; ++j)
            row[j] = z[(int64_t)j * n + i];
        cvseg_distinct_add(set, row);
    }
}
