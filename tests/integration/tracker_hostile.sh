#!/usr/bin/env bash
# Integration: `bitflow announce` against misbehaving trackers (tests/trackers/
# bad_tracker.py), one failure class per mode, over HTTP and UDP. Each must end with exit
# status 1 (not a crash, not a hang: well within 30 s with --timeout 5) and exactly one
# "bitflow: ..." line on stderr that names the problem; with --json, stdout holds nothing
# or a JSON object that marks the tracker as failed. The "ok" modes must work (exit 0,
# peer 127.0.0.2:6881), and one failing tracker next to a working one still gives exit 0
# with one error line.
#
# usage: tracker_hostile.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../trackers/trackers.sh
source "$INTEGRATION_DIR/../trackers/trackers.sh"

init "$@"
require_python
trap stop_trackers EXIT

# Every run passes --timeout 5; anything slower than TIME_LIMIT is a failure, anything
# slower than RUN_LIMIT a hang. After MAX_HANGS hangs the test gives up (ctest's timeout
# would strike otherwise).
TIME_LIMIT_MS=30000
RUN_LIMIT=35
MAX_HANGS=3
HANGS=0

# A wrong answer in one mode does not stop the test: every mode is tried, every problem
# is printed at once ("PROBLEM: ...") and summed up at the end.
PROBLEMS=()
problem() {
  echo "PROBLEM: $*" >&2
  PROBLEMS+=("$*")
  return 1
}
# The UDP retransmission base (BEP 15 says 15 s; tests make it short).
export BITFLOW_UDP_TIMEOUT_BASE_MS=200

announce_json() {
  "$SYSTEM_PYTHON" "$INTEGRATION_DIR/announce_json.py" "$@"
}

status=0
"$BITFLOW" announce --help >"$SCRATCH/tmp/help" 2>&1 || status=$?
if [[ $status -ne 0 ]] && grep -q "unknown command" "$SCRATCH/tmp/help"; then
  die "this bitflow has no 'announce' command: $(cat "$SCRATCH/tmp/help")"
fi

random_file "$SCRATCH/data.bin" 100000
TORRENT="$SCRATCH/hostile.torrent"
"$BITFLOW" create "$SCRATCH/data.bin" -o "$TORRENT" -t "http://127.0.0.1:1/announce" \
  --no-date >/dev/null 2>"$SCRATCH/tmp/create.err" ||
  die "bitflow create failed: $(cat "$SCRATCH/tmp/create.err")"
bitflow_json "$TORRENT" "$SCRATCH/hostile.info.json"
INFO_HASH=$(oracle field "$SCRATCH/hostile.info.json" info_hash)

RUNS=0
# run <label> <bitflow announce options...>: runs `bitflow announce $TORRENT --timeout 5
# <options>`; sets STATUS, ELAPSED_MS, OUT and ERR (files). Returns 1 (a problem) on a
# hang, a crash or a run over the time limit.
run() {
  local label=$1 start end
  shift
  RUNS=$((RUNS + 1))
  OUT="$SCRATCH/run$RUNS.stdout"
  ERR="$SCRATCH/run$RUNS.stderr"
  echo "$label: bitflow announce $TORRENT --timeout 5 $*" >"$SCRATCH/run$RUNS.cmd"
  STATUS=0
  start=${EPOCHREALTIME/./}
  timeout "$RUN_LIMIT" "$BITFLOW" announce "$TORRENT" --timeout 5 "$@" >"$OUT" 2>"$ERR" || STATUS=$?
  end=${EPOCHREALTIME/./}
  ELAPSED_MS=$(((end - start) / 1000))
  if [[ $STATUS -eq 124 ]]; then
    HANGS=$((HANGS + 1))
    problem "$label: bitflow announce did not finish within $RUN_LIMIT s"
    ((HANGS < MAX_HANGS)) || die "$HANGS hangs, giving up; problems so far: ${PROBLEMS[*]}"
    return 1
  fi
  ((STATUS < 128)) ||
    problem "$label: bitflow announce crashed (status $STATUS, signal $((STATUS - 128))); stderr: $(cat "$ERR")" ||
    return 1
  ((ELAPSED_MS < TIME_LIMIT_MS)) || problem "$label: took $ELAPSED_MS ms (limit $TIME_LIMIT_MS)" || return 1
}

# one_error_line <label> <pattern>: stderr is one "bitflow: " line matching the
# (case-insensitive, extended) pattern.
one_error_line() {
  local label=$1 pattern=$2
  [[ $(wc -l <"$ERR") -eq 1 ]] ||
    problem "$label: stderr should be exactly one line, got: $(cat "$ERR")" || return 1
  [[ $(head -c 9 "$ERR") == "bitflow: " ]] ||
    problem "$label: stderr does not start with 'bitflow: ': $(cat "$ERR")" || return 1
  grep -Eqi -- "$pattern" "$ERR" ||
    problem "$label: the error does not name the problem (/$pattern/): $(cat "$ERR") [after $ELAPSED_MS ms]"
}

