/* version.c: the HDF5 library version for `cvseg --version`. */
#include "cvseg/version.h"

#include <hdf5.h>
#include <stdio.h>

void cvseg_io_hdf5_version(char *out, size_t capacity)
{
    unsigned major = 0, minor = 0, release = 0;
    if (capacity == 0)
        return;
    if (H5get_libversion(&major, &minor, &release) < 0) {
        snprintf(out, capacity, "HDF5 (version unknown)");
        return;
    }
    if (major == H5_VERS_MAJOR && minor == H5_VERS_MINOR && release == H5_VERS_RELEASE)
        snprintf(out, capacity, "HDF5 %u.%u.%u", major, minor, release);
    else
        snprintf(out, capacity, "HDF5 %u.%u.%u (compiled with %d.%d.%d)", major, minor, release,
                 H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
}
