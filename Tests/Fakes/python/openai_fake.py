#!/usr/bin/env python3
"""In-repo fake of the OpenAI API surface Aegis Rotate uses (model list + Admin API for
project service accounts and project API keys). Python 3 stdlib only.

Run:  python3 openai_fake.py [--ignore-stdin]
  Binds 127.0.0.1 on port 0 and prints exactly one line, ``LISTENING <port>`` (flushed).
  Serves until SIGTERM, or until its standard input reaches EOF (keep stdin a pipe; a killed
  parent closes it and the fake exits). ``--ignore-stdin`` disables the EOF watch (manual use).
  stderr gets one line per request: ``<METHOD> <path> <status>`` (no query, no headers, no keys).
  Base URL for an SDK/adapter: ``http://127.0.0.1:<port>/v1``.

Verified against (Dec 2026): the official ``openai`` Python SDK 3.57.0 (its generated types
and resources under openai/resources/admin/organization/projects/...), the OpenAI API reference
(developers.openai.com mirror dated 2026-11-17: "Create API key for service account", "Delete
project API key"), the older API reference text (2024-2025: "or an error if the key belonged to
a service account"), and error bodies reported verbatim in public issues and the OpenAI forum.
Items marked [unverified] are this fake's own choice where no source was found.

Rotation flows this fake supports (what Aegis Rotate should do against the real API)
  service-account-key: POST .../service_accounts/{sa}/api_keys (mint a second key for the
    existing service account; value returned once) -> GET /v1/models with the new key ->
    after the grace period DELETE .../api_keys/{old_key_id}. The service account stays.
    First rotation of a service account made elsewhere: find its current key's ID with
    GET .../api_keys (owner.service_account.id == sa, redacted_value matches the old value).
  fallback for the pre-2026 API (legacy mode below): POST .../service_accounts (a NEW service
    account per rotation; its api_key.value is the new key) -> verify -> after the grace period
    DELETE .../service_accounts/{old_sa} (deleting only the old key was refused then).
  console-key: a person made a user key in the dashboard; GET .../api_keys (paged), match
    redacted_value against the OLD key value to get its ID, DELETE .../api_keys/{id}.

Common to every /v1 response
----------------------------
  Content-Type: application/json; headers ``x-request-id: req_<32 hex>``,
  ``openai-version: 2020-10-01``, ``openai-processing-ms``.
  Error body (always): {"error": {"message": str, "type": str, "param": str|null, "code": str|null}}

Authentication: ``Authorization: Bearer <token>``
  * Project keys (user "sk-proj-...", service account "sk-svcacct-...") may call GET /v1/models.
  * Admin keys ("sk-admin-...") may call /v1/organization/...; an admin key on /v1/models gets
    401 "...Missing scopes: api.model.read..." (code null).
  * No Authorization header -> 401, type invalid_request_error, code null, message
    "You didn't provide an API key. ...".
  * Unknown, deleted or expired token -> 401
      {"error": {"message": "Incorrect API key provided: <MASK>. You can find your API key at
       https://platform.openai.com/account/api-keys.", "type": "invalid_request_error",
       "param": null, "code": "invalid_api_key"}}
    <MASK> = first 8 chars + "*" x (len-12) + last 4 chars, exactly as the real API (verified
    against many verbatim reports, e.g. "sk-proj-****...MxYA", "sk-PMafP****...E873"). The mask
    keeps 12 characters of the key: an adapter must not log this message unsanitised.
  * A valid project key on an admin endpoint -> 401 (verified: OpenAI answers 401, not 403)
      {"error": {"message": "You have insufficient permissions for this operation. Missing
       scopes: api.management.read. Check that you have the correct role in your organization,
       and if you're using a restricted API key, that it has the necessary scopes.",
       "type": "invalid_request_error", "param": null, "code": null}}
    (``api.management.write`` for POST/DELETE.)

GET /v1/models
  200 {"object": "list", "data": [{"id", "object": "model", "created": int, "owned_by": str}]}
  A successful call sets the key's ``last_used_at``.

Admin API (all under /v1/organization/projects/{project_id}; unknown project -> 404)
  POST   /service_accounts            body {"name": str (required),
                                            "create_service_account_only"?: bool,
                                            "expires_in_seconds"?: int 1..31536000}
         200 {"object": "organization.project.service_account", "id": "svc_acct_...", "name",
              "role": "member" (or "none" with create_service_account_only), "created_at",
              "api_key": {"object": "organization.project.service_account.api_key",
                          "id": "key_...", "name": "Secret Key", "created_at",
                          "value": "sk-svcacct-..." (returned ONLY here), "expires_at": int|null}
                          | null (create_service_account_only)}
  GET    /service_accounts?limit&after   list of {"object": "organization.project.service_account",
                                            "id", "name", "role", "created_at"}
  GET    /service_accounts/{sa}          one service account; unknown/deleted -> 404
  DELETE /service_accounts/{sa}          200 {"object": "organization.project.service_account.deleted",
                                               "id", "deleted": true}; every key it owns stops working
  POST   /service_accounts/{sa}/api_keys body {"name"?: str, "expires_in_seconds"?: int, "scopes"?: [str]}
         200 {"object": "organization.project.service_account.api_key", "id": "key_...", "name",
              "created_at", "value": "sk-svcacct-..." (only here), "expires_at": int|null}
         VERIFIED REAL: SDK 3.57.0 ``client.admin.organization.projects.service_accounts.api_keys
         .create(sa_id, project_id=..., name=..., expires_in_seconds=..., scopes=[...])`` and the
         API reference page "Create API key for service account". Mints an ADDITIONAL key; the
         service account's earlier keys keep working.
  GET    /api_keys?limit&after           list of project API key objects (user- and SA-owned)
  GET    /api_keys/{key_id}              one key object; unknown/deleted -> 404
  DELETE /api_keys/{key_id}              200 {"object": "organization.project.api_key.deleted",
                                              "id", "deleted": true}
         Works for user-owned AND service-account-owned keys (current docs/SDK: "Deletes an API key
         from the project, including keys owned by service accounts ... does not delete the
         service account or its other keys"). See legacy mode below for the old behaviour.

  Project API key object:
    {"object": "organization.project.api_key", "id": "key_...", "name", "created_at",
     "last_used_at": int|null, "expires_at": int|null, "owner_project_access": "active",
     "redacted_value": first 8 chars + "..." + last 4 chars,
     "owner": {"type": "user", "user": {"id", "name", "email", "role", "created_at"}}
            | {"type": "service_account", "service_account": {"id", "name", "role", "created_at"}}}
    redacted_value: the docs only show "<prefix>...<suffix>" ("sk-abc...def", "sk-admin...xyz");
    the exact lengths are [unverified]. Match a key value against it by splitting on "..." and
    testing startswith/endswith, not by fixed lengths.

  List envelope: {"object": "list", "data": [...], "first_id": str|null, "last_id": str|null,
                  "has_more": bool}. ``limit`` 1..100 (default 20; else 400), ``after`` = an
    object id: the page starts after it (the SDK sends after=<last_id>). Order: creation order,
    oldest first [unverified]. Unknown ``after`` -> empty page [unverified].
  Other 4xx: 400 invalid_request_error (bad JSON / bad params), 404 invalid_request_error
    "No such ...: <id>" [wording unverified].

Rate limiting / server errors (injected with /_fake/fail, checked before authentication)
  429 {"error": {"message": "Rate limit reached for requests ... on requests per min (RPM) ...",
       "type": "requests", "param": null, "code": "rate_limit_exceeded"}}
      headers ``retry-after-ms: <ms>``, ``retry-after: <ceil seconds>``, ``x-ratelimit-*``.
      (type "requests" + code "rate_limit_exceeded": OpenAI's documented RPM message and third-party
      fixtures of the verbatim body; the SDK reads retry-after-ms first, then retry-after.)
  500 {"error": {"message": "The server had an error while processing your request. Sorry about
       that!", "type": "server_error", "param": null, "code": null}}
  503 {"error": {"message": "The server is overloaded or not ready yet.", "type": "server_error",
       "param": null, "code": null}}
  The SDK retries 408/409/429/>=500 (default max_retries=2).

Control endpoints (no auth, JSON, never logged in the request log)
  POST /_fake/projects     {"name"}                 -> {"id": "proj_..."}
  POST /_fake/admin-keys   {}                       -> {"id": "key_...", "value": "sk-admin-..."}
  POST /_fake/user-keys    {"project_id", "name"}   -> {"id": "key_...", "value": "sk-proj-..."}
                           (a key a person made in the dashboard; owner type "user")
  GET  /_fake/keys         -> [{"id", "project_id", "name", "owner_type": "user"|"service_account",
                                "service_account_id": str|null, "deleted": bool}]   (no values)
  POST /_fake/fail         {"method": "GET"|"POST"|"DELETE"|"*", "path_prefix": "/v1/...",
                            "status": 429|500|503, "count": N, "retry_after_ms": 200}
                           the next N matching /v1 requests fail with that status -> {"ok": true}
  GET  /_fake/requests     -> [{"method", "path" (no query), "query": {name: value},
                                "status", "auth": "admin" (a known admin key) | "key" (any other
                                Authorization header) | "none", "auth_valid": bool (the bearer token is
                                a known, live credential of either kind, whatever the endpoint)}]
  DELETE /_fake/requests   clears the log -> {"ok": true}
  POST /_fake/config       {"legacy_service_account_keys": bool} -> {"ok": true}
                           legacy mode emulates the pre-2026 API: POST .../service_accounts/{sa}/api_keys
                           -> 404, DELETE of a service-account-owned key -> 400 invalid_request_error
                           [wording unverified]. Lets an adapter's fallback (new service account
                           per rotation, delete the old service account) be tested.
"""

