#!/usr/bin/env bash
# Seeding throughput: bitflow as the seeder, against a python3-libtorrent seeder, each
# serving the same three leechers (bitflow, aria2c, libtorrent-rasterbar) on 127.0.0.1.
#
#   bench/seed_bench.sh [build-dir (default: build)] [size-MB (default: 1024)]
#
# Build first:  cmake --build build -j1 --target bitflow_cli
#
# It makes SIZE MiB of pseudo-random data (tests/seeders/seeders.sh make_test_data) and a
# v1 torrent of it with libtorrent (1 MiB pieces; BENCH_PIECE_SIZE to change). Then, for
# each seeder in turn (one at a time, each checking the whole data before the first
# leecher comes, so that no download pays for the seeder's hashing):
#   (A) bitflow seed T DATA --listen 127.0.0.1 --port 0 (default settings)
#   (B) tests/seeders/lt_seeder.py --high-performance --check: python3-libtorrent with
#       lt.high_performance_seed() (its only high-throughput preset)
# each leecher downloads the torrent from it, one after the other, into an empty folder:
#   (a) bitflow download T -o DIR --peer 127.0.0.1:PORT --quiet
#   (b) aria2c (1.36), default settings but --file-allocation=none; aria2c cannot dial a
#       peer it is given, so it gets the seeder from a static tracker on 127.0.0.1
#   (c) tests/seeders/lt_leecher.py --high-performance, dialling the seeder itself
#   (d) the same with --no-encryption ("libtorrent-plain"): libtorrent (and aria2c) dial
#       with an encrypted MSE/PE handshake first and, when the seeder drops it, dial again
#       in plain text about 1 s later; this row shows the transfer without that second
# A leecher's wall time covers its whole process (start-up, connecting, downloading,
# verifying, writing, exit), as in bench/download_bench.sh, so the MiB/s figures of one
# leecher can be compared across seeders: the ratio bitflow-seeder / libtorrent-seeder
# says how much faster (> 1) or slower (< 1) that leecher downloads from bitflow. The
# seeder's CPU time during each download (user + system, from /proc) and each seeder's
# peak RSS (VmHWM) are shown too. Every download is compared with the data (cmp) and then
# deleted. A missing `bitflow seed` / `bitflow download` command (or binary) is reported
# and its rows skipped.
#
# Environment: BENCH_SEEDERS="bitflow libtorrent", BENCH_LEECHERS="bitflow aria2
# libtorrent libtorrent-plain" (which, in this order), BENCH_PIECE_SIZE (bytes), BENCH_LIMIT (seconds per
# download, default 1800), BENCH_TMPDIR (where the data goes; it needs about twice SIZE
# free). Everything stays on 127.0.0.1; all it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
size_mb=${2:-1024}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: $0 [build-dir] [size-MB]" >&2
  exit 2
}
bitflow=$build_dir/examples/bitflow
seeders=${BENCH_SEEDERS:-bitflow libtorrent}
leechers=${BENCH_LEECHERS:-bitflow aria2 libtorrent libtorrent-plain}
piece_size=${BENCH_PIECE_SIZE:-1048576}
limit=${BENCH_LIMIT:-1800}

# Checking 1 GiB before seeding takes a few seconds; a seeder lives as long as its three
# downloads may take.
export SEEDER_START_LIMIT=${SEEDER_START_LIMIT:-600}
export SEEDER_LIFETIME=${SEEDER_LIFETIME:-$((limit * 3 + 900))}
# shellcheck source=../tests/seeders/seeders.sh
source "$repo/tests/seeders/seeders.sh"

for tool in /usr/bin/time aria2c cmp; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "seed_bench: $tool is needed (apt-get install time aria2)" >&2
    exit 1
  }
done
"$SEEDER_PYTHON" -c 'import libtorrent' 2>/dev/null || {
  echo "seed_bench: $SEEDER_PYTHON cannot import libtorrent (apt-get install python3-libtorrent)" >&2
  exit 1
}

base=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
free_mb=$(($(df -Pk "$base" | awk 'NR == 2 {print $4}') / 1024))
if ((free_mb < size_mb * 2 + 256)); then
  echo "seed_bench: $base has $free_mb MB free, $((size_mb * 2 + 256)) MB needed (BENCH_TMPDIR)" >&2
  exit 1