# expect_failure <label> <url> <pattern>: text and JSON mode. Problems are recorded.
expect_failure() {
  local label=$1 url=$2 pattern=$3 text_ms message
  run "$label" --tracker "$url" || return 0
  [[ $STATUS -eq 1 ]] ||
    problem "$label: exit status $STATUS, expected 1; stderr: $(cat "$ERR"); stdout: $(head -c 1000 "$OUT")" ||
    return 0
  one_error_line "$label" "$pattern" || return 0
  text_ms=$ELAPSED_MS
  message=$(cat "$ERR")

  run "$label (--json)" --tracker "$url" --json || return 0
  [[ $STATUS -eq 1 ]] ||
    problem "$label (--json): exit status $STATUS, expected 1; stderr: $(cat "$ERR")" || return 0
  one_error_line "$label (--json)" "$pattern" || return 0
  if [[ -s $OUT ]]; then
    announce_json check "$OUT" --info-hash "$INFO_HASH" --trackers 1 >&2 ||
      problem "$label (--json): bad JSON (see above)" || return 0
    [[ $(announce_json get "$OUT" trackers.0.ok) == false ]] ||
      problem "$label (--json): the tracker is marked ok: $(cat "$OUT")" || return 0
  fi
  step "$label: exit 1 after ${text_ms} ms: $message"
}

# bad <mode>: starts bad_tracker.py in this mode; HTTP_URL and UDP_URL are its addresses.
bad() {
  start_bad_tracker "$SCRATCH/bad" "$1" >/dev/null || die "bad_tracker $1 did not start"
  HTTP_URL="http://127.0.0.1:$BAD_TRACKER_HTTP_PORT/announce"
  UDP_URL="udp://127.0.0.1:$BAD_TRACKER_UDP_PORT/announce"
}

# saw_request <what>: the bad tracker logged this request (so the failure came from its
# answer, not from a wrong URL).
saw_request() {
  grep -q "$1" "$BAD_TRACKER_LOG" || die "bad_tracker never got '$1' (log: $BAD_TRACKER_LOG)"
}

# Patterns for "names the problem". A UDP client may drop a datagram that is not a reply
# to its request (garbage: the transaction id does not match) and wait for a good one, so
# timing out is an acceptable name there; a reply with the right transaction id that is
# cut short (truncated) or has a peer list of a bad length (huge) must be called invalid.
INVALID='invalid|malformed|bencod|pars|decod|unexpected|truncat|incomplete|short|not a valid|expected'
TIMEOUT='time|no answer|within'

# --- HTTP ---------------------------------------------------------------------------------
declare -A HTTP_PATTERN=(
  [garbage]=$INVALID
  [truncated]=$INVALID
  [huge]='large|limit|size|exceed|too (big|long|much)'
  [slow]=$TIMEOUT
  [slow_body]=$TIMEOUT
  [failure]='bad_tracker says no'
  [redirect_loop]='redirect|302'
  [bad_peers]="peer|$INVALID"
  [status_500]='500'
  [wrong_type]="peer|type|integer|$INVALID"
  [empty]="empty|$INVALID"
)
for mode in garbage truncated huge slow slow_body failure redirect_loop bad_peers \
  status_500 wrong_type empty; do
  bad "$mode"
  expect_failure "HTTP $mode" "$HTTP_URL" "${HTTP_PATTERN[$mode]}"
  saw_request "HTTP request GET /announce"
  if [[ $mode == huge ]]; then
    # bitflow must stop reading at its limit, long before the 64 MiB are sent.
    for _ in $(seq 30); do
      grep -q 'HTTP huge: the client' "$BAD_TRACKER_LOG" && break
      sleep 0.1
    done
    if grep -q 'HTTP huge: the client read all' "$BAD_TRACKER_LOG"; then
      problem "HTTP huge: bitflow read the whole 64 MiB body: $(grep 'HTTP huge' "$BAD_TRACKER_LOG" | tr '\n' ' ')" || true
    else
      step "HTTP huge: $(grep 'HTTP huge' "$BAD_TRACKER_LOG" | tr '\n' ' ')"
    fi
  fi
  if [[ $mode == redirect_loop ]]; then
    step "HTTP redirect_loop: bitflow made $(grep -c 'HTTP request GET /announce' "$BAD_TRACKER_LOG") requests"
  fi
  stop_tracker "$BAD_TRACKER_PID"
done

# Nobody listens (the port was free a moment ago).
DEAD_PORT=$(_tracker_probe free-port)
expect_failure "HTTP connection refused" "http://127.0.0.1:$DEAD_PORT/announce" \
  'refused|connect|network|reach'

