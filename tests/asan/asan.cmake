# asan.cmake: ASan + UBSan copies of the dist, io and app libraries, the cvseg
# binary (cvseg_asan) and the MPI tests (test_*_asan), run under mpirun
# (label asan). The core copy is cvseg_core_asan (tests/CMakeLists.txt); its
# PUBLIC sanitizer flags reach everything linked against it. Built at -O1 -g.
# LeakSanitizer suppresses what Open MPI and HDF5 keep until exit
# (tests/asan/lsan.supp); leaks in cvseg's code still fail.
set(CVSEG_ASAN_ENV
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/asan/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
    "OMPI_MCA_memory=^patcher")

add_library(cvseg_mpi_asan STATIC ${CVSEG_MPI_SOURCES})
target_link_libraries(cvseg_mpi_asan PUBLIC cvseg_core_asan MPI::MPI_C)
cvseg_target_flags(cvseg_mpi_asan)

add_library(cvseg_io_asan STATIC ${CVSEG_IO_SOURCES})
target_include_directories(cvseg_io_asan SYSTEM PUBLIC ${HDF5_C_INCLUDE_DIRS})
target_compile_definitions(cvseg_io_asan PUBLIC ${HDF5_C_DEFINITIONS} H5_USE_110_API_DEFAULT)
target_link_libraries(cvseg_io_asan PUBLIC cvseg_mpi_asan ${HDF5_C_LIBRARIES} ZLIB::ZLIB)
cvseg_target_flags(cvseg_io_asan)

add_library(cvseg_app_asan STATIC ${CVSEG_APP_SOURCES})
target_link_libraries(cvseg_app_asan PUBLIC cvseg_io_asan PkgConfig::JANSSON)
add_dependencies(cvseg_app_asan cvseg_revision) # cvseg_revision.h for --version
target_include_directories(cvseg_app_asan PRIVATE ${CVSEG_GENERATED_DIR})
cvseg_target_flags(cvseg_app_asan)

set(CVSEG_ASAN_KEEP ${CMAKE_CURRENT_SOURCE_DIR}/asan/keep_modules.c)
add_executable(cvseg_asan ${PROJECT_SOURCE_DIR}/src/app/main.c ${CVSEG_ASAN_KEEP})
target_link_libraries(cvseg_asan PRIVATE cvseg_app_asan)
target_link_options(cvseg_asan PRIVATE -rdynamic)
cvseg_target_flags(cvseg_asan)

foreach(source ${CVSEG_MPI_TESTS})
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name}_asan ${source} ${CVSEG_ASAN_KEEP})
  target_link_libraries(${name}_asan PRIVATE cvseg_app_asan PkgConfig::CUNIT)
  target_link_options(${name}_asan PRIVATE -rdynamic)
  target_include_directories(${name}_asan PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src/app)
  cvseg_target_flags(${name}_asan)
  add_test(NAME asan_mpi_${name}_np2
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 --oversubscribe
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}_asan> ${MPIEXEC_POSTFLAGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(asan_mpi_${name}_np2 PROPERTIES LABELS "mpi;asan" TIMEOUT 600 PROCESSORS 2
                       ENVIRONMENT "${CVSEG_TEST_ENV};OMP_NUM_THREADS=1;CVSEG_TEST_WATCHDOG=300;${CVSEG_ASAN_ENV}")
endforeach()

# The pipeline end to end with the sanitized binary at np 2.
add_test(NAME asan_e2e_smoke COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/asan/smoke.sh)
set_tests_properties(asan_e2e_smoke PROPERTIES LABELS "e2e;asan" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "${CVSEG_TEST_ENV};${CVSEG_ASAN_ENV};CVSEG=$<TARGET_FILE:cvseg_asan>;SOURCE_DIR=${PROJECT_SOURCE_DIR};WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/asan-work/smoke;PYTHON=/usr/bin/python3")
