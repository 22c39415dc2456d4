#!/usr/bin/env python3
"""In-repo fake of the PagerDuty Events API v2 (alert events on /v2/enqueue, change events on
/v2/change/enqueue), served over HTTPS from one 127.0.0.1 port, with a per-routing-key incident
model so a test can see what an escalation did.

Python 3 standard library only (certificates come from the `openssl` command line, or from the
`cryptography` package when `openssl` is absent). It is a test fixture: state lives in memory and
dies with the process.

USAGE
    python3 pagerduty_fake.py --cert-dir DIR

    Writes into DIR a throwaway CA (`ca.pem`) and a server certificate (`server.pem`, `server.key`)
    signed by it, with subjectAltName IP:127.0.0.1 and DNS:localhost; the CA key is deleted once
    the server certificate is signed. Binds 127.0.0.1 port 0 with TLS (HTTP/1.1, no ALPN h2),
    prints exactly one line `LISTENING <port>` on stdout (flushed) and serves until SIGTERM/SIGINT
    or until its stdin reaches EOF (stdin must be a pipe the parent keeps open; /dev/null stops it
    at once). Exit code 0 on a clean stop.
    Clients trust DIR/ca.pem (never disable verification). stderr gets one line per request:
    `METHOD PATH STATUS` (path without query; control requests under /_fake/ are not logged) --
    never a header, a body, a routing key or a dedup key.

BASE URL = https://127.0.0.1:<port> (https://localhost:<port> works too). The real service is
https://events.pagerduty.com (the official Python client's `default_base_url`). There is no
authentication header: the `routing_key` in the JSON body names the integration.

1. ALERT EVENTS
   POST /v2/enqueue  (also /v2/enqueue/ -- production integrations post to the trailing-slash
        form: robusta-dev/robusta src/robusta/core/sinks/pagerduty/pagerduty_sink.py and
        getsentry/sentry's PagerDuty tests use https://events.pagerduty.com/v2/enqueue/)
   Content-Type: application/json (parameters such as charset allowed). Body, per the Events API v2
   reference (PagerDuty/api-schema reference/events-v2/openapiv3.json, operation createV2Event, and
   PagerDuty/developer-docs docs/events-API-v2/02-Trigger-Events.md "Send an Alert Event"):
     routing_key   required, the 32-character integration key
     event_action  required, "trigger" | "acknowledge" | "resolve"
     dedup_key     string, max 255 characters; required unless event_action is trigger
     payload       trigger only, object:
       summary     required string, max 1024 characters (REFUSED when longer, not truncated:
                   real 400 text quoted in dagster-io/dagster#19567 and livepeer/stream-tester#354)
       source      required string
       severity    required, "critical" | "error" | "warning" | "info" (lower case)
       timestamp   optional ISO 8601 date-time, e.g. 2015-07-17T08:42:58.315+0000 (the docs' own
                   example has no colon in the offset) or 2026-01-02T03:04:05Z
       component, group, class   optional strings
       custom_details            optional object (free form, stored as sent)
     client, client_url          optional strings (trigger only)
     links   optional array of {"href" (required string), "text"?}
     images  optional array of {"src" (required string), "href"?, "alt"?}
   Other top-level members are ignored. The whole body may be at most 512 KB (documented size limit
   in docs/events-API-v2/01-Overview.md "Size Limits"; the fake refuses larger bodies with 400
   [fake: status and text]).

   202 {"status":"success","message":"Event processed","dedup_key":"<key>"}
        (api-schema components/responses/Success example). A trigger without dedup_key gets a
        generated one: 32 lowercase hex characters (the docs call it a UUID; real responses quoted
        in zenoss/ZenPacks.zenoss.PagerDuty tests look like f3ea87a602db49ebb3fdb98ddd3f4385).
        acknowledge/resolve echo the dedup_key they carried.

   400 when the event is invalid, body
        {"status":"invalid event","message":"Event object is invalid","errors":[...]}
        every problem found is listed. Texts quoted from real responses in public threads:
          "'routing_key' cannot be blank"                             (absent/empty key)
          "Length of 'routing_key' is incorrect (should be 32 characters)"  (envato/pagerduty#70)
          "'routing_key' cannot contain non-alphanumeric characters."       (blockpane/tenderduty#10)
          "'event_action' is missing or blank"          (PagerDuty/go-pagerduty event_v2_test.go)
          "'payload.source' is missing or blank"        (louislam/uptime-kuma#7319)
          "'payload.severity' is missing or blank"      (SigNoz/signoz#9536)
          "'payload.severity' is invalid (must be one of the following: 'critical', 'warning',
           'error' or 'info')"      (prometheus-community/helm-charts#2309, robusta-dev/robusta#1153)
          "'summary' is too long (maiximum is 1024 characters)"   [sic, PagerDuty's typo;
                                     dagster-io/dagster#19567, livepeer/stream-tester#354]
        Texts in the same pattern but not seen quoted anywhere [fake wording]:
          "'payload.summary' is missing or blank"
          "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or
           'resolve')"
          "'dedup_key' is missing or blank" (acknowledge/resolve without one)
          "'dedup_key' is too long (maximum is 255 characters)", "'dedup_key' is invalid"
          "'payload.timestamp' is invalid (must be an ISO 8601 date-time)"
          "'payload' is invalid", "'payload.<field>' is invalid (must be a string)",
          "'payload.custom_details' is invalid (must be an object)", "'links' is invalid",
          "'images' is invalid", "'client' ...", "'client_url' ..."
        Strictness on types/timestamps is the fake's choice [fake]: the real service may coerce
        or ignore some of them; a bot that passes here sends what the docs describe.
   400 when the body is not JSON, not a JSON object, or not sent as application/json:
        {"status":"Unrecognized object","message":"Event object format is unrecognized",
         "errors":["JSON parse error"]}   (the error example in api-schema
        components/responses/Error; using it for a wrong Content-Type too is [fake]).
   400 when the event is well formed but its routing_key is not registered (see /_fake/routing-keys)
        body is the plain text `Invalid routing key` (Content-Type text/plain [fake]). Source:
        robusta-dev/robusta#571 logged "400, Bad Request, Invalid routing key" from a sink that
        printed `status_code, reason, response.text` (pagerduty_sink.py at robusta e3c3d9ab),
        i.e. that body was not JSON. Only this one observation was found: UNCONFIRMED beyond it.
        Field errors are reported before the registry is consulted [fake ordering].
   429 (injected only, see /_fake/fail) body
        {"status":"throttle exceeded","message":"Requests for this service are arriving too
         quickly.  Please retry later.","errors":["Enhance Your Calm."]}
        (the body PagerDuty's own Go client models in PagerDuty/go-pagerduty event_v2_test.go;
        two spaces after "quickly." as there). Retry-After only when the rule gives one [fake:
        PagerDuty documents no Retry-After for the Events API]. Nothing is ingested.
   Other methods on /v2/enqueue -> 405 (Allow: POST) [fake]; unknown paths -> 404 [fake], both
   with a {"status","message"} body.

   INCIDENT MODEL (per routing key and dedup_key; docs 02-Trigger-Events.md "Alert
   De-Duplication" and "Event Action Behavior"):
     trigger, no open incident for (routing_key, dedup_key)  -> a NEW incident, status triggered
     trigger, open (triggered or acknowledged) incident       -> same incident: "alerts" (the
             trigger count) + 1; status unchanged (an acknowledged incident stays acknowledged:
             "won't generate any additional notifications, even if it receives new trigger
             events"); summary/source/severity/... take the latest trigger's values (in PagerDuty
             the open alert gets a new trigger log entry and shows the new summary:
             PagerDuty/pdpyras#45). Real PagerDuty keeps ONE alert with several trigger log
             entries; the fake's "alerts" counts triggers, as the tests want.
     acknowledge of an open incident -> acknowledged;  resolve of an open incident -> resolved
     acknowledge/resolve with no open incident for that routing key + dedup_key (unknown,
             resolved, or opened through ANOTHER routing key) -> 202 and dropped: nothing changes.
     trigger after resolve -> a NEW incident (new number) with the same dedup_key.
     Every accepted event appends its event_action to the incident's "actions" (dropped ones have
     no incident). Incident numbers count from 1 across all routing keys.

2. CHANGE EVENTS (docs/events-API-v2/03-Change-Events.md; api-schema createChangeEvent)
   POST /v2/change/enqueue (also with a trailing /): {"routing_key", "payload":{"summary"
        (required, max 1024), "source"?, "timestamp"?, "custom_details"?}, "links"?, "images"?}
   202 {"status":"success","message":"Change event processed"} (body as modelled in
        PagerDuty/go-pagerduty change_events_test.go). Same 400 rules as above. Change events
        open no incident; they are listed by GET /_fake/change-events.

3. CONTROL API  (no auth, JSON, under /_fake/, never logged)
   POST   /_fake/routing-keys {}  -> 201 {"routing_key": 32 lowercase hex chars} (a new integration)
          {"routing_key": "<32 alphanumeric chars>"} registers that exact key instead.
   GET    /_fake/routing-keys     -> 200 ["<key>", ...]
   DELETE /_fake/routing-keys/{key} -> 204 (integration deleted: its events now get "Invalid
          routing key"); unknown key -> 404
   GET    /_fake/incidents -> 200 [{"number","routing_key","dedup_key","status" (triggered |
          acknowledged | resolved),"summary","source","severity","component","group","class",
          "custom_details","timestamp","client","client_url","links","images",
          "alerts" (trigger count),"actions":["trigger","acknowledge","resolve",...]}]
          in creation order (absent optional fields are null).
   GET    /_fake/events        -> 200 [every ACCEPTED (202) /v2/enqueue body, as sent, in order]
          (test-only: it holds routing keys and values). Dropped acknowledge/resolve events
          are included (they were accepted); refused and throttled ones are not.
   GET    /_fake/change-events -> 200 [every accepted change event body, in order]
   POST   /_fake/fail {"method" ("*" = any, default), "path_prefix" (required, not /_fake),
          "status" 400..599, "count" N >= 1 (default 1), "retry_after"? seconds} -> 201 {"ok":true};
          the next N matching requests get that status before anything is validated or stored
          (429: the throttle body above; 400: the invalid-event body with errors ["Injected
          failure (fake)."]; other statuses: {"status":"error","message":"Injected failure
          (fake)."}), with Retry-After when given. Rules are matched in the order they were added.
   DELETE /_fake/fail -> 204 (drops every pending rule)
   GET    /_fake/requests -> 200 [{"method","path","status"}] in completion order (non-control
          requests only; no bodies, no keys)
   DELETE /_fake/requests -> 204 (clears that log)
   POST   /_fake/reset -> 204 (forgets incidents, events, change events, rules and the request log;
          routing keys stay registered)

WHAT WAS VERIFIED, AND WHERE (prove_pagerduty.py drives the official client against this)
 - PyPI `pagerduty` 7.2.0 (PagerDuty/python-pagerduty): EventsApiV2Client(routing_key,
   base_url=...) sets the base URL (the `url` property; its setter raises pagerduty.UrlError unless
   it starts with https://); it POSTs /v2/enqueue and /v2/change/enqueue with Content-Type
   application/json and the routing key merged into the JSON body; it is an httpx2.Client, so TLS
   trust comes from SSL_CERT_FILE/SSL_CERT_DIR (trust_env) or a verify=<ssl.SSLContext> keyword,
   not from REQUESTS_CA_BUNDLE. send_event() refuses locally (ValueError) an event_action outside
   trigger/acknowledge/resolve and an acknowledge/resolve without a string dedup_key, so those
   reach the fake only when sent raw. 429 is retried without limit by default (sleeping
   sleep_timer * 2^n, Retry-After ignored); retry[429] = n makes it give up and raise HttpError;
   500/502/503/504 are retried 2/4/6/6 times; other 4xx raise HttpError at once.
 - Status codes 202/400/429/5xx and their retry advice: developer-docs 01-Overview.md "Response
   Codes & Retry Logic" and the api-schema description.
"""

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_certs import make_certificates  # noqa: E402


EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255
BODY_MAX = 512 * 1024
READ_MAX = 8 * 1024 * 1024
ALNUM_RE = re.compile(r"^[A-Za-z0-9]+$")
ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
                    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?$")

MSG_INVALID = "Event object is invalid"
STATUS_INVALID = "invalid event"
UNRECOGNIZED = {"status": "Unrecognized object", "message": "Event object format is unrecognized",
                "errors": ["JSON parse error"]}
THROTTLED = {"status": "throttle exceeded",
             "message": "Requests for this service are arriving too quickly.  Please retry later.",
             "errors": ["Enhance Your Calm."]}
SEVERITY_INVALID = ("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', "
                    "'error' or 'info')")
ACTION_INVALID = ("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or "
                  "'resolve')")


# ---------------------------------------------------------------- helpers

def now_utc():
    return dt.datetime.now(dt.timezone.utc)


def valid_iso8601(value):
    if not isinstance(value, str):
        return False
    m = ISO_RE.match(value.strip())
    if not m:
        return False
    try:
        dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                    int(m.group(6) or 0))
    except ValueError:
        return False
    off = m.group(8)
    if off and off not in ("Z", "z"):
        digits = off[1:].replace(":", "")
        if int(digits[:2]) > 23 or (len(digits) > 2 and int(digits[2:]) > 59):
            return False
    return True


def blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- certificates

# make_certificates: the shared throwaway CA and server certificate (fake_certs.py).


# ---------------------------------------------------------------- state

class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.routing_keys = []     # registered integration keys, in creation order
        self.incidents = []        # dicts, creation order
        self.open = {}             # (routing_key, dedup_key) -> incident dict (triggered/acknowledged)
        self.events = []           # accepted /v2/enqueue bodies
        self.change_events = []    # accepted /v2/change/enqueue bodies
        self.fail_rules = []
        self.requests = []
        self.port = 0

    def reset(self):
        self.incidents.clear()
        self.open.clear()
        self.events.clear()
        self.change_events.clear()
        self.fail_rules.clear()
        self.requests.clear()

    def apply_alert_event(self, event):
        """Applies an already validated event (lock held). Returns the dedup_key to answer."""
        rk = event["routing_key"]
        action = event["event_action"]
        dedup = event.get("dedup_key")
        if action == "trigger":
            if dedup is None:
                dedup = uuid.uuid4().hex
            p = event["payload"]
            fields = {"summary": p["summary"], "source": p["source"], "severity": p["severity"],
                      "component": p.get("component"), "group": p.get("group"), "class": p.get("class"),
                      "custom_details": p.get("custom_details"), "timestamp": p.get("timestamp"),
                      "client": event.get("client"), "client_url": event.get("client_url"),
                      "links": event.get("links"), "images": event.get("images")}
            inc = self.open.get((rk, dedup))
            if inc is None:
                inc = {"number": len(self.incidents) + 1, "routing_key": rk, "dedup_key": dedup,
                       "status": "triggered", "alerts": 0, "actions": []}
                self.incidents.append(inc)
                self.open[(rk, dedup)] = inc
            inc.update(fields)
            inc["alerts"] += 1
            inc["actions"].append("trigger")
        else:
            inc = self.open.get((rk, dedup))
            if inc is not None:  # otherwise: dropped, as PagerDuty drops it
                inc["actions"].append(action)
                if action == "acknowledge":
                    inc["status"] = "acknowledged"
                else:
                    inc["status"] = "resolved"
                    del self.open[(rk, dedup)]
        return dedup

    def incident_json(self, inc):
        keys = ("number", "routing_key", "dedup_key", "status", "summary", "source", "severity", "component",
                "group", "class", "custom_details", "timestamp", "client", "client_url", "links", "images",
                "alerts", "actions")
        return {k: (list(inc[k]) if k == "actions" else inc.get(k)) for k in keys}