# --- UDP ----------------------------------------------------------------------------------
declare -A UDP_PATTERN=(
  [garbage]="$INVALID|action|transaction|$TIMEOUT"
  [truncated]="$INVALID|length|size"
  [wrong_txid]="transaction|$TIMEOUT"
  [error]='bad_tracker says no'
  [silent]=$TIMEOUT
  [huge]="$INVALID|peer|length|size|large"
)
for mode in garbage truncated wrong_txid error silent huge; do
  bad "$mode"
  expect_failure "UDP $mode" "$UDP_URL" "${UDP_PATTERN[$mode]}"
  saw_request "UDP request action 0"
  [[ $mode != huge ]] || saw_request "UDP request action 1"
  stop_tracker "$BAD_TRACKER_PID"
done
expect_failure "UDP nobody listening" "udp://127.0.0.1:$DEAD_PORT/announce" \
  "refused|unreachable|connect|$TIMEOUT"

# --- what works ---------------------------------------------------------------------------
# check_ok_answer <label> <index>: tracker <index> of $OUT answered with bad_tracker's
# canned reply.
check_ok_answer() {
  local label=$1 i=$2 got
  got=$(announce_json get "$OUT" "trackers.$i.ok")
  [[ $got == true ]] ||
    problem "$label: not ok: $(announce_json get "$OUT" "trackers.$i.error")" || return 1
  got=$(announce_json peers "$OUT" "$i" | tr '\n' ' ')
  [[ $got == "127.0.0.2:6881 " ]] || problem "$label: peers are '$got', expected 127.0.0.2:6881" || return 1
  got=$(announce_json get "$OUT" "trackers.$i.interval")
  [[ $got == 900 ]] || problem "$label: interval $got, expected 900" || return 1
  got=$(announce_json get "$OUT" "trackers.$i.seeders")/$(announce_json get "$OUT" "trackers.$i.leechers")
  [[ $got == 1/3 ]] || problem "$label: seeders/leechers $got, expected 1/3" || return 1
}

# expect_ok <label> <url>: announce and scrape work.
expect_ok() {
  local label=$1 url=$2 got
  run "$label" --tracker "$url" --json --scrape || return 0
  [[ $STATUS -eq 0 ]] || problem "$label: exit status $STATUS, expected 0; stderr: $(cat "$ERR")" || return 0
  [[ ! -s $ERR ]] || problem "$label: stderr: $(cat "$ERR")" || return 0
  announce_json check "$OUT" --info-hash "$INFO_HASH" --trackers 1 >&2 ||
    problem "$label: bad JSON (see above)" || return 0
  check_ok_answer "$label" 0 || return 0
  got=$(announce_json get "$OUT" trackers.0.scrape)
  [[ $got == '{"completed": 2, "leechers": 3, "seeders": 1}' ]] ||
    problem "$label: scrape is $got, expected 1 seeder, 2 completed, 3 leechers" || return 0
  step "$label: exit 0 after $ELAPSED_MS ms, peer 127.0.0.2:6881, scrape $got"
}

bad ok
expect_ok "UDP ok" "$UDP_URL"
saw_request "UDP request action 1"
saw_request "UDP request action 2"
expect_ok "HTTP ok" "$HTTP_URL"
saw_request "HTTP request GET /scrape"
stop_tracker "$BAD_TRACKER_PID"

# One bad tracker next to a good one: exit 0, one error line, both in the JSON. In mode
# status_500 bad_tracker's HTTP side fails and its UDP side works.
both() {
  local label="one failing, one working"
  run "$label" --tracker "$HTTP_URL" --tracker "$UDP_URL" --json || return 0
  [[ $STATUS -eq 0 ]] || problem "$label: exit status $STATUS, expected 0; stderr: $(cat "$ERR")" || return 0
  one_error_line "$label" 500 || return 0
  announce_json check "$OUT" --info-hash "$INFO_HASH" --trackers 2 >&2 ||
    problem "$label: bad JSON (see above)" || return 0
  [[ $(announce_json get "$OUT" trackers.0.ok) == false ]] ||
    problem "$label: the HTTP tracker is marked ok" || return 0
  check_ok_answer "$label" 1 || return 0
  step "$label: exit 0 after $ELAPSED_MS ms, error line: $(cat "$ERR")"
}
bad status_500
both
stop_tracker "$BAD_TRACKER_PID"

if [[ ${#PROBLEMS[@]} -gt 0 ]]; then
  echo "FAIL: ${#PROBLEMS[@]} problem(s) in $RUNS runs:" >&2
  printf '  - %s\n' "${PROBLEMS[@]}" >&2
  exit 1
fi
echo "PASS: bitflow announce copes with every bad_tracker mode ($RUNS runs)"
