#!/usr/bin/env bash
# Sets everything up, builds imgflow with its tests, and runs the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DIMGFLOW_BUILD_TESTS=ON
cd "$root/build"
ctest --output-on-failure -j "$(nproc)"
