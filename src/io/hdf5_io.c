/* hdf5_io.c: collective column reads and writes with parallel HDF5. */
#define _GNU_SOURCE /* fallocate */
#include "cvseg/io.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvseg/collectives.h"
#include "hdf5_internal.h"

#define HDF5_IO_CHUNK_ROWS_MAX (1024 * 1024)

struct cvseg_writer {
    MPI_Comm comm;
    int rank;
    hid_t file;
    cvseg_outputs *set;       /* the run's outputs (temporary name, reserves) */
    cvseg_outputs *owned_set; /* cvseg_writer_create: a set of its own */
    int reserve_fd;           /* rank 0: the temporary, for reservations and sync */
    int64_t planned_bytes;    /* data bytes of the datasets defined so far */
    char target[4096];        /* as given, for messages */
    char temporary[4096];
};

struct cvseg_reader {
    MPI_Comm comm;
    hid_t file;
    char path[4096];
};

size_t cvseg_type_size(cvseg_type type)
{
    switch (type) {
    case CVSEG_T_I64:
    case CVSEG_T_F64:
        return 8;
    case CVSEG_T_I32:
    case CVSEG_T_F32:
        return 4;
    case CVSEG_T_I16:
    case CVSEG_T_U16:
        return 2;
    case CVSEG_T_U8:
        return 1;
    }
    return 0;
}

static hid_t hdf5_io_native_type(cvseg_type type)
{
    switch (type) {
    case CVSEG_T_I64:
        return H5T_NATIVE_INT64;
    case CVSEG_T_I32:
        return H5T_NATIVE_INT32;
    case CVSEG_T_I16:
        return H5T_NATIVE_INT16;
    case CVSEG_T_U16:
        return H5T_NATIVE_UINT16;
    case CVSEG_T_U8:
        return H5T_NATIVE_UINT8;
    case CVSEG_T_F64:
        return H5T_NATIVE_DOUBLE;
    case CVSEG_T_F32:
        return H5T_NATIVE_FLOAT;
    }
    return H5I_INVALID_HID;
}

static int hdf5_io_is_float(cvseg_type type)
{
    return type == CVSEG_T_F64 || type == CVSEG_T_F32;
}

static hid_t hdf5_io_file_access(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    return fapl;
}

static hid_t hdf5_io_collective_transfer(void)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0)
        H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    return dxpl;
}

static void hdf5_io_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ------------------------------------------------------------------ writer */

/* Check of an HDF5 call inside the writer: the first failure is recorded. */
#define HDF5_IO_WRITER_CHECK(status, call, writer, what)                                           \
    do {                                                                                           \
        if ((call) < 0 && (status) == CVSEG_OK)                                                    \
            (status) = CVSEG_FAIL(CVSEG_EIO, "file '%s': %s failed", (writer)->target, (what));    \
    } while (0)

/* Room kept beyond the end of allocated space for metadata written later. */
#define HDF5_IO_WRITER_SLACK_BYTES (1024 * 1024)

/* Explains a failed H5Fcreate (HDF5 does not say why). */
static cvseg_status hdf5_io_writer_create_failure(const cvseg_writer *w)
{
    char folder[4096];
    struct stat info;
    snprintf(folder, sizeof folder, "%s", w->temporary);
    char *slash = strrchr(folder, '/');
    if (slash)
        *(slash == folder ? slash + 1 : slash) = '\0';
    const char *where = slash ? folder : ".";
    const char *why = "cannot create a file there";
    if (stat(where, &info) != 0)
        why = "its folder does not exist";
    else if (!S_ISDIR(info.st_mode))
        why = "its folder is not a directory";
    else if (access(where, W_OK) != 0)
        why = "its folder is not writable";
    return CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot create the output file (%s)", w->target, why);
}

/* Creates the temporary collectively; rank 0 also opens it for space
 * reservations and the final sync. */
