# trackers.sh — real and misbehaving BitTorrent trackers on 127.0.0.1, for tests.
# shellcheck shell=bash
# The *_PORT, *_PID and BAD_TRACKER_LOG variables are set for the calling script:
# shellcheck disable=SC2034
#
# Source it from a test script and stop everything it started on exit:
#
#   source "$REPO/tests/trackers/trackers.sh"
#   trap stop_trackers EXIT
#   start_opentracker "$SCRATCH/ot" "$INFO_HASH_HEX" || die "no opentracker"
#   #   -> OPENTRACKER_PORT (HTTP on TCP and UDP, same number), OPENTRACKER_PID (the
#   #      `timeout` that runs it, which passes SIGTERM on)
#   start_bittorrent_tracker "$SCRATCH/bt" || die "no bittorrent-tracker"
#   #   -> BT_TRACKER_PORT (HTTP on TCP and UDP, same number), BT_TRACKER_PID
#   start_bad_tracker "$SCRATCH/bad" garbage || die "no bad tracker"
#   #   -> BAD_TRACKER_HTTP_PORT, BAD_TRACKER_UDP_PORT, BAD_TRACKER_PID, BAD_TRACKER_LOG
#   stop_tracker "$BAD_TRACKER_PID"   # one of them, early (optional)
#
# or run it by hand, to keep one tracker up until Ctrl-C:
#
#   bash tests/trackers/trackers.sh opentracker DIR INFO_HASH_HEX...
#   bash tests/trackers/trackers.sh bittorrent_tracker DIR
#   bash tests/trackers/trackers.sh bad_tracker DIR MODE
#
# Every start_* function picks free ports (the kernel's choice), starts the program with
# its log in DIR, waits at most TRACKER_START_LIMIT seconds until it really answers
# (an announce or a BEP 15 connect, not just an open port), prints one line with its URLs
# and PID, sets the variables above and records the PID for stop_trackers. It returns 1,
# with the reason on stderr, when the program does not come up; it exits the calling
# script with 77 (ctest's "skipped") when the program is not installed, or with 1 (a
# failure) under CI (CI=true), where scripts/setup.sh has installed it. npm failing to
# install bittorrent-tracker (no registry) skips the calling script, also under CI. Call
# the functions directly, never inside $(...): they set variables and may exit.
#
# Nothing here outlives its test for long: each program also stops by itself after
# TRACKER_LIFETIME seconds (bad_tracker.py after 120 s at most).

TRACKERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRACKER_PYTHON=${TRACKER_PYTHON:-/usr/bin/python3}
TRACKER_START_LIMIT=${TRACKER_START_LIMIT:-10}
TRACKER_LIFETIME=${TRACKER_LIFETIME:-300}
BT_TRACKER_VERSION=11.2.3
# npm installs bittorrent-tracker here, outside the source tree, once per machine.
BT_TRACKER_NPM_DIR=${BT_TRACKER_NPM_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/bitflow-test-npm}
TRACKER_PIDS=()

OPENTRACKER_PORT='' OPENTRACKER_PID=''
BT_TRACKER_PORT='' BT_TRACKER_PID=''
BAD_TRACKER_HTTP_PORT='' BAD_TRACKER_UDP_PORT='' BAD_TRACKER_PID='' BAD_TRACKER_LOG=''

# _tracker_skip <why>: something optional is unavailable (the npm registry, for
# bittorrent-tracker, is not ours): the calling script is skipped (exit 77, ctest's
# "skipped"), also under CI, saying why.
_tracker_skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

# _tracker_missing <what>: a program scripts/setup.sh installs is not there: under CI
# (CI=true), where setup.sh has run, the calling script fails (exit 1); elsewhere it is
# skipped (77).
_tracker_missing() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $* (scripts/setup.sh installs it, and CI=true)" >&2
    exit 1
  fi
  _tracker_skip "$*"
}

_tracker_fail() {
  echo "trackers.sh: $*" >&2
  return 1
}

_tracker_probe() {
  "$TRACKER_PYTHON" "$TRACKERS_DIR/probe.py" "$@"
}

_tracker_require_python() {
  [[ -x $TRACKER_PYTHON ]] || _tracker_missing "required tool '$TRACKER_PYTHON' is not installed"
}

# _tracker_wait <pid> <label> <log> <command...>: runs the command every 0.1 s until it
# succeeds (0), the process exits (2) or TRACKER_START_LIMIT seconds pass (1).
_tracker_wait() {
  local pid=$1 label=$2 log=$3 deadline=$((SECONDS + TRACKER_START_LIMIT))
  shift 3
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "trackers.sh: $label exited while starting; its log ($log):" >&2
      tail -n 20 -- "$log" >&2
      return 2
    fi
    "$@" >/dev/null 2>&1 && return 0
    if ((SECONDS >= deadline)); then
      echo "trackers.sh: $label did not answer within $TRACKER_START_LIMIT s; its log ($log):" >&2
      tail -n 20 -- "$log" >&2
      return 1
    fi
    sleep 0.1
  done
}

