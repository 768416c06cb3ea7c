# seeders.sh — real BitTorrent seeders on 127.0.0.1 (python3-libtorrent, transmission-daemon,
# aria2c), test data and v1 torrents made without any bitflow code, for tests and benchmarks.
# shellcheck shell=bash
# The TEST_DATA, *_PORT, *_PID, *_LOG and LT_SEEDER_STATS variables are set for the caller:
# shellcheck disable=SC2034
#
# Source it from a test script and stop everything it started on exit:
#
#   source "$REPO/tests/seeders/seeders.sh"
#   trap stop_seeders EXIT
#   make_test_data "$SCRATCH/data" 20            # -> TEST_DATA=.../single-20MB.bin
#   make_test_data "$SCRATCH/data" 20 multi      # -> TEST_DATA=.../multi-20MB (a folder)
#   make_torrent_lt "$TEST_DATA" "$SCRATCH/m.torrent" [piece-size]   # v1 only, no trackers
#   start_libtorrent_seeder "$SCRATCH/lt" "$SCRATCH/m.torrent" "$SCRATCH/data" [options]
#   #   -> LT_SEEDER_PORT, LT_SEEDER_PID, LT_SEEDER_LOG, LT_SEEDER_STATS, LT_SEEDER_WORK
#   #      (its private folder: a corrupted copy goes to $LT_SEEDER_WORK/corrupt-copy); options are
#   #      lt_seeder.py's: --check, --corrupt-pieces LIST, --upload-rate B/s,
#   #      --high-performance (see lt_seeder.py)
#   start_transmission_seeder "$SCRATCH/tr" "$SCRATCH/m.torrent" "$SCRATCH/data"
#   #   -> TR_SEEDER_PORT, TR_SEEDER_PID, TR_SEEDER_RPC_PORT, TR_SEEDER_LOG
#   start_aria2_seeder "$SCRATCH/ar" "$SCRATCH/m.torrent" "$SCRATCH/data"
#   #   -> ARIA2_SEEDER_PORT, ARIA2_SEEDER_PID, ARIA2_SEEDER_RPC_PORT, ARIA2_SEEDER_LOG
#   lt_download "$SCRATCH/m.torrent" "$SCRATCH/out" 60 "127.0.0.1:$LT_SEEDER_PORT"
#   check_download "$SCRATCH/m.torrent" "$SCRATCH/data" "$SCRATCH/out" [INDEX...]
#   wait_seeder_settled "$LT_SEEDER_STATS"       # after a leecher has gone: figures include it
#   seeder_stat "$LT_SEEDER_STATS" uploaded      # payload bytes the lt seeder has sent
#   start_static_tracker "$SCRATCH/st" "127.0.0.1:$LT_SEEDER_PORT"   # -> STATIC_TRACKER_URL
#   aria2_download "$SCRATCH/m.torrent" "$SCRATCH/out2" 60 "$STATIC_TRACKER_URL"
#   start_transmission_leecher "$SCRATCH/trl" "$SCRATCH/m.torrent" "$SCRATCH/out3"
#   #   -> TR_LEECHER_PORT, ...: transmission does not dial 127.0.0.1, the seeder must dial it
#   wait_transmission_leecher 90                 # complete and verified; stopped
#   stop_seeder "$LT_SEEDER_PID"                 # one of them, early (optional)
#   #   -> SEEDER_STATUS: its exit status
#
# bitflow itself as the seeder (for the seeding tests and bench/seed_bench.sh):
#
#   start_bitflow_seeder "$SCRATCH/bf" "$BITFLOW" "$SCRATCH/m.torrent" "$SCRATCH/data" [options]
#   #   -> BF_SEEDER_PORT, BF_SEEDER_PID, BF_SEEDER_OUT (its stdout), BF_SEEDER_LOG (stderr);
#   #      options are `bitflow seed`'s (--upload-limit 2M, --json, --quiet, ...)
#   wait_bitflow_seeding "$BF_SEEDER_PID" "$BF_SEEDER_LOG"  # its data is checked (not --quiet)
#   stop_seeder "$BF_SEEDER_PID"                 # SIGTERM: with --json it prints its counters
#   bitflow_counter "$BF_SEEDER_OUT" uploaded    # a counter of that last JSON line
#
# DATA_PARENT is the folder that holds the torrent's file (single-file torrent) or top
# folder (multi-file torrent): the save folder of every client. The seeders only read it
# (the corrupting libtorrent seeder works on a copy of its own), except bitflow, which
# keeps its resume file in DATA_PARENT/.bitflow/ (the torrent's files stay untouched).
#
# or run one by hand, to keep it up until Ctrl-C:
#
#   bash tests/seeders/seeders.sh data DIR SIZE_MB [multi]
#   bash tests/seeders/seeders.sh torrent DATA OUT [piece-size]
#   bash tests/seeders/seeders.sh libtorrent|transmission|aria2 DIR TORRENT DATA_PARENT [options]
#   bash tests/seeders/seeders.sh bitflow DIR BITFLOW_CLI TORRENT DATA [bitflow seed options]
#
# Every start_* function picks free ports, starts the program with its log in DIR, waits
# at most SEEDER_START_LIMIT seconds until it has checked the data and is really seeding
# (asked through the program itself: libtorrent's torrent state, transmission's RPC,
# aria2's JSON-RPC; then the peer port must accept a connection), prints one line with
# its address and PID, sets the variables above and records the PID for stop_seeders.
# It returns 1, with the reason and the log's tail on stderr, when the program does not
# come up; it exits the calling script with 77 (ctest's "skipped") when the program is not
# installed, or with 1 (a failure) under CI (CI=true), where scripts/setup.sh has installed
# every one of them. Call the functions directly, never inside $(...): they set variables
# and may exit. Each seeder also stops by itself after SEEDER_LIFETIME seconds.
#
# Everything listens on 127.0.0.1 only, with DHT, LSD/LPD, PEX, UPnP/NAT-PMP off;
# encryption is allowed but never required (transmission: "preferred", its default).

SEEDERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SEEDER_PYTHON=${SEEDER_PYTHON:-/usr/bin/python3}
SEEDER_START_LIMIT=${SEEDER_START_LIMIT:-60}
SEEDER_LIFETIME=${SEEDER_LIFETIME:-600}
SEEDER_PIDS=()
_SEEDER_STARTS=0

TEST_DATA=''
LT_SEEDER_PORT='' LT_SEEDER_PID='' LT_SEEDER_LOG='' LT_SEEDER_STATS='' LT_SEEDER_WORK=''
TR_SEEDER_PORT='' TR_SEEDER_PID='' TR_SEEDER_RPC_PORT='' TR_SEEDER_LOG=''
ARIA2_SEEDER_PORT='' ARIA2_SEEDER_PID='' ARIA2_SEEDER_RPC_PORT='' ARIA2_SEEDER_LOG=''
TR_LEECHER_PORT='' TR_LEECHER_PID='' TR_LEECHER_RPC_PORT='' TR_LEECHER_LOG=''
STATIC_TRACKER_URL='' STATIC_TRACKER_PID=''
BF_SEEDER_PORT='' BF_SEEDER_PID='' BF_SEEDER_OUT='' BF_SEEDER_LOG=''
RT_PORT='' RT_SCGI_PORT='' RT_PID='' RT_LOG=''
QB_PORT='' QB_WEB_PORT='' QB_PID='' QB_LOG=''
SEEDER_STATUS=''

# _seeder_missing <what>: a program scripts/setup.sh installs is not there. Under CI
# (CI=true), where setup.sh has run, the calling script fails (exit 1); elsewhere it is
# skipped (exit 77, ctest's "skipped"). Either way one line says what is missing.
_seeder_missing() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $* (scripts/setup.sh installs it, and CI=true)" >&2
    exit 1
  fi
  echo "SKIPPED: $*" >&2
  exit 77
}

_seeder_fail() {
  echo "seeders.sh: $*" >&2
  return 1
}

_seedtool() {
  "$SEEDER_PYTHON" "$SEEDERS_DIR/seedtool.py" "$@"
}

# The tracker tests' probe: free-port (TCP and UDP free on 127.0.0.1) and tcp PORT.
_seeder_probe() {
  "$SEEDER_PYTHON" "$SEEDERS_DIR/../trackers/probe.py" "$@"
}

_seeder_require_python() {
  [[ -x $SEEDER_PYTHON ]] || _seeder_missing "required tool '$SEEDER_PYTHON' is not installed"
}

_seeder_require_libtorrent() {
  _seeder_require_python
  "$SEEDER_PYTHON" -c 'import libtorrent' 2>/dev/null ||
    _seeder_missing "required tool python3-libtorrent is not installed (cannot import it in $SEEDER_PYTHON)"
}

_seeder_require_tool() {
  command -v "$1" >/dev/null 2>&1 || _seeder_missing "required tool '$1' is not installed"
}

# _seeder_abs <path>: the absolute path (the folder must exist for a relative one).
_seeder_abs() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$(pwd)" "$1" ;;
  esac
}

# _seeder_wait <pid> <label> <log> <command...>: runs the command every 0.2 s until it
# succeeds (0), the process exits (2) or SEEDER_START_LIMIT seconds pass (1).
_seeder_wait() {
  local pid=$1 label=$2 log=$3 deadline=$((SECONDS + SEEDER_START_LIMIT))
  shift 3
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "seeders.sh: $label exited while starting; its log ($log):" >&2
      tail -n 20 -- "$log" >&2
      return 2
    fi
    "$@" >/dev/null 2>&1 && return 0
    if ((SECONDS >= deadline)); then
      echo "seeders.sh: $label was not seeding within $SEEDER_START_LIMIT s; its log ($log):" >&2
      tail -n 20 -- "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# stop_seeder <pid>: TERM, then KILL after 5 s. SEEDER_STATUS is its exit status (that of
# the program: the `timeout` that runs it passes a SIGTERM on and returns the program's
# status; 137 when it had to be killed).
stop_seeder() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  SEEDER_STATUS=0
  wait "$pid" 2>/dev/null || SEEDER_STATUS=$?
  local kept=() p
  for p in "${SEEDER_PIDS[@]}"; do
    [[ $p == "$pid" ]] || kept+=("$p")
  done
  SEEDER_PIDS=("${kept[@]}")
}

# stop_seeders: stops everything the start_* functions started. Use it as the EXIT trap.
stop_seeders() {
  local pid
  for pid in "${SEEDER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SEEDER_PIDS[@]}"; do
    stop_seeder "$pid"
  done
}

# --- data and torrents ------------------------------------------------------------------

# make_test_data <dir> <size-MB> [single|multi]: deterministic pseudo-random data in <dir>
# (see seedtool.py make-data); TEST_DATA is the file or folder made.
make_test_data() {
  local dir=$1 size=$2 kind=${3:-single} made
  [[ -n $dir && $size =~ ^[0-9]+$ ]] || _seeder_fail "usage: make_test_data <dir> <size-MB> [single|multi]" || return 1
  _seeder_require_python
  made=$(_seedtool make-data "$dir" "$size" "$kind") || _seeder_fail "cannot make test data in $dir" || return 1
  TEST_DATA=$(_seeder_abs "$made")
}

