#!/usr/bin/env bash
# webhooks.sh <bitflow-cli> <scratch> <manager_events>: signed webhooks of the download
# manager against a receiver that checks them itself (tests/servers/webhook_receiver.py:
# Python's hmac recomputes every signature). examples/manager_events downloads a file from
# nginx with its webhook's receiver down, so the deliveries fail and are retried; once the
# receiver is up it gets added, started and finished, in order, signed. Then a kill -9 of
# the manager after a download finished but before its deliveries got through: run again
# on the same database (no sources) it delivers them. Only 127.0.0.1; bounded waits.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
EVENTS=${3:?usage: webhooks.sh <bitflow-cli> <scratch> <manager_events>}
[[ -x $EVENTS ]] || die "manager_events not found: $EVENTS"
[[ -x $SYSTEM_PYTHON ]] || missing "$SYSTEM_PYTHON"

MANAGER_PID=
RECEIVER_PID=
cleanup() {
  [[ -z $MANAGER_PID ]] || kill -9 "$MANAGER_PID" 2>/dev/null || true
  stop_receiver
  stop_servers
}
trap cleanup EXIT

start_nginx "$SCRATCH/nginx" || die "nginx did not start"
random_file "$SCRATCH/nginx/www/first.bin" 300001
random_file "$SCRATCH/nginx/www/second.bin" 200003

SECRET="webhook secret $RANDOM"
HOOK_PORT=$(_server_probe free-port) || die "no free port"
HOOK_URL=http://127.0.0.1:$HOOK_PORT/hooks/bitflow
RECEIVED=$SCRATCH/received.jsonl
: >"$RECEIVED"

start_receiver() {
  "$SERVERS_PYTHON" "$HERE/../servers/webhook_receiver.py" "$HOOK_PORT" "$SECRET" "$RECEIVED" \
    2>"$SCRATCH/receiver.err" &
  RECEIVER_PID=$!
  _wait_for_port "$HOOK_PORT" "$RECEIVER_PID" webhook_receiver || die "the receiver did not start"
}
stop_receiver() {
  [[ -n $RECEIVER_PID ]] || return 0
  kill "$RECEIVER_PID" 2>/dev/null || true
  wait "$RECEIVER_PID" 2>/dev/null || true
  RECEIVER_PID=
}

# wait_for_line <file> <regex> <seconds> <what>: until a line of <file> matches, while the
# manager runs.
wait_for_line() {
  local deadline=$((SECONDS + $3))
  until grep -Eq "$2" "$1"; do
    ((SECONDS < deadline)) || die "$4 within $3 s: $(cat "$1")"
    kill -0 "$MANAGER_PID" 2>/dev/null || die "manager_events exited before $4: $(cat "$1" "$1.err")"
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
}

# start_manager <log> <args...>: manager_events in the background as $MANAGER_PID.
start_manager() {
  local log=$1
  shift
  "$EVENTS" "$@" >"$log" 2>"$log.err" </dev/null &
  MANAGER_PID=$!
}

# wait_manager <log> <seconds>: until manager_events exits, which must be with status 0.
wait_manager() {
  local deadline=$((SECONDS + $2)) status=0
  while kill -0 "$MANAGER_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || die "manager_events still runs after $2 s: $(cat "$1")"
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
  wait "$MANAGER_PID" || status=$?
  MANAGER_PID=
  ((status == 0)) || die "manager_events exited $status: $(cat "$1" "$1.err")"
}

# check_received <download id>: the receiver got exactly added, started, finished for that
# download, in that order, each with a valid signature and headers, each a delivery of its
# own.
check_received() {
  "$SYSTEM_PYTHON" - "$RECEIVED" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
bad = [l for l in lines if not l["ok"]]
if bad:
    sys.exit(f"deliveries the receiver rejected: {bad}")
mine = [l for l in lines if l["download"] == sys.argv[2]]
events = [l["event"] for l in mine]
if events != ["added", "started", "finished"]:
    sys.exit(f"events received for {sys.argv[2]}: {events}")
if len({l["delivery"] for l in mine}) != 3:
    sys.exit(f"delivery ids are not unique: {mine}")
if mine[-1]["state"] != "completed":
    sys.exit(f"the finished event's download is {mine[-1]['state']}")
PY
}

download_id() {
  awk '$1 == "finished" {print $2}' "$1" | head -n 1
}

COMMON=(--owner alice --webhook "$HOOK_URL" --webhook-secret "$SECRET"
  --webhook-events "added,started,finished")

step "the receiver is down while the download runs: deliveries fail, are retried, then arrive"
start_manager "$SCRATCH/first.log" --db "$SCRATCH/first.db" --work "$SCRATCH/work1" \
  --to "$SCRATCH/final1" "${COMMON[@]}" --webhook-retry-ms 200 "$NGINX_URL/first.bin"
wait_for_line "$SCRATCH/first.log" '^finished ' 30 "the download did not finish"
wait_for_line "$SCRATCH/first.log" '^delivery-failed added .* 2 ' 30 \
  "the first delivery was not retried"
[[ ! -s $RECEIVED ]] || die "the receiver was down, yet it logged: $(cat "$RECEIVED")"
start_receiver
wait_manager "$SCRATCH/first.log" 60
cmp "$SCRATCH/nginx/www/first.bin" "$SCRATCH/final1/first.bin" || die "first.bin differs"
id=$(download_id "$SCRATCH/first.log")
check_received "$id" || die "what the receiver got: $(cat "$RECEIVED")"
[[ $(grep -c '^delivered ' "$SCRATCH/first.log") == 3 ]] ||
  die "manager_events did not report 3 deliveries: $(cat "$SCRATCH/first.log")"
grep -q 'connect\|refused\|Couldn' "$SCRATCH/first.log" ||
  die "the failed attempts do not say why: $(grep delivery-failed "$SCRATCH/first.log")"

step "kill -9 after the download, before its deliveries: a restart on the same database delivers"
stop_receiver
: >"$RECEIVED"
start_manager "$SCRATCH/second.log" --db "$SCRATCH/second.db" --work "$SCRATCH/work2" \
  --to "$SCRATCH/final2" "${COMMON[@]}" --webhook-retry-ms 300 "$NGINX_URL/second.bin"
wait_for_line "$SCRATCH/second.log" '^finished ' 30 "the download did not finish"
kill -9 "$MANAGER_PID"
wait "$MANAGER_PID" 2>/dev/null || true
MANAGER_PID=
! grep -q '^delivered ' "$SCRATCH/second.log" || die "delivered with the receiver down?"
start_receiver
start_manager "$SCRATCH/again.log" --db "$SCRATCH/second.db" --work "$SCRATCH/work2" \
  --to "$SCRATCH/final2" "${COMMON[@]}" --webhook-retry-ms 300
wait_manager "$SCRATCH/again.log" 60
cmp "$SCRATCH/nginx/www/second.bin" "$SCRATCH/final2/second.bin" || die "second.bin differs"
id=$(download_id "$SCRATCH/second.log")
check_received "$id" || die "what the receiver got after the restart: $(cat "$RECEIVED")"
[[ $(grep -c '^delivered ' "$SCRATCH/again.log") == 3 ]] ||
  die "the restarted manager did not report 3 deliveries: $(cat "$SCRATCH/again.log")"
echo "webhooks: signed deliveries retried until the receiver came up, and kept across kill -9"
