/* cunit_main.h: a CUnit main that fails when any assertion failed.
 *
 * Usage: define `static const CU_TestInfo *suites...` via CVSEG_TEST_MAIN with
 * an array of {name, function} pairs. The process exit code is the number of
 * failed assertions (capped at 1) or 2 on a framework error, never 0 after a
 * failure (CU_get_error() alone would be 0). */
#ifndef CVSEG_CUNIT_MAIN_H
#define CVSEG_CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>

static inline int cvseg_run_cunit(const char *suite_name, CU_TestInfo *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_SuiteInfo suites[] = {{suite_name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    const unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    const int framework_error = CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return framework_error ? 2 : failed > 0 ? 1 : 0;
}

/* Asserts two doubles are bit-identical, printing both on failure. */
#define CVSEG_ASSERT_SAME_DOUBLE(a, b)                                                             \
    do {                                                                                           \
        const double cvseg_a_ = (a), cvseg_b_ = (b);                                               \
        if (memcmp(&cvseg_a_, &cvseg_b_, sizeof(double)) != 0)                                     \
            fprintf(stderr, "  %s:%d: %s = %.17g but %s = %.17g\n", __FILE__, __LINE__, #a,        \
                    cvseg_a_, #b, cvseg_b_);                                                       \
        CU_ASSERT(memcmp(&cvseg_a_, &cvseg_b_, sizeof(double)) == 0);                              \
    } while (0)

#define CVSEG_ASSERT_EQUAL_I64(a, b)                                                               \
    do {                                                                                           \
        const long long cvseg_a_ = (long long)(a), cvseg_b_ = (long long)(b);                      \
        if (cvseg_a_ != cvseg_b_)                                                                  \
            fprintf(stderr, "  %s:%d: %s = %lld but %s = %lld\n", __FILE__, __LINE__, #a,          \
                    cvseg_a_, #b, cvseg_b_);                                                       \
        CU_ASSERT_EQUAL(cvseg_a_, cvseg_b_);                                                       \
    } while (0)

#endif
