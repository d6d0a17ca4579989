#!/usr/bin/env bash
# Scale benchmark: does imgflow's memory stay flat as the job grows?
#
#   bench/scale.sh [--imgflow PATH] [--files LIST] [--runs N] [--quick]
#                  [--sections LIST] [--no-install]
#
# Three sections (see "Scale" in bench/README.md):
#   files  imgflow over N tiny JPEGs (64x36, hard links in 1,000-file folders,
#          -r -s 32 --report): wall, peak RSS, time to the first output, files/s
#          (one run from a million files up).
#   peers  10,000 tiny JPEGs in one folder, -s 32: imgflow vs sharp vs
#          vipsthumbnail under xargs -P <cores>, runs alternating; files/s, RSS.
#   images one 96-megapixel photo (PNG, baseline JPEG, progressive JPEG) to
#          800 px: imgflow vs vipsthumbnail vs sharp; wall and peak RSS.
# Results: bench/results/scale.md, scale-runs.csv and scale.png (quick-scale.*
# with --quick).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
WORK=$BENCH_DIR/.work
RESULTS=$BENCH_DIR/results
PY=/usr/bin/python3
TIME=/usr/bin/time
APT_PACKAGES=(libvips-tools python3-matplotlib time libjemalloc2)
JEMALLOC_LIB=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
IMGFLOW=$REPO_ROOT/build/imgflow
FILES_LIST=10000,100000,1000000
SECTIONS=files,peers,images
RUNS=3
QUICK=0
INSTALL=1

