#!/usr/bin/env bash
# Download throughput: bitflow against aria2c and libtorrent-rasterbar, from the same
# python3-libtorrent seeder on 127.0.0.1.
#
#   bench/download_bench.sh [build-dir (default: build)] [size-MB (default: 1024)]
#
# Build first:  cmake --build build -j1 --target bitflow_cli
#
# It makes SIZE MiB of pseudo-random data (tests/seeders/seeders.sh make_test_data) and a
# v1 torrent of it with libtorrent (1 MiB pieces; BENCH_PIECE_SIZE to change), starts one
# libtorrent seeder (lt.high_performance_seed(), every piece hash-checked before the first
# client comes, so that no client pays for seed-mode hashing), then downloads the torrent
# with each client in turn, into an empty folder:
#   (a) bitflow download T -o DIR --peer 127.0.0.1:PORT --quiet
#   (b) aria2c (1.36), default settings but --file-allocation=none; aria2c cannot dial a
#       peer it is given, so it gets the seeder from a static tracker on 127.0.0.1
#   (c) tests/seeders/lt_leecher.py: python3-libtorrent with lt.high_performance_seed()
#       (its only high-throughput preset), dialling the seeder itself
# Before the first client, as much data as the download is written and deleted once (see
# the warm-up below: first-touch memory on a VM). Each client's wall time covers the whole process (start-up, connecting, downloading,
# verifying every piece, writing, exit). bench/measure.py reports CPU seconds (user +
# system) per GiB, peak RSS (the kernel's maximum resident set: for (c) it includes the
# Python interpreter, and, since libtorrent 2.0 writes through memory-mapped files, the
# file pages it touched, which are page cache rather than heap) and peak anonymous memory
# (RssAnon sampled every 10 ms: heap, stacks and buffers, what a download really costs;
# for (c) the interpreter's share is about 10 MiB). Every download is
# compared with the data (cmp) and then deleted. It prints a table and bitflow's speed
# relative to the fastest of the others. A missing `bitflow download` command (or a
# missing binary) is reported and its row skipped.
#
# Environment: BENCH_CLIENTS="bitflow aria2 libtorrent" (which rows, in this order),
# BENCH_ROUNDS (default 2: the clients run in turn that many times, and each client's best
# round counts; one client's run changes the machine's state for the next one, e.g. pages
# still being written back),
# BENCH_PIECE_SIZE (bytes), BENCH_LIMIT (seconds per download, default 1800),
# BENCH_TMPDIR (where the data goes; it needs about twice SIZE free).
# Everything stays on 127.0.0.1; all it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
size_mb=${2:-1024}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: $0 [build-dir] [size-MB]" >&2
  exit 2
}
bitflow=$build_dir/examples/bitflow
clients=${BENCH_CLIENTS:-bitflow aria2 libtorrent}
rounds=${BENCH_ROUNDS:-2}
piece_size=${BENCH_PIECE_SIZE:-1048576}
limit=${BENCH_LIMIT:-1800}

# Seeding 1 GiB: the up-front check takes a few seconds; the seeder lives as long as the
# whole run may take.
export SEEDER_START_LIMIT=${SEEDER_START_LIMIT:-600}
export SEEDER_LIFETIME=${SEEDER_LIFETIME:-$((limit * 3 + 900))}
# shellcheck source=../tests/seeders/seeders.sh
source "$repo/tests/seeders/seeders.sh"

for tool in aria2c cmp; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "download_bench: $tool is needed (apt-get install aria2)" >&2
    exit 1
  }
done
"$SEEDER_PYTHON" -c 'import libtorrent' 2>/dev/null || {
  echo "download_bench: $SEEDER_PYTHON cannot import libtorrent (apt-get install python3-libtorrent)" >&2
  exit 1
}

base=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
free_mb=$(($(df -Pk "$base" | awk 'NR == 2 {print $4}') / 1024))
if ((free_mb < size_mb * 2 + 256)); then
  echo "download_bench: $base has $free_mb MB free, $((size_mb * 2 + 256)) MB needed (BENCH_TMPDIR)" >&2
  exit 1
