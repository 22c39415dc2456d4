#!/usr/bin/env python3
"""Proves azure_fake.py against Microsoft's official Python SDKs: azure-identity (with the msal it
bundles), azure-keyvault-secrets and msgraph-sdk. Prints one `ok: <fact>` line per proven fact and
a closing `prove_azure: N passed, 0 failed`; exits 0. On the first failed fact it prints
`FAIL: <fact>`, the fake's log tail, and exits 1. The fake is stopped by its PID at the end,
also on failure.

Usage: python3 prove_azure.py        (installs the SDKs with pip if they are missing)

TLS: the fake's throwaway CA is trusted through REQUESTS_CA_BUNDLE (requests: the sync
azure-core transport and msal) and SSL_CERT_FILE (httpx under msgraph/kiota, and aiohttp under
azure.identity.aio); verification is never disabled, and the proof checks that a client without
the CA is refused. HTTPS_PROXY points at a local sink for the whole run (NO_PROXY covers
127.0.0.1/localhost), so any request meant for a public host is caught on this machine; the
proof asserts the sink saw only the one request it provokes on purpose (msal's default
instance discovery).
"""

import asyncio
import base64
import datetime as dt
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
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "azure_fake.py")
PACKAGES = ["azure-identity", "azure-keyvault-secrets", "msgraph-sdk"]
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
VAULT_SCOPE = "https://vault.azure.net/.default"

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
    raise ProofFailure(fact + " (nothing raised)")


async def expect_raises_async(coro, exc_types, fact, contains=None):
    try:
        await coro
    except exc_types as e:
        if contains is not None and contains not in str(e) + repr(getattr(e, "error", "")):
            raise ProofFailure("%s (raised %s without %r: %s)" % (fact, type(e).__name__, contains, str(e)[:300]))
        ok(fact)
        return e
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
        import azure.identity  # noqa: F401
        import azure.keyvault.secrets  # noqa: F401
        import msgraph  # noqa: F401
        return
    except ImportError:
        pass
    for attempt in (1, 2):  # pip 23.2 once failed here with a transient packaging TypeError
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--break-system-packages", *PACKAGES],
                           timeout=600)
        if r.returncode == 0:
            return
    raise ProofFailure("pip install %s" % " ".join(PACKAGES))


# ---------------------------------------------------------------- the fake process

