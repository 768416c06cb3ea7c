#!/usr/bin/env bash
# BEP 19 web seeds against real nginx on 127.0.0.1: `bitflow create --web-seed` puts the
# url-list in the torrent, `bitflow download` with no trackers and no peers fetches every
# piece from nginx with ranged GETs.
#
#   web_seed.sh <bitflow-cli> <scratch-dir>
#
# Checks: a multi-file torrent (nested folders, an empty file, spaces and UTF-8 in names:
# percent-encoded in the URLs) and a single-file one download byte-identical, through 206
# answers; a web seed given on the command line works like one in the torrent; with a
# corrupt copy listed first, the download still completes from the good one and reports
# the hash failure; without web seeds and peers the command refuses to start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../servers/servers.sh"
init "$@"
trap stop_servers EXIT

require_tool nginx
start_nginx "$SCRATCH/nginx" || die "nginx did not start"
www=$SCRATCH/nginx/www
make_sample_data "$www/seeds"

# download <expected-exit> <log> <args...>: runs the CLI (60 s at most), no trackers.
download() {
  local want=$1 log=$2 status=0
  shift 2
  timeout -k 5 60 "$BITFLOW" download "$@" --no-trackers --listen 127.0.0.1 --port 0 \
    >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "bitflow download $* exited $status, expected $want: $(tail -n 3 "$log")"
}

step "bitflow create --web-seed writes the url-list"
"$BITFLOW" create "$www/seeds/multi" -o "$SCRATCH/multi.torrent" --piece-size 32768 \
  --web-seed "$NGINX_URL/seeds/" --quiet
"$BITFLOW" info "$SCRATCH/multi.torrent" --json >"$SCRATCH/multi.json"
grep -q "$NGINX_URL/seeds/" "$SCRATCH/multi.json" || die "no web seed in: $(cat "$SCRATCH/multi.json")"

step "a multi-file torrent downloads from its web seed alone, byte-identical"
download 0 "$SCRATCH/a.log" "$SCRATCH/multi.torrent" -o "$SCRATCH/a" --json
diff -r "$www/seeds/multi" "$SCRATCH/a/multi" || die "the web-seeded download differs"
[[ -f $SCRATCH/a/multi/empty.txt ]] || die "the empty file is missing"
ranged=$(grep -c '^GET /seeds/multi/.* 206 ' "$NGINX_LOG" || true)
((ranged >= 10)) || die "expected ranged GETs (206) under /seeds/multi/, saw $ranged"
grep -q '^GET /seeds/multi/sub/deeper/na%C3%AFve%20r%C3%A9sum%C3%A9%20%C3%BC.dat HTTP/1.1 206 ' \
  "$NGINX_LOG" || die "no percent-encoded request for the UTF-8 name: $(grep deeper "$NGINX_LOG" | head -n 3)"
grep -q '"hash_failures":0' "$SCRATCH/a.log" || die "hash failures: $(tail -n 1 "$SCRATCH/a.log")"

step "a single-file torrent whose web seed URL names the file"
"$BITFLOW" create "$www/seeds/single.bin" -o "$SCRATCH/single.torrent" \
  --web-seed "$NGINX_URL/seeds/single.bin" --quiet
download 0 "$SCRATCH/b.log" "$SCRATCH/single.torrent" -o "$SCRATCH/b" --quiet
cmp "$www/seeds/single.bin" "$SCRATCH/b/single.bin" || die "the single file differs"

step "a web seed given with --web-seed, for a torrent without a url-list"
"$BITFLOW" create "$www/seeds/multi" -o "$SCRATCH/plain.torrent" --piece-size 65536 --quiet
download 2 "$SCRATCH/c0.log" "$SCRATCH/plain.torrent" -o "$SCRATCH/c" --quiet
grep -q "web seeds" "$SCRATCH/c0.log" || die "no clear refusal: $(cat "$SCRATCH/c0.log")"
download 0 "$SCRATCH/c.log" "$SCRATCH/plain.torrent" -o "$SCRATCH/c" --quiet \
  --web-seed "$NGINX_URL/seeds"
diff -r "$www/seeds/multi" "$SCRATCH/c/multi" || die "the --web-seed download differs"

step "a corrupt web seed is dropped; the good one completes the download"
mkdir -p "$www/bad"
cp -r "$www/seeds/multi" "$www/bad/multi"
# Every byte of the biggest file changed: whatever piece the bad seed serves from it fails.
tr '\000-\377' '\001-\377\000' <"$www/seeds/multi/a.bin" >"$www/bad/multi/a.bin"
"$BITFLOW" create "$www/seeds/multi" -o "$SCRATCH/two.torrent" --piece-size 32768 \
  --web-seed "$NGINX_URL/bad/" --web-seed "$NGINX_URL/seeds/" --quiet
download 0 "$SCRATCH/d.log" "$SCRATCH/two.torrent" -o "$SCRATCH/d" --json -v
diff -r "$www/seeds/multi" "$SCRATCH/d/multi" || die "the download with a corrupt seed differs"
if grep -q '^GET /bad/multi/a.bin .* 206 ' "$NGINX_LOG"; then
  grep -q "web seed $NGINX_URL/bad/ dropped" "$SCRATCH/d.log" ||
    die "the corrupt seed served a.bin but was not dropped: $(grep -i 'web seed' "$SCRATCH/d.log" | head -n 3)"
  grep -q '"hash_failures":0' "$SCRATCH/d.log" && die "a corrupt piece was not counted"
fi
echo "web seeds: ok"
