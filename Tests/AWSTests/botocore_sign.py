#!/usr/bin/env python3
"""Signs one request with botocore, as an independent SigV4 implementation for the Swift tests.

Reads a JSON object on standard input:
  {"method", "url", "headers": [[name, value], ...], "body" (text), "date" ("20150830T123600Z"),
   "access_key", "secret_key", "token" (optional), "region", "service",
   "mode": "header" (default) or "query" with "expires" (seconds)}
Prints a JSON object: {"canonical_request", "string_to_sign", "authorization" or "url"}.

botocore reads the clock through botocore.auth.get_current_datetime; it is replaced by the
request's fixed date so both signers sign the same instant. Test data only: the keys it is
given are made up for the test.
"""
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    spec = json.load(sys.stdin)
    fixed = datetime.datetime.strptime(spec["date"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed

    credentials = Credentials(spec["access_key"], spec["secret_key"], spec.get("token"))
    request = AWSRequest(
        method=spec["method"],
        url=spec["url"],
        headers=dict(spec.get("headers", [])),
        data=spec.get("body", "").encode("utf-8"),
    )
    if spec.get("mode", "header") == "query":
        signer = botocore.auth.SigV4QueryAuth(credentials, spec["service"], spec["region"], expires=spec["expires"])
    else:
        signer = botocore.auth.SigV4Auth(credentials, spec["service"], spec["region"])

    captured = {}
    original_string_to_sign = signer.string_to_sign

    def capture(req, canonical_request):
        captured["canonical_request"] = canonical_request
        result = original_string_to_sign(req, canonical_request)
        captured["string_to_sign"] = result
        return result

    signer.string_to_sign = capture
    signer.add_auth(request)
    if spec.get("mode", "header") == "query":
        captured["url"] = request.url
    else:
        captured["authorization"] = request.headers["Authorization"]
    json.dump(captured, sys.stdout)


if __name__ == "__main__":
    main()
