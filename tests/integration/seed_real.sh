#!/usr/bin/env bash
# Integration: `bitflow seed` serving real leechers (python3-libtorrent, aria2c and
# transmission-daemon, from tests/seeders/seeders.sh), all on 127.0.0.1, with data and v1
# torrents made without bitflow code (libtorrent, no trackers):
#   * a 20 MB single-file torrent (data-path: the folder holding the file) and a multi-file
#     torrent (nested folders, an empty file, a 17-byte file, pieces straddling file
#     boundaries; data-path: the torrent's folder itself): one bitflow seeder each, and
#     each real client downloads from it; every result is byte-identical (cmp):
#       - libtorrent dials the seeder (--peer);
#       - aria2c cannot dial a peer: it gets the seeder from a static tracker;
#       - transmission 3.00 never dials a 127.x.x.x peer (not even one from a tracker:
#         "martian" addresses), so it is started first and the seeder dials it
#         (bitflow seed --peer), which tests the seeder's outgoing connections too;
#     then the seeder is stopped with SIGTERM: it exits 0 and its --json counters say it
#     uploaded at least three times the data, downloaded nothing, had no hash failures;
#   * the seed limits: --ratio 1 ends the seeder by itself (exit 0) once one leecher has
#     the whole torrent; --seed-time 3 ends it after about 3 s;
#   * incomplete or corrupt data: one changed byte, a truncated file, a missing file of a
#     multi-file torrent, an empty folder, and data corrupted after a successful run (its
#     resume file says the pieces were good): `bitflow seed` exits 1 with "the data is
#     incomplete: N of M pieces verified", and leaves the data as it was.
#
# A bitflow without `seed` fails it. Without python3-libtorrent, aria2c or
# transmission-daemon it is skipped (77), except under CI (CI=true), where it fails
# (scripts/setup.sh installs them; see lib.sh).
#
# usage: seed_real.sh <bitflow-cli> <scratch-dir>
# By hand: ONLY_KINDS="libtorrent aria2" limits the leechers to those (of libtorrent,
# aria2, transmission); SEED_LEECH_LIMIT (seconds, default 90) bounds every download.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../seeders/seeders.sh
source "$INTEGRATION_DIR/../seeders/seeders.sh"

init "$@"

require_bitflow_command seed "$SCRATCH/no-such.torrent" "$SCRATCH/tmp"
require_libtorrent
require_tool aria2c
require_tool transmission-daemon
require_tool transmission-remote

KINDS=${ONLY_KINDS:-libtorrent aria2 transmission}
# 21 MB from a seeder on 127.0.0.1 takes 1-2 s; transmission asks for its first block
# only about 10 s after the connection (its own pace, the same with a libtorrent seeder).
LEECH_LIMIT=${SEED_LEECH_LIMIT:-90}
trap stop_seeders EXIT

DATA=$SCRATCH/data
make_test_data "$DATA" 20
SINGLE=$TEST_DATA
make_test_data "$DATA" 20 multi
MULTI=$TEST_DATA
make_torrent_lt "$SINGLE" "$SCRATCH/single.torrent" || die "cannot make single.torrent"
make_torrent_lt "$MULTI" "$SCRATCH/multi.torrent" || die "cannot make multi.torrent"
read -r PIECE_LENGTH NUM_PIECES SINGLE_SIZE _ < <("$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" info "$SCRATCH/single.torrent")
read -r _ MULTI_PIECES MULTI_SIZE _ < <("$SYSTEM_PYTHON" "$SEEDERS_DIR/seedtool.py" info "$SCRATCH/multi.torrent")
step "test data: $SINGLE ($SINGLE_SIZE bytes, $NUM_PIECES pieces of $PIECE_LENGTH)," \
  "$MULTI ($MULTI_SIZE bytes, $MULTI_PIECES pieces, $(torrent_files "$SCRATCH/multi.torrent" | wc -l) files)"

# --- helpers -------------------------------------------------------------------------------

