#!/usr/bin/env bash
# client_interop.sh <bitflow-cli> <scratch-dir>: the mainstream clients bitflow's other
# tests do not cover, each against bitflow on loopback, byte-identical every time:
#   * rTorrent 0.9.8, qBittorrent (qbittorrent-nox) and Enhanced CTorrent download a
#     256 MiB torrent from `bitflow seed`. rTorrent has no fast extension and keeps 700-800
#     requests outstanding on a fast link: a seeder that drops requests beyond its cap
#     without a word leaves it waiting at 94 % forever (see PeerConnection::on_request);
#   * bitflow downloads the same torrent from rTorrent and from qBittorrent seeding it.
# rTorrent and CTorrent tell peers apart by IP address alone: they run on 127.0.0.2, so
# that bitflow on 127.0.0.1 is not taken for themselves. rTorrent refuses a torrent without
# a tracker and dials no loopback peer, so the torrent names a dead tracker and bitflow
# dials rTorrent (and qBittorrent); CTorrent learns the seeder from a static tracker.
#
# Skipped (77) without rtorrent, qbittorrent-nox or ctorrent, except under CI (CI=true),
# where scripts/setup.sh has installed them and it fails.
# By hand: INTEROP_SIZE_MB (default 256) and INTEROP_LIMIT (seconds per download, 120).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"
trap stop_seeders EXIT
require_bitflow_command seed "$SCRATCH/no-such.torrent" "$SCRATCH/tmp"
require_tool rtorrent
require_tool qbittorrent-nox
require_tool ctorrent
require_tool curl
require_python

SIZE_MB=${INTEROP_SIZE_MB:-256}
LIMIT=${INTEROP_LIMIT:-120}
DATA=$SCRATCH/data
random_file "$DATA/payload.bin" $((SIZE_MB * 1024 * 1024))
TORRENT=$SCRATCH/payload.torrent
"$BITFLOW" create "$DATA/payload.bin" -o "$TORRENT" -t http://127.0.0.1:9/announce --no-date \
  >"$SCRATCH/create.log" 2>&1 || die "bitflow create failed: $(cat "$SCRATCH/create.log")"
HASH=$("$BITFLOW" info --json "$TORRENT" | "$SYSTEM_PYTHON" -c \
  'import json, sys; print(json.load(sys.stdin)["info_hash"])')

# wait_for <label> <command...>: runs the command every 0.2 s until it succeeds, at most
# LIMIT seconds (then the test fails with the label).
wait_for() {
  local label=$1 deadline=$((SECONDS + LIMIT))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "$label: not done within $LIMIT s"
    sleep 0.2 # poll interval of a deadline-bounded wait
  done
}

rt_complete() {
  [[ $(rt_rpc "$RT_SCGI_PORT" d.complete "${HASH^^}" 2>/dev/null) == 1 ]]
}

qb_complete() {
  [[ $(qb_progress "$QB_WEB_PORT" "$HASH" 2>/dev/null) == 1 ]]
}

# same_as_data <label> <file>
same_as_data() {
  cmp -s "$DATA/payload.bin" "$2" || die "$1: the copy differs from the seeded data"
  echo "$1: byte-identical in $((SECONDS - STARTED)) s"
}

# bitflow_from <label> <peer>: `bitflow download` from that peer only, byte-identical.
bitflow_from() {
  local out=$SCRATCH/from-$1
  STARTED=$SECONDS
  timeout -k 5 "$LIMIT" "$BITFLOW" download "$TORRENT" -o "$out" --peer "$2" --no-trackers \
    --listen 127.0.0.1 --port 0 --quiet >"$out.log" 2>&1 </dev/null ||
    die "bitflow download from $1 failed: $(tail -n 5 "$out.log")"
  same_as_data "bitflow from $1" "$out/payload.bin"
}

step "rTorrent downloads $SIZE_MB MiB from bitflow seed"
start_rtorrent "$SCRATCH/rt" "$SCRATCH/rt/out" 127.0.0.2 || die "rtorrent did not start"
rt_rpc "$RT_SCGI_PORT" load.start_verbose "" "$TORRENT" >/dev/null ||
  die "rtorrent would not load the torrent"
