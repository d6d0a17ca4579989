#!/usr/bin/env bash
# The AVIF/HEIC effort trade-off behind src/codec/heif_encode.cpp's defaults:
# for each photo and each encoder speed, libheif's own heif-enc (the same
# library and parameters imgflow sets: one thread) gives the bytes, the PSNR
# (its --benchmark decodes the output back) and the encode CPU seconds (user
# + sys of a run without --benchmark; CPU rather than wall time, because the
# machine may be shared). Prints one Markdown table, totals over the photos.
#
#   bench/heif_effort.sh [QUALITY] [PHOTO...]   # default: q 60, sample_images/*.jpg
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quality=${1:-60}
shift || true
photos=("$@")
((${#photos[@]})) || photos=("$REPO_ROOT"/sample_images/*.jpg)
command -v heif-enc >/dev/null || { echo "heif-enc not found: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# format, then the heif-enc parameters of each setting
settings=(
  "avif speed=4" "avif speed=6" "avif speed=7" "avif speed=8" "avif speed=9"
  "heic preset=slow" "heic preset=medium" "heic preset=fast" "heic preset=veryfast"
)

echo "| format | setting | bytes | mean PSNR (dB) | CPU s |"
echo "|---|---|---:|---:|---:|"
for setting in "${settings[@]}"; do
  read -r format param <<<"$setting"
  extra=(-p "$param")
  if [[ $format == avif ]]; then
    extra+=(-A -p threads=1)
  else
    extra+=(-p x265:pools=none -p x265:frame-threads=1)
  fi
  bytes=0 cpu=0 psnr_sum=0
  for photo in "${photos[@]}"; do
    out=$work/out.$format
    cpu_one=$( { /usr/bin/time -f '%U %S' heif-enc -q "$quality" "${extra[@]}" -o "$out" \
                 "$photo" >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}')
    size=$(stat -c %s "$out")
    psnr=$(heif-enc -q "$quality" "${extra[@]}" --benchmark -o "$out" "$photo" 2>&1 |
           sed -n 's/^PSNR: \([0-9.]*\).*/\1/p')
    bytes=$((bytes + size))
    cpu=$(awk -v a="$cpu" -v b="$cpu_one" 'BEGIN{print a + b}')
    psnr_sum=$(awk -v a="$psnr_sum" -v b="$psnr" 'BEGIN{print a + b}')
  done
  mean_psnr=$(awk -v s="$psnr_sum" -v n="${#photos[@]}" 'BEGIN{printf "%.2f", s / n}')
  echo "| $format | $param | $bytes | $mean_psnr | $cpu |"
done
