#!/usr/bin/env bash
# Integration (test infrastructure): the tracker launchers of tests/trackers/ and every
# mode of bad_tracker.py behave as tracker_real.sh and tracker_hostile.sh assume. Checked
# with curl and probe.py (a small BEP 15 client), without bitflow, so that a failure
# there can be told apart from a bug in the test tools.
#
# usage: tracker_selftest.sh <bitflow-cli> <scratch-dir>   (the CLI is not used)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../trackers/trackers.sh
source "$INTEGRATION_DIR/../trackers/trackers.sh"

init "$@"
require_python
require_tool curl
trap stop_trackers EXIT

probe() {
  "$SYSTEM_PYTHON" "$TRACKERS_DIR/probe.py" "$@"
}

# json_field <json text> <key>
json_field() {
  "$SYSTEM_PYTHON" -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])[sys.argv[2]]))' "$1" "$2"
}

# expect_eq <label> <actual> <expected>
expect_eq() {
  [[ $2 == "$3" ]] || die "$1: got '$2', expected '$3'"
}

# Two swarms seen through the UDP port, and the first one through HTTP too.
HASH_A=0123456789abcdef0123456789abcdef01234567
HASH_B=fedcba9876543210fedcba9876543210fedcba98
PEER_A=-BF0001-AAAAAAAAAAAA
PEER_B=2d4246303030322d424242424242424242424242 # "-BF0002-BBBBBBBBBBBB" in hex

# check_swarm_udp <name> <port> <hash>: A (seeder, 6881) and B (leecher, 6882) meet,
# then A leaves; the scrape counts follow.
check_swarm_udp() {
  local name=$1 port=$2 hash=$3 reply
  probe udp-announce "$port" "$hash" "$PEER_A" 6881 started 0 >/dev/null ||
    die "$name: UDP announce of A failed"
  reply=$(probe udp-announce "$port" "$hash" "$PEER_B" 6882 started 1000) ||
    die "$name: UDP announce of B failed"
  [[ $(json_field "$reply" peers) == *'"127.0.0.1:6881"'* ]] ||
    die "$name: B does not see A over UDP: $reply"
  expect_eq "$name: UDP seeders" "$(json_field "$reply" seeders)" 1
  expect_eq "$name: UDP leechers" "$(json_field "$reply" leechers)" 1
  reply=$(probe udp-scrape "$port" "$hash") || die "$name: UDP scrape failed"
  expect_eq "$name: UDP scrape seeders" "$(json_field "$reply" seeders)" 1
  expect_eq "$name: UDP scrape leechers" "$(json_field "$reply" leechers)" 1
  probe udp-announce "$port" "$hash" "$PEER_A" 6881 stopped 0 >/dev/null ||
    die "$name: UDP stop of A failed"
  reply=$(probe udp-announce "$port" "$hash" "$PEER_B" 6882 none 1000) ||
    die "$name: UDP re-announce of B failed"
  [[ $(json_field "$reply" peers) != *'"127.0.0.1:6881"'* ]] ||
    die "$name: B still sees A after A stopped: $reply"
  step "$name: UDP swarm works (announce, scrape, stopped)"
}

# http_get <url> <body file>: prints curl's exit status and the HTTP status, e.g. "0 200".
http_get() {
  local status=0 code
  code=$(curl -sS -m "${CURL_LIMIT:-5}" -o "$2" -w '%{http_code}' "${@:3}" "$1" 2>/dev/null) || status=$?
  echo "$status $code"
}

step "opentracker"
if have_tool opentracker; then
  start_opentracker "$SCRATCH/opentracker" "$HASH_A" "$HASH_B" || die "opentracker did not start"
  check_swarm_udp opentracker "$OPENTRACKER_PORT" "$HASH_B"
  url="http://127.0.0.1:$OPENTRACKER_PORT/announce?info_hash=$(_percent_encode "$HASH_A")&peer_id=$PEER_A&port=6881&uploaded=0&downloaded=0&left=0&event=started&compact=1"
  expect_eq "opentracker HTTP announce" "$(http_get "$url" "$SCRATCH/body")" "0 200"
  grep -q '5:peers6:' "$SCRATCH/body" || die "opentracker HTTP announce: $(cat -v "$SCRATCH/body")"
  # Not in the whitelist: refused (HTTP) or a truncated 8-byte reply (UDP, see TESTING.md).
  url="http://127.0.0.1:$OPENTRACKER_PORT/announce?info_hash=$(_percent_encode 1111111111111111111111111111111111111111)&peer_id=$PEER_A&port=6881&uploaded=0&downloaded=0&left=0&compact=1"
  http_get "$url" "$SCRATCH/body" >/dev/null
  grep -q 'failure reason' "$SCRATCH/body" || die "opentracker accepts a hash it was not given"
  stop_tracker "$OPENTRACKER_PID"
  kill -0 "$OPENTRACKER_PID" 2>/dev/null && die "opentracker still runs after stop_tracker"
  step "opentracker: HTTP announce, whitelist and stop work"
else
  step "opentracker is not installed: not checked"
fi