# ---------------------------------------------------------------- validation

def routing_key_errors(event):
    rk = event.get("routing_key")
    if blank(rk):
        return ["'routing_key' cannot be blank"]
    if not isinstance(rk, str):
        return ["'routing_key' is invalid"]  # [fake]
    errors = []
    if len(rk) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    if not ALNUM_RE.match(rk):
        errors.append("'routing_key' cannot contain non-alphanumeric characters.")
    return errors


def context_errors(event):
    errors = []
    links = event.get("links")
    if links is not None and not (isinstance(links, list) and all(
            isinstance(x, dict) and isinstance(x.get("href"), str) and x["href"].strip()
            and isinstance(x.get("text", ""), str) for x in links)):
        errors.append("'links' is invalid (must be an array of objects with a string 'href')")
    images = event.get("images")
    if images is not None and not (isinstance(images, list) and all(
            isinstance(x, dict) and isinstance(x.get("src"), str) and x["src"].strip()
            and isinstance(x.get("href", ""), str) and isinstance(x.get("alt", ""), str) for x in images)):
        errors.append("'images' is invalid (must be an array of objects with a string 'src')")
    return errors


def payload_common_errors(p, require_source_severity):
    errors = []
    summary = p.get("summary")
    if blank(summary):
        errors.append("'payload.summary' is missing or blank")
    elif not isinstance(summary, str):
        errors.append("'payload.summary' is invalid (must be a string)")
    elif len(summary) > SUMMARY_MAX:
        errors.append("'summary' is too long (maiximum is 1024 characters)")
    source = p.get("source")
    if require_source_severity and blank(source):
        errors.append("'payload.source' is missing or blank")
    elif source is not None and not isinstance(source, str):
        errors.append("'payload.source' is invalid (must be a string)")
    if require_source_severity:
        sev = p.get("severity")
        if blank(sev):
            errors.append("'payload.severity' is missing or blank")
        elif sev not in SEVERITIES:
            errors.append(SEVERITY_INVALID)
    if p.get("timestamp") is not None and not valid_iso8601(p["timestamp"]):
        errors.append("'payload.timestamp' is invalid (must be an ISO 8601 date-time)")
    if p.get("custom_details") is not None and not isinstance(p["custom_details"], dict):
        errors.append("'payload.custom_details' is invalid (must be an object)")
    return errors


