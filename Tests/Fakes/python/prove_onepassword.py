#!/usr/bin/env python3
"""Proves onepassword_fake.py against 1Password's official Python SDK for Connect (PyPI
`onepasswordconnectsdk`, 2.1.1: new_client, Client, AsyncClient, load_dict, load). Prints one
`ok: <fact>` line per proven fact and a closing `prove_onepassword: N passed, 0 failed`; exits 0.
On the first failed fact it prints `FAIL: <fact>`, the fake's log tail, and exits 1. The fake is
stopped by its PID at the end, also on failure. An internal deadline (120 s) stops everything if
something hangs; every wait has its own timeout.

Usage: python3 prove_onepassword.py      (installs onepasswordconnectsdk with pip if it is missing)

URL: new_client("http://127.0.0.1:<port>", token) -- the SDK builds an httpx.Client with
base_url=<url> and the headers Authorization: Bearer <token> and Content-Type: application/json
(utils.build_headers), kept as `client.session`. new_client(..., is_async=True) gives the
AsyncClient (httpx.AsyncClient). Per-request timeout: OP_CONNECT_CLIENT_REQ_TIMEOUT=10.

PATCH: the SDK has no PATCH method, so the proof sends RFC 6902 bodies through the SDK's own
session (client.session.patch(path, json=[...])): same base URL, same auth header.

Network: HTTP_PROXY/HTTPS_PROXY/ALL_PROXY point at a local sink for the whole run and
NO_PROXY=127.0.0.1,localhost, so nothing can leave the machine; the proof asserts the sink saw
nothing. The proof never prints a token or a field value: values are random and only compared.
"""

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "onepassword_fake.py")
PACKAGE = "onepasswordconnectsdk"
DEADLINE_SECONDS = 120
READONLY_MSG = "Unauthorized Request, token does not have write access to the Vault"

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
        missing = [c for c in ([contains] if isinstance(contains, str) else contains or []) if c not in str(e)]
        if missing:
            raise ProofFailure("%s (raised %s without %r)" % (fact, type(e).__name__, missing))
        ok(fact)
        return e
    except Exception as e:
        raise ProofFailure("%s (raised %s instead: %s)" % (fact, type(e).__name__, str(e)[:200]))
    raise ProofFailure(fact + " (nothing raised)")


def wait_for(predicate, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise ProofFailure("timed out after %ss waiting for %s" % (timeout, what))


def ensure_sdk():
    try:
        import onepasswordconnectsdk  # noqa: F401
        return
    except ImportError:
        pass
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PACKAGE], timeout=300)
    if r.returncode != 0:
        raise ProofFailure("pip install %s" % PACKAGE)


def secret(n=24):
    return secrets.token_urlsafe(n)


# ---------------------------------------------------------------- the fake process

