#!/usr/bin/env bash
# Integration: `bitflow info` turns broken and hostile .torrent files into exit status 1
# and a single "bitflow: ..." line on stderr (never a crash, a hang or a half-printed
# result), accepts '..' and absolute paths only after making them harmless, and reports
# usage errors with status 2.
#
# usage: hostile_torrents.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Any single bitflow run that takes longer than this is a hang.
RUN_LIMIT=20

# The torrents are written by hand, byte for byte. Keys must stay sorted (bencoding
# demands it), and every case differs from VALID_INFO in one defect only, so the
# rejection can only be caused by that defect.
PIECES20="aaaaaaaaaaaaaaaaaaaa"
VALID_INFO="d6:lengthi5e4:name8:file.txt12:piece lengthi16384e6:pieces20:${PIECES20}e"

# torrent <info dictionary>: a whole torrent around it.
torrent() {
  printf 'd8:announce27:http://127.0.0.1:9/announce4:info%se' "$1"
}

# run_bitflow <stdout file> <stderr file> <args...>: prints bitflow's exit status.
run_bitflow() {
  local out=$1 err=$2 status=0
  shift 2
  timeout "$RUN_LIMIT" "$BITFLOW" "$@" >"$out" 2>"$err" || status=$?
  [[ $status -ne 124 ]] || die "bitflow $* did not finish within $RUN_LIMIT s"
  echo "$status"
}

# expect_failure <label> <status> <bitflow args...>: bitflow must exit with <status>,
# print nothing on stdout and exactly one line starting with "bitflow: " on stderr.
expect_failure() {
  local label=$1 want=$2
  shift 2
  local out="$SCRATCH/tmp/stdout" err="$SCRATCH/tmp/stderr" status
  status=$(run_bitflow "$out" "$err" "$@")
  [[ $status == "$want" ]] ||
    die "$label: exit status $status, expected $want; stderr: $(cat "$err")"
  [[ $(wc -l <"$err") -eq 1 ]] ||
    die "$label: stderr should be exactly one line, got: $(cat "$err")"
  [[ $(head -c 9 "$err") == "bitflow: " ]] ||
    die "$label: stderr does not start with 'bitflow: ': $(cat "$err")"
  [[ ! -s $out ]] || die "$label: printed to stdout although it failed: $(cat "$out")"
  step "$label -> $(cat "$err")"
}

# expect_rejected <label> <file contents>: as a .torrent file, in text and JSON mode.
expect_rejected() {
  local label=$1 file="$SCRATCH/${1// /-}.torrent"
  printf '%s' "$2" >"$file"
  expect_failure "$label" 1 info "$file"
  expect_failure "$label (--json)" 1 info --json "$file"
}

# expect_accepted <name> <file contents>: writes <name>.torrent, which bitflow must
# accept, and its JSON in <name>.json.
expect_accepted() {
  local name=$1 file="$SCRATCH/$1.torrent" status
  printf '%s' "$2" >"$file"
  status=$(run_bitflow "$SCRATCH/$name.json" "$SCRATCH/tmp/stderr" info --json "$file")
  [[ $status == 0 ]] ||
    die "$name: should be accepted, got status $status: $(cat "$SCRATCH/tmp/stderr")"
  step "$name -> accepted"
}

# check_safe_paths <json>: no path may climb out of the download folder or be absolute.
# ".." is checked as a path element: a name such as ".._x" is a harmless file name.
check_safe_paths() {
  local json=$1 path element elements count=0
  while IFS= read -r path; do
    count=$((count + 1))
    [[ $path != /* ]] || die "$json: absolute path '$path'"
    IFS=/ read -r -a elements <<<"$path"
    for element in "${elements[@]}"; do
      [[ $element != ".." && $element != "." && -n $element ]] ||
        die "$json: unsafe path '$path'"
    done
  done < <(oracle paths "$json")
  echo "$count"
}

check_rejections() {
  local valid
  valid=$(torrent "$VALID_INFO")
  # The control: the valid torrent every case below derives from.
  expect_accepted valid "$valid"

  expect_rejected "empty file" ""
  expect_rejected "not bencode at all" "this is not a torrent"
  expect_rejected "truncated bencode" "${valid:0:50}"
  expect_rejected "top level is a list, not a dictionary" "li1ei2ee"
  expect_rejected "info is an integer, not a dictionary" "d4:infoi42ee"
  expect_rejected "no info dictionary" "d8:announce27:http://127.0.0.1:9/announcee"
  expect_rejected "negative file length" \
    "$(torrent "d6:lengthi-5e4:name8:file.txt12:piece lengthi16384e6:pieces20:${PIECES20}e")"
  expect_rejected "pieces not a multiple of 20 bytes" \
    "$(torrent "d6:lengthi5e4:name8:file.txt12:piece lengthi16384e6:pieces19:${PIECES20:1}e")"
  expect_rejected "piece count does not fit the total size" \
    "$(torrent "d6:lengthi40000e4:name8:file.txt12:piece lengthi16384e6:pieces20:${PIECES20}e")"
  expect_rejected "zero piece length" \
    "$(torrent "d6:lengthi5e4:name8:file.txt12:piece lengthi0e6:pieces20:${PIECES20}e")"
  expect_rejected "string length past the end of the file" "d4:info999999999999:xe"
  # 100000 nested lists: a recursive parser without a depth limit overflows its stack.
  expect_rejected "nesting 100000 deep" "$(head -c 100000 /dev/zero | tr '\0' 'l')"
}

check_path_sanitizing() {
  # A multi-file torrent named ".." whose files try to climb out ("../../evil.txt") and
  # to write to an absolute path ("/etc/passwd").
  local files="ld6:lengthi3e4:pathl2:..2:..8:evil.txteed6:lengthi2e4:pathl4:/etc6:passwdeee"
  local json="$SCRATCH/climbing-paths.json" count
  expect_accepted climbing-paths \
    "$(torrent "d5:files${files}4:name2:..12:piece lengthi16384e6:pieces20:${PIECES20}e")"
  count=$(check_safe_paths "$json")
  [[ $count == 2 ]] || die "$json: expected 2 files, bitflow lists $count"
  [[ $(oracle field "$json" name) != ".." ]] || die "$json: the name '..' was kept"
  # bitflow documents that every renamed path is reported in "warnings".
  [[ $(oracle field "$json" warnings) != "[]" ]] || die "$json: paths renamed without a warning"
  step "sanitised paths: $(oracle paths "$json" | tr '\n' ' ')"

  # A single file named like a path: the name must become one harmless element.
  json="$SCRATCH/name-like-a-path.json"
  local info="d6:lengthi5e4:name16:../../escape.txt12:piece lengthi16384e6:pieces20:${PIECES20}e"
  expect_accepted name-like-a-path "$(torrent "$info")"
  count=$(check_safe_paths "$json")
  [[ $count == 1 ]] || die "$json: expected 1 file, bitflow lists $count"
  [[ $(oracle paths "$json") != */* ]] || die "$json: a single-file path with a '/'"
  [[ $(oracle field "$json" warnings) != "[]" ]] || die "$json: name renamed without a warning"
  step "sanitised name: $(oracle paths "$json")"
}

check_usage_errors() {
  expect_failure "info without arguments" 2 info
  expect_failure "info with a file that does not exist" 1 info "$SCRATCH/no-such.torrent"
}

main() {
  init "$@"
  require_python
  require_tool timeout
  check_rejections
  check_path_sanitizing
  check_usage_errors
  echo "PASS: hostile torrents are rejected cleanly and paths are sanitised"
}

main "$@"
