#!/usr/bin/env python3
"""rtorrent_rpc.py PORT METHOD [ARG...]: one XML-RPC call to rTorrent's SCGI port on
127.0.0.1, written without bitflow (Python's own xmlrpc.client marshalling), for the
integration tests to add torrents and to ask rTorrent what it thinks. Prints the result
(repr); exits 1 with the fault or the socket error on stderr. Arguments that are decimal
numbers are sent as integers, everything else as strings."""
import socket
import sys
import xmlrpc.client


def call(port, method, args):
    body = xmlrpc.client.dumps(tuple(args), method).encode()
    headers = b"CONTENT_LENGTH\0%d\0SCGI\x001\0REQUEST_METHOD\0POST\0REQUEST_URI\0/RPC2\0" % len(body)
    request = b"%d:%s," % (len(headers), headers) + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, sep, xml = answer.partition(b"\r\n\r\n")
    if not sep:
        raise RuntimeError("no header block in the answer: %r" % answer[:200])
    return xmlrpc.client.loads(xml.decode())[0][0]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    args = [int(a) if a.isdigit() else a for a in sys.argv[3:]]
    try:
        print(repr(call(int(sys.argv[1]), sys.argv[2], args)))
    except (OSError, RuntimeError, xmlrpc.client.Fault) as e:
        print("rtorrent_rpc.py: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
