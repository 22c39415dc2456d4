#!/usr/bin/env python3
"""In-repo fake of the Microsoft identity platform token endpoint, Microsoft Graph (application
passwords) and Azure Key Vault secrets, served over HTTPS from one 127.0.0.1 port.

Python 3 standard library only (certificates come from the `openssl` command line, or from the
`cryptography` package when `openssl` is absent). It is a test fixture: state lives in memory and
dies with the process.

USAGE
    python3 azure_fake.py --cert-dir DIR [--tenant-id GUID] [--page-size N] [--token-lifetime S]

    Writes into DIR a throwaway CA (`ca.pem`) and a server certificate (`server.pem`, `server.key`)
    signed by it, with subjectAltName IP:127.0.0.1 and DNS:localhost; the CA key is deleted once
    the server certificate is signed. Binds 127.0.0.1 port 0 with TLS (HTTP/1.1, no ALPN h2),
    prints exactly one line `LISTENING <port>` on stdout (flushed) and serves until SIGTERM/SIGINT
    or until its stdin reaches EOF (stdin must be a pipe the parent keeps open; /dev/null stops it
    at once). Exit code 0 on a clean stop.
    Clients trust DIR/ca.pem (never disable verification). stderr gets one line per request:
    `METHOD PATH STATUS` (path without query) -- never a header, a body, a secret or a token.

    Defaults: tenant `8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b`; Key Vault page size 2 (the real
    service uses 25; small pages make clients follow nextLink); access tokens live 3599 s.

BASE URL = https://127.0.0.1:<port> (https://localhost:<port> works too: ids and links the fake
emits use the host the client sent when it is 127.0.0.1/localhost/[::1] with the fake's port).
One server routes by path:

1. IDENTITY PLATFORM (Entra ID v2 endpoint)
   GET  /{tenant}/v2.0/.well-known/openid-configuration
        -> 200 {"issuer": BASE/{tenant}/v2.0, "authorization_endpoint": BASE/{tenant}/oauth2/v2.0/
           authorize, "token_endpoint": BASE/{tenant}/oauth2/v2.0/token, "jwks_uri",
           "device_authorization_endpoint", "token_endpoint_auth_methods_supported", ...}.
        Unknown tenant -> 400 {"error":"invalid_tenant", AADSTS90002 ...}.
   GET  /common/discovery/instance?api-version=1.0|1.1&authorization_endpoint=BASE/{tenant}/oauth2/v2.0/authorize
        -> 200 {"tenant_discovery_endpoint": BASE/{tenant}/v2.0/.well-known/openid-configuration,
                "api-version": "1.1", "metadata": [{"preferred_network","preferred_cache","aliases"}]}
   GET  /{tenant}/discovery/v2.0/keys -> 200 {"keys": []} (the fake's tokens are HS256, see below)
   POST /{tenant}/oauth2/v2.0/token   (application/x-www-form-urlencoded)
        grant_type=client_credentials, client_id=<appId>, scope=<resource>/.default, and either
        client_secret=<secret> (or HTTP Basic client_id:secret, each form-url-encoded), or
        client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer +
        client_assertion=<JWT>. Extra parameters (claims, client_info, ...) are ignored; the
        scopes openid/profile/offline_access are dropped before checking.
        Resources: https://graph.microsoft.com (or 00000003-0000-0000-c000-000000000000) and
        https://vault.azure.net (a trailing "/" before ".default" is accepted).
        200 {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":JWT}
        Errors: body {"error","error_description":"AADSTSn: text Trace ID: .. Correlation ID: ..
        Timestamp: YYYY-MM-DD HH:MM:SSZ","error_codes":[n],"timestamp","trace_id",
        "correlation_id","error_uri":BASE/error?code=n}, checked in this order:
          non-POST                         400 invalid_request      AADSTS900561
          tenant != the fake's tenant      400 invalid_request      AADSTS90002
          grant_type / client_id missing   400 invalid_request      AADSTS900144
          grant_type != client_credentials 400 unsupported_grant_type AADSTS70003
          client_id unknown                400 unauthorized_client  AADSTS700016
          assertion type wrong             400 invalid_request      AADSTS700023 (fake text)
          (an exact string registered via /_fake/federated is accepted here)
          assertion not a JWT              400 invalid_request      AADSTS50027
          assertion expired                400 invalid_client       AADSTS700024
          no federated record matches      400 invalid_request      AADSTS70021
          neither secret nor assertion     401 invalid_client       AADSTS7000218
          secret matches an expired cred   401 invalid_client       AADSTS7000222
          secret matches no current cred   401 invalid_client       AADSTS7000215
          scope missing                    400 invalid_request      AADSTS900144
          scope not exactly one .default   400 invalid_scope        AADSTS1002012 / AADSTS70011
          resource unknown                 400 invalid_resource     AADSTS500011
        A secret is checked against the app's CURRENT passwordCredentials only, so a secret whose
        keyId was removed via Graph is refused with AADSTS7000215. Tokens already issued stay
        valid until they expire (as in Entra ID: removing a password revokes no token).
   Access tokens are JWTs (HS256, key random per process; the fake verifies its own signature)
   with claims aud (the resource URI), iss "https://sts.windows.net/{tid}/", iat, nbf, exp, tid,
   appid, appidacr, oid and sub (the service principal's id), idtyp "app", ver "1.0". Graph only
   accepts aud Graph, Key Vault only aud Key Vault. No SDK needs to decode them.

2. MICROSOFT GRAPH  (under /v1.0; Authorization: Bearer <Graph token> of an "admin" app)
   GET  /v1.0/applications/{id}                  {id} = application OBJECT id (not the appId)
   GET  /v1.0/applications(appId='{appId}')      alternate key (also accepted with %27 quotes)
        -> 200 {"@odata.context","id","appId","displayName","createdDateTime","signInAudience",
                "keyCredentials":[],"passwordCredentials":[{"customKeyIdentifier":null,
                "displayName","endDateTime","hint","keyId","secretText":null,"startDateTime"}]}
   POST /v1.0/applications/{id}/addPassword  (also on the appId form)
        body {"passwordCredential":{"displayName"?,"endDateTime"?,"startDateTime"?}} (all optional;
        endDateTime defaults to start + 2 years)
        -> 200 {"@odata.context","customKeyIdentifier":null,"displayName","endDateTime","hint"
                (first 3 chars of secretText),"keyId" (GUID),"secretText" (40 chars like
                "Abc8Q~..." from [A-Za-z0-9~._-]; returned ONLY here, the fake keeps a hash),
                "startDateTime"}. Datetimes are emitted with 7 fractional digits and "Z".
   POST /v1.0/applications/{id}/removePassword  body {"keyId":"<GUID>"} -> 204, no body.
        Unknown keyId -> 404 Request_ResourceNotFound (NOT verified against real Graph; an
        adapter should confirm with GET that the keyId is gone instead of trusting the status).
   Errors: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
        no token                     401 InvalidAuthenticationToken "Access token is empty."
        bad/forged/expired token     401 InvalidAuthenticationToken
        token for another resource   401 InvalidAuthenticationToken "... Invalid audience."
        app not flagged admin        403 Authorization_RequestDenied
        {id} not a GUID              400 Request_BadRequest "Invalid object identifier '..'."
        unknown application          404 Request_ResourceNotFound "Resource '..' does not exist
                                         or one of its queried reference-property objects are not present."
        bad JSON body / keyId        400 BadRequest / Request_BadRequest
        other method                 405 Request_BadRequest
   401 answers carry `WWW-Authenticate: Bearer realm="", authorization_uri="BASE/common/oauth2/
   authorize", client_id="00000003-0000-0000-c000-000000000000"` (no claims: no CAE retry).
   Content-Type: application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8

3. AZURE KEY VAULT SECRETS  (vault URL = BASE; every request needs ?api-version=, accepted:
   2016-10-01, 7.0-7.6 (optionally -preview[.n]) and any YYYY-MM-DD[-preview], e.g. 2025-07-01 and
   2026-04-01 which azure-keyvault-secrets 4.12.0 sends by default)
   Any request without a valid token -> 401, body {"error":{"code":"Unauthorized","message":
   "AKV10000: Request is missing a Bearer or PoP token."}} (or AKV10022 wrong audience /
   AKV10032 invalid token), header
     WWW-Authenticate: Bearer authorization="BASE/{tenant}", resource="https://vault.azure.net"
   The challenge is answered BEFORE the body or api-version are looked at (the SDK's first
   request is a body-less copy of the real one). The challenge is not required: a request that
   carries a valid Key Vault token at once is served (so is a token POST without the metadata
   GET: an adapter may go straight to the token endpoint). App not flagged admin -> 403
   Forbidden (innererror ForbiddenByRbac).
   PUT   /secrets/{name}   {"value", "contentType"?, "tags"?, "attributes"?{"enabled","nbf","exp"}}
         -> 200 SecretBundle {"value","contentType"?,"id":BASE/secrets/{name}/{version},
            "attributes":{"enabled","created","updated","recoveryLevel":"Recoverable+Purgeable",
            "recoverableDays":90,"nbf"?,"exp"?},"tags"?}; a new 32-hex version each time.
            name must match ^[0-9a-zA-Z-]{1,127}$ else 400 BadParameter.
   GET   /secrets/{name} or /secrets/{name}/      latest (most recently created) version
   GET   /secrets/{name}/{version}
         -> 200 SecretBundle; disabled -> 403 {"error":{"code":"Forbidden","message":"Operation
            get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}};
            unknown -> 404 {"error":{"code":"SecretNotFound","message":"A secret with (name/id)
            {name}[/{version}] was not found in this key vault. ..."}}
   PATCH /secrets/{name}/{version} (or /secrets/{name}/ for latest) {"attributes"?,"tags"?,
         "contentType"?} -> 200 bundle WITHOUT "value".
   GET   /secrets/{name}/versions[?maxresults=N]   GET /secrets[?maxresults=N]
         -> 200 {"value":[{"id","attributes","tags"?,"contentType"?}], "nextLink": BASE/...
            ?api-version=..&$skiptoken=..&maxresults=N | null}; page size = maxresults (1..25)
            or --page-size. Versions of an unknown name -> 200 empty list (believed real, not
            verified).
   Errors are {"error":{"code","message"[,"innererror":{"code"}]}} with Content-Type
   application/json; charset=utf-8 and an x-ms-request-id header.

4. CONTROL API  (no auth, JSON, never logged with values; under /_fake/)
   POST /_fake/apps {"displayName", "admin"?: bool (may call Graph + Key Vault), "secret"?:
        initial secret (default: generated), "endDateTime"?}
        -> 201 {"id" (object id),"appId" (client id),"displayName","admin","secret","keyId",
                "tenantId","servicePrincipalId"}
   GET  /_fake/apps/{id or appId} -> 200 {"id","appId","displayName","admin","keyIds":[...]}
   POST /_fake/federated {"appId", and either "assertion" (an exact string accepted as
        client_assertion) or "issuer"+"subject" ["audience", default api://AzureADTokenExchange]
        (the assertion's JWT claims iss/sub/aud must match and exp must be in the future; the
        signature is NOT verified)} -> 201 {"ok":true}
   POST /_fake/fail {"method" ("*" = any), "path_prefix", "status" 400..599, "count" N,
        "retry_after"? seconds} -> 201; the next N matching non-control requests get that status
        (with Retry-After when given) and a service-shaped error body; nothing else happens.
   GET  /_fake/requests -> [{"method","path","status","auth":"bearer"|"none"|"other",
        "resource"? (token aud on Graph/KV; requested resource at the token endpoint),
        "client_auth"? ("secret"|"assertion"|"none", token endpoint only)}] in completion order
   DELETE /_fake/requests -> 204 (clears the log)
   GET  /_fake/tenant -> {"tenantId"}
   GET  /_fake/vault/{name} -> {"name","versions":[{"version","enabled","value","tags",
        "contentType","created"}]} (lets a test see what was stored without a token)

WHAT WAS VERIFIED, AND WHERE (see prove_azure.py, which drives the official SDKs against this)
 - msal 1.39 (inside azure-identity 1.27 ClientSecretCredential): GETs
   /{tenant}/v2.0/.well-known/openid-configuration before its first token POST, and reads only
   authorization_endpoint, token_endpoint (the tenant is taken from its path), issuer and
   device_authorization_endpoint. For an authority host that is not a Microsoft one it FIRST does
   instance discovery at login.microsoftonline.com/common/discovery/instance unless the
   credential gets disable_instance_discovery=True (msal authority.py; seen as a CONNECT to
   login.microsoftonline.com:443 at a local proxy sink; EnvironmentCredential passes the keyword
   through; azure-identity has no environment variable for it). With msal's
   instance_discovery=<URL> it asks that URL instead: the fake serves it (response shape from
   Azure SDK for JS test recordings). A tenant unknown to the fake fails already at the metadata
   GET (msal raises "Unable to get authority configuration").
 - azure-identity's ClientAssertionCredential / WorkloadIdentityCredential and every
   azure.identity.aio credential use its own AadClient: they POST straight to
   {authority}/{tenant}/oauth2/v2.0/token with no metadata request.
 - AADSTS7000215/7000222/700016/70021 texts, statuses and the error body shape: public issue
   threads quoting real responses. AADSTS700016 is 400 unauthorized_client; 70021 is 400
   invalid_request; 7000215 is 401 invalid_client.
 - Key Vault challenge: real header `Bearer authorization="https://login.windows.net/{tenant}",
   resource="https://vault.azure.net"` and body AKV10000 (Azure SDK for JS recordings). The
   Python SDK (azure/keyvault/secrets/_shared) splits the header on "," and "=", takes the tenant
   from the first path segment of authorization/authorization_uri, asks for scope
   "<resource>/.default" (or "scope" if present), and with verify_challenge_resource=True
   requires the vault host to END WITH "." + resource host, so 127.0.0.1 needs
   verify_challenge_resource=False whatever resource the fake names. Its challenge cache is
   process-wide and keyed by host: a client refusing a challenge evicts it for every client.
 - Disabled secret 403 Forbidden/SecretDisabled and "innererror" (lower case on the wire; the
   generated model maps rest_field name="innererror"): issue threads + SDK model.
 - msgraph-sdk 1.65 / kiota: the base URL is request_adapter.base_url; without scopes= the
   token scope is derived from the request host ("https://127.0.0.1/.default" here, refused
   with AADSTS500011); kiota's RetryHandler retries 429/503/504 (POST included) honouring
   Retry-After; the SDK sends enable_cae=True, so token requests carry a claims parameter.
"""

