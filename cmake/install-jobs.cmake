# install-jobs.cmake: installs the job scripts (install(SCRIPT), run by
# `cmake --install` and cpack) with the installed binary's path written into
# their INSTALLED_CVSEG="" line. Needs CVSEG_JOB_SCRIPTS, CVSEG_JOBS_STAGE,
# CVSEG_JOBS_DIR and CVSEG_BINDIR (set by packaging.cmake); CMAKE_INSTALL_PREFIX
# is the prefix of this installation (DESTDIR, when set, is added by file(INSTALL)).
set(installed_cvseg "${CMAKE_INSTALL_PREFIX}/${CVSEG_BINDIR}/cvseg")
if(CPACK_PACKAGING_INSTALL_PREFIX) # inside cpack: the prefix on the target machine
  set(installed_cvseg "${CPACK_PACKAGING_INSTALL_PREFIX}/${CVSEG_BINDIR}/cvseg")
endif()
file(MAKE_DIRECTORY "${CVSEG_JOBS_STAGE}")
set(staged "")
foreach(script ${CVSEG_JOB_SCRIPTS})
  get_filename_component(name "${script}" NAME)
  file(READ "${script}" text)
  string(REPLACE "\nINSTALLED_CVSEG=\"\"" "\nINSTALLED_CVSEG=\"${installed_cvseg}\"" text "${text}")
  file(WRITE "${CVSEG_JOBS_STAGE}/${name}" "${text}")
  list(APPEND staged "${CVSEG_JOBS_STAGE}/${name}")
endforeach()
file(INSTALL ${staged} DESTINATION "${CMAKE_INSTALL_PREFIX}/${CVSEG_JOBS_DIR}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)
