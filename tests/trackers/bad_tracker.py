"""A misbehaving BitTorrent tracker for tests: every mode is one failure class a client
must report cleanly (no crash, no hang, one clear error).

Run it with /usr/bin/python3; standard library only. It listens on 127.0.0.1 only:
HTTP on a free TCP port and BEP 15 UDP on a free UDP port (the kernel picks both).

  bad_tracker.py MODE PORTS_FILE [LIFETIME_SECONDS]

When both sockets are ready it writes "HTTP_PORT UDP_PORT" (one line) to PORTS_FILE
(atomically: the file appears complete or not at all). It logs every request to stderr
and exits by itself after LIFETIME_SECONDS (default and maximum 120).

HTTP modes (announce and scrape alike):
  ok            a correct answer: peer 127.0.0.2:6881, interval 900; scrape 1/2/3
  garbage       200 with a body that is not bencode
  truncated     200 with a valid answer cut in the middle
  huge          200 with Content-Length 64 MiB, streamed (a valid prefix, then zeros);
                logs how much was sent before the client hung up
  slow          accepts the connection and never answers (until the lifetime ends)
  slow_body     sends the headers and half of the body, then stalls
  failure       d14:failure reason...e ("bad_tracker says no")
  redirect_loop 302 to the very same URL, forever
  bad_peers     compact peers of 7 bytes
  status_500    500 Internal Server Error
  wrong_type    "peers" is an integer
  empty         200 with an empty body
UDP modes:
  ok            a correct BEP 15 tracker: connect, announce (peer 127.0.0.2:6881,
                interval 900, 3 leechers, 1 seeder), scrape (1 seeder, 2 completed,
                3 leechers); unknown connection ids get an error
  garbage       answers every datagram with 20 bytes that are not BEP 15
  truncated     answers connect with 12 bytes (connection id cut short)
  wrong_txid    answers everything correctly but with the wrong transaction id
  error         answers everything with action 3 "bad_tracker says no"
  silent        never answers
  huge          answers connect correctly, then announce with a 65001-byte datagram
                whose peer list is not a multiple of 6 bytes

A mode that exists only for one protocol (say, "slow" or "wrong_txid") leaves the other
protocol in mode "ok".
"""

import http.server
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
MAX_LIFETIME = 120
HTTP_MODES = {"ok", "garbage", "truncated", "huge", "slow", "slow_body", "failure",
              "redirect_loop", "bad_peers", "status_500", "wrong_type", "empty"}
UDP_MODES = {"ok", "garbage", "truncated", "wrong_txid", "error", "silent", "huge"}
FAILURE_REASON = b"bad_tracker says no"
OK_PEER = socket.inet_aton("127.0.0.2") + struct.pack(">H", 6881)
HUGE_SIZE = 64 * 1024 * 1024
PROTOCOL_ID = 0x41727101980

MODE = "ok"
STOP = threading.Event()


def log(message):
    sys.stderr.write("bad_tracker[%s]: %s\n" % (MODE, message))
    sys.stderr.flush()


# --- bencoding (just enough for the answers) ---------------------------------------------

def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, dict):
        out = b"d"
        for key in sorted(value, key=lambda k: k if isinstance(k, bytes) else k.encode()):
            out += bencode(key) + bencode(value[key])
        return out + b"e"
    raise TypeError(value)


def ok_announce():
    return bencode({"interval": 900, "min interval": 60, "complete": 1, "incomplete": 3,
                    "peers": OK_PEER})


def ok_scrape(hashes):
    files = {h: {"complete": 1, "downloaded": 2, "incomplete": 3} for h in hashes}
    return bencode({"files": files})


# --- HTTP -------------------------------------------------------------------------------

def info_hashes(query):
    # The info-hash is raw bytes, percent-encoded: decode it as latin-1 to keep them.
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    return [v.encode("latin-1") for k, v in pairs if k == "info_hash"]


