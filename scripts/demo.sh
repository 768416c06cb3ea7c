#!/usr/bin/env bash
# The demo, offline — the download service: builds bitflowd and the bitflow client, starts on 127.0.0.1
# a bitflow seeder for a sample album and nginx serving a sample video, starts bitflowd
# with a temporary data folder, creates a user, adds the album (as a magnet link) and the
# video (as a URL) through the REST API with curl, waits for both to complete, checks the
# files byte for byte, and prints the API's address and the user's token. bitflowd then
# keeps running until Ctrl-C (or stops at once with BITFLOWD_DEMO_EXIT=1).
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh

build=${BUILD_ROOT:-.}/build
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target bitflow_cli bitflowd >/dev/null
bitflow=$build/examples/bitflow
bitflowd=$build/src/daemon/bitflowd

work=$(mktemp -d)
# shellcheck source=../tests/servers/servers.sh
source tests/servers/servers.sh
trap 'stop_servers; rm -rf "$work"' EXIT

echo "== sample data: an album to seed, a video to serve"
mkdir -p "$work/album"
head -c 3000000 /dev/urandom >"$work/album/01 - intro.flac"
head -c 2000000 /dev/urandom >"$work/album/02 - theme.flac"
"$bitflow" create "$work/album" -o "$work/album.torrent" --comment "bitflowd demo" >/dev/null 2>&1
start_nginx "$work/nginx"
head -c 4000000 /dev/urandom >"$work/nginx/www/holiday.mp4"

echo "== a bitflow seeder for the album"
"$bitflow" seed "$work/album.torrent" "$work/album" --no-trackers --port 0 --listen 127.0.0.1 \
  >"$work/seed.log" 2>&1 </dev/null &
_SERVER_PIDS+=("$!")
seed_port=''
for _ in $(seq 100); do
  seed_port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$work/seed.log")
  [[ -z $seed_port ]] || break
  sleep 0.1 # poll interval of a deadline-bounded wait (10 s)
done
[[ -n $seed_port ]] || { echo "the seeder did not start: $(cat "$work/seed.log")" >&2; exit 1; }

echo "== bitflowd"
data=$work/bitflowd
token=$("$bitflowd" user add demo --tier pro --data-dir "$data" 2>/dev/null)
port=$(/usr/bin/python3 tests/trackers/probe.py free-port)
"$bitflowd" --data-dir "$data" --listen "127.0.0.1:$port" --peer-listen 127.0.0.1:0 \
  --peer "127.0.0.1:$seed_port" --no-trackers --disk-reserve 0 >"$work/bitflowd.log" 2>&1 </dev/null &
_SERVER_PIDS+=("$!")
api=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -sf "$api/healthz" >/dev/null && break
  sleep 0.1 # poll interval of a deadline-bounded wait (10 s)
done
curl -sf "$api/healthz" >/dev/null || { echo "bitflowd did not start: $(cat "$work/bitflowd.log")" >&2; exit 1; }

hash=$("$bitflow" info --json "$work/album.torrent" | jq -r .info_hash)
add() {
  curl -s -H "Authorization: Bearer $token" -d "{\"url\": \"$1\"}" "$api/downloads" | jq -r .id
}
echo "== POST /downloads: the album's magnet link and the video's URL"
album=$(add "magnet:?xt=urn:btih:$hash&dn=album")
video=$(add "$NGINX_URL/holiday.mp4")
for id in "$album" "$video"; do
  for _ in $(seq 600); do
    state=$(curl -s -H "Authorization: Bearer $token" "$api/downloads/$id" | jq -r .state)
    [[ $state != completed && $state != failed ]] || break
    sleep 0.1 # poll interval of a deadline-bounded wait (60 s)
  done
  curl -s -H "Authorization: Bearer $token" "$api/downloads/$id" |
    jq -r '"   \(.name): \(.state), \(.bytes_done) bytes"'
done
cmp "$work/album/01 - intro.flac" "$data/files/demo/album/01 - intro.flac"
cmp "$work/album/02 - theme.flac" "$data/files/demo/album/02 - theme.flac"
cmp "$work/nginx/www/holiday.mp4" "$data/files/demo/holiday.mp4"
echo "   both landed in $data/files/demo/, byte for byte"

echo
echo "bitflowd is at $api (docs/API.md); the demo user's token:"
echo "   $token"
echo "open the web page at $api/ and log in with that token"
echo "try: curl -H 'Authorization: Bearer $token' $api/downloads"
[[ ${BITFLOWD_DEMO_EXIT:-} == 1 ]] && exit 0
echo "Ctrl-C stops it."
wait
