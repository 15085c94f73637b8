/* app.c: verb dispatch, error printing and exit codes. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/collectives.h"

typedef struct {
    const char *name;
    cvseg_status (*run)(cvseg_app *app);
    const char *summary;
} app_verb;

static const app_verb app_verbs[] = {
    {"gen", cvseg_verb_gen, "generate a synthetic member table or transaction log"},
    {"import", cvseg_verb_import, "import CDNOW text or CSV into HDF5"},
    {"aggregate", cvseg_verb_aggregate, "aggregate a transaction log into a member table"},
    {"rfm", cvseg_verb_rfm, "features, exact statistics, quintile scores, segments, classes"},
    {"train", cvseg_verb_train, "rfm + K-Means clustering; writes results and a model"},
    {"sweep", cvseg_verb_sweep, "train over a range of k in one job; quality metrics per k"},
    {"score", cvseg_verb_score, "apply a trained model to a member snapshot"},
    {"report", cvseg_verb_report, "print the report of a results file"},
    {"clv", cvseg_verb_clv, "BG/NBD + Gamma-Gamma lifetime value from a transaction log"},
    {"export", cvseg_verb_export, "write a results file as CSV (parallel, exact numbers, .gz)"},
};
enum { APP_VERB_COUNT = sizeof app_verbs / sizeof app_verbs[0] };

static void app_print_usage(FILE *out)
{
    fprintf(out, "usage: cvseg VERB [options]    (under mpirun -np P, srun, or alone)\n\n"
                 "Customer value analysis at scale: RFM, LRFMC, segments, ABC, K-Means.\n\n"
                 "verbs:\n");
    for (int v = 0; v < APP_VERB_COUNT; ++v)
        fprintf(out, "  %-10s %s\n", app_verbs[v].name, app_verbs[v].summary);
    fprintf(out, "\n`cvseg VERB --help` lists a verb's options, `man cvseg` all of them;\n"
                 "`cvseg --version` the version and the MPI and HDF5 it runs with.\n"
                 "Exit codes: 0 ok, 1 usage, 2 bad input data, 3 I/O, 4 MPI, 5 not converged,\n"
                 "6 drift above threshold, 7 interrupted (checkpoint written), 70 internal.\n");
}

/* Runs verb v as `cvseg VERB --help` with its help written in format (the
 * verbs print on rank 0 and return before any communication). */
static cvseg_status app_verb_help(cvseg_app *app, int v, cvseg_help_format format)
{
    static char help_flag[] = "--help";
    static char *help_argv[] = {help_flag, NULL};
    app->verb = app_verbs[v].name;
    app->argc = 1;
    app->argv = help_argv;
    app->help_requested = 0;
    cvseg_options_help_format(format);
    const cvseg_status status = app_verbs[v].run(app);
    cvseg_options_help_format(CVSEG_HELP_TEXT);
    return status;
}

/* `cvseg --man`: the manual page on stdout, each verb's section from its own
 * --help. */
static cvseg_status app_write_man(cvseg_app *app)
{
    cvseg_status status = CVSEG_OK;
    if (app->rank == 0) {
        cvseg_man_begin(stdout);
        for (int v = 0; v < APP_VERB_COUNT; ++v)
            cvseg_man_verb(stdout, app_verbs[v].name, app_verbs[v].summary);
        cvseg_man_common_options(stdout);
    }
    for (int v = 0; v < APP_VERB_COUNT && status == CVSEG_OK; ++v)
        status = app_verb_help(app, v, CVSEG_HELP_ROFF);
    if (app->rank == 0)
        cvseg_man_end(stdout);
    return status;
}

/* `cvseg --help-markdown`: the README's option reference on stdout (the
 * synopsis, the common options, a table per verb), each verb's part from its
 * own --help. */
static cvseg_status app_write_markdown(cvseg_app *app)
{
    cvseg_status status = CVSEG_OK;
    if (app->rank == 0)
        cvseg_markdown_synopsis_begin(stdout);
    for (int v = 0; v < APP_VERB_COUNT && status == CVSEG_OK; ++v)
        status = app_verb_help(app, v, CVSEG_HELP_SYNOPSIS);
    if (app->rank == 0) {
        cvseg_markdown_synopsis_end(stdout);
        cvseg_markdown_common_options(stdout);
    }
    for (int v = 0; v < APP_VERB_COUNT && status == CVSEG_OK; ++v) {
        if (app->rank == 0)
            cvseg_markdown_verb(stdout, app_verbs[v].name, app_verbs[v].summary);
        status = app_verb_help(app, v, CVSEG_HELP_MARKDOWN);
        if (app->rank == 0)
            cvseg_markdown_verb_end(stdout);
    }
    return status;
}

/* CPUs in the union of the CPU sets of the ranks on this node, and those
 * ranks (*local); 0 and 0 when MPI failed. Collective over comm. */
static int app_node_cpus(MPI_Comm comm, int *local)
{
    cpu_set_t cpus;
    unsigned char bits[sizeof cpus];
    int count = 0;
    MPI_Comm node = MPI_COMM_NULL;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        CPU_ZERO(&cpus);
    memcpy(bits, &cpus, sizeof bits);
    *local = 0;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        if (MPI_Allreduce(MPI_IN_PLACE, bits, (int)sizeof bits, MPI_UNSIGNED_CHAR, MPI_BOR, node) ==
                MPI_SUCCESS &&
            MPI_Comm_size(node, local) == MPI_SUCCESS) {
            memcpy(&cpus, bits, sizeof cpus);
            count = CPU_COUNT(&cpus);
        }
        MPI_Comm_free(&node);
    }
    return count > 0 && *local > 0 ? count : 0;
}

