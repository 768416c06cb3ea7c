#!/usr/bin/env bash
# bitflowd_api.sh <bitflow-cli> <scratch> <bitflowd>: bitflowd's REST API against a running
# server on 127.0.0.1 with curl — tokens (401), Host (421), user isolation (404), an HTTP
# download from nginx and a magnet from a bitflow seeder completed into DIR/files/<user>/,
# filters, the free tier's one-at-a-time queue (throttled nginx), pause/resume, delete,
# history and its clearing, the SSE stream and its Last-Event-ID replay, kill -9 and a
# restart that keeps the queue (same order) and the history, 413 and 400; a completed
# file served whole and by Range (206/416); /inspect of a .torrent URL and an add of one
# of its files; a .torrent uploaded as multipart/form-data; a tier's size cap; a user's
# download location from PUT /settings.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
BITFLOWD=${3:?usage: bitflowd_api.sh <bitflow-cli> <scratch> <bitflowd>}
[[ -x $BITFLOWD ]] || die "bitflowd not found: $BITFLOWD"
require_tool curl
require_tool jq

trap stop_servers EXIT
# /slow/ at 64 KiB/s per connection: a free user's 2 MiB downloads stay running for the
# whole queue check; the fast files come from /.
NGINX_RATE=64k start_nginx "$SCRATCH/nginx" || die "nginx did not start"
www=$SCRATCH/nginx/www
random_file "$www/video.mp4" $((3 * 1024 * 1024 + 7))
for i in 1 2 3; do random_file "$www/slow$i.bin" $((2 * 1024 * 1024)); done

data=$SCRATCH/data/album
random_file "$data/big.bin" $((2 * 1024 * 1024 + 123))
random_file "$data/notes.txt" 5000
"$BITFLOW" create "$data" -o "$SCRATCH/album.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
hash=$("$BITFLOW" info --json "$SCRATCH/album.torrent" | jq -r .info_hash)
# A second torrent, served as a .torrent URL, for picking files: the session refuses a
# torrent it already has (the album, seeding after its download).
pick=$SCRATCH/data/pick
random_file "$pick/big.bin" $((1024 * 1024 + 5))
random_file "$pick/notes.txt" 3000
"$BITFLOW" create "$pick" -o "$www/pick.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$www/pick.torrent" "$pick" "$SCRATCH/seed2.log"
SEED2_PORT=$SEED_PORT
# A third, uploaded as a .torrent file (multipart/form-data).
up=$SCRATCH/data/up
random_file "$up/one.bin" $((512 * 1024 + 3))
random_file "$up/two.txt" 777
"$BITFLOW" create "$up" -o "$SCRATCH/up.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$SCRATCH/up.torrent" "$up" "$SCRATCH/seed3.log"
SEED3_PORT=$SEED_PORT
start_bitflow_seed "$SCRATCH/album.torrent" "$data" "$SCRATCH/seed.log"

D=$SCRATCH/bitflowd
"$BITFLOWD" tier set free --parallel 1 --data-dir "$D" >/dev/null 2>&1 || die "tier set failed"
ALICE=$("$BITFLOWD" user add alice --tier pro --data-dir "$D" 2>/dev/null) || die "user add alice failed"
BOB=$("$BITFLOWD" user add bob --data-dir "$D" 2>/dev/null) || die "user add bob failed"
"$BITFLOWD" tier set tiny --parallel 2 --max-size 1M --data-dir "$D" >/dev/null 2>&1 || die "tier set tiny failed"
CAROL=$("$BITFLOWD" user add carol --tier tiny --data-dir "$D" 2>/dev/null) || die "user add carol failed"
"$BITFLOWD" user add dave --tier nosuch --data-dir "$D" >/dev/null 2>&1 && die "a user was put in an unknown tier"
[[ $ALICE == bf_* && $BOB == bf_* && $ALICE != "$BOB" ]] || die "tokens: '$ALICE' '$BOB'"
"$BITFLOWD" user list --data-dir "$D" | grep -q "^bob" || die "user list does not show bob"
"$BITFLOWD" user add bob --data-dir "$D" >/dev/null 2>&1 && die "a second bob was added"

PORT=$(_server_probe free-port)
BASE=http://127.0.0.1:$PORT
BITFLOWD_PID=

