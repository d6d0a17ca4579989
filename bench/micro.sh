#!/usr/bin/env bash
# Stage micro-benchmarks: configures build-micro/ with the Google Benchmark
# targets, builds them, runs them and writes bench/results/micro.json (all
# runs) and bench/results/micro.md (medians). Extra arguments go to the
# benchmark binary and come after the defaults, so they override them:
#
#   bench/micro.sh                                    # 5 repetitions, medians
#   bench/micro.sh --benchmark_filter='^decode/jpeg'  # a subset
#   bench/micro.sh --benchmark_repetitions=1          # one quick pass
#   bench/micro.sh --rev HEAD                         # measure a commit, not the working tree
#
# --rev REV (first argument) builds a clean copy of that commit (git archive,
# in build-micro/rev/), so results name exactly what they measured even while
# the working tree is being edited.
# Environment: MICRO_BUILD (build directory, default build-micro in the repo),
# MICRO_JOBS (parallel compile jobs, default 2).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${MICRO_BUILD:-$REPO_ROOT/build-micro}
RESULTS=$BENCH_DIR/results

log() { printf '[micro] %s\n' "$*"; }
die() { printf '[micro] ERROR: %s\n' "$*" >&2; exit 1; }

command -v cmake >/dev/null || die "cmake not found: run scripts/setup.sh"
source_dir=$REPO_ROOT
if [[ ${1:-} == --rev ]]; then
  [[ $# -ge 2 ]] || die "--rev needs a commit"
  sha=$(git -C "$REPO_ROOT" rev-parse --verify "$2^{commit}") || die "unknown commit: $2"
  shift 2
  source_dir=$BUILD/rev/src
  # Extract again only for another commit, so an unchanged one is not rebuilt.
  if [[ $(cat "$BUILD/rev/sha" 2>/dev/null) != "$sha" ]]; then
    rm -rf "$source_dir"; mkdir -p "$source_dir"
    git -C "$REPO_ROOT" archive "$sha" | tar -x -C "$source_dir"
    echo "$sha" >"$BUILD/rev/sha"
  fi
  build_dir=$BUILD/rev/build
  rev=$(git -C "$REPO_ROOT" rev-parse --short "$sha")
else
  build_dir=$BUILD
  rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
  if [[ -n $(git -C "$REPO_ROOT" status --porcelain -- src include cmake CMakeLists.txt bench/micro 2>/dev/null) ]]; then
    rev="$rev+uncommitted"
  fi
fi

log "configuring $build_dir (sources: $source_dir, git $rev)"
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DIMGFLOW_BUILD_BENCHMARKS=ON -DIMGFLOW_BUILD_TESTS=OFF >/dev/null
log "building imgflow_stages_bench"
cmake --build "$build_dir" --target imgflow_stages_bench --parallel "${MICRO_JOBS:-2}"

mkdir -p "$RESULTS"
log "running; results in $RESULTS/micro.json"
"$build_dir/bench/micro/imgflow_stages_bench" \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$RESULTS/micro.json" --benchmark_out_format=json \
  --benchmark_context="git=$rev" "$@"
/usr/bin/python3 "$BENCH_DIR/tools/micro_report.py" "$RESULTS/micro.json" "$RESULTS/micro.md"
log "wrote $RESULTS/micro.md"
