#!/usr/bin/env python3
"""Proves openai_fake.py speaks the wire protocol the official ``openai`` Python SDK speaks.

Starts the fake (stdin a pipe), drives it with the SDK (base_url -> the fake, strict response
validation on, so every body is checked against the SDK's own types), makes every call Aegis
Rotate makes for the ``service-account-key`` and ``console-key`` strategies, asserts results
including negative cases, prints ``ok: <fact>`` lines and exits 0. The fake is stopped by PID at
the end, also on failure. Admin calls use the SDK's typed resources
(``client.admin.organization.projects...``), present in the installed SDK.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "openai_fake.py")

for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
             "OPENAI_WEBHOOK_SECRET"):
    os.environ.pop(name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

try:
    import openai
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--break-system-packages", "openai"],
                   check=True, timeout=600)
    import openai


def ok(fact):
    print(f"ok: {fact}", flush=True)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def expect(exc_type, what, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as err:
        return err
    raise AssertionError(f"{what}: expected {exc_type.__name__}, nothing was raised")


class Fake:
    """The fake as a subprocess; every wait has a deadline and names what it waited for."""

    def __init__(self, script, deadline=10.0):
        self.proc = subprocess.Popen([sys.executable, script], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr_lines = []
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout], daemon=True).start()
        threading.Thread(target=lambda: [self.stderr_lines.append(l.decode(errors="replace"))
                                         for l in self.proc.stderr], daemon=True).start()
        try:
            first = lines.get(timeout=deadline).decode().strip()
        except queue.Empty:
            self.stop()
            raise AssertionError(f"timed out after {deadline}s waiting for 'LISTENING <port>' "
                                 f"from {os.path.basename(script)}")
        check(first.startswith("LISTENING "), f"first line of the fake was {first!r}, not 'LISTENING <port>'")
        self.port = int(first.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(req, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"control {method} {path} answered {err.code}: {err.read()[:300]!r}")

    def close_stdin_and_wait(self, deadline=5.0):
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"timed out after {deadline}s waiting for the fake to exit on stdin EOF")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def matches_redacted(redacted_value, value):
    head, sep, tail = redacted_value.partition("...")
    return bool(sep) and value.startswith(head) and value.endswith(tail)


def run(fake):
    api = f"{fake.base}/v1"
    secrets_seen = []

    def key_client(value, **kw):
        return openai.OpenAI(api_key=value, base_url=api, timeout=10, _strict_response_validation=True, **kw)

    def admin_client(value, **kw):
        return openai.OpenAI(admin_api_key=value, base_url=api, timeout=10, _strict_response_validation=True, **kw)

    ok(f"openai SDK {openai.__version__} against fake on 127.0.0.1:{fake.port}")
    project = fake.control("POST", "/_fake/projects", {"name": "aegis"})["id"]
    admin_key = fake.control("POST", "/_fake/admin-keys", {})
    secrets_seen.append(admin_key["value"])
    admin = admin_client(admin_key["value"])
    projects = admin.admin.organization.projects

    # ---- GET /v1/models with a project key --------------------------------------------------
    person = fake.control("POST", "/_fake/user-keys", {"project_id": project, "name": "dashboard key"})
    secrets_seen.append(person["value"])
    models = list(key_client(person["value"]).models.list())
    check(models and all(m.object == "model" and m.id and m.owned_by for m in models), "models.list shape")
    ok(f"models.list() with a valid key returns {len(models)} models (object=model, id, created, owned_by)")

    raw = key_client(person["value"]).models.with_raw_response.list()
    check(raw.headers.get("x-request-id", "").startswith("req_"), "x-request-id header")
    ok("responses carry an x-request-id header")

    # ---- negative auth cases --------------------------------------------------------------
    # The SDK refuses to send a request without credentials, so the missing-header case is raw HTTP.
    try:
        fake._opener.open(urllib.request.Request(api + "/models"), timeout=5)
        raise AssertionError("GET /v1/models without Authorization succeeded")
    except urllib.error.HTTPError as http_err:
        body = json.loads(http_err.read())
        check(http_err.code == 401 and "You didn't provide an API key" in body["error"]["message"],
              "missing Authorization -> 401")
    ok("no Authorization header -> 401 \"You didn't provide an API key...\" (raw HTTP; the SDK refuses to send)")
    bogus = "sk-proj-" + "Q" * 40 + "Zz9y"
    err = expect(openai.AuthenticationError, "unknown key", key_client(bogus, max_retries=0).models.list)
    check(err.status_code == 401 and err.code == "invalid_api_key" and err.type == "invalid_request_error",
          f"unknown key error code/type: {err.code}/{err.type}")
    message = err.body["message"] if isinstance(err.body, dict) else str(err.body)
    check(bogus not in message and "sk-proj-" + "*" * 40 + "Zz9y" in message,
          f"unknown key error masks the key as first 8 + * + last 4: {message[:90]}")
    check(err.request_id and err.request_id.startswith("req_"), "error carries x-request-id")
    ok("unknown key -> AuthenticationError 401 code=invalid_api_key, message echoes the MASKED key "
       "(first 8 chars, '*' per hidden char, last 4)")

    err = expect(openai.AuthenticationError, "project key on admin API",
                 admin_client(person["value"], max_retries=0).admin.organization.projects.api_keys.list, project)
    check(err.status_code == 401 and "Missing scopes: api.management.read" in str(err.body), str(err.body)[:200])
    ok("a project (non-admin) key on the Admin API -> AuthenticationError 401 'insufficient permissions ... "
       "Missing scopes: api.management.read'")
    err = expect(openai.AuthenticationError, "admin key on /v1/models", key_client(admin_key["value"],
                                                                                   max_retries=0).models.list)
    check("api.model.read" in str(err.body), str(err.body)[:200])
    ok("an admin key on GET /v1/models -> 401 'Missing scopes: api.model.read'")

    # ---- strategy service-account-key -----------------------------------------------------
    sa = projects.service_accounts.create(project, name="aegis-rotate")
    check(sa.object == "organization.project.service_account" and sa.role == "member", "service account shape")
    check(sa.api_key is not None and sa.api_key.value.startswith("sk-svcacct-")
          and sa.api_key.object == "organization.project.service_account.api_key", "initial SA key")
    first_key, first_key_id = sa.api_key.value, sa.api_key.id
    secrets_seen.append(first_key)
    ok("service_accounts.create returns the service account with api_key.value (sk-svcacct-...) once")
    check(list(key_client(first_key).models.list()), "first SA key works")
    check(projects.service_accounts.retrieve(sa.id, project_id=project).id == sa.id, "retrieve SA")
    check(sa.id in [s.id for s in projects.service_accounts.list(project)], "list SA")
    ok("service_accounts.retrieve and service_accounts.list find it")
    again = projects.service_accounts.retrieve(sa.id, project_id=project)
    check(not hasattr(again, "api_key") or getattr(again, "api_key", None) is None, "value not returned again")
    ok("the key value is not returned again by service_accounts.retrieve")

    minted = projects.service_accounts.api_keys.create(sa.id, project_id=project, name="aegis-rotate-2")
    check(minted.object == "organization.project.service_account.api_key" and minted.value.startswith("sk-svcacct-")
          and minted.id != first_key_id, "second SA key")
    secrets_seen.append(minted.value)
    check(list(key_client(minted.value).models.list()), "new key verifies")
    check(list(key_client(first_key).models.list()), "old key still works during grace")
    ok("service_accounts.api_keys.create mints a SECOND key for the same service account; new key verifies "
       "with GET /v1/models while the old one still works (grace period)")

    old = projects.api_keys.retrieve(first_key_id, project_id=project)
    check(old.owner.type == "service_account" and old.owner.service_account.id == sa.id, "owner is the SA")
    check(matches_redacted(old.redacted_value, first_key) and first_key not in old.redacted_value,
          f"redacted_value {old.redacted_value!r}")
    check(old.last_used_at is not None, "last_used_at set after use")
    ok("api_keys.retrieve: owner.type=service_account, redacted_value '<first 8>...<last 4>' matches the key, "
       "last_used_at set after use")

    gone = projects.api_keys.delete(first_key_id, project_id=project)
    check(gone.object == "organization.project.api_key.deleted" and gone.deleted and gone.id == first_key_id,
          "delete response")
    expect(openai.AuthenticationError, "deleted SA key", key_client(first_key, max_retries=0).models.list)
    check(list(key_client(minted.value).models.list()), "new key survives deleting the old one")
    expect(openai.NotFoundError, "retrieve deleted key", projects.api_keys.retrieve, first_key_id, project_id=project)
    check(projects.service_accounts.retrieve(sa.id, project_id=project).id == sa.id, "SA survives key delete")
    ok("api_keys.delete(old SA key) -> {object: organization.project.api_key.deleted, deleted: true}; the old "
       "key then raises AuthenticationError, the new key and the service account live on; retrieve -> NotFoundError")

    sa_gone = projects.service_accounts.delete(sa.id, project_id=project)
    check(sa_gone.object == "organization.project.service_account.deleted" and sa_gone.deleted, "SA delete")
    expect(openai.AuthenticationError, "key of deleted SA", key_client(minted.value, max_retries=0).models.list)
    expect(openai.NotFoundError, "retrieve deleted SA", projects.service_accounts.retrieve, sa.id, project_id=project)
    ok("service_accounts.delete -> deleted: true; its remaining keys stop authenticating")

    only = projects.service_accounts.create(project, name="bare", create_service_account_only=True)
    check(only.api_key is None and only.role == "none", "create_service_account_only")
    ok("create_service_account_only=true -> api_key null, role none")

    # ---- strategy console-key -------------------------------------------------------------
    old_user = fake.control("POST", "/_fake/user-keys", {"project_id": project, "name": "prod (old)"})
    new_user = fake.control("POST", "/_fake/user-keys", {"project_id": project, "name": "prod (new)"})
    secrets_seen += [old_user["value"], new_user["value"]]
    check(list(key_client(new_user["value"]).models.list()), "new dashboard key verifies")
    found = [k for k in projects.api_keys.list(project, limit=2) if matches_redacted(k.redacted_value, old_user["value"])]
    check([k.id for k in found] == [old_user["id"]] and found[0].owner.type == "user", "find old key by redacted value")
    ok("console-key: the old user key's ID is found by listing api_keys (auto-paging) and matching "
       "redacted_value against the old key; owner.type=user")
    projects.api_keys.delete(old_user["id"], project_id=project)
    expect(openai.AuthenticationError, "deleted user key", key_client(old_user["value"], max_retries=0).models.list)
    check(list(key_client(new_user["value"]).models.list()), "new user key still works")
    state = {k["id"]: k for k in fake.control("GET", "/_fake/keys")}
    check(state[old_user["id"]]["deleted"] and not state[new_user["id"]]["deleted"], "/_fake/keys view")
    ok("api_keys.delete(old user key) -> old key AuthenticationError, new key fine, /_fake/keys shows deleted")

    # ---- paging across two pages ----------------------------------------------------------
    pager = fake.control("POST", "/_fake/projects", {"name": "paging"})["id"]
    made = [fake.control("POST", "/_fake/user-keys", {"project_id": pager, "name": f"k{i}"})["id"] for i in range(5)]
    fake.control("DELETE", "/_fake/requests")
    first = projects.api_keys.list(pager, limit=3)
    check([k.id for k in first.data] == made[:3] and first.has_more and first.last_id == made[2]
          and first.first_id == made[0], "first page")
    second = first.get_next_page()
    check([k.id for k in second.data] == made[3:] and not second.has_more and not second.has_next_page(), "second page")
    everything = [k.id for k in projects.api_keys.list(pager, limit=3)]
    check(everything == made, "auto-paging")
    log = fake.control("GET", "/_fake/requests")
    check([e["query"].get("after") for e in log if e["path"].endswith("/api_keys")][:2] == [None, made[2]],
          "after cursor on the wire")
    check(projects.api_keys.list(pager, after=made[-1]).data == [], "past the end")
    expect(openai.BadRequestError, "limit 0", projects.api_keys.list, pager, limit=0)
    ok("api_keys.list paging: limit=3 over 5 keys -> page 1 {has_more: true, first_id, last_id}, page 2 via "
       "after=<last_id> {has_more: false}; auto-pagination yields all 5 in order; limit=0 -> BadRequestError")

    # ---- 429 and 5xx are retried ----------------------------------------------------------
    fake.control("DELETE", "/_fake/requests")
    fake.control("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/models", "status": 429,
                                          "count": 2, "retry_after_ms": 200})
    started = time.monotonic()
    check(list(key_client(new_user["value"]).models.list()), "retried list")
    elapsed = time.monotonic() - started
    statuses = [e["status"] for e in fake.control("GET", "/_fake/requests") if e["path"] == "/v1/models"]
    check(statuses == [429, 429, 200], f"statuses {statuses}")
    check(elapsed < 5, f"retry-after-ms honoured ({elapsed:.2f}s)")
    ok(f"two 429s then 200: the SDK retried (default max_retries=2) honouring retry-after-ms=200 ({elapsed:.2f}s)")
    fake.control("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/models", "status": 429,
                                          "count": 1, "retry_after_ms": 1500})
    err = expect(openai.RateLimitError, "429 without retries", key_client(new_user["value"], max_retries=0).models.list)
    check(err.status_code == 429 and err.type == "requests" and err.code == "rate_limit_exceeded", f"{err.type}/{err.code}")
    check(err.response.headers.get("retry-after-ms") == "1500" and err.response.headers.get("retry-after") == "2",
          "retry headers")
    ok("with max_retries=0 a 429 raises RateLimitError type=requests code=rate_limit_exceeded, "
       "headers retry-after-ms=1500 retry-after=2")
    for status in (500, 503):
        fake.control("POST", "/_fake/fail", {"method": "*", "path_prefix": f"/v1/organization/projects/{pager}",
                                              "status": status, "count": 1})
        check(len(list(projects.api_keys.list(pager))) == 5, f"{status} retried")
    fake.control("POST", "/_fake/fail", {"method": "*", "path_prefix": "/v1/organization", "status": 503, "count": 1})
    err = expect(openai.InternalServerError, "503 without retries",
                 admin_client(admin_key["value"], max_retries=0).admin.organization.projects.api_keys.list, pager)
    check(err.status_code == 503 and err.type == "server_error", "503 body")
    ok("500 and 503 on Admin API calls are retried by the SDK; with max_retries=0 -> InternalServerError type=server_error")

    # ---- legacy (pre-2026) service account key behaviour ---------------------------------
    fake.control("POST", "/_fake/config", {"legacy_service_account_keys": True})
    legacy_sa = projects.service_accounts.create(project, name="legacy")
    secrets_seen.append(legacy_sa.api_key.value)
    expect(openai.NotFoundError, "legacy mint", projects.service_accounts.api_keys.create, legacy_sa.id, project_id=project)
    expect(openai.BadRequestError, "legacy delete", projects.api_keys.delete, legacy_sa.api_key.id, project_id=project)
    projects.service_accounts.delete(legacy_sa.id, project_id=project)
    expect(openai.AuthenticationError, "legacy SA deleted", key_client(legacy_sa.api_key.value, max_retries=0).models.list)
    fake.control("POST", "/_fake/config", {"legacy_service_account_keys": False})
    ok("legacy mode: minting a second SA key -> NotFoundError, deleting an SA-owned key -> BadRequestError; "
       "fallback 'delete the old service account' revokes its key")

    # ---- nothing secret in the fake's logs ------------------------------------------------
    log_text = json.dumps(fake.control("GET", "/_fake/requests")) + "".join(fake.stderr_lines)
    check(all(s not in log_text for s in secrets_seen), "a key value leaked into the fake's logs")
    check(any("GET /v1/models 429" in l for l in fake.stderr_lines), "stderr has method path status")
    ok(f"neither /_fake/requests nor the fake's stderr contains any of the {len(secrets_seen)} key values")

    check(fake.close_stdin_and_wait() == 0, "exit status on EOF")
    ok("the fake exits (status 0) when its stdin reaches EOF")
    second = Fake(FAKE)
    try:
        os.kill(second.proc.pid, signal.SIGTERM)
        try:
            code = second.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError("timed out after 5s waiting for the fake to exit on SIGTERM")
        check(code == 0, f"exit status on SIGTERM: {code}")
    finally:
        second.stop()
    ok("a second instance (its own port) exits (status 0) on SIGTERM sent to its PID")


def main():
    fake = Fake(FAKE)
    try:
        run(fake)
    except BaseException:
        sys.stderr.write("---- fake stderr (method path status) ----\n" + "".join(fake.stderr_lines[-40:]))
        raise
    finally:
        fake.stop()
    print("PASS prove_openai", flush=True)


if __name__ == "__main__":
    main()