# start_daemon: bitflowd in the background, until it listens (10 s at most).
start_daemon() {
  local log=$SCRATCH/bitflowd.$SECONDS.log deadline=$((SECONDS + 10))
  "$BITFLOWD" --data-dir "$D" --listen "127.0.0.1:$PORT" --peer-listen 127.0.0.1:0 \
    --peer "127.0.0.1:$SEED_PORT" --peer "127.0.0.1:$SEED2_PORT" --peer "127.0.0.1:$SEED3_PORT" --no-trackers --disk-reserve 0 --max-body 64k \
    >"$log" 2>&1 </dev/null &
  BITFLOWD_PID=$!
  _SERVER_PIDS+=("$BITFLOWD_PID")
  until grep -q "listening on" "$log"; do
    kill -0 "$BITFLOWD_PID" 2>/dev/null || die "bitflowd exited: $(cat "$log")"
    ((SECONDS < deadline)) || die "bitflowd did not listen within 10 s: $(cat "$log")"
    sleep 0.05 # poll interval of a deadline-bounded wait
  done
}

# api TOKEN METHOD PATH [BODY]: the response body in $OUT, the status in $STATUS.
api() {
  local token=$1 method=$2 path=$3 body=${4-}
  local args=(-s -o "$SCRATCH/out.json" -w '%{http_code}' -X "$method" --max-time 30)
  [[ -z $token ]] || args+=(-H "Authorization: Bearer $token")
  [[ -z $body ]] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
  STATUS=$(curl "${args[@]}" "$BASE$path") || die "curl $method $path failed"
  OUT=$(cat "$SCRATCH/out.json")
}

# expect STATUS: the last call's status, or a failure showing the body.
expect() {
  [[ $STATUS == "$1" ]] || die "expected $1, got $STATUS: $OUT"
}

# state_of TOKEN ID
state_of() {
  api "$1" GET "/downloads/$2"
  expect 200
  jq -r .state <<<"$OUT"
}

# wait_state TOKEN ID STATE SECONDS
wait_state() {
  local deadline=$((SECONDS + $4)) s
  while s=$(state_of "$1" "$2") && [[ $s != "$3" ]]; do
    [[ $s != failed ]] || die "download $2 failed: $(cat "$SCRATCH/out.json")"
    ((SECONDS < deadline)) || die "download $2 is $s, not $3, after $4 s: $(cat "$SCRATCH/out.json")"
    sleep 0.1 # poll interval of a deadline-bounded wait
  done
}

# wait_for_text FILE TEXT SECONDS
wait_for_text() {
  local deadline=$((SECONDS + $3))
  until grep -qF -- "$2" "$1"; do
    ((SECONDS < deadline)) || die "'$2' did not appear in $1 within $3 s: $(cat "$1")"
    sleep 0.1 # poll interval of a deadline-bounded wait
  done
}

# wait_for_count FILE LINE N SECONDS: until FILE has N lines that are exactly LINE.
wait_for_count() {
  local deadline=$((SECONDS + $4))
  until (($(grep -cxF -- "$2" "$1" || true) == $3)); do
    ((SECONDS < deadline)) || die "$1 has not $3 lines '$2' within $4 s: $(cat "$1")"
    sleep 0.1 # poll interval of a deadline-bounded wait
  done
}

start_daemon

step "health without a token; everything else needs one (401), the Host is checked (421)"
api "" GET /healthz
expect 200
api "" GET /downloads
expect 401
[[ $(jq -r .error.code <<<"$OUT") == unauthorized ]] || die "401 body: $OUT"
curl -s -D - -o /dev/null "$BASE/downloads" | grep -qi '^WWW-Authenticate: Bearer' ||
  die "no WWW-Authenticate header on 401"
api "bf_not_a_token" GET /downloads
expect 401
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: rebind.example' "$BASE/healthz")
[[ $status == 421 ]] || die "a foreign Host header got $status"

step "bad bodies: 400 for malformed JSON and unknown fields, 413 past the cap"
api "$ALICE" POST /downloads '{"url": '
expect 400
[[ $(jq -r .error.code <<<"$OUT") == bad_request ]] || die "400 body: $OUT"
api "$ALICE" POST /downloads '{"url": "http://x/y", "colour": "red"}'
expect 400
[[ $(jq -r .error.message <<<"$OUT") == *colour* ]] || die "the 400 does not name the field: $OUT"
api "$ALICE" GET "/downloads?filter=someday"
expect 400
head -c $((200 * 1024)) /dev/zero | tr '\0' 'a' >"$SCRATCH/big.body"
status=$(curl -s -o "$SCRATCH/out.json" -w '%{http_code}' -H "Authorization: Bearer $ALICE" \
  --data-binary @"$SCRATCH/big.body" --max-time 30 "$BASE/downloads") || true
