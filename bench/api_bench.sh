#!/usr/bin/env bash
# bitflowd's API under load: GET /downloads with wrk at 100 connections against 1 000
# stored downloads, while one download runs from a throttled nginx.
#
#   bench/api_bench.sh [build-dir (default: build)] [seconds per run (default: 10)]
#
# Build first:  cmake --build build -j1 --target bitflowd
#
# One user (the free tier: one download at a time) queues 1 000 URLs of nginx's /slow/
# location (8 MiB/s per connection), so one runs and 999 wait. Then, in turn:
#   idle      the running download's rate with no API load
#   active    wrk -c100 GET /downloads?filter=active   (one download in the answer)
#   all       wrk -c100 GET /downloads                 (the first page: 100 downloads)
#   all-1000  wrk -c100 GET /downloads?limit=1000      (all 1 000 in one page, ~1 MB)
# For each wrk run: requests/s, p50/p99 latency, and the running download's rate during
# it. Only 127.0.0.1 is used; everything it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
seconds=${2:-10}
bitflowd=$build_dir/src/daemon/bitflowd
for tool in wrk curl jq; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "api_bench: $tool is needed (bash scripts/setup.sh)" >&2
    exit 2
  }
done
[[ -x $bitflowd ]] || {
  echo "api_bench: build bitflowd first ($bitflowd)" >&2
  exit 2
}
# shellcheck source=../tests/servers/servers.sh
source "$repo/tests/servers/servers.sh"
work=$(mktemp -d)
trap 'stop_servers; rm -rf "$work"' EXIT

NGINX_RATE=8m start_nginx "$work/nginx"
truncate -s 1G "$work/nginx/www/big.bin" # sparse: nginx serves the zeros
data=$work/bitflowd
token=$("$bitflowd" user add bench --data-dir "$data" 2>/dev/null)
port=$(_server_probe free-port)
"$bitflowd" --data-dir "$data" --listen "127.0.0.1:$port" --peer-listen 127.0.0.1:0 \
  --disk-reserve 0 >"$work/bitflowd.log" 2>&1 </dev/null &
_SERVER_PIDS+=("$!")
api=http://127.0.0.1:$port
deadline=$((SECONDS + 10))
until curl -sf "$api/healthz" >/dev/null; do
  ((SECONDS < deadline)) || { echo "bitflowd did not start" >&2; exit 1; }
  sleep 0.1 # poll interval of a deadline-bounded wait
done
auth=(-H "Authorization: Bearer $token")

echo "queueing 1000 downloads…"
for i in $(seq 1000); do
  curl -s -o /dev/null "${auth[@]}" -d "{\"url\": \"$NGINX_URL/slow/big.bin?n=$i\"}" "$api/downloads"
done
deadline=$((SECONDS + 30))
until [[ $(curl -s "${auth[@]}" "$api/downloads?filter=active" | jq '.downloads | length') == 1 ]]; do
  ((SECONDS < deadline)) || { echo "no download started" >&2; exit 1; }
  sleep 0.1 # poll interval of a deadline-bounded wait
done
running=$(curl -s "${auth[@]}" "$api/downloads?filter=active" | jq -r '.downloads[0].id')
done_bytes() { curl -s "${auth[@]}" "$api/downloads/$running" | jq .bytes_done; }

# rate_over OUT CMD...: runs CMD (its output into OUT), prints the running download's
# MiB/s meanwhile.
rate_over() {
  local out=$1 before after start end
  shift
  before=$(done_bytes)
  start=$(date +%s.%N)
  "$@" >"$out" 2>&1
  end=$(date +%s.%N)
  after=$(done_bytes)
  awk -v b="$before" -v a="$after" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (a - b) / (e - s) / 1048576 }'
}

printf '%-8s %10s %10s %10s %12s\n' run "req/s" p50 p99 "dl MiB/s"
idle_rate=$(rate_over /dev/null sleep "$seconds")
printf '%-8s %10s %10s %10s %12s\n' idle - - - "$idle_rate"
for run in active all all-1000; do
  case $run in
    active) path="/downloads?filter=active" ;;
    all) path=/downloads ;;
    all-1000) path="/downloads?limit=1000" ;;
  esac
  rate=$(rate_over "$work/wrk.$run" wrk -t2 -c100 -d"${seconds}s" --latency \
    -H "Authorization: Bearer $token" "$api$path")
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.$run")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.$run")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.$run")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/wrk.$run")
  printf '%-8s %10s %10s %10s %12s %s\n' "$run" "$rps" "$p50" "$p99" "$rate" "$errors"
done
