/* provenance.c: who made an output, from what, how. */
#include "provenance.h"

#include "cvseg/collectives.h"

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

void cvseg_utc_now(char out[32])
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* What rank 0 learns about the input file and shares (one MPI_Bcast). */
enum { PROVENANCE_INPUT_SIZE, PROVENANCE_INPUT_MTIME, PROVENANCE_INPUT_FIELDS };

cvseg_status cvseg_provenance_write(const cvseg_app *app, cvseg_writer *writer, const char *group,
                                    const char *input_path, uint64_t seed)
{
    char start[32], end[32];
    time_t started = time(NULL) - (time_t)(cvseg_now() - app->start_time);
    struct tm utc;
    gmtime_r(&started, &utc);
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &utc);
    cvseg_utc_now(end);
    /* Every rank must write the same values: take rank 0's clock. */
    cvseg_status status =
        cvseg_mpi_check(MPI_Bcast(start, sizeof start, MPI_CHAR, 0, app->comm), "start time");
    const cvseg_status end_status =
        cvseg_mpi_check(MPI_Bcast(end, sizeof end, MPI_CHAR, 0, app->comm), "end time");
    status = cvseg_mpi_agree(app->comm, status == CVSEG_OK ? end_status : status);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "engine_version", "cvseg " CVSEG_VERSION);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "command_line", app->command_line);
    if (status == CVSEG_OK && input_path) {
        struct stat info;
        int64_t input[PROVENANCE_INPUT_FIELDS] = {
            [PROVENANCE_INPUT_SIZE] = -1, [PROVENANCE_INPUT_MTIME] = -1};
        if (app->rank == 0 && stat(input_path, &info) == 0) {
            input[PROVENANCE_INPUT_SIZE] = (int64_t)info.st_size;
            input[PROVENANCE_INPUT_MTIME] = (int64_t)info.st_mtime;
        }
        status = cvseg_mpi_check(
            MPI_Bcast(input, PROVENANCE_INPUT_FIELDS, MPI_INT64_T, 0, app->comm), "input size");
        status = cvseg_mpi_agree(app->comm, status);
        if (status == CVSEG_OK)
            status = cvseg_writer_attr_str(writer, group, "input_file", input_path);
        if (status == CVSEG_OK)
            status =
                cvseg_writer_attr_i64(writer, group, "input_size", input[PROVENANCE_INPUT_SIZE]);
        if (status == CVSEG_OK)
            status =
                cvseg_writer_attr_i64(writer, group, "input_mtime", input[PROVENANCE_INPUT_MTIME]);
    }
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, group, "ranks", app->ranks);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i32(writer, group, "threads", app->threads);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_i64(writer, group, "seed", (int64_t)seed);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "start_time", start);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, group, "end_time", end);
    return status;
}