[[ $status == 413 ]] || die "a 200 KiB body got $status"

step "the event stream opens before the downloads"
curl -sN -H "Authorization: Bearer $ALICE" "$BASE/events" >"$SCRATCH/events1.txt" 2>/dev/null &
SSE_PID=$!
_SERVER_PIDS+=("$SSE_PID")
wait_for_text "$SCRATCH/events1.txt" ": keep-alive" 10

step "alice registers a webhook (its secret never shown again); bob cannot see or remove it"
HOOK_PORT=$(_server_probe free-port) || die "no free port"
HOOK_LOG=$SCRATCH/hooks.jsonl
"$SERVERS_PYTHON" "$HERE/../servers/webhook_receiver.py" "$HOOK_PORT" hook-secret "$HOOK_LOG" \
  2>"$SCRATCH/receiver.err" &
HOOK_PID=$!
_SERVER_PIDS+=("$HOOK_PID")
_wait_for_port "$HOOK_PORT" "$HOOK_PID" webhook_receiver || die "the webhook receiver did not start"
api "$ALICE" POST /webhooks "{\"url\": \"http://127.0.0.1:$HOOK_PORT/in\", \"secret\": \"hook-secret\", \"events\": [\"finished\"]}"
expect 201
HOOK_ID=$(jq -r .id <<<"$OUT")
api "$ALICE" GET /webhooks
expect 200
[[ $(jq -r '.webhooks[0].id' <<<"$OUT") == "$HOOK_ID" ]] || die "GET /webhooks: $OUT"
! grep -q hook-secret <<<"$OUT" || die "GET /webhooks shows the secret: $OUT"
api "$BOB" DELETE "/webhooks/$HOOK_ID"
expect 404
api "$ALICE" POST /webhooks '{"url": "file:///etc/passwd", "secret": "x"}'
expect 400

step "alice adds an HTTP download from nginx and a magnet from a seeder; both complete"
api "$ALICE" POST /downloads "{\"url\": \"$NGINX_URL/video.mp4\"}"
expect 201
HTTP_ID=$(jq -r .id <<<"$OUT")
api "$ALICE" POST /downloads "{\"url\": \"magnet:?xt=urn:btih:$hash&dn=album\", \"destination\": \"music\"}"
expect 201
MAGNET_ID=$(jq -r .id <<<"$OUT")
wait_state "$ALICE" "$HTTP_ID" completed 60
wait_state "$ALICE" "$MAGNET_ID" completed 60
cmp "$www/video.mp4" "$D/files/alice/video.mp4" || die "video.mp4 differs"
cmp "$data/big.bin" "$D/files/alice/music/album/big.bin" || die "album/big.bin differs"
cmp "$data/notes.txt" "$D/files/alice/music/album/notes.txt" || die "album/notes.txt differs"

step "the webhook received both 'finished' events, signed (the receiver checks the HMAC)"
deadline=$((SECONDS + 30))
until (($(grep -c '"event": "finished"' "$HOOK_LOG" 2>/dev/null || true) >= 2)); do
  ((SECONDS < deadline)) || die "the webhook did not get both finished events: $(cat "$HOOK_LOG" 2>/dev/null)"
  sleep 0.1 # poll interval of a deadline-bounded wait
done
! grep -q '"ok": false' "$HOOK_LOG" || die "a delivery failed the receiver's checks: $(cat "$HOOK_LOG")"
grep -q "\"download\": \"$HTTP_ID\"" "$HOOK_LOG" || die "no delivery for $HTTP_ID: $(cat "$HOOK_LOG")"
! grep -v '"event": "finished"' "$HOOK_LOG" | grep -q . || die "events outside the filter: $(cat "$HOOK_LOG")"
api "$ALICE" DELETE "/webhooks/$HOOK_ID"
expect 200

step "a completed file is served whole (200) and by ranges (206, 416), with its Content-Type"
curl -s -D "$SCRATCH/file.head" -o "$SCRATCH/file.whole" -H "Authorization: Bearer $ALICE" \
  "$BASE/downloads/$HTTP_ID/files/0" || die "GET the file failed"