class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bad_tracker"
    sys_version = ""

    def log_message(self, fmt, *args):  # noqa: N802 (BaseHTTPRequestHandler's name)
        log("HTTP " + (fmt % args))

    def send_body(self, body, status=200, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        path, _, query = self.path.partition("?")
        log("HTTP request %s %s (%d info_hash)" % (self.command, path,
                                                   len(info_hashes(query))))
        scrape = path.rsplit("/", 1)[-1].startswith("scrape")
        good = ok_scrape(info_hashes(query)) if scrape else ok_announce()
        mode = MODE if MODE in HTTP_MODES else "ok"
        if mode == "ok":
            self.send_body(good)
        elif mode == "garbage":
            self.send_body(b"<html><body>this is not bencode</body></html>", 200,
                           "text/html")
        elif mode == "truncated":
            self.send_body(good[:len(good) // 2])
        elif mode == "huge":
            self.send_huge()
        elif mode == "slow":
            log("HTTP slow: not answering")
            STOP.wait()
            self.close_connection = True
        elif mode == "slow_body":
            self.send_response(200)
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good[:len(good) // 2])
            self.wfile.flush()
            log("HTTP slow_body: stalling after %d of %d bytes" % (len(good) // 2,
                                                                   len(good)))
            STOP.wait()
            self.close_connection = True
        elif mode == "failure":
            self.send_body(bencode({"failure reason": FAILURE_REASON}))
        elif mode == "redirect_loop":
            self.send_response(302)
            self.send_header("Location", "http://%s:%d%s" % (HOST, self.server.server_port,
                                                            self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "bad_peers":
            self.send_body(bencode({"interval": 900, "peers": OK_PEER + b"\x00"}))
        elif mode == "status_500":
            self.send_body(b"internal error (bad_tracker)", 500)
        elif mode == "wrong_type":
            self.send_body(bencode({"interval": 900, "peers": 42}))
        elif mode == "empty":
            self.send_body(b"")

    def send_huge(self):
        prefix = b"d8:intervali900e5:peers%d:" % HUGE_SIZE
        self.send_response(200)
        self.send_header("Content-Length", str(len(prefix) + HUGE_SIZE + 1))
        self.end_headers()
        sent = 0
        chunk = OK_PEER * 10922  # 65532 bytes of valid-looking peers
        try:
            self.wfile.write(prefix)
            while sent < HUGE_SIZE and not STOP.is_set():
                piece = chunk[:HUGE_SIZE - sent]
                self.wfile.write(piece)
                sent += len(piece)
            self.wfile.write(b"e")
            log("HTTP huge: the client read all %d bytes" % sent)
        except OSError as e:
            log("HTTP huge: the client hung up after %d bytes (%s)" % (sent,
                                                                       e.__class__.__name__))
        self.close_connection = True


class HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --- UDP (BEP 15) -------------------------------------------------------------------------

def udp_reply(packet, connection_ids):
    """The reply to one datagram, or None to stay silent."""
    mode = MODE if MODE in UDP_MODES else "ok"
    if len(packet) < 16:
        log("UDP datagram of %d bytes ignored" % len(packet))
        return None
    conn, action, txid = struct.unpack(">QII", packet[:16])
    log("UDP request action %d, %d bytes" % (action, len(packet)))
    if mode == "silent":
        return None
    if mode == "garbage":
        return b"this is not BEP 15!!"
    if mode == "error":
        return struct.pack(">II", 3, txid) + FAILURE_REASON
    reply_txid = txid ^ 0x5A5A5A5A if mode == "wrong_txid" else txid
    if action == 0:
        if conn != PROTOCOL_ID:
            return struct.pack(">II", 3, reply_txid) + b"bad protocol id"
        new_id = random.getrandbits(64)
        connection_ids.add(new_id)
        reply = struct.pack(">IIQ", 0, reply_txid, new_id)
        return reply[:12] if mode == "truncated" else reply
    if conn not in connection_ids:
        return struct.pack(">II", 3, reply_txid) + b"unknown connection id"
    if action == 1:
        if len(packet) < 98:
            return struct.pack(">II", 3, reply_txid) + b"announce too short"
        header = struct.pack(">IIIII", 1, reply_txid, 900, 3, 1)
        if mode == "huge":
            return header + (OK_PEER * 10830) + b"\x7f"  # 20 + 64980 + 1 = 65001 bytes
        return header + OK_PEER
    if action == 2:
        count = (len(packet) - 16) // 20
        return struct.pack(">II", 2, reply_txid) + struct.pack(">III", 1, 2, 3) * count
    return struct.pack(">II", 3, reply_txid) + b"unknown action"


def serve_udp(sock):
    connection_ids = set()
    while not STOP.is_set():
        try:
            packet, address = sock.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        reply = udp_reply(packet, connection_ids)
        if reply is not None:
            try:
                sock.sendto(reply, address)
            except OSError as e:
                log("UDP send failed: %s" % e)


# --- main ---------------------------------------------------------------------------------

def main(argv):
    global MODE
    if len(argv) not in (2, 3) or argv[0] not in HTTP_MODES | UDP_MODES:
        sys.stderr.write(__doc__)
        return 2
    MODE, ports_file = argv[0], argv[1]
    lifetime = min(float(argv[2]) if len(argv) == 3 else MAX_LIFETIME, MAX_LIFETIME)

    http_server = HttpServer((HOST, 0), HttpHandler)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((HOST, 0))
    udp.settimeout(0.5)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()

    http_port, udp_port = http_server.server_port, udp.getsockname()[1]
    tmp = "%s.tmp%d" % (ports_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (http_port, udp_port))
    os.replace(tmp, ports_file)
    log("listening: http://%s:%d/announce udp://%s:%d/announce (exits after %g s)"
        % (HOST, http_port, HOST, udp_port, lifetime))

    try:
        time.sleep(lifetime)
    except KeyboardInterrupt:
        pass
    STOP.set()
    log("lifetime over, exiting")
    # Handler threads may be blocked in a send: do not wait for them.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
