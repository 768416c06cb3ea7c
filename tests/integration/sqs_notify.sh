#!/usr/bin/env bash
# sqs_notify.sh <bitflow-cli> <scratch> <s3_client_check>: bitflow's SqsNotifier against a
# real moto_server in auth mode (every signature checked) on 127.0.0.1: a delivery notice
# with awkward strings and a raw message are received by boto3 as sent (same MessageId,
# same JSON, MD5 of the body right); a missing queue and wrong credentials fail at once
# with SQS's code. Skips when moto (only in this machine image's pyenv Python) is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=moto_lib.sh
source "$HERE/moto_lib.sh"
init "$1" "$2"

use_moto "${3:-}"
queue() { timeout -k 2 60 "$MOTO_PYTHON" "$HERE/sqs_queue.py" "$@"; }

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