class Fake:
    def __init__(self, cert_dir):
        self.cert_dir = cert_dir
        self.log_path = os.path.join(cert_dir, "fake.log")
        self.proc = None
        self.port = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--cert-dir", self.cert_dir], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        lines = []

        def reader():
            lines.append(self.proc.stdout.readline().decode())

        threading.Thread(target=reader, daemon=True).start()
        line = wait_for(lambda: lines[0] if lines else (None if self.proc.poll() is None else "EXITED"),
                        "the fake's LISTENING line", timeout)
        if not line.startswith("LISTENING "):
            raise ProofFailure("fake printed %r instead of LISTENING <port>" % line)
        self.port = int(line.split()[1])
        self.base = "https://127.0.0.1:%d" % self.port
        self.ca = os.path.join(self.cert_dir, "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        return self

    def ctl(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

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


def jwt_claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def fake_jwt(claims):
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode()
    return enc({"alg": "RS256", "typ": "JWT", "kid": "aegis-test"}) + "." + enc(claims) + "." + sig


def since(entries, predicate):
    return [e for e in entries if predicate(e)]


# ---------------------------------------------------------------- the proof

def prove_tls(fake):
    import certifi
    import httpx
    import requests

    expect_raises(lambda: urllib.request.urlopen(fake.base + "/_fake/tenant", timeout=10,
                                                 context=ssl.create_default_context(cafile=certifi.where())),
                  (urllib.error.URLError, ssl.SSLError), "a client without the throwaway CA is refused (urllib)",
                  contains="CERTIFICATE_VERIFY_FAILED")
    expect_raises(lambda: requests.get(fake.base + "/_fake/tenant", verify=certifi.where(), timeout=10),
                  requests.exceptions.SSLError, "requests with only certifi's CAs is refused")
    expect_raises(lambda: httpx.get(fake.base + "/_fake/tenant", verify=ssl.create_default_context(cafile=certifi.where())),
                  httpx.ConnectError, "httpx with only certifi's CAs is refused")
    check(requests.get(fake.base + "/_fake/tenant", timeout=10).status_code == 200,
          "requests trusts the fake through REQUESTS_CA_BUNDLE")
    check(httpx.get(fake.base + "/_fake/tenant").status_code == 200, "httpx trusts the fake through SSL_CERT_FILE")
    r = urllib.request.urlopen("https://localhost:%d/_fake/tenant" % fake.port, context=fake.ctx, timeout=10)
    check(r.status == 200, "the server certificate is valid for DNS name localhost as well as IP 127.0.0.1")


def prove_identity(fake, bot, target, sink):
    import msal
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential, EnvironmentCredential, WorkloadIdentityCredential

    tenant = bot["tenantId"]
    token_path = "/%s/oauth2/v2.0/token" % tenant
    meta_path = "/%s/v2.0/.well-known/openid-configuration" % tenant

    # msal's default: instance discovery at a Microsoft host, caught by the local sink
    fake.clear()
    before = len(sink.seen)
    cred = ClientSecretCredential(tenant, bot["appId"], bot["secret"], authority=fake.base, retry_total=0)
    expect_raises(lambda: cred.get_token(VAULT_SCOPE), ClientAuthenticationError,
                  "without disable_instance_discovery, ClientSecretCredential fails on a custom authority")
    check(any(line.startswith("CONNECT login.microsoftonline.com:443") for line in sink.seen[before:])
          and fake.requests() == [],
          "... because msal first asks login.microsoftonline.com (/common/discovery/instance); the fake saw nothing")
    del sink.seen[before:]

    fake.clear()
    cred = ClientSecretCredential(tenant, bot["appId"], bot["secret"], authority=fake.base,
                                  disable_instance_discovery=True)
    graph_token = cred.get_token(GRAPH_SCOPE).token
    vault_token = cred.get_token(VAULT_SCOPE).token
    log = fake.requests()
    check([(e["method"], e["path"], e["status"]) for e in log][:2] == [("GET", meta_path, 200), ("POST", token_path, 200)],
          "msal GETs /{tenant}/v2.0/.well-known/openid-configuration, then POSTs /{tenant}/oauth2/v2.0/token")
    check(not any("discovery/instance" in e["path"] for e in log) and
          sum(1 for e in log if e["path"] == meta_path) == 1,
          "with disable_instance_discovery=True there is no instance discovery and one metadata fetch per app")
    g, v = jwt_claims(graph_token), jwt_claims(vault_token)
    check(g["aud"] == "https://graph.microsoft.com" and v["aud"] == "https://vault.azure.net"
          and g["appid"] == bot["appId"] and g["tid"] == tenant and g["exp"] > time.time(),
          "ClientSecretCredential gets JWTs for Graph and Key Vault (aud, appid, tid, exp)")
    check([e.get("resource") for e in log if e["path"] == token_path] == ["https://graph.microsoft.com", "https://vault.azure.net"]
          and all(e.get("client_auth") == "secret" for e in log if e["path"] == token_path),
          "the request log names the requested resource and the client auth kind, no values")

    saved = {k: os.environ.get(k) for k in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                                            "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE")}
    try:
        os.environ.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=bot["appId"], AZURE_CLIENT_SECRET=bot["secret"],
                          AZURE_AUTHORITY_HOST=fake.base)
        env_token = EnvironmentCredential(disable_instance_discovery=True).get_token(VAULT_SCOPE).token
        check(jwt_claims(env_token)["appid"] == bot["appId"],
              "EnvironmentCredential with AZURE_AUTHORITY_HOST=https://127.0.0.1:<port> gets a token")
    finally:
        for k, val in saved.items():
            if val is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = val

    fake.clear()
    expect_raises(lambda: ClientSecretCredential(tenant, bot["appId"], "not-the-secret", authority=fake.base,
                                                 disable_instance_discovery=True).get_token(VAULT_SCOPE),
                  ClientAuthenticationError, "a wrong secret raises ClientAuthenticationError with AADSTS7000215",
                  contains="AADSTS7000215")
    check(fake.requests()[-1]["status"] == 401, "... answered 401 invalid_client")
    expect_raises(lambda: ClientSecretCredential(tenant, str(uuid.uuid4()), "x", authority=fake.base,
                                                 disable_instance_discovery=True).get_token(VAULT_SCOPE),
                  ClientAuthenticationError, "an unknown client id raises AADSTS700016 (400 unauthorized_client)",
                  contains="AADSTS700016")
    expect_raises(lambda: ClientSecretCredential(str(uuid.uuid4()), bot["appId"], bot["secret"], authority=fake.base,
                                                 disable_instance_discovery=True).get_token(VAULT_SCOPE),
                  (ClientAuthenticationError, ValueError), "an unknown tenant fails in msal's metadata discovery",
                  contains="Unable to get authority configuration")
    check(fake.requests()[-1]["path"].endswith("/v2.0/.well-known/openid-configuration") and fake.requests()[-1]["status"] == 400,
          "... because the openid-configuration of an unknown tenant answers 400 (AADSTS90002)")

    stale = fake.ctl("POST", "/_fake/apps", {"displayName": "stale", "endDateTime": "2020-01-01T00:00:00Z"})
    expect_raises(lambda: ClientSecretCredential(tenant, stale["appId"], stale["secret"], authority=fake.base,
                                                 disable_instance_discovery=True).get_token(VAULT_SCOPE),
                  ClientAuthenticationError, "a secret past its endDateTime raises AADSTS7000222", contains="AADSTS7000222")
    import requests
    r = requests.post(fake.base + token_path, auth=(bot["appId"], bot["secret"]), timeout=10,
                      data={"grant_type": "client_credentials", "scope": VAULT_SCOPE})
    check(r.status_code == 200 and r.json()["token_type"] == "Bearer" and r.json()["expires_in"] == 3599 and
          r.json()["ext_expires_in"] == 3599, "the token endpoint also takes client_secret_basic (HTTP Basic)",
          r.text[:200])
    r = requests.post(fake.base + token_path, timeout=10, data={"grant_type": "client_credentials", "client_id": bot["appId"],
                                                                 "client_secret": bot["secret"], "scope": "https://vault.azure.net/secrets"})
    check(r.status_code == 400 and r.json()["error"] == "invalid_scope" and r.json()["error_codes"] == [1002012],
          "a client-credentials scope without /.default is refused 400 invalid_scope AADSTS1002012", r.text[:200])

    # msal told to do instance discovery against the fake
    fake.clear()
    app = msal.ConfidentialClientApplication(bot["appId"], client_credential=bot["secret"],
                                             authority="%s/%s" % (fake.base, tenant),
                                             instance_discovery=fake.base + "/common/discovery/instance")
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    check("access_token" in result and [e["path"] for e in fake.requests()][:3] ==
          ["/common/discovery/instance", meta_path, token_path],
          "msal with instance_discovery=<fake>/common/discovery/instance follows its tenant_discovery_endpoint")

    # workload identity: client assertion from a token file
    issuer, subject = "https://kubernetes.default.svc.cluster.local", "system:serviceaccount:aegis:aegis-rotate"
    fake.ctl("POST", "/_fake/federated", {"appId": bot["appId"], "issuer": issuer, "subject": subject})
    now = int(time.time())
    token_dir = tempfile.mkdtemp(dir=fake.cert_dir)
    good = os.path.join(token_dir, "good.jwt")
    with open(good, "w") as f:
        f.write(fake_jwt({"iss": issuer, "sub": subject, "aud": ["api://AzureADTokenExchange"],
                          "iat": now, "nbf": now, "exp": now + 3600}))
    fake.clear()
    wi = WorkloadIdentityCredential(tenant_id=tenant, client_id=bot["appId"], token_file_path=good, authority=fake.base)
    wi_token = wi.get_token(VAULT_SCOPE).token
    log = fake.requests()
    check(jwt_claims(wi_token)["appid"] == bot["appId"] and
          [(e["method"], e["path"], e.get("client_auth")) for e in log] == [("POST", token_path, "assertion")],
          "WorkloadIdentityCredential posts the token file as client_assertion, straight to the token "
          "endpoint (no metadata request: azure-identity's own AadClient, not msal)")
    saved = {k: os.environ.get(k) for k in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_AUTHORITY_HOST",
                                            "AZURE_FEDERATED_TOKEN_FILE")}
    try:
        os.environ.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=bot["appId"], AZURE_AUTHORITY_HOST=fake.base,
                          AZURE_FEDERATED_TOKEN_FILE=good)
        check(WorkloadIdentityCredential().get_token(GRAPH_SCOPE).token.count(".") == 2,
              "WorkloadIdentityCredential from AZURE_FEDERATED_TOKEN_FILE + AZURE_AUTHORITY_HOST env gets a token")
    finally:
        for k, val in saved.items():
            if val is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = val
    bad = os.path.join(token_dir, "bad.jwt")
    with open(bad, "w") as f:
        f.write(fake_jwt({"iss": issuer, "sub": "system:serviceaccount:other:intruder",
                          "aud": ["api://AzureADTokenExchange"], "iat": now, "exp": now + 3600}))
    expect_raises(lambda: WorkloadIdentityCredential(tenant_id=tenant, client_id=bot["appId"], token_file_path=bad,
                                                     authority=fake.base).get_token(VAULT_SCOPE),
                  ClientAuthenticationError, "an assertion with an unregistered subject raises AADSTS70021",
                  contains="AADSTS70021")
    old = os.path.join(token_dir, "old.jwt")
    with open(old, "w") as f:
        f.write(fake_jwt({"iss": issuer, "sub": subject, "aud": ["api://AzureADTokenExchange"],
                          "iat": now - 7200, "exp": now - 3600}))
    expect_raises(lambda: WorkloadIdentityCredential(tenant_id=tenant, client_id=bot["appId"], token_file_path=old,
                                                     authority=fake.base).get_token(VAULT_SCOPE),
                  ClientAuthenticationError, "an expired assertion raises AADSTS700024", contains="AADSTS700024")
    fake.ctl("POST", "/_fake/federated", {"appId": target["appId"], "assertion": "opaque-registered-assertion"})
    exact = os.path.join(token_dir, "exact.txt")
    with open(exact, "w") as f:
        f.write("opaque-registered-assertion")
    check(WorkloadIdentityCredential(tenant_id=tenant, client_id=target["appId"], token_file_path=exact,
                                     authority=fake.base).get_token(VAULT_SCOPE).token.count(".") == 2,
          "an exact assertion string registered via /_fake/federated is accepted")
    return cred, graph_token, vault_token


