#!/usr/bin/env bash
# `bitflow download <URL>` against real servers on 127.0.0.1: nginx (HTTP, ranges,
# per-connection rate limits, 503s) and python3-pyftpdlib (FTP).
#
#   url_download.sh <bitflow-cli> <scratch-dir>
#
# Checks: segmented and single-connection downloads are byte-identical and leave no .part;
# a correct checksum passes and a wrong one leaves nothing under the final name; 404 is
# final with the status in the message; a server that keeps answering 503 is given up on
# after --max-tries; an existing file is never overwritten (a numbered name instead);
# kill -9 in the middle of a segmented download, then the same command, completes with at
# most the file's size + 10 % sent by the server in total; FTP with a password.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../servers/servers.sh"
init "$@"
trap stop_servers EXIT

require_tool nginx
"$SYSTEM_PYTHON" -c 'import pyftpdlib' 2>/dev/null ||
  skip "required tool python3-pyftpdlib is not installed"

www=$SCRATCH/nginx/www
random_file "$www/big.bin" $((24 * 1024 * 1024 + 4321))
random_file "$www/small.txt" 1000
# /slow/ at 1 MB/s per connection: what kill -9 loses is what arrived since the last
# control-file save plus this script's polling latency, and at 4 x 1 MB/s the 10 %
# allowance of the resume step covers over half a second of that on a loaded machine.
NGINX_RATE=1m start_nginx "$SCRATCH/nginx" || die "nginx did not start"
size=$(stat -c %s "$www/big.bin")

# fetch <expected-exit> <log> <args...>: runs the CLI (60 s at most).
fetch() {
  local want=$1 log=$2 status=0
  shift 2
  timeout -k 5 60 "$BITFLOW" download "$@" --quiet >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "bitflow download $* exited $status, expected $want: $(tail -n 3 "$log")"
}

step "segmented download (-x 4) is byte-identical and leaves no .part"
fetch 0 "$SCRATCH/a.log" "$NGINX_URL/big.bin" -o "$SCRATCH/a" -x 4
cmp "$www/big.bin" "$SCRATCH/a/big.bin" || die "segmented download differs"
[[ -z $(find "$SCRATCH/a" -name '*.part*') ]] || die ".part files left behind: $(ls "$SCRATCH/a")"
ranged=$(grep -c '^GET /big.bin HTTP/1.1 206' "$NGINX_LOG" || true)
((ranged >= 4)) || die "expected at least 4 ranged requests (206), saw $ranged"

step "one connection (-x 1) is byte-identical too"
fetch 0 "$SCRATCH/b.log" "$NGINX_URL/big.bin" -o "$SCRATCH/b" -x 1
cmp "$www/big.bin" "$SCRATCH/b/big.bin" || die "single-connection download differs"

step "a correct checksum passes, a wrong one leaves nothing under the final name"
sum=$(sha256sum "$www/small.txt" | cut -d' ' -f1)
fetch 0 "$SCRATCH/c.log" "$NGINX_URL/small.txt" -o "$SCRATCH/c" --checksum "sha256=$sum"
cmp "$www/small.txt" "$SCRATCH/c/small.txt" || die "checksummed download differs"
fetch 1 "$SCRATCH/d.log" "$NGINX_URL/small.txt" -o "$SCRATCH/d" --checksum "sha256=${sum//?/0}"
grep -q "expected 0000" "$SCRATCH/d.log" || die "no checksum message: $(cat "$SCRATCH/d.log")"
[[ ! -e $SCRATCH/d/small.txt ]] || die "a file that failed its checksum got its final name"

step "404 is final and named"
fetch 1 "$SCRATCH/e.log" "$NGINX_URL/no-such-file" -o "$SCRATCH/e"
grep -q "404" "$SCRATCH/e.log" || die "404 not in the message: $(cat "$SCRATCH/e.log")"

