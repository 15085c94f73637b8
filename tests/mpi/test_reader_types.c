/* test_reader_types.c: the column reader never clips (1, 2 and 4 ranks).
 *
 * Rank 0 writes a file with the HDF5 C API (serial), holding columns whose
 * file type is wider than the field they are read into, enums (one like
 * h5py's bool), and datasets that were never written. Every rank reads its
 * block of rows; a value that does not fit must fail with EDATA on every
 * rank, and the agreed message must name the file, the dataset, the global
 * row and the value, whatever the number of ranks. Values that do fit must
 * arrive unchanged.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvseg/collectives.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "mpi_test_main.h"

enum { ROWS = 20 };
static char test_file[128];

static void write_column(hid_t file, const char *name, hid_t file_type, hid_t memory_type,
                         const void *data)
{
    const hsize_t n[1] = {ROWS};
    hid_t space = H5Screate_simple(1, n, NULL);
    hid_t dataset = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (data)
        H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(dataset);
    H5Sclose(space);
}

static void write_unwritten_chunked(hid_t file, const char *name)
{
    const hsize_t n[1] = {ROWS}, chunk[1] = {4};
    hid_t space = H5Screate_simple(1, n, NULL);
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(create, 1, chunk);
    hid_t dataset = H5Dcreate2(file, name, H5T_STD_I32LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    H5Dclose(dataset);
    H5Pclose(create);
    H5Sclose(space);
}

/* An enum over a 1-byte base with values 0 and 1 (h5py writes bool as an
 * enum over int8 with FALSE and TRUE). */
static hid_t make_enum(hid_t base, const char *zero, const char *one)
{
    hid_t type = H5Tenum_create(base);
    const unsigned char values[2] = {0, 1};
    H5Tenum_insert(type, zero, &values[0]);
    H5Tenum_insert(type, one, &values[1]);
    return type;
}

