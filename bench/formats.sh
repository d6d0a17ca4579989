#!/usr/bin/env bash
# The new formats against their peers (issue 13's targets), on the bench's JPEG
# photos:
#   1. AVIF output: sharp's .avif() at its defaults against imgflow -f avif at
#      the -q whose total bytes come closest to sharp's (searched first, untimed);
#      images/s and PSNR (outputs decoded back by heif-convert, then
#      bench/quality.py: luma PSNR against a Pillow Lanczos reference of the
#      source JPEG).
#   2. HEIC input: the photos made into HEIC with heif-enc -q 85 (x265 preset
#      fast: the default "slow" takes minutes per photo), then resized to
#      800x800 JPEG q 85 by imgflow and by vipsthumbnail (xargs -P cores, one
#      libvips thread each: compare.sh's configuration).
# Tools run alternately, RUNS rounds; medians of wall time. Prints a Markdown
# report and writes it to bench/results/formats.md.
#
#   bench/formats.sh [--count N] [--runs R] [--imgflow PATH] [--prepare]
# --prepare makes the HEIC inputs and stops (to do that slow part ahead, niced).
# Needs the corpus and sharp that bench/compare.sh installs (run it once first).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$BENCH_DIR")
WORK=$BENCH_DIR/.work
PY=/usr/bin/python3
JEMALLOC_LIB=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
count=24
runs=3
imgflow=$REPO_ROOT/build/imgflow
prepare_only=0
while (($#)); do
  case $1 in
    --count) count=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --imgflow) imgflow=$2; shift 2 ;;
    --prepare) prepare_only=1; shift ;;
    *) echo "usage: bench/formats.sh [--count N] [--runs R] [--imgflow PATH] [--prepare]" >&2; exit 2 ;;
  esac
done
die() { echo "formats: $*" >&2; exit 1; }
log() { echo "[formats] $*" >&2; }
corpus=$WORK/corpus/100/jpeg
[[ -d $corpus ]] || die "no $corpus: run bench/compare.sh once (it builds the corpora)"
[[ -x $imgflow ]] || die "no imgflow binary at $imgflow"
[[ -d $WORK/node/node_modules/sharp ]] || die "sharp is not installed: run bench/compare.sh once"
for t in heif-enc heif-convert vipsthumbnail node; do
  command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh, bench/compare.sh install them)"
done
cores=$(nproc)

