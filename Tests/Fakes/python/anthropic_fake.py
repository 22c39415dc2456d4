#!/usr/bin/env python3
"""In-repo fake of the Anthropic API surface Aegis Rotate uses (GET /v1/models + the Admin API
for API keys). Python 3 stdlib only.

Run:  python3 anthropic_fake.py [--ignore-stdin]
  Binds 127.0.0.1 on port 0 and prints exactly one line, ``LISTENING <port>`` (flushed).
  Serves until SIGTERM, or until its standard input reaches EOF (keep stdin a pipe; a killed
  parent closes it and the fake exits). ``--ignore-stdin`` disables the EOF watch (manual use).
  stderr gets one line per request: ``<METHOD> <path> <status>`` (no query, no headers, no keys).
  Base URL for an SDK/adapter: ``http://127.0.0.1:<port>`` (paths include /v1).

Verified against (Dec 2026): the official ``anthropic`` Python SDK 2.15.0 (it sends
``anthropic-version: 2026-10-21``; types under anthropic/types/organization/api_key*.py and
model_info.py), the Claude API reference (platform.claude.com: List / Retrieve / Update API Key,
Errors, Versions incl. the 2026-10-21 entry), and verbatim error bodies in public issues. Items
marked [unverified] are this fake's own choice where no source was found.

Rotation flow this fake supports (console-key; what Aegis Rotate should do against the real API)
  A person makes the new key in the Console. The bot: GET /v1/models with the NEW key (verify)
  -> GET /v1/organizations/api_keys (paged; status=active narrows it) and match each
  partial_key_hint against the OLD key value to get the old key's ID -> POST .../{id}
  {"status": "inactive"} -> rollback while inactive: {"status": "active"} -> after the grace
  period {"status": "archived"} (final). The Admin API cannot create or delete API keys.
  Version caveat: the 2026-10-21 version entry says it renames several Admin API fields; the
  list itself could not be read here. The 2026-10-21 shape below is the SDK 2.15.0 type plus the
  docs' retrieve example. An adapter that pins ``anthropic-version: 2023-06-01`` gets the long-
  documented shape; id, name, status, partial_key_hint, created_at are the same in both.

Headers the fake reads
----------------------
  Credential: ``x-api-key: <key>`` (what the docs' curl examples use) OR
  ``Authorization: Bearer <key>`` (what SDK 2.15.0 actually sends for ``api_key=`` — checked in
  anthropic/_client.py ``_api_key_auth`` and on the wire). Both are accepted for every endpoint;
  x-api-key wins when both are present.
  ``anthropic-version``: required on every /v1 request. Accepted: 2023-06-01, 2023-01-01,
  2026-10-21. Missing -> 400 invalid_request_error "anthropic-version: header is required";
  other values -> 400 invalid_request_error 'anthropic-version: "<v>" is not a valid version'
  (both messages verbatim from public reports). The version check runs before authentication
  [order unverified].

Common to every /v1 response
----------------------------
  Content-Type: application/json; ``request-id: req_<24 chars>`` on every response (docs: Errors).
  Successful regular-key calls also carry ``anthropic-workspace-id: <the key's workspace>`` (the
  SDK reads this header into ``_workspace_id``).
  Error body: {"type": "error", "error": {"type": str, "message": str}, "request_id": "req_..."}
  Error types used: invalid_request_error 400, authentication_error 401, not_found_error 404,
  rate_limit_error 429, api_error 500, overloaded_error 529 (docs: Errors).

Authentication failures (401 authentication_error)
  * no credential header          -> "x-api-key header is required"
  * unknown key, or a key whose status is inactive/archived/expired -> "invalid x-api-key"
    (verbatim real body: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})
  * an Admin key on GET /v1/models -> "invalid x-api-key" [unverified]
  * a regular (non-admin) key on /v1/organizations/... -> 401 authentication_error
    "invalid x-api-key" [unverified: no public source shows the real status; an adapter should
    treat 401 AND 403 permission_error on admin endpoints as "admin credential rejected"].

GET /v1/models?limit&after_id&before_id     (any active regular key)
  200 {"data": [{"type": "model", "id", "display_name", "created_at": RFC 3339, ...}],
       "has_more": bool, "first_id": str|null, "last_id": str|null}
  With anthropic-version 2026-10-21 each model also has "lifecycle": "active",
  "max_input_tokens", "max_tokens" (SDK 2.15.0 ModelInfo requires ``lifecycle``). Newest first.

Admin API (admin key "sk-ant-admin01-..." in x-api-key or Bearer)
  GET  /v1/organizations/api_keys?limit&after_id&before_id&status&workspace_id&created_by_user_id
       limit 1..1000 (default 20; else 400). status in active|inactive|archived|expired (else 400).
       workspace_id filters on the key's workspace (the default workspace's real ID matches keys in
       the default workspace). 200 {"data": [key...], "has_more", "first_id", "last_id"}
       (first_id/last_id null on an empty page). Order: creation order, oldest first [unverified].
       after_id: the page right after that object; before_id: the page right before it (the
       ``limit`` objects closest to it); has_more refers to the requested direction (docs).
       Unknown cursor id -> empty page [unverified].
  GET  /v1/organizations/api_keys/{api_key_id}    200 key | 404 not_found_error
  POST /v1/organizations/api_keys/{api_key_id}    body {"status"?: "active"|"inactive"|"archived",
       "name"?: str 1..500}; null or absent fields are left unchanged. 200 -> the updated key.
       * status not in that set (e.g. "expired") -> 400 invalid_request_error.
       * archived is final: any other status on an archived key -> 400 invalid_request_error
         "Archived API keys cannot be unarchived." (status 400/type from the docs' lifecycle
         semantics; wording [unverified]). archived -> archived is a 200 no-op.
       * inactive -> active (rollback) is allowed.
  There is no create or delete endpoint for API keys in the Admin API (keys are made in the
  Console): use the control endpoint POST /_fake/keys.

  Key object, anthropic-version 2023-06-01 / 2023-01-01 (docs example shape):
    {"type": "api_key", "id": "apikey_01...", "name", "status": "active"|"inactive"|"archived"|"expired",
     "partial_key_hint": "sk-ant-api03-R2D...igAA", "created_at": RFC 3339 (microseconds, Z),
     "created_by": {"id": "user_01...", "type": "user"},
     "workspace_id": "wrkspc_01..." | null (null = the default workspace, per the docs)}
  Key object, anthropic-version 2026-10-21 (SDK 2.15.0 APIKey + the docs' retrieve example):
    the fields above, plus "expires_at": null, "principal": null (a Console key not bound to a
    principal), "scope": {"type": "workspace", "workspace_id": <real ID, also for the default
    workspace>}; "workspace_id" is kept (the docs' 2026 example still shows it).
  partial_key_hint = first 16 chars + "..." + last 4 chars of the key, e.g. "sk-ant-api03-R2D...igAA"
    (shape from the docs' example; the 16/4 split is read off that single example [lengths
    otherwise unverified]). Find a key's ID by matching: hint prefix before "...", suffix after.

Rate limiting / overload (injected with /_fake/fail, checked before version and auth)
  429 {"type": "error", "error": {"type": "rate_limit_error", "message": "This request would
       exceed your account's rate limit. Please try again later."}, "request_id"}
      headers ``retry-after: <ceil seconds of retry_after_ms>``,
      ``anthropic-ratelimit-requests-limit|remaining|reset``. (No retry-after-ms: the real API
      sends only retry-after; the SDK reads retry-after-ms first if present.)
  529 overloaded_error "Overloaded"; 500 api_error "Internal server error".
  The SDK retries 408/409/429/>=500 (default max_retries=2).

Control endpoints (no auth, JSON, not in the request log)
  POST /_fake/admin-keys  {}                 -> {"id", "value": "sk-ant-admin01-..."}
  POST /_fake/keys        {"name", "workspace_id"?: str}  (a key made "in the Console";
                          workspace_id absent = default workspace)
                          -> {"id": "apikey_01...", "value": "sk-ant-api03-...", "partial_key_hint"}
  GET  /_fake/keys        -> [{"id", "name", "status", "workspace_id"}]   (no values)
  GET  /_fake/workspaces  -> {"default": "wrkspc_01..."}
  POST /_fake/fail        {"method": "GET"|"POST"|"*", "path_prefix": "/v1/...",
                           "status": 429|500|529, "count": N, "retry_after_ms": 200} -> {"ok": true}
  GET  /_fake/requests    -> [{"method", "path" (no query), "query", "status",
                               "auth": "admin" (a known admin key) | "key" (any other credential) | "none",
                               "auth_header": "x-api-key"|"bearer"|"none",
                               "anthropic_version": str|null}]
  DELETE /_fake/requests  clears the log -> {"ok": true}
"""

