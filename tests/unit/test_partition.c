/* test_partition.c: block partition arithmetic for all n in 0..64, p in 1..9. */
#include <string.h>

#include "cunit_main.h"
#include "cvseg/partition.h"

static void test_blocks_cover_rows_once(void)
{
    for (int64_t n = 0; n <= 64; ++n) {
        for (int p = 1; p <= 9; ++p) {
            int64_t next = 0, smallest = n, largest = 0;
            for (int r = 0; r < p; ++r) {
                const cvseg_block block = cvseg_block_partition(n, p, r);
                CVSEG_ASSERT_EQUAL_I64(block.offset, next);
                CU_ASSERT(block.count >= 0);
                next = block.offset + block.count;
                smallest = block.count < smallest ? block.count : smallest;
                largest = block.count > largest ? block.count : largest;
            }
            CVSEG_ASSERT_EQUAL_I64(next, n);
            CU_ASSERT(largest - smallest <= 1);
        }
    }
}

static void test_large_counts(void)
{
    const int64_t n = 100000000007LL;
    const cvseg_block last = cvseg_block_partition(n, 16, 15);
    CVSEG_ASSERT_EQUAL_I64(last.offset + last.count, n);
    const cvseg_block first = cvseg_block_partition(n, 16, 0);
    CVSEG_ASSERT_EQUAL_I64(first.count, n / 16 + 1);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"blocks cover every row once, sizes differ by <= 1", test_blocks_cover_rows_once},
        {"large counts", test_large_counts},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("partition", tests);
}
