#!/usr/bin/env python3
"""Proves pagerduty_fake.py against PagerDuty's official Python client (PyPI `pagerduty`, 7.2.0:
pagerduty.EventsApiV2Client). Prints one `ok: <fact>` line per proven fact and a closing
`prove_pagerduty: N passed, 0 failed`; exits 0. On the first failed fact it prints
`FAIL: <fact>`, the fake's log tail, and exits 1. The fake is stopped by its PID at the end,
also on failure. An internal deadline (120 s) stops everything if something hangs.

Usage: python3 prove_pagerduty.py        (installs `pagerduty` with pip if it is missing)

URL: the client is pointed at the fake with its constructor keyword
`EventsApiV2Client(routing_key, base_url="https://127.0.0.1:<port>")` (which sets the client's
`url` property; it must start with https://).

TLS: EventsApiV2Client is an httpx2.Client, not a requests.Session, so REQUESTS_CA_BUNDLE does
nothing for it. The fake's throwaway CA is trusted either through SSL_CERT_FILE (httpx2 reads it
when trust_env is on, the default) or through the keyword verify=ssl.create_default_context(
cafile=ca.pem) passed on to httpx2.Client. Verification is never disabled, and the proof checks
that a client without the CA is refused. HTTPS_PROXY points at a local sink for the whole run
(NO_PROXY covers 127.0.0.1/localhost), so any request meant for a public host is caught on this
machine; the proof asserts the sink saw only the one request it provokes on purpose (a client
left on its default base URL).

Events the client refuses to send (a bad event_action; acknowledge/resolve without a dedup_key)
are proven refused locally by the client AND sent raw with urllib to prove the fake refuses them.
"""

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

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "pagerduty_fake.py")
PACKAGE = "pagerduty"
DEADLINE_SECONDS = 120
SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

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


def wait_for(predicate, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise ProofFailure("timed out after %ss waiting for %s" % (timeout, what))


def ensure_client():
    try:
        import pagerduty  # noqa: F401
        return
    except ImportError:
        pass
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--break-system-packages", PACKAGE],
                       timeout=300)
    if r.returncode != 0:
        raise ProofFailure("pip install %s" % PACKAGE)


# ---------------------------------------------------------------- the fake process

class Fake:
    def __init__(self, cert_dir):
        self.cert_dir = cert_dir
        self.log_path = os.path.join(cert_dir, "fake.log")
        self.proc = None
        self.port = None

    def start(self, timeout=30):
        os.makedirs(self.cert_dir, exist_ok=True)
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

    def raw(self, path, body, content_type="application/json", method="POST"):
        """Sends bytes (or a JSON-able object) without the client. Returns (status, content type, text)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        req = urllib.request.Request(self.base + path, data=data if method != "GET" else None, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()

    def requests(self):
        return self.ctl("GET", "/_fake/requests")

    def clear(self):
        self.ctl("DELETE", "/_fake/requests")

    def incidents(self):
        return self.ctl("GET", "/_fake/incidents")

    def new_key(self):
        return self.ctl("POST", "/_fake/routing-keys", {})["routing_key"]

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


def body_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def invalid_with(status, text, needle):
    """True when (status, body) is PagerDuty's 400 invalid-event answer listing `needle`."""
    b = body_json(text)
    return (status == 400 and isinstance(b, dict) and b.get("status") == "invalid event"
            and b.get("message") == "Event object is invalid" and isinstance(b.get("errors"), list)
            and any(needle in e for e in b["errors"]))


# ---------------------------------------------------------------- the proof

def make_client(fake, routing_key, **kw):
    import pagerduty
    c = pagerduty.EventsApiV2Client(routing_key, base_url=fake.base, **kw)
    c.timeout = 10
    c.sleep_timer = 0.05  # the client's cooldown base (1.5 s by default); keeps retries short here
    return c


