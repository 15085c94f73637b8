/* hdf5_internal.h: what the io layer's files share about open HDF5 files. */
#ifndef CVSEG_HDF5_INTERNAL_H
#define CVSEG_HDF5_INTERNAL_H

#include <hdf5.h>

#include "cvseg/io.h"

/* The HDF5 file of an open reader (owned by the reader). */
hid_t cvseg__reader_file(const cvseg_reader *reader);

#endif