def prove_key_vault(fake, bot, outsider, cred, graph_token):
    import requests
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    from azure.identity import ClientSecretCredential
    from azure.keyvault.secrets import SecretClient

    name = "entra-aegis-target"
    fake.clear()
    kv = SecretClient(vault_url=fake.base, credential=cred, verify_challenge_resource=False)
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the fixtures
    from azure_fake import API_VERSION_RE
    check(bool(API_VERSION_RE.match(kv.api_version)),
          "azure-keyvault-secrets sends api-version=%s by default (4.12.0: 2026-04-01, not 7.x); the fake accepts it"
          % kv.api_version, kv.api_version)
    s1 = kv.set_secret(name, "first-value", content_type="text/plain", tags={"keyId": "k1"})
    log = fake.requests()
    kv_log = [e for e in log if e["path"].startswith("/secrets")]
    check((kv_log[0]["method"], kv_log[0]["path"], kv_log[0]["status"], kv_log[0]["auth"]) ==
          ("PUT", "/secrets/" + name, 401, "none"),
          "Key Vault challenge really happens: the SDK's first request is unauthenticated and gets 401")
    token_posts = [e for e in log if e["path"].endswith("/oauth2/v2.0/token")]
    check(len(token_posts) == 1 and token_posts[0]["resource"] == "https://vault.azure.net" and
          log.index(token_posts[0]) > log.index(kv_log[0]) and
          (kv_log[1]["status"], kv_log[1]["auth"], kv_log[1].get("resource")) == (200, "bearer", "https://vault.azure.net"),
          "... then the SDK asks a token for resource https://vault.azure.net (from the challenge) and retries with it")
    s2 = kv.set_secret(name, "second-value")
    check(s1.properties.version != s2.properties.version and len(s1.properties.version) == 32 and
          s1.id == "%s/secrets/%s/%s" % (fake.base, name, s1.properties.version),
          "set_secret twice gives two 32-hex versions with ids BASE/secrets/{name}/{version}")
    check(sum(1 for e in fake.requests() if e["status"] == 401) == 1,
          "the challenge is cached: the second PUT is sent with the token at once")
    check(s1.properties.content_type == "text/plain" and s1.properties.tags == {"keyId": "k1"} and
          s1.properties.recovery_level == "Recoverable+Purgeable" and s1.properties.enabled is True,
          "SecretBundle attributes/tags/contentType round-trip")
    check(kv.get_secret(name).value == "second-value", "get_secret(name) returns the latest version")
    check(kv.get_secret(name, s1.properties.version).value == "first-value", "get_secret(name, version) returns that version")
    props = kv.update_secret_properties(name, s1.properties.version, enabled=False)
    check(props.enabled is False, "update_secret_properties disables a version (PATCH returns no value)")
    e = expect_raises(lambda: kv.get_secret(name, s1.properties.version), HttpResponseError,
                      "getting a disabled version fails with SecretDisabled", contains="SecretDisabled")
    check(e.status_code == 403 and "Operation get is not allowed on a disabled secret." in str(e),
          "... as 403 Forbidden 'Operation get is not allowed on a disabled secret.'")
    kv.update_secret_properties(name, s1.properties.version, enabled=True)
    check(kv.get_secret(name, s1.properties.version).value == "first-value", "re-enabling makes the version readable again")
    s3 = kv.set_secret(name, "third-value")
    fake.clear()
    versions = [p.version for p in kv.list_properties_of_secret_versions(name)]
    pages = [e for e in fake.requests() if e["path"] == "/secrets/%s/versions" % name]
    check(sorted(versions) == sorted([s1.properties.version, s2.properties.version, s3.properties.version]) and
          len(pages) == 2 and all(e["status"] == 200 for e in pages),
          "list_properties_of_secret_versions follows nextLink across 2 pages (page size 2) and yields all 3 versions")
    check(name in [p.name for p in kv.list_properties_of_secrets()], "list_properties_of_secrets lists the secret")
    e = expect_raises(lambda: kv.get_secret("no-such-secret"), ResourceNotFoundError,
                      "a missing secret raises ResourceNotFoundError", contains="SecretNotFound")
    check(e.status_code == 404, "... with status 404")

    fake.ctl("POST", "/_fake/fail", {"method": "PUT", "path_prefix": "/secrets/", "status": 429, "count": 1, "retry_after": 1})
    fake.clear()
    t0 = time.monotonic()
    s4 = kv.set_secret(name, "fourth-value")
    puts = [(e["status"], e["auth"]) for e in fake.requests() if e["method"] == "PUT"]
    check(puts == [(429, "bearer"), (200, "bearer")] and time.monotonic() - t0 >= 0.9 and
          kv.get_secret(name).value == "fourth-value",
          "an injected 429 with Retry-After: 1 is retried by azure-core after ~1 s and the write lands once")
    check(len(fake.ctl("GET", "/_fake/vault/" + name)["versions"]) == 4 and s4.properties.version,
          "the 429 created no version (4 in total)")

    strict = SecretClient(vault_url=fake.base, credential=cred)
    expect_raises(lambda: strict.get_secret(name), ValueError,
                  "with verify_challenge_resource left True the SDK refuses the challenge (vault host is not *.vault.azure.net)",
                  contains="does not match the requested domain")
    fake.clear()
    check(kv.get_secret(name).value == "fourth-value" and
          [(e["status"], e["auth"]) for e in fake.requests() if e["path"].startswith("/secrets")] == [(401, "none"), (200, "bearer")],
          "the SDK's challenge cache is process-wide: the refused challenge evicted it, so the next call re-probes unauthenticated")

    r = requests.get(fake.base + "/secrets/%s?api-version=7.4" % name, headers={"Authorization": "Bearer " + graph_token},
                     timeout=10)
    check(r.status_code == 401 and "AKV10022" in r.text and "WWW-Authenticate" in r.headers,
          "Key Vault refuses a Graph token (401 AKV10022 + challenge)")
    r = requests.get(fake.base + "/secrets/%s?api-version=7.4" % name, timeout=10)
    check(r.headers.get("WWW-Authenticate") == 'Bearer authorization="%s/%s", resource="https://vault.azure.net"'
          % (fake.base, bot["tenantId"]), "the challenge header is exactly Bearer authorization=\"BASE/{tenant}\", resource=\"https://vault.azure.net\"")
    outsider_cred = ClientSecretCredential(bot["tenantId"], outsider["appId"], outsider["secret"], authority=fake.base,
                                           disable_instance_discovery=True)
    e = expect_raises(lambda: SecretClient(vault_url=fake.base, credential=outsider_cred,
                                           verify_challenge_resource=False).get_secret(name),
                      HttpResponseError, "an app not flagged admin gets 403 ForbiddenByRbac from Key Vault",
                      contains="ForbiddenByRbac")
    check(e.status_code == 403, "... status 403")
    r = requests.get(fake.base + "/secrets/%s" % name, headers={"Authorization": "Bearer " + cred.get_token(VAULT_SCOPE).token},
                     timeout=10)
    check(r.status_code == 400 and "BadParameter" in r.text, "a request without api-version is refused 400 BadParameter")
    return ["first-value", "second-value", "third-value", "fourth-value"]


