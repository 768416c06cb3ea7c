"""Helpers for the seeder launchers (seeders.sh), their self-test and the download tests.

Run it with /usr/bin/python3 (Debian's python3-libtorrent is importable only there). It
talks to 127.0.0.1 only.

  seedtool.py make-data DIR SIZE_MB [single|multi]
      Deterministic pseudo-random test data (the same bytes on every run and machine):
        single: DIR/single-<SIZE_MB>MB.bin, SIZE_MB MiB + 12345 bytes (so the last piece
                is short)
        multi:  DIR/multi-<SIZE_MB>MB/ with about SIZE_MB MiB in nested folders: big files
                whose sizes are not multiples of any piece size (so pieces straddle file
                boundaries), a zero-length file, a 17-byte file that lies inside one piece,
                a name with a space and a UTF-8 name.
      Prints the path it made. An existing file or folder of that name is replaced.
  seedtool.py make-torrent DATA OUT [PIECE_SIZE]
      A v1-only .torrent of DATA (a file or a folder) made by libtorrent, with no
      trackers. PIECE_SIZE defaults to 262144; 0 lets libtorrent choose.
  seedtool.py add-tracker IN OUT URL
      A copy of the torrent IN with URL as its tracker ("announce"); the info dictionary,
      hence the info-hash, is unchanged, so a seeder of IN serves OUT too.
  seedtool.py files TORRENT
      One line per file, in the torrent's order (pad files left out, none in v1-only
      torrents made above): "INDEX<TAB>SIZE<TAB>PATH", INDEX counted from 1, PATH
      relative to the save folder (it starts with the torrent's name for a multi-file one).
  seedtool.py info TORRENT
      "PIECE_LENGTH NUM_PIECES TOTAL_SIZE INFO_HASH_HEX NAME"
  seedtool.py aria2-seeding RPC_PORT [SECRET]
      Exit 0 when the aria2 behind that JSON-RPC port (started with --rpc-secret=SECRET)
      has a BitTorrent download that is complete, verified and seeding; 1 otherwise (or
      when it does not answer within 1 s).
  seedtool.py static-tracker PORT_FILE LIFETIME_S PEER...
      An HTTP tracker on a free 127.0.0.1 port that answers every announce with the given
      peers (HOST:PORT, IPv4), compact, interval 30 s. Writes its port to PORT_FILE
      (atomically) when it listens; exits after LIFETIME_S seconds. For clients that take
      peers only from trackers (aria2c has no option to dial a peer).

Exit status: 0 on success, 1 on failure, 2 on bad usage.
"""

import hashlib
import http.server
import json
import os
import random
import shutil
import socket
import struct
import sys
import threading
import urllib.request

HOST = "127.0.0.1"
MIB = 1 << 20
CHUNK = 4 * MIB


def _write_random(path, size, label):
    """Writes `size` pseudo-random bytes seeded by `label` (the same bytes every time)."""
    seed = int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            f.write(rng.randbytes(n))
            left -= n


