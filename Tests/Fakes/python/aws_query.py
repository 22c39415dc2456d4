"""The AWS Query-protocol HTTP front the in-repo AWS fakes share (elasticache_fake.py,
rds_fake.py). Python 3 stdlib only.

A fake supplies its service name, API version, XML namespace, its actions and a state object with
``lock`` (an RLock), ``creds`` (access key id -> secret), ``fail_rules`` and ``requests`` (lists);
this module does the rest the way the real Query APIs do it:

- parameters from the query string and a form-encoded POST body; ``Action`` and ``Version``
  required (400 MissingAction / InvalidAction / InvalidParameterValue);
- SigV4 checked by ``aws_sigv4.verify_sigv4`` before anything else;
- ``<{Action}Response xmlns=NS><{Action}Result>…`` on success and ``<ErrorResponse>`` with
  ``Type`` Sender/Receiver on error, each with a fresh request id (also in ``x-amzn-RequestId``);
- the shared control endpoints ``/_fake/fail`` (inject the next N errors) and ``/_fake/requests``
  (what arrived: action, status, auth, code — never a parameter value); other ``/_fake/…`` paths go
  to the fake's own ``control(method, path, body)``.

An action is ``handler(params, region)`` returning the inner XML of its Result element, or raising
``AwsError``. Nothing here logs or stores a parameter value.
"""

import base64
import datetime
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from aws_sigv4 import SigV4Error, verify_sigv4

DEFAULT_FAILURE_MESSAGE = "An internal error has occurred. Please try your query again at a later time."


class AwsError(Exception):
    """An error the API answers as an XML ErrorResponse."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ControlError(Exception):
    """An error a control endpoint answers as JSON {"error": message}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def el(name, value):
    """``<name>value</name>`` escaped; nothing for None; booleans as AWS writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def parse_bool(params, name):
    value = params.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise AwsError(400, "InvalidParameterValue", f"Invalid boolean value for {name}.")
    return value.lower() == "true"


def page_window(params, kind):
    """(start, limit) from ``MaxRecords`` (20-100, default 100) and ``Marker`` (an opaque token this
    module made for ``kind``), as the Describe* actions of the Query APIs page."""
    max_records = params.get("MaxRecords")
    try:
        limit = 100 if max_records is None else int(max_records)
    except ValueError:
        raise AwsError(400, "InvalidParameterValue", "Invalid value for MaxRecords.")
    if not 20 <= limit <= 100:
        raise AwsError(400, "InvalidParameterValue", "MaxRecords must be between 20 and 100.")
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            marker_kind, offset = base64.urlsafe_b64decode(marker.encode()).decode().split(":", 1)
            start = int(offset)
            if marker_kind != kind or start < 0:
                raise ValueError(marker)
        except (ValueError, UnicodeDecodeError):
            raise AwsError(400, "InvalidParameterValue", "Invalid Marker.")
    return start, limit


def next_marker(kind, start, limit, total):
    """The ``<Marker>`` element when items remain after this page, else nothing."""
    if start + limit >= total:
        return ""
    return el("Marker", base64.urlsafe_b64encode(f"{kind}:{start + limit}".encode()).decode())


class QueryApi:
    """One fake's API: what ``serve`` needs to answer Query-protocol requests."""

    def __init__(self, name, service, api_version, namespace, actions, state, control):
        self.name, self.service, self.api_version, self.namespace = name, service, api_version, namespace
        self.actions, self.state, self.control = actions, state, control

    def success_xml(self, action, result, request_id):
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{self.namespace}">'
                f"<{action}Result>{result}</{action}Result>"
                f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")

    def error_xml(self, err, request_id):
        kind = "Receiver" if err.status >= 500 else "Sender"
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="{self.namespace}">'
                f"<Error>{el('Type', kind)}{el('Code', err.code)}{el('Message', err.message)}</Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")

    def shared_control(self, method, path, body):
        """The control endpoints every AWS fake has; None when ``path`` is not one of them."""
        state = self.state
        if path == "/_fake/fail" and method == "POST":
            status = body.get("status", 500)
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise ControlError(400, "status must be an HTTP error status")
            state.fail_rules.append({"action": body.get("action", "*"), "status": status,
                                     "code": body.get("code", "InternalFailure"),
                                     "message": body.get("message", DEFAULT_FAILURE_MESSAGE),
                                     "count": int(body.get("count", 1))})
            return {"ok": True}
        if path == "/_fake/requests" and method == "GET":
            return list(state.requests)
        if path == "/_fake/requests" and method == "DELETE":
            state.requests.clear()
            return {"ok": True}
        return None

    def answer_control(self, method, path, body):
        with self.state.lock:
            shared = self.shared_control(method, path, body)
            return shared if shared is not None else self.control(method, path, body)

    def call(self, method, parts, headers, body, params, entry):
        """Authenticates and runs one API call under the state lock; returns its Result XML."""
        state = self.state
        action = params.get("Action")
        with state.lock:
            try:
                _, region = verify_sigv4(method, parts.path, parts.query, headers, body, state.creds, self.service)
            except SigV4Error as err:
                entry["auth"] = "bad" if any(k.lower() == "authorization" for k, _ in headers) else "none"
                raise AwsError(err.status, err.code, err.message)
            entry["auth"] = "sigv4"
            if not action:
                raise AwsError(400, "MissingAction", "The request must contain the parameter Action.")
            if action not in self.actions:
                raise AwsError(400, "InvalidAction", f"The action {action} is not valid for this web service.")
            if params.get("Version") != self.api_version:
                raise AwsError(400, "InvalidParameterValue", f"Version must be {self.api_version}.")
            for rule in state.fail_rules:
                if rule["count"] > 0 and rule["action"] in ("*", action):
                    rule["count"] -= 1
                    raise AwsError(rule["status"], rule["code"], rule["message"])
            return self.actions[action](params, region)