import datetime
import json
import math
import secrets
import string
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from fake_server import serve_until_stopped

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
VERSIONS = {"2023-01-01", "2023-06-01", "2026-10-21"}
NEW_VERSION = "2026-10-21"
MODELS = [  # newest first
    {"type": "model", "id": "claude-opus-4-5-20251101", "display_name": "Claude Opus 4.5",
     "created_at": "2025-11-24T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000},
    {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
     "created_at": "2025-10-15T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000},
    {"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5",
     "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000},
]


def tagged_id(prefix):
    return prefix + "01" + "".join(secrets.choice(BASE58) for _ in range(22))


def request_id():
    return "req_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def key_value(prefix):
    return prefix + secrets.token_urlsafe(80)[:93] + "AA"


def hint(value):
    return value[:16] + "..." + value[-4:]


def rfc3339_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    def __init__(self, status, type_, message, headers=None):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message
        self.headers = headers or {}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.default_workspace = tagged_id("wrkspc_")
        self.console_user = tagged_id("user_")
        self.admin_keys = {}   # value -> id
        self.keys = {}         # id -> record (insertion = creation order)
        self.by_value = {}     # value -> id
        self.fail_rules = []
        self.requests = []


STATE = State()


def key_object(rec, version):
    out = {"type": "api_key", "id": rec["id"], "name": rec["name"], "status": rec["status"],
           "partial_key_hint": hint(rec["value"]), "created_at": rec["created_at"],
           "created_by": {"id": STATE.console_user, "type": "user"},
           "workspace_id": rec["workspace_id"]}
    if version == NEW_VERSION:
        out["expires_at"] = None
        out["principal"] = None
        out["scope"] = {"type": "workspace", "workspace_id": rec["workspace_id"] or STATE.default_workspace}
    return out


def paginate(items, query, max_limit):
    raw = query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_request_error", "limit: Input should be a valid integer")
    if not 1 <= limit <= max_limit:
        raise ApiError(400, "invalid_request_error", f"limit: Input should be between 1 and {max_limit}")
    ids = [item["id"] for item in items]
    after, before = query.get("after_id"), query.get("before_id")
    if after and before:
        raise ApiError(400, "invalid_request_error", "Only one of after_id or before_id may be given")
    if before:
        if before not in ids:
            return {"data": [], "has_more": False, "first_id": None, "last_id": None}
        head = items[:ids.index(before)]
        data, has_more = head[-limit:], len(head) > limit
    else:
        rest = items
        if after:
            rest = items[ids.index(after) + 1:] if after in ids else []
        data, has_more = rest[:limit], len(rest) > limit
    return {"data": data, "has_more": has_more,
            "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "anthropic-fake"
    sys_version = ""

    def log_message(self, fmt, *args):  # the default access log would print the query
        pass

    def _send(self, status, body, headers=None, rid=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if rid:
            self.send_header("request-id", rid)
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
            raise ApiError(400, "invalid_request_error", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request_error", "The request body must be a JSON object.")
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
                status, body = err.status, {"error": err.message}
            self._send(status, body)
            return
        token, header_kind = self.headers.get("x-api-key"), "x-api-key"
        if token is None:
            bearer = self.headers.get("Authorization")
            if bearer and bearer.lower().startswith("bearer "):
                token, header_kind = bearer[7:].strip(), "bearer"
            else:
                header_kind = "none"
        version = self.headers.get("anthropic-version")
        entry = {"method": self.command, "path": path, "query": query, "status": 0,
                 "auth": "none" if token is None else "key", "auth_header": header_kind,
                 "anthropic_version": version}
        rid = request_id()
        self._workspace_header = None
        try:
            body = self._body()
            with STATE.lock:
                if token is not None and token in STATE.admin_keys:
                    entry["auth"] = "admin"
                self._inject_failure(path)
                status, out = self._api(path, query, body, token, version)
            headers = {"anthropic-workspace-id": self._workspace_header} if self._workspace_header else {}
        except ApiError as err:
            status, headers = err.status, err.headers
            out = {"type": "error", "error": {"type": err.type, "message": err.message}, "request_id": rid}
        entry["status"] = status
        with STATE.lock:
            STATE.requests.append(entry)
        self._send(status, out, headers, rid)

    def _inject_failure(self, path):
        for rule in STATE.fail_rules:
            if rule["count"] <= 0:
                continue
            if rule["method"] not in ("*", self.command) or not path.startswith(rule["path_prefix"]):
                continue
            rule["count"] -= 1
            if rule["status"] == 429:
                seconds = math.ceil(rule["retry_after_ms"] / 1000)
                reset = (datetime.datetime.now(datetime.timezone.utc)
                         + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
                raise ApiError(429, "rate_limit_error",
                               "This request would exceed your account's rate limit. Please try again later.",
                               headers={"retry-after": str(seconds),
                                        "anthropic-ratelimit-requests-limit": "50",
                                        "anthropic-ratelimit-requests-remaining": "0",
                                        "anthropic-ratelimit-requests-reset": reset})
            if rule["status"] == 529:
                raise ApiError(529, "overloaded_error", "Overloaded")
            raise ApiError(500, "api_error", "Internal server error")

    def _authenticate(self, token, admin):
        if token is None:
            raise ApiError(401, "authentication_error", "x-api-key header is required")
        if admin:
            if token not in STATE.admin_keys:
                raise ApiError(401, "authentication_error", "invalid x-api-key")
            return None
        rec = STATE.keys.get(STATE.by_value.get(token, ""))
        if rec is None or rec["status"] != "active":
            raise ApiError(401, "authentication_error", "invalid x-api-key")
        return rec

    def _api(self, path, query, body, token, version):
        if version is None:
            raise ApiError(400, "invalid_request_error", "anthropic-version: header is required")
        if version not in VERSIONS:
            raise ApiError(400, "invalid_request_error", f'anthropic-version: "{version}" is not a valid version')
        seg = [s for s in path.split("/") if s]
        method = self.command
        if seg == ["v1", "models"] and method == "GET":
            rec = self._authenticate(token, admin=False)
            self._workspace_header = rec["workspace_id"] or STATE.default_workspace
            models = []
            for m in MODELS:
                m = dict(m)
                if version == NEW_VERSION:
                    m["lifecycle"] = "active"
                else:
                    m.pop("max_input_tokens")
                    m.pop("max_tokens")
                models.append(m)
            return 200, paginate(models, query, 1000)
        if seg[:3] == ["v1", "organizations", "api_keys"]:
            self._authenticate(token, admin=True)
            if len(seg) == 3 and method == "GET":
                return 200, self._list_keys(query, version)
            if len(seg) == 4:
                rec = STATE.keys.get(seg[3])
                if rec is None:
                    raise ApiError(404, "not_found_error", f"API key not found: {seg[3]}")
                if method == "GET":
                    return 200, key_object(rec, version)
                if method == "POST":
                    return 200, self._update_key(rec, body, version)
        raise ApiError(404, "not_found_error", "Not Found")

    def _list_keys(self, query, version):
        status = query.get("status")
        if status is not None and status not in ("active", "inactive", "archived", "expired"):
            raise ApiError(400, "invalid_request_error",
                           "status: Input should be 'active', 'inactive', 'archived' or 'expired'")
        workspace = query.get("workspace_id")
        creator = query.get("created_by_user_id")
        items = []
        for rec in STATE.keys.values():
            if status is not None and rec["status"] != status:
                continue
            if workspace is not None and (rec["workspace_id"] or STATE.default_workspace) != workspace:
                continue
            if creator is not None and creator != STATE.console_user:
                continue
            items.append(key_object(rec, version))
        return paginate(items, query, 1000)

    def _update_key(self, rec, body, version):
        status, name = body.get("status"), body.get("name")
        if status is not None and status not in ("active", "inactive", "archived"):
            raise ApiError(400, "invalid_request_error", "status: Input should be 'active', 'inactive' or 'archived'")
        if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 500):
            raise ApiError(400, "invalid_request_error", "name: String should have between 1 and 500 characters")
        if status is not None and rec["status"] == "archived" and status != "archived":
            raise ApiError(400, "invalid_request_error", "Archived API keys cannot be unarchived.")
        if status is not None:
            rec["status"] = status
        if name is not None:
            rec["name"] = name
        return key_object(rec, version)

    def _control(self, path):
        method = self.command
        body = self._body() if method == "POST" else {}
        with STATE.lock:
            if path == "/_fake/admin-keys" and method == "POST":
                value, kid = key_value("sk-ant-admin01-"), tagged_id("apikey_")
                STATE.admin_keys[value] = kid
                return 200, {"id": kid, "value": value}
            if path == "/_fake/keys" and method == "POST":
                name = body.get("name")
                if not isinstance(name, str) or not name:
                    raise ApiError(400, "invalid_request_error", "name is required")
                value, kid = key_value("sk-ant-api03-"), tagged_id("apikey_")
                STATE.keys[kid] = {"id": kid, "name": name, "status": "active", "value": value,
                                   "created_at": rfc3339_now(), "workspace_id": body.get("workspace_id")}
                STATE.by_value[value] = kid
                return 200, {"id": kid, "value": value, "partial_key_hint": hint(value)}
            if path == "/_fake/keys" and method == "GET":
                return 200, [{"id": r["id"], "name": r["name"], "status": r["status"],
                              "workspace_id": r["workspace_id"]} for r in STATE.keys.values()]
            if path == "/_fake/workspaces" and method == "GET":
                return 200, {"default": STATE.default_workspace}
            if path == "/_fake/fail" and method == "POST":
                status = body.get("status")
                if status not in (429, 500, 529):
                    raise ApiError(400, "invalid_request_error", "status must be 429, 500 or 529")
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
        raise ApiError(404, "not_found_error", f"no control endpoint {method} {path}")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_until_stopped(server, watch_stdin="--ignore-stdin" not in sys.argv[1:])


if __name__ == "__main__":
    main()
