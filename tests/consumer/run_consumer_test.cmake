# Builds tests/consumer against imgflow and runs it (called by ctest with -P).
# MODE=find_package and MODE=pkg_config install imgflow into a scratch prefix
# first; pkg_config compiles main.cpp with the flags of
# `pkg-config --cflags --libs imgflow` alone, as a Makefile would.
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
if(MODE STREQUAL "pkg_config")
  set(prefix ${WORK_DIR}/prefix)
  run_step(${CMAKE_COMMAND} --install ${IMGFLOW_BUILD_DIR} --prefix ${prefix})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/${INSTALL_LIBDIR}/pkgconfig
            pkg-config --cflags --libs imgflow
    RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs imgflow failed (${rc}):\n${err}")
  endif()
  message(STATUS "pkg-config --cflags --libs imgflow: ${flags}")
  separate_arguments(flags UNIX_COMMAND "${flags}")
  # The flags must point into the scratch prefix, not at a build tree or /usr/local.
  file(REAL_PATH ${prefix} real_prefix)
  set(found_include OFF)
  set(found_libdir OFF)
  foreach(flag ${flags})
    if(flag MATCHES "^-[IL](.+)$")
      file(REAL_PATH ${CMAKE_MATCH_1} dir)
      if(dir STREQUAL "${real_prefix}/include")
        set(found_include ON)
      elseif(dir STREQUAL "${real_prefix}/${INSTALL_LIBDIR}")
        set(found_libdir ON)
      endif()
    endif()
  endforeach()
  if(NOT found_include OR NOT found_libdir)
    message(FATAL_ERROR "pkg-config flags do not name ${prefix}/include and "
                        "${prefix}/${INSTALL_LIBDIR}: ${flags}")
  endif()
  file(MAKE_DIRECTORY ${WORK_DIR}/build)
  # The compiler and linker flags of the build under test (scripts/sanitize.sh
  # sets -fsanitize=... here, which an instrumented libimgflow needs).
  separate_arguments(build_flags UNIX_COMMAND "$ENV{CXXFLAGS} $ENV{LDFLAGS}")
  run_step(${CXX} -std=c++20 -O2 ${build_flags} ${CONSUMER_SOURCE_DIR}/main.cpp
           -o ${WORK_DIR}/build/consumer ${flags} -Wl,-rpath,${prefix}/${INSTALL_LIBDIR})
  run_step(${WORK_DIR}/build/consumer ${SAMPLE} ${WORK_DIR}/out)
  if(NOT EXISTS ${WORK_DIR}/out)
    message(FATAL_ERROR "consumer wrote nothing to ${WORK_DIR}/out")
  endif()
  return()
endif()
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
