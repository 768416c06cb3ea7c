#!/usr/bin/env bash
# s3_presign.sh <bitflow-cli> <scratch>: `bitflow presign s3://bucket/key [--expires S]
# [--method GET|PUT]` against npm's s3rver on 127.0.0.1, which enforces presigned-URL
# expiry, with curl as the only client.
#
# Checks: a presigned PUT uploads a file and a presigned GET downloads it byte-identical
# (the AWS CLI sees the object's size); a GET URL with --expires 5 works at once and is
# refused with 403 AccessDenied "Request has expired" once 5 s have passed since its
# X-Amz-Date (polled on a deadline) and not before; a changed signature, a lengthened
# X-Amz-Expires and a PUT URL used for a GET are refused with SignatureDoesNotMatch;
# --expires above 7 days (604801), 0 or junk, and --method POST, are refused by the CLI
# with exit 2 and a message naming the limit, while 604800 is accepted.
#
# s3rver does not compute SigV4 signatures (only the key id and the expiry are checked),
# and moto's auth mode answers query-signed requests with 500, so the requests go through
# tests/servers/sigv4_query_check.py, which computes the signature itself (hashlib, hmac)
# and refuses a wrong one before s3rver sees it. Skips only when s3rver cannot be
# installed from npm (no node, npm or registry).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
require_bitflow_command presign
require_tool curl
B=presign-test

trap stop_servers EXIT
rc=0
start_s3rver "$SCRATCH/s3rver" "$B" || rc=$?
((rc != 2)) || skip "npm's s3rver@$S3RVER_VERSION cannot be installed here (see $SCRATCH/s3rver/npm-install.log)"
((rc == 0)) || die "s3rver did not start: $(tail -n 5 "$SCRATCH/s3rver/s3rver.log" 2>/dev/null)"
start_sigv4_query_check "$SCRATCH/check" "$S3RVER_URL" "$S3RVER_KEY_ID" "$S3RVER_SECRET" ||
  die "sigv4_query_check did not start"
echo "-- s3rver at $S3RVER_URL, signatures checked at $SIGV4_CHECK_URL"

# The AWS settings of s3rver and nothing of the caller's.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$SCRATCH/no-config AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/no-credentials
export AWS_ACCESS_KEY_ID=$S3RVER_KEY_ID AWS_SECRET_ACCESS_KEY=$S3RVER_SECRET
export AWS_ENDPOINT_URL=$SIGV4_CHECK_URL AWS_REGION=us-east-1

# presign ARGS...: the URL `bitflow presign` prints (it must succeed quietly).
presign() {
  local out err=$SCRATCH/tmp/presign.err
  out=$(timeout -k 2 10 "$BITFLOW" presign "$@" 2>"$err" </dev/null) ||
    die "bitflow presign $* failed: $(cat "$err")"
  [[ ! -s $err ]] || die "bitflow presign $* wrote to stderr: $(cat "$err")"
  [[ $out == "$SIGV4_CHECK_URL/"* && $out == *"X-Amz-Signature="* ]] || die "bitflow presign $* printed: $out"
  echo "$out"
}
# http METHOD URL OUT [curl args...]: curl's status code; the body in OUT.
http() {
  local method=$1 url=$2 out=$3
  shift 3
  curl -sS --max-time 30 -X "$method" -o "$out" -w '%{http_code}' "$@" "$url" ||
    die "curl $method $url failed"
}
# refused URL METHOD CODE: the request is answered 403 with S3 error CODE.
refused() {
  local status
  status=$(http "$2" "$1" "$SCRATCH/refused.xml")
  [[ $status == 403 ]] || die "$2 of a URL that must be refused ($3) got $status: $1"
  grep -q "<Code>$3</Code>" "$SCRATCH/refused.xml" || die "expected $3, got: $(cat "$SCRATCH/refused.xml")"
}
# epoch_of URL: its X-Amz-Date as seconds since the epoch.
epoch_of() {
  local stamp
  stamp=$(sed -n 's/.*[?&]X-Amz-Date=\([0-9]\{8\}\)T\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)Z.*/\1 \2:\3:\4/p' <<<"$1")
  [[ -n $stamp ]] || die "no X-Amz-Date in $1"
  date -u -d "$stamp" +%s
}

KEY="dir/a file+plus~ü.bin"
random_file "$SCRATCH/data.bin" $((3 * 1024 * 1024 + 4321))

