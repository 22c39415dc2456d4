#!/usr/bin/env python3
"""In-repo fake of Google Cloud Secret Manager (REST v1), the Google OAuth 2.0 token endpoint
(JWT-bearer grant for service-account keys) and the GCE/GKE metadata server token endpoint.

Python 3 standard library; certificates come from the `openssl` command line (or the
`cryptography` package when `openssl` is absent), the service-account key and RS256 checks use
`cryptography` when importable and the `openssl` command line otherwise. It is a test fixture:
state lives in memory and dies with the process.

USAGE
    python3 gcp_fake.py --cert-dir DIR [--project P]... [--page-size N] [--token-lifetime S]

    Writes into DIR a throwaway CA (`ca.pem`) and a server certificate (`server.pem`,
    `server.key`) signed by it, with subjectAltName IP:127.0.0.1 and DNS:localhost; the CA key is
    deleted once the server certificate is signed. Binds two ports on 127.0.0.1, both port 0:
      * TLS (HTTP/1.1, no h2): Secret Manager under /v1/, the OAuth token endpoint POST /token
        and the control API under /_fake/;
      * plain HTTP: the metadata server (the real one is plain http too).
    Then writes DIR/service-account.json (see 2.) and prints exactly two lines on stdout, flushed,
    in this order:
        LISTENING <tls port>
        METADATA <http port>
    and serves until SIGTERM/SIGINT or until its stdin reaches EOF (stdin must be a pipe the
    parent keeps open; /dev/null stops it at once). Exit code 0 on a clean stop.
    Clients trust DIR/ca.pem (never disable verification). stderr gets one line per request:
    `METHOD PATH STATUS` (path without query) -- never a header, a body, a token or a value.

    --project may be repeated (default one project, `aegis-fake-project`); ids must look like
    real project ids ([a-z][a-z0-9-]{4,28}[a-z0-9]). Each project gets a 12-digit project NUMBER
    derived from its id (stable across runs; GET /_fake/projects lists them). The first project
    is the service account's and the metadata server's project.
    --page-size (default 2) is the server-chosen page size when a list request sends no
    pageSize (the real service "decides"; small pages make clients follow nextPageToken).
    --token-lifetime (default 3599) is expires_in of every issued access token.

BASE URL = https://127.0.0.1:<tls port>   METADATA = http://127.0.0.1:<http port>

1. SECRET MANAGER REST v1   (google.cloud.secretmanager.v1.SecretManagerService)
   Every call needs `Authorization: Bearer <token>` (or ?access_token=<token>), where <token> is
     - an access token from POST /token, from the metadata server, or from POST /_fake/tokens, or
     - a SELF-SIGNED JWT made with the service-account key (AIP-4111): RS256, kid = the key's
       private_key_id, iss = sub = client_email, exp - iat <= 3600, and either aud =
       "https://secretmanager.googleapis.com/" or a `scope` claim. google-cloud-secret-manager
       sends exactly this (never calling /token) when given service_account.Credentials, because
       its transports force always_use_jwt_access=True.
   Tokens must carry the scope https://www.googleapis.com/auth/cloud-platform.
   Resource names in RESPONSES use the project NUMBER (projects/123456789012/secrets/x), as the
   real service does; requests may name a project by id or by number.

   POST   /v1/projects/{p}/secrets?secretId={id}        CreateSecret, body = Secret
          {"replication":{"automatic":{}}  (required; userManaged {replicas:[{location}]} too),
           "labels"?, "annotations"?, "versionAliases"? (must be empty: no versions yet)}
          secretId must match [A-Za-z0-9_-]{1,255}. -> 200 Secret. Exists -> 409 ALREADY_EXISTS.
   GET    /v1/projects/{p}/secrets[?pageSize&pageToken&filter]   ListSecrets
          -> {"secrets":[...], "nextPageToken"?, "totalSize"}; sorted by secret id; filter terms
          (AND-ed, whitespace or "AND"): name:SUBSTR, labels.KEY=VALUE, labels.KEY:VALUE,
          labels.KEY:* . Anything else -> 400 INVALID_ARGUMENT.
   GET    /v1/projects/{p}/secrets/{s}                  GetSecret -> Secret
   PATCH  /v1/projects/{p}/secrets/{s}?updateMask=a,b   UpdateSecret, body = Secret
          mask paths (camelCase or snake_case): labels, annotations, versionAliases. A Secret
          "etag" in the body must match. Missing mask -> 400; replication (immutable) or other
          paths -> 400. versionAliases: alias -> version number (int64, JSON string or number);
          alias [A-Za-z][A-Za-z0-9_-]{0,62}, not "latest"/"NEW", at most 50; the version must
          exist (else 400 INVALID_ARGUMENT) and must not be DESTROYED (else 400
          FAILED_PRECONDITION). Entries of a mask path are replaced as a whole.
   DELETE /v1/projects/{p}/secrets/{s}[?etag=]          DeleteSecret -> {} (versions go too;
          the id can be created again and starts at version 1)
   POST   /v1/projects/{p}/secrets/{s}:addVersion       AddSecretVersion
          body {"payload":{"data":<base64>, "dataCrc32c":<int64, decimal string or number>}}
          (snake_case data_crc32c accepted too). data <= 65536 bytes. When dataCrc32c is sent
          the CRC32C (Castagnoli) of the decoded data must equal it, else 400 INVALID_ARGUMENT
          and no version is created. -> 200 SecretVersion (clientSpecifiedPayloadChecksum true
          iff a checksum was sent). Version numbers start at 1 per secret.
   GET    /v1/projects/{p}/secrets/{s}/versions[?pageSize&pageToken&filter]
          ListSecretVersions -> {"versions":[...newest first], "nextPageToken"?, "totalSize"};
          filter terms: state:ENABLED|DISABLED|DESTROYED (or state=...), name:SUBSTR.
   GET    /v1/projects/{p}/secrets/{s}/versions/{v}     GetSecretVersion (any state)
   GET    /v1/projects/{p}/secrets/{s}/versions/{v}:access
          -> {"name": .../versions/<number>, "payload":{"data":<base64>,"dataCrc32c":"<int64>"}}
   POST   .../versions/{v}:enable | :disable | :destroy   body {"etag"?} -> SecretVersion
          {v} = a number, `latest`, or a version alias. `latest` is the most recently CREATED
          version whatever its state (as the real service: accessing `latest` while the newest
          version is DISABLED/DESTROYED fails; it does NOT fall back to an older enabled one).
          Access of a DISABLED or DESTROYED version -> 400 FAILED_PRECONDITION; enable/disable of
          a DESTROYED version -> 400 FAILED_PRECONDITION (destroyed is final); destroy of a
          destroyed version is refused the same way. Destroy wipes the data, sets destroyTime.
          Wrong etag -> 400 FAILED_PRECONDITION.
   Secret JSON:  {"name","replication","createTime","labels"?,"annotations"?,"etag",
                  "versionAliases"?{alias:"<number>"}}
   SecretVersion: {"name","createTime","destroyTime"? (DESTROYED only),"state",
                  "replicationStatus":{"automatic":{}},"etag","clientSpecifiedPayloadChecksum"?}
   Times are RFC 3339 UTC with 6 fractional digits and "Z"; etags are quoted strings ("\"...\"");
   int64 values are JSON strings; empty maps and false booleans are omitted (proto3 JSON).
   Query parameters: the ones above plus $alt / alt (json, or "json;enum-encoding=int", which
   the REST transport always sends: then `state` is emitted as 1/2/3 instead of its name),
   prettyPrint/$prettyPrint, $.xgafv, quotaUser, access_token. Any other parameter ->
   400 INVALID_ARGUMENT "Invalid JSON payload received. Unknown name ...: Cannot bind query
   parameter." Unknown body fields -> 400 "Invalid JSON payload received. Unknown name ...".
   Input JSON accepts camelCase and snake_case field names, as the real front end does.

   Errors are google.rpc.Status: {"error":{"code":<http>,"message","status","details"?:[...]}},
   Content-Type application/json; charset=UTF-8:
     no token                  401 UNAUTHENTICATED  "Request is missing required authentication
                               credential. Expected OAuth 2 access token, login cookie or other
                               valid authentication credential. See https://developers.google.com
                               /identity/sign-in/web/devconsole-project."  ErrorInfo
                               CREDENTIALS_MISSING; WWW-Authenticate: Bearer realm=
                               "https://accounts.google.com/"
     bad/expired/revoked token 401 UNAUTHENTICATED  "Request had invalid authentication
                               credentials. Expected OAuth 2 access token, ..."  ErrorInfo
                               ACCESS_TOKEN_EXPIRED (known token, expired or revoked) or
                               ACCESS_TOKEN_TYPE_UNSUPPORTED (anything else); WWW-Authenticate
                               adds error="invalid_token"
     token without cloud-platform scope  403 PERMISSION_DENIED "Request had insufficient
                               authentication scopes."  ErrorInfo ACCESS_TOKEN_SCOPE_INSUFFICIENT
     project unknown to the fake  403 PERMISSION_DENIED "Permission 'secretmanager.<x>.<verb>'
                               denied on resource (or it may not exist)."  ErrorInfo
                               IAM_PERMISSION_DENIED, domain iam.googleapis.com
     unknown secret            404 NOT_FOUND "Secret [projects/N/secrets/S] not found."
                               (access/get of a version of a secret that is missing or has no
                               versions: "Secret [projects/N/secrets/S] not found or has no
                               versions.")
     unknown version / alias   404 NOT_FOUND "Secret Version [projects/N/secrets/S/versions/V]
                               not found."
     secret exists             409 ALREADY_EXISTS "Secret [projects/N/secrets/S] already exists."
     disabled / destroyed      400 FAILED_PRECONDITION "Secret Version [projects/N/secrets/S/
                               versions/V] is in DISABLED state." / "... is in DESTROYED state."
     wrong dataCrc32c          400 INVALID_ARGUMENT "Checksum mismatch: data_crc32c does not
                               match the CRC32C of the payload data." (text NOT verified)
     malformed name / bad id   400 INVALID_ARGUMENT "Resource ID [..] is not in a valid format."
     payload > 64 KiB, bad base64, bad int64, bad labels/aliases, bad page token or filter,
     missing secretId/updateMask/replication   400 INVALID_ARGUMENT
     unknown path or method    404 text/html (as Google's front end)
     IAM / locations / rotation methods   501 UNIMPLEMENTED (not implemented by the fake)

2. OAUTH 2.0 TOKEN ENDPOINT   POST BASE/token (application/x-www-form-urlencoded)
   DIR/service-account.json is a real key file: {"type":"service_account","project_id",
   "private_key_id" (40 hex),"private_key" (fresh RSA 2048, PKCS#8 PEM),"client_email":
   "aegis-rotate@<project>.iam.gserviceaccount.com","client_id" (21 digits),"auth_uri",
   "token_uri": BASE/token,"auth_provider_x509_cert_url","client_x509_cert_url",
   "universe_domain":"googleapis.com"}. The fake trusts only that key.
   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer & assertion=<JWT> ->
     200 {"access_token":"ya29.…","expires_in":3599,"token_type":"Bearer"}
   The assertion: RS256 signed by the key (header kid, if present, must be its private_key_id),
   iss = client_email, aud = "https://oauth2.googleapis.com/token" (what google-auth always
   sends, whatever token_uri says) or BASE/token (the key file's token_uri), scope = space
   separated https://www.googleapis.com/auth/... scopes, iat <= now + 300 s, now < exp,
   exp - iat <= 3600. Errors (Google's body {"error","error_description"}, all 400 but the
   first):
     not POST                   405 invalid_request "Only POST is supported." (fake text)
     no/other grant_type        400 unsupported_grant_type "Invalid grant_type: <value>"
     no assertion               400 invalid_request "Missing required parameter: assertion"
     not a JWT / not RS256      400 invalid_grant "Invalid JWT: Failed to parse the assertion."
                                (fake text)
     iss unknown                400 invalid_grant "Invalid grant: account not found"
     bad signature / wrong kid  400 invalid_grant "Invalid JWT Signature."
     iat/exp out of range       400 invalid_grant "Invalid JWT: Token must be a short-lived token
                                (60 minutes) and in a reasonable timeframe. Check your iat and
                                exp values in the JWT claim."
     aud wrong                  400 invalid_grant "Invalid JWT: Failed audience check."
     scope missing / not Google 400 invalid_scope "Invalid OAuth scope or ID token audience
                                provided."
   A token issued for other scopes is issued (as Google does) and refused by Secret Manager
   with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT.

3. METADATA SERVER   (plain http; every answer carries Metadata-Flavor: Google)
   GET METADATA/  -> 200 "computeMetadata/\n" (google-auth's ping(): it GETs
       http://$GCE_METADATA_IP/ and wants 200 + Metadata-Flavor: Google)
   Under /computeMetadata/v1/ (request header Metadata-Flavor: Google REQUIRED, else 403
   text/html "Your client does not have permission to get URL <path> from this server. Missing
   Metadata-Flavor:Google header."; a request with X-Forwarded-For is refused 403 too):
     instance/service-accounts/                      "default/\n<email>/\n"
     instance/service-accounts/{default|email}/      ?recursive=true -> JSON {"aliases":
         ["default"],"email","scopes":[cloud-platform]}; without it a directory listing
     instance/service-accounts/{default|email}/email  -> <email>        (application/text)
     instance/service-accounts/{default|email}/scopes -> one scope per line
     instance/service-accounts/{default|email}/token[?scopes=a,b]
         -> application/json {"access_token","expires_in","token_type":"Bearer"}
     project/project-id, project/numeric-project-id, universe/universe-domain ("googleapis.com"),
     instance/id, instance/zone
   Unknown path -> 404 text/html. google-auth reads GCE_METADATA_HOST (host:port, no scheme;
   read at IMPORT time of google.auth.compute_engine._metadata) for every URL under
   /computeMetadata/v1/ and GCE_METADATA_IP for the ping; set both to 127.0.0.1:<http port>.

4. CONTROL API  (TLS port, no auth, JSON, under /_fake/; values allowed: test only)
   POST   /_fake/tokens {"scopes"?: [..] (default cloud-platform)}
          -> 201 {"access_token","expires_in","token_type":"Bearer"} (a static token)
   POST   /_fake/expire-tokens -> 200 {"revoked": n}: every access token issued so far (token
          endpoint, metadata, /_fake/tokens) is invalid from now on (401 ACCESS_TOKEN_EXPIRED),
          and so is every self-signed JWT whose iat is before the current second (fake-only:
          the real service honours a self-signed JWT until its exp). New tokens work.
   GET    /_fake/secrets/{project id or number}/{secret}
          -> {"secret": <Secret JSON, incl. versionAliases>, "versions": [{"number","state",
              "value" (the payload as UTF-8 text when it decodes, else base64; null once
              destroyed), "encoding" ("utf-8"|"base64"|null),"createTime","destroyTime",
              "dataCrc32c","clientSpecifiedPayloadChecksum"}]} (oldest first); 404 if unknown
   GET    /_fake/projects -> [{"projectId","projectNumber"}]
   GET    /_fake/service-account -> {"client_email","private_key_id","token_uri","project_id"}
   POST   /_fake/fail {"method" ("*" = any), "path_prefix", "status" 400..599, "count" N,
          "retry_after"? seconds, "grpc_status"? (e.g. "ABORTED"; default from the HTTP status)}
          -> 201; the next N matching non-control requests (on either port; path without query)
          get that status with a service-shaped body (google.rpc.Status on /v1, OAuth error on
          /token, text on the metadata port) and Retry-After when given; nothing else happens.
   GET    /_fake/requests -> [{"method","path","status","auth":"bearer"|"none"|"other"|"query"
          (query = ?access_token=), "server":"api"|"metadata", "credential"?: "oauth"|"metadata"|
          "static"|"self-signed-jwt"|"invalid" (the kind of token presented on /v1; "invalid" = not
          one the fake issued nor a JWT signed by the key), "grant"? (token endpoint: the grant_type
          when known), "injected"? (a /_fake/fail rule answered)}], in completion order
   DELETE /_fake/requests -> 204 (clears the log)

WHAT WAS VERIFIED, AND WHERE (prove_gcp.py drives the official clients against this)
 - URL shapes, HTTP verbs and bodies: google-cloud-secret-manager 2.32.0
   secretmanager_v1/services/secret_manager_service/transports/rest_base.py (http rules: body
   "secret" for create/patch, "*" for addVersion/enable/disable/destroy) and
   googleapis/googleapis google/cloud/secretmanager/v1/{service,resources}.proto (field names,
   64 KiB payload limit, `latest` = most recently created version, alias rules, DESTROYED is
   final, data_crc32c verified by the service on AddSecretVersion).
 - "$alt=json;enum-encoding=int": google-api-core 2.44 rest_helpers.transcode_request (the
   transport passes rest_numeric_enums=True); required-field defaults secretId/updateMask are
   always put in the query. Errors map to exceptions by HTTP status only
   (api_core.exceptions.format_http_response_error), so FAILED_PRECONDITION surfaces as
   BadRequest (400) in the REST transport.
 - `latest` is NOT "newest enabled": real responses quoted in google-github-actions/
   get-secretmanager-secrets#268 ({"code":400,"message":"Secret Version [..]/versions/4] is in
   DESTROYED state.","status":"FAILED_PRECONDITION"} for versions/latest while version 3 was
   enabled) and external-secrets/external-secrets#4042, #1951, #5129.
 - "is in DISABLED state." / "is in DESTROYED state." (FAILED_PRECONDITION), "Secret [..] not
   found or has no versions." (NOT_FOUND), "Secret [..] already exists." (409), the
   PERMISSION_DENIED text with IAM_PERMISSION_DENIED, and "Resource ID [..] is not in a valid
   format." (INVALID_ARGUMENT): gcloud/Cloud Run/client error output quoted in public repos and
   googleapis/nodejs-secret-manager#74. Names with the project number: the same quotes and the
   data-integrity page (cloud.google.com/secret-manager/docs/data-integrity), which also shows
   dataCrc32c returned as a decimal string and data_crc32c accepted as a JSON number.
 - 401 texts: many public captures of Google API responses. Token endpoint texts ("Invalid JWT
   Signature.", "Invalid JWT: Failed audience check.", the short-lived-token text, "Invalid
   grant: account not found", "Invalid OAuth scope or ID token audience provided."): public
   captures of oauth2.googleapis.com responses.
 - google-auth 2.63: service-account assertions always use aud
   https://oauth2.googleapis.com/token (oauth2/service_account.py); self-signed JWT for
   Secret Manager uses aud https://secretmanager.googleapis.com/ (transport/requests.py
   AuthorizedSession default_host); AuthorizedSession refreshes once on 401 and retries;
   compute_engine.Credentials GETs service-accounts/default/?recursive=true then .../token;
   ping() GETs http://$GCE_METADATA_IP/.
 - NOT verified (fake's choice): the wrong-CRC32C message text; the texts of secret-id, label,
   alias, payload-size, page-token, filter and etag errors; that an alias to a DESTROYED
   version is refused (FAILED_PRECONDITION here) and that an etag mismatch is
   FAILED_PRECONDITION rather than ABORTED; the metadata 403 text; list ordering of secrets.
"""

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_certs import make_certificates  # noqa: E402

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUD = "https://oauth2.googleapis.com/token"
SM_AUDIENCES = ("https://secretmanager.googleapis.com/", "https://secretmanager.googleapis.com")
SM_SERVICE = "secretmanager.googleapis.com"
RPC_PREFIX = "google.cloud.secretmanager.v1.SecretManagerService."
MAX_PAYLOAD = 65536
MAX_PAGE = 25000

