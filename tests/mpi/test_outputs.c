/* test_outputs.c: a run's declared files (outputs.h) on 1, 2 and 4 ranks.
 *
 * Two outputs written through cvseg_writer_open / cvseg_writer_close and
 * committed together; a failure injected on the last rank only (in a write,
 * and at close) must give every rank the same EIO, leave both earlier files
 * byte-identical and leave no temporary or lock file; declaration errors
 * (the same file twice, a directory as output, a missing folder) agreed on
 * every rank before anything is created.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/outputs.h"
#include "cvseg/partition.h"
#include "cvseg/status.h"
#include "mpi_test_main.h"

/* Contents of path (rank 0 reads, every rank gets the checksum): FNV-1a of
 * the bytes, or 0 when missing. */
static uint64_t file_checksum(const char *path)
{
    uint64_t hash = 0;
    if (cvseg_test_rank == 0) {
        FILE *in = fopen(path, "rb");
        if (in) {
            hash = 1469598103934665603ULL;
            for (int c = fgetc(in); c != EOF; c = fgetc(in))
                hash = (hash ^ (uint64_t)c) * 1099511628211ULL;
            fclose(in);
        }
    }
    MPI_Bcast(&hash, 1, MPI_UINT64_T, 0, cvseg_test_comm);
    return hash;
}

/* 1 when no "<path>.tmp.*" or "<path>.lock" exists (checked on rank 0). */
static int nothing_left(const char *path)
{
    int clean = 1;
    if (cvseg_test_rank == 0) {
        char pattern[600];
        snprintf(pattern, sizeof pattern, "ls -d %s.tmp.* %s.lock >/dev/null 2>&1", path, path);
        clean = system(pattern) != 0;
    }
    MPI_Bcast(&clean, 1, MPI_INT, 0, cvseg_test_comm);
    return clean;
}

/* Writes n rows of one int64 column (value = row * scale) to output index;
 * the last rank reports inject as its write status. */
static cvseg_status write_output(cvseg_outputs *set, int index, int64_t n, int64_t scale,
                                 cvseg_status inject_write, cvseg_status inject_close)
{
    const cvseg_block block = cvseg_block_partition(n, cvseg_test_size, cvseg_test_rank);
    const int last = cvseg_test_rank == cvseg_test_size - 1;
    int64_t *values = malloc(sizeof(int64_t) * (size_t)(block.count > 0 ? block.count : 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(values);
    for (int64_t i = 0; i < block.count; ++i)
        values[i] = (block.offset + i) * scale;
    const cvseg_column column = {"value", CVSEG_T_I64, values, NULL, NULL};
    cvseg_writer *writer = NULL;
    cvseg_status status = cvseg_writer_open(set, index, &writer);
    if (status == CVSEG_OK) {
        status = cvseg_writer_columns(writer, "/t", n, block.offset, block.count, 1, &column);
        if (status == CVSEG_OK && last)
            status = inject_write;
        status = cvseg_mpi_agree(cvseg_test_comm, status);
        if (status == CVSEG_OK && last)
            status = inject_close;
        status = cvseg_writer_close(writer, status);
    }
    free(values);
    return status;
}

/* Runs one two-output set; returns the agreed status of finish. */
static cvseg_status two_outputs(const char *a, const char *b, int64_t scale,
                                cvseg_status inject_write, cvseg_status inject_close)
{
    const cvseg_file_decl files[2] = {{"--a", a, CVSEG_FILE_OUTPUT}, {"--b", b, CVSEG_FILE_OUTPUT}};
    cvseg_outputs *set = NULL;
    cvseg_status status = cvseg_outputs_open(cvseg_test_comm, "test_outputs", 2, files, &set);
    CU_ASSERT_EQUAL_FATAL(status, CVSEG_OK);
    status = write_output(set, 0, 1000, scale, CVSEG_OK, CVSEG_OK);
    if (status == CVSEG_OK)
        status = write_output(set, 1, 777, scale, inject_write, inject_close);
    return cvseg_outputs_finish(set, status);
}

static void remove_both(const char *a, const char *b)
{
    if (cvseg_test_rank == 0) {
        unlink(a);
        unlink(b);
    }
    MPI_Barrier(cvseg_test_comm);
}

static void test_commit_together(void)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "./mpi_outputs_a_np%d.h5", cvseg_test_size);
    snprintf(b, sizeof b, "./mpi_outputs_b_np%d.h5", cvseg_test_size);
    remove_both(a, b);
    cvseg_error_clear();
    CU_ASSERT_EQUAL_FATAL(two_outputs(a, b, 3, CVSEG_OK, CVSEG_OK), CVSEG_OK);
    const uint64_t first_a = file_checksum(a), first_b = file_checksum(b);
    CU_ASSERT(first_a != 0 && first_b != 0);
    CU_ASSERT(nothing_left(a) && nothing_left(b));

    /* A failure on the last rank in the second file's write, then at its
     * close: neither file is replaced, not even the complete first one. */
    const cvseg_status injected[2][2] = {{CVSEG_EIO, CVSEG_OK}, {CVSEG_OK, CVSEG_EIO}};
    for (int t = 0; t < 2; ++t) {
        if (injected[t][0] != CVSEG_OK || injected[t][1] != CVSEG_OK)
            CVSEG_FAIL(CVSEG_EIO, "injected failure on rank %d", cvseg_test_rank);
        const cvseg_status status = two_outputs(a, b, 5, injected[t][0], injected[t][1]);
        CU_ASSERT_EQUAL(status, CVSEG_EIO);
        CU_ASSERT(cvseg_test_same_i64(status));
        CU_ASSERT_EQUAL(file_checksum(a), first_a);
        CU_ASSERT_EQUAL(file_checksum(b), first_b);
        CU_ASSERT(nothing_left(a) && nothing_left(b));
        cvseg_error_clear();
    }
    /* A successful run replaces both. */
    CU_ASSERT_EQUAL(two_outputs(a, b, 7, CVSEG_OK, CVSEG_OK), CVSEG_OK);
    CU_ASSERT(file_checksum(a) != first_a && file_checksum(b) != first_b);
    CU_ASSERT(nothing_left(a) && nothing_left(b));
    remove_both(a, b);
}

