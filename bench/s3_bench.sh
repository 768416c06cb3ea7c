#!/usr/bin/env bash
# Uploads to S3: bitflow against the AWS CLI (`aws s3 cp`), run side by side.
#
#   bench/s3_bench.sh [build-dir (default: build)] [size-MiB (default: 1024)]
#
# Build first:  cmake --build build -j1 --target bitflow_cli
#
# It makes SIZE MiB of random data, serves it with nginx on 127.0.0.1 and measures, each
# case BENCH_ROUNDS (default 2) times in turn, each client's best round counting:
#   (a) into moto_server in auth mode (every signature checked; a fresh moto for every
#       run, as moto keeps objects in memory): `bitflow download URL --to s3://B/a/` from
#       the unthrottled nginx (the download takes under a second: this is the upload)
#       against `aws s3 cp FILE s3://B/...` of the same file. moto is the ceiling here.
#   (b) into bench/s3_sink.py, an S3-compatible server that throws the bytes away: the
#       uploaders' own cost (CPU seconds per GiB), with the same two commands.
#   (c) streaming: `bitflow download SLOW-URL -x 4 --to s3://B/c/` (the upload overlaps
#       the download) against the download alone (`bitflow download SLOW-URL -x 4 -o DIR`)
#       and against download-then-upload (that, then `aws s3 cp`). SLOW-URL is a second
#       nginx whose limit_rate per connection makes the 4-connection download about as
#       fast as (a)'s bitflow upload, so that both sides matter (BENCH_SLOW_RATE, in
#       KiB/s per connection, sets it). The figure is streaming over the slower of
#       download alone and (a)'s bitflow upload alone: 1.0 is perfect overlap, the sum of
#       the two is no overlap; the target is at most 1.15.
# Every moto object is checked with HeadObject (size, multipart ETag) and every sink
# object's size too. The AWS CLI is tests/servers/aws_cli.sh (Debian's /usr/bin/aws
# first). Only 127.0.0.1 is used; everything it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
size_mb=${2:-1024}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: $0 [build-dir] [size-MiB]" >&2
  exit 2
}
bitflow=$build_dir/examples/bitflow
rounds=${BENCH_ROUNDS:-2}
[[ -x $bitflow ]] || {
  echo "s3_bench: no $bitflow (cmake --build $build_dir -j1 --target bitflow_cli)" >&2
  exit 1
}

# shellcheck source=../tests/servers/servers.sh
source "$repo/tests/servers/servers.sh"
"$AWS_CLI" --program >/dev/null || {
  echo "s3_bench: no AWS CLI (apt-get install awscli)" >&2
  exit 1
}
[[ -x $MOTO_SERVER ]] || {
  echo "s3_bench: no moto_server ($MOTO_SERVER; it comes with this machine image's pyenv Python)" >&2
  exit 1
}
scratch=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/bitflow-s3bench.XXXXXX")
cleanup() {
  stop_servers
  rm -rf -- "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "s3_bench: $size_mb MiB, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), data in $scratch"
echo "s3_bench: $("$("$AWS_CLI" --program)" --version 2>&1 | cut -d' ' -f1), moto $("$MOTO_PYTHON" -c 'import moto; print(moto.__version__)')"
mkdir -p "$scratch/nginx/www"
head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$scratch/nginx/www/big.bin"
data=$scratch/nginx/www/big.bin
size=$(stat -c %s "$data")
start_nginx "$scratch/nginx"
fast_url=$NGINX_URL/big.bin
cat "$data" >/dev/null # in the page cache for every client alike

# The AWS settings of the server under test and nothing of the caller's.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$scratch/no-config AWS_SHARED_CREDENTIALS_FILE=$scratch/no-credentials
export AWS_REGION=us-east-1

moto_pid=''
# fresh_moto: stops the previous moto (by PID) and starts an empty one, with its keys.
fresh_moto() {
  if [[ -n $moto_pid ]]; then
    kill "$moto_pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$moto_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    kill -9 "$moto_pid" 2>/dev/null || true
  fi
  rm -rf -- "$scratch/moto"
  start_moto "$scratch/moto" || { echo "s3_bench: moto did not start" >&2; exit 1; }
  moto_pid=${_SERVER_PIDS[-1]}
  export AWS_ENDPOINT_URL=$MOTO_URL AWS_ACCESS_KEY_ID=$MOTO_KEY_ID AWS_SECRET_ACCESS_KEY=$MOTO_SECRET
  bucket=$MOTO_BUCKET
}

