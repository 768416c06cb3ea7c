#!/usr/bin/env bash
# s3_client.sh <bitflow-cli> <scratch> <s3_client_check>: bitflow's S3 client against a
# real moto_server in auth mode (every signature checked) on 127.0.0.1: an object put and
# read back whole and as a range; a 3-part multipart upload read back by the AWS CLI; the
# same upload through a proxy that answers one part with 503 SlowDown, drops the
# connection after another and answers Complete with a 200 carrying <Error>, still
# correct; an aborted upload leaves none behind; a wrong secret or key id fails at once with the S3
# code; a missing bucket and a deleted key are reported as such. Skips when moto (only in
# this machine image's pyenv Python) is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=moto_lib.sh
source "$HERE/moto_lib.sh"
init "$1" "$2"

use_moto "${3:-}"
B=$MOTO_BUCKET

step "PutObject, then HeadObject and GetObject (whole and a range) give the same bytes"
random_file "$SCRATCH/small.bin" $((1024 * 1024 + 123))
etag=$(check put "$B" "dir/small file.bin" "$SCRATCH/small.bin") || die "put failed"
md5=$(md5sum "$SCRATCH/small.bin" | cut -d' ' -f1)
[[ $etag == "\"$md5\"" ]] || die "PutObject ETag $etag is not the MD5 $md5"
head_out=$(check head "$B" "dir/small file.bin") || die "head failed"
[[ $head_out == "$((1024 * 1024 + 123)) \"$md5\"" ]] || die "HeadObject said: $head_out"
check get "$B" "dir/small file.bin" "$SCRATCH/small.out" >/dev/null || die "get failed"
cmp "$SCRATCH/small.bin" "$SCRATCH/small.out" || die "GetObject returned other bytes"
total=$(check get "$B" "dir/small file.bin" "$SCRATCH/range.out" 1000 99999) || die "range get failed"
[[ $total == $((1024 * 1024 + 123)) ]] || die "a range GET reported the object size $total"
head -c 100000 "$SCRATCH/small.bin" | tail -c 99000 >"$SCRATCH/range.expected"
cmp "$SCRATCH/range.expected" "$SCRATCH/range.out" || die "the range GET returned other bytes"

step "a 3-part multipart upload (5 MiB, 5 MiB, 1 MiB + 7) reads back identical with the AWS CLI"
random_file "$SCRATCH/big.bin" $((11 * 1024 * 1024 + 7))
parts=$(check multipart "$B" big.bin "$SCRATCH/big.bin" $((5 * 1024 * 1024))) || die "multipart failed"
[[ $(grep -c '^[0-9]' <<<"$parts") == 3 ]] || die "ListParts did not list 3 parts: $parts"
[[ $parts == *"complete \""*"-3\""* ]] || die "no multipart ETag: $parts"
if "$AWS_CLI" --program >/dev/null; then
  "$AWS_CLI" s3api get-object --bucket "$B" --key big.bin "$SCRATCH/big.aws" >/dev/null ||
    die "aws s3api get-object failed"
  cmp "$SCRATCH/big.bin" "$SCRATCH/big.aws" || die "the AWS CLI read other bytes"
else
  echo "   (no AWS CLI: read back with the client only)"
fi
check get "$B" big.bin "$SCRATCH/big.out" >/dev/null || die "get of the multipart object failed"
cmp "$SCRATCH/big.bin" "$SCRATCH/big.out" || die "GetObject of the multipart object differs"
check get "$B" big.bin "$SCRATCH/across.out" $((5 * 1024 * 1024 - 10)) $((5 * 1024 * 1024 + 9)) >/dev/null
head -c $((5 * 1024 * 1024 + 10)) "$SCRATCH/big.bin" | tail -c 20 >"$SCRATCH/across.expected"
cmp "$SCRATCH/across.expected" "$SCRATCH/across.out" || die "a range across two parts differs"

step "through a fault-injecting proxy, SlowDown, a reset and a 200 <Error> are retried"
start_s3_fault_proxy "$SCRATCH/proxy" "$MOTO_URL" \
  PUT:partNumber=2:1:slowdown PUT:partNumber=1:1:reset POST:uploadId=:1:error200 ||
  die "the fault proxy did not start"
parts=$(AWS_ENDPOINT_URL=$FAULT_PROXY_URL check multipart "$B" faulty.bin "$SCRATCH/big.bin" \
  $((5 * 1024 * 1024))) || die "multipart through the fault proxy failed"
[[ $(grep -c '^fault' "$SCRATCH/proxy/faults.log") == 3 ]] ||
  die "the proxy did not serve its 3 faults: $(cat "$SCRATCH/proxy/faults.log")"
check get "$B" faulty.bin "$SCRATCH/faulty.out" >/dev/null || die "get of faulty.bin failed"
cmp "$SCRATCH/big.bin" "$SCRATCH/faulty.out" || die "the object uploaded through faults differs"

step "AbortMultipartUpload leaves no unfinished upload"
check abort "$B" aborted.bin >/dev/null || die "abort failed"
# moto rejects the signature of a list query whose prefix holds '/', so none is given.
left=$(check uploads "$B") || die "ListMultipartUploads failed"
[[ $left == 0 ]] || die "$left unfinished uploads are left"

step "wrong credentials fail at once with S3's code"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_failure 13 SignatureDoesNotMatch get "$B" big.bin "$SCRATCH/x"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_failure 13 SignatureDoesNotMatch put "$B" k "$SCRATCH/small.bin"
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY000000 expect_failure 13 InvalidAccessKeyId get "$B" big.bin "$SCRATCH/x"
# A HEAD answer has no body to name the reason: a plain 403.
AWS_SECRET_ACCESS_KEY=not-the-secret expect_failure 12 "HTTP 403" head "$B" big.bin

step "a missing bucket and a deleted key are named as such"
expect_failure 9 "S3 NoSuchBucket" put no-such-bucket k "$SCRATCH/small.bin"
check delete "$B" "dir/small file.bin" || die "delete failed"
expect_failure 10 "HTTP 404" head "$B" "dir/small file.bin"
expect_failure 10 "S3 NoSuchKey" get "$B" "dir/small file.bin" "$SCRATCH/gone.out"

step "a presigned GET URL names the object and carries its expiry and signature"
url=$(check presign "$B" "dir/a b.bin" 600) || die "presign failed"
[[ $url == "$MOTO_URL/$B/dir/a%20b.bin?"*"X-Amz-Expires=600"*"X-Amz-Signature="* ]] ||
  die "unexpected presigned URL: $url"
if out=$(check presign "$B" k 604801 2>&1); then die "an 8-day presigned URL was made: $out"; fi
[[ $out == "error 1:"* ]] || die "a too long expiry gave: $out"

step "bitflow presign prints the URL with the expiry and method asked for"
require_bitflow_command presign s3://
url=$("$BITFLOW" presign "s3://$B/dir/a b.bin" --expires 900 --method PUT) || die "bitflow presign failed"
[[ $url == "$MOTO_URL/$B/dir/a%20b.bin?"*"X-Amz-Credential=$MOTO_KEY_ID%2F"*"X-Amz-Expires=900"*"X-Amz-Signature="* ]] ||
  die "unexpected URL from bitflow presign: $url"
if out=$("$BITFLOW" presign "s3://$B/k" --expires 604801 2>&1); then die "an 8-day URL was made: $out"; fi
[[ $out == *"604800"* ]] || die "a too long expiry gave: $out"
if out=$("$BITFLOW" presign "http://$B/k" 2>&1); then die "a non-s3 URL was presigned: $out"; fi

echo "OK: the S3 client agrees with moto_server"