import argparse
import base64
import datetime as dt
import hashlib
import hmac
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
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit, unquote_plus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_certs import make_certificates  # noqa: E402

GRAPH = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
VAULT = "https://vault.azure.net"
FED_AUDIENCE = "api://AzureADTokenExchange"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SECRET_NAME_RE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
VERSION_RE = re.compile(r"^[0-9a-fA-F]{32}$")
API_VERSION_RE = re.compile(r"^(2016-10-01|7\.[0-9](-preview(\.[0-9]+)?)?|20[0-9]{2}-[0-9]{2}-[0-9]{2}(-preview)?)$")
SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# ---------------------------------------------------------------- helpers

def now_utc():
    return dt.datetime.now(dt.timezone.utc)


def graph_time(t):
    """Graph style: 7 fractional digits and Z."""
    t = t.astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d0Z" % t.microsecond


def parse_iso(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a datetime")
    s = value.strip()
    if s[-1] in "zZ":
        s = s[:-1] + "+00:00"
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", s)
    if m:
        s = m.group(1) + "." + (m.group(2) + "000000")[:6] + m.group(3)
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).digest()


def new_secret_text():
    head = "".join(secrets.choice(ALNUM) for _ in range(3))
    tail = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(34))
    return head + "8Q~" + tail


def decode_jwt_unverified(token):
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(claims, dict):
        raise ValueError("claims are not an object")
    return claims


