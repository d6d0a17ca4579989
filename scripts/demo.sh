#!/usr/bin/env bash
# Sets everything up, then resizes sample_images/ (recursively) to fit 800x800
# into sample_output/, with a JSON report, and prints the summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DIMGFLOW_BUILD_TESTS=OFF
rm -rf "$root/sample_output"
"$root/build/imgflow" -r -s 800x800 -o "$root/sample_output" \
  --report "$root/sample_output/report.json" "$root/sample_images"
echo "outputs in sample_output/, report in sample_output/report.json"