static cvseg_status hdf5_io_writer_create_file(cvseg_writer *w)
{
    cvseg_status status = CVSEG_OK;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    HDF5_IO_WRITER_CHECK(status, fapl, w, "H5Pcreate");
    if (status == CVSEG_OK)
        HDF5_IO_WRITER_CHECK(status, H5Pset_fapl_mpio(fapl, w->comm, MPI_INFO_NULL), w,
                             "H5Pset_fapl_mpio");
    if (status == CVSEG_OK) {
        w->file = H5Fcreate(w->temporary, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (w->file < 0)
            status = hdf5_io_writer_create_failure(w);
    }
    if (status == CVSEG_OK && w->rank == 0) {
        w->reserve_fd = open(w->temporary, O_RDWR | O_CLOEXEC);
        if (w->reserve_fd < 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot open its temporary '%s': %s",
                                w->target, w->temporary, strerror(errno));
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    return status;
}

/* Frees a writer whose file could not be made (collective). */
static void hdf5_io_writer_discard(cvseg_writer *w)
{
    if (w->file >= 0)
        H5Fclose(w->file);
    if (w->reserve_fd >= 0)
        close(w->reserve_fd);
    if (w->rank == 0)
        unlink(w->temporary);
    free(w);
}

cvseg_status cvseg_writer_open(cvseg_outputs *set, int index, cvseg_writer **writer)
{
    MPI_Comm comm = cvseg_outputs_comm(set);
    cvseg_writer *w = calloc(1, sizeof *w);
    cvseg_status status = w ? CVSEG_OK : CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    hdf5_io_quiet();
    *writer = NULL;
    /* Agree before anything collective: a rank without memory must not skip it. */
    status = cvseg_mpi_agree(comm, status);
    if (status != CVSEG_OK) {
        free(w);
        return status;
    }
    w->comm = comm;
    w->file = H5I_INVALID_HID;
    w->reserve_fd = -1;
    w->set = set;
    status = cvseg_mpi_check(MPI_Comm_rank(comm, &w->rank), "rank");
    snprintf(w->target, sizeof w->target, "%s", cvseg_outputs_given(set, index));
    snprintf(w->temporary, sizeof w->temporary, "%s", cvseg_outputs_temporary(set, index));
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = cvseg_mpi_agree(comm, hdf5_io_writer_create_file(w));
    if (status == CVSEG_OK)
        *writer = w;
    else
        hdf5_io_writer_discard(w);
    return status;
}

/* Rank 0 preallocates the file for every byte of data defined so far plus
 * metadata slack (1 MiB + 1/64 of the data: headers, chunk indexes,
 * attributes), so that later writes (data and metadata, also inside
 * H5Fclose) find their blocks: a write failing on some ranks inside HDF5's
 * collective metadata flush hangs or crashes them. Best effort where the file
 * system cannot preallocate. Collective. */
static cvseg_status hdf5_io_writer_reserve(cvseg_writer *w)
{
    cvseg_status status = CVSEG_OK;
    if (w->rank == 0 && w->reserve_fd >= 0) {
        const off_t bytes =
            (off_t)(w->planned_bytes + w->planned_bytes / 64) + HDF5_IO_WRITER_SLACK_BYTES;
        if (fallocate(w->reserve_fd, FALLOC_FL_KEEP_SIZE, 0, bytes) != 0 && errno == ENOSPC)
            status =
                CVSEG_FAIL(CVSEG_EIO, "file '%s': no space left on device (%.1f MiB needed for it)",
                           w->target, (double)bytes / (1024.0 * 1024.0));
    }
    return cvseg_mpi_agree(w->comm, status);
}

cvseg_status cvseg_writer_close(cvseg_writer *writer, cvseg_status run_status)
{
    cvseg_status status = cvseg_mpi_agree(writer->comm, run_status);
    if (status == CVSEG_OK)
        status = hdf5_io_writer_reserve(writer);
    if (status == CVSEG_OK) {
        cvseg_status flushed = CVSEG_OK;
        HDF5_IO_WRITER_CHECK(flushed, H5Fflush(writer->file, H5F_SCOPE_GLOBAL), writer, "flush");
        status = cvseg_mpi_agree(writer->comm, flushed);
    }
    if (status != CVSEG_OK && writer->rank == 0) {
        /* The temporary is lost anyway: free its blocks and the folders'
         * reserves so that closing finds room for its metadata. */
        if (writer->reserve_fd >= 0 && ftruncate(writer->reserve_fd, 0) != 0)
            unlink(writer->temporary);
        cvseg_outputs_release_reserve(writer->set);
    }
    cvseg_status closed = CVSEG_OK;
    HDF5_IO_WRITER_CHECK(closed, H5Fclose(writer->file), writer, "closing");
    closed = cvseg_mpi_agree(writer->comm, closed);
    if (status == CVSEG_OK)
        status = closed;
    if (writer->rank == 0 && writer->reserve_fd >= 0) {
        struct stat info;
        /* Give back the preallocated blocks beyond the end, then sync. */
        if (status == CVSEG_OK &&
            (fstat(writer->reserve_fd, &info) != 0 ||
             ftruncate(writer->reserve_fd, info.st_size) != 0 || fsync(writer->reserve_fd) != 0))
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot sync its temporary: %s",
                                writer->target, strerror(errno));
        close(writer->reserve_fd);
    }
    status = cvseg_mpi_agree(writer->comm, status);
    free(writer);
    return status;
}

cvseg_status cvseg_writer_create(MPI_Comm comm, const char *path, cvseg_writer **writer)
{
    cvseg_outputs *set = NULL;
    const cvseg_file_decl output = {"output", path, CVSEG_FILE_OUTPUT};
    *writer = NULL;
    cvseg_status status = cvseg_outputs_open(comm, "cvseg writer", 1, &output, &set);
    if (status == CVSEG_OK)
        status = cvseg_writer_open(set, 0, writer);
    if (status == CVSEG_OK)
        (*writer)->owned_set = set;
    else
        cvseg_outputs_finish(set, status);
    return status;
}

cvseg_status cvseg_writer_finish(cvseg_writer *writer, cvseg_status run_status)
{
    cvseg_outputs *set = writer->owned_set;
    return cvseg_outputs_finish(set, cvseg_writer_close(writer, run_status));
}

/* Creates every missing group along a path like "/a/b". */
static cvseg_status hdf5_io_ensure_group(const cvseg_writer *writer, const char *group)
{
    cvseg_status status = CVSEG_OK;
    char partial[1024];
    size_t length = strlen(group);
    if (length >= sizeof partial)
        return CVSEG_FAIL(CVSEG_EUSAGE, "group path too long: %s", group);
    for (size_t at = 1; at <= length && status == CVSEG_OK; ++at) {
        if (at != length && group[at] != '/')
            continue;
        memcpy(partial, group, at);
        partial[at] = '\0';
        const htri_t exists = H5Lexists(writer->file, partial, H5P_DEFAULT);
        if (exists > 0)
            continue;
        hid_t created =
            exists == 0 ? H5Gcreate2(writer->file, partial, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                        : H5I_INVALID_HID;
        if (created < 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot create group '%s'", writer->target,
                                partial);
        else
            HDF5_IO_WRITER_CHECK(status, H5Gclose(created), writer, "closing a group");
    }
    return status;
}

cvseg_status cvseg_writer_group(cvseg_writer *writer, const char *group)
{
    return cvseg_mpi_agree(writer->comm, hdf5_io_ensure_group(writer, group));
}

static hid_t hdf5_io_enum_type(const cvseg_enum_def *def)
{
    hid_t type = H5Tenum_create(H5T_NATIVE_UINT8);
    for (int v = 0; v < def->count && type >= 0; ++v) {
        uint8_t value = (uint8_t)v;
        if (H5Tenum_insert(type, def->names[v], &value) < 0) {
            H5Tclose(type);
            type = H5I_INVALID_HID;
        }
    }
    return type;
}

static cvseg_status hdf5_io_write_string_attr(const cvseg_writer *writer, hid_t object,
                                              const char *name, const char *value)
{
    cvseg_status status = CVSEG_OK;
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    HDF5_IO_WRITER_CHECK(status, type, writer, "H5Tcopy");
    HDF5_IO_WRITER_CHECK(status, space, writer, "H5Screate");
    if (status == CVSEG_OK)
        HDF5_IO_WRITER_CHECK(status, H5Tset_size(type, strlen(value) + 1), writer, "H5Tset_size");
    if (status == CVSEG_OK)
        HDF5_IO_WRITER_CHECK(status, H5Tset_strpad(type, H5T_STR_NULLTERM), writer,
                             "H5Tset_strpad");
    const htri_t exists = status == CVSEG_OK ? H5Aexists(object, name) : 0;
    HDF5_IO_WRITER_CHECK(status, exists, writer, "H5Aexists");
    if (status == CVSEG_OK && exists > 0)
        HDF5_IO_WRITER_CHECK(status, H5Adelete(object, name), writer, "H5Adelete");
    if (status == CVSEG_OK)
        attr = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (status == CVSEG_OK && (attr < 0 || H5Awrite(attr, type, value) < 0))
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write attribute '%s'", writer->target, name);
    if (attr >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Aclose(attr), writer, "H5Aclose");
    if (space >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Sclose(space), writer, "H5Sclose");
    if (type >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Tclose(type), writer, "H5Tclose");
    return status;
}

/* Chunked, early-allocated, never-filled 1-D dataset creation properties. */
static hid_t hdf5_io_writer_dataset_properties(int64_t n_global)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[1] = {
        (hsize_t)(n_global < HDF5_IO_CHUNK_ROWS_MAX ? n_global : HDF5_IO_CHUNK_ROWS_MAX)};
    if (chunk[0] == 0)
        chunk[0] = 1;
    if (dcpl >= 0 &&
        (H5Pset_chunk(dcpl, 1, chunk) < 0 || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0 ||
         H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0)) {
        H5Pclose(dcpl);
        dcpl = H5I_INVALID_HID;
    }
    return dcpl;
}

static cvseg_status hdf5_io_writer_define_column(cvseg_writer *writer, const char *group,
                                                 int64_t n_global, hid_t dcpl,
                                                 const cvseg_column *column)
{
    cvseg_status status = CVSEG_OK;
    const hsize_t dims[1] = {(hsize_t)n_global};
    const hsize_t max_dims[1] = {H5S_UNLIMITED};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", group, column->name);
    hid_t memory_type = hdf5_io_native_type(column->type);
    hid_t file_type = column->enum_def ? hdf5_io_enum_type(column->enum_def) : H5Tcopy(memory_type);
    hid_t file_space = H5Screate_simple(1, dims, max_dims);
    hid_t dataset = H5I_INVALID_HID;
    HDF5_IO_WRITER_CHECK(status, file_type, writer, "making a data type");
    HDF5_IO_WRITER_CHECK(status, file_space, writer, "H5Screate_simple");
    if (status == CVSEG_OK)
        dataset =
            H5Dcreate2(writer->file, path, file_type, file_space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (status == CVSEG_OK && dataset < 0)
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot create", writer->target, path);
    if (status == CVSEG_OK && column->units)
        status = hdf5_io_write_string_attr(writer, dataset, "units", column->units);
    if (dataset >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Dclose(dataset), writer, "H5Dclose");
    if (file_space >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Sclose(file_space), writer, "H5Sclose");
    if (file_type >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Tclose(file_type), writer, "H5Tclose");
    return status;
}

cvseg_status cvseg_writer_define(cvseg_writer *writer, const char *group, int64_t n_global,
                                 int n_columns, const cvseg_column *columns)
{
    cvseg_status status = hdf5_io_ensure_group(writer, group);
    hid_t dcpl = hdf5_io_writer_dataset_properties(n_global);
    HDF5_IO_WRITER_CHECK(status, dcpl, writer, "dataset properties");
    /* Dataset creation is collective: agree first, then every rank makes
     * every column (a failing rank goes on calling, so none is skipped). */
    status = cvseg_mpi_agree(writer->comm, status);
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c)
        status = cvseg_mpi_agree(
            writer->comm, hdf5_io_writer_define_column(writer, group, n_global, dcpl, &columns[c]));
    if (dcpl >= 0)
        H5Pclose(dcpl);
    /* The data's space is allocated now (early allocation): reserve it. */
    for (int c = 0; c < n_columns; ++c)
        writer->planned_bytes += n_global * (int64_t)cvseg_type_size(columns[c].type);
    if (status == CVSEG_OK)
        status = hdf5_io_writer_reserve(writer);
    return status;
}

/* Opens group/name for a row write and checks [offset, offset + n_local). */
static cvseg_status hdf5_io_writer_open_column(cvseg_writer *writer, const char *path,
                                               int64_t offset, int64_t n_local, hid_t *dataset,
                                               hid_t *file_space)
{
    cvseg_status status = CVSEG_OK;
    *dataset = H5Dopen2(writer->file, path, H5P_DEFAULT);
    *file_space = *dataset >= 0 ? H5Dget_space(*dataset) : H5I_INVALID_HID;
    const hssize_t length = *file_space >= 0 ? H5Sget_simple_extent_npoints(*file_space) : -1;
    if (*dataset < 0 || *file_space < 0 || length < 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot open for writing",
                            writer->target, path);
    else if (offset < 0 || n_local < 0 || (n_local > 0 && offset > (int64_t)length - n_local))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '%s': rows %lld..%lld outside its %lld rows",
                            writer->target, path, (long long)offset, (long long)(offset + n_local),
                            (long long)length);
    return status;
}

