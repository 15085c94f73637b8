/* version.h: versions of the libraries the engine runs with (io layer).
 * Kept apart from io.h so that --version needs no file or communicator. */
#ifndef CVSEG_VERSION_H
#define CVSEG_VERSION_H

#include <stddef.h>

/* Writes "HDF5 X.Y.Z" of the library loaded at run time (H5get_libversion),
 * plus "(compiled with A.B.C)" when the headers it was built with differ,
 * into out[capacity] (always NUL-terminated). Not collective; no MPI. */
void cvseg_io_hdf5_version(char *out, size_t capacity);

#endif
