#!/usr/bin/env bash
# remote_watch.sh <bitflow-cli> <scratch-dir> <remote_client_check> <manager_events>:
# `bitflow watch --json`, bitflow's RemoteClient and the Manager's remote watching
# (manager_events --watch) against real torrent clients. transmission-daemon and rTorrent, each started on 127.0.0.1 with a private
# config (no DHT, LPD/PEX, port forwarding or blocklist updates; peer and RPC ports on
# loopback), download a torrent from a local `bitflow seed` that dials them (neither dials
# a loopback peer by itself). The watch must print added → progress → finished for it,
# with the sizes the data has. Then remote_client_check (RemoteClient's get, pause, resume
# and remove) acts on the torrent: the watch must show paused, resumed and removed, and
# the client's own tools must agree (transmission-remote; rtorrent_rpc.py, which marshals
# XML-RPC with Python's xmlrpc.client, not bitflow's code). manager_events --watch follows
# the transmission download too and must print added … finished for the torrent, as its
# --owner's, with the id transmission-<8 hex>-<info-hash>.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"
CHECK=${3:-}
MANAGER_EVENTS=${4:-}
[[ -x $CHECK && -x $MANAGER_EVENTS ]] ||
  die "usage: $0 <bitflow-cli> <scratch-dir> <remote_client_check> <manager_events>"
trap stop_seeders EXIT
require_bitflow_command watch not-a-client-url
require_tool transmission-daemon
require_tool transmission-remote
require_tool rtorrent
require_python

SIZE=$((6 * 1024 * 1024 + 4321))
LIMIT=120 # seconds for each download, and for each event after it
DATA=$SCRATCH/data
random_file "$DATA/payload.bin" "$SIZE"
# rTorrent refuses a torrent without trackers; nothing listens on the discard port, so
# both clients' announces fail at once, on loopback.
"$BITFLOW" create "$DATA/payload.bin" -o "$SCRATCH/payload.torrent" \
  -t http://127.0.0.1:9/announce --no-date >"$SCRATCH/create.log" 2>&1 ||
  die "bitflow create failed: $(cat "$SCRATCH/create.log")"
HASH=$("$BITFLOW" info --json "$SCRATCH/payload.torrent" | "$SYSTEM_PYTHON" -c \
  'import json, sys; print(json.load(sys.stdin)["info_hash"])')

# check_get <url> <state>: RemoteClient::get sees the whole torrent in <state>.
check_get() {
  local got want="$HASH $2 $SIZE $SIZE payload.bin"
  got=$("$CHECK" "$1" get "$HASH") || die "remote_client_check get failed"
  [[ $got == "$want" ]] || die "get: '$got', expected '$want'"
}

# start_watch <url> <out>: `bitflow watch --json` in the background -> WATCH_PID.
start_watch() {
  "$BITFLOW" watch "$1" --json --interval 200 >"$2" 2>"$2.err" </dev/null &
  WATCH_PID=$!
  SEEDER_PIDS+=("$WATCH_PID")
}

# events_check <out> <want...>: the watch's JSON lines for the torrent hold the events
# <want> in this order (others may come between); for a download, progress is inside
# (0, 100) and rising, and finished has every byte.
events_check() {
  "$SYSTEM_PYTHON" - "$HASH" "$SIZE" "$@" <<'PY'
import json, sys
hash_, size, out, want = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
events = []
for line in open(out):
    e = json.loads(line)
    if e["download"]["id"] == hash_:
        events.append(e)
kinds = [e["event"] for e in events]
at = 0
for w in want:
    if w not in kinds[at:]:
        sys.exit(1)
    at = kinds.index(w, at) + 1
done = [e["download"]["bytes_done"] for e in events if e["event"] == "progress"]
if done != sorted(done) or any(not 0 < d <= size for d in done):
    print("progress not rising or out of range: %s" % done, file=sys.stderr)
    sys.exit(2)
for e in events:
    if e["event"] == "finished" and (e["download"]["bytes_done"] != size or e["download"]["bytes_total"] != size):
        print("finished without every byte: %s" % e["download"], file=sys.stderr)
        sys.exit(2)
    if e["download"]["type"] != "torrent" or e["download"]["owner"] == "":
        print("not a torrent record: %s" % e["download"], file=sys.stderr)
        sys.exit(2)
PY
}

