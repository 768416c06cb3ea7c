#!/usr/bin/python3
"""A proxy in front of an S3 store that checks presigned (SigV4 query) signatures.

    sigv4_query_check.py PORT-FILE UPSTREAM KEY-ID SECRET

Listens on a free port of 127.0.0.1 (written to PORT-FILE once it listens) and forwards
every request whose X-Amz-Signature is the one it computes itself to UPSTREAM
(http://127.0.0.1:PORT), answering with what UPSTREAM answered. A request that is not
presigned, names another key id or carries another signature gets S3's 403 error
document (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch) and never reaches
UPSTREAM. Expiry is left to UPSTREAM.

Why: s3rver enforces presigned-URL expiry but does not compute SigV4 signatures at all
(its authentication.js: "Signature version 4 calculation is unimplemented"), and moto in
auth mode answers query-signed requests with 500. This is an implementation of SigV4 of
its own (hashlib and hmac, following the AWS documentation: the path and every query key
and value decoded, then encoded again with only A-Z a-z 0-9 - _ . ~ left as they are),
independent of bitflow's. Every request is logged on stderr: "METHOD PATH -> VERDICT".
Standard library only.
"""
import hashlib
import hmac
import http.client
import http.server
import os
import sys
import urllib.parse

UPSTREAM = ("", 0)
KEY_ID = SECRET = ""


def encode(text):
    return urllib.parse.quote(text, safe="-_.~")


def expected_signature(method, path, query, headers):
    """The signature of a presigned request, or an S3 error code when it cannot be one."""
    fields = dict(query)
    credential = fields.get("X-Amz-Credential", "").split("/")
    if fields.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or len(credential) != 5:
        return None, "AccessDenied"
    if credential[0] != KEY_ID:
        return None, "InvalidAccessKeyId"
    signed = fields.get("X-Amz-SignedHeaders", "").split(";")
    canonical_query = "&".join(
        sorted(f"{encode(k)}={encode(v)}" for k, v in query if k != "X-Amz-Signature"))
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    canonical = "\n".join([
        method, urllib.parse.quote(urllib.parse.unquote(path), safe="/-_.~"), canonical_query,
        canonical_headers, ";".join(signed), "UNSIGNED-PAYLOAD"])
    scope = "/".join(credential[1:])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", fields.get("X-Amz-Date", ""), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in credential[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def refuse(self, code):
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                f"<Message>sigv4_query_check: {code}</Message></Error>").encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, raw_query = self.path.partition("?")
        query = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        want, error = expected_signature(self.command, path, query, headers)
        given = dict(query).get("X-Amz-Signature", "")
        if error is None and not hmac.compare_digest(want, given):
            error = "SignatureDoesNotMatch"
        print(f"{self.command} {path} -> {error or 'forwarded'}", file=sys.stderr, flush=True)
        if error:
            self.refuse(error)
            return
        upstream = http.client.HTTPConnection(*UPSTREAM, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = handle_any


def main():
    global UPSTREAM, KEY_ID, SECRET
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    port_file, upstream, KEY_ID, SECRET = sys.argv[1:]
    parsed = urllib.parse.urlsplit(upstream)
    UPSTREAM = (parsed.hostname, parsed.port)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
