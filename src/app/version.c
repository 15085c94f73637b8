/* version.c: `cvseg --version`: the engine's version and git revision, and
 * the MPI, HDF5 and OpenMP it runs with (what an admin needs in a ticket). */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cvseg/version.h"
#include "cvseg_revision.h" /* generated at build time: CVSEG_GIT_REVISION */

void cvseg_print_version(FILE *out)
{
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    char hdf5[128];
    int length = 0;
    if (MPI_Get_library_version(mpi, &length) != MPI_SUCCESS)
        snprintf(mpi, sizeof mpi, "(version unknown)");
    mpi[strcspn(mpi, "\n")] = '\0'; /* first line: Open MPI's is "Open MPI v4.1.4, package: ..." */
    int mpi_major = 0, mpi_minor = 0;
    MPI_Get_version(&mpi_major, &mpi_minor);
    cvseg_io_hdf5_version(hdf5, sizeof hdf5);
    fprintf(out, "cvseg %s (git %s)\n", CVSEG_VERSION, CVSEG_GIT_REVISION);
    fprintf(out, "MPI %d.%d: %s\n", mpi_major, mpi_minor, mpi);
    fprintf(out, "%s (parallel)\n", hdf5);
    fprintf(out, "OpenMP %d\n", _OPENMP);
}
