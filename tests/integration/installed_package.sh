#!/usr/bin/env bash
# Integration: bitflow installs into a fresh prefix, and a separate CMake project
# (tests/consumer) finds it with find_package(bitflow), builds against bitflow::bitflow
# and runs correctly.
#
# usage: installed_package.sh <bitflow-cli> <scratch-dir> <bitflow build dir>
#                             <consumer source dir> <cmake> <C++ compiler> <build type>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# install_bitflow <build dir> <build type> <prefix>
install_bitflow() {
  step "cmake --install $1 --prefix $3"
  "$CMAKE" --install "$1" --config "$2" --prefix "$3" >"$SCRATCH/install.log" 2>&1 ||
    die "cmake --install failed: $(cat "$SCRATCH/install.log")"
  [[ -f $3/include/bitflow/bencode.hpp ]] || die "the headers were not installed in $3"
}

# build_consumer <source> <build dir> <prefix> <compiler> <build type>
build_consumer() {
  local source=$1 build=$2 prefix=$3 compiler=$4 config=$5
  step "configuring the consumer against $prefix"
  # Only the fresh prefix may satisfy find_package: no package registries.
  "$CMAKE" -S "$source" -B "$build" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_BUILD_TYPE="$config" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
    >"$SCRATCH/configure.log" 2>&1 ||
    die "configuring the consumer failed: $(cat "$SCRATCH/configure.log")"

  local found
  found=$(sed -n 's/^bitflow_DIR:PATH=//p' "$build/CMakeCache.txt")
  [[ $found == "$prefix"/* ]] || die "find_package(bitflow) found '$found', not the prefix $prefix"

  step "building the consumer"
  # -j1: the machine this runs on is small and shared.
  "$CMAKE" --build "$build" -j1 >"$SCRATCH/build.log" 2>&1 ||
    die "building the consumer failed: $(cat "$SCRATCH/build.log")"
}

main() {
  [[ $# -eq 7 ]] ||
    die "usage: $0 <bitflow-cli> <scratch> <build dir> <consumer> <cmake> <c++> <build type>"
  init "$1" "$2"
  local build_dir=$3 consumer_src=$4 compiler=$6 config=${7:-Release}
  CMAKE=$5
  require_tool ninja
  local prefix="$SCRATCH/prefix"

  install_bitflow "$build_dir" "$config" "$prefix"
  build_consumer "$consumer_src" "$SCRATCH/consumer-build" "$prefix" "$compiler" "$config"

  step "running the consumer"
  "$SCRATCH/consumer-build/bitflow_consumer" || die "the consumer program failed"
  echo "PASS: the installed bitflow package works"
}

main "$@"
