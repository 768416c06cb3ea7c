#!/usr/bin/env bash
# Builds bitflow and runs every test: the unit and integration tests in a Release build
# (g++, warnings as errors), the unit tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer (Debug), the library and the client built with clang
# (warnings as errors), and each libFuzzer target for a bounded time. Exits non-zero if
# anything fails.
#
# The closing line counts every ctest run: `all: N passed, N failed, N skipped`. A
# skipped test (a missing optional tool, the shared conformance corpus absent beside a
# bare clone) is counted as skipped, never as passed; each says why in its output.
#
#   FUZZ_SECONDS=60   seconds per fuzz target (0 skips fuzzing)
#   BUILD_ROOT=.      where the build-* folders go
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh

fuzz_seconds=${FUZZ_SECONDS:-60}
root=${BUILD_ROOT:-.}
jobs=$(nproc)
summary=$(mktemp -d)
trap 'rm -rf "$summary"' EXIT
export CCACHE_BASEDIR=$PWD

# run_ctest NAME DIR ARGS...: runs ctest with a JUnit report, so that passed, failed and
# skipped tests can be counted exactly afterwards.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local status=0
  (cd "$dir" && ctest --output-on-failure --timeout 600 -j"$jobs" \
    --output-junit "$summary/$name.xml" "$@") || status=$?
  return "$status"
}

# count KIND: adds up one attribute (tests, failures, skipped) over every JUnit report.
count() {
  /usr/bin/python3 - "$1" "$summary"/*.xml <<'PY'
import sys, xml.etree.ElementTree as ET
kind, total = sys.argv[1], 0
for path in sys.argv[2:]:
    suite = ET.parse(path).getroot()
    total += int(suite.get(kind, "0"))
print(total)
PY
}

failed=0
echo "== build (g++, Release, -Werror)"
cmake -S . -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBITFLOW_WERROR=ON >/dev/null
cmake --build "$root/build" -j"$jobs"
echo "== unit and integration tests"
run_ctest release "$root/build" || failed=1

echo "== build (ASan + UBSan, Debug)"
cmake -S . -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBITFLOW_SANITIZE=ON \
  -DBITFLOW_WERROR=ON -DBITFLOW_BUILD_EXAMPLES=OFF -DBITFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-asan" -j"$jobs"
echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest asan "$root/build-asan" -L unit || failed=1

echo "== build (clang, RelWithDebInfo, -Werror: the library and the client)"
cmake -S . -B "$root/build-clang" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBITFLOW_WERROR=ON -DBITFLOW_BUILD_TESTS=OFF \
  -DBITFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-clang" -j"$jobs"

fuzz_line=
if [[ "$fuzz_seconds" -gt 0 ]]; then
  echo "== build (clang, libFuzzer)"
  # Only the library and the fuzz targets: programs would link the fuzzer-instrumented
  # library without the fuzzer's runtime.
  cmake -S . -B "$root/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DBITFLOW_FUZZ=ON \
    -DBITFLOW_WERROR=ON -DBITFLOW_BUILD_TESTS=OFF -DBITFLOW_BUILD_EXAMPLES=OFF \
    -DBITFLOW_BUILD_BENCH=OFF -DBITFLOW_BUILD_DAEMON=OFF >/dev/null
  cmake --build "$root/build-fuzz" -j"$jobs"
  echo "== fuzzing, ${fuzz_seconds}s per target"
  if bash fuzz/run.sh "$root/build-fuzz" "$fuzz_seconds"; then
    fuzz_line="fuzz: every target ran ${fuzz_seconds}s clean"
  else
    fuzz_line="fuzz: a target failed"
    failed=1
  fi
fi

# One closing line over every ctest run above; a run that could not write its report
# (ctest itself failed) has already set `failed`.
total=$(count tests)
failures=$(count failures)
skipped=$(count skipped)
echo
[[ -n $fuzz_line ]] && echo "$fuzz_line"
echo "all: $((total - failures - skipped)) passed, ${failures} failed, ${skipped} skipped"
exit "$failed"