/* One collective column write; every rank calls it (after agreement). */
static cvseg_status hdf5_io_writer_write_column(cvseg_writer *writer, const char *path,
                                                const cvseg_column *column, hid_t dataset,
                                                hid_t file_space, hid_t dxpl, int64_t offset,
                                                int64_t n_local)
{
    cvseg_status status = CVSEG_OK;
    static const char nothing = 0;
    const hsize_t start[1] = {(hsize_t)offset}, count[1] = {(hsize_t)n_local};
    const hsize_t one[1] = {1};
    hid_t memory_space = H5Screate_simple(1, n_local > 0 ? count : one, NULL);
    /* Enums: memory values are written as the file's own enum type. */
    hid_t write_type =
        column->enum_def ? H5Dget_type(dataset) : H5Tcopy(hdf5_io_native_type(column->type));
    HDF5_IO_WRITER_CHECK(status, memory_space, writer, "H5Screate_simple");
    HDF5_IO_WRITER_CHECK(status, write_type, writer, "data type");
    if (status == CVSEG_OK && n_local > 0)
        HDF5_IO_WRITER_CHECK(
            status, H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL),
            writer, "H5Sselect_hyperslab");
    if (status == CVSEG_OK && n_local == 0) {
        HDF5_IO_WRITER_CHECK(status, H5Sselect_none(file_space), writer, "H5Sselect_none");
        HDF5_IO_WRITER_CHECK(status, H5Sselect_none(memory_space), writer, "H5Sselect_none");
    }
    /* A rank whose preparation failed still takes part, writing nothing,
     * so that the collective transfer is never skipped. */
    if (status != CVSEG_OK && memory_space >= 0 && write_type >= 0) {
        H5Sselect_none(file_space);
        H5Sselect_none(memory_space);
    }
    if (memory_space >= 0 && write_type >= 0 &&
        H5Dwrite(dataset, write_type, memory_space, file_space, dxpl,
                 n_local > 0 && status == CVSEG_OK ? column->data : &nothing) < 0 &&
        status == CVSEG_OK)
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': write failed", writer->target, path);
    if (write_type >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Tclose(write_type), writer, "H5Tclose");
    if (memory_space >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Sclose(memory_space), writer, "H5Sclose");
    return status;
}