root=$WORK/formats/$count
src=$root/jpeg
heic=$root/heic
if [[ ! -d $heic ]]; then
  log "making $count HEIC inputs with heif-enc -q 85"
  rm -rf "$root" && mkdir -p "$src" "$heic.tmp"
  find "$corpus" -maxdepth 1 -type f -name '*.jpg' | sort | head -n "$count" |
    while read -r f; do ln -s "$f" "$src/"; done
  for f in "$src"/*.jpg; do
    heif-enc -q 85 -p preset=fast -o "$heic.tmp/$(basename "${f%.jpg}").heic" "$f" >/dev/null
  done
  mv "$heic.tmp" "$heic"
fi
n=$(find "$src" -maxdepth 1 -name '*.jpg' | wc -l)
((prepare_only)) && { log "inputs ready in $root"; exit 0; }

# Wall seconds of one command (its output directory emptied first).
timed() {
  local out=$1
  shift
  rm -rf "$out" && mkdir -p "$out"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$root/last.err" || { cat "$root/last.err" >&2; die "failed: $*"; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}'; }

sharp_avif() { env LD_PRELOAD=$JEMALLOC_LIB NODE_PATH=$WORK/node/node_modules SHARP_POOL_FORMAT=avif node "$BENCH_DIR/tools/sharp_pool.js" "$src" "$1" "$cores"; }
imgflow_avif() { "$imgflow" -s 800x800 -f avif -q "$2" --quiet -o "$1" "$src"; }
imgflow_heic_in() { "$imgflow" -s 800x800 -f jpeg -q 85 --quiet -o "$1" "$heic"; }
vips_heic_in() {
  (cd "$heic" && find . -maxdepth 1 -type f -printf '%f\0' | sort -z |
    env VIPS_CONCURRENCY=1 xargs -0 -r -P "$cores" -n $(((n + cores - 1) / cores)) \
      vipsthumbnail --size '800x800>' -o "$1/%s.jpg[Q=85]")
}

# 1. AVIF: sharp's bytes, then the imgflow -q that matches them.
log "sharp AVIF at its defaults"
timed "$root/out/sharp-avif" sharp_avif "$root/out/sharp-avif" >/dev/null
sharp_bytes=$(bytes_of "$root/out/sharp-avif")
lo=1 hi=100 best_q=0 best_gap=
declare -A bytes_at
while ((lo <= hi)); do
  q=$(((lo + hi) / 2))
  timed "$root/out/imgflow-avif" imgflow_avif "$root/out/imgflow-avif" "$q" >/dev/null
  bytes_at[$q]=$(bytes_of "$root/out/imgflow-avif")
  gap=$(awk -v a="${bytes_at[$q]}" -v b="$sharp_bytes" 'BEGIN{d=a/b-1; print (d<0)?-d:d}')
  if [[ -z $best_gap ]] || awk -v g="$gap" -v b="$best_gap" 'BEGIN{exit !(g<b)}'; then
    best_gap=$gap best_q=$q
  fi
  log "imgflow -q $q: ${bytes_at[$q]} B (sharp $sharp_bytes B)"
  if ((bytes_at[$q] < sharp_bytes)); then lo=$((q + 1)); else hi=$((q - 1)); fi
done
log "imgflow -q $best_q is closest to sharp's bytes"

declare -a t_sharp t_imgflow t_vips t_heic
for ((r = 1; r <= runs; r++)); do
  t_sharp+=("$(timed "$root/out/sharp-avif" sharp_avif "$root/out/sharp-avif")")
  t_imgflow+=("$(timed "$root/out/imgflow-avif" imgflow_avif "$root/out/imgflow-avif" "$best_q")")
  t_vips+=("$(timed "$root/out/vips-heic" vips_heic_in "$root/out/vips-heic")")
  t_heic+=("$(timed "$root/out/imgflow-heic" imgflow_heic_in "$root/out/imgflow-heic")")
  log "round $r: sharp avif ${t_sharp[-1]} s, imgflow avif ${t_imgflow[-1]} s, vipsthumbnail heic ${t_vips[-1]} s, imgflow heic ${t_heic[-1]} s"
done
imgflow_bytes=$(bytes_of "$root/out/imgflow-avif")

# PSNR: AVIF outputs decoded back by libheif's own heif-convert.
for tool in sharp imgflow; do
  rm -rf "$root/png/$tool" && mkdir -p "$root/png/$tool"
  for f in "$root/out/$tool-avif"/*.avif; do
    heif-convert "$f" "$root/png/$tool/$(basename "${f%.avif}").png" >/dev/null
  done
done
psnr() { "$PY" "$BENCH_DIR/quality.py" --corpus-dir "$src" --corpus-name formats "$@" | awk '{print $1, $2}'; }
declare -A psnr_of
while read -r tool value; do psnr_of[$tool]=$value; done < <(psnr sharp-avif="$root/png/sharp" \
  imgflow-avif="$root/png/imgflow" vipsthumbnail-heic="$root/out/vips-heic" imgflow-heic="$root/out/imgflow-heic")

m_sharp=$(median "${t_sharp[@]}") m_imgflow=$(median "${t_imgflow[@]}")
m_vips=$(median "${t_vips[@]}") m_heic=$(median "${t_heic[@]}")
rate() { awk -v n="$n" -v t="$1" 'BEGIN{printf "%.1f", n / t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b / a}'; }
report=$(cat <<EOF
## New formats against their peers ($n photos, $cores cores, median of $runs alternating rounds)

$(date -u +%Y-%m-%d), $(uptime | sed 's/.*load average: /load before the run: /'); $("$imgflow" --version | head -1); sharp $(cd "$WORK/node" && node -e "console.log(require('sharp').versions.sharp)"); $(vips --version)

| task | tool | setting | bytes | PSNR Y (dB) | median wall (s) | images/s | imgflow's ratio |
|---|---|---|---:|---:|---:|---:|---:|
| AVIF output | sharp | \`.avif()\` defaults | $sharp_bytes | ${psnr_of[sharp-avif]} | $m_sharp | $(rate "$m_sharp") | |
| AVIF output | imgflow | \`-f avif -q $best_q\` (bytes $(awk -v a="$imgflow_bytes" -v b="$sharp_bytes" 'BEGIN{printf "%+.1f%%", (a/b-1)*100}') of sharp's) | $imgflow_bytes | ${psnr_of[imgflow-avif]} | $m_imgflow | $(rate "$m_imgflow") | $(ratio "$m_imgflow" "$m_sharp")x |
| HEIC input → JPEG | vipsthumbnail | xargs -P $cores, 1 thread each | $(bytes_of "$root/out/vips-heic") | ${psnr_of[vipsthumbnail-heic]} | $m_vips | $(rate "$m_vips") | |
| HEIC input → JPEG | imgflow | \`-f jpeg -q 85\` | $(bytes_of "$root/out/imgflow-heic") | ${psnr_of[imgflow-heic]} | $m_heic | $(rate "$m_heic") | $(ratio "$m_heic" "$m_vips")x |

Rounds (s): sharp AVIF ${t_sharp[*]}; imgflow AVIF ${t_imgflow[*]}; vipsthumbnail HEIC ${t_vips[*]}; imgflow HEIC ${t_heic[*]}.
EOF
)
echo "$report"
mkdir -p "$BENCH_DIR/results"
echo "$report" >"$BENCH_DIR/results/formats.md"
