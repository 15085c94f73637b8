/* hdf5_io.c: collective column reads and writes with parallel HDF5. */
#include "cvseg/io.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvseg/dist.h"

#define CHUNK_ROWS_MAX (1024 * 1024)

struct cvseg_writer {
    MPI_Comm comm;
    hid_t file;
    char target[4096];
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

static hid_t native_type(cvseg_type type)
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

static int is_float_type(cvseg_type type)
{
    return type == CVSEG_T_F64 || type == CVSEG_T_F32;
}

static hid_t file_access(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    return fapl;
}

static hid_t collective_transfer(void)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0)
        H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    return dxpl;
}

static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ------------------------------------------------------------------ writer */

cvseg_status cvseg_writer_create(MPI_Comm comm, const char *path, cvseg_writer **writer)
{
    cvseg_status status = CVSEG_OK;
    hid_t fapl = H5I_INVALID_HID;
    int rank = 0;
    long pid = (long)getpid();
    cvseg_writer *w = calloc(1, sizeof *w);
    quiet_hdf5();
    MPI_Comm_rank(comm, &rank);
    *writer = NULL;
    if (!w) {
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
        goto agree;
    }
    w->comm = comm;
    w->file = H5I_INVALID_HID;
    if (strlen(path) + 32 >= sizeof w->target) {
        status = CVSEG_FAIL(CVSEG_EUSAGE, "output path too long: %s", path);
        goto agree;
    }
    MPI_Bcast(&pid, 1, MPI_LONG, 0, comm);
    snprintf(w->target, sizeof w->target, "%s", path);
    snprintf(w->temporary, sizeof w->temporary, "%s.tmp.%ld", path, pid);
agree:
    status = cvseg_dist_agree(comm, status);
    if (status != CVSEG_OK)
        goto done;
    fapl = file_access(comm);
    w->file = H5Fcreate(w->temporary, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0) {
        /* HDF5 does not say why: look at the folder. */
        char folder[4096];
        struct stat info;
        snprintf(folder, sizeof folder, "%s", w->target);
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
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot create the output file (%s)", w->target, why);
    }
    status = cvseg_dist_agree(comm, status);
done:
    if (fapl >= 0)
        H5Pclose(fapl);
    if (status == CVSEG_OK) {
        *writer = w;
    } else if (w) {
        if (w->file >= 0) {
            H5Fclose(w->file);
            if (rank == 0)
                unlink(w->temporary);
        }
        free(w);
    }
    return status;
}

/* Creates every missing group along a path like "/a/b". */
static cvseg_status ensure_group(hid_t file, const char *group)
{
    cvseg_status status = CVSEG_OK;
    char partial[1024];
    size_t length = strlen(group);
    if (length >= sizeof partial)
        return CVSEG_FAIL(CVSEG_EUSAGE, "group path too long: %s", group);
    for (size_t at = 1; at <= length; ++at) {
        if (at != length && group[at] != '/')
            continue;
        memcpy(partial, group, at);
        partial[at] = '\0';
        if (H5Lexists(file, partial, H5P_DEFAULT) > 0)
            continue;
        hid_t created = H5Gcreate2(file, partial, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (created < 0) {
            status = CVSEG_FAIL(CVSEG_EIO, "cannot create group '%s'", partial);
            break;
        }
        H5Gclose(created);
    }
    return status;
}

cvseg_status cvseg_writer_group(cvseg_writer *writer, const char *group)
{
    return cvseg_dist_agree(writer->comm, ensure_group(writer->file, group));
}

static hid_t enum_type(const cvseg_enum_def *def)
{
    hid_t type = H5Tenum_create(H5T_NATIVE_UINT8);
    for (int v = 0; v < def->count && type >= 0; ++v) {
        uint8_t value = (uint8_t)v;
        H5Tenum_insert(type, def->names[v], &value);
    }
    return type;
}

static cvseg_status write_string_attr(hid_t object, const char *name, const char *value)
{
    cvseg_status status = CVSEG_OK;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(object, name) > 0)
        H5Adelete(object, name);
    hid_t attr = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, value) < 0)
        status = CVSEG_FAIL(CVSEG_EIO, "cannot write attribute '%s'", name);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return status;
}