cvseg_status cvseg_writer_rows(cvseg_writer *writer, const char *group, int64_t offset,
                               int64_t n_local, int n_columns, const cvseg_column *columns)
{
    cvseg_status status = CVSEG_OK;
    hid_t dxpl = hdf5_io_collective_transfer();
    HDF5_IO_WRITER_CHECK(status, dxpl, writer, "transfer properties");
    status = cvseg_mpi_agree(writer->comm, status);
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
        char path[1024];
        hid_t dataset = H5I_INVALID_HID, file_space = H5I_INVALID_HID;
        snprintf(path, sizeof path, "%s/%s", group, columns[c].name);
        status = hdf5_io_writer_open_column(writer, path, offset, n_local, &dataset, &file_space);
        /* Agree before the collective write: a rank that skips it hangs the others. */
        status = cvseg_mpi_agree(writer->comm, status);
        if (status == CVSEG_OK)
            status = hdf5_io_writer_write_column(writer, path, &columns[c], dataset, file_space,
                                                 dxpl, offset, n_local);
        if (file_space >= 0)
            HDF5_IO_WRITER_CHECK(status, H5Sclose(file_space), writer, "H5Sclose");
        if (dataset >= 0)
            HDF5_IO_WRITER_CHECK(status, H5Dclose(dataset), writer, "H5Dclose");
        status = cvseg_mpi_agree(writer->comm, status);
    }
    if (dxpl >= 0)
        H5Pclose(dxpl);
    return status;
}

cvseg_status cvseg_writer_columns(cvseg_writer *writer, const char *group, int64_t n_global,
                                  int64_t offset, int64_t n_local, int n_columns,
                                  const cvseg_column *columns)
{
    cvseg_status status = cvseg_writer_define(writer, group, n_global, n_columns, columns);
    if (status == CVSEG_OK)
        status = cvseg_writer_rows(writer, group, offset, n_local, n_columns, columns);
    return status;
}

/* Creates a small contiguous dataset (parent groups too). Collective. */
static cvseg_status hdf5_io_writer_small_create(cvseg_writer *writer, const char *path,
                                                cvseg_type type, hid_t space, hid_t *dataset)
{
    cvseg_status status = CVSEG_OK;
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        status = hdf5_io_ensure_group(writer, parent);
    }
    status = cvseg_mpi_agree(writer->comm, status);
    if (status == CVSEG_OK)
        *dataset = H5Dcreate2(writer->file, path, hdf5_io_native_type(type), space, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT);
    if (status == CVSEG_OK && *dataset < 0)
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot create", writer->target, path);
    return cvseg_mpi_agree(writer->comm, status);
}

cvseg_status cvseg_writer_small(cvseg_writer *writer, const char *path, cvseg_type type, int rank,
                                const int64_t *dims, const void *data)
{
    cvseg_status status = CVSEG_OK;
    hsize_t h_dims[2] = {(hsize_t)dims[0], rank > 1 ? (hsize_t)dims[1] : 1};
    hid_t space = H5Screate_simple(rank, h_dims, NULL);
    hid_t dxpl = hdf5_io_collective_transfer();
    hid_t dataset = H5I_INVALID_HID, file_space = H5I_INVALID_HID, memory_space = H5I_INVALID_HID;
    HDF5_IO_WRITER_CHECK(status, space, writer, "H5Screate_simple");
    HDF5_IO_WRITER_CHECK(status, dxpl, writer, "transfer properties");
    status = cvseg_mpi_agree(writer->comm, status);
    if (status == CVSEG_OK)
        status = hdf5_io_writer_small_create(writer, path, type, space, &dataset);
    writer->planned_bytes += (int64_t)(h_dims[0] * h_dims[1] * cvseg_type_size(type));
    if (status == CVSEG_OK) {
        file_space = H5Scopy(space);
        memory_space = H5Scopy(space);
        HDF5_IO_WRITER_CHECK(status, file_space, writer, "H5Scopy");
        HDF5_IO_WRITER_CHECK(status, memory_space, writer, "H5Scopy");
        /* Rank 0 writes; the others select nothing (also after a failure). */
        if (file_space >= 0 && memory_space >= 0 && (writer->rank != 0 || status != CVSEG_OK)) {
            HDF5_IO_WRITER_CHECK(status, H5Sselect_none(file_space), writer, "H5Sselect_none");
            HDF5_IO_WRITER_CHECK(status, H5Sselect_none(memory_space), writer, "H5Sselect_none");
        }
        if (file_space >= 0 && memory_space >= 0 &&
            H5Dwrite(dataset, hdf5_io_native_type(type), memory_space, file_space, dxpl, data) <
                0 &&
            status == CVSEG_OK)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': write failed", writer->target,
                                path);
    }
    if (file_space >= 0)
        H5Sclose(file_space);
    if (memory_space >= 0)
        H5Sclose(memory_space);
    if (dataset >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Dclose(dataset), writer, "H5Dclose");
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (space >= 0)
        H5Sclose(space);
    return cvseg_mpi_agree(writer->comm, status);
}

