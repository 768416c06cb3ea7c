#!/usr/bin/env bash
# Builds bitflow and runs every test: the unit and integration tests (g++, warnings as
# errors), the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and
# each libFuzzer target for a bounded time (clang). Exits non-zero if anything fails.
#
#   FUZZ_SECONDS=60   seconds per fuzz target (0 skips fuzzing)
#   BUILD_ROOT=.      where the build-* folders go
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh

fuzz_seconds=${FUZZ_SECONDS:-60}
root=${BUILD_ROOT:-.}
jobs=$(nproc)
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# run_ctest DIR ARGS...: runs ctest, keeps its output for the closing summary.
run_ctest() {
  local dir=$1
  shift
  local status=0
  (cd "$dir" && ctest --output-on-failure --timeout 600 -j"$jobs" "$@") | tee -a "$summary" ||
    status=$?
  return "$status"
}

failed=0
echo "== build (g++, -Werror)"
cmake -S . -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBITFLOW_WERROR=ON >/dev/null
cmake --build "$root/build" -j"$jobs"
echo "== unit and integration tests"
run_ctest "$root/build" || failed=1

echo "== build (ASan + UBSan)"
cmake -S . -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBITFLOW_SANITIZE=ON \
  -DBITFLOW_BUILD_EXAMPLES=OFF -DBITFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-asan" -j"$jobs"
echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "$root/build-asan" -L unit || failed=1

if [[ "$fuzz_seconds" -gt 0 ]]; then
  echo "== build (clang, libFuzzer)"
  cmake -S . -B "$root/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DBITFLOW_FUZZ=ON \
    -DBITFLOW_BUILD_TESTS=OFF -DBITFLOW_BUILD_EXAMPLES=OFF -DBITFLOW_BUILD_BENCH=OFF >/dev/null
  cmake --build "$root/build-fuzz" -j"$jobs"
  echo "== fuzzing, ${fuzz_seconds}s per target"
  if bash fuzz/run.sh "$root/build-fuzz" "$fuzz_seconds"; then
    echo "fuzz: every target ran clean" | tee -a "$summary"
  else
    echo "fuzz: a target failed" | tee -a "$summary"
    failed=1
  fi
fi

# One closing line over every ctest run above.
passed=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$summary" |
  awk '{f += $1; t += $6} END {print t - f}')
failures=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$summary" | awk '{f += $1} END {print f + 0}')
echo
echo "all: ${passed} passed, ${failures} failed"
exit "$failed"