# stop_tracker <pid>: TERM, then KILL after 5 s.
stop_tracker() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${TRACKER_PIDS[@]}"; do
    [[ $p == "$pid" ]] || kept+=("$p")
  done
  TRACKER_PIDS=("${kept[@]}")
}

# stop_trackers: stops everything the start_* functions started. Use it as the EXIT trap.
stop_trackers() {
  local pid
  for pid in "${TRACKER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${TRACKER_PIDS[@]}"; do
    stop_tracker "$pid"
  done
}

# --- opentracker ------------------------------------------------------------------------

# _percent_encode <hex>: %xx%xx... for a URL.
_percent_encode() {
  local hex=$1 out='' i
  for ((i = 0; i < ${#hex}; i += 2)); do
    out+="%${hex:i:2}"
  done
  printf '%s' "$out"
}

# _opentracker_ready <port> <info-hash-hex>: an HTTP announce (event=stopped, so nothing
# is added to the swarm) is answered without "failure reason" (the whitelist is loaded),
# and the UDP port answers a BEP 15 connect.
_opentracker_ready() {
  local port=$1 hash=$2 body
  body=$(_tracker_probe http-get "http://127.0.0.1:$port/announce?info_hash=$(_percent_encode "$hash")&peer_id=-PROBE-0000000000000&port=1&uploaded=0&downloaded=0&left=0&event=stopped&compact=1") ||
    return 1
  [[ $body == *interval* && $body != *"failure reason"* ]] || return 1
  _tracker_probe udp-connect "$port"
}

# start_opentracker <dir> <info-hash-hex>...: Debian's opentracker is whitelist-only,
# so every info-hash a test announces must be given here. As root it chroots into <dir>
# and runs as 'nobody' (so <dir> and its files must be readable by others).
start_opentracker() {
  local dir=$1 hash attempt port pid status log conf args=()
  shift || true
  [[ -n $dir && $# -ge 1 ]] || _tracker_fail "usage: start_opentracker <dir> <info-hash-hex>..." || return 1
  command -v opentracker >/dev/null 2>&1 || _tracker_missing "required tool 'opentracker' is not installed"
  _tracker_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  chmod 755 "$dir" || return 1
  : >"$dir/whitelist.txt"
  for hash in "$@"; do
    [[ $hash =~ ^[0-9a-fA-F]{40}$ ]] || _tracker_fail "not a v1 info-hash: '$hash'" || return 1
    echo "${hash,,}" >>"$dir/whitelist.txt"
  done
  conf="$dir/opentracker.conf"
  if [[ $(id -u) -eq 0 ]]; then
    # It chroots into <dir> and drops to 'nobody': the path is inside the chroot.
    echo "access.whitelist /whitelist.txt" >"$conf"
    args=(-d "$dir" -u nobody)
  else
    echo "access.whitelist $dir/whitelist.txt" >"$conf"
    args=(-d "$dir")
  fi
  chmod 644 "$dir/whitelist.txt" "$conf"
  log="$dir/opentracker.log"
  for attempt in 1 2 3; do
    port=$(_tracker_probe free-port) || return 1
    echo "-- opentracker attempt $attempt on port $port" >>"$log"
    timeout -k 5 "$TRACKER_LIFETIME" \
      opentracker -i 127.0.0.1 -p "$port" -P "$port" "${args[@]}" -f "$conf" >>"$log" 2>&1 &
    pid=$!
    status=0
    _tracker_wait "$pid" opentracker "$log" _opentracker_ready "$port" "${1,,}" || status=$?
    if [[ $status -eq 0 ]]; then
      TRACKER_PIDS+=("$pid")
      OPENTRACKER_PORT=$port
      OPENTRACKER_PID=$pid
      echo "opentracker: http://127.0.0.1:$port/announce udp://127.0.0.1:$port/announce (pid $pid, log $log)"
      return 0
    fi
    stop_tracker "$pid"
    # Exited while starting: perhaps someone took the port in between. Try another.
    [[ $status -eq 2 ]] || return 1
  done
  _tracker_fail "opentracker would not start (see $log)"
}

# --- npm bittorrent-tracker ----------------------------------------------------------------

_bt_tracker_installed() {
  grep -qs "\"version\": \"$BT_TRACKER_VERSION\"" \
    "$BT_TRACKER_NPM_DIR/node_modules/bittorrent-tracker/package.json"
}

# _bt_tracker_install <log>: installs the package once (serialised with flock when two
# tests get here at the same time); skips the test when npm cannot do it.
_bt_tracker_install() {
  local log=$1
  _bt_tracker_installed && return 0
  mkdir -p -- "$BT_TRACKER_NPM_DIR" || _tracker_skip "cannot create $BT_TRACKER_NPM_DIR"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$BT_TRACKER_NPM_DIR/.install.lock"
      flock -w 200 9 || exit 1
    fi
    _bt_tracker_installed && exit 0
    echo "trackers.sh: installing bittorrent-tracker@$BT_TRACKER_VERSION into $BT_TRACKER_NPM_DIR" >&2
    # --ignore-scripts: a plain install fails building an optional WebRTC module.
    # One quick retry only: without a registry the test should be skipped soon.
    timeout 150 npm install --ignore-scripts --no-audit --no-fund --no-save \
      --fetch-retries=1 --fetch-retry-mintimeout=5000 --fetch-retry-maxtimeout=20000 \
      --prefix "$BT_TRACKER_NPM_DIR" "bittorrent-tracker@$BT_TRACKER_VERSION" >"$log" 2>&1
  ) || true
  _bt_tracker_installed ||
    _tracker_skip "npm could not install bittorrent-tracker@$BT_TRACKER_VERSION (no registry?): $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"
}

_bt_tracker_ready() {
  local port=$1 out=$2
  grep -qx ready "$out" && _tracker_probe tcp "$port" && _tracker_probe udp-connect "$port"
}

# start_bittorrent_tracker <dir>: the npm bittorrent-tracker server, HTTP and UDP.
start_bittorrent_tracker() {
  local dir=$1 attempt port pid status log out
  [[ -n $dir ]] || _tracker_fail "usage: start_bittorrent_tracker <dir>" || return 1
  command -v node >/dev/null 2>&1 || _tracker_missing "required tool 'node' (nodejs) is not installed"
  command -v npm >/dev/null 2>&1 || _tracker_missing "required tool 'npm' is not installed"
  _tracker_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  _bt_tracker_install "$dir/npm-install.log"
  log="$dir/bittorrent-tracker.log"
  out="$dir/bittorrent-tracker.out"
  for attempt in 1 2 3; do
    port=$(_tracker_probe free-port) || return 1
    echo "-- bittorrent-tracker attempt $attempt on port $port" >>"$log"
    : >"$out"
    node "$TRACKERS_DIR/bittorrent_tracker_server.mjs" "$port" \
      "$BT_TRACKER_NPM_DIR/node_modules" "$TRACKER_LIFETIME" >"$out" 2>>"$log" </dev/null &
    pid=$!
    status=0
    _tracker_wait "$pid" bittorrent-tracker "$log" _bt_tracker_ready "$port" "$out" || status=$?
    if [[ $status -eq 0 ]]; then
      TRACKER_PIDS+=("$pid")
      BT_TRACKER_PORT=$port
      BT_TRACKER_PID=$pid
      echo "bittorrent-tracker: http://127.0.0.1:$port/announce udp://127.0.0.1:$port (pid $pid, log $log)"
      return 0
    fi
    stop_tracker "$pid"
    [[ $status -eq 2 ]] || return 1
  done
  _tracker_fail "bittorrent-tracker would not start (see $log)"
}

# --- bad_tracker.py -----------------------------------------------------------------------

# start_bad_tracker <dir> <mode>: our misbehaving tracker (see bad_tracker.py for the
# modes), HTTP and UDP on two free ports. Its log is BAD_TRACKER_LOG.
start_bad_tracker() {
  local dir=$1 mode=$2 pid ports log
  [[ -n $dir && -n $mode ]] || _tracker_fail "usage: start_bad_tracker <dir> <mode>" || return 1
  _tracker_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  # A log of its own for every start, so that a test reads only this run's requests.
  _BAD_TRACKER_STARTS=$((${_BAD_TRACKER_STARTS:-0} + 1))
  ports="$dir/bad_tracker-$mode.$_BAD_TRACKER_STARTS.ports"
  log="$dir/bad_tracker-$mode.$_BAD_TRACKER_STARTS.log"
  rm -f -- "$ports"
  "$TRACKER_PYTHON" "$TRACKERS_DIR/bad_tracker.py" "$mode" "$ports" 120 >"$log" 2>&1 </dev/null &
  pid=$!
  if ! _tracker_wait "$pid" "bad_tracker ($mode)" "$log" test -s "$ports"; then
    stop_tracker "$pid"
    return 1
  fi
  read -r BAD_TRACKER_HTTP_PORT BAD_TRACKER_UDP_PORT <"$ports"
  if ! _tracker_wait "$pid" "bad_tracker ($mode)" "$log" _tracker_probe tcp "$BAD_TRACKER_HTTP_PORT"; then
    stop_tracker "$pid"
    return 1
  fi
  TRACKER_PIDS+=("$pid")
  BAD_TRACKER_PID=$pid
  BAD_TRACKER_LOG=$log
  echo "bad_tracker ($mode): http://127.0.0.1:$BAD_TRACKER_HTTP_PORT/announce udp://127.0.0.1:$BAD_TRACKER_UDP_PORT/announce (pid $pid, log $log)"
}

# --- by hand --------------------------------------------------------------------------------

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -u
  case ${1:-} in
    opentracker | bittorrent_tracker | bad_tracker)
      what=$1
      shift
      trap stop_trackers EXIT
      trap 'exit 0' INT TERM
      "start_$what" "$@" || exit 1
      echo "running until Ctrl-C (at most $TRACKER_LIFETIME s)"
      wait "${TRACKER_PIDS[@]}"
      ;;
    *)
      echo "usage: $0 opentracker DIR INFO_HASH_HEX... | bittorrent_tracker DIR | bad_tracker DIR MODE" >&2
      exit 2
      ;;
  esac
fi