step "bittorrent-tracker"
if have_tool node && have_tool npm; then
  # A skip (no npm registry) must not end the self-test: run it in a subshell first. Any
  # other way of not starting is a failure.
  status=0
  (start_bittorrent_tracker "$SCRATCH/bt-probe" >/dev/null && stop_trackers) || status=$?
  [[ $status -eq 0 || $status -eq $SKIP_STATUS ]] || die "bittorrent-tracker did not start"
  if [[ $status -eq 0 ]]; then
    start_bittorrent_tracker "$SCRATCH/bittorrent-tracker" || die "bittorrent-tracker did not start"
    check_swarm_udp bittorrent-tracker "$BT_TRACKER_PORT" "$HASH_B"
    url="http://127.0.0.1:$BT_TRACKER_PORT/announce?info_hash=$(_percent_encode "$HASH_A")&peer_id=$PEER_A&port=6881&uploaded=0&downloaded=0&left=0&event=started&compact=1"
    expect_eq "bittorrent-tracker HTTP announce" "$(http_get "$url" "$SCRATCH/body")" "0 200"
    grep -q '5:peers6:' "$SCRATCH/body" ||
      die "bittorrent-tracker HTTP announce: $(cat -v "$SCRATCH/body")"
    stop_tracker "$BT_TRACKER_PID"
    step "bittorrent-tracker: HTTP announce and stop work"
  else
    step "bittorrent-tracker could not be installed (see above): not checked"
  fi
else
  step "node/npm are not installed: bittorrent-tracker not checked"
fi

BAD="$SCRATCH/bad"

# with_bad <mode>: starts a bad tracker; HTTP=base URL, UDP=port.
with_bad() {
  start_bad_tracker "$BAD" "$1" >/dev/null || die "bad_tracker $1 did not start"
  HTTP="http://127.0.0.1:$BAD_TRACKER_HTTP_PORT"
  UDP=$BAD_TRACKER_UDP_PORT
}

QUERY="info_hash=$(_percent_encode "$HASH_A")&peer_id=$PEER_A&port=6881&uploaded=0&downloaded=0&left=0&compact=1"
body="$SCRATCH/body"

with_bad ok
expect_eq "ok: HTTP" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
expect_eq "ok: HTTP body" "$(od -An -c "$body" | tr -s ' \n' ' ')" \
  " d 8 : c o m p l e t e i 1 e 1 0 : i n c o m p l e t e i 3 e 8 : i n t e r v a l i 9 0 0 e 1 2 : m i n i n t e r v a l i 6 0 e 5 : p e e r s 6 : 177 \0 \0 002 032 341 e "
expect_eq "ok: HTTP scrape" "$(http_get "$HTTP/scrape?info_hash=$(_percent_encode "$HASH_A")" "$body")" "0 200"
grep -q 'd8:completei1e10:downloadedi2e10:incompletei3ee' "$body" || die "ok: HTTP scrape: $(cat -v "$body")"
reply=$(probe udp-announce "$UDP" "$HASH_A" "$PEER_A" 6881 started 0) || die "ok: UDP announce failed"
expect_eq "ok: UDP announce" "$reply" \
  '{"action": 1, "interval": 900, "leechers": 3, "seeders": 1, "peers": ["127.0.0.2:6881"]}'
reply=$(probe udp-scrape "$UDP" "$HASH_A") || die "ok: UDP scrape failed"
expect_eq "ok: UDP scrape" "$reply" '{"seeders": 1, "completed": 2, "leechers": 3}'
grep -q 'UDP request action 2' "$BAD_TRACKER_LOG" || die "ok: the log misses the UDP scrape"
grep -q 'HTTP request GET /announce (1 info_hash)' "$BAD_TRACKER_LOG" || die "ok: the log misses the HTTP announce"
stop_tracker "$BAD_TRACKER_PID"
step "bad_tracker ok: HTTP and UDP answer correctly"

# --- HTTP modes ---
with_bad garbage
expect_eq "garbage" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
grep -q '^<html>' "$body" || die "garbage: $(cat -v "$body")"
stop_tracker "$BAD_TRACKER_PID"

with_bad truncated
expect_eq "truncated" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
expect_eq "truncated: body" "$(cat "$body")" "d8:completei1e10:incompletei3e8:interval"
stop_tracker "$BAD_TRACKER_PID"

with_bad huge
# curl stops at 1 MiB (exit 63) when it knows the length beforehand; read 2 MiB by hand.
expect_eq "huge" "$(http_get "$HTTP/announce?$QUERY" "$body" --max-filesize 1048576)" "63 200"
curl -sS -m 5 "$HTTP/announce?$QUERY" 2>/dev/null | head -c 2097152 >"$body" || true
expect_eq "huge: first 2 MiB" "$(stat -c %s "$body")" 2097152
for _ in $(seq 50); do
  grep -q 'hung up after' "$BAD_TRACKER_LOG" && break
  sleep 0.1
done
grep -q 'hung up after' "$BAD_TRACKER_LOG" || die "huge: the log does not show the hang-up"
stop_tracker "$BAD_TRACKER_PID"

