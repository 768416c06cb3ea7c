#!/usr/bin/env bash
# Integration: magnet links on 127.0.0.1 with real clients, torrents made by libtorrent:
#   * bitflow downloads by magnet link (x.pe names the peer) from a python3-libtorrent
#     seeder: the metadata comes over BEP 9, the files are byte-identical, and
#     --save-torrent writes a .torrent with the same info-hash (checked by libtorrent);
#   * bitflow downloads by magnet link from a transmission seeder found through the
#     tracker in the magnet (tr=, a static tracker that names the seeder);
#   * python3-libtorrent downloads by magnet link from `bitflow seed`: bitflow serves the
#     metadata, then the data.
#
# usage: magnet_real.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"
require_bitflow_command download "$SCRATCH/no-such.torrent" -o "$SCRATCH/tmp/none"
require_bitflow_command seed "$SCRATCH/no-such.torrent" "$SCRATCH/tmp"
require_libtorrent
require_tool transmission-daemon
require_tool transmission-remote

LIMIT=${BITFLOW_DOWNLOAD_LIMIT:-120}
BITFLOW_SEED_PID=''
cleanup() {
  if [[ -n $BITFLOW_SEED_PID ]]; then
    kill -KILL "$BITFLOW_SEED_PID" 2>/dev/null || true
    wait "$BITFLOW_SEED_PID" 2>/dev/null || true
  fi
  stop_seeders
}
trap cleanup EXIT

DATA=$SCRATCH/data
make_test_data "$DATA" 20
SINGLE=$TEST_DATA
make_test_data "$DATA" 20 multi
MULTI=$TEST_DATA
make_torrent_lt "$SINGLE" "$SCRATCH/single.torrent" || die "cannot make single.torrent"
make_torrent_lt "$MULTI" "$SCRATCH/multi.torrent" || die "cannot make multi.torrent"

info_hash() {
  "$SYSTEM_PYTHON" -c 'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hash())' "$1"
}
SINGLE_HASH=$(info_hash "$SCRATCH/single.torrent")
MULTI_HASH=$(info_hash "$SCRATCH/multi.torrent")

# bitflow_magnet <label> <magnet> <out-dir> [options...]: must exit 0 within LIMIT seconds.
bitflow_magnet() {
  local label=$1 uri=$2 out=$3 status=0 started=$SECONDS
  shift 3
  timeout -k 5 "$LIMIT" "$BITFLOW" download "$uri" -o "$out" --listen 127.0.0.1 --port 0 "$@" \
    >"$out.log" 2>&1 </dev/null || status=$?
  [[ $status -eq 0 ]] || die "$label: bitflow download exited with status $status; its last lines:
$(tail -n 15 "$out.log")"
  LAST_SECONDS=$((SECONDS - started))
}

# --- from a libtorrent seeder, the peer in x.pe ------------------------------------------------
start_libtorrent_seeder "$SCRATCH/lt" "$SCRATCH/multi.torrent" "$DATA" || die "the libtorrent seeder did not start"
out=$SCRATCH/out-lt
bitflow_magnet "libtorrent seeder" "magnet:?xt=urn:btih:$MULTI_HASH&x.pe=127.0.0.1:$LT_SEEDER_PORT" \
  "$out" --save-torrent "$SCRATCH/fetched.torrent" --quiet
check_download "$SCRATCH/multi.torrent" "$DATA" "$out" || die "libtorrent seeder: wrong files in $out"
[[ $(info_hash "$SCRATCH/fetched.torrent") == "$MULTI_HASH" ]] ||
  die "--save-torrent wrote a torrent with another info-hash"
step "magnet from a libtorrent seeder (x.pe): metadata and files in $LAST_SECONDS s, identical;" \
  "--save-torrent has info-hash $MULTI_HASH"
stop_seeders

# --- from a transmission seeder, the peer from the magnet's tracker ------------------------------
start_transmission_seeder "$SCRATCH/tr" "$SCRATCH/single.torrent" "$DATA" ||
  die "the transmission seeder did not start"
start_static_tracker "$SCRATCH/tracker" "127.0.0.1:$TR_SEEDER_PORT" || die "the static tracker did not start"
tracker=$("$SYSTEM_PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$STATIC_TRACKER_URL")
out=$SCRATCH/out-tr
bitflow_magnet "transmission seeder" "magnet:?xt=urn:btih:$SINGLE_HASH&dn=single&tr=$tracker" "$out" --quiet
check_download "$SCRATCH/single.torrent" "$DATA" "$out" || die "transmission seeder: wrong file in $out"
step "magnet from a transmission seeder (tr= tracker): metadata and file in $LAST_SECONDS s, identical"
stop_seeders

# --- libtorrent fetches from a bitflow seeder ----------------------------------------------------
"$BITFLOW" seed "$SCRATCH/multi.torrent" "$DATA" --listen 127.0.0.1 --port 0 --no-trackers --quiet \
  >"$SCRATCH/seed.log" 2>&1 </dev/null &
BITFLOW_SEED_PID=$!
port=''
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$SCRATCH/seed.log")
  [[ -n $port ]] && break
  kill -0 "$BITFLOW_SEED_PID" 2>/dev/null || die "bitflow seed exited: $(tail -n 5 "$SCRATCH/seed.log")"
  sleep 0.1
done
[[ -n $port ]] || die "bitflow seed did not report its port"
out=$SCRATCH/out-from-bitflow
mkdir -p "$out"
"$SYSTEM_PYTHON" "$INTEGRATION_DIR/lt_magnet_leecher.py" "magnet:?xt=urn:btih:$MULTI_HASH" "$out" \
  "127.0.0.1:$port" "$LIMIT" || die "libtorrent could not download the magnet from bitflow seed"
check_download "$SCRATCH/multi.torrent" "$DATA" "$out" || die "libtorrent from bitflow: wrong files in $out"
step "python3-libtorrent downloads by magnet from bitflow seed: identical"
kill -INT "$BITFLOW_SEED_PID"
wait "$BITFLOW_SEED_PID" || die "bitflow seed did not exit cleanly on SIGINT"
BITFLOW_SEED_PID=''
echo "magnet_real: all passed"