/* Declaration errors: the status on every rank, nothing created. */
static void check_declaration(const cvseg_file_decl *files, int count, cvseg_status expected,
                              const char *text)
{
    cvseg_outputs *set = (cvseg_outputs *)&set; /* must be reset to NULL */
    cvseg_error_clear();
    const cvseg_status status =
        cvseg_outputs_open(cvseg_test_comm, "test_outputs", count, files, &set);
    CU_ASSERT_EQUAL(status, expected);
    CU_ASSERT(cvseg_test_same_i64(status));
    CU_ASSERT_PTR_NULL(set);
    CU_ASSERT_PTR_NOT_NULL(strstr(cvseg_error_message(), text));
    for (int i = 0; i < count; ++i)
        if (files[i].role != CVSEG_FILE_INPUT)
            CU_ASSERT(nothing_left(files[i].path));
    cvseg_error_clear();
}

static void test_declaration_errors(void)
{
    char dir[64], name[128], other[256];
    snprintf(dir, sizeof dir, "./mpi_outputs_dir_np%d", cvseg_test_size);
    snprintf(name, sizeof name, "%s/x.h5", dir);
    snprintf(other, sizeof other, "%s/../%s/x.h5", dir, dir + 2);
    if (cvseg_test_rank == 0)
        mkdir(dir, 0700);
    MPI_Barrier(cvseg_test_comm);
    const cvseg_file_decl same[2] = {{"--in", name, CVSEG_FILE_INPUT},
                                     {"--out", other, CVSEG_FILE_OUTPUT}};
    check_declaration(same, 2, CVSEG_EUSAGE, "name the same file");
    const cvseg_file_decl outputs_same[3] = {{"--out", name, CVSEG_FILE_OUTPUT},
                                             {"--summary", NULL, CVSEG_FILE_OUTPUT},
                                             {"--checkpoint", other, CVSEG_FILE_CHECKPOINT}};
    check_declaration(outputs_same, 3, CVSEG_EUSAGE, "name the same file");
    const cvseg_file_decl directory[1] = {{"--out", dir, CVSEG_FILE_OUTPUT}};
    check_declaration(directory, 1, CVSEG_EUSAGE, "is a directory");
    const cvseg_file_decl missing[1] = {
        {"--model", "./mpi_outputs_no_such_dir/m.h5", CVSEG_FILE_OUTPUT}};
    check_declaration(missing, 1, CVSEG_EIO, "does not exist");
    if (cvseg_test_rank == 0)
        rmdir(dir);
    MPI_Barrier(cvseg_test_comm);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"two outputs committed together or not at all", test_commit_together},
        {"declaration errors agreed before anything is created", test_declaration_errors},
        CU_TEST_INFO_NULL,
    };
    return cvseg_mpi_test_main(argc, argv, "mpi outputs", tests);
}