static cvseg_status hdf5_io_write_attr(cvseg_writer *writer, const char *object, const char *name,
                                       hid_t type, const void *value)
{
    cvseg_status status = CVSEG_OK;
    hid_t target = H5Oopen(writer->file, object, H5P_DEFAULT);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    HDF5_IO_WRITER_CHECK(status, space, writer, "H5Screate");
    if (target < 0) {
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': no object '%s' for attribute '%s'",
                            writer->target, object, name);
        goto done;
    }
    const htri_t exists = status == CVSEG_OK ? H5Aexists(target, name) : 0;
    HDF5_IO_WRITER_CHECK(status, exists, writer, "H5Aexists");
    if (status == CVSEG_OK && exists > 0)
        HDF5_IO_WRITER_CHECK(status, H5Adelete(target, name), writer, "H5Adelete");
    if (status == CVSEG_OK)
        attr = H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (status == CVSEG_OK && (attr < 0 || H5Awrite(attr, type, value) < 0))
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write attribute '%s' of '%s'",
                            writer->target, name, object);
done:
    if (attr >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Aclose(attr), writer, "H5Aclose");
    if (space >= 0)
        H5Sclose(space);
    if (target >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Oclose(target), writer, "H5Oclose");
    return cvseg_mpi_agree(writer->comm, status);
}

cvseg_status cvseg_writer_attr_i64(cvseg_writer *writer, const char *object, const char *name,
                                   int64_t value)
{
    return hdf5_io_write_attr(writer, object, name, H5T_NATIVE_INT64, &value);
}

cvseg_status cvseg_writer_attr_i32(cvseg_writer *writer, const char *object, const char *name,
                                   int32_t value)
{
    return hdf5_io_write_attr(writer, object, name, H5T_NATIVE_INT32, &value);
}

cvseg_status cvseg_writer_attr_f64(cvseg_writer *writer, const char *object, const char *name,
                                   double value)
{
    return hdf5_io_write_attr(writer, object, name, H5T_NATIVE_DOUBLE, &value);
}

cvseg_status cvseg_writer_attr_str(cvseg_writer *writer, const char *object, const char *name,
                                   const char *value)
{
    cvseg_status status = CVSEG_OK;
    hid_t target = H5Oopen(writer->file, object, H5P_DEFAULT);
    if (target < 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': no object '%s' for attribute '%s'",
                            writer->target, object, name);
    else
        status = hdf5_io_write_string_attr(writer, target, name, value);
    if (target >= 0)
        HDF5_IO_WRITER_CHECK(status, H5Oclose(target), writer, "H5Oclose");
    return cvseg_mpi_agree(writer->comm, status);
}

/* ------------------------------------------------------------------ reader */

cvseg_status cvseg_reader_open(MPI_Comm comm, const char *path, cvseg_reader **reader)
{
    cvseg_status status = CVSEG_OK;
    hid_t fapl = H5I_INVALID_HID;
    struct stat info;
    cvseg_reader *r = calloc(1, sizeof *r);
    hdf5_io_quiet();
    *reader = NULL;
    if (!r) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        goto done;
    }
    r->comm = comm;
    r->file = H5I_INVALID_HID;
    snprintf(r->path, sizeof r->path, "%s", path);
    if (stat(path, &info) != 0) {
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot open: %s", path, strerror(errno));
        goto done;
    }
    if (H5Fis_hdf5(path) <= 0) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': not an HDF5 file", path);
        goto done;
    }
    fapl = hdf5_io_file_access(comm);
    r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (r->file < 0)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': cannot open as HDF5 (truncated or damaged?)", path);
done:
    if (fapl >= 0)
        H5Pclose(fapl);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK) {
        *reader = r;
    } else if (r) {
        if (r->file >= 0)
            H5Fclose(r->file);
        free(r);
    }
    return status;
}

void cvseg_reader_close(cvseg_reader *reader)
{
    if (reader) {
        H5Fclose(reader->file);
        free(reader);
    }
}

const char *cvseg_reader_path(const cvseg_reader *reader)
{
    return reader->path;
}

hid_t cvseg__reader_file(const cvseg_reader *reader)
{
    return reader->file;
}

int cvseg_reader_exists(cvseg_reader *reader, const char *object)
{
    /* Check each component so that a missing parent is not an error. */
    char partial[1024];
    size_t length = strlen(object);
    if (length >= sizeof partial)
        return 0;
    for (size_t at = 1; at <= length; ++at) {
        if (at != length && object[at] != '/')
            continue;
        memcpy(partial, object, at);
        partial[at] = '\0';
        if (H5Lexists(reader->file, partial, H5P_DEFAULT) <= 0)
            return 0;
    }
    return 1;
}

cvseg_status cvseg_reader_table(cvseg_reader *reader, const char *group, const char *const *columns,
                                int n_columns, int64_t *n_rows)
{
    cvseg_status status = CVSEG_OK;
    int64_t rows = -1;
    const char *first = NULL;
    if (!cvseg_reader_exists(reader, group)) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing group '%s'", reader->path, group);
        goto done;
    }
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", group, columns[c]);
        if (!cvseg_reader_exists(reader, path)) {
            status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing dataset '%s'", reader->path, path);
            break;
        }
        hid_t dataset = H5Dopen2(reader->file, path, H5P_DEFAULT);
        hid_t space = dataset >= 0 ? H5Dget_space(dataset) : H5I_INVALID_HID;
        hsize_t dims[H5S_MAX_RANK];
        const int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
        if (dataset < 0 || rank < 0)
            status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': cannot open (damaged?)",
                                reader->path, path);
        else if (rank != 1)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': has %d dimensions, expected 1",
                           reader->path, path, rank);
        else if (rows >= 0 && (int64_t)dims[0] != rows)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': has %lld rows but '%s' has %lld",
                           reader->path, path, (long long)dims[0], first, (long long)rows);
        else {
            rows = (int64_t)dims[0];
            first = columns[c];
        }
        if (space >= 0)
            H5Sclose(space);
        if (dataset >= 0)
            H5Dclose(dataset);
    }
