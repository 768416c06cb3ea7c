#!/usr/bin/env bash
# Installs every Debian 12 package that bitflow's build, tests and demo need. Idempotent:
# when everything is present it prints nothing and touches nothing. Needs root (or sudo)
# only when something is missing.
set -euo pipefail

# shellcheck disable=SC2207 # the npm entry below must vanish (no word) when npm is there
packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcurl4-openssl-dev libfmt-dev libspdlog-dev libpugixml-dev libsqlite3-dev catch2
  # sanitizers and libFuzzer
  clang libclang-rt-14-dev
  # third-party programs the integration tests and the demo run against
  transmission-cli mktorrent python3 python3-libtorrent curl jq wrk
  # seeders the download tests and bench/download_bench.sh run against (tests/seeders/)
  aria2 transmission-daemon
  # servers the URL fetcher tests run against (tests/servers/)
  nginx-light python3-pyftpdlib vsftpd openssh-server
  # the example fetcher a program registers (examples/ytdlp_fetcher.cpp)
  yt-dlp
  # trackers the announce tests run against (tests/trackers/); bittorrent-tracker itself
  # comes from npm. NodeSource's nodejs bundles npm and conflicts with Debian's npm
  # package, so npm is asked for only when there is none on PATH yet.
  opentracker nodejs $(command -v npm >/dev/null 2>&1 || echo npm)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
