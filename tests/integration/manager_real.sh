#!/usr/bin/env bash
# manager_real.sh <bitflow-cli> <scratch> <manager_events>: the download manager with real
# sources and destinations on 127.0.0.1 — a torrent from a bitflow seeder and an HTTP URL
# from nginx into a local folder, a magnet link into moto_server (auth mode), and a kill -9
# of the process running the manager in the middle of a download into moto: run again on
# the same database it finishes the object byte-identical, having fetched at most 10 % of
# the file twice; a kill -9 in the middle of the upload to moto: run again, the parts S3 had
# are not sent again (counted at a proxy). Every event line is checked for the order
# added → started → finished.
# Skips when moto (only in this machine image's pyenv Python) is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
EVENTS=${3:?usage: manager_real.sh <bitflow-cli> <scratch> <manager_events>}
[[ -x $EVENTS ]] || die "manager_events not found: $EVENTS"

trap stop_servers EXIT
start_moto_for_test "$SCRATCH/moto"
require_aws_cli
B=$MOTO_BUCKET
NGINX_RATE=1m start_nginx "$SCRATCH/nginx" || die "nginx did not start"
www=$SCRATCH/nginx/www

data=$SCRATCH/data/album
random_file "$data/big.bin" $((6 * 1024 * 1024 + 123))
random_file "$data/notes.txt" 5000
"$BITFLOW" create "$data" -o "$SCRATCH/album.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$SCRATCH/album.torrent" "$data" "$SCRATCH/seed.log"
random_file "$www/video.bin" $((12 * 1024 * 1024 + 17))

# run_manager <log> <args...>: manager_events until every download is done (120 s at most).
run_manager() {
  local log=$1 status=0
  shift
  timeout -k 5 120 "$EVENTS" "$@" >"$log" 2>"$log.err" </dev/null || status=$?
  ((status == 0)) || die "manager_events $* exited $status: $(tail -n 5 "$log" "$log.err")"
}
# in_order <log> <name>: the download that finished under that name has added, started
# and finished lines, in that order (it may be named after its source before that).
in_order() {
  local id got
  id=$(awk -v n="$2" '$1 == "finished" && $NF == n {print $2}' "$1")
  [[ -n $id ]] || die "$2 did not finish: $(cat "$1")"
  got=$(awk -v id="$id" '$2 == id && ($1 == "added" || $1 == "started" || $1 == "finished") {print $1}' "$1" |
    uniq | tr '\n' ' ')
  [[ $got == "added started finished " ]] || die "events of $2: '$got' in $(cat "$1")"
}
same_object() {
  "$AWS_CLI" s3 cp --quiet "s3://$B/$1" "$SCRATCH/readback" || die "aws s3 cp of '$1' failed"
  cmp "$2" "$SCRATCH/readback" || die "s3://$B/$1 differs from $2"
}
no_orphans() {
  local uploads
  uploads=$("$AWS_CLI" s3api list-multipart-uploads --bucket "$B" --query 'Uploads[].Key' --output text)
  [[ -z $uploads || $uploads == None ]] || die "multipart uploads left behind: $uploads"
}

step "a torrent and an HTTP URL through the manager into a folder"
run_manager "$SCRATCH/local.log" --db "$SCRATCH/local.db" --work "$SCRATCH/work" \
  --to "$SCRATCH/final" --peer "127.0.0.1:$SEED_PORT" --parallel 2 \
  "$SCRATCH/album.torrent" "$NGINX_URL/video.bin"
cmp "$data/big.bin" "$SCRATCH/final/album/big.bin" || die "big.bin differs"
cmp "$data/notes.txt" "$SCRATCH/final/album/notes.txt" || die "notes.txt differs"
cmp "$www/video.bin" "$SCRATCH/final/video.bin" || die "video.bin differs"
in_order "$SCRATCH/local.log" album
in_order "$SCRATCH/local.log" video.bin

step "a magnet link through the manager into moto, passing through uploading"
hash=$("$BITFLOW" info --json "$SCRATCH/album.torrent" | sed -n 's/.*"info_hash":"\([0-9a-f]*\)".*/\1/p')
run_manager "$SCRATCH/magnet.log" --db "$SCRATCH/magnet.db" --work "$SCRATCH/work-m" \
  --to "s3://$B/mgr/" --peer "127.0.0.1:$SEED_PORT" "magnet:?xt=urn:btih:$hash&dn=album"
same_object "mgr/album/big.bin" "$data/big.bin"
same_object "mgr/album/notes.txt" "$data/notes.txt"
in_order "$SCRATCH/magnet.log" album
grep -q "^updated .* uploading " "$SCRATCH/magnet.log" || die "no uploading state: $(cat "$SCRATCH/magnet.log")"
no_orphans