def prove_tls_and_url(fake, sink):
    import httpx2
    import pagerduty

    rk = fake.new_key()
    default = pagerduty.EventsApiV2Client(rk)
    check(default.url == "https://events.pagerduty.com", "the client's default base URL is https://events.pagerduty.com")
    default.timeout, default.sleep_timer, default.max_network_attempts = 10, 0.01, 0
    before = len(sink.seen)
    expect_raises(lambda: default.trigger("never sent", "prove"), pagerduty.Error,
                  "a client left on its default URL fails here (its request went to the local proxy sink)")
    check(any(line.startswith("CONNECT events.pagerduty.com:443") for line in sink.seen[before:]),
          "... the sink saw CONNECT events.pagerduty.com:443, nothing reached PagerDuty")
    del sink.seen[before:]

    expect_raises(lambda: pagerduty.EventsApiV2Client(rk, base_url="http://127.0.0.1:%d" % fake.port),
                  pagerduty.UrlError, "the client refuses an http:// base_url (UrlError: must use https://)",
                  contains="https://")
    c = make_client(fake, rk, verify=fake.ctx)

    def set_http():
        c.url = "http://127.0.0.1:%d" % fake.port
    expect_raises(set_http, pagerduty.UrlError, "... and refuses setting its url property to http:// as well")
    check(c.url == fake.base, "base_url=https://127.0.0.1:<port> becomes the client's url property")

    fake.clear()
    key = c.trigger("tls check", "prove", dedup_key="tls-check")
    check(key == "tls-check" and [(e["method"], e["path"], e["status"]) for e in fake.requests()] ==
          [("POST", "/v2/enqueue", 202)],
          "verify=ssl.create_default_context(cafile=ca.pem) makes the client trust the fake; it POSTs /v2/enqueue")

    os.environ["SSL_CERT_FILE"] = SYSTEM_CA
    no_ca = make_client(fake, rk)
    no_ca.max_network_attempts = 0
    fake.clear()
    e = expect_raises(lambda: no_ca.trigger("must fail", "prove"), pagerduty.Error,
                      "a client whose trust store lacks the fake's CA is refused (pagerduty.Error)")
    check(isinstance(e.__cause__, httpx2.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(e.__cause__)
          and fake.requests() == [],
          "... caused by httpx2.ConnectError CERTIFICATE_VERIFY_FAILED; the fake served nothing")

    os.environ["SSL_CERT_FILE"] = fake.ca
    env_client = make_client(fake, rk)
    check(env_client.trigger("env trust", "prove", dedup_key="env-trust") == "env-trust",
          "with SSL_CERT_FILE=ca.pem a client without verify= trusts the fake (httpx2 trust_env)")
    strict = make_client(fake, rk, trust_env=False)
    strict.max_network_attempts = 0
    expect_raises(lambda: strict.trigger("must fail", "prove"), pagerduty.Error,
                  "trust_env=False ignores SSL_CERT_FILE and is refused (REQUESTS_CA_BUNDLE is never consulted)")
    expect_raises(lambda: urllib.request.urlopen(fake.base + "/_fake/incidents", timeout=10,
                                                 context=ssl.create_default_context(cafile=SYSTEM_CA)),
                  (urllib.error.URLError, ssl.SSLError), "urllib without the throwaway CA is refused",
                  contains="CERTIFICATE_VERIFY_FAILED")
    r = urllib.request.urlopen("https://localhost:%d/_fake/incidents" % fake.port, context=fake.ctx, timeout=10)
    check(r.status == 200, "the server certificate is valid for DNS name localhost as well as IP 127.0.0.1")
    fake.ctl("POST", "/_fake/reset")


def prove_lifecycle(fake):
    rk = fake.new_key()
    c = make_client(fake, rk)

    generated = c.trigger("payments-api rotation escalated", "aegis-rotate")
    inc = fake.incidents()
    check(len(generated) == 32 and all(ch in "0123456789abcdef" for ch in generated),
          "trigger() without dedup_key returns the generated dedup_key (32 lowercase hex)", generated)
    check(len(inc) == 1 and inc[0]["dedup_key"] == generated and inc[0]["status"] == "triggered" and
          inc[0]["alerts"] == 1 and inc[0]["number"] == 1 and inc[0]["routing_key"] == rk,
          "... it opened incident #1 (triggered, 1 alert) under that routing key")
    ev = fake.ctl("GET", "/_fake/events")[-1]
    check(ev["routing_key"] == rk and ev["event_action"] == "trigger" and "dedup_key" not in ev and
          ev["payload"] == {"summary": "payments-api rotation escalated", "source": "aegis-rotate", "severity": "critical"},
          "the client puts routing_key in the JSON body and sends severity critical by default")

    key = "aegis/payments-api/rotation-42"
    check(c.trigger("rotation failed", "aegis-rotate", dedup_key=key, severity="error") == key,
          "trigger(dedup_key=K) returns K")
    check(c.trigger("rotation failed again", "aegis-rotate", dedup_key=key, severity="error") == key,
          "a second trigger with K returns K again")
    mine = [i for i in fake.incidents() if i["dedup_key"] == key]
    check(len(mine) == 1 and mine[0]["alerts"] == 2 and mine[0]["actions"] == ["trigger", "trigger"] and
          mine[0]["status"] == "triggered" and mine[0]["summary"] == "rotation failed again",
          "two triggers with one dedup_key make ONE incident with 2 alerts (latest summary shown)")

    check(c.acknowledge(key) == key and [i for i in fake.incidents() if i["dedup_key"] == key][0]["status"] == "acknowledged",
          "acknowledge(K) returns K and the incident becomes acknowledged")
    c.trigger("still failing", "aegis-rotate", dedup_key=key, severity="error")
    mine = [i for i in fake.incidents() if i["dedup_key"] == key][0]
    check(mine["status"] == "acknowledged" and mine["alerts"] == 3,
          "a trigger on an acknowledged incident counts an alert and leaves it acknowledged")
    check(c.resolve(key) == key and [i for i in fake.incidents() if i["dedup_key"] == key][0]["status"] == "resolved",
          "resolve(K) returns K and the incident becomes resolved")
    before = fake.incidents()
    check(c.resolve(key) == key and c.acknowledge(key) == key and fake.incidents() == before,
          "acknowledge/resolve of a resolved dedup_key answer 202 and change nothing")
    check(c.acknowledge("never-triggered") == "never-triggered" and c.resolve("never-triggered") == "never-triggered"
          and fake.incidents() == before, "acknowledge/resolve of an unknown dedup_key answer 202 and create nothing")

    c.trigger("rotation failed after resolve", "aegis-rotate", dedup_key=key)
    mine = [i for i in fake.incidents() if i["dedup_key"] == key]
    check(len(mine) == 2 and mine[0]["status"] == "resolved" and mine[1]["status"] == "triggered" and
          mine[1]["number"] == max(i["number"] for i in before) + 1 and mine[1]["alerts"] == 1 and
          mine[0]["actions"] == ["trigger", "trigger", "acknowledge", "trigger", "resolve"],
          "a trigger after resolve opens a NEW incident (new number, same dedup_key); actions list the history")

    other = make_client(fake, fake.new_key())
    check(other.resolve(key) == key and [i for i in fake.incidents() if i["dedup_key"] == key][1]["status"] == "triggered",
          "a resolve for K through ANOTHER routing key is accepted and dropped (the incident stays triggered)")

    details = {"secret": "payments-api/db", "attempts": 3, "ratio": 0.5, "ok": False, "none": None,
               "nested": {"list": [1, "two", {"three": 3}]}, "unicode": "rotación ✓"}
    links = [{"href": "https://aegis.example/runs/42", "text": "Run 42"}]
    images = [{"src": "https://aegis.example/graph.png", "alt": "graph"}]
    k2 = c.trigger("custom details", "aegis-rotate", dedup_key="details", severity="warning",
                   payload={"component": "rotator", "group": "secrets", "class": "rotation",
                            "timestamp": "2015-07-17T08:42:58.315+0000"},
                   custom_details=details, links=links, images=images)
    inc = [i for i in fake.incidents() if i["dedup_key"] == k2][0]
    ev = fake.ctl("GET", "/_fake/events")[-1]
    check(inc["custom_details"] == details and ev["payload"]["custom_details"] == details,
          "custom_details arrive exactly as sent (nested objects, numbers, booleans, null, unicode)")
    check(inc["component"] == "rotator" and inc["group"] == "secrets" and inc["class"] == "rotation" and
          inc["severity"] == "warning" and inc["links"] == links and inc["images"] == images and
          inc["timestamp"] == "2015-07-17T08:42:58.315+0000",
          "component/group/class (via payload=), links, images and the docs' timestamp format are accepted and kept")


def prove_refusals(fake):
    import pagerduty

    rk = fake.new_key()
    c = make_client(fake, rk)

    def http_error(fn, fact, needle):
        e = expect_raises(fn, pagerduty.HttpError, fact)
        check(e.response.status_code == 400 and invalid_with(400, e.response.text, needle),
              "... 400 {status: invalid event, message: Event object is invalid, errors: [%s]}" % needle,
              e.response.text[:300])
        return e

    before = fake.incidents()
    http_error(lambda: c.trigger("x", "aegis", severity="fatal"), "an invalid severity raises HttpError",
               "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
    http_error(lambda: c.send_event("trigger", payload={"source": "aegis", "severity": "error"}),
               "a trigger without payload.summary raises HttpError", "'payload.summary' is missing or blank")
    http_error(lambda: c.send_event("trigger", payload={"summary": "x", "severity": "error"}),
               "a trigger without payload.source raises HttpError", "'payload.source' is missing or blank")
    http_error(lambda: c.trigger("x" * 1025, "aegis"), "a 1025-character summary is refused, not truncated",
               "'summary' is too long (maiximum is 1024 characters)")
    check(len(c.trigger("y" * 1024, "aegis")) == 32, "a 1024-character summary is accepted")
    http_error(lambda: c.trigger("x", "aegis", dedup_key="k" * 256), "a 256-character dedup_key is refused",
               "'dedup_key' is too long")
    check(c.trigger("x", "aegis", dedup_key="k" * 255) == "k" * 255, "a 255-character dedup_key is accepted")
    http_error(lambda: c.trigger("x", "aegis", payload={"timestamp": "yesterday"}),
               "a timestamp that is not ISO 8601 is refused", "'payload.timestamp' is invalid")
    e = http_error(lambda: c.send_event("trigger", payload={"summary": "", "severity": "Critical"}),
                   "one event with several problems raises HttpError", "'payload.source' is missing or blank")
    check(len(body_json(e.response.text)["errors"]) == 3, "... and every problem is listed in errors (3 here)")
    after = fake.incidents()
    check(after[:len(before)] == before and [(i["summary"], i["dedup_key"]) for i in after[len(before):]] ==
          [("y" * 1024, after[len(before)]["dedup_key"]), ("x", "k" * 255)],
          "refused events opened no incident (only the two accepted ones did)")

    fake.clear()
    expect_raises(lambda: c.send_event("escalate", dedup_key="k"), ValueError,
                  "the client refuses event_action 'escalate' locally (ValueError) ...")
    expect_raises(lambda: c.send_event("resolve"), ValueError,
                  "... and resolve without dedup_key locally (ValueError) ...")
    check(fake.requests() == [], "... so neither reached the fake; they are sent raw (urllib) next")
    status, _, text = fake.raw("/v2/enqueue", {"routing_key": rk, "event_action": "escalate", "dedup_key": "k"})
    check(invalid_with(status, text, "'event_action' is invalid"), "raw: a bad event_action is refused 400 with errors",
          text[:200])
    status, _, text = fake.raw("/v2/enqueue", {"routing_key": rk, "event_action": "resolve"})
    check(invalid_with(status, text, "'dedup_key' is missing or blank"),
          "raw: resolve without dedup_key is refused 400 with errors", text[:200])
    status, _, text = fake.raw("/v2/enqueue", {"routing_key": rk})
    check(invalid_with(status, text, "'event_action' is missing or blank"), "raw: a missing event_action is refused 400")
    status, _, text = fake.raw("/v2/enqueue", {"routing_key": "e+23rschqsESqk9Q6_-g", "event_action": "trigger",
                                               "payload": {"summary": "s", "source": "s", "severity": "info"}})
    b = body_json(text) or {}
    check(status == 400 and b.get("errors") == ["Length of 'routing_key' is incorrect (should be 32 characters)",
                                                "'routing_key' cannot contain non-alphanumeric characters."],
          "a malformed routing key gets PagerDuty's two routing_key errors", text[:200])

    unknown = make_client(fake, "0123456789abcdef0123456789abcdef")
    e = expect_raises(lambda: unknown.trigger("x", "aegis"), pagerduty.HttpError,
                      "a well-formed but unregistered routing key raises HttpError")
    check(e.response.status_code == 400 and e.response.text == "Invalid routing key",
          "... 400 with the plain-text body 'Invalid routing key'")
    gone = fake.new_key()
    fake.ctl("DELETE", "/_fake/routing-keys/" + gone)
    e = expect_raises(lambda: make_client(fake, gone).trigger("x", "aegis"), pagerduty.HttpError,
                      "a routing key deleted via the control API is refused the same way")

    for body, ctype, what in ((b'{"routing_key": ', "application/json", "malformed JSON"),
                              (b'["not", "an", "object"]', "application/json", "a JSON array"),
                              (json.dumps({"routing_key": rk, "event_action": "trigger",
                                           "payload": {"summary": "s", "source": "s", "severity": "info"}}).encode(),
                               "application/x-www-form-urlencoded", "a valid event sent as form content type")):
        status, rtype, text = fake.raw("/v2/enqueue", body, content_type=ctype)
        check(status == 400 and body_json(text) == {"status": "Unrecognized object",
                                                    "message": "Event object format is unrecognized",
                                                    "errors": ["JSON parse error"]},
              "%s is refused 400 Unrecognized object / JSON parse error" % what, "%s %s" % (status, text[:200]))
    status, _, text = fake.raw("/v2/enqueue/", {"routing_key": rk, "event_action": "trigger", "dedup_key": "slash",
                                                "payload": {"summary": "s", "source": "s", "severity": "info"}})
    check(status == 202 and body_json(text) == {"status": "success", "message": "Event processed", "dedup_key": "slash"},
          "POST /v2/enqueue/ (trailing slash) is accepted: 202 {status success, message Event processed, dedup_key}")
    status, _, _ = fake.raw("/v2/enqueue", b"", content_type=None, method="GET")
    check(status == 405, "GET /v2/enqueue answers 405")


def prove_throttling_and_retries(fake):
    import pagerduty

    rk = fake.new_key()
    c = make_client(fake, rk)
    fake.ctl("POST", "/_fake/fail", {"method": "POST", "path_prefix": "/v2/enqueue", "status": 429, "count": 2,
                                     "retry_after": 30})
    fake.clear()
    t0 = time.monotonic()
    key = c.trigger("throttled", "aegis", dedup_key="throttled")
    elapsed = time.monotonic() - t0
    check(key == "throttled" and [e["status"] for e in fake.requests()] == [429, 429, 202],
          "two injected 429s are retried by the client by default until 202 (no exception)")
    check(elapsed < 5, "... with its own backoff (sleep_timer * 2^n), ignoring Retry-After: 30", "%.2fs" % elapsed)
    check(len([i for i in fake.incidents() if i["dedup_key"] == "throttled"]) == 1,
          "... and the throttled attempts ingested nothing (one incident)")

    c.retry[429] = 1
    fake.ctl("POST", "/_fake/fail", {"method": "*", "path_prefix": "/v2/", "status": 429, "count": 2})
    fake.clear()
    e = expect_raises(lambda: c.trigger("throttled twice", "aegis", dedup_key="throttled-2"), pagerduty.HttpError,
                      "with retry[429] = 1 the client gives up after one retry and raises HttpError")
    check(e.response.status_code == 429 and body_json(e.response.text) == {
        "status": "throttle exceeded", "message": "Requests for this service are arriving too quickly.  Please retry later.",
        "errors": ["Enhance Your Calm."]} and [r["status"] for r in fake.requests()] == [429, 429],
        "... the 429 carries PagerDuty's throttle body (status 'throttle exceeded')")
    check(not [i for i in fake.incidents() if i["dedup_key"] == "throttled-2"], "... and nothing was ingested")

    fake.ctl("POST", "/_fake/fail", {"path_prefix": "/v2/enqueue", "status": 503, "count": 2})
    fake.clear()
    check(c.trigger("after 503", "aegis", dedup_key="after-503") == "after-503" and
          [r["status"] for r in fake.requests()] == [503, 503, 202],
          "503s are retried by the client (up to 6 times) until 202")
    fake.ctl("POST", "/_fake/fail", {"path_prefix": "/v2/enqueue", "status": 500, "count": 5})
    fake.clear()
    e = expect_raises(lambda: c.trigger("after 500", "aegis", dedup_key="after-500"), pagerduty.ServerHttpError,
                      "persistent 500s raise ServerHttpError")
    check([r["status"] for r in fake.requests()] == [500, 500, 500] and e.response.status_code == 500,
          "... after 1 try + 2 retries (the client's retry[500] = 2)")
    fake.ctl("DELETE", "/_fake/fail")
    fake.ctl("POST", "/_fake/fail", {"path_prefix": "/v2/enqueue", "status": 400, "count": 1})
    fake.clear()
    e = expect_raises(lambda: c.trigger("after 400", "aegis"), pagerduty.HttpError, "an injected 400 raises HttpError")
    check([r["status"] for r in fake.requests()] == [400] and invalid_with(400, e.response.text, "Injected failure"),
          "... at once, without a retry")


def prove_change_events(fake):
    rk = fake.new_key()
    c = make_client(fake, rk)
    before = fake.incidents()
    fake.clear()
    c.send_change_event(payload={"summary": "Secret payments-api/db rotated", "source": "aegis-rotate",
                                 "timestamp": "2026-01-02T03:04:05Z", "custom_details": {"version": 7}},
                        links=[{"href": "https://aegis.example/runs/43", "text": "Run 43"}])
    ce = fake.ctl("GET", "/_fake/change-events")
    check([(r["path"], r["status"]) for r in fake.requests()] == [("/v2/change/enqueue", 202)] and
          ce[-1]["routing_key"] == rk and ce[-1]["payload"]["custom_details"] == {"version": 7} and
          fake.incidents() == before,
          "send_change_event POSTs /v2/change/enqueue: 202, recorded, no incident opened")
    status, _, text = fake.raw("/v2/change/enqueue", {"routing_key": rk, "payload": {"summary": "s"}})
    check(status == 202 and body_json(text) == {"status": "success", "message": "Change event processed"},
          "a change event needs only routing_key and payload.summary: 202 {status success, message Change event processed}")
    status, _, text = fake.raw("/v2/change/enqueue", {"routing_key": rk, "payload": {"source": "s"}})
    check(invalid_with(status, text, "'payload.summary' is missing or blank"), "a change event without summary is refused 400")
    expect_raises(lambda: c.submit("rotated", "aegis-rotate"), AttributeError,
                  "client 7.2.0 bug: submit() without timestamp= raises AttributeError (datetime.timezone)", "timezone")
    c.submit("rotated", "aegis-rotate", timestamp="2026-01-02T03:04:05+00:00")
    check(fake.ctl("GET", "/_fake/change-events")[-1]["payload"]["summary"] == "rotated",
          "... submit() with an explicit timestamp works")


def main():
    ensure_client()
    import logging
    logging.getLogger("pagerduty").setLevel(logging.CRITICAL)  # it warns on every retry, provoked on purpose here
    for k in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY",
              "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy", "NO_PROXY", "no_proxy"):
        os.environ.pop(k, None)
    workdir = tempfile.mkdtemp(prefix="pagerduty-fake-proof-")
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
            print("prove_pagerduty: %d passed, 1 failed" % len(PASSED), flush=True)
            os._exit(1)

    threading.Thread(target=watchdog, name="deadline", daemon=True).start()
    try:
        fake.start()
        ok("the fake printed LISTENING %d and wrote ca.pem, server.pem, server.key: %s" % (
            fake.port, sorted(f for f in os.listdir(workdir) if f.endswith((".pem", ".key")))))
        check(not os.path.exists(os.path.join(workdir, "ca.key")), "no CA private key is left behind")
        sink = ProxySink()
        os.environ.update(HTTPS_PROXY=sink.url, HTTP_PROXY=sink.url, NO_PROXY="127.0.0.1,localhost")

        prove_tls_and_url(fake, sink)
        prove_lifecycle(fake)
        prove_refusals(fake)
        prove_throttling_and_retries(fake)
        prove_change_events(fake)

        entries = fake.requests()
        check(entries and all(set(e) == {"method", "path", "status"} for e in entries),
              "GET /_fake/requests entries hold only method/path/status")
        fake.clear()
        check(fake.requests() == [], "DELETE /_fake/requests clears the log")
        log = fake.log_text()
        keys = fake.ctl("GET", "/_fake/routing-keys")
        leaked = [k for k in keys + ["aegis/payments-api/rotation-42", "payments-api rotation escalated", "rotación"]
                  if k in log]
        check(not leaked and "POST /v2/enqueue 202" in log and "POST /v2/enqueue 429" in log,
              "the fake's stderr has METHOD PATH STATUS lines and no routing key, dedup key or event text")
        check(sink.seen == [], "no request for a public host escaped to the proxy sink apart from the one provoked")

        fake.proc.stdin.close()
        wait_for(lambda: fake.proc.poll() is not None, "the fake to exit after stdin EOF", 10)
        check(fake.proc.returncode == 0, "the fake exits 0 when its stdin reaches EOF")
        second = Fake(tempfile.mkdtemp(prefix="pagerduty-fake-proof-term-")).start()
        os.kill(second.proc.pid, signal.SIGTERM)
        wait_for(lambda: second.proc.poll() is not None, "the second fake to exit after SIGTERM", 10)
        check(second.proc.returncode == 0, "the fake exits 0 on SIGTERM",
              "got %s: %s" % (second.proc.returncode, second.log_text()[-300:]))
    except Exception as e:  # ProofFailure, or a client error nobody expected
        finished.set()
        if not isinstance(e, ProofFailure):
            import traceback
            traceback.print_exc()
        print("FAIL: %s" % e, flush=True)
        print("---- fake log tail ----\n" + "\n".join(fake.log_text().splitlines()[-30:]), flush=True)
        print("(fake's certificates and log kept in %s)" % workdir, flush=True)
        print("prove_pagerduty: %d passed, 1 failed" % len(PASSED), flush=True)
        return 1
    finally:
        finished.set()
        fake.stop()
        if second is not None:
            second.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(second.cert_dir, ignore_errors=True)
    print("prove_pagerduty: %d passed, 0 failed" % len(PASSED), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
