#!/usr/bin/env python3
"""Proves gcp_fake.py against Google's official Python clients: google-cloud-secret-manager
(REST transport) and google-auth (service-account key file, Compute Engine metadata credentials,
plain OAuth access-token credentials). Prints one `ok: <fact>` line per proven fact and a closing
`prove_gcp: N passed, 0 failed`; exits 0. On the first failed fact it prints `FAIL: <fact>`, the
fake's log tail, and exits 1. The fake is stopped by its PID at the end, also on failure. The
whole run has an internal deadline (150 s); every wait has its own timeout.

Usage: python3 prove_gcp.py       (needs google-cloud-secret-manager; installed with pip if absent)

TLS: the fake's throwaway CA is trusted through REQUESTS_CA_BUNDLE (requests, used by both
google-auth and the REST transport) and SSL_CERT_FILE; verification is never disabled, and the
proof checks that a client without the CA is refused. HTTPS_PROXY/HTTP_PROXY point at a local
sink for the whole run (NO_PROXY covers 127.0.0.1/localhost), so any request meant for a public
host (oauth2.googleapis.com, secretmanager.googleapis.com, metadata.google.internal, ...) is
caught on this machine; the proof asserts the sink saw nothing.

Metadata: google-auth reads GCE_METADATA_HOST (host:port for every /computeMetadata/v1/ URL) and
GCE_METADATA_IP (the ping() target) when google.auth.compute_engine._metadata is IMPORTED, so the
proof sets both before importing any google module.

CRC32C: google-crc32c is not installed here; the proof computes CRC-32C (Castagnoli) itself and
checks it against the vectors in Google's docs (YQo= i.e. "a\\n" -> 163439259) and RFC 3720
("123456789" -> 0xE3069283).
"""

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "gcp_fake.py")
PACKAGES = ["google-cloud-secret-manager"]
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
DEADLINE_S = 150
T = 15  # per-call timeout handed to the clients

PASSED = []


class ProofFailure(Exception):
    pass


def ok(fact):
    PASSED.append(fact)
    print("ok: " + fact, flush=True)


def check(cond, fact, detail=""):
    if not cond:
        raise ProofFailure(fact + (" (%s)" % detail if detail else ""))
    ok(fact)


def expect_raises(fn, exc_types, fact, contains=None):
    try:
        fn()
    except exc_types as e:
        if contains is not None and contains not in str(e):
            raise ProofFailure("%s (raised %s without %r: %s)" % (fact, type(e).__name__, contains, str(e)[:300]))
        ok(fact)
        return e
    except Exception as e:
        raise ProofFailure("%s (raised %s instead: %s)" % (fact, type(e).__name__, str(e)[:300]))
    raise ProofFailure(fact + " (nothing raised)")


def wait_for(predicate, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise ProofFailure("timed out after %ss waiting for %s" % (timeout, what))


def ensure_sdks():
    try:
        import google.cloud.secretmanager  # noqa: F401
        return
    except ImportError:
        pass
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *PACKAGES], timeout=300)
    if r.returncode != 0:
        raise ProofFailure("pip install %s" % " ".join(PACKAGES))


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# ---------------------------------------------------------------- the fake process

