"""Small network helpers for the tracker launchers (trackers.sh) and their self-test.

Run it with /usr/bin/python3; it needs the standard library only and talks to
127.0.0.1 only.

  probe.py free-port
      Prints a port number that is free on 127.0.0.1 for both TCP and UDP (the kernel
      picks it; the sockets are closed again, so the caller should bind it soon).
  probe.py tcp PORT
      Exit 0 when a TCP connection to 127.0.0.1:PORT succeeds within 1 s.
  probe.py udp-connect PORT
      Exit 0 when a BEP 15 connect request to 127.0.0.1:PORT gets a well-formed
      connect reply within 1 s.
  probe.py http-get URL
      Prints the body (raw bytes) of a GET; exit 0 on status 200, 1 otherwise.
  probe.py udp-announce PORT INFO_HASH_HEX PEER_ID PEER_PORT EVENT LEFT
      A complete BEP 15 connect + announce. Prints one JSON object:
      {"action": 1, "interval": N, "leechers": N, "seeders": N, "peers": ["ip:port"...]}
      or {"action": 3, "error": "..."}. EVENT is none|completed|started|stopped.
  probe.py udp-scrape PORT INFO_HASH_HEX
      Prints {"seeders": N, "completed": N, "leechers": N} or {"action": 3, ...}.
  probe.py udp-raw PORT HEX
      Sends one datagram and prints the first reply (hex), or "timeout".

Exit status: 0 on success, 1 when the other side does not answer as expected, 2 on bad
usage.
"""

import json
import os
import socket
import struct
import sys
import urllib.error
import urllib.request

HOST = "127.0.0.1"
PROTOCOL_ID = 0x41727101980
EVENTS = {"none": 0, "completed": 1, "started": 2, "stopped": 3}


def free_port():
    # A port the kernel hands out for TCP is usually free for UDP too; check it.
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind((HOST, port))
            except OSError:
                continue
            return port
        finally:
            tcp.close()
            udp.close()
    raise SystemExit("probe.py: no port is free for both TCP and UDP")


def tcp_ok(port):
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


class UdpTracker:
    def __init__(self, port, timeout=1.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))

    def exchange(self, packet, txid):
        """Sends the packet and returns the first reply carrying our transaction id."""
        self.sock.send(packet)
        while True:
            reply = self.sock.recv(65536)
            if len(reply) >= 8 and struct.unpack(">I", reply[4:8])[0] == txid:
                return reply

    def connect(self):
        txid = struct.unpack(">I", os.urandom(4))[0]
        reply = self.exchange(struct.pack(">QII", PROTOCOL_ID, 0, txid), txid)
        action, _ = struct.unpack(">II", reply[:8])
        if action == 3:
            raise ValueError("connect refused: " + reply[8:].decode("utf-8", "replace"))
        if action != 0 or len(reply) < 16:
            raise ValueError("bad connect reply (%d bytes): %s" % (len(reply), reply.hex()))
        return struct.unpack(">Q", reply[8:16])[0]


def error_object(reply):
    return {"action": 3, "error": reply[8:].decode("utf-8", "replace")}


def udp_announce(port, info_hash, peer_id, peer_port, event, left):
    tracker = UdpTracker(port)
    conn = tracker.connect()
    txid = struct.unpack(">I", os.urandom(4))[0]
    packet = struct.pack(">QII20s20sQQQIIIiH", conn, 1, txid, info_hash, peer_id,
                         0, left, 0, EVENTS[event], 0, 0, -1, peer_port)
    reply = tracker.exchange(packet, txid)
    action = struct.unpack(">I", reply[:4])[0]
    if action == 3:
        return error_object(reply)
    if action != 1 or len(reply) < 20 or (len(reply) - 20) % 6:
        raise ValueError("bad announce reply (%d bytes): %s" % (len(reply), reply[:64].hex()))
    interval, leechers, seeders = struct.unpack(">III", reply[8:20])
    peers = []
    for i in range(20, len(reply), 6):
        ip = socket.inet_ntoa(reply[i:i + 4])
        peers.append("%s:%d" % (ip, struct.unpack(">H", reply[i + 4:i + 6])[0]))
    return {"action": 1, "interval": interval, "leechers": leechers,
            "seeders": seeders, "peers": peers}


def udp_scrape(port, info_hash):
    tracker = UdpTracker(port)
    conn = tracker.connect()
    txid = struct.unpack(">I", os.urandom(4))[0]
    reply = tracker.exchange(struct.pack(">QII20s", conn, 2, txid, info_hash), txid)
    action = struct.unpack(">I", reply[:4])[0]
    if action == 3:
        return error_object(reply)
    if action != 2 or len(reply) != 20:
        raise ValueError("bad scrape reply (%d bytes): %s" % (len(reply), reply[:64].hex()))
    seeders, completed, leechers = struct.unpack(">III", reply[8:20])
    return {"seeders": seeders, "completed": completed, "leechers": leechers}


def peer_id_bytes(text):
    if len(text) == 40:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raw = text.encode("latin-1")
    if len(raw) != 20:
        raise SystemExit("probe.py: a peer id is 20 characters or 40 hex digits")
    return raw


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "free-port" and not args:
            print(free_port())
            return 0
        if cmd == "tcp" and len(args) == 1:
            return 0 if tcp_ok(int(args[0])) else 1
        if cmd == "udp-connect" and len(args) == 1:
            UdpTracker(int(args[0])).connect()
            return 0
        if cmd == "http-get" and len(args) == 1:
            try:
                with urllib.request.urlopen(args[0], timeout=5) as response:
                    sys.stdout.buffer.write(response.read())
                    return 0
            except urllib.error.HTTPError as e:
                sys.stdout.buffer.write(e.read())
                return 1
        if cmd == "udp-announce" and len(args) == 6:
            result = udp_announce(int(args[0]), bytes.fromhex(args[1]),
                                  peer_id_bytes(args[2]), int(args[3]), args[4],
                                  int(args[5]))
            print(json.dumps(result))
            return 0
        if cmd == "udp-scrape" and len(args) == 2:
            print(json.dumps(udp_scrape(int(args[0]), bytes.fromhex(args[1]))))
            return 0
        if cmd == "udp-raw" and len(args) == 2:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(1)
            sock.sendto(bytes.fromhex(args[1]), (HOST, int(args[0])))
            try:
                print(sock.recv(65536).hex())
            except socket.timeout:
                print("timeout")
            return 0
    except (OSError, ValueError) as e:
        print("probe.py: %s: %s" % (cmd, e), file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
