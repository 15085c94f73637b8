/* main.c: process entry: MPI start and end around cvseg_main. */
#include <mpi.h>
#include <stdio.h>

#include "app.h"

int main(int argc, char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "cvseg: MPI initialisation failed\n");
        return cvseg_status_exit_code(CVSEG_EMPI);
    }
    const int exit_code = cvseg_main(argc, argv, MPI_COMM_WORLD);
    MPI_Finalize();
    return exit_code;
}
