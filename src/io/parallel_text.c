/* parallel_text.c: appending every rank's bytes to one file with MPI-IO. */
#include "cvseg/parallel_text.h"

#include <stdio.h>
#include <stdlib.h>

#include "cvseg/collectives.h"

/* Bytes of one collective write per rank (below INT_MAX). */
#define PARALLEL_TEXT_PIECE ((int64_t)1 << 30)

struct cvseg_parallel_text {
    MPI_Comm comm;
    MPI_File handle;
    int64_t size;
    char label[4096];
};

static cvseg_status parallel_text_failure(const cvseg_parallel_text *file, int code,
                                          const char *what)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int length = 0;
    MPI_Error_string(code, text, &length);
    return CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot %s: %s", file->label, what, text);
}

cvseg_status cvseg_parallel_text_open(MPI_Comm comm, const char *path, const char *label,
                                      cvseg_parallel_text **file)
{
    cvseg_status status = CVSEG_OK;
    cvseg_parallel_text *f = calloc(1, sizeof *f);
    *file = NULL;
    if (!f)
        return cvseg_mpi_agree(comm, CVSEG_FAIL(CVSEG_ENOMEM, "out of memory"));
    f->comm = comm;
    f->handle = MPI_FILE_NULL;
    snprintf(f->label, sizeof f->label, "%s", label);
    int code =
        MPI_File_open(comm, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &f->handle);
    if (code != MPI_SUCCESS)
        status = parallel_text_failure(f, code, "create");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK && (code = MPI_File_set_size(f->handle, 0)) != MPI_SUCCESS)
        status = parallel_text_failure(f, code, "truncate");
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        *file = f;
    else
        cvseg_parallel_text_close(f, status);
    return status;
}

cvseg_status cvseg_parallel_text_append(cvseg_parallel_text *file, const char *data, int64_t length)
{
    int64_t before = 0, total = 0;
    cvseg_status status = cvseg_mpi_exscan_i64(file->comm, length, &before, &total);
    int64_t rounds = (length + PARALLEL_TEXT_PIECE - 1) / PARALLEL_TEXT_PIECE;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_INT64_T, MPI_MAX, file->comm),
            "write planning");
    for (int64_t round = 0; round < rounds && status == CVSEG_OK; ++round) {
        const int64_t done = round * PARALLEL_TEXT_PIECE;
        const int64_t left = length - done > 0 ? length - done : 0;
        const int count = (int)(left < PARALLEL_TEXT_PIECE ? left : PARALLEL_TEXT_PIECE);
        MPI_Status result;
        int written = 0;
        const int code =
            MPI_File_write_at_all(file->handle, file->size + before + done,
                                  count > 0 ? data + done : data, count, MPI_BYTE, &result);
        if (code != MPI_SUCCESS)
            status = parallel_text_failure(file, code, "write");
        else if (MPI_Get_count(&result, MPI_BYTE, &written) != MPI_SUCCESS || written != count)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': short write (%d of %d bytes)", file->label,
                                written, count);
        status = cvseg_mpi_agree(file->comm, status);
    }
    if (status == CVSEG_OK)
        file->size += total;
    return status;
}

int64_t cvseg_parallel_text_size(const cvseg_parallel_text *file)
{
    return file->size;
}

cvseg_status cvseg_parallel_text_close(cvseg_parallel_text *file, cvseg_status status)
{
    if (!file)
        return status;
    if (file->handle != MPI_FILE_NULL) {
        const int code = MPI_File_close(&file->handle);
        if (code != MPI_SUCCESS && status == CVSEG_OK)
            status = parallel_text_failure(file, code, "close");
    }
    status = cvseg_mpi_agree(file->comm, status);
    free(file);
    return status;
}
