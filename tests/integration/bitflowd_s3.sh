#!/usr/bin/env bash
# bitflowd_s3.sh <bitflow-cli> <scratch> <bitflowd>: a user whose download location
# (PUT /settings) is s3://bucket/prefix/ gets an HTTP download from nginx delivered into
# moto_server (auth mode, SigV4 checked), byte-identical and not also in the local folder;
# the server's S3 settings come from its AWS_* environment; GET of the file (with the token,
# or a signed link) is a 307 to a presigned URL. Skips where moto is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
BITFLOWD=${3:?usage: bitflowd_s3.sh <bitflow-cli> <scratch> <bitflowd>}
[[ -x $BITFLOWD ]] || die "bitflowd not found: $BITFLOWD"
require_tool curl
require_tool jq
AWS_CLI=/root/.pyenv/versions/3.11.7/bin/aws

trap stop_servers EXIT
start_moto_for_test "$SCRATCH/moto"
[[ -x $AWS_CLI ]] || skip "the AWS CLI next to moto is missing: $AWS_CLI"
start_nginx "$SCRATCH/nginx" || die "nginx did not start"
random_file "$SCRATCH/nginx/www/report.bin" $((5 * 1024 * 1024 + 11))

D=$SCRATCH/bitflowd
TOKEN=$("$BITFLOWD" user add erin --data-dir "$D" 2>/dev/null) || die "user add failed"
PORT=$(_server_probe free-port)
log=$SCRATCH/bitflowd.log
"$BITFLOWD" --data-dir "$D" --listen "127.0.0.1:$PORT" --peer-listen 127.0.0.1:0 \
  --disk-reserve 0 >"$log" 2>&1 </dev/null &
pid=$!
_SERVER_PIDS+=("$pid")
deadline=$((SECONDS + 10))
until grep -q "listening on" "$log"; do
  kill -0 "$pid" 2>/dev/null || die "bitflowd exited: $(cat "$log")"
  ((SECONDS < deadline)) || die "bitflowd did not listen within 10 s"
  sleep 0.05 # poll interval of a deadline-bounded wait
done
call() {
  curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"
}

step "PUT /settings to s3://$MOTO_BUCKET/erin/, then an HTTP download"
out=$(call -X PUT -d "{\"download_location\": \"s3://$MOTO_BUCKET/erin/\"}" "http://127.0.0.1:$PORT/settings")
[[ $(jq -r .resolved_location <<<"$out") == "s3://$MOTO_BUCKET/erin/" ]] || die "settings: $out"
out=$(call -d "{\"url\": \"$NGINX_URL/report.bin\", \"destination\": \"q4\"}" "http://127.0.0.1:$PORT/downloads")
id=$(jq -r .id <<<"$out")
[[ $id != null ]] || die "add: $out"
deadline=$((SECONDS + 60))
while state=$(call "http://127.0.0.1:$PORT/downloads/$id" | jq -r .state) && [[ $state != completed ]]; do
  [[ $state != failed ]] || die "the download failed: $(call "http://127.0.0.1:$PORT/downloads/$id")"
  ((SECONDS < deadline)) || die "the download is $state after 60 s"
  sleep 0.1 # poll interval of a deadline-bounded wait
done
"$AWS_CLI" s3 cp --quiet "s3://$MOTO_BUCKET/erin/q4/report.bin" "$SCRATCH/readback" ||
  die "the object is not in moto"
cmp "$SCRATCH/nginx/www/report.bin" "$SCRATCH/readback" || die "the object differs"
[[ ! -e $D/files/erin/report.bin ]] || die "the file was also delivered locally"
step "GET of the file: a 307 to a presigned URL that needs no credentials"
status=$(call -o "$SCRATCH/file.json" -D "$SCRATCH/file.headers" -w '%{http_code}' \
  "http://127.0.0.1:$PORT/downloads/$id/files/0")
location=$(tr -d '\r' <"$SCRATCH/file.headers" | sed -n 's/^[Ll]ocation: //p')
[[ $status == 307 && $location == "$MOTO_URL/$MOTO_BUCKET/erin/q4/report.bin?"* ]] ||
  die "GET of a file delivered to S3: $status, Location '$location'"
[[ $location == *X-Amz-Expires=3600* && $location == *"X-Amz-Credential=$MOTO_KEY_ID"* ]] ||
  die "the presigned URL is not a one-hour URL of the server's key: $location"
[[ $(jq -r .url "$SCRATCH/file.json") == "$location" ]] || die "the body names another URL"
# moto in auth mode answers every query-signed request with 500 (the AWS CLI's own presigned
# URLs too), so the URL is checked by tests/servers/sigv4_query_check.py, an independent
# SigV4 verifier holding moto's secret, with the object's bytes served from nginx under the
# same path. The Host header stays moto's: it is signed.
mkdir -p "$SCRATCH/nginx/www/$MOTO_BUCKET/erin/q4"
cp "$SCRATCH/nginx/www/report.bin" "$SCRATCH/nginx/www/$MOTO_BUCKET/erin/q4/report.bin"
start_sigv4_query_check "$SCRATCH/check" "$NGINX_URL" "$MOTO_KEY_ID" "$MOTO_SECRET" ||
  die "sigv4_query_check did not start"
presigned_get() { # presigned_get URL CURL-ARGS...: the URL through the verifier
  local url=$1
  shift
  curl -s --max-time 30 -H "Host: ${MOTO_URL#http://}" "$@" "$SIGV4_CHECK_URL${url#"$MOTO_URL"}"
}
presigned_get "$location" -f -o "$SCRATCH/via-redirect" ||
  die "the verifier refused the presigned URL: $(tail -3 "$SCRATCH/check/verdicts.log")"
cmp "$SCRATCH/nginx/www/report.bin" "$SCRATCH/via-redirect" || die "the presigned URL's bytes differ"
range=$(presigned_get "$location" -f -r 1000-1999 | wc -c)
[[ $range == 1000 ]] || die "a Range request on the presigned URL returned $range bytes"
tampered=$(sed 's/\(X-Amz-Signature=\)./\10/' <<<"$location")
[[ $tampered != "$location" ]] || tampered=$(sed 's/\(X-Amz-Signature=\)./\11/' <<<"$location")
code=$(presigned_get "$tampered" -o /dev/null -w '%{http_code}')
[[ $code == 403 ]] || die "the verifier accepted a tampered presigned URL ($code)"
step "a signed file link redirects the same way (no token at all)"
link=$(call -X POST "http://127.0.0.1:$PORT/downloads/$id/files/0/link" | jq -r .url)
[[ $link == /downloads/* ]] || die "link: $link"
status=$(curl -s --max-time 30 -o /dev/null -D "$SCRATCH/link.headers" -w '%{http_code}' \
  "http://127.0.0.1:$PORT$link")
location=$(tr -d '\r' <"$SCRATCH/link.headers" | sed -n 's/^[Ll]ocation: //p')
[[ $status == 307 && $location == "$MOTO_URL/$MOTO_BUCKET/erin/q4/report.bin?"* ]] ||
  die "the signed link answered $status, Location '$location'"
presigned_get "$location" -f -o "$SCRATCH/via-link" || die "the signed link's URL was refused"
cmp "$SCRATCH/nginx/www/report.bin" "$SCRATCH/via-link" || die "the signed link's bytes differ"
echo "bitflowd delivered into S3 and redirects its files there"
