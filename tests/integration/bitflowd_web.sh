#!/usr/bin/env bash
# bitflowd_web.sh <bitflow-cli> <scratch> <bitflowd>: bitflowd's web page in headless
# Chromium (Debian's chromium + chromium-driver, python3-selenium), loopback only: a token
# login, an HTTP download from nginx, a magnet, a .torrent URL and an uploaded .torrent
# file (one of their two files picked) added through the "+" dialog (its /inspect file list shown) and watched to 100 % by the
# live /events stream, the filter tabs, pause and resume of a throttled one, delete, the
# stream's reconnect with Last-Event-ID across a bitflowd restart, the history and its
# clearing, the settings. The browser's steps are bitflowd_web.py;
# screenshots land in the scratch folder.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
BITFLOWD=${3:?usage: bitflowd_web.sh <bitflow-cli> <scratch> <bitflowd>}
[[ -x $BITFLOWD ]] || die "bitflowd not found: $BITFLOWD"
require_python
require_tool curl
require_tool jq
command -v chromium >/dev/null 2>&1 || missing "chromium is not installed"
command -v chromedriver >/dev/null 2>&1 || missing "chromedriver (chromium-driver) is not installed"
"$SYSTEM_PYTHON" -c 'import selenium' 2>/dev/null || missing "python3-selenium is not installed"

# Chromium's singleton socket lives in TMPDIR, and a Unix socket's path has at most 107
# bytes: the scratch folder can be deeper than that, so chromium gets a short one of its own.
CHROME_TMP=$(mktemp -d /tmp/bitflowd_web.XXXXXX)
cleanup() {
  stop_servers
  # The bitflowd that bitflowd_web.py restarted, should the script have died without
  # stopping it.
  if [[ -s $SCRATCH/bitflowd.restarted.pid ]]; then
    kill "$(cat "$SCRATCH/bitflowd.restarted.pid")" 2>/dev/null || true
  fi
  rm -rf -- "$CHROME_TMP"
}
trap cleanup EXIT
# /slow/ at 32 KiB/s: the 4 MiB file stays running while the page pauses and resumes it.
NGINX_RATE=32k start_nginx "$SCRATCH/nginx" || die "nginx did not start"
www=$SCRATCH/nginx/www
random_file "$www/video.mp4" $((3 * 1024 * 1024 + 7))
random_file "$www/slow.bin" $((4 * 1024 * 1024))
random_file "$www/after.bin" $((256 * 1024))
# A two-file torrent, served as a .torrent URL and seeded by bitflow: the dialog picks one.
pick=$SCRATCH/data/pick
random_file "$pick/big.bin" $((1024 * 1024 + 5))
random_file "$pick/notes.txt" 3000
"$BITFLOW" create "$pick" -o "$www/pick.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$www/pick.torrent" "$pick" "$SCRATCH/seed.log"
PICK_SEED_PORT=$SEED_PORT
# Another, chosen as a .torrent file in the dialog (uploaded as multipart/form-data).
up=$SCRATCH/data/up
random_file "$up/one.bin" $((512 * 1024 + 3))
random_file "$up/two.txt" 777
"$BITFLOW" create "$up" -o "$SCRATCH/up.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
start_bitflow_seed "$SCRATCH/up.torrent" "$up" "$SCRATCH/seed_up.log"
UP_SEED_PORT=$SEED_PORT
# A third, pasted as a magnet link: no file list before its metadata.
mag=$SCRATCH/data/mag
random_file "$mag/song.flac" $((700 * 1024 + 1))
"$BITFLOW" create "$mag" -o "$SCRATCH/mag.torrent" --piece-size 262144 >/dev/null 2>&1 ||
  die "bitflow create failed"
MAGNET="magnet:?xt=urn:btih:$("$BITFLOW" info --json "$SCRATCH/mag.torrent" | jq -r .info_hash)&dn=mag"
start_bitflow_seed "$SCRATCH/mag.torrent" "$mag" "$SCRATCH/seed_mag.log"

