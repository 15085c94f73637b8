/* floors.c: the hardware floors a cvseg phase is compared with (benchmark,
 * not a test). Every rank takes part; times are the slowest rank's, between
 * two barriers, best of `repeats`. Prints one JSON line on rank 0.
 *
 *   cvseg_bench_floors read FILE [repeats]
 *       every rank reads its contiguous 1/P share of FILE's bytes with pread
 *       in 16 MiB blocks (what a block-partitioned parallel read must at least
 *       do; page cache as it is).
 *   cvseg_bench_floors read-fresh FILE [repeats]
 *       the same, each rank reading its whole share into one freshly
 *       allocated array, its pages populated in the timed region
 *       (MADV_POPULATE_WRITE), as a program's arrays must be: the floor of
 *       reading a table into memory (2-3x `read` on tmpfs).
 *   cvseg_bench_floors write FILE BYTES [repeats]
 *       every rank writes its 1/P share of BYTES into one shared FILE at its
 *       offset with pwrite, then fsyncs it (cvseg fsyncs every output before
 *       the rename); FILE is removed afterwards.
 *   cvseg_bench_floors alltoall BYTES [repeats]
 *       MPI_Alltoall in which every rank sends BYTES/P/P bytes to every rank
 *       (BYTES in total cross the communicator, as in aggregate's exchange
 *       of BYTES of records spread evenly over owners).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FLOORS_BLOCK = 16 << 20 };

typedef struct {
    int rank, ranks;
} floors_world;

/* [first, first + count) of total bytes for this rank (block partition). */
static void floors_share(const floors_world *world, int64_t total, int64_t *first, int64_t *count)
{
    int64_t base = total / world->ranks, extra = total % world->ranks;
    *first = world->rank * base + (world->rank < extra ? world->rank : extra);
    *count = base + (world->rank < extra ? 1 : 0);
}

static double floors_slowest(double seconds)
{
    double slowest = 0.0;
    MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return slowest;
}

/* One timed read (writing = 0) or write + fsync (writing = 1) of this rank's
 * share of path, in FLOORS_BLOCK pieces through buffer, or (fresh) into a
 * new array of the whole share; -1 on an I/O error. A write starts from a
 * removed file. */
static double floors_io_once(const floors_world *world, const char *path, int64_t total,
                             char *buffer, int writing, int fresh)
{
    int64_t first = 0, count = 0;
    floors_share(world, total, &first, &count);
    char *whole = fresh ? malloc((size_t)count + 1) : NULL;
    if (writing && world->rank == 0)
        unlink(path);
    MPI_Barrier(MPI_COMM_WORLD);
    int fd = fresh && !whole ? -1
             : writing       ? open(path, O_WRONLY | O_CREAT, 0644)
                             : open(path, O_RDONLY);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime(), seconds = -1.0;
#ifdef MADV_POPULATE_WRITE
    if (whole && count > (1 << 20)) /* pages in one call, as cvseg's arrays (10 % faster) */
        (void)madvise((void *)(((uintptr_t)whole + 4095) & ~(uintptr_t)4095), (size_t)count - 8192,
                      MADV_POPULATE_WRITE);
#endif
    int64_t done = 0;
    while (fd >= 0 && done < count) {
        size_t want = (size_t)(count - done < FLOORS_BLOCK ? count - done : FLOORS_BLOCK);
        ssize_t moved = writing
                            ? pwrite(fd, buffer, want, (off_t)(first + done))
                            : pread(fd, whole ? whole + done : buffer, want, (off_t)(first + done));
        if (moved <= 0)
            break;
        done += moved;
    }
    if (fd >= 0 && done == count && (!writing || fsync(fd) == 0))
        seconds = MPI_Wtime() - start;
    if (fd >= 0)
        close(fd);
    free(whole);
    return seconds;
}

/* One timed MPI_Alltoall of total bytes spread evenly over all pairs. */
static double floors_alltoall_once(const floors_world *world, int64_t total, char *send,
                                   char *receive)
{
    int per_pair = (int)(total / world->ranks / world->ranks);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    int rc = MPI_Alltoall(send, per_pair, MPI_BYTE, receive, per_pair, MPI_BYTE, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? MPI_Wtime() - start : -1.0;
}

static int floors_usage(void)
{
    fprintf(stderr, "usage: cvseg_bench_floors read|read-fresh FILE [repeats] | write FILE BYTES "
                    "[repeats] | alltoall BYTES [repeats]\n");
    return 2;
}

/* Runs `mode` repeats times; best (smallest slowest-rank) time, or -1. */
static double floors_best(const floors_world *world, const char *mode, const char *path,
                          int64_t total, int repeats)
{
    int64_t buffer_bytes = FLOORS_BLOCK;
    if (strcmp(mode, "alltoall") == 0)
        buffer_bytes = total / world->ranks + 1;
    char *a = malloc((size_t)buffer_bytes), *b = malloc((size_t)buffer_bytes);
    double best = -1.0;
    if (a != NULL && b != NULL) {
        memset(a, 7, (size_t)buffer_bytes);
        for (int r = 0; r < repeats; r++) {
            double seconds = -1.0;
            if (strcmp(mode, "alltoall") != 0)
                seconds = floors_io_once(world, path, total, a, strcmp(mode, "write") == 0,
                                         strcmp(mode, "read-fresh") == 0);
            else
                seconds = floors_alltoall_once(world, total, a, b);
            double failed = seconds < 0 ? 1.0 : 0.0, any_failed = 0.0;
            MPI_Allreduce(&failed, &any_failed, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            seconds = any_failed > 0 ? -1.0 : floors_slowest(seconds);
            if (seconds >= 0 && (best < 0 || seconds < best))
                best = seconds;
        }
    }
    free(a);
    free(b);
    if (strcmp(mode, "write") == 0 && world->rank == 0)
        unlink(path);
    return best;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    floors_world world;
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.ranks);
    int rc = 0;
    const char *mode = argc > 1 ? argv[1] : "";
    const char *path = NULL;
    int64_t total = 0;
    int repeats = 3;
    if ((strcmp(mode, "read") == 0 || strcmp(mode, "read-fresh") == 0) && argc >= 3) {
        struct stat info;
        path = argv[2];
        total = stat(path, &info) == 0 ? (int64_t)info.st_size : -1;
        repeats = argc > 3 ? atoi(argv[3]) : repeats;
    } else if (strcmp(mode, "write") == 0 && argc >= 4) {
        path = argv[2];
        total = atoll(argv[3]);
        repeats = argc > 4 ? atoi(argv[4]) : repeats;
    } else if (strcmp(mode, "alltoall") == 0 && argc >= 3) {
        total = atoll(argv[2]);
        repeats = argc > 3 ? atoi(argv[3]) : repeats;
    } else {
        rc = world.rank == 0 ? floors_usage() : 2;
    }
    if (rc == 0 && (total <= 0 || repeats < 1)) {
        if (world.rank == 0)
            fprintf(stderr, "cvseg_bench_floors: nothing to measure (bytes %lld)\n",
                    (long long)total);
        rc = 2;
    }
    if (rc == 0) {
        double best = floors_best(&world, mode, path, total, repeats);
        if (world.rank == 0)
            printf(
                "{\"workload\": \"floor_%s\", \"bytes\": %lld, \"ranks\": %d, \"seconds\": %.6f, "
                "\"gb_per_second\": %.3f}\n",
                mode, (long long)total, world.ranks, best, best > 0 ? total / best / 1e9 : 0.0);
        rc = best < 0 ? 3 : 0;
    }
    MPI_Finalize();
    return rc;
}
