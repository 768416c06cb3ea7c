#!/usr/bin/env bash
# Integration: a swarm of bitflow peers on 127.0.0.1 around a real tracker (opentracker):
# one `bitflow seed --upload-limit 2M` and six `bitflow download --seed` leechers, which
# find each other only through the tracker (the torrent names it; no --peer anywhere).
#   * the seeder announces first, then the leechers one by one (each waits until the
#     tracker counts the previous one, so every leecher learns of all the peers before it
#     and is dialled by all the peers after it);
#   * every leecher must finish byte-identical within SWARM_LIMIT seconds (it then seeds
#     for SWARM_SEED_TIME seconds, so that the slower ones can still trade with it, and
#     exits 0 by itself);
#   * from the --json counters: the leechers uploaded to each other (their sum > 0) and
#     the seeder, limited to 2 MB/s, uploaded less than 4x the torrent's size, though six
#     copies went out: the rest went from leecher to leecher (tit-for-tat at work). With
#     no sharing the seeder would have to send 6x the size (and need over a minute).
# The torrent and data are made without bitflow code (libtorrent, v1); the tracker URL is
# added to the torrent afterwards (the info-hash is what opentracker must whitelist).
#
# A bitflow without `seed` or `download` fails it. Without opentracker or python3-libtorrent
# it is skipped (77), except under CI (CI=true), where it fails (scripts/setup.sh installs
# them; see lib.sh).
#
# usage: swarm.sh <bitflow-cli> <scratch-dir>
# By hand: SWARM_LEECHERS (default 6), SWARM_SIZE_MB (default 20), SWARM_UPLOAD_LIMIT
# (the seeder's --upload-limit, default 2M), SWARM_LIMIT (seconds for the whole swarm to
# finish, default 120), SWARM_SEED_TIME (the leechers' --seed-time, default 20).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"
# shellcheck source=../trackers/trackers.sh
source "$INTEGRATION_DIR/../trackers/trackers.sh"

init "$@"

require_bitflow_command seed "$SCRATCH/no-such.torrent" "$SCRATCH/tmp"
require_bitflow_command download "$SCRATCH/no-such.torrent" -o "$SCRATCH/tmp/none"
require_libtorrent
require_tool opentracker

LEECHERS=${SWARM_LEECHERS:-6}
SIZE_MB=${SWARM_SIZE_MB:-20}
UPLOAD_LIMIT=${SWARM_UPLOAD_LIMIT:-2M}
LIMIT=${SWARM_LIMIT:-120}
SEED_TIME=${SWARM_SEED_TIME:-20}
LEECHER_PIDS=()

cleanup() {
  local pid
  for pid in "${LEECHER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${LEECHER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  stop_seeders
  stop_trackers
}
trap cleanup EXIT

DATA=$SCRATCH/data
make_test_data "$DATA" "$SIZE_MB"
make_torrent_lt "$TEST_DATA" "$SCRATCH/plain.torrent" || die "cannot make the torrent"
read -r PIECE_LENGTH NUM_PIECES SIZE INFO_HASH _ < <("$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" info "$SCRATCH/plain.torrent")
start_opentracker "$SCRATCH/opentracker" "$INFO_HASH" || die "opentracker did not start"
TORRENT=$SCRATCH/swarm.torrent
"$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" add-tracker "$SCRATCH/plain.torrent" "$TORRENT" \
  "http://127.0.0.1:$OPENTRACKER_PORT/announce" || die "cannot add the tracker to the torrent"
step "test data: $TEST_DATA ($SIZE bytes, $NUM_PIECES pieces of $PIECE_LENGTH), info-hash $INFO_HASH"

