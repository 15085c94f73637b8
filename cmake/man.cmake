# man.cmake: OUT = the output of `CVSEG --man` (the man page), replaced only
# when the command succeeded.   cmake -DCVSEG=... -DOUT=... -P man.cmake
execute_process(COMMAND ${CVSEG} --man OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE failed
                ERROR_VARIABLE errors)
if(failed)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "`${CVSEG} --man` failed (${failed}): ${errors}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