PROJECT_ID_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
SECRET_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
ALIAS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
ANNOTATION_KEY_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
VERSION_NUM_RE = re.compile(r"^[1-9][0-9]{0,18}$")

STATES = {"ENABLED": 1, "DISABLED": 2, "DESTROYED": 3}
HTTP_TO_GRPC = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                409: "ABORTED", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
                500: "INTERNAL", 501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
                504: "DEADLINE_EXCEEDED"}
COMMON_QUERY = {"$alt", "alt", "prettyPrint", "$prettyPrint", "$.xgafv", "quotaUser", "access_token"}

MSG_NO_CRED = ("Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
               "or other valid authentication credential. See "
               "https://developers.google.com/identity/sign-in/web/devconsole-project.")
MSG_BAD_CRED = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.")
MSG_SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                   "Check your iat and exp values in the JWT claim.")


# ---------------------------------------------------------------- helpers

def now_utc():
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t):
    t = t.astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % t.microsecond


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli), as Secret Manager's SecretPayload.data_crc32c."""
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def project_number(project_id):
    h = int(hashlib.sha256(project_id.encode()).hexdigest()[:12], 16)
    return str(100000000000 + h % 900000000000)


def new_access_token():
    return "ya29.c." + b64url(secrets.token_bytes(96))


def decode_b64_any(text):
    """Standard or URL-safe base64, padding optional (the proto3 JSON rules)."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    s = text.strip().replace("-", "+").replace("_", "/")
    if re.search(r"[^A-Za-z0-9+/=]", s):
        raise ValueError("bad characters")
    s = s.rstrip("=")
    if len(s) % 4 == 1:
        raise ValueError("bad length")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def parse_int64(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        v = value
    elif isinstance(value, float) and value.is_integer():
        v = int(value)
    elif isinstance(value, str) and re.match(r"^-?[0-9]{1,19}$", value.strip()):
        v = int(value.strip())
    else:
        raise ValueError
    if not -(2 ** 63) <= v < 2 ** 63:
        raise ValueError
    return v


def to_camel(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def normalize_keys(obj, allowed, where):
    """Proto3 JSON input: map snake_case keys onto camelCase; unknown keys raise."""
    if not isinstance(obj, dict):
        raise BadRequest("Invalid JSON payload received. Expected an object for '%s'." % where)
    out = {}
    for k, v in obj.items():
        ck = to_camel(k) if "_" in k else k
        if ck not in allowed:
            raise BadRequest("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find field." % (k, where)
                             if where else "Invalid JSON payload received. Unknown name \"%s\": Cannot find field." % k,
                             field=(where + "." if where else "") + k)
        if ck in out:
            raise BadRequest("Invalid JSON payload received. Field '%s' is set twice." % ck)
        out[ck] = v
    return out


class BadRequest(Exception):
    def __init__(self, message, status="INVALID_ARGUMENT", http=400, field=None):
        super().__init__(message)
        self.message, self.status, self.http, self.field = message, status, http, field


# ---------------------------------------------------------------- keys and certificates

# make_certificates: the shared throwaway CA and server certificate (fake_certs.py).


class RsaKey:
    """The service account's RSA key: PKCS#8 PEM for the key file, RS256 verification."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        self._pub = None
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.private_pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()).decode("ascii")
            self._pub = k.public_key()
            self.public_pem_path = None
        except ImportError:
            out = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                                 check=True, capture_output=True).stdout
            self.private_pem = out.decode("ascii")
            pub = subprocess.run(["openssl", "pkey", "-pubout"], input=out, check=True, capture_output=True).stdout
            self.public_pem_path = os.path.join(work_dir, "sa-public.pem")
            with open(self.public_pem_path, "wb") as f:
                f.write(pub)

    def verify_rs256(self, signing_input, signature):
        if self._pub is not None:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            try:
                self._pub.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
                return True
            except InvalidSignature:
                return False
        with tempfile.NamedTemporaryFile(dir=self.work_dir, delete=False) as f:
            f.write(signature)
            sig_path = f.name
        try:
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.public_pem_path, "-signature", sig_path],
                               input=signing_input, capture_output=True)
            return r.returncode == 0
        finally:
            os.remove(sig_path)


