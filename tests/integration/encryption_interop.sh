#!/usr/bin/env bash
# encryption_interop.sh <bitflow-cli> <scratch-dir>: MSE/PE against three other clients,
# each configured to talk RC4-encrypted only, both ways, byte-identical every time:
#   * `bitflow seed --encryption require` serves python3-libtorrent (out_enc_policy and
#     in_enc_policy forced, allowed_enc_level rc4), aria2c (--bt-require-crypto=true
#     --bt-min-crypto-level=arc4) and transmission-daemon ("encryption": 2, required);
#   * `bitflow download --encryption require` downloads from each of them seeding;
#   * and the policy holds: libtorrent with encryption disabled gets nothing from
#     `bitflow seed --encryption require`.
# With encryption required on both sides a transfer can only be RC4-encrypted MSE.
#
# Skipped (77) without python3-libtorrent, aria2c or transmission-daemon, except under CI
# (CI=true), where scripts/setup.sh has installed them and it fails.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"
trap stop_seeders EXIT
require_bitflow_command seed "$SCRATCH/no-such.torrent" "$SCRATCH/tmp"
require_libtorrent
require_tool aria2c
require_tool transmission-daemon
require_tool transmission-remote

LIMIT=${ENCRYPTION_LIMIT:-90}
DATA=$SCRATCH/data
random_file "$DATA/payload.bin" $((12 * 1024 * 1024))
TORRENT=$SCRATCH/payload.torrent
"$BITFLOW" create "$DATA/payload.bin" -o "$TORRENT" -t http://127.0.0.1:9/announce --no-date \
  >"$SCRATCH/create.log" 2>&1 || die "bitflow create failed: $(cat "$SCRATCH/create.log")"

# same_as_data <label> <file>
same_as_data() {
  cmp -s "$DATA/payload.bin" "$2" || die "$1: the copy is missing or differs from the data"
  echo "$1: byte-identical in $((SECONDS - STARTED)) s"
}

step "bitflow seed --encryption require serves encrypted-only libtorrent, aria2c and transmission"
TR_ENCRYPTION=2 start_transmission_leecher "$SCRATCH/tr" "$TORRENT" "$SCRATCH/out-tr" ||
  die "the transmission leecher did not start"
STARTED=$SECONDS
start_bitflow_seeder "$SCRATCH/seed" "$BITFLOW" "$TORRENT" "$DATA" --encryption require \
  --peer "127.0.0.1:$TR_LEECHER_PORT" || die "bitflow seed did not start"
SEED=127.0.0.1:$BF_SEEDER_PORT

STARTED=$SECONDS
lt_download "$TORRENT" "$SCRATCH/out-lt" "$LIMIT" "$SEED" -- --quiet --forced-encryption \
  >"$SCRATCH/out-lt.log" 2>&1 ||
  die "encrypted-only libtorrent could not download from bitflow seed: $(tail -n 5 "$SCRATCH/out-lt.log")
bitflow seed's log: $(tail -n 5 "$BF_SEEDER_LOG")"
same_as_data "libtorrent (forced encryption) from bitflow" "$SCRATCH/out-lt/payload.bin"

STARTED=$SECONDS
start_static_tracker "$SCRATCH/tracker" "$SEED" || die "the static tracker did not start"
aria2_download "$TORRENT" "$SCRATCH/out-aria2" "$LIMIT" "$STATIC_TRACKER_URL" \
  --bt-require-crypto=true --bt-min-crypto-level=arc4 >"$SCRATCH/out-aria2.log" 2>&1 ||
  die "encrypted-only aria2c could not download from bitflow seed: $(tail -n 5 "$SCRATCH/out-aria2.log")"
stop_seeder "$STATIC_TRACKER_PID"
same_as_data "aria2c (crypto required) from bitflow" "$SCRATCH/out-aria2/payload.bin"

STARTED=$SECONDS
wait_transmission_leecher "$LIMIT" >"$SCRATCH/out-tr.log" 2>&1 ||
  die "encrypted-only transmission could not download from bitflow seed: $(tail -n 25 "$SCRATCH/out-tr.log")"
same_as_data "transmission (encryption required) from bitflow" "$SCRATCH/out-tr/payload.bin"

step "bitflow seed --encryption require refuses a peer without encryption"
if lt_download "$TORRENT" "$SCRATCH/out-plain" 8 "$SEED" -- --quiet --no-encryption \
  >"$SCRATCH/out-plain.log" 2>&1; then
  die "libtorrent without encryption downloaded from a seed that requires it"
fi
if [[ -f $SCRATCH/out-plain/payload.bin ]] && cmp -s "$DATA/payload.bin" "$SCRATCH/out-plain/payload.bin"; then
  die "libtorrent without encryption got the whole file"
fi
echo "libtorrent without encryption: refused, as required"
stop_seeder "$BF_SEEDER_PID"

# bitflow_from <label> <peer>: `bitflow download --encryption require` from that peer.
bitflow_from() {
  local out=$SCRATCH/from-$1
  STARTED=$SECONDS
  timeout -k 5 "$LIMIT" "$BITFLOW" download "$TORRENT" -o "$out" --peer "$2" --no-trackers \
    --listen 127.0.0.1 --port 0 --encryption require --quiet >"$out.log" 2>&1 </dev/null ||
    die "bitflow download --encryption require from $1 failed: $(tail -n 5 "$out.log")"
  same_as_data "bitflow from $1" "$out/payload.bin"
}

step "bitflow download --encryption require from encrypted-only seeders"
start_libtorrent_seeder "$SCRATCH/lts" "$TORRENT" "$DATA" --forced-encryption ||
  die "the libtorrent seeder did not start"
bitflow_from "libtorrent (forced encryption)" "127.0.0.1:$LT_SEEDER_PORT"
stop_seeder "$LT_SEEDER_PID"

ARIA2_REQUIRE_CRYPTO=1 start_aria2_seeder "$SCRATCH/aria2s" "$TORRENT" "$DATA" ||
  die "the aria2 seeder did not start"
bitflow_from "aria2c (crypto required)" "127.0.0.1:$ARIA2_SEEDER_PORT"
stop_seeder "$ARIA2_SEEDER_PID"

TR_ENCRYPTION=2 start_transmission_seeder "$SCRATCH/trs" "$TORRENT" "$DATA" ||
  die "the transmission seeder did not start"
bitflow_from "transmission (encryption required)" "127.0.0.1:$TR_SEEDER_PORT"
stop_seeder "$TR_SEEDER_PID"
echo "PASS: encrypted-only libtorrent, aria2c and transmission download from bitflow and bitflow from them"
