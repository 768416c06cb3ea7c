#!/usr/bin/python3
"""A misbehaving HTTP/1.1 server for the URL fetcher's hostile tests, on 127.0.0.1.

    bad_http.py PORT-FILE DATA-FILE

Listens on a free port of 127.0.0.1 (written to PORT-FILE once listening) and serves
DATA-FILE's bytes, misbehaving as the path says:

  /good              correct: HEAD, Range (206 with Content-Range), ETag "v1"
  /short             announces the whole length, sends half, closes
  /long              HEAD announces the length; GET sends 1000 bytes more
  /norange           advertises Accept-Ranges but ignores Range (200, whole body)
  /wrongrange        206 with a Content-Range that is not the one asked for
  /etagflip          a different ETag on every request (If-Range never matches: 200)
  /flaky             503 for the first 2 requests (with Retry-After: 1), then like /good
  /loop              302 to itself, forever
  /evil-name         Content-Disposition: attachment; filename="../../evil.txt"
  /abs-name          Content-Disposition: attachment; filename="/etc/evil"
  /ctl-name          Content-Disposition: attachment; filename*=UTF-8''a%0Ab%00c.txt
  /long-name         Content-Disposition with a 404-byte file name
  /silence           headers of a 200, then nothing, for a minute
  /count             how many requests each path got, as "path count" lines

Every connection is served by a thread of its own; a request loop per connection is
bounded (100 requests) and the whole server exits after 10 minutes.
"""
import http.server
import os
import re
import socketserver
import sys
import threading
import time

DATA = b""
COUNTS = {}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def count(self, path):
        with LOCK:
            COUNTS[path] = COUNTS.get(path, 0) + 1
            return COUNTS[path]

    def send(self, status, headers, body=b"", head=False):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def ranged(self, etag='"v1"', head=False, extra=()):
        headers = [("Accept-Ranges", "bytes"), ("ETag", etag)] + list(extra)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if_range = self.headers.get("If-Range")
        if m and (if_range is None or if_range == etag):
            first = int(m.group(1))
            last = int(m.group(2)) if m.group(2) else len(DATA) - 1
            last = min(last, len(DATA) - 1)
            body = DATA[first:last + 1]
            self.send(206, headers + [("Content-Range", f"bytes {first}-{last}/{len(DATA)}")],
                      body, head)
        else:
            self.send(200, headers, DATA, head)

    def handle_any(self, head):
        path = self.path.split("?")[0]
        n = self.count(path)
        if path == "/good":
            self.ranged(head=head)
        elif path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            if not head:
                self.wfile.write(DATA[: len(DATA) // 2])
                self.wfile.flush()
            self.close_connection = True
        elif path == "/long":
            # HEAD announces the file's length; GET sends 1000 bytes more (framed
            # correctly, so only a client that compares the two notices).
            body = DATA if head else DATA + b"x" * 1000
            self.send(200, [], body, head)
        elif path == "/norange":
            self.send(200, [("Accept-Ranges", "bytes"), ("ETag", '"v1"')], DATA, head)
        elif path == "/wrongrange":
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if m and not head:
                first = int(m.group(1)) + 1  # off by one: not what was asked for
                body = DATA[first:]
                self.send(206, [("Accept-Ranges", "bytes"),
                                ("Content-Range", f"bytes {first}-{len(DATA) - 1}/{len(DATA)}")],
                          body)
            else:
                self.send(200, [("Accept-Ranges", "bytes")], DATA, head)
        elif path == "/etagflip":
            self.ranged(etag=f'"v{n}"', head=head)
        elif path == "/flaky":
            if n <= 2:
                self.send(503, [("Retry-After", "1")], b"busy", head)
            else:
                self.ranged(head=head)
        elif path == "/loop":
            self.send(302, [("Location", "/loop")], b"", head)
        elif path in ("/evil-name", "/abs-name", "/ctl-name", "/long-name"):
            name = {"/evil-name": 'attachment; filename="../../evil.txt"',
                    "/abs-name": 'attachment; filename="/etc/evil"',
                    "/long-name": 'attachment; filename="' + "n" * 400 + '.bin"',
                    "/ctl-name": "attachment; filename*=UTF-8''a%0Ab%00c.txt"}[path]
            self.ranged(head=head, extra=[("Content-Disposition", name)])
        elif path == "/silence":
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(60)
            self.close_connection = True
        elif path == "/count":
            with LOCK:
                body = "".join(f"{p} {c}\n" for p, c in sorted(COUNTS.items())).encode()
            self.send(200, [("Content-Type", "text/plain")], body, head)
        else:
            self.send(404, [], b"not here", head)

    def do_GET(self):
        self.handle_any(False)

    def do_HEAD(self):
        self.handle_any(True)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global DATA
    port_file, data_file = sys.argv[1], sys.argv[2]
    DATA = open(data_file, "rb").read()
    server = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    threading.Timer(600, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
