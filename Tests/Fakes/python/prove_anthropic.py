#!/usr/bin/env python3
"""Proves anthropic_fake.py speaks the wire protocol the official ``anthropic`` Python SDK speaks.

Starts the fake (stdin a pipe), drives it with the SDK (base_url -> the fake, strict response
validation on, so every body is checked against the SDK's own types), makes every call Aegis
Rotate makes for the ``console-key`` strategy (verify the new key with GET /v1/models, find the
old key's ID by its partial_key_hint, set it inactive, roll back to active, archive it after the
grace period), asserts results including negative cases, prints ``ok: <fact>`` lines and exits 0.
The fake is stopped by PID at the end, also on failure. Admin calls use the SDK's typed GA
resource ``client.organization.api_keys`` (``client.beta.organization.api_keys`` also exists).
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
FAKE = os.path.join(HERE, "anthropic_fake.py")

for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_ADMIN_KEY",
             "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR"):
    os.environ.pop(name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

try:
    import anthropic
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--break-system-packages", "anthropic"],
                   check=True, timeout=600)
    import anthropic


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
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"control {method} {path} answered {err.code}: {err.read()[:300]!r}")

    def raw(self, method, path, headers):
        """A raw /v1 request (for header cases the SDK cannot produce): (status, headers, body)."""
        req = urllib.request.Request(self.base + path, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=5) as resp:
                return resp.status, resp.headers, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, err.headers, json.loads(err.read())

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


def matches_hint(partial_key_hint, value):
    head, sep, tail = partial_key_hint.partition("...")
    return bool(sep) and value.startswith(head) and value.endswith(tail)


def run(fake):
    secrets_seen = []

    def client(value, **kw):
        return anthropic.Anthropic(api_key=value, base_url=fake.base, timeout=10,
                                   _strict_response_validation=True, **kw)

    ok(f"anthropic SDK {anthropic.__version__} against fake on 127.0.0.1:{fake.port}")
    admin_key = fake.control("POST", "/_fake/admin-keys", {})
    secrets_seen.append(admin_key["value"])
    admin = client(admin_key["value"])
    keys = admin.organization.api_keys

    old = fake.control("POST", "/_fake/keys", {"name": "prod (old)"})
    new = fake.control("POST", "/_fake/keys", {"name": "prod (new)"})
    secrets_seen += [old["value"], new["value"]]
    check(old["value"].startswith("sk-ant-api03-") and old["partial_key_hint"] == old["value"][:16] + "..."
          + old["value"][-4:], "control key shape")

    # ---- GET /v1/models -------------------------------------------------------------------
    fake.control("DELETE", "/_fake/requests")
    raw = client(new["value"]).models.with_raw_response.list()
    page = raw.parse()
    check(raw.headers.get("request-id", "").startswith("req_"), "request-id header")
    check(page.data and all(m.type == "model" and m.id and m.display_name and m.created_at for m in page.data)
          and page.has_more is False and page.first_id == page.data[0].id and page.last_id == page.data[-1].id,
          "models page shape")
    entry = fake.control("GET", "/_fake/requests")[-1]
    ok(f"models.list() with an active key: {len(page.data)} models {{type, id, display_name, created_at}}, "
       f"has_more=false, first_id/last_id, request-id header")
    check(entry["auth_header"] == "bearer" and entry["anthropic_version"] == "2026-10-21", str(entry))
    ok(f"SDK {anthropic.__version__} sends the key as 'Authorization: Bearer' (not x-api-key) and "
       f"anthropic-version: {entry['anthropic_version']}")

    status, headers, body = fake.raw("GET", "/v1/models", {"x-api-key": new["value"], "anthropic-version": "2023-06-01"})
    check(status == 200 and "lifecycle" not in body["data"][0], f"x-api-key + 2023-06-01: {status}")
    ok("raw 'x-api-key' + anthropic-version 2023-06-01 is accepted too (the docs' curl form)")
    status, headers, body = fake.raw("GET", "/v1/models", {"x-api-key": new["value"]})
    check(status == 400 and body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
          and body["error"]["message"] == "anthropic-version: header is required"
          and headers.get("request-id", "").startswith("req_") and body["request_id"] == headers["request-id"], str(body))
    ok("missing anthropic-version -> 400 invalid_request_error 'anthropic-version: header is required' "
       "(request-id header = body request_id)")
    status, _, body = fake.raw("GET", "/v1/models", {"x-api-key": new["value"], "anthropic-version": "2024-10-22"})
    check(status == 400 and "is not a valid version" in body["error"]["message"], str(body))
    ok("unknown anthropic-version -> 400 'anthropic-version: \"2024-10-22\" is not a valid version'")
    status, _, body = fake.raw("GET", "/v1/models", {"anthropic-version": "2023-06-01"})
    check(status == 401 and body["error"] == {"type": "authentication_error", "message": "x-api-key header is required"},
          str(body))
    ok("no credential -> 401 authentication_error 'x-api-key header is required' (raw; the SDK refuses to send)")

    err = expect(anthropic.AuthenticationError, "unknown key", client("sk-ant-api03-" + "x" * 93 + "AA",
                                                                      max_retries=0).models.list)
    check(err.status_code == 401 and err.type == "authentication_error" and err.api_message == "invalid x-api-key"
          and err.body == {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                           "request_id": err.request_id}, str(err.body))
    ok("unknown key -> AuthenticationError 401 {type: error, error: {type: authentication_error, "
       "message: 'invalid x-api-key'}, request_id}")
    err = expect(anthropic.AuthenticationError, "admin key on models", client(admin_key["value"], max_retries=0).models.list)
    check(err.status_code == 401 and err.api_message == "invalid x-api-key", str(err.body))
    err = expect(anthropic.AuthenticationError, "regular key on admin API",
                 client(new["value"], max_retries=0).organization.api_keys.list)
    check(err.status_code == 401, "regular key on admin -> 401")
    ok("a regular key on the Admin API -> AuthenticationError 401; an admin key on /v1/models -> 401")

    # ---- console-key: find the old key by partial_key_hint ---------------------------------
    found = [k for k in keys.list(limit=1) if matches_hint(k.partial_key_hint, old["value"])]
    check([k.id for k in found] == [old["id"]], "hint match")
    key = found[0]
    check(key.type == "api_key" and key.status == "active" and key.created_by.type == "user"
          and key.scope.type == "workspace" and key.partial_key_hint.startswith("sk-ant-api03-")
          and old["value"] not in key.partial_key_hint, "key object")
    head, _, tail = key.partial_key_hint.partition("...")
    check(len(head) == 16 and len(tail) == 4, "hint shape")
    ok("organization.api_keys.list (auto-paging, limit=1) finds the old key's ID by matching "
       "partial_key_hint '<first 16>...<last 4>' against the old value")
    check(keys.retrieve(old["id"]).id == old["id"], "retrieve")
    beta = admin.beta.organization.api_keys.retrieve(old["id"])
    check(beta.id == old["id"] and beta.partial_key_hint == key.partial_key_hint, "beta retrieve")
    ok("client.beta.organization.api_keys.retrieve answers the same key (beta typed resource also works)")
    expect(anthropic.NotFoundError, "retrieve unknown", keys.retrieve, "apikey_01nope")
    ok("organization.api_keys.retrieve(id) works; an unknown id -> NotFoundError")
    status, _, body = fake.raw("GET", f"/v1/organizations/api_keys/{old['id']}",
                               {"x-api-key": admin_key["value"], "anthropic-version": "2023-06-01"})
    check(status == 200 and body["workspace_id"] is None and "scope" not in body
          and set(body) == {"type", "id", "name", "status", "partial_key_hint", "created_at", "created_by",
                            "workspace_id"}, str(sorted(body)))
    ok("with anthropic-version 2023-06-01 the key object is the documented {type, id, name, status, "
       "partial_key_hint, created_at, created_by, workspace_id (null = default workspace)}")

    # ---- inactive, rollback, archive ------------------------------------------------------
    check(list(client(new["value"]).models.list()), "new key verifies")
    updated = keys.update(old["id"], status="inactive")
    check(updated.status == "inactive" and updated.id == old["id"], "inactive")
    expect(anthropic.AuthenticationError, "inactive key", client(old["value"], max_retries=0).models.list)
    check(list(client(new["value"]).models.list()), "new key still works")
    ok("update(status='inactive') -> the old key raises AuthenticationError on models.list; the new key works")
    check(keys.update(old["id"], status="active").status == "active", "rollback")
    check(list(client(old["value"]).models.list()), "old key works after rollback")
    ok("rollback: update(status='active') on an inactive key works and the old key authenticates again")
    check(keys.update(old["id"], status="inactive").status == "inactive", "inactive again")
    check(keys.update(old["id"], status="archived").status == "archived", "archive")
    expect(anthropic.AuthenticationError, "archived key", client(old["value"], max_retries=0).models.list)
    err = expect(anthropic.BadRequestError, "unarchive", keys.update, old["id"], status="active")
    check(err.status_code == 400 and err.type == "invalid_request_error", str(err.body))
    err = expect(anthropic.BadRequestError, "archived -> inactive", keys.update, old["id"], status="inactive")
    check(keys.retrieve(old["id"]).status == "archived", "still archived")
    check(keys.update(old["id"], status="archived").status == "archived", "archived no-op")
    renamed = keys.update(new["id"], name="prod")
    check(renamed.name == "prod" and renamed.status == "active", "rename")
    status, _, body = fake.raw("POST", f"/v1/organizations/api_keys/{new['id']}",
                               {"x-api-key": admin_key["value"], "anthropic-version": "2023-06-01",
                                "content-type": "application/json"})
    check(status == 200, "empty update body")
    ok("archive: update(status='archived') -> old key AuthenticationError; archived -> active or inactive "
       "-> BadRequestError 400 invalid_request_error, status stays archived; rename with name= works")
    view = {k["id"]: k["status"] for k in fake.control("GET", "/_fake/keys")}
    check(view[old["id"]] == "archived" and view[new["id"]] == "active", "/_fake/keys view")
    ok("/_fake/keys reflects {old: archived, new: active} without values")

    # ---- paging and filters ---------------------------------------------------------------
    more = [fake.control("POST", "/_fake/keys", {"name": f"k{i}"}) for i in range(3)]
    secrets_seen += [m["value"] for m in more]
    all_ids = [old["id"], new["id"]] + [m["id"] for m in more]
    first = keys.list(limit=2)
    check([k.id for k in first.data] == all_ids[:2] and first.has_more and first.last_id == all_ids[1], "page 1")
    second = first.get_next_page()
    check([k.id for k in second.data] == all_ids[2:4] and second.has_more, "page 2")
    third = second.get_next_page()
    check([k.id for k in third.data] == all_ids[4:] and not third.has_more and not third.has_next_page(), "page 3")
    check([k.id for k in keys.list(limit=2)] == all_ids, "auto paging")
    back = keys.list(limit=2, before_id=all_ids[4])
    check([k.id for k in back.data] == all_ids[2:4] and back.has_more, "before_id")
    check([k.id for k in keys.list(status="archived")] == [old["id"]], "status filter")
    check(len(list(keys.list(status="active"))) == 4, "active filter")
    default_ws = fake.control("GET", "/_fake/workspaces")["default"]
    check(len(list(keys.list(workspace_id=default_ws))) == 5 and list(keys.list(workspace_id="wrkspc_01other")) == [],
          "workspace filter")
    expect(anthropic.BadRequestError, "limit 0", keys.list, limit=0)
    ok("paging: limit=2 over 5 keys -> 3 pages via after_id=<last_id> (has_more true, true, false); "
       "before_id=<id> gives the page before it; status= and workspace_id= filter; limit=0 -> BadRequestError")

    # ---- 429 / 529 ------------------------------------------------------------------------
    fake.control("DELETE", "/_fake/requests")
    fake.control("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/models", "status": 429,
                                          "count": 2, "retry_after_ms": 200})
    started = time.monotonic()
    check(list(client(new["value"]).models.list()), "retried")
    elapsed = time.monotonic() - started
    statuses = [e["status"] for e in fake.control("GET", "/_fake/requests") if e["path"] == "/v1/models"]
    check(statuses == [429, 429, 200], f"statuses {statuses}")
    check(elapsed < 8, f"retry took {elapsed:.2f}s")
    ok(f"two 429s then 200: the SDK retried (default max_retries=2) honouring retry-after: 1 ({elapsed:.2f}s)")
    fake.control("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/models", "status": 429, "count": 1,
                                          "retry_after_ms": 3000})
    err = expect(anthropic.RateLimitError, "429", client(new["value"], max_retries=0).models.list)
    check(err.type == "rate_limit_error" and err.response.headers.get("retry-after") == "3"
          and "retry-after-ms" not in err.response.headers, str(err.body))
    ok("with max_retries=0 a 429 raises RateLimitError error.type=rate_limit_error, header retry-after=3")
    fake.control("POST", "/_fake/fail", {"method": "POST", "path_prefix": "/v1/organizations/api_keys",
                                          "status": 529, "count": 1})
    check(keys.update(new["id"], name="prod").name == "prod", "529 retried")
    fake.control("POST", "/_fake/fail", {"method": "*", "path_prefix": "/v1/organizations", "status": 529, "count": 1})
    err = expect(anthropic.OverloadedError, "529", client(admin_key["value"], max_retries=0).organization.api_keys.list)
    check(err.status_code == 529 and err.type == "overloaded_error", str(err.body))
    fake.control("POST", "/_fake/fail", {"method": "*", "path_prefix": "/v1/organizations", "status": 500, "count": 1})
    err = expect(anthropic.InternalServerError, "500", client(admin_key["value"], max_retries=0).organization.api_keys.list)
    check(err.type == "api_error", str(err.body))
    ok("529 overloaded_error on an Admin API update is retried; with max_retries=0 -> OverloadedError (529) / "
       "InternalServerError api_error (500)")

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
    print("PASS prove_anthropic", flush=True)


if __name__ == "__main__":
    main()
