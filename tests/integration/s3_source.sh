#!/usr/bin/env bash
# s3_source.sh <bitflow-cli> <scratch>: `bitflow download s3://bucket/key` and `bitflow
# info s3://bucket/key` against a real moto_server in auth mode (every request's SigV4
# header checked) on 127.0.0.1, with the AWS settings from the environment as the AWS CLI
# reads them (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).
#
# Checks: info gives the name, size and content type; a ~20 MiB object (uploaded by the
# AWS CLI, multipart) downloads with -x 4 byte-identical, also through a proxy that
# answers the first GET with 503 SlowDown (the retry is signed anew); kill -9 halfway
# through a download throttled by that proxy to 1 MB/s per connection, then the same
# command, completes with at most the size + 10 % forwarded in all; a missing key fails at
# once (exit 1, "HTTP 404"); a wrong secret fails after one request ("HTTP 403").
# Skips when moto (only in this machine image's pyenv Python) is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"

trap stop_servers EXIT
start_moto_for_test "$SCRATCH/moto"
require_aws_cli

B=$MOTO_BUCKET
KEY="dir/big file.bin"

# fetch <expected-exit> <log> <args...>: `bitflow download` (60 s at most).
fetch() {
  local want=$1 log=$2 status=0
  shift 2
  timeout -k 5 60 "$BITFLOW" download "$@" --quiet >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "bitflow download $* exited $status, expected $want: $(tail -n 3 "$log")"
}
# forwarded <faults.log> <path>: the body bytes the proxy sent for GETs of that path.
forwarded() {
  awk -v p="$2" '$1 == "sent" && $2 == "GET" && $3 == p { n += $5 } END { print n + 0 }' "$1"
}

random_file "$SCRATCH/big.bin" $((20 * 1024 * 1024 + 4321))
size=$(stat -c %s "$SCRATCH/big.bin")
"$AWS_CLI" s3 cp --quiet --content-type video/mp4 "$SCRATCH/big.bin" "s3://$B/$KEY" ||
  die "the AWS CLI could not upload the object"

step "info s3://: the name, size and content type from a signed HEAD"
info=$("$BITFLOW" info "s3://$B/$KEY" --json) || die "bitflow info failed"
"$SYSTEM_PYTHON" - "$info" "$size" <<'PY' || die "bitflow info said: $info"
import json, sys
o = json.loads(sys.argv[1])
assert o == {"type": "s3", "name": "big file.bin", "size": int(sys.argv[2]),
             "content_type": "video/mp4"}, o
PY

step "download s3:// with -x 4 is byte-identical and leaves no .part"
fetch 0 "$SCRATCH/a.log" "s3://$B/$KEY" -o "$SCRATCH/a" -x 4
cmp "$SCRATCH/big.bin" "$SCRATCH/a/big file.bin" || die "the download differs"
[[ -z $(find "$SCRATCH/a" -name '*.part*') ]] || die ".part files left behind: $(ls "$SCRATCH/a")"

step "through a proxy that answers the first GET with 503 SlowDown: retried, signed anew"
start_s3_fault_proxy "$SCRATCH/retry" "$MOTO_URL" GET::1:slowdown || die "the proxy did not start"
AWS_ENDPOINT_URL=$FAULT_PROXY_URL fetch 0 "$SCRATCH/b.log" "s3://$B/$KEY" -o "$SCRATCH/b" -x 4
cmp "$SCRATCH/big.bin" "$SCRATCH/b/big file.bin" || die "the download through faults differs"
[[ $(grep -c '^fault GET' "$SCRATCH/retry/faults.log") == 1 ]] ||
  die "the proxy did not serve its fault: $(cat "$SCRATCH/retry/faults.log")"
# Every ranged GET that reached moto was accepted: nothing but 200 (HEAD) and 206.
if grep '^sent' "$SCRATCH/retry/faults.log" | grep -vE ' (200|206) [0-9]+$'; then
  die "moto refused a request (a signature?): $(cat "$SCRATCH/retry/faults.log")"
fi

step "kill -9 halfway through a throttled download, then the same command: resumes"
start_s3_fault_proxy "$SCRATCH/slow" "$MOTO_URL" --rate=1000000 || die "the proxy did not start"
SLOW_URL=$FAULT_PROXY_URL
path="/$B/dir/big%20file.bin"
AWS_ENDPOINT_URL=$SLOW_URL "$BITFLOW" download "s3://$B/$KEY" -o "$SCRATCH/c" -x 4 --quiet \
  >"$SCRATCH/c1.log" 2>&1 </dev/null &
pid=$!
wait_until_quarter_done "$SCRATCH/c/big file.bin.part.bitflow" "$size" "$pid" "$SCRATCH/c1.log"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[[ -f "$SCRATCH/c/big file.bin.part" ]] || die "no .part file after kill -9"
[[ ! -f "$SCRATCH/c/big file.bin" ]] || die "the file was complete before the kill: too fast to test"
AWS_ENDPOINT_URL=$SLOW_URL fetch 0 "$SCRATCH/c2.log" "s3://$B/$KEY" -o "$SCRATCH/c" -x 4
cmp "$SCRATCH/big.bin" "$SCRATCH/c/big file.bin" || die "the resumed download differs"
sent=$(forwarded "$SCRATCH/slow/faults.log" "$path")
echo "   the proxy forwarded $sent bytes for a $size-byte object over both runs"
((sent * 10 <= size * 11)) || die "$sent bytes forwarded for $size: more than 10 % refetched"

step "a missing key fails at once with exit 1 and HTTP 404"
fetch 1 "$SCRATCH/d.log" "s3://$B/no such key" -o "$SCRATCH/d"
grep -q "s3://$B/no such key: HTTP 404" "$SCRATCH/d.log" || die "unexpected error: $(cat "$SCRATCH/d.log")"
[[ -z $(ls -A "$SCRATCH/d" 2>/dev/null) ]] || die "files were left for a missing key: $(ls "$SCRATCH/d")"

step "a wrong secret fails after one request with HTTP 403"
start_s3_fault_proxy "$SCRATCH/denied" "$MOTO_URL" || die "the proxy did not start"
AWS_ENDPOINT_URL=$FAULT_PROXY_URL AWS_SECRET_ACCESS_KEY=not-the-secret \
  fetch 1 "$SCRATCH/e.log" "s3://$B/$KEY" -o "$SCRATCH/e" -x 4
grep -q "HTTP 403" "$SCRATCH/e.log" || die "unexpected error: $(cat "$SCRATCH/e.log")"
requests=$(grep -c '^sent' "$SCRATCH/denied/faults.log" || true)
[[ $requests == 1 ]] || die "$requests requests for a wrong secret: $(cat "$SCRATCH/denied/faults.log")"

step "s3://bucket alone is refused, saying what is missing"
fetch 1 "$SCRATCH/f.log" "s3://$B" -o "$SCRATCH/f"
grep -q "names a bucket, not an object" "$SCRATCH/f.log" || die "unexpected error: $(cat "$SCRATCH/f.log")"

echo "OK: s3:// sources download from moto_server"