cvseg_status cvseg_writer_define(cvseg_writer *writer, const char *group, int64_t n_global,
                                 int n_columns, const cvseg_column *columns)
{
    cvseg_status status = ensure_group(writer->file, group);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t dims[1] = {(hsize_t)n_global};
    const hsize_t max_dims[1] = {H5S_UNLIMITED};
    hsize_t chunk[1] = {(hsize_t)(n_global < CHUNK_ROWS_MAX ? n_global : CHUNK_ROWS_MAX)};
    if (chunk[0] == 0)
        chunk[0] = 1;
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
        const cvseg_column *column = &columns[c];
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", group, column->name);
        hid_t memory_type = native_type(column->type);
        hid_t file_type = column->enum_def ? enum_type(column->enum_def) : H5Tcopy(memory_type);
        hid_t file_space = H5Screate_simple(1, dims, max_dims);
        hid_t dataset =
            H5Dcreate2(writer->file, path, file_type, file_space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (dataset < 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot create", writer->target,
                                path);
        if (status == CVSEG_OK && column->units)
            status = write_string_attr(dataset, "units", column->units);
        if (dataset >= 0)
            H5Dclose(dataset);
        H5Sclose(file_space);
        H5Tclose(file_type);
    }
    H5Pclose(dcpl);
    return cvseg_dist_agree(writer->comm, status);
}

cvseg_status cvseg_writer_rows(cvseg_writer *writer, const char *group, int64_t offset,
                               int64_t n_local, int n_columns, const cvseg_column *columns)
{
    cvseg_status status = CVSEG_OK;
    hid_t dxpl = collective_transfer();
    for (int c = 0; c < n_columns && status == CVSEG_OK; ++c) {
        const cvseg_column *column = &columns[c];
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", group, column->name);
        hid_t dataset = H5Dopen2(writer->file, path, H5P_DEFAULT);
        hid_t file_space = dataset >= 0 ? H5Dget_space(dataset) : H5I_INVALID_HID;
        const hsize_t start[1] = {(hsize_t)offset}, count[1] = {(hsize_t)n_local};
        const hsize_t one[1] = {1};
        hid_t memory_space = H5Screate_simple(1, n_local > 0 ? count : one, NULL);
        hid_t write_type = H5I_INVALID_HID;
        const hssize_t length = file_space >= 0 ? H5Sget_simple_extent_npoints(file_space) : -1;
        if (dataset < 0 || file_space < 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot open for writing",
                                writer->target, path);
        else if (offset < 0 || n_local < 0 || (n_local > 0 && offset > (int64_t)length - n_local))
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '%s': rows %lld..%lld outside its %lld rows",
                                writer->target, path, (long long)offset,
                                (long long)(offset + n_local), (long long)length);
        /* Agree before the collective write: a rank that skips it hangs the others. */
        status = cvseg_dist_agree(writer->comm, status);
        if (status == CVSEG_OK) {
            if (n_local > 0) {
                H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
            } else {
                H5Sselect_none(file_space);
                H5Sselect_none(memory_space);
            }
            /* Enums: memory values are written as the file's own enum type. */
            write_type =
                column->enum_def ? H5Dget_type(dataset) : H5Tcopy(native_type(column->type));
            static const char nothing = 0;
            if (H5Dwrite(dataset, write_type, memory_space, file_space, dxpl,
                         n_local > 0 ? column->data : &nothing) < 0)
                status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': write failed",
                                    writer->target, path);
        }
        if (write_type >= 0)
            H5Tclose(write_type);
        H5Sclose(memory_space);
        if (file_space >= 0)
            H5Sclose(file_space);
        if (dataset >= 0)
            H5Dclose(dataset);
        status = cvseg_dist_agree(writer->comm, status);
    }
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

cvseg_status cvseg_writer_small(cvseg_writer *writer, const char *path, cvseg_type type, int rank,
                                const int64_t *dims, const void *data)
{
    cvseg_status status = CVSEG_OK;
    int my_rank = 0;
    MPI_Comm_rank(writer->comm, &my_rank);
    hsize_t h_dims[2] = {(hsize_t)dims[0], rank > 1 ? (hsize_t)dims[1] : 1};
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        status = ensure_group(writer->file, parent);
    }
    hid_t space = H5Screate_simple(rank, h_dims, NULL);
    hid_t dxpl = collective_transfer();
    hid_t dataset = status == CVSEG_OK ? H5Dcreate2(writer->file, path, native_type(type), space,
                                                    H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                                       : H5I_INVALID_HID;
    if (dataset < 0 && status == CVSEG_OK)
        status =
            CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': cannot create", writer->target, path);
    if (status == CVSEG_OK) {
        hid_t file_space = H5Scopy(space);
        hid_t memory_space = H5Scopy(space);
        if (my_rank != 0) {
            H5Sselect_none(file_space);
            H5Sselect_none(memory_space);
        }
        if (H5Dwrite(dataset, native_type(type), memory_space, file_space, dxpl, data) < 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s', dataset '%s': write failed", writer->target,
                                path);
        H5Sclose(file_space);
        H5Sclose(memory_space);
    }
    if (dataset >= 0)
        H5Dclose(dataset);
    H5Pclose(dxpl);
    H5Sclose(space);
    return cvseg_dist_agree(writer->comm, status);
}

