/* checkpoint.c: K-Means checkpoint files and the signals that request them.
 *
 * Layout: group /checkpoint with attributes schema ("cvseg.checkpoint/1"),
 * fingerprint (hex of the 64-bit hash of data and settings), restart,
 * iteration, have_best, best_inertia, best_iterations, best_converged,
 * best_restart, empty_repairs, lloyd_iterations, lloyd_seconds; datasets
 * centres [k][d], best_centres [k][d], and label [members scored] (int32, in
 * global row order, so a run may resume on another number of ranks). Written
 * to the temporary of the run's declared checkpoint (locked for the whole
 * run) and renamed at once: a kill during the write leaves the last complete
 * checkpoint.
 */
#include <inttypes.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "pipeline.h"

static volatile sig_atomic_t checkpoint_signal_arrived = 0;

static void checkpoint_on_signal(int number)
{
    (void)number;
    checkpoint_signal_arrived = 1;
}

void cvseg_checkpoint_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = checkpoint_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGUSR1, &action, NULL);
}

int cvseg_checkpoint_signalled(void)
{
    return checkpoint_signal_arrived != 0;
}

void cvseg_checkpoint_free(cvseg_kmeans_state *state)
{
    free(state->centres);
    free(state->best_centres);
    free(state->label);
    memset(state, 0, sizeof *state);
}

cvseg_status cvseg_checkpoint_write(cvseg_app *app, cvseg_outputs *outputs, uint64_t fingerprint,
                                    int k, int d, int64_t n_local, const cvseg_kmeans_state *state)
{
    cvseg_writer *writer = NULL;
    int64_t offset = 0, total = 0;
    char hex[32];
    snprintf(hex, sizeof hex, "%016" PRIx64, fingerprint);
    cvseg_status status = cvseg_mpi_exscan_i64(app->comm, n_local, &offset, &total);
    if (status == CVSEG_OK)
        status = cvseg_writer_open(outputs, CVSEG_JOB_CHECKPOINT, &writer);
    if (status != CVSEG_OK)
        return status;
    const int64_t dims[2] = {k, d};
    const cvseg_column label = {"label", CVSEG_T_I32, state->label, NULL, NULL};
    status = cvseg_writer_columns(writer, "/checkpoint", total, offset,
                                  state->iteration > 0 ? n_local : 0, 1, &label);
#define ATTR(kind, name, value)                                                                    \
    if (status == CVSEG_OK)                                                                        \
    status = cvseg_writer_attr_##kind(writer, "/checkpoint", name, value)
    ATTR(str, "schema", "cvseg.checkpoint/1");
    ATTR(str, "fingerprint", hex);
    ATTR(i32, "restart", state->restart);
    ATTR(i32, "iteration", state->iteration);
    ATTR(i32, "have_best", state->have_best);
    ATTR(f64, "best_inertia", state->have_best ? state->best_inertia : 0.0);
    ATTR(i32, "best_iterations", state->best_iterations);
    ATTR(i32, "best_converged", state->best_converged);
    ATTR(i32, "best_restart", state->best_restart);
    ATTR(i64, "empty_repairs", state->empty_repairs);
    ATTR(i64, "lloyd_iterations", state->lloyd_iterations);
    ATTR(f64, "lloyd_seconds", state->lloyd_seconds);
#undef ATTR
    if (status == CVSEG_OK)
        status =
            cvseg_writer_small(writer, "/checkpoint/centres", CVSEG_T_F64, 2, dims, state->centres);
    if (status == CVSEG_OK)
        status = cvseg_writer_small(writer, "/checkpoint/best_centres", CVSEG_T_F64, 2, dims,
                                    state->best_centres);
    status = cvseg_writer_close(writer, status);
    return cvseg_outputs_replace(outputs, CVSEG_JOB_CHECKPOINT, status);
}