# ---------------------------------------------------------------- state

class State:
    def __init__(self, projects, page_size, token_lifetime):
        self.lock = threading.RLock()
        self.projects = {p: project_number(p) for p in projects}
        self.numbers = {n: p for p, n in self.projects.items()}
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.secrets = {}          # (project id, secret id) -> secret dict
        self.tokens = {}           # access token -> {"kind","scopes","exp","revoked"}
        self.jwt_cutoff = 0        # self-signed JWTs with iat < cutoff are refused
        self.fail_rules = []
        self.requests = []
        self.port = 0
        self.metadata_port = 0
        self.sa = None             # service account record
        self.key = None            # RsaKey

    def project_of(self, ref):
        """Project id for an id or a number, or None."""
        if ref in self.projects:
            return ref
        return self.numbers.get(ref)

    def issue(self, kind, scopes):
        token = new_access_token()
        self.tokens[token] = {"kind": kind, "scopes": list(scopes), "exp": time.time() + self.token_lifetime,
                              "revoked": False}
        return token

    def etag(self):
        return '"%x"' % (time.time_ns() // 1000 * 16 + secrets.randbelow(16))


# ---------------------------------------------------------------- HTTP plumbing shared by both servers

class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 30
    server_kind = "api"
    state: State = None

    def log_message(self, fmt, *args):  # the default access log would print query strings
        pass

    def log_error(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > 4 * 1024 * 1024:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > 4 * 1024 * 1024:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def dispatch(self):
        self.log_extra = {}
        self.responded = False
        split = urlsplit(self.path)
        self.req_path = unquote(split.path)
        self.raw_query = split.query
        self.query_multi = parse_qs(split.query, keep_blank_values=True)
        self.query = {k: v[-1] for k, v in self.query_multi.items()}
        auth = self.headers.get("Authorization") or ""
        self.auth_kind = "none" if not auth else ("bearer" if auth[:7].lower() == "bearer " else "other")
        try:
            self.body = self.read_body()
        except ValueError:
            self.body = b""
            self.close_connection = True
            return self.send_text(413, "Request body too large.")
        try:
            if self.server_kind == "api" and self.req_path.startswith("/_fake/"):
                self.route_control()
            elif not self.inject_failure():
                self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            raise
        except Exception as e:  # a bug in the fake: answer 500 without details of the request
            sys.stderr.write("gcp_fake: internal error %s on %s %s\n" % (type(e).__name__, self.command, self.req_path))
            sys.stderr.flush()
            if not self.responded:
                self.send_json(500, {"error": {"code": 500, "message": "Internal error encountered.",
                                               "status": "INTERNAL"}})

    def send_raw(self, status, body, content_type, headers=None):
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body or b"")))
        self.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.responded = True
        self.record(status)

    def send_json(self, status, obj, headers=None):
        body = None if obj is None else json.dumps(obj).encode("utf-8")
        self.send_raw(status, body, "application/json; charset=UTF-8", headers)

    def send_text(self, status, text, content_type="text/plain; charset=UTF-8", headers=None):
        self.send_raw(status, text.encode("utf-8"), content_type, headers)

    def send_html_404(self):
        page = ("<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n"
                "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL <code>%s</code> was not found "
                "on this server.  <ins>That\u2019s all we know.</ins>\n" % html_escape(self.req_path))
        self.send_text(404, page, "text/html; charset=UTF-8")

    def record(self, status):
        if self.req_path.startswith("/_fake/") and self.server_kind == "api":
            return
        entry = {"method": self.command, "path": self.req_path, "status": status, "auth": self.auth_kind,
                 "server": self.server_kind}
        entry.update(self.log_extra)
        with self.state.lock:
            self.state.requests.append(entry)
        sys.stderr.write("%s %s %d\n" % (self.command, self.req_path, status))
        sys.stderr.flush()

    # --- failure injection (both servers)
    def inject_failure(self):
        with self.state.lock:
            rule = None
            for r in self.state.fail_rules:
                if (r["method"] == "*" or r["method"] == self.command) and self.req_path.startswith(r["path_prefix"]):
                    rule = r
                    break
            if rule is None:
                return False
            rule["count"] -= 1
            if rule["count"] <= 0:
                self.state.fail_rules.remove(rule)
        status = rule["status"]
        headers = {}
        if rule.get("retry_after") is not None:
            headers["Retry-After"] = str(int(rule["retry_after"]))
        self.log_extra["injected"] = True
        if self.server_kind == "metadata":
            headers["Metadata-Flavor"] = "Google"
            self.send_text(status, "Injected failure (fake).\n", headers=headers)
        elif self.req_path == "/token":
            error = {429: "rate_limit_exceeded", 500: "internal_failure", 503: "temporarily_unavailable"}.get(
                status, "invalid_request")
            self.send_json(status, {"error": error, "error_description": "Injected failure (fake)."}, headers)
        else:
            grpc = rule.get("grpc_status") or HTTP_TO_GRPC.get(status, "UNKNOWN" if status >= 500 else "INVALID_ARGUMENT")
            message = {"RESOURCE_EXHAUSTED": "Quota exceeded for quota metric 'Access requests' and limit 'Access "
                                             "requests per minute per project' of service "
                                             "'secretmanager.googleapis.com'.",
                       "UNAVAILABLE": "The service is currently unavailable.",
                       "INTERNAL": "Internal error encountered.",
                       "ABORTED": "The operation was aborted.",
                       "DEADLINE_EXCEEDED": "Deadline exceeded."}.get(grpc, "Injected failure (fake).")
            self.send_json(status, {"error": {"code": status, "message": message, "status": grpc}}, headers)
        return True


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# ---------------------------------------------------------------- the TLS server: Secret Manager, /token, control