# check_out <label> <torrent> <out-dir>: every file of the torrent is byte-identical.
check_out() {
  check_download "$2" "$DATA" "$3" || die "$1: wrong result in $3"
}

# add_empty_files <torrent> <out-dir>: transmission 3.00 never creates the zero-length
# files of a torrent (4.0 does); create the missing ones so that check_out can compare
# the rest. Prints how many there were.
add_empty_files() {
  local size path added=0
  while IFS=$'\t' read -r _ size path; do
    if [[ $size -eq 0 && ! -e $2/$path ]]; then
      mkdir -p -- "$(dirname -- "$2/$path")" && : >"$2/$path"
      added=$((added + 1))
    fi
  done < <(torrent_files "$1")
  echo "$added"
}

# counter <label> <key>: a counter of the last stopped bitflow seeder's --json line.
counter() {
  bitflow_counter "$BF_SEEDER_OUT" "$2" ||
    die "$1: no '$2' in bitflow seed's --json output: $(cat "$BF_SEEDER_OUT")"
}

# wait_exit <pid> <seconds>: 0 when the process has exited within that time.
wait_exit() {
  local pid=$1 ticks=$(($2 * 10))
  while kill -0 "$pid" 2>/dev/null; do
    ((ticks-- > 0)) || return 1
    sleep 0.1
  done
}

# --- every leecher, single and multi-file ----------------------------------------------------

for stem in single multi; do
  torrent=$SCRATCH/$stem.torrent
  if [[ $stem == single ]]; then
    data_path=$DATA size=$SINGLE_SIZE # the folder that holds the file
  else
    data_path=$MULTI size=$MULTI_SIZE # the torrent's folder itself
  fi
  seed_opts=(--json)
  if [[ " $KINDS " == *" transmission "* ]]; then
    start_transmission_leecher "$SCRATCH/tr-$stem" "$torrent" "$SCRATCH/out-transmission-$stem" ||
      die "the transmission leecher did not start"
    seed_opts+=(--peer "127.0.0.1:$TR_LEECHER_PORT")
  fi
  start_bitflow_seeder "$SCRATCH/seed-$stem" "$BITFLOW" "$torrent" "$data_path" "${seed_opts[@]}" ||
    die "bitflow seed $stem.torrent $data_path did not start"
  peer=127.0.0.1:$BF_SEEDER_PORT
  downloads=0

  for kind in $KINDS; do
    out=$SCRATCH/out-$kind-$stem
    started=$SECONDS
    case $kind in
      libtorrent)
        lt_download "$torrent" "$out" "$LEECH_LIMIT" "$peer" -- --quiet >"$out.log" 2>&1 ||
          die "libtorrent could not download $stem.torrent from bitflow seed: $(tail -n 5 "$out.log")
bitflow seed's log: $(tail -n 5 "$BF_SEEDER_LOG")"
        ;;
      aria2)
        start_static_tracker "$SCRATCH/tracker-$stem" "$peer" || die "the static tracker did not start"
        aria2_download "$torrent" "$out" "$LEECH_LIMIT" "$STATIC_TRACKER_URL" >"$out.log" 2>&1 ||
          die "aria2c could not download $stem.torrent from bitflow seed: $(tail -n 5 "$out.log")
bitflow seed's log: $(tail -n 5 "$BF_SEEDER_LOG")"
        stop_seeder "$STATIC_TRACKER_PID"
        ;;
      transmission)
        # Started before the seeder, which dialled it; it has been downloading meanwhile.
        wait_transmission_leecher "$LEECH_LIMIT" >"$out.log" 2>&1 ||
          die "transmission could not download $stem.torrent from bitflow seed: $(tail -n 25 "$out.log")
