#!/usr/bin/env bash
# Checking speed: `bitflow check` on data in the page cache, beside python3-libtorrent's
# check of the same data and sha1sum (one core's SHA-1, for scale).
#
#   bench/check_bench.sh [build-dir (default: build)] [size-MiB (default: 1024)]
#
# Build first:  cmake --build build -j1 --target bitflow_cli
#
# It writes SIZE MiB of random data and a torrent of it (bitflow create, 1 MiB pieces;
# BENCH_PIECE_SIZE to change) under BENCH_TMPDIR (default: TMPDIR or /tmp), reads the
# data once so that it is in the page cache, then times, best of BENCH_REPS (default 5):
#   (a) bitflow check T DATA --quiet --json (its own "seconds": the check, not start-up)
#   (b) libtorrent 2.0 (python3-libtorrent) adding the torrent over the data, from the add
#       to the end of its check, hashing_threads = the number of cores; each run on a
#       fresh session
#   (c) sha1sum DATA
# MB/s are 10^6 bytes per second; the ratio is bitflow over libtorrent (above 1: bitflow
# is faster). Everything is deleted on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
size_mib=${2:-1024}
bitflow=$build_dir/examples/bitflow
piece_size=${BENCH_PIECE_SIZE:-1M}
reps=${BENCH_REPS:-5}
if [[ ! -x $bitflow ]]; then
  echo "$bitflow not found: cmake --build $build_dir -j1 --target bitflow_cli" >&2
  exit 1
fi

scratch=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/bitflow-check-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
data=$scratch/data.bin
torrent=$scratch/data.torrent
head -c $((size_mib << 20)) /dev/urandom >"$data"
"$bitflow" create "$data" -o "$torrent" --piece-size "$piece_size" --quiet
cat "$data" >/dev/null
bytes=$(stat -c %s "$data")
echo "data: $size_mib MiB, $piece_size pieces, $(nproc) cores, best of $reps"

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

best=
for ((i = 0; i < reps; ++i)); do
  s=$("$bitflow" check "$torrent" "$data" --quiet --json |
    sed -n 's/.*"seconds":\([0-9.eE+-]*\).*/\1/p')
  best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
done
bf=$(mbps "$best")
printf '%-28s %8.3f s  %6s MB/s\n' "bitflow check" "$best" "$bf"

python=/usr/bin/python3
if "$python" -c 'import libtorrent' 2>/dev/null; then
  lt_seconds=$("$python" - "$torrent" "$scratch" "$reps" "$(nproc)" <<'EOF'
import os, shutil, sys, time
import libtorrent as lt

torrent, scratch, reps, cores = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
best = None
for _ in range(reps):
    ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                      "hashing_threads": cores, "alert_mask": 0})
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(torrent)
    atp.save_path = scratch
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    start = time.monotonic()
    h = ses.add_torrent(atp)
    while h.status().state in checking or not h.status().has_metadata:
        time.sleep(0.002)
    seconds = time.monotonic() - start
    if h.status().num_pieces != atp.ti.num_pieces():
        sys.exit("libtorrent did not verify every piece")
    best = seconds if best is None else min(best, seconds)
    ses.remove_torrent(h)
    del ses
print(f"{best:.6f}")
EOF
)
  lt=$(mbps "$lt_seconds")
  printf '%-28s %8.3f s  %6s MB/s\n' "libtorrent ($(nproc) hash threads)" "$lt_seconds" "$lt"
  awk -v a="$bf" -v b="$lt" 'BEGIN { printf "ratio bitflow / libtorrent: %.2f\n", a / b }'
else
  echo "libtorrent: skipped ($python cannot import libtorrent: apt-get install python3-libtorrent)"
fi

best=
for ((i = 0; i < reps; ++i)); do
  start=$(date +%s.%N)
  sha1sum "$data" >/dev/null
  s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
done
printf '%-28s %8.3f s  %6s MB/s\n' "sha1sum (one core)" "$best" "$(mbps "$best")"
