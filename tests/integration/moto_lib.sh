# moto_lib.sh — what the tests against moto_server share (s3_client.sh, sqs_notify.sh).
# Source it (it sources lib.sh and servers.sh), then call init and use_moto.
#
#   use_moto CHECK      CHECK: the s3_client_check program. Starts moto in auth mode under
#                       $SCRATCH/moto (skips where it is absent, dies when it does not
#                       start) and points the AWS environment at it and only at it, with
#                       the keys start_moto made
#   check ARGS...       runs $CHECK with a deadline
#   expect_failure CODE-NUMBER TEXT ARGS...
#                       check ARGS fails with that s3::errc value and TEXT in its message,
#                       after one attempt (nothing these tests provoke is worth a retry)
# shellcheck shell=bash

MOTO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$MOTO_LIB_DIR/lib.sh"
# shellcheck source=../servers/servers.sh
source "$MOTO_LIB_DIR/../servers/servers.sh"

use_moto() {
  CHECK=${1:?usage: <script> <bitflow-cli> <scratch> <s3_client_check>}
  [[ -x $CHECK ]] || die "s3_client_check not found: $CHECK"
  trap stop_servers EXIT
  start_moto_for_test "$SCRATCH/moto"
}

check() { timeout -k 2 60 "$CHECK" "$@"; }

expect_failure() {
  local code=$1 text=$2 out
  shift 2
  if out=$(check "$@" 2>&1); then die "'$*' succeeded: $out"; fi
  [[ $out == *"error $code:"* && $out == *"$text"* ]] || die "'$*': expected code $code and '$text', got: $out"
  [[ $out == *"after 1 attempt"* ]] || die "'$*' was retried: $out"
  echo "   $out"
}