# wait_events <out> <what> <want...>: waits (LIMIT s at most) until events_check holds.
wait_events() {
  local out=$1 what=$2 deadline=$((SECONDS + LIMIT)) status
  shift 2
  while :; do
    status=0
    events_check "$out" "$@" || status=$?
    [[ $status -ne 2 ]] || die "$what: wrong events: $(cat "$out")"
    [[ $status -ne 0 ]] || return 0
    kill -0 "$WATCH_PID" 2>/dev/null || die "$what: bitflow watch exited: $(cat "$out.err")"
    ((SECONDS < deadline)) || die "$what: no $* within $LIMIT s; events: $(cut -c1-300 "$out")
stderr: $(cat "$out.err")"
    sleep 0.2 # poll interval of a deadline-bounded wait
  done
}

# stop_watch <out>: SIGTERM ends the watch with status 0.
stop_watch() {
  stop_seeder "$WATCH_PID"
  [[ $SEEDER_STATUS -eq 0 ]] || die "bitflow watch exited with $SEEDER_STATUS on SIGTERM: $(cat "$1.err")"
}

step "transmission-daemon downloads from bitflow seed while bitflow watch follows it"
start_transmission_leecher "$SCRATCH/tr" "$SCRATCH/payload.torrent" "$SCRATCH/out-tr" ||
  die "transmission-daemon did not start"
OUT=$SCRATCH/watch-transmission.jsonl
TEXT=$SCRATCH/watch-transmission.txt
# The readable form too, alongside: the same events as lines.
"$BITFLOW" watch "transmission+http://127.0.0.1:$TR_LEECHER_RPC_PORT/transmission/rpc" \
  --interval 200 >"$TEXT" 2>"$TEXT.err" </dev/null &
TEXT_PID=$!
SEEDER_PIDS+=("$TEXT_PID")
start_watch "transmission+http://127.0.0.1:$TR_LEECHER_RPC_PORT/transmission/rpc" "$OUT"
MGR=$SCRATCH/manager-watch.txt
"$MANAGER_EVENTS" --db "$SCRATCH/manager.db" --work "$SCRATCH/manager-work" --owner carol \
  --watch "transmission+http://127.0.0.1:$TR_LEECHER_RPC_PORT/transmission/rpc" \
  >"$MGR" 2>"$MGR.err" </dev/null &
MGR_PID=$!
SEEDER_PIDS+=("$MGR_PID")
wait_events "$OUT" "transmission" added
# Rate-limited, so that the download spans several polls.
start_bitflow_seeder "$SCRATCH/seed-tr" "$BITFLOW" "$SCRATCH/payload.torrent" "$DATA" \
  --peer "127.0.0.1:$TR_LEECHER_PORT" --upload-limit 1M ||
  die "bitflow seed did not start"
wait_events "$OUT" "transmission" added progress finished
# The manager's lines: "<event> <id> <state> <progress>% <name>".
MGR_ID_RE="transmission-[0-9a-f]{8}-$HASH"
deadline=$((SECONDS + LIMIT))
until grep -Eq "^finished $MGR_ID_RE completed 100% payload\.bin$" "$MGR"; do
  kill -0 "$MGR_PID" 2>/dev/null || die "manager_events --watch exited: $(cat "$MGR.err")"
  ((SECONDS < deadline)) || die "manager_events --watch printed no finished line: $(cat "$MGR")
stderr: $(cat "$MGR.err")"
  sleep 0.2 # poll interval of a deadline-bounded wait
done
grep -Eq "^added $MGR_ID_RE [a-z]+ [0-9]+% payload\.bin$" "$MGR" ||
  die "manager_events --watch printed no added line: $(cat "$MGR")"
[[ $(grep -Ec "^(added|finished) " "$MGR") -eq 2 ]] ||
  die "manager_events --watch: not one added and one finished: $(cat "$MGR")"
stop_seeder "$MGR_PID"
[[ $SEEDER_STATUS -eq 0 ]] || die "manager_events --watch exited with $SEEDER_STATUS: $(cat "$MGR.err")"
echo "manager_events --watch: $(cut -d' ' -f1 "$MGR" | uniq -c | tr -s ' \n' ' ')"
cmp -s "$DATA/payload.bin" "$SCRATCH/out-tr/payload.bin" ||
  die "transmission's copy differs from the seeded data"
TR_URL="transmission+http://127.0.0.1:$TR_LEECHER_RPC_PORT/transmission/rpc"
check_get "$TR_URL" seeding
"$CHECK" "$TR_URL" pause "$HASH" >/dev/null || die "RemoteClient::pause failed (transmission)"
wait_events "$OUT" "transmission" added progress finished paused
transmission-remote "127.0.0.1:$TR_LEECHER_RPC_PORT" -t "$HASH" -i | grep -q "State: Stopped" ||
  die "transmission-remote does not see the torrent stopped"