async def prove_graph(fake, bot, target, outsider):
    import requests
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential
    from azure.identity.aio import ClientSecretCredential as AioClientSecretCredential
    from msgraph import GraphServiceClient
    from msgraph.generated.applications.item.add_password.add_password_post_request_body import AddPasswordPostRequestBody
    from msgraph.generated.applications.item.remove_password.remove_password_post_request_body import RemovePasswordPostRequestBody
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.password_credential import PasswordCredential

    tenant = bot["tenantId"]
    token_path = "/%s/oauth2/v2.0/token" % tenant
    secrets_seen = []

    def client(credential, scopes=(GRAPH_SCOPE,)):
        gc = GraphServiceClient(credentials=credential, scopes=list(scopes)) if scopes else GraphServiceClient(credential)
        gc.request_adapter.base_url = fake.base + "/v1.0"
        return gc

    cred = AioClientSecretCredential(tenant, bot["appId"], bot["secret"], authority=fake.base)
    try:
        gc = client(cred)
        fake.clear()
        app = await gc.applications.by_application_id(target["id"]).get()
        log = fake.requests()
        check(app.app_id == target["appId"] and app.id == target["id"] and len(app.password_credentials) == 1 and
              str(app.password_credentials[0].key_id) == target["keyId"] and app.password_credentials[0].secret_text is None,
              "GraphServiceClient (base_url set on request_adapter) GETs /v1.0/applications/{objectId}: appId, passwordCredentials without secretText")
        check([(e["method"], e["path"]) for e in log] == [("POST", token_path), ("GET", "/v1.0/applications/" + target["id"])]
              and log[1]["auth"] == "bearer" and log[1]["resource"] == "https://graph.microsoft.com",
              "the async credential (azure.identity.aio, aiohttp) POSTs the token endpoint directly, no metadata GET")
        by_app_id = await gc.applications_with_app_id(target["appId"]).get()
        check(by_app_id.id == target["id"], "GET /v1.0/applications(appId='{appId}') resolves the same application")

        add_path = "/v1.0/applications/%s/addPassword" % target["id"]
        fake.ctl("POST", "/_fake/fail", {"method": "POST", "path_prefix": add_path, "status": 429, "count": 1, "retry_after": 1})
        fake.clear()
        end = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=90)
        t0 = time.monotonic()
        added = await gc.applications.by_application_id(target["id"]).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="aegis-rotate test", end_date_time=end)))
        secrets_seen.append(added.secret_text)
        check([e["status"] for e in fake.requests() if e["path"] == add_path] == [429, 200] and time.monotonic() - t0 >= 0.9,
              "an injected 429 (Retry-After: 1) on addPassword is retried by the Graph SDK (kiota RetryHandler)")
        key_ids = fake.ctl("GET", "/_fake/apps/" + target["id"])["keyIds"]
        check(key_ids == [target["keyId"], str(added.key_id)], "the 429 added nothing: exactly one new keyId")
        check(isinstance(added.key_id, uuid.UUID) and len(added.secret_text) == 40 and added.hint == added.secret_text[:3]
              and added.display_name == "aegis-rotate test" and added.end_date_time == end and added.start_date_time is not None,
              "addPassword returns keyId (GUID), secretText, hint = first 3 chars, displayName, endDateTime as sent")

        new_cred = ClientSecretCredential(tenant, target["appId"], added.secret_text, authority=fake.base,
                                          disable_instance_discovery=True)
        check(jwt_claims(new_cred.get_token(VAULT_SCOPE).token)["appid"] == target["appId"],
              "a ClientSecretCredential with the NEW secret gets a token")
        old_cred_before = ClientSecretCredential(tenant, target["appId"], target["secret"], authority=fake.base,
                                                 disable_instance_discovery=True)
        check(old_cred_before.get_token(VAULT_SCOPE).token.count(".") == 2,
              "during the grace period the OLD secret still works too")

        fake.clear()
        removed = await gc.applications.by_application_id(target["id"]).remove_password.post(
            RemovePasswordPostRequestBody(key_id=uuid.UUID(target["keyId"])))
        check(removed is None and [(e["path"], e["status"]) for e in fake.requests() if "removePassword" in e["path"]] ==
              [("/v1.0/applications/%s/removePassword" % target["id"], 204)],
              "removePassword(keyId=old) answers 204")
        after = await gc.applications.by_application_id(target["id"]).get()
        check([str(p.key_id) for p in after.password_credentials] == [str(added.key_id)],
              "GET application now lists only the new keyId")
        expect_raises(lambda: ClientSecretCredential(tenant, target["appId"], target["secret"], authority=fake.base,
                                                     disable_instance_discovery=True).get_token(VAULT_SCOPE),
                      ClientAuthenticationError, "the OLD secret is now refused at the token endpoint (AADSTS7000215)",
                      contains="AADSTS7000215")
        check(new_cred.get_token(VAULT_SCOPE, claims=None).token.count(".") == 2 and
              ClientSecretCredential(tenant, target["appId"], added.secret_text, authority=fake.base,
                                     disable_instance_discovery=True).get_token(GRAPH_SCOPE).token.count(".") == 2,
              "the NEW secret keeps working after the old one is removed")

        e = await expect_raises_async(
            gc.applications.by_application_id(target["id"]).remove_password.post(
                RemovePasswordPostRequestBody(key_id=uuid.UUID(target["keyId"]))),
            ODataError, "removing an already removed keyId raises ODataError (fake: 404, unverified)")
        check(e.response_status_code == 404 and e.error.code == "Request_ResourceNotFound", "... 404 Request_ResourceNotFound")
        missing = str(uuid.uuid4())
        e = await expect_raises_async(gc.applications.by_application_id(missing).get(), ODataError,
                                      "an unknown application raises ODataError")
        check(e.response_status_code == 404 and e.error.code == "Request_ResourceNotFound" and missing in e.error.message,
              "... 404 Request_ResourceNotFound naming the id")
        e = await expect_raises_async(gc.applications.by_application_id(target["appId"]).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="x"))), ODataError,
            "the appId used where the object id belongs is not found (ids are distinct)")
        check(e.response_status_code == 404, "... 404")
    finally:
        await cred.close()

    outsider_cred = AioClientSecretCredential(tenant, outsider["appId"], outsider["secret"], authority=fake.base)
    try:
        e = await expect_raises_async(client(outsider_cred).applications.by_application_id(target["id"]).get(), ODataError,
                                      "an app not flagged admin gets ODataError from Graph")
        check(e.response_status_code == 403 and e.error.code == "Authorization_RequestDenied", "... 403 Authorization_RequestDenied")
    finally:
        await outsider_cred.close()

    cred2 = AioClientSecretCredential(tenant, bot["appId"], bot["secret"], authority=fake.base)
    try:
        fake.clear()
        await expect_raises_async(client(cred2, scopes=None).applications.by_application_id(target["id"]).get(),
                                  ClientAuthenticationError,
                                  "without scopes= the Graph SDK asks for https://127.0.0.1/.default (derived from the host): AADSTS500011",
                                  contains="AADSTS500011")
    finally:
        await cred2.close()

    r = requests.get(fake.base + "/v1.0/applications/" + target["id"], timeout=10)
    check(r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken" and
          set(r.json()["error"]["innerError"]) == {"date", "request-id", "client-request-id"},
          "Graph without a token: 401 InvalidAuthenticationToken with innerError date/request-id/client-request-id")
    vault_token = ClientSecretCredential(tenant, bot["appId"], bot["secret"], authority=fake.base,
                                         disable_instance_discovery=True).get_token(VAULT_SCOPE).token
    r = requests.get(fake.base + "/v1.0/applications/" + target["id"], headers={"Authorization": "Bearer " + vault_token},
                     timeout=10)
    check(r.status_code == 401 and "Invalid audience" in r.text, "Graph refuses a Key Vault token (401 Invalid audience)")
    return secrets_seen


