#!/usr/bin/env bash
# aws_cli.sh ARGS...: the AWS CLI the tests and benches read and write S3 (and SQS) with,
# always pointed at $AWS_ENDPOINT_URL (moto, s3rver, a local sink), never at AWS.
#
# Debian's awscli (/usr/bin/aws, installed by scripts/setup.sh) is the reference client;
# where it is absent, the one next to moto in this machine image's pyenv Python.
# AWS_CLI_PROGRAM overrides the choice. Debian's aws-cli 2.9 ignores AWS_ENDPOINT_URL
# (the CLI reads it from 2.13 on) and would sign for s3.REGION.amazonaws.com, so the
# endpoint is passed as --endpoint-url, and nothing runs without one.
#
#   aws_cli.sh --program   prints the program it would run (exit 1 when there is none)
set -euo pipefail

program=${AWS_CLI_PROGRAM:-}
if [[ -z $program ]]; then
  for candidate in /usr/bin/aws /root/.pyenv/versions/3.11.7/bin/aws; do
    if [[ -x $candidate ]]; then
      program=$candidate
      break
    fi
  done
fi
if [[ ${1:-} == --program ]]; then
  [[ -n $program ]] || exit 1
  echo "$program"
  exit 0
fi
[[ -n $program ]] || { echo "aws_cli.sh: no AWS CLI (apt-get install awscli)" >&2; exit 127; }
[[ -n ${AWS_ENDPOINT_URL:-} ]] || { echo "aws_cli.sh: AWS_ENDPOINT_URL is not set: refusing to talk to AWS" >&2; exit 2; }
# aws-cli 2 pages long output through `less` unless told not to.
export AWS_PAGER=
exec "$program" --endpoint-url "$AWS_ENDPOINT_URL" "$@"
