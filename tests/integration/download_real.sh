#!/usr/bin/env bash
# Integration: `bitflow download` against real seeders (transmission-daemon, aria2c and
# python3-libtorrent, from tests/seeders/seeders.sh), all on 127.0.0.1, with torrents made
# by libtorrent (v1 only, no trackers: peers are given with --peer):
#   * from each seeder: a 20 MB single-file torrent, a multi-file torrent (nested folders,
#     an empty file, a 17-byte file, pieces straddling file boundaries) and the multi-file
#     torrent with --files (only the selected files may exist, byte-identical);
#   * --sequential, and peers from the torrent's tracker instead of --peer;
#   * a libtorrent seeder serving corrupted pieces next to a good (slower) one: bitflow must
#     notice the hash failures, fetch those pieces again from the good peer and finish
#     byte-identical;
#   * resume: bitflow is SIGKILLed in the middle of a download from a seeder limited to
#     2 MB/s; run again, it completes byte-identical without fetching again the pieces it
#     had verified before (counted by the seeder), and a third run of the completed
#     download fetches nothing.
# Every comparison is cmp against the data the torrent was made from.
#
# A bitflow without `download` fails it. Without python3-libtorrent, aria2c or
# transmission-daemon it is skipped (77), except under CI (CI=true), where it fails
# (scripts/setup.sh installs them; see lib.sh).
#
# usage: download_real.sh <bitflow-cli> <scratch-dir>
# By hand: ONLY_KINDS="libtorrent aria2" limits the per-seeder part to those seeders;
# BITFLOW_DOWNLOAD_LIMIT (seconds, default 120) bounds every bitflow run.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"

require_bitflow_command download "$SCRATCH/no-such.torrent" -o "$SCRATCH/tmp/none"
require_libtorrent
require_tool aria2c
require_tool transmission-daemon
require_tool transmission-remote

# A download of 21 MB from a seeder on 127.0.0.1 takes 1 s; transmission unchokes a new
# peer only at its next 10-second rechoke, and the resume test's seeder sends 2 MB/s.
DOWNLOAD_LIMIT=${BITFLOW_DOWNLOAD_LIMIT:-120}
BITFLOW_BG_PID=''