with_bad slow
SECONDS=0
expect_eq "slow" "$(CURL_LIMIT=2 http_get "$HTTP/announce?$QUERY" "$body")" "28 000"
((SECONDS <= 4)) || die "slow: curl -m 2 took $SECONDS s"
stop_tracker "$BAD_TRACKER_PID"

with_bad slow_body
expect_eq "slow_body" "$(CURL_LIMIT=2 http_get "$HTTP/announce?$QUERY" "$body")" "28 200"
stop_tracker "$BAD_TRACKER_PID"

with_bad failure
expect_eq "failure" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
expect_eq "failure: body" "$(cat "$body")" "d14:failure reason19:bad_tracker says noe"
stop_tracker "$BAD_TRACKER_PID"

with_bad redirect_loop
expect_eq "redirect_loop" "$(http_get "$HTTP/announce?$QUERY" "$body" -L --max-redirs 5)" "47 302"
[[ $(grep -c 'HTTP request GET /announce' "$BAD_TRACKER_LOG") -eq 6 ]] ||
  die "redirect_loop: expected 6 requests in the log"
stop_tracker "$BAD_TRACKER_PID"

with_bad bad_peers
expect_eq "bad_peers" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
grep -q '5:peers7:' "$body" || die "bad_peers: $(cat -v "$body")"
stop_tracker "$BAD_TRACKER_PID"

with_bad status_500
expect_eq "status_500" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 500"
stop_tracker "$BAD_TRACKER_PID"

with_bad wrong_type
expect_eq "wrong_type" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
expect_eq "wrong_type: body" "$(cat "$body")" "d8:intervali900e5:peersi42ee"
stop_tracker "$BAD_TRACKER_PID"

with_bad empty
expect_eq "empty" "$(http_get "$HTTP/announce?$QUERY" "$body")" "0 200"
[[ ! -s $body ]] || die "empty: the body is not empty"
stop_tracker "$BAD_TRACKER_PID"
step "bad_tracker HTTP modes behave as documented"

# --- UDP modes ---
TXID=01020304
CONNECT="000004172710198000000000$TXID" # protocol id, action 0 (connect), transaction id

with_bad garbage
expect_eq "UDP garbage" "$(probe udp-raw "$UDP" "$CONNECT")" "$(printf 'this is not BEP 15!!' | od -An -tx1 | tr -d ' \n')"
stop_tracker "$BAD_TRACKER_PID"

with_bad truncated
reply=$(probe udp-raw "$UDP" "$CONNECT")
expect_eq "UDP truncated: length" "${#reply}" 24
expect_eq "UDP truncated: header" "${reply:0:16}" "00000000$TXID"
stop_tracker "$BAD_TRACKER_PID"

with_bad wrong_txid
reply=$(probe udp-raw "$UDP" "$CONNECT")
expect_eq "UDP wrong_txid: length" "${#reply}" 32
expect_eq "UDP wrong_txid: action" "${reply:0:8}" 00000000
[[ ${reply:8:8} != "$TXID" ]] || die "UDP wrong_txid: the transaction id is right"
probe udp-announce "$UDP" "$HASH_A" "$PEER_A" 6881 started 0 >/dev/null 2>&1 &&
  die "UDP wrong_txid: probe.py accepted the replies"
stop_tracker "$BAD_TRACKER_PID"

with_bad error
reply=$(probe udp-raw "$UDP" "$CONNECT")
expect_eq "UDP error" "$reply" "00000003$TXID$(printf 'bad_tracker says no' | od -An -tx1 | tr -d ' \n')"
stop_tracker "$BAD_TRACKER_PID"

with_bad silent
expect_eq "UDP silent" "$(probe udp-raw "$UDP" "$CONNECT")" timeout
grep -q 'UDP request action 0' "$BAD_TRACKER_LOG" || die "UDP silent: the request is not in the log"
stop_tracker "$BAD_TRACKER_PID"

with_bad huge
err=$(probe udp-announce "$UDP" "$HASH_A" "$PEER_A" 6881 started 0 2>&1 >/dev/null) &&
  die "UDP huge: probe.py accepted the reply"
[[ $err == *"bad announce reply (65001 bytes)"* ]] || die "UDP huge: $err"
stop_tracker "$BAD_TRACKER_PID"
step "bad_tracker UDP modes behave as documented"

# The lifetime: even with a client stuck in 'slow', it exits by itself.
"$SYSTEM_PYTHON" "$TRACKERS_DIR/bad_tracker.py" slow "$BAD/lifetime.ports" 2 2>"$BAD/lifetime.log" &
pid=$!
for _ in $(seq 50); do
  [[ -s $BAD/lifetime.ports ]] && break
  sleep 0.1
done
read -r port _ <"$BAD/lifetime.ports"
curl -sS -m 10 "http://127.0.0.1:$port/announce" >/dev/null 2>&1 &
curl_pid=$!
SECONDS=0
status=0
wait "$pid" || status=$?
expect_eq "lifetime: exit status" "$status" 0
((SECONDS <= 4)) || die "lifetime: bad_tracker.py with lifetime 2 ran $SECONDS s"
wait "$curl_pid" || true
step "bad_tracker exits by itself at the end of its lifetime"

echo "PASS: tracker launchers and bad_tracker.py"
