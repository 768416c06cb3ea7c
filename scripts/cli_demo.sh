#!/usr/bin/env bash
# The command-line client's demo, offline: builds the bitflow client, makes a folder of sample
# data, turns it into a .torrent with `bitflow create`, shows it with `bitflow info`, has
# two independent implementations (transmission-show and libtorrent) confirm the
# info-hash, then starts a python3-libtorrent seeder on 127.0.0.1 and downloads the
# torrent from it with `bitflow download`, checking the result byte for byte. Then the
# same content from a plain HTTP server (nginx on 127.0.0.1): `bitflow info` of a URL,
# a segmented download over 4 connections, and the torrent fetched with the server as
# its only source (a BEP 19 web seed).
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh

build=${BUILD_ROOT:-.}/build
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target bitflow_cli >/dev/null
bitflow=$build/examples/bitflow

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== sample data in $work/album"
mkdir -p "$work/album/disc 1" "$work/album/disc 2"
head -c 3000000 /dev/urandom >"$work/album/disc 1/01 - intro.flac"
head -c 5000000 /dev/urandom >"$work/album/disc 1/02 - theme.flac"
head -c 4000000 /dev/urandom >"$work/album/disc 2/01 - finale.flac"
echo "Sample album made by the bitflow demo." >"$work/album/README.txt"

echo "== bitflow create"
"$bitflow" create "$work/album" -o "$work/album.torrent" \
  -t http://127.0.0.1:6969/announce -t udp://127.0.0.1:6969 \
  -w http://127.0.0.1:8080/files/ --comment "bitflow demo"

echo "== bitflow info"
"$bitflow" info "$work/album.torrent"

ours=$("$bitflow" info --json "$work/album.torrent" |
  /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["info_hash"])')
transmission=$(transmission-show "$work/album.torrent" | awk '/^  Hash:/ {print $2}')
libtorrent=$(/usr/bin/python3 -c \
  'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)' \
  "$work/album.torrent")

echo "== cross-check"
echo "bitflow           $ours"
echo "transmission-show $transmission"
echo "libtorrent        $libtorrent"
if [[ "$ours" == "$transmission" && "$ours" == "$libtorrent" ]]; then
  echo "demo: all three agree"
else
  echo "demo: the info-hashes differ" >&2
  exit 1
fi

echo "== a magnet link"
"$bitflow" info "magnet:?xt=urn:btih:${ours}&dn=album&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce"

echo "== a real download on loopback: a libtorrent seeder, then bitflow download"
# shellcheck source=tests/seeders/seeders.sh
source tests/seeders/seeders.sh
trap 'stop_seeders; rm -rf "$work"' EXIT
start_libtorrent_seeder "$work/seeder" "$work/album.torrent" "$work"
"$bitflow" download "$work/album.torrent" -o "$work/downloaded" --no-trackers --listen 127.0.0.1 --port 0 \
  --peer "127.0.0.1:$LT_SEEDER_PORT"
if diff -r "$work/album" "$work/downloaded/album" >/dev/null; then
  echo "demo: the download is byte-identical to the original"
else
  echo "demo: the download differs from the original" >&2
  exit 1
fi

echo "== the same files from an HTTP server: nginx on 127.0.0.1"
# shellcheck source=tests/servers/servers.sh
source tests/servers/servers.sh
trap 'stop_seeders; stop_servers; rm -rf "$work"' EXIT
mkdir -p "$work/nginx/www"
cp -r "$work/album" "$work/nginx/www/"
start_nginx "$work/nginx"
"$bitflow" info "$NGINX_URL/album/disc%201/02%20-%20theme.flac"
echo "== bitflow download <URL>: 4 connections, resumable, verified"
sum=$(sha256sum "$work/album/disc 1/02 - theme.flac" | cut -d' ' -f1)
"$bitflow" download "$NGINX_URL/album/disc%201/02%20-%20theme.flac" -o "$work/from-http" -x 4 \
  --checksum "sha256=$sum"
cmp "$work/album/disc 1/02 - theme.flac" "$work/from-http/02 - theme.flac"
echo "demo: the URL download is byte-identical (and its sha256 was checked before the rename)"
echo "== the torrent with the HTTP server as its only source (a BEP 19 web seed)"
"$bitflow" create "$work/album" -o "$work/webseed.torrent" -w "$NGINX_URL/" >/dev/null
"$bitflow" download "$work/webseed.torrent" -o "$work/from-webseed" --no-trackers \
  --listen 127.0.0.1 --port 0
if diff -r "$work/album" "$work/from-webseed/album" >/dev/null; then
  echo "demo: the web-seeded download is byte-identical to the original"
else
  echo "demo: the web-seeded download differs from the original" >&2
  exit 1
fi
