# Builds the Debian packages with CPack from the build tree and checks them
# without installing them on this machine: their names and versions, the
# dependencies dpkg-shlibdeps computed, the files each holds, and the imgflow
# they carry, unpacked, printing its version and resizing a photo (called by
# ctest with -P). tests/package/run_install_test.sh installs them.
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
set(packages imgflow libimgflow-dev)
if(PYTHON_PACKAGE)
  list(APPEND packages python3-imgflow)
endif()
file(GLOB all_debs ${WORK_DIR}/*.deb)
list(LENGTH all_debs n)
list(LENGTH packages expected)
if(NOT n EQUAL expected)
  message(FATAL_ERROR "expected ${expected} packages (${packages}) in ${WORK_DIR}: ${all_debs}")
endif()

# Each package: its control fields, what its Depends must name, the files it
# must hold and one it must not (the other package's).
foreach(package ${packages})
  file(GLOB deb ${WORK_DIR}/${package}_${VERSION}_*.deb)
  if(NOT deb)
    message(FATAL_ERROR "no ${package}_${VERSION}_*.deb in ${WORK_DIR}: ${all_debs}")
  endif()
  set(deb_${package} ${deb})
  run_step(fields dpkg-deb -f ${deb} Package Version)
  if(NOT fields STREQUAL "Package: ${package}\nVersion: ${VERSION}\n")
    message(FATAL_ERROR "unexpected control fields of ${deb}:\n${fields}")
  endif()
endforeach()

set(imgflow_depends libopencv-core libopencv-imgproc libopencv-imgcodecs libturbojpeg0
    libjpeg62-turbo libpng16-16 libdeflate0 libwebp7 libwebpdemux2 libwebpmux3 liblcms2-2 libtbb12
    libheif1 libgif7 libexiv2-27)
set(imgflow_files usr/bin/imgflow usr/lib/libimgflow.so.${VERSION} usr/lib/libimgflow.so.0
    usr/lib/libimgflow_opencv_codecs.so usr/share/man/man1/imgflow.1.gz
    usr/share/bash-completion/completions/imgflow usr/share/zsh/vendor-completions/_imgflow)
set(imgflow_not usr/include/imgflow/imgflow.hpp)
set(libimgflow-dev_depends "imgflow (= ${VERSION})" libopencv-dev libtbb-dev)
set(libimgflow-dev_files usr/lib/libimgflow.so usr/lib/pkgconfig/imgflow.pc
    usr/lib/cmake/imgflow/imgflowConfig.cmake usr/lib/cmake/imgflow/imgflowTargets.cmake
    usr/include/imgflow/imgflow.hpp usr/include/imgflow/version.hpp)
set(libimgflow-dev_not usr/lib/libimgflow.so.${VERSION})
set(python3-imgflow_depends "imgflow (= ${VERSION})" "python3 (>= 3." python3-numpy)
set(python3-imgflow_files usr/lib/python3.*/dist-packages/imgflow.*so
    usr/lib/python3.*/dist-packages/imgflow.pyi)
set(python3-imgflow_not usr/bin/imgflow)
foreach(package ${packages})
  run_step(depends dpkg-deb -f ${deb_${package}} Depends)
  message(STATUS "${package} Depends: ${depends}")
  foreach(dependency ${${package}_depends})
    string(FIND "${depends}" "${dependency}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${package}'s Depends lacks ${dependency}: ${depends}")
    endif()
  endforeach()
  run_step(contents dpkg-deb -c ${deb_${package}})
  foreach(path ${${package}_files})
    string(REPLACE "." "\\." pattern "${path}")
    string(REPLACE "*" "[^ \n]*" pattern "${pattern}")
    if(NOT contents MATCHES " \\./${pattern}( -> [^\n]+)?\n")
      message(FATAL_ERROR "${package} lacks /${path}:\n${contents}")
    endif()
  endforeach()
  foreach(path ${${package}_not})
    string(FIND "${contents}" " ./${path}\n" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${package} holds /${path}, which belongs to another package")
    endif()
  endforeach()
endforeach()

# The man page is gzipped (Debian policy 12.1) and still the generated page.
run_step(ignored dpkg-deb -x ${deb_imgflow} ${WORK_DIR}/root)
run_step(page gzip -dc ${WORK_DIR}/root/usr/share/man/man1/imgflow.1.gz)
if(NOT page MATCHES "^\\.TH IMGFLOW 1 ")
  message(FATAL_ERROR "usr/share/man/man1/imgflow.1.gz is not the man page")
endif()

run_step(version ${WORK_DIR}/root/usr/bin/imgflow --version)
if(NOT version MATCHES "^imgflow ${VERSION}\nlibjpeg-turbo ")
  message(FATAL_ERROR "the packaged imgflow --version printed:\n${version}")
endif()
run_step(ignored ${WORK_DIR}/root/usr/bin/imgflow --quiet -s 200x200 -o ${WORK_DIR}/out ${SAMPLE})
get_filename_component(name ${SAMPLE} NAME)
if(NOT EXISTS ${WORK_DIR}/out/${name})
  message(FATAL_ERROR "the packaged imgflow wrote no ${WORK_DIR}/out/${name}")
endif()