fi
scratch=$(mktemp -d "$base/bitflow-seedbench.XXXXXX")
cleanup() {
  stop_seeders
  rm -rf -- "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bitflow_has <command>: `bitflow <command> --help` exits 0 for any command; the usage
# must name the command as a word (not "--seed") and the command must not be unknown.
bitflow_has() {
  local out word_re="(^|[^-[:alnum:]])$1([[:space:]]|\$)"
  [[ -x $bitflow ]] || return 1
  out=$("$bitflow" "$1" --help 2>&1) || return 1
  [[ $out =~ $word_re ]] || return 1
  out=$(timeout -k 2 10 "$bitflow" "$1" "$scratch/no-such.torrent" "$scratch/none" 2>&1 </dev/null) || true
  [[ $out != *"unknown command"* ]]
}

# seeder_process <pid>: the program under the `timeout` a start_* function runs.
seeder_process() {
  local child
  child=$(pgrep -P "$1" | head -n 1) || true
  printf '%s\n' "${child:-$1}"
}

# cpu_ticks <pid>: user + system time so far, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the command name, which may hold spaces).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") || return 1
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

echo "seed_bench: $size_mb MiB, pieces of $piece_size bytes, $(nproc) CPUs, data in $scratch"
make_test_data "$scratch/data" "$size_mb"
data=$TEST_DATA
torrent=$scratch/bench.torrent
make_torrent_lt "$data" "$torrent" "$piece_size"
size=$(stat -c %s "$data")
hz=$(getconf CLK_TCK)

rows=()
declare -A speed=()
declare -A peak=()

# run <seeder> <leecher> <label> <command...>: one timed download into $scratch/out,
# checked and removed; $seeder_pid is the seeding program.
run() {
  local seeder=$1 leecher=$2 label=$3 out=$scratch/out t0 t1 c0 c1 status=0 seconds mibs cpu result
  shift 3
  rm -rf -- "$out"
  mkdir -p -- "$out"
  sync
  echo "seed_bench: $label ..."
  c0=$(cpu_ticks "$seeder_pid") || c0=''
  t0=$(date +%s%N)
  timeout -k 10 "$limit" "$@" >"$scratch/$seeder-$leecher.log" 2>&1 </dev/null || status=$?
  t1=$(date +%s%N)
  c1=$(cpu_ticks "$seeder_pid") || c1=''
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  cpu=-
  [[ -n $c0 && -n $c1 ]] && cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
  if [[ $status -ne 0 ]]; then
    result="FAILED (exit $status): $(tail -n 1 "$scratch/$seeder-$leecher.log")"
    mibs=-
  elif ! cmp -s -- "$data" "$out/$(basename "$data")"; then
    result="WRONG DATA"
    mibs=-
  else
    result=ok
    mibs=$(awk -v s="$size" -v t="$seconds" 'BEGIN { printf "%.1f", s / 1048576 / t }')
    speed[$seeder/$leecher]=$mibs
  fi
  rows+=("$(printf '%-64s %9s %9s %11s  %s' "$label" "$seconds" "$mibs" "$cpu" "$result")")
  rm -rf -- "$out"
}

skipped_row() {
  rows+=("$(printf '%-64s %9s %9s %11s  %s' "$1" - - - "skipped ($2)")")
}

# Page-cache warm-up, as in download_bench.sh: on a VM, memory touched for the first time
# is much slower to write, and the first download would pay for all of it.
echo "seed_bench: page-cache warm-up ($size_mb MiB written and deleted)"
dd if=/dev/zero of="$scratch/warm-up" bs=1M count="$size_mb" status=none
sync
rm -f -- "$scratch/warm-up"

aria2_version=$(aria2c --version | awk 'NR == 1 {print $3}')
lt_version=$("$SEEDER_PYTHON" -c 'import libtorrent as lt; print(lt.__version__)')
declare -A seeder_name=([bitflow]="bitflow" [libtorrent]="libtorrent $lt_version")
declare -A leecher_name=([bitflow]="bitflow" [aria2]="aria2c $aria2_version" [libtorrent]="libtorrent $lt_version"
  [libtorrent-plain]="libtorrent $lt_version, no MSE")
has_download=no
bitflow_has download && has_download=yes

for seeder in $seeders; do
  case $seeder in
    bitflow)
      if ! bitflow_has seed; then
        echo "seed_bench: bitflow seeder skipped: no 'seed' command in $bitflow" \
          "(build it: cmake --build $build_dir -j1 --target bitflow_cli)"
        for leecher in $leechers; do
          skipped_row "seeder bitflow → leecher ${leecher_name[$leecher]:-$leecher}" "no seed command"
        done
        continue
      fi
      # Not --quiet: its status line (every 5 s) says when the check of the data is over.
      start_bitflow_seeder "$scratch/seeder-bitflow" "$bitflow" "$torrent" "$scratch/data"
      wait_bitflow_seeding "$BF_SEEDER_PID" "$BF_SEEDER_LOG"
      wrapper=$BF_SEEDER_PID port=$BF_SEEDER_PORT
      ;;
    libtorrent)
      start_libtorrent_seeder "$scratch/seeder-lt" "$torrent" "$scratch/data" --high-performance --check
      wrapper=$LT_SEEDER_PID port=$LT_SEEDER_PORT
      ;;
    *)
      echo "seed_bench: unknown seeder '$seeder' (bitflow, libtorrent)" >&2
      exit 2
      ;;
  esac
  seeder_pid=$(seeder_process "$wrapper")
  peer=127.0.0.1:$port
  start_static_tracker "$scratch/tracker-$seeder" "$peer"
  for leecher in $leechers; do
    label="seeder ${seeder_name[$seeder]} → leecher ${leecher_name[$leecher]:-$leecher}"
    case $leecher in
      bitflow)
        if [[ $has_download == yes ]]; then
          run "$seeder" bitflow "$label" "$bitflow" download "$torrent" -o "$scratch/out" --peer "$peer" \
            --listen 127.0.0.1 --port 0 --quiet
        else
          skipped_row "$label" "no download command"
        fi
        ;;
      aria2)
        run "$seeder" aria2 "$label" aria2c --no-conf --dir="$scratch/out" --seed-time=0 \
          --bt-tracker="$STATIC_TRACKER_URL" --enable-dht=false --enable-dht6=false \
          --bt-enable-lpd=false --enable-peer-exchange=false \
          --listen-port="$(_seeder_probe free-port)" --interface=127.0.0.1 --disable-ipv6=true \
          --file-allocation=none --summary-interval=0 --enable-color=false \
          --console-log-level=warn "$torrent"
        ;;
      libtorrent)
        run "$seeder" libtorrent "$label" "$SEEDER_PYTHON" "$SEEDERS_DIR/lt_leecher.py" \
          --torrent "$torrent" --save-path "$scratch/out" --peer "$peer" --timeout "$limit" \
          --high-performance --quiet
        ;;
      libtorrent-plain)
        run "$seeder" libtorrent-plain "$label" "$SEEDER_PYTHON" "$SEEDERS_DIR/lt_leecher.py" \
          --torrent "$torrent" --save-path "$scratch/out" --peer "$peer" --timeout "$limit" \
          --high-performance --no-encryption --quiet
        ;;
      *)
        echo "seed_bench: unknown leecher '$leecher' (bitflow, aria2, libtorrent, libtorrent-plain)" >&2
        exit 2
        ;;
    esac
  done
  peak[$seeder]=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$seeder_pid/status" 2>/dev/null || true)
  stop_seeder "$STATIC_TRACKER_PID"
  stop_seeder "$wrapper"
done

echo
echo "seeding $size_mb MiB ($size bytes, $(($(stat -c %s "$torrent") / 1024)) KiB torrent," \
  "$piece_size-byte pieces) on 127.0.0.1, one download at a time"
printf '%-64s %9s %9s %11s  %s\n' "seeder → leecher" seconds MiB/s "seeder CPU" result
printf '%s\n' "${rows[@]}"
for seeder in $seeders; do
  [[ -n ${peak[$seeder]:-} ]] && echo "peak RSS of the ${seeder_name[$seeder]} seeder: ${peak[$seeder]} MiB"
done

echo
echo "bitflow seeder / libtorrent seeder, by leecher (above 1: faster from bitflow):"
for leecher in $leechers; do
  a=${speed[bitflow/$leecher]:-} b=${speed[libtorrent/$leecher]:-}
  if [[ -n $a && -n $b ]]; then
    printf '  leecher %-34s %s MiB/s / %s MiB/s = %s\n' "${leecher_name[$leecher]:-$leecher}:" "$a" "$b" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')"
  else
    printf '  leecher %-34s no figure for both seeders\n' "${leecher_name[$leecher]:-$leecher}:"
  fi
done
