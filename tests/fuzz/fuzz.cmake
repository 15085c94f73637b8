# fuzz.cmake: libFuzzer harnesses (clang only; tests/fuzz/run_fuzz.sh configures
# a second build folder with CC=clang and builds just these targets).
# cvseg_fuzz_lib: every source but main.c with coverage + ASan + UBSan.
set(CVSEG_FUZZ_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g -O1)
add_library(cvseg_fuzz_lib STATIC ${CVSEG_CORE_SOURCES} ${CVSEG_MPI_SOURCES} ${CVSEG_IO_SOURCES}
            ${CVSEG_APP_SOURCES})
target_include_directories(cvseg_fuzz_lib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src/app)
target_include_directories(cvseg_fuzz_lib SYSTEM PUBLIC ${HDF5_C_INCLUDE_DIRS})
target_compile_definitions(cvseg_fuzz_lib PUBLIC ${HDF5_C_DEFINITIONS} H5_USE_110_API_DEFAULT
                           _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE CVSEG_VERSION="${PROJECT_VERSION}")
target_compile_options(cvseg_fuzz_lib PUBLIC ${CVSEG_FUZZ_FLAGS} PRIVATE -fsanitize=fuzzer-no-link
                       ${CVSEG_FP_FLAGS} ${CVSEG_ARCH_FLAGS})
target_link_options(cvseg_fuzz_lib PUBLIC -fsanitize=fuzzer,address,undefined)
target_link_libraries(cvseg_fuzz_lib PUBLIC MPI::MPI_C ${HDF5_C_LIBRARIES} PkgConfig::JANSSON
                      GSL::gsl OpenMP::OpenMP_C ${MATH_LIBRARY} ZLIB::ZLIB)
add_dependencies(cvseg_fuzz_lib cvseg_revision) # cvseg_revision.h for --version
target_include_directories(cvseg_fuzz_lib PRIVATE ${CVSEG_GENERATED_DIR})
foreach(harness fuzz_csv fuzz_import fuzz_model fuzz_checkpoint)
  add_executable(${harness} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${harness}.c)
  target_link_libraries(${harness} PRIVATE cvseg_fuzz_lib)
  target_include_directories(${harness} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}) # text_lines.h
endforeach()
