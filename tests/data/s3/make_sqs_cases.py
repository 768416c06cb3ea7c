#!/usr/bin/env python3
"""Writes sqs_send_message_cases.json: SQS SendMessage requests (query protocol) signed by
botocore's SigV4Auth for the service "sqs", the reference for tests/unit/sqs_message_test.cpp.

Run with a Python that has botocore (the pyenv one here), from this folder's parent or
anywhere:
    python3 tests/data/s3/make_sqs_cases.py > tests/data/s3/sqs_send_message_cases.json
The form body is computed here independently of bitflow (urllib's urlencode, as botocore's
query serializer writes it) and checked to decode back to the message; the request is signed as
make_sigv4_cases.py signs its generic-service case, at the same fixed time.
"""
import json
import os
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sigv4_cases import TOKEN, case, write_fixture  # noqa: E402


def sqs_case(name, queue_url, message, region, token=None):
    # As botocore's query serializer writes a form (and moto re-encodes it to verify).
    form = urlencode([("Action", "SendMessage"), ("MessageBody", message),
                      ("Version", "2012-11-05")])
    assert parse_qs(form, keep_blank_values=True)["MessageBody"] == [message]
    url = urlsplit(queue_url)
    out = case(name, "POST", url.netloc, url.path,
               headers=[("Content-Type", "application/x-www-form-urlencoded")],
               body=form.encode(), token=token, region=region, service="sqs", generic=True)
    out.update({"queue_url": queue_url, "message": message, "form_body": form})
    return out


def main():
    notice = json.dumps({"bucket": "b", "key": "dir/a b.bin", "size": 5,
                         "sha256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
                         "source": "https://example.com/a?x=1&y=2", "download_id": "d-1"},
                        separators=(",", ":"))
    cases = [
        sqs_case("an AWS queue, the region from its host",
                 "https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries", notice,
                 "eu-west-1"),
        sqs_case("a local queue with a port and a session token",
                 "http://127.0.0.1:5000/123456789012/my-queue",
                 "line one\nline \"two\" & = + % é ✓ 😀", "us-east-1", token=TOKEN),
        sqs_case("a FIFO queue name with dots and underscores",
                 "https://sqs.us-east-1.amazonaws.com/000000000000/my_queue.v2.fifo", "~tilde*star",
                 "us-east-1"),
    ]
    write_fixture("tests/data/s3/make_sqs_cases.py", cases)

if __name__ == "__main__":
    main()
