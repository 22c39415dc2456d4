#!/usr/bin/env python3
"""Proves elasticache_fake.py speaks the ElastiCache Query API the way botocore (the AWS SDK for
Python) speaks it, and that its AUTH-token rules are real in a real redis-server.

Starts a throwaway redis-server (its own port and temp dir, no persistence) with an ACL admin user,
starts the fake pointed at it (stdin a pipe), drives the fake with a botocore ``elasticache``
client (SigV4, Query protocol, XML parsed by botocore's own parser against service-2.json), and
checks every token with a real ``AUTH`` against redis. Prints ``ok: <fact>`` per fact and ends with
``prove_elasticache: N passed, 0 failed`` (exit 0); on the first failure prints ``FAIL: <fact>``,
the reason and the fake's stderr tail (exit 1). Everything it started is stopped by PID, also on
failure; an overall deadline bounds the run and every wait has its own timeout.
"""

import datetime
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OVERALL_DEADLINE = 120
MODIFY_SECONDS = 1.5
ADMIN_USER, ADMIN_PASSWORD = "aegis-admin", "pw-" + secrets.token_hex(8)
REGION = "us-east-1"

from aws_proof import (  # noqa: E402 - before botocore: it clears the machine's AWS settings
    Fake, Server, check, check_fail_injection, check_paging, expect_error, main, status_of, wait_for)

import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402


# ---- a RESP client of the proof's own (independent of the fake's) ------------------------------

class RespError(str):
    pass