done:
    *n_rows = rows < 0 ? 0 : rows;
    return cvseg_mpi_agree(reader->comm, status);
}

/* How a column reaches the caller's type: straight (HDF5's conversion is
 * exact for every value of the file type), or through a wide buffer of one
 * piece and a per-value range check (HDF5 would clip silently). */
typedef enum {
    HDF5_IO_READ_DIRECT,
    HDF5_IO_READ_WIDE_SIGNED,
    HDF5_IO_READ_WIDE_UNSIGNED,
    HDF5_IO_READ_WIDE_FLOAT
} hdf5_io_read_mode;

/* Magnitude bits the caller's type holds exactly (integers; for float types
 * the integers they represent exactly). */
static int hdf5_io_reader_target_bits(cvseg_type type)
{
    static const int bits[] = {
        [CVSEG_T_I64] = 63, [CVSEG_T_I32] = 31, [CVSEG_T_I16] = 15, [CVSEG_T_U16] = 16,
        [CVSEG_T_U8] = 8,   [CVSEG_T_F64] = 53, [CVSEG_T_F32] = 24};
    return bits[type];
}

static int hdf5_io_reader_target_unsigned(cvseg_type type)
{
    return type == CVSEG_T_U16 || type == CVSEG_T_U8;
}

/* number_type: the dataset's type, or an enum's base type. */
static hdf5_io_read_mode hdf5_io_reader_choose_mode(hid_t number_type, cvseg_type type)
{
    const size_t size = H5Tget_size(number_type);
    if (H5Tget_class(number_type) == H5T_FLOAT)
        return type == CVSEG_T_F64 || size <= 4 ? HDF5_IO_READ_DIRECT : HDF5_IO_READ_WIDE_FLOAT;
    const int is_signed = H5Tget_sign(number_type) == H5T_SGN_2;
    const int bits = (int)size * 8 - is_signed;
    const int direct = bits <= hdf5_io_reader_target_bits(type) &&
                       !(is_signed && hdf5_io_reader_target_unsigned(type));
    return direct      ? HDF5_IO_READ_DIRECT
           : is_signed ? HDF5_IO_READ_WIDE_SIGNED
                       : HDF5_IO_READ_WIDE_UNSIGNED;
}

static const char *hdf5_io_reader_type_name(cvseg_type type)
{
    static const char *const names[] = {
        [CVSEG_T_I64] = "int64",  [CVSEG_T_I32] = "int32",
        [CVSEG_T_I16] = "int16",  [CVSEG_T_U16] = "uint16",
        [CVSEG_T_U8] = "uint8",   [CVSEG_T_F64] = "float64 (integers up to 2^53)",
        [CVSEG_T_F32] = "float32"};
    return names[type];
}

static void hdf5_io_reader_store(cvseg_type type, void *out, int64_t i, int64_t v)
{
    switch (type) {
    case CVSEG_T_I64:
        ((int64_t *)out)[i] = v;
        break;
    case CVSEG_T_I32:
        ((int32_t *)out)[i] = (int32_t)v;
        break;
    case CVSEG_T_I16:
        ((int16_t *)out)[i] = (int16_t)v;
        break;
    case CVSEG_T_U16:
        ((uint16_t *)out)[i] = (uint16_t)v;
        break;
    case CVSEG_T_U8:
        ((uint8_t *)out)[i] = (uint8_t)v;
        break;
    case CVSEG_T_F64:
        ((double *)out)[i] = (double)v;
        break;
    case CVSEG_T_F32:
        ((float *)out)[i] = (float)v;
        break;
    }
}

/* Moves rows values of the wide buffer into out (type) when every one fits;
 * returns the index of the first that does not (its text in value), or -1. */
static int64_t hdf5_io_reader_narrow(hdf5_io_read_mode mode, const void *wide, int64_t rows,
                                     cvseg_type type, void *out, char *value, size_t capacity)
{
    const int bits = hdf5_io_reader_target_bits(type);
    /* Integers: [-2^bits, 2^bits - 1] or [0, 2^bits - 1]; floats: [-2^bits, 2^bits]. */
    const int64_t high = bits == 63 ? INT64_MAX : ((int64_t)1 << bits) - !hdf5_io_is_float(type);
    const int64_t low = hdf5_io_reader_target_unsigned(type) ? 0
                        : hdf5_io_is_float(type)             ? -high
                                                             : -high - 1;
    for (int64_t i = 0; i < rows; ++i) {
        if (mode == HDF5_IO_READ_WIDE_FLOAT) { /* to float32 */
            const double x = ((const double *)wide)[i];
            if (isfinite(x) && fabs(x) > FLT_MAX) {
                snprintf(value, capacity, "%.15g", x); /* shortest of 15 or 17 digits */
                if (strtod(value, NULL) != x)
                    snprintf(value, capacity, "%.17g", x);
                return i;
            }
            ((float *)out)[i] = (float)x;
        } else if (mode == HDF5_IO_READ_WIDE_UNSIGNED) {
            const uint64_t u = ((const uint64_t *)wide)[i];
            if (u > (uint64_t)high) {
                snprintf(value, capacity, "%llu", (unsigned long long)u);
                return i;
            }
            hdf5_io_reader_store(type, out, i, (int64_t)u);
        } else {
            const int64_t v = ((const int64_t *)wide)[i];
            if (v < low || v > high) {
                snprintf(value, capacity, "%lld", (long long)v);
                return i;
            }
            hdf5_io_reader_store(type, out, i, v);
        }
    }
    return -1;
}

/* An open column and how to read it. */
typedef struct {
    hid_t dataset, file_type, file_space;
    hdf5_io_read_mode mode;
    int64_t length;
} hdf5_io_dataset;

/* Type and storage rules of a column read; want_enum: the column must be an
 * HDF5 enum (categorical results), else a plain number (enums, bools too,
 * are refused). */
