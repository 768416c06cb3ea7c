#!/usr/bin/env bash
# Integration: `bitflow check <torrent> <data-path>` verifies existing data and says what
# is wrong with it. A multi-file torrent (32 KiB pieces straddling file boundaries, an
# empty file, UTF-8 names) and a single-file one (a short last piece):
#   * complete data, with the data path given the ways `bitflow seed` takes it (the folder
#     holding the content, the content itself, with a trailing slash): exit 0, and the
#     --json report has every count right (check_oracle.py derives them from
#     `bitflow info --json`);
#   * one flipped byte: exit 1 with one line on stderr, exactly that piece reported, its
#     file partial (N of M pieces) and the others complete;
#   * a missing file (its pieces, and the neighbours sharing them, not verified), a
#     truncated file (size on disk reported), a missing empty file;
#   * the text form says the same; usage errors exit 2;
#   * the check never changes the data (no file created, written or deleted);
#   * with python3-libtorrent installed, libtorrent's own check of a copy of each damaged
#     data set finds the same good pieces (otherwise that part is skipped with a note).
#
# usage: check_data.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHECK_ORACLE="$INTEGRATION_DIR/check_oracle.py"
LT_CHECK="$INTEGRATION_DIR/lt_check.py"
HAVE_LIBTORRENT=false

check_oracle() {
  "$SYSTEM_PYTHON" "$CHECK_ORACLE" "$@"
}

# listing <dir>: every path under <dir> with its type, size and modification time.
listing() {
  find "$1" -printf '%P %y %s %T@\n' | LC_ALL=C sort
}

# flip_byte <file> <offset>: inverts one byte in place (twice restores it).
flip_byte() {
  "$SYSTEM_PYTHON" - "$1" "$2" <<'EOF'
import sys
path, offset = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(offset)
    b = f.read(1)
    f.seek(offset)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
}

# run_check <label> <expected-exit> <torrent> <data-path> [more options]: runs
# `bitflow check --json --quiet`, leaving $SCRATCH/<label>.{json,stderr}; the data must
# be exactly as it was.
run_check() {
  local label=$1 want=$2 torrent=$3 data=$4 rc=0 before after
  shift 4
  step "$label: bitflow check $(basename "$torrent") ${data#"$SCRATCH"/} $*"
  before=$(listing "$SCRATCH/data")
  "$BITFLOW" check "$torrent" "$data" --json --quiet "$@" >"$SCRATCH/$label.json" \
    2>"$SCRATCH/$label.stderr" || rc=$?
  [[ $rc == "$want" ]] ||
    die "$label: exit status $rc, expected $want; stderr: $(cat "$SCRATCH/$label.stderr")"
  after=$(listing "$SCRATCH/data")
  [[ $before == "$after" ]] || die "$label: bitflow check changed the data:
$(diff <(echo "$before") <(echo "$after"))"
  local lines
  lines=$(wc -l <"$SCRATCH/$label.stderr")
  if [[ $want == 0 ]]; then
    [[ $lines == 0 ]] || die "$label: wrote to stderr: $(cat "$SCRATCH/$label.stderr")"
  else
    [[ $lines == 1 ]] || die "$label: expected one line on stderr, got: $(cat "$SCRATCH/$label.stderr")"
    grep -q '^bitflow: the data is incomplete: ' "$SCRATCH/$label.stderr" ||
      die "$label: unexpected message: $(cat "$SCRATCH/$label.stderr")"
  fi
}

# expect <label> <info.json> [check_oracle.py expect options]
expect() {
  local label=$1 info=$2
  shift 2
  check_oracle expect "$SCRATCH/$label.json" "$info" "$@" ||
    die "$label: bitflow check's report is wrong (see above)"
}

# same_as_libtorrent <label> <torrent> <data-parent> <info.json> <bad-pieces-json>:
# libtorrent, checking a copy of the data, must find exactly the same pieces bad.
same_as_libtorrent() {
  local label=$1 torrent=$2 data=$3 info=$4 bad=$5 copy="$SCRATCH/lt-copy" good theirs
  $HAVE_LIBTORRENT || return 0
  rm -rf -- "$copy"
  cp -a -- "$data" "$copy"
  good=$("$SYSTEM_PYTHON" "$LT_CHECK" "$torrent" "$copy") || die "$label: lt_check.py failed"
  echo "$good" >"$SCRATCH/$label.lt.json"
  theirs=$(check_oracle complement "$info" "$SCRATCH/$label.lt.json")
  [[ $theirs == "$bad" ]] ||
    die "$label: libtorrent finds the pieces $theirs bad, the test expects $bad"
  rm -rf -- "$copy"
}

