#!/usr/bin/env bash
# Installs the Debian packages built from this build tree into this machine
# with apt-get, as a user would, checks what they installed, and removes them
# again on every path (called by ctest as package_install).
#
#   run_install_test.sh SOURCE_DIR BUILD_DIR VERSION WORK_DIR SAMPLE_DIR CXX
#
# The packages are made by the README's command, scripts/package.sh, told to
# package BUILD_DIR (into BUILD_DIR/package) instead of building build/.
# Checked with the installed files only: imgflow --version, a resize of
# sample_images/ with exact output sizes, man -w imgflow and the rendered
# page, the bash completion loaded by bash-completion on demand, the zsh
# completion found by compinit, tests/consumer built by CMake's find_package
# from /usr and by pkg-config's flags, and the Python module imported.
# Exit 77 (ctest: skipped) when not root or when imgflow is already installed.
set -euo pipefail
source_dir=$1 build_dir=$2 version=$3 work=$4 samples=$5 cxx=$6
consumer_src=$source_dir/tests/consumer
packages=(imgflow libimgflow-dev python3-imgflow)
start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

fail() {
  echo "package_install: FAILED: $*" >&2
  exit 1
}
skip() {
  echo "package_install: SKIPPED: $*"
  exit 77
}
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

[[ $(id -u) -eq 0 ]] || skip "needs root to apt-get install the packages into /usr"
# One install test at a time on this machine, whichever build tree runs it.
exec 9>/var/lock/imgflow-package-install.lock
flock 9
for p in "${packages[@]}"; do
  installed "$p" && skip "$p is already installed on this machine; the test would remove it"
done