class Fake:
    def __init__(self, workdir, args=()):
        self.workdir = workdir
        self.args = list(args)
        self.log_path = os.path.join(workdir, "fake-%d.log" % len(os.listdir(workdir)))
        self.proc = None
        self.port = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, FAKE] + self.args, stdin=subprocess.PIPE,
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
        self.base = "http://127.0.0.1:%d" % self.port
        return self

    def raw(self, method, path, body=None, token=None, headers=None, raw_body=None):
        """One request without the SDK. Returns (status, headers, parsed JSON or text)."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, hdrs, json.loads(text) if text else None
        except ValueError:
            return status, hdrs, text

    def ctl(self, method, path, body=None):
        status, _, obj = self.raw(method, path, body)
        if status >= 300:
            raise ProofFailure("control call %s %s answered %s" % (method, path, status))
        return obj

    def requests(self):
        return self.ctl("GET", "/_fake/requests")

    def clear(self):
        self.ctl("DELETE", "/_fake/requests")

    def history(self, vid, iid):
        return self.ctl("GET", "/_fake/items/%s/%s/history" % (vid, iid))

    def token(self, vaults, write):
        return self.ctl("POST", "/_fake/tokens", {"vaults": vaults, "write": write})["token"]

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
    """A local listener standing in for HTTP(S)_PROXY: records each request line and closes."""

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


def is_error_body(obj, status, message=None, contains=None):
    return (isinstance(obj, dict) and set(obj) == {"status", "message"} and obj["status"] == status
            and isinstance(obj["message"], str) and (message is None or obj["message"] == message)
            and (contains is None or contains in obj["message"]))


def ts(text):
    from dateutil.parser import isoparse  # installed with the SDK, which parses times with it
    return isoparse(text)


def is_id(x):
    return isinstance(x, str) and len(x) == 26 and all(c in "abcdefghijklmnopqrstuvwxyz234567" for c in x)


def field_by(item, **kw):
    for f in item.get("fields", []) if isinstance(item, dict) else item.fields or []:
        if all((f.get(k) if isinstance(f, dict) else getattr(f, k)) == v for k, v in kw.items()):
            return f
    return None


# ---------------------------------------------------------------- the proof

def prove_health(fake):
    status, hdrs, text = fake.raw("GET", "/heartbeat")
    check(status == 200 and text == "." and hdrs.get("Content-Type", "").startswith("text/plain"),
          "GET /heartbeat answers 200 text/plain '.' without a token")
    status, hdrs, obj = fake.raw("GET", "/health")
    check(status == 200 and obj.get("name") == "1Password Connect API" and isinstance(obj.get("version"), str)
          and {d["service"] for d in obj.get("dependencies", [])} == {"sync", "sqlite"},
          "GET /health answers {name: '1Password Connect API', version, dependencies [sync, sqlite]}")
    check(hdrs.get("1Password-Connect-Version") == obj["version"],
          "every answer carries the 1Password-Connect-Version header (%s)" % obj["version"])


def prove_refusals(fake, w, prod, staging):
    for headers, what in (({}, "no Authorization header"), ({"Authorization": "Basic dXNlcjpwYXNz"}, "a Basic header"),
                          ({"Authorization": "Bearer not-a-jwt"}, "a Bearer value that is not a JWT"),
                          ({"Authorization": "Bearer aaaa.bbbb.cccc"}, "a JWT-shaped token the server never issued")):
        status, _, obj = fake.raw("GET", "/v1/vaults", headers=headers)
        check(status == 401 and is_error_body(obj, 401, "Invalid bearer token"),
              "%s -> 401 {\"status\": 401, \"message\": \"Invalid bearer token\"}" % what, "%s %s" % (status, obj))
    status, _, obj = fake.raw("GET", "/v1/vaults?filter=" + urllib.request.quote('name co "Aegis"'), token=w)
    check(status == 400 and is_error_body(obj, 400, contains="Invalid filter query"),
          "GET /v1/vaults?filter=name co \"...\" (not eq) -> 400 {status, message}", str(obj))
    status, _, obj = fake.raw("GET", "/v1/vaults/%s/items?filter=%s" % (prod, urllib.request.quote("title eq nope")),
                              token=w)
    check(status == 400 and is_error_body(obj, 400), "an items filter without a quoted value -> 400")
    status, _, obj = fake.raw("GET", "/v1/vaults?filter=" + urllib.request.quote('title eq "Aegis Prod"'), token=w)
    check(status == 400 and is_error_body(obj, 400), "a vault filter on title (vaults filter on name) -> 400")
    status, _, obj = fake.raw("GET", "/v1/vaults/NOT-A-UUID", token=w)
    check(status == 400 and is_error_body(obj, 400, "Invalid Vault UUID"),
          "a malformed vault UUID -> 400 'Invalid Vault UUID'", str(obj))
    status, _, obj = fake.raw("GET", "/v1/vaults/%s/items/short" % prod, token=w)
    check(status == 400 and is_error_body(obj, 400, "Invalid Item UUID"),
          "a malformed item UUID -> 400 'Invalid Item UUID'", str(obj))
    unknown = "a" * 26
    status, _, obj = fake.raw("GET", "/v1/vaults/%s" % unknown, token=w)
    check(status == 404 and is_error_body(obj, 404, "vault %s not found" % unknown),
          "an unknown vault (all-vaults token) -> 404 'vault <id> not found'", str(obj))
    status, _, obj = fake.raw("GET", "/v1/vaults/%s/items/%s" % (prod, unknown), token=w)
    check(status == 404 and is_error_body(obj, 404, "item %s not found" % unknown),
          "an unknown item -> 404 'item <id> not found'", str(obj))
    status, _, obj = fake.raw("POST", "/v1/vaults/%s/items" % prod, token=w, raw_body=b"{not json")
    check(status == 400 and is_error_body(obj, 400), "a create body that is not JSON -> 400")
    status, _, obj = fake.raw("POST", "/v1/vaults/%s/items" % prod, token=w,
                              raw_body=json.dumps({"title": "big", "category": "PASSWORD",
                                                   "fields": [{"value": "x" * (1024 * 1024 + 1)}]}).encode())
    check(status == 413 and is_error_body(obj, 413), "a body over 1 MiB -> 413 {status, message}")
    status, _, obj = fake.raw("GET", "/v1/nothing-here", token=w)
    check(status == 404 and is_error_body(obj, 404), "an unknown path -> 404 {status, message}")
    status, _, obj = fake.raw("DELETE", "/v1/vaults/%s" % prod, token=w)
    check(status == 405 and is_error_body(obj, 405), "DELETE on a vault -> 405")


def prove_sdk_reads(fake, op, w, scoped, prod, staging, other, seeded):
    from onepasswordconnectsdk.client import Client
    from onepasswordconnectsdk.errors import FailedToRetrieveItemException, FailedToRetrieveVaultException
    from onepasswordconnectsdk.models import Field, Item, SummaryItem, Vault

    c = op.new_client(fake.base, w)
    check(isinstance(c, Client) and str(c.session.base_url).rstrip("/") == fake.base
          and c.session.headers.get("Authorization") == "Bearer " + w,
          "new_client(url, token) gives the sync Client; its httpx session has base_url and the Bearer header")
    vaults = c.get_vaults()
    check([v.name for v in vaults] == ["Aegis Prod", "Aegis Staging", "Other Team"]
          and all(isinstance(v, Vault) and is_id(v.id) and v.type == "USER_CREATED" for v in vaults),
          "get_vaults() parses every vault into Vault models (26-char base32 ids, type USER_CREATED)")
    check(vaults[0].created_at.utcoffset().total_seconds() == 0 and vaults[0].created_at.microsecond > 0,
          "createdAt parses as a UTC datetime with fractional seconds")
    sc = op.new_client(fake.base, scoped)
    check([v.id for v in sc.get_vaults()] == [prod], "a token scoped to one vault lists only that vault")
    v = c.get_vault(prod)
    check(v.id == prod and v.name == "Aegis Prod" and v.items == 1 and v.content_version >= 1,
          "get_vault(id) returns the vault with its item count")
    fake.clear()
    v = c.get_vault_by_title("Aegis Staging")
    check(v.id == staging and [(r["method"], r["path"], r["status"]) for r in fake.requests()] ==
          [("GET", "/v1/vaults", 200)], "get_vault_by_title() finds the vault with GET /v1/vaults?filter=name eq \"...\"")
    expect_raises(lambda: c.get_vault_by_title("No Such Vault"), FailedToRetrieveItemException,
                  "get_vault_by_title() of an unknown name raises (SDK quirk: FailedToRetrieveItemException)",
                  "Found 0 vaults")

    items = c.get_items(prod)
    check(len(items) == 1 and isinstance(items[0], SummaryItem) and items[0].id == seeded["id"]
          and items[0].version == 1, "get_items(vault) returns SummaryItem models")
    status, _, raw = fake.raw("GET", "/v1/vaults/%s/items" % prod, token=w)
    check(status == 200 and raw and all("fields" not in i and "sections" not in i for i in raw),
          "the item list is summaries: no fields (so no values) in GET /v1/vaults/{v}/items")
    check([i.id for i in c.get_items(prod, 'title eq "payments-db"')] == [seeded["id"]]
          and c.get_items(prod, 'title eq "nope"') == [],
          "get_items(vault, 'title eq \"...\"') filters by exact title")
    e = expect_raises(lambda: c.get_items(prod, 'title sw "pay"'), FailedToRetrieveItemException,
                      "get_items() with an unsupported SCIM operator raises FailedToRetrieveItemException", "400")

    it = c.get_item_by_title("payments-db", prod)
    check(isinstance(it, Item) and it.id == seeded["id"] and it.version == 1 and it.category == "PASSWORD",
          "get_item_by_title() resolves the title (filter) and fetches the full Item")
    it = c.get_item(seeded["id"], prod)
    pw = field_by(it, id="password")
    user = field_by(it, id="username")
    host = field_by(it, label="host")
    check(isinstance(pw, Field) and pw.purpose == "PASSWORD" and pw.type == "CONCEALED" and pw.label == "password"
          and pw.value == seeded["password"] and user is not None and user.purpose == "USERNAME"
          and user.value == seeded["username"] and host is not None and is_id(host.id) and host.section.id == "db",
          "get_item(id) parses fields into Field models: ids, labels, purposes, types, values, sections")
    check(it.sections[0].id == "db" and it.sections[0].label == "database" and it.vault.id == prod
          and it.last_edited_by and it.created_at == it.updated_at,
          "... and sections, vault {id}, lastEditedBy, createdAt == updatedAt on a new item")
    check(c.get_item("payments-db", "Aegis Prod").id == seeded["id"],
          "get_item(title, vault name) resolves both names through the filters")
    fake.clear()
    expect_raises(lambda: c.get_item("b" * 26, prod), FailedToRetrieveItemException,
                  "get_item(unknown id) raises after its 404-then-title fallback", "Found 0 items")
    check([(r["method"], r["status"]) for r in fake.requests()] == [("GET", 404), ("GET", 200)],
          "... the SDK asked GET items/{id} (404) then GET items?filter (200, empty)")
    e = expect_raises(lambda: c.get_item_by_id("NOT_A_UUID_AT_ALL_XXXXXXXX", prod), FailedToRetrieveItemException,
                      "get_item_by_id(malformed id) raises FailedToRetrieveItemException", "Invalid Item UUID")
    check(e.status_code == 400, "... with status_code 400")

    bad = op.new_client(fake.base, "aaaa.bbbb.cccc")
    expect_raises(bad.get_vaults, FailedToRetrieveVaultException,
                  "an unknown token makes get_vaults() raise FailedToRetrieveVaultException (401)",
                  ["401", "Invalid bearer token"])
    e = expect_raises(lambda: bad.get_item_by_id(seeded["id"], prod), FailedToRetrieveItemException,
                      "... and get_item_by_id() raise FailedToRetrieveItemException")
    check(e.status_code == 401, "... with status_code 401")
    expect_raises(lambda: sc.get_vault(staging), FailedToRetrieveVaultException,
                  "a vault outside the token's scope: get_vault() raises (403)",
                  ["403", "token does not have access to vault"])
    e = expect_raises(lambda: sc.get_item_by_id(other["id"], staging), FailedToRetrieveItemException,
                      "an item in an out-of-scope vault: get_item_by_id() raises")
    check(e.status_code == 403, "... with status_code 403")
    expect_raises(lambda: c.get_vault("c" * 26), FailedToRetrieveVaultException,
                  "get_vault(unknown id) raises FailedToRetrieveVaultException (404)", ["404", "not found"])
    return c


def prove_sdk_writes(fake, op, c, ro, prod):
    from onepasswordconnectsdk.errors import FailedToRetrieveItemException
    from onepasswordconnectsdk.models import Field, FieldSection, Item, Section

    first = secret()
    made = c.create_item(prod, Item(title="payments-api", category="PASSWORD", tags=["aegis"], fields=[
        Field(id="password", type="CONCEALED", purpose="PASSWORD", label="password", value=first),
        Field(label="db-host", value="db.internal", section=FieldSection(id="conn"))],
        sections=[Section(id="conn", label="connection")]))
    pw = field_by(made, id="password")
    extra = field_by(made, label="db-host")
    check(is_id(made.id) and made.version == 1 and made.vault.id == prod and made.title == "payments-api"
          and made.tags == ["aegis"] and pw.value == first and pw.purpose == "PASSWORD",
          "create_item(vault, Item(...Field...)) returns the new Item: 26-char id, version 1, the value sent")
    check(extra is not None and is_id(extra.id) and extra.type == "STRING" and extra.section.id == "conn",
          "a field sent without id gets a generated 26-char id (type STRING by default)")
    check(field_by(made, id="notesPlain") is not None and field_by(made, id="notesPlain").purpose == "NOTES",
          "a PASSWORD item gets the notesPlain (NOTES) field of the category's template")
    bare = c.create_item(prod, Item(title="bare-password", category="PASSWORD"))
    bpw = field_by(bare, id="password")
    check(bpw is not None and bpw.purpose == "PASSWORD" and bpw.type == "CONCEALED" and not bpw.value,
          "a PASSWORD item created without fields gets a field id 'password', purpose PASSWORD")
    from onepasswordconnectsdk.models import GeneratorRecipe
    gen = c.create_item(prod, Item(title="generated", category="API_CREDENTIAL", fields=[
        Field(label="credential", type="CONCEALED", generate=True,
              recipe=GeneratorRecipe(length=40, character_sets=["LETTERS", "DIGITS"]))]))
    g = field_by(gen, label="credential")
    check(g is not None and g.value and len(g.value) == 40 and g.value.isalnum(),
          "generate=True with a recipe (length 40, LETTERS+DIGITS) makes the fake generate the value")

    expect_raises(lambda: c.create_item(prod, Item(title="x", category="WALLET")), FailedToRetrieveItemException,
                  "create_item with a category outside the enum raises (400 Invalid item category)",
                  ["400", "Invalid item category"])
    expect_raises(lambda: c.create_item(prod, Item(title="x", category="LOGIN", fields=[Field(type="TOTP", value="v")])),
                  FailedToRetrieveItemException, "a field type outside the enum (TOTP) is refused with the validator text",
                  ["400", "[ItemValidator] has found 1 errors", "has unsupported field type: TOTP"])
    expect_raises(lambda: c.create_item(prod, Item(title="x", category="LOGIN", fields=[Field(label="n", value=12345)])),
                  FailedToRetrieveItemException, "a field value that is not a string is refused (400)",
                  ["400", "cannot unmarshal number"])

    second = secret()
    got = c.get_item(made.id, prod)
    field_by(got, id="password").value = second
    upd = c.update_item(made.id, prod, got)
    check(upd.version == 2 and field_by(upd, id="password").value == second
          and field_by(upd, label="db-host").value == "db.internal" and upd.created_at == made.created_at
          and upd.updated_at > made.updated_at,
          "update_item (PUT) bumps version to 2, changes the value, keeps createdAt, moves updatedAt")
    check(c.get_item_by_id(made.id, prod).version == 2, "... and a later get_item_by_id sees version 2")
    got.fields.append(Field(type="TOTP", value="x"))
    expect_raises(lambda: c.update_item(made.id, prod, got), FailedToRetrieveItemException,
                  "update_item with an invalid field type raises (400)", "unsupported field type")
    check(c.get_item_by_id(made.id, prod).version == 2, "... and the refused PUT changed nothing")

    roc = op.new_client(fake.base, ro)
    check(roc.get_item_by_id(made.id, prod).version == 2, "a read-only token can read the item")
    fake.clear()
    expect_raises(lambda: roc.create_item(prod, Item(title="nope", category="PASSWORD")), FailedToRetrieveItemException,
                  "a read-only token: create_item raises (403, no write access)", ["403", READONLY_MSG])
    ro_item = roc.get_item_by_id(made.id, prod)
    field_by(ro_item, id="password").value = secret()
    expect_raises(lambda: roc.update_item(made.id, prod, ro_item), FailedToRetrieveItemException,
                  "a read-only token: update_item raises (403)", "403")
    expect_raises(lambda: roc.delete_item(made.id, prod), FailedToRetrieveItemException,
                  "a read-only token: delete_item raises (403)", "403")
    check(c.get_item_by_id(made.id, prod).version == 2 and not c.get_items(prod, 'title eq "nope"'),
          "... and none of the three read-only writes changed anything")

    c.delete_item(bare.id, prod)
    e = expect_raises(lambda: c.get_item_by_id(bare.id, prod), FailedToRetrieveItemException,
                      "delete_item removes the item: get_item_by_id then raises")
    check(e.status_code == 404 and ("DELETE", "/v1/vaults/%s/items/%s" % (prod, bare.id), 204) in
          [(r["method"], r["path"], r["status"]) for r in fake.requests()],
          "... with status_code 404; the DELETE answered 204")
    check(len(fake.history(prod, bare.id)) == 1, "the history control endpoint still holds the deleted item's version")
    return made, second


def prove_load_helpers(fake, op, c, prod, seeded):
    from onepasswordconnectsdk.config import load_dict, load
    values = load_dict(c, {"pw": {"opitem": "payments-db", "opfield": ".password", "opvault": prod},
                           "user": {"opitem": "payments-db", "opfield": ".username", "opvault": prod},
                           "host": {"opitem": "payments-db", "opfield": "database.host", "opvault": prod}})
    check(values == {"pw": seeded["password"], "user": seeded["username"], "host": "db.internal"},
          "load_dict() reads fields by label and by section.label (opitem/opfield/opvault)")
    cfg_class = type("Cfg", (), {"__annotations__": {
        "db_password": 'opitem:"payments-db" opfield:.password opvault:%s' % prod,
        "db_user": 'opitem:"payments-db" opfield:.username opvault:%s' % prod}})
    cfg = load(c, cfg_class())
    check(cfg.db_password == seeded["password"] and cfg.db_user == seeded["username"],
          "load() fills an annotated object from the item")
    os.environ.update(OP_CONNECT_HOST=fake.base, OP_CONNECT_TOKEN=c.token)
    try:
        env_client = op.new_client_from_environment()
        check(env_client.get_vault(prod).name == "Aegis Prod",
              "new_client_from_environment() uses OP_CONNECT_HOST and OP_CONNECT_TOKEN")
    finally:
        os.environ.pop("OP_CONNECT_HOST", None)
        os.environ.pop("OP_CONNECT_TOKEN", None)


def prove_async(fake, op, w, ro, prod):
    from onepasswordconnectsdk.async_client import AsyncClient
    from onepasswordconnectsdk.errors import FailedToRetrieveItemException
    from onepasswordconnectsdk.models import Field, Item

    value, value2 = secret(), secret()

    async def run():
        ac = op.new_client(fake.base, w, is_async=True)
        aro = op.new_client(fake.base, ro, is_async=True)
        try:
            out = {"type": isinstance(ac, AsyncClient)}
            out["vaults"] = [v.name for v in await ac.get_vaults()]
            made = await ac.create_item(prod, Item(title="async-item", category="LOGIN", fields=[
                Field(purpose="PASSWORD", type="CONCEALED", label="password", value=value)]))
            out["made"] = made
            found = await ac.get_item_by_title("async-item", prod)
            out["found"] = found
            field_by(found, purpose="PASSWORD").value = value2
            out["updated"] = await ac.update_item(found.id, prod, found)
            try:
                await aro.delete_item(made.id, prod)
                out["ro"] = None
            except FailedToRetrieveItemException as e:
                out["ro"] = str(e)
            await ac.delete_item(made.id, prod)
            out["after"] = [i.id for i in await ac.get_items(prod, 'title eq "async-item"')]
            return out
        finally:
            await ac.session.aclose()
            await aro.session.aclose()

    out = asyncio.run(asyncio.wait_for(run(), 30))
    check(out["type"] and len(out["vaults"]) == 3, "new_client(..., is_async=True) gives the AsyncClient; get_vaults works")
    m = out["made"]
    check(m.version == 1 and field_by(m, id="password").value == value and field_by(m, id="username") is not None,
          "async create_item: a LOGIN item; the PASSWORD-purpose field without id gets id 'password', "
          "and the template adds 'username'")
    check(out["found"].id == m.id and out["updated"].version == 2
          and field_by(out["updated"], id="password").value == value2,
          "async get_item_by_title + update_item (PUT) -> version 2 with the new value")
    check(out["ro"] is not None and "403" in out["ro"] and out["after"] == [],
          "async: a read-only delete raises (403); the write-token delete removes the item")


def prove_patch(fake, op, c, ro, prod, made, current):
    s = c.session
    path = "/v1/vaults/%s/items/%s" % (prod, made.id)
    before = s.get(path).json()
    check(s.headers.get("Authorization", "").startswith("Bearer "),
          "PATCH goes through the SDK's own httpx session (client.session), which carries the Bearer header")
    new_value = secret()
    time.sleep(0.002)
    r = s.patch(path, json=[{"op": "replace", "path": "/fields/password/value", "value": new_value}])
    after = r.json()
    changed = [f["id"] for f in after["fields"] if f != field_by(before, id=f["id"])]
    check(r.status_code == 200 and field_by(after, id="password")["value"] == new_value and changed == ["password"]
          and after["title"] == before["title"] and after["tags"] == before["tags"],
          "PATCH replace /fields/password/value -> 200 full item; only that field changed")
    check(after["version"] == before["version"] + 1 and ts(after["updatedAt"]) > ts(before["updatedAt"])
          and after["createdAt"] == before["createdAt"],
          "... version +1, updatedAt later, createdAt kept")
    back = c.get_item(made.id, prod)
    check(field_by(back, id="password").value == new_value and back.version == after["version"],
          "read-back: the SDK's get_item sees the value the PATCH wrote")
    check(op.load_dict(c, {"p": {"opitem": "payments-api", "opfield": ".password", "opvault": prod}}) ==
          {"p": new_value}, "read-back: load_dict sees the patched value too")

    added_value = secret()
    r = s.patch(path, json=[{"op": "add", "path": "/fields",
                             "value": {"label": "api-key", "type": "concealed", "value": added_value}}])
    after2 = r.json()
    added = field_by(after2, label="api-key")
    check(r.status_code == 200 and added is not None and added["type"] == "CONCEALED" and is_id(added["id"])
          and added["value"] == added_value and after2["fields"][-1] == added
          and after2["version"] == after["version"] + 1,
          "PATCH add /fields with a whole concealed field appends it (generated id, type upper-cased)")
    r = s.patch(path, json=[{"op": "add", "path": "/fields/-", "value": {"label": "region", "value": "eu"}}])
    check(r.status_code == 200 and r.json()["fields"][-1]["label"] == "region", "PATCH add /fields/- appends too")
    region_id = r.json()["fields"][-1]["id"]
    r = s.patch(path, json=[{"op": "replace", "path": "/fields/%s/label" % region_id, "value": "aws-region"},
                            {"op": "replace", "path": "/title", "value": "payments-api-v2"}])
    j = r.json()
    check(r.status_code == 200 and field_by(j, id=region_id)["label"] == "aws-region" and j["title"] == "payments-api-v2",
          "PATCH replace /fields/<id>/label and /title in one patch")
    r = s.patch(path, json=[{"op": "replace", "path": "/fields/%s" % region_id,
                             "value": {"label": "zone", "type": "STRING", "value": "eu-west-1a"}}])
    j = r.json()
    check(r.status_code == 200 and field_by(j, id=region_id)["label"] == "zone"
          and field_by(j, id=region_id)["value"] == "eu-west-1a",
          "PATCH replace /fields/<id> swaps the whole field, keeping its id")
    r = s.patch(path, json=[{"op": "remove", "path": "/fields/%s" % region_id}])
    j = r.json()
    check(r.status_code == 200 and field_by(j, id=region_id) is None and field_by(j, label="api-key") is not None,
          "PATCH remove /fields/<id> deletes that field only")

    version = j["version"]
    hist_len = len(fake.history(prod, made.id))
    r = s.patch(path, json=[{"op": "replace", "path": "/fields/password/value", "value": secret()},
                            {"op": "remove", "path": "/fields/%s" % ("z" * 26)}])
    now = s.get(path).json()
    check(r.status_code == 400 and is_error_body(r.json(), 400) and now["version"] == version
          and field_by(now, id="password")["value"] == new_value and len(fake.history(prod, made.id)) == hist_len,
          "an atomic patch whose 2nd op fails (unknown field) -> 400; the 1st op was not applied, version unchanged")
    for ops, what in (([{"op": "move", "from": "/title", "path": "/x"}], "op move"),
                      ([{"op": "test", "path": "/title", "value": "x"}], "op test"),
                      ([{"op": "replace", "path": "/fields/password/value", "value": 42}], "a non-string value"),
                      ([{"op": "replace", "path": "/category", "value": "LOGIN"}], "path /category"),
                      ([{"op": "replace", "path": "/fields/password/value"}], "replace without value")):
        r = s.patch(path, json=ops)
        check(r.status_code == 400 and is_error_body(r.json(), 400) and s.get(path).json()["version"] == version,
              "PATCH with %s -> 400, nothing changed" % what)
    r = s.patch(path, json={"op": "replace", "path": "/title", "value": "x"})
    check(r.status_code == 400 and is_error_body(r.json(), 400, contains="array"),
          "PATCH with a single object instead of an array -> 400")
    r = s.request("PATCH", path, content=b"[{not json")
    check(r.status_code == 400 and is_error_body(r.json(), 400), "PATCH with a body that is not JSON -> 400")
    r = s.patch(path, json=[])
    check(r.status_code == 200 and r.json()["version"] == version, "PATCH [] -> 200, item unmodified (version unchanged)")
    roc = op.new_client(fake.base, ro)
    r = roc.session.patch(path, json=[{"op": "replace", "path": "/fields/password/value", "value": secret()}])
    check(r.status_code == 403 and is_error_body(r.json(), 403, READONLY_MSG) and s.get(path).json()["version"] == version,
          "PATCH with a read-only token -> 403 {status, message}, nothing changed")

    fake.ctl("POST", "/_fake/fail", {"method": "PATCH", "path_prefix": "/v1/vaults", "status": 503, "count": 1})
    r = s.patch(path, json=[{"op": "replace", "path": "/title", "value": "after-503"}])
    check(r.status_code == 503 and is_error_body(r.json(), 503) and s.get(path).json()["version"] == version,
          "an injected 503 answers {status: 503, message} and changes nothing")
    r = s.patch(path, json=[{"op": "replace", "path": "/title", "value": "payments-api"}])
    check(r.status_code == 200 and r.json()["version"] == version + 1, "... the rule was used up: the next PATCH succeeds")
    from onepasswordconnectsdk.errors import FailedToRetrieveItemException
    fake.ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/v1/vaults/%s/items" % prod, "status": 500})
    e = expect_raises(lambda: c.get_item_by_id(made.id, prod), FailedToRetrieveItemException,
                      "an injected 500 on GET makes the SDK raise FailedToRetrieveItemException")
    check(e.status_code == 500, "... with status_code 500")

    start = s.get(path).json()
    results = []

    def writer(k):
        wc = op.new_client(fake.base, c.token)
        for j in range(5):
            results.append(wc.session.patch(path, json=[{"op": "add", "path": "/tags/-", "value": "t%d-%d" % (k, j)}])
                           .status_code)

    threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    end = s.get(path).json()
    check(results == [200] * 40 and end["version"] == start["version"] + 40
          and sorted(end["tags"]) == sorted(start["tags"] + ["t%d-%d" % (k, j) for k in range(8) for j in range(5)]),
          "40 concurrent PATCHes from 8 clients all apply: version +40, no tag lost (state is locked)")

    hist = fake.history(prod, made.id)
    final = s.get(path).json()
    check([h["version"] for h in hist] == list(range(1, final["version"] + 1)) and hist[-1] == final
          and field_by(hist[0], id="password")["value"] == field_by(made, id="password").value
          and field_by(hist[1], id="password")["value"] == current
          and field_by(hist[2], id="password")["value"] == new_value,
          "GET /_fake/items/{v}/{i}/history holds every version (1..%d), oldest first, with values"
          % final["version"])


def main():
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY",
              "no_proxy", "OP_CONNECT_HOST", "OP_CONNECT_TOKEN", "OP_VAULT", "OP_CONNECT_CLIENT_ASYNC"):
        os.environ.pop(k, None)
    os.environ["OP_CONNECT_CLIENT_REQ_TIMEOUT"] = "10"
    workdir = tempfile.mkdtemp(prefix="onepassword-fake-proof-")
    fake = Fake(workdir)
    second = None
    finished = threading.Event()

    def watchdog():
        if not finished.wait(DEADLINE_SECONDS):
            print("FAIL: overall deadline of %ds exceeded" % DEADLINE_SECONDS, flush=True)
            print("---- fake log tail ----\n" + "\n".join(fake.log_text().splitlines()[-30:]), flush=True)
            for f in (fake, second):
                try:
                    if f is not None and f.proc is not None and f.proc.poll() is None:
                        os.kill(f.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            print("prove_onepassword: %d passed, 1 failed" % len(PASSED), flush=True)
            os._exit(1)

    threading.Thread(target=watchdog, name="deadline", daemon=True).start()
    try:
        ensure_sdk()
        import onepasswordconnectsdk as op
        sink = ProxySink()
        os.environ.update(HTTP_PROXY=sink.url, HTTPS_PROXY=sink.url, ALL_PROXY=sink.url,
                          NO_PROXY="127.0.0.1,localhost")
        fake.start()
        ok("the fake printed LISTENING %d (plain HTTP on 127.0.0.1)" % fake.port)
        prove_health(fake)

        prod = fake.ctl("POST", "/_fake/vaults", {"name": "Aegis Prod"})["id"]
        staging = fake.ctl("POST", "/_fake/vaults", {"name": "Aegis Staging", "description": "pre-prod"})["id"]
        fake.ctl("POST", "/_fake/vaults", {"name": "Other Team"})
        check(is_id(prod) and is_id(staging), "POST /_fake/vaults makes vaults with 26-char base32 ids")
        w = fake.token("all", True)
        scoped = fake.token([prod], True)
        ro = fake.token([prod], False)
        parts = w.split(".")
        check(len(parts) == 3 and all(p and set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                                      for p in parts), "POST /_fake/tokens returns a JWT-shaped token (three base64url parts)")
        seeded = {"password": secret(), "username": "svc-payments"}
        item = fake.ctl("POST", "/_fake/items", {"vault": prod, "title": "payments-db", "category": "PASSWORD",
                                                 "sections": [{"id": "db", "label": "database"}], "fields": [
            {"id": "password", "type": "CONCEALED", "purpose": "PASSWORD", "label": "password",
             "value": seeded["password"]},
            {"id": "username", "type": "STRING", "purpose": "USERNAME", "label": "username",
             "value": seeded["username"]},
            {"type": "STRING", "label": "host", "value": "db.internal", "section": {"id": "db"}}]})
        seeded["id"] = item["id"]
        other = fake.ctl("POST", "/_fake/items", {"vault": staging, "title": "staging-db", "category": "PASSWORD"})
        check(is_id(item["id"]) and item["version"] == 1 and item["createdAt"].endswith("Z") and "." in item["createdAt"],
              "POST /_fake/items seeds an item: version 1, RFC 3339 createdAt with fractional seconds and Z")
        status, _, obj = fake.raw("POST", "/_fake/items", {"vault": prod, "title": "x", "category": "NOPE"})
        check(status == 400 and is_error_body(obj, 400, "Invalid item category"),
              "POST /_fake/items applies the API's validation (bad category -> 400 with the API body)")

        prove_refusals(fake, w, prod, staging)
        c = prove_sdk_reads(fake, op, w, scoped, prod, staging, other, seeded)
        made, current = prove_sdk_writes(fake, op, c, ro, prod)
        prove_load_helpers(fake, op, c, prod, seeded)
        prove_async(fake, op, w, ro, prod)
        prove_patch(fake, op, c, ro, prod, made, current)

        entries = fake.requests()
        check(entries and all(set(e) == {"method", "path", "status"} for e in entries)
              and not any("?" in e["path"] for e in entries),
              "GET /_fake/requests entries hold only method/path/status (no query strings)")
        fake.ctl("POST", "/_fake/reset-log")
        check(fake.requests() == [], "POST /_fake/reset-log clears the request log")
        log = fake.log_text()
        tokens = [w, scoped, ro]
        leaked = [x for x in tokens + [seeded["password"], current, "payments-db", "svc-payments", "db.internal",
                                       "Bearer"] if x in log]
        check(not leaked and "PATCH /v1/vaults/%s/items/%s 200" % (prod, made.id) in log and "/_fake/" not in log,
              "the fake's stderr has METHOD PATH STATUS lines and no token, title or value", "%d leaks" % len(leaked))
        check(sink.seen == [], "nothing reached the proxy sink: every request stayed on 127.0.0.1")

        fake.proc.stdin.close()
        wait_for(lambda: fake.proc.poll() is not None, "the fake to exit after stdin EOF", 10)
        check(fake.proc.returncode == 0, "the fake exits 0 when its stdin reaches EOF")

        second = Fake(workdir, ["--readonly-write-status", "401"]).start()
        v2 = second.ctl("POST", "/_fake/vaults", {"name": "v"})["id"]
        ro2 = second.token([v2], False)
        from onepasswordconnectsdk.errors import FailedToRetrieveItemException
        from onepasswordconnectsdk.models import Item
        expect_raises(lambda: op.new_client(second.base, ro2).create_item(v2, Item(title="t", category="PASSWORD")),
                      FailedToRetrieveItemException,
                      "--readonly-write-status 401 reproduces the 2021 observation: read-only write -> 401",
                      ["401", READONLY_MSG])
        os.kill(second.proc.pid, signal.SIGTERM)
        wait_for(lambda: second.proc.poll() is not None, "the second fake to exit after SIGTERM", 10)
        check(second.proc.returncode == 0, "the fake exits 0 on SIGTERM",
              "got %s: %s" % (second.proc.returncode, second.log_text()[-300:]))
    except Exception as e:  # ProofFailure, or an SDK error nobody expected
        finished.set()
        if not isinstance(e, ProofFailure):
            import traceback
            traceback.print_exc()
        print("FAIL: %s" % e, flush=True)
        print("---- fake log tail ----\n" + "\n".join(fake.log_text().splitlines()[-30:]), flush=True)
        print("(fake's log kept in %s)" % workdir, flush=True)
        print("prove_onepassword: %d passed, 1 failed" % len(PASSED), flush=True)
        return 1
    finally:
        finished.set()
        fake.stop()
        if second is not None:
            second.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    print("prove_onepassword: %d passed, 0 failed" % len(PASSED), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
