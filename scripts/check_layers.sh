#!/usr/bin/env bash
# Checks that every #include "..." in src/ and include/imgflow/ points down (or
# across) the layers, never up. Exits 1 naming each violation. Run by ctest as
# `layering`.
#
# Layers, lowest first; a file may include headers of its own layer and lower:
#   0 core      errors, formats, sizes, colours, file I/O
#   1 codec     decoders, encoders, metadata, colour management, orientation
#   2 resize    geometry, resampling, smart crop
#   3 batch     options, input listing, output naming, the report
#   4 pipeline  the run: settings, stages, readers, writers, the graph
#   5 cli       the imgflow command
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

declare -A layer=([core]=0 [codec]=1 [resize]=2 [batch]=3 [pipeline]=4 [cli]=5)
# Each public header's layer: the folder its implementation lives in.
declare -A public=(
  [error.hpp]=core [format.hpp]=core [size.hpp]=core [color.hpp]=core [file_io.hpp]=core
  [version.hpp]=core
  [decode.hpp]=codec [encode.hpp]=codec [library_versions.hpp]=codec
  [geometry.hpp]=resize [resize.hpp]=resize [image.hpp]=resize
  [options.hpp]=batch [name_template.hpp]=batch [plan.hpp]=batch [report.hpp]=batch
  [pipeline.hpp]=pipeline
  [imgflow.hpp]=cli)

status=0
fail() {
  echo "layering: $1" >&2
  status=1
}

# The layer of an included header, or empty if it is not ours.
layer_of_include() {
  local name=$1
  case "$name" in
    imgflow/*) [[ -n "${public[${name#imgflow/}]:-}" ]] && echo "${public[${name#imgflow/}]}" ;;
    */*) [[ -n "${layer[${name%%/*}]:-}" ]] && echo "${name%%/*}" ;;
  esac
  return 0
}

check_file() {
  local file=$1 own=$2 line name to
  while IFS= read -r line; do
    name=${line#*\"}
    name=${name%%\"*}
    to=$(layer_of_include "$name")
    if [[ -z "$to" ]]; then
      fail "$file includes \"$name\", which is in no layer (add it to scripts/check_layers.sh)"
    elif ((layer[$to] > layer[$own])); then
      fail "$file ($own) includes \"$name\" ($to), a higher layer"
    fi
  done < <(grep -E '^\s*#\s*include\s+"' "$file" || true)
}

for dir in src/*/; do
  folder=$(basename "$dir")
  if [[ -z "${layer[$folder]:-}" ]]; then
    fail "src/$folder is in no layer (add it to scripts/check_layers.sh)"
    continue
  fi
  for file in "$dir"*.cpp "$dir"*.hpp; do
    [[ -e "$file" ]] && check_file "$file" "$folder"
  done
done
for file in src/*.cpp src/*.hpp; do
  [[ -e "$file" ]] && fail "$file is outside the layer folders"
done

for file in include/imgflow/*.hpp; do
  header=$(basename "$file")
  if [[ -z "${public[$header]:-}" ]]; then
    fail "$file is in no layer (add it to scripts/check_layers.sh)"
    continue
  fi
  check_file "$file" "${public[$header]}"
  # Public headers are installed: they may include only public headers.
  if grep -E '^\s*#\s*include\s+"' "$file" | grep -qv '"imgflow/'; then
    fail "$file includes a private header"
  fi
done

if ((status == 0)); then
  echo "layering: every include points down: core < codec < resize < batch < pipeline < cli"
fi
exit $status