fi
scratch=$(mktemp -d "$base/bitflow-dlbench.XXXXXX")
cleanup() {
  stop_seeders
  rm -rf -- "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bitflow_has_download: `bitflow <command> --help` exits 0 for any command; the usage must
# name "download" as a word (not "--downloaded") and the command must not be unknown.
bitflow_has_download() {
  local out word_re='(^|[^-[:alnum:]])download([[:space:]]|$)'
  [[ -x $bitflow ]] || return 1
  out=$("$bitflow" download --help 2>&1) || return 1
  [[ $out =~ $word_re ]] || return 1
  out=$(timeout -k 2 10 "$bitflow" download "$scratch/no-such.torrent" -o "$scratch/none" 2>&1 </dev/null) || true
  [[ $out != *"unknown command"* ]]
}

echo "download_bench: $size_mb MiB, pieces of $piece_size bytes, $(nproc) CPUs, data in $scratch"
make_test_data "$scratch/data" "$size_mb"
data=$TEST_DATA
torrent=$scratch/bench.torrent
make_torrent_lt "$data" "$torrent" "$piece_size"
size=$(stat -c %s "$data")
start_libtorrent_seeder "$scratch/seeder" "$torrent" "$scratch/data" --high-performance --check
peer=127.0.0.1:$LT_SEEDER_PORT
start_static_tracker "$scratch/tracker" "$peer"

rows=()
declare -A speed=()

# run <name> <label> <command...>: one measured download into $scratch/out (bench/measure.py:
# wall and CPU seconds, peak RSS and peak anonymous memory), checked and removed.
run() {
  local name=$1 label=$2 out=$scratch/out status=0 seconds mibs cpu rss anon result
  shift 2
  rm -rf -- "$out"
  mkdir -p -- "$out"
  sync
  echo "download_bench: $label ..."
  timeout -k 10 "$limit" "$repo/bench/measure.py" "$scratch/$name.cost" -- "$@" \
    >"$scratch/$name.log" 2>&1 </dev/null || status=$?
  [[ -n ${BENCH_VERBOSE:-} && -f $scratch/$name.cost ]] && echo "download_bench: $name cost $(cat "$scratch/$name.cost")"
  read -r seconds cpu rss anon < <(/usr/bin/python3 - "$scratch/$name.cost" "$size" <<'PY' 2>/dev/null || echo "- - - -"
import json, sys
c = json.load(open(sys.argv[1]))
gib = int(sys.argv[2]) / 2**30
print("%.3f %.2f %.1f %.1f" % (c["wall_s"], c["cpu_s"] / gib, c["peak_rss_mib"], c["peak_anon_mib"]))
PY
  )
  if [[ $status -ne 0 ]]; then
    result="FAILED (exit $status): $(tail -n 1 "$scratch/$name.log")"
    mibs=-
  elif ! cmp -s -- "$data" "$out/$(basename "$data")"; then
    result="WRONG DATA"
    mibs=-
  else
    result=ok
    mibs=$(awk -v s="$size" -v t="$seconds" 'BEGIN { printf "%.1f", s / 1048576 / t }')
    # Best of the rounds: what a client can do, not what the machine let it do once.
    if [[ -z ${speed[$name]:-} ]] || awk -v a="$mibs" -v b="${speed[$name]}" 'BEGIN { exit !(a > b) }'; then
      speed[$name]=$mibs
    fi
  fi
  rows+=("$(printf '%-30s %9s %9s %9s %9s %9s  %s' "$label" "$seconds" "$mibs" "$cpu" "$rss" "$anon" "$result")")
  rm -rf -- "$out"
}

# Page-cache warm-up. On a virtual machine, memory the guest has never touched is much
# slower to write the first time (here: dd of 1 GiB to a new file ran at 440 MB/s, and at
# 4.4 GB/s once an earlier file had been deleted), and each client's download becomes page
# cache. Without this, whichever client runs first pays for the whole download's worth of
# first touches and the others reuse the pages it freed. Writing and deleting as much data
# as the download once, before any client, gives every client the same conditions.
echo "download_bench: page-cache warm-up ($size_mb MiB written and deleted)"
dd if=/dev/zero of="$scratch/warm-up" bs=1M count="$size_mb" status=none
sync
rm -f -- "$scratch/warm-up"

aria2_version=$(aria2c --version | awk 'NR == 1 {print $3}')
lt_version=$("$SEEDER_PYTHON" -c 'import libtorrent as lt; print(lt.__version__)')
for ((round = 1; round <= rounds; round++)); do
for client in $clients; do
  case $client in
    bitflow)
      if bitflow_has_download; then
        run bitflow "bitflow" "$bitflow" download "$torrent" -o "$scratch/out" --peer "$peer" --listen 127.0.0.1 --port 0 --quiet
      else
        echo "download_bench: bitflow skipped: no 'download' command in $bitflow" \
          "(build it: cmake --build $build_dir -j1 --target bitflow_cli)"
        rows+=("$(printf '%-30s %9s %9s %9s %9s %9s  %s' bitflow - - - - - "skipped (no download command)")")
      fi
      ;;
    aria2)
      run aria2 "aria2c $aria2_version" aria2c --no-conf --dir="$scratch/out" --seed-time=0 \
        --bt-tracker="$STATIC_TRACKER_URL" --enable-dht=false --enable-dht6=false \
        --bt-enable-lpd=false --enable-peer-exchange=false \
        --listen-port="$(_seeder_probe free-port)" --interface=127.0.0.1 --disable-ipv6=true \
        --file-allocation=none --summary-interval=0 --enable-color=false \
        --console-log-level=warn "$torrent"
      ;;
    libtorrent)
      run libtorrent "libtorrent $lt_version (python)" "$SEEDER_PYTHON" "$SEEDERS_DIR/lt_leecher.py" \
        --torrent "$torrent" --save-path "$scratch/out" --peer "$peer" --timeout "$limit" \
        --high-performance --quiet
      ;;
    *)
      echo "download_bench: unknown client '$client' (bitflow, aria2, libtorrent)" >&2
      exit 2
      ;;
  esac
done
done

echo
echo "download of $size_mb MiB ($size bytes, $(($(stat -c %s "$torrent") / 1024)) KiB torrent," \
  "$piece_size-byte pieces) from a libtorrent seeder on 127.0.0.1"
printf '%-30s %9s %9s %9s %9s %9s  %s\n' client seconds MiB/s "CPU s/GiB" "RSS MiB" "anon MiB" result
printf '%s\n' "${rows[@]}"

best_name='' best=0
for client in "${!speed[@]}"; do
  [[ $client == bitflow ]] && continue
  if awk -v a="${speed[$client]}" -v b="$best" 'BEGIN { exit !(a > b) }'; then
    best=${speed[$client]} best_name=$client
  fi
done
if [[ -n ${speed[bitflow]:-} && -n $best_name ]]; then
  echo "best of $rounds rounds: bitflow ${speed[bitflow]} MiB/s;" \
    "$(for c in "${!speed[@]}"; do [[ $c == bitflow ]] || printf "%s %s MiB/s; " "$c" "${speed[$c]}"; done)"
  echo "bitflow: $(awk -v a="${speed[bitflow]}" -v b="$best" 'BEGIN { printf "%.2fx", a / b }')" \
    "the speed of the fastest other client ($best_name, $best MiB/s)"
fi