cleanup() {
  if [[ -n $BITFLOW_BG_PID ]]; then
    kill -KILL "$BITFLOW_BG_PID" 2>/dev/null || true
    wait "$BITFLOW_BG_PID" 2>/dev/null || true
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
read -r PIECE_LENGTH NUM_PIECES SINGLE_SIZE _ < <("$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" info "$SCRATCH/single.torrent")
step "test data: $SINGLE ($SINGLE_SIZE bytes, $NUM_PIECES pieces of $PIECE_LENGTH), $MULTI"

# --- helpers -------------------------------------------------------------------------------

# bitflow_download <label> <torrent> <out-dir> [options...]: `bitflow download` must exit 0
# within DOWNLOAD_LIMIT seconds. Its output goes to <out-dir>.log.
bitflow_download() {
  local label=$1 torrent=$2 out=$3 status=0 started=$SECONDS log
  shift 3
  log="$out.log"
  timeout -k 5 "$DOWNLOAD_LIMIT" "$BITFLOW" download "$torrent" -o "$out" --listen 127.0.0.1 --port 0 "$@" \
    >"$log" 2>&1 </dev/null || status=$?
  if [[ $status -ne 0 ]]; then
    ((status == 124 || status == 137)) && label+=" (still running after $DOWNLOAD_LIMIT s, killed)"
    die "$label: bitflow download exited with status $status; its last lines:
$(tail -n 15 "$log")"
  fi
  LAST_SECONDS=$((SECONDS - started))
}

# check_out <label> <torrent> <out-dir> [index...]: the files (all, or the selected ones)
# are byte-identical; the others are absent; nothing else is in <out-dir> but .bitflow/.
check_out() {
  local label=$1 torrent=$2 out=$3 expected found extra
  shift 3
  check_download "$torrent" "$DATA" "$out" "$@" || die "$label: wrong result in $out"
  if [[ $# -eq 0 ]]; then
    expected=$(torrent_files "$torrent" | cut -f3 | sort)
  else
    expected=$(torrent_files "$torrent" |
      awk -F'\t' -v sel=" $* " 'index(sel, " " $1 " ") {print $3}' | sort)
  fi
  found=$(cd "$out" && find . -path ./.bitflow -prune -o \( -type f -o -type l \) -print |
    sed 's|^\./||' | sort)
  extra=$(comm -13 <(printf '%s\n' "$expected") <(printf '%s\n' "$found"))
  [[ -z $extra ]] || die "$label: unexpected files in $out (besides .bitflow/): $(tr '\n' ' ' <<<"$extra")"
}

# index_of <torrent> <path>: the 1-based index of the file in the torrent's order, which
# is how --files counts ("files numbered from 1 as in 'info --json'"; checked below).
index_of() {
  local index
  index=$(torrent_files "$1" | awk -F'\t' -v p="$2" '$3 == p {print $1}')
  [[ -n $index ]] || die "no file $2 in $1"
  printf '%s\n' "$index"
}

# files_spec <index>...: "1,3-5" from 1 3 4 5 (sorted, consecutive ones as ranges).
files_spec() {
  local spec='' start='' prev='' i
  for i in $(printf '%s\n' "$@" | sort -n -u); do
    if [[ -n $prev && $i -eq $((prev + 1)) ]]; then
      prev=$i
      continue
    fi
    [[ -z $start ]] || spec+="${spec:+,}$start$([[ $prev != "$start" ]] && echo "-$prev")"
    start=$i prev=$i
  done
  [[ -z $start ]] || spec+="${spec:+,}$start$([[ $prev != "$start" ]] && echo "-$prev")"
  printf '%s\n' "$spec"
}

# The --files selection: the 17-byte file (it shares its piece with two files that are
# not selected), and two consecutive big files (a range) whose first and last pieces are
# shared with unselected files too.
MULTI_NAME=$(basename "$MULTI")
SELECTED=(
  "$(index_of "$SCRATCH/multi.torrent" "$MULTI_NAME/small.txt")"
  "$(index_of "$SCRATCH/multi.torrent" "$MULTI_NAME/sub/b.bin")"
  "$(index_of "$SCRATCH/multi.torrent" "$MULTI_NAME/sub/deeper/c d.bin")"
)
FILES_SPEC=$(files_spec "${SELECTED[@]}")
bitflow_json "$SCRATCH/multi.torrent" "$SCRATCH/multi.json"
[[ $(oracle paths "$SCRATCH/multi.json") == "$(torrent_files "$SCRATCH/multi.torrent" | cut -f3)" ]] ||
  die "bitflow info --json lists the files in another order than libtorrent: --files $FILES_SPEC would select others"

# start_seeder <kind> <torrent-stem>: a new seeder of that kind -> SEEDER_PORT, SEEDER_PID.
# Every download gets a new seeder: transmission keeps what it learnt about a peer per IP
# address, and once a leecher from 127.0.0.1 has completed, it takes 127.0.0.1 for a seed
# and drops every later connection from there (both seeds).
start_seeder() {
  local kind=$1 stem=$2
  case $kind in
    libtorrent)
      start_libtorrent_seeder "$SCRATCH/lt" "$SCRATCH/$stem.torrent" "$DATA" ||
        die "the libtorrent seeder did not start"
      SEEDER_PORT=$LT_SEEDER_PORT SEEDER_PID=$LT_SEEDER_PID
      ;;
    aria2)
      start_aria2_seeder "$SCRATCH/aria2" "$SCRATCH/$stem.torrent" "$DATA" ||
        die "the aria2 seeder did not start"
      SEEDER_PORT=$ARIA2_SEEDER_PORT SEEDER_PID=$ARIA2_SEEDER_PID
      ;;
    transmission)
      start_transmission_seeder "$SCRATCH/tr" "$SCRATCH/$stem.torrent" "$DATA" ||
        die "the transmission seeder did not start"
      SEEDER_PORT=$TR_SEEDER_PORT SEEDER_PID=$TR_SEEDER_PID
      ;;
  esac
}

# --- every seeder ---------------------------------------------------------------------------