step "a presigned PUT uploads with curl, a presigned GET downloads the same bytes"
put_url=$(presign "s3://$B/$KEY" --method PUT --expires 600)
[[ $put_url == *"X-Amz-Expires=600&"* ]] || die "no X-Amz-Expires=600 in $put_url"
status=$(http PUT "$put_url" "$SCRATCH/put.out" --upload-file "$SCRATCH/data.bin")
[[ $status == 200 ]] || die "presigned PUT got $status: $(cat "$SCRATCH/put.out")"
get_url=$(presign "s3://$B/$KEY")
[[ $get_url == *"X-Amz-Expires=3600&"* ]] || die "the default expiry is not 3600 s: $get_url"
status=$(http GET "$get_url" "$SCRATCH/get.bin")
[[ $status == 200 ]] || die "presigned GET got $status: $(head -c 500 "$SCRATCH/get.bin")"
cmp "$SCRATCH/data.bin" "$SCRATCH/get.bin" || die "the presigned GET returned other bytes"
if "$AWS_CLI" --program >/dev/null; then
  size=$(AWS_ENDPOINT_URL=$S3RVER_URL "$AWS_CLI" s3api head-object --bucket "$B" --key "$KEY" \
    --query ContentLength --output text) || die "aws s3api head-object failed"
  [[ $size == "$(stat -c %s "$SCRATCH/data.bin")" ]] || die "the AWS CLI sees $size bytes"
fi
grep -q "^PUT /$B/.* -> forwarded$" "$SCRATCH/check/verdicts.log" || die "the PUT's signature was not checked"

# 5 s, not less: on a loaded machine the first GET through the checking proxy can take
# more than a second after the signature's whole-second X-Amz-Date.
step "a GET URL with --expires 5 works at once and is refused with 'Request has expired' after 5 s"
short=$(presign "s3://$B/$KEY" --expires 5)
signed_at=$(epoch_of "$short")
status=$(http GET "$short" "$SCRATCH/short.bin")
[[ $status == 200 ]] || die "a fresh 5 s URL got $status: $(head -c 500 "$SCRATCH/short.bin")"
cmp "$SCRATCH/data.bin" "$SCRATCH/short.bin" || die "the 5 s URL returned other bytes"
deadline=$((SECONDS + 20))
while :; do
  now=$(date -u +%s)
  status=$(http GET "$short" "$SCRATCH/short.out")
  [[ $status == 200 ]] || break
  ((SECONDS < deadline)) || die "a URL signed to expire in 5 s still works after 20 s"
  sleep 0.2 # poll interval of a deadline-bounded wait
done
[[ $status == 403 ]] || die "the expired URL got $status, not 403: $(cat "$SCRATCH/short.out")"
if ! grep -q "<Code>AccessDenied</Code>" "$SCRATCH/short.out" || ! grep -q "Request has expired" "$SCRATCH/short.out"; then
  die "the expired URL was refused for another reason: $(cat "$SCRATCH/short.out")"
fi
# s3rver compares with milliseconds: refused at the earliest in the second X-Amz-Date + 5.
((now >= signed_at + 5)) || die "refused $((now - signed_at)) s after X-Amz-Date, before it expired"
echo "   refused $((now - signed_at)) s after its X-Amz-Date"

step "a changed signature, a lengthened expiry and a PUT URL used for GET are refused"
fresh=$(presign "s3://$B/$KEY" --expires 600)
sig=${fresh##*X-Amz-Signature=}
[[ $sig =~ ^[0-9a-f]{64}$ ]] || die "the signature is not 64 hex digits: $sig"
last=${sig: -1}
[[ $last == 0 ]] && swap=1 || swap=0
refused "${fresh%?}$swap" GET SignatureDoesNotMatch
refused "${short/X-Amz-Expires=5&/X-Amz-Expires=600&}" GET SignatureDoesNotMatch
refused "$put_url" GET SignatureDoesNotMatch
refused "${fresh/X-Amz-Credential=S3RVER/X-Amz-Credential=OTHERKEY}" GET InvalidAccessKeyId
status=$(http GET "$fresh" "$SCRATCH/fresh.bin")
[[ $status == 200 ]] || die "the untouched URL stopped working ($status)"
cmp -s "$SCRATCH/data.bin" "$SCRATCH/fresh.bin" || die "the untouched URL returned other bytes"

step "the CLI refuses --expires over 7 days, 0 or junk and an unknown method, and takes 7 days"
for bad in "--expires 604801" "--expires 0" "--expires 10s" "--method POST"; do
  status=0
  # shellcheck disable=SC2086 # the option and its value are two words
  out=$(timeout -k 2 10 "$BITFLOW" presign "s3://$B/$KEY" $bad 2>&1 </dev/null) || status=$?
  [[ $status == 2 ]] || die "presign $bad exited $status, expected 2 (usage): $out"
  [[ $out != *"http"* ]] || die "presign $bad printed a URL: $out"
  case $bad in
    --expires*) [[ $out == *"1 to 604800 seconds (7 days)"* ]] || die "presign $bad: unclear message: $out" ;;
    *) [[ $out == *"GET or PUT"* ]] || die "presign $bad: unclear message: $out" ;;
  esac
  echo "   $bad: $out"
done
week=$(presign "s3://$B/$KEY" --expires 604800)
[[ $week == *"X-Amz-Expires=604800&"* ]] || die "no X-Amz-Expires=604800 in $week"
status=$(http GET "$week" "$SCRATCH/week.bin")
[[ $status == 200 ]] || die "a 7-day URL got $status"

echo "s3_presign: all checks passed"
