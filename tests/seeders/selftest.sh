#!/usr/bin/env bash
# Integration (test infrastructure): the seeder launchers of tests/seeders/ serve real
# downloads, checked with other real clients and without bitflow, so that a failure of
# the download tests can be told apart from a bug in the test tools:
#   * transmission-daemon, aria2c and python3-libtorrent each seed a 20 MB single-file and
#     a multi-file torrent to the libtorrent leecher (lt_leecher.py); the results are
#     byte-identical to the data;
#   * the libtorrent seeder with --corrupt-pieces really serves bad data (a leecher that
#     has only that peer sees hash failures and never completes) and a leecher that also
#     has a good peer completes;
#   * --upload-rate really limits a seeder on 127.0.0.1 (libtorrent exempts local peers
#     unless told otherwise);
#   * aria2c downloads through the static tracker (as in bench/download_bench.sh).
#
# usage: selftest.sh <bitflow-cli> <scratch-dir>   (the CLI is not used)
set -euo pipefail
SEEDERS_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$SEEDERS_HOME/../integration/lib.sh"
# shellcheck source=seeders.sh
source "$SEEDERS_HOME/seeders.sh"

init "$@"
require_libtorrent
require_tool aria2c
require_tool transmission-daemon
require_tool transmission-remote
trap stop_seeders EXIT

DATA=$SCRATCH/data
make_test_data "$DATA" 20
SINGLE=$TEST_DATA
make_test_data "$DATA" 20 multi
MULTI=$TEST_DATA
make_torrent_lt "$SINGLE" "$SCRATCH/single.torrent" || die "cannot make single.torrent"
make_torrent_lt "$MULTI" "$SCRATCH/multi.torrent" || die "cannot make multi.torrent"
step "test data: $SINGLE, $MULTI ($(torrent_files "$SCRATCH/multi.torrent" | wc -l) files)"

# leech <label> <torrent> <out> <timeout> <peer>...: the libtorrent leecher must complete
# and the files must be identical to the data.
leech() {
  local label=$1 torrent=$2 out=$3 limit=$4 log
  shift 4
  log="$out.log"
  lt_download "$torrent" "$out" "$limit" "$@" -- --quiet >"$log" 2>&1 ||
    die "$label: the libtorrent leecher failed: $(tail -n 5 "$log")"
  check_download "$torrent" "$DATA" "$out" || die "$label: the download is not identical to the data"
  step "$label: $(tail -n 1 "$log"); files identical"
}

# --- every seeder, single and multi-file ---------------------------------------------------

for torrent in single multi; do
  start_libtorrent_seeder "$SCRATCH/lt" "$SCRATCH/$torrent.torrent" "$DATA" ||
    die "the libtorrent seeder did not start"
  leech "libtorrent seeder, $torrent" "$SCRATCH/$torrent.torrent" "$SCRATCH/out-lt-$torrent" 60 \
    "127.0.0.1:$LT_SEEDER_PORT"
  stop_seeder "$LT_SEEDER_PID"

  start_aria2_seeder "$SCRATCH/aria2" "$SCRATCH/$torrent.torrent" "$DATA" ||
    die "the aria2 seeder did not start"
  leech "aria2 seeder, $torrent" "$SCRATCH/$torrent.torrent" "$SCRATCH/out-aria2-$torrent" 60 \
    "127.0.0.1:$ARIA2_SEEDER_PORT"
  stop_seeder "$ARIA2_SEEDER_PID"

  # transmission unchokes a new peer only at its next 10-second rechoke: ~25 s for 20 MB.
  start_transmission_seeder "$SCRATCH/tr" "$SCRATCH/$torrent.torrent" "$DATA" ||
    die "the transmission seeder did not start"
  leech "transmission seeder, $torrent" "$SCRATCH/$torrent.torrent" "$SCRATCH/out-tr-$torrent" 90 \
    "127.0.0.1:$TR_SEEDER_PORT"
  stop_seeder "$TR_SEEDER_PID"
done

# The seeders only read the data: it is still what make_test_data wrote.
make_test_data "$SCRATCH/data-again" 20
cmp -s "$SINGLE" "$TEST_DATA" || die "the seeders changed $SINGLE"

