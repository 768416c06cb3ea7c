#!/usr/bin/env bash
# Integration: `bitflow announce` against two real trackers, opentracker and the npm
# bittorrent-tracker, each over HTTP and UDP. Two clients meet in a swarm: A (a seeder on
# port 6881) announces "started", B (a leecher on port 6882) announces and must see A at
# 127.0.0.1:6881, with 1 seeder and 1 leecher counted; then A announces "stopped" and B's
# next announce must no longer list it. Scrape is checked against opentracker (HTTP and
# UDP) and bittorrent-tracker over UDP (its HTTP scrape mangles info-hashes with bytes
# >= 0x80, see TESTING.md). Each swarm uses a torrent of its own, so they cannot mix.
#
# usage: tracker_real.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../trackers/trackers.sh
source "$INTEGRATION_DIR/../trackers/trackers.sh"

init "$@"
require_python
require_tool opentracker
require_tool node
require_tool npm
trap stop_trackers EXIT

# Any single bitflow run that takes longer than this is a hang.
RUN_LIMIT=30
PEER_A=-BF0001-AAAAAAAAAAAA                     # as 20 characters
PEER_B=2d4246303030322d424242424242424242424242 # "-BF0002-BBBBBBBBBBBB" as 40 hex digits
A=127.0.0.1:6881

announce_json() {
  "$SYSTEM_PYTHON" "$INTEGRATION_DIR/announce_json.py" "$@"
}

# The command must exist: the usage error of an unknown command is status 2.
status=0
"$BITFLOW" announce --help >"$SCRATCH/tmp/help" 2>&1 || status=$?
if [[ $status -ne 0 ]] && grep -q "unknown command" "$SCRATCH/tmp/help"; then
  die "this bitflow has no 'announce' command: $(cat "$SCRATCH/tmp/help")"
fi

# --- one torrent per swarm ---------------------------------------------------------------
# Their own tracker is a dead one: every announce that passes --tracker must replace it
# (the JSON then lists exactly one tracker, the given one).
DEAD_TRACKER="http://127.0.0.1:1/announce"
SWARMS=(ot-http ot-udp bt-http bt-udp)
declare -A HASH
for swarm in "${SWARMS[@]}"; do
  random_file "$SCRATCH/data/$swarm.bin" $((200 * 1024 + 77))
  "$BITFLOW" create "$SCRATCH/data/$swarm.bin" -o "$SCRATCH/$swarm.torrent" \
    -t "$DEAD_TRACKER" --no-date >/dev/null 2>"$SCRATCH/tmp/create.err" ||
    die "bitflow create failed: $(cat "$SCRATCH/tmp/create.err")"
  bitflow_json "$SCRATCH/$swarm.torrent" "$SCRATCH/$swarm.info.json"
  HASH[$swarm]=$(oracle field "$SCRATCH/$swarm.info.json" info_hash)
done

start_opentracker "$SCRATCH/opentracker" "${HASH[ot-http]}" "${HASH[ot-udp]}" ||
  die "opentracker did not start"
start_bittorrent_tracker "$SCRATCH/bittorrent-tracker" || die "bittorrent-tracker did not start"

declare -A URL=(
  [ot-http]="http://127.0.0.1:$OPENTRACKER_PORT/announce"
  [ot-udp]="udp://127.0.0.1:$OPENTRACKER_PORT/announce"
  [bt-http]="http://127.0.0.1:$BT_TRACKER_PORT/announce"
  [bt-udp]="udp://127.0.0.1:$BT_TRACKER_PORT"
)
declare -A TRACKER_NAME=([ot]=opentracker [bt]=bittorrent-tracker)

# A .torrent whose own tracker is the real one (the info-hash does not depend on it), and
# a magnet link whose tr= is: both are announced to without --tracker.
"$BITFLOW" create "$SCRATCH/data/ot-http.bin" -o "$SCRATCH/ot-http-own.torrent" \
  -t "${URL[ot-http]}" --no-date >/dev/null 2>"$SCRATCH/tmp/create.err" ||
  die "bitflow create failed: $(cat "$SCRATCH/tmp/create.err")"