def make_server(api):
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) answering ``api``; serve it with
    ``fake_server.serve_until_stopped``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = api.name
        sys_version = ""

        def log_message(self, *_):
            pass

        def _send(self, status, data, content_type, extra=None, action=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            suffix = f" {action}" if action else ""
            log(f"{self.command} {urlsplit(self.path).path} {status}{suffix}")

        def do_GET(self):
            self._dispatch()

        def do_POST(self):
            self._dispatch()

        def do_DELETE(self):
            self._dispatch()

        def _dispatch(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if parts.path.startswith("/_fake/"):
                self._control(parts, body)
            else:
                self._api(parts, body)

        def _control(self, parts, body):
            try:
                data = json.loads(body) if body.strip() else {}
                if not isinstance(data, dict):
                    raise ControlError(400, "the body must be a JSON object")
                status, out = 200, api.answer_control(self.command, parts.path, data)
            except ValueError:
                status, out = 400, {"error": "invalid JSON"}
            except ControlError as err:
                status, out = err.status, {"error": err.message}
            self._send(status, json.dumps(out).encode(), "application/json")

        def _api(self, parts, body):
            request_id = str(uuid.uuid4())
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            if self.command == "POST":
                try:
                    params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
                except UnicodeDecodeError:
                    pass
            action = params.get("Action")
            entry = {"action": action, "status": 0, "auth": "none", "code": None}
            try:
                result = api.call(self.command, parts, list(self.headers.items()), body, params, entry)
                status, data = 200, api.success_xml(action, result, request_id)
            except AwsError as err:
                status, data = err.status, api.error_xml(err, request_id)
                entry["code"] = err.code
            entry["status"] = status
            with api.state.lock:
                api.state.requests.append(entry)
            self._send(status, data.encode(), "text/xml", {"x-amzn-RequestId": request_id},
                       action=action if action in api.actions else None)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server