D=$SCRATCH/bitflowd
TOKEN=$("$BITFLOWD" user add alice --tier pro --data-dir "$D" 2>/dev/null) || die "user add failed"
PORT=$(_server_probe free-port)
log=$SCRATCH/bitflowd.log
# The browser script restarts bitflowd with the same command line (BITFLOWD_CMD) to see
# the page's event stream reconnect.
BITFLOWD_CMD=("$BITFLOWD" --data-dir "$D" --listen "127.0.0.1:$PORT" --peer-listen 127.0.0.1:0
  --peer "127.0.0.1:$PICK_SEED_PORT" --peer "127.0.0.1:$UP_SEED_PORT" --peer "127.0.0.1:$SEED_PORT"
  --no-trackers --disk-reserve 0)
"${BITFLOWD_CMD[@]}" >"$log" 2>&1 </dev/null &
BITFLOWD_PID=$!
_SERVER_PIDS+=("$BITFLOWD_PID")
deadline=$((SECONDS + 10))
until grep -q "listening on" "$log"; do
  kill -0 "$BITFLOWD_PID" 2>/dev/null || die "bitflowd exited: $(cat "$log")"
  ((SECONDS < deadline)) || die "bitflowd did not listen within 10 s: $(cat "$log")"
  sleep 0.05 # poll interval of a deadline-bounded wait
done
BASE=http://127.0.0.1:$PORT

step "the page's files are served without a token, with their types, no-cache and a CSP"
curl -s -D "$SCRATCH/page.head" -o "$SCRATCH/page.html" "$BASE/" || die "GET / failed"
grep -qi '^HTTP/1.1 200' "$SCRATCH/page.head" || die "GET /: $(cat "$SCRATCH/page.head")"
grep -qi '^Content-Type: text/html; charset=utf-8' "$SCRATCH/page.head" || die "GET / type: $(cat "$SCRATCH/page.head")"
grep -qi "^Content-Security-Policy: default-src 'self'" "$SCRATCH/page.head" || die "GET / has no CSP"
grep -qi '^Cache-Control: no-cache' "$SCRATCH/page.head" || die "GET / is cacheable"
for f in app.js style.css; do
  type=$(curl -s -o /dev/null -w '%{content_type}' "$BASE/$f") || die "GET /$f failed"
  case $f in
    *.js) [[ $type == "text/javascript; charset=utf-8" ]] || die "/$f is $type" ;;
    *.css) [[ $type == "text/css; charset=utf-8" ]] || die "/$f is $type" ;;
  esac
done
for f in index.html app.js style.css; do
  curl -s -o "$SCRATCH/served.$f" "$BASE/$f" || die "GET /$f failed"
  cmp "$SCRATCH/served.$f" "$HERE/../../src/daemon/web/$f" || die "/$f is not the embedded src/daemon/web/$f"
done
status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/downloads")
[[ $status == 401 ]] || die "the API answered $status without a token"

step "the page in headless chromium"
mkdir -p "$SCRATCH/screenshots" "$SCRATCH/chromium-profile"
BITFLOWD_CMD=$(printf '%s\n' "${BITFLOWD_CMD[@]}") BITFLOWD_PID=$BITFLOWD_PID \
  RESTARTED_PID_FILE=$SCRATCH/bitflowd.restarted.pid \
  BITFLOWD_URL=$BASE BITFLOWD_TOKEN=$TOKEN NGINX_URL=$NGINX_URL WWW_DIR=$www FILES_DIR=$D/files/alice \
  UPLOAD_TORRENT=$SCRATCH/up.torrent MAGNET=$MAGNET SHOTS=$SCRATCH/screenshots PROFILE=$SCRATCH/chromium-profile TMPDIR=$CHROME_TMP \
  "$SYSTEM_PYTHON" "$HERE/bitflowd_web.py" || die "the browser test failed (screenshots in $SCRATCH/screenshots)"
cmp "$www/video.mp4" "$D/files/alice/video.mp4" || die "the file added through the page differs"
cmp "$pick/big.bin" "$D/files/alice/pick/big.bin" || die "the picked torrent file differs"
[[ ! -e $D/files/alice/pick/notes.txt ]] || die "the file left out in the dialog was downloaded"
cmp "$up/one.bin" "$D/files/alice/up/one.bin" || die "the uploaded torrent's file differs"
[[ ! -e $D/files/alice/up/two.txt ]] || die "the uploaded torrent's unticked file was downloaded"
cmp "$mag/song.flac" "$D/files/alice/mag/song.flac" || die "the magnet's file differs"
echo "PASS: bitflowd's web page (screenshots in $SCRATCH/screenshots)"