bitflow_json "$SCRATCH/ot-http-own.torrent" "$SCRATCH/ot-http-own.info.json"
[[ $(oracle field "$SCRATCH/ot-http-own.info.json" info_hash) == "${HASH[ot-http]}" ]] ||
  die "the announce URL changed the info-hash"
MAGNET_OT_UDP="magnet:?xt=urn:btih:${HASH[ot-udp]}&tr=$("$SYSTEM_PYTHON" -c \
  'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "${URL[ot-udp]}")"

# --- running bitflow -----------------------------------------------------------------------

RUNS=0
# announce <label> <expected status> <target> <bitflow announce options...>: runs
# `bitflow announce <target> --json <options>`; the JSON lands in $OUT. On success it
# must print nothing on stderr; on failure exactly one "bitflow: " line per tracker.
announce() {
  local label=$1 want=$2 target=$3 status=0
  shift 3
  RUNS=$((RUNS + 1))
  OUT="$SCRATCH/run$RUNS.json"
  local err="$SCRATCH/run$RUNS.stderr"
  echo "\$ bitflow announce $target --json $*" >"$SCRATCH/run$RUNS.cmd"
  timeout "$RUN_LIMIT" "$BITFLOW" announce "$target" --json "$@" >"$OUT" 2>"$err" || status=$?
  [[ $status -ne 124 ]] || die "$label: bitflow announce did not finish within $RUN_LIMIT s"
  [[ $status -eq $want ]] ||
    die "$label: exit status $status, expected $want; stderr: $(cat "$err"); stdout: $(head -c 2000 "$OUT")"
  if [[ $want -eq 0 ]]; then
    [[ ! -s $err ]] || die "$label: bitflow wrote to stderr although it succeeded: $(cat "$err")"
  fi
}

# expect_ok <label> <url> <info-hash>: the last run's JSON names one tracker, this one,
# which answered.
expect_ok() {
  local label=$1 url=$2 hash=$3
  announce_json check "$OUT" --info-hash "$hash" --trackers 1 || die "$label: bad JSON (see above)"
  [[ $(announce_json get "$OUT" trackers.0.url) == "$url" ]] ||
    die "$label: the tracker is $(announce_json get "$OUT" trackers.0.url), expected $url"
  [[ $(announce_json get "$OUT" trackers.0.ok) == true ]] ||
    die "$label: the tracker did not answer: $(announce_json get "$OUT" trackers.0.error)"
  local interval
  interval=$(announce_json get "$OUT" trackers.0.interval)
  [[ $interval =~ ^[0-9]+$ && $interval -gt 0 ]] || die "$label: interval is $interval"
}

# expect_field <label> <path> <value>
expect_field() {
  local got
  got=$(announce_json get "$OUT" "$2")
  [[ $got == "$3" ]] || die "$1: $2 is $got, expected $3 (output: $(cat "$OUT"))"
}

# has_peer <host:port>: (not `| grep -q`: with pipefail, grep quitting early would make
# the writer fail with SIGPIPE and the whole test say "no")
has_peer() {
  local peers
  peers=$(announce_json peers "$OUT") || die "cannot read the peers of $OUT"
  grep -qx -- "$1" <<<"$peers"
}

