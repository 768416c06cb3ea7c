"""A webhook receiver for the integration tests: checks each bitflow delivery itself.

  /usr/bin/python3 webhook_receiver.py PORT SECRET LOG

Listens on 127.0.0.1:PORT (http.server, one thread per request). For every POST it
recomputes HMAC-SHA256(SECRET, body) with Python's hmac and compares it (in constant time)
with X-Bitflow-Signature, checks Content-Type, the bitflow User-Agent, and that the body is
JSON whose "event" is the X-Bitflow-Event header. It appends one JSON line to LOG:

  {"event": ..., "delivery": ..., "download": <download id>, "state": ..., "ok": true|false,
   "problems": [...]}

and answers 200 when everything held, 400 otherwise (so bitflow would retry a bad one, and
the test sees it in the log). Standard library only; stop it by its PID.
"""

import hashlib
import hmac
import http.server
import json
import sys
import threading

PORT = int(sys.argv[1])
SECRET = sys.argv[2].encode()
LOG = sys.argv[3]
_log_lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        problems = []
        want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Bitflow-Signature", "")
        if not hmac.compare_digest(want, got):
            problems.append(f"signature {got!r}, expected {want!r}")
        if self.headers.get("Content-Type") != "application/json":
            problems.append(f"Content-Type {self.headers.get('Content-Type')!r}")
        if not self.headers.get("User-Agent", "").startswith("bitflow/"):
            problems.append(f"User-Agent {self.headers.get('User-Agent')!r}")
        event = self.headers.get("X-Bitflow-Event", "")
        delivery = self.headers.get("X-Bitflow-Delivery", "")
        if not delivery:
            problems.append("no X-Bitflow-Delivery")
        download, state = None, None
        try:
            doc = json.loads(body)
            if doc.get("event") != event:
                problems.append(f"body event {doc.get('event')!r} != header {event!r}")
            download = doc.get("download", {}).get("id")
            state = doc.get("download", {}).get("state")
        except (ValueError, AttributeError) as e:
            problems.append(f"body is not a JSON object: {e}")
        line = {"event": event, "delivery": delivery, "download": download, "state": state,
                "ok": not problems, "problems": problems}
        with _log_lock, open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        answer = b"ok\n" if not problems else ("\n".join(problems) + "\n").encode()
        self.send_response(200 if not problems else 400)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, fmt, *args):
        pass  # the LOG file is the record


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    server.serve_forever()