cmp "$www/video.mp4" "$SCRATCH/file.whole" || die "the served file differs"
grep -qi '^Content-Type: video/mp4' "$SCRATCH/file.head" || die "Content-Type: $(cat "$SCRATCH/file.head")"
grep -qi '^Accept-Ranges: bytes' "$SCRATCH/file.head" || die "no Accept-Ranges: $(cat "$SCRATCH/file.head")"
status=$(curl -s -D "$SCRATCH/range.head" -o "$SCRATCH/file.part" -w '%{http_code}' -r 1000000-1000999 \
  -H "Authorization: Bearer $ALICE" "$BASE/downloads/$HTTP_ID/files/0")
[[ $status == 206 ]] || die "a range got $status"
cmp "$SCRATCH/file.part" <(tail -c +1000001 "$www/video.mp4" | head -c 1000) || die "the range's bytes differ"
grep -qi "^Content-Range: bytes 1000000-1000999/$((3 * 1024 * 1024 + 7))" "$SCRATCH/range.head" ||
  die "Content-Range: $(cat "$SCRATCH/range.head")"
status=$(curl -s -o /dev/null -w '%{http_code}' -r 999999999- -H "Authorization: Bearer $ALICE" \
  "$BASE/downloads/$HTTP_ID/files/0")
[[ $status == 416 ]] || die "a range past the end got $status"
api "$ALICE" POST "/downloads/$HTTP_ID/files/0/link" '{"minutes": 5}'
expect 201
link=$(jq -r .url <<<"$OUT")
status=$(curl -s -o "$SCRATCH/linked" -w '%{http_code}' -r 0-99 "$BASE$link")
[[ $status == 206 ]] || die "the signed link without a token got $status"
cmp "$SCRATCH/linked" <(head -c 100 "$www/video.mp4") || die "the linked bytes differ"
last=0
[[ $link != *0 ]] || last=1
status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE${link%?}$last")
[[ $status == 403 ]] || die "a link with another signature got $status"
status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE${link/files\/0/files/1}")
[[ $status == 403 ]] || die "a link moved to another file got $status"
api "$ALICE" GET "/downloads/$HTTP_ID/files/1"
expect 404
api "$BOB" GET "/downloads/$HTTP_ID/files/0"
expect 404

step "inspect a .torrent URL, then add it with one file picked"
api "$ALICE" POST /inspect "{\"url\": \"$NGINX_URL/pick.torrent\"}"
expect 200
[[ $(jq -r .type <<<"$OUT") == torrent && $(jq '.files | length' <<<"$OUT") == 2 ]] || die "inspect: $OUT"
notes_index=$(jq '.files[] | select(.path == "pick/notes.txt") | .index' <<<"$OUT")
[[ -n $notes_index ]] || die "inspect does not list pick/notes.txt: $OUT"
api "$ALICE" POST /downloads "{\"url\": \"$NGINX_URL/pick.torrent\", \"files\": [$notes_index], \"destination\": \"picked\"}"
expect 201
PICKED_ID=$(jq -r .id <<<"$OUT")
api "$ALICE" POST /downloads "{\"url\": \"$NGINX_URL/pick.torrent\", \"files\": [7]}"
expect 400
wait_state "$ALICE" "$PICKED_ID" completed 60
cmp "$pick/notes.txt" "$D/files/alice/picked/pick/notes.txt" || die "the picked notes.txt differs"
[[ ! -e $D/files/alice/picked/pick/big.bin ]] || die "big.bin was delivered though not picked"
api "$ALICE" POST /inspect '{"url": "http://127.0.0.1:1/nothing.iso"}'
expect 422

step "a .torrent uploaded as multipart/form-data is downloaded; a broken one is 400"
# upload FORM-ARGS...: POST /downloads with curl -F; the body in $OUT, the status in $STATUS.
upload() {
  STATUS=$(curl -s -o "$SCRATCH/out.json" -w '%{http_code}' --max-time 30 \
    -H "Authorization: Bearer $ALICE" "$@" "$BASE/downloads") || die "curl upload failed"
  OUT=$(cat "$SCRATCH/out.json")
}
upload -F "torrent=@$SCRATCH/up.torrent;type=application/x-bittorrent" -F "destination=uploaded"
expect 201
UP_ID=$(jq -r .id <<<"$OUT")
wait_state "$ALICE" "$UP_ID" completed 60
cmp "$up/one.bin" "$D/files/alice/uploaded/up/one.bin" || die "the uploaded torrent's one.bin differs"
cmp "$up/two.txt" "$D/files/alice/uploaded/up/two.txt" || die "the uploaded torrent's two.txt differs"
printf 'not a torrent' >"$SCRATCH/broken.torrent"
upload -F "torrent=@$SCRATCH/broken.torrent"
expect 400
[[ $(jq -r .error.code <<<"$OUT") == bad_torrent ]] || die "a broken upload: $OUT"
upload -F "torrent=@$SCRATCH/up.torrent" -F "files=[9]"
expect 400
upload -F "torrent=@$SCRATCH/up.torrent" -F "colour=red"
expect 400