"$CHECK" "$TR_URL" resume "$HASH" >/dev/null || die "RemoteClient::resume failed (transmission)"
wait_events "$OUT" "transmission" added progress finished paused resumed
"$CHECK" "$TR_URL" remove "$HASH" delete-data >/dev/null ||
  die "RemoteClient::remove failed (transmission)"
wait_events "$OUT" "transmission" added progress finished paused resumed removed
deadline=$((SECONDS + 20))
while [[ -e $SCRATCH/out-tr/payload.bin ]]; do
  ((SECONDS < deadline)) || die "transmission kept the data after remove with delete-data"
  sleep 0.1 # poll interval of a deadline-bounded wait
done
[[ $("$CHECK" "$TR_URL" get "$HASH") == none ]] || die "transmission still has the torrent"
stop_watch "$OUT"
stop_seeder "$TEXT_PID"
[[ $SEEDER_STATUS -eq 0 ]] || die "bitflow watch (readable) exited with $SEEDER_STATUS: $(cat "$TEXT.err")"
for kind in added progress finished paused resumed removed; do
  grep -Eq "^[0-9T:.-]+Z $kind +payload\.bin \(${HASH:0:8}\) " "$TEXT" ||
    die "the readable watch has no '$kind' line for payload.bin: $(cat "$TEXT")"
done
grep -q "finished  payload.bin (${HASH:0:8}) completed 100% 6.3 MB of 6.3 MB" "$TEXT" ||
  die "the readable finished line is not as expected: $(grep finished "$TEXT")"
stop_seeder "$BF_SEEDER_PID"
stop_seeder "$TR_LEECHER_PID"
echo "transmission: $(sed 's/^{"event":"\([a-z]*\)".*/\1/' "$OUT" | uniq -c | tr -s ' \n' ' ')"

step "rTorrent downloads from bitflow seed while bitflow watch follows it"
RT=$SCRATCH/rt
start_rtorrent "$RT" "$RT/out" || die "rtorrent would not start"
SCGI_PORT=$RT_SCGI_PORT
PEER_PORT=$RT_PORT
rt_rpc "$SCGI_PORT" load.start_verbose "" "$SCRATCH/payload.torrent" >/dev/null ||
  die "rtorrent would not load the torrent"
OUT=$SCRATCH/watch-rtorrent.jsonl
start_watch "rtorrent+scgi://127.0.0.1:$SCGI_PORT" "$OUT"
wait_events "$OUT" "rtorrent" added
start_bitflow_seeder "$SCRATCH/seed-rt" "$BITFLOW" "$SCRATCH/payload.torrent" "$DATA" \
  --peer "127.0.0.1:$PEER_PORT" --upload-limit 1M ||
  die "bitflow seed did not start"
wait_events "$OUT" "rtorrent" added progress finished
cmp -s "$DATA/payload.bin" "$RT/out/payload.bin" || die "rTorrent's copy differs from the seeded data"
RT_URL="rtorrent+scgi://127.0.0.1:$SCGI_PORT"
check_get "$RT_URL" seeding
"$CHECK" "$RT_URL" pause "$HASH" >/dev/null || die "RemoteClient::pause failed (rtorrent)"
wait_events "$OUT" "rtorrent" added progress finished paused
[[ $(rt_rpc "$SCGI_PORT" d.state "${HASH^^}") == 0 ]] || die "rtorrent does not see the torrent stopped"
"$CHECK" "$RT_URL" resume "$HASH" >/dev/null || die "RemoteClient::resume failed (rtorrent)"
wait_events "$OUT" "rtorrent" added progress finished paused resumed
# rTorrent cannot delete data over XML-RPC: refused, and the torrent stays.
if err=$("$CHECK" "$RT_URL" remove "$HASH" delete-data 2>&1); then
  die "remove with delete-data succeeded on rtorrent"
fi
[[ $err == *"cannot delete"* ]] || die "remove with delete-data: unexpected error: $err"
check_get "$RT_URL" seeding
"$CHECK" "$RT_URL" remove "$HASH" >/dev/null || die "RemoteClient::remove failed (rtorrent)"
wait_events "$OUT" "rtorrent" added progress finished paused resumed removed
[[ $(rt_rpc "$SCGI_PORT" download_list) == "[]" ]] || die "rtorrent still lists the torrent"
[[ -e $RT/out/payload.bin ]] || die "rtorrent's data went with the torrent"
stop_watch "$OUT"
echo "rtorrent: $(sed 's/^{"event":"\([a-z]*\)".*/\1/' "$OUT" | uniq -c | tr -s ' \n' ' ')"
echo "OK"
