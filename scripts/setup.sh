#!/usr/bin/env bash
# Installs what imgflow needs to build and test, from Debian 12 packages.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
# Extra package names given as arguments are installed too (scripts/sanitize.sh uses this).
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libopencv-dev        # images: core, imgproc, imgcodecs (WebP, TIFF, ... through OpenCV)
  libtbb-dev           # the flow graph
  libcli11-dev         # the command line
  nlohmann-json3-dev   # JSON reports
  libturbojpeg0-dev    # JPEG decode with shrink-on-load, JPEG encode
  libpng-dev           # PNG decode with captured warnings
  libdeflate-dev       # PNG: whole-buffer inflate for the common case
  libjpeg62-turbo-dev  # JPEG encode with optimised Huffman tables
  libwebp-dev          # WebP decode with shrink-on-load, WebP ICC profiles; animated WebP (demux, mux)
  webp                 # tests: webpmux -info reads animated outputs' frames, durations and loops
  liblcms2-dev         # ICC profiles → sRGB
  libheif-dev          # HEIC (libde265, x265) and AVIF (dav1d/aom) decode and encode
  libde265-dev         # HEIC: our own libheif HEVC decoder (filters off for big shrinks, --timeout per tile)
  libheif-examples     # tests: heif-enc makes HEIC/AVIF fixtures, heif-convert decodes outputs
  libavif-bin          # tests: avifenc makes AVIFs with nclx colour and 10-bit samples
  libgif-dev           # GIF decode (the first frame; every frame with --animated)
  libtiff-dev          # TIFF decode (ICC, orientation, strips and tiles, bounded)
  libjxl-dev           # JPEG XL decode and encode
  libjxl-tools         # tests: cjxl makes JPEG XL fixtures, djxl decodes outputs
  libexiv2-dev         # --keep-metadata: EXIF and XMP read from every input, edited, re-written
  exiv2                # tests: writes EXIF/XMP into fixtures, reads outputs' metadata back
  imagemagick          # tests: convert makes GIF fixtures
  libgtest-dev         # tests
  groff-base           # tests: the generated man page renders without warnings
  man-db               # tests: man -w imgflow finds the installed page (tests/package/)
  bash-completion      # tests: it loads the installed completion on demand
  zsh                  # tests: compinit finds the installed completion, and completes
  libbenchmark-dev     # stage micro-benchmarks (bench/micro, -DIMGFLOW_BUILD_BENCHMARKS=ON)
  pybind11-dev         # the Python module (python/)
  python3-dev          # its headers
  python3-numpy        # its arrays
  python3-pytest       # its tests (python/tests/)
  python3-distributed  # tests: a run spread over a dask.distributed LocalCluster (python/tests/)
  slurm-wlm            # tests: the README's job array under a real Slurm (tests/cluster/)
  munge                # its authentication daemon
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all build dependencies are installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
# Refresh the package lists only when apt cannot find a candidate (a new machine).
if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  $sudo apt-get update -q
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
