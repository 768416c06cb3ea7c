#!/usr/bin/env bash
# HTTP download throughput: bitflow against curl and aria2c, from the same local nginx.
#
#   bench/http_bench.sh [build-dir (default: build)] [size-MB (default: 1024)]
#
# Build first:  cmake --build build -j1 --target bitflow_cli
#
# It makes SIZE MiB of random data, serves it with nginx on 127.0.0.1
# (tests/servers/servers.sh), and downloads it in turn with
#   bitflow download URL -x 4      curl -o FILE URL      aria2c -x4 -s4 URL
# twice: unthrottled, and from /slow/ where nginx limits every connection to 20 MB/s
# (limit_rate 20m: a remote server's per-connection cap, where connections count). Each
# client's row: wall seconds, MiB/s, CPU seconds per GiB, peak RSS and peak anonymous
# memory (bench/measure.py). Every download is compared with the data and deleted. The
# clients run BENCH_ROUNDS (default 2) times in turn and each one's best round counts.
# Only 127.0.0.1 is used; everything it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
size_mb=${2:-1024}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: $0 [build-dir] [size-MB]" >&2
  exit 2
}
bitflow=$build_dir/examples/bitflow
rounds=${BENCH_ROUNDS:-2}
for tool in curl aria2c cmp; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "http_bench: $tool is needed (bash scripts/setup.sh)" >&2
    exit 1
  }
done
[[ -x $bitflow ]] || {
  echo "http_bench: no $bitflow (cmake --build $build_dir --target bitflow_cli)" >&2
  exit 1
}

export NGINX_RATE=20m
# shellcheck source=../tests/servers/servers.sh
source "$repo/tests/servers/servers.sh"
scratch=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/bitflow-httpbench.XXXXXX")
cleanup() {
  stop_servers
  rm -rf -- "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "http_bench: $size_mb MiB, $(nproc) CPUs, data in $scratch"
head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$scratch/www-data.bin"
mkdir -p "$scratch/nginx/www"
mv "$scratch/www-data.bin" "$scratch/nginx/www/data.bin"
data=$scratch/nginx/www/data.bin
size=$(stat -c %s "$data")
start_nginx "$scratch/nginx"
cat "$data" >/dev/null # the source in the page cache for every client alike
# First-touch memory on a VM is much slower to write (see bench/download_bench.sh): write
# and delete as much as one download once, so that no client pays for it alone.
dd if=/dev/zero of="$scratch/warm-up" bs=1M count="$size_mb" status=none
sync
rm -f -- "$scratch/warm-up"

declare -A best=()
rows=()

# run <key> <label> <command...>: one measured download into $scratch/out/data.bin.
run() {
  local key=$1 label=$2 status=0 seconds cpu rss anon mibs result
  shift 2
  rm -rf -- "$scratch/out"
  mkdir -p "$scratch/out"
  sync
  echo "http_bench: $label ..."
  timeout -k 10 1800 "$repo/bench/measure.py" "$scratch/cost.json" -- "$@" \
    >"$scratch/run.log" 2>&1 </dev/null || status=$?
  read -r seconds cpu rss anon < <(/usr/bin/python3 - "$scratch/cost.json" "$size" <<'PY' 2>/dev/null || echo "- - - -"
import json, sys
c = json.load(open(sys.argv[1]))
gib = int(sys.argv[2]) / 2**30
print("%.3f %.2f %.1f %.1f" % (c["wall_s"], c["cpu_s"] / gib, c["peak_rss_mib"], c["peak_anon_mib"]))
PY
  )
  if [[ $status -ne 0 ]]; then
    result="FAILED (exit $status): $(tail -n 1 "$scratch/run.log")"
    mibs=-
  elif ! cmp -s "$data" "$scratch/out/data.bin"; then
    result="WRONG DATA"
    mibs=-
  else
    result=ok
    mibs=$(awk -v s="$size" -v t="$seconds" 'BEGIN { printf "%.1f", s / 1048576 / t }')
    if [[ -z ${best[$key]:-} ]] || awk -v a="$mibs" -v b="${best[$key]}" 'BEGIN { exit !(a > b) }'; then
      best[$key]=$mibs
    fi
  fi
  rows+=("$(printf '%-34s %9s %9s %9s %9s %9s  %s' "$label" "$seconds" "$mibs" "$cpu" "$rss" "$anon" "$result")")
  rm -rf -- "$scratch/out"
}

for ((round = 1; round <= rounds; round++)); do
  for path in / /slow/; do
    url=$NGINX_URL${path}data.bin
    tag=${path//\//}
    tag=${tag:-direct}
    run "bitflow-$tag" "bitflow -x 4 ($tag)" "$bitflow" download "$url" -o "$scratch/out" -x 4 --quiet
    run "curl-$tag" "curl ($tag)" curl -sS -o "$scratch/out/data.bin" "$url"
    run "aria2-$tag" "aria2c -x4 -s4 ($tag)" aria2c --no-conf -x4 -s4 -d "$scratch/out" \
      --file-allocation=none --summary-interval=0 --console-log-level=warn --allow-overwrite=true "$url"
  done
done

echo
echo "download of $size_mb MiB from nginx on 127.0.0.1 (slow: limit_rate $NGINX_RATE per connection)"
printf '%-34s %9s %9s %9s %9s %9s  %s\n' client seconds MiB/s "CPU s/GiB" "RSS MiB" "anon MiB" result
printf '%s\n' "${rows[@]}"
ratio() { awk -v a="${best[$1]:-0}" -v b="${best[$2]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
echo "best of $rounds rounds:"
echo "  direct: bitflow ${best[bitflow-direct]:--} MiB/s = $(ratio bitflow-direct curl-direct) curl, $(ratio bitflow-direct aria2-direct) aria2c"
echo "  slow:   bitflow ${best[bitflow-slow]:--} MiB/s = $(ratio bitflow-slow curl-slow) curl, $(ratio bitflow-slow aria2-slow) aria2c"