class Fake:
    def __init__(self, cert_dir):
        self.cert_dir = cert_dir
        self.log_path = os.path.join(cert_dir, "fake.log")
        self.proc = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--cert-dir", self.cert_dir], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        lines = []

        def reader():
            for _ in range(2):
                lines.append(self.proc.stdout.readline().decode())

        threading.Thread(target=reader, daemon=True).start()
        wait_for(lambda: len(lines) == 2 or (self.proc.poll() is not None), "the fake's LISTENING/METADATA lines",
                 timeout)
        if len(lines) != 2 or not lines[0].startswith("LISTENING ") or not lines[1].startswith("METADATA "):
            raise ProofFailure("fake printed %r instead of LISTENING <port> / METADATA <port>" % lines)
        self.port = int(lines[0].split()[1])
        self.mport = int(lines[1].split()[1])
        self.base = "https://127.0.0.1:%d" % self.port
        self.mbase = "http://127.0.0.1:%d" % self.mport
        self.ca = os.path.join(self.cert_dir, "ca.pem")
        self.sa_path = os.path.join(self.cert_dir, "service-account.json")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        return self

    def http(self, method, url, body=None, headers=None, form=None):
        """Raw HTTP to either port: (status, headers, parsed JSON or text). No proxy."""
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url if "://" in url else self.base + url, data=data, method=method, headers=hdrs)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=self.ctx))
        try:
            with opener.open(req, timeout=10) as r:
                status, rh, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, rh, raw = e.code, e.headers, e.read()
        try:
            return status, rh, json.loads(raw) if raw else None
        except ValueError:
            return status, rh, raw.decode("utf-8", "replace")

    def ctl(self, method, path, body=None):
        status, _, obj = self.http(method, path, body)
        if status >= 300:
            raise ProofFailure("control %s %s answered %s: %s" % (method, path, status, obj))
        return obj

    def requests(self):
        return self.ctl("GET", "/_fake/requests")

    def clear(self):
        self.ctl("DELETE", "/_fake/requests")

    def stop(self):
        """Stop by PID: SIGTERM, then SIGKILL after a deadline."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""


class ProxySink:
    """A local listener standing in for HTTPS_PROXY: records each request line and closes."""

    def __init__(self):
        self.seen = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(2)
                self.seen.append(conn.recv(4096).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                pass
            finally:
                conn.close()


def sign_jwt(private_pem, header, claims):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


def other_private_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()


def err_status(e):
    """google.rpc.Status `status` of a GoogleAPICallError raised by the REST transport."""
    try:
        return e.response.json()["error"]["status"]
    except Exception:
        return None


# ---------------------------------------------------------------- the proof

def prove_files_and_tls(fake):
    import certifi
    import requests
    from cryptography.hazmat.primitives import serialization
    names = sorted(os.listdir(fake.cert_dir))
    check({"ca.pem", "server.pem", "server.key", "service-account.json"} <= set(names) and "ca.key" not in names,
          "the fake printed LISTENING %d then METADATA %d and wrote ca.pem, server.pem, server.key, "
          "service-account.json (no CA key left behind)" % (fake.port, fake.mport), str(names))
    with open(fake.sa_path) as f:
        sa = json.load(f)
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None)
    project = sa["project_id"]
    check(sa["type"] == "service_account" and sa["client_email"] == "aegis-rotate@%s.iam.gserviceaccount.com" % project
          and sa["token_uri"] == fake.base + "/token" and key.key_size == 2048 and
          sa["private_key"].startswith("-----BEGIN PRIVATE KEY-----") and len(sa["private_key_id"]) == 40
          and sa["client_id"].isdigit(),
          "service-account.json is a real key file: RSA 2048 PKCS#8 key, client_email aegis-rotate@<project>, "
          "token_uri https://127.0.0.1:<port>/token")
    expect_raises(lambda: requests.get(fake.base + "/_fake/projects", verify=certifi.where(), timeout=10),
                  requests.exceptions.SSLError, "a client with only certifi's CAs is refused (verification stays on)")
    check(requests.get("https://localhost:%d/_fake/projects" % fake.port, timeout=10).status_code == 200,
          "requests trusts the fake through REQUESTS_CA_BUNDLE, and the certificate is valid for localhost too")
    check(crc32c(b"a\n") == 163439259 and crc32c(b"123456789") == 0xE3069283,
          "our CRC-32C matches Google's documented vector (\"a\\n\" -> 163439259) and RFC 3720's (0xE3069283)")
    return sa


def clients(fake, sa):
    from google.cloud import secretmanager
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports.rest import \
        SecretManagerServiceRestTransport
    from google.oauth2 import service_account

    def jwt_client(creds):
        return secretmanager.SecretManagerServiceClient(
            transport="rest", client_options={"api_endpoint": fake.base}, credentials=creds)

    def oauth_client(creds):
        t = SecretManagerServiceRestTransport(host=fake.base, credentials=creds, always_use_jwt_access=False)
        return secretmanager.SecretManagerServiceClient(transport=t)

    creds = service_account.Credentials.from_service_account_file(fake.sa_path, scopes=[CLOUD_PLATFORM])
    return jwt_client, oauth_client, creds


def prove_token_endpoint(fake, sa, oauth_client, jwt_client, creds):
    import google.auth.exceptions
    from google.api_core import exceptions as gexc
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    fake.clear()
    creds.refresh(Request())
    log = fake.requests()
    check(creds.token.startswith("ya29.") and [(e["method"], e["path"], e["status"], e.get("grant")) for e in log] ==
          [("POST", "/token", 200, "urn:ietf:params:oauth:grant-type:jwt-bearer")]
          and 3500 < (creds.expiry - creds.expiry.utcnow()).total_seconds() <= 3600,
          "service_account.Credentials.refresh() POSTs the JWT-bearer grant to the key file's token_uri (the fake) "
          "and gets a ya29. token with expires_in 3599")

    fake.clear()
    sm = oauth_client(service_account.Credentials.from_service_account_file(fake.sa_path, scopes=[CLOUD_PLATFORM]))
    listed = list(sm.list_secrets(parent="projects/" + sa["project_id"], timeout=T))
    log = fake.requests()
    check(listed == [] and [e["path"] for e in log] == ["/token", "/v1/projects/%s/secrets" % sa["project_id"]]
          and log[1]["credential"] == "oauth" and log[1]["status"] == 200,
          "SecretManagerServiceClient over the REST transport (always_use_jwt_access=False) uses the access token "
          "from /token")

    fake.clear()
    sm_jwt = jwt_client(service_account.Credentials.from_service_account_file(fake.sa_path))
    list(sm_jwt.list_secrets(parent="projects/" + sa["project_id"], timeout=T))
    log = fake.requests()
    check([(e["path"], e.get("credential")) for e in log] == [("/v1/projects/%s/secrets" % sa["project_id"],
                                                               "self-signed-jwt")],
          "the default client (transport=\"rest\") with service-account credentials never calls /token: it sends a "
          "self-signed JWT (aud https://secretmanager.googleapis.com/), which the fake verifies against the key")

    now = int(time.time())
    hdr = {"alg": "RS256", "typ": "JWT", "kid": sa["private_key_id"]}
    base_claims = {"iss": sa["client_email"], "aud": "https://oauth2.googleapis.com/token", "scope": CLOUD_PLATFORM,
                   "iat": now, "exp": now + 3600}

    def grant(assertion):
        return fake.http("POST", "/token", form={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                 "assertion": assertion})

    st, _, body = grant(sign_jwt(sa["private_key"], hdr, dict(base_claims, aud=fake.base + "/token")))
    check(st == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3599 and set(body) ==
          {"access_token", "expires_in", "token_type"},
          "a hand-made assertion with aud = the key file's token_uri is accepted too: {access_token, expires_in 3599, "
          "token_type Bearer}")
    st, _, body = grant(sign_jwt(other_private_pem(), hdr, base_claims))
    check(st == 400 and body == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
          "an assertion signed by another key is refused 400 invalid_grant \"Invalid JWT Signature.\"", str(body))
    forged = dict(sa, private_key=other_private_pem())
    forged_path = os.path.join(fake.cert_dir, "forged.json")
    with open(forged_path, "w") as f:
        json.dump(forged, f)
    bad = service_account.Credentials.from_service_account_file(forged_path, scopes=[CLOUD_PLATFORM])
    expect_raises(lambda: bad.refresh(Request()), google.auth.exceptions.RefreshError,
                  "google-auth with a key file whose private key is not the trusted one raises RefreshError "
                  "(invalid_grant: Invalid JWT Signature.)", contains="Invalid JWT Signature")
    cases = [
        (dict(base_claims, aud="https://example.com/token"), "invalid_grant", "Invalid JWT: Failed audience check.",
         "a wrong aud"),
        (dict(base_claims, exp=now + 7200), "invalid_grant", "Token must be a short-lived token", "exp - iat > 3600"),
        (dict(base_claims, iat=now - 7200, exp=now - 3600), "invalid_grant", "Token must be a short-lived token",
         "an expired assertion"),
        (dict(base_claims, iss="intruder@%s.iam.gserviceaccount.com" % sa["project_id"]), "invalid_grant",
         "Invalid grant: account not found", "an unknown iss"),
        ({k: v for k, v in base_claims.items() if k != "scope"}, "invalid_scope",
         "Invalid OAuth scope or ID token audience provided.", "no scope"),
    ]
    for claims, err, text, what in cases:
        st, _, body = grant(sign_jwt(sa["private_key"], hdr, claims))
        check(st == 400 and body.get("error") == err and text in body.get("error_description", ""),
              "%s is refused 400 %s (%s)" % (what, err, text), str(body))
    st, _, body = fake.http("POST", "/token", form={"grant_type": "client_credentials"})
    check(st == 400 and body["error"] == "unsupported_grant_type", "another grant_type is refused unsupported_grant_type")
    fake.clear()
    expect_raises(lambda: oauth_client(service_account.Credentials.from_service_account_file(fake.sa_path))
                  .get_secret(name="projects/%s/secrets/x" % sa["project_id"], timeout=T), gexc.NotFound,
                  "service-account credentials WITHOUT scopes skip /token even with always_use_jwt_access=False: "
                  "google-auth signs a JWT with aud https://secretmanager.googleapis.com/ (the call reaches the API)")
    check([(e["path"], e.get("credential")) for e in fake.requests()] ==
          [("/v1/projects/%s/secrets/x" % sa["project_id"], "self-signed-jwt")], "... no POST /token was made")
    st, _, body = grant(sign_jwt(sa["private_key"], hdr, dict(base_claims, scope="https://www.googleapis.com/auth/"
                                                                                "devstorage.read_only")))
    check(st == 200, "a token for another Google scope is issued (as Google does)")
    from google.oauth2 import credentials as oauth2_credentials
    e = expect_raises(lambda: jwt_client(oauth2_credentials.Credentials(body["access_token"]))
                      .get_secret(name="projects/%s/secrets/x" % sa["project_id"], timeout=T),
                      gexc.Forbidden, "... and refused by Secret Manager: Forbidden 403 PERMISSION_DENIED "
                                      "\"Request had insufficient authentication scopes.\"",
                      contains="insufficient authentication scopes")
    check(e.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "... with ErrorInfo reason ACCESS_TOKEN_SCOPE_INSUFFICIENT")
    forged_jwt = jwt_client(service_account.Credentials.from_service_account_file(forged_path))
    e = expect_raises(lambda: forged_jwt.get_secret(name="projects/%s/secrets/x" % sa["project_id"], timeout=T),
                      gexc.Unauthorized, "a self-signed JWT from the wrong key gets 401 UNAUTHENTICATED (Unauthorized)",
                      contains="Request had invalid authentication credentials")
    check(err_status(e) == "UNAUTHENTICATED", "... body status UNAUTHENTICATED")


def prove_secret_lifecycle(fake, sa, sm):
    from google.api_core import exceptions as gexc
    from google.cloud import secretmanager
    from google.protobuf import field_mask_pb2

    project = sa["project_id"]
    number = [p["projectNumber"] for p in fake.ctl("GET", "/_fake/projects") if p["projectId"] == project][0]
    parent = "projects/" + project
    State = secretmanager.SecretVersion.State

    fake.clear()
    sec = sm.create_secret(request={"parent": parent, "secret_id": "bot-token", "secret": {
        "replication": {"automatic": {}}, "labels": {"owner": "aegis"}, "annotations": {"rotated-by": "aegis"}}},
        timeout=T)
    name = "projects/%s/secrets/bot-token" % number
    check(sec.name == name and sec.labels["owner"] == "aegis" and sec.annotations["rotated-by"] == "aegis"
          and sec.etag.startswith('"') and sec.create_time.year >= 2024,
          "create_secret(secret_id=bot-token) returns the Secret named with the project NUMBER, labels, annotations, "
          "a quoted etag and createTime")
    req = fake.requests()[-1]
    check(req["method"] == "POST" and req["path"] == "/v1/projects/%s/secrets" % project and req["auth"] == "bearer",
          "... via POST /v1/projects/{id}/secrets?secretId=...")
    e = expect_raises(lambda: sm.create_secret(request={"parent": parent, "secret_id": "bot-token", "secret": {
        "replication": {"automatic": {}}}}, timeout=T), gexc.Conflict,
        "creating it again raises Conflict 409", contains="Secret [%s] already exists." % name)
    check(err_status(e) == "ALREADY_EXISTS", "... status ALREADY_EXISTS")
    e = expect_raises(lambda: sm.create_secret(request={"parent": parent, "secret_id": "bad.id", "secret": {
        "replication": {"automatic": {}}}}, timeout=T), gexc.BadRequest,
        "a secret id outside [A-Za-z0-9_-]{1,255} is refused 400", contains="is not in a valid format")
    check(err_status(e) == "INVALID_ARGUMENT", "... status INVALID_ARGUMENT")
    st, _, body = fake.http("POST", "/v1/%s/secrets?secretId=norep" % parent, {}, {"Authorization": "Bearer " +
                                                                                    fake.static})
    check(st == 400 and body["error"]["status"] == "INVALID_ARGUMENT", "a Secret without replication is refused 400")

    v1_data = b"first-value"
    v1 = sm.add_secret_version(request={"parent": name, "payload": {"data": v1_data, "data_crc32c": crc32c(v1_data)}},
                               timeout=T)
    check(v1.name == name + "/versions/1" and v1.state == State.ENABLED and v1.client_specified_payload_checksum
          and v1.create_time.year >= 2024 and v1.etag,
          "add_secret_version with the right data_crc32c creates versions/1, ENABLED, clientSpecifiedPayloadChecksum "
          "true, createTime set")
    st, _, raw = fake.http("GET", "/v1/%s/versions/1" % name, None, {"Authorization": "Bearer " + fake.static})
    check(st == 200 and raw["state"] == "ENABLED" and raw["createTime"].endswith("Z") and "." in raw["createTime"]
          and raw["replicationStatus"] == {"automatic": {}},
          "raw GET of the version: state \"ENABLED\", createTime RFC 3339 with fraction and Z, replicationStatus")
    st, _, raw = fake.http("GET", "/v1/%s/versions/1?%%24alt=json%%3Benum-encoding%%3Dint" % name, None,
                           {"Authorization": "Bearer " + fake.static})
    check(st == 200 and raw["state"] == 1, "with $alt=json;enum-encoding=int (what the REST transport sends) "
                                           "state is the number 1")

    before = len(fake.ctl("GET", "/_fake/secrets/%s/bot-token" % project)["versions"])
    e = expect_raises(lambda: sm.add_secret_version(request={"parent": name, "payload": {
        "data": b"second-value", "data_crc32c": crc32c(b"second-value") ^ 1}}, timeout=T), gexc.BadRequest,
        "add_secret_version with a WRONG data_crc32c raises BadRequest 400 (the client sends it as given)",
        contains="Checksum mismatch")
    check(err_status(e) == "INVALID_ARGUMENT" and
          len(fake.ctl("GET", "/_fake/secrets/%s/bot-token" % project)["versions"]) == before,
          "... status INVALID_ARGUMENT, and no version was created")
    st, _, body = fake.http("POST", "/v1/%s:addVersion" % name,
                            {"payload": {"data": base64.b64encode(b"x").decode(), "data_crc32c": 12345}},
                            {"Authorization": "Bearer " + fake.static})
    check(st == 400 and body["error"]["status"] == "INVALID_ARGUMENT",
          "raw addVersion with snake_case data_crc32c as a JSON number (the docs' curl form) is checked too")

    v2_data = "second-value \u2713".encode()
    v2 = sm.add_secret_version(request={"parent": name, "payload": {"data": v2_data}}, timeout=T)
    check(v2.name == name + "/versions/2" and not v2.client_specified_payload_checksum,
          "without data_crc32c: versions/2 with clientSpecifiedPayloadChecksum false")
    expect_raises(lambda: sm.add_secret_version(request={"parent": name, "payload": {"data": b"x" * 65537}}, timeout=T),
                  gexc.BadRequest, "a payload over 64 KiB is refused 400")

    r = sm.access_secret_version(name=name + "/versions/1", timeout=T)
    check(r.name == name + "/versions/1" and r.payload.data == v1_data and r.payload.data_crc32c == crc32c(v1_data),
          "access_secret_version by number returns the data and its CRC32C")
    r = sm.access_secret_version(name="projects/%s/secrets/bot-token/versions/latest" % project, timeout=T)
    check(r.name == name + "/versions/2" and r.payload.data == v2_data and r.payload.data_crc32c == crc32c(v2_data),
          "access by `latest` (project by id) resolves to versions/2; the server computed dataCrc32c itself")

    sm.update_secret(request={"secret": {"name": name, "version_aliases": {"current": 1}},
                              "update_mask": field_mask_pb2.FieldMask(paths=["version_aliases"])}, timeout=T)
    got = sm.get_secret(name=name, timeout=T)
    log = fake.requests()
    check(dict(got.version_aliases) == {"current": 1} and got.labels["owner"] == "aegis" and
          any(e["method"] == "PATCH" and e["status"] == 200 for e in log),
          "update_secret(update_mask=version_aliases) sets the alias (PATCH ...?updateMask=versionAliases); labels "
          "untouched")
    r = sm.access_secret_version(name=name + "/versions/current", timeout=T)
    check(r.name == name + "/versions/1" and r.payload.data == v1_data, "access by alias `current` returns versions/1")
    check(fake.ctl("GET", "/_fake/secrets/%s/bot-token" % number)["secret"]["versionAliases"] == {"current": "1"},
          "control API GET /_fake/secrets/{project}/{secret} shows versionAliases (int64 as string)")

    v = sm.disable_secret_version(name=name + "/versions/1", timeout=T)
    check(v.state == State.DISABLED, "disable_secret_version -> DISABLED")
    e = expect_raises(lambda: sm.access_secret_version(name=name + "/versions/1", timeout=T), gexc.BadRequest,
                      "accessing a DISABLED version raises BadRequest 400",
                      contains="Secret Version [%s/versions/1] is in DISABLED state." % name)
    check(err_status(e) == "FAILED_PRECONDITION", "... status FAILED_PRECONDITION")
    expect_raises(lambda: sm.access_secret_version(name=name + "/versions/current", timeout=T), gexc.BadRequest,
                  "... also through its alias", contains="is in DISABLED state")
    v = sm.enable_secret_version(name=name + "/versions/1", timeout=T)
    check(v.state == State.ENABLED and sm.access_secret_version(name=name + "/versions/1", timeout=T).payload.data
          == v1_data, "enable_secret_version makes it readable again")

    v3 = sm.add_secret_version(request={"parent": name, "payload": {"data": b"third"}}, timeout=T)
    sm.disable_secret_version(name=v3.name, timeout=T)
    expect_raises(lambda: sm.access_secret_version(name=name + "/versions/latest", timeout=T), gexc.BadRequest,
                  "`latest` is the newest version whatever its state: with versions/3 DISABLED, access of latest "
                  "fails (no fallback to versions/2, as the real service)",
                  contains="Secret Version [%s/versions/3] is in DISABLED state." % name)
    enabled = [x.name for x in sm.list_secret_versions(request={"parent": name, "filter": "state:ENABLED"}, timeout=T)]
    check(enabled == [name + "/versions/2", name + "/versions/1"],
          "list_secret_versions(filter=state:ENABLED) lists the enabled ones newest first (the way to find the "
          "newest ENABLED version)", str(enabled))
    vs = list(sm.list_secret_versions(parent=name, timeout=T))
    pages = [e for e in fake.requests() if e["path"] == "/v1/%s/versions" % name]
    check([x.name for x in vs] == [name + "/versions/%d" % i for i in (3, 2, 1)] and len(pages) >= 3,
          "list_secret_versions follows nextPageToken (server page size 2): 3 versions, newest first")

    d = sm.destroy_secret_version(name=name + "/versions/1", timeout=T)
    check(d.state == State.DESTROYED and d.destroy_time.year >= 2024, "destroy_secret_version -> DESTROYED with "
                                                                      "destroyTime")
    e = expect_raises(lambda: sm.access_secret_version(name=name + "/versions/1", timeout=T), gexc.BadRequest,
                      "accessing a DESTROYED version is refused",
                      contains="Secret Version [%s/versions/1] is in DESTROYED state." % name)
    check(err_status(e) == "FAILED_PRECONDITION", "... FAILED_PRECONDITION")
    e = expect_raises(lambda: sm.enable_secret_version(name=name + "/versions/1", timeout=T), gexc.BadRequest,
                      "enabling a DESTROYED version is refused (destroyed is final)", contains="DESTROYED state")
    check(err_status(e) == "FAILED_PRECONDITION", "... FAILED_PRECONDITION")
    expect_raises(lambda: sm.disable_secret_version(name=name + "/versions/1", timeout=T), gexc.BadRequest,
                  "disabling a DESTROYED version is refused too", contains="DESTROYED state")
    ctl = fake.ctl("GET", "/_fake/secrets/%s/bot-token" % project)
    check([(x["number"], x["state"], x["value"]) for x in ctl["versions"]] ==
          [(1, "DESTROYED", None), (2, "ENABLED", v2_data.decode()), (3, "DISABLED", "third")] and
          ctl["versions"][1]["encoding"] == "utf-8",
          "control API: versions with state and UTF-8 value (null once destroyed)")

    e = expect_raises(lambda: sm.update_secret(request={"secret": {"name": name, "version_aliases": {"old": 1}},
                                                        "update_mask": {"paths": ["version_aliases"]}}, timeout=T),
                      gexc.BadRequest, "an alias pointing at a DESTROYED version is refused", contains="DESTROYED")
    check(err_status(e) == "FAILED_PRECONDITION", "... FAILED_PRECONDITION")
    e = expect_raises(lambda: sm.update_secret(request={"secret": {"name": name, "version_aliases": {"gone": 9}},
                                                        "update_mask": {"paths": ["version_aliases"]}}, timeout=T),
                      gexc.BadRequest, "an alias to a version that does not exist is refused 400 INVALID_ARGUMENT")
    expect_raises(lambda: sm.update_secret(request={"secret": {"name": name, "version_aliases": {"latest": 2}},
                                                    "update_mask": {"paths": ["version_aliases"]}}, timeout=T),
                  gexc.BadRequest, "the alias name `latest` is refused")
    st, _, body = fake.http("PATCH", "/v1/%s" % name, {"labels": {"a": "b"}}, {"Authorization": "Bearer " + fake.static})
    check(st == 400 and body["error"]["status"] == "INVALID_ARGUMENT", "PATCH without updateMask is refused 400")
    st, _, body = fake.http("PATCH", "/v1/%s?updateMask=replication" % name, {"replication": {"automatic": {}}},
                            {"Authorization": "Bearer " + fake.static})
    check(st == 400, "replication is immutable: PATCH updateMask=replication is refused 400")

    cur = sm.get_secret_version(name=name + "/versions/2", timeout=T)
    e = expect_raises(lambda: sm.disable_secret_version(request={"name": cur.name, "etag": '"0"'}, timeout=T),
                      gexc.BadRequest, "disable with a stale etag is refused")
    check(err_status(e) == "FAILED_PRECONDITION" and
          sm.disable_secret_version(request={"name": cur.name, "etag": cur.etag}, timeout=T).state == State.DISABLED,
          "... FAILED_PRECONDITION; with the current etag it succeeds")
    sm.enable_secret_version(name=cur.name, timeout=T)

    st, _, body = fake.http("GET", "/v1/%s/versions/2:access?foo=1" % name, None,
                            {"Authorization": "Bearer " + fake.static})
    check(st == 400 and "Cannot bind query parameter" in body["error"]["message"],
          "an unknown query parameter is refused 400 (\"Cannot bind query parameter\")")
    st, _, body = fake.http("POST", "/v1/%s:addVersion" % name, {"payload": {"data": "eA=="}, "extra": 1},
                            {"Authorization": "Bearer " + fake.static})
    check(st == 400 and "Unknown name \"extra\"" in body["error"]["message"], "an unknown body field is refused 400")
    st, _, body = fake.http("POST", "/v1/%s:addVersion" % name, b"{not json", {"Authorization": "Bearer " + fake.static})
    check(st == 400 and body["error"]["status"] == "INVALID_ARGUMENT", "a malformed JSON body is refused 400")
    return name, number


def prove_listing_and_errors(fake, sa, sm, number):
    from google.api_core import exceptions as gexc
    project = sa["project_id"]
    parent = "projects/" + project
    for i in range(4):
        sm.create_secret(request={"parent": parent, "secret_id": "page-%d" % i,
                                  "secret": {"replication": {"automatic": {}}, "labels": {"batch": "p"}}}, timeout=T)
    fake.clear()
    pager = sm.list_secrets(request={"parent": parent, "page_size": 2}, timeout=T)
    names = [x.name.rsplit("/", 1)[1] for x in pager]
    calls = [e for e in fake.requests() if e["path"] == "/v1/projects/%s/secrets" % project]
    check(names == ["bot-token", "page-0", "page-1", "page-2", "page-3"] and len(calls) == 3,
          "list_secrets(page_size=2) follows nextPageToken over 3 pages and yields all 5 secrets", str(names))
    labelled = [x.name.rsplit("/", 1)[1] for x in sm.list_secrets(request={"parent": parent, "filter": "labels.batch=p"},
                                                                  timeout=T)]
    check(labelled == ["page-0", "page-1", "page-2", "page-3"], "list_secrets(filter=labels.batch=p) filters by label")
    st, _, body = fake.http("GET", "/v1/%s/secrets?pageToken=bogus" % parent, None,
                            {"Authorization": "Bearer " + fake.static})
    check(st == 400 and body["error"]["status"] == "INVALID_ARGUMENT", "a forged pageToken is refused 400")

    e = expect_raises(lambda: sm.get_secret(name="%s/secrets/missing" % parent, timeout=T), gexc.NotFound,
                      "get_secret of an unknown secret raises NotFound 404",
                      contains="Secret [projects/%s/secrets/missing] not found." % number)
    check(err_status(e) == "NOT_FOUND", "... status NOT_FOUND")
    expect_raises(lambda: sm.access_secret_version(name="%s/secrets/bot-token/versions/99" % parent, timeout=T),
                  gexc.NotFound, "accessing an unknown version number raises NotFound",
                  contains="Secret Version [projects/%s/secrets/bot-token/versions/99] not found." % number)
    expect_raises(lambda: sm.access_secret_version(name="%s/secrets/page-0/versions/latest" % parent, timeout=T),
                  gexc.NotFound, "`latest` of a secret without versions raises NotFound",
                  contains="not found or has no versions")
    e = expect_raises(lambda: sm.get_secret(name="projects/not-a-fake-project/secrets/x", timeout=T), gexc.Forbidden,
                      "a project unknown to the fake raises Forbidden 403",
                      contains="Permission 'secretmanager.secrets.get' denied on resource (or it may not exist).")
    check(err_status(e) == "PERMISSION_DENIED" and e.reason == "IAM_PERMISSION_DENIED",
          "... PERMISSION_DENIED with ErrorInfo IAM_PERMISSION_DENIED")

    sm.delete_secret(name="%s/secrets/page-3" % parent, timeout=T)
    expect_raises(lambda: sm.get_secret(name="%s/secrets/page-3" % parent, timeout=T), gexc.NotFound,
                  "delete_secret removes it (get -> NotFound)")
    sm.create_secret(request={"parent": parent, "secret_id": "page-3", "secret": {"replication": {"automatic": {}}}},
                     timeout=T)
    v = sm.add_secret_version(request={"parent": "%s/secrets/page-3" % parent, "payload": {"data": b"again"}}, timeout=T)
    check(v.name.endswith("/secrets/page-3/versions/1"), "a re-created secret starts again at versions/1")


def prove_auth_modes(fake, sa, jwt_client, oauth_client):
    import google.auth.credentials
    import google.auth.exceptions
    from google.api_core import exceptions as gexc
    from google.oauth2 import credentials as oauth2_credentials
    from google.oauth2 import service_account

    project = sa["project_id"]
    secret = "projects/%s/secrets/bot-token" % project

    st, hdrs, body = fake.http("GET", "/v1/%s/versions/2:access" % secret)
    check(st == 401 and body["error"]["status"] == "UNAUTHENTICATED" and
          body["error"]["details"][0]["reason"] == "CREDENTIALS_MISSING" and
          hdrs.get("WWW-Authenticate", "").startswith('Bearer realm="https://accounts.google.com/"'),
          "no Authorization header: 401 UNAUTHENTICATED, ErrorInfo CREDENTIALS_MISSING, WWW-Authenticate Bearer")

    static = fake.ctl("POST", "/_fake/tokens", {})["access_token"]
    sm_static = jwt_client(oauth2_credentials.Credentials(static))
    fake.clear()
    r = sm_static.access_secret_version(name=secret + "/versions/2", timeout=T)
    check(r.payload.data.decode().startswith("second-value") and fake.requests()[-1]["credential"] == "static",
          "google.oauth2.credentials.Credentials(<token from POST /_fake/tokens>) reads the secret")

    class FixedToken(google.auth.credentials.Credentials):
        """A bearer token that cannot be refreshed (what a bot with a static token holds)."""

        def __init__(self, token):
            super().__init__()
            self.token = token

        def refresh(self, request):
            pass

    e = expect_raises(lambda: jwt_client(FixedToken("ya29.not-a-real-token")).access_secret_version(
        name=secret + "/versions/2", timeout=T), gexc.Unauthorized,
        "an unknown bearer token raises Unauthorized 401", contains="Request had invalid authentication credentials")
    check(err_status(e) == "UNAUTHENTICATED" and e.reason == "ACCESS_TOKEN_TYPE_UNSUPPORTED",
          "... UNAUTHENTICATED, ErrorInfo ACCESS_TOKEN_TYPE_UNSUPPORTED")
    expect_raises(lambda: jwt_client(oauth2_credentials.Credentials("ya29.not-a-real-token")).access_secret_version(
        name=secret + "/versions/2", timeout=T), google.auth.exceptions.RefreshError,
        "with oauth2.credentials.Credentials the 401 makes AuthorizedSession try a refresh, which raises RefreshError")

    sa_oauth = oauth_client(service_account.Credentials.from_service_account_file(fake.sa_path,
                                                                                 scopes=[CLOUD_PLATFORM]))
    sa_oauth.get_secret(name=secret, timeout=T)
    sm_static_fixed = jwt_client(FixedToken(static))
    sm_static_fixed.get_secret(name=secret, timeout=T)
    sa_jwt = jwt_client(service_account.Credentials.from_service_account_file(fake.sa_path))
    sa_jwt.get_secret(name=secret, timeout=T)
    time.sleep(1.1)  # the cutoff for self-signed JWTs is whole seconds of iat
    revoked = fake.ctl("POST", "/_fake/expire-tokens", {})["revoked"]
    e = expect_raises(lambda: sm_static_fixed.get_secret(name=secret, timeout=T), gexc.Unauthorized,
                      "after POST /_fake/expire-tokens (%d tokens) the static token is refused 401" % revoked)
    check(e.reason == "ACCESS_TOKEN_EXPIRED", "... ErrorInfo ACCESS_TOKEN_EXPIRED")
    fake.clear()
    sa_oauth.get_secret(name=secret, timeout=T)
    check([(e["path"], e["status"]) for e in fake.requests()] ==
          [("/v1/%s" % secret, 401), ("/token", 200), ("/v1/%s" % secret, 200)],
          "the service-account client recovers by itself: 401, a fresh POST /token, the retried call succeeds")

    fake.clear()
    sa_jwt.get_secret(name=secret, timeout=T)
    check([(e["status"], e.get("credential")) for e in fake.requests()] ==
          [(401, "self-signed-jwt"), (200, "self-signed-jwt")],
          "expire-tokens also refuses self-signed JWTs minted before it: google-auth re-mints one after the 401",
          str(fake.requests()))

    fake.ctl("POST", "/_fake/fail", {"method": "POST", "path_prefix": "/token", "status": 503, "count": 1})
    fake.ctl("POST", "/_fake/expire-tokens", {})
    fake.clear()
    sa_oauth.get_secret(name=secret, timeout=T)
    check([(e["path"], e["status"]) for e in fake.requests()] ==
          [("/v1/%s" % secret, 401), ("/token", 503), ("/token", 200), ("/v1/%s" % secret, 200)],
          "an injected 503 at /token is retried by google-auth (temporarily_unavailable), then the call succeeds")


def prove_metadata(fake, sa, jwt_client):
    from google.auth import compute_engine
    from google.auth.compute_engine import _metadata
    from google.auth.transport.requests import Request

    secret = "projects/%s/secrets/bot-token" % sa["project_id"]
    check(_metadata._GCE_METADATA_HOST == "127.0.0.1:%d" % fake.mport,
          "google-auth took the metadata host from GCE_METADATA_HOST (read at import)")
    fake.clear()
    check(_metadata.ping(Request(), timeout=5, retry_count=1) is True and
          [(e["path"], e["server"]) for e in fake.requests()] == [("/", "metadata")],
          "google-auth's metadata ping (GET http://$GCE_METADATA_IP/) sees 200 + Metadata-Flavor: Google")
    fake.clear()
    creds = compute_engine.Credentials()
    r = jwt_client(creds).access_secret_version(name=secret + "/versions/2", timeout=T)
    log = fake.requests()
    paths = [e["path"] for e in log]
    check(r.payload.data.decode().startswith("second-value") and
          "/computeMetadata/v1/instance/service-accounts/default/" in paths and
          "/computeMetadata/v1/instance/service-accounts/default/token" in paths and
          log[-1]["credential"] == "metadata" and creds.service_account_email == sa["client_email"],
          "google.auth.compute_engine.Credentials gets its token from the fake metadata server "
          "(service-accounts/default/?recursive=true, then .../token) and reads the secret")
    st, hdrs, body = fake.http("GET", fake.mbase + "/computeMetadata/v1/instance/service-accounts/default/token",
                               headers={"Metadata-Flavor": "Google"})
    check(st == 200 and hdrs.get("Metadata-Flavor") == "Google" and body["token_type"] == "Bearer" and
          body["expires_in"] == 3599 and body["access_token"].startswith("ya29."),
          "metadata token: {access_token, expires_in, token_type Bearer} with response header Metadata-Flavor: Google")
    st, _, body = fake.http("GET", fake.mbase + "/computeMetadata/v1/instance/service-accounts/default/token")
    check(st == 403 and "Metadata-Flavor" in body, "metadata without the Metadata-Flavor: Google header is refused 403")
    st, _, _ = fake.http("GET", fake.mbase + "/computeMetadata/v1/project/project-id",
                         headers={"Metadata-Flavor": "Google", "X-Forwarded-For": "10.0.0.1"})
    check(st == 403, "a proxied metadata request (X-Forwarded-For) is refused 403")
    _, _, pid = fake.http("GET", fake.mbase + "/computeMetadata/v1/project/project-id", headers={"Metadata-Flavor":
                                                                                                 "Google"})
    _, _, email = fake.http("GET", fake.mbase + "/computeMetadata/v1/instance/service-accounts/default/email",
                            headers={"Metadata-Flavor": "Google"})
    check(pid == sa["project_id"] and email == sa["client_email"] and _metadata.get_project_id(Request()) == pid,
          "metadata project/project-id and service-accounts/default/email answer the project and the SA email")
    fake.ctl("POST", "/_fake/expire-tokens", {})
    fake.clear()
    jwt_client(creds).get_secret(name=secret, timeout=T)
    check([e["status"] for e in fake.requests() if e["server"] == "api"] == [401, 200] and
          any(e["path"].endswith("/token") and e["server"] == "metadata" for e in fake.requests()),
          "after expire-tokens the metadata credentials refresh from the metadata server and the call succeeds")


def prove_failures(fake, sa, sm):
    from google.api_core import exceptions as gexc
    project = sa["project_id"]
    secret = "projects/%s/secrets/bot-token" % project
    fake.ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/%s/versions/2:access" % secret,
                                     "status": 503, "count": 1})
    fake.clear()
    r = sm.access_secret_version(name=secret + "/versions/2", timeout=T)
    check(r.payload.data.decode().startswith("second-value") and
          [e["status"] for e in fake.requests() if e["path"].endswith(":access")] == [503, 200],
          "an injected 503 on :access is retried by the client's default retry policy and then succeeds")
    before = len(fake.ctl("GET", "/_fake/secrets/%s/bot-token" % project)["versions"])
    fake.ctl("POST", "/_fake/fail", {"method": "POST", "path_prefix": "/v1/projects/", "status": 500, "count": 1})
    e = expect_raises(lambda: sm.add_secret_version(request={"parent": secret, "payload": {"data": b"x"}}, timeout=T),
                      gexc.InternalServerError, "an injected 500 on addVersion surfaces as InternalServerError")
    check(err_status(e) == "INTERNAL" and
          len(fake.ctl("GET", "/_fake/secrets/%s/bot-token" % project)["versions"]) == before,
          "... status INTERNAL, and the injected failure created no version")
    fake.ctl("POST", "/_fake/fail", {"method": "*", "path_prefix": "/v1/", "status": 429, "count": 1,
                                     "retry_after": 7})
    st, hdrs, body = fake.http("GET", "/v1/%s" % secret, None, {"Authorization": "Bearer " + fake.static})
    check(st == 429 and hdrs.get("Retry-After") == "7" and body["error"]["status"] == "RESOURCE_EXHAUSTED",
          "an injected 429 carries Retry-After and a RESOURCE_EXHAUSTED google.rpc.Status body")


def main():
    watchdog_fake = []

    def watchdog():
        time.sleep(DEADLINE_S)
        print("FAIL: overall deadline of %ds exceeded" % DEADLINE_S, flush=True)
        for f in watchdog_fake:
            f.stop()
        os._exit(1)

    threading.Thread(target=watchdog, daemon=True).start()
    for k in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCE_METADATA_HOST", "GCE_METADATA_ROOT",
              "GCE_METADATA_IP", "NO_GCE_CHECK", "GOOGLE_API_USE_CLIENT_CERTIFICATE", "GOOGLE_API_USE_MTLS_ENDPOINT",
              "GOOGLE_CLOUD_UNIVERSE_DOMAIN", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
              "GOOGLE_SDK_EXPERIMENTAL_PYTHON_REGIONAL_ACCESS_BOUNDARY_LOOKUP_ENABLED"):
        os.environ.pop(k, None)
    workdir = tempfile.mkdtemp(prefix="gcp-fake-proof-")
    fake = Fake(workdir)
    watchdog_fake.append(fake)
    second = None
    try:
        ensure_sdks()
        fake.start()
        sink = ProxySink()
        os.environ.update(REQUESTS_CA_BUNDLE=fake.ca, SSL_CERT_FILE=fake.ca, HTTPS_PROXY=sink.url, HTTP_PROXY=sink.url,
                          NO_PROXY="127.0.0.1,localhost", GCE_METADATA_HOST="127.0.0.1:%d" % fake.mport,
                          GCE_METADATA_IP="127.0.0.1:%d" % fake.mport)
        import logging
        logging.getLogger("google").setLevel(logging.ERROR)  # google-auth warns on every refused refresh, by design
        sa = prove_files_and_tls(fake)
        fake.static = fake.ctl("POST", "/_fake/tokens", {})["access_token"]
        jwt_client, oauth_client, creds = clients(fake, sa)
        prove_token_endpoint(fake, sa, oauth_client, jwt_client, creds)
        sm = jwt_client(creds)
        name, number = prove_secret_lifecycle(fake, sa, sm)
        prove_listing_and_errors(fake, sa, sm, number)
        prove_auth_modes(fake, sa, jwt_client, oauth_client)
        prove_metadata(fake, sa, jwt_client)
        fake.static = fake.ctl("POST", "/_fake/tokens", {})["access_token"]
        prove_failures(fake, sa, jwt_client(creds))

        entries = fake.requests()
        check(all(set(e) <= {"method", "path", "status", "auth", "server", "credential", "grant", "injected"}
                  for e in entries), "GET /_fake/requests entries hold only method/path/status/auth/server/credential/"
                                     "grant/injected")
        log = fake.log_text()
        leaked = [x for x in ["first-value", "second-value", "third", fake.static, sa["private_key_id"], "ya29."]
                  if x in log]
        check(not leaked and "POST /token 200" in log and "GET /computeMetadata/v1/instance/service-accounts/default/"
              "token 200" in log, "the fake's stderr has METHOD PATH STATUS lines and no value, key id or token",
              str(leaked))
        check(sink.seen == [], "no request for a public host reached the proxy sink", str(sink.seen))

        fake.proc.stdin.close()
        wait_for(lambda: fake.proc.poll() is not None, "the fake to exit after stdin EOF", 10)
        check(fake.proc.returncode == 0, "the fake exits 0 when its stdin reaches EOF")
        second = Fake(tempfile.mkdtemp(prefix="gcp-fake-proof-term-"))
        watchdog_fake.append(second)
        second.start()
        os.kill(second.proc.pid, signal.SIGTERM)
        wait_for(lambda: second.proc.poll() is not None, "the second fake to exit after SIGTERM", 10)
        check(second.proc.returncode == 0, "the fake exits 0 on SIGTERM",
              "got %s: %s" % (second.proc.returncode, second.log_text()[-300:]))
    except Exception as e:  # ProofFailure, or a client error nobody expected
        if not isinstance(e, ProofFailure):
            import traceback
            traceback.print_exc()
        print("FAIL: %s" % e, flush=True)
        print("---- fake log tail ----\n" + "\n".join(fake.log_text().splitlines()[-30:]), flush=True)
        print("(fake's certificates and log kept in %s)" % workdir, flush=True)
        print("prove_gcp: %d passed, 1 failed" % len(PASSED), flush=True)
        return 1
    finally:
        fake.stop()
        if second is not None:
            second.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(second.cert_dir, ignore_errors=True)
    print("prove_gcp: %d passed, 0 failed" % len(PASSED), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
