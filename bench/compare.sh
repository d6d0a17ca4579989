#!/usr/bin/env bash
# Side-by-side benchmark: imgflow vs sharp, vipsthumbnail, Pillow, ImageMagick, GraphicsMagick.
#
#   bench/compare.sh [--imgflow PATH] [--runs N] [--count N] [--quick] [--tools LIST]
#                    [--corpora LIST] [--no-install] [--no-scaling]
#
# Every tool does the same job: fit inside 800x800, never enlarge, write JPEG
# quality 85. See bench/README.md for what is measured and what the columns mean.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
WORK=$BENCH_DIR/.work
RESULTS=$BENCH_DIR/results
PY=/usr/bin/python3        # Debian's python: has python3-pil/numpy/matplotlib
TIME=/usr/bin/time         # GNU time, for peak RSS
ALL_TOOLS=(imgflow sharp vipsthumbnail pillow-pool imagemagick graphicsmagick)
CORPORA=(jpeg png webp)
APT_PACKAGES=(libvips-tools imagemagick graphicsmagick python3-pil python3-numpy
              python3-matplotlib time plasma-workspace-wallpapers gnome-backgrounds libjemalloc2)
JEMALLOC_LIB=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2   # Debian's libjemalloc2, preloaded for sharp

IMGFLOW=$REPO_ROOT/build/imgflow
RUNS=3
COUNT=100
QUICK=0
RUNS_SET=0
COUNT_SET=0
INSTALL=1
SCALING=1
TOOLS_LIST=$(IFS=,; echo "${ALL_TOOLS[*]}")
RUN_TIMEOUT=${BENCH_TIMEOUT:-1800}   # seconds per single tool run
MEMORY_RUNS=${BENCH_MEMORY_RUNS:-7}  # alternating runs of the jpeg vs jpeg_x10 peak-RSS pair
# Each peer's configuration (see "How each peer is configured, and why" in
# bench/README.md for what was tried). A count written "Nx" means N times the cores.
# A --tools entry can override them for one label: PEER@KEY:VALUE@KEY:VALUE, e.g.
# sharp@inflight:1x@jemalloc:0 (keys: see PEER_KEYS below).
SHARP_JEMALLOC=${SHARP_JEMALLOC:-1}         # 1: LD_PRELOAD Debian's libjemalloc2 (sharp's docs, glibc Linux)
SHARP_IN_FLIGHT=${SHARP_IN_FLIGHT:-2x}      # files in flight in sharp_pool.js
SHARP_CONCURRENCY=${SHARP_CONCURRENCY:-}    # sharp.concurrency(N); empty: sharp's default
VIPS_PROCS=${VIPS_PROCS:-1x}                # vipsthumbnail processes at once (xargs -P)
VIPS_BATCH=${VIPS_BATCH:-auto}              # files per vipsthumbnail process; auto: files / processes
VIPS_THREADS=${VIPS_THREADS:-1}             # VIPS_CONCURRENCY per process; default: libvips' own (cores)
PILLOW_ORIENT=${PILLOW_ORIENT:-after}       # after: draft() shrink-on-load, EXIF transpose after; before
IM_HINT=${IM_HINT:-1}                       # 1: -define jpeg:size=1600x1600 on the jpeg corpus
IM_OP=${IM_OP:-resize}                      # resize or thumbnail
GM_HINT=${GM_HINT:-1}                       # 1: -size 1600x1600 on the jpeg corpus
GM_OP=${GM_OP:-resize}                      # resize or thumbnail
declare -A PEER_KEYS=([imgflow]="baseline" [sharp]="jemalloc inflight concurrency thp"
                      [vipsthumbnail]="procs batch threads thp" [pillow-pool]="orient procs thp"
                      [imagemagick]="hint op thp" [graphicsmagick]="hint op thp")
IDLE_CPU=${BENCH_IDLE_CPU:-0.25}     # cores busy with other work that still count as idle
IDLE_WAIT=${BENCH_IDLE_WAIT:-300}    # seconds to wait for idle before starting anyway
RUN_IDLE_WAIT=${BENCH_RUN_IDLE_WAIT:-0}  # before each timed run: wait up to this many s for idle