start_sink() {
  "$SERVERS_PYTHON" "$repo/bench/s3_sink.py" "$scratch/sink.port" 2>"$scratch/sink.log" </dev/null &
  _SERVER_PIDS+=("$!")
  local deadline=$((SECONDS + 10))
  until [[ -s $scratch/sink.port ]]; do
    ((SECONDS < deadline)) || { echo "s3_bench: s3_sink.py did not start" >&2; exit 1; }
    sleep 0.05 # poll interval of a deadline-bounded wait
  done
  sink_url=http://127.0.0.1:$(cat "$scratch/sink.port")
}

declare -A best=() best_cpu=()
rows=()

# run KEY LABEL CHECK COMMAND...: one measured run; CHECK is a function that verifies
# the result (its output is the row's note). Keeps each key's best wall time.
run() {
  local key=$1 label=$2 check=$3 status=0 seconds cpu rss anon mibs result
  shift 3
  rm -rf -- "$scratch/out"
  mkdir -p "$scratch/out"
  sync
  echo "s3_bench: $label ..."
  timeout -k 10 3600 "$repo/bench/measure.py" "$scratch/cost.json" -- "$@" \
    >"$scratch/run.log" 2>&1 </dev/null || status=$?
  read -r seconds cpu rss anon < <(/usr/bin/python3 - "$scratch/cost.json" "$size" <<'PY' 2>/dev/null || echo "- - - -"
import json, sys
c = json.load(open(sys.argv[1]))
gib = int(sys.argv[2]) / 2**30
print("%.3f %.2f %.1f %.1f" % (c["wall_s"], c["cpu_s"] / gib, c["peak_rss_mib"], c["peak_anon_mib"]))
PY
  )
  if [[ $status -ne 0 ]]; then
    result="FAILED (exit $status): $(grep -v '^[[:space:]]*$' "$scratch/run.log" | tail -n 1)"
    tail -n 5 "$scratch/run.log" | sed 's/^/s3_bench:   | /' >&2
    mibs=-
  elif ! result=$("$check" 2>&1); then
    result="WRONG: $result"
    mibs=-
  else
    mibs=$(awk -v s="$size" -v t="$seconds" 'BEGIN { printf "%.1f", s / 1048576 / t }')
    if [[ -z ${best[$key]:-} ]] || awk -v a="$seconds" -v b="${best[$key]}" 'BEGIN { exit !(a < b) }'; then
      best[$key]=$seconds
      best_cpu[$key]=$cpu
    fi
  fi
  rows+=("$(printf '%-44s %9s %9s %9s %9s %9s  %s' "$label" "$seconds" "$mibs" "$cpu" "$rss" "$anon" "$result")")
  rm -rf -- "$scratch/out"
}

# Checks: the object is there with the data's size; in moto, multipart.
moto_object() { # KEY
  local got
  got=$("$AWS_CLI" s3api head-object --bucket "$bucket" --key "$1" --query '[ContentLength,ETag]' --output text) ||
    return 1
  [[ $got == "$size"$'\t'*-[0-9]*'"' ]] || { echo "head-object says: $got"; return 1; }
  echo "ok, ETag ${got#*$'\t'}"
}
sink_object() { # KEY
  local got
  got=$(curl -sS -I "$sink_url/$bucket/$1" | tr -d '\r' | sed -n 's/^Content-Length: //Ip')
  [[ $got == "$size" ]] || { echo "the sink got $got bytes"; return 1; }
  echo ok
}
local_file() {
  cmp -s "$data" "$scratch/out/big.bin" || { echo "the download differs"; return 1; }
  echo ok
}
check_a_bitflow() { moto_object a/big.bin; }
check_a_aws() { moto_object aws/big.bin; }
check_b_bitflow() { sink_object b/big.bin; }
check_b_aws() { sink_object aws/big.bin; }
check_c_stream() { moto_object c/big.bin; }
check_c_seq() { moto_object seq/big.bin; }

# (a) into moto
for ((round = 1; round <= rounds; round++)); do
  fresh_moto
  run a-bitflow "(a) moto: bitflow download --to s3://" check_a_bitflow \
    "$bitflow" download "$fast_url" -o "$scratch/out" --to "s3://$bucket/a/" --quiet
  fresh_moto
  run a-aws "(a) moto: aws s3 cp" check_a_aws \
    "$AWS_CLI" s3 cp --quiet "$data" "s3://$bucket/aws/big.bin"
done