# swarm_count <seeders|leechers>: what opentracker counts now (BEP 15 scrape).
swarm_count() {
  "$SYSTEM_PYTHON" "$INTEGRATION_DIR/../trackers/probe.py" udp-scrape "$OPENTRACKER_PORT" "$INFO_HASH" |
    "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# wait_count <what> <n> <label>: until the tracker counts at least n, 20 s at most.
wait_count() {
  local deadline=$((SECONDS + 20)) count
  while :; do
    count=$(swarm_count "$1" 2>/dev/null) || count=0
    ((count >= $2)) && return 0
    ((SECONDS < deadline)) || die "$3: opentracker counts $count $1 after 20 s, not $2"
    sleep 0.2
  done
}

# --- the seeder, then the leechers --------------------------------------------------------------

started=$SECONDS
start_bitflow_seeder "$SCRATCH/seeder" "$BITFLOW" "$TORRENT" "$DATA" --upload-limit "$UPLOAD_LIMIT" --json ||
  die "bitflow seed did not start"
wait_count seeders 1 "the seeder's announce"
step "the seeder announced (port $BF_SEEDER_PORT): opentracker counts 1 seeder"

for ((i = 1; i <= LEECHERS; i++)); do
  timeout -k 5 "$LIMIT" "$BITFLOW" download "$TORRENT" -o "$SCRATCH/out-$i" --listen 127.0.0.1 --port 0 \
    --seed --ratio 0 --seed-time "$SEED_TIME" --json >"$SCRATCH/leecher-$i.out" 2>"$SCRATCH/leecher-$i.log" </dev/null &
  LEECHER_PIDS+=("$!")
  wait_count leechers "$i" "leecher $i's announce"
done
step "$LEECHERS leechers started and announced in $((SECONDS - started)) s"

# Each one exits by itself SEED_TIME seconds after it completes; timeout ends it after
# LIMIT seconds.
failed=0
for ((i = 1; i <= LEECHERS; i++)); do
  status=0
  wait "${LEECHER_PIDS[i - 1]}" || status=$?
  if [[ $status -ne 0 ]]; then
    ((status == 124 || status == 137)) && echo "leecher $i: still running after $LIMIT s, killed" >&2
    echo "leecher $i exited with status $status; its last lines:" >&2
    tail -n 5 "$SCRATCH/leecher-$i.log" >&2
    failed=1
  fi
done
LEECHER_PIDS=()
elapsed=$((SECONDS - started))
stop_seeder "$BF_SEEDER_PID"
seeder_status=$SEEDER_STATUS
((failed == 0)) || die "not every leecher completed (seeder: $(tail -n 2 "$BF_SEEDER_LOG" | tr '\n' ' '))"
[[ $seeder_status -eq 0 ]] || die "bitflow seed exited with status $seeder_status on SIGTERM: $(tail -n 3 "$BF_SEEDER_LOG")"

for ((i = 1; i <= LEECHERS; i++)); do
  check_download "$TORRENT" "$DATA" "$SCRATCH/out-$i" || die "leecher $i: wrong result in $SCRATCH/out-$i"
done
step "all $LEECHERS leechers complete and byte-identical; swarm done in $elapsed s" \
  "(including each leecher's $SEED_TIME s of seeding)"

# --- the counters -----------------------------------------------------------------------------------

# field <stdout-file> <key> <label>
field() {
  bitflow_counter "$1" "$2" || die "$3: no '$2' in its --json line: $(tail -n 1 "$1")"
}

printf '%-10s %12s %12s %8s %8s %6s\n' peer downloaded uploaded wasted hashfail banned
sum_up=0
sum_down=0
for ((i = 1; i <= LEECHERS; i++)); do
  out=$SCRATCH/leecher-$i.out
  down=$(field "$out" downloaded "leecher $i")
  up=$(field "$out" uploaded "leecher $i")
  printf '%-10s %12s %12s %8s %8s %6s\n' "leecher $i" "$down" "$up" "$(field "$out" wasted "leecher $i")" \
    "$(field "$out" hash_failures "leecher $i")" "$(field "$out" peers_banned "leecher $i")"
  ((down >= SIZE)) || die "leecher $i says it downloaded $down bytes of a $SIZE-byte torrent"
  sum_up=$((sum_up + up))
  sum_down=$((sum_down + down))
done
seed_up=$(field "$BF_SEEDER_OUT" uploaded seeder)
printf '%-10s %12s %12s %8s %8s %6s\n' seeder "$(field "$BF_SEEDER_OUT" downloaded seeder)" "$seed_up" \
  "$(field "$BF_SEEDER_OUT" wasted seeder)" "$(field "$BF_SEEDER_OUT" hash_failures seeder)" \
  "$(field "$BF_SEEDER_OUT" peers_banned seeder)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
step "the seeder uploaded $seed_up bytes ($(ratio "$seed_up" "$SIZE")x the size), the leechers" \
  "$sum_up bytes to each other ($(ratio "$sum_up" "$SIZE")x); they downloaded $sum_down in all"

# Every byte came from the seeder first: it must count at least one copy.
((seed_up >= SIZE)) || die "the seeder says it uploaded $seed_up bytes, less than one copy ($SIZE)"
((sum_up > 0)) || die "the leechers uploaded nothing to each other: every byte came from the seeder"
((seed_up < 4 * SIZE)) ||
  die "the seeder uploaded $seed_up bytes, $(ratio "$seed_up" "$SIZE")x the size, for $LEECHERS leechers: they hardly traded pieces"
echo "PASS: $LEECHERS bitflow leechers and a rate-limited bitflow seeder, found through opentracker, traded pieces"