step "kill -9 of the manager mid-download into moto, then the same database again"
# Two connections at 1 MiB/s each: what a kill -9 costs is what arrived since the last
# save of the control file (twice a second), a few percent of the 24 MiB.
random_file "$www/long.bin" $((24 * 1024 * 1024 + 5))
size=$((24 * 1024 * 1024 + 5))
args=(--db "$SCRATCH/killed.db" --work "$SCRATCH/work-k" --to "s3://$B/killed/" --connections 2)
"$EVENTS" "${args[@]}" "$NGINX_URL/slow/long.bin" >"$SCRATCH/kill1.log" 2>&1 </dev/null &
pid=$!
deadline=$((SECONDS + 30))
control=''
until [[ -n $control ]]; do
  kill -0 "$pid" 2>/dev/null || die "the first run ended early: $(cat "$SCRATCH/kill1.log")"
  ((SECONDS < deadline)) || die "no control file appeared within 30 s"
  control=$(compgen -G "$SCRATCH/work-k/*/long.bin.part.bitflow" || true)
  [[ -n $control ]] || sleep 0.1 # poll interval of a deadline-bounded wait
done
wait_until_quarter_done "$control" "$size" "$pid" "$SCRATCH/kill1.log"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
run_manager "$SCRATCH/kill2.log" "${args[@]}"
grep -q "^started " "$SCRATCH/kill2.log" || die "the second run did not pick the download up"
grep -q "^finished " "$SCRATCH/kill2.log" || die "the second run did not finish it"
same_object "killed/long.bin" "$www/long.bin"
sent=$(nginx_bytes_sent /slow/)
echo "   nginx sent $sent bytes for a $size-byte file over both runs"
((sent * 10 <= size * 11)) || die "$sent bytes fetched for $size: more than 10 % twice"
no_orphans
step "kill -9 of the manager mid-upload into moto, then the same database again"
# Uploads through a proxy that reads each part at 1 MiB/s, one 8 MiB part at a time (three
# parts: 8, 8 and 4 MiB): the kill comes once S3 has a part, while the next one is on its way.
random_file "$www/upload.bin" $((20 * 1024 * 1024 + 9))
start_s3_fault_proxy "$SCRATCH/proxy" "$MOTO_URL" --upload-rate=$((1024 * 1024)) ||
  die "the throttling proxy did not start"
args=(--db "$SCRATCH/upload.db" --work "$SCRATCH/work-u" --to "s3://$B/up/" --parallel-parts 1)
AWS_ENDPOINT_URL=$FAULT_PROXY_URL "$EVENTS" "${args[@]}" "$NGINX_URL/upload.bin" \
  >"$SCRATCH/up1.log" 2>&1 </dev/null &
pid=$!
deadline=$((SECONDS + 60))
had=0
while ((had < 1)); do
  kill -0 "$pid" 2>/dev/null || die "the first run ended early: $(cat "$SCRATCH/up1.log")"
  ((SECONDS < deadline)) || die "no part reached S3 within 60 s: $(cat "$SCRATCH/up1.log")"
  upload=$("$AWS_CLI" s3api list-multipart-uploads --bucket "$B" \
    --query 'Uploads[?Key==`up/upload.bin`].UploadId' --output text)
  if [[ -n $upload && $upload != None ]]; then
    had=$("$AWS_CLI" s3api list-parts --bucket "$B" --key up/upload.bin --upload-id "$upload" \
      --query 'length(Parts)' --output text 2>/dev/null || echo 0)
    [[ $had =~ ^[0-9]+$ ]] || had=0
  fi
  ((had >= 1)) || sleep 0.1 # poll interval of a deadline-bounded wait
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
grep -q "^updated .* uploading " "$SCRATCH/up1.log" || die "not killed while uploading: $(cat "$SCRATCH/up1.log")"
had=$("$AWS_CLI" s3api list-parts --bucket "$B" --key up/upload.bin --upload-id "$upload" \
  --query 'length(Parts)' --output text)
# parts_sent: the UploadParts the proxy forwarded and S3 took.
parts_sent() { grep -c '^sent PUT .*partNumber=.* 200 ' "$SCRATCH/proxy/faults.log" || true; }
before=$(parts_sent)
AWS_ENDPOINT_URL=$FAULT_PROXY_URL run_manager "$SCRATCH/up2.log" "${args[@]}"
grep -q "^finished " "$SCRATCH/up2.log" || die "the second run did not finish it: $(cat "$SCRATCH/up2.log")"
resent=$(($(parts_sent) - before))
echo "   S3 had $had of 3 parts after the kill; the second run sent $resent"
((resent <= 3 - had)) || die "the second run sent $resent parts; S3 already had $had of 3"
same_object "up/upload.bin" "$www/upload.bin"
no_orphans
echo "the manager delivered every source"