SM_ROUTES = [
    # (method, regex on the path after /v1/, rpc, permission, allowed query params)
    ("POST", r"^projects/([^/:]+)/secrets$", "CreateSecret", "secretmanager.secrets.create", {"secretId", "secret_id"}),
    ("GET", r"^projects/([^/:]+)/secrets$", "ListSecrets", "secretmanager.secrets.list",
     {"pageSize", "page_size", "pageToken", "page_token", "filter"}),
    ("GET", r"^projects/([^/:]+)/secrets/([^/:]+)$", "GetSecret", "secretmanager.secrets.get", set()),
    ("PATCH", r"^projects/([^/:]+)/secrets/([^/:]+)$", "UpdateSecret", "secretmanager.secrets.update",
     {"updateMask", "update_mask"}),
    ("DELETE", r"^projects/([^/:]+)/secrets/([^/:]+)$", "DeleteSecret", "secretmanager.secrets.delete", {"etag"}),
    ("POST", r"^projects/([^/:]+)/secrets/([^/:]+):addVersion$", "AddSecretVersion", "secretmanager.versions.add",
     set()),
    ("GET", r"^projects/([^/:]+)/secrets/([^/:]+)/versions$", "ListSecretVersions", "secretmanager.versions.list",
     {"pageSize", "page_size", "pageToken", "page_token", "filter"}),
    ("GET", r"^projects/([^/:]+)/secrets/([^/:]+)/versions/([^/:]+)$", "GetSecretVersion",
     "secretmanager.versions.get", set()),
    ("GET", r"^projects/([^/:]+)/secrets/([^/:]+)/versions/([^/:]+):access$", "AccessSecretVersion",
     "secretmanager.versions.access", set()),
    ("POST", r"^projects/([^/:]+)/secrets/([^/:]+)/versions/([^/:]+):enable$", "EnableSecretVersion",
     "secretmanager.versions.enable", set()),
    ("POST", r"^projects/([^/:]+)/secrets/([^/:]+)/versions/([^/:]+):disable$", "DisableSecretVersion",
     "secretmanager.versions.disable", set()),
    ("POST", r"^projects/([^/:]+)/secrets/([^/:]+)/versions/([^/:]+):destroy$", "DestroySecretVersion",
     "secretmanager.versions.destroy", set()),
]
UNIMPLEMENTED_RE = re.compile(r"^projects/[^/]+(/locations(/.*)?|/secrets/[^/]+:(getIamPolicy|setIamPolicy|"
                              r"testIamPermissions|enableManagedRotation|rotateSecret))$")