import json
import math
import secrets
import string
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from fake_server import serve_until_stopped

ALNUM = string.ascii_letters + string.digits
MODELS = [
    {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
    {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
    {"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "system"},
]
KEYS_URL = "https://platform.openai.com/account/api-keys"


def rand(n, alphabet=ALNUM):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_id(prefix):
    return prefix + rand(24)


def key_value(prefix):
    # Real key bodies are long base64url strings; the length only matters for the mask.
    return prefix + secrets.token_urlsafe(117)[:156]


def mask(token):
    if len(token) <= 12:
        return "*" * len(token)
    return token[:8] + "*" * (len(token) - 12) + token[-4:]


def redacted(value):
    return value[:8] + "..." + value[-4:]


class ApiError(Exception):
    def __init__(self, status, message, type_="invalid_request_error", code=None, param=None, headers=None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
        self.headers = headers or {}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.projects = {}          # id -> {id, name, created_at}
        self.admin_keys = {}        # value -> id
        self.keys = {}              # id -> key record (insertion = creation order)
        self.by_value = {}          # value -> key id
        self.service_accounts = {}  # id -> {id, project_id, name, role, created_at, deleted}
        self.users = {}             # project_id -> user record (the "dashboard person")
        self.fail_rules = []
        self.requests = []
        self.legacy = False


STATE = State()


def now():
    return int(time.time())


def dashboard_user(project_id):
    user = STATE.users.get(project_id)
    if user is None:
        user = {"id": "user-" + rand(24), "name": "Dashboard Person", "email": "person@example.invalid",
                "role": "owner", "created_at": now()}
        STATE.users[project_id] = user
    return user


def add_key(project_id, name, owner_type, sa_id=None, expires_in=None):
    prefix = "sk-proj-" if owner_type == "user" else "sk-svcacct-"
    value = key_value(prefix)
    kid = "key_" + rand(16)
    created = now()
    STATE.keys[kid] = {
        "id": kid, "project_id": project_id, "name": name, "value": value, "created_at": created,
        "last_used_at": None, "expires_at": (created + expires_in) if expires_in else None,
        "owner_type": owner_type, "service_account_id": sa_id, "deleted": False,
    }
    STATE.by_value[value] = kid
    return STATE.keys[kid]


def key_alive(rec):
    if rec["deleted"]:
        return False
    if rec["expires_at"] is not None and rec["expires_at"] <= now():
        return False
    if rec["service_account_id"] is not None:
        sa = STATE.service_accounts.get(rec["service_account_id"])
        if sa is None or sa["deleted"]:
            return False
    return True


def key_object(rec):
    if rec["owner_type"] == "service_account":
        sa = STATE.service_accounts[rec["service_account_id"]]
        owner = {"type": "service_account",
                 "service_account": {"id": sa["id"], "name": sa["name"], "role": sa["role"],
                                     "created_at": sa["created_at"]}}
    else:
        owner = {"type": "user", "user": dict(dashboard_user(rec["project_id"]))}
    return {"object": "organization.project.api_key", "id": rec["id"], "name": rec["name"],
            "redacted_value": redacted(rec["value"]), "created_at": rec["created_at"],
            "last_used_at": rec["last_used_at"], "expires_at": rec["expires_at"],
            "owner_project_access": "active", "owner": owner}


def sa_object(sa):
    return {"object": "organization.project.service_account", "id": sa["id"], "name": sa["name"],
            "role": sa["role"], "created_at": sa["created_at"]}


def sa_key_object(rec, with_value=True):
    out = {"object": "organization.project.service_account.api_key", "id": rec["id"],
           "name": rec["name"], "created_at": rec["created_at"], "expires_at": rec["expires_at"]}
    if with_value:
        out["value"] = rec["value"]
    return out


def page(items, query):
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise ApiError(400, "Invalid 'limit': expected an integer.", param="limit")
    if not 1 <= limit <= 100:
        raise ApiError(400, "Invalid 'limit': must be between 1 and 100.", param="limit")
    after = query.get("after")
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1:] if after in ids else []
    data = items[:limit]
    return {"object": "list", "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(items) > limit}


def parse_expires(body):
    value = body.get("expires_in_seconds")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 31536000:
        raise ApiError(400, "Invalid 'expires_in_seconds': must be an integer between 1 and 31536000.",
                       param="expires_in_seconds")
    return value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-fake"
    sys_version = ""

    def log_message(self, fmt, *args):  # silence the default access log (it includes the query)
        pass

    # ---- plumbing -------------------------------------------------------------------------
    def _send(self, status, body, headers=None, api=True):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if api:
            self.send_header("x-request-id", "req_" + secrets.token_hex(16))
            self.send_header("openai-version", "2020-10-01")
            self.send_header("openai-processing-ms", "3")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        sys.stderr.write(f"{self.command} {urlsplit(self.path).path} {status}\n")
        sys.stderr.flush()

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/_fake/"):
            try:
                status, body = self._control(path)
            except ApiError as err:
                status, body = err.status, err.body
            self._send(status, body, api=False)
            return
        token = None
        header = self.headers.get("Authorization")
        if header and header.lower().startswith("bearer "):
            token = header[7:].strip()
        entry = {"method": self.command, "path": path, "query": query, "status": 0,
                 "auth": "none" if header is None else "key", "auth_valid": False}
        try:
            body = self._body()
            with STATE.lock:
                if token is not None and token in STATE.admin_keys:
                    entry["auth"] = "admin"
                self._inject_failure(path)
                status, out = self._api(path, query, body, token, entry)
            headers = {}
        except ApiError as err:
            status, out, headers = err.status, err.body, err.headers
        entry["status"] = status
        with STATE.lock:
            STATE.requests.append(entry)
        self._send(status, out, headers)

    # ---- failure injection ----------------------------------------------------------------
    def _inject_failure(self, path):
        for rule in STATE.fail_rules:
            if rule["count"] <= 0:
                continue
            if rule["method"] not in ("*", self.command) or not path.startswith(rule["path_prefix"]):
                continue
            rule["count"] -= 1
            status = rule["status"]
            if status == 429:
                ms = rule["retry_after_ms"]
                raise ApiError(429, "Rate limit reached for requests in organization org-fake on requests "
                                    "per min (RPM): Limit 3, Used 3, Requested 1. Please try again in "
                                    f"{ms}ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
                               type_="requests", code="rate_limit_exceeded",
                               headers={"retry-after-ms": str(ms), "retry-after": str(math.ceil(ms / 1000)),
                                        "x-ratelimit-limit-requests": "3",
                                        "x-ratelimit-remaining-requests": "0",
                                        "x-ratelimit-reset-requests": f"{ms}ms"})
            if status == 503:
                raise ApiError(503, "The server is overloaded or not ready yet.", type_="server_error")
            raise ApiError(status, "The server had an error while processing your request. Sorry about that!",
                           type_="server_error")

    # ---- authentication -------------------------------------------------------------------
    def _authenticate(self, token, admin, entry):
        if token is None:
            raise ApiError(401, "You didn't provide an API key. You need to provide your API key in an "
                                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
                                "or as the password field (with blank username) if you're accessing the API "
                                "from your browser and are prompted for a username and password. You can "
                                f"obtain an API key from {KEYS_URL}.")
        if token in STATE.admin_keys:
            if admin:
                entry["auth_valid"] = True
                return None
            raise ApiError(401, "You have insufficient permissions for this operation. Missing scopes: "
                                "api.model.read. Check that you have the correct role in your organization "
                                "(Reader, Writer, Owner) and project (Viewer, Member, Owner), and if you're "
                                "using a restricted API key, that it has the necessary scopes.")
        kid = STATE.by_value.get(token)
        rec = STATE.keys.get(kid) if kid else None
        if rec is None or not key_alive(rec):
            raise ApiError(401, f"Incorrect API key provided: {mask(token)}. You can find your API key at "
                                f"{KEYS_URL}.", code="invalid_api_key")
        entry["auth_valid"] = True
        if admin:
            scope = "api.management.read" if self.command == "GET" else "api.management.write"
            raise ApiError(401, "You have insufficient permissions for this operation. Missing scopes: "
                                f"{scope}. Check that you have the correct role in your organization, and if "
                                "you're using a restricted API key, that it has the necessary scopes.")
        return rec

    # ---- API routes -----------------------------------------------------------------------
    def _api(self, path, query, body, token, entry):
        seg = [s for s in path.split("/") if s]
        method = self.command
        if seg == ["v1", "models"] and method == "GET":
            rec = self._authenticate(token, admin=False, entry=entry)
            rec["last_used_at"] = now()
            return 200, {"object": "list", "data": [dict(m) for m in MODELS]}
        if len(seg) >= 4 and seg[:3] == ["v1", "organization", "projects"]:
            self._authenticate(token, admin=True, entry=entry)
            project_id = seg[3]
            if project_id not in STATE.projects:
                raise ApiError(404, f"No such project: {project_id}")
            rest = seg[4:]
            if rest and rest[0] == "service_accounts":
                return self._service_accounts(method, project_id, rest[1:], query, body)
            if rest and rest[0] == "api_keys":
                return self._api_keys(method, project_id, rest[1:], query)
        raise ApiError(404, f"Invalid URL ({method} {path})")

    def _live_sa(self, project_id, sa_id):
        sa = STATE.service_accounts.get(sa_id)
        if sa is None or sa["deleted"] or sa["project_id"] != project_id:
            raise ApiError(404, f"No such service account: {sa_id}")
        return sa

    def _service_accounts(self, method, project_id, rest, query, body):
        if not rest and method == "POST":
            name = body.get("name")
            if not isinstance(name, str) or not name:
                raise ApiError(400, "Missing required parameter: 'name'.", param="name")
            only = bool(body.get("create_service_account_only"))
            expires = parse_expires(body)
            if only and expires is not None:
                raise ApiError(400, "'expires_in_seconds' cannot be set when 'create_service_account_only' "
                                    "is true.", param="expires_in_seconds")
            sa = {"id": "svc_acct_" + rand(24), "project_id": project_id, "name": name,
                  "role": "none" if only else "member", "created_at": now(), "deleted": False}
            STATE.service_accounts[sa["id"]] = sa
            out = sa_object(sa)
            out["api_key"] = None
            if not only:
                rec = add_key(project_id, "Secret Key", "service_account", sa["id"], expires)
                out["api_key"] = sa_key_object(rec)
            return 200, out
        if not rest and method == "GET":
            items = [sa_object(sa) for sa in STATE.service_accounts.values()
                     if sa["project_id"] == project_id and not sa["deleted"]]
            return 200, page(items, query)
        if len(rest) == 1 and method == "GET":
            return 200, sa_object(self._live_sa(project_id, rest[0]))
        if len(rest) == 1 and method == "DELETE":
            sa = self._live_sa(project_id, rest[0])
            sa["deleted"] = True
            return 200, {"object": "organization.project.service_account.deleted", "id": sa["id"], "deleted": True}
        if len(rest) == 2 and rest[1] == "api_keys" and method == "POST":
            if STATE.legacy:
                raise ApiError(404, f"Invalid URL (POST /v1/organization/projects/{project_id}/service_accounts/"
                                    f"{rest[0]}/api_keys)")
            sa = self._live_sa(project_id, rest[0])
            name = body.get("name", "Secret Key")
            if not isinstance(name, str) or not name:
                raise ApiError(400, "Invalid 'name'.", param="name")
            scopes = body.get("scopes")
            if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes)):
                raise ApiError(400, "Invalid 'scopes': expected an array of strings.", param="scopes")
            rec = add_key(project_id, name, "service_account", sa["id"], parse_expires(body))
            return 200, sa_key_object(rec)
        raise ApiError(404, f"Invalid URL ({method} service_accounts/{'/'.join(rest)})")

    def _api_keys(self, method, project_id, rest, query):
        def find(kid):
            rec = STATE.keys.get(kid)
            if rec is None or rec["project_id"] != project_id or not key_alive(rec):
                raise ApiError(404, f"No such API key: {kid}")
            return rec
        if not rest and method == "GET":
            items = [key_object(r) for r in STATE.keys.values() if r["project_id"] == project_id and key_alive(r)]
            return 200, page(items, query)
        if len(rest) == 1 and method == "GET":
            return 200, key_object(find(rest[0]))
        if len(rest) == 1 and method == "DELETE":
            rec = find(rest[0])
            if STATE.legacy and rec["owner_type"] == "service_account":
                raise ApiError(400, "Cannot delete an API key that belongs to a service account; delete the "
                                    "service account instead.")
            rec["deleted"] = True
            return 200, {"object": "organization.project.api_key.deleted", "id": rec["id"], "deleted": True}
        raise ApiError(404, f"Invalid URL ({method} api_keys/{'/'.join(rest)})")

    # ---- control endpoints ----------------------------------------------------------------
    def _control(self, path):
        method = self.command
        body = self._body() if method == "POST" else {}
        with STATE.lock:
            if path == "/_fake/projects" and method == "POST":
                pid = new_id("proj_")
                STATE.projects[pid] = {"id": pid, "name": body.get("name", "Project"), "created_at": now()}
                return 200, {"id": pid}
            if path == "/_fake/admin-keys" and method == "POST":
                value, kid = key_value("sk-admin-"), "key_" + rand(16)
                STATE.admin_keys[value] = kid
                return 200, {"id": kid, "value": value}
            if path == "/_fake/user-keys" and method == "POST":
                project_id = body.get("project_id")
                if project_id not in STATE.projects:
                    raise ApiError(404, f"No such project: {project_id}")
                rec = add_key(project_id, body.get("name", "Dashboard key"), "user")
                return 200, {"id": rec["id"], "value": rec["value"]}
            if path == "/_fake/keys" and method == "GET":
                return 200, [{"id": r["id"], "project_id": r["project_id"], "name": r["name"],
                              "owner_type": r["owner_type"], "service_account_id": r["service_account_id"],
                              "deleted": not key_alive(r)} for r in STATE.keys.values()]
            if path == "/_fake/fail" and method == "POST":
                status = body.get("status")
                if status not in (429, 500, 503):
                    raise ApiError(400, "status must be 429, 500 or 503")
                STATE.fail_rules.append({"method": str(body.get("method", "*")).upper(),
                                         "path_prefix": body.get("path_prefix", "/"), "status": status,
                                         "count": int(body.get("count", 1)),
                                         "retry_after_ms": int(body.get("retry_after_ms", 200))})
                return 200, {"ok": True}
            if path == "/_fake/requests" and method == "GET":
                return 200, list(STATE.requests)
            if path == "/_fake/requests" and method == "DELETE":
                STATE.requests.clear()
                return 200, {"ok": True}
            if path == "/_fake/config" and method == "POST":
                if "legacy_service_account_keys" in body:
                    STATE.legacy = bool(body["legacy_service_account_keys"])
                return 200, {"ok": True}
        raise ApiError(404, f"no control endpoint {method} {path}")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_until_stopped(server, watch_stdin="--ignore-stdin" not in sys.argv[1:])


if __name__ == "__main__":
    main()