bitflow seed's log: $(tail -n 5 "$BF_SEEDER_LOG")"
        ;;
      *) die "unknown leecher '$kind' (libtorrent, aria2, transmission)" ;;
    esac
    note=''
    if [[ $kind == transmission ]]; then
      empty=$(add_empty_files "$torrent" "$out")
      ((empty == 0)) || note=" (transmission left out $empty zero-length file(s), added before the comparison)"
    fi
    check_out "$kind from bitflow seed, $stem" "$torrent" "$out"
    downloads=$((downloads + 1))
    step "$kind downloaded $stem.torrent from bitflow seed in $((SECONDS - started)) s: files identical$note"
  done

  # SIGTERM: a seeder without limits ends that way, with exit status 0 and its counters.
  stop_seeder "$BF_SEEDER_PID"
  [[ $SEEDER_STATUS -eq 0 ]] ||
    die "bitflow seed ($stem) exited with status $SEEDER_STATUS on SIGTERM: $(tail -n 5 "$BF_SEEDER_LOG")"
  uploaded=$(counter "$stem" uploaded)
  downloaded=$(counter "$stem" downloaded)
  failures=$(counter "$stem" hash_failures)
  step "bitflow seed ($stem) counters: $(grep '^{' "$BF_SEEDER_OUT" | tail -n 1)"
  ((uploaded >= downloads * size)) ||
    die "bitflow seed ($stem) says it uploaded $uploaded bytes, but $downloads leechers got all $size bytes from it"
  ((downloaded == 0)) || die "bitflow seed ($stem) says it downloaded $downloaded bytes"
  ((failures == 0)) || die "bitflow seed ($stem) says it had $failures hash failures"
  step "bitflow seed ($stem): exit 0 on SIGTERM, uploaded $uploaded bytes >= $downloads x $size"
done

# --- seed limits --------------------------------------------------------------------------------

start_bitflow_seeder "$SCRATCH/ratio" "$BITFLOW" "$SCRATCH/single.torrent" "$DATA" --ratio 1 --json --quiet ||
  die "bitflow seed --ratio 1 did not start"
lt_download "$SCRATCH/single.torrent" "$SCRATCH/out-ratio" "$LEECH_LIMIT" "127.0.0.1:$BF_SEEDER_PORT" -- --quiet \
  >"$SCRATCH/out-ratio.log" 2>&1 || die "libtorrent could not download from bitflow seed --ratio 1: $(tail -n 5 "$SCRATCH/out-ratio.log")"
check_out "bitflow seed --ratio 1" "$SCRATCH/single.torrent" "$SCRATCH/out-ratio"
wait_exit "$BF_SEEDER_PID" 15 ||
  die "bitflow seed --ratio 1 still runs 15 s after a leecher got the whole torrent from it: $(tail -n 3 "$BF_SEEDER_LOG")"
stop_seeder "$BF_SEEDER_PID"
[[ $SEEDER_STATUS -eq 0 ]] || die "bitflow seed --ratio 1 ended with status $SEEDER_STATUS: $(tail -n 5 "$BF_SEEDER_LOG")"
uploaded=$(counter "--ratio 1" uploaded)
((uploaded >= SINGLE_SIZE)) || die "bitflow seed --ratio 1 stopped after uploading $uploaded of $SINGLE_SIZE bytes"
step "bitflow seed --ratio 1: ended by itself (exit 0, state $(counter "--ratio 1" state)) after uploading $uploaded bytes"

started=$SECONDS
status=0
timeout -k 5 30 "$BITFLOW" seed "$SCRATCH/single.torrent" "$DATA" --listen 127.0.0.1 --port 0 \
  --seed-time 3 --quiet >"$SCRATCH/seed-time.out" 2>"$SCRATCH/seed-time.log" </dev/null || status=$?
elapsed=$((SECONDS - started))
[[ $status -eq 0 ]] || die "bitflow seed --seed-time 3 exited with status $status after $elapsed s: $(tail -n 3 "$SCRATCH/seed-time.log")"
((elapsed >= 3 && elapsed <= 15)) || die "bitflow seed --seed-time 3 ended after $elapsed s"
step "bitflow seed --seed-time 3: ended by itself after $elapsed s (exit 0)"

# --- incomplete and corrupt data -----------------------------------------------------------------