make_data() {
  random_file "$SCRATCH/data/multi/a.bin" 300000
  random_file "$SCRATCH/data/multi/c.bin" 50000
  : >"$SCRATCH/data/multi/empty.txt"
  random_file "$SCRATCH/data/multi/sub/b.bin" 70001
  random_file "$SCRATCH/data/multi/z z/β file.bin" 40000
  random_file "$SCRATCH/data/single.bin" $((3 * 1024 * 1024 + 12345))
  "$BITFLOW" create "$SCRATCH/data/multi" -o "$SCRATCH/multi.torrent" --piece-size 32k \
    --quiet || die "bitflow create multi failed"
  "$BITFLOW" create "$SCRATCH/data/single.bin" -o "$SCRATCH/single.torrent" \
    --piece-size 256k --quiet || die "bitflow create single failed"
  bitflow_json "$SCRATCH/multi.torrent" "$SCRATCH/multi.info.json"
  bitflow_json "$SCRATCH/single.torrent" "$SCRATCH/single.info.json"
}

check_complete() {
  local multi=$SCRATCH/multi.torrent info=$SCRATCH/multi.info.json
  run_check complete-parent 0 "$multi" "$SCRATCH/data"
  expect complete-parent "$info"
  run_check complete-content 0 "$multi" "$SCRATCH/data/multi"
  expect complete-content "$info"
  run_check complete-slash 0 "$multi" "$SCRATCH/data/multi/"
  expect complete-slash "$info"
  run_check complete-one-thread 0 "$multi" "$SCRATCH/data" --threads 1
  expect complete-one-thread "$info"
  local single=$SCRATCH/single.torrent sinfo=$SCRATCH/single.info.json
  run_check single-file 0 "$single" "$SCRATCH/data/single.bin"
  expect single-file "$sinfo"
  run_check single-parent 0 "$single" "$SCRATCH/data"
  expect single-parent "$sinfo"
  same_as_libtorrent complete "$multi" "$SCRATCH/data" "$info" "[]"
}

check_flipped_byte() {
  local multi=$SCRATCH/multi.torrent info=$SCRATCH/multi.info.json bad
  bad=$(check_oracle bad-pieces "$info" multi/a.bin 100000 100001)
  [[ $bad == "[3]" ]] || die "flipped byte: the oracle says $bad, expected [3]"
  flip_byte "$SCRATCH/data/multi/a.bin" 100000
  run_check flipped 1 "$multi" "$SCRATCH/data"
  expect flipped "$info" --bad-pieces "$bad"
  grep -qx 'bitflow: the data is incomplete: 14 of 15 pieces verified; 1 file partial' \
    "$SCRATCH/flipped.stderr" || die "flipped: unexpected message: $(cat "$SCRATCH/flipped.stderr")"
  same_as_libtorrent flipped "$multi" "$SCRATCH/data" "$info" "$bad"

  step "flipped: the text form"
  local out rc=0
  out=$("$BITFLOW" check "$multi" "$SCRATCH/data" --quiet 2>"$SCRATCH/text.stderr") || rc=$?
  [[ $rc == 1 ]] || die "text form: exit status $rc, expected 1"
  grep -qx 'partial   multi/a.bin  (9 of 10 pieces verified)' <<<"$out" ||
    die "text form: no 'partial multi/a.bin (9 of 10 pieces verified)' line in:
$out"
  grep -qx 'complete  multi/z z/β file.bin' <<<"$out" || die "text form: β file not complete:
$out"
  grep -qx 'pieces not verified: 3' <<<"$out" || die "text form: no 'pieces not verified: 3':
$out"
  grep -q '^multi: 14 of 15 pieces verified, .* MB/s)$' <<<"$out" ||
    die "text form: no summary line in:
$out"
  flip_byte "$SCRATCH/data/multi/a.bin" 100000  # restored

  local single=$SCRATCH/single.torrent sinfo=$SCRATCH/single.info.json last
  last=$(($(stat -c %s "$SCRATCH/data/single.bin") - 1))
  bad=$(check_oracle bad-pieces "$sinfo" single.bin "$last")
  flip_byte "$SCRATCH/data/single.bin" "$last"
  run_check single-flipped 1 "$single" "$SCRATCH/data/single.bin"
  expect single-flipped "$sinfo" --bad-pieces "$bad"
  flip_byte "$SCRATCH/data/single.bin" "$last"
}

