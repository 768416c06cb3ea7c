#!/usr/bin/env bash
# sqs_notify.sh <bitflow-cli> <scratch> <s3_client_check>: bitflow's SqsNotifier against a
# real moto_server in auth mode (every signature checked) on 127.0.0.1: a delivery notice
# with awkward strings and a raw message are received by boto3 as sent (same MessageId,
# same JSON, MD5 of the body right); a missing queue and wrong credentials fail at once
# with SQS's code. Skips when moto (only in this machine image's pyenv Python) is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=../servers/servers.sh
source "$HERE/../servers/servers.sh"
init "$1" "$2"
CHECK=${3:?usage: sqs_notify.sh <bitflow-cli> <scratch> <s3_client_check>}
[[ -x $CHECK ]] || die "s3_client_check not found: $CHECK"

trap stop_servers EXIT
rc=0
start_moto "$SCRATCH/moto" || rc=$?
((rc != 2)) || skip "moto_server is not installed (it comes only with the pyenv Python 3.11.7)"
((rc == 0)) || die "moto_server did not start: $(tail -5 "$SCRATCH/moto/moto.log" 2>/dev/null)"

# Only what this test sets: no profile, no files, no token of the caller's.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$SCRATCH/no-config AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/no-credentials
export AWS_ACCESS_KEY_ID=$MOTO_KEY_ID AWS_SECRET_ACCESS_KEY=$MOTO_SECRET
export AWS_ENDPOINT_URL=$MOTO_URL AWS_REGION=us-east-1

check() { timeout -k 2 60 "$CHECK" "$@"; }
queue() { timeout -k 2 60 "$MOTO_PYTHON" "$HERE/sqs_queue.py" "$@"; }
# expect_failure CODE-NUMBER TEXT COMMAND...: the command fails with that s3::errc value
# and TEXT in its message, after one attempt (nothing here is worth a retry).
expect_failure() {
  local code=$1 text=$2 out
  shift 2
  if out=$(check "$@" 2>&1); then die "'$*' succeeded: $out"; fi
  [[ $out == *"error $code:"* && $out == *"$text"* ]] || die "'$*': expected code $code and '$text', got: $out"
  [[ $out == *"after 1 attempt"* ]] || die "'$*' was retried: $out"
  echo "   $out"
}

step "boto3 creates the queue"
Q=$(queue create deliveries) || die "create_queue failed"
[[ $Q == "$MOTO_URL/"*"/deliveries" ]] || die "unexpected queue URL: $Q"

step "a delivery notice with quotes, backslashes, a newline, a control byte and UTF-8 arrives as sent"
key=$'dir/"quoted" \\back\nslash \x01 \xc3\xa9t\xc3\xa9.bin'
sha=$(printf 'abc' | sha256sum | cut -d' ' -f1)
source_url='https://example.com/file?a=1&b=2+3'
id=$(check sqs-notify "$Q" bitflow-test "$key" 18446744073709551615 "$sha" "$source_url" dl-42) ||
  die "notify_delivered failed"
[[ -n $id ]] || die "no MessageId"
queue expect-notice "$Q" "$id" bitflow-test "$key" 18446744073709551615 "$sha" "$source_url" dl-42 ||
  die "the notice boto3 received differs"

step "a raw message with form-special characters and UTF-8 arrives byte for byte"
printf '%s' $'plain & = + % text; \xe2\x9c\x93 line\nnext' >"$SCRATCH/raw.txt"
id=$(check sqs-send "$Q" "$SCRATCH/raw.txt") || die "send failed"
queue expect-body "$Q" "$id" "$SCRATCH/raw.txt" || die "the message boto3 received differs"

step "a missing queue is named as such"
expect_failure 21 "SQS AWS.SimpleQueueService.NonExistentQueue" sqs-send "${Q%/*}/no-such-queue" "$SCRATCH/raw.txt"

step "wrong credentials fail at once with SQS's code"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_failure 13 "SQS SignatureDoesNotMatch" sqs-send "$Q" "$SCRATCH/raw.txt"
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY000000 expect_failure 13 "SQS InvalidClientTokenId" sqs-send "$Q" "$SCRATCH/raw.txt"

echo "OK: the SQS notifier agrees with moto_server"
