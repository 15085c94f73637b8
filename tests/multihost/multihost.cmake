# Multihost test: include() this from tests/CMakeLists.txt after the MPI tests.
# Three network namespaces as hosts, Open MPI over TCP between them
# (tests/multihost/run_multihost_tests.sh). Needs root; where network
# namespaces cannot be made it reports SKIPPED (exit code 77).
# Run only it with: ctest -L multihost --output-on-failure
set(CVSEG_MULTIHOST_PROGRAMS "")
foreach(source ${CVSEG_MPI_TESTS})
  get_filename_component(name ${source} NAME_WE)
  list(APPEND CVSEG_MULTIHOST_PROGRAMS "$<TARGET_FILE:${name}>")
endforeach()
string(REPLACE ";" ":" CVSEG_MULTIHOST_PROGRAMS "${CVSEG_MULTIHOST_PROGRAMS}")
add_test(NAME multihost COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/multihost/run_multihost_tests.sh)
set_tests_properties(multihost PROPERTIES
  LABELS multihost
  SKIP_RETURN_CODE 77
  TIMEOUT 900
  RUN_SERIAL TRUE
  ENVIRONMENT "CVSEG=$<TARGET_FILE:cvseg>;SOURCE_DIR=${PROJECT_SOURCE_DIR};WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/multihost-work;MPI_TEST_PROGRAMS=${CVSEG_MULTIHOST_PROGRAMS};PYTHON=/usr/bin/python3")