/* EDATA unless a centres dataset has the shape [k][d] and finite values. */
static cvseg_status checkpoint_check_centres(const char *path, const char *name,
                                             const int64_t dims[2], int k, int d,
                                             const double *centres)
{
    if (dims[0] != k || dims[1] != d)
        return CVSEG_FAIL(CVSEG_EDATA,
                          "file '%s', dataset '/checkpoint/%s': shape [%lld][%lld], this run "
                          "needs [%d][%d] (k x features)",
                          path, name, (long long)dims[0], (long long)dims[1], k, d);
    for (int t = 0; t < k * d; ++t)
        if (!isfinite(centres[t]))
            return CVSEG_FAIL(CVSEG_EDATA,
                              "file '%s', dataset '/checkpoint/%s': value %d is not finite", path,
                              name, t);
    return CVSEG_OK;
}

/* EDATA unless the counters of a checkpoint are in range. */
static cvseg_status checkpoint_check_state(const char *path, const cvseg_kmeans_state *state)
{
    const int flags_ok = (state->have_best == 0 || state->have_best == 1) &&
                         (state->best_converged == 0 || state->best_converged == 1);
    const int counts_ok = state->restart >= 0 && state->iteration >= 0 &&
                          state->best_iterations >= 0 &&
                          (state->best_restart >= 0 || !state->have_best) &&
                          state->empty_repairs >= 0 && state->lloyd_iterations >= 0;
    const int inertia_ok =
        !state->have_best || (isfinite(state->best_inertia) && state->best_inertia >= 0.0);
    if (!flags_ok || !counts_ok || !inertia_ok)
        return CVSEG_FAIL(CVSEG_EDATA,
                          "file '%s', group '/checkpoint': counters out of range (restart %d, "
                          "iteration %d, have_best %d, best_restart %d, best_inertia %g)",
                          path, state->restart, state->iteration, state->have_best,
                          state->best_restart, state->best_inertia);
    return CVSEG_OK;
}

/* EDATA naming the first row whose label is outside 0..k-1. Local. */
static cvseg_status checkpoint_check_labels(const char *path, const int32_t *label, int64_t n,
                                            int64_t offset, int k)
{
    for (int64_t i = 0; i < n; ++i)
        if (label[i] < 0 || label[i] >= k)
            return CVSEG_FAIL(CVSEG_EDATA,
                              "file '%s', dataset '/checkpoint/label', row %lld: label %d is "
                              "outside 0..%d",
                              path, (long long)(offset + i), label[i], k - 1);
    return CVSEG_OK;
}

/* *exists := 1 when rank 0 can open path (the answer on every rank).
 * Collective. */
static cvseg_status checkpoint_probe(cvseg_app *app, const char *path, int *exists)
{
    *exists = 0;
    if (app->rank == 0) {
        FILE *probe = fopen(path, "rb");
        *exists = probe != NULL;
        if (probe)
            fclose(probe);
    }
    return cvseg_mpi_agree(app->comm, cvseg_mpi_check(MPI_Bcast(exists, 1, MPI_INT, 0, app->comm),
                                                      "checkpoint probe"));
}

/* Allocates state's arrays (centres [k][d], best_centres [k][d], label
 * [n_local]) and reads the attributes: fingerprint (EUSAGE when it is not
 * `hex`), then the counters, checked. Collective. */
static cvseg_status checkpoint_read_attributes(cvseg_app *app, cvseg_reader *reader,
                                               const char *path, const char *hex, int k, int d,
                                               int64_t n_local, cvseg_kmeans_state *state)
{
    cvseg_status status = CVSEG_OK;
    char text[64];
    int present = 0;
    state->centres = malloc(sizeof(double) * (size_t)(k * d));
    state->best_centres = malloc(sizeof(double) * (size_t)(k * d));
    state->label = malloc(sizeof(int32_t) * (size_t)(n_local > 0 ? n_local : 1));
    if (!state->centres || !state->best_centres || !state->label)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    if (status == CVSEG_OK)
        status = cvseg_reader_attr_str(reader, "/checkpoint", "fingerprint", text, sizeof text,
                                       &present);
    if (status == CVSEG_OK && !present)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': not a cvseg checkpoint (no /checkpoint)", path);
    if (status == CVSEG_OK && strcmp(text, hex) != 0)
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "checkpoint '%s' was written for other data or settings (fingerprint "
                            "%s, this run %s); remove it or drop --resume",
                            path, text, hex);