def main():
    ensure_sdks()
    import logging
    logging.getLogger("azure").setLevel(logging.ERROR)  # the SDKs warn on every refused token, by design here
    for k in ("REGION_NAME", "MSAL_FORCE_REGION", "AZURE_REGIONAL_AUTHORITY_NAME", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
              "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH",
              "AZURE_USERNAME", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        os.environ.pop(k, None)
    workdir = tempfile.mkdtemp(prefix="azure-fake-proof-")
    fake = Fake(workdir)
    second = None
    try:
        fake.start()
        ok("the fake printed LISTENING %d and wrote ca.pem, server.pem, server.key (CA key removed): %s" % (
            fake.port, sorted(f for f in os.listdir(workdir) if f.endswith((".pem", ".key")))))
        check(not os.path.exists(os.path.join(workdir, "ca.key")), "no CA private key is left behind")
        sink = ProxySink()
        os.environ.update(REQUESTS_CA_BUNDLE=fake.ca, SSL_CERT_FILE=fake.ca, HTTPS_PROXY=sink.url, HTTP_PROXY=sink.url,
                          NO_PROXY="127.0.0.1,localhost")
        prove_tls(fake)
        bot = fake.ctl("POST", "/_fake/apps", {"displayName": "aegis-rotate bot", "admin": True})
        target = fake.ctl("POST", "/_fake/apps", {"displayName": "payments-api"})
        outsider = fake.ctl("POST", "/_fake/apps", {"displayName": "outsider"})
        check(bot["id"] != bot["appId"] and fake.ctl("GET", "/_fake/apps/" + target["id"])["keyIds"] == [target["keyId"]],
              "control API: an app has an object id distinct from its appId and one initial password credential")
        cred, graph_token, vault_token = prove_identity(fake, bot, target, sink)
        kv_values = prove_key_vault(fake, bot, outsider, cred, graph_token)
        new_secrets = asyncio.run(prove_graph(fake, bot, target, outsider))

        entries = fake.requests()
        check(all(set(e) <= {"method", "path", "status", "auth", "resource", "client_auth"} for e in entries),
              "GET /_fake/requests entries hold only method/path/status/auth/resource/client_auth")
        log = fake.log_text()
        leaked = [s for s in [bot["secret"], target["secret"], outsider["secret"], *new_secrets, *kv_values,
                              graph_token, vault_token, graph_token.split(".")[2]] if s and s in log]
        check(not leaked and "POST /%s/oauth2/v2.0/token 200" % bot["tenantId"] in log,
              "the fake's stderr log has METHOD PATH STATUS lines and no secret, secret value or token")
        check(sink.seen == [], "no request for a public host escaped to the proxy sink apart from the one provoked")

        fake.proc.stdin.close()
        rc = wait_for(lambda: fake.proc.poll() is not None, "the fake to exit after stdin EOF", 10) and fake.proc.returncode
        check(rc == 0, "the fake exits 0 when its stdin reaches EOF")
        second = Fake(tempfile.mkdtemp(prefix="azure-fake-proof-term-")).start()
        os.kill(second.proc.pid, signal.SIGTERM)
        wait_for(lambda: second.proc.poll() is not None, "the second fake to exit after SIGTERM", 10)
        check(second.proc.returncode == 0, "the fake exits 0 on SIGTERM",
              "got %s: %s" % (second.proc.returncode, second.log_text()[-300:]))
    except Exception as e:  # ProofFailure, or an SDK error nobody expected
        if not isinstance(e, ProofFailure):
            import traceback
            traceback.print_exc()
        print("FAIL: %s" % e, flush=True)
        print("---- fake log tail ----\n" + "\n".join(fake.log_text().splitlines()[-30:]), flush=True)
        print("(fake's certificates and log kept in %s)" % workdir, flush=True)
        print("prove_azure: %d passed, 1 failed" % len(PASSED), flush=True)
        return 1
    finally:
        fake.stop()
        if second is not None:
            second.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(second.cert_dir, ignore_errors=True)
    print("prove_azure: %d passed, 0 failed" % len(PASSED), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