# refused <label> <torrent> <data-path> <folder>: `bitflow seed` must exit 1 within 60 s
# saying which part of the data is verified; <folder> (what it was given) must be as
# before, except for bitflow's own .bitflow/ folder.
refused() {
  local label=$1 torrent=$2 data=$3 folder=$4 status=0 before after msg
  before=$(cd "$folder" && find . -path ./.bitflow -prune -o -printf '%p %s\n' | sort | md5sum)
  timeout -k 5 60 "$BITFLOW" seed "$torrent" "$data" --listen 127.0.0.1 --port 0 --quiet \
    >"$SCRATCH/refused.out" 2>"$SCRATCH/refused.log" </dev/null || status=$?
  ((status != 124 && status != 137)) || die "$label: bitflow seed still ran after 60 s"
  [[ $status -eq 1 ]] ||
    die "$label: bitflow seed exited with status $status, not 1: $(tail -n 3 "$SCRATCH/refused.log")"
  msg=$(grep -E 'bitflow: .*incomplete: [0-9]+ of [0-9]+ pieces verified' "$SCRATCH/refused.log") ||
    die "$label: no clear message from bitflow seed (stderr: $(tail -n 3 "$SCRATCH/refused.log"))"
  after=$(cd "$folder" && find . -path ./.bitflow -prune -o -printf '%p %s\n' | sort | md5sum)
  [[ $before == "$after" ]] || die "$label: bitflow seed changed the files in $folder"
  step "$label: exit 1, \"$msg\""
}

BAD=$SCRATCH/bad
mkdir -p "$BAD/byte" "$BAD/short" "$BAD/missing" "$BAD/empty" "$BAD/later"
SINGLE_NAME=$(basename "$SINGLE")
cp -- "$SINGLE" "$BAD/byte/"
# One byte in the middle of a piece: the size is right, one piece fails its hash.
printf '\x5a' | dd of="$BAD/byte/$SINGLE_NAME" bs=1 seek=5000000 conv=notrunc 2>/dev/null
cmp -s -- "$SINGLE" "$BAD/byte/$SINGLE_NAME" && die "the test byte was already 0x5a: pick another"
cp -- "$BAD/byte/$SINGLE_NAME" "$SCRATCH/byte.copy"
refused "one byte changed" "$SCRATCH/single.torrent" "$BAD/byte" "$BAD/byte"
cmp -s -- "$BAD/byte/$SINGLE_NAME" "$SCRATCH/byte.copy" || die "bitflow seed rewrote the corrupt file"

head -c $((SINGLE_SIZE / 2)) -- "$SINGLE" >"$BAD/short/$SINGLE_NAME"
refused "file truncated to half its size" "$SCRATCH/single.torrent" "$BAD/short" "$BAD/short"

cp -r -- "$MULTI" "$BAD/missing/"
MULTI_NAME=$(basename "$MULTI")
rm -- "$BAD/missing/$MULTI_NAME/sub/b.bin"
refused "multi-file torrent with sub/b.bin missing" "$SCRATCH/multi.torrent" "$BAD/missing/$MULTI_NAME" "$BAD/missing"

refused "an empty folder" "$SCRATCH/single.torrent" "$BAD/empty" "$BAD/empty"

# A successful run first (it writes its resume file), then one byte changes: the resume
# file must not make bitflow trust the data.
cp -- "$SINGLE" "$BAD/later/"
timeout -k 5 30 "$BITFLOW" seed "$SCRATCH/single.torrent" "$BAD/later" --listen 127.0.0.1 --port 0 \
  --seed-time 1 --quiet >"$SCRATCH/later.out" 2>"$SCRATCH/later.log" </dev/null ||
  die "bitflow seed --seed-time 1 on good data failed: $(tail -n 3 "$SCRATCH/later.log")"
printf '\x5a' | dd of="$BAD/later/$SINGLE_NAME" bs=1 seek=5000000 conv=notrunc 2>/dev/null
refused "one byte changed after a successful run" "$SCRATCH/single.torrent" "$BAD/later" "$BAD/later"

echo "PASS: libtorrent, aria2c and transmission download byte-identical data from bitflow seed"
