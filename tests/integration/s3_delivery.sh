#!/usr/bin/env bash
# s3_delivery.sh <bitflow-cli> <scratch>: `bitflow download SOURCE --to s3://bucket/prefix/`
# and `--to DIR`, against a real moto_server in auth mode (every signature checked) on
# 127.0.0.1, read back with the AWS CLI.
#
# Checks: a multi-file torrent from a bitflow seeder, the same torrent as a magnet link,
# and an HTTP URL from nginx each land in moto byte-identical, the large files as
# multipart objects (ETag "-N"); no multipart upload is left behind (ListMultipartUploads)
# after any run; kill -9 while an HTTP download streams its parts, then the same command:
# the object is complete and the parts S3 had are not sent again (counted at a proxy);
# faults injected by a proxy on the upload path (SlowDown, resets, 500 and 200 <Error> on
# Complete, a clock an hour off) still end in the right object, and wrong keys in S3's own code;
# --no-local-copy keeps no more than the parts waiting for upload on disk, also across a
# kill -9, and leaves no local file; --notify-sqs sends boto3 a notice with the object's key, size and SHA-256, and a missing
# queue is named; a missing bucket fails with S3's NoSuchBucket and exit 1; --to DIR puts
# the files under their final names. Skips when moto (only in this machine image's pyenv Python) is absent.
# (Keys are ASCII: moto 5.2.1 in auth mode rejects keys with non-ASCII letters or parentheses with SignatureDoesNotMatch,
# also when the AWS CLI signs it.)
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

# fetch <expected-exit> <log> <args...>: `bitflow download` (120 s at most).
fetch() {
  local want=$1 log=$2 status=0
  shift 2
  timeout -k 5 120 "$BITFLOW" download "$@" >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "bitflow download $* exited $status, expected $want: $(tail -n 5 "$log")"
}
# same_object <key> <file>: the AWS CLI reads the object back identical to the file.
same_object() {
  "$AWS_CLI" s3 cp --quiet "s3://$B/$1" "$SCRATCH/readback" || die "aws s3 cp of '$1' failed"
  cmp "$2" "$SCRATCH/readback" || die "s3://$B/$1 differs from $2"
}
etag_of() {
  "$AWS_CLI" s3api head-object --bucket "$B" --key "$1" --query ETag --output text
}
# no_orphans: ListMultipartUploads of the bucket is empty.
no_orphans() {
  local uploads
  uploads=$("$AWS_CLI" s3api list-multipart-uploads --bucket "$B" --query 'Uploads[].Key' --output text)
  [[ -z $uploads || $uploads == None ]] || die "multipart uploads left behind: $uploads"
}

data=$SCRATCH/data/album
random_file "$data/big.bin" $((13 * 1024 * 1024 + 4321))
random_file "$data/cd 2/track 1.bin" 300001
: >"$data/empty.txt"
"$BITFLOW" create "$data" -o "$SCRATCH/album.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$SCRATCH/album.torrent" "$data" "$SCRATCH/seed.log"
port=$SEED_PORT

step "a torrent lands in moto, one object per file, the large one in 5 MiB parts"
fetch 0 "$SCRATCH/torrent.log" "$SCRATCH/album.torrent" -o "$SCRATCH/t" --peer "127.0.0.1:$port" \
  --no-trackers --to "s3://$B/torrent/" --part-size 5MiB --parallel-parts 3
