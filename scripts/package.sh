#!/usr/bin/env bash
# Builds imgflow (Release, in build/, as scripts/build.sh does) and its Debian
# packages into build/package/: imgflow, libimgflow-dev and, when the Python
# module is built, python3-imgflow. Extra arguments go to CMake's configure step.
# IMGFLOW_BUILD_DIR=DIR packages an existing build tree instead, into DIR/package
# (the package_install test does this with its own build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IMGFLOW_BUILD_DIR:-}
if [[ -z $build ]]; then
  "$root/scripts/build.sh" "$@"
  build=$root/build
fi
rm -rf "$build/package"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$build/package" >"$build/package.log" 2>&1 ||
  { cat "$build/package.log" >&2; exit 1; }
rm -rf "$build/package/_CPack_Packages"
for deb in "$build"/package/*.deb; do
  echo "package: $deb ($(stat -c %s "$deb") bytes)"
done