# (b) into the do-nothing sink
start_sink
export AWS_ENDPOINT_URL=$sink_url AWS_ACCESS_KEY_ID=sink AWS_SECRET_ACCESS_KEY=sink
bucket=sink
for ((round = 1; round <= rounds; round++)); do
  run b-bitflow "(b) sink: bitflow download --to s3://" check_b_bitflow \
    "$bitflow" download "$fast_url" -o "$scratch/out" --to "s3://$bucket/b/" --quiet
  run b-aws "(b) sink: aws s3 cp" check_b_aws \
    "$AWS_CLI" s3 cp --quiet "$data" "s3://$bucket/aws/big.bin"
done

# (c) streaming against a throttled download: 4 connections at about a quarter of (a)'s
# bitflow upload rate each.
up_mibs=$(awk -v s="$size" -v t="${best[a-bitflow]:-0}" 'BEGIN { if (t > 0) printf "%.1f", s / 1048576 / t; else print 0 }')
rate_k=${BENCH_SLOW_RATE:-$(awk -v m="$up_mibs" 'BEGIN { r = int(m * 1024 / 4); print (r < 256 ? 256 : r) }')}
mkdir -p "$scratch/nginx-slow/www"
ln "$data" "$scratch/nginx-slow/www/big.bin"
NGINX_RATE=${rate_k}k start_nginx "$scratch/nginx-slow"
slow_url=$NGINX_URL/slow/big.bin
echo "s3_bench: (c) download throttled to 4 x ${rate_k} KiB/s (bitflow's upload alone: $up_mibs MiB/s)"
for ((round = 1; round <= rounds; round++)); do
  run c-download "(c) download alone (-x 4, throttled)" local_file \
    "$bitflow" download "$slow_url" -o "$scratch/out" -x 4 --quiet
  fresh_moto
  run c-stream "(c) streaming: download -x 4 --to s3://" check_c_stream \
    "$bitflow" download "$slow_url" -o "$scratch/out" -x 4 --to "s3://$bucket/c/" --quiet
  fresh_moto
  # shellcheck disable=SC2016 # the inner shell expands its own arguments
  run c-seq "(c) download, then aws s3 cp" check_c_seq \
    bash -c '"$1" download "$2" -o "$3" -x 4 --quiet && "$4" s3 cp --quiet "$3/big.bin" "s3://$5/seq/big.bin"' \
    _ "$bitflow" "$slow_url" "$scratch/out" "$AWS_CLI" "$bucket"
done

echo
echo "upload of $size_mb MiB on 127.0.0.1 (moto $("$MOTO_PYTHON" -c 'import moto; print(moto.__version__)') in auth mode; sink = bench/s3_sink.py)"
printf '%-44s %9s %9s %9s %9s %9s  %s\n' case seconds MiB/s "CPU s/GiB" "RSS MiB" "anon MiB" result
printf '%s\n' "${rows[@]}"
mibs_of() { awk -v s="$size" -v t="${best[$1]:-0}" 'BEGIN { if (t > 0) printf "%.1f", s / 1048576 / t; else print "-" }'; }
# ratio A B: B's best time over A's (above 1: A is faster).
ratio() { awk -v a="${best[$1]:-0}" -v b="${best[$2]:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "-" }'; }
echo "best of $rounds rounds:"
echo "  (a) moto: bitflow $(mibs_of a-bitflow) MiB/s, aws s3 cp $(mibs_of a-aws) MiB/s: bitflow = $(ratio a-bitflow a-aws) aws s3 cp"
echo "  (b) sink: bitflow $(mibs_of b-bitflow) MiB/s at ${best_cpu[b-bitflow]:--} CPU s/GiB (download from nginx included)," \
  "aws s3 cp $(mibs_of b-aws) MiB/s at ${best_cpu[b-aws]:--} CPU s/GiB: bitflow = $(ratio b-bitflow b-aws) aws s3 cp"
slower=$(awk -v d="${best[c-download]:-0}" -v u="${best[a-bitflow]:-0}" 'BEGIN { print (d > u ? d : u) }')
over() { awk -v a="${best[$1]:-0}" -v s="$slower" 'BEGIN { if (a > 0 && s > 0) printf "%.2f", a / s; else print "-" }'; }
echo "  (c) download alone ${best[c-download]:--} s, upload alone (a) ${best[a-bitflow]:--} s;" \
  "streaming ${best[c-stream]:--} s = $(over c-stream)x the slower (target <= 1.15);" \
  "download then aws s3 cp ${best[c-seq]:--} s = $(over c-seq)x; streaming = $(ratio c-stream c-seq) faster than that"
