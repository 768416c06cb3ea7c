"""Hostile clients against a running bitflowd: bitflowd_hostile.py PORT TOKEN CAP TIMEOUT.

Each check prints one line "ok: ..." or exits 1 with "FAIL: ...". CAP is the server's
--max-connections, TIMEOUT its --header-timeout in seconds. Only 127.0.0.1; every wait
has a deadline.
"""
import socket
import sys
import time

PORT, TOKEN, CAP, TIMEOUT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT + 10)
    return s


def exchange(raw, read_timeout=10.0):
    """Sends raw bytes, returns the whole answer (until the server closes or 1 s of quiet)."""
    s = connect()
    s.sendall(raw)
    s.settimeout(read_timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                s.settimeout(1.0)
    except socket.timeout:
        pass
    s.close()
    return data


def status_of(answer):
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def request(method, path, body=b"", headers=None, host="127.0.0.1"):
    lines = ["%s %s HTTP/1.1" % (method, path)]
    if host is not None:
        lines.append("Host: " + host)
    lines.append("Authorization: Bearer " + TOKEN)
    lines.append("Connection: close")
    lines.append("Content-Length: %d" % len(body))
    lines += headers or []
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def healthy():
    return status_of(exchange(request("GET", "/healthz"))) == 200


def closed_by_server(s, deadline):
    """Whether the server closes s (EOF or reset) before the deadline."""
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            if not s.recv(4096):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


# Bodies: deep JSON, invalid UTF-8, oversized; headers: too many bytes; no Host.
deep = b'{"url": ' + b"[" * 5000 + b"]" * 5000 + b"}"
answer = exchange(request("POST", "/downloads", deep))
if status_of(answer) != 400:
    fail("deep JSON got %r" % answer[:200])
print("ok: deep JSON is 400")
answer = exchange(request("POST", "/downloads", b'{"url": "http://h/\xff\xfe"}'))
if status_of(answer) != 400 or b"bad_request" not in answer:
    fail("invalid UTF-8 got %r" % answer[:300])
print("ok: invalid UTF-8 is 400")
flood = ["X-Flood-%d: %s" % (i, "a" * 200) for i in range(200)]
answer = exchange(request("GET", "/downloads", headers=flood))
if status_of(answer) != 431:
    fail("a 40 KB header got %r" % answer[:200])
print("ok: a header flood is 431")
answer = exchange(request("GET", "/healthz", host=None))
if status_of(answer) != 400:
    fail("no Host got %r" % answer[:200])
print("ok: no Host header is 400")
answer = exchange(b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")
if not healthy():
    fail("the server stopped answering after a non-HTTP client")
print("ok: a non-HTTP client is dropped, the server answers others")

# Slowloris: headers dribbled a line at a time are cut off at the header deadline, and
# others are answered meanwhile.
slow = connect()
slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
start = time.monotonic()
deadline = start + TIMEOUT + 5
dropped = False
answered_meanwhile = False
while time.monotonic() < deadline:
    try:
        slow.sendall(b"X-Slow: 1\r\n")
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
        break
    if not answered_meanwhile:
        answered_meanwhile = healthy()
    if closed_by_server(slow, time.monotonic() + 0.3):
        dropped = True
        break
if not dropped:
    fail("a slowloris client was still connected after %.1f s" % (time.monotonic() - start))
if not answered_meanwhile:
    fail("the server did not answer others while a slowloris client dribbled")
print("ok: a slowloris client is dropped after %.1f s; others were answered" % (time.monotonic() - start))

# Idle connections up to and past the cap: those past it get 503, then the idle ones are
# dropped at the header deadline and the server answers again.
idle = [connect() for _ in range(CAP)]
# The server may not have accepted all of them yet: until it has, a request is answered.
deadline = time.monotonic() + 5
while True:
    answer = exchange(request("GET", "/healthz"))
    if status_of(answer) == 503:
        break
    if status_of(answer) != 200 or time.monotonic() > deadline:
        fail("a connection past the cap of %d got %r" % (CAP, answer[:200]))
    time.sleep(0.05)  # poll interval of a deadline-bounded wait
print("ok: past %d open connections the server answers 503" % CAP)
deadline = time.monotonic() + TIMEOUT + 5
if not all(closed_by_server(s, deadline) for s in idle):
    fail("idle connections were not dropped within the header deadline")
for s in idle:
    s.close()
deadline = time.monotonic() + 5
while not healthy():
    if time.monotonic() > deadline:
        fail("the server did not answer once the idle connections were gone")
    time.sleep(0.1)  # poll interval of a deadline-bounded wait
print("ok: idle connections are dropped at the header deadline; the server answers again")
