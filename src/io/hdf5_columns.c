/* hdf5_columns.c: names, classes, date units and enum names of the columns
 * of a table group (metadata only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cvseg/io_columns.h"
#include "hdf5_internal.h"

typedef struct {
    char **names;
    int count, capacity;
    int failed;
} hdf5_columns_listing;

static herr_t hdf5_columns_collect(hid_t group, const char *name, const H5L_info_t *info,
                                   void *data)
{
    hdf5_columns_listing *listing = data;
    H5O_info_t object;
    (void)info;
    if (H5Oget_info_by_name2(group, name, &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        object.type != H5O_TYPE_DATASET)
        return 0; /* subgroups, named types, dangling links */
    if (listing->count == listing->capacity) {
        const int capacity = listing->capacity ? 2 * listing->capacity : 32;
        char **grown = realloc(listing->names, (size_t)capacity * sizeof *grown);
        if (!grown) {
            listing->failed = 1;
            return -1;
        }
        listing->names = grown;
        listing->capacity = capacity;
    }
    listing->names[listing->count] = strdup(name);
    if (!listing->names[listing->count]) {
        listing->failed = 1;
        return -1;
    }
    listing->count++;
    return 0;
}

void cvseg_column_names_free(char **names, int count)
{
    for (int i = 0; names && i < count; ++i)
        free(names[i]);
    free(names);
}

cvseg_status cvseg_reader_list(cvseg_reader *reader, const char *group, char ***names, int *count)
{
    hdf5_columns_listing listing = {0};
    cvseg_status status = CVSEG_OK;
    hsize_t at = 0;
    *names = NULL;
    *count = 0;
    hid_t handle = cvseg_reader_exists(reader, group)
                       ? H5Gopen2(cvseg__reader_file(reader), group, H5P_DEFAULT)
                       : H5I_INVALID_HID;
    if (handle < 0)
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': missing group '%s'", cvseg_reader_path(reader),
                            group);
    else if (H5Literate(handle, H5_INDEX_NAME, H5_ITER_INC, &at, hdf5_columns_collect, &listing) <
             0)
        status = listing.failed ? CVSEG_FAIL(CVSEG_ENOMEM, "out of memory")
                                : CVSEG_FAIL(CVSEG_EDATA, "file '%s': cannot list group '%s'",
                                             cvseg_reader_path(reader), group);
    if (handle >= 0)
        H5Gclose(handle);
    if (status == CVSEG_OK) {
        *names = listing.names;
        *count = listing.count;
    } else {
        cvseg_column_names_free(listing.names, listing.count);
    }
    return status;
}

/* Enum member names by value (values outside 0..255 are left out). */
static int hdf5_columns_enum_names(hid_t type, cvseg_column_info *info)
{
    const int members = H5Tget_nmembers(type);
    const hid_t base = H5Tget_super(type);
    const size_t size = H5Tget_size(type);
    int ok = members >= 0 && base >= 0 && size <= 16;
    for (int m = 0; ok && m < members; ++m) {
        unsigned char raw[16] = {0};
        int64_t value = -1;
        ok = H5Tget_member_value(type, (unsigned)m, raw) >= 0 &&
             H5Tconvert(base, H5T_NATIVE_INT64, 1, raw, NULL, H5P_DEFAULT) >= 0;
        memcpy(&value, raw, sizeof value);
        char *name = ok ? H5Tget_member_name(type, (unsigned)m) : NULL;
        if (name && value >= 0 && value < 256 && !info->enum_names[value])
            info->enum_names[value] = strdup(name);
        if (name)
            H5free_memory(name);
        ok = ok && name != NULL;
    }
    if (base >= 0)
        H5Tclose(base);
    return ok;
}

/* 1 when the dataset has the string attribute units = "days since
 * 1970-01-01" (fixed-length, as cvseg writes it, or variable-length, as
 * h5py writes a Python str). */
static int hdf5_columns_is_date(hid_t file, const char *path)
{
    static const char date_units[] = "days since 1970-01-01";
    int is_date = 0;
    if (H5Aexists_by_name(file, path, "units", H5P_DEFAULT) <= 0)
        return 0;
    const hid_t attribute = H5Aopen_by_name(file, path, "units", H5P_DEFAULT, H5P_DEFAULT);
    const hid_t type = attribute >= 0 ? H5Aget_type(attribute) : H5I_INVALID_HID;
    const hid_t memory = type >= 0 ? H5Tcopy(H5T_C_S1) : H5I_INVALID_HID;
    if (memory >= 0 && H5Tget_class(type) == H5T_STRING)
        H5Tset_cset(memory, H5Tget_cset(type)); /* h5py writes UTF-8 */
    if (memory >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
        char *value = NULL;
        H5Tset_size(memory, H5T_VARIABLE);
        if (H5Aread(attribute, memory, &value) >= 0 && value) {
            is_date = strcmp(value, date_units) == 0;
            H5free_memory(value);
        }
    } else if (memory >= 0 && H5Tget_class(type) == H5T_STRING) {
        char value[64] = "";
        const size_t size = H5Tget_size(type);
        H5Tset_size(memory, sizeof value);
        if (size < sizeof value && H5Aread(attribute, memory, value) >= 0)
            is_date = strcmp(value, date_units) == 0;
    }
    if (memory >= 0)
        H5Tclose(memory);
    if (type >= 0)
        H5Tclose(type);
    if (attribute >= 0)
        H5Aclose(attribute);
    return is_date;
}

cvseg_status cvseg_reader_describe(cvseg_reader *reader, const char *group, const char *name,
                                   cvseg_column_info *info)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", group, name);
    memset(info, 0, sizeof *info);
    info->class = CVSEG_COLUMN_OTHER;
    const hid_t file = cvseg__reader_file(reader);
    const hid_t dataset =
        cvseg_reader_exists(reader, path) ? H5Dopen2(file, path, H5P_DEFAULT) : H5I_INVALID_HID;
    const hid_t type = dataset >= 0 ? H5Dget_type(dataset) : H5I_INVALID_HID;
    const hid_t space = dataset >= 0 ? H5Dget_space(dataset) : H5I_INVALID_HID;
    cvseg_status status = CVSEG_OK;
    if (type < 0 || space < 0) {
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s': '%s' is not a dataset that can be read",
                            cvseg_reader_path(reader), path);
        goto done;
    }
    const H5T_class_t class = H5Tget_class(type);
    info->dimensions = H5Sget_simple_extent_ndims(space);
    info->size = H5Tget_size(type);
    info->class = class == H5T_INTEGER ? CVSEG_COLUMN_INTEGER
                  : class == H5T_FLOAT ? CVSEG_COLUMN_FLOAT
                  : class == H5T_ENUM  ? CVSEG_COLUMN_ENUM
                                       : CVSEG_COLUMN_OTHER;
    if (info->class == CVSEG_COLUMN_ENUM && !hdf5_columns_enum_names(type, info))
        status = CVSEG_FAIL(CVSEG_EDATA, "file '%s', dataset '%s': cannot read its enum names",
                            cvseg_reader_path(reader), path);
    info->is_date = info->class == CVSEG_COLUMN_INTEGER && hdf5_columns_is_date(file, path);
done:
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (dataset >= 0)
        H5Dclose(dataset);
    return status;
}

void cvseg_column_info_free(cvseg_column_info *info)
{
    for (int v = 0; v < 256; ++v)
        free(info->enum_names[v]);
    memset(info->enum_names, 0, sizeof info->enum_names);
}