same_object "torrent/album/big.bin" "$data/big.bin"
same_object "torrent/album/cd 2/track 1.bin" "$data/cd 2/track 1.bin"
same_object "torrent/album/empty.txt" "$data/empty.txt"
[[ $(etag_of "torrent/album/big.bin") == *-3\" ]] || die "big.bin is not a 3-part object: $(etag_of torrent/album/big.bin)"
grep -q "delivered s3://$B/torrent/album/big.bin" "$SCRATCH/torrent.log" ||
  die "the delivery was not reported: $(tail -n 5 "$SCRATCH/torrent.log")"
! compgen -G "$SCRATCH/t/.bitflow/*.s3-upload" >/dev/null || die "the upload state was left behind"
no_orphans

step "the same torrent as a magnet link (metadata from the peer) lands the same"
hash=$("$BITFLOW" info --json "$SCRATCH/album.torrent" | sed -n 's/.*"info_hash":"\([0-9a-f]*\)".*/\1/p')
[[ ${#hash} == 40 ]] || die "no info-hash from bitflow info"
fetch 0 "$SCRATCH/magnet.log" "magnet:?xt=urn:btih:$hash&dn=album" -o "$SCRATCH/m" \
  --peer "127.0.0.1:$port" --no-trackers --to "s3://$B/magnet"
same_object "magnet/album/big.bin" "$data/big.bin"
same_object "magnet/album/cd 2/track 1.bin" "$data/cd 2/track 1.bin"
[[ $(etag_of "magnet/album/big.bin") == *-2\" ]] || die "big.bin is not a 2-part (8 MiB) object"
no_orphans

step "an HTTP URL streams into moto (4 connections, 5 MiB parts)"
NGINX_RATE=1m start_nginx "$SCRATCH/nginx" || die "nginx did not start"
www=$SCRATCH/nginx/www
random_file "$www/video.bin" $((24 * 1024 * 1024 + 17))
fetch 0 "$SCRATCH/http.log" "$NGINX_URL/video.bin" -o "$SCRATCH/h" -x 4 \
  --to "s3://$B/http/" --part-size 5MiB
same_object "http/video.bin" "$www/video.bin"
[[ $(etag_of "http/video.bin") == *-5\" ]] || die "video.bin is not a 5-part object"
no_orphans

step "--notify-sqs: the delivered file is announced on SQS with its size and SHA-256"
Q=$(timeout -k 2 60 "$MOTO_PYTHON" "$HERE/sqs_queue.py" create deliveries) || die "create_queue failed"
fetch 0 "$SCRATCH/notify.log" "$NGINX_URL/video.bin" -o "$SCRATCH/n" --to "s3://$B/notified/" \
  --notify-sqs "$Q"
same_object "notified/video.bin" "$www/video.bin"
id=$(sed -n 's/^notified .* (message \(.*\))$/\1/p' "$SCRATCH/notify.log")
[[ -n $id ]] || die "no notice was reported: $(tail -n 5 "$SCRATCH/notify.log")"
timeout -k 2 60 "$MOTO_PYTHON" "$HERE/sqs_queue.py" expect-notice "$Q" "$id" "$B" notified/video.bin \
  $((24 * 1024 * 1024 + 17)) "$(sha256sum "$www/video.bin" | cut -d' ' -f1)" \
  "$NGINX_URL/video.bin" "$NGINX_URL/video.bin" || die "the notice boto3 received differs"
fetch 2 "$SCRATCH/notify-usage.log" "$NGINX_URL/video.bin" -o "$SCRATCH/n2" --to "$SCRATCH/n3" \
  --notify-sqs "$Q"
grep -q "are for an s3:// destination" "$SCRATCH/notify-usage.log" ||
  die "--notify-sqs with a folder was not refused: $(cat "$SCRATCH/notify-usage.log")"
fetch 1 "$SCRATCH/notify-missing.log" "$NGINX_URL/video.bin" -o "$SCRATCH/n4" \
  --to "s3://$B/notified2/" --notify-sqs "${Q%/*}/no-such-queue"
grep -q "delivered, but the SQS notice failed: .*NonExistentQueue" "$SCRATCH/notify-missing.log" ||
  die "a missing queue was not named: $(tail -n 3 "$SCRATCH/notify-missing.log")"
no_orphans

# One connection at 1 MB/s: the kill comes while the download still runs.
step "kill -9 while parts stream up, then the same command: parts S3 has are not sent again"
start_s3_fault_proxy "$SCRATCH/proxy" "$MOTO_URL" || die "the proxy did not start"
proxy_pid=${_SERVER_PIDS[-1]}
export AWS_ENDPOINT_URL=$FAULT_PROXY_URL
args=("$NGINX_URL/slow/video.bin" -o "$SCRATCH/k" -x 1 --to "s3://$B/killed/" --part-size 5MiB
  --parallel-parts 2 --quiet)
"$BITFLOW" download "${args[@]}" >"$SCRATCH/kill1.log" 2>&1 </dev/null &
pid=$!
deadline=$((SECONDS + 60))
listed=0
while ((listed < 2)); do
  kill -0 "$pid" 2>/dev/null || die "the first run ended early: $(cat "$SCRATCH/kill1.log")"
  ((SECONDS < deadline)) || die "no part reached S3 within 60 s"
  upload=$("$AWS_CLI" --endpoint-url "$MOTO_URL" s3api list-multipart-uploads --bucket "$B" \
    --query 'Uploads[?Key==`killed/video.bin`].UploadId' --output text)
  if [[ -n $upload && $upload != None ]]; then
    listed=$("$AWS_CLI" --endpoint-url "$MOTO_URL" s3api list-parts --bucket "$B" \
      --key killed/video.bin --upload-id "$upload" --query 'length(Parts)' --output text 2>/dev/null || echo 0)
    [[ $listed =~ ^[0-9]+$ ]] || listed=0
  fi
  ((listed >= 2)) || sleep 0.2 # poll interval of a deadline-bounded wait
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# The parts in flight at the kill die with their proxy; the second run gets a new one, so
# its log holds only the second run's parts.
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
had=$("$AWS_CLI" --endpoint-url "$MOTO_URL" s3api list-parts --bucket "$B" --key killed/video.bin \
  --upload-id "$upload" --query 'length(Parts)' --output text)
start_s3_fault_proxy "$SCRATCH/proxy2" "$MOTO_URL" || die "the second proxy did not start"
export AWS_ENDPOINT_URL=$FAULT_PROXY_URL
fetch 0 "$SCRATCH/kill2.log" "${args[@]}"
resent=$(grep -c '^sent PUT .*partNumber=' "$SCRATCH/proxy2/faults.log" || true)
echo "   S3 had $had of 5 parts after the kill; the second run sent $resent"
((had >= 2 && resent <= 5 - had)) || die "the second run sent $resent parts; S3 already had $had of 5"
export AWS_ENDPOINT_URL=$MOTO_URL
same_object "killed/video.bin" "$www/video.bin"
no_orphans

# Uploads at 3 MiB/s (the proxy reads bodies that slowly), downloads at loopback speed:
# without the hold, the whole file would sit on disk within a second.
step "--no-local-copy: only what is not uploaded yet is on disk; kill -9, then the same command"
random_file "$www/big.bin" $((40 * 1024 * 1024 + 5))
start_s3_fault_proxy "$SCRATCH/proxy3" "$MOTO_URL" --upload-rate=$((3 * 1024 * 1024)) ||
  die "the throttling proxy did not start"
export AWS_ENDPOINT_URL=$FAULT_PROXY_URL
args=("$NGINX_URL/big.bin" -o "$SCRATCH/nl" -x 1 --to "s3://$B/nolocal/" --part-size 5MiB
  --parallel-parts 1 --no-local-copy --quiet)
limit=$(((1 + 1 + 1) * 5 * 1024 * 1024)) # (parallel parts + connections + 1) parts
# on_disk FILE: the bytes FILE's blocks hold (holes take none).
on_disk() { local b; b=$(stat -c '%b*%B' "$1" 2>/dev/null) && echo $((b)) || echo 0; }
"$BITFLOW" download "${args[@]}" >"$SCRATCH/nolocal1.log" 2>&1 </dev/null &
pid=$!
deadline=$((SECONDS + 60))
# The disk is sampled by a loop of its own: the CLI calls below take a second each, too
# coarse to see the few seconds in which the backlog fills up.
(
  peak=0
  echo 0 >"$SCRATCH/nolocal-peak"
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline + 5)); do
    used=$(on_disk "$SCRATCH/nl/big.bin.part")
    if ((used > peak)); then
      peak=$used
      echo "$peak" >"$SCRATCH/nolocal-peak"
    fi
    sleep 0.05 # sampling interval, bounded by the deadline above
  done
) &
sampler=$!
listed=0
while ((listed < 3)); do
  kill -0 "$pid" 2>/dev/null || die "the first run ended early: $(cat "$SCRATCH/nolocal1.log")"
  ((SECONDS < deadline)) || die "3 parts did not reach S3 within 60 s"
  upload=$("$AWS_CLI" --endpoint-url "$MOTO_URL" s3api list-multipart-uploads --bucket "$B" \
    --query 'Uploads[?Key==`nolocal/big.bin`].UploadId' --output text)
  if [[ -n $upload && $upload != None ]]; then
    listed=$("$AWS_CLI" --endpoint-url "$MOTO_URL" s3api list-parts --bucket "$B" \
      --key nolocal/big.bin --upload-id "$upload" --query 'length(Parts)' --output text 2>/dev/null || echo 0)
    [[ $listed =~ ^[0-9]+$ ]] || listed=0
  fi
  ((listed >= 3)) || sleep 0.1 # poll interval of a deadline-bounded wait
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
peak=$(cat "$SCRATCH/nolocal-peak")
echo "   at most $((peak / 1048576)) MiB of 40 on disk before the kill (limit $((limit / 1048576)) MiB)"
((peak <= limit + 2 * 1024 * 1024)) || die "$peak bytes were on disk; the limit is $limit"
((peak >= 5 * 1024 * 1024)) || die "only $peak bytes were ever on disk: the test measured nothing"
fetch 0 "$SCRATCH/nolocal2.log" "${args[@]}"
export AWS_ENDPOINT_URL=$MOTO_URL
same_object "nolocal/big.bin" "$www/big.bin"
[[ $(etag_of "nolocal/big.bin") == *-9\" ]] || die "big.bin is not a 9-part object"
! compgen -G "$SCRATCH/nl/big.bin*" >/dev/null || die "the local copy was left: $(ls "$SCRATCH/nl")"
fetch 2 "$SCRATCH/nolocal-usage.log" "$SCRATCH/album.torrent" --to "s3://$B/x/" --no-local-copy
grep -q "is for URL downloads" "$SCRATCH/nolocal-usage.log" ||
  die "--no-local-copy with a torrent was not refused: $(cat "$SCRATCH/nolocal-usage.log")"
no_orphans

step "through faults on the sink's path (503 SlowDown, a reset mid-part, 500 then a 200 <Error> on Complete) the object is right"
start_s3_fault_proxy "$SCRATCH/proxy4" "$MOTO_URL" PUT:partNumber=2:1:slowdown \
  PUT:partNumber=3:1:reset POST:uploadId=:1:error500 POST:uploadId=:1:error200 ||
  die "the fault proxy did not start"
AWS_ENDPOINT_URL=$FAULT_PROXY_URL fetch 0 "$SCRATCH/faults.log" "$NGINX_URL/video.bin" -o "$SCRATCH/f" \
  --to "s3://$B/faults/" --part-size 5MiB
[[ $(grep -c '^fault' "$SCRATCH/proxy4/faults.log") == 4 ]] ||
  die "the proxy did not serve its 4 faults: $(cat "$SCRATCH/proxy4/faults.log")"
same_object "faults/video.bin" "$www/video.bin"
no_orphans
step "a client clock an hour behind S3's: RequestTimeTooSkewed, corrected from S3's Date"
start_s3_fault_proxy "$SCRATCH/proxy5" "$MOTO_URL" --clock-ahead=3600 ||
  die "the skewed proxy did not start"
AWS_ENDPOINT_URL=$FAULT_PROXY_URL fetch 0 "$SCRATCH/skewed.log" "$NGINX_URL/video.bin" -o "$SCRATCH/sk" \
  --to "s3://$B/skewed/" --part-size 5MiB
grep -q '^fault .* skewed$' "$SCRATCH/proxy5/faults.log" ||
  die "the proxy never found the clock skewed: $(cat "$SCRATCH/proxy5/faults.log")"
same_object "skewed/video.bin" "$www/video.bin"
no_orphans
AWS_SECRET_ACCESS_KEY=wrong fetch 1 "$SCRATCH/badkey.log" "$NGINX_URL/video.bin" -o "$SCRATCH/bk" \
  --to "s3://$B/badkey/"
grep -q "SignatureDoesNotMatch" "$SCRATCH/badkey.log" || die "no SignatureDoesNotMatch in: $(cat "$SCRATCH/badkey.log")"
no_orphans

step "a missing bucket fails at once with S3's own words"
fetch 1 "$SCRATCH/nobucket.log" "$NGINX_URL/video.bin" -o "$SCRATCH/nb" --to "s3://no-such-bucket-here/x/"
grep -q "NoSuchBucket" "$SCRATCH/nobucket.log" || die "no NoSuchBucket in: $(cat "$SCRATCH/nobucket.log")"

step "--to DIR: the torrent's files appear under their final names"
fetch 0 "$SCRATCH/local.log" "$SCRATCH/album.torrent" --peer "127.0.0.1:$port" --no-trackers \
  --to "$SCRATCH/final" --quiet
cmp "$data/big.bin" "$SCRATCH/final/album/big.bin" || die "big.bin differs in the folder"
cmp "$data/cd 2/track 1.bin" "$SCRATCH/final/album/cd 2/track 1.bin" || die "track differs"
[[ -f $SCRATCH/final/album/empty.txt ]] || die "the empty file is missing"
[[ ! -e $SCRATCH/final/.bitflow-incoming/album/big.bin ]] || die "big.bin was left in the staging folder"
echo "all delivery checks passed"
