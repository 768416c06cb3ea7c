#!/usr/bin/env bash
# Runs every libFuzzer target for a while and fails if any of them crashed, leaked, ran
# out of memory or timed out.
#
#   fuzz/run.sh <fuzz-build-dir> [seconds-per-target (default 60)]
#
# The build dir comes from
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DBITFLOW_FUZZ=ON \
#     -DBITFLOW_BUILD_TESTS=OFF -DBITFLOW_BUILD_EXAMPLES=OFF -DBITFLOW_BUILD_BENCH=OFF
#   cmake --build build-fuzz -j1
#
# Each target starts from a scratch copy of its seeds (fuzz/seeds/<kind>/, plus the shared
# .torrent corpus for the bencode kind, i.e. bencode and metainfo) in a temporary
# directory, so the repository is never written to. On failure that directory is kept and
# its path printed: the crashing inputs are in artifacts/<target>/, the full fuzzer output
# in logs/<target>.log.
#
# BITFLOW_TORRENT_CORPUS overrides where the .torrent corpus is looked for.
set -euo pipefail

usage() {
  echo "usage: $0 <fuzz-build-dir> [seconds-per-target]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$(cd "$1" && pwd)
seconds=${2:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
torrents=${BITFLOW_TORRENT_CORPUS:-$fuzz_dir/../../shared/corpus/torrents}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bitflow-fuzz.XXXXXX")
mkdir -p "$scratch/logs"

# UB and ASan reports must come with a stack; leaks count as failures.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

# Copies the seeds of one target into its scratch corpus.
prepare_corpus() {
  local target=$1 kind=$2 corpus=$scratch/corpus/$1
  mkdir -p "$corpus"
  cp "$fuzz_dir/seeds/$kind"/* "$corpus"/ 2>/dev/null || true
  if [[ $kind == bencode ]]; then
    if [[ -d $torrents ]]; then
      local dir
      for dir in libtorrent libtorrent/mutable anacrolix; do
        # Prefixed names: the same file name appears in several folders.
        for f in "$torrents/$dir"/*.torrent; do
          [[ -e $f ]] && cp "$f" "$corpus/${dir//\//_}__$(basename "$f")"
        done
      done
    else
      echo "note: no torrent corpus at $torrents; using fuzz/seeds/bencode only" >&2
    fi
  fi
  echo "$corpus"
}

# run_target <target> <seed kind> [extra libFuzzer flags...]: 0 if the fuzzer found nothing.
run_target() {
  local target=$1 kind=$2
  shift 2
  local binary=$build_dir/fuzz/$target
  if [[ ! -x $binary ]]; then
    echo "$target: $binary not built" >&2
    return 1
  fi
  local corpus artifacts=$scratch/artifacts/$target log=$scratch/logs/$target.log
  corpus=$(prepare_corpus "$target" "$kind")
  mkdir -p "$artifacts"
  echo "== $target: ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
  local status=0
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1 || status=$?
  # The end of the log has the final stats, or the report of what went wrong.
  grep -E '^(stat::|Done|INFO: fuzzed for)|ERROR|SUMMARY|^==[0-9]+==' "$log" | tail -n 20 || true
  if [[ $status -ne 0 ]] || [[ -n $(ls -A "$artifacts") ]]; then
    echo "$target: FAILED (exit $status)"
    ls "$artifacts" | sed "s|^|  artifact: $artifacts/|"
    return 1
  fi
  echo "$target: ok"
}

failed=()
run_target fuzz_bencode bencode || failed+=(fuzz_bencode)
run_target fuzz_metainfo bencode -max_len=1048576 || failed+=(fuzz_metainfo)
run_target fuzz_magnet magnet || failed+=(fuzz_magnet)
run_target fuzz_udp_tracker udp_tracker || failed+=(fuzz_udp_tracker)
run_target fuzz_http_tracker http_tracker || failed+=(fuzz_http_tracker)
run_target fuzz_wire wire -max_len=20000 || failed+=(fuzz_wire)
run_target fuzz_extension extension -max_len=20000 || failed+=(fuzz_extension)

if [[ ${#failed[@]} -gt 0 ]]; then
  echo
  echo "FAILED: ${failed[*]}"
  echo "crash inputs and logs kept in $scratch (artifacts/<target>/, logs/<target>.log)"
  exit 1
fi
rm -rf "$scratch"
echo
echo "all fuzz targets ran ${seconds}s without findings"
