#!/usr/bin/env bash
# bitflowd_s3.sh <bitflow-cli> <scratch> <bitflowd>: a user whose download location
# (PUT /settings) is s3://bucket/prefix/ gets an HTTP download from nginx delivered into
# moto_server (auth mode, SigV4 checked), byte-identical and not also in the local folder;
# the server's S3 settings come from its AWS_* environment. Skips where moto is absent.
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
status=$(call -o "$SCRATCH/file.json" -w '%{http_code}' "http://127.0.0.1:$PORT/downloads/$id/files/0")
[[ $status == 409 && $(jq -r .error.code "$SCRATCH/file.json") == in_s3 ]] ||
  die "GET of a file delivered to S3: $status $(cat "$SCRATCH/file.json")"
echo "bitflowd delivered into S3"
