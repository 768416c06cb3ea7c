# lib.sh — helpers shared by the integration scripts. Source it; do not run it.
#
# Conventions: every script is called as `script <bitflow-cli> <scratch-dir> [more...]`,
# keeps all its files in the scratch folder (emptied first), exits 0 when everything
# agrees, 1 on the first disagreement and 77 (ctest's "skipped") only when something it
# needs is missing and may be missing, with one line saying what:
#   * a bitflow command the test exercises must exist: a missing one is a failure
#     (require_bitflow_command), never a skip;
#   * the tools the tests run (require_tool, require_python, require_libtorrent, have_tool)
#     are all installed by scripts/setup.sh: under CI (CI=true), where setup.sh has run,
#     a missing one is a failure; elsewhere (a developer's machine) it skips the test;
#   * only optional things (not installed by setup.sh, or out of our hands, such as the
#     npm registry for bittorrent-tracker) skip under CI too, saying why (skip).
# shellcheck shell=bash

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORACLE="$INTEGRATION_DIR/torrent_oracle.py"
# Debian's python3-libtorrent is importable only from Debian's own interpreter; a
# python3 found first on PATH (pyenv) does not have it.
SYSTEM_PYTHON=/usr/bin/python3
SKIP_STATUS=77

BITFLOW=
SCRATCH=

die() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIPPED: $*" >&2
  exit "$SKIP_STATUS"
}

step() {
  echo "-- $*"
}

# init <bitflow-cli> <scratch-dir>: checks the arguments and empties the scratch folder.
init() {
  [[ $# -ge 2 ]] || die "usage: $0 <bitflow-cli> <scratch-dir> ..."
  BITFLOW=$1
  SCRATCH=$2
  [[ -x $BITFLOW ]] || die "bitflow CLI not found or not executable: $BITFLOW"
  # The folder is deleted and recreated: refuse anything that is not a private subfolder.
  [[ $SCRATCH == /?*/?* && $SCRATCH != *..* ]] || die "refusing scratch folder '$SCRATCH'"
  rm -rf -- "$SCRATCH"
  mkdir -p -- "$SCRATCH/tmp"
  # Tools that make temporary files put them here too.
  export TMPDIR="$SCRATCH/tmp"
  # Some tools' output (dates, sizes) depends on the locale; the file names are UTF-8.
  export LC_ALL=C.UTF-8
}

# missing <what>: something scripts/setup.sh installs is not there: a failure under CI
# (CI=true), a skip elsewhere.
missing() {
  [[ ${CI:-} != true ]] || die "$* (scripts/setup.sh installs it, and CI=true)"
  skip "$*"
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 || missing "required tool '$1' is not installed"
}

# have_tool <tool>: true when it is installed. When it is not, false (for a part of a
# test that can be left out, saying so) or, under CI, a failure.
have_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ ${CI:-} != true ]] || die "required tool '$1' is not installed (scripts/setup.sh installs it, and CI=true)"
  return 1
}

require_python() {
  [[ -x $SYSTEM_PYTHON ]] || missing "required tool '$SYSTEM_PYTHON' is not installed"
}

require_libtorrent() {
  require_python
  "$SYSTEM_PYTHON" -c 'import libtorrent' 2>/dev/null ||
    missing "required tool python3-libtorrent is not installed (cannot import it in $SYSTEM_PYTHON)"
}

# require_bitflow_command <command> <arguments...>: the CLI must have the command, or the
# test fails. `bitflow <command> --help` prints the general usage and exits 0 for any
# command, even an unknown one, so the usage must name the command as a word ("--seed"
# does not count for seed), and running it with <arguments> (chosen to fail quickly, e.g.
# a torrent that does not exist) must not be refused as an unknown command.
require_bitflow_command() {
  local command=$1 out word_re
  shift
  word_re='(^|[^-[:alnum:]])'"$command"'([[:space:]]|$)'
  out=$("$BITFLOW" "$command" --help 2>&1) || die "bitflow $command --help failed: $out"
  [[ $out =~ $word_re ]] || die "bitflow has no '$command' command: its usage does not name it"
  out=$(timeout -k 2 10 "$BITFLOW" "$command" "$@" 2>&1 </dev/null) || true
  [[ $out != *"unknown command"* ]] || die "bitflow has no '$command' command: $out"
}

oracle() {
  "$SYSTEM_PYTHON" "$ORACLE" "$@"
}

# random_file <path> <bytes>
random_file() {
  mkdir -p -- "$(dirname -- "$1")"
  head -c "$2" /dev/urandom >"$1"
}

