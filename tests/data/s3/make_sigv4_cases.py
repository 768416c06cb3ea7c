#!/usr/bin/env python3
"""Writes sigv4_s3_cases.json: S3 requests signed by botocore, the reference the C++
signer is compared with byte for byte (tests/unit/s3_sigv4_test.cpp).

Run with a Python that has botocore (the pyenv one here):
    python3 tests/data/s3/make_sigv4_cases.py > tests/data/s3/sigv4_s3_cases.json
Each case records the request as bitflow's signer takes it (decoded path and query,
the headers the caller gives, the payload hash) and botocore's canonical request, string
to sign, signature and Authorization header or presigned URL. The time is fixed, so the
output only changes when the cases or botocore's behaviour change.
"""
import datetime
import hashlib
import json
import sys
from unittest import mock
from urllib.parse import quote

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

TIME = datetime.datetime(2013, 5, 24, 0, 0, 0)  # the S3 reference's worked examples
ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//+token/with=specials+=="
EMPTY = hashlib.sha256(b"").hexdigest()


class Recording:
    """Keeps what botocore computed on the way to its signature."""

    def canonical_request(self, request):
        self.recorded_cr = super().canonical_request(request)
        return self.recorded_cr

    def string_to_sign(self, request, canonical_request):
        self.recorded_sts = super().string_to_sign(request, canonical_request)
        return self.recorded_sts

    def signature(self, string_to_sign, request):
        self.recorded_sig = super().signature(string_to_sign, request)
        return self.recorded_sig


class HeaderSigner(Recording, botocore.auth.S3SigV4Auth):
    pass


class QuerySigner(Recording, botocore.auth.S3SigV4QueryAuth):
    pass


class GenericSigner(Recording, botocore.auth.SigV4Auth):
    pass


def case(name, method, host, path, query=(), headers=(), body=b"", token=None,
         form="header", unsigned=False, expires=3600, region="us-east-1",
         service="s3", generic=False):
    credentials = Credentials(ACCESS, SECRET, token)
    url = "https://" + host + quote(path, safe="/~")
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"Host": host, **dict(headers)})
    request.params = list(query)
    if unsigned:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    if form == "query":
        signer = QuerySigner(credentials, service, region, expires=expires)
        payload_hash = "UNSIGNED-PAYLOAD"
    elif generic:
        signer = GenericSigner(credentials, service, region)
        payload_hash = hashlib.sha256(body).hexdigest()
    else:
        signer = HeaderSigner(credentials, service, region)
        payload_hash = "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest()
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=TIME):
        signer.add_auth(request)
    out = {
        "name": name,
        "form": form,
        "generic": generic,
        "method": method,
        "path": path,
        "query": [list(p) for p in query],
        "headers": [["Host", host]] + [list(h) for h in headers],
        "payload_hash": payload_hash,
        "access_key_id": ACCESS,
        "secret_access_key": SECRET,
        "session_token": token or "",
        "region": region,
        "service": service,
        "time": TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires": expires,
        "canonical_request": signer.recorded_cr,
        "string_to_sign": signer.recorded_sts,
        "signature": signer.recorded_sig,
    }
    if form == "query":
        out["url"] = request.url
    else:
        out["authorization"] = request.headers["Authorization"]
        out["sent_headers"] = [[k, v] for k, v in request.headers.items()
                               if k.lower() != "host"]
    return out


def write_fixture(generator, cases):
    """The fixture file on stdout: who made it, with which botocore, and the cases."""
    json.dump({"generator": generator, "botocore": botocore.__version__, "cases": cases},
              sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def main():
    CASES = [
        # The S3 reference's "GET object" example: its signature is f0e8bdb8…bdb41.
        case("get object with a range (the S3 reference example)", "GET",
             "examplebucket.s3.amazonaws.com", "/test.txt", headers=[("Range", "bytes=0-9")]),
        case("put object with UNSIGNED-PAYLOAD", "PUT", "examplebucket.s3.amazonaws.com",
             "/uploads/report.pdf", headers=[("Content-Length", "1048576")], unsigned=True),
        case("put object with the body's x-amz-content-sha256", "PUT",
             "examplebucket.s3.amazonaws.com", "/test$file.text",
             headers=[("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                      ("Content-Type", "text/plain")],
             body=b"Welcome to Amazon S3."),
        case("get object with a session token", "GET", "examplebucket.s3.amazonaws.com",
             "/photos/cat.jpg", token=TOKEN),
        case("key with spaces", "GET", "examplebucket.s3.amazonaws.com",
             "/my folder/my  file name.txt"),
        case("unicode key", "GET", "examplebucket.s3.eu-west-1.amazonaws.com",
             "/dossier/été/ファイル.txt", region="eu-west-1"),
        case("key with = + ~ and other reserved characters", "PUT",
             "examplebucket.s3.amazonaws.com", "/a=b+c~d!'()*$&,;:@[]#?%.bin",
             headers=[("Content-Length", "0")], unsigned=True),
        case("path-style request to a custom endpoint with a port", "GET", "127.0.0.1:9000",
             "/my-bucket/dir/key with space", token=TOKEN),
        case("CreateMultipartUpload (uploads=)", "POST", "examplebucket.s3.amazonaws.com",
             "/big file.bin", query=[("uploads", "")],
             headers=[("Content-Type", "application/octet-stream")]),
        case("UploadPart (partNumber and uploadId)", "PUT", "examplebucket.s3.amazonaws.com",
             "/big file.bin",
             query=[("uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--"),
                    ("partNumber", "3")],
             headers=[("Content-Length", "8388608"), ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
             unsigned=True),
        case("ListObjectsV2 with several parameters, reserved characters and empty values",
             "GET", "examplebucket.s3.amazonaws.com", "/",
             query=[("list-type", "2"), ("prefix", "photos/2024 summer+=~"), ("delimiter", "/"),
                    ("max-keys", "1000"), ("fetch-owner", ""),
                    ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")]),
        case("repeated query keys sort by value", "GET", "examplebucket.s3.amazonaws.com", "/",
             query=[("x", "b"), ("x", "a"), ("X", "c")]),
        case("header values are trimmed and their spaces collapsed", "GET",
             "examplebucket.s3.amazonaws.com", "/test.txt",
             headers=[("X-Amz-Meta-Note", "  two   words\tand  a tab  "),
                      ("x-amz-meta-empty", "")]),
        # The S3 reference's presigned example: its signature is aeeed9bb…04d404.
        case("presigned GET (the S3 reference example)", "GET", "examplebucket.s3.amazonaws.com",
             "/test.txt", form="query", expires=86400),
        case("presigned GET with a session token and an unusual key", "GET",
             "examplebucket.s3.amazonaws.com", "/my folder/été+=~.txt", form="query",
             token=TOKEN, expires=604800),
        case("presigned PUT with a signed Content-Type", "PUT",
             "examplebucket.s3.amazonaws.com", "/incoming/upload one.bin",
             headers=[("Content-Type", "application/octet-stream")], form="query", expires=900),
        case("presigned UploadPart to a custom endpoint", "PUT", "127.0.0.1:9000",
             "/my-bucket/big.bin", query=[("partNumber", "2"), ("uploadId", "abc/def+==")],
             form="query", expires=3600),
        # Another service under the generic rules: the sent path is encoded once, the signed
        # path once more ("%20" becomes "%2520"), and dot segments are removed.
        case("generic service path is normalised and encoded twice", "GET",
             "example.amazonaws.com", "/a b/./c/../d", service="service", generic=True),
    ]

    write_fixture("tests/data/s3/make_sigv4_cases.py", CASES)


if __name__ == "__main__":
    main()