step "a download over the tier's size cap fails, saying so"
api "$CAROL" POST /downloads "{\"url\": \"$NGINX_URL/slow/video.mp4\"}"
expect 201
CAPPED_ID=$(jq -r .id <<<"$OUT")
deadline=$((SECONDS + 30))
until [[ $(state_of "$CAROL" "$CAPPED_ID") == failed ]]; do
  ((SECONDS < deadline)) || die "the capped download did not fail: $(cat "$SCRATCH/out.json")"
  sleep 0.1 # poll interval of a deadline-bounded wait
done
message=$(jq -r .error.message "$SCRATCH/out.json")
[[ $message == *tiny* || $message == *1048576* || $message == *"1 MiB"* || $message == *1.0* ]] ||
  die "the failure does not name the cap: $message"
[[ ! -e $D/files/carol/video.mp4 ]] || die "the capped file was delivered"

step "bob sees none of alice's downloads (404, an empty list)"
api "$BOB" GET "/downloads/$HTTP_ID"
expect 404
api "$BOB" POST "/downloads/$HTTP_ID/pause"
expect 404
api "$BOB" POST /downloads/delete "{\"ids\": [\"$HTTP_ID\"]}"
expect 404
api "$BOB" GET /downloads
[[ $(jq '.downloads | length' <<<"$OUT") == 0 ]] || die "bob sees: $OUT"

step "filters: all four finished, none active"
api "$ALICE" GET "/downloads?filter=finished"
expect 200
want=$(jq -nc --arg a "$HTTP_ID" --arg b "$MAGNET_ID" --arg c "$PICKED_ID" --arg d "$UP_ID" '[$a, $b, $c, $d] | sort')
[[ $(jq -c '[.downloads[].id] | sort' <<<"$OUT") == "$want" ]] ||
  die "filter=finished: $OUT"
api "$ALICE" GET "/downloads?filter=active"
[[ $(jq '.downloads | length' <<<"$OUT") == 0 ]] || die "filter=active: $OUT"

step "the stream carried the events with ids; a reconnect with Last-Event-ID replays the rest"
# Four downloads of alice's finished: the stream has four finished events.
wait_for_count "$SCRATCH/events1.txt" "event: finished" 4 10
grep -q '^id: [0-9]*-[0-9]*$' "$SCRATCH/events1.txt" || die "events without ids: $(head -c 2000 "$SCRATCH/events1.txt")"
grep -q "^event: added$" "$SCRATCH/events1.txt" || die "no added event"
kill "$SSE_PID"
first_id=$(sed -n 's/^id: //p' "$SCRATCH/events1.txt" | head -n 1)
curl -sN -H "Authorization: Bearer $ALICE" -H "Last-Event-ID: $first_id" "$BASE/events" \
  >"$SCRATCH/events2.txt" 2>/dev/null &
SSE_PID=$!
_SERVER_PIDS+=("$SSE_PID")
wait_for_count "$SCRATCH/events2.txt" "event: finished" 4 10
grep -q "^id: $first_id\$" "$SCRATCH/events2.txt" && die "the replay repeated the event it resumed after"
[[ $(sed -n 's/^id: //p' "$SCRATCH/events2.txt" | head -n 1) == "${first_id%-*}-$((${first_id#*-} + 1))" ]] ||
  die "the replay does not start right after $first_id: $(head -n 3 "$SCRATCH/events2.txt")"
grep -q '"owner":"bob"' "$SCRATCH/events2.txt" && die "alice's stream carries bob's events"
kill "$SSE_PID"

step "bob (free tier, one at a time) adds three: one active, two queued"
SLOW_IDS=()
for i in 1 2 3; do
  api "$BOB" POST /downloads "{\"url\": \"$NGINX_URL/slow/slow$i.bin\"}"
  expect 201
  SLOW_IDS+=("$(jq -r .id <<<"$OUT")")
