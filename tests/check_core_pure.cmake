# Compiles every core source with only include/ on the path: no MPI, no HDF5.
file(GLOB sources ${SOURCE_DIR}/src/core/*.c)
foreach(source ${sources})
  execute_process(COMMAND ${CC} -std=c17 -fopenmp -fsyntax-only -I${SOURCE_DIR}/include ${source}
                  RESULT_VARIABLE result ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "core source ${source} does not compile without MPI/HDF5:\n${errors}")
  endif()
  file(READ ${source} text)
  if(text MATCHES "#include[ ]*[<\"](mpi|hdf5)")
    message(FATAL_ERROR "core source ${source} includes MPI or HDF5")
  endif()
endforeach()
message(STATUS "core sources are free of MPI and HDF5")
