/* mpi_test_main.h: a CUnit main for MPI tests (every rank runs the suite).
 *
 * Every rank runs the same tests in the same order (the tests make the same
 * collective calls on every rank; a failed assertion never skips a
 * collective). Rank 0 prints CUnit's verbose report; the other ranks run
 * silently and print their own failures afterwards, prefixed by their rank.
 * The failure flags of all ranks are combined with MPI_Allreduce(MAX), so
 * every rank exits with the same non-zero code when any rank failed.
 *
 * A watchdog (CVSEG_TEST_WATCHDOG seconds, default 60, 0 = off) ends a rank
 * that hangs in a collective, so that a missing agreement shows as a quick
 * failure instead of a ctest timeout.
 *
 * The tested functions get cvseg_test_comm, a duplicate of MPI_COMM_WORLD
 * with MPI_ERRORS_RETURN; nothing here hands them MPI_COMM_WORLD itself.
 */
#ifndef CVSEG_MPI_TEST_MAIN_H
#define CVSEG_MPI_TEST_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"

static MPI_Comm cvseg_test_comm = MPI_COMM_NULL;
static int cvseg_test_rank = 0;
static int cvseg_test_size = 1;

/* "./mpi_<stem>_np<P>.h5": unique per test and number of ranks, in the working
 * directory (ctest runs in the build's tests folder). */
static inline void cvseg_test_path(char *buffer, size_t size, const char *stem)
{
    snprintf(buffer, size, "./mpi_%s_np%d.h5", stem, cvseg_test_size);
}

/* 1 when value is the same on every rank of cvseg_test_comm. */
static inline int cvseg_test_same_i64(int64_t value)
{
    int64_t extremes[2] = {-value, value};
    MPI_Allreduce(MPI_IN_PLACE, extremes, 2, MPI_INT64_T, MPI_MAX, cvseg_test_comm);
    return -extremes[0] == extremes[1];
}

/* Sum of value over the ranks of cvseg_test_comm. */
static inline int64_t cvseg_test_sum_i64(int64_t value)
{
    MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_SUM, cvseg_test_comm);
    return value;
}

/* 1 when flag is non-zero on every rank. */
static inline int cvseg_test_all(int flag)
{
    int all = flag != 0;
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, cvseg_test_comm);
    return all;
}

static inline void cvseg_test_watchdog_fired(int signal_number)
{
    static const char text[] = "mpi test watchdog: a rank hung (collective without agreement?)\n";
    (void)signal_number;
    if (write(STDERR_FILENO, text, sizeof text - 1) < 0) {
        /* nothing more can be done */
    }
    _exit(124);
}

static inline int cvseg_mpi_run_cunit(const char *suite_name, CU_TestInfo *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_SuiteInfo suites[] = {{suite_name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(cvseg_test_rank == 0 ? CU_BRM_VERBOSE : CU_BRM_SILENT);
    /* CUnit's basic runner prints its summary even when silent: ranks other
     * than 0 send its stdout to /dev/null and list their failures below. */
    int saved_stdout = -1;
    if (cvseg_test_rank != 0) {
        fflush(stdout);
        saved_stdout = dup(STDOUT_FILENO);
        FILE *null_device = fopen("/dev/null", "w");
        if (saved_stdout >= 0 && null_device)
            dup2(fileno(null_device), STDOUT_FILENO);
        if (null_device)
            fclose(null_device);
    }
    CU_basic_run_tests();
    if (saved_stdout >= 0) {
        fflush(stdout);
        dup2(saved_stdout, STDOUT_FILENO);
        close(saved_stdout);
    }
    if (cvseg_test_rank != 0) {
        for (CU_pFailureRecord f = CU_get_failure_list(); f; f = f->pNext)
            printf("[rank %d] %s: %s:%u: %s\n", cvseg_test_rank, f->pTest ? f->pTest->pName : "?",
                   f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                   f->strCondition ? f->strCondition : "?");
        fflush(stdout);
    }
    const unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    const int framework_error = CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return framework_error ? 2 : failed > 0 ? 1 : 0;
}

static inline int cvseg_mpi_test_main(int argc, char **argv, const char *suite_name,
                                      CU_TestInfo *tests)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 2;
    MPI_Comm_dup(MPI_COMM_WORLD, &cvseg_test_comm);
    MPI_Comm_set_errhandler(cvseg_test_comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(cvseg_test_comm, &cvseg_test_rank);
    MPI_Comm_size(cvseg_test_comm, &cvseg_test_size);
    const char *watchdog = getenv("CVSEG_TEST_WATCHDOG");
    const unsigned seconds = watchdog ? (unsigned)strtoul(watchdog, NULL, 10) : 60u;
    if (seconds > 0) {
        signal(SIGALRM, cvseg_test_watchdog_fired);
        alarm(seconds);
    }
    int failed = provided < MPI_THREAD_FUNNELED ? 2 : cvseg_mpi_run_cunit(suite_name, tests);
    int worst = failed;
    MPI_Allreduce(&failed, &worst, 1, MPI_INT, MPI_MAX, cvseg_test_comm);
    alarm(0);
    if (cvseg_test_rank == 0)
        printf("%s at np %d: %s\n", suite_name, cvseg_test_size,
               worst == 0 ? "all ranks passed" : "FAILED on some rank");
    MPI_Comm_free(&cvseg_test_comm);
    MPI_Finalize();
    return worst;
}

#endif
