/* fuzz_files.h: shared by the HDF5 file harnesses: MPI started once as a
 * singleton, the input bytes written to a private temporary file. */
#ifndef CVSEG_FUZZ_FILES_H
#define CVSEG_FUZZ_FILES_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"

static char fuzz_path[4096];
static cvseg_app fuzz_app;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int provided = 0;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    memset(&fuzz_app, 0, sizeof fuzz_app);
    MPI_Comm_dup(MPI_COMM_WORLD, &fuzz_app.comm);
    MPI_Comm_set_errhandler(fuzz_app.comm, MPI_ERRORS_RETURN);
    fuzz_app.ranks = 1;
    fuzz_app.threads = 1;
    fuzz_app.verb = "fuzz";
    /* In $TMPDIR (run_fuzz.py: its work folder), since a crash leaves the file. */
    const char *folder = getenv("TMPDIR");
    snprintf(fuzz_path, sizeof fuzz_path, "%s/cvseg_fuzz_%ld.h5",
             folder && *folder ? folder : "/tmp", (long)getpid());
    return 0;
}

/* Writes the input to fuzz_path; 0 on success. */
static int fuzz_write_input(const uint8_t *data, size_t size)
{
    FILE *file = fopen(fuzz_path, "wb");
    if (!file)
        return -1;
    const int ok = fwrite(data, 1, size, file) == size;
    return fclose(file) == 0 && ok ? 0 : -1;
}

#endif
