#!/usr/bin/env bash
# Stage micro-benchmarks: configures build-micro/ with the Google Benchmark
# targets, builds them, runs them and writes bench/results/micro.json (all
# runs) and bench/results/micro.md (medians). Extra arguments go to the
# benchmark binary and come after the defaults, so they override them:
#
#   bench/micro.sh                                    # 5 repetitions, medians
#   bench/micro.sh --benchmark_filter='^decode/jpeg'  # a subset
#   bench/micro.sh --benchmark_repetitions=1          # one quick pass
#
# Environment: MICRO_BUILD (build directory, default build-micro in the repo),
# MICRO_JOBS (parallel compile jobs, default 2).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${MICRO_BUILD:-$REPO_ROOT/build-micro}
RESULTS=$BENCH_DIR/results

log() { printf '[micro] %s\n' "$*"; }

command -v cmake >/dev/null || { echo "[micro] cmake not found: run scripts/setup.sh" >&2; exit 1; }
log "configuring $BUILD"
cmake -S "$REPO_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DIMGFLOW_BUILD_BENCHMARKS=ON -DIMGFLOW_BUILD_TESTS=OFF >/dev/null
log "building imgflow_stages_bench"
cmake --build "$BUILD" --target imgflow_stages_bench --parallel "${MICRO_JOBS:-2}"

rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
if [[ -n $(git -C "$REPO_ROOT" status --porcelain -- src include CMakeLists.txt bench/micro 2>/dev/null) ]]; then
  rev="$rev+uncommitted"
fi
mkdir -p "$RESULTS"
log "running (git $rev); results in $RESULTS/micro.json"
"$BUILD/bench/micro/imgflow_stages_bench" \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$RESULTS/micro.json" --benchmark_out_format=json \
  --benchmark_context="git=$rev" "$@"
/usr/bin/python3 "$BENCH_DIR/tools/micro_report.py" "$RESULTS/micro.json" "$RESULTS/micro.md"
log "wrote $RESULTS/micro.md"
