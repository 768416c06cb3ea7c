#!/usr/bin/env bash
# Integration: `bitflow info` reads torrents made by mktorrent and transmission-create
# exactly as libtorrent and transmission-show do: info-hash, name, sizes, piece
# geometry, file list, trackers, web seeds, comment, private flag.
#
# usage: info_interop.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Nothing listens at these addresses: no test ever contacts them.
TRACKER1="http://127.0.0.1:9/announce"
TRACKER2="udp://127.0.0.1:9/announce"
TRACKER3="http://127.0.0.1:10/announce"
WEB_SEED="http://127.0.0.1:9/seed"

# check_torrent <torrent>: bitflow must agree with transmission-show and libtorrent.
check_torrent() {
  local torrent=$1 json="${1%.torrent}.json"
  bitflow_json "$torrent" "$json"
  check_transmission_show "$torrent" "$json"
  check_with_libtorrent "$torrent" "$json"
}

# with_mktorrent <label> <content> [mktorrent options...]
with_mktorrent() {
  local label=$1 content=$2
  shift 2
  local torrent="$SCRATCH/mktorrent-$label.torrent"
  step "mktorrent $label: $*"
  mktorrent "$@" -o "$torrent" "$content" >"$SCRATCH/tmp/mktorrent.log" 2>&1 ||
    die "mktorrent failed: $(cat "$SCRATCH/tmp/mktorrent.log")"
  check_torrent "$torrent"
}

# with_transmission_create <label> <content> [transmission-create options...]
with_transmission_create() {
  local label=$1 content=$2
  shift 2
  local torrent="$SCRATCH/transmission-$label.torrent"
  step "transmission-create $label: $*"
  transmission-create "$@" -o "$torrent" "$content" >"$SCRATCH/tmp/tc.log" 2>&1 ||
    die "transmission-create failed: $(cat "$SCRATCH/tmp/tc.log")"
  check_torrent "$torrent"
}

main() {
  init "$@"
  require_tool mktorrent
  require_tool transmission-create
  require_tool transmission-show
  require_libtorrent
  make_sample_data "$SCRATCH/data"
  local single="$SCRATCH/data/single.bin" multi="$SCRATCH/data/multi"

  # mktorrent: -l is the piece length's exponent; each -a is a tier, commas within one.
  with_mktorrent single "$single" -a "$TRACKER1" -l 16
  with_mktorrent multi "$multi" -a "$TRACKER1" -l 15
  with_mktorrent multi-everything "$multi" -l 17 -p -d \
    -a "$TRACKER1,$TRACKER2" -a "$TRACKER3" -w "$WEB_SEED" -w "$WEB_SEED/2/" \
    -c "a comment — ünïcödé" -s "SOURCE-TAG" -n "Renamed – ü"
  with_mktorrent single-renamed "$single" -a "$TRACKER1" -l 20 -n "other name.bin" -p

  # transmission-create: -s is the piece size in KiB; each -t is a tier.
  with_transmission_create single "$single" -t "$TRACKER1"
  with_transmission_create multi "$multi" -t "$TRACKER1"
  with_transmission_create multi-everything "$multi" -p -s 32 -c "a comment" \
    -t "$TRACKER1" -t "$TRACKER2"

  echo "PASS: bitflow info agrees with libtorrent and transmission-show"
}

main "$@"