log()  { printf '[compare] %s\n' "$*"; }
warn() { printf '[compare] WARNING: %s\n' "$*" >&2; }
die()  { printf '[compare] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: bench/compare.sh [options]

  --imgflow PATH   imgflow binary (default: build/imgflow in the repo; skipped if absent)
  --runs N         timed runs per tool per corpus (default 3)
  --count N        images per corpus (default 100)
  --quick          smoke test: 20 images per corpus, 1 run (results go to results/quick.*)
  --tools LIST     comma-separated subset of: $(IFS=,; echo "${ALL_TOOLS[*]}");
                   an entry PEER@KEY:VALUE[@KEY:VALUE...] runs PEER with other settings under
                   its own label (e.g. sharp,sharp@inflight:1x@jemalloc:0 alternates the two)
  --corpora LIST   comma-separated subset of: $(IFS=,; echo "${CORPORA[*]}")
  --no-install     do not apt-get/npm install anything; fail if something is missing
  --no-scaling     skip the imgflow -j 1/-j <cores> runs (speed-up, compute floor) and the
                   10x-corpus memory measurement
  -h, --help       this text

Environment: BENCH_TIMEOUT (s per run, default 1800), BENCH_MEMORY_RUNS (runs of the
10x-files peak-RSS pair, default 7), SHARP_VERSION (npm version
spec for sharp), BENCH_IDLE_CPU / BENCH_IDLE_WAIT (wait up to BENCH_IDLE_WAIT s,
default 300, until other processes use less than BENCH_IDLE_CPU cores, default
0.25); BENCH_RUN_IDLE_WAIT (the same wait before every timed run, at most that
many s; default 0: off). Peer settings (defaults in brackets; "Nx" = N times the cores):
  SHARP_JEMALLOC [$SHARP_JEMALLOC], SHARP_IN_FLIGHT [$SHARP_IN_FLIGHT], SHARP_CONCURRENCY [${SHARP_CONCURRENCY:-sharp default}]
  VIPS_PROCS [$VIPS_PROCS], VIPS_BATCH [$VIPS_BATCH], VIPS_THREADS [$VIPS_THREADS]
  PILLOW_ORIENT [$PILLOW_ORIENT] (after|before)
  IM_HINT [$IM_HINT], IM_OP [$IM_OP], GM_HINT [$GM_HINT], GM_OP [$GM_OP]
Keys for --tools PEER@KEY:VALUE: sharp jemalloc/inflight/concurrency, vipsthumbnail
procs/batch/threads, pillow-pool orient/procs, imagemagick and graphicsmagick hint/op;
imgflow@baseline:1 runs the binary IMGFLOW_BASELINE (e.g. a build from before a change)
under its own label, alternating with build/imgflow: before/after medians from one run.
EOF
}

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --imgflow) need_value "$@"; IMGFLOW=$2; shift 2 ;;
    --runs)    need_value "$@"; RUNS=$2; RUNS_SET=1; shift 2 ;;
    --count)   need_value "$@"; COUNT=$2; COUNT_SET=1; shift 2 ;;
    --quick)   QUICK=1; shift ;;
    --tools)   need_value "$@"; TOOLS_LIST=$2; shift 2 ;;
    --corpora) need_value "$@"; CORPORA_LIST=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --no-scaling) SCALING=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  [[ $COUNT_SET == 1 ]] || COUNT=20
  [[ $RUNS_SET == 1 ]] || RUNS=1
  [[ -n ${BENCH_MEMORY_RUNS:-} ]] || MEMORY_RUNS=1
