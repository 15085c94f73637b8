/* kmeans_bench.c: the K-Means kernel on in-memory arrays, and the streaming
 * floor of the same arrays, side by side in one process.
 *
 *   mpirun -np P cvseg_bench_kmeans N D K ITERATIONS [REPEATS] [CENTERS_OUT DATA_OUT]
 *
 * Each rank holds N/P points (D features, column-major, float64, counter-based
 * Gaussian blobs so every rank count sees the same global data), starts from
 * the same K centres, runs exactly ITERATIONS Lloyd iterations (assignment +
 * exact fixed-point sums + one packed MPI_Allreduce + update) and reports the
 * median over REPEATS of ms per iteration (max over ranks), and the median time
 * of one streaming pass (sum of every value) over the same arrays. Output: one
 * JSON line on stdout. With DATA_OUT, rank 0 writes the raw data (float64,
 * row-major [N][D]) and CENTERS_OUT the start centres, for peers (scikit-learn)
 * to run on identical input (single rank only). */
#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/kmeans.h"
#include "cvseg/partition.h"
#include "cvseg/rng.h"

typedef double floor_vector __attribute__((vector_size(32)));

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof(double), compare_doubles);
    return values[count / 2];
}

int main(int argc, char **argv)
{
    int provided, rank, ranks;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (argc < 5) {
        if (rank == 0)
            fprintf(
                stderr,
                "usage: cvseg_bench_kmeans N D K ITERATIONS [REPEATS] [CENTERS_OUT DATA_OUT]\n");
        MPI_Finalize();
        return 1;
    }
    const int64_t n_global = atoll(argv[1]);
    const int d = atoi(argv[2]), k = atoi(argv[3]), iterations = atoi(argv[4]);
    const int repeats = argc > 5 ? atoi(argv[5]) : 5;
    const cvseg_block block = cvseg_block_partition(n_global, ranks, rank);
    const int64_t n = block.count;
    double *z = malloc(sizeof(double) * (size_t)(n * d));
    int32_t *label = malloc(sizeof(int32_t) * (size_t)n);
    double *centres = malloc(sizeof(double) * (size_t)(k * d));
    double *start = malloc(sizeof(double) * (size_t)(k * d));
    /* Blobs: point g belongs to blob g % k; blob centres on a lattice. */
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const int64_t g = block.offset + i;
        for (int j = 0; j < d; ++j)
            z[(int64_t)j * n + i] =
                (double)((g % k + j) % 3) + 0.6 * cvseg_rng_normal(42, (uint64_t)j, (uint64_t)g);
    }
    for (int c = 0; c < k; ++c)
        for (int j = 0; j < d; ++j)
            start[c * d + j] =
                (double)((c + j) % 3) + 0.3 * cvseg_rng_normal(7, 99, (uint64_t)(c * d + j));
    if (argc > 7 && ranks == 1) {
        FILE *f = fopen(argv[6], "wb");
        fwrite(start, sizeof(double), (size_t)(k * d), f);
        fclose(f);
        f = fopen(argv[7], "wb");
        double *row = malloc(sizeof(double) * (size_t)d);
        for (int64_t i = 0; i < n; ++i) {
            for (int j = 0; j < d; ++j)
                row[j] = z[(int64_t)j * n + i];
            fwrite(row, sizeof(double), (size_t)d, f);
        }
        fclose(f);
        free(row);
    }
    double zmax = 0.0;
    for (int64_t t = 0; t < n * d; ++t)
        zmax = fmax(zmax, fabs(z[t]));
    MPI_Allreduce(MPI_IN_PLACE, &zmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    const cvseg_kmeans_exponents e = cvseg_kmeans_exponents_for(zmax, d);
    cvseg_kmeans_quantize(z, n, d, &e); /* as cvseg_mpi_kmeans does */
    cvseg_kmeans_partial partial;
    cvseg_kmeans_partial_alloc(&partial, k, d);
    double *per_iteration = malloc(sizeof(double) * (size_t)repeats);
    double *stream = malloc(sizeof(double) * (size_t)repeats);
    double inertia = 0.0, checksum = 0.0;
    for (int r = 0; r < repeats; ++r) {
        memcpy(centres, start, sizeof(double) * (size_t)(k * d));
        for (int64_t i = 0; i < n; ++i)
            label[i] = -1;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int it = 0; it < iterations; ++it) {
            cvseg_kmeans_partial_zero(&partial);
            cvseg_kmeans_assign(z, n, d, centres, k, &e, label, NULL, &partial);
            cvseg_mpi_kmeans_allreduce(MPI_COMM_WORLD, &partial);
            cvseg_kmeans_update(&partial, &e, centres);
        }
        double seconds = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        per_iteration[r] = 1e3 * seconds / iterations;
        inertia = cvseg_fixed_to_double(partial.inertia, e.distance);
        /* Streaming floor: read every value once. */
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        /* Four independent 4-wide sums per thread (16 doubles per step), so
         * the loop is bound by memory, not by the latency of an add chain. */
        double sum = 0.0;
        const int64_t total = n * d, blocks = total / 16;
#pragma omp parallel reduction(+ : sum)
        {
            floor_vector acc[4] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma omp for schedule(static)
            for (int64_t b = 0; b < blocks; ++b)
                for (int v = 0; v < 4; ++v) {
                    floor_vector lane;
                    memcpy(&lane, z + 16 * b + 4 * v, sizeof lane);
                    acc[v] += lane;
                }
            for (int v = 0; v < 4; ++v)
                sum += acc[v][0] + acc[v][1] + acc[v][2] + acc[v][3];
        }
        for (int64_t t = 16 * blocks; t < total; ++t)
            sum += z[t];
        double stream_seconds = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &stream_seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        stream[r] = 1e3 * stream_seconds;
        checksum += sum;
    }
    if (rank == 0)
        printf("{\"workload\": \"kmeans_kernel\", \"n\": %lld, \"d\": %d, \"k\": %d, "
               "\"iterations\": %d, \"ranks\": %d, \"threads\": %d, \"repeats\": %d, "
               "\"ms_per_iteration\": %.3f, \"stream_ms\": %.3f, \"ratio_to_stream\": %.2f, "
               "\"inertia\": %.17g, \"checksum\": %g}\n",
               (long long)n_global, d, k, iterations, ranks, omp_get_max_threads(), repeats,
               median(per_iteration, repeats), median(stream, repeats),
               median(per_iteration, repeats) / median(stream, repeats), inertia, checksum);
    cvseg_kmeans_partial_free(&partial);
    free(z);
    free(label);
    free(centres);
    free(start);
    free(per_iteration);
    free(stream);
    MPI_Finalize();
    return 0;
}
