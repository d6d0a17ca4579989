# Builds tests/consumer against imgflow and runs it (called by ctest with -P).
# MODE=find_package installs imgflow into a scratch prefix first.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

set(configure_args -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release)
if(MODE STREQUAL "find_package")
  run_step(${CMAKE_COMMAND} --install ${IMGFLOW_BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND configure_args -DIMGFLOW_CONSUMER_MODE=add_subdirectory
       -DIMGFLOW_SOURCE_DIR=${IMGFLOW_SOURCE_DIR})
endif()
run_step(${CMAKE_COMMAND} ${configure_args})
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2)
run_step(${WORK_DIR}/build/consumer ${SAMPLE} ${WORK_DIR}/out)
if(NOT EXISTS ${WORK_DIR}/out)
  message(FATAL_ERROR "consumer wrote nothing to ${WORK_DIR}/out")
endif()
