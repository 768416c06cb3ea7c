#!/usr/bin/env bash
# Runs every libFuzzer target and fails if any of them crashed, leaked, ran out of memory
# or timed out.
#
#   fuzz/run.sh <fuzz-build-dir> [seconds-per-target (default 60)]
#   fuzz/run.sh --long <fuzz-build-dir> [executions-per-target (default 1000000)]
#
# The build dir comes from
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DBITFLOW_FUZZ=ON \
#     -DBITFLOW_BUILD_TESTS=OFF -DBITFLOW_BUILD_EXAMPLES=OFF -DBITFLOW_BUILD_BENCH=OFF
#   cmake --build build-fuzz -j1
#
# Each target starts from a scratch copy of its seeds (fuzz/seeds/<kind>/, plus the shared
# .torrent corpus for the bencode kind, i.e. bencode and metainfo) in a temporary
# directory, which is where libFuzzer writes what it finds; the target's persistent corpus
# fuzz/corpus/<target>/, if there is one, is read too, as a second corpus directory
# (libFuzzer only ever writes to the first). On failure the temporary directory is kept
# and its path printed: the crashing inputs are in artifacts/<target>/, the full fuzzer
# output in logs/<target>.log.
#
# The default (short) mode runs each target for a time and never writes to the
# repository: scripts/test.sh uses it. --long runs each target for a number of executions
# (-runs) and then, for every target that found nothing:
#   * minimises what it has (its seeds, fuzz/corpus/<target>/ and the new inputs) with
#     -merge=1 and makes the result, less the seeds themselves (every run starts from
#     them anyway), the new fuzz/corpus/<target>/, so the corpus grows in coverage, not
#     in size;
#   * adds the executions to the target's total in docs/FUZZING.md: a table per run is
#     appended, its "total" column being the executions since the target's last crash.
# A target that crashes gets its row with "CRASH" (its total starts again from 0), keeps
# its corpus as it was, and the run fails with the crash file's path.
#
# BITFLOW_TORRENT_CORPUS overrides where the .torrent corpus is looked for.
set -euo pipefail

usage() {
  echo "usage: $0 <fuzz-build-dir> [seconds-per-target]" >&2
  echo "       $0 --long <fuzz-build-dir> [executions-per-target]" >&2
  exit 2
}

long=false
if [[ ${1:-} == --long ]]; then
  long=true
  shift