# ---------------------------------------------------------------- certificates

# make_certificates: the shared throwaway CA and server certificate (fake_certs.py).


# ---------------------------------------------------------------- state

class State:
    def __init__(self, tenant_id, page_size, token_lifetime):
        self.lock = threading.RLock()
        self.tenant_id = tenant_id
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.signing_key = secrets.token_bytes(32)
        self.apps = {}            # object id -> app dict
        self.vault = {}           # secret name -> [version dicts], oldest first
        self.fail_rules = []
        self.requests = []
        self.port = 0

    # apps
    def app_by_object_id(self, oid):
        return self.apps.get(oid.lower())

    def app_by_app_id(self, app_id):
        for app in self.apps.values():
            if app["appId"].lower() == app_id.lower():
                return app
        return None

    def add_password(self, app, display_name, start, end, secret_text=None):
        secret_text = secret_text or new_secret_text()
        cred = {"keyId": str(uuid.uuid4()), "displayName": display_name, "hint": secret_text[:3],
                "start": start, "end": end, "hash": sha256(secret_text)}
        app["passwords"].append(cred)
        return cred, secret_text

    # tokens
    def issue_token(self, app, resource):
        t = int(time.time())
        header = {"typ": "JWT", "alg": "HS256", "kid": "aegis-fake"}
        claims = {"aud": resource, "iss": "https://sts.windows.net/%s/" % self.tenant_id,
                  "iat": t, "nbf": t, "exp": t + self.token_lifetime, "tid": self.tenant_id,
                  "appid": app["appId"], "appidacr": "1", "oid": app["spId"], "sub": app["spId"],
                  "idtyp": "app", "ver": "1.0", "uti": b64url(os.urandom(12))}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self.signing_key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + b64url(sig)

    def verify_token(self, token):
        """Returns (claims, None) or (None, reason) with reason in malformed|signature|expired."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "malformed"
        expected = hmac.new(self.signing_key, (parts[0] + "." + parts[1]).encode("ascii"),
                            hashlib.sha256).digest()
        try:
            given = b64url_decode(parts[2])
            claims = json.loads(b64url_decode(parts[1]))
        except Exception:
            return None, "malformed"
        if not hmac.compare_digest(expected, given):
            return None, "signature"
        if claims.get("exp", 0) <= time.time():
            return None, "expired"
        return claims, None


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AegisAzureFake/1.0"
    sys_version = ""
    timeout = 30

    state: State = None  # set on the class at start-up

    def log_message(self, fmt, *args):  # silence the default access log (it would print query strings)
        pass

    def log_error(self, fmt, *args):
        pass

    # --- plumbing
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
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def base_url(self):
        host = (self.headers.get("Host") or "").strip()
        port = self.state.port
        for name in ("127.0.0.1", "localhost", "[::1]"):
            if host.lower() == "%s:%d" % (name, port):
                return "https://" + host.lower()
        return "https://127.0.0.1:%d" % port

    def dispatch(self):
        self.log_extra = {}
        self.responded = False
        split = urlsplit(self.path)
        self.req_path = unquote(split.path)
        self.raw_path = split.path
        self.query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.body = self.read_body()
        auth = self.headers.get("Authorization") or ""
        self.auth_kind = "none" if not auth else ("bearer" if auth[:7].lower() == "bearer " else "other")
        try:
            if self.req_path.startswith("/_fake/"):
                self.route_control()
            elif not self.inject_failure():
                self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            raise
        except Exception as e:  # a bug in the fake: answer 500 without details of the request
            sys.stderr.write("azure_fake: internal error %s on %s %s\n" % (type(e).__name__, self.command, self.req_path))
            if not self.responded:
                self.send_json(500, {"error": {"code": "InternalServerError", "message": "fake internal error"}})

    def service_of(self, path):
        if path.startswith("/v1.0/") or path == "/v1.0":
            return "graph"
        if path == "/secrets" or path.startswith("/secrets/"):
            return "vault"
        return "identity"

    def send_json(self, status, obj, headers=None, content_type="application/json; charset=utf-8"):
        body = b"" if obj is None else json.dumps(obj).encode("utf-8")
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store, no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.responded = True
        self.record(status)

    def record(self, status):
        if self.req_path.startswith("/_fake/"):
            return
        entry = {"method": self.command, "path": self.req_path, "status": status, "auth": self.auth_kind}
        entry.update(self.log_extra)
        with self.state.lock:
            self.state.requests.append(entry)
        sys.stderr.write("%s %s %d\n" % (self.command, self.req_path, status))
        sys.stderr.flush()

    def json_body(self):
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    # --- failure injection
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
        service = self.service_of(self.req_path)
        if service == "graph":
            code = {429: "TooManyRequests", 503: "serviceNotAvailable", 504: "UnknownError"}.get(status, "generalException")
            message = {429: "Too many requests."}.get(status, "Injected failure (fake).")
            self.graph_error(status, code, message, headers)
        elif service == "vault":
            if status == 429:
                code, message = "Throttled", ("Request was not processed because too many requests were received. "
                                              "Reason: VaultRequestTypeLimitReached")
            else:
                code, message = ("ServiceUnavailable" if status == 503 else "InternalServerError"), "Injected failure (fake)."
            self.vault_error(status, code, message, headers=headers)
        else:
            self.aad_error(status, "temporarily_unavailable", 0, "Injected failure (fake).", headers=headers)
        return True

    # --- routing
    def route(self):
        p = self.req_path
        s = self.state
        if p == "/common/discovery/instance":
            return self.instance_discovery()
        m = re.match(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$", p)
        if m:
            return self.openid_configuration(m.group(1))
        m = re.match(r"^/([^/]+)/oauth2/v2\.0/token$", p)
        if m:
            return self.token(m.group(1))
        m = re.match(r"^/([^/]+)/discovery/v2\.0/keys$", p)
        if m and m.group(1).lower() == s.tenant_id:
            return self.send_json(200, {"keys": []})
        if p == "/v1.0" or p.startswith("/v1.0/"):
            return self.graph(p[len("/v1.0"):])
        if p == "/secrets" or p.startswith("/secrets/"):
            return self.vault(p)
        return self.send_json(404, {"error": {"code": "NotFound", "message": "No route for this path in the fake."}})

    # ------------------------------------------------------------ identity
    def aad_error(self, status, error, code, text, headers=None):
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now_utc().strftime("%Y-%m-%d %H:%M:%SZ")
        prefix = "AADSTS%d: " % code if code else ""
        body = {"error": error,
                "error_description": "%s%s Trace ID: %s Correlation ID: %s Timestamp: %s" % (prefix, text, trace, corr, stamp),
                "error_codes": [code] if code else [],
                "timestamp": stamp, "trace_id": trace, "correlation_id": corr,
                "error_uri": "%s/error?code=%d" % (self.base_url(), code)}
        h = {"x-ms-request-id": trace}
        h.update(headers or {})
        self.send_json(status, body, h)

    def tenant_unknown(self, tenant):
        return tenant.lower() != self.state.tenant_id

    def openid_configuration(self, tenant):
        if self.tenant_unknown(tenant):
            return self.aad_error(400, "invalid_tenant", 90002,
                                  "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
                                  "signing into the correct cloud." % tenant)
        b = self.base_url() + "/" + tenant
        self.send_json(200, {
            "token_endpoint": b + "/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": b + "/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": b + "/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": b + "/oauth2/v2.0/authorize",
            "device_authorization_endpoint": b + "/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": b + "/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "aegis-fake",
        })

    def instance_discovery(self):
        auth_ep = self.query.get("authorization_endpoint", "")
        parts = urlsplit(auth_ep).path.split("/")
        tenant = parts[1] if len(parts) > 1 and parts[1] else "common"
        b = self.base_url()
        host = urlsplit(b).netloc
        self.send_json(200, {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (b, tenant),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        })

    def token(self, tenant):
        s = self.state
        if self.command != "POST":
            return self.aad_error(400, "invalid_request", 900561,
                                  "The endpoint only accepts POST, OPTIONS requests. Received a %s request." % self.command)
        if self.tenant_unknown(tenant):
            return self.aad_error(400, "invalid_request", 90002,
                                  "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
                                  "signing into the correct cloud." % tenant)
        ctype = (self.headers.get("Content-Type") or "").lower()
        form = {}
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
                client_id, secret = unquote_plus(user), unquote_plus(pw)
            except Exception:
                pass
        assertion = form.get("client_assertion")
        self.log_extra["client_auth"] = "assertion" if assertion else ("secret" if secret else "none")
        scope_text = form.get("scope")
        if scope_text:
            resource = self.resource_of_scopes(scope_text.split())
            if isinstance(resource, str):
                self.log_extra["resource"] = resource
        grant = form.get("grant_type")
        if not grant:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'grant_type'.")
        if grant != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003,
                                  "The app requested an unsupported grant type '%s'." % grant)
        if not client_id:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'client_id'.")
        with s.lock:
            app = s.app_by_app_id(client_id)
            if app is None:
                return self.aad_error(400, "unauthorized_client", 700016,
                                      "Application with identifier '%s' was not found in the directory '%s'. This can "
                                      "happen if the application has not been installed by the administrator of the "
                                      "tenant or consented to by any user in the tenant. You may have sent your "
                                      "authentication request to the wrong tenant." % (client_id, s.tenant_id))
            if assertion:
                failure = self.check_assertion(app, form.get("client_assertion_type"), assertion)
            elif secret:
                failure = self.check_secret(app, secret)
            else:
                failure = (401, "invalid_client", 7000218,
                           "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
            if failure:
                return self.aad_error(*failure)
            if not scope_text:
                return self.aad_error(400, "invalid_request", 900144,
                                      "The request body must contain the following parameter: 'scope'.")
            resource = self.resource_of_scopes(scope_text.split())
            if not isinstance(resource, str):
                return self.aad_error(*resource)
            token = s.issue_token(app, resource)
        self.send_json(200, {"token_type": "Bearer", "expires_in": s.token_lifetime,
                             "ext_expires_in": s.token_lifetime, "access_token": token},
                       {"x-ms-request-id": str(uuid.uuid4())})

    def resource_of_scopes(self, scopes):
        scopes = [x for x in scopes if x not in ("openid", "profile", "offline_access")]
        if len(scopes) != 1:
            return (400, "invalid_scope", 70011,
                    "The provided request must include a 'scope' input parameter. The provided value for the input "
                    "parameter 'scope' is not valid. The scope %s is not valid." % " ".join(scopes))
        scope = scopes[0]
        if not scope.endswith("/.default"):
            return (400, "invalid_scope", 1002012,
                    "The provided value for scope %s is not valid. Client credential flows must have a scope value "
                    "with /.default suffixed to the resource identifier (application ID URI)." % scope)
        res = scope[: -len("/.default")].rstrip("/")
        if res.lower() in (GRAPH, GRAPH_APP_ID):
            return GRAPH
        if res.lower() == VAULT:
            return VAULT
        return (400, "invalid_resource", 500011,
                "The resource principal named %s was not found in the tenant named %s. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any user "
                "in the tenant. You might have sent your authentication request to the wrong tenant."
                % (res, self.state.tenant_id))

    def check_secret(self, app, secret):
        digest = sha256(secret)
        for cred in app["passwords"]:
            if hmac.compare_digest(cred["hash"], digest):
                if cred["end"] <= now_utc():
                    return (401, "invalid_client", 7000222,
                            "The provided client secret keys for app '%s' are expired. Visit the Azure portal to "
                            "create new keys for your app, or consider using certificate credentials for added "
                            "security." % app["appId"])
                return None
        return (401, "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                "value, not the client secret ID, for a secret added to app '%s'." % app["appId"])

    def check_assertion(self, app, assertion_type, assertion):
        if assertion_type != JWT_BEARER:
            return (400, "invalid_request", 700023,
                    "client_assertion_type must be '%s' (fake text)." % JWT_BEARER)
        for fed in app["federated"]:
            if fed.get("assertion") is not None and hmac.compare_digest(fed["assertion"].encode(), assertion.encode()):
                return None
        try:
            claims = decode_jwt_unverified(assertion)
        except Exception:
            return (400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        if claims.get("exp") is not None and float(claims["exp"]) <= time.time():
            return (400, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        for fed in app["federated"]:
            if fed.get("issuer") is None:
                continue
            if claims.get("iss") == fed["issuer"] and claims.get("sub") == fed["subject"] and fed["audience"] in auds \
                    and claims.get("exp") is not None:
                return None
        return (400, "invalid_request", 70021,
                "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. "
                "Assertion Subject: '%s'. Assertion Audience: '%s'." % (claims.get("iss"), claims.get("sub"),
                                                                        ",".join(str(a) for a in auds)))

    # ------------------------------------------------------------ bearer checks
    def bearer(self, expected_aud):
        """Returns (app, None) or (None, (kind, text)) with kind in none|invalid|audience|forbidden."""
        auth = self.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer " or not auth[7:].strip():
            return None, ("none", None)
        claims, reason = self.state.verify_token(auth[7:].strip())
        if claims is None:
            return None, ("invalid", reason)
        self.log_extra["resource"] = claims.get("aud")
        if claims.get("aud") != expected_aud:
            return None, ("audience", claims.get("aud"))
        with self.state.lock:
            app = self.state.app_by_app_id(claims.get("appid", ""))
        if app is None or not app["admin"]:
            return None, ("forbidden", claims)
        return app, None

    # ------------------------------------------------------------ Graph
    def graph_error(self, status, code, message, headers=None):
        rid = str(uuid.uuid4())
        h = {"request-id": rid, "client-request-id": self.headers.get("client-request-id") or rid}
        if status == 401:
            h["WWW-Authenticate"] = ('Bearer realm="", authorization_uri="%s/common/oauth2/authorize", client_id="%s"'
                                     % (self.base_url(), GRAPH_APP_ID))
        h.update(headers or {})
        self.send_json(status, {"error": {"code": code, "message": message, "innerError": {
            "date": now_utc().strftime("%Y-%m-%dT%H:%M:%S"), "request-id": rid,
            "client-request-id": h["client-request-id"]}}}, h)

    def graph_ok(self, status, obj):
        rid = str(uuid.uuid4())
        h = {"request-id": rid, "client-request-id": self.headers.get("client-request-id") or rid,
             "OData-Version": "4.0"}
        self.send_json(status, obj, h, content_type="application/json;odata.metadata=minimal;odata.streaming=true;"
                                                     "IEEE754Compatible=false;charset=utf-8")

    def graph(self, sub):
        app_auth, problem = self.bearer(GRAPH)
        if problem:
            kind, detail = problem
            if kind == "none":
                return self.graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
            if kind == "invalid":
                text = {"expired": "Lifetime validation failed, the token is expired.",
                        "signature": "Access token validation failure. Invalid signature."}.get(
                    detail, "IDX14100: JWT is not well formed.")
                return self.graph_error(401, "InvalidAuthenticationToken", text)
            if kind == "audience":
                return self.graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
            return self.graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        m = re.match(r"^/applications(?:/([^/()]+)|\(appId='([^']*)'\)|\(appId=([^)']*)\))(/addPassword|/removePassword)?/?$", sub)
        if not m:
            return self.graph_error(400, "BadRequest", "Resource not found for the segment '%s'." % sub.strip("/").split("/")[0])
        object_id, app_id = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        action = (m.group(4) or "").lstrip("/")
        with self.state.lock:
            if object_id is not None:
                if not GUID_RE.match(object_id):
                    return self.graph_error(400, "Request_BadRequest", "Invalid object identifier '%s'." % object_id)
                app = self.state.app_by_object_id(object_id)
                key = object_id
            else:
                app = self.state.app_by_app_id(app_id)
                key = app_id
            if app is None:
                return self.graph_error(404, "Request_ResourceNotFound",
                                        "Resource '%s' does not exist or one of its queried reference-property objects "
                                        "are not present." % key)
            if action == "":
                if self.command != "GET":
                    return self.graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
                return self.graph_ok(200, self.application_json(app))
            if self.command != "POST":
                return self.graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
            try:
                body = self.json_body() or {}
                if not isinstance(body, dict):
                    raise ValueError
            except Exception:
                return self.graph_error(400, "BadRequest", "Unable to read JSON request payload. Please ensure "
                                        "Content-Type header is set and payload is of valid JSON format.")
            if action == "addPassword":
                return self.add_password(app, body)
            return self.remove_password(app, body)

    def password_json(self, cred, secret_text=None):
        return {"customKeyIdentifier": None, "displayName": cred["displayName"], "endDateTime": graph_time(cred["end"]),
                "hint": cred["hint"], "keyId": cred["keyId"], "secretText": secret_text,
                "startDateTime": graph_time(cred["start"])}

    def application_json(self, app):
        return {"@odata.context": self.base_url() + "/v1.0/$metadata#applications/$entity",
                "id": app["id"], "deletedDateTime": None, "appId": app["appId"], "displayName": app["displayName"],
                "createdDateTime": app["created"], "signInAudience": "AzureADMyOrg", "keyCredentials": [],
                "passwordCredentials": [self.password_json(c) for c in app["passwords"]]}

    def add_password(self, app, body):
        pc = body.get("passwordCredential") or {}
        if not isinstance(pc, dict):
            return self.graph_error(400, "Request_BadRequest", "Invalid value specified for property 'passwordCredential'.")
        try:
            start = parse_iso(pc["startDateTime"]) if pc.get("startDateTime") else now_utc()
            end = parse_iso(pc["endDateTime"]) if pc.get("endDateTime") else start + dt.timedelta(days=730)
        except (ValueError, TypeError):
            return self.graph_error(400, "Request_BadRequest", "Invalid value specified for property 'endDateTime'.")
        if end <= start:
            return self.graph_error(400, "Request_BadRequest", "Key credential end date is invalid.")
        name = pc.get("displayName")
        cred, secret_text = self.state.add_password(app, name if isinstance(name, str) else None, start, end)
        obj = {"@odata.context": self.base_url() + "/v1.0/$metadata#microsoft.graph.passwordCredential"}
        obj.update(self.password_json(cred, secret_text))
        return self.graph_ok(200, obj)

    def remove_password(self, app, body):
        key_id = body.get("keyId")
        if not isinstance(key_id, str) or not GUID_RE.match(key_id):
            return self.graph_error(400, "Request_BadRequest", "Invalid value specified for property 'keyId'.")
        for cred in app["passwords"]:
            if cred["keyId"].lower() == key_id.lower():
                app["passwords"].remove(cred)
                return self.graph_ok(204, None)
        return self.graph_error(404, "Request_ResourceNotFound",
                                "No password credential found with keyId '%s' on application '%s'." % (key_id, app["id"]))

    # ------------------------------------------------------------ Key Vault
    def vault_error(self, status, code, message, inner=None, headers=None):
        err = {"code": code, "message": message}
        if inner:
            err["innererror"] = {"code": inner}
        h = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-keyvault-region": "aegis-fake"}
        if status == 401:
            h["WWW-Authenticate"] = 'Bearer authorization="%s/%s", resource="%s"' % (
                self.base_url(), self.state.tenant_id, VAULT)
        h.update(headers or {})
        self.send_json(status, {"error": err}, h)

    def vault_ok(self, obj):
        self.send_json(200, obj, {"x-ms-request-id": str(uuid.uuid4()), "x-ms-keyvault-region": "aegis-fake"})

    def vault(self, path):
        app, problem = self.bearer(VAULT)
        if problem:
            kind, detail = problem
            if kind == "none":
                return self.vault_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
            if kind == "invalid":
                return self.vault_error(401, "Unauthorized", "AKV10032: Invalid token (%s)." % detail)
            if kind == "audience":
                return self.vault_error(401, "Unauthorized", "AKV10022: Invalid audience. Expected %s, found: %s."
                                        % (VAULT, detail))
            return self.vault_error(403, "Forbidden", "Caller is not authorized to perform action on resource.\r\n"
                                    "Caller: appid=%s;oid=%s\r\nAssignment: (not found)" % (detail.get("appid"), detail.get("oid")),
                                    inner="ForbiddenByRbac")
        api = self.query.get("api-version")
        if not api:
            return self.vault_error(400, "BadParameter", "The api-version query parameter is missing.")
        if not API_VERSION_RE.match(api):
            return self.vault_error(400, "BadParameter", "The specified version (%s) is not recognized." % api)
        segs = path.split("/")[2:]  # after "", "secrets"
        with self.state.lock:
            if not segs or segs == [""]:
                if self.command == "GET":
                    return self.list_secrets(api)
                return self.vault_error(405, "BadParameter", "Method not allowed on this resource.")
            name = segs[0]
            if not SECRET_NAME_RE.match(name):
                return self.vault_error(400, "BadParameter", "The request URI contains an invalid name: %s" % name)
            if len(segs) == 1:
                if self.command == "PUT":
                    return self.set_secret(name)
                if self.command == "GET":
                    return self.get_secret(name, "")
                return self.vault_error(405, "BadParameter", "Method not allowed on this resource.")
            if len(segs) == 2 and segs[1] == "versions":
                if self.command == "GET":
                    return self.list_versions(name, api)
                return self.vault_error(405, "BadParameter", "Method not allowed on this resource.")
            if len(segs) == 2 and (segs[1] == "" or VERSION_RE.match(segs[1])):
                if self.command == "GET":
                    return self.get_secret(name, segs[1].lower())
                if self.command == "PATCH":
                    return self.update_secret(name, segs[1].lower())
                return self.vault_error(405, "BadParameter", "Method not allowed on this resource.")
            if len(segs) == 2:
                return self.not_found(name, segs[1])
            return self.vault_error(400, "BadParameter", "The request URI is not valid.")

    def not_found(self, name, version=""):
        ident = name + ("/" + version if version else "")
        return self.vault_error(404, "SecretNotFound",
                                "A secret with (name/id) %s was not found in this key vault. If you recently deleted "
                                "this secret you may be able to recover it using the correct recovery command." % ident)

    def attributes_json(self, v):
        a = {"enabled": v["enabled"]}
        if v.get("nbf") is not None:
            a["nbf"] = v["nbf"]
        if v.get("exp") is not None:
            a["exp"] = v["exp"]
        a.update({"created": v["created"], "updated": v["updated"], "recoveryLevel": "Recoverable+Purgeable",
                  "recoverableDays": 90})
        return a

    def bundle(self, name, v, with_value):
        d = {}
        if with_value:
            d["value"] = v["value"]
        if v.get("contentType") is not None:
            d["contentType"] = v["contentType"]
        d["id"] = "%s/secrets/%s/%s" % (self.base_url(), name, v["version"])
        d["attributes"] = self.attributes_json(v)
        if v.get("tags"):
            d["tags"] = v["tags"]
        return d

    def item(self, name, v, with_version):
        d = {"id": "%s/secrets/%s%s" % (self.base_url(), name, "/" + v["version"] if with_version else ""),
             "attributes": self.attributes_json(v)}
        if v.get("tags"):
            d["tags"] = v["tags"]
        if v.get("contentType") is not None:
            d["contentType"] = v["contentType"]
        return d

    def apply_properties(self, v, body):
        attrs = body.get("attributes")
        if attrs is not None:
            if not isinstance(attrs, dict):
                raise ValueError("attributes")
            for key in ("enabled",):
                if key in attrs and attrs[key] is not None:
                    if not isinstance(attrs[key], bool):
                        raise ValueError(key)
                    v[key] = attrs[key]
            for key in ("nbf", "exp"):
                if key in attrs:
                    if attrs[key] is not None and not isinstance(attrs[key], int):
                        raise ValueError(key)
                    v[key] = attrs[key]
        if "tags" in body and body["tags"] is not None:
            tags = body["tags"]
            if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in tags.items()):
                raise ValueError("tags")
            v["tags"] = dict(tags)
        if "contentType" in body and body["contentType"] is not None:
            if not isinstance(body["contentType"], str):
                raise ValueError("contentType")
            v["contentType"] = body["contentType"]

    def set_secret(self, name):
        try:
            body = self.json_body()
            if not isinstance(body, dict) or not isinstance(body.get("value"), str):
                raise ValueError("value")
            t = int(time.time())
            v = {"version": secrets.token_hex(16), "value": body["value"], "enabled": True, "created": t,
                 "updated": t, "tags": None, "contentType": None, "nbf": None, "exp": None}
            self.apply_properties(v, body)
        except (ValueError, UnicodeDecodeError) as e:
            return self.vault_error(400, "BadParameter", "Property %s has invalid value" % (str(e) or "body"))
        self.state.vault.setdefault(name, []).append(v)
        return self.vault_ok(self.bundle(name, v, True))

    def find_version(self, name, version):
        versions = self.state.vault.get(name) or []
        if not versions:
            return None
        if version == "":
            return versions[-1]
        for v in versions:
            if v["version"] == version:
                return v
        return None

    def get_secret(self, name, version):
        v = self.find_version(name, version)
        if v is None:
            return self.not_found(name, version)
        if not v["enabled"]:
            return self.vault_error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", inner="SecretDisabled")
        return self.vault_ok(self.bundle(name, v, True))

    def update_secret(self, name, version):
        v = self.find_version(name, version)
        if v is None:
            return self.not_found(name, version)
        try:
            body = self.json_body() or {}
            if not isinstance(body, dict):
                raise ValueError("body")
            candidate = dict(v)
            self.apply_properties(candidate, body)
        except (ValueError, UnicodeDecodeError) as e:
            return self.vault_error(400, "BadParameter", "Property %s has invalid value" % (str(e) or "body"))
        candidate["updated"] = int(time.time())
        v.update(candidate)
        return self.vault_ok(self.bundle(name, v, False))

    def page(self, items, api, path):
        raw = self.query.get("maxresults")
        try:
            size = int(raw) if raw not in (None, "") else self.state.page_size
            if not 1 <= size <= 25:
                raise ValueError
        except ValueError:
            return None, self.vault_error(400, "BadParameter", "invalid maxresults value '%s'; it must be 1..25." % raw)
        offset = 0
        token = self.query.get("$skiptoken")
        if token:
            try:
                offset = int(b64url_decode(token).decode("ascii").split(":", 1)[1])
            except Exception:
                return None, self.vault_error(400, "BadParameter", "The $skiptoken is invalid.")
        chunk = items[offset: offset + size]
        nxt = None
        if offset + size < len(items):
            nxt = "%s%s?api-version=%s&$skiptoken=%s&maxresults=%d" % (
                self.base_url(), path, api, b64url(("o:%d" % (offset + size)).encode()), size)
        return {"value": chunk, "nextLink": nxt}, None

    def list_versions(self, name, api):
        items = [self.item(name, v, True) for v in self.state.vault.get(name) or []]
        body, err = self.page(items, api, "/secrets/%s/versions" % name)
        if body is not None:
            self.vault_ok(body)

    def list_secrets(self, api):
        items = [self.item(n, vs[-1], False) for n, vs in sorted(self.state.vault.items()) if vs]
        body, err = self.page(items, api, "/secrets")
        if body is not None:
            self.vault_ok(body)

    # ------------------------------------------------------------ control API
    def route_control(self):
        s = self.state
        p = self.req_path
        try:
            body = self.json_body() if self.body else {}
        except Exception:
            return self.send_json(400, {"error": "body is not JSON"})
        if body is None:
            body = {}
        if not isinstance(body, dict) and self.command == "POST":
            return self.send_json(400, {"error": "body must be a JSON object"})
        with s.lock:
            if p == "/_fake/apps" and self.command == "POST":
                name = body.get("displayName")
                if not isinstance(name, str) or not name:
                    return self.send_json(400, {"error": "displayName is required"})
                t = now_utc()
                app = {"id": str(uuid.uuid4()), "appId": str(uuid.uuid4()), "spId": str(uuid.uuid4()),
                       "displayName": name, "admin": bool(body.get("admin")), "passwords": [], "federated": [],
                       "created": t.strftime("%Y-%m-%dT%H:%M:%SZ")}
                try:
                    end = parse_iso(body["endDateTime"]) if body.get("endDateTime") else t + dt.timedelta(days=730)
                except ValueError:
                    return self.send_json(400, {"error": "endDateTime is not ISO 8601"})
                initial = body.get("secret")
                if initial is not None and (not isinstance(initial, str) or not initial):
                    return self.send_json(400, {"error": "secret must be a non-empty string"})
                cred, secret_text = s.add_password(app, "initial", t, end, initial)
                s.apps[app["id"]] = app
                return self.send_json(201, {"id": app["id"], "appId": app["appId"], "displayName": name,
                                            "admin": app["admin"], "secret": secret_text, "keyId": cred["keyId"],
                                            "tenantId": s.tenant_id, "servicePrincipalId": app["spId"]})
            m = re.match(r"^/_fake/apps/([^/]+)$", p)
            if m and self.command == "GET":
                app = s.app_by_object_id(m.group(1)) or s.app_by_app_id(m.group(1))
                if app is None:
                    return self.send_json(404, {"error": "no such app"})
                return self.send_json(200, {"id": app["id"], "appId": app["appId"], "displayName": app["displayName"],
                                            "admin": app["admin"], "keyIds": [c["keyId"] for c in app["passwords"]]})
            if p == "/_fake/federated" and self.command == "POST":
                app = s.app_by_app_id(str(body.get("appId", "")))
                if app is None:
                    return self.send_json(404, {"error": "no such appId"})
                if isinstance(body.get("assertion"), str) and body["assertion"]:
                    app["federated"].append({"assertion": body["assertion"]})
                elif isinstance(body.get("issuer"), str) and isinstance(body.get("subject"), str):
                    app["federated"].append({"issuer": body["issuer"], "subject": body["subject"],
                                             "audience": body.get("audience") or FED_AUDIENCE})
                else:
                    return self.send_json(400, {"error": "give assertion, or issuer and subject"})
                return self.send_json(201, {"ok": True})
            if p == "/_fake/fail" and self.command == "POST":
                try:
                    rule = {"method": str(body.get("method") or "*").upper(), "path_prefix": str(body["path_prefix"]),
                            "status": int(body["status"]), "count": int(body.get("count", 1)),
                            "retry_after": None if body.get("retry_after") is None else int(body["retry_after"])}
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
            if p == "/_fake/tenant" and self.command == "GET":
                return self.send_json(200, {"tenantId": s.tenant_id})
            m = re.match(r"^/_fake/vault/([^/]+)$", p)
            if m and self.command == "GET":
                versions = s.vault.get(m.group(1))
                if not versions:
                    return self.send_json(404, {"error": "no such secret"})
                return self.send_json(200, {"name": m.group(1), "versions": [
                    {"version": v["version"], "enabled": v["enabled"], "value": v["value"], "tags": v["tags"],
                     "contentType": v["contentType"], "created": v["created"]} for v in versions]})
        return self.send_json(404, {"error": "unknown control endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        # One line, no request data: TLS failures from clients that reject the CA land here.
        exc = sys.exc_info()[1]
        sys.stderr.write("azure_fake: connection error %s\n" % type(exc).__name__)
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert-dir", required=True)
    ap.add_argument("--tenant-id", default="8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b")
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--token-lifetime", type=int, default=3599)
    args = ap.parse_args()
    if not GUID_RE.match(args.tenant_id) or not 1 <= args.page_size <= 25 or args.token_lifetime < 1:
        ap.error("--tenant-id must be a GUID, --page-size 1..25, --token-lifetime >= 1")

    _, srv_pem, srv_key = make_certificates(args.cert_dir, 'Aegis Rotate fake Azure CA')
    state = State(args.tenant_id.lower(), args.page_size, args.token_lifetime)
    Handler.state = state

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(srv_pem, srv_key)
    ctx.set_alpn_protocols(["http/1.1"])

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    state.port = server.server_address[1]

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
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    serving.start()
    sys.stdout.write("LISTENING %d\n" % state.port)
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for daemon threads (handlers, stdin watcher) at shutdown
