#!/usr/bin/env python3
"""A stand-in for Secrets Manager's RDS PostgreSQL rotation Lambda, in front of moto.

moto cannot run a rotation Lambda here (it needs Docker), and without one its RotateSecret moves
AWSCURRENT to a version without a value. This process sits between the bot and moto: every
Secrets Manager request is forwarded to moto unchanged (the Host header too, so moto checks the
bot's SigV4 signature as it was made), except ``RotateSecret``, which it answers as Secrets Manager
does (``{ARN, Name, VersionId}``, the rotation then running asynchronously) and then runs the four
steps of the AWS single-user rotation template itself, against moto and a REAL PostgreSQL:

  createSecret   AWSPENDING = a new 32-character alphanumeric password under the request's
                 ClientRequestToken (skipped if that version already exists: a re-invocation)
  setSecret      ALTER ROLE <role> PASSWORD '<new>' as the PostgreSQL admin (psql)
  testSecret     a fresh login as <role> with the new password, SELECT 1 (psql)
  finishSecret   AWSCURRENT moved to the new version (AWSPREVIOUS follows, as moto does), then
                 AWSPENDING taken off it, as Secrets Manager does once the rotation succeeded

Each step waits ``step_seconds`` (0.3) first. After createSecret the rotation also holds (at most
30 s) until a client has read the secret's stages (a forwarded DescribeSecret), so a client that
follows the stages sees AWSPENDING for certain, however its polls are timed.
RotateSecret's caller is checked by access key ID only (the Credential of its SigV4 header must be
the key this stand-in was given); its signature is not re-verified. ``/_fake/config
{"fail_step": "testSecret"|...|null}`` makes that step fail (the rotation stops there, as a
failing Lambda leaves it: AWSPENDING in place, AWSCURRENT untouched).

Run:  python3 rotation_lambda_fake.py --upstream http://127.0.0.1:<moto> --region us-east-1
          --access-key-id K --secret-access-key S --pg-port P --pg-admin-password X [--role aegis]
Prints ``LISTENING <port>`` (127.0.0.1, port 0) and serves until SIGTERM or stdin EOF. stderr gets
one line per request (``METHOD PATH STATUS [Target]``) and one per rotation step; never a value.

Control (no auth, never forwarded): GET /_fake/rotations -> [{"secret", "token", "steps": [...],
"result": "running"|"succeeded"|"failed: <step>"}]; POST /_fake/config {"fail_step", "step_seconds"}.
"""
import argparse
import http.client
import http.server
import json
import os
import re
import secrets
import string
import subprocess
import sys
import threading
import time
import urllib.parse

import botocore.session
from fake_server import serve_until_stopped

STATE = {"rotations": [], "fail_step": None, "step_seconds": 0.3, "describes": 0}
DESCRIBED = threading.Condition()
LOCK = threading.Lock()
ARGS = None
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def client():
    session = botocore.session.get_session()
    return session.create_client("secretsmanager", region_name=ARGS.region, endpoint_url=ARGS.upstream,
                                 aws_access_key_id=ARGS.access_key_id, aws_secret_access_key=ARGS.secret_access_key)