static void write_test_file(void)
{
    int64_t big[ROWS], fits[ROWS], near53[ROWS];
    uint64_t ids[ROWS];
    int32_t negative[ROWS];
    uint8_t flags[ROWS];
    double huge[ROWS], real[ROWS];
    for (int i = 0; i < ROWS; ++i) {
        big[i] = i;
        fits[i] = i % 2 ? INT32_MAX - i : INT32_MIN + i;
        near53[i] = ((int64_t)1 << 53) - i;
        ids[i] = (uint64_t)i * 1000;
        negative[i] = i;
        flags[i] = (uint8_t)(i % 2);
        huge[i] = 1e30 * i;
        real[i] = 0.5 * i;
    }
    big[13] = 3000000000LL;              /* > INT32_MAX */
    ids[5] = 9223372036854775808ULL;     /* 2^63 */
    negative[3] = -1;                    /* into unsigned */
    near53[17] = ((int64_t)1 << 53) + 1; /* not exact as a double */
    huge[11] = 1e300;                    /* beyond float32 */
    hid_t file = H5Fcreate(test_file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(file, "/m", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    write_column(file, "/m/big", H5T_STD_I64LE, H5T_NATIVE_INT64, big);
    write_column(file, "/m/fits", H5T_STD_I64LE, H5T_NATIVE_INT64, fits);
    write_column(file, "/m/near53", H5T_STD_I64LE, H5T_NATIVE_INT64, near53);
    write_column(file, "/m/ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, ids);
    write_column(file, "/m/negative", H5T_STD_I32LE, H5T_NATIVE_INT32, negative);
    write_column(file, "/m/huge", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, huge);
    write_column(file, "/m/real", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, real);
    hid_t category = make_enum(H5T_STD_U8LE, "bronze", "gold");
    hid_t boolean = make_enum(H5T_STD_I8LE, "FALSE", "TRUE");
    hid_t category_memory = make_enum(H5T_NATIVE_UINT8, "bronze", "gold");
    hid_t boolean_memory = make_enum(H5T_NATIVE_SCHAR, "FALSE", "TRUE");
    write_column(file, "/m/category", category, category_memory, flags);
    write_column(file, "/m/bool", boolean, boolean_memory, flags);
    write_column(file, "/m/unwritten", H5T_STD_I64LE, H5T_NATIVE_INT64, NULL);
    write_unwritten_chunked(file, "/m/unwritten_chunked");
    H5Tclose(category);
    H5Tclose(boolean);
    H5Tclose(category_memory);
    H5Tclose(boolean_memory);
    H5Fclose(file);
}

static cvseg_reader *reader = NULL;

/* First test: rank 0 writes the file, every rank opens it. */
static void test_setup(void)
{
    cvseg_test_path(test_file, sizeof test_file, "reader_types");
    if (cvseg_test_rank == 0)
        write_test_file();
    MPI_Barrier(cvseg_test_comm);
    CU_ASSERT_EQUAL_FATAL(cvseg_reader_open(cvseg_test_comm, test_file, &reader), CVSEG_OK);
}

/* Last test. */
static void test_cleanup(void)
{
    cvseg_reader_close(reader);
    MPI_Barrier(cvseg_test_comm);
    if (cvseg_test_rank == 0)
        unlink(test_file);
}

/* Reads this rank's block of name as type; expects EDATA agreed on every
 * rank with a message holding each of the pieces (NULL: none). */
static void expect_refused(const char *name, cvseg_type type, const char *piece1,
                           const char *piece2)
{
    const cvseg_block block = cvseg_block_partition(ROWS, cvseg_test_size, cvseg_test_rank);
    int64_t out[ROWS];
    char dataset[64];
    snprintf(dataset, sizeof dataset, "dataset '/m/%s'", name);
    cvseg_error_clear();
    const cvseg_status status =
        cvseg_reader_column(reader, "/m", name, type, block.offset, block.count, out);
    CU_ASSERT_EQUAL(status, CVSEG_EDATA);
    CU_ASSERT(cvseg_test_same_i64(status));
    const char *message = cvseg_error_message();
    const char *pieces[] = {test_file, dataset, piece1, piece2};
    for (int p = 0; p < 4; ++p) {
        if (pieces[p] && !strstr(message, pieces[p]))
            fprintf(stderr, "  rank %d: message '%s' lacks '%s'\n", cvseg_test_rank, message,
                    pieces[p]);
        CU_ASSERT(pieces[p] == NULL || strstr(message, pieces[p]) != NULL);
    }
    cvseg_error_clear();
}

static void test_int64_above_int32(void)
{
    expect_refused("big", CVSEG_T_I32, "row 13:", "value 3000000000");
}

static void test_uint64_above_int64(void)
{
    expect_refused("ids", CVSEG_T_I64, "row 5:", "value 9223372036854775808");
}

static void test_negative_into_unsigned(void)
{
    expect_refused("negative", CVSEG_T_U8, "row 3:", "value -1");
    expect_refused("negative", CVSEG_T_U16, "row 3:", "value -1");
}

static void test_int64_beyond_double(void)
{
    expect_refused("near53", CVSEG_T_F64, "row 17:", "value 9007199254740993");
}

static void test_double_beyond_float(void)
{
    expect_refused("huge", CVSEG_T_F32, "row 11:", "value 1e+300");
}

static void test_float_into_integer(void)
{
    expect_refused("real", CVSEG_T_I32, "expected an integer", NULL);
}

static void test_enums_refused(void)
{
    expect_refused("category", CVSEG_T_I32, "enum", NULL);
    expect_refused("bool", CVSEG_T_F64, "enum", NULL);
    expect_refused("bool", CVSEG_T_U8, "enum", NULL);
}

static void test_unwritten_refused(void)
{
    expect_refused("unwritten", CVSEG_T_I64, "never written", NULL);
    expect_refused("unwritten_chunked", CVSEG_T_I32, "never written", NULL);
}

/* Wider types whose values all fit arrive unchanged. */
static void test_fitting_values(void)
{
    const cvseg_block block = cvseg_block_partition(ROWS, cvseg_test_size, cvseg_test_rank);
    int32_t narrow[ROWS];
    int64_t ids[ROWS];
    uint8_t category[ROWS];
    double near53[ROWS];
    CU_ASSERT_EQUAL(
        cvseg_reader_column(reader, "/m", "fits", CVSEG_T_I32, block.offset, block.count, narrow),
        CVSEG_OK);
    CU_ASSERT_EQUAL(cvseg_reader_column(reader, "/m", "ids", CVSEG_T_I64, 0, 5, ids), CVSEG_OK);
    CU_ASSERT_EQUAL(cvseg_reader_column(reader, "/m", "near53", CVSEG_T_F64, 0, 17, near53),
                    CVSEG_OK);
    CU_ASSERT_EQUAL(
        cvseg_reader_enum_column(reader, "/m", "category", block.offset, block.count, category),
        CVSEG_OK);
    for (int64_t i = 0; i < block.count; ++i) {
        const int64_t g = block.offset + i;
        CU_ASSERT_EQUAL(narrow[i], g % 2 ? INT32_MAX - g : INT32_MIN + g);
        CU_ASSERT_EQUAL(category[i], g % 2);
    }
    for (int64_t i = 0; i < 5; ++i)
        CU_ASSERT_EQUAL(ids[i], i * 1000);
    for (int64_t i = 0; i < 17; ++i)
        CU_ASSERT_EQUAL(near53[i], (double)(((int64_t)1 << 53) - i));
    /* A plain integer column is no enum. */
    cvseg_error_clear();
    CU_ASSERT_EQUAL(cvseg_reader_enum_column(reader, "/m", "negative", 0, 2, category),
                    CVSEG_EDATA);
    cvseg_error_clear();
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {{"write and open the file", test_setup},
                           {"int64 above INT32_MAX into int32", test_int64_above_int32},
                           {"uint64 >= 2^63 into int64", test_uint64_above_int64},
                           {"negative into unsigned", test_negative_into_unsigned},
                           {"int64 beyond 2^53 into float64", test_int64_beyond_double},
                           {"float64 beyond float32", test_double_beyond_float},
                           {"float into an integer field", test_float_into_integer},
                           {"enums and bools refused", test_enums_refused},
                           {"unwritten datasets refused", test_unwritten_refused},
                           {"wider types that fit", test_fitting_values},
                           {"close and remove the file", test_cleanup},
                           CU_TEST_INFO_NULL};
    return cvseg_mpi_test_main(argc, argv, "mpi reader types", tests);
}
