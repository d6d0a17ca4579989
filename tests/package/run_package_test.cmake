# Builds the Debian package with CPack from the build tree and checks it
# without installing it on this machine: its name and version, the
# dependencies dpkg-shlibdeps computed, the files it holds, and the imgflow it
# carries, unpacked, printing its version and resizing a photo (called by ctest
# with -P).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

run_step(ignored ${CPACK_COMMAND} -G DEB --config ${IMGFLOW_BUILD_DIR}/CPackConfig.cmake
         -B ${WORK_DIR})
file(GLOB debs ${WORK_DIR}/imgflow_${VERSION}_*.deb)
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one imgflow_${VERSION}_*.deb in ${WORK_DIR}, found ${n}")
endif()

run_step(package dpkg-deb -f ${debs} Package Version)
if(NOT package STREQUAL "Package: imgflow\nVersion: ${VERSION}\n")
  message(FATAL_ERROR "unexpected control fields:\n${package}")
endif()
run_step(depends dpkg-deb -f ${debs} Depends)
foreach(library libopencv-core libopencv-imgproc libopencv-imgcodecs libturbojpeg0
        libjpeg62-turbo libpng16-16 libdeflate0 libwebp7 libwebpdemux2 liblcms2-2 libtbb12)
  string(FIND "${depends}" "${library}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "Depends lacks ${library}: ${depends}")
  endif()
endforeach()

run_step(contents dpkg-deb -c ${debs})
foreach(path usr/bin/imgflow usr/lib/libimgflow.so.${VERSION} usr/lib/libimgflow_opencv_codecs.so
        usr/share/man/man1/imgflow.1 usr/share/bash-completion/completions/imgflow
        usr/lib/pkgconfig/imgflow.pc usr/lib/cmake/imgflow/imgflowConfig.cmake
        usr/include/imgflow/imgflow.hpp usr/include/imgflow/version.hpp)
  string(FIND "${contents}" " ./${path}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package lacks /${path}:\n${contents}")
  endif()
endforeach()

run_step(ignored dpkg-deb -x ${debs} ${WORK_DIR}/root)
run_step(version ${WORK_DIR}/root/usr/bin/imgflow --version)
if(NOT version MATCHES "^imgflow ${VERSION}\nlibjpeg-turbo ")
  message(FATAL_ERROR "the packaged imgflow --version printed:\n${version}")
endif()
run_step(ignored ${WORK_DIR}/root/usr/bin/imgflow --quiet -s 200x200 -o ${WORK_DIR}/out ${SAMPLE})
get_filename_component(name ${SAMPLE} NAME)
if(NOT EXISTS ${WORK_DIR}/out/${name})
  message(FATAL_ERROR "the packaged imgflow wrote no ${WORK_DIR}/out/${name}")
endif()