# --- corrupt pieces ----------------------------------------------------------------------------

start_libtorrent_seeder "$SCRATCH/bad" "$SCRATCH/single.torrent" "$DATA" --corrupt-pieces even ||
  die "the corrupting libtorrent seeder did not start"
BAD_PORT=$LT_SEEDER_PORT
cmp -s "$SINGLE" "$LT_SEEDER_WORK/corrupt-copy/$(basename "$SINGLE")" &&
  die "the corrupting seeder's copy is not corrupted"
log=$SCRATCH/out-bad-only.log
if lt_download "$SCRATCH/single.torrent" "$SCRATCH/out-bad-only" 8 "127.0.0.1:$BAD_PORT" \
  >"$log" 2>&1; then
  die "a leecher with only the corrupting seeder completed: $(tail -n 1 "$log")"
fi
failures=$(sed -n 's/.* \([0-9][0-9]*\) hash failures.*/\1/p' "$log" | tail -n 1)
[[ ${failures:-0} -gt 0 ]] || die "no hash failures from the corrupting seeder: $(tail -n 3 "$log")"
# The leecher has exited: once the seeder has seen it go, its figures count all it sent.
wait_seeder_settled "$LT_SEEDER_STATS" || die "no settled figures from the corrupting seeder"
bad_blocks=$(seeder_stat "$LT_SEEDER_STATS" corrupt_blocks) || die "no figures from the corrupting seeder"
((bad_blocks > 0)) || die "the corrupting seeder counted no block of a corrupted piece sent"
step "corrupting seeder alone: $bad_blocks blocks of corrupted pieces sent, $failures hash" \
  "failures, no completion (as intended)"

# With a good peer too (slowed down, so that the bad one is asked a lot).
start_libtorrent_seeder "$SCRATCH/good" "$SCRATCH/single.torrent" "$DATA" --upload-rate 4000000 ||
  die "the good libtorrent seeder did not start"
leech "corrupting + good seeder" "$SCRATCH/single.torrent" "$SCRATCH/out-bad-good" 90 \
  "127.0.0.1:$BAD_PORT" "127.0.0.1:$LT_SEEDER_PORT"
stop_seeders

# --- upload rate limit ----------------------------------------------------------------------------

start_libtorrent_seeder "$SCRATCH/slow" "$SCRATCH/single.torrent" "$DATA" --upload-rate 2000000 ||
  die "the rate-limited libtorrent seeder did not start"
started=$SECONDS
leech "seeder limited to 2 MB/s" "$SCRATCH/single.torrent" "$SCRATCH/out-slow" 90 \
  "127.0.0.1:$LT_SEEDER_PORT"
elapsed=$((SECONDS - started))
# 21 MB at 2 MB/s: about 10 s (libtorrent allows a burst at first).
((elapsed >= 6)) || die "the rate-limited seeder served 21 MB in $elapsed s: the limit does not apply"
step "upload limit works: 21 MB took $elapsed s at 2 MB/s"

# --- aria2c through the static tracker ---------------------------------------------------------------

stop_seeder "$LT_SEEDER_PID"
start_libtorrent_seeder "$SCRATCH/fast" "$SCRATCH/multi.torrent" "$DATA" ||
  die "the libtorrent seeder did not start"
start_static_tracker "$SCRATCH/tracker" "127.0.0.1:$LT_SEEDER_PORT" || die "the static tracker did not start"
aria2_download "$SCRATCH/multi.torrent" "$SCRATCH/out-aria2-leech" 60 "$STATIC_TRACKER_URL" \
  >"$SCRATCH/out-aria2-leech.log" 2>&1 ||
  die "aria2c could not download through the static tracker: $(tail -n 5 "$SCRATCH/out-aria2-leech.log")"
check_download "$SCRATCH/multi.torrent" "$DATA" "$SCRATCH/out-aria2-leech" ||
  die "aria2c's download is not identical to the data"
step "aria2c leecher through the static tracker: files identical"

echo "PASS: the seeders serve real downloads"