step "503 again and again: retried, then given up"
before=$(grep -c '/fail503' "$NGINX_LOG" || true)
fetch 1 "$SCRATCH/f.log" "$NGINX_URL/fail503" -o "$SCRATCH/f" --max-tries 3
after=$(grep -c '/fail503' "$NGINX_LOG" || true)
((after - before == 3)) || die "expected 3 tries of /fail503, saw $((after - before))"
grep -q "503" "$SCRATCH/f.log" && grep -q "gave up" "$SCRATCH/f.log" ||
  die "503 give-up not explained: $(cat "$SCRATCH/f.log")"

step "an existing file is not overwritten"
mkdir -p "$SCRATCH/g"
echo "mine" >"$SCRATCH/g/small.txt"
fetch 0 "$SCRATCH/g.log" "$NGINX_URL/small.txt" -o "$SCRATCH/g"
[[ $(cat "$SCRATCH/g/small.txt") == mine ]] || die "the user's file was overwritten"
numbered=$(find "$SCRATCH/g" -type f ! -name small.txt)
[[ -n $numbered ]] && cmp "$www/small.txt" "$numbered" || die "no numbered copy next to it"
fetch 0 "$SCRATCH/g2.log" "$NGINX_URL/small.txt" -o "$SCRATCH/g" --overwrite
cmp "$www/small.txt" "$SCRATCH/g/small.txt" || die "--overwrite did not replace the file"

step "kill -9 mid-download, then the same command: completes, refetching little"
sent_before=$(nginx_bytes_sent /slow/big.bin)
"$BITFLOW" download "$NGINX_URL/slow/big.bin" -o "$SCRATCH/h" -x 4 --quiet \
  >"$SCRATCH/h1.log" 2>&1 </dev/null &
pid=$!
wait_until_quarter_done "$SCRATCH/h/big.bin.part.bitflow" "$size" "$pid" "$SCRATCH/h1.log"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[[ -f $SCRATCH/h/big.bin.part ]] || die "no .part file after kill -9"
fetch 0 "$SCRATCH/h2.log" "$NGINX_URL/slow/big.bin" -o "$SCRATCH/h" -x 4
cmp "$www/big.bin" "$SCRATCH/h/big.bin" || die "resumed download differs"
sent=$(($(nginx_bytes_sent /slow/big.bin) - sent_before))
echo "   server sent $sent bytes for a $size-byte file"
((sent * 10 <= size * 11)) || die "the server sent $sent bytes for $size: more than 10 % refetched"

step "the library example (examples/fetch_url.cpp) downloads the same file"
example=$(dirname "$BITFLOW")/fetch_url
[[ -x $example ]] || die "examples/fetch_url is not built next to the CLI ($example)"
timeout -k 5 60 "$example" "$NGINX_URL/big.bin" "$SCRATCH/k" >"$SCRATCH/k.out" 2>"$SCRATCH/k.log" ||
  die "fetch_url failed: $(tail -n 3 "$SCRATCH/k.log")"
[[ $(cat "$SCRATCH/k.out") == "$SCRATCH/k/big.bin" ]] || die "fetch_url printed $(cat "$SCRATCH/k.out")"
cmp "$www/big.bin" "$SCRATCH/k/big.bin" || die "fetch_url's download differs"

step "FTP with a password"
mkdir -p "$SCRATCH/ftproot"
cp "$www/big.bin" "$SCRATCH/ftproot/"
start_ftp "$SCRATCH/ftproot" alice s3cret || die "pyftpdlib did not start"
fetch 0 "$SCRATCH/i.log" "$FTP_URL/big.bin" -o "$SCRATCH/i" -x 2
cmp "$www/big.bin" "$SCRATCH/i/big.bin" || die "FTP download differs"
bad=${FTP_URL/s3cret/wrong}
fetch 1 "$SCRATCH/j.log" "$bad/big.bin" -o "$SCRATCH/j"
! grep -q "wrong" "$SCRATCH/j.log" || die "the password appears in the message: $(cat "$SCRATCH/j.log")"

echo "OK: URL downloads from nginx and pyftpdlib"
