/* test_clv_mpi.c: cvseg_mpi_gather_tuples on every rank: the gathered table
 * equals the serial compression of all tuples (cvseg_tuples_compress on one
 * array), whatever the partition (uneven, one rank empty), and is identical
 * on every rank. */
#include <stdlib.h>
#include <string.h>

#include "cvseg/clv.h"
#include "cvseg/clv_mpi.h"
#include "mpi_test_main.h"

enum { TUPLES = 5000, WIDTH = 3 };

/* Tuple i: (i % 7, (i * 13) % 11, i % 3), count 1 + i % 2. */
static void tuple(int64_t i, uint64_t *row)
{
    row[0] = (uint64_t)(i % 7);
    row[1] = (uint64_t)((i * 13) % 11);
    row[2] = (uint64_t)(i % 3);
    row[3] = (uint64_t)(1 + i % 2);
}

static void test_gather_equals_serial(void)
{
    /* rank r holds an uneven slice; the last rank holds none (when P > 1) */
    const int P = cvseg_test_size, r = cvseg_test_rank;
    const int64_t holders = P > 1 ? P - 1 : 1;
    const int64_t begin = r < holders ? TUPLES * r * r / (holders * holders) : TUPLES;
    const int64_t end = r < holders ? TUPLES * (r + 1) * (r + 1) / (holders * holders) : TUPLES;
    uint64_t *mine = malloc(sizeof(uint64_t) * 4 * (size_t)(end - begin + 1));
    uint64_t *all = malloc(sizeof(uint64_t) * 4 * TUPLES);
    for (int64_t i = begin; i < end; ++i)
        tuple(i, mine + 4 * (i - begin));
    for (int64_t i = 0; i < TUPLES; ++i)
        tuple(i, all + 4 * i);
    const int64_t want = cvseg_tuples_compress(all, TUPLES, WIDTH);
    uint64_t *table = NULL;
    int64_t m = -1;
    CU_ASSERT_EQUAL(cvseg_mpi_gather_tuples(cvseg_test_comm, mine, end - begin, WIDTH, &table, &m),
                    CVSEG_OK);
    CVSEG_ASSERT_EQUAL_I64(m, want);
    CU_ASSERT(table && memcmp(table, all, sizeof(uint64_t) * 4 * (size_t)want) == 0);
    /* identical on every rank: compare with rank 0's copy */
    uint64_t *root = malloc(sizeof(uint64_t) * 4 * (size_t)want);
    if (table)
        memcpy(root, table, sizeof(uint64_t) * 4 * (size_t)want);
    MPI_Bcast(root, (int)(4 * want), MPI_UINT64_T, 0, cvseg_test_comm);
    CU_ASSERT(table && memcmp(table, root, sizeof(uint64_t) * 4 * (size_t)want) == 0);
    free(root);
    free(table);
    free(mine);
    free(all);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {{"gathered tuples = serial compression", test_gather_equals_serial},
                           CU_TEST_INFO_NULL};
    return cvseg_mpi_test_main(argc, argv, "mpi clv", tests);
}