# swarm <name> <scrape: yes|no>: the whole story on one tracker URL.
swarm() {
  local name=$1 scrape=$2 url=${URL[$1]} hash=${HASH[$1]} torrent="$SCRATCH/$1.torrent"
  local who="${TRACKER_NAME[${name%-*}]} ${url%%:*}"
  local a_target=$torrent a_args=(--tracker "$url") b_target=$torrent b_args=(--tracker "$url")
  # Once each: the torrent's own tracker list, and a magnet link's.
  [[ $name != ot-http ]] || { a_target="$SCRATCH/ot-http-own.torrent"; a_args=(); }
  [[ $name != ot-udp ]] || { b_target=$MAGNET_OT_UDP; b_args=(); }

  announce "$who: A starts" 0 "$a_target" "${a_args[@]}" \
    --peer-id "$PEER_A" --port 6881 --event started --left 0
  expect_ok "$who: A starts" "$url" "$hash"

  announce "$who: B starts" 0 "$b_target" "${b_args[@]}" \
    --peer-id "$PEER_B" --port 6882 --event started --left 100000 --numwant 30
  expect_ok "$who: B starts" "$url" "$hash"
  has_peer "$A" || die "$who: B does not see A ($A) among its peers: $(announce_json peers "$OUT" | tr '\n' ' ')"
  expect_field "$who: B starts" trackers.0.seeders 1
  expect_field "$who: B starts" trackers.0.leechers 1
  step "$who: B sees A ($(announce_json peers "$OUT" | tr '\n' ' ')); 1 seeder, 1 leecher"

  if [[ $scrape == yes ]]; then
    # Announced as B with event none, so whether or not --scrape also announces, the
    # swarm stays as it is.
    announce "$who: scrape" 0 "$torrent" --tracker "$url" --scrape \
      --peer-id "$PEER_B" --port 6882 --event none --left 100000
    expect_ok "$who: scrape" "$url" "$hash"
    expect_field "$who: scrape" trackers.0.scrape.seeders 1
    expect_field "$who: scrape" trackers.0.scrape.leechers 1
    step "$who: scrape: $(announce_json get "$OUT" trackers.0.scrape)"
  fi

  announce "$who: A stops" 0 "$torrent" --tracker "$url" \
    --peer-id "$PEER_A" --port 6881 --event stopped --left 0
  expect_ok "$who: A stops" "$url" "$hash"

  announce "$who: B again" 0 "$torrent" --tracker "$url" \
    --peer-id "$PEER_B" --port 6882 --event none --left 100000
  expect_ok "$who: B again" "$url" "$hash"
  ! has_peer "$A" || die "$who: B still sees A after A stopped: $(announce_json peers "$OUT" | tr '\n' ' ')"
  expect_field "$who: B again" trackers.0.seeders 0
  expect_field "$who: B again" trackers.0.leechers 1

  if [[ $scrape == yes ]]; then
    announce "$who: scrape after stop" 0 "$torrent" --tracker "$url" --scrape \
      --peer-id "$PEER_B" --port 6882 --event none --left 100000
    expect_ok "$who: scrape after stop" "$url" "$hash"
    expect_field "$who: scrape after stop" trackers.0.scrape.seeders 0
    expect_field "$who: scrape after stop" trackers.0.scrape.leechers 1
  fi
  step "$who: after A stopped, B no longer sees it; 0 seeders, 1 leecher"
}

swarm ot-http yes
swarm ot-udp yes
swarm bt-http no
swarm bt-udp yes

# --- both trackers at once, and the text output ----------------------------------------
# A torrent of opentracker's announced to opentracker and to bittorrent-tracker (which
# takes any info-hash): two answers, one JSON entry each, in the order given.
announce "two trackers" 0 "$SCRATCH/ot-udp.torrent" \
  --tracker "${URL[ot-udp]}" --tracker "${URL[bt-http]}" \
  --peer-id "$PEER_A" --port 6881 --event started --left 0
announce_json check "$OUT" --info-hash "${HASH[ot-udp]}" --trackers 2 || die "two trackers: bad JSON"
expect_field "two trackers" trackers.0.url "${URL[ot-udp]}"
expect_field "two trackers" trackers.1.url "${URL[bt-http]}"
expect_field "two trackers" trackers.0.ok true
expect_field "two trackers" trackers.1.ok true
step "two trackers: both answered"

status=0
timeout "$RUN_LIMIT" "$BITFLOW" announce "$SCRATCH/ot-udp.torrent" --tracker "${URL[ot-udp]}" \
  --peer-id "$PEER_B" --port 6882 --event none --left 100000 \
  >"$SCRATCH/text.out" 2>"$SCRATCH/text.err" || status=$?
[[ $status -eq 0 ]] || die "text output: exit status $status: $(cat "$SCRATCH/text.err")"
[[ ! -s $SCRATCH/text.err ]] || die "text output: stderr: $(cat "$SCRATCH/text.err")"
grep -q "$A" "$SCRATCH/text.out" || die "text output does not list peer $A: $(cat "$SCRATCH/text.out")"
step "text output lists $A"

echo "PASS: bitflow announce works with opentracker and bittorrent-tracker, HTTP and UDP ($RUNS runs)"
