"""sqs_queue.py: boto3's side of sqs_notify.sh, with the keys and endpoint in the
environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION).

    sqs_queue.py create NAME                      prints the queue URL
    sqs_queue.py expect-body QUEUE_URL MESSAGE_ID FILE
        receives one message: its id, its body (FILE's bytes) and MD5OfBody must match
    sqs_queue.py expect-notice QUEUE_URL MESSAGE_ID BUCKET KEY SIZE SHA256 SOURCE DOWNLOAD_ID
        receives one message: its id, and its JSON object equal to the fields given
Exits 1 with the reason on a mismatch, or when no message came within 20 s."""
import hashlib
import json
import os
import sys
import time

import boto3

sqs = boto3.client("sqs", region_name=os.environ["AWS_REGION"],
                   endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def receive_one(queue_url):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=2)
        if got.get("Messages"):
            message = got["Messages"][0]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            return message
    sys.exit("no message arrived within 20 s")


def check(message, message_id):
    if message["MessageId"] != message_id:
        sys.exit(f"received message {message['MessageId']}, bitflow sent {message_id}")
    md5 = hashlib.md5(message["Body"].encode()).hexdigest()
    if message["MD5OfBody"] != md5:
        sys.exit(f"MD5OfBody {message['MD5OfBody']} is not the body's {md5}")


def main(cmd, *args):
    if cmd == "create":
        print(sqs.create_queue(QueueName=args[0])["QueueUrl"])
    elif cmd == "expect-body":
        queue_url, message_id, path = args
        message = receive_one(queue_url)
        check(message, message_id)
        with open(path, encoding="utf-8") as f:
            expected = f.read()
        if message["Body"] != expected:
            sys.exit(f"received body {message['Body']!r}, expected {expected!r}")
    elif cmd == "expect-notice":
        queue_url, message_id, bucket, key, size, sha256, source, download_id = args
        message = receive_one(queue_url)
        check(message, message_id)
        expected = {"bucket": bucket, "key": key, "size": int(size), "sha256": sha256,
                    "source": source, "download_id": download_id}
        notice = json.loads(message["Body"])
        if notice != expected:
            sys.exit(f"received notice {notice!r}, expected {expected!r}")
        if list(notice) != list(expected):
            sys.exit(f"the notice's keys are in the order {list(notice)}")
    else:
        sys.exit(f"unknown command {cmd}")


main(*sys.argv[1:])