log()  { printf '[scale] %s\n' "$*"; }
warn() { printf '[scale] WARNING: %s\n' "$*" >&2; }
die()  { printf '[scale] ERROR: %s\n' "$*" >&2; exit 1; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --imgflow)  need_value "$@"; IMGFLOW=$2; shift 2 ;;
    --files)    need_value "$@"; FILES_LIST=$2; shift 2 ;;
    --runs)     need_value "$@"; RUNS=$2; shift 2 ;;
    --sections) need_value "$@"; SECTIONS=$2; shift 2 ;;
    --quick)    QUICK=1; FILES_LIST=1000,10000; RUNS=1; shift ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ $IMGFLOW == /* ]] || IMGFLOW=$PWD/$IMGFLOW
[[ -x $IMGFLOW ]] || die "no imgflow binary at $IMGFLOW (build it first, or --imgflow PATH)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
CORES=$(nproc)
PREFIX=scale
[[ $QUICK == 1 ]] && PREFIX=quick-scale
SCRATCH=$WORK/scale
CSV=$RESULTS/$PREFIX-runs.csv
mkdir -p "$SCRATCH" "$RESULTS"

# shellcheck source=tools/peer_setup.sh
source "$BENCH_DIR/tools/peer_setup.sh"
ensure_packages
has_section() { [[ ",$SECTIONS," == *",$1,"* ]]; }
if has_section peers || has_section images; then ensure_sharp; fi

echo "section,case,tool,run,files,wall_s,rss_kb,first_output_s" >"$CSV"
record() { echo "$1,$2,$3,$4,$5,$6,$7,$8" >>"$CSV"; }

# measure OUT_DIR CMD...: runs CMD under GNU time, and notes when the first
# .jpg appears in OUT_DIR. Sets WALL, RSS_KB and FIRST (seconds). With
# OUT_DIR "-", FIRST stays NA and nothing polls: the polling loop (a find
# every 5 ms) costs CPU until the first output appears, which is at the very
# end for a tool that renames its finished output into place (imgflow, sharp)
# but at the start for one that writes as it goes (vipsthumbnail). On one
# 96 MP progressive JPEG that cost imgflow 0.6 s of its 1.66 s.
measure() {
  local out=$1 stats start first_file
  shift
  stats=$(mktemp)
  start=$(date +%s.%N)
  "$TIME" -f '%e %M' -o "$stats" "$@" >/dev/null 2>"$SCRATCH/last.err" &
  local pid=$!
  FIRST=NA
  while [[ $out != - ]] && kill -0 "$pid" 2>/dev/null; do
    first_file=$(find "$out" -name '*.jpg' -print -quit 2>/dev/null || true)
    if [[ -n $first_file ]]; then
      FIRST=$(awk -v now="$(date +%s.%N)" -v start="$start" 'BEGIN { printf "%.3f", now - start }')
      break
    fi
    sleep 0.005
  done
  wait "$pid" || { cat "$SCRATCH/last.err" >&2; die "run failed: $*"; }
  read -r WALL RSS_KB <"$stats"
  rm -f "$stats"
}

# The tiny photo: a real one, shrunk to 64x36 (987 bytes).
TINY=$SCRATCH/tiny.jpg
if [[ ! -f $TINY ]]; then
  "$IMGFLOW" -s '64x36!' --quiet -o "$SCRATCH/tiny_out" "$REPO_ROOT/sample_images/kite.jpg"
  mv "$SCRATCH/tiny_out/kite.jpg" "$TINY"
  rmdir "$SCRATCH/tiny_out"
fi

# tree DIR N PER_FOLDER: N hard links of the tiny photo, PER_FOLDER a folder
# (one source copy per 50,000 links, in DIR.sources: ext4 allows 65,000 links
# a file); DIR.complete marks a finished tree.
make_tree() {
  local dir=$1 n=$2 per=$3
  [[ -f $dir.complete ]] && return 0
  rm -rf "$dir" "$dir.sources"
  log "making $n tiny files in $dir"
  "$PY" - "$TINY" "$dir" "$n" "$per" <<'EOF'
import os, shutil, sys
tiny, root, n, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(root)
os.makedirs(root + ".sources", exist_ok=True)
for i in range(n):
    source = f"{root}.sources/{i // 50000}.jpg"
    if i % 50000 == 0:
        shutil.copy(tiny, source)
    folder = f"{root}/d{i // per:04d}" if per < n else root
    if i % per == 0:
        os.makedirs(folder, exist_ok=True)
    os.link(source, f"{folder}/f{i % per:06d}.jpg")
open(root + ".complete", "w").close()
EOF
}

# ------------------------------------------------------------------- files ---
if has_section files; then
  IFS=, read -r -a counts <<<"$FILES_LIST"
  for n in "${counts[@]}"; do
    tree=$SCRATCH/tree$n
    make_tree "$tree" "$n" 1000
    runs=$RUNS
    ((n < 1000000)) || runs=1  # a million files: one run (minutes, and a flat curve)
    for ((run = 1; run <= runs; run++)); do
      out=$SCRATCH/out
      rm -rf "$out"
      measure "$out" "$IMGFLOW" -r -s 32 --no-fsync --quiet --report "$SCRATCH/report.json" \
        -o "$out" "$tree"
      grep -q "\"ok\": $n," "$SCRATCH/report.json" || die "report of $n files: not all ok"
      log "files $n run $run: ${WALL} s, ${RSS_KB} KB, first output after ${FIRST} s"
      record files "$n" imgflow "$run" "$n" "$WALL" "$RSS_KB" "$FIRST"
    done
    rm -rf "$SCRATCH/out"
  done
fi

# ------------------------------------------------------------------- peers ---
if has_section peers; then
  flat=$SCRATCH/flat10000
  make_tree "$flat" 10000 10000
  inflight=$((2 * CORES))
  batch=$(((10000 + CORES - 1) / CORES))
  for ((run = 1; run <= RUNS; run++)); do
    for tool in imgflow sharp vipsthumbnail; do
      out=$SCRATCH/peer_out
      rm -rf "$out" && mkdir -p "$out"
      case $tool in
        imgflow) cmd=("$IMGFLOW" -s 32 --no-fsync --quiet -o "$out" "$flat") ;;
        sharp) cmd=(env SHARP_POOL_BOX=32 UV_THREADPOOL_SIZE=$inflight LD_PRELOAD=$JEMALLOC_LIB
                    node "$BENCH_DIR/tools/sharp_pool.js" "$flat" "$out" "$inflight") ;;
        # shellcheck disable=SC2016
        vipsthumbnail) cmd=(env VIPS_CONCURRENCY=1 bash -c 'cd "$1" && find . -maxdepth 1 -type f \
                              -name "f*.jpg" -printf "%f\0" | xargs -0 -r -P "$2" -n "$3" \
                              vipsthumbnail --size "32x32>" -o "$4/%s.jpg[Q=85]"'
                            _ "$flat" "$CORES" "$batch" "$out") ;;
      esac
      measure "$out" "${cmd[@]}"
      made=$(find "$out" -name '*.jpg' | wc -l)
      [[ $made == 10000 ]] || die "$tool wrote $made of 10000 outputs"
      log "peers $tool run $run: ${WALL} s, ${RSS_KB} KB"
      record peers tiny10000 "$tool" "$run" 10000 "$WALL" "$RSS_KB" "$FIRST"
    done
  done
  rm -rf "$SCRATCH/peer_out"
fi

# ------------------------------------------------------------------ images ---
if has_section images; then
  big=$SCRATCH/big
  if [[ ! -f $big/.complete ]]; then
    rm -rf "$big"
    log "making 12000x8000 photos from sample_images/kite.jpg"
    for kind in png jpeg progressive; do
      args=(-f "${kind/progressive/jpeg}")
      [[ $kind == progressive ]] && args+=(--progressive)
      "$IMGFLOW" -s '12000x8000!' --enlarge -q 90 "${args[@]}" --quiet -o "$big/$kind" \
        "$REPO_ROOT/sample_images/kite.jpg"
    done
    touch "$big/.complete"
  fi
  for ((run = 1; run <= RUNS; run++)); do
    for kind in png jpeg progressive; do
      file=$(find "$big/$kind" -type f | head -1)
      for tool in imgflow vipsthumbnail sharp; do
        out=$SCRATCH/big_out
        rm -rf "$out" && mkdir -p "$out"
        case $tool in
          imgflow) cmd=("$IMGFLOW" -s 800x800 -f jpeg --no-fsync --quiet -o "$out" "$file") ;;
          vipsthumbnail) cmd=(vipsthumbnail "$file" --size "800x800>" -o "$out/%s.jpg[Q=85]") ;;
          sharp) cmd=(env LD_PRELOAD=$JEMALLOC_LIB node "$BENCH_DIR/tools/sharp_pool.js"
                      "$big/$kind" "$out" 1) ;;
        esac
        measure - "${cmd[@]}"
        log "images $kind $tool run $run: ${WALL} s, ${RSS_KB} KB"
        record images "$kind" "$tool" "$run" 1 "$WALL" "$RSS_KB" NA
      done
    done
  done
  rm -rf "$SCRATCH/big_out"
fi

"$PY" "$BENCH_DIR/tools/scale_report.py" "$CSV" "$RESULTS/$PREFIX.md" "$RESULTS/$PREFIX.png" \
  "$(nproc) cores, $(date -u +%Y-%m-%d), $("$IMGFLOW" --version | head -1), vips $(vips --version)"
log "results: $RESULTS/$PREFIX.md"