# make_torrent_lt <data> <out.torrent> [piece-size, default 262144; 0: libtorrent's choice]:
# a v1-only torrent (libtorrent makes v1+v2 hybrids by default), no trackers.
make_torrent_lt() {
  [[ $# -ge 2 ]] || _seeder_fail "usage: make_torrent_lt <data> <out.torrent> [piece-size]" || return 1
  _seeder_require_libtorrent
  _seedtool make-torrent "$1" "$2" "${3:-262144}" || _seeder_fail "libtorrent could not make $2 from $1"
}

# torrent_files <torrent>: "INDEX<TAB>SIZE<TAB>PATH" per file, INDEX from 1, torrent order.
torrent_files() {
  _seedtool files "$1"
}

# --- checks -----------------------------------------------------------------------------

# check_download <torrent> <data-parent> <out-dir> [index...]: every file of the torrent
# (or only the files with these 1-based indices) is in <out-dir> with the same bytes as in
# <data-parent>; with indices, every other file must be absent. Prints what differs and
# returns 1 on the first difference.
check_download() {
  local torrent=$1 parent=$2 out=$3 index size path listing selected
  shift 3
  listing=$(torrent_files "$torrent") || _seeder_fail "cannot list the files of $torrent" || return 1
  [[ -n $listing ]] || _seeder_fail "no files in $torrent" || return 1
  selected=" $* "
  while IFS=$'\t' read -r index size path; do
    if [[ $# -eq 0 || $selected == *" $index "* ]]; then
      [[ -f $out/$path ]] || _seeder_fail "file $index ($path) is missing from $out" || return 1
      cmp -s -- "$parent/$path" "$out/$path" ||
        _seeder_fail "file $index ($path) differs: $(cmp -- "$parent/$path" "$out/$path" 2>&1 | head -n 1)" || return 1
    else
      [[ ! -e $out/$path && ! -L $out/$path ]] ||
        _seeder_fail "file $index ($path) was not selected but exists in $out ($(stat -c %s -- "$out/$path") bytes)" || return 1
    fi
  done <<<"$listing"
}

# seeder_stat <stats-file> [key]: a figure of the libtorrent seeder (LT_SEEDER_STATS,
# rewritten every 0.25 s): uploaded (payload bytes sent so far, the default), peers
# (connected now), corrupt_blocks (blocks of --corrupt-pieces pieces sent so far) or
# writes (how many times the file was written). After a leecher has gone, call
# wait_seeder_settled before reading what was sent to it.
seeder_stat() {
  local line
  line=$(cat -- "$1" 2>/dev/null) || return 1
  seeder_stat_of "$line" "${2:-uploaded}"
}

# seeder_stat_of <stats line> <key>: the same figure from a line already read (to take
# several figures from one version of the file).
seeder_stat_of() {
  local key=$2 words word
  read -r -a words <<<"$1"
  for word in "${words[@]}"; do
    [[ $word == "$key="* ]] && printf '%s\n' "${word#*=}" && return 0
  done
  return 1
}

# wait_seeder_settled <stats-file> [timeout-s, default 30]: waits until the libtorrent
# seeder has rewritten its figures since the call and has no peer connected, so that they
# count everything sent to peers that had gone by the call (a leecher that has exited or
# been killed). Prints the last figures and returns 1 after the timeout.
wait_seeder_settled() {
  local stats=$1 limit=${2:-30} first deadline line writes peers
  first=$(seeder_stat "$stats" writes) || first=0
  deadline=$((SECONDS + limit))
  while :; do
    line=$(cat -- "$stats" 2>/dev/null) || line=''
    writes=$(seeder_stat_of "$line" writes) || writes=0
    peers=$(seeder_stat_of "$line" peers) || peers=''
    ((writes > first)) && [[ $peers == 0 ]] && return 0
    if ((SECONDS >= deadline)); then
      _seeder_fail "the libtorrent seeder's figures did not settle (a new write, no peer) within $limit s: '$line'"
      return 1
    fi
    sleep 0.1
  done
}

# lt_download <torrent> <out-dir> <timeout-s> <host:port>... [-- lt_leecher options]: the
# libtorrent leecher downloads from those peers only; its output goes to stdout.
lt_download() {
  local torrent=$1 out=$2 limit=$3 args=()
  shift 3
  _seeder_require_libtorrent
  while [[ $# -gt 0 && $1 != -- ]]; do
    args+=(--peer "$1")
    shift
  done
  [[ ${1:-} == -- ]] && shift
  mkdir -p -- "$out" || return 1
  timeout -k 5 $((limit + 10)) "$SEEDER_PYTHON" "$SEEDERS_DIR/lt_leecher.py" \
    --torrent "$torrent" --save-path "$out" --timeout "$limit" "${args[@]}" "$@" </dev/null
}

# aria2_download <torrent> <out-dir> <timeout-s> <tracker-url> [aria2c options...]: aria2c
# as a leecher. It cannot dial a peer it is given, so the peers come from a tracker
# (start_static_tracker); it stops as soon as the download is complete and verified.
aria2_download() {
  local torrent=$1 out=$2 limit=$3 tracker=$4 port
  shift 4
  _seeder_require_tool aria2c
  port=$(_seeder_probe free-port) || return 1
  mkdir -p -- "$out" || return 1
  timeout -k 5 "$limit" aria2c --no-conf --dir="$out" --seed-time=0 \
    --bt-tracker="$tracker" --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
    --enable-peer-exchange=false --listen-port="$port" --interface=127.0.0.1 \
    --disable-ipv6=true --summary-interval=0 --enable-color=false \
    --console-log-level=warn --bt-stop-timeout="$limit" "$@" "$torrent" </dev/null
}

# start_static_tracker <dir> <host:port>...: an HTTP tracker on 127.0.0.1 that answers
# every announce with these peers (seedtool.py static-tracker) -> STATIC_TRACKER_URL,
# STATIC_TRACKER_PID.
start_static_tracker() {
  local dir=$1 n pid log portfile
  [[ $# -ge 2 ]] || _seeder_fail "usage: start_static_tracker <dir> <host:port>..." || return 1
  shift
  _seeder_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  n=$((_SEEDER_STARTS += 1))
  log="$dir/static_tracker.$n.log"
  portfile="$dir/static_tracker.$n.port"
  "$SEEDER_PYTHON" "$SEEDERS_DIR/seedtool.py" static-tracker "$portfile" "$SEEDER_LIFETIME" \
    "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  if ! _seeder_wait "$pid" "static tracker" "$log" test -s "$portfile"; then
    stop_seeder "$pid"
    return 1
  fi
  SEEDER_PIDS+=("$pid")
  STATIC_TRACKER_PID=$pid
  STATIC_TRACKER_URL="http://127.0.0.1:$(<"$portfile")/announce"
  echo "static tracker: $STATIC_TRACKER_URL -> $* (pid $pid)"
}

# --- python3-libtorrent ---------------------------------------------------------------------

# start_libtorrent_seeder <dir> <torrent> <data-parent> [lt_seeder.py options...]
start_libtorrent_seeder() {
  local dir=$1 torrent=$2 parent=$3 n pid status log ready stats
  [[ $# -ge 3 ]] || _seeder_fail "usage: start_libtorrent_seeder <dir> <torrent> <data-parent> [options]" || return 1
  shift 3
  _seeder_require_libtorrent
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  torrent=$(_seeder_abs "$torrent")
  parent=$(_seeder_abs "$parent")
  n=$((_SEEDER_STARTS += 1))
  log="$dir/lt_seeder.$n.log"
  ready="$dir/lt_seeder.$n.port"
  stats="$dir/lt_seeder.$n.stats"
  mkdir -p -- "$dir/lt_seeder.$n" || return 1
  # The session picks its own port (127.0.0.1:0): nothing to race for.
  timeout -k 5 "$SEEDER_LIFETIME" "$SEEDER_PYTHON" "$SEEDERS_DIR/lt_seeder.py" \
    --torrent "$torrent" --save-path "$parent" --ready-file "$ready" --stats-file "$stats" \
    --work-dir "$dir/lt_seeder.$n" --lifetime "$SEEDER_LIFETIME" "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  status=0
  _seeder_wait "$pid" "libtorrent seeder" "$log" test -s "$ready" || status=$?
  if [[ $status -eq 0 ]]; then
    LT_SEEDER_PORT=$(<"$ready")
    _seeder_wait "$pid" "libtorrent seeder" "$log" _seeder_probe tcp "$LT_SEEDER_PORT" || status=$?
  fi
  if [[ $status -ne 0 ]]; then
    stop_seeder "$pid"
    LT_SEEDER_PORT=''
    return 1
  fi
  SEEDER_PIDS+=("$pid")
  LT_SEEDER_PID=$pid
  LT_SEEDER_LOG=$log
  LT_SEEDER_STATS=$stats
  LT_SEEDER_WORK=$dir/lt_seeder.$n
  echo "libtorrent seeder: 127.0.0.1:$LT_SEEDER_PORT${*:+ ($*)} (pid $pid, log $log)"
}

# --- transmission-daemon --------------------------------------------------------------------
# TR_ENCRYPTION: the "encryption" setting of the daemons started below (0 allow plain,
# 1 prefer encrypted, the default, 2 require encryption).

_tr_remote() {
  local port=$1
  shift
  transmission-remote "127.0.0.1:$port" "$@"
}

# _tr_seeding <rpc-port>: the torrent is complete, verified and seeding ("Idle" is what
# transmission 3.00 shows for a seeding torrent without peers).
_tr_seeding() {
  local info state_re='State: (Seeding|Idle)' have_re='Have: ([^(]*) [(](.*) verified[)]'
  info=$(_tr_remote "$1" -t all -i 2>&1) || return 1
  [[ $info == *"Percent Done: 100%"* && $info =~ $state_re ]] || return 1
  # "Have: 20.98 MB (20.98 MB verified)": everything it has is verified.
  [[ $info =~ $have_re && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]
}

# _tr_settings <file> <peer-port> <rpc-port> <download-dir>
_tr_settings() {
  cat >"$1" <<EOF
{
  "bind-address-ipv4": "127.0.0.1",
  "bind-address-ipv6": "::1",
  "blocklist-enabled": false,
  "cache-size-mb": 4,
  "dht-enabled": false,
  "download-dir": "$4",
  "encryption": ${TR_ENCRYPTION:-1},
  "idle-seeding-limit-enabled": false,
  "incomplete-dir-enabled": false,
  "lpd-enabled": false,
  "message-level": 2,
  "peer-limit-global": 200,
  "peer-limit-per-torrent": 50,
  "peer-port": $2,
  "peer-port-random-on-start": false,
  "pex-enabled": false,
  "port-forwarding-enabled": false,
  "ratio-limit-enabled": false,
  "rename-partial-files": true,
  "rpc-authentication-required": false,
  "rpc-bind-address": "127.0.0.1",
  "rpc-enabled": true,
  "rpc-host-whitelist-enabled": false,
  "rpc-port": $3,
  "rpc-whitelist": "127.0.0.1",
  "rpc-whitelist-enabled": true,
  "speed-limit-down-enabled": false,
  "speed-limit-up-enabled": false,
  "start-added-torrents": true,
  "utp-enabled": false,
  "watch-dir-enabled": false
}
EOF
}

# start_transmission_seeder <dir> <torrent> <data-parent>: transmission-daemon with a
# private config folder; the torrent is added with its data in place, transmission checks
# it and seeds. Two habits of transmission 3.00 to plan for:
#   * it unchokes a new peer only at its next rechoke (every 10 s), and a 20 MB download
#     from it takes about 25 s;
#   * it remembers peers by IP address: once a leecher from 127.0.0.1 has completed, it
#     takes 127.0.0.1 for a seed and closes every later connection from there (seed to
#     seed). Start a new transmission seeder for every download.
start_transmission_seeder() {
  local dir=$1 torrent=$2 parent=$3 n attempt pport rport pid status log conf added
  [[ $# -eq 3 ]] || _seeder_fail "usage: start_transmission_seeder <dir> <torrent> <data-parent>" || return 1
  _seeder_require_tool transmission-daemon
  _seeder_require_tool transmission-remote
  _seeder_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  torrent=$(_seeder_abs "$torrent")
  parent=$(_seeder_abs "$parent")
  [[ $parent != *'"'* && $parent != *\\* ]] || _seeder_fail "unusable folder name: $parent" || return 1
  n=$((_SEEDER_STARTS += 1))
  log="$dir/transmission.$n.log"
  for attempt in 1 2 3; do
    pport=$(_seeder_probe free-port) || return 1
    rport=$(_seeder_probe free-port) || return 1
    [[ $pport != "$rport" ]] || continue
    conf="$dir/transmission.$n.conf.$attempt"
    rm -rf -- "$conf"
    mkdir -p -- "$conf" || return 1
    _tr_settings "$conf/settings.json" "$pport" "$rport" "$parent"
    echo "-- transmission-daemon attempt $attempt: peer port $pport, RPC port $rport" >>"$log"
    # HOME too: nothing may read or write the real user's transmission settings.
    HOME=$conf timeout -k 5 "$SEEDER_LIFETIME" \
      transmission-daemon --foreground --config-dir "$conf" --log-info >>"$log" 2>&1 </dev/null &
    pid=$!
    status=0
    _seeder_wait "$pid" transmission-daemon "$log" _tr_remote "$rport" -l || status=$?
    if [[ $status -eq 0 ]]; then
      if added=$(_tr_remote "$rport" -a "$torrent" -w "$parent" 2>&1) && [[ $added == *success* ]]; then
        _seeder_wait "$pid" transmission-daemon "$log" _tr_seeding "$rport" || status=$?
        [[ $status -ne 0 ]] || _seeder_wait "$pid" transmission-daemon "$log" _seeder_probe tcp "$pport" ||
          status=$?
      else
        echo "seeders.sh: transmission-remote could not add $torrent: $added" >&2
        status=1
      fi
    fi
    if [[ $status -eq 0 ]]; then
      SEEDER_PIDS+=("$pid")
      TR_SEEDER_PORT=$pport
      TR_SEEDER_RPC_PORT=$rport
      TR_SEEDER_PID=$pid
      TR_SEEDER_LOG=$log
      echo "transmission seeder: 127.0.0.1:$pport, RPC 127.0.0.1:$rport (pid $pid, log $log)"
      return 0
    fi
    [[ $status -eq 1 ]] && _tr_remote "$rport" -t all -i >>"$log" 2>&1
    stop_seeder "$pid"
    # Exited while starting: perhaps someone took a port in between. Try others.
    [[ $status -eq 2 ]] || return 1
  done
  _seeder_fail "transmission-daemon would not start (see $log)"
}

# start_transmission_leecher <dir> <torrent> <out-dir>: transmission-daemon as a leecher,
# with a private config folder and its log in <dir>, downloading into <out-dir>
# -> TR_LEECHER_PORT, TR_LEECHER_PID, TR_LEECHER_RPC_PORT, TR_LEECHER_LOG. It waits for
# the seeder to dial it: transmission 3.00 never dials a peer at 127.x.x.x that it learnt
# from a tracker or PEX (it takes loopback addresses for "martians"; it accepts incoming
# connections from them), and its RPC cannot be told to dial a peer. So on 127.0.0.1 the
# seeder must be started after it, with TR_LEECHER_PORT as a peer to dial (bitflow seed
# --peer 127.0.0.1:$TR_LEECHER_PORT). Ready when the torrent is added and the peer port
# accepts a connection. Then wait_transmission_leecher.
start_transmission_leecher() {
  local dir=$1 torrent=$2 out=$3 n attempt pport rport pid status log conf added
  [[ $# -eq 3 ]] || _seeder_fail "usage: start_transmission_leecher <dir> <torrent> <out-dir>" || return 1
  _seeder_require_tool transmission-daemon
  _seeder_require_tool transmission-remote
  _seeder_require_python
  mkdir -p -- "$dir" "$out" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  out=$(cd "$out" && pwd) || return 1
  torrent=$(_seeder_abs "$torrent")
  [[ $out != *'"'* && $out != *\\* ]] || _seeder_fail "unusable folder name: $out" || return 1
  n=$((_SEEDER_STARTS += 1))
  log="$dir/transmission-leecher.$n.log"
  for attempt in 1 2 3; do
    pport=$(_seeder_probe free-port) || return 1
    rport=$(_seeder_probe free-port) || return 1
    [[ $pport != "$rport" ]] || continue
    conf="$dir/transmission-leecher.$n.conf.$attempt"
    rm -rf -- "$conf"
    mkdir -p -- "$conf" || return 1
    _tr_settings "$conf/settings.json" "$pport" "$rport" "$out"
    echo "-- transmission-daemon (leecher) attempt $attempt: peer port $pport, RPC port $rport" >>"$log"
    HOME=$conf timeout -k 5 "$SEEDER_LIFETIME" \
      transmission-daemon --foreground --config-dir "$conf" --log-info >>"$log" 2>&1 </dev/null &
    pid=$!
    status=0
    _seeder_wait "$pid" "transmission leecher" "$log" _tr_remote "$rport" -l || status=$?
    if [[ $status -eq 0 ]]; then
      if added=$(_tr_remote "$rport" -a "$torrent" -w "$out" 2>&1) && [[ $added == *success* ]]; then
        _seeder_wait "$pid" "transmission leecher" "$log" _seeder_probe tcp "$pport" || status=$?
      else
        echo "seeders.sh: transmission-remote could not add $torrent: $added" >&2
        status=1
      fi
    fi
    if [[ $status -eq 0 ]]; then
      SEEDER_PIDS+=("$pid")
      TR_LEECHER_PORT=$pport
      TR_LEECHER_RPC_PORT=$rport
      TR_LEECHER_PID=$pid
      TR_LEECHER_LOG=$log
      echo "transmission leecher: 127.0.0.1:$pport, RPC 127.0.0.1:$rport (pid $pid, log $log)"
      return 0
    fi
    stop_seeder "$pid"
    [[ $status -eq 2 ]] || return 1
  done
  _seeder_fail "transmission-daemon would not start (see $log)"
}

# _tr_progress <rpc-port>: what the transmission leecher has and whom it talks to, in one
# line, for a failure message.
_tr_progress() {
  local info peers
  info=$(_tr_remote "$1" -t all -i 2>&1 | grep -E 'State:|Percent Done:|Have:|Error:|Peers:' |
    sed 's/^ *//' | tr '\n' ';')
  peers=$(_tr_remote "$1" -t all -pi 2>&1 | tail -n +2 | tr -s ' ' | tr '\n' ';')
  echo "transmission leecher: ${info:-no answer}; peers: ${peers:-none}"
}

# wait_transmission_leecher <timeout-s>: waits until the leecher that start_transmission_
# leecher started says (RPC) that the torrent is complete and every piece verified, then
# removes the torrent (transmission closes its files and flushes its write cache) and
# stops the daemon: the files can be compared. Returns 1 after <timeout-s> seconds (or
# when the daemon dies), with its progress, its peers and its log's tail on stderr.
wait_transmission_leecher() {
  local limit=$1 started=$SECONDS status=0
  [[ -n $TR_LEECHER_PID ]] || _seeder_fail "wait_transmission_leecher: no leecher started" || return 1
  SEEDER_START_LIMIT=$limit _seeder_wait "$TR_LEECHER_PID" "transmission leecher (download complete)" \
    "$TR_LEECHER_LOG" _tr_seeding "$TR_LEECHER_RPC_PORT" || status=$?
  if [[ $status -eq 0 ]]; then
    _tr_remote "$TR_LEECHER_RPC_PORT" -t all -r >>"$TR_LEECHER_LOG" 2>&1 || true
  elif [[ $status -eq 1 ]]; then
    _tr_progress "$TR_LEECHER_RPC_PORT" >&2
  fi
  stop_seeder "$TR_LEECHER_PID"
  TR_LEECHER_PID=''
  [[ $status -eq 0 ]] || return 1
  echo "transmission leecher: complete and verified after $((SECONDS - started)) s"
}

# --- aria2c -----------------------------------------------------------------------------------

# start_aria2_seeder <dir> <torrent> <data-parent>: aria2c checks the data (-V) and seeds
# (--seed-ratio=0.0: forever), listening on 127.0.0.1 only (--interface); its JSON-RPC
# (127.0.0.1, with a secret) tells when it is seeding. ARIA2_REQUIRE_CRYPTO=1: MSE/PE with
# RC4 only (--bt-require-crypto=true --bt-min-crypto-level=arc4).
start_aria2_seeder() {
  local dir=$1 torrent=$2 parent=$3 n attempt pport rport secret pid status log crypto
  [[ $# -eq 3 ]] || _seeder_fail "usage: start_aria2_seeder <dir> <torrent> <data-parent>" || return 1
  _seeder_require_tool aria2c
  _seeder_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  torrent=$(_seeder_abs "$torrent")
  parent=$(_seeder_abs "$parent")
  n=$((_SEEDER_STARTS += 1))
  log="$dir/aria2.$n.log"
  crypto=(--bt-require-crypto=false --bt-min-crypto-level=plain)
  [[ ${ARIA2_REQUIRE_CRYPTO:-} != 1 ]] || crypto=(--bt-require-crypto=true --bt-min-crypto-level=arc4)
  secret=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  for attempt in 1 2 3; do
    pport=$(_seeder_probe free-port) || return 1
    rport=$(_seeder_probe free-port) || return 1
    [[ $pport != "$rport" ]] || continue
    echo "-- aria2c attempt $attempt: peer port $pport, RPC port $rport" >>"$log"
    timeout -k 5 "$SEEDER_LIFETIME" aria2c --no-conf --dir="$parent" \
      --check-integrity=true --seed-ratio=0.0 --bt-seed-unverified=false \
      --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false \
      "${crypto[@]}" \
      --listen-port="$pport" --interface=127.0.0.1 --disable-ipv6=true --bt-max-peers=0 \
      --enable-rpc=true --rpc-listen-port="$rport" --rpc-listen-all=false --rpc-secret="$secret" \
      --file-allocation=none --auto-save-interval=0 --allow-overwrite=false \
      --summary-interval=0 --enable-color=false --console-log-level=notice \
      --log="$dir/aria2.$n.$attempt.detail.log" --log-level=info \
      "$torrent" >>"$log" 2>&1 </dev/null &
    pid=$!
    status=0
    _seeder_wait "$pid" aria2c "$log" _seedtool aria2-seeding "$rport" "$secret" || status=$?
    [[ $status -ne 0 ]] || _seeder_wait "$pid" aria2c "$log" _seeder_probe tcp "$pport" || status=$?
    if [[ $status -eq 0 ]]; then
      SEEDER_PIDS+=("$pid")
      ARIA2_SEEDER_PORT=$pport
      ARIA2_SEEDER_RPC_PORT=$rport
      ARIA2_SEEDER_PID=$pid
      ARIA2_SEEDER_LOG=$log
      echo "aria2 seeder: 127.0.0.1:$pport, RPC 127.0.0.1:$rport (pid $pid, log $log)"
      return 0
    fi
    stop_seeder "$pid"
    [[ $status -eq 2 ]] || return 1
  done
  _seeder_fail "aria2c would not start (see $log)"
}

# --- bitflow -------------------------------------------------------------------------------------

# start_bitflow_seeder <dir> <bitflow-cli> <torrent> <data-path> [bitflow seed options...]:
# `bitflow seed <torrent> <data-path> --listen 127.0.0.1 --port 0 [options]`, its stdout in
# BF_SEEDER_OUT (the "NAME: listening on port N" line, and with --json the final counters
# when it stops), its stderr in BF_SEEDER_LOG. Ready when it has printed its port and the
# port accepts a connection; bitflow checks the data after that, in the background (peers
# that come early wait): wait_bitflow_seeding waits for the end of the check. Unlike the
# other seeders it writes into <data-path>: its resume file, in .bitflow/.
start_bitflow_seeder() {
  local dir=$1 bitflow=$2 torrent=$3 data=$4 n pid status out log port_re='listening on port ([0-9]+)'
  [[ $# -ge 4 ]] || _seeder_fail "usage: start_bitflow_seeder <dir> <bitflow-cli> <torrent> <data-path> [options]" || return 1
  shift 4
  [[ -x $bitflow ]] || _seeder_fail "bitflow CLI not found or not executable: $bitflow" || return 1
  _seeder_require_python
  mkdir -p -- "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  n=$((_SEEDER_STARTS += 1))
  out="$dir/bitflow_seeder.$n.out"
  log="$dir/bitflow_seeder.$n.log"
  timeout -k 5 "$SEEDER_LIFETIME" "$bitflow" seed "$torrent" "$data" --listen 127.0.0.1 --port 0 \
    "$@" >"$out" 2>"$log" </dev/null &
  pid=$!
  status=0
  _seeder_wait "$pid" "bitflow seed" "$log" grep -Eq "$port_re" "$out" || status=$?
  if [[ $status -eq 0 ]]; then
    [[ $(grep -Eo "$port_re" "$out" | head -n 1) =~ $port_re ]]
    BF_SEEDER_PORT=${BASH_REMATCH[1]}
    _seeder_wait "$pid" "bitflow seed" "$log" _seeder_probe tcp "$BF_SEEDER_PORT" || status=$?
  fi
  if [[ $status -ne 0 ]]; then
    [[ $status -ne 2 ]] || echo "seeders.sh: bitflow seed's stdout: $(cat "$out")" >&2
    stop_seeder "$pid"
    BF_SEEDER_PORT=''
    return 1
  fi
  SEEDER_PIDS+=("$pid")
  BF_SEEDER_PID=$pid
  BF_SEEDER_OUT=$out
  BF_SEEDER_LOG=$log
  echo "bitflow seeder: 127.0.0.1:$BF_SEEDER_PORT${*:+ ($*)} (pid $pid, log $log)"
}

# wait_bitflow_seeding <pid> <log>: waits (SEEDER_START_LIMIT at most) for the first
# "seeding" status line in the log of a bitflow seeder started without --quiet: its data
# is checked. Without a terminal bitflow prints its status every 5 s, so this takes 5 s
# at least.
wait_bitflow_seeding() {
  _seeder_wait "$1" "bitflow seed" "$2" grep -q '^seeding' "$2"
}

# bitflow_counter <stdout-file> <key>: that counter of the last JSON line (--json) in the
# file: uploaded, downloaded, wasted, hash_failures, peers_banned, ... (1 when absent).
bitflow_counter() {
  local line
  line=$(grep '^{' -- "$1" 2>/dev/null | tail -n 1)
  [[ -n $line ]] || return 1
  "$SEEDER_PYTHON" -c '
import json, sys
value = json.loads(sys.argv[1]).get(sys.argv[2])
if value is None:
    sys.exit(1)
print(value)' "$line" "$2"
}

# --- rTorrent -------------------------------------------------------------------------------

# rt_rpc <scgi-port> <method> [args...]: one XML-RPC call to rTorrent (rtorrent_rpc.py,
# Python's own marshalling); prints the result.
rt_rpc() {
  "$SEEDER_PYTHON" "$SEEDERS_DIR/../integration/rtorrent_rpc.py" "$@"
}

# start_rtorrent <dir> <save-dir> [peer-ip]: rTorrent in daemon mode (no terminal), with a
# private rc file: peers on <peer-ip> (default 127.0.0.1) at a free port, XML-RPC on
# 127.0.0.1 (SCGI), no DHT, PEX or UDP trackers -> RT_PORT, RT_SCGI_PORT, RT_PID, RT_LOG.
# It holds no torrent yet: rt_rpc "$RT_SCGI_PORT" load.start_verbose "" <torrent> adds one,
# downloaded into (or seeded from) <save-dir>. rTorrent refuses a torrent without a tracker
# and dials no peer by itself on loopback: give the torrent a dead tracker and let the
# other side dial RT_PORT.
start_rtorrent() {
  local dir=$1 out=$2 ip=${3:-127.0.0.1} n attempt sport pport pid status log rc
  [[ $# -ge 2 ]] || _seeder_fail "usage: start_rtorrent <dir> <save-dir> [peer-ip]" || return 1
  _seeder_require_tool rtorrent
  _seeder_require_python
  mkdir -p -- "$dir" "$out" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  out=$(cd "$out" && pwd) || return 1
  n=$((_SEEDER_STARTS += 1))
  log="$dir/rtorrent.$n.log"
  for attempt in 1 2 3; do
    sport=$(_seeder_probe free-port) || return 1
    pport=$(_seeder_probe free-port) || return 1
    [[ $sport != "$pport" ]] || continue
    rc="$dir/rtorrent.$n.rc"
    rm -rf -- "$dir/session.$n"
    mkdir -p -- "$dir/session.$n" || return 1
    cat >"$rc" <<RC
directory.default.set = $out
session.path.set = $dir/session.$n
network.scgi.open_port = 127.0.0.1:$sport
network.bind_address.set = $ip
network.local_address.set = $ip
network.port_range.set = $pport-$pport
network.port_random.set = no
dht.mode.set = disable
protocol.pex.set = no
trackers.use_udp.set = no
system.daemon.set = true
log.open_file = "main", $log
log.add_output = "info", "main"
RC
    # Daemon mode (0.9.7 and later) needs no terminal; -n skips ~/.rtorrent.rc.
    HOME=$dir timeout -k 5 "$SEEDER_LIFETIME" rtorrent -n -o "import=$rc" \
      >"$dir/rtorrent.$n.stdout" 2>&1 </dev/null &
    pid=$!
    status=0
    _seeder_wait "$pid" "rtorrent" "$dir/rtorrent.$n.stdout" rt_rpc "$sport" system.client_version ||
      status=$?
    if [[ $status -eq 0 ]]; then
      SEEDER_PIDS+=("$pid")
      RT_PORT=$pport
      RT_SCGI_PORT=$sport
      RT_PID=$pid
      RT_LOG=$log
      echo "rtorrent: peers on $ip:$pport, SCGI 127.0.0.1:$sport (pid $pid, log $log)"
      return 0
    fi
    stop_seeder "$pid"
    [[ $status -eq 2 ]] || return 1 # exited: perhaps a port was taken in between
  done
  _seeder_fail "rtorrent would not start (see $dir/rtorrent.$n.stdout)"
}

# --- qBittorrent ----------------------------------------------------------------------------

# qb_api <web-port> <path> [curl options...]: one call to qBittorrent's Web API (v2) on
# 127.0.0.1, which start_qbittorrent opens without a login; prints the answer.
qb_api() {
  local port=$1 path=$2
  shift 2
  curl -sS --fail --max-time 10 "$@" "http://127.0.0.1:$port/api/v2/$path"
}

# qb_progress <web-port> <info-hash>: the torrent's progress, 0 to 1 (nothing when unknown).
qb_progress() {
  qb_api "$1" "torrents/info?hashes=$2" |
    "$SEEDER_PYTHON" -c 'import json, sys; t = json.load(sys.stdin); print(t[0]["progress"] if t else "")'
}

# start_qbittorrent <dir> <save-dir>: qbittorrent-nox (libtorrent-rasterbar underneath)
# with a private profile in <dir>: peers and Web API on 127.0.0.1 only, at free ports, no
# DHT, PEX, LSD or UPnP, encryption allowed but not required, no login from 127.0.0.1
# -> QB_PORT, QB_WEB_PORT, QB_PID, QB_LOG. Add a torrent with
# qb_api "$QB_WEB_PORT" torrents/add -F torrents=@FILE -F savepath=DIR; it seeds what is
# already in DIR once its check has passed.
start_qbittorrent() {
  local dir=$1 out=$2 n attempt pport wport pid status log conf
  [[ $# -eq 2 ]] || _seeder_fail "usage: start_qbittorrent <dir> <save-dir>" || return 1
  _seeder_require_tool qbittorrent-nox
  _seeder_require_tool curl
  mkdir -p -- "$dir" "$out" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  out=$(cd "$out" && pwd) || return 1
  n=$((_SEEDER_STARTS += 1))
  log="$dir/qbittorrent.$n.log"
  for attempt in 1 2 3; do
    pport=$(_seeder_probe free-port) || return 1
    wport=$(_seeder_probe free-port) || return 1
    [[ $pport != "$wport" ]] || continue
    conf="$dir/profile.$n.$attempt"
    rm -rf -- "$conf"
    mkdir -p -- "$conf/qBittorrent/config" || return 1
    cat >"$conf/qBittorrent/config/qBittorrent.conf" <<CONF
[LegalNotice]
Accepted=true

[BitTorrent]
Session\\DHTEnabled=false
Session\\PeXEnabled=false
Session\\LSDEnabled=false
Session\\Port=$pport
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\Encryption=0
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath=$out

[Preferences]
WebUI\\Address=127.0.0.1
WebUI\\Port=$wport
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
WebUI\\HostHeaderValidation=false
Connection\\UPnP=false
CONF
    echo "-- qbittorrent-nox attempt $attempt: peer port $pport, web port $wport" >>"$log"
    HOME=$conf timeout -k 5 "$SEEDER_LIFETIME" qbittorrent-nox --profile="$conf" \
      >>"$log" 2>&1 </dev/null &
    pid=$!
    status=0
    _seeder_wait "$pid" "qbittorrent-nox" "$log" qb_api "$wport" app/version || status=$?
    [[ $status -ne 0 ]] || _seeder_wait "$pid" "qbittorrent-nox" "$log" _seeder_probe tcp "$pport" ||
      status=$?
    if [[ $status -eq 0 ]]; then
      SEEDER_PIDS+=("$pid")
      QB_PORT=$pport
      QB_WEB_PORT=$wport
      QB_PID=$pid
      QB_LOG=$log
      echo "qbittorrent-nox: peers on 127.0.0.1:$pport, Web API 127.0.0.1:$wport (pid $pid, log $log)"
      return 0
    fi
    stop_seeder "$pid"
    [[ $status -eq 2 ]] || return 1
  done
  _seeder_fail "qbittorrent-nox would not start (see $log)"
}

# --- by hand ------------------------------------------------------------------------------------

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -u
  case ${1:-} in
    data)
      shift
      make_test_data "$@" || exit 1
      echo "$TEST_DATA"
      ;;
    torrent)
      shift
      make_torrent_lt "$@" || exit 1
      ;;
    libtorrent | transmission | aria2 | bitflow)
      what=$1
      shift
      trap stop_seeders EXIT
      trap 'exit 0' INT TERM
      "start_${what}_seeder" "$@" || exit 1
      echo "running until Ctrl-C (at most $SEEDER_LIFETIME s)"
      wait "${SEEDER_PIDS[@]}"
      ;;
    *)
      echo "usage: $0 data DIR SIZE_MB [multi] | torrent DATA OUT [PIECE_SIZE] |" \
        "libtorrent|transmission|aria2 DIR TORRENT DATA_PARENT [lt_seeder options] |" \
        "bitflow DIR BITFLOW_CLI TORRENT DATA [bitflow seed options]" >&2
      exit 2
      ;;
  esac
fi
