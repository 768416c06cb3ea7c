#!/usr/bin/env bash
# Installs every Debian 12 package that bitflow's build, tests and demo need, then npm's
# s3rver (the presigned-URL tests' server) into the current user's cache. Idempotent:
# when everything is present it prints nothing and touches nothing. Needs root (or sudo)
# only when a Debian package is missing; npm runs as the calling user.
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
  # the torrent clients `bitflow watch` follows (tests/integration/remote_watch.sh) and
  # the ones that download from and seed to bitflow (tests/integration/client_interop.sh)
  rtorrent qbittorrent-nox ctorrent
  # servers the URL fetcher tests run against (tests/servers/)
  nginx-light python3-pyftpdlib vsftpd openssh-server
  # the reference S3 client that reads back what bitflow wrote (tests/servers/aws_cli.sh)
  awscli
  # the browser that bitflowd's web page is tested in (tests/integration/bitflowd_web.sh)
  chromium chromium-driver python3-selenium
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
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: done" >&2
fi

# npm's s3rver, which enforces presigned-URL expiry (tests/integration/s3_presign.sh), in
# the folder tests/servers/servers.sh's start_s3rver reads (the same default, or
# S3RVER_NPM_DIR); a folder of its own, since npm prunes what another install put there.
S3RVER_VERSION=3.7.1
S3RVER_NPM_DIR=${S3RVER_NPM_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/bitflow-test-npm-s3rver}
if ! grep -qs "\"version\": \"$S3RVER_VERSION\"" "$S3RVER_NPM_DIR/node_modules/s3rver/package.json"; then
  echo "setup: npm install s3rver@$S3RVER_VERSION into $S3RVER_NPM_DIR" >&2
  mkdir -p "$S3RVER_NPM_DIR"
  # The registry is not ours: without it the presign test skips, and nothing else needs it.
  npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$S3RVER_NPM_DIR" \
    "s3rver@$S3RVER_VERSION" >/dev/null ||
    echo "setup: npm could not install s3rver; tests/integration/s3_presign.sh will skip" >&2
fi