def alert_event_errors(event):
    errors = routing_key_errors(event)
    action = event.get("event_action")
    if blank(action):
        errors.append("'event_action' is missing or blank")
    elif action not in EVENT_ACTIONS:
        errors.append(ACTION_INVALID)
    dedup = event.get("dedup_key")
    if dedup is not None:
        if not isinstance(dedup, str):
            errors.append("'dedup_key' is invalid")
        elif len(dedup) > DEDUP_KEY_MAX:
            errors.append("'dedup_key' is too long (maximum is 255 characters)")
    if action in ("acknowledge", "resolve") and blank(dedup):
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        if dedup is not None and isinstance(dedup, str) and not dedup.strip():
            errors.append("'dedup_key' is invalid")
        p = event.get("payload")
        if p is None:
            p = {}
        if not isinstance(p, dict):
            errors.append("'payload' is invalid")
        else:
            errors += payload_common_errors(p, True)
            for key in ("component", "group", "class"):
                if p.get(key) is not None and not isinstance(p[key], str):
                    errors.append("'payload.%s' is invalid (must be a string)" % key)
        for key in ("client", "client_url"):
            if event.get(key) is not None and not isinstance(event[key], str):
                errors.append("'%s' is invalid (must be a string)" % key)
    errors += context_errors(event)
    return errors


