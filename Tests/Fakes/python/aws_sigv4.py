"""AWS Signature Version 4 verification shared by the in-repo AWS fakes (elasticache_fake.py,
rds_fake.py). Python 3 stdlib only.

``verify_sigv4`` rebuilds the canonical request exactly as botocore's ``SigV4Auth`` does (method;
normalised, URI-encoded path; the query pairs as sent, sorted; each signed header lowercased with
trimmed/collapsed value, repeated headers joined by ","; the signed-header list; hex SHA-256 of the
raw body), the string to sign (``AWS4-HMAC-SHA256\\n<amzdate>\\n<scope>\\n<hex sha256>``), the HMAC
key chain from the registered secret, and compares in constant time. Any region is accepted.
``host`` and ``x-amz-date`` must be signed. X-Amz-Security-Token is not modelled. Refusals (statuses
from the AWS "Common Errors" page of the Query-protocol API references; SignatureDoesNotMatch 403 is
AWS's usual answer, not listed there):

    no Authorization header (or not AWS4-HMAC-SHA256)
        -> 403 MissingAuthenticationToken "Request is missing Authentication Token"
    malformed header (no Credential/SignedHeaders/Signature, bad scope, host/x-amz-date unsigned,
        no or malformed X-Amz-Date) -> 400 IncompleteSignature
    unknown access key id -> 403 InvalidClientTokenId "The security token included in the request
        is invalid."
    scope service not ``service``, scope date != X-Amz-Date date, a signed header missing, or a
        signature mismatch (wrong secret, tampered body/header) -> 403 SignatureDoesNotMatch
    X-Amz-Date more than 15 min from this machine's clock -> 400 RequestExpired

Nothing here ever includes a secret in a message.
"""

import datetime
import hashlib
import hmac
import posixpath
import re
from urllib.parse import quote

AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.S)
SIG_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.")


class SigV4Error(Exception):
    """A refused signature: the HTTP status, the AWS error code and its message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def verify_sigv4(method, raw_path, raw_query, headers, body, creds, service):
    """Returns (access key id, region); raises SigV4Error.

    ``raw_path``/``raw_query``: as sent (still percent-encoded); ``headers``: list of (name, value);
    ``body``: the raw bytes; ``creds``: dict access key id -> secret access key; ``service``: the
    signing name the scope must carry (``elasticache``, ``rds``)."""
    header = None
    for name, value in headers:
        if name.lower() == "authorization":
            header = value
    match = AUTH_RE.match(header.strip()) if header else None
    if match is None:
        raise SigV4Error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    fields = {}
    for part in match.group(1).split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in fields:
            raise SigV4Error(400, "IncompleteSignature",
                             f"Authorization header requires '{required}' parameter. Authorization={header.split()[0]}")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise SigV4Error(400, "IncompleteSignature", "Credential should be scoped to a valid region, service and "
                                                     "aws4_request terminator.")
    akid, date, region, scope_service = scope[0], scope[1], scope[2], scope[3]
    secret = creds.get(akid)
    if secret is None:
        raise SigV4Error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    if scope_service != service:
        raise SigV4Error(403, "SignatureDoesNotMatch", f"Credential should be scoped to correct service: '{service}'.")
    signed = fields["SignedHeaders"].split(";")
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)
    if "host" not in signed or "x-amz-date" not in signed or "x-amz-date" not in lower:
        raise SigV4Error(400, "IncompleteSignature", "The request must sign the host and x-amz-date headers.")
    amz_date = lower["x-amz-date"][-1].strip()
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SigV4Error(400, "IncompleteSignature",
                         "X-Amz-Date must be in the ISO 8601 basic format yyyyMMddTHHmmssZ.")
    if amz_date[:8] != date:
        raise SigV4Error(403, "SignatureDoesNotMatch", f"Credential should be scoped to a valid date: '{amz_date[:8]}'.")
    skew = abs((_utcnow() - when).total_seconds())
    if skew > 900:
        raise SigV4Error(400, "RequestExpired", f"Request has expired. Timestamp date is {amz_date}.")
    for name in signed:
        if name not in lower:
            raise SigV4Error(403, "SignatureDoesNotMatch", SIG_MISMATCH)
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in lower[name])}\n" for name in signed)
    path = raw_path or "/"                      # as sent (still percent-encoded), like botocore
    normalized = posixpath.normpath(path) if path != "/" else "/"
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    canonical_uri = quote(normalized, safe="/~")
    pairs = []
    if raw_query:
        for pair in raw_query.split("&"):
            key, _, value = pair.partition("=")
            pairs.append((key, value))
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    canonical = "\n".join([method, canonical_uri, canonical_query, canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    cred_scope = f"{date}/{region}/{scope_service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, cred_scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), scope_service), "aws4_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise SigV4Error(403, "SignatureDoesNotMatch", SIG_MISMATCH)
    return akid, region
