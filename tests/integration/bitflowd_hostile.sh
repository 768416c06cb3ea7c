#!/usr/bin/env bash
# bitflowd_hostile.sh <bitflow-cli> <scratch> <bitflowd>: hostile clients against a running
# bitflowd on 127.0.0.1 (bitflowd_hostile.py): deep JSON and invalid UTF-8 (400), a header
# flood (431), no Host (400), a non-HTTP client, a slowloris client cut off at the header
# deadline while others are answered, idle connections past the cap (503) dropped at the
# deadline — and the server up and answering at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
BITFLOWD=${3:?usage: bitflowd_hostile.sh <bitflow-cli> <scratch> <bitflowd>}
[[ -x $BITFLOWD ]] || die "bitflowd not found: $BITFLOWD"
require_python
trap stop_servers EXIT

D=$SCRATCH/bitflowd
TOKEN=$("$BITFLOWD" user add mallory --data-dir "$D" 2>/dev/null) || die "user add failed"
PORT=$(_server_probe free-port)
CAP=40
HEADER_TIMEOUT=2
log=$SCRATCH/bitflowd.log
"$BITFLOWD" --data-dir "$D" --listen "127.0.0.1:$PORT" --peer-listen 127.0.0.1:0 \
  --disk-reserve 0 --max-connections "$CAP" --header-timeout "$HEADER_TIMEOUT" \
  >"$log" 2>&1 </dev/null &
pid=$!
_SERVER_PIDS+=("$pid")
deadline=$((SECONDS + 10))
until grep -q "listening on" "$log"; do
  kill -0 "$pid" 2>/dev/null || die "bitflowd exited: $(cat "$log")"
  ((SECONDS < deadline)) || die "bitflowd did not listen within 10 s"
  sleep 0.05 # poll interval of a deadline-bounded wait
done

"$SYSTEM_PYTHON" "$HERE/bitflowd_hostile.py" "$PORT" "$TOKEN" "$CAP" "$HEADER_TIMEOUT" ||
  die "a hostile client got through (see above); bitflowd's log: $(tail -n 20 "$log")"
kill -0 "$pid" 2>/dev/null || die "bitflowd died: $(cat "$log")"
echo "bitflowd stood up to hostile clients"
