#!/usr/bin/env bash
# Integration: bitflow embedded in another CMake project (add_subdirectory, as FetchContent
# does) configures with only its library: no tests, client, benchmarks or install rules,
# Catch2 never looked for (find_package(Catch2) is disabled, so asking for it would fail),
# and the parent's build type and compiler launcher left as the parent set them.
#
# usage: embedded_project.sh <bitflow-cli> <scratch-dir> <bitflow source dir> <cmake>
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  [[ $# -eq 4 ]] || die "usage: $0 <bitflow-cli> <scratch> <bitflow source dir> <cmake>"
  init "$1" "$2"
  local source=$3 cmake=$4 build=$SCRATCH/build
  require_tool ninja

  step "configuring a project that embeds bitflow"
  "$cmake" -S "$source/tests/embedded" -B "$build" -G Ninja -DBITFLOW_SOURCE_DIR="$source" \
    -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON >"$SCRATCH/configure.log" 2>&1 ||
    die "configuring failed: $(cat "$SCRATCH/configure.log")"

  step "only the library and the embedder are linked, nothing is installed"
  local linked
  linked=$(ninja -C "$build" -t targets all |
    sed -n 's/^\([^:]*\): CXX_\(STATIC_LIBRARY\|SHARED_LIBRARY\|EXECUTABLE\)_LINKER.*/\1/p' |
    xargs -n1 basename | sort | tr '\n' ' ')
  [[ $linked == "embedder libbitflow.a " ]] ||
    die "expected only libbitflow.a and embedder to be linked, got: $linked"
  ninja -C "$build" -t targets all | grep -q '^install:' &&
    die "the embedded bitflow added install rules"

  step "the parent's settings are untouched"
  local type launcher
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
  [[ -z $type ]] || die "the embedded bitflow set CMAKE_BUILD_TYPE to '$type'"
  launcher=$(sed -n 's/^CMAKE_CXX_COMPILER_LAUNCHER:[A-Z]*=//p' "$build/CMakeCache.txt")
  [[ -z $launcher ]] || die "the embedded bitflow set a compiler launcher '$launcher'"
  grep -q -- '-Werror' "$build/build.ninja" && die "-Werror reached an embedding project's build"

  echo "PASS: embedded bitflow adds its library alone"
}

main "$@"
