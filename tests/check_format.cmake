# Fails when a C source or header differs from its clang-format output.
file(GLOB_RECURSE files ${SOURCE_DIR}/src/*.c ${SOURCE_DIR}/src/*.h ${SOURCE_DIR}/include/*.h
     ${SOURCE_DIR}/tests/*.c ${SOURCE_DIR}/tests/*.h ${SOURCE_DIR}/bench/*.c)
set(bad "")
foreach(file ${files})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror --style=file ${file}
                  WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE result OUTPUT_QUIET ERROR_QUIET)
  if(NOT result EQUAL 0)
    list(APPEND bad ${file})
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  message(FATAL_ERROR "not clang-formatted (run scripts/format.sh):\n  ${bad}")
endif()