check_missing_file() {
  local multi=$SCRATCH/multi.torrent info=$SCRATCH/multi.info.json bad
  bad=$(check_oracle bad-pieces "$info" multi/c.bin 0)
  mv -- "$SCRATCH/data/multi/c.bin" "$SCRATCH/c.bin.saved"
  run_check missing 1 "$multi" "$SCRATCH/data"
  expect missing "$info" --bad-pieces "$bad" --missing multi/c.bin
  grep -qx 'bitflow: the data is incomplete: 13 of 15 pieces verified; 2 files partial, 1 missing' \
    "$SCRATCH/missing.stderr" || die "missing: unexpected message: $(cat "$SCRATCH/missing.stderr")"
  same_as_libtorrent missing "$multi" "$SCRATCH/data" "$info" "$bad"
  mv -- "$SCRATCH/c.bin.saved" "$SCRATCH/data/multi/c.bin"

  rm -- "$SCRATCH/data/multi/empty.txt"
  run_check missing-empty 1 "$multi" "$SCRATCH/data"
  expect missing-empty "$info" --missing multi/empty.txt
  grep -qx 'bitflow: the data is incomplete: 15 of 15 pieces verified; 1 file missing' \
    "$SCRATCH/missing-empty.stderr" ||
    die "missing-empty: unexpected message: $(cat "$SCRATCH/missing-empty.stderr")"
  : >"$SCRATCH/data/multi/empty.txt"

  local single=$SCRATCH/single.torrent sinfo=$SCRATCH/single.info.json
  mv -- "$SCRATCH/data/single.bin" "$SCRATCH/single.bin.saved"
  run_check single-missing 1 "$single" "$SCRATCH/data"
  expect single-missing "$sinfo" --bad-pieces "$(check_oracle bad-pieces "$sinfo" single.bin 0)" \
    --missing single.bin
  mv -- "$SCRATCH/single.bin.saved" "$SCRATCH/data/single.bin"
}

check_truncated_file() {
  local multi=$SCRATCH/multi.torrent info=$SCRATCH/multi.info.json bad
  cp -a -- "$SCRATCH/data/multi/sub/b.bin" "$SCRATCH/b.bin.saved"
  bad=$(check_oracle bad-pieces "$info" multi/sub/b.bin 30000)
  truncate -s 30000 "$SCRATCH/data/multi/sub/b.bin"
  run_check truncated 1 "$multi" "$SCRATCH/data"
  expect truncated "$info" --bad-pieces "$bad" --size multi/sub/b.bin=30000
  same_as_libtorrent truncated "$multi" "$SCRATCH/data" "$info" "$bad"
  mv -- "$SCRATCH/b.bin.saved" "$SCRATCH/data/multi/sub/b.bin"

  step "truncated to nothing"
  bad=$(check_oracle bad-pieces "$info" multi/sub/b.bin 0)
  cp -a -- "$SCRATCH/data/multi/sub/b.bin" "$SCRATCH/b.bin.saved"
  truncate -s 0 "$SCRATCH/data/multi/sub/b.bin"
  run_check truncated-empty 1 "$multi" "$SCRATCH/data"
  expect truncated-empty "$info" --bad-pieces "$bad" --size multi/sub/b.bin=0
  mv -- "$SCRATCH/b.bin.saved" "$SCRATCH/data/multi/sub/b.bin"
}

# usage_error <expected-exit> <args...>: bitflow check with these arguments fails so.
usage_error() {
  local want=$1 rc=0
  shift
  "$BITFLOW" check "$@" >/dev/null 2>"$SCRATCH/usage.stderr" || rc=$?
  [[ $rc == "$want" ]] || die "bitflow check $*: exit status $rc, expected $want"
  [[ $(wc -l <"$SCRATCH/usage.stderr") == 1 ]] ||
    die "bitflow check $*: expected one line on stderr, got: $(cat "$SCRATCH/usage.stderr")"
}

check_usage() {
  step "usage errors"
  usage_error 2
  usage_error 2 "$SCRATCH/multi.torrent"
  usage_error 2 "$SCRATCH/multi.torrent" "$SCRATCH/no-such-folder"
  usage_error 2 "$SCRATCH/multi.torrent" "$SCRATCH/data" --no-such-option
  usage_error 2 "$SCRATCH/multi.torrent" "$SCRATCH/data" --threads 0
  usage_error 1 "$SCRATCH/data/multi/a.bin" "$SCRATCH/data"  # not a torrent
  usage_error 1 "$SCRATCH/no-such.torrent" "$SCRATCH/data"

  step "progress on stderr when it is not a terminal"
  "$BITFLOW" check "$SCRATCH/multi.torrent" "$SCRATCH/data" >/dev/null 2>"$SCRATCH/progress.stderr" ||
    die "progress: bitflow check failed: $(cat "$SCRATCH/progress.stderr")"
  grep -q '^checking: 100.0% of ' "$SCRATCH/progress.stderr" ||
    die "progress: no final 'checking: 100.0%' line: $(cat "$SCRATCH/progress.stderr")"
}

main() {
  init "$@"
  require_python
  if "$SYSTEM_PYTHON" -c 'import libtorrent' 2>/dev/null; then
    HAVE_LIBTORRENT=true
  else
    echo "NOTE: python3-libtorrent is not installed: no comparison with libtorrent's check"
  fi
  make_data
  check_complete
  check_flipped_byte
  check_missing_file
  check_truncated_file
  check_usage
  echo "PASS: bitflow check reports complete, damaged and missing data correctly"
}

main "$@"