fi
[[ $MEMORY_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_MEMORY_RUNS must be a positive integer (got '$MEMORY_RUNS')"
[[ $RUNS =~ ^[1-9][0-9]*$ ]]  || die "--runs must be a positive integer (got '$RUNS')"
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "--count must be a positive integer (got '$COUNT')"
[[ $IMGFLOW == /* ]] || IMGFLOW=$PWD/$IMGFLOW

TOOLS=()
IFS=, read -r -a requested <<<"$TOOLS_LIST"
for t in "${requested[@]}"; do
  base=${t%%@*}
  [[ " ${ALL_TOOLS[*]} " == *" $base "* ]] || die "unknown tool '$base' in --tools (known: ${ALL_TOOLS[*]})"
  IFS=@ read -r -a parts <<<"$t"
  for part in "${parts[@]:1}"; do
    [[ $part == *:* && " ${PEER_KEYS[$base]} " == *" ${part%%:*} "* ]] \
      || die "bad setting '$part' in --tools entry '$t' (keys for $base: ${PEER_KEYS[$base]:-none})"
  done
  [[ $base != imgflow || $t == imgflow || $t == imgflow@baseline:1 ]] \
    || die "imgflow takes only @baseline:1 in --tools (the IMGFLOW_BASELINE binary)"
  [[ $t != imgflow@baseline:1 || -x ${IMGFLOW_BASELINE:-} ]] \
    || die "imgflow@baseline:1 needs IMGFLOW_BASELINE=/path/to/another/imgflow"
  TOOLS+=("$t")
done
[[ ${#TOOLS[@]} -gt 0 ]] || die "--tools selected nothing"
# has_tool PEER: PEER runs under some label (plain or with @settings).
has_tool() { local t; for t in "${TOOLS[@]}"; do [[ ${t%%@*} == "$1" ]] && return 0; done; return 1; }
if [[ -n ${CORPORA_LIST:-} ]]; then
  IFS=, read -r -a wanted <<<"$CORPORA_LIST"
  for c in "${wanted[@]}"; do
    [[ " ${CORPORA[*]} " == *" $c "* ]] || die "unknown corpus '$c' in --corpora (known: ${CORPORA[*]})"
  done
  CORPORA=("${wanted[@]}")
fi

CORES=$(nproc)
PREFIX=latest
[[ $QUICK == 1 ]] && PREFIX=quick
START_EPOCH=$(date +%s)

# ---------------------------------------------------------------- installs ---
# shellcheck source=tools/peer_setup.sh
source "$BENCH_DIR/tools/peer_setup.sh"

# -------------------------------------------------------------- run a tool ---
RUNS_CSV=$RESULTS/$PREFIX-runs.csv
FLOOR_CSV=$RESULTS/$PREFIX-floor.csv
QUALITY_CSV=$RESULTS/$PREFIX-quality.csv
QUALITY_IMAGES_CSV=$WORK/$PREFIX-quality-per-image.csv
FAILED=()

# peer_opt LABEL KEY DEFAULT: the value of KEY in LABEL's @KEY:VALUE settings, else DEFAULT.
peer_opt() {
  local label=$1 key=$2 def=$3 part parts
  IFS=@ read -r -a parts <<<"$label"
  for part in "${parts[@]:1}"; do
    [[ ${part%%:*} == "$key" ]] && { echo "${part#*:}"; return; }
  done
  echo "$def"
}
# times_cores N|Nx: a count, "Nx" meaning N times the cores.
times_cores() {
  if [[ $1 =~ ^([0-9]+)x$ ]]; then echo $((BASH_REMATCH[1] * CORES))
  elif [[ $1 =~ ^[1-9][0-9]*$ ]]; then echo "$1"
  else die "bad count '$1' (N or Nx)"; fi
}

# Sets the global CMD array to the command line of LABEL (a tool, maybe with
# @settings) reading IN_DIR of CORPUS, writing OUT (EXTRA: imgflow's -j value, if
# any; REPORT: imgflow's --report file, if any).
build_cmd() {
  local label=$1 in_dir=$2 out=$3 extra=${4:-} report=${5:-} corpus=${6:-}
  local tool=${label%%@*}
  case "$tool" in
    imgflow)
      local bin=$WORK/bin
      [[ $(peer_opt "$label" baseline 0) == 1 ]] && bin=$WORK/baseline
      CMD=(env "LD_LIBRARY_PATH=$bin/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin/imgflow"
           -s 800x800 -q 85 -f jpeg --quiet)
      [[ -n $extra ]] && CMD+=(-j "$extra")
      [[ -n $report ]] && CMD+=(--report "$report")
      CMD+=(-o "$out" "$in_dir") ;;
    sharp)
      local inflight conc envs=()
      inflight=$(times_cores "$(peer_opt "$label" inflight "$SHARP_IN_FLIGHT")")
      conc=$(peer_opt "$label" concurrency "$SHARP_CONCURRENCY")
      [[ $(peer_opt "$label" jemalloc "$SHARP_JEMALLOC") == 1 ]] && envs+=("LD_PRELOAD=$JEMALLOC_LIB")
      [[ -n $conc ]] && envs+=("SHARP_CONCURRENCY=$conc")
      # libuv runs at most UV_THREADPOOL_SIZE (default 4) sharp calls at once.
      ((inflight > 4)) && envs+=("UV_THREADPOOL_SIZE=$inflight")
      CMD=(env -u SHARP_CONCURRENCY "${envs[@]}" node "$BENCH_DIR/tools/sharp_pool.js" "$in_dir" "$out" "$inflight") ;;
    vipsthumbnail)
      local procs batch threads files envs=(env -u VIPS_CONCURRENCY)
      procs=$(times_cores "$(peer_opt "$label" procs "$VIPS_PROCS")")
      batch=$(peer_opt "$label" batch "$VIPS_BATCH")
      if [[ $batch == auto ]]; then
        files=$(find "$in_dir" -maxdepth 1 -type f | wc -l)
        batch=$(((files + procs - 1) / procs)); ((batch > 0)) || batch=1
      fi
      threads=$(peer_opt "$label" threads "$VIPS_THREADS")
      [[ -n $threads && $threads != default ]] && envs+=("VIPS_CONCURRENCY=$(times_cores "$threads")")
      # shellcheck disable=SC2016
      CMD=("${envs[@]}" bash -c 'cd "$1" && find . -maxdepth 1 -type f -printf "%f\0" | sort -z |
                    xargs -0 -r -P "$2" -n "$3" vipsthumbnail --size "800x800>" -o "$4/%s.jpg[Q=85]"'
           _ "$in_dir" "$procs" "$batch" "$out") ;;
    pillow-pool)
      CMD=("$PY" "$BENCH_DIR/tools/pillow_pool.py" --orient "$(peer_opt "$label" orient "$PILLOW_ORIENT")"
           "$in_dir" "$out" "$(times_cores "$(peer_opt "$label" procs 1x)")") ;;
    imagemagick|graphicsmagick)
      # Relative names (cd first) keep the output names simple for both *mogrify
      # (GM needs them). The JPEG size hint lets libjpeg decode at a reduced DCT
      # scale, never below twice the box; -auto-orient turns EXIF-rotated photos
      # upright (-thumbnail drops the EXIF orientation tag with the profiles).
      local hint op args
      if [[ $tool == imagemagick ]]; then
        hint=$(peer_opt "$label" hint "$IM_HINT"); op=$(peer_opt "$label" op "$IM_OP")
        args=(/usr/bin/mogrify -path "$out")
        [[ $hint == 1 && $corpus == jpeg ]] && args+=(-define jpeg:size=1600x1600)
      else
        hint=$(peer_opt "$label" hint "$GM_HINT"); op=$(peer_opt "$label" op "$GM_OP")
        args=(/usr/bin/gm mogrify -output-directory "$out")
        [[ $hint == 1 && $corpus == jpeg ]] && args+=(-size 1600x1600)
      fi
      [[ $op == thumbnail || $op == resize ]] || die "bad op '$op' for $tool (thumbnail or resize)"
      args+=(-auto-orient "-$op" "800x800>" -quality 85 -format jpg)
      # shellcheck disable=SC2016
      CMD=(bash -c 'cd "$1" && shift && exec "$@" *' _ "$in_dir" "${args[@]}") ;;
    *) die "internal: no command for $tool" ;;
  esac
  # @thp:1, any peer: glibc's malloc with transparent huge pages, as imgflow
  # sets for itself (src/cli/malloc_setup.cpp).
  if [[ $(peer_opt "$label" thp 0) == 1 ]]; then
    CMD=(env "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" "${CMD[@]}")
  fi
}

# dir_name LABEL: LABEL as a file name the tools take literally (ImageMagick reads
# "x:" as a format prefix, and "@" at the start of a name as a list file).
dir_name() { local n=${1//:/-}; echo "${n//@/+}"; }

declare -A CMD_DESC=()   # label -> its command (paths shortened) for the report

# run_measured SECTION CORPUS LABEL TOOL IN_DIR RUN [EXTRA [REPORT]] -> appends a CSV row;
# returns 1 on failure.
run_measured() {
  local section=$1 corpus=$2 label=$3 tool=$4 in_dir=$5 run=$6 extra=${7:-} report=${8:-}
  local out=$WORK/out/$PREFIX/$corpus/$(dir_name "$label")
  local logf=$WORK/logs/$PREFIX-$corpus-$(dir_name "$label")-r$run.log
  local tf=$WORK/logs/$PREFIX-$corpus-$(dir_name "$label")-r$run.time
  rm -rf "$out"; mkdir -p "$out" "$WORK/logs"
  build_cmd "$tool" "$in_dir" "$out" "$extra" "$report" "$corpus"
  if [[ $section == main && $corpus == jpeg || -z ${CMD_DESC[$label]:-} ]]; then
    local desc="${CMD[*]}"
    desc=${desc//$in_dir/CORPUS}; desc=${desc//$out/OUT}; desc=${desc//$BENCH_DIR/bench}; desc=${desc//$WORK/.work}
    CMD_DESC[$label]=${desc//$'\n'/ }
  fi
  local files rc=0 load_before
  files=$(find "$in_dir" -maxdepth 1 -type f | wc -l)
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  local busy_before busy_after
  wait_quiet
  busy_before=$(machine_busy_ticks)
  "$TIME" -f '%e %U %S %M' -o "$tf" timeout "$RUN_TIMEOUT" "${CMD[@]}" >"$logf" 2>&1 || rc=$?
  busy_after=$(machine_busy_ticks)
  local wall user sys rss
  read -r wall user sys rss < <(tail -n 1 "$tf")
  local outputs
  outputs=$(find "$out" -type f | wc -l)
  local status=ok
  if [[ $rc -ne 0 ]]; then
    status="exit-$rc"
  elif [[ $outputs -ne $files ]]; then
    status="outputs-$outputs-of-$files"
  fi
  local cpu other
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
  # CPU seconds the rest of the machine used meanwhile (noise indicator).
  other=$(awk -v a="$busy_before" -v b="$busy_after" -v t="$CLK_TCK" -v c="$cpu" \
    'BEGIN{o=(b-a)/t-c; if (o<0) o=0; printf "%.2f", o}')
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$section" "$corpus" "$label" "$run" "$files" \
    "$wall" "$user" "$sys" "$cpu" "$rss" "$outputs" "$status" "$load_before" "$other" >>"$RUNS_CSV"
  if [[ $status != ok ]]; then
    warn "$label on $corpus (run $run) FAILED: $status; last lines of $logf:"
    tail -n 15 "$logf" | sed 's/^/    /' >&2
    FAILED+=("$corpus/$label:$status")
    return 1
  fi
  printf '[compare]   %-8s %-16s run %d: %7.2f s wall  %7.2f s cpu  %7.1f MiB  %6.1f img/s\n' \
    "$corpus" "$label" "$run" "$wall" "$cpu" "$(awk -v r="$rss" 'BEGIN{print r/1024}')" \
    "$(awk -v f="$files" -v w="$wall" 'BEGIN{print (w>0)?f/w:0}')"
}

warm_cache() { find "$1" -type f -exec cat {} + >/dev/null; }

# Busy (non-idle, non-iowait) clock ticks of the whole machine so far.
CLK_TCK=$(getconf CLK_TCK)
machine_busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
# Before a timed run on a shared machine (BENCH_RUN_IDLE_WAIT > 0): sample 1 s at a
# time until other processes keep fewer than BENCH_IDLE_CPU cores busy, at most
# BENCH_RUN_IDLE_WAIT s; the run's other_cpu_s still says how quiet it really was.
wait_quiet() {
  local waited=0 a b
  while ((waited < RUN_IDLE_WAIT)); do
    a=$(machine_busy_ticks); sleep 1; b=$(machine_busy_ticks)
    awk -v a="$a" -v b="$b" -v t="$CLK_TCK" -v m="$IDLE_CPU" 'BEGIN{exit !((b-a)/t < m)}' && return 0
    waited=$((waited + 1))
  done
}

# ------------------------------------------------------------------- main ---
log "imgflow benchmark: $COUNT images per corpus, $RUNS run(s) per tool, $CORES cores"
mkdir -p "$WORK" "$RESULTS"
# Two benchmarks at once would measure each other.
exec 9>"$WORK/.lock"
flock -n 9 || die "another bench/compare.sh is running (lock $WORK/.lock)"
ensure_packages
[[ -x $TIME ]] || die "$TIME (GNU time) not found: apt-get install time"
for py_mod in PIL numpy matplotlib; do
  "$PY" -c "import $py_mod" 2>/dev/null || die "$PY cannot import $py_mod (install python3-pil python3-numpy python3-matplotlib)"
done
has_tool sharp && ensure_sharp

if has_tool imgflow && [[ ! -x $IMGFLOW ]]; then
  log "imgflow binary not found at $IMGFLOW: skipping imgflow (build it with: cmake -S . -B build && cmake --build build)"
  kept=()
  for t in "${TOOLS[@]}"; do [[ $t == imgflow ]] || kept+=("$t"); done
  TOOLS=("${kept[@]}")
fi
[[ ${#TOOLS[@]} -gt 0 ]] || die "no tool left to run"
if has_tool imgflow; then
  # Run a private copy: a rebuild of build/imgflow during the benchmark must
  # neither mix two versions in one table nor start a half-linked binary.
  # Shared libraries it finds outside the system folders (libimgflow.so from the
  # build tree) are copied too and found first through LD_LIBRARY_PATH.
  # private_copy BINARY DIR: BINARY and its non-system libraries (found beside
  # it first, as a copied build tree's libimgflow would be) into DIR.
  private_copy() {
    rm -rf "${2:?}"; mkdir -p "$2/lib"
    cp "$1" "$2/imgflow"
    while read -r soname path; do
      cp -L "$path" "$2/lib/$soname"
    done < <(LD_LIBRARY_PATH=$(dirname "$1") ldd "$1" |
      awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /^\/(usr\/)?lib(32|64|x32)?\// {print $1, $3}')
    local libs
    libs=$(cd "$2/lib" && ls)
    log "imgflow: running a copy of $1 ($(sha256sum "$1" | cut -c1-12))${libs:+ with its ${libs//$'\n'/, }} from $2"
  }
  private_copy "$IMGFLOW" "$WORK/bin"
  [[ " ${TOOLS[*]} " == *" imgflow@baseline:1 "* ]] && private_copy "$IMGFLOW_BASELINE" "$WORK/baseline"
  IMGFLOW_SOURCE=$IMGFLOW
  IMGFLOW=$WORK/bin/imgflow
fi
log "tools: ${TOOLS[*]}"

# Other work on the machine (a compile, tests) distorts timings: wait a while for it to calm down.
BUSY_CORES=0
is_busy() {  # samples the machine for 5 s; sets BUSY_CORES
  local a b
  a=$(machine_busy_ticks); sleep 5; b=$(machine_busy_ticks)
  BUSY_CORES=$(awk -v a="$a" -v b="$b" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/t/5}')
  awk -v c="$BUSY_CORES" -v m="$IDLE_CPU" 'BEGIN{exit !(c>m)}'
}
waited=0
while is_busy && ((waited < IDLE_WAIT)); do
  ((waited == 0)) && log "other processes keep $BUSY_CORES cores busy (> $IDLE_CPU): waiting up to ${IDLE_WAIT} s for the machine to calm down"
  sleep 10; waited=$((waited + 15))
done
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v c="$BUSY_CORES" -v m="$IDLE_CPU" 'BEGIN{exit !(c>m)}'; then
  warn "other processes keep $BUSY_CORES cores busy before starting: the numbers will be distorted (see the report)"
fi

CORPUS_ROOT=$WORK/corpus/$COUNT
"$PY" "$BENCH_DIR/tools/make_corpus.py" "$CORPUS_ROOT" "$COUNT" || die "building the corpora failed"

rm -f "$RUNS_CSV" "$QUALITY_CSV" "$QUALITY_IMAGES_CSV" "$FLOOR_CSV"
echo "section,corpus,tool,run,files,wall_s,user_s,sys_s,cpu_s,max_rss_kib,outputs,status,load1_before,other_cpu_s" >"$RUNS_CSV"

for corpus in "${CORPORA[@]}"; do
  in_dir=$CORPUS_ROOT/$corpus
  log "corpus $corpus: $(find "$in_dir" -maxdepth 1 -type f | wc -l) files, $(du -sh "$in_dir" | cut -f1)"
  warm_cache "$in_dir"
  declare -A broken=()
  n=${#TOOLS[@]}
  for ((run = 1; run <= RUNS; run++)); do
    # Round-robin, starting one tool later each run so no tool always goes first.
    for ((k = 0; k < n; k++)); do
      tool=${TOOLS[$(((k + run - 1) % n))]}
      [[ -n ${broken[$tool]:-} ]] && continue
      run_measured main "$corpus" "$tool" "$tool" "$in_dir" "$run" || broken[$tool]=1
    done
  done
  quality_args=()
  for tool in "${TOOLS[@]}"; do
    [[ -z ${broken[$tool]:-} ]] && quality_args+=("$tool=$WORK/out/$PREFIX/$corpus/$(dir_name "$tool")")
  done
  unset broken
  if [[ ${#quality_args[@]} -gt 0 ]]; then
    log "corpus $corpus: PSNR of the last run's outputs vs Pillow Lanczos reference"
    "$PY" "$BENCH_DIR/quality.py" --corpus-dir "$in_dir" --corpus-name "$corpus" \
      --summary-csv "$QUALITY_CSV" --per-image-csv "$QUALITY_IMAGES_CSV" "${quality_args[@]}" \
      2> >(sed 's/^/    /' >&2) | sed 's/^/[compare]   psnr /' || FAILED+=("$corpus/quality")
  fi
done

if [[ $SCALING == 1 ]] && has_tool imgflow; then
  in_dir=$CORPUS_ROOT/jpeg
  big_dir=$CORPUS_ROOT/jpeg_x10
  if [[ ! -d $big_dir || $(find "$big_dir" -maxdepth 1 ! -type d | wc -l) -ne $((COUNT * 10)) ]]; then
    rm -rf "$big_dir"; mkdir -p "$big_dir"
    for ((c = 0; c < 10; c++)); do
      for f in "$in_dir"/*; do
        ln "$f" "$big_dir/x${c}_$(basename "$f")" 2>/dev/null || ln -s "$f" "$big_dir/x${c}_$(basename "$f")"
      done
    done
  fi
  # Per corpus: -j 1 with --report (its per-file stage times give the compute
  # floor: their sum / cores) and -j <cores>; on jpeg also the default -j
  # against 10x as many files (peak RSS).
  log "imgflow scaling: -j 1 (stage times for the compute floor) vs -j $CORES on each corpus, default -j on jpeg vs jpeg_x10 ($((COUNT * 10)) files)"
  warm_cache "$big_dir"
  for ((run = 1; run <= RUNS; run++)); do
    for corpus in "${CORPORA[@]}"; do
      dir=$CORPUS_ROOT/$corpus
      report=$WORK/logs/$PREFIX-$corpus-imgflow-j1-r$run.report.json
      rm -f "$report"
      if run_measured scaling "$corpus" imgflow-j1 imgflow "$dir" "$run" 1 "$report"; then
        "$PY" "$BENCH_DIR/tools/floor.py" add --report "$report" --corpus "$corpus" --run "$run" \
          --csv "$FLOOR_CSV" || warn "no compute floor for $corpus (run $run): see above"
      fi
      if ((CORES > 1)); then
        run_measured scaling "$corpus" "imgflow-j$CORES" imgflow "$dir" "$run" "$CORES" || true
      fi
    done
  done
  # The 10x pair's peak RSS swings by 15% from run to run with which large
  # photos meet in flight (the same 100 photos peaked at 165-190 MB over 11
  # runs), more than the +10% target: it gets MEMORY_RUNS alternating runs.
  for ((run = 1; run <= MEMORY_RUNS; run++)); do
    run_measured scaling jpeg imgflow imgflow "$in_dir" "$run" || true
    run_measured scaling jpeg_x10 imgflow imgflow "$big_dir" "$run" || true
  done
fi

# ---------------------------------------------------------------- report ---
META=$WORK/$PREFIX-meta.txt
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$CORES"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel=$(uname -r)"
  echo "memory=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load_at_start=$load"
  echo "count=$COUNT"
  echo "runs=$RUNS"
  echo "quick=$QUICK"
  for label in "${TOOLS[@]}"; do
    [[ -n ${CMD_DESC[$label]:-} ]] && echo "command_$label=${CMD_DESC[$label]}"
  done
  echo "tools=${TOOLS[*]}"
  if has_tool imgflow; then
    v=$(LD_LIBRARY_PATH=$WORK/bin/lib "$IMGFLOW" --version 2>/dev/null | head -n 1 || true)
    rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
    dirty=$(git -C "$REPO_ROOT" status --porcelain -- src include CMakeLists.txt 2>/dev/null | head -n 1)
    echo "version_imgflow=${v:-imgflow} (git $rev${dirty:+ + uncommitted changes}; binary $IMGFLOW_SOURCE, sha256 $(sha256sum "$IMGFLOW" | cut -c1-12))"
  fi
  if has_tool sharp; then
    preload=(); [[ $SHARP_JEMALLOC == 1 ]] && preload=("LD_PRELOAD=$JEMALLOC_LIB")
    echo "version_sharp=$(env "${preload[@]}" node -e "const s=require('sharp');console.log('sharp '+s.versions.sharp+' (libvips '+s.versions.vips+', default concurrency '+s.concurrency()+'${preload:+ with jemalloc}), node '+process.version)")"
  fi
  has_tool vipsthumbnail && echo "version_vipsthumbnail=$(vips --version)"
  has_tool pillow-pool && echo "version_pillow-pool=Pillow $("$PY" -c 'import PIL; print(PIL.__version__)'), $("$PY" --version)"
  has_tool imagemagick && echo "version_imagemagick=$(/usr/bin/mogrify -version | head -n 1 | sed 's/^Version: //; s/ https.*//')"
  has_tool graphicsmagick && echo "version_graphicsmagick=$(/usr/bin/gm version | head -n 1 | sed 's/ http.*//')"
  echo "elapsed_s=$(( $(date +%s) - START_EPOCH ))"
} >"$META"

"$PY" "$BENCH_DIR/tools/report.py" --runs-csv "$RUNS_CSV" --quality-csv "$QUALITY_CSV" \
  --floor-csv "$FLOOR_CSV" --meta "$META" --out-md "$RESULTS/$PREFIX.md" --out-png "$RESULTS/$PREFIX.png" \
  || die "writing the report failed"

wrote_floor=""
[[ -f $FLOOR_CSV ]] && wrote_floor=", $FLOOR_CSV"
log "wrote $RESULTS/$PREFIX.md, $RESULTS/$PREFIX.png, $RUNS_CSV, $QUALITY_CSV$wrote_floor (took $(( $(date +%s) - START_EPOCH )) s)"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  die "some runs failed: ${FAILED[*]} (logs in $WORK/logs)"
fi
log "done"
