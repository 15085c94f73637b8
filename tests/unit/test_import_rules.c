/* test_import_rules.c: --map products and order keys (import_rules.h). */
#include <string.h>

#include "cunit_main.h"
#include "cvseg/import_rules.h"

static void test_split_product(void)
{
    const char *left = NULL, *right = NULL;
    size_t nl = 0, nr = 0;
    CU_ASSERT_EQUAL(cvseg_split_product("Quantity*UnitPrice", &left, &nl, &right, &nr), 1);
    CU_ASSERT_TRUE(nl == 8 && strncmp(left, "Quantity", nl) == 0);
    CU_ASSERT_TRUE(nr == 9 && strncmp(right, "UnitPrice", nr) == 0);
    CU_ASSERT_EQUAL(cvseg_split_product(" Unit Price * Qty ", &left, &nl, &right, &nr), 1);
    CU_ASSERT_TRUE(nl == 10 && strncmp(left, "Unit Price", nl) == 0);
    CU_ASSERT_TRUE(nr == 3 && strncmp(right, "Qty", nr) == 0);
    CU_ASSERT_EQUAL(cvseg_split_product("Amount", &left, &nl, &right, &nr), 0);
    CU_ASSERT_EQUAL(cvseg_split_product("", &left, &nl, &right, &nr), 0);
    const char *bad[] = {"*B", "A*", " * ", "A*B*C", "A**B", "*"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k)
        CU_ASSERT_EQUAL(cvseg_split_product(bad[k], &left, &nl, &right, &nr), -1);
}

/* FNV-1a 64 + SplitMix64 finalizer + top bit cleared, written out here. */
static int64_t reference_hash(const char *text)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = text; *p; ++p)
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
    h ^= h >> 31;
    return (int64_t)(h & 0x7fffffffffffffffu);
}

static int64_t key(const char *text)
{
    return cvseg_order_id_key(text, strlen(text));
}

static void test_order_keys(void)
{
    CVSEG_ASSERT_EQUAL_I64(key("536365"), 536365);
    CVSEG_ASSERT_EQUAL_I64(key(" 536365 "), 536365);
    CVSEG_ASSERT_EQUAL_I64(key("0"), 0);
    CVSEG_ASSERT_EQUAL_I64(key("-17"), -17);
    CVSEG_ASSERT_EQUAL_I64(key("9223372036854775807"), INT64_MAX);
    CVSEG_ASSERT_EQUAL_I64(key("-9223372036854775808"), INT64_MIN);
    /* Not canonical integers: hashed as text. */
    const char *texts[] = {"C536379",
                           "536365C",
                           "007",
                           "+5",
                           "12.0",
                           "-0",
                           "9223372036854775808",
                           "99999999999999999999",
                           "A",
                           "café"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; ++k) {
        const int64_t h = key(texts[k]);
        CU_ASSERT_TRUE(h >= 0);
        CVSEG_ASSERT_EQUAL_I64(h, reference_hash(texts[k]));
    }
    /* A value computed independently in Python (arbitrary-precision ints). */
    CVSEG_ASSERT_EQUAL_I64(key("C536379"), 6392228207371252736);
    CU_ASSERT_NOT_EQUAL(key("C536365"), key("536365"));
    CU_ASSERT_NOT_EQUAL(key("007"), key("7"));
    CU_ASSERT_NOT_EQUAL(key("C536379"), key("C536380"));
}

int main(void)
{
    CU_TestInfo tests[] = {{"--map FIELD=A*B", test_split_product},
                           {"order keys", test_order_keys},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("import_rules", tests);
}
