# hardening.cmake: the hardening suites (README "Hardening tests").
#   badinput  tests/badinput: the table-driven bad-input corpus at np 1 and 3
#   faults    tests/faults: kill -9 of a rank, signals to mpirun, concurrent writers
#   asan      tests/asan: ASan + UBSan copies of the libraries, cvseg and the MPI tests
#   fuzz      tests/fuzz: libFuzzer harnesses built with clang in a second build folder
# They need the variables of tests/CMakeLists.txt (CVSEG_TEST_ENV, CVSEG_MPI_TESTS).
set(CVSEG_HARDENING_ENV
    "${CVSEG_TEST_ENV};CVSEG=$<TARGET_FILE:cvseg>;SOURCE_DIR=${PROJECT_SOURCE_DIR};PYTHON=/usr/bin/python3")

add_test(NAME badinput_corpus COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/badinput/run_badinput.py)
set_tests_properties(badinput_corpus PROPERTIES LABELS "badinput;e2e" TIMEOUT 900 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CVSEG_HARDENING_ENV};WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/hardening-work/badinput")

add_test(NAME faults COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_faults.sh)
set_tests_properties(faults PROPERTIES LABELS "faults;e2e" TIMEOUT 900 SKIP_RETURN_CODE 77 PROCESSORS 2
  ENVIRONMENT "${CVSEG_HARDENING_ENV};WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/hardening-work/faults")

option(CVSEG_SANITIZE_MPI "Also build ASan+UBSan copies of the libraries, cvseg and the MPI tests" ON)
if(CVSEG_SANITIZE AND CVSEG_SANITIZE_MPI)
  include(${CMAKE_CURRENT_SOURCE_DIR}/asan/asan.cmake)
endif()

# libFuzzer: built with clang in a second build folder by the test itself (CI
# builds with gcc), or directly here when this build's compiler is clang.
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz.cmake)
endif()
add_test(NAME fuzz COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.py)
set_tests_properties(fuzz PROPERTIES LABELS fuzz TIMEOUT 1200 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CVSEG_TEST_ENV};SOURCE_DIR=${PROJECT_SOURCE_DIR};FUZZ_BUILD_DIR=${CMAKE_BINARY_DIR}/fuzz-clang;FUZZ_WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/hardening-work/fuzz")
