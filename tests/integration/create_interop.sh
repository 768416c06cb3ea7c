#!/usr/bin/env bash
# Integration: torrents made by `bitflow create` are read the same way by transmission-show
# and libtorrent, say what we asked for (trackers, web seeds, comment, private flag,
# piece size), list exactly the files on disk, and their piece hashes match the data.
#
# usage: create_interop.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMMENT="made by bitflow's integration test — ünïcödé"
WEB_SEED="http://127.0.0.1:9/seed/"
# Two tiers, the second holding two trackers ("-t a,b" is one tier). Nothing listens
# there: no test ever contacts them.
TRACKER_ARGS=(-t "http://127.0.0.1:9/announce"
              -t "udp://127.0.0.1:9/announce,http://127.0.0.1:10/announce")
TRACKERS_JSON='[["http://127.0.0.1:9/announce"],
                ["udp://127.0.0.1:9/announce","http://127.0.0.1:10/announce"]]'

# create_and_check <label> <content> <private: true|false> <piece length|auto>
#                  [more bitflow create options...]
create_and_check() {
  local label=$1 content=$2 private=$3 piece_length=$4
  shift 4
  local torrent="$SCRATCH/$label.torrent" json="$SCRATCH/$label.json"
  local expect_geometry=()
  [[ $piece_length == auto ]] || expect_geometry=(--expect "piece_length=$piece_length")
  step "$label: bitflow create $*"
  "$BITFLOW" create "$content" -o "$torrent" --quiet \
    "${TRACKER_ARGS[@]}" -w "$WEB_SEED" --comment "$COMMENT" "$@" ||
    die "$label: bitflow create failed"
  bitflow_json "$torrent" "$json"
  check_transmission_show "$torrent" "$json"
  check_with_libtorrent "$torrent" "$json" \
    --content "$content" \
    --expect "private=$private" \
    --expect "trackers=$TRACKERS_JSON" \
    --expect "web_seeds=[\"$WEB_SEED\"]" \
    --expect-text "comment=$COMMENT" \
    "${expect_geometry[@]}"
}

main() {
  init "$@"
  require_tool transmission-show
  require_libtorrent
  make_sample_data "$SCRATCH/data"

  # Default options: bitflow picks the piece size.
  create_and_check single "$SCRATCH/data/single.bin" false auto
  create_and_check multi "$SCRATCH/data/multi" false auto

  # Private torrents with an explicit piece size.
  create_and_check single-private "$SCRATCH/data/single.bin" true 32768 --private --piece-size 32k
  create_and_check multi-private "$SCRATCH/data/multi" true 32768 --private --piece-size 32k

  echo "PASS: bitflow's torrents agree with transmission-show and libtorrent"
}

main "$@"
