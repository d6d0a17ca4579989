#!/usr/bin/env bash
# Sanitizers and fuzzing (issue 4, "Batch jobs you can trust"), with clang:
#   asan  build-asan/: everything built with IMGFLOW_SANITIZE=address,undefined,
#         then the whole ctest suite (unit, pipeline, CLI, hostile inputs,
#         consumers);
#   fuzz  build-fuzz/: the libFuzzer targets in fuzz/, replayed over their seed
#         corpus (ctest), then each fuzzed for FUZZ_SECONDS (default 60);
#   tsan  build-tsan/: IMGFLOW_SANITIZE=thread, the pipeline_tests under
#         ThreadSanitizer (suppressions for oneTBB's scheduler: cmake/tsan.supp).
# Usage: scripts/sanitize.sh [asan] [fuzz] [tsan]   (default: all three)
# Installs clang and its sanitizer runtimes with apt-get when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
steps=("$@")
((${#steps[@]})) || steps=(asan fuzz tsan)
fuzz_seconds=${FUZZ_SECONDS:-60}
jobs=$(nproc)

log() { printf 'sanitize: %s\n' "$*"; }

# --- dependencies ------------------------------------------------------------
"$root/scripts/setup.sh"

apt_install() { "$root/scripts/setup.sh" "$@"; }

command -v clang++ >/dev/null || apt_install clang
clang_major=$(clang++ --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
# libFuzzer and the sanitizer runtimes (Debian 12: libclang-rt-14-dev).
fuzzer_runtime=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [[ ! -f $fuzzer_runtime ]] || [[ ! -f $(clang++ -print-file-name=libclang_rt.tsan-x86_64.a) ]]; then
  apt_install "libclang-rt-${clang_major}-dev"
fi
# llvm-symbolizer puts file:line into sanitizer reports.
command -v llvm-symbolizer >/dev/null || apt_install llvm
log "$(clang++ --version | head -n1)"

export CC=clang CXX=clang++

# Runtime options.
# - detect_leaks=1: LeakSanitizer stays on. The system libraries (OpenCV,
#   oneTBB, libpng, libjpeg-turbo, GDAL) are not instrumented, but ASan
#   intercepts their malloc too, so a block leaked through them is still
#   reported. The suite and the fuzzers currently run without a leak report;
#   a one-time allocation a library keeps until exit would go in
#   cmake/lsan.supp, with its reason.
# - halt_on_error / -fno-sanitize-recover: the first report fails the test.
# - exitcode=86 for every sanitizer (tests/support/test_support.hpp,
#   kSanitizerExitCode): their default, 1, is also imgflow's "a file failed",
#   which many tests expect, so a report could have passed as a failed file.
sanitizer_exit=86
export ASAN_OPTIONS="exitcode=$sanitizer_exit:detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="exitcode=$sanitizer_exit:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="exitcode=$sanitizer_exit:suppressions=$root/cmake/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="exitcode=$sanitizer_exit:suppressions=$root/cmake/tsan.supp:halt_on_error=1:second_deadlock_stack=1"

configure() {  # configure DIR cmake-args...
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

# Runs ctest and keeps its counts for the end; a failure is remembered, and
# the remaining steps still run.
summaries=()
status=0
run_ctest() {  # run_ctest NAME DIR ctest-args...
  local name=$1 dir=$2 rc=0
  shift 2
  local out="$dir/ctest-$name.log"
  # --no-tests=error: a filter that selects nothing fails instead of passing.
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@" 2>&1 |
    tee "$out" || rc=$?
  local counts
  counts=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 tests, \1 failed/p' \
    "$out" | tail -n1)
  summaries+=("$name: ${counts:-no test summary}")
  if ((rc != 0)); then
    log "$name: FAILED"
    status=1
  fi
}

start=$(date +%s)
step_time() { log "$1 took $(($(date +%s) - $2)) s"; }

for step in "${steps[@]}"; do
  t=$(date +%s)
  case $step in
    asan)
      log "asan: building build-asan/ with -fsanitize=address,undefined"
      dir="$root/build-asan"
      configure "$dir" -DIMGFLOW_SANITIZE=address,undefined -DIMGFLOW_BUILD_TESTS=ON
      cmake --build "$dir" -j "$jobs"
      # The consumer tests build a program against the instrumented library:
      # with the same compiler and sanitizer flags (CMake reads these at configure).
      CXXFLAGS="-fsanitize=address,undefined" LDFLAGS="-fsanitize=address,undefined" \
        run_ctest asan "$dir"
      ;;
    fuzz)
      log "fuzz: building build-fuzz/ (libFuzzer + address,undefined)"
      dir="$root/build-fuzz"
      configure "$dir" -DIMGFLOW_BUILD_FUZZERS=ON -DIMGFLOW_BUILD_TESTS=OFF -DIMGFLOW_BUILD_CLI=OFF
      cmake --build "$dir" -j "$jobs" --target geometry_fuzzer decode_fuzzer
      run_ctest fuzz-replay "$dir" -R '^fuzz_replay_'
      for target in geometry decode; do
        # Fails on resident memory over 2 GB; one malloc may reach 4 GB
        # because OpenCV's TIFF reader reserves a strip buffer sized by
        # RowsPerStrip that it never fills (a virtual reservation only).
        work="$dir/corpus-$target"  # new inputs go here, never into the seed corpus
        mkdir -p "$work" "$dir/artifacts"
        log "fuzz: $target for ${fuzz_seconds}s"
        rc=0
        "$dir/fuzz/${target}_fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
          -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=4096 \
          -artifact_prefix="$dir/artifacts/$target-" \
          "$work" "$root/fuzz/corpus/$target" >"$dir/fuzz-$target.log" 2>&1 || rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz-$target.log" | tail -n1)
        summaries+=("fuzz $target: ${execs:-?} executions in ${fuzz_seconds}s, exit $rc")
        if ((rc != 0)); then
          # The report from its first line (a timeout's stack starts at
          # "ALARM"), not the log's tail, which cut a deep stack's top off.
          grep -a -v -E '^(#[0-9]+|ERROR 4:|imdecode_)' "$dir/fuzz-$target.log" |
            sed -n '/ALARM: working on the last Unit\|^==[0-9]*==ERROR\|deadly signal/,$p' | head -n 80
          log "fuzz: $target FAILED (reproducer in $dir/artifacts/)"
          # The checkout may be gone by the time anyone looks: the reproducer
          # (at most 4 KiB, -max_len's default) goes into the log too, to be
          # restored with base64 -d.
          for artifact in "$dir/artifacts/$target-"*; do
            [[ -f $artifact ]] || continue
            log "fuzz: reproducer $(basename "$artifact"), $(stat -c %s "$artifact") bytes, base64:"
            head -c 8192 "$artifact" | base64 -w 76
          done
          status=1
        else
          log "fuzz: $target: ${execs:-?} executions, no finding"
        fi
      done
      ;;
    tsan)
      log "tsan: building build-tsan/ with -fsanitize=thread"
      dir="$root/build-tsan"
      configure "$dir" -DIMGFLOW_SANITIZE=thread -DIMGFLOW_BUILD_TESTS=ON
      cmake --build "$dir" -j "$jobs" --target pipeline_tests
      # Every test of pipeline_tests, by its suite names.
      suites=$("$dir/tests/pipeline_tests" --gtest_list_tests | sed -n 's/^\([A-Za-z0-9_]*\)\.$/\1/p' |
        paste -sd'|')
      if [[ -z $suites ]]; then
        log "tsan: pipeline_tests lists no test suite: FAILED"
        status=1
        continue
      fi
      run_ctest tsan "$dir" -R "^($suites)\\."
      ;;
    *)
      log "unknown step $step (expected asan, fuzz or tsan)" >&2
      exit 2
      ;;
  esac
  step_time "$step" "$t"
done

log "done in $(($(date +%s) - start)) s"
for s in "${summaries[@]}"; do log "$s"; done
exit $status