for kind in ${ONLY_KINDS:-libtorrent aria2 transmission}; do
  for stem in single multi; do
    start_seeder "$kind" "$stem"
    out="$SCRATCH/out-$kind-$stem"
    bitflow_download "$kind seeder, $stem" "$SCRATCH/$stem.torrent" "$out" \
      --peer "127.0.0.1:$SEEDER_PORT" --quiet
    check_out "$kind seeder, $stem" "$SCRATCH/$stem.torrent" "$out"
    step "$kind seeder, $stem torrent: complete in $LAST_SECONDS s, files identical"
    stop_seeder "$SEEDER_PID"
  done

  start_seeder "$kind" multi
  out="$SCRATCH/out-$kind-multi-selected"
  bitflow_download "$kind seeder, multi --files $FILES_SPEC" "$SCRATCH/multi.torrent" "$out" \
    --files "$FILES_SPEC" --peer "127.0.0.1:$SEEDER_PORT" --quiet
  check_out "$kind seeder, multi --files $FILES_SPEC" "$SCRATCH/multi.torrent" "$out" "${SELECTED[@]}"
  step "$kind seeder, multi torrent --files $FILES_SPEC: complete in $LAST_SECONDS s," \
    "selected files identical, the others absent"
  stop_seeder "$SEEDER_PID"
done

start_seeder libtorrent multi
bitflow_download "libtorrent seeder, multi --sequential" "$SCRATCH/multi.torrent" \
  "$SCRATCH/out-sequential" --sequential --peer "127.0.0.1:$SEEDER_PORT" --quiet
check_out "libtorrent seeder, multi --sequential" "$SCRATCH/multi.torrent" "$SCRATCH/out-sequential"
step "libtorrent seeder, multi torrent --sequential: complete in $LAST_SECONDS s, files identical"

# The same info dictionary (so the same info-hash) with the static tracker as its tracker,
# and no --peer: the peer comes from the tracker.
start_static_tracker "$SCRATCH/tracker" "127.0.0.1:$SEEDER_PORT" || die "the static tracker did not start"
"$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" add-tracker "$SCRATCH/multi.torrent" \
  "$SCRATCH/multi-tracker.torrent" "$STATIC_TRACKER_URL" || die "cannot add the tracker"
bitflow_download "peers from the tracker" "$SCRATCH/multi-tracker.torrent" "$SCRATCH/out-tracker" --quiet
check_out "peers from the tracker" "$SCRATCH/multi.torrent" "$SCRATCH/out-tracker"
step "peers from the torrent's tracker (no --peer): complete in $LAST_SECONDS s, files identical"
stop_seeders

# --- a peer that serves corrupted pieces -------------------------------------------------------

# Every even piece is garbage at the fast bad peer; the good peer sends 4 MB/s, so bitflow
# certainly asks the bad one for pieces.
start_libtorrent_seeder "$SCRATCH/bad" "$SCRATCH/single.torrent" "$DATA" --corrupt-pieces even ||
  die "the corrupting libtorrent seeder did not start"
BAD_PORT=$LT_SEEDER_PORT BAD_STATS=$LT_SEEDER_STATS
start_libtorrent_seeder "$SCRATCH/good" "$SCRATCH/single.torrent" "$DATA" --upload-rate 4000000 ||
  die "the good libtorrent seeder did not start"
out=$SCRATCH/out-corrupt
bitflow_download "a corrupting and a good peer (both on 127.0.0.1: ban per address and port, not per IP)" \
  "$SCRATCH/single.torrent" "$out" \
  --peer "127.0.0.1:$BAD_PORT" --peer "127.0.0.1:$LT_SEEDER_PORT" --quiet
check_out "a corrupting and a good peer" "$SCRATCH/single.torrent" "$out"
# bitflow has exited: once the seeder has seen it go, its figures count all it sent.
wait_seeder_settled "$BAD_STATS" || die "no settled figures from the corrupting seeder"
bad_blocks=$(seeder_stat "$BAD_STATS" corrupt_blocks) || die "no figures from the corrupting seeder"
((bad_blocks > 0)) ||
  die "bitflow got no block of a corrupted piece from the bad peer ($(seeder_stat "$BAD_STATS" uploaded) bytes of good ones): the test proved nothing"
step "a corrupting and a good peer: bitflow received $bad_blocks blocks of corrupted pieces" \
  "and still finished byte-identical in $LAST_SECONDS s"
