/* test_bucket.c: owners by range and hash, counts per destination, stable
 * packing, against plain references (linear scans, a stable pass per
 * destination). */
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0xb0c4e7
#include "cunit_main.h"
#include "cvseg/bucket.h"
#include "cvseg/rng.h"
#include "test_support.h"

/* Reference owner: splitters strictly below key, counted one by one. */
static int reference_owner(const uint64_t *splitters, int ranks, uint64_t key)
{
    int below = 0;
    for (int s = 0; s < ranks - 1; ++s)
        below += splitters[s] < key;
    return below;
}

static void test_range_owner_matches_a_linear_scan(void)
{
    uint64_t splitters[16], keys[200];
    int destination[200];
    for (int ranks = 1; ranks <= 17; ++ranks) {
        for (int s = 0; s < ranks - 1; ++s) /* ascending, with repeats */
            splitters[s] = (s > 0 ? splitters[s - 1] : 0) + next_u64() % 3;
        for (int i = 0; i < 200; ++i)
            keys[i] = next_u64() % (uint64_t)(2 * ranks + 2);
        keys[0] = UINT64_MAX;
        cvseg_bucket_range_owners(splitters, ranks, keys, 200, destination);
        int mismatches = 0;
        for (int i = 0; i < 200; ++i)
            mismatches += destination[i] != reference_owner(splitters, ranks, keys[i]);
        CU_ASSERT_EQUAL(mismatches, 0);
    }
}

static void test_hash_owner_is_mix64_modulo(void)
{
    const int64_t keys[] = {0, 1, -1, INT64_MIN, INT64_MAX, 123456789};
    for (int ranks = 1; ranks <= 9; ++ranks)
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
            const int owner = cvseg_bucket_hash_owner(keys[i], ranks);
            CU_ASSERT_EQUAL(owner, (int)(cvseg_mix64((uint64_t)keys[i]) % (uint64_t)ranks));
        }
}

/* Packs records of size bytes to random destinations (the range owners of
 * random keys), by destination array and by key, and compares with one
 * stable pass per destination. */
static void check_pack(int ranks, int64_t n, size_t size)
{
    int *destination = malloc(sizeof(int) * (size_t)(n + 1));
    unsigned char *source = malloc(size * (size_t)(n + 1));
    unsigned char *packed = malloc(size * (size_t)(n + 1));
    unsigned char *expected = malloc(size * (size_t)(n + 1));
    uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)(n + 1)), splitters[8];
    int64_t counts[9], displs[9], fill[9], range_counts[9];
    for (int s = 0; s < ranks - 1; ++s)
        splitters[s] = 2 * (uint64_t)s + 1;
    for (int64_t i = 0; i < n; ++i) {
        keys[i] = next_u64() % (uint64_t)(2 * ranks);
        destination[i] = reference_owner(splitters, ranks, keys[i]);
        for (size_t b = 0; b < size; ++b)
            source[(size_t)i * size + b] = (unsigned char)next_u64();
    }
    cvseg_bucket_count(destination, n, ranks, counts);
    cvseg_bucket_range_count(splitters, ranks, keys, n, range_counts);
    int64_t at = 0;
    for (int r = 0; r < ranks; ++r) {
        int64_t count = 0;
        displs[r] = at;
        for (int64_t i = 0; i < n; ++i)
            if (destination[i] == r) {
                memcpy(expected + (size_t)at++ * size, source + (size_t)i * size, size);
                count += 1;
            }
        CU_ASSERT_EQUAL(counts[r], count);
        CU_ASSERT_EQUAL(range_counts[r], count);
    }
    CU_ASSERT_EQUAL(at, n);
    cvseg_bucket_pack(destination, n, ranks, displs, fill, source, packed, size);
    CU_ASSERT(n == 0 || memcmp(packed, expected, size * (size_t)n) == 0);
    memset(packed, 0, size * (size_t)(n + 1));
    cvseg_bucket_range_pack(splitters, ranks, keys, n, displs, fill, source, packed, size);
    CU_ASSERT(n == 0 || memcmp(packed, expected, size * (size_t)n) == 0);
    free(keys);
    free(destination);
    free(source);
    free(packed);
    free(expected);
}

static void test_pack_is_stable_by_destination(void)
{
    const size_t sizes[] = {1, 4, 8, 12, 24};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s)
        for (int ranks = 1; ranks <= 9; ranks += 2) {
            check_pack(ranks, 0, sizes[s]);
            check_pack(ranks, 1, sizes[s]);
            check_pack(ranks, 1000, sizes[s]);
        }
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"range owner = splitters below the key", test_range_owner_matches_a_linear_scan},
        {"hash owner = mix64 modulo ranks", test_hash_owner_is_mix64_modulo},
        {"counts and stable packing by destination and by range",
         test_pack_is_stable_by_destination},
        CU_TEST_INFO_NULL};
    return cvseg_run_cunit("bucket", tests);
}
