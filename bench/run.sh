#!/usr/bin/env bash
# Compares bitflow's .torrent reading speed with libtorrent-rasterbar's on the same file.
#
#   bench/run.sh [build-dir (default: build)] [bench_bencode options: --files N --reps N]
#
# Build first:  cmake --build build -j1 --target bench_bencode
#
# bench_bencode generates a large multi-file torrent, writes it to a temporary file and
# prints its own figures; then /usr/bin/python3 with python3-libtorrent (Debian package)
# times, inside one Python process, best of the same number of repetitions:
#   * lt.bdecode(bytes): libtorrent's decoder plus building Python dicts/lists from it,
#     so it is an upper bound on libtorrent's pure decode time;
#   * lt.torrent_info(bytes): libtorrent's full .torrent parse, all in C++.
# Ratios are bitflow MB/s over libtorrent MB/s (above 1: bitflow is faster).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
[[ $# -gt 0 ]] && shift
bench=$build_dir/bench/bench_bencode
if [[ ! -x $bench ]]; then
  echo "$bench not found: cmake --build $build_dir -j1 --target bench_bencode" >&2
  exit 1
fi

reps=7
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ ${args[i]} == --reps && $((i + 1)) -lt ${#args[@]} ]] && reps=${args[i + 1]}
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/bitflow-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
torrent=$scratch/large.torrent

"$bench" --write "$torrent" "$@" | tee "$scratch/bitflow.txt"
# "bencode decode: 123.4 MB/s ..." and "torrent parse: 56.7 MB/s, 89 files/s ..."
bf_decode=$(awk '/^bencode decode:/ {print $3}' "$scratch/bitflow.txt")
bf_parse=$(awk '/^torrent parse:/ {print $3}' "$scratch/bitflow.txt")

python=/usr/bin/python3
if ! "$python" -c 'import libtorrent' 2>/dev/null; then
  echo "libtorrent: skipped ($python cannot import libtorrent: apt-get install python3-libtorrent)"
  exit 0
fi

"$python" - "$torrent" "$reps" <<'EOF' | tee "$scratch/libtorrent.txt"
import gc, statistics, sys, time
import libtorrent as lt

path, reps = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    data = f.read()
mb = len(data) / 1e6
# The defaults (10 MB buffer, 3M tokens) are for hostile input; lift them like bitflow's.
limits = {"max_buffer_size": 1 << 30, "max_pieces": 1 << 24, "max_decode_tokens": 1 << 28,
          "max_decode_depth": 100}

def timed(fn):
    """Best and median seconds of `reps` calls, with the collector kept out of the way."""
    seconds, result = [], None
    gc.collect()
    gc.disable()
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    gc.enable()
    return min(seconds), statistics.median(seconds), result

best, median, _ = timed(lambda: lt.bdecode(data))
print(f"libtorrent {lt.__version__} bdecode: {mb / best:.1f} MB/s (best of {reps}, "
      f"median {mb / median:.1f} MB/s, {best * 1e3:.2f} ms, includes building Python objects)")
best, median, info = timed(lambda: lt.torrent_info(data, limits))
files = info.num_files()
print(f"libtorrent {lt.__version__} torrent_info: {mb / best:.1f} MB/s, {files / best:.0f} files/s "
      f"(best of {reps}, median {mb / median:.1f} MB/s, {best * 1e3:.2f} ms, {files} files)")
EOF

lt_decode=$(awk '/ bdecode:/ {print $4}' "$scratch/libtorrent.txt")
lt_parse=$(awk '/ torrent_info:/ {print $4}' "$scratch/libtorrent.txt")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
echo "decode: ratio bitflow/libtorrent: $(ratio "$bf_decode" "$lt_decode")"\
     "(bencode::decode vs lt.bdecode)"
echo "parse:  ratio bitflow/libtorrent: $(ratio "$bf_parse" "$lt_parse")"\
     "(TorrentInfo::parse vs lt.torrent_info)"
