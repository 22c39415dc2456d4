#!/usr/bin/env python3
"""In-repo fake of the Okta API surface Aegis Rotate uses: SSWS API tokens (users/me, API token
metadata, revoke by id / current) and an OAuth 2.0 service app with private_key_jwt (app JWKS
lifecycle + the org authorization server's /oauth2/v1/token). Python 3 stdlib + ``cryptography``.

Run:  python3 okta_fake.py [--ignore-stdin]
  Binds 127.0.0.1 on port 0 and prints exactly one line, ``LISTENING <port>`` (flushed).
  Serves until SIGTERM, or until its standard input reaches EOF (keep stdin a pipe: a killed
  parent closes it and the fake exits; started with stdin=/dev/null it exits at once).
  ``--ignore-stdin`` disables the EOF watch (manual use only).
  stderr gets one line per request: ``okta_fake: <METHOD> <path> <status>`` (no query string, no
  headers, no bodies, never a token value or an assertion).
  orgUrl for an SDK/adapter: ``http://127.0.0.1:<port>`` (no trailing slash). Okta SDKs refuse
  http unless told otherwise (Python SDK: env OKTA_TESTING_TESTINGDISABLEHTTPSCHECK=true).

Verified against (see the report that came with this file for details):
  * the official ``okta`` Python SDK 3.4.6 (site-packages: request_executor.py, api_client.py,
    configuration.py, http_client.py, oauth.py, jwt.py, api/api_token_api.py,
    api/application_sso_public_keys_api.py, api/user_api.py, api_response.py, pagination.py);
  * Okta's management OpenAPI spec 5.1.0 as shipped in okta/okta-sdk-python (openapi/api.yaml)
    and the older openapi/management.yaml (which still lists after/limit/q for api-tokens);
  * real Okta responses recorded in okta/okta-sdk-python tests/integration/cassettes (headers,
    bodies, the 404 wording, the 429 body/headers, the 204 headers, Link headers);
  * Okta support articles (client_assertion error texts) and developer docs (JWT claims rules).
  Items marked [fake] are this fake's own choice where no source was found.

HTTP / headers common to every /api/v1 and /oauth2 response
------------------------------------------------------------
  HTTP/1.1 (keep-alive). ``Date`` (RFC 7231, GMT, correct clock: the SDK's rate-limit backoff is
  computed from it), ``Server: okta-fake``, ``X-Okta-Request-Id: <32 hex>``,
  ``X-Rate-Limit-Limit: <N>`` (config rate_limit_limit, default 600),
  ``X-Rate-Limit-Remaining`` (counts down per 60 s window, never enforced [fake]: only
  /_fake/fail produces 429s), ``X-Rate-Limit-Reset: <epoch seconds of window end>``,
  ``Cache-Control: no-cache, no-store``, ``Pragma: no-cache``, ``Expires: 0``.
  A body, when present, is JSON with ``Content-Type: application/json``.
  204 responses have NO Content-Type, NO Content-Length and no body (as real Okta's DELETE 204s).

Error body (Okta management API), always:
  {"errorCode": "E00000xx", "errorSummary": str, "errorLink": "E00000xx",
   "errorId": "oae" + 22 random chars, "errorCauses": [{"errorSummary": str}, ...]}
  E0000011 401 "Invalid token provided"              missing/unknown/revoked/expired credential
  E0000006 403 "You do not have permission to perform the requested action"
  E0000007 404 "Not found: Resource not found: <id> (<Type>)"  Type = Token | JsonWebKey [fake
                                                     wording] | AppInstance [fake] | User [fake]
  E0000001 400 "Api validation failed: JsonWebKey"   + errorCauses (see JWKS below)
  E0000003 400 "The request body was not well-formed."
  E0000008 404 "The requested path was not found"    unknown /api/v1 path
  E0000022 405 "The endpoint does not support the provided HTTP method"   (known path, other method;
                                                     e.g. PUT api-tokens/{id}, real in Okta, is not emulated)
  E0000047 429 "API call exceeded rate limit due to too many requests."  (only via /_fake/fail)
  E0000009 5xx "Internal Server Error"                (only via /_fake/fail)

Authentication on /api/v1/*
  * ``Authorization: SSWS <token>`` (documented form) AND ``SSWS<token>`` (no space) are both
    accepted. The Python SDK 3.4.6 really sends BOTH: generated API methods put
    ``configuration.authorization_mode + access_token`` = ``SSWS00ab...`` (no space) in the header
    (configuration.py auth_settings "oauth2"); its RequestExecutor default header (used for raw
    executor requests and pagination) is ``SSWS 00ab...`` (with a space). The request log records
    which form was used (``ssws_space``).
  * ``Authorization: Bearer <access_token>`` for access tokens minted by this fake's
    /oauth2/v1/token. Scopes are enforced as the spec's security blocks say: GET api-tokens needs
    okta.apiTokens.read, DELETE api-tokens/{id} needs okta.apiTokens.manage, GET users/{id} needs
    okta.users.read, GET jwks needs okta.apps.read, POST/DELETE jwks and lifecycle need
    okta.apps.manage (X.manage implies X.read [fake]); missing scope -> 403 E0000006
    + ``WWW-Authenticate: Bearer ... error="insufficient_scope"``. Unknown/expired bearer -> 401
    E0000011 + ``WWW-Authenticate: Bearer ... error="invalid_token"`` [header wording: fake].
    A bearer token is the service app, not a user: GET /api/v1/users/me -> 404 E0000007
    "... me (User)" [fake; unverified], DELETE /api/v1/api-tokens/current -> 403 E0000006 (the
    spec allows only apiToken security there), GET /api/v1/api-tokens/current -> 404.
  * Scheme names are matched case-insensitively [fake]. Anything else -> 401 E0000011.
  * Every successful SSWS authentication refreshes the token's lastUpdated and sets
    expiresAt = lastUpdated + 30 days (tokenWindow "P30D"), as in the recorded responses.

Users: each console-made token belongs to a user. ``admin: true`` -> the user is a super admin
  (may list/get/revoke every token, manage every app's JWKS). ``admin: false`` -> a non-super
  admin: users/me works, list shows only its own tokens, get/revoke of another user's token ->
  403 E0000006, any /apps endpoint -> 403 E0000006 [fake simplification of Okta's roles].

GET /api/v1/users/me             (SSWS)  200 user of the token:
  {"id": "00u...", "status": "ACTIVE", "created", "activated", "statusChanged", "lastLogin",
   "lastUpdated", "passwordChanged", "type": {"id": "oty..."},
   "profile": {"firstName", "lastName", "mobilePhone": null, "secondEmail": null, "login",
               "email"},
   "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
   "_links": {"self": {"href": "<base>/api/v1/users/<id>"}}}
GET /api/v1/users/{id|login}     (SSWS) same object; super admin: any user, else only itself.

API token object (as recorded from real Okta; NOTE the spec names it ``_link`` but real
responses carry ``_links``):
  {"id": "00T" + 17 chars, "name", "userId": "00u...", "clientName": "Okta API",
   "tokenWindow": "P30D", "network": {"connection": "ANYWHERE"},
   "expiresAt", "created", "lastUpdated"   (ISO-8601 UTC with milliseconds, "....000Z"),
   "_links": {"self": {"href": "<base>/api/v1/api-tokens/<id>", "hints": {"allow": ["GET","DELETE"]}},
              "user": {"href": "<base>/api/v1/users/<userId>", "hints": {"allow": ["GET"]}}}}
  Token VALUES are never returned by any /api/v1 endpoint (only by POST /_fake/tokens).

GET /api/v1/api-tokens?limit=N&after=ID&q=S      200 [token, ...]   (active tokens only)
  Order: creation order. limit default = config page_size_default (20, Okta's default), clamped
  to 1..200; a non-integer limit -> 400 E0000001 [fake]. ``after`` = id of the last token of the
  previous page (an unknown cursor gives an empty page [fake]). ``q``: case-insensitive substring
  of name or clientName [fake matching rule]. Headers, exactly as Okta formats them (two separate
  Link header lines, query parameters sorted by name, ``limit`` always present):
    Link: <http://127.0.0.1:PORT/api/v1/api-tokens?limit=N>; rel="self"
    Link: <http://127.0.0.1:PORT/api/v1/api-tokens?after=LASTID&limit=N>; rel="next"
  (``self`` reflects the request's own after/q; ``next`` only when more tokens follow.)
  NOTE (Python SDK 3.4.6): ``list_api_tokens()`` takes NO limit/after/q and returns only the
  first page. Its ApiResponse.headers is a plain dict (pydantic coerces aiohttp's multidict) that
  keeps only the LAST ``Link`` line, so the order self-then-next matters: PaginationHelper.
  extract_next_cursor(resp.headers) then finds the after cursor. The SDK's OktaAPIResponse
  (api_response.py) follows rel="next" via aiohttp's fully parsed links.
GET /api/v1/api-tokens/{id}      200 token | 404 E0000007 "Not found: Resource not found: <id> (Token)"
                                 (revoked tokens are 404 too: the API lists active tokens only)
GET /api/v1/api-tokens/current   200 the token authenticating the request.  [fake EXTENSION: not
                                 in Okta's spec 5.1.0 nor any Okta SDK; real Okta presumably treats
                                 "current" as an id -> 404. Do not depend on it; config
                                 get_current_token=false makes the fake answer that 404.]
DELETE /api/v1/api-tokens/{id}   204 | 404 E0000007 (Token) | 403 E0000006 (non-super-admin, other's
                                 token). The revoked token is refused everywhere afterwards (401
                                 E0000011), including a revocation of itself.
DELETE /api/v1/api-tokens/current 204: revokes the SSWS token authenticating this very request.

OAuth service app JWKS (SSWS super admin, or Bearer with okta.apps.*; unknown app -> 404
E0000007 "... <appId> (AppInstance)" [fake wording]; unknown key -> 404 "... <keyId> (JsonWebKey)"):
  JWK object: {"id": "pks" + 17 chars, "kid": str|null, "kty": "RSA", "alg": "RS256", "use": "sig",
               "e", "n", "status": "ACTIVE"|"INACTIVE", "created", "lastUpdated",
               "_links": ACTIVE   -> {"deactivate": {"href": ".../jwks/<id>/lifecycle/deactivate",
                                                     "hints": {"allow": ["POST"]}}}
                         INACTIVE -> {"activate": {...lifecycle/activate, POST},
                                      "delete": {"href": ".../jwks/<id>", "hints": {"allow": ["DELETE"]}}}}
  GET    /api/v1/apps/{appId}/credentials/jwks          200 [JWK, ...]  (bare array, as the spec's
         schema and the SDK's List[ListJwk200ResponseInner]; the spec's example wraps it in
         {"jwks": {"keys": [...]}} -- inconsistent spec, array chosen)
  POST   /api/v1/apps/{appId}/credentials/jwks          body {"kty": "RSA", "e", "n", "use": "sig",
         "kid"?: str, "alg"?: "RS256" (default), "status"?: "ACTIVE" (default) | "INACTIVE"};
         any "id" in the body is ignored.  201 JWK.  400 E0000001 "Api validation failed:
         JsonWebKey" with errorCauses[0].errorSummary one of (Okta's texts from the spec/cassette):
           "RSA key length in the 'jwks' is less than '2,048' bits for the given key."
           "All keys in the 'jwks' must have a unique `kid`."
           "Each key should have a unique kid when adding multiple keys. Use the Apps API ..."
           "You can't create a new key. You have reached the maximum number of keys allowed (50). ..."
         (the first also when "n" is missing: real Okta answered exactly that to the SDK's
         n-less typed request in the recorded cassette), or [fake texts] for: kty not RSA / use not
         sig / alg not RS256 / malformed n or e.
  GET    /api/v1/apps/{appId}/credentials/jwks/{keyId}  200 JWK
  POST   .../jwks/{keyId}/lifecycle/activate            200 JWK (status ACTIVE; several signing
                                                        keys may be active at once, as in Okta)
  POST   .../jwks/{keyId}/lifecycle/deactivate          200 JWK (INACTIVE); deactivating the ONLY
         active key -> 400 E0000001 cause "Can't deactivate the only active JSON Web Key when the
         value for `token_endpoint_auth_method` is `private_key_jwt`." (Okta's text; the fake's
         service apps are always private_key_jwt)
  DELETE /api/v1/apps/{appId}/credentials/jwks/{keyId}  204; an ACTIVE key -> 400 E0000001 cause
         "You can't delete an active JSON Web key. Deactivate the key before deleting it."

POST /oauth2/v1/token   (no Authorization; Content-Type application/x-www-form-urlencoded)
  form: grant_type=client_credentials, scope="s1 s2", client_assertion_type=
        urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion=<JWT>,
        client_id? (if present must equal iss)
  200 {"token_type": "Bearer", "expires_in": 3600 (config access_token_ttl), "access_token":
       <opaque random string [fake: real Okta issues a JWT; treat it as opaque]>, "scope": "s1 s2"}
      + Cache-Control: no-store, Pragma: no-cache
  Errors: {"error": code, "error_description": text} (OAuth style, not the E000 style):
    400 invalid_request          not form-encoded, or a required parameter missing [fake text]
    400 unsupported_grant_type   grant_type != client_credentials [fake text]
    401 invalid_client "The client_assertion_type is invalid."   (wording seen from Okta)
    401 invalid_client "Invalid value for 'client_id' parameter." no app with client_id == iss
    401 invalid_client "The client_assertion JWT kid is invalid." (Okta's text) kid unknown, kid of
        an INACTIVE/deleted key, or no kid while the app has != 1 active key (Okta requires the kid
        when a client has several keys; with exactly one active key a kid-less JWT is accepted)
    401 invalid_client "The client_assertion signature is invalid." (Okta's text) bad RS256 sig
    401 invalid_client "The audience claim for client_assertion must be the endpoint invoked for
        the request." (Okta's text) aud (string or list) lacks http://<Host header>/oauth2/v1/token
        (http://127.0.0.1:PORT/oauth2/v1/token is always accepted)
    401 invalid_client [fake texts] alg != RS256 or malformed JWT; sub != iss; exp missing or in the
        past; exp more than 3600 s (+5 s skew) ahead (Okta: "a maximum of only an hour in the
        future"); nbf in the future; jti already used by this client (jti is optional, as in
        Okta; when present it is single-use).
    400 invalid_scope [fake text] scope missing, or a scope not granted to the app (default grant:
        okta.apiTokens.read okta.apiTokens.manage okta.apps.read okta.apps.manage okta.users.read)
  The Python SDK 3.4.6 (PrivateKey mode) signs iss=sub=clientId, aud=orgUrl+"/oauth2/v1/token",
  iat, exp=iat+3000, jti=uuid4, header kid only from config "kid" or a JWK privateKey's "kid".

Control endpoints (no auth, JSON in/out, 200 on success, 400 {"error": str} on bad input, 404
{"error": str} for an unknown control path or app; not written to the request log):
  POST   /_fake/tokens   {"name": str, "admin"?: bool (false), "login"?: str}
         -> {"id", "value", "userId"}: a token "made in the Admin Console" (the only way to mint
         one, as in real Okta). value: "00" + 40 chars [A-Za-z0-9_-] (42 chars). A login is one
         user; default login admin@example.com (admin) / operator@example.com (non-admin); a
         login keeps the admin flag it was created with (conflict -> 400).
  GET    /_fake/tokens   -> [{"id", "name", "revoked": bool, "userId", "admin"}] (never values)
  POST   /_fake/apps     {"label": str, "jwk"?: public JWK (validated as POST .../jwks),
                          "scopes"?: [str]} -> {"id", "client_id"[, "keyId"]} (client_id == id,
         as for Okta OIDC apps; "0oa" + 17 chars)
  GET    /_fake/apps/{appId} -> {"id", "client_id", "label", "scopes", "keys": [{"id","kid","status"}]}
  POST   /_fake/fail     {"method"?: "GET"|...|"*" (default "*"), "path_prefix"?: str ("/"),
                          "status": 429|500|502|503|504, "count"?: int (1), "reset_seconds"?: int (1)}
         -> {"rules": n}. The next `count` matching non-control requests (path without query
         starts with path_prefix; /oauth2/v1/token included) fail BEFORE authentication:
           429: E0000047 body, X-Rate-Limit-Limit <config>, X-Rate-Limit-Remaining: 0,
                X-Rate-Limit-Reset: floor(now) + reset_seconds
           5xx: E0000009 body (errorLink "E0000009"; the spec's example says "E0000000"), with the
                usual rate-limit headers (the SDK needs Date + X-Rate-Limit-Reset to retry 503/504;
                it retries 429/503/504 up to rateLimit.maxRetries (default 2), backing off
                X-Rate-Limit-Reset - Date + 1 seconds on 429 only; it never retries 500/502)
  DELETE /_fake/fail      -> {"rules": 0}
  GET    /_fake/requests  -> [{"seq", "method", "path", "query", "status",
                              "auth": "ssws"|"bearer"|"none"|"other",
                              "ssws_space": bool|null, "retry_count": str|null}]  (never header
                              values; retry_count = X-Okta-Retry-Count sent by the SDK on retries)
  DELETE /_fake/requests  -> {"cleared": n}
  GET    /_fake/config, POST /_fake/config {"page_size_default"?: int, "get_current_token"?: bool,
         "json_content_type_on_204"?: bool (quirk: send Content-Type: application/json on 204s;
         the Python SDK then raises json.JSONDecodeError from check_response_for_error),
         "access_token_ttl"?: int, "rate_limit_limit"?: int} -> the whole config

Found to differ from what was assumed before this fake was written
------------------------------------------------------------------
  * 404 for a token says "(Token)", not "(ApiToken)" (real responses in the SDK's cassettes).
  * Token objects carry ``_links`` (self + user, with hints), not ``_link`` as the spec says.
  * There is no GET /api/v1/api-tokens/current in Okta (only DELETE); see the extension above.
  * Documented header is ``SSWS <token>``; the "no space" form comes from the Python SDK's generated
    methods (both accepted here). Bearer is always sent with a space.
  * POST .../credentials/jwks answers 201 (not 200). Several signing keys may be ACTIVE at once.
  * A kid-less client assertion is refused when the app has several active keys (Okta support:
    "The client_assertion JWT kid is invalid."), not "tried against each key".
  * jti is optional in Okta (docs); replay protection applies when it is present.
  * Python SDK 3.4.6: a 204 with a JSON content type raises json.JSONDecodeError; a 429/503/504
    without Date or X-Rate-Limit-Reset is NOT retried (it returns Exception "429 response must have
    the 'X-Rate-Limit-Reset' and 'Date' headers"); the typed add_jwk model cannot carry n/e; the
    revoke/delete methods return (None, ApiResponse, None) on success but a 2-tuple
    (response, error) on an error with a body.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALNUM = string.ascii_letters + string.digits
TOKEN_CHARS = ALNUM + "-_"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_SCOPES = ["okta.apiTokens.read", "okta.apiTokens.manage", "okta.apps.read",
                  "okta.apps.manage", "okta.users.read"]
MAX_KEYS = 50
TOKEN_WINDOW = timedelta(days=30)


def rand(chars, n):
    return "".join(secrets.choice(chars) for _ in range(n))


def okta_id(prefix):
    return prefix + rand(ALNUM, 20 - len(prefix))


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def now_utc():
    return datetime.now(timezone.utc)


def digest(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def b64url_decode(s):
    if not isinstance(s, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_uint(s):
    raw = b64url_decode(s)
    if not raw:
        raise ValueError("empty")
    return int.from_bytes(raw, "big")


class Resp:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body            # JSON-able object, or None for no body
        self.headers = headers or []


def okta_error(status, code, summary, causes=None, headers=None):
    return Resp(status, {"errorCode": code, "errorSummary": summary, "errorLink": code,
                         "errorId": "oae" + rand(ALNUM + "-_", 22),
                         "errorCauses": [{"errorSummary": c} for c in (causes or [])]}, headers)


def invalid_token():
    return okta_error(401, "E0000011", "Invalid token provided")


def forbidden(headers=None):
    return okta_error(403, "E0000006", "You do not have permission to perform the requested action",
                      headers=headers)


def not_found(ident, kind):
    return okta_error(404, "E0000007", "Not found: Resource not found: %s (%s)" % (ident, kind))


def jwk_invalid(cause):
    return okta_error(400, "E0000001", "Api validation failed: JsonWebKey", [cause])


def oauth_error(status, code, desc):
    return Resp(status, {"error": code, "error_description": desc},
                [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


class State:
    def __init__(self, port):
        self.lock = threading.RLock()
        self.port = port
        self.users = {}          # id -> user dict
        self.logins = {}         # login -> user id
        self.tokens = []         # creation order
        self.by_hash = {}        # sha256(value) -> token
        self.apps = {}           # id -> app
        self.access = {}         # sha256(access token) -> {"app", "scopes", "exp"}
        self.jtis = {}           # (client_id, jti) -> exp
        self.rules = []
        self.log = []
        self.seq = 0
        self.window_start = int(time.time()) // 60 * 60
        self.window_count = 0
        self.config = {"page_size_default": 20, "get_current_token": True,
                       "json_content_type_on_204": False, "access_token_ttl": 3600,
                       "rate_limit_limit": 600}

    # ---- users / tokens -------------------------------------------------------------------
    def user_for(self, login, admin):
        uid = self.logins.get(login)
        if uid:
            if self.users[uid]["admin"] != admin:
                raise ValueError("login %r already exists with admin=%s" % (login, self.users[uid]["admin"]))
            return self.users[uid]
        local = login.split("@")[0]
        first, _, last = local.replace(".", " ").partition(" ")
        t = now_utc()
        user = {"id": okta_id("00u"), "login": login, "admin": admin, "created": t,
                "firstName": first.capitalize() or "Okta", "lastName": last.capitalize() or "Admin"}
        self.users[user["id"]] = user
        self.logins[login] = user["id"]
        return user

    def mint_token(self, name, admin, login):
        user = self.user_for(login or ("admin@example.com" if admin else "operator@example.com"), admin)
        value = "00" + rand(TOKEN_CHARS, 40)
        t = now_utc()
        tok = {"id": okta_id("00T"), "name": name, "userId": user["id"], "created": t,
               "lastUpdated": t, "expiresAt": t + TOKEN_WINDOW, "revoked": False,
               "seq": len(self.tokens)}
        self.tokens.append(tok)
        self.by_hash[digest(value)] = tok
        return tok, value

    def token_by_id(self, tid):
        for t in self.tokens:
            if t["id"] == tid:
                return t
        return None

    # ---- request log / rate-limit window ---------------------------------------------------
    def rate_headers(self):
        now = int(time.time())
        start = now // 60 * 60
        if start != self.window_start:
            self.window_start, self.window_count = start, 0
        self.window_count += 1
        limit = self.config["rate_limit_limit"]
        return [("X-Rate-Limit-Limit", str(limit)),
                ("X-Rate-Limit-Remaining", str(max(0, limit - self.window_count))),
                ("X-Rate-Limit-Reset", str(start + 60))]

    def take_rule(self, method, path):
        for r in self.rules:
            if r["count"] > 0 and r["method"] in ("*", method) and path.startswith(r["path_prefix"]):
                r["count"] -= 1
                return dict(r)
        return None


STATE = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "okta-fake"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    # ---- plumbing ----------------------------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def base(self):
        host = self.headers.get("Host") or "127.0.0.1:%d" % STATE.port
        return "http://" + host

    def send(self, resp, control=False):
        self.send_response(resp.status)
        headers = list(resp.headers)
        if not control:
            headers += [("X-Okta-Request-Id", secrets.token_hex(16)),
                        ("Cache-Control", "no-cache, no-store"), ("Pragma", "no-cache"),
                        ("Expires", "0")]
            with STATE.lock:
                if not any(k == "X-Rate-Limit-Limit" for k, _ in headers):
                    headers += STATE.rate_headers()
        seen = set()
        for k, v in headers:
            if k in ("Cache-Control", "Pragma") and k in seen:
                continue
            seen.add(k)
            self.send_header(k, v)
        data = None
        if resp.status == 204:
            with STATE.lock:
                if STATE.config["json_content_type_on_204"]:
                    self.send_header("Content-Type", "application/json")
        elif resp.body is not None:
            data = json.dumps(resp.body, separators=(",", ":")).encode("utf-8")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Content-Length", "0")
        self.end_headers()
        if data:
            self.wfile.write(data)
        sys.stderr.write("okta_fake: %s %s %d\n" % (self.command, urlsplit(self.path).path, resp.status))
        sys.stderr.flush()

    def dispatch(self, method):
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        body = self.read_body()
        if path.startswith("/_fake/"):
            try:
                resp = self.control(method, path, body)
            except ValueError as e:
                resp = Resp(400, {"error": str(e)})
            self.send(resp, control=True)
            return
        auth = self.parse_auth(self.headers.get("Authorization"))
        with STATE.lock:
            rule = STATE.take_rule(method, path)
        if rule:
            resp = self.failure(rule)
        else:
            try:
                resp = self.route(method, path, query, body, auth)
            except Exception as e:  # never leak a traceback with request data
                sys.stderr.write("okta_fake: internal error %s\n" % type(e).__name__)
                resp = okta_error(500, "E0000009", "Internal Server Error")
        with STATE.lock:
            STATE.seq += 1
            STATE.log.append({"seq": STATE.seq, "method": method, "path": path,
                              "query": split.query, "status": resp.status, "auth": auth[0],
                              "ssws_space": auth[2], "retry_count": self.headers.get("X-Okta-Retry-Count")})
        self.send(resp)

    @staticmethod
    def parse_auth(header):
        if header is None:
            return ("none", None, None)
        m = re.fullmatch(r"(?i)SSWS( ?)(\S+)\s*", header.strip())
        if m:
            return ("ssws", m.group(2), m.group(1) == " ")
        m = re.fullmatch(r"(?i)Bearer\s+(\S+)\s*", header.strip())
        if m:
            return ("bearer", m.group(1), None)
        return ("other", None, None)

    def failure(self, rule):
        status = rule["status"]
        if status == 429:
            with STATE.lock:
                limit = STATE.config["rate_limit_limit"]
            headers = [("X-Rate-Limit-Limit", str(limit)), ("X-Rate-Limit-Remaining", "0"),
                       ("X-Rate-Limit-Reset", str(int(time.time()) + rule["reset_seconds"]))]
            return okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                              headers=headers)
        return okta_error(status, "E0000009", "Internal Server Error")

    # ---- authentication ----------------------------------------------------------------------
    def principal(self, auth):
        """-> (principal dict, error Resp). principal: {"kind": "ssws", "token", "user"} or
        {"kind": "bearer", "app", "scopes"}."""
        kind, cred, _ = auth
        with STATE.lock:
            if kind == "ssws":
                tok = STATE.by_hash.get(digest(cred))
                if tok is None or tok["revoked"] or tok["expiresAt"] <= now_utc():
                    return None, invalid_token()
                t = now_utc()
                tok["lastUpdated"], tok["expiresAt"] = t, t + TOKEN_WINDOW
                return {"kind": "ssws", "token": tok, "user": STATE.users[tok["userId"]]}, None
            if kind == "bearer":
                at = STATE.access.get(digest(cred))
                if at is None or at["exp"] <= time.time():
                    return None, okta_error(401, "E0000011", "Invalid token provided", headers=[(
                        "WWW-Authenticate", 'Bearer authorization_uri="%s/oauth2/v1/authorize", '
                        'realm="IdP", scope="", error="invalid_token", '
                        'error_description="The access token is invalid."' % self.base())])
                return {"kind": "bearer", "app": at["app"], "scopes": at["scopes"]}, None
        return None, invalid_token()

    def allowed(self, p, scope):
        """Super-admin / scope check for admin operations. -> error Resp or None."""
        if p["kind"] == "ssws":
            return None if p["user"]["admin"] else forbidden()
        base = scope.rsplit(".", 1)[0]
        if scope in p["scopes"] or (scope.endswith(".read") and base + ".manage" in p["scopes"]):
            return None
        return forbidden([("WWW-Authenticate", 'Bearer authorization_uri="%s/oauth2/v1/authorize", '
                           'realm="IdP", scope="%s", error="insufficient_scope", error_description='
                           '"The access token provided does not contain the required scopes."'
                           % (self.base(), scope))])

    # ---- routing -----------------------------------------------------------------------------
    def route(self, method, path, query, body, auth):
        if path == "/oauth2/v1/token":
            if method != "POST":
                return okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method")
            return self.token_endpoint(body)
        routes = [
            (r"/api/v1/users/me", {"GET": self.get_me}),
            (r"/api/v1/users/([^/]+)", {"GET": self.get_user}),
            (r"/api/v1/api-tokens", {"GET": self.list_tokens}),
            (r"/api/v1/api-tokens/current", {"GET": self.get_current, "DELETE": self.revoke_current}),
            (r"/api/v1/api-tokens/([^/]+)", {"GET": self.get_token, "DELETE": self.revoke_token}),
            (r"/api/v1/apps/([^/]+)/credentials/jwks", {"GET": self.list_jwks, "POST": self.add_jwk}),
            (r"/api/v1/apps/([^/]+)/credentials/jwks/([^/]+)", {"GET": self.get_jwk, "DELETE": self.delete_jwk}),
            (r"/api/v1/apps/([^/]+)/credentials/jwks/([^/]+)/lifecycle/(activate|deactivate)",
             {"POST": self.jwk_lifecycle}),
        ]
        for pattern, methods in routes:
            m = re.fullmatch(pattern, path)
            if not m:
                continue
            if method not in methods:
                return okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method")
            p, err = self.principal(auth)
            if err:
                return err
            return methods[method](p, query, body, *m.groups())
        return okta_error(404, "E0000008", "The requested path was not found")

    # ---- users -------------------------------------------------------------------------------
    def user_json(self, u):
        c = iso(u["created"])
        return {"id": u["id"], "status": "ACTIVE", "created": c, "activated": c, "statusChanged": c,
                "lastLogin": iso(now_utc()), "lastUpdated": c, "passwordChanged": c,
                "type": {"id": "oty" + digest(u["id"])[:17]},
                "profile": {"firstName": u["firstName"], "lastName": u["lastName"], "mobilePhone": None,
                            "secondEmail": None, "login": u["login"], "email": u["login"]},
                "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
                "_links": {"self": {"href": "%s/api/v1/users/%s" % (self.base(), u["id"])}}}

    def get_me(self, p, query, body):
        if p["kind"] != "ssws":
            return not_found("me", "User")
        return Resp(200, self.user_json(p["user"]))

    def get_user(self, p, query, body, ident):
        if p["kind"] != "ssws":
            err = self.allowed(p, "okta.users.read")
            if err:
                return err
        with STATE.lock:
            u = STATE.users.get(ident) or STATE.users.get(STATE.logins.get(ident, ""))
        if u is None:
            return not_found(ident, "User")
        if p["kind"] == "ssws" and not p["user"]["admin"] and u["id"] != p["user"]["id"]:
            return forbidden()
        return Resp(200, self.user_json(u))

    # ---- API tokens --------------------------------------------------------------------------
    def token_json(self, t):
        b = self.base()
        return {"id": t["id"], "name": t["name"], "userId": t["userId"], "clientName": "Okta API",
                "tokenWindow": "P30D", "network": {"connection": "ANYWHERE"},
                "expiresAt": iso(t["expiresAt"]), "created": iso(t["created"]),
                "lastUpdated": iso(t["lastUpdated"]),
                "_links": {"self": {"href": "%s/api/v1/api-tokens/%s" % (b, t["id"]),
                                    "hints": {"allow": ["GET", "DELETE"]}},
                           "user": {"href": "%s/api/v1/users/%s" % (b, t["userId"]),
                                    "hints": {"allow": ["GET"]}}}}

    def token_read_check(self, p):
        if p["kind"] == "bearer":
            return self.allowed(p, "okta.apiTokens.read")
        return None

    def visible(self, p, t):
        return p["kind"] == "bearer" or p["user"]["admin"] or t["userId"] == p["user"]["id"]

    def list_tokens(self, p, query, body):
        err = self.token_read_check(p)
        if err:
            return err
        with STATE.lock:
            default = STATE.config["page_size_default"]
            raw_limit = query.get("limit", [None])[-1]
            try:
                limit = default if raw_limit in (None, "") else int(raw_limit)
            except ValueError:
                return okta_error(400, "E0000001", "Api validation failed: limit",
                                  ["limit: must be an integer"])
            limit = max(1, min(200, limit))
            after = query.get("after", [None])[-1]
            q = (query.get("q", [""])[-1] or "").lower()
            items = [t for t in STATE.tokens if not t["revoked"] and self.visible(p, t)
                     and (not q or q in t["name"].lower() or q in "okta api")]
            if after:
                cur = STATE.token_by_id(after)
                items = [t for t in items if cur is not None and t["seq"] > cur["seq"]]
            page, more = items[:limit], len(items) > limit
            data = [self.token_json(t) for t in page]
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        if q:
            params["q"] = query["q"][-1]
        url = "%s/api/v1/api-tokens" % self.base()
        links = [("Link", '<%s?%s>; rel="self"' % (url, urlencode(sorted(params.items()), quote_via=quote)))]
        if more:
            params["after"] = page[-1]["id"]
            links.append(("Link", '<%s?%s>; rel="next"' % (url, urlencode(sorted(params.items()), quote_via=quote))))
        return Resp(200, data, links)

    def get_token(self, p, query, body, tid):
        err = self.token_read_check(p)
        if err:
            return err
        with STATE.lock:
            t = STATE.token_by_id(tid)
            if t is None or t["revoked"]:
                return not_found(tid, "Token")
            if not self.visible(p, t):
                return forbidden()
            return Resp(200, self.token_json(t))

    def get_current(self, p, query, body):
        with STATE.lock:
            enabled = STATE.config["get_current_token"]
        if not enabled:
            return not_found("current", "Token")
        if p["kind"] != "ssws":
            return not_found("current", "Token")
        return Resp(200, self.token_json(p["token"]))

    def revoke_token(self, p, query, body, tid):
        if p["kind"] == "bearer":
            err = self.allowed(p, "okta.apiTokens.manage")
            if err:
                return err
        with STATE.lock:
            t = STATE.token_by_id(tid)
            if t is None or t["revoked"]:
                return not_found(tid, "Token")
            if not self.visible(p, t):
                return forbidden()
            t["revoked"] = True
        return Resp(204)

    def revoke_current(self, p, query, body):
        if p["kind"] != "ssws":
            return forbidden()
        with STATE.lock:
            p["token"]["revoked"] = True
        return Resp(204)

    # ---- app JWKS ----------------------------------------------------------------------------
    def jwk_json(self, app, k):
        href = "%s/api/v1/apps/%s/credentials/jwks/%s" % (self.base(), app["id"], k["id"])
        if k["status"] == "ACTIVE":
            links = {"deactivate": {"href": href + "/lifecycle/deactivate", "hints": {"allow": ["POST"]}}}
        else:
            links = {"activate": {"href": href + "/lifecycle/activate", "hints": {"allow": ["POST"]}},
                     "delete": {"href": href, "hints": {"allow": ["DELETE"]}}}
        return {"id": k["id"], "kid": k["kid"], "kty": "RSA", "alg": k["alg"], "use": "sig",
                "e": k["e"], "n": k["n"], "status": k["status"], "created": iso(k["created"]),
                "lastUpdated": iso(k["lastUpdated"]), "_links": links}

    def app_access(self, p, app_id, scope):
        if p["kind"] == "ssws":
            if not p["user"]["admin"]:
                return None, forbidden()
        else:
            err = self.allowed(p, scope)
            if err:
                return None, err
        app = STATE.apps.get(app_id)
        if app is None:
            return None, not_found(app_id, "AppInstance")
        return app, None

    @staticmethod
    def build_key(app, jwk):
        """Validate a public JWK for `app` (caller holds the lock). -> (key dict, error Resp)."""
        if not isinstance(jwk, dict):
            return None, okta_error(400, "E0000003", "The request body was not well-formed.")
        if jwk.get("kty") != "RSA":
            return None, jwk_invalid("Only RSA keys are supported by this fake (kty must be 'RSA').")
        if jwk.get("use", "sig") != "sig":
            return None, jwk_invalid("Only signing keys (use 'sig') are supported by this fake.")
        alg = jwk.get("alg") or "RS256"
        if alg != "RS256":
            return None, jwk_invalid("Only alg 'RS256' is supported by this fake.")
        status = jwk.get("status") or "ACTIVE"
        if status not in ("ACTIVE", "INACTIVE"):
            return None, jwk_invalid("status must be ACTIVE or INACTIVE.")
        short = "RSA key length in the 'jwks' is less than '2,048' bits for the given key."
        if not jwk.get("n"):   # real Okta answers a JWK without n with the key-length cause
            return None, jwk_invalid(short)
        try:
            n, e = b64url_uint(jwk.get("n")), b64url_uint(jwk.get("e"))
        except (ValueError, TypeError):
            return None, jwk_invalid("RSA keys require base64url 'n' and 'e' values.")
        if n.bit_length() < 2048:
            return None, jwk_invalid(short)
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            return None, jwk_invalid("kid must be a string.")
        keys = app["keys"]
        if len(keys) >= MAX_KEYS:
            return None, jwk_invalid("You can't create a new key. You have reached the maximum number of keys "
                                     "allowed (50). To add another key, you must first delete an existing one.")
        if keys and (kid is None or any(k["kid"] is None for k in keys)):
            return None, jwk_invalid("Each key should have a unique kid when adding multiple keys. Use the Apps "
                                     "API to update the JWKS to add a kid for the existing key, or delete the "
                                     "existing key and re-add the key with a kid using the JWKS APIs.")
        if kid is not None and any(k["kid"] == kid for k in keys):
            return None, jwk_invalid("All keys in the 'jwks' must have a unique `kid`.")
        t = now_utc()
        return {"id": okta_id("pks"), "kid": kid, "alg": alg, "e": jwk["e"], "n": jwk["n"],
                "status": status, "created": t, "lastUpdated": t,
                "public": rsa.RSAPublicNumbers(e, n).public_key()}, None

    def list_jwks(self, p, query, body, app_id):
        with STATE.lock:
            app, err = self.app_access(p, app_id, "okta.apps.read")
            if err:
                return err
            return Resp(200, [self.jwk_json(app, k) for k in app["keys"]])

    def add_jwk(self, p, query, body, app_id):
        with STATE.lock:
            app, err = self.app_access(p, app_id, "okta.apps.manage")
            if err:
                return err
            try:
                jwk = json.loads(body or b"null")
            except ValueError:
                return okta_error(400, "E0000003", "The request body was not well-formed.")
            key, err = self.build_key(app, jwk)
            if err:
                return err
            app["keys"].append(key)
            return Resp(201, self.jwk_json(app, key))

    def find_key(self, app, key_id):
        for k in app["keys"]:
            if k["id"] == key_id:
                return k
        return None

    def get_jwk(self, p, query, body, app_id, key_id):
        with STATE.lock:
            app, err = self.app_access(p, app_id, "okta.apps.read")
            if err:
                return err
            k = self.find_key(app, key_id)
            if k is None:
                return not_found(key_id, "JsonWebKey")
            return Resp(200, self.jwk_json(app, k))

    def delete_jwk(self, p, query, body, app_id, key_id):
        with STATE.lock:
            app, err = self.app_access(p, app_id, "okta.apps.manage")
            if err:
                return err
            k = self.find_key(app, key_id)
            if k is None:
                return not_found(key_id, "JsonWebKey")
            if k["status"] == "ACTIVE":
                return jwk_invalid("You can't delete an active JSON Web key. Deactivate the key before deleting it.")
            app["keys"].remove(k)
            return Resp(204)

    def jwk_lifecycle(self, p, query, body, app_id, key_id, action):
        with STATE.lock:
            app, err = self.app_access(p, app_id, "okta.apps.manage")
            if err:
                return err
            k = self.find_key(app, key_id)
            if k is None:
                return not_found(key_id, "JsonWebKey")
            if action == "deactivate" and k["status"] == "ACTIVE":
                if sum(1 for x in app["keys"] if x["status"] == "ACTIVE") == 1:
                    return jwk_invalid("Can't deactivate the only active JSON Web Key when the value for "
                                       "`token_endpoint_auth_method` is `private_key_jwt`.")
            new = "ACTIVE" if action == "activate" else "INACTIVE"
            if k["status"] != new:
                k["status"], k["lastUpdated"] = new, now_utc()
            return Resp(200, self.jwk_json(app, k))

    # ---- token endpoint ----------------------------------------------------------------------
    def token_endpoint(self, body):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request", "The request must be form-encoded "
                               "(application/x-www-form-urlencoded).")
        try:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            return oauth_error(400, "invalid_request", "The request body is not valid.")
        if not form.get("grant_type"):
            return oauth_error(400, "invalid_request", "The 'grant_type' parameter is required.")
        if form["grant_type"] != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "The authorization grant type is not "
                               "supported by the authorization server. Configured grant types: "
                               "[client_credentials].")
        if form.get("client_assertion_type") != JWT_BEARER:
            return oauth_error(401, "invalid_client", "The client_assertion_type is invalid.")
        assertion = form.get("client_assertion") or ""
        parts = assertion.split(".")
        bad = oauth_error(401, "invalid_client", "The client_assertion is not a valid JWT.")
        if len(parts) != 3:
            return bad
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, TypeError):
            return bad
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return bad
        if header.get("alg") != "RS256":
            return oauth_error(401, "invalid_client", "The client_assertion token has an unsupported "
                               "signing algorithm (only RS256 is accepted).")
        iss = claims.get("iss")
        with STATE.lock:
            app = next((a for a in STATE.apps.values() if a["client_id"] == iss), None) if isinstance(iss, str) else None
            if app is None or (form.get("client_id") and form["client_id"] != iss):
                return oauth_error(401, "invalid_client", "Invalid value for 'client_id' parameter.")
            if claims.get("sub") != iss:
                return oauth_error(401, "invalid_client", "The client_assertion token's 'sub' claim must "
                                   "equal its 'iss' claim (the client_id).")
            active = [k for k in app["keys"] if k["status"] == "ACTIVE"]
            kid = header.get("kid")
            if kid is not None:
                key = next((k for k in active if k["kid"] == kid), None)
            else:
                key = active[0] if len(active) == 1 else None
            if key is None:
                return oauth_error(401, "invalid_client", "The client_assertion JWT kid is invalid.")
            public = key["public"]
            granted = list(app["scopes"])
        try:
            public.verify(signature, (parts[0] + "." + parts[1]).encode("ascii"),
                          padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        expected = {self.base() + "/oauth2/v1/token", "http://127.0.0.1:%d/oauth2/v1/token" % STATE.port}
        if not any(a in expected for a in auds):
            return oauth_error(401, "invalid_client", "The audience claim for client_assertion must be "
                               "the endpoint invoked for the request.")
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            return oauth_error(401, "invalid_client", "The client_assertion token must contain an 'exp' claim.")
        if exp <= now:
            return oauth_error(401, "invalid_client", "The client_assertion token is expired.")
        if exp > now + 3600 + 5:
            return oauth_error(401, "invalid_client", "The client_assertion token has an expiration too far "
                               "in the future (at most one hour).")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and nbf > now + 5:
            return oauth_error(401, "invalid_client", "The client_assertion token is not valid yet (nbf).")
        scope = (form.get("scope") or "").split()
        if not scope:
            return oauth_error(400, "invalid_scope", "The 'scope' parameter is required for the "
                               "client_credentials grant.")
        missing = [s for s in scope if s not in granted]
        if missing:
            return oauth_error(400, "invalid_scope", "The following scopes are not granted to the client: "
                               + " ".join(missing))
        jti = claims.get("jti")
        with STATE.lock:
            for k in [k for k, v in STATE.jtis.items() if v < now]:
                del STATE.jtis[k]
            if jti is not None:
                if (iss, str(jti)) in STATE.jtis:
                    return oauth_error(401, "invalid_client", "The client_assertion token has already been "
                                       "used (jti replay).")
                STATE.jtis[(iss, str(jti))] = exp
            ttl = STATE.config["access_token_ttl"]
            token = rand(TOKEN_CHARS, 64)
            STATE.access[digest(token)] = {"app": app["id"], "scopes": scope, "exp": now + ttl}
        return Resp(200, {"token_type": "Bearer", "expires_in": ttl, "access_token": token,
                          "scope": " ".join(scope)}, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    # ---- control -----------------------------------------------------------------------------
    def control(self, method, path, body):
        def payload():
            try:
                obj = json.loads(body or b"{}")
            except ValueError:
                raise ValueError("body is not JSON")
            if not isinstance(obj, dict):
                raise ValueError("body must be a JSON object")
            return obj

        with STATE.lock:
            if path == "/_fake/tokens" and method == "POST":
                b = payload()
                name = b.get("name")
                if not isinstance(name, str) or not name:
                    raise ValueError("name (non-empty string) is required")
                admin = b.get("admin", False)
                if not isinstance(admin, bool):
                    raise ValueError("admin must be a boolean")
                login = b.get("login")
                if login is not None and (not isinstance(login, str) or not login):
                    raise ValueError("login must be a non-empty string")
                tok, value = STATE.mint_token(name, admin, login)
                return Resp(200, {"id": tok["id"], "value": value, "userId": tok["userId"]})
            if path == "/_fake/tokens" and method == "GET":
                return Resp(200, [{"id": t["id"], "name": t["name"], "revoked": t["revoked"],
                                   "userId": t["userId"], "admin": STATE.users[t["userId"]]["admin"]}
                                  for t in STATE.tokens])
            if path == "/_fake/apps" and method == "POST":
                b = payload()
                label = b.get("label")
                if not isinstance(label, str) or not label:
                    raise ValueError("label (non-empty string) is required")
                scopes = b.get("scopes", DEFAULT_SCOPES)
                if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                    raise ValueError("scopes must be a list of strings")
                app_id = okta_id("0oa")
                app = {"id": app_id, "client_id": app_id, "label": label, "scopes": list(scopes), "keys": []}
                out = {"id": app_id, "client_id": app_id}
                if b.get("jwk") is not None:
                    key, err = self.build_key(app, b["jwk"])
                    if err:
                        raise ValueError("jwk rejected: " + err.body["errorCauses"][0]["errorSummary"]
                                         if err.body.get("errorCauses") else err.body["errorSummary"])
                    app["keys"].append(key)
                    out["keyId"] = key["id"]
                STATE.apps[app_id] = app
                return Resp(200, out)
            m = re.fullmatch(r"/_fake/apps/([^/]+)", path)
            if m and method == "GET":
                app = STATE.apps.get(m.group(1))
                if app is None:
                    return Resp(404, {"error": "no such app"})
                return Resp(200, {"id": app["id"], "client_id": app["client_id"], "label": app["label"],
                                  "scopes": app["scopes"],
                                  "keys": [{"id": k["id"], "kid": k["kid"], "status": k["status"]}
                                           for k in app["keys"]]})
            if path == "/_fake/fail" and method == "POST":
                b = payload()
                status = b.get("status")
                if status not in (429, 500, 502, 503, 504):
                    raise ValueError("status must be one of 429, 500, 502, 503, 504")
                count, reset = b.get("count", 1), b.get("reset_seconds", 1)
                if not isinstance(count, int) or count < 1:
                    raise ValueError("count must be a positive integer")
                if not isinstance(reset, int) or reset < 0:
                    raise ValueError("reset_seconds must be a non-negative integer")
                meth = (b.get("method") or "*").upper()
                prefix = b.get("path_prefix") or "/"
                if not isinstance(prefix, str):
                    raise ValueError("path_prefix must be a string")
                STATE.rules.append({"method": meth, "path_prefix": prefix, "status": status,
                                    "count": count, "reset_seconds": reset})
                return Resp(200, {"rules": sum(1 for r in STATE.rules if r["count"] > 0)})
            if path == "/_fake/fail" and method == "DELETE":
                STATE.rules = []
                return Resp(200, {"rules": 0})
            if path == "/_fake/requests" and method == "GET":
                return Resp(200, list(STATE.log))
            if path == "/_fake/requests" and method == "DELETE":
                n, STATE.log = len(STATE.log), []
                return Resp(200, {"cleared": n})
            if path == "/_fake/config" and method == "GET":
                return Resp(200, dict(STATE.config))
            if path == "/_fake/config" and method == "POST":
                b = payload()
                types = {"page_size_default": int, "get_current_token": bool,
                         "json_content_type_on_204": bool, "access_token_ttl": int, "rate_limit_limit": int}
                for k, v in b.items():
                    if k not in types:
                        raise ValueError("unknown config key %r" % k)
                    if type(v) is not types[k] or (types[k] is int and v < 1):
                        raise ValueError("%s must be a %s%s" % (k, types[k].__name__,
                                                                 " >= 1" if types[k] is int else ""))
                STATE.config.update(b)
                return Resp(200, dict(STATE.config))
        return Resp(404, {"error": "unknown control endpoint %s %s" % (method, path)})


def main():
    global STATE
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    STATE = State(server.server_address[1])

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if "--ignore-stdin" not in sys.argv[1:]:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(65536):
                    pass
            except (OSError, ValueError):
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()
    print("LISTENING %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sys.stderr.flush()
        sys.stdout.flush()
        # os._exit: a normal interpreter exit aborts (SIGABRT) while the daemon stdin reader still
        # holds stdin's buffer lock ("could not acquire lock ... at interpreter shutdown").
        os._exit(0)


if __name__ == "__main__":
    main()