static cvseg_status hdf5_io_reader_check(const cvseg_reader *reader, const char *path,
                                         cvseg_type type, int want_enum, hdf5_io_dataset *ds)
{
    const H5T_class_t class = H5Tget_class(ds->file_type);
    const hid_t base = class == H5T_ENUM ? H5Tget_super(ds->file_type) : H5I_INVALID_HID;
    const H5T_class_t number_class = class == H5T_ENUM ? H5Tget_class(base) : class;
    H5D_space_status_t space = H5D_SPACE_STATUS_ERROR;
    cvseg_status status = CVSEG_OK;
    ds->length = (int64_t)H5Sget_simple_extent_npoints(ds->file_space);
    if (want_enum && class != H5T_ENUM)
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': not an HDF5 enum", reader->path,
                            path);
    else if (!want_enum && class == H5T_ENUM)
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '%s': is an enumeration (HDF5 enum or bool), "
                            "expected a number",
                            reader->path, path);
    else if (number_class != H5T_INTEGER && (number_class != H5T_FLOAT || !hdf5_io_is_float(type)))
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': wrong type class (expected %s)",
                            reader->path, path, hdf5_io_is_float(type) ? "a number" : "an integer");
    else if (ds->length > 0 &&
             (H5Dget_space_status(ds->dataset, &space) < 0 ||
              space == H5D_SPACE_STATUS_NOT_ALLOCATED || H5Dget_storage_size(ds->dataset) == 0))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '%s': was never written (no data stored; it "
                            "would read as its fill value)",
                            reader->path, path);
    else
        ds->mode = hdf5_io_reader_choose_mode(class == H5T_ENUM ? base : ds->file_type, type);
    if (base >= 0)
        H5Tclose(base);
    return status;
}

/* Reads rows [first, first + rows) into destination (type); rows may be 0
 * (the rank still takes part). wide: a piece-sized buffer unless direct.
 * Collective: the status is agreed. */
static cvseg_status hdf5_io_reader_piece(const cvseg_reader *reader, const char *path,
                                         const hdf5_io_dataset *ds, cvseg_type type, int64_t first,
                                         int64_t rows, void *destination, void *wide, hid_t dxpl)
{
    cvseg_status status = CVSEG_OK;
    const hsize_t start[1] = {(hsize_t)first}, n[1] = {(hsize_t)rows}, one[1] = {1};
    hid_t memory_space = H5Screate_simple(1, rows > 0 ? n : one, NULL);
    hid_t selection = H5Scopy(ds->file_space);
    if (rows > 0) {
        H5Sselect_hyperslab(selection, H5S_SELECT_SET, start, NULL, n, NULL);
    } else {
        H5Sselect_none(selection);
        H5Sselect_none(memory_space);
    }
    const hid_t memory_type = ds->mode == HDF5_IO_READ_DIRECT          ? hdf5_io_native_type(type)
                              : ds->mode == HDF5_IO_READ_WIDE_SIGNED   ? H5T_NATIVE_INT64
                              : ds->mode == HDF5_IO_READ_WIDE_UNSIGNED ? H5T_NATIVE_UINT64
                                                                       : H5T_NATIVE_DOUBLE;
    void *buffer = ds->mode == HDF5_IO_READ_DIRECT ? destination : wide;
    char value[64];
    if (H5Dread(ds->dataset, memory_type, memory_space, selection, dxpl, buffer) < 0) {
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': read failed at rows %lld..%lld",
                            reader->path, path, (long long)first, (long long)(first + rows));
    } else if (ds->mode != HDF5_IO_READ_DIRECT && rows > 0) {
        const int64_t bad =
            hdf5_io_reader_narrow(ds->mode, wide, rows, type, destination, value, sizeof value);
        if (bad >= 0)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '%s', row %lld: value %s does not fit in %s",
                                reader->path, path, (long long)(first + bad), value,
                                hdf5_io_reader_type_name(type));
    }
    H5Sclose(selection);
    H5Sclose(memory_space);
    return cvseg_mpi_agree(reader->comm, status);
}

static cvseg_status hdf5_io_reader_read(cvseg_reader *reader, const char *group, const char *name,
                                        cvseg_type type, int want_enum, int64_t offset,
                                        int64_t count, void *out)
{
    cvseg_status status = CVSEG_OK;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", group, name);
    hdf5_io_dataset ds = {H5Dopen2(reader->file, path, H5P_DEFAULT), H5I_INVALID_HID,
                          H5I_INVALID_HID, HDF5_IO_READ_DIRECT, 0};
    ds.file_type = ds.dataset >= 0 ? H5Dget_type(ds.dataset) : H5I_INVALID_HID;
    ds.file_space = ds.dataset >= 0 ? H5Dget_space(ds.dataset) : H5I_INVALID_HID;
    hid_t dxpl = hdf5_io_collective_transfer();
    const int64_t piece_rows = count < CVSEG_IO_PIECE_ROWS ? count : CVSEG_IO_PIECE_ROWS;
    void *wide = NULL;
    int64_t pieces = (count + CVSEG_IO_PIECE_ROWS - 1) / CVSEG_IO_PIECE_ROWS;
    if (ds.dataset < 0 || ds.file_type < 0 || ds.file_space < 0)
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing or damaged dataset '%s'", reader->path,
                            path);
    else
        status = hdf5_io_reader_check(reader, path, type, want_enum, &ds);
    if (status == CVSEG_OK &&
        (offset < 0 || count < 0 || (count > 0 && offset > ds.length - count)))
        status = CVSEG_FAIL(CVSEG_EDATA,
                            "file '%s', dataset '%s': rows %lld..%lld outside its %lld rows",
                            reader->path, path, (long long)offset, (long long)(offset + count),
                            (long long)ds.length);
    if (status == CVSEG_OK && ds.mode != HDF5_IO_READ_DIRECT &&
        !(wide = malloc(8 * (size_t)(piece_rows > 0 ? piece_rows : 1))))
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a read buffer");
    status = cvseg_mpi_agree(reader->comm, status);
    /* Every rank takes part in the same number of collective reads. */
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &pieces, 1, MPI_INT64_T, MPI_MAX, reader->comm),
            "read planning");
    for (int64_t piece = 0; piece < pieces && status == CVSEG_OK; ++piece) {
        const int64_t first = piece * CVSEG_IO_PIECE_ROWS;
        const int64_t rows = count - first < 0            ? 0
                             : count - first < piece_rows ? count - first
                                                          : piece_rows;
        char *destination = (char *)out + (size_t)(rows > 0 ? first : 0) * cvseg_type_size(type);
        status = hdf5_io_reader_piece(reader, path, &ds, type, offset + first, rows, destination,
                                      wide, dxpl);
    }
    free(wide);
    H5Pclose(dxpl);
    if (ds.file_space >= 0)
        H5Sclose(ds.file_space);
    if (ds.file_type >= 0)
        H5Tclose(ds.file_type);
    if (ds.dataset >= 0)
        H5Dclose(ds.dataset);
    return status;
}