stop_seeders

# --- resume after SIGKILL ----------------------------------------------------------------------------

start_libtorrent_seeder "$SCRATCH/slow" "$SCRATCH/single.torrent" "$DATA" --upload-rate 2000000 ||
  die "the rate-limited libtorrent seeder did not start"
out=$SCRATCH/out-resume
peer=("--peer" "127.0.0.1:$LT_SEEDER_PORT")
"$BITFLOW" download "$SCRATCH/single.torrent" -o "$out" --listen 127.0.0.1 --port 0 "${peer[@]}" --quiet \
  >"$out.1.log" 2>&1 </dev/null &
BITFLOW_BG_PID=$!
# At least 3 s and a fifth of the data (about 2 s more at 2 MB/s), at most 30 s.
ticks=0
while :; do
  if ! kill -0 "$BITFLOW_BG_PID" 2>/dev/null; then
    status=0
    wait "$BITFLOW_BG_PID" || status=$?
    BITFLOW_BG_PID=''
    die "bitflow exited (status $status) before it could be interrupted: $(tail -n 5 "$out.1.log")"
  fi
  sent=$(seeder_stat "$LT_SEEDER_STATS") || sent=0
  ((ticks < 30 || sent < SINGLE_SIZE / 5)) || break
  ((ticks < 300)) || die "after 30 s bitflow had fetched $sent bytes from a 2 MB/s seeder"
  sleep 0.1
  ticks=$((ticks + 1))
done
kill -KILL "$BITFLOW_BG_PID"
wait "$BITFLOW_BG_PID" 2>/dev/null || true
BITFLOW_BG_PID=''
wait_seeder_settled "$LT_SEEDER_STATS" || die "the seeder's figures did not settle after bitflow was killed"
before=$(seeder_stat "$LT_SEEDER_STATS")
((before < SINGLE_SIZE)) || die "the seeder sent everything ($before bytes) before bitflow was killed"
on_disk=$(find "$out" -type f -size +0 | wc -l)
((on_disk > 0)) || die "bitflow was killed after fetching $before bytes, and nothing is on disk in $out"
resume_note="no resume file yet"
[[ -d $out/.bitflow ]] && resume_note="$(find "$out/.bitflow" -type f | wc -l) file(s) in .bitflow/"
step "resume: bitflow killed after $((ticks / 10)).$((ticks % 10)) s, $before of $SINGLE_SIZE bytes" \
  "sent; $on_disk non-empty file(s) on disk, $resume_note"

bitflow_download "resume after SIGKILL" "$SCRATCH/single.torrent" "$out" "${peer[@]}" --quiet
check_out "resume after SIGKILL" "$SCRATCH/single.torrent" "$out"
wait_seeder_settled "$LT_SEEDER_STATS" || die "the seeder's figures did not settle after the second run"
after=$(seeder_stat "$LT_SEEDER_STATS")
refetched=$((after - before))
# Without resume the second run fetches everything again (SINGLE_SIZE bytes); with it,
# about SINGLE_SIZE - before. Demand that at least one piece was not fetched again.
((refetched <= SINGLE_SIZE - PIECE_LENGTH)) ||
  die "resume: the second run fetched $refetched bytes of $SINGLE_SIZE (the first had $before" \
    "sent to it): it fetched the verified pieces again"
step "resume: the second run completed in $LAST_SECONDS s, byte-identical, fetching $refetched bytes" \
  "(not refetched: $((SINGLE_SIZE - refetched)) bytes)"

bitflow_download "run again when complete" "$SCRATCH/single.torrent" "$out" "${peer[@]}" --quiet
check_out "run again when complete" "$SCRATCH/single.torrent" "$out"
wait_seeder_settled "$LT_SEEDER_STATS" || die "the seeder's figures did not settle after the third run"
again=$(($(seeder_stat "$LT_SEEDER_STATS") - after))
((again < PIECE_LENGTH)) || die "a run on the completed download fetched $again bytes again"
step "resume: a run on the completed download exits 0 in $LAST_SECONDS s, fetching $again bytes"

echo "PASS: bitflow downloads from transmission, aria2 and libtorrent seeders"
