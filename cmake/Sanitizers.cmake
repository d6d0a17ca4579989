# IMGFLOW_SANITIZE: build every target (library, CLI, tests) with these
# -fsanitize= checks, e.g. "address,undefined" or "thread". Works with clang++
# and g++. The system libraries (OpenCV, oneTBB, libpng, libjpeg-turbo,
# GoogleTest) are not instrumented: ASan still sees every heap block (malloc
# is intercepted), TSan needs cmake/tsan.supp for oneTBB's scheduler.
# scripts/sanitize.sh runs the suite in both configurations.
set(IMGFLOW_SANITIZE "" CACHE STRING
    "Build with -fsanitize=<value> (e.g. address,undefined or thread); empty: off")

if(IMGFLOW_SANITIZE)
  if(IMGFLOW_SANITIZE MATCHES "thread" AND IMGFLOW_SANITIZE MATCHES "address|leak|memory")
    message(FATAL_ERROR "IMGFLOW_SANITIZE: thread cannot be combined with ${IMGFLOW_SANITIZE}")
  endif()
  message(STATUS "imgflow: building with -fsanitize=${IMGFLOW_SANITIZE}")
  add_compile_options(-fsanitize=${IMGFLOW_SANITIZE} -fno-omit-frame-pointer -g)
  if(IMGFLOW_SANITIZE MATCHES "undefined")
    # Undefined behaviour fails the program (and so the test) instead of
    # printing a line and going on.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  add_link_options(-fsanitize=${IMGFLOW_SANITIZE})
endif()