def resp(port, *commands, timeout=5):
    """Runs commands on one fresh connection; returns the replies (errors as RespError)."""
    def encode(args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out

    def read(f):
        line = f.readline()
        check(line.endswith(b"\r\n"), "redis closed the connection")
        kind, rest = line[:1], line[1:-2].decode()
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else f.read(int(rest) + 2)[:-2].decode()
        if kind == b"*":
            return [read(f) for _ in range(int(rest))]
        raise AssertionError(f"odd RESP reply {line[:20]!r}")

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        f = sock.makefile("rb")
        sock.sendall(b"".join(encode(list(c)) for c in commands))
        return [read(f) for _ in commands]


def auth_ok(port, token, user="default"):
    """True if ``AUTH user token`` is accepted, False on WRONGPASS; anything else fails the proof."""
    reply = resp(port, ("AUTH", user, token))[0]
    if reply == "OK":
        return True
    check(isinstance(reply, RespError) and reply.startswith("WRONGPASS"), f"AUTH answered {reply!r}")
    return False


def noauth_refused(port):
    reply = resp(port, ("PING",))[0]
    if reply == "PONG":
        return False
    check(isinstance(reply, RespError) and reply.startswith("NOAUTH"), f"PING answered {reply!r}")
    return True


# ---- processes -------------------------------------------------------------------------------

class RedisServer(Server):
    def __init__(self):
        super().__init__("prove-elasticache-redis-", "redis.log", lambda port, folder: [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", folder])

        def ready():
            try:
                return resp(self.port, ("PING",), timeout=1)[0] == "PONG"
            except OSError:
                check(self.proc.poll() is None, f"redis-server exited with {self.proc.returncode}")
                return False
        self.wait_ready("redis-server to answer PING", ready, 10)
        reply = resp(self.port, ("ACL", "SETUSER", ADMIN_USER, "on", ">" + ADMIN_PASSWORD, "~*", "&*", "+@all"))[0]
        check(reply == "OK", f"ACL SETUSER admin: {reply!r}")


# ---- the proof -------------------------------------------------------------------------------

def run(facts, redis, fake):
    F = facts.fact
    rport = redis.port
    session = botocore.session.get_session()

    def client(akid, secret, retries=None, **config):
        cfg = Config(retries=retries or {"total_max_attempts": 1}, connect_timeout=5, read_timeout=10, **config)
        return session.create_client("elasticache", region_name=REGION, endpoint_url=fake.base,
                                     aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg)

    def wait_available(ec, gid, timeout=10):
        def done():
            g = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
            return g if g["Status"] == "available" else None
        return wait_for(f"{gid} to become available", done, timeout)

    t0 = "Initial-" + secrets.token_hex(8)                                  # 24 chars
    t1 = ("Rotated!&#$^<>-" + secrets.token_hex(64))[:128]                  # exactly 128, allowed specials
    t2 = "Sixteen-" + secrets.token_hex(4)                                  # exactly 16
    t3 = "Third-Rotation-" + secrets.token_hex(6)
    t_legacy = "Legacy-Set-" + secrets.token_hex(6)
    tokens_seen = [t0, t1, t2, t3, t_legacy]

    with F(f"botocore {botocore.__version__} against the fake on 127.0.0.1:{fake.port}, backed by a real "
           f"redis-server on 127.0.0.1:{rport} (the fake logged in as ACL user {ADMIN_USER})"):
        meta = session.get_service_model("elasticache").metadata
        check(meta["protocol"] == "query" and meta["apiVersion"] == "2015-02-02", f"service model {meta}")

    creds = fake.control("POST", "/_fake/credentials", {})
    ec = client(creds["access_key_id"], creds["secret_access_key"])
    ec_retrying = client(creds["access_key_id"], creds["secret_access_key"], retries={"max_attempts": 4})

    with F("control API: a group created with token T0 makes redis's default user need T0 (AUTH default T0 OK, "
           "a wrong token WRONGPASS, no AUTH -> NOAUTH)"):
        created = fake.control("POST", "/_fake/replication-groups", {"id": "Sessions", "token": t0,
                                                                      "transit_encryption": True})
        check(created["id"] == "sessions" and created["tokens"] == [t0] and created["status"] == "available",
              f"created {created}")
        check(auth_ok(rport, t0) and not auth_ok(rport, t1) and noauth_refused(rport), "redis after create")

    with F("DescribeReplicationGroups(ReplicationGroupId) parses: Status available, AuthTokenEnabled true, "
           "TransitEncryptionEnabled true, AuthTokenLastModifiedDate a datetime, NodeGroups[0].PrimaryEndpoint is the "
           "real redis (Address 127.0.0.1, Port int), MemberClusters, ARN"):
        g = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
        check(g["ReplicationGroupId"] == "sessions" and g["Status"] == "available", str(g)[:300])
        check(g["AuthTokenEnabled"] is True and g["TransitEncryptionEnabled"] is True, "flags")
        check(isinstance(g["AuthTokenLastModifiedDate"], datetime.datetime)
              and g["AuthTokenLastModifiedDate"].tzinfo is not None, "AuthTokenLastModifiedDate type")
        ep = g["NodeGroups"][0]["PrimaryEndpoint"]
        check(ep == {"Address": "127.0.0.1", "Port": rport}, f"PrimaryEndpoint {ep}")
        check(g["MemberClusters"] == ["sessions-001"] and g["NodeGroups"][0]["NodeGroupMembers"][0]["CurrentRole"]
              == "primary", "members")
        check(g["ARN"] == f"arn:aws:elasticache:{REGION}:123456789012:replicationgroup:sessions", g["ARN"])
        first_modified = g["AuthTokenLastModifiedDate"]

    with F("DescribeReplicationGroups without an id lists all groups; ReplicationGroupId is case-insensitive"):
        ids = [x["ReplicationGroupId"] for x in ec.describe_replication_groups()["ReplicationGroups"]]
        check(ids == ["sessions"], f"ids {ids}")
        check(ec.describe_replication_groups(ReplicationGroupId="SESSIONS")["ReplicationGroups"][0]
              ["ReplicationGroupId"] == "sessions", "upper-case id")

    with F("unknown group -> ReplicationGroupNotFoundFault, HTTP 404, Error.Type Sender, modelled exception class "
           "(Describe and Modify)"):
        err = expect_error("describe unknown", "ReplicationGroupNotFoundFault", ec.describe_replication_groups,
                           ReplicationGroupId="nope")
        check(status_of(err) == 404 and err.response["Error"]["Type"] == "Sender", "404 Sender")
        check(err.response["ResponseMetadata"].get("RequestId"), "RequestId parsed")
        check(isinstance(err, ec.exceptions.ReplicationGroupNotFoundFault), "modelled class")
        err = expect_error("modify unknown", "ReplicationGroupNotFoundFault", ec.modify_replication_group,
                           ReplicationGroupId="nope", AuthToken=t1, AuthTokenUpdateStrategy="ROTATE",
                           ApplyImmediately=True)
        check(status_of(err) == 404, "modify 404")

    with F("SET before any ROTATE -> InvalidParameterCombination (400); redis unchanged"):
        err = expect_error("SET first", "InvalidParameterCombination", ec.modify_replication_group,
                           ReplicationGroupId="sessions", AuthToken=t1, AuthTokenUpdateStrategy="SET",
                           ApplyImmediately=True)
        check(status_of(err) == 400 and isinstance(err, ec.exceptions.InvalidParameterCombinationException), "400")
        check(auth_ok(rport, t0) and not auth_ok(rport, t1), "redis unchanged")

    bad_tokens = {"15 characters": "A" * 15, "129 characters": "B" * 129, "containing @": "Token-with-@-sign-01",
                  'containing "': 'Token-with-"-quote-1', "containing /": "Token-with-/-slash-1",
                  "containing %": "Token-with-%-percent", "containing a non-printable (\\x01)": "Token-with-\x01-ctrl-1",
                  "containing a non-ASCII char": "Token-with-\u00e9-accent"}
    with F("token rules: " + ", ".join(bad_tokens) + " -> InvalidParameterValue (400) each, sent by botocore "
           "unmodified (it does not validate AuthToken locally); the message never echoes the token"):
        for what, bad in bad_tokens.items():
            err = expect_error(what, "InvalidParameterValue", ec.modify_replication_group,
                               ReplicationGroupId="sessions", AuthToken=bad, AuthTokenUpdateStrategy="ROTATE",
                               ApplyImmediately=True)
            check(status_of(err) == 400 and bad not in err.response["Error"]["Message"], what)
            check(isinstance(err, ec.exceptions.InvalidParameterValueException), "modelled class")
        check(fake.control("GET", "/_fake/replication-groups/sessions")["modifications"] == [], "nothing started")

    with F("ApplyImmediately=false (or absent) with an AuthToken -> InvalidParameterCombination [fake rule]"):
        expect_error("apply false", "InvalidParameterCombination", ec.modify_replication_group,
                     ReplicationGroupId="sessions", AuthToken=t1, AuthTokenUpdateStrategy="ROTATE",
                     ApplyImmediately=False)
        expect_error("apply absent", "InvalidParameterCombination", ec.modify_replication_group,
                     ReplicationGroupId="sessions", AuthToken=t1, AuthTokenUpdateStrategy="ROTATE")

    with F("no AuthToken and no strategy -> InvalidParameterCombination 'No modifications were requested.'; "
           "DELETE -> InvalidParameterValue, DELETE + UserGroupIdsToAdd -> 404 UserGroupNotFound (RBAC not "
           "modelled); UserGroupIdsToAdd alone -> InvalidParameterCombination '... Pass AuthStrategy delete ...'"):
        err = expect_error("user group alone", "InvalidParameterCombination", ec.modify_replication_group,
                           ReplicationGroupId="sessions", UserGroupIdsToAdd=["app-users"], ApplyImmediately=True)
        check("Pass AuthStrategy delete to proceed" in err.response["Error"]["Message"], "message")
        err = expect_error("DELETE with user group", "UserGroupNotFound", ec.modify_replication_group,
                           ReplicationGroupId="sessions", AuthTokenUpdateStrategy="DELETE",
                           UserGroupIdsToAdd=["app-users"], ApplyImmediately=True)
        check(status_of(err) == 404 and isinstance(err, ec.exceptions.UserGroupNotFoundFault), "404")
        err = expect_error("empty modify", "InvalidParameterCombination", ec.modify_replication_group,
                           ReplicationGroupId="sessions", ApplyImmediately=True)
        check(err.response["Error"]["Message"] == "No modifications were requested.", "message")
        expect_error("DELETE", "InvalidParameterValue", ec.modify_replication_group,
                     ReplicationGroupId="sessions", AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True)

    with F("ROTATE T1 (128 chars incl. ! & # $ ^ < > -) accepted: the response's ReplicationGroup has Status "
           "modifying, PendingModifiedValues.AuthTokenStatus ROTATING, AuthTokenEnabled true, "
           "AuthTokenLastModifiedDate, NodeGroups[0].PrimaryEndpoint.Port; redis does not take T1 yet"):
        g = ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t1,
                                        AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True)["ReplicationGroup"]
        check(g["Status"] == "modifying" and g["PendingModifiedValues"] == {"AuthTokenStatus": "ROTATING"}, str(g)[:300])
        check(g["AuthTokenEnabled"] is True and isinstance(g["AuthTokenLastModifiedDate"], datetime.datetime)
              and g["TransitEncryptionEnabled"] is True, "flags")
        check(g["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == rport and g["NodeGroups"][0]["Status"] == "modifying",
              "node group")
        check(not auth_ok(rport, t1) and auth_ok(rport, t0), "T1 must only work after the modification completes")

    with F("a second ModifyReplicationGroup while modifying -> InvalidReplicationGroupState (400, modelled "
           "InvalidReplicationGroupStateFault)"):
        err = expect_error("modify while modifying", "InvalidReplicationGroupState", ec.modify_replication_group,
                           ReplicationGroupId="sessions", AuthToken=t2, AuthTokenUpdateStrategy="ROTATE",
                           ApplyImmediately=True)
        check(status_of(err) == 400 and isinstance(err, ec.exceptions.InvalidReplicationGroupStateFault), "class")

    with F(f"polling DescribeReplicationGroups: modifying -> available after ~{MODIFY_SECONDS}s; "
           "AuthTokenLastModifiedDate moved forward; PendingModifiedValues empty"):
        started = time.monotonic()
        g = wait_available(ec, "sessions")
        check(time.monotonic() - started > 0.3, "became available suspiciously early")
        check(g["AuthTokenLastModifiedDate"] > first_modified and g["PendingModifiedValues"] == {}, "after rotate")
        rotated_at = g["AuthTokenLastModifiedDate"]

    with F("after ROTATE both T0 and T1 AUTH in redis (AUTH default <t> and AUTH <t>), a third token is refused "
           "WRONGPASS, no AUTH -> NOAUTH; control view tokens == [T0, T1]"):
        check(auth_ok(rport, t0) and auth_ok(rport, t1), "T0 and T1")
        check(resp(rport, ("AUTH", t1))[0] == "OK", "single-argument AUTH")
        check(not auth_ok(rport, t3) and noauth_refused(rport), "third token / no auth")
        view = fake.control("GET", "/_fake/replication-groups/sessions")
        check(view["tokens"] == [t0, t1] and view["modifications"][0]["strategy"] == "ROTATE"
              and view["modifications"][0]["result"] == "applied", f"view {view}")

    with F("SET with a token other than the last rotated one -> InvalidParameterValue: both SET back to the OLD "
           "token T0 right after ROTATE T1, and SET to a never-rotated token (user guide: 'must be the same value "
           "as the last AUTH token rotated')"):
        for other in (t0, t3):
            expect_error("SET other", "InvalidParameterValue", ec.modify_replication_group,
                         ReplicationGroupId="sessions", AuthToken=other, AuthTokenUpdateStrategy="SET",
                         ApplyImmediately=True)
        check(fake.control("GET", "/_fake/replication-groups/sessions")["tokens"] == [t0, t1], "unchanged")

    with F("SET T1 -> modifying (AuthTokenStatus SETTING) -> available; then ONLY T1 works (T0 WRONGPASS)"):
        g = ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t1, AuthTokenUpdateStrategy="SET",
                                        ApplyImmediately=True)["ReplicationGroup"]
        check(g["Status"] == "modifying" and g["PendingModifiedValues"] == {"AuthTokenStatus": "SETTING"}, str(g)[:200])
        check(auth_ok(rport, t0), "T0 must still work until SET completes")
        g = wait_available(ec, "sessions")
        check(g["AuthTokenLastModifiedDate"] > rotated_at, "date after SET")
        check(auth_ok(rport, t1) and not auth_ok(rport, t0) and noauth_refused(rport), "only T1")
        check(fake.control("GET", "/_fake/replication-groups/sessions")["tokens"] == [t1], "view [T1]")

    with F("SET again without a new ROTATE -> InvalidParameterCombination"):
        expect_error("SET twice", "InvalidParameterCombination", ec.modify_replication_group,
                     ReplicationGroupId="sessions", AuthToken=t1, AuthTokenUpdateStrategy="SET",
                     ApplyImmediately=True)

    with F("AuthToken without AuthTokenUpdateStrategy means ROTATE; two ROTATEs keep at most two tokens: "
           "T1 -> [T1, T2 (16 chars)] -> [T2, T3], T1 then refused"):
        g = ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t2,
                                        ApplyImmediately=True)["ReplicationGroup"]
        check(g["PendingModifiedValues"] == {"AuthTokenStatus": "ROTATING"}, "default ROTATE")
        wait_available(ec, "sessions")
        check(auth_ok(rport, t1) and auth_ok(rport, t2), "T1 and T2")
        ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t3, AuthTokenUpdateStrategy="ROTATE",
                                    ApplyImmediately=True)
        wait_available(ec, "sessions")
        check(auth_ok(rport, t2) and auth_ok(rport, t3) and not auth_ok(rport, t1), "oldest dropped")
        check(fake.control("GET", "/_fake/replication-groups/sessions")["tokens"] == [t2, t3], "view [T2, T3]")

    with F("rollback path: ROTATE back to the older valid token T2 is accepted (tokens [T3, T2], both still AUTH), "
           "then SET T2 leaves only T2"):
        ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t2, AuthTokenUpdateStrategy="ROTATE",
                                    ApplyImmediately=True)
        wait_available(ec, "sessions")
        check(fake.control("GET", "/_fake/replication-groups/sessions")["tokens"] == [t3, t2], "view [T3, T2]")
        check(auth_ok(rport, t2) and auth_ok(rport, t3), "both still valid")
        ec.modify_replication_group(ReplicationGroupId="sessions", AuthToken=t2, AuthTokenUpdateStrategy="SET",
                                    ApplyImmediately=True)
        wait_available(ec, "sessions")
        check(auth_ok(rport, t2) and not auth_ok(rport, t3) and not auth_ok(rport, t1), "only T2")

    with F("a group created without TransitEncryptionEnabled refuses AuthToken -> InvalidParameterCombination; "
           "it reports TransitEncryptionEnabled false, AuthTokenEnabled false, no AuthTokenLastModifiedDate"):
        fake.control("POST", "/_fake/replication-groups", {"id": "plain", "token": None, "transit_encryption": False,
                                                            "redis_user": None})
        g = ec.describe_replication_groups(ReplicationGroupId="plain")["ReplicationGroups"][0]
        check(g["TransitEncryptionEnabled"] is False and g["AuthTokenEnabled"] is False
              and "AuthTokenLastModifiedDate" not in g, str(g)[:300])
        expect_error("no transit", "InvalidParameterCombination", ec.modify_replication_group,
                     ReplicationGroupId="plain", AuthToken=t1, AuthTokenUpdateStrategy="ROTATE",
                     ApplyImmediately=True)

    with F("a passwordless group (another redis user, nopass: any AUTH accepted) may SET its first token at once; "
           "afterwards only that token AUTHs for that user"):
        fake.control("POST", "/_fake/replication-groups", {"id": "legacy", "token": None, "redis_user": "legacy-app"})
        check(auth_ok(rport, "anything-goes-here", user="legacy-app"), "nopass user")
        ec.modify_replication_group(ReplicationGroupId="legacy", AuthToken=t_legacy, AuthTokenUpdateStrategy="SET",
                                    ApplyImmediately=True)
        g = wait_available(ec, "legacy")
        check(g["AuthTokenEnabled"] is True, "enabled after SET")
        check(auth_ok(rport, t_legacy, user="legacy-app") and not auth_ok(rport, "anything-goes-here",
                                                                           user="legacy-app"), "only the SET token")

    with F("a wrong secret -> 403 SignatureDoesNotMatch; an unknown access key -> 403 InvalidClientTokenId"):
        err = expect_error("wrong secret", "SignatureDoesNotMatch",
                           client(creds["access_key_id"], "x" * 40).describe_replication_groups)
        check(status_of(err) == 403, "403")
        err = expect_error("unknown key", "InvalidClientTokenId",
                           client("AKIAUNKNOWNUNKNOWN00", creds["secret_access_key"]).describe_replication_groups)
        check(status_of(err) == 403, "403")

    with F("no signature (botocore UNSIGNED, and a raw POST without Authorization) -> 403 "
           "MissingAuthenticationToken; nothing changes"):
        err = expect_error("unsigned", "MissingAuthenticationToken",
                           client("unused", "unused", signature_version=botocore.UNSIGNED).modify_replication_group,
                           ReplicationGroupId="sessions", AuthToken=t0, AuthTokenUpdateStrategy="ROTATE",
                           ApplyImmediately=True)
        check(status_of(err) == 403, "403")
        body = "Action=DescribeReplicationGroups&Version=2015-02-02".encode()
        status, code, _, _ = fake.raw("POST", "/", body,
                                      {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        check((status, code) == (403, "MissingAuthenticationToken"), f"raw unsigned {status} {code}")
        check(fake.control("GET", "/_fake/replication-groups/sessions")["tokens"] == [t2], "unchanged")

    with F("the body is covered by the signature: a request signed by botocore's SigV4Auth is accepted raw, the "
           "same headers with a tampered body -> 403 SignatureDoesNotMatch"):
        def signed(form):
            data = urllib.parse.urlencode(form).encode()
            req = AWSRequest(method="POST", url=fake.base + "/", data=data,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            SigV4Auth(Credentials(creds["access_key_id"], creds["secret_access_key"]), "elasticache",
                      REGION).add_auth(req)
            return data, dict(req.prepare().headers)
        data, headers = signed({"Action": "DescribeReplicationGroups", "Version": "2015-02-02",
                                "ReplicationGroupId": "sessions"})
        check("Credential=" + creds["access_key_id"] + "/" in headers["Authorization"]
              and f"/{REGION}/elasticache/aws4_request" in headers["Authorization"], "credential scope")
        status, code, text, _ = fake.raw("POST", "/", data, headers)
        check(status == 200 and "<DescribeReplicationGroupsResult>" in text, f"raw signed {status} {code}")
        status, code, _, _ = fake.raw("POST", "/", data.replace(b"sessions", b"legacy"), headers)
        check((status, code) == (403, "SignatureDoesNotMatch"), f"tampered {status} {code}")

    with F("fail injection: 500 InternalFailure surfaces as ClientError (code InternalFailure, HTTP 500, Type "
           "Receiver) without retries; two 400 Throttling are retried by botocore and the third call succeeds"):
        check_fail_injection(fake, "DescribeReplicationGroups", ec.describe_replication_groups,
                             lambda: ec_retrying.describe_replication_groups(ReplicationGroupId="sessions")[
                                 "ReplicationGroups"])
        fake.control("POST", "/_fake/fail", {"action": "ModifyReplicationGroup", "status": 400, "code": "Throttling",
                                             "count": 1})
        expect_error("injected Throttling", "Throttling", ec.modify_replication_group, ReplicationGroupId="sessions",
                     AuthToken=t1, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True)

    with F("paging: 25 more groups; MaxRecords=20 gives 20 and a Marker, the Marker gives the rest, botocore's "
           "paginator yields all in creation order; MaxRecords 5 or 101, or a bad Marker -> 400 InvalidParameterValue"):
        for i in range(25):
            fake.control("POST", "/_fake/replication-groups", {"id": f"page-{i:02d}", "token": None,
                                                                "redis_user": None})
        expected = ["sessions", "plain", "legacy"] + [f"page-{i:02d}" for i in range(25)]
        check_paging(ec, "describe_replication_groups", "ReplicationGroups", "ReplicationGroupId", expected)

    with F("request log: auth sigv4 / bad / none recorded; no token, secret or admin password in /_fake/requests "
           "or the fake's stderr, which has 'POST / <status> <Action>' lines"):
        fake.control("DELETE", "/_fake/requests")
        ec.describe_replication_groups(ReplicationGroupId="sessions")
        expect_error("bad", "SignatureDoesNotMatch", client(creds["access_key_id"], "y" * 40).describe_replication_groups)
        fake.raw("POST", "/", b"Action=DescribeReplicationGroups&Version=2015-02-02",
                 {"Content-Type": "application/x-www-form-urlencoded"})
        log = fake.control("GET", "/_fake/requests")
        check([e["auth"] for e in log] == ["sigv4", "bad", "none"], f"log {log}")
        check(log[0]["action"] == "DescribeReplicationGroups" and log[0]["status"] == 200, "entry")
        text = json.dumps(log) + "".join(fake.stderr_lines)
        leaked = [t for t in tokens_seen + [creds["secret_access_key"], ADMIN_PASSWORD] if t in text]
        check(not leaked, f"{len(leaked)} secret(s) leaked into the fake's logs")
        check(any(l.startswith("POST / 200 ModifyReplicationGroup") for l in fake.stderr_lines), "stderr format")

    with F("the fake exits (status 0) when its stdin reaches EOF"):
        fake.proc.stdin.close()
        try:
            code = fake.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError("timed out after 5s waiting for the fake to exit on stdin EOF")
        check(code == 0, f"exit status {code}")


def prove(facts, started):
    check(shutil.which("redis-server"), "redis-server is not installed")
    redis = RedisServer()
    started.append(("redis-server log", redis))
    fake = Fake("elasticache_fake.py", ["--redis-host", "127.0.0.1", "--redis-port", str(redis.port),
                                        "--redis-admin-user", ADMIN_USER, "--redis-admin-password", ADMIN_PASSWORD,
                                        "--modify-seconds", str(MODIFY_SECONDS)], deadline=10.0)
    started.append(("fake stderr", fake))
    run(facts, redis, fake)


if __name__ == "__main__":
    main("prove_elasticache", OVERALL_DEADLINE, prove)
