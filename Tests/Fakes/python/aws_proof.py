"""The harness the proofs of the in-repo AWS Query fakes share (prove_elasticache.py,
prove_rds.py): facts, bounded waits, the fake as a child process, and one ``main`` that reports,
cleans up by PID and exits. Import it before botocore: it clears every ``AWS_*`` variable and the
shared config files so nothing from the machine reaches the SDK, and keeps 127.0.0.1 off any proxy.

A proof prints ``ok: <fact>`` per fact and ends with ``<name>: N passed, 0 failed`` (exit 0); on
the first failure it prints ``FAIL: <fact>``, the reason and the tails of what it started (exit 1).
"""

import contextlib
import json
import os
import queue
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
import xml.etree.ElementTree as ET

for _name in list(os.environ):
    if _name.startswith("AWS_"):
        os.environ.pop(_name)
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Deadline(Exception):
    pass


def check(condition, what):
    if not condition:
        raise AssertionError(what)


class Facts:
    def __init__(self):
        self.passed = 0
        self.current = None

    @contextlib.contextmanager
    def fact(self, text):
        self.current = text
        yield
        print(f"ok: {text}", flush=True)
        self.passed += 1
        self.current = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_process(proc):
    """SIGTERM, then SIGKILL after 5 s; by PID, only a process this proof started."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class Server:
    """A real server the proof starts on a free 127.0.0.1 port, in its own temp dir, its output in
    ``<dir>/<log_name>``. ``argv(port, dir)`` is its command line; the subclass waits for it."""

    def __init__(self, prefix, log_name, argv):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.log_path = os.path.join(self.dir, log_name)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv(self.port, self.dir), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir)

    def wait_ready(self, what, ready, timeout, interval=0.05):
        """``wait_for``, but a server that never gets ready is stopped before the error rises (the
        proof never saw it, so its clean-up could not)."""
        try:
            wait_for(what, ready, timeout, interval)
        except BaseException:
            self.stop()
            raise

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-1500:].decode(errors="replace")

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Fake:
    """A fake script (in this folder) as a child: stdin a pipe (EOF stops it), its first stdout
    line ``LISTENING <port>``, its stderr kept for failure reports."""

    def __init__(self, script, args, deadline=20.0):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, script)] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr_lines = []
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        threading.Thread(target=lambda: [self.stderr_lines.append(l.decode(errors="replace"))
                                         for l in self.proc.stderr], daemon=True).start()
        try:
            first = lines.get(timeout=deadline)
        except queue.Empty:
            self.stop()
            raise AssertionError(f"timed out after {deadline}s waiting for 'LISTENING <port>' from {script}; its "
                                 f"stderr: {''.join(self.stderr_lines)[-1500:]}")
        if first is None:
            code = self.proc.wait(timeout=5)
            time.sleep(0.2)                                   # let the stderr reader finish
            raise AssertionError(f"{script} exited ({code}) before 'LISTENING <port>'; its stderr: "
                                 f"{''.join(self.stderr_lines)[-1500:]}")
        first = first.decode().strip()
        check(first.startswith("LISTENING "), f"first line of {script} was {first!r}")
        self.port = int(first.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"

    def control(self, method, path, body=None, expect=200):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with OPENER.open(req, timeout=5) as r:
                status, out = r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            status, out = err.code, json.loads(err.read() or b"{}")
        check(status == expect, f"control {method} {path} answered {status} (wanted {expect}): {out}")
        return out

    def raw(self, method, url_suffix, data, headers):
        """A hand-made request; returns (status, error code or None, XML text, response headers)."""
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}   # urllib sets it
        req = urllib.request.Request(self.base + url_suffix, data=data, method=method, headers=headers)
        try:
            with OPENER.open(req, timeout=5) as r:
                status, text, rh = r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as err:
            status, text, rh = err.code, err.read().decode(), err.headers
        code = None
        if status != 200:
            code = ET.fromstring(text).find("{*}Error/{*}Code").text
        return status, code, text, rh

    def tail(self):
        return "".join(self.stderr_lines[-40:])

    def stop(self):
        stop_process(self.proc)


def expect_error(what, code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as err:
        got = err.response["Error"].get("Code")
        check(got == code, f"{what}: error code {got!r}, wanted {code!r} ({err.response['Error'].get('Message')})")
        return err
    raise AssertionError(f"{what}: expected ClientError {code}, the call succeeded")


def check_paging(client, operation, list_key, id_key, expected):
    """A Describe* operation pages the way the Query APIs page: MaxRecords=20 gives 20 and a
    Marker, the Marker gives the rest and no Marker, botocore's own paginator yields ``expected``
    in order, and MaxRecords 5 or 101 or a Marker the service did not make is 400
    InvalidParameterValue."""
    call = getattr(client, operation)
    first = call(MaxRecords=20)
    check(len(first[list_key]) == 20 and first.get("Marker"), f"first page of {operation}")
    second = call(MaxRecords=20, Marker=first["Marker"])
    check("Marker" not in second, f"no Marker on the last page of {operation}")
    got = [item[id_key] for item in first[list_key] + second[list_key]]
    check(got == expected, f"pages {got}")
    paged = client.get_paginator(operation).paginate(PaginationConfig={"PageSize": 20})
    check([item[id_key] for page in paged for item in page[list_key]] == expected, f"paginator of {operation}")
    for kwargs in ({"MaxRecords": 5}, {"MaxRecords": 101}, {"Marker": "not-a-marker"}):
        err = expect_error(f"{operation} {kwargs}", "InvalidParameterValue", call, **kwargs)
        check(status_of(err) == 400, f"{operation} {kwargs}: status {status_of(err)}")


def check_fail_injection(fake, action, call, retrying_call):
    """``/_fake/fail`` works the way botocore sees real failures: an injected 500 InternalFailure
    is a ClientError (HTTP 500, Type Receiver) at once from ``call`` (a client without retries);
    two 400 Throttling are retried by ``retrying_call`` (a retrying client), whose third attempt
    succeeds, and the request log shows the three attempts."""
    fake.control("POST", "/_fake/fail", {"action": action, "status": 500, "code": "InternalFailure"})
    err = expect_error("injected 500", "InternalFailure", call)
    check(status_of(err) == 500 and err.response["Error"]["Type"] == "Receiver", "500 Receiver")
    fake.control("DELETE", "/_fake/requests")
    fake.control("POST", "/_fake/fail", {"action": "*", "status": 400, "code": "Throttling",
                                         "message": "Rate exceeded", "count": 2})
    check(retrying_call(), "retried")
    statuses = [(e["status"], e["code"]) for e in fake.control("GET", "/_fake/requests")]
    check(statuses == [(400, "Throttling"), (400, "Throttling"), (200, None)], f"statuses {statuses}")


def status_of(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def message_of(err):
    return err.response["Error"].get("Message")


def main(name, overall_deadline, prove):
    """Runs ``prove(facts, started)`` under an overall deadline. ``started`` is a list the proof
    appends what it starts to, as (label, object with ``stop()`` and ``tail()``); on failure their
    tails are printed, and everything is stopped in reverse order. Exits the process."""

    def on_alarm(*_):
        raise Deadline(f"overall deadline of {overall_deadline}s passed")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(overall_deadline)
    facts = Facts()
    started = []
    failed = False
    try:
        prove(facts, started)
    except BaseException as err:  # noqa: BLE001 - report, clean up, exit 1
        failed = True
        print(f"FAIL: {facts.current or 'setup'}", flush=True)
        print(f"  reason: {err.__class__.__name__}: {err}", flush=True)
        for label, proc in started:
            sys.stderr.write(f"---- {label} (tail) ----\n{proc.tail()}\n")
    finally:
        signal.alarm(0)
        for _, proc in reversed(started):
            try:
                proc.stop()
            except Exception as err:  # noqa: BLE001
                sys.stderr.write(f"cleanup: {err}\n")
    print(f"{name}: {facts.passed} passed, {1 if failed else 0} failed", flush=True)
    sys.exit(1 if failed else 0)