def psql(user, password, sql):
    psql_binary = ARGS.psql
    env = dict(os.environ, PGPASSWORD=password, PGSSLMODE="disable", PGCONNECT_TIMEOUT="5")
    result = subprocess.run([psql_binary, "-h", "127.0.0.1", "-p", str(ARGS.pg_port), "-U", user, "-d", "postgres",
                             "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql],
                            env=env, capture_output=True, text=True, timeout=15)
    if result.returncode != 0:
        raise RuntimeError(f"psql as {user} exited {result.returncode}")
    return result.stdout.strip()


def rotate(secret_id, token, record):
    sm = client()

    def step(name, body):
        time.sleep(STATE["step_seconds"])
        if STATE["fail_step"] == name:
            raise RuntimeError(f"{name} failed (configured)")
        body()
        with LOCK:
            record["steps"].append(name)
        log(f"rotation {token}: {name} done")

    stages = {}

    def create_secret():
        described = sm.describe_secret(SecretId=secret_id)
        stages.update(described.get("VersionIdsToStages", {}))
        if token in stages:
            return
        alphabet = string.ascii_letters + string.digits
        new = "".join(secrets.choice(alphabet) for _ in range(32))
        sm.put_secret_value(SecretId=secret_id, ClientRequestToken=token, SecretString=new, VersionStages=["AWSPENDING"])

    def pending_value():
        return sm.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")["SecretString"]

    def set_secret():
        new = pending_value()
        if not re.fullmatch(r"[A-Za-z0-9]+", new):
            raise RuntimeError("the pending password is not alphanumeric")
        psql("postgres", ARGS.pg_admin_password, f"ALTER ROLE {ARGS.role} PASSWORD '{new}'")

    def test_secret():
        if psql(ARGS.role, pending_value(), "SELECT 1") != "1":
            raise RuntimeError("SELECT 1 did not answer 1")

    def finish_secret():
        described = sm.describe_secret(SecretId=secret_id)
        current = [v for v, s in described.get("VersionIdsToStages", {}).items() if "AWSCURRENT" in s]
        if current and current[0] != token:
            sm.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current[0])
        sm.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSPENDING", RemoveFromVersionId=token)

    name = "createSecret"
    try:
        for name, body in [("createSecret", create_secret), ("setSecret", set_secret),
                           ("testSecret", test_secret), ("finishSecret", finish_secret)]:
            step(name, body)
            if name == "createSecret":  # AWSPENDING exists from here: wait for a read that can see it
                with DESCRIBED:
                    seen = STATE["describes"]
                    DESCRIBED.wait_for(lambda: STATE["describes"] > seen, timeout=30)
        result = "succeeded"
    except Exception as error:  # a failing Lambda: the rotation stops where it failed
        log(f"rotation {token}: {name} failed: {type(error).__name__}")
        result = f"failed: {name}"
    with LOCK:
        record["result"] = result


def credential_key_id(headers):
    match = re.search(r"Credential=([^/,\s]+)/", headers.get("Authorization", ""))
    return match.group(1) if match else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def send_json(self, status, payload, target=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log(f"{self.command} {urllib.parse.urlsplit(self.path).path} {status}" + (f" {target}" if target else ""))

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_fake/"):
            return self.control(path, body)
        target = self.headers.get("X-Amz-Target", "")
        if target == "secretsmanager.RotateSecret":
            return self.rotate_secret(body, target)
        self.forward(body, target)

    def control(self, path, body):
        if path == "/_fake/rotations" and self.command == "GET":
            with LOCK:
                return self.send_json(200, [dict(r, steps=list(r["steps"])) for r in STATE["rotations"]])
        if path == "/_fake/config" and self.command == "POST":
            config = json.loads(body or b"{}")
            with LOCK:
                if "fail_step" in config:
                    STATE["fail_step"] = config["fail_step"]
                if "step_seconds" in config:
                    STATE["step_seconds"] = float(config["step_seconds"])
            return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "no such control endpoint"})

    def rotate_secret(self, body, target):
        if credential_key_id(self.headers) != ARGS.access_key_id:
            return self.send_json(400, {"__type": "UnrecognizedClientException",
                                        "message": "The security token included in the request is invalid."}, target)
        try:
            request = json.loads(body)
            secret_id = request["SecretId"]
            token = request.get("ClientRequestToken") or secrets.token_hex(16)
        except (ValueError, KeyError, TypeError):
            return self.send_json(400, {"__type": "InvalidParameterException", "message": "SecretId is required."}, target)
        try:
            described = client().describe_secret(SecretId=secret_id)
        except client().exceptions.ResourceNotFoundException:
            return self.send_json(400, {"__type": "ResourceNotFoundException",
                                        "message": "Secrets Manager can't find the specified secret."}, target)
        record = {"secret": described["Name"], "token": token, "steps": [], "result": "running"}
        with LOCK:
            STATE["rotations"].append(record)
        threading.Thread(target=rotate, args=(secret_id, token, record), daemon=True).start()
        self.send_json(200, {"ARN": described["ARN"], "Name": described["Name"], "VersionId": token}, target)

    def forward(self, body, target):
        upstream = urllib.parse.urlsplit(ARGS.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in headers.items():
                connection.putheader(key, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log(f"{self.command} {urllib.parse.urlsplit(self.path).path} {response.status} {target}")
        if target == "secretsmanager.DescribeSecret":
            with DESCRIBED:
                STATE["describes"] += 1
                DESCRIBED.notify_all()


def main():
    global ARGS
    parser = argparse.ArgumentParser(description="RDS rotation Lambda stand-in in front of moto (see the docstring)")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--pg-admin-password", required=True)
    parser.add_argument("--role", default="aegis")
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--ignore-stdin", action="store_true")
    ARGS = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", ARGS.role):
        parser.error("--role must be a plain lower-case identifier")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_until_stopped(server, watch_stdin=not ARGS.ignore_stdin)


if __name__ == "__main__":
    main()