#define GET(kind, name, target)                                                                    \
    if (status == CVSEG_OK)                                                                        \
    status = cvseg_reader_attr_##kind(reader, "/checkpoint", name, target, &present)
    GET(i32, "restart", &state->restart);
    GET(i32, "iteration", &state->iteration);
    GET(i32, "have_best", &state->have_best);
    GET(f64, "best_inertia", &state->best_inertia);
    GET(i32, "best_iterations", &state->best_iterations);
    GET(i32, "best_converged", &state->best_converged);
    GET(i32, "best_restart", &state->best_restart);
    GET(i64, "empty_repairs", &state->empty_repairs);
    GET(i64, "lloyd_iterations", &state->lloyd_iterations);
    GET(f64, "lloyd_seconds", &state->lloyd_seconds);
#undef GET
    if (status == CVSEG_OK)
        status = checkpoint_check_state(path, state);
    return cvseg_mpi_agree(app->comm, status);
}

/* Reads and checks the centres, best centres and (after iteration 0) this
 * rank's labels: rows offset..offset+n_local-1 of total. Collective. */
static cvseg_status checkpoint_read_arrays(cvseg_app *app, cvseg_reader *reader, const char *path,
                                           int k, int d, int64_t n_local, int64_t offset,
                                           int64_t total, cvseg_kmeans_state *state)
{
    static const char *const label_column[1] = {"label"};
    int64_t rows = 0, dims[2];
    cvseg_status status =
        cvseg_reader_small(reader, "/checkpoint/centres", CVSEG_T_F64, k * d, dims, state->centres);
    if (status == CVSEG_OK)
        status = checkpoint_check_centres(path, "centres", dims, k, d, state->centres);
    if (status == CVSEG_OK)
        status = cvseg_reader_small(reader, "/checkpoint/best_centres", CVSEG_T_F64, k * d, dims,
                                    state->best_centres);
    if (status == CVSEG_OK && state->have_best)
        status = checkpoint_check_centres(path, "best_centres", dims, k, d, state->best_centres);
    if (status == CVSEG_OK)
        status = cvseg_reader_table(reader, "/checkpoint", label_column, 1, &rows);
    if (status == CVSEG_OK && state->iteration > 0 && rows != total)
        status = CVSEG_FAIL(CVSEG_EUSAGE, "checkpoint '%s' holds %lld labels for %lld members",
                            path, (long long)rows, (long long)total);
    status = cvseg_mpi_agree(app->comm, status);
    if (status == CVSEG_OK && state->iteration > 0)
        status = cvseg_reader_column(reader, "/checkpoint", "label", CVSEG_T_I32, offset, n_local,
                                     state->label);
    if (status == CVSEG_OK && state->iteration > 0)
        status = checkpoint_check_labels(path, state->label, n_local, offset, k);
    return cvseg_mpi_agree(app->comm, status);
}

cvseg_status cvseg_checkpoint_read(cvseg_app *app, const char *path, uint64_t fingerprint, int k,
                                   int d, int64_t n_local, cvseg_kmeans_state *state, int *found)
{
    cvseg_reader *reader = NULL;
    char hex[32];
    int exists = 0;
    int64_t offset = 0, total = 0;
    memset(state, 0, sizeof *state);
    *found = 0;
    snprintf(hex, sizeof hex, "%016" PRIx64, fingerprint);
    cvseg_status status = checkpoint_probe(app, path, &exists);
    if (status != CVSEG_OK || !exists)
        return status;
    status = cvseg_mpi_exscan_i64(app->comm, n_local, &offset, &total);
    if (status == CVSEG_OK)
        status = cvseg_reader_open(app->comm, path, &reader);
    if (status != CVSEG_OK)
        return status;
    status = checkpoint_read_attributes(app, reader, path, hex, k, d, n_local, state);
    if (status == CVSEG_OK)
        status = checkpoint_read_arrays(app, reader, path, k, d, n_local, offset, total, state);
    cvseg_reader_close(reader);
    if (status == CVSEG_OK)
        *found = 1;
    else
        cvseg_checkpoint_free(state);
    return status;
}