class ApiHandler(BaseHandler):
    server_version = "ESF"
    server_kind = "api"

    def base_url(self):
        host = (self.headers.get("Host") or "").strip().lower()
        for name in ("127.0.0.1", "localhost", "[::1]"):
            if host == "%s:%d" % (name, self.state.port):
                return "https://" + host
        return "https://127.0.0.1:%d" % self.state.port

    def route(self):
        p = self.req_path
        if p == "/token":
            return self.token_endpoint()
        if p.startswith("/v1/"):
            return self.secret_manager(p[len("/v1/"):])
        return self.send_html_404()

    # ------------------------------------------------------------ google.rpc.Status errors
    def gerr(self, http, status, message, details=None, headers=None):
        err = {"code": http, "message": message, "status": status}
        if details:
            err["details"] = details
        self.send_json(http, {"error": err}, headers)

    def error_info(self, reason, domain="googleapis.com", metadata=None):
        md = {"service": SM_SERVICE, "method": RPC_PREFIX + self.rpc} if domain == "googleapis.com" else {}
        md.update(metadata or {})
        return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain, "metadata": md}

    def bad(self, e):
        details = None
        if e.field and e.status == "INVALID_ARGUMENT":
            details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": e.field, "description": e.message}]}]
        return self.gerr(e.http, e.status, e.message, details)

    # ------------------------------------------------------------ OAuth token endpoint
    def oauth_error(self, status, error, description):
        self.send_json(status, {"error": error, "error_description": description})

    def token_endpoint(self):
        s = self.state
        if self.command != "POST":
            return self.oauth_error(405, "invalid_request", "Only POST is supported.")
        ctype = (self.headers.get("Content-Type") or "").lower()
        form = {}
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        grant = form.get("grant_type", "")
        self.log_extra["grant"] = grant if grant in (JWT_BEARER_GRANT, "refresh_token", "client_credentials") else (
            "other" if grant else "none")
        if grant != JWT_BEARER_GRANT:
            return self.oauth_error(400, "unsupported_grant_type", "Invalid grant_type: %s" % grant[:100])
        assertion = form.get("assertion")
        if not assertion:
            return self.oauth_error(400, "invalid_request", "Missing required parameter: assertion")
        claims, problem = self.verify_service_account_jwt(assertion, for_grant=True)
        if problem:
            return self.oauth_error(400, *problem)
        with s.lock:
            token = s.issue("oauth", claims["_scopes"])
        self.send_json(200, {"access_token": token, "expires_in": s.token_lifetime, "token_type": "Bearer"})

    def verify_service_account_jwt(self, jwt_text, for_grant):
        """Returns (claims, None) or (None, (error, description)) in the token endpoint's terms."""
        s = self.state
        parts = jwt_text.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
            if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None, ("invalid_grant", "Invalid JWT: Failed to parse the assertion.")
        if claims.get("iss") != s.sa["client_email"]:
            return None, ("invalid_grant", "Invalid grant: account not found")
        if header.get("kid") not in (None, s.sa["private_key_id"]) or \
                not s.key.verify_rs256((parts[0] + "." + parts[1]).encode("ascii"), signature):
            return None, ("invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or isinstance(iat, bool) \
                or exp - iat > 3600 or exp <= now or iat > now + 300 or exp <= iat:
            return None, ("invalid_grant", MSG_SHORT_LIVED)
        aud = claims.get("aud")
        scope_text = claims.get("scope")
        if for_grant:
            if aud not in (GOOGLE_TOKEN_AUD, self.base_url() + "/token", "https://127.0.0.1:%d/token" % s.port):
                return None, ("invalid_grant", "Invalid JWT: Failed audience check.")
            scopes = scope_text.split() if isinstance(scope_text, str) else []
            if not scopes or not all(x.startswith("https://www.googleapis.com/auth/") or x in ("openid", "email", "profile")
                                     for x in scopes):
                return None, ("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        else:
            if claims.get("sub") not in (None, s.sa["client_email"]):
                return None, ("invalid_grant", "Invalid grant: account not found")
            if isinstance(scope_text, str) and scope_text.split():
                scopes = scope_text.split()
            elif aud in SM_AUDIENCES:
                scopes = [CLOUD_PLATFORM]
            else:
                return None, ("invalid_grant", "Invalid JWT: Failed audience check.")
        claims["_scopes"] = scopes
        return claims, None

    # ------------------------------------------------------------ Secret Manager
    def authenticate(self):
        """Returns None when authorised, else sends the error and returns True."""
        s = self.state
        auth = self.headers.get("Authorization") or ""
        token = None
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            token = auth[7:].strip()
        elif not auth and self.query.get("access_token"):
            token = self.query["access_token"]
            self.auth_kind = "query"
        challenge = 'Bearer realm="https://accounts.google.com/"'
        if token is None:
            return self.gerr(401, "UNAUTHENTICATED", MSG_NO_CRED, [self.error_info("CREDENTIALS_MISSING")],
                             {"WWW-Authenticate": challenge}) or True
        invalid = {"WWW-Authenticate": challenge + ', error="invalid_token"'}
        with s.lock:
            rec = s.tokens.get(token)
            if rec is not None:
                self.log_extra["credential"] = rec["kind"]
                if rec["revoked"] or rec["exp"] <= time.time():
                    return self.gerr(401, "UNAUTHENTICATED", MSG_BAD_CRED, [self.error_info("ACCESS_TOKEN_EXPIRED")],
                                     invalid) or True
                scopes = rec["scopes"]
            elif token.count(".") == 2 and not token.startswith("ya29."):
                claims, problem = self.verify_service_account_jwt(token, for_grant=False)
                if problem is None and claims["iat"] < s.jwt_cutoff:
                    problem = ("expired", "")
                genuine = problem is None or problem[0] == "expired" or MSG_SHORT_LIVED in problem[1]
                self.log_extra["credential"] = "self-signed-jwt" if genuine else "invalid"
                if problem:
                    reason = "ACCESS_TOKEN_EXPIRED" if problem[0] == "expired" or MSG_SHORT_LIVED in problem[1] \
                        else "ACCESS_TOKEN_TYPE_UNSUPPORTED"
                    return self.gerr(401, "UNAUTHENTICATED", MSG_BAD_CRED, [self.error_info(reason)], invalid) or True
                scopes = claims["_scopes"]
            else:
                self.log_extra["credential"] = "invalid"
                return self.gerr(401, "UNAUTHENTICATED", MSG_BAD_CRED,
                                 [self.error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED")], invalid) or True
        if CLOUD_PLATFORM not in scopes:
            return self.gerr(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.",
                             [self.error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT")],
                             {"WWW-Authenticate": challenge + ', error="insufficient_scope", scope="%s"' % CLOUD_PLATFORM}) \
                or True
        return None

    def secret_manager(self, sub):
        s = self.state
        match = None
        for method, rx, rpc, perm, allowed in SM_ROUTES:
            m = re.match(rx, sub)
            if m and method == self.command:
                match = (m, rpc, perm, allowed)
                break
        if match is None:
            if UNIMPLEMENTED_RE.match(sub):
                self.rpc = "Unimplemented"
                if self.authenticate():
                    return
                return self.gerr(501, "UNIMPLEMENTED", "Method not implemented by the Aegis fake.")
            return self.send_html_404()
        m, self.rpc, perm, allowed = match
        if self.authenticate():
            return
        # query parameters
        alt = self.query.get("$alt", self.query.get("alt", "json"))
        if alt not in ("json", "json;enum-encoding=int"):
            return self.gerr(400, "INVALID_ARGUMENT", "Invalid value for $alt: %s (the fake serves json only)." % alt[:50])
        self.int_enums = alt == "json;enum-encoding=int"
        for k in self.query_multi:
            if k not in allowed and k not in COMMON_QUERY:
                return self.gerr(400, "INVALID_ARGUMENT",
                                 "Invalid JSON payload received. Unknown name \"%s\": Cannot bind query parameter. "
                                 "Field '%s' could not be found in request message." % (k[:100], k[:100]),
                                 [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                   "fieldViolations": [{"description": "Invalid JSON payload received. Unknown name "
                                                                       "\"%s\": Cannot bind query parameter." % k[:100]}]}])
        groups = [unquote(g) for g in m.groups()]
        project = s.project_of(groups[0])
        if project is None:
            return self.gerr(403, "PERMISSION_DENIED", "Permission '%s' denied on resource (or it may not exist)." % perm,
                             [self.error_info("IAM_PERMISSION_DENIED", "iam.googleapis.com", {"permission": perm})])
        try:
            body = self.parse_body()
            with s.lock:
                handler = getattr(self, "rpc_" + self.rpc)
                result = handler(project, *groups[1:], body=body)
        except BadRequest as e:
            return self.bad(e)
        self.send_json(200, result)

    def parse_body(self):
        if self.command in ("GET", "DELETE") or not self.body.strip():
            return {}
        try:
            body = json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("Invalid JSON payload received. Unexpected token.")
        if not isinstance(body, dict):
            raise BadRequest("Invalid JSON payload received. Expected an object.")
        return body

    # --- names and lookups
    def secret_name(self, project, sid):
        return "projects/%s/secrets/%s" % (self.state.projects[project], sid)

    def check_secret_id(self, project, sid):
        if not SECRET_ID_RE.match(sid):
            raise BadRequest("Resource ID [%s] is not in a valid format." % self.secret_name(project, sid)[:400])

    def get_secret(self, project, sid):
        self.check_secret_id(project, sid)
        sec = self.state.secrets.get((project, sid))
        if sec is None:
            raise BadRequest("Secret [%s] not found." % self.secret_name(project, sid), "NOT_FOUND", 404)
        return sec

    def resolve_version(self, project, sid, ref, for_access=False):
        """Find a version by number, `latest` or alias."""
        sec = self.state.secrets.get((project, sid)) if SECRET_ID_RE.match(sid) else None
        self.check_secret_id(project, sid)
        name = self.secret_name(project, sid)
        if sec is None or (ref == "latest" and not sec["versions"]):
            raise BadRequest("Secret [%s] not found or has no versions." % name if (for_access or ref == "latest")
                             else "Secret [%s] not found." % name, "NOT_FOUND", 404)
        if ref == "latest":
            return sec, sec["versions"][-1]
        if VERSION_NUM_RE.match(ref):
            n = int(ref)
        elif ref in sec["aliases"]:
            n = sec["aliases"][ref]
        elif ALIAS_RE.match(ref):
            raise BadRequest("Secret Version [%s/versions/%s] not found." % (name, ref), "NOT_FOUND", 404)
        else:
            raise BadRequest("Resource ID [%s/versions/%s] is not in a valid format." % (name, ref[:100]))
        for v in sec["versions"]:
            if v["number"] == n:
                return sec, v
        raise BadRequest("Secret Version [%s/versions/%s] not found." % (name, n), "NOT_FOUND", 404)

    # --- JSON shapes
    def secret_json(self, sec):
        d = {"name": self.secret_name(sec["project"], sec["id"]), "replication": sec["replication"],
             "createTime": rfc3339(sec["created"])}
        if sec["labels"]:
            d["labels"] = dict(sec["labels"])
        d["etag"] = sec["etag"]
        if sec["aliases"]:
            d["versionAliases"] = {k: str(v) for k, v in sec["aliases"].items()}
        if sec["annotations"]:
            d["annotations"] = dict(sec["annotations"])
        return d

    def version_json(self, sec, v, int_enums=None):
        int_enums = self.int_enums if int_enums is None else int_enums
        d = {"name": "%s/versions/%d" % (self.secret_name(sec["project"], sec["id"]), v["number"]),
             "createTime": rfc3339(v["created"])}
        if v["destroyed"] is not None:
            d["destroyTime"] = rfc3339(v["destroyed"])
        d["state"] = STATES[v["state"]] if int_enums else v["state"]
        if "userManaged" in sec["replication"]:
            d["replicationStatus"] = {"userManaged": {"replicas": [
                {"location": r["location"]} for r in sec["replication"]["userManaged"]["replicas"]]}}
        else:
            d["replicationStatus"] = {"automatic": {}}
        d["etag"] = v["etag"]
        if v["client_crc"]:
            d["clientSpecifiedPayloadChecksum"] = True
        return d

    # --- validation of Secret fields
    def parse_replication(self, value):
        rep = normalize_keys(value, {"automatic", "userManaged"}, "secret.replication")
        if len(rep) != 1:
            raise BadRequest("Secret.replication must set exactly one of automatic or userManaged.",
                             field="secret.replication")
        if "automatic" in rep:
            auto = normalize_keys(rep["automatic"] or {}, {"customerManagedEncryption"}, "secret.replication.automatic")
            if auto:
                raise BadRequest("customerManagedEncryption is not supported by the Aegis fake.")
            return {"automatic": {}}
        um = normalize_keys(rep["userManaged"] or {}, {"replicas"}, "secret.replication.user_managed")
        replicas = um.get("replicas")
        if not isinstance(replicas, list) or not replicas:
            raise BadRequest("Secret.replication.user_managed.replicas must not be empty.",
                             field="secret.replication.user_managed.replicas")
        out = []
        for r in replicas:
            r = normalize_keys(r, {"location", "customerManagedEncryption"}, "secret.replication.user_managed.replicas")
            if not isinstance(r.get("location"), str) or not re.match(r"^[a-z]+-[a-z]+[0-9]+$", r["location"]):
                raise BadRequest("Invalid replica location.", field="secret.replication.user_managed.replicas.location")
            out.append({"location": r["location"]})
        return {"userManaged": {"replicas": out}}

    def parse_labels(self, value):
        if not isinstance(value, dict) or len(value) > 64:
            raise BadRequest("Secret.labels must be a map of at most 64 entries.", field="secret.labels")
        for k, v in value.items():
            if not isinstance(k, str) or not LABEL_KEY_RE.match(k) or not isinstance(v, str) or not LABEL_VALUE_RE.match(v):
                raise BadRequest("Invalid label: keys [a-z][a-z0-9_-]{0,62}, values [a-z0-9_-]{0,63}.",
                                 field="secret.labels")
        return dict(value)

    def parse_annotations(self, value):
        if not isinstance(value, dict):
            raise BadRequest("Secret.annotations must be a map.", field="secret.annotations")
        size = 0
        for k, v in value.items():
            if not isinstance(k, str) or not ANNOTATION_KEY_RE.match(k) or not isinstance(v, str):
                raise BadRequest("Invalid annotation key.", field="secret.annotations")
            size += len(k.encode()) + len(v.encode())
        if size >= 16 * 1024:
            raise BadRequest("The total size of annotation keys and values must be less than 16KiB.",
                             field="secret.annotations")
        return dict(value)

    def parse_aliases(self, value, sec):
        if not isinstance(value, dict):
            raise BadRequest("Secret.version_aliases must be a map.", field="secret.version_aliases")
        if len(value) > 50:
            raise BadRequest("No more than 50 aliases can be assigned to a secret.", field="secret.version_aliases")
        out = {}
        name = self.secret_name(sec["project"], sec["id"]) if sec else None
        for alias, num in value.items():
            if not isinstance(alias, str) or not ALIAS_RE.match(alias) or alias in ("latest", "NEW"):
                raise BadRequest("Invalid version alias [%s]: it must start with a letter, contain only letters, "
                                 "numerals, '-' and '_', be at most 63 characters and not be 'latest' or 'NEW'."
                                 % str(alias)[:80], field="secret.version_aliases")
            try:
                n = parse_int64(num)
            except ValueError:
                raise BadRequest("Invalid value at 'secret.version_aliases[%s]' (TYPE_INT64)." % alias,
                                 field="secret.version_aliases")
            target = None
            for v in (sec["versions"] if sec else []):
                if v["number"] == n:
                    target = v
            if target is None:
                raise BadRequest("Version alias [%s] refers to a version that does not exist: %s/versions/%d."
                                 % (alias, name or "projects/-/secrets/-", n), field="secret.version_aliases")
            if target["state"] == "DESTROYED":
                raise BadRequest("Version alias [%s] cannot refer to Secret Version [%s/versions/%d]: it is in "
                                 "DESTROYED state." % (alias, name, n), "FAILED_PRECONDITION")
            out[alias] = n
        return out

    SECRET_FIELDS = {"name", "replication", "createTime", "labels", "topics", "expireTime", "ttl", "etag", "rotation",
                     "versionAliases", "annotations", "versionDestroyTtl", "customerManagedEncryption", "tags",
                     "secretType", "policyMember"}
    UNSUPPORTED_FIELDS = {"topics", "expireTime", "ttl", "rotation", "versionDestroyTtl", "customerManagedEncryption",
                          "tags", "secretType", "policyMember"}

    # --- RPCs
    def rpc_CreateSecret(self, project, body):
        s = self.state
        sid = self.query.get("secretId", self.query.get("secret_id", ""))
        if not sid:
            raise BadRequest("The secret_id field is required.", field="secret_id")
        self.check_secret_id(project, sid)
        fields = normalize_keys(body, self.SECRET_FIELDS, "secret")
        for k in fields:
            if k in self.UNSUPPORTED_FIELDS and fields[k] not in (None, {}, [], ""):
                raise BadRequest("Secret.%s is not supported by the Aegis fake." % k, field="secret." + k)
        if not fields.get("replication"):
            raise BadRequest("Secret.replication is required.", field="secret.replication")
        replication = self.parse_replication(fields["replication"])
        labels = self.parse_labels(fields.get("labels") or {})
        annotations = self.parse_annotations(fields.get("annotations") or {})
        if fields.get("versionAliases"):
            self.parse_aliases(fields["versionAliases"], None)  # no versions yet: any alias is refused
        if (project, sid) in s.secrets:
            raise BadRequest("Secret [%s] already exists." % self.secret_name(project, sid), "ALREADY_EXISTS", 409)
        sec = {"project": project, "id": sid, "replication": replication, "created": now_utc(), "labels": labels,
               "annotations": annotations, "aliases": {}, "etag": s.etag(), "versions": []}
        s.secrets[(project, sid)] = sec
        return self.secret_json(sec)

    def page(self, items, kind, parent):
        raw = self.query.get("pageSize", self.query.get("page_size"))
        try:
            size = int(raw) if raw not in (None, "") else 0
        except ValueError:
            raise BadRequest("Invalid value at 'page_size' (TYPE_INT32), \"%s\"" % raw[:40], field="page_size")
        if size < 0:
            raise BadRequest("page_size must not be negative.", field="page_size")
        size = min(size or self.state.page_size, MAX_PAGE)
        offset = 0
        tok = self.query.get("pageToken", self.query.get("page_token", ""))
        expect = "%s|%s|%s" % (kind, parent, self.query.get("filter", ""))
        if tok:
            try:
                text = b64url_decode(tok).decode("utf-8")
                head, _, num = text.rpartition("|")
                if head != expect:
                    raise ValueError
                offset = int(num)
            except Exception:
                raise BadRequest("The page token is invalid.", field="page_token")
        chunk = items[offset: offset + size]
        nxt = None
        if offset + size < len(items):
            nxt = b64url(("%s|%d" % (expect, offset + size)).encode("utf-8"))
        return chunk, nxt

    @staticmethod
    def filter_terms(text):
        text = (text or "").strip()
        if not text:
            return []
        terms = [t for t in re.split(r"\s+", text) if t and t != "AND"]
        for t in terms:
            if t in ("OR", "NOT") or t.startswith("-") or t.startswith("("):
                raise BadRequest("Unsupported filter: only AND-ed field:value / field=value terms are supported by "
                                 "the Aegis fake.", field="filter")
        out = []
        for t in terms:
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_.-]*)(:|=)(.*)$", t)
            if not m:
                raise BadRequest("Invalid filter: %s" % t[:100], field="filter")
            out.append((m.group(1), m.group(2), m.group(3).strip('"')))
        return out

    def rpc_ListSecrets(self, project, body):
        s = self.state
        terms = self.filter_terms(self.query.get("filter"))
        items = []
        for (p, sid), sec in sorted(s.secrets.items(), key=lambda kv: kv[0][1]):
            if p != project:
                continue
            keep = True
            for field, op, value in terms:
                if field == "name":
                    keep = keep and value in sid
                elif field.startswith("labels."):
                    key = field[len("labels."):]
                    have = sec["labels"].get(key)
                    keep = keep and have is not None and (value == "*" if op == ":" and value == "*" else
                                                          (have == value if op == "=" else value in have))
                else:
                    raise BadRequest("Invalid filter field: %s" % field[:100], field="filter")
            if keep:
                items.append(self.secret_json(sec))
        chunk, nxt = self.page(items, "secrets", project)
        out = {"secrets": chunk} if chunk else {}
        if nxt:
            out["nextPageToken"] = nxt
        out["totalSize"] = len(items)
        return out

    def rpc_GetSecret(self, project, sid, body):
        return self.secret_json(self.get_secret(project, sid))

    def rpc_UpdateSecret(self, project, sid, body):
        s = self.state
        sec = self.get_secret(project, sid)
        fields = normalize_keys(body, self.SECRET_FIELDS, "secret")
        mask_text = self.query.get("updateMask", self.query.get("update_mask", ""))
        paths = [to_camel(x.strip()) for x in mask_text.split(",") if x.strip()]
        if not paths:
            raise BadRequest("The update_mask field is required.", field="update_mask")
        if fields.get("etag") and fields["etag"] != sec["etag"]:
            raise BadRequest("The etag provided in the request does not match the etag of Secret [%s]."
                             % self.secret_name(project, sid), "FAILED_PRECONDITION")
        new = {}
        for path in paths:
            if path == "labels":
                new["labels"] = self.parse_labels(fields.get("labels") or {})
            elif path == "annotations":
                new["annotations"] = self.parse_annotations(fields.get("annotations") or {})
            elif path == "versionAliases":
                new["aliases"] = self.parse_aliases(fields.get("versionAliases") or {}, sec)
            elif path == "replication":
                raise BadRequest("Secret.replication is immutable and cannot be updated.", field="update_mask")
            elif path in self.UNSUPPORTED_FIELDS:
                raise BadRequest("Updating Secret.%s is not supported by the Aegis fake." % path, field="update_mask")
            else:
                raise BadRequest("Invalid update_mask path: %s" % path[:100], field="update_mask")
        sec.update(new)
        sec["etag"] = s.etag()
        return self.secret_json(sec)

    def rpc_DeleteSecret(self, project, sid, body):
        sec = self.get_secret(project, sid)
        etag = self.query.get("etag")
        if etag and etag != sec["etag"]:
            raise BadRequest("The etag provided in the request does not match the etag of Secret [%s]."
                             % self.secret_name(project, sid), "FAILED_PRECONDITION")
        del self.state.secrets[(project, sid)]
        return {}

    def rpc_AddSecretVersion(self, project, sid, body):
        s = self.state
        sec = self.get_secret(project, sid)
        fields = normalize_keys(body, {"parent", "payload"}, "")
        if "parent" in fields and fields["parent"] not in (self.secret_name(project, sid), "projects/%s/secrets/%s"
                                                           % (project, sid)):
            raise BadRequest("The parent in the body does not match the URL.", field="parent")
        payload = normalize_keys(fields.get("payload") or {}, {"data", "dataCrc32c"}, "payload")
        try:
            data = decode_b64_any(payload.get("data", ""))
        except (ValueError, binascii.Error):
            raise BadRequest("Invalid value at 'payload.data' (TYPE_BYTES), Base64 decoding failed.",
                             field="payload.data")
        if len(data) > MAX_PAYLOAD:
            raise BadRequest("Secret payload data exceeds the maximum size of %d bytes." % MAX_PAYLOAD,
                             field="payload.data")
        actual = crc32c(data)
        client_crc = "dataCrc32c" in payload and payload["dataCrc32c"] is not None
        if client_crc:
            try:
                given = parse_int64(payload["dataCrc32c"])
            except ValueError:
                raise BadRequest("Invalid value at 'payload.data_crc32c' (TYPE_INT64).", field="payload.data_crc32c")
            if given != actual:
                raise BadRequest("Checksum mismatch: data_crc32c does not match the CRC32C of the payload data.",
                                 field="payload.data_crc32c")
        number = max([v["number"] for v in sec["versions"]], default=0) + 1
        v = {"number": number, "data": data, "crc": actual, "client_crc": client_crc, "state": "ENABLED",
             "created": now_utc(), "destroyed": None, "etag": s.etag()}
        sec["versions"].append(v)
        return self.version_json(sec, v)

    def rpc_ListSecretVersions(self, project, sid, body):
        sec = self.get_secret(project, sid)
        terms = self.filter_terms(self.query.get("filter"))
        items = []
        for v in reversed(sec["versions"]):
            keep = True
            for field, op, value in terms:
                if field == "state":
                    if value.upper() not in STATES:
                        raise BadRequest("Invalid filter: unknown state %s" % value[:40], field="filter")
                    keep = keep and v["state"] == value.upper()
                elif field == "name":
                    keep = keep and value in "%s/versions/%d" % (self.secret_name(project, sid), v["number"])
                else:
                    raise BadRequest("Invalid filter field: %s" % field[:100], field="filter")
            if keep:
                items.append(self.version_json(sec, v))
        chunk, nxt = self.page(items, "versions", project + "/" + sid)
        out = {"versions": chunk} if chunk else {}
        if nxt:
            out["nextPageToken"] = nxt
        out["totalSize"] = len(items)
        return out

    def rpc_GetSecretVersion(self, project, sid, ref, body):
        sec, v = self.resolve_version(project, sid, ref)
        return self.version_json(sec, v)

    def state_error(self, sec, v):
        return BadRequest("Secret Version [%s/versions/%d] is in %s state."
                          % (self.secret_name(sec["project"], sec["id"]), v["number"], v["state"]), "FAILED_PRECONDITION")

    def rpc_AccessSecretVersion(self, project, sid, ref, body):
        sec, v = self.resolve_version(project, sid, ref, for_access=True)
        if v["state"] != "ENABLED":
            raise self.state_error(sec, v)
        return {"name": "%s/versions/%d" % (self.secret_name(project, sid), v["number"]),
                "payload": {"data": base64.b64encode(v["data"]).decode("ascii"), "dataCrc32c": str(v["crc"])}}

    def change_state(self, project, sid, ref, body, target):
        sec, v = self.resolve_version(project, sid, ref)
        fields = normalize_keys(body, {"name", "etag"}, "")
        if fields.get("etag") and fields["etag"] != v["etag"]:
            raise BadRequest("The etag provided in the request does not match the etag of Secret Version "
                             "[%s/versions/%d]." % (self.secret_name(project, sid), v["number"]), "FAILED_PRECONDITION")
        if v["state"] == "DESTROYED":
            raise self.state_error(sec, v)
        if target == "DESTROYED":
            v["data"] = b""
            v["destroyed"] = now_utc()
        if v["state"] != target or target == "DESTROYED":
            v["state"] = target
            v["etag"] = self.state.etag()
        return self.version_json(sec, v)

    def rpc_EnableSecretVersion(self, project, sid, ref, body):
        return self.change_state(project, sid, ref, body, "ENABLED")

    def rpc_DisableSecretVersion(self, project, sid, ref, body):
        return self.change_state(project, sid, ref, body, "DISABLED")

    def rpc_DestroySecretVersion(self, project, sid, ref, body):
        return self.change_state(project, sid, ref, body, "DESTROYED")

    # ------------------------------------------------------------ control API
    def route_control(self):
        s = self.state
        p = self.req_path
        try:
            body = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return self.send_json(400, {"error": "body is not JSON"})
        if body is None:
            body = {}
        if not isinstance(body, dict) and self.command == "POST":
            return self.send_json(400, {"error": "body must be a JSON object"})
        with s.lock:
            if p == "/_fake/tokens" and self.command == "POST":
                scopes = body.get("scopes", [CLOUD_PLATFORM])
                if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
                    return self.send_json(400, {"error": "scopes must be a list of strings"})
                token = s.issue("static", scopes)
                return self.send_json(201, {"access_token": token, "expires_in": s.token_lifetime,
                                            "token_type": "Bearer"})
            if p == "/_fake/expire-tokens" and self.command == "POST":
                n = 0
                for rec in s.tokens.values():
                    if not rec["revoked"]:
                        rec["revoked"] = True
                        n += 1
                s.jwt_cutoff = int(time.time())
                return self.send_json(200, {"revoked": n})
            m = re.match(r"^/_fake/secrets/([^/]+)/([^/]+)$", p)
            if m and self.command == "GET":
                project = s.project_of(m.group(1))
                sec = s.secrets.get((project, m.group(2))) if project else None
                if sec is None:
                    return self.send_json(404, {"error": "no such secret"})
                versions = []
                for v in sec["versions"]:
                    if v["state"] == "DESTROYED":
                        value, enc = None, None
                    else:
                        try:
                            value, enc = v["data"].decode("utf-8"), "utf-8"
                        except UnicodeDecodeError:
                            value, enc = base64.b64encode(v["data"]).decode("ascii"), "base64"
                    versions.append({"number": v["number"], "state": v["state"], "value": value, "encoding": enc,
                                     "createTime": rfc3339(v["created"]),
                                     "destroyTime": rfc3339(v["destroyed"]) if v["destroyed"] else None,
                                     "dataCrc32c": str(v["crc"]), "clientSpecifiedPayloadChecksum": v["client_crc"]})
                self.int_enums = False
                return self.send_json(200, {"secret": self.secret_json(sec), "versions": versions})
            if p == "/_fake/projects" and self.command == "GET":
                return self.send_json(200, [{"projectId": k, "projectNumber": v} for k, v in s.projects.items()])
            if p == "/_fake/service-account" and self.command == "GET":
                return self.send_json(200, {k: s.sa[k] for k in ("client_email", "private_key_id", "token_uri",
                                                                 "project_id")})
            if p == "/_fake/fail" and self.command == "POST":
                try:
                    rule = {"method": str(body.get("method") or "*").upper(), "path_prefix": str(body["path_prefix"]),
                            "status": int(body["status"]), "count": int(body.get("count", 1)),
                            "retry_after": None if body.get("retry_after") is None else int(body["retry_after"]),
                            "grpc_status": None if body.get("grpc_status") is None else str(body["grpc_status"])}
                except (KeyError, TypeError, ValueError):
                    return self.send_json(400, {"error": "need path_prefix, status (400..599), count"})
                if not 400 <= rule["status"] <= 599 or rule["count"] < 1 or not rule["path_prefix"].startswith("/") \
                        or rule["path_prefix"].startswith("/_fake"):
                    return self.send_json(400, {"error": "need path_prefix (not /_fake), status (400..599), count >= 1"})
                s.fail_rules.append(rule)
                return self.send_json(201, {"ok": True})
            if p == "/_fake/requests":
                if self.command == "GET":
                    return self.send_json(200, list(s.requests))
                if self.command == "DELETE":
                    s.requests.clear()
                    return self.send_json(204, None)
        return self.send_json(404, {"error": "unknown control endpoint"})


# ---------------------------------------------------------------- the plain-http metadata server

class MetadataHandler(BaseHandler):
    server_version = "Metadata Server for VM"
    server_kind = "metadata"

    def mtext(self, status, text, ctype="application/text"):
        self.send_text(status, text, ctype, {"Metadata-Flavor": "Google", "X-XSS-Protection": "0",
                                             "X-Frame-Options": "SAMEORIGIN"})

    def mjson(self, obj):
        self.send_raw(200, json.dumps(obj).encode("utf-8"), "application/json",
                      {"Metadata-Flavor": "Google", "X-XSS-Protection": "0", "X-Frame-Options": "SAMEORIGIN"})

    def m404(self):
        self.mtext(404, "<!DOCTYPE html>\n<html lang=en>\n  <title>Error 404 (Not Found)!!1</title>\n  <p>The requested "
                        "URL <code>%s</code> was not found on this server.\n" % html_escape(self.req_path),
                   "text/html; charset=UTF-8")

    def route(self):
        s = self.state
        p = self.req_path
        if self.command not in ("GET", "HEAD"):
            return self.mtext(405, "Method not allowed\n", "text/plain; charset=UTF-8")
        if p == "/":
            return self.mtext(200, "computeMetadata/\n")
        if not (p == "/computeMetadata/v1" or p.startswith("/computeMetadata/v1/")):
            return self.m404()
        if self.headers.get("X-Forwarded-For") is not None or self.headers.get("Metadata-Flavor") != "Google":
            return self.mtext(403, "<!DOCTYPE html>\n<html lang=en>\n  <title>Error 403 (Forbidden)!!1</title>\n  <p>Your "
                                   "client does not have permission to get URL <code>%s</code> from this server. Missing "
                                   "Metadata-Flavor:Google header.\n" % html_escape(p), "text/html; charset=UTF-8")
        rest = p[len("/computeMetadata/v1"):].lstrip("/")
        project = next(iter(s.projects))
        email = s.sa["client_email"]
        recursive = self.query.get("recursive", "").lower() == "true"
        if rest == "project/project-id":
            return self.mtext(200, project)
        if rest == "project/numeric-project-id":
            return self.mtext(200, s.projects[project])
        if rest == "universe/universe-domain":
            return self.mtext(200, "googleapis.com")
        if rest == "instance/id":
            return self.mtext(200, "4520031799277581759")
        if rest == "instance/zone":
            return self.mtext(200, "projects/%s/zones/us-central1-a" % s.projects[project])
        if rest in ("instance/service-accounts", "instance/service-accounts/"):
            return self.mtext(200, "default/\n%s/\n" % email)
        m = re.match(r"^instance/service-accounts/([^/]+)(/(.*))?$", rest)
        if m and m.group(1) in ("default", email):
            leaf = m.group(3)
            if leaf in (None, ""):
                if recursive:
                    return self.mjson({"aliases": ["default"], "email": email, "scopes": [CLOUD_PLATFORM]})
                return self.mtext(200, "aliases\nemail\nidentity\nscopes\ntoken\n")
            if leaf == "email":
                return self.mtext(200, email)
            if leaf == "aliases":
                return self.mtext(200, "default\n")
            if leaf == "scopes":
                return self.mtext(200, CLOUD_PLATFORM + "\n")
            if leaf == "token":
                raw = self.query.get("scopes", "")
                scopes = [x for x in re.split(r"[,\s]+", raw) if x] if raw else [CLOUD_PLATFORM]
                with s.lock:
                    token = s.issue("metadata", scopes)
                return self.mjson({"access_token": token, "expires_in": s.token_lifetime, "token_type": "Bearer"})
        return self.m404()


# ---------------------------------------------------------------- servers and main

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        # One line, no request data: TLS failures from clients that reject the CA land here.
        exc = sys.exc_info()[1]
        sys.stderr.write("gcp_fake: connection error %s\n" % type(exc).__name__)
        sys.stderr.flush()


def write_service_account(state, cert_dir):
    project = next(iter(state.projects))
    state.key = RsaKey(cert_dir)
    email = "aegis-rotate@%s.iam.gserviceaccount.com" % project
    sa = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": state.key.private_pem,
        "client_email": email,
        "client_id": str(100000000000000000000 + secrets.randbelow(899999999999999999999)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://127.0.0.1:%d/token" % state.port,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/%s" % email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }
    path = os.path.join(cert_dir, "service-account.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(sa, f, indent=2)
    state.sa = sa


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert-dir", required=True)
    ap.add_argument("--project", action="append", default=None)
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--token-lifetime", type=int, default=3599)
    args = ap.parse_args()
    projects = args.project or ["aegis-fake-project"]
    if not all(PROJECT_ID_RE.match(p) for p in projects) or len(set(projects)) != len(projects):
        ap.error("--project must be distinct project ids ([a-z][a-z0-9-]{4,28}[a-z0-9])")
    if not 1 <= args.page_size <= MAX_PAGE or args.token_lifetime < 1:
        ap.error("--page-size 1..25000, --token-lifetime >= 1")

    _, srv_pem, srv_key = make_certificates(args.cert_dir, 'Aegis Rotate fake GCP CA')
    state = State(projects, args.page_size, args.token_lifetime)
    BaseHandler.state = state

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(srv_pem, srv_key)
    ctx.set_alpn_protocols(["http/1.1"])

    api = Server(("127.0.0.1", 0), ApiHandler)
    api.socket = ctx.wrap_socket(api.socket, server_side=True, do_handshake_on_connect=False)
    state.port = api.server_address[1]
    meta = Server(("127.0.0.1", 0), MetadataHandler)
    state.metadata_port = meta.server_address[1]
    write_service_account(state, args.cert_dir)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin():
        # os.read on the raw fd: a daemon thread parked in a *buffered* read holds the
        # BufferedReader lock and makes interpreter shutdown abort.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
    for srv, name in ((api, "serve-api"), (meta, "serve-metadata")):
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True).start()
    sys.stdout.write("LISTENING %d\nMETADATA %d\n" % (state.port, state.metadata_port))
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    api.shutdown()
    meta.shutdown()
    api.server_close()
    meta.server_close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for daemon threads (handlers, stdin watcher) at shutdown