cvseg_status cvseg_reader_column(cvseg_reader *reader, const char *group, const char *name,
                                 cvseg_type type, int64_t offset, int64_t count, void *out)
{
    return hdf5_io_reader_read(reader, group, name, type, 0, offset, count, out);
}

cvseg_status cvseg_reader_enum_column(cvseg_reader *reader, const char *group, const char *name,
                                      int64_t offset, int64_t count, uint8_t *out)
{
    return hdf5_io_reader_read(reader, group, name, CVSEG_T_U8, 1, offset, count, out);
}

static cvseg_status hdf5_io_read_attr(cvseg_reader *reader, const char *object, const char *name,
                                      hid_t type, void *value, int *present)
{
    cvseg_status status = CVSEG_OK;
    *present = 0;
    if (!cvseg_reader_exists(reader, object))
        return CVSEG_OK;
    hid_t target = H5Oopen(reader->file, object, H5P_DEFAULT);
    if (target < 0)
        return CVSEG_OK;
    if (H5Aexists(target, name) > 0) {
        hid_t attr = H5Aopen(target, name, H5P_DEFAULT);
        /* One value only: a longer attribute would overrun *value. */
        hid_t space = attr >= 0 ? H5Aget_space(attr) : H5I_INVALID_HID;
        const hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
        if (space >= 0)
            H5Sclose(space);
        if (attr >= 0 && points != 1)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s': attribute '%s' of '%s' has %lld values, expected one",
                                reader->path, name, object, (long long)points);
        else if (attr < 0 || H5Aread(attr, type, value) < 0)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s': attribute '%s' of '%s' unreadable as a number",
                           reader->path, name, object);
        else
            *present = 1;
        if (attr >= 0)
            H5Aclose(attr);
    }
    H5Oclose(target);
    return status;
}

cvseg_status cvseg_reader_attr_i32(cvseg_reader *reader, const char *object, const char *name,
                                   int32_t *value, int *present)
{
    return hdf5_io_read_attr(reader, object, name, H5T_NATIVE_INT32, value, present);
}

cvseg_status cvseg_reader_attr_i64(cvseg_reader *reader, const char *object, const char *name,
                                   int64_t *value, int *present)
{
    return hdf5_io_read_attr(reader, object, name, H5T_NATIVE_INT64, value, present);
}

cvseg_status cvseg_reader_attr_f64(cvseg_reader *reader, const char *object, const char *name,
                                   double *value, int *present)
{
    return hdf5_io_read_attr(reader, object, name, H5T_NATIVE_DOUBLE, value, present);
}

cvseg_status cvseg_reader_attr_str(cvseg_reader *reader, const char *object, const char *name,
                                   char *value, size_t capacity, int *present)
{
    cvseg_status status = CVSEG_OK;
    *present = 0;
    value[0] = '\0';
    if (!cvseg_reader_exists(reader, object))
        return CVSEG_OK;
    hid_t target = H5Oopen(reader->file, object, H5P_DEFAULT);
    if (target < 0)
        return CVSEG_OK;
    if (H5Aexists(target, name) > 0) {
        hid_t attr = H5Aopen(target, name, H5P_DEFAULT);
        hid_t type = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
        if (type < 0 || H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0 ||
            H5Tget_size(type) >= capacity) {
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s': attribute '%s' of '%s' is not a short string",
                           reader->path, name, object);
        } else {
            memset(value, 0, capacity);
            if (H5Aread(attr, type, value) < 0)
                status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': attribute '%s' unreadable",
                                    reader->path, name);
            else
                *present = 1;
        }
        if (type >= 0)
            H5Tclose(type);
        if (attr >= 0)
            H5Aclose(attr);
    }
    H5Oclose(target);
    return status;
}

cvseg_status cvseg_reader_small(cvseg_reader *reader, const char *path, cvseg_type type,
                                int64_t capacity, int64_t dims[2], void *out)
{
    cvseg_status status = CVSEG_OK;
    hid_t dataset = cvseg_reader_exists(reader, path) ? H5Dopen2(reader->file, path, H5P_DEFAULT)
                                                      : H5I_INVALID_HID;
    hid_t space = dataset >= 0 ? H5Dget_space(dataset) : H5I_INVALID_HID;
    hsize_t h_dims[H5S_MAX_RANK] = {0, 0};
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, h_dims, NULL) : -1;
    dims[0] = dims[1] = 0;
    if (dataset < 0 || rank < 0) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing dataset '%s'", reader->path, path);
    } else if (rank < 1 || rank > 2) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': expected 1 or 2 dimensions",
                            reader->path, path);
    } else {
        dims[0] = (int64_t)h_dims[0];
        dims[1] = rank == 2 ? (int64_t)h_dims[1] : 1;
        /* compared by division: a damaged file's dimensions may overflow a product */
        if (h_dims[0] > (hsize_t)INT64_MAX || (rank == 2 && h_dims[1] > (hsize_t)INT64_MAX) ||
            (dims[1] > 0 && dims[0] > capacity / dims[1]))
            status =
                CVSEG_FAIL(CVSEG_EDATA,
                           "file '%s', dataset '%s': larger than expected (%llu x %llu "
                           "values, at most %lld)",
                           reader->path, path, (unsigned long long)h_dims[0],
                           (unsigned long long)(rank == 2 ? h_dims[1] : 1), (long long)capacity);
        else if (dims[0] * dims[1] > 0 && H5Dread(dataset, hdf5_io_native_type(type), H5S_ALL,
                                                  H5S_ALL, H5P_DEFAULT, out) < 0)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': read failed", reader->path, path);
    }
    if (space >= 0)
        H5Sclose(space);
    if (dataset >= 0)
        H5Dclose(dataset);
    return cvseg_mpi_agree(reader->comm, status);
}
