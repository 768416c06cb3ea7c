#!/usr/bin/env bash
# `bitflow download <URL>` against a misbehaving HTTP server (tests/servers/bad_http.py)
# on 127.0.0.1: every case ends in the right file or one clear error, never a file
# outside the output folder, never a wrong file under the final name.
#
#   url_hostile.sh <bitflow-cli> <scratch-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
init "$@"
require_python

random_file "$SCRATCH/data.bin" $((3 * 1024 * 1024 + 17))
"$SYSTEM_PYTHON" "$(dirname "$0")/../servers/bad_http.py" "$SCRATCH/port" "$SCRATCH/data.bin" \
  >"$SCRATCH/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
deadline=$((SECONDS + 10))
until [[ -s $SCRATCH/port ]]; do
  kill -0 "$server" 2>/dev/null || die "bad_http.py exited: $(cat "$SCRATCH/server.log")"
  ((SECONDS < deadline)) || die "bad_http.py did not start within 10 s"
  sleep 0.05 # poll interval of a deadline-bounded wait
done
base=http://127.0.0.1:$(cat "$SCRATCH/port")

# case <name> <expected-exit> <expected text in the output, or ""> [args...]: downloads
# $base/<name> into $SCRATCH/out-<name> (60 s at most).
case_() {
  local name=$1 want=$2 text=$3 status=0 out=$SCRATCH/out-${1//\//_} log
  shift 3
  log=$out.log
  mkdir -p "$out"
  step "$name: exit $want${text:+, '$text'}"
  timeout -k 5 60 "$BITFLOW" download "$base/$name" -o "$out" -x 4 -k 256k --max-tries 3 \
    --quiet "$@" >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "$name: exit $status, expected $want: $(tail -n 3 "$log")"
  [[ -z $text ]] || grep -qi -- "$text" "$log" || die "$name: '$text' not in: $(cat "$log")"
  if [[ $want == 0 ]]; then
    local files
    files=$(find "$out" -type f)
    [[ $(wc -l <<<"$files") == 1 ]] || die "$name: expected one file, got: $files"
    cmp "$SCRATCH/data.bin" "$files" || die "$name: the file differs"
  else
    # Nothing but an unfinished .part (and its control file) may be left.
    [[ -z $(find "$out" -type f ! -name '*.part' ! -name '*.part.bitflow') ]] ||
      die "$name: a failed download left a final file: $(ls -la "$out")"
  fi
}

case_ good 0 ""
case_ flaky 0 ""           # 503 twice with Retry-After, then fine
case_ norange 0 ""         # promises ranges, ignores them: one plain stream instead
case_ short 1 "gave up"    # a body cut in half
case_ long 1 "longer"      # more bytes than announced
case_ wrongrange 1 "Content-Range"
case_ etagflip 1 "changed"
case_ loop 1 "redirect"
case_ silence 1 "too slow" --stall-timeout 2
case_ evil-name 0 ""
case_ abs-name 0 ""
case_ ctl-name 0 ""
case_ long-name 0 ""

step "names from Content-Disposition stay inside the folder"
[[ -e $SCRATCH/out-evil-name/evil.txt ]] || die "../../evil.txt was not saved as evil.txt: $(ls "$SCRATCH/out-evil-name")"
[[ ! -e $SCRATCH/evil.txt && ! -e $(dirname "$SCRATCH")/evil.txt ]] || die "a file escaped the folder"
[[ -e $SCRATCH/out-abs-name/evil ]] || die "/etc/evil was not saved as evil: $(ls "$SCRATCH/out-abs-name")"
name=$(ls "$SCRATCH/out-ctl-name")
[[ $name != *$'\n'* && $name == *.txt ]] || die "control characters survived in '$name'"

name=$(ls "$SCRATCH/out-long-name")
((${#name} <= 242)) && [[ $name == *.bin ]] || die "a 404-byte name became '${name}' (${#name} bytes)"

echo "OK: every misbehaving server case held"