/* OpenMP threads per rank when OMP_NUM_THREADS is not set. The OpenMP
 * runtime then starts one thread per CPU the process may run on, and ranks
 * that the launcher did not bind (--bind-to none, --oversubscribe, srun
 * without CPU binding) all see every CPU: P ranks on a node would start P x
 * CPUs threads, which spin against each other and against MPI (2 ranks on
 * 2 cores, rfm of 10 M members: 1.26 s, against 0.99 s with one thread
 * each). So when the node's ranks would run more threads than the CPUs
 * their sets cover together, each takes an equal share of those CPUs (at
 * least 1). Results do not depend on it. Collective over app->comm (every
 * rank takes part, whatever its environment). */
static void app_default_threads(cvseg_app *app)
{
    const char *set = getenv("OMP_NUM_THREADS");
    int local = 0;
    const int cpus = app_node_cpus(app->comm, &local);
    const int threads = omp_get_max_threads();
    if (!(set && set[0]) && cpus > 0 && (long)local * threads > cpus)
        omp_set_num_threads(cpus / local > 0 ? cpus / local : 1);
}

/* Fills app on a duplicate of world (rank, size, threads, the command line).
 * Returns 0, or the exit code of CVSEG_EMPI (4) with nothing left to free. */
static int app_open(cvseg_app *app, int argc, char **argv, MPI_Comm world)
{
    memset(app, 0, sizeof *app);
    app->start_time = cvseg_now();
    app->verbosity = 1;
    if (MPI_Comm_dup(world, &app->comm) != MPI_SUCCESS)
        return cvseg_status_exit_code(CVSEG_EMPI);
    if (MPI_Comm_set_errhandler(app->comm, MPI_ERRORS_RETURN) != MPI_SUCCESS ||
        MPI_Comm_rank(app->comm, &app->rank) != MPI_SUCCESS ||
        MPI_Comm_size(app->comm, &app->ranks) != MPI_SUCCESS) {
        MPI_Comm_free(&app->comm);
        return cvseg_status_exit_code(CVSEG_EMPI);
    }
    app_default_threads(app);
    app->threads = omp_get_max_threads();
    size_t used = 0;
    for (int a = 0; a < argc && used < sizeof app->command_line; ++a)
        used += (size_t)snprintf(app->command_line + used, sizeof app->command_line - used, "%s%s",
                                 a ? " " : "", argv[a]);
    return 0;
}

/* Handles a command line without a verb: none, --help, --version, --man,
 * --help-markdown. Returns 1 when it did (*status set), 0 for a verb. */
static int app_run_global(cvseg_app *app, int argc, char **argv, cvseg_status *status)
{
    *status = CVSEG_OK;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (app->rank == 0)
            app_print_usage(argc < 2 ? stderr : stdout);
        *status = argc < 2 ? CVSEG_EUSAGE : CVSEG_OK;
    } else if (strcmp(argv[1], "--version") == 0) {
        if (app->rank == 0)
            cvseg_print_version(stdout);
    } else if (strcmp(argv[1], "--man") == 0) /* undocumented: the build makes cvseg.1 with it */
        *status = app_write_man(app);
    else if (strcmp(argv[1], "--help-markdown") == 0) /* the README's option reference */
        *status = app_write_markdown(app);
    else
        return 0;
    return 1;
}

/* Runs the verb argv[1] with the arguments after it. */
static cvseg_status app_run_verb(cvseg_app *app, int argc, char **argv)
{
    const app_verb *verb = NULL;
    for (int v = 0; v < APP_VERB_COUNT; ++v)
        if (strcmp(argv[1], app_verbs[v].name) == 0)
            verb = &app_verbs[v];
    if (!verb) {
        char names[256] = "";
        size_t used = 0;
        for (int v = 0; v < APP_VERB_COUNT && used < sizeof names; ++v)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", v ? ", " : "",
                                     app_verbs[v].name);
        return CVSEG_FAIL(CVSEG_EUSAGE, "unknown verb '%s' (expected one of: %s; see cvseg --help)",
                          argv[1], names);
    }
    app->verb = verb->name;
    app->argc = argc - 2;
    app->argv = argv + 2;
    return verb->run(app);
}

/* Agrees on status, prints the error on rank 0, frees app; the exit code. */
static int app_close(cvseg_app *app, cvseg_status status)
{
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK && app->rank == 0) {
        if (app->verbosity >= 2)
            fprintf(stderr, "cvseg: error [%s at %s]: %s\n", cvseg_status_name(status),
                    cvseg_error_location(), cvseg_error_message());
        else
            fprintf(stderr, "cvseg: error: %s\n", cvseg_error_message());
    }
    cvseg_mpi_finalize();
    MPI_Comm_free(&app->comm);
    return cvseg_status_exit_code(status);
}

int cvseg_main(int argc, char **argv, MPI_Comm world)
{
    cvseg_app app;
    const int open_failed = app_open(&app, argc, argv, world);
    if (open_failed)
        return open_failed;
    cvseg_status status = cvseg_mpi_init(app.comm); /* MPI datatypes and ops, once per run */
    if (status == CVSEG_OK && !app_run_global(&app, argc, argv, &status))
        status = app_run_verb(&app, argc, argv);
    return app_close(&app, status);
}
