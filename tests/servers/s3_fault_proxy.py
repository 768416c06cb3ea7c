"""s3_fault_proxy.py PORT-FILE UPSTREAM RULES...: an HTTP proxy on a free port of 127.0.0.1
(written to PORT-FILE once listening) that forwards every request to UPSTREAM (a moto_server
URL) unchanged, Host header included, so signatures still verify, except the requests a
rule picks, which get a fault instead of being forwarded.

A rule is METHOD:QUERY-PART:COUNT:FAULT. It matches a request of METHOD whose query string
contains QUERY-PART ("partNumber=2", "uploadId="), COUNT times. FAULT is
  slowdown   503 with an <Error><Code>SlowDown</Code> body
  error200   200 with an <Error><Code>InternalError</Code> body
  reset      the connection closed without an answer
Every fault served is logged to stderr as "fault METHOD TARGET FAULT"."""
import http.client
import http.server
import os
import socketserver
import sys
import threading
import urllib.parse

port_file, upstream = sys.argv[1], urllib.parse.urlsplit(sys.argv[2])
rules = []
for text in sys.argv[3:]:
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

    def pick_fault(self):
        query = urllib.parse.urlsplit(self.path).query
        with lock:
            for rule in rules:
                if rule["left"] > 0 and rule["method"] == self.command and rule["query"] in query:
                    rule["left"] -= 1
                    return rule["fault"]
        return None

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.pick_fault()
        if fault:
            print("fault", self.command, self.path, fault, file=sys.stderr, flush=True)
            if fault == "reset":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault == "slowdown":
                return self.answer(503, error_body("SlowDown"))
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
        self.answer(reply.status, data, keep)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Proxy)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