static cvseg_status write_attr(cvseg_writer *writer, const char *object, const char *name,
                               hid_t type, const void *value)
{
    cvseg_status status = CVSEG_OK;
    hid_t target = H5Oopen(writer->file, object, H5P_DEFAULT);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    if (target < 0) {
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': no object '%s' for attribute '%s'",
                            writer->target, object, name);
        goto done;
    }
    if (H5Aexists(target, name) > 0)
        H5Adelete(target, name);
    attr = H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, value) < 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot write attribute '%s' of '%s'",
                            writer->target, name, object);
done:
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    if (target >= 0)
        H5Oclose(target);
    return cvseg_dist_agree(writer->comm, status);
}

cvseg_status cvseg_writer_attr_i64(cvseg_writer *writer, const char *object, const char *name,
                                   int64_t value)
{
    return write_attr(writer, object, name, H5T_NATIVE_INT64, &value);
}

cvseg_status cvseg_writer_attr_i32(cvseg_writer *writer, const char *object, const char *name,
                                   int32_t value)
{
    return write_attr(writer, object, name, H5T_NATIVE_INT32, &value);
}

cvseg_status cvseg_writer_attr_f64(cvseg_writer *writer, const char *object, const char *name,
                                   double value)
{
    return write_attr(writer, object, name, H5T_NATIVE_DOUBLE, &value);
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
        status = write_string_attr(target, name, value);
    if (target >= 0)
        H5Oclose(target);
    return cvseg_dist_agree(writer->comm, status);
}

cvseg_status cvseg_writer_finish(cvseg_writer *writer, cvseg_status run_status)
{
    int rank = 0;
    MPI_Comm_rank(writer->comm, &rank);
    cvseg_status status = cvseg_dist_agree(writer->comm, run_status);
    cvseg_status close_status = CVSEG_OK;
    if (H5Fclose(writer->file) < 0)
        close_status = CVSEG_FAIL(CVSEG_EIO, "file '%s': closing failed", writer->target);
    close_status = cvseg_dist_agree(writer->comm, close_status);
    if (status == CVSEG_OK)
        status = close_status;
    if (rank == 0) {
        if (status == CVSEG_OK) {
            if (rename(writer->temporary, writer->target) != 0)
                status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot rename '%s' into place: %s",
                                    writer->target, writer->temporary, strerror(errno));
        }
        if (status != CVSEG_OK)
            unlink(writer->temporary);
    }
    status = cvseg_dist_agree(writer->comm, status);
    free(writer);
    return status;
}

/* ------------------------------------------------------------------ reader */

cvseg_status cvseg_reader_open(MPI_Comm comm, const char *path, cvseg_reader **reader)
{
    cvseg_status status = CVSEG_OK;
    hid_t fapl = H5I_INVALID_HID;
    struct stat info;
    cvseg_reader *r = calloc(1, sizeof *r);
    quiet_hdf5();
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
    fapl = file_access(comm);
    r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (r->file < 0)
        status =
            CVSEG_FAIL(CVSEG_EDATA, "file '%s': cannot open as HDF5 (truncated or damaged?)", path);
done:
    if (fapl >= 0)
        H5Pclose(fapl);
    status = cvseg_dist_agree(comm, status);
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
    return cvseg_dist_agree(reader->comm, status);
}