STARTED=$SECONDS
start_bitflow_seeder "$SCRATCH/seed-rt" "$BITFLOW" "$TORRENT" "$DATA" --peer "127.0.0.2:$RT_PORT" ||
  die "bitflow seed did not start"
wait_for "rTorrent ($(rt_rpc "$RT_SCGI_PORT" d.completed_bytes "${HASH^^}" 2>&1) bytes)" rt_complete
same_as_data "rTorrent" "$SCRATCH/rt/out/payload.bin"
stop_seeder "$BF_SEEDER_PID"
stop_seeder "$RT_PID"

step "qBittorrent downloads $SIZE_MB MiB from bitflow seed"
start_qbittorrent "$SCRATCH/qb" "$SCRATCH/qb/out" || die "qbittorrent-nox did not start"
qb_api "$QB_WEB_PORT" torrents/add -F "torrents=@$TORRENT" -F "savepath=$SCRATCH/qb/out" >/dev/null ||
  die "qbittorrent-nox would not add the torrent"
STARTED=$SECONDS
start_bitflow_seeder "$SCRATCH/seed-qb" "$BITFLOW" "$TORRENT" "$DATA" --peer "127.0.0.1:$QB_PORT" ||
  die "bitflow seed did not start"
wait_for "qBittorrent" qb_complete
same_as_data "qBittorrent" "$SCRATCH/qb/out/payload.bin"
stop_seeder "$BF_SEEDER_PID"
stop_seeder "$QB_PID"

step "CTorrent downloads $SIZE_MB MiB from bitflow seed"
start_bitflow_seeder "$SCRATCH/seed-ct" "$BITFLOW" "$TORRENT" "$DATA" || die "bitflow seed did not start"
start_static_tracker "$SCRATCH/st" "127.0.0.1:$BF_SEEDER_PORT" || die "no static tracker"
mkdir -p "$SCRATCH/ct"
STARTED=$SECONDS
# -e 0: quit once complete (no seeding); it still lingers a few seconds saying goodbye.
(cd "$SCRATCH/ct" && timeout -k 5 "$LIMIT" ctorrent -e 0 -s "$SCRATCH/ct/payload.bin" -i 127.0.0.2 \
  -p "$(_seeder_probe free-port)" -u "$STATIC_TRACKER_URL" "$TORRENT" >ctorrent.log 2>&1 </dev/null) ||
  die "ctorrent failed or did not finish within $LIMIT s: $(tail -c 300 "$SCRATCH/ct/ctorrent.log" | tr '\r' '\n' | tail -n 2)"
same_as_data "CTorrent" "$SCRATCH/ct/payload.bin"
stop_seeder "$BF_SEEDER_PID"
stop_seeder "$STATIC_TRACKER_PID"

step "bitflow downloads $SIZE_MB MiB from rTorrent seeding it"
start_rtorrent "$SCRATCH/rts" "$DATA" 127.0.0.2 || die "rtorrent did not start"
rt_rpc "$RT_SCGI_PORT" load.start_verbose "" "$TORRENT" >/dev/null ||
  die "rtorrent would not load the torrent"
wait_for "rTorrent checking its data" rt_complete
bitflow_from rtorrent "127.0.0.2:$RT_PORT"
stop_seeder "$RT_PID"

step "bitflow downloads $SIZE_MB MiB from qBittorrent seeding it"
start_qbittorrent "$SCRATCH/qbs" "$DATA" || die "qbittorrent-nox did not start"
qb_api "$QB_WEB_PORT" torrents/add -F "torrents=@$TORRENT" -F "savepath=$DATA" >/dev/null ||
  die "qbittorrent-nox would not add the torrent"
wait_for "qBittorrent checking its data" qb_complete
bitflow_from qbittorrent "127.0.0.1:$QB_PORT"
stop_seeder "$QB_PID"
echo "PASS: rTorrent, qBittorrent and CTorrent download from bitflow; bitflow from rTorrent and qBittorrent"
