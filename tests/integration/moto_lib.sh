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
  local rc=0
  start_moto "$SCRATCH/moto" || rc=$?
  ((rc != 2)) || skip "moto_server is not installed (it comes only with the pyenv Python 3.11.7)"
  ((rc == 0)) || die "moto_server did not start: $(tail -5 "$SCRATCH/moto/moto.log" 2>/dev/null)"
  # Only what the test sets: no profile, no files, no token of the caller's.
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
  export AWS_CONFIG_FILE=$SCRATCH/no-config AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/no-credentials
  export AWS_ACCESS_KEY_ID=$MOTO_KEY_ID AWS_SECRET_ACCESS_KEY=$MOTO_SECRET
  export AWS_ENDPOINT_URL=$MOTO_URL AWS_REGION=us-east-1
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