fi
[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$(cd "$1" && pwd)
if $long; then
  runs=${2:-1000000}
  [[ $runs =~ ^[0-9]+$ && $runs -gt 0 ]] || usage
else
  seconds=${2:-60}
  [[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
fi

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$fuzz_dir/.." && pwd)
torrents=${BITFLOW_TORRENT_CORPUS:-$fuzz_dir/../../shared/corpus/torrents}
report=$repo_dir/docs/FUZZING.md
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

# The persistent corpus of a target, when there is one.
persistent_corpus() {
  local dir=$fuzz_dir/corpus/$1
  [[ -d $dir ]] && echo "$dir"
  return 0
}

# stat <log> <name>: a libFuzzer final statistic (-print_final_stats), 0 if absent.
final_stat() {
  local value
  value=$(sed -n "s/^stat::$2: *\([0-9]*\)\$/\1/p" "$1" | tail -n 1)
  echo "${value:-0}"
}

# minimise <target> <seeds-corpus> [extra libFuzzer flags...]: replaces
# fuzz/corpus/<target>/ with a -merge=1 of everything the target has, less the seeds.
minimise() {
  local target=$1 corpus=$2
  shift 2
  local binary=$build_dir/fuzz/$target merged=$scratch/merged/$target
  local log=$scratch/logs/$target.merge.log persistent dirs=("$corpus")
  persistent=$(persistent_corpus "$target")
  [[ -n $persistent ]] && dirs+=("$persistent")
  mkdir -p "$merged"
  "$binary" -merge=1 -timeout=10 -rss_limit_mb=2048 "$@" "$merged" "${dirs[@]}" \
    >"$log" 2>&1 || {
    echo "$target: FAILED: the merge did not finish (see $log)"
    return 1
  }
  # libFuzzer names merged inputs by their SHA-1; those that are seeds go.
  local seed
  while read -r seed _; do
    rm -f -- "$merged/$seed"
  done <"$scratch/seeds-$target.sha1"
  rm -rf -- "$fuzz_dir/corpus/$target"
  mkdir -p "$fuzz_dir/corpus/$target"
  find "$merged" -maxdepth 1 -type f -exec mv -t "$fuzz_dir/corpus/$target" {} +
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
  local corpus artifacts=$scratch/artifacts/$target log=$scratch/logs/$target.log persistent
  corpus=$(prepare_corpus "$target" "$kind")
  persistent=$(persistent_corpus "$target")
  # New inputs go to the first directory only: the persistent corpus is read, not written.
  local dirs=("$corpus")
  [[ -n $persistent ]] && dirs+=("$persistent")
  (cd "$corpus" && find . -maxdepth 1 -type f -exec sha1sum {} + |
    sed 's|  \./| |') >"$scratch/seeds-$target.sha1"
  mkdir -p "$artifacts"
  local budget what
  if $long; then
    budget=(-runs="$runs") what="$runs executions"
  else
    budget=(-max_total_time="$seconds") what="${seconds}s"
  fi
  local extra=
  [[ -n $persistent ]] && extra=" + $(find "$persistent" -type f | wc -l) in fuzz/corpus/$target"
  echo "== $target: $what, corpus $(ls "$corpus" | wc -l) inputs$extra"
  local status=0
  "$binary" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "${dirs[@]}" >"$log" 2>&1 || status=$?
  # The end of the log has the final stats, or the report of what went wrong.
  grep -E '^(stat::|Done|INFO: fuzzed for)|ERROR|SUMMARY|^==[0-9]+==' "$log" | tail -n 20 || true
  if [[ $status -ne 0 ]] || [[ -n $(ls -A "$artifacts") ]]; then
    echo "$target: FAILED (exit $status)"
    ls "$artifacts" | sed "s|^|  artifact: $artifacts/|"
    ls "$artifacts" | sed "s|^|  reproduce: $binary $* $artifacts/|"
    $long && echo "$target CRASH $(final_stat "$log" number_of_executed_units)" >>"$scratch/results"
    return 1
  fi
  if $long; then
    minimise "$target" "$corpus" "$@" || return 1
    local kept=$fuzz_dir/corpus/$target
    local inputs kib
    inputs=$(find "$kept" -type f | wc -l)
    kib=$(find "$kept" -type f -printf '%s\n' | awk '{ n += $1 } END { printf "%d", (n + 1023) / 1024 }')
    echo "$target ok $(final_stat "$log" number_of_executed_units) $inputs $kib" >>"$scratch/results"
    echo "$target: ok; fuzz/corpus/$target: $inputs inputs, $kib KiB"
    return 0
  fi
  echo "$target: ok"
}

# previous_total <target>: the target's total in the last table of docs/FUZZING.md.
previous_total() {
  [[ -f $report ]] || {
    echo 0
    return
  }
  awk -F'|' -v t="\`$1\`" '
    { gsub(/ /, "", $2) }
    $2 == t { total = $4; gsub(/[ ,]/, "", total) }
    END { print (total ~ /^[0-9]+$/) ? total : 0 }' "$report"
}

# Appends this run's table to docs/FUZZING.md.
write_report() {
  [[ -s $scratch/results ]] || return 0
  if [[ ! -f $report ]]; then
    # shellcheck disable=SC2016  # the backquotes are Markdown
    printf '# Fuzzing\n\nWritten by `fuzz/run.sh --long`.\n' >"$report"
  fi
  local commit
  commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -z $(git -C "$repo_dir" status --porcelain --untracked-files=no -- src include fuzz/*.cpp \
    2>/dev/null) ]] || commit+=" (with uncommitted changes)"
  {
    echo
    echo "### $(date -u '+%Y-%m-%d %H:%M UTC'): $runs executions per target, commit $commit"
    echo
    echo "| target | executions this run | total since the last crash | corpus inputs | corpus KiB |"
    echo "|---|---:|---:|---:|---:|"
    local target state executions inputs kib total
    while read -r target state executions inputs kib; do
      if [[ $state == CRASH ]]; then
        echo "| \`$target\` | CRASH after $executions | 0 | | |"
      else
        total=$(($(previous_total "$target") + executions))
        echo "| \`$target\` | $executions | $total | $inputs | $kib |"
      fi
    done <"$scratch/results"
  } >"$scratch/report.md"  # read the old totals first, then append
  cat "$scratch/report.md" >>"$report"
  echo "docs/FUZZING.md: added the table of this run"
}

failed=()
run_target fuzz_bencode bencode || failed+=(fuzz_bencode)
run_target fuzz_metainfo bencode -max_len=1048576 || failed+=(fuzz_metainfo)
run_target fuzz_magnet magnet || failed+=(fuzz_magnet)
run_target fuzz_udp_tracker udp_tracker || failed+=(fuzz_udp_tracker)
run_target fuzz_http_tracker http_tracker || failed+=(fuzz_http_tracker)
run_target fuzz_wire wire -max_len=20000 || failed+=(fuzz_wire)
run_target fuzz_extension extension -max_len=20000 || failed+=(fuzz_extension)
run_target fuzz_fetch_parsers fetch_parsers -max_len=4096 || failed+=(fuzz_fetch_parsers)
run_target fuzz_s3_parsers s3_parsers -max_len=8192 || failed+=(fuzz_s3_parsers)
run_target fuzz_krpc krpc -max_len=8192 || failed+=(fuzz_krpc)
run_target fuzz_remote_parsers remote_parsers -max_len=16384 || failed+=(fuzz_remote_parsers)
run_target fuzz_mse mse -max_len=4096 || failed+=(fuzz_mse)
$long && write_report

if [[ ${#failed[@]} -gt 0 ]]; then
  echo
  echo "FAILED: ${failed[*]}"
  echo "crash inputs and logs kept in $scratch (artifacts/<target>/, logs/<target>.log)"
  exit 1
fi
rm -rf "$scratch"
echo
if $long; then
  echo "all fuzz targets ran $runs executions without findings"
else
  echo "all fuzz targets ran ${seconds}s without findings"
fi
