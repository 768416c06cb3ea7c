#!/usr/bin/python3
"""A do-nothing S3-compatible HTTP server: it takes uploads and throws the bytes away.

    bench/s3_sink.py PORT-FILE

Listens on a free port of 127.0.0.1 (written to PORT-FILE once it listens) and answers
what an uploader needs, for any bucket and key, without checking signatures:
PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, ListParts,
ListMultipartUploads (always empty), AbortMultipartUpload, HeadObject (the size received)
and DeleteObject. Bodies are read into a reused 1 MiB buffer and discarded, never hashed: a part's
ETag is the hex of its Content-MD5 header (or of the part number when there is none).
It measures the uploader's own cost: the store costs next to nothing. Anything else is
answered 501 and logged on stderr. Standard library only.
"""
import base64
import http.server
import os
import re
import sys
import threading
import urllib.parse

LOCK = threading.Lock()
UPLOADS = {}   # upload id -> {part number: (etag, size)}
OBJECTS = {}   # path -> (size, etag)
COUNTER = [0]
BUFFERS = threading.local()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "application/xml")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def drain(self):
        """Reads the body away into one reused buffer per thread; returns its size."""
        left = int(self.headers.get("Content-Length") or 0)
        total = left
        view = getattr(BUFFERS, "view", None)
        if view is None:
            view = BUFFERS.view = memoryview(bytearray(1 << 20))
        while left > 0:
            got = self.rfile.readinto(view[:min(left, len(view))])
            if not got:
                break
            left -= got
        return total

    def etag(self, fallback):
        md5 = self.headers.get("Content-MD5")
        if md5:
            try:
                return '"' + base64.b64decode(md5).hex() + '"'
            except ValueError:
                pass
        return '"%032x"' % fallback

    def split(self):
        path, _, raw = self.path.partition("?")
        query = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        return path, query

    def do_PUT(self):
        path, query = self.split()
        size = self.drain()
        if "uploadId" in query and "partNumber" in query:
            number = int(query["partNumber"])
            etag = self.etag(number)
            with LOCK:
                parts = UPLOADS.get(query["uploadId"])
                if parts is None:
                    return self.answer(404, b"<Error><Code>NoSuchUpload</Code></Error>")
                parts[number] = (etag, size)
            return self.answer(200, headers=[("ETag", etag)])
        etag = self.etag(size)
        with LOCK:
            OBJECTS[path] = (size, etag)
        self.answer(200, headers=[("ETag", etag)])

    def do_POST(self):
        path, query = self.split()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        bucket, _, key = path.lstrip("/").partition("/")
        if "uploads" in query:
            with LOCK:
                COUNTER[0] += 1
                upload = "sink-%d" % COUNTER[0]
                UPLOADS[upload] = {}
            return self.answer(200, (
                "<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key>"
                "<UploadId>%s</UploadId></InitiateMultipartUploadResult>"
                % (bucket, urllib.parse.unquote(key), upload)).encode())
        if "uploadId" in query:
            with LOCK:
                parts = UPLOADS.pop(query["uploadId"], None)
            if parts is None:
                return self.answer(404, b"<Error><Code>NoSuchUpload</Code></Error>")
            listed = [int(n) for n in re.findall(rb"<PartNumber>\s*(\d+)\s*</PartNumber>", body)]
            size = sum(parts[n][1] for n in listed if n in parts)
            etag = '"%032x-%d"' % (len(listed), len(listed))
            with LOCK:
                OBJECTS[path] = (size, etag)
            return self.answer(200, (
                "<CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key>"
                "<ETag>%s</ETag></CompleteMultipartUploadResult>"
                % (bucket, urllib.parse.unquote(key), etag.replace('"', "&quot;"))).encode())
        self.unknown()

    def do_GET(self):
        path, query = self.split()
        bucket, _, key = path.lstrip("/").partition("/")
        if "uploads" in query:
            return self.answer(200, (
                "<ListMultipartUploadsResult><Bucket>%s</Bucket><IsTruncated>false</IsTruncated>"
                "</ListMultipartUploadsResult>" % bucket).encode())
        if "uploadId" in query:
            with LOCK:
                parts = dict(UPLOADS.get(query["uploadId"], {}))
            listed = "".join(
                "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag><Size>%d</Size></Part>"
                % (n, e.replace('"', "&quot;"), s) for n, (e, s) in sorted(parts.items()))
            return self.answer(200, (
                "<ListPartsResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>"
                "<IsTruncated>false</IsTruncated>%s</ListPartsResult>"
                % (bucket, urllib.parse.unquote(key), query["uploadId"], listed)).encode())
        self.unknown()

    def do_HEAD(self):
        path, _ = self.split()
        with LOCK:
            found = OBJECTS.get(path)
        if found is None:
            return self.answer(404)
        self.send_response(200)
        self.send_header("Content-Length", str(found[0]))
        self.send_header("ETag", found[1])
        self.end_headers()

    def do_DELETE(self):
        path, query = self.split()
        with LOCK:
            if "uploadId" in query:
                UPLOADS.pop(query["uploadId"], None)
            else:
                OBJECTS.pop(path, None)
        self.answer(204)

    def unknown(self):
        print("s3_sink: not served: %s %s" % (self.command, self.path), file=sys.stderr, flush=True)
        self.answer(501, b"<Error><Code>NotImplemented</Code></Error>")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
