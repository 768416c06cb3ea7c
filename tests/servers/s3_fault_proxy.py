"""s3_fault_proxy.py PORT-FILE UPSTREAM [--rate=BYTES] [--upload-rate=BYTES] [--clock-ahead=SECONDS] RULES...: an HTTP proxy on a free port of 127.0.0.1
(written to PORT-FILE once listening) that forwards every request to UPSTREAM (a moto_server
URL) unchanged, Host header included, so signatures still verify, except the requests a
rule picks, which get a fault instead of being forwarded.

A rule is METHOD:QUERY-PART:COUNT:FAULT. It matches a request of METHOD whose query string
contains QUERY-PART ("partNumber=2", "uploadId="), COUNT times. FAULT is
  slowdown   503 with an <Error><Code>SlowDown</Code> body
  error200   200 with an <Error><Code>InternalError</Code> body
  error500   500 with an <Error><Code>InternalError</Code> body
  reset      the connection closed without an answer
Every fault served is logged to stderr as "fault METHOD TARGET FAULT", every answer
forwarded as "sent METHOD TARGET STATUS BYTES" (the body bytes written before the client
went away, when it did). --rate=BYTES writes each forwarded body at about BYTES per
second (each connection on its own), so that a client can be stopped halfway;
--upload-rate=BYTES reads each request body that slowly, so that uploads are the slow side.
--clock-ahead=SECONDS runs the proxy's clock that far ahead of the machine's, as a server
whose clock differs from the client's: its Date headers say so, and like S3 it refuses a
request whose X-Amz-Date is more than 15 minutes off with 403 RequestTimeTooSkewed
(logged as the fault "skewed")."""
import calendar
import email.utils
import http.client
import http.server
import os
import socketserver
import sys
import threading
import time
import urllib.parse

port_file, upstream = sys.argv[1], urllib.parse.urlsplit(sys.argv[2])
rate = None
upload_rate = None
clock_ahead = 0
rules = []
for text in sys.argv[3:]:
    if text.startswith("--rate="):
        rate = int(text[len("--rate="):])
        continue
    if text.startswith("--clock-ahead="):
        clock_ahead = int(text[len("--clock-ahead="):])
        continue
    if text.startswith("--upload-rate="):
        upload_rate = int(text[len("--upload-rate="):])
        continue
    method, query_part, count, fault = text.split(":")
    rules.append({"method": method, "query": query_part, "left": int(count), "fault": fault})
lock = threading.Lock()


def error_body(code):
    return ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            "<Message>injected by the test</Message></Error>" % code).encode()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() + clock_ahead, usegmt=True)

    def skewed(self):
        """Whether the request was signed more than 15 minutes off this proxy's clock."""
        stamp = self.headers.get("X-Amz-Date")
        if not clock_ahead or not stamp:
            return False
        signed = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        return abs(signed - (time.time() + clock_ahead)) > 15 * 60

    def pick_fault(self):
        query = urllib.parse.urlsplit(self.path).query
        with lock:
            for rule in rules:
                if rule["left"] > 0 and rule["method"] == self.command and rule["query"] in query:
                    rule["left"] -= 1
                    return rule["fault"]
        return None

    def answer(self, status, body, headers=(), throttled=False, length=None):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command == "HEAD":
            return 0
        chunk, sent, start = 64 * 1024, 0, time.monotonic()
        while sent < len(body):
            if throttled and rate:  # at most `rate` bytes a second since the answer began
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            try:
                self.wfile.write(body[sent:sent + chunk])
                self.wfile.flush()
            except OSError:  # the client went away (killed, or done with its segment)
                self.close_connection = True
                break
            sent += min(chunk, len(body) - sent)
        return sent

    def read_body(self, length):
        if not upload_rate:
            return self.rfile.read(length) if length else b""
        parts, got, start = [], 0, time.monotonic()
        while got < length:  # at most `upload_rate` bytes a second since the body began
            ahead = got / upload_rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
            part = self.rfile.read(min(64 * 1024, length - got))
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def handle_any(self):
        body = self.read_body(int(self.headers.get("Content-Length") or 0))
        fault = "skewed" if self.skewed() else self.pick_fault()
        if fault:
            print("fault", self.command, self.path, fault, file=sys.stderr, flush=True)
            if fault == "reset":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault == "slowdown":
                return self.answer(503, error_body("SlowDown"))
            if fault == "skewed":
                return self.answer(403, error_body("RequestTimeTooSkewed"))
            if fault == "error500":
                return self.answer(500, error_body("InternalError"))
            return self.answer(200, error_body("InternalError"))
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        reply = conn.getresponse()
        data = reply.read()
        keep = [(n, v) for n, v in reply.getheaders()
                if n.lower() not in ("content-length", "transfer-encoding", "connection")]
        # A HEAD answer's Content-Length is the object's, not that of its (empty) body.
        length = reply.getheader("Content-Length") if self.command == "HEAD" else None
        sent = self.answer(reply.status, data, keep, throttled=True, length=length)
        conn.close()
        print("sent", self.command, self.path, reply.status, sent, file=sys.stderr, flush=True)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that resets its connection between requests is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", 0), Proxy)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