# wait_until_quarter_done <control-file> <size> <pid> <log>: waits (30 s at most) until
# the URL fetcher's control file records a quarter of <size> bytes as done, while the
# download <pid> (logging to <log>) still runs; for a kill -9 in the middle.
wait_until_quarter_done() {
  local control=$1 size=$2 pid=$3 log=$4 deadline=$((SECONDS + 30))
  until [[ -f $control ]] && "$SYSTEM_PYTHON" - "$control" "$size" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
m = re.search(rb"4:donel((?:i\d+e)*)e", data)
bounds = [int(x) for x in re.findall(rb"i(\d+)e", m.group(1))] if m else []
done = sum(bounds[i + 1] - bounds[i] for i in range(0, len(bounds), 2))
sys.exit(0 if done * 4 >= int(sys.argv[2]) else 1)
PY
  do
    kill -0 "$pid" 2>/dev/null || die "the first run ended early: $(cat "$log")"
    ((SECONDS < deadline)) || die "the control file never showed a quarter done"
    sleep 0.1 # poll interval of a deadline-bounded wait
  done
}

# make_sample_data <dir>: a single file whose size is not a multiple of any piece size,
# and a folder with nested subfolders, an empty file and names with spaces and UTF-8.
make_sample_data() {
  local dir=$1
  random_file "$dir/single.bin" $((3 * 1024 * 1024 + 12345))
  random_file "$dir/multi/a.bin" 300000
  : >"$dir/multi/empty.txt"
  random_file "$dir/multi/sub/b.bin" 40000
  random_file "$dir/multi/sub/deeper/naïve résumé ü.dat" 70001
  random_file "$dir/multi/sub/deeper/even deeper/z z.txt" 17
  random_file "$dir/multi/Ärger/β file.bin" 123
}

# bitflow_json <torrent> <out.json>: `bitflow info --json`, which must succeed quietly.
bitflow_json() {
  local err="$SCRATCH/tmp/info.stderr"
  "$BITFLOW" info --json "$1" >"$2" 2>"$err" ||
    die "bitflow info --json $1 failed: $(cat "$err")"
  [[ ! -s $err ]] || die "bitflow info --json $1 wrote to stderr: $(cat "$err")"
}

# transmission_field <torrent> <label>: the value of a "  Label: value" line of
# transmission-show's GENERAL section.
transmission_field() {
  local out
  out=$(transmission-show "$1") || die "transmission-show cannot read $1"
  sed -n "s/^ *$2: //p" <<<"$out" | head -n 1
}

# check_transmission_show <torrent> <bitflow.json>: transmission-show must agree with
# bitflow on the info-hash, the piece count and the private flag.
check_transmission_show() {
  local torrent=$1 json=$2 ours theirs
  ours=$(oracle field "$json" info_hash)
  theirs=$(transmission_field "$torrent" Hash)
  [[ $ours == "$theirs" ]] ||
    die "$torrent: info-hash: bitflow says '$ours', transmission-show says '$theirs'"

  ours=$(oracle field "$json" num_pieces)
  theirs=$(transmission_field "$torrent" "Piece Count")
  [[ $ours == "$theirs" ]] ||
    die "$torrent: piece count: bitflow says '$ours', transmission-show says '$theirs'"

  ours=$(oracle field "$json" private)
  theirs=$(transmission_field "$torrent" Privacy)
  case "$ours/$theirs" in
    "true/Private torrent" | "false/Public torrent") ;;
    *) die "$torrent: private flag: bitflow says '$ours', transmission-show says '$theirs'" ;;
  esac
}

# check_with_libtorrent <torrent> <bitflow.json> [oracle options...]
check_with_libtorrent() {
  local torrent=$1 json=$2
  shift 2
  oracle compare "$torrent" "$json" "$@" ||
    die "$torrent: bitflow and libtorrent disagree (see above)"
}

# start_bitflow_seed <torrent> <data-path> <log>: `bitflow seed` on 127.0.0.1 without
# trackers, in the background; its pid in $SEED_PID, the port it reported in $SEED_PORT
# (10 s at most). The caller stops it (servers.sh's stop_servers, when it is listed there).
start_bitflow_seed() {
  local log=$3 deadline=$((SECONDS + 10))
  "$BITFLOW" seed "$1" "$2" --no-trackers --port 0 --listen 127.0.0.1 >"$log" 2>&1 </dev/null &
  SEED_PID=$!
  if declare -p _SERVER_PIDS >/dev/null 2>&1; then _SERVER_PIDS+=("$SEED_PID"); fi
  SEED_PORT=''
  while [[ -z $SEED_PORT ]] && ((SECONDS < deadline)); do
    SEED_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")
    kill -0 "$SEED_PID" 2>/dev/null || die "bitflow seed exited: $(tail -n 5 "$log")"
    [[ -n $SEED_PORT ]] || sleep 0.1 # poll interval of a deadline-bounded wait
  done
  [[ -n $SEED_PORT ]] || die "bitflow seed did not report its port"
}