def change_event_errors(event):
    errors = routing_key_errors(event)
    p = event.get("payload")
    if p is None:
        errors.append("'payload.summary' is missing or blank")
    elif not isinstance(p, dict):
        errors.append("'payload' is invalid")
    else:
        errors += payload_common_errors(p, False)
    errors += context_errors(event)
    return errors


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AegisPagerDutyFake/1.0"
    sys_version = ""
    timeout = 30

    state: State = None  # set on the class at start-up

    def log_message(self, fmt, *args):  # silence the default access log
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
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > READ_MAX:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > READ_MAX:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def dispatch(self):
        self.responded = False
        split = urlsplit(self.path)
        self.req_path = unquote(split.path)
        try:
            self.body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.body = None
        try:
            if self.body is None:
                self.send_json(413, {"status": "error", "message": "Request body too large (fake)."})
            elif self.req_path.startswith("/_fake/"):
                self.route_control()
            elif not self.inject_failure():
                self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            raise
        except Exception as e:  # a bug in the fake: answer 500 without details of the request
            sys.stderr.write("pagerduty_fake: internal error %s on %s %s\n" % (type(e).__name__, self.command,
                                                                              self.req_path))
            sys.stderr.flush()
            if not self.responded:
                self.send_json(500, {"status": "error", "message": "fake internal error"})

    def send_bytes(self, status, body, content_type, headers=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.responded = True
        self.record(status)

    def send_json(self, status, obj, headers=None):
        body = b"" if obj is None else json.dumps(obj).encode("utf-8")
        self.send_bytes(status, body, "application/json", headers)

    def record(self, status):
        if self.req_path.startswith("/_fake/"):
            return
        with self.state.lock:
            self.state.requests.append({"method": self.command, "path": self.req_path, "status": status})
        sys.stderr.write("%s %s %d\n" % (self.command, self.req_path, status))
        sys.stderr.flush()

    def invalid(self, errors, headers=None):
        self.send_json(400, {"status": STATUS_INVALID, "message": MSG_INVALID, "errors": errors}, headers)

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
        if status == 429:
            self.send_json(429, THROTTLED, headers)
        elif status == 400:
            self.invalid(["Injected failure (fake)."], headers)
        else:
            self.send_json(status, {"status": "error", "message": "Injected failure (fake)."}, headers)
        return True

    # --- routing
    def route(self):
        p = self.req_path
        if p in ("/v2/enqueue", "/v2/enqueue/"):
            kind = "alert"
        elif p in ("/v2/change/enqueue", "/v2/change/enqueue/"):
            kind = "change"
        else:
            return self.send_json(404, {"status": "Not Found", "message": "Not Found"})
        if self.command != "POST":
            return self.send_json(405, {"status": "Method Not Allowed", "message": "Only POST is accepted here."},
                                  {"Allow": "POST"})
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self.send_json(400, UNRECOGNIZED)
        try:
            event = json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.send_json(400, UNRECOGNIZED)
        if not isinstance(event, dict):
            return self.send_json(400, UNRECOGNIZED)
        if len(self.body) > BODY_MAX:
            return self.invalid(["Event object is too large (maximum is 512 KB)"])  # [fake text]
        errors = alert_event_errors(event) if kind == "alert" else change_event_errors(event)
        if errors:
            return self.invalid(errors)
        s = self.state
        with s.lock:
            if event["routing_key"] not in s.routing_keys:
                return self.send_bytes(400, b"Invalid routing key", "text/plain; charset=utf-8")
            if kind == "change":
                s.change_events.append(event)
                return self.send_json(202, {"status": "success", "message": "Change event processed"})
            dedup = s.apply_alert_event(event)
            s.events.append(event)
        return self.send_json(202, {"status": "success", "message": "Event processed", "dedup_key": dedup})

    # ------------------------------------------------------------ control API
    def route_control(self):
        s = self.state
        p = self.req_path
        try:
            body = json.loads(self.body.decode("utf-8")) if self.body else {}
        except Exception:
            return self.send_json(400, {"error": "body is not JSON"})
        if body is None:
            body = {}
        if not isinstance(body, dict) and self.command == "POST":
            return self.send_json(400, {"error": "body must be a JSON object"})
        with s.lock:
            if p == "/_fake/routing-keys":
                if self.command == "POST":
                    key = body.get("routing_key")
                    if key is None:
                        key = secrets.token_hex(16)
                    elif not (isinstance(key, str) and len(key) == 32 and ALNUM_RE.match(key)):
                        return self.send_json(400, {"error": "routing_key must be 32 alphanumeric characters"})
                    if key not in s.routing_keys:
                        s.routing_keys.append(key)
                    return self.send_json(201, {"routing_key": key})
                if self.command == "GET":
                    return self.send_json(200, list(s.routing_keys))
            m = re.match(r"^/_fake/routing-keys/([^/]+)$", p)
            if m and self.command == "DELETE":
                if m.group(1) not in s.routing_keys:
                    return self.send_json(404, {"error": "no such routing key"})
                s.routing_keys.remove(m.group(1))
                return self.send_json(204, None)
            if p == "/_fake/incidents" and self.command == "GET":
                return self.send_json(200, [s.incident_json(i) for i in s.incidents])
            if p == "/_fake/events" and self.command == "GET":
                return self.send_json(200, list(s.events))
            if p == "/_fake/change-events" and self.command == "GET":
                return self.send_json(200, list(s.change_events))
            if p == "/_fake/fail":
                if self.command == "POST":
                    try:
                        rule = {"method": str(body.get("method") or "*").upper(),
                                "path_prefix": str(body["path_prefix"]),
                                "status": int(body["status"]), "count": int(body.get("count", 1)),
                                "retry_after": None if body.get("retry_after") is None else int(body["retry_after"])}
                    except (KeyError, TypeError, ValueError):
                        return self.send_json(400, {"error": "need path_prefix, status (400..599), count"})
                    if not 400 <= rule["status"] <= 599 or rule["count"] < 1 or not rule["path_prefix"].startswith("/") \
                            or rule["path_prefix"].startswith("/_fake"):
                        return self.send_json(400, {"error": "need path_prefix (not /_fake), status (400..599), "
                                                             "count >= 1"})
                    s.fail_rules.append(rule)
                    return self.send_json(201, {"ok": True})
                if self.command == "DELETE":
                    s.fail_rules.clear()
                    return self.send_json(204, None)
            if p == "/_fake/requests":
                if self.command == "GET":
                    return self.send_json(200, list(s.requests))
                if self.command == "DELETE":
                    s.requests.clear()
                    return self.send_json(204, None)
            if p == "/_fake/reset" and self.command == "POST":
                s.reset()
                return self.send_json(204, None)
        return self.send_json(404, {"error": "unknown control endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        # One line, no request data: TLS failures from clients that reject the CA land here.
        exc = sys.exc_info()[1]
        sys.stderr.write("pagerduty_fake: connection error %s\n" % type(exc).__name__)
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert-dir", required=True)
    args = ap.parse_args()

    _, srv_pem, srv_key = make_certificates(args.cert_dir, 'Aegis Rotate fake PagerDuty CA')
    state = State()
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
