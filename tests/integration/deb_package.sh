#!/usr/bin/env bash
# Integration: CPack makes the .deb packages (libbitflow-dev: library, headers, CMake
# package, pkg-config file; bitflow: the client), they install with dpkg, and a separate
# program that runs the engine (two Sessions, a tracker request through libcurl, SHA-1
# through OpenSSL) builds against the installed package both through find_package and
# through pkg-config, and runs correctly. Packages this test installed are removed again.
#
# As root (CI) the packages are installed on the machine; otherwise they are unpacked
# into the scratch folder with dpkg-deb -x and used from there.
#
# usage: deb_package.sh <bitflow-cli> <scratch-dir> <bitflow build dir> <consumer source dir>
#                       <cmake> <cpack> <C++ compiler> <version>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(libbitflow-dev bitflow)
INSTALLED_HERE=()

remove_installed() {
  if [[ ${#INSTALLED_HERE[@]} -gt 0 ]]; then
    dpkg -r "${INSTALLED_HERE[@]}" >/dev/null 2>&1 || echo "warning: could not remove ${INSTALLED_HERE[*]}" >&2
  fi
}

# make_packages <build dir> <cpack> <out dir>
make_packages() {
  step "cpack -G DEB"
  (cd "$1" && "$2" -G DEB -B "$3" >"$SCRATCH/cpack.log" 2>&1) ||
    die "cpack failed: $(tail -n 30 "$SCRATCH/cpack.log")"
}

# expect_in_package <deb> <path>...: each path is in the package.
expect_in_package() {
  local deb=$1 listing
  shift
  listing=$(dpkg-deb -c "$deb")
  for path in "$@"; do
    grep -qE " \./${path}( |$)" <<<"$listing" || die "$(basename "$deb") lacks /$path"
  done
}

main() {
  [[ $# -eq 8 ]] ||
    die "usage: $0 <bitflow-cli> <scratch> <build dir> <consumer> <cmake> <cpack> <c++> <version>"
  init "$1" "$2"
  local build_dir=$3 consumer_src=$4 cmake=$5 cpack=$6 compiler=$7 version=$8
  require_tool dpkg-deb
  require_tool pkg-config
  require_tool ninja

  local out=$SCRATCH/packages
  make_packages "$build_dir" "$cpack" "$out"
  local dev_deb cli_deb
  dev_deb=$(ls "$out"/libbitflow-dev_"$version"_*.deb 2>/dev/null | head -n 1)
  cli_deb=$(ls "$out"/bitflow_"$version"_*.deb 2>/dev/null | head -n 1)
  [[ -f $dev_deb && -f $cli_deb ]] || die "expected libbitflow-dev and bitflow $version .debs, got: $(ls "$out")"

  step "package contents"
  expect_in_package "$dev_deb" usr/include/bitflow/session.hpp usr/include/bitflow/version.hpp \
    usr/lib/libbitflow.a usr/lib/cmake/bitflow/bitflowConfig.cmake \
    usr/lib/pkgconfig/bitflow.pc usr/share/doc/libbitflow-dev/copyright
  expect_in_package "$cli_deb" usr/bin/bitflow usr/share/doc/bitflow/copyright
  dpkg-deb -f "$dev_deb" Depends | grep -q libcurl4-openssl-dev ||
    die "libbitflow-dev does not depend on libcurl4-openssl-dev"
  dpkg-deb -f "$dev_deb" Depends | grep -q libsqlite3-dev ||
    die "libbitflow-dev does not depend on libsqlite3-dev"
  grep -q "MIT License" <(dpkg-deb --fsys-tarfile "$cli_deb" | tar -xO ./usr/share/doc/bitflow/copyright) ||
    die "the bitflow package does not carry the MIT license"
  # bitflowd's package, when the build has the daemon: the service, its user, its docs. It is
  # checked, not installed (its postinst would start a service on this machine).
  if [[ -x $build_dir/src/daemon/bitflowd ]]; then
    local daemon_deb
    daemon_deb=$(ls "$out"/bitflowd_"$version"_*.deb 2>/dev/null | head -n 1)
    [[ -f $daemon_deb ]] || die "the build has bitflowd but cpack made no bitflowd .deb: $(ls "$out")"
    expect_in_package "$daemon_deb" usr/bin/bitflowd usr/lib/systemd/system/bitflowd.service \
      usr/share/doc/bitflowd/API.md usr/share/doc/bitflowd/copyright
    dpkg-deb -I "$daemon_deb" postinst | grep -q "adduser --system" ||
      die "bitflowd's postinst does not create its system user"
    dpkg-deb -f "$daemon_deb" Depends | grep -q adduser || die "bitflowd does not depend on adduser"
  fi

  local root=/ prefix=/usr
  if [[ $(id -u) -eq 0 ]] && command -v dpkg >/dev/null; then
    step "dpkg -i $(basename "$dev_deb") $(basename "$cli_deb")"
    for p in "${PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        INSTALLED_HERE+=("$p")
    done
    trap remove_installed EXIT
    dpkg -i "$dev_deb" "$cli_deb" >"$SCRATCH/dpkg.log" 2>&1 ||
      die "dpkg -i failed: $(cat "$SCRATCH/dpkg.log")"
  else
    step "not root: unpacking the packages into $SCRATCH/root"
    root=$SCRATCH/root
    prefix=$root/usr
    dpkg-deb -x "$dev_deb" "$root"
    dpkg-deb -x "$cli_deb" "$root"
  fi

  step "the installed client"
  local shown
  shown=$("$prefix/bin/bitflow" --version)
  [[ $shown == "bitflow $version" ]] || die "bitflow --version says '$shown', not 'bitflow $version'"

  step "a program using the engine, through find_package(bitflow)"
  "$cmake" -S "$consumer_src" -B "$SCRATCH/consumer-cmake" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$compiler" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
    >"$SCRATCH/configure.log" 2>&1 || die "configuring failed: $(cat "$SCRATCH/configure.log")"
  local found
  found=$(sed -n 's/^bitflow_DIR:PATH=//p' "$SCRATCH/consumer-cmake/CMakeCache.txt")
  [[ $found == "$prefix/lib/cmake/bitflow" ]] || die "find_package(bitflow) found '$found', not the package"
  # -j1: the machine this runs on is small and shared.
  "$cmake" --build "$SCRATCH/consumer-cmake" -j1 >"$SCRATCH/build.log" 2>&1 ||
    die "building failed: $(cat "$SCRATCH/build.log")"
  "$SCRATCH/consumer-cmake/bitflow_consumer" || die "the find_package consumer failed"

  step "the same program through pkg-config"
  local flags
  flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs bitflow) ||
    die "pkg-config does not know bitflow"
  [[ $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion bitflow) == "$version" ]] ||
    die "pkg-config reports the wrong version"
  # shellcheck disable=SC2086 # the flags are words
  "$compiler" -std=c++20 -O1 "$consumer_src/main.cpp" -o "$SCRATCH/consumer-pc" $flags \
    >"$SCRATCH/pc-build.log" 2>&1 || die "building with pkg-config failed: $(cat "$SCRATCH/pc-build.log")"
  "$SCRATCH/consumer-pc" || die "the pkg-config consumer failed"

  echo "PASS: the .deb packages install and a program using the engine builds against them"
}

main "$@"