cvseg_status cvseg_reader_column(cvseg_reader *reader, const char *group, const char *name,
                                 cvseg_type type, int64_t offset, int64_t count, void *out)
{
    cvseg_status status = CVSEG_OK;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", group, name);
    hid_t dataset = H5Dopen2(reader->file, path, H5P_DEFAULT);
    hid_t file_type = dataset >= 0 ? H5Dget_type(dataset) : H5I_INVALID_HID;
    hid_t file_space = dataset >= 0 ? H5Dget_space(dataset) : H5I_INVALID_HID;
    hid_t dxpl = collective_transfer();
    int64_t pieces = 0;
    if (dataset < 0 || file_type < 0 || file_space < 0) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing or damaged dataset '%s'", reader->path,
                            path);
    } else {
        const H5T_class_t class = H5Tget_class(file_type);
        const int integer_ok = class == H5T_INTEGER || class == H5T_ENUM;
        const int float_ok = class == H5T_FLOAT || integer_ok;
        const hssize_t length = H5Sget_simple_extent_npoints(file_space);
        if (is_float_type(type) ? !float_ok : !integer_ok)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': wrong type class (expected %s)",
                           reader->path, path, is_float_type(type) ? "a number" : "an integer");
        else if (offset < 0 || count < 0 || (count > 0 && offset > (int64_t)length - count))
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '%s': rows %lld..%lld outside its %lld rows",
                                reader->path, path, (long long)offset, (long long)(offset + count),
                                (long long)length);
    }
    status = cvseg_dist_agree(reader->comm, status);
    if (status != CVSEG_OK)
        goto done;
    /* Every rank takes part in the same number of collective reads. */
    pieces = (count + CVSEG_IO_PIECE_ROWS - 1) / CVSEG_IO_PIECE_ROWS;
    status = cvseg_dist_check(
        MPI_Allreduce(MPI_IN_PLACE, &pieces, 1, MPI_INT64_T, MPI_MAX, reader->comm),
        "read planning");
    for (int64_t piece = 0; piece < pieces && status == CVSEG_OK; ++piece) {
        const int64_t first = piece * CVSEG_IO_PIECE_ROWS;
        int64_t rows = count - first;
        if (rows > CVSEG_IO_PIECE_ROWS)
            rows = CVSEG_IO_PIECE_ROWS;
        if (rows < 0)
            rows = 0;
        const hsize_t start[1] = {(hsize_t)(offset + first)}, n[1] = {(hsize_t)rows};
        const hsize_t one[1] = {1};
        hid_t memory_space = H5Screate_simple(1, rows > 0 ? n : one, NULL);
        hid_t selection = H5Scopy(file_space);
        if (rows > 0) {
            H5Sselect_hyperslab(selection, H5S_SELECT_SET, start, NULL, n, NULL);
        } else {
            H5Sselect_none(selection);
            H5Sselect_none(memory_space);
        }
        char *destination = (char *)out + (size_t)first * cvseg_type_size(type);
        cvseg_status piece_status = CVSEG_OK;
        if (H5Dread(dataset, native_type(type), memory_space, selection, dxpl,
                    rows > 0 ? destination : out) < 0)
            piece_status = CVSEG_FAIL(
                CVSEG_EIO, "file '%s', dataset '%s': read failed at rows %lld..%lld", reader->path,
                path, (long long)(offset + first), (long long)(offset + first + rows));
        H5Sclose(selection);
        H5Sclose(memory_space);
        status = cvseg_dist_agree(reader->comm, piece_status);
    }
done:
    H5Pclose(dxpl);
    if (file_space >= 0)
        H5Sclose(file_space);
    if (file_type >= 0)
        H5Tclose(file_type);
    if (dataset >= 0)
        H5Dclose(dataset);
    return status;
}

static cvseg_status read_attr(cvseg_reader *reader, const char *object, const char *name,
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
    return read_attr(reader, object, name, H5T_NATIVE_INT32, value, present);
}

cvseg_status cvseg_reader_attr_i64(cvseg_reader *reader, const char *object, const char *name,
                                   int64_t *value, int *present)
{
    return read_attr(reader, object, name, H5T_NATIVE_INT64, value, present);
}

cvseg_status cvseg_reader_attr_f64(cvseg_reader *reader, const char *object, const char *name,
                                   double *value, int *present)
{
    return read_attr(reader, object, name, H5T_NATIVE_DOUBLE, value, present);
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
        if (dims[0] * dims[1] > capacity)
            status = CVSEG_FAIL(CVSEG_EDATA,
                                "file '%s', dataset '%s': larger than expected (%lld values)",
                                reader->path, path, (long long)(dims[0] * dims[1]));
        else if (dims[0] * dims[1] > 0 &&
                 H5Dread(dataset, native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
            status =
                CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': read failed", reader->path, path);
    }
    if (space >= 0)
        H5Sclose(space);
    if (dataset >= 0)
        H5Dclose(dataset);
    return cvseg_dist_agree(reader->comm, status);
}
