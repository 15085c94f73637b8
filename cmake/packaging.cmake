# packaging.cmake: git revision, man page, `cmake --install` and the Debian
# package (`cpack -G DEB`). Included from the top-level CMakeLists.txt after
# the cvseg target.
#
#   PREFIX/bin/cvseg
#   PREFIX/share/man/man1/cvseg.1            written by `cvseg --man` at build time
#   PREFIX/share/cvseg/jobs/*.sbatch, *.sh   job scripts; they find PREFIX/bin/cvseg
#   PREFIX/share/doc/cvseg/README.md, file-formats.md
include(GNUInstallDirs)

option(CVSEG_MAN "Write the man page cvseg.1 at build time (runs the built cvseg)" ON)
set(CVSEG_GIT_REVISION "" CACHE STRING
    "git revision shown by --version (empty: `git describe --always --dirty` at build time)")

# ---------------------------------------------------------------- git revision
# Refreshed at every build; the header only changes (and version.c only
# recompiles) when the revision does.
set(CVSEG_GENERATED_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)
add_custom_target(cvseg_revision
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}
          -DOUT=${CVSEG_GENERATED_DIR}/cvseg_revision.h -DREVISION=${CVSEG_GIT_REVISION}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/revision.cmake
  BYPRODUCTS ${CVSEG_GENERATED_DIR}/cvseg_revision.h
  COMMENT "git revision for cvseg --version" VERBATIM)
add_dependencies(cvseg_app cvseg_revision)
target_include_directories(cvseg_app PRIVATE ${CVSEG_GENERATED_DIR})

# ---------------------------------------------------------------- man page
# A singleton MPI start as root needs Open MPI's permission; the other
# settings keep it from probing networks.
if(CVSEG_MAN)
  add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/cvseg.1
    COMMAND ${CMAKE_COMMAND} -E env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
            OMPI_MCA_pml=ob1 OMPI_MCA_btl=self OMPI_MCA_hwloc_base_binding_policy=none
            ${CMAKE_COMMAND} -DCVSEG=$<TARGET_FILE:cvseg> -DOUT=${CMAKE_CURRENT_BINARY_DIR}/cvseg.1
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/man.cmake
    DEPENDS cvseg ${CMAKE_CURRENT_SOURCE_DIR}/cmake/man.cmake
    COMMENT "Writing the man page cvseg.1 (cvseg --man)" VERBATIM)
  add_custom_target(cvseg_man ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/cvseg.1)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cvseg.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# ---------------------------------------------------------------- install
install(TARGETS cvseg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md docs/file-formats.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The job scripts get the installed binary's path written into their
# INSTALLED_CVSEG="" line at install time (sbatch runs a copy of a script, so
# a script cannot find its own folder), for whatever --prefix is given then.
file(GLOB CVSEG_JOB_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/jobs/*.sbatch
     ${CMAKE_CURRENT_SOURCE_DIR}/jobs/*.sh)
install(CODE "set(CVSEG_JOB_SCRIPTS \"${CVSEG_JOB_SCRIPTS}\")
set(CVSEG_JOBS_STAGE \"${CMAKE_CURRENT_BINARY_DIR}/jobs-installed\")
set(CVSEG_JOBS_DIR \"${CMAKE_INSTALL_DATADIR}/cvseg/jobs\")
set(CVSEG_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cmake/install-jobs.cmake)

# ---------------------------------------------------------------- Debian package
# Dependencies: dpkg-shlibdeps reads them off the binary (libopenmpi3,
# libhdf5-openmpi-103-1, libjansson4, libgomp1, libc6); openmpi-bin is added
# by hand: mpirun, and orted, which even a run without mpirun starts.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cvseg)
set(CPACK_PACKAGE_VENDOR "cvseg")
set(CVSEG_DEB_MAINTAINER "cvseg maintainers <cvseg@localhost>" CACHE STRING
    "Maintainer field of the Debian package (your site's contact)")
set(CPACK_PACKAGE_CONTACT "${CVSEG_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "customer value segmentation at scale (RFM, segments, K-Means) with MPI and parallel HDF5")
set(CPACK_PACKAGE_DESCRIPTION
    "cvseg scores a whole customer base in one MPI job: RFM or LRFMC features, exact global
quintile scores, value segments, ABC classes, the customer value matrix and
K-Means clusters, bit-identical for any number of ranks and threads. It reads
and writes columnar HDF5 with parallel HDF5 and ships Slurm job scripts
(training with checkpoint and requeue, nightly chains, sweeps).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cvseg_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openmpi-bin")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "hdf5-tools, python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