def multi_layout(size_mb):
    """(relative path, size) of the multi-file set, about size_mb MiB in all."""
    total = max(size_mb, 1) * MIB
    fixed = [
        ("a.bin", total * 30 // 100 + 1),
        ("empty.txt", 0),
        ("small.txt", 17),
        ("sub/b.bin", total * 25 // 100 + 98765),
        ("sub/deeper/c d.bin", total * 20 // 100 + 3),
        ("sub/deeper/\u00c4rger \u03b2.bin", 300001),
    ]
    used = sum(size for _, size in fixed)
    fixed.append(("z/last.bin", max(total - used, 0) + 4321))
    return fixed


def make_data(directory, size_mb, kind):
    os.makedirs(directory, exist_ok=True)
    if kind == "single":
        path = os.path.join(directory, f"single-{size_mb}MB.bin")
        if os.path.isdir(path):
            shutil.rmtree(path)
        _write_random(path, size_mb * MIB + 12345, f"bitflow single {size_mb}")
    elif kind == "multi":
        path = os.path.join(directory, f"multi-{size_mb}MB")
        if os.path.lexists(path):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        for rel, size in multi_layout(size_mb):
            _write_random(os.path.join(path, rel), size, f"bitflow multi {size_mb} {rel}")
    else:
        raise SystemExit(f"seedtool.py: unknown kind '{kind}' (single or multi)")
    print(path)
    return 0


def _lt():
    try:
        import libtorrent
    except ImportError:
        raise SystemExit("seedtool.py: cannot import libtorrent (run it with /usr/bin/python3 "
                         "and install python3-libtorrent)")
    return libtorrent


def make_torrent(data, out, piece_size):
    lt = _lt()
    data = os.path.abspath(data)
    fs = lt.file_storage()
    lt.add_files(fs, data)
    if fs.num_files() == 0:
        raise SystemExit(f"seedtool.py: no files in {data}")
    # v1_only: no v2 merkle trees and no pad files (libtorrent makes hybrids by default).
    ct = lt.create_torrent(fs, piece_size, flags=lt.create_torrent.v1_only)
    ct.set_creator("bitflow tests (python3-libtorrent)")
    lt.set_piece_hashes(ct, os.path.dirname(data))
    blob = lt.bencode(ct.generate())
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, out)
    return 0


def add_tracker(src, dst, url):
    lt = _lt()
    with open(src, "rb") as f:
        meta = lt.bdecode(f.read())
    meta[b"announce"] = url.encode()
    meta.pop(b"announce-list", None)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(lt.bencode(meta))
    os.replace(tmp, dst)
    return 0


def torrent_files(path):
    lt = _lt()
    ti = lt.torrent_info(path)
    fs = ti.files()
    index = 0
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        index += 1
        print(f"{index}\t{fs.file_size(i)}\t{fs.file_path(i)}")
    return 0


def torrent_summary(path):
    lt = _lt()
    ti = lt.torrent_info(path)
    print(ti.piece_length(), ti.num_pieces(), ti.total_size(), str(ti.info_hashes().v1),
          ti.name())
    return 0


def aria2_seeding(port, secret):
    params = [["gid", "status", "seeder", "completedLength", "totalLength"]]
    if secret:
        params.insert(0, f"token:{secret}")
    body = json.dumps({"jsonrpc": "2.0", "id": "seedtool", "method": "aria2.tellActive",
                       "params": params}).encode()
    req = urllib.request.Request(f"http://{HOST}:{port}/jsonrpc", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=1) as resp:
            active = json.loads(resp.read())["result"]
    except (OSError, ValueError, KeyError):
        return 1
    for d in active:
        total = int(d.get("totalLength", "0"))
        if (d.get("seeder") == "true" and total > 0
                and int(d.get("completedLength", "0")) == total):
            return 0
    return 1


def _bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, str):
        return _bencode(value.encode())
    if isinstance(value, dict):
        return b"d" + b"".join(_bencode(k) + _bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(type(value))


def static_tracker(port_file, lifetime, peers):
    compact = b""
    for peer in peers:
        host, _, port = peer.rpartition(":")
        compact += socket.inet_aton(host) + struct.pack(">H", int(port))
    reply = _bencode({"interval": 30, "min interval": 5, "complete": len(peers),
                      "incomplete": 0, "peers": compact})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = reply if self.path.startswith("/announce") else _bencode(
                {"failure reason": "static tracker: announce only"})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("static-tracker: " + (fmt % args) + "\n")

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(tmp, port_file)
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()
    return 0


def main(argv):
    usage = ("usage: seedtool.py make-data DIR SIZE_MB [single|multi] | make-torrent DATA OUT "
             "[PIECE_SIZE] | add-tracker IN OUT URL | files TORRENT | info TORRENT | aria2-seeding RPC_PORT [SECRET] | "
             "static-tracker PORT_FILE LIFETIME_S PEER...")
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "make-data" and len(args) in (2, 3):
            return make_data(args[0], int(args[1]), args[2] if len(args) == 3 else "single")
        if cmd == "make-torrent" and len(args) in (2, 3):
            return make_torrent(args[0], args[1], int(args[2]) if len(args) == 3 else 262144)
        if cmd == "add-tracker" and len(args) == 3:
            return add_tracker(*args)
        if cmd == "files" and len(args) == 1:
            return torrent_files(args[0])
        if cmd == "info" and len(args) == 1:
            return torrent_summary(args[0])
        if cmd == "aria2-seeding" and len(args) in (1, 2):
            return aria2_seeding(int(args[0]), args[1] if len(args) == 2 else "")
        if cmd == "static-tracker" and len(args) >= 3:
            return static_tracker(args[0], float(args[1]), args[2:])
    except ValueError as e:
        print(f"seedtool.py: {e}", file=sys.stderr)
        return 2
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