rm -rf "$work"
mkdir -p "$work"
cleanup() {
  local rc=$? present=()
  for p in "${packages[@]}"; do installed "$p" && present+=("$p"); done
  if ((${#present[@]})); then
    env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -q \
      "${present[@]}" >"$work/purge.log" 2>&1 || { echo "package_install: purge failed:" >&2; cat "$work/purge.log" >&2; rc=1; }
  fi
  for p in "${packages[@]}"; do
    installed "$p" && { echo "package_install: $p is still installed" >&2; rc=1; }
  done
  [[ ! -e /usr/bin/imgflow ]] || { echo "package_install: /usr/bin/imgflow left behind" >&2; rc=1; }
  echo "package_install: $(since "$start") s in all (exit $rc)"
  exit $rc
}
trap cleanup EXIT

t=$(date +%s.%N)
IMGFLOW_BUILD_DIR=$build_dir "$source_dir/scripts/package.sh" || fail "scripts/package.sh"
echo "package_install: scripts/package.sh: $(since "$t") s"
debs=()
for p in "${packages[@]}"; do
  f=("$build_dir/package/${p}_${version}_"*.deb)
  [[ -f ${f[0]} ]] || { [[ $p == python3-imgflow ]] && continue; fail "cpack wrote no ${p}_${version}_*.deb"; }
  debs+=("${f[0]}")
  echo "package_install: $(basename "${f[0]}"): $(stat -c %s "${f[0]}") bytes," \
    "Depends: $(dpkg-deb -f "${f[0]}" Depends)"
done

t=$(date +%s.%N)
env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
  --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install ${debs[*]}"; }
echo "package_install: apt-get install: $(since "$t") s"

# Only the installed files from here: no build tree on PATH or in the loader's path.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH PYTHONPATH
cd "$work"

[[ $(command -v imgflow) == /usr/bin/imgflow ]] || fail "imgflow on PATH is $(command -v imgflow)"
version_text=$(imgflow --version) || fail "imgflow --version exited $?"
[[ $(head -n1 <<<"$version_text") == "imgflow $version" ]] || fail "imgflow --version: $version_text"
# The library the installed files load ($ORIGIN/../lib for imgflow), resolved.
loaded_libimgflow() { readlink -f "$(ldd "$1" | awk '$1 == "libimgflow.so.0" {print $3}')"; }
[[ $(loaded_libimgflow /usr/bin/imgflow) == /usr/lib/libimgflow.so.$version ]] ||
  fail "/usr/bin/imgflow loads $(loaded_libimgflow /usr/bin/imgflow)"

# Every sample, recursively; 2000x1250 photos fit 200x200 as 200x125.
imgflow --quiet -r -s 200x200 -o "$work/out" "$samples" || fail "imgflow -r -s 200x200 exited $?"
inputs=$(cd "$samples" && find . -type f ! -name '*.md' | sort)
outputs=$(cd "$work/out" && find . -type f | sort)
[[ $inputs == "$outputs" ]] || fail "outputs differ from inputs:"$'\n'"$inputs"$'\n---\n'"$outputs"
for name in cold_ripple.jpg kite.jpg; do
  [[ $(identify -format '%wx%h' "$samples/$name") == 2000x1250 ]] || fail "$name is no longer 2000x1250"
  size=$(identify -format '%wx%h' "$work/out/$name")
  [[ $size == 200x125 ]] || fail "out/$name is $size, expected 200x125"
done
# A BMP input goes through the codecs plugin installed beside libimgflow.
convert "$samples/kite.jpg" "$work/kite.bmp" || fail "convert kite.bmp exited $?"
imgflow --quiet -s 100x100 -f tiff -o "$work/tiff" "$work/kite.bmp" || fail "imgflow kite.bmp exited $?"
[[ $(identify -format '%m %wx%h' "$work/tiff/kite.tif") == "TIFF 100x63" ]] || fail "tiff/kite.tif"

if grep -qs 'path-exclude=\?/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  # Slim images (debian:12-slim) tell dpkg to drop every man page.
  echo "package_install: dpkg here excludes /usr/share/man: man imgflow not checked"
else
  [[ -f /usr/share/man/man1/imgflow.1.gz ]] || fail "no /usr/share/man/man1/imgflow.1.gz"
  [[ $(man -w imgflow) == /usr/share/man/man1/imgflow.1.gz ]] || fail "man -w imgflow: $(man -w imgflow 2>&1)"
  page=$(MANWIDTH=100 man -P cat imgflow 2>"$work/man.err") || fail "man imgflow exited $?"
  [[ ! -s $work/man.err ]] || fail "man imgflow warned: $(cat "$work/man.err")"
  grep -q -- '--max-file-size' <<<"$page" || fail "man imgflow lacks --max-file-size"
  grep -q '^MERGE-REPORTS' <<<"$page" || fail "man imgflow lacks MERGE-REPORTS"
fi

# bash-completion finds /usr/share/bash-completion/completions/imgflow when
# imgflow is first completed, as an interactive shell does.
completion=$(bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader imgflow
  complete -p imgflow
  COMP_WORDS=(imgflow --fi) COMP_CWORD=1
  _imgflow
  printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "') || fail "bash completion: $completion"
[[ $completion == $'complete -o filenames -F _imgflow imgflow\n--files-from --filter --fit ' ]] ||
  fail "bash completion: $completion"

if command -v zsh >/dev/null; then
  found=$(zsh -f -c 'autoload -U compinit && compinit -u -d '"$work"'/zcompdump &&
    print -r -- $_comps[imgflow] ${^fpath}/_imgflow(N)')
  [[ $found == "_imgflow /usr/share/zsh/vendor-completions/_imgflow" ]] || fail "zsh compinit: $found"
else
  echo "package_install: zsh is not installed: its completion not checked"
fi

# tests/consumer by CMake, finding imgflow under /usr by itself.
cmake -S "$consumer_src" -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "configuring tests/consumer"; }
grep -qx 'imgflow_DIR:PATH=/usr/lib/cmake/imgflow' "$work/cmake/CMakeCache.txt" ||
  fail "find_package(imgflow) found $(grep '^imgflow_DIR' "$work/cmake/CMakeCache.txt")"
cmake --build "$work/cmake" -j 2 >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "building tests/consumer"; }
"$work/cmake/consumer" "$samples/kite.jpg" "$work/consumer_cmake" || fail "the CMake consumer exited $?"

# The same program with pkg-config's flags alone, as a Makefile would.
flags=$(pkg-config --cflags --libs imgflow) || fail "pkg-config --cflags --libs imgflow"
libdir=$(pkg-config --variable=libdir imgflow)  # relative to the .pc file's folder
[[ $(realpath -m "$libdir") == /usr/lib ]] || fail "imgflow.pc libdir: $libdir"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++20 -O2 "$consumer_src/main.cpp" -o "$work/consumer_pc" $flags ||
  fail "$cxx main.cpp $flags"
"$work/consumer_pc" "$samples/kite.jpg" "$work/consumer_pkg_config" || fail "the pkg-config consumer exited $?"
[[ $(loaded_libimgflow "$work/consumer_pc") == /usr/lib/libimgflow.so.$version ]] ||
  fail "the pkg-config consumer loads $(loaded_libimgflow "$work/consumer_pc")"

if installed python3-imgflow; then
  module=$(cd / && /usr/bin/python3 -c 'import imgflow; print(imgflow.__file__)') || fail "import imgflow"
  [[ $module == /usr/lib/python3*/dist-packages/imgflow.*.so ]] || fail "import imgflow loaded $module"
fi
echo "package_install: ok: installed ${debs[*]##*/}, checked, removed"