done
wait_state "$BOB" "${SLOW_IDS[0]}" downloading 20
api "$BOB" GET "/downloads?filter=active"
[[ $(jq -c '[.downloads[].id]' <<<"$OUT") == "[\"${SLOW_IDS[0]}\"]" ]] || die "active: $OUT"
api "$BOB" GET "/downloads?filter=queued"
[[ $(jq -c '[.downloads[].id]' <<<"$OUT") == "[\"${SLOW_IDS[1]}\",\"${SLOW_IDS[2]}\"]" ]] ||
  die "queued: $OUT"
api "$BOB" GET /metrics
expect 200
grep -q '^bitflowd_queue_length 2$' <<<"$OUT" || die "metrics: $OUT"

step "kill -9 and restart: the queue (in order) and alice's finished downloads are kept"
api "$BOB" GET /downloads
before=$(jq -c '[.downloads[].id]' <<<"$OUT")
kill -9 "$BITFLOWD_PID"
wait "$BITFLOWD_PID" 2>/dev/null || true
start_daemon
api "$BOB" GET /downloads
expect 200
[[ $(jq -c '[.downloads[].id]' <<<"$OUT") == "$before" ]] || die "after restart: $OUT, before: $before"
[[ $(state_of "$BOB" "${SLOW_IDS[1]}") == queued ]] || die "slow2 is not queued after the restart"
wait_state "$BOB" "${SLOW_IDS[0]}" downloading 20
api "$ALICE" GET "/downloads?filter=finished"
[[ $(jq '.downloads | length' <<<"$OUT") == 4 ]] || die "alice's downloads after restart: $OUT"

step "pause the active one: the next starts; resume queues it again"
api "$BOB" POST "/downloads/${SLOW_IDS[0]}/pause"
expect 200
[[ $(jq -r .state <<<"$OUT") == paused ]] || die "pause: $OUT"
wait_state "$BOB" "${SLOW_IDS[1]}" downloading 20
api "$BOB" POST "/downloads/${SLOW_IDS[0]}/pause"
expect 409
api "$BOB" POST "/downloads/${SLOW_IDS[0]}/resume"
expect 200
[[ $(jq -r .state <<<"$OUT") == queued ]] || die "resume: $OUT"

step "delete with data, then the history lists them until it is cleared"
api "$BOB" POST /downloads/delete "{\"ids\": [\"${SLOW_IDS[0]}\", \"${SLOW_IDS[1]}\", \"${SLOW_IDS[2]}\"], \"delete_data\": true}"
expect 200
for id in "${SLOW_IDS[@]}"; do
  [[ $(state_of "$BOB" "$id") == removed ]] || die "$id is not removed"
done
api "$BOB" GET /history
[[ $(jq '.downloads | length' <<<"$OUT") == 3 ]] || die "history: $OUT"
api "$BOB" DELETE /history
expect 200
[[ $(jq .cleared <<<"$OUT") == 3 ]] || die "clear: $OUT"
api "$BOB" GET /history
[[ $(jq '.downloads | length' <<<"$OUT") == 0 ]] || die "history after clearing: $OUT"
api "$ALICE" GET /history
[[ $(jq '.downloads | length' <<<"$OUT") == 4 ]] || die "bob's clearing touched alice's history: $OUT"

step "a user's download location (PUT /settings) is where their downloads land"
api "$ALICE" PUT /settings '{"download_location": "media"}'
expect 200
[[ $(jq -r .resolved_location <<<"$OUT") == "$D/files/alice/media" ]] || die "settings: $OUT"
api "$BOB" GET /settings
[[ $(jq -r .download_location <<<"$OUT") == null ]] || die "bob's settings: $OUT"
api "$ALICE" PUT /settings '{"download_location": "../../etc"}'
expect 400
api "$ALICE" POST /downloads "{\"url\": \"$NGINX_URL/video.mp4\", \"destination\": \"clips\"}"
expect 201
CLIP_ID=$(jq -r .id <<<"$OUT")
wait_state "$ALICE" "$CLIP_ID" completed 60
cmp "$www/video.mp4" "$D/files/alice/media/clips/video.mp4" || die "the clip differs"

step "SIGTERM stops bitflowd"
kill -TERM "$BITFLOWD_PID"
deadline=$((SECONDS + 20))
while kill -0 "$BITFLOWD_PID" 2>/dev/null; do
  ((SECONDS < deadline)) || die "bitflowd did not stop within 20 s of SIGTERM"
  sleep 0.1 # poll interval of a deadline-bounded wait
done
wait "$BITFLOWD_PID" || die "bitflowd exited with $? on SIGTERM"
echo "bitflowd's API behaves"
