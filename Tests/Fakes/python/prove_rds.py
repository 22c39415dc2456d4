#!/usr/bin/env python3
"""Proves rds_fake.py speaks the RDS Query API the way botocore (the AWS SDK for Python) speaks it
for the managed-master-password rotation, and that the master secret it rotates is real in a real
moto Secrets Manager.

Starts a throwaway moto server (``python3 -m moto.server`` on a free 127.0.0.1 port), starts the
fake state-only against it (stdin a pipe; no PostgreSQL), drives the fake with a botocore ``rds``
client (SigV4, Query protocol, XML parsed by botocore's own parser against service-2.json for rds
2014-10-31) and reads the secret with a botocore ``secretsmanager`` client straight from moto.
Prints ``ok: <fact>`` per fact and ends with ``prove_rds: N passed, 0 failed`` (exit 0); on the
first failure prints ``FAIL: <fact>``, the reason and the fake's stderr tail (exit 1). Everything
it started is stopped by PID, also on failure; an overall deadline bounds the run and every wait
has its own timeout.
"""

import datetime
import json
import os
import re
import secrets
import string
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "rds_fake.py")
OVERALL_DEADLINE = 120
ROTATE_SECONDS = 1.2
REGION = "us-east-1"
NS = "http://rds.amazonaws.com/doc/2014-10-31/"
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]

from aws_proof import (  # noqa: E402 - before botocore: it clears the machine's AWS settings
    OPENER, Fake, Server, check, check_fail_injection, check_paging, expect_error, free_port, main, message_of,
    status_of, wait_for)

import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402


# ---- processes -------------------------------------------------------------------------------

class Moto(Server):
    def __init__(self):
        super().__init__("prove-rds-moto-", "moto.log", lambda port, _: [
            sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        self.url = f"http://127.0.0.1:{self.port}"

        def ready():
            check(self.proc.poll() is None, f"moto.server exited with {self.proc.returncode}")
            try:
                with OPENER.open(self.url + "/moto-api/", timeout=1) as r:
                    return r.status < 500
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False
        self.wait_ready(f"moto.server to answer on 127.0.0.1:{self.port}", ready, 30, interval=0.1)


# ---- the proof -------------------------------------------------------------------------------

def run(facts, moto, fake, akid, secret):
    F = facts.fact
    session = botocore.session.get_session()

    def client(key=akid, sec=secret, retries=None, region=REGION, **config):
        cfg = Config(retries=retries or {"total_max_attempts": 1}, connect_timeout=5, read_timeout=10, **config)
        return session.create_client("rds", region_name=region, endpoint_url=fake.base,
                                     aws_access_key_id=key, aws_secret_access_key=sec, config=cfg)

    rds = client()
    rds_retrying = client(retries={"max_attempts": 4})
    rds_unvalidated = client(parameter_validation=False)
    sm = session.create_client("secretsmanager", region_name=REGION, endpoint_url=moto.url,
                               aws_access_key_id=akid, aws_secret_access_key=secret,
                               config=Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=10))

    def signed(form, method="POST", service="rds", region=REGION, key=akid, sec=secret):
        """A request signed by botocore's own SigV4Auth: (url suffix, body, headers)."""
        encoded = urllib.parse.urlencode(form)
        if method == "GET":
            url, data, headers = fake.base + "/?" + encoded, None, {}
        else:
            url, data = fake.base + "/", encoded.encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        req = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(Credentials(key, sec), service, region).add_auth(req)
        return url[len(fake.base):], data, dict(req.prepare().headers)

    def raw_signed(form, **kwargs):
        method = kwargs.get("method", "POST")
        suffix, data, headers = signed(form, **kwargs)
        return fake.raw(method, suffix, data, headers)

    def describe(iid):
        return rds.describe_db_instances(DBInstanceIdentifier=iid)["DBInstances"][0]

    def stages(arn):
        return sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})

    def version_with(arn, stage):
        found = [v for v, s in stages(arn).items() if stage in s]
        check(len(found) <= 1, f"{stage} on {len(found)} versions")
        return found[0] if found else None

    def value(arn, **kwargs):
        return json.loads(sm.get_secret_value(SecretId=arn, **kwargs)["SecretString"])

    def rotate(iid):
        return rds.modify_db_instance(DBInstanceIdentifier=iid, RotateMasterUserPassword=True,
                                      ApplyImmediately=True)["DBInstance"]

    def wait_secret_status(iid, not_status="rotating", timeout=10):
        def done():
            status = describe(iid)["MasterUserSecret"]["SecretStatus"]
            return status if status != not_status else None
        return wait_for(f"{iid}'s secret to leave {not_status}", done, timeout)

    def rotations(iid):
        return fake.control("GET", f"/_fake/db-instances/{iid}")["rotations"]

    def is_password(p):
        return isinstance(p, str) and re.fullmatch(r"[A-Za-z0-9]{32}", p) is not None

    with F(f"botocore {botocore.__version__} against the fake on 127.0.0.1:{fake.port} (state-only), the master "
           f"secrets in a real moto server on 127.0.0.1:{moto.port}; rds service model: protocol query, apiVersion "
           "2014-10-31, signingName rds, xmlNamespace as the fake answers"):
        meta = session.get_service_model("rds").metadata
        check(meta["protocol"] == "query" and meta["apiVersion"] == "2014-10-31" and meta["signingName"] == "rds"
              and meta["xmlNamespace"] == NS, f"service model {meta}")

    master = "orders_admin"
    with F("control API: POST /_fake/db-instances (id 'Orders', managed by default) -> id lowercased, status "
           "available, managed true, a secret named rds!db-<uuid4>, secret_status active"):
        created = fake.control("POST", "/_fake/db-instances", {"id": "Orders", "master_username": master})
        check(created["id"] == "orders" and created["status"] == "available" and created["managed"] is True
              and created["master_username"] == master and created["secret_status"] == "active", f"created {created}")
        check(re.fullmatch(r"rds!db-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                           created["secret_name"]), f"secret name {created['secret_name']}")
        arn = created["secret_arn"]
        check(arn.startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{created['secret_name']}-"), arn)
    db_arn = f"arn:aws:rds:{REGION}:123456789012:db:orders"

    with F("moto holds that secret: DescribeSecret has the Name, Description 'The secret associated with the primary "
           "RDS DB instance: <DBInstanceArn>', tags aws:rds:primaryDBInstanceArn and aws:secretsmanager:"
           "owningService=rds (OwningService rds), a KmsKeyId, one version, AWSCURRENT"):
        d = sm.describe_secret(SecretId=arn)
        check(d["Name"] == created["secret_name"] and d["ARN"] == arn, "name/arn")
        check(d["Description"] == f"The secret associated with the primary RDS DB instance: {db_arn}", d["Description"])
        tags = {t["Key"]: t["Value"] for t in d.get("Tags", [])}
        check(tags == {"aws:rds:primaryDBInstanceArn": db_arn, "aws:secretsmanager:owningService": "rds"}, f"{tags}")
        check(d.get("OwningService") == "rds", "OwningService")
        check(d["KmsKeyId"].startswith(f"arn:aws:kms:{REGION}:123456789012:key/"), d["KmsKeyId"])
        check(list(d["VersionIdsToStages"].values()) == [["AWSCURRENT"]], f"{d['VersionIdsToStages']}")
        initial_version = list(d["VersionIdsToStages"])[0]
        kms = d["KmsKeyId"]

    with F("the AWSCURRENT SecretString is JSON with exactly username (the master user) and password (32 letters "
           "and digits)"):
        initial = value(arn, VersionStage="AWSCURRENT")
        check(set(initial) == {"username", "password"} and initial["username"] == master, f"keys {sorted(initial)}")
        check(is_password(initial["password"]), "password shape")

    expected_keys = {"DBInstanceIdentifier", "DBInstanceClass", "Engine", "DBInstanceStatus", "MasterUsername",
                     "DBName", "Endpoint", "AllocatedStorage", "InstanceCreateTime", "PendingModifiedValues",
                     "MultiAZ", "EngineVersion", "StorageEncrypted", "DBInstanceArn"}
    with F("DescribeDBInstances(DBInstanceIdentifier) parses every field: DBInstanceIdentifier, DBInstanceClass "
           "db.t4g.micro, Engine postgres, EngineVersion 15, DBInstanceStatus available, MasterUsername, DBName "
           "postgres, Endpoint {Address 127.0.0.1, Port 5432 (int)}, AllocatedStorage 20 (int), InstanceCreateTime "
           "(aware datetime), DBInstanceArn, MultiAZ false, StorageEncrypted true, PendingModifiedValues {}"):
        i = describe("orders")
        check(set(i) == expected_keys | {"MasterUserSecret"}, f"keys {sorted(i)}")
        check(i["DBInstanceIdentifier"] == "orders" and i["DBInstanceClass"] == "db.t4g.micro"
              and i["Engine"] == "postgres" and i["EngineVersion"] == "15" and i["DBInstanceStatus"] == "available",
              str(i)[:300])
        check(i["MasterUsername"] == master and i["DBName"] == "postgres", "master/dbname")
        check(i["Endpoint"] == {"Address": "127.0.0.1", "Port": 5432}, f"endpoint {i['Endpoint']}")
        check(i["AllocatedStorage"] == 20 and isinstance(i["AllocatedStorage"], int), "storage")
        check(isinstance(i["InstanceCreateTime"], datetime.datetime) and i["InstanceCreateTime"].tzinfo is not None,
              "InstanceCreateTime")
        age = (datetime.datetime.now(datetime.timezone.utc) - i["InstanceCreateTime"]).total_seconds()
        check(-5 < age < 60, f"InstanceCreateTime {age}s ago")
        check(i["DBInstanceArn"] == db_arn and i["MultiAZ"] is False and i["StorageEncrypted"] is True, "arn/flags")
        check(i["PendingModifiedValues"] == {}, "PendingModifiedValues")

    with F("MasterUserSecret (managed): SecretArn = the moto secret's ARN, SecretStatus active, KmsKeyId = moto's "
           "KmsKeyId for it"):
        check(describe("orders")["MasterUserSecret"] == {"SecretArn": arn, "SecretStatus": "active", "KmsKeyId": kms},
              f"{describe('orders')['MasterUserSecret']}")

    with F("DBInstanceIdentifier is case-insensitive and may be the instance's ARN (service-2.json)"):
        check(describe("ORDERS")["DBInstanceIdentifier"] == "orders", "upper-case id")
        check(describe(db_arn)["DBInstanceIdentifier"] == "orders", "by ARN")

    with F("an instance created with manage_master_user_password false has no MasterUserSecret (botocore omits the "
           "key); the control view says managed false, secret fields null; no secret was made in moto"):
        count = len(sm.list_secrets()["SecretList"])
        legacy = fake.control("POST", "/_fake/db-instances", {"id": "legacy", "master_username": "legacy_admin",
                                                              "manage_master_user_password": False})
        check(legacy["managed"] is False and legacy["secret_arn"] is None and legacy["secret_name"] is None
              and legacy["secret_status"] is None, f"{legacy}")
        i = describe("legacy")
        check(set(i) == expected_keys and "MasterUserSecret" not in i, f"keys {sorted(i)}")
        check(len(sm.list_secrets()["SecretList"]) == count == 1, "no new secret")

    with F("DescribeDBInstances without an id lists all instances in creation order, no Marker"):
        page = rds.describe_db_instances()
        check([i["DBInstanceIdentifier"] for i in page["DBInstances"]] == ["orders", "legacy"] and "Marker" not in page,
              f"{page.get('Marker')}")

    with F("unknown instance -> DBInstanceNotFound, HTTP 404, Error.Type Sender, 'DBInstance nope not found.', "
           "modelled DBInstanceNotFoundFault (DescribeDBInstances and ModifyDBInstance)"):
        err = expect_error("describe unknown", "DBInstanceNotFound", rds.describe_db_instances,
                           DBInstanceIdentifier="nope")
        check(status_of(err) == 404 and err.response["Error"]["Type"] == "Sender", "404 Sender")
        check(message_of(err) == "DBInstance nope not found.", message_of(err))
        check(err.response["ResponseMetadata"].get("RequestId"), "RequestId parsed")
        check(isinstance(err, rds.exceptions.DBInstanceNotFoundFault), "modelled class")
        err = expect_error("modify unknown", "DBInstanceNotFound", rds.modify_db_instance, DBInstanceIdentifier="nope",
                           RotateMasterUserPassword=True, ApplyImmediately=True)
        check(status_of(err) == 404 and isinstance(err, rds.exceptions.DBInstanceNotFoundFault), "modify 404")

    with F("ModifyDBInstance without DBInstanceIdentifier (botocore's parameter validation off) -> 400 "
           "MissingParameter"):
        err = expect_error("no id", "MissingParameter", rds_unvalidated.modify_db_instance,
                           RotateMasterUserPassword=True, ApplyImmediately=True)
        check(status_of(err) == 400, "400")

    with F("malformed booleans (RotateMasterUserPassword=yes, ApplyImmediately=maybe; hand-signed, botocore would "
           "not send them) -> 400 InvalidParameterValue"):
        for member in ("RotateMasterUserPassword", "ApplyImmediately"):
            form = {"Action": "ModifyDBInstance", "Version": "2014-10-31", "DBInstanceIdentifier": "orders",
                    "RotateMasterUserPassword": "true", "ApplyImmediately": "true"}
            form[member] = "yes" if member == "RotateMasterUserPassword" else "maybe"
            status, code, _, _ = raw_signed(form)
            check((status, code) == (400, "InvalidParameterValue"), f"{member}: {status} {code}")

    with F("any other ModifyDBInstance member (AllocatedStorage, MasterUserPassword, ManageMasterUserPassword, "
           "VpcSecurityGroupIds list) -> 400 InvalidParameterCombination '[fake] <member> is not modelled by this "
           "fake'"):
        for extra in ({"AllocatedStorage": 30}, {"MasterUserPassword": "Not-Used-0123456789"},
                      {"ManageMasterUserPassword": True}, {"VpcSecurityGroupIds": ["sg-1234"]}):
            err = expect_error(f"member {extra}", "InvalidParameterCombination", rds.modify_db_instance,
                               DBInstanceIdentifier="orders", RotateMasterUserPassword=True, ApplyImmediately=True,
                               **extra)
            member = list(extra)[0]
            check(status_of(err) == 400 and message_of(err) == f"[fake] {member} is not modelled by this fake",
                  message_of(err))

    with F("RotateMasterUserPassword false or absent -> 400 InvalidParameterCombination 'No modifications were "
           "requested.'"):
        for kwargs in ({"RotateMasterUserPassword": False}, {}):
            err = expect_error(f"rotate {kwargs}", "InvalidParameterCombination", rds.modify_db_instance,
                               DBInstanceIdentifier="orders", ApplyImmediately=True, **kwargs)
            check(status_of(err) == 400 and message_of(err) == "No modifications were requested.", message_of(err))

    with F("RotateMasterUserPassword on an instance that does not manage its master password -> 400 "
           "InvalidParameterCombination"):
        err = expect_error("unmanaged", "InvalidParameterCombination", rds.modify_db_instance,
                           DBInstanceIdentifier="legacy", RotateMasterUserPassword=True, ApplyImmediately=True)
        check(status_of(err) == 400 and "managed" in message_of(err), message_of(err))

    with F("ApplyImmediately false or absent -> 400 InvalidParameterCombination 'You must specify apply immediately "
           "when rotating the master user password.'"):
        for kwargs in ({"ApplyImmediately": False}, {}):
            err = expect_error(f"apply {kwargs}", "InvalidParameterCombination", rds.modify_db_instance,
                               DBInstanceIdentifier="orders", RotateMasterUserPassword=True, **kwargs)
            check(message_of(err) == "You must specify apply immediately when rotating the master user password.",
                  message_of(err))

    with F("none of those refusals started a rotation: no rotation records, the secret still has its one version, "
           "SecretStatus active"):
        check(rotations("orders") == [] and rotations("legacy") == [], "records")
        check(list(stages(arn)) == [initial_version], "versions")
        check(describe("orders")["MasterUserSecret"]["SecretStatus"] == "active", "status")

    with F("ModifyDBInstance(RotateMasterUserPassword, ApplyImmediately) accepted: the returned DBInstance has "
           "MasterUserSecret.SecretStatus rotating (same SecretArn), DBInstanceStatus available, "
           "PendingModifiedValues {}; the control view shows one running rotation"):
        accepted_at = time.monotonic()
        i = rotate("orders")
        check(i["MasterUserSecret"]["SecretStatus"] == "rotating" and i["MasterUserSecret"]["SecretArn"] == arn,
              f"{i['MasterUserSecret']}")
        check(i["DBInstanceStatus"] == "available" and i["PendingModifiedValues"] == {}
              and i["DBInstanceIdentifier"] == "orders", str(i)[:300])
        recs = rotations("orders")
        check(len(recs) == 1 and recs[0]["result"] == "running", f"{recs}")
        token = recs[0]["token"]

    with F("a second rotation while the secret is rotating -> 400 InvalidDBInstanceState (modelled "
           "InvalidDBInstanceStateFault)"):
        err = expect_error("rotate twice", "InvalidDBInstanceState", rotate, "orders")
        check(status_of(err) == 400 and isinstance(err, rds.exceptions.InvalidDBInstanceStateFault), "class")
        check(len(rotations("orders")) == 1, "still one rotation")

    with F("mid-rotation (createSecret done) moto has AWSPENDING on the new version (the rotation's token) while "
           "AWSCURRENT is still the old version; DescribeDBInstances still says rotating"):
        wait_for("AWSPENDING to appear", lambda: version_with(arn, "AWSPENDING"), 5)
        check(version_with(arn, "AWSPENDING") == token, "pending is the token")
        check(version_with(arn, "AWSCURRENT") == initial_version, "current unchanged while pending")
        pending = value(arn, VersionStage="AWSPENDING")
        check(pending["username"] == master and is_password(pending["password"]), "pending value shape")
        check(describe("orders")["MasterUserSecret"]["SecretStatus"] == "rotating", "rotating")

    with F(f"polling DescribeDBInstances: SecretStatus rotating -> active after about rotate_seconds "
           f"({ROTATE_SECONDS}s), DBInstanceStatus available throughout"):
        status = wait_secret_status("orders")
        elapsed = time.monotonic() - accepted_at
        check(status == "active", f"status {status}")
        check(elapsed > ROTATE_SECONDS * 0.6, f"active after only {elapsed:.2f}s")
        check(describe("orders")["DBInstanceStatus"] == "available", "instance status")

    with F("after the rotation AWSCURRENT is a new version (the rotation's token) whose JSON has the master username "
           "and a new 32-character password (GetSecretValue by VersionStage AWSCURRENT and by VersionId agree)"):
        check(version_with(arn, "AWSCURRENT") == token and token != initial_version, "current is the token")
        first = value(arn, VersionStage="AWSCURRENT")
        check(first == value(arn, VersionId=token), "by stage == by id")
        check(set(first) == {"username", "password"} and first["username"] == master, "keys")
        check(is_password(first["password"]) and first["password"] != initial["password"], "a new password")
        check(first == pending, "AWSCURRENT holds what was staged as AWSPENDING")

    with F("AWSPREVIOUS is the old version with the old value; no version has AWSPENDING left; the rotation record "
           "lists the four steps and succeeded"):
        check(version_with(arn, "AWSPREVIOUS") == initial_version, "previous")
        check(value(arn, VersionStage="AWSPREVIOUS") == initial, "previous value")
        versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
        check(not any("AWSPENDING" in v.get("VersionStages", []) for v in versions), "no AWSPENDING")
        rec = rotations("orders")[0]
        check(rec["token"] == token and rec["steps"] == STEPS and rec["result"] == "succeeded", f"{rec}")
        check(datetime.datetime.strptime(rec["at"], "%Y-%m-%dT%H:%M:%S.%fZ"), "at is ISO")

    with F("a second rotation after the first: accepted again, AWSCURRENT moves to a third version, AWSPREVIOUS to "
           "the first rotation's version, the initial version keeps no stage"):
        rotate("orders")
        check(wait_secret_status("orders") == "active", "active")
        second_token = rotations("orders")[1]["token"]
        check(version_with(arn, "AWSCURRENT") == second_token and version_with(arn, "AWSPREVIOUS") == token, "stages")
        check(stages(arn).get(initial_version) == [], f"initial {stages(arn).get(initial_version)}")
        second = value(arn, VersionStage="AWSCURRENT")
        check(is_password(second["password"]) and second["password"] not in (first["password"], initial["password"]),
              "third password")

    with F("fail_step setSecret: the rotation is accepted (rotating), then stops: SecretStatus impaired, AWSPENDING "
           "stays on its version, AWSCURRENT untouched; the record says 'failed: setSecret' after createSecret"):
        check(fake.control("POST", "/_fake/config", {"fail_step": "setSecret"}) ==
              {"rotate_seconds": ROTATE_SECONDS, "fail_step": "setSecret"}, "config")
        check(rotate("orders")["MasterUserSecret"]["SecretStatus"] == "rotating", "accepted")
        check(wait_secret_status("orders") == "impaired", "impaired")
        rec = rotations("orders")[-1]
        check(rec["steps"] == ["createSecret"] and rec["result"] == "failed: setSecret", f"{rec}")
        failed_token = rec["token"]
        check(version_with(arn, "AWSPENDING") == failed_token, "pending stays")
        check(version_with(arn, "AWSCURRENT") == second_token and value(arn, VersionStage="AWSCURRENT") == second,
              "current untouched")
        stuck = value(arn, VersionStage="AWSPENDING")
        check(describe("orders")["MasterUserSecret"]["SecretStatus"] == "impaired", "describe impaired")

    with F("a retry on the impaired secret is accepted and succeeds: active, AWSCURRENT the retry's version, "
           "AWSPREVIOUS the last good one, no AWSPENDING anywhere (the failed version keeps no stage)"):
        fake.control("POST", "/_fake/config", {"fail_step": None})
        check(rotate("orders")["MasterUserSecret"]["SecretStatus"] == "rotating", "accepted")
        check(wait_secret_status("orders") == "active", "active")
        retry = rotations("orders")[-1]
        check(retry["result"] == "succeeded" and retry["steps"] == STEPS, f"{retry}")
        check(version_with(arn, "AWSCURRENT") == retry["token"] and version_with(arn, "AWSPREVIOUS") == second_token,
              "stages")
        check(version_with(arn, "AWSPENDING") is None and stages(arn).get(failed_token) == [], "no pending")
        third = value(arn, VersionStage="AWSCURRENT")
        check(third["password"] != stuck["password"], "the retry made its own password")

    with F("fail_step createSecret: impaired and moto got no new version; fail_step finishSecret: impaired after "
           "three steps with AWSPENDING left and AWSCURRENT untouched"):
        fake.control("POST", "/_fake/config", {"fail_step": "createSecret"})
        before = set(stages(arn))
        rotate("orders")
        check(wait_secret_status("orders") == "impaired", "impaired")
        check(set(stages(arn)) == before and version_with(arn, "AWSPENDING") is None, "no new version")
        check(rotations("orders")[-1]["steps"] == [] and rotations("orders")[-1]["result"] == "failed: createSecret",
              "record")
        fake.control("POST", "/_fake/config", {"fail_step": "finishSecret"})
        rotate("orders")
        check(wait_secret_status("orders") == "impaired", "impaired")
        rec = rotations("orders")[-1]
        check(rec["steps"] == STEPS[:3] and rec["result"] == "failed: finishSecret", f"{rec}")
        check(version_with(arn, "AWSPENDING") == rec["token"] and version_with(arn, "AWSCURRENT") == retry["token"],
              "pending left, current untouched")
        fake.control("POST", "/_fake/config", {"fail_step": None})
        rotate("orders")
        check(wait_secret_status("orders") == "active", "recovered")

    with F("no signature (botocore UNSIGNED, and a raw POST without Authorization) -> 403 "
           "MissingAuthenticationToken; nothing rotates"):
        count = len(rotations("orders"))
        err = expect_error("unsigned", "MissingAuthenticationToken",
                           client("unused", "unused", signature_version=botocore.UNSIGNED).modify_db_instance,
                           DBInstanceIdentifier="orders", RotateMasterUserPassword=True, ApplyImmediately=True)
        check(status_of(err) == 403, "403")
        status, code, _, _ = fake.raw("POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                                      {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        check((status, code) == (403, "MissingAuthenticationToken"), f"raw unsigned {status} {code}")
        check(len(rotations("orders")) == count, "no rotation")

    with F("an unknown access key -> 403 InvalidClientTokenId; the right key with a wrong secret -> 403 "
           "SignatureDoesNotMatch"):
        err = expect_error("unknown key", "InvalidClientTokenId", client("AKIAUNKNOWNUNKNOWN00", secret).describe_db_instances)
        check(status_of(err) == 403, "403")
        err = expect_error("wrong secret", "SignatureDoesNotMatch", client(akid, "x" * 40).describe_db_instances)
        check(status_of(err) == 403, "403")

    with F("the body is covered by the signature: a POST signed by botocore's SigV4Auth is accepted raw, the same "
           "headers with a tampered body -> 403 SignatureDoesNotMatch; a signature scoped to another service "
           "(elasticache) -> 403 SignatureDoesNotMatch; another region (eu-west-1) is accepted"):
        form = {"Action": "DescribeDBInstances", "Version": "2014-10-31", "DBInstanceIdentifier": "orders"}
        suffix, data, headers = signed(form)
        check(f"Credential={akid}/" in headers["Authorization"] and f"/{REGION}/rds/aws4_request"
              in headers["Authorization"], "credential scope")
        status, code, text, _ = fake.raw("POST", suffix, data, headers)
        check(status == 200 and "<DescribeDBInstancesResult>" in text, f"raw signed {status} {code}")
        status, code, _, _ = fake.raw("POST", suffix, data.replace(b"orders", b"legacy"), headers)
        check((status, code) == (403, "SignatureDoesNotMatch"), f"tampered {status} {code}")
        status, code, _, _ = raw_signed(form, service="elasticache")
        check((status, code) == (403, "SignatureDoesNotMatch"), f"other service {status} {code}")
        check(client(region="eu-west-1").describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"],
              "eu-west-1")

    with F("GET /?Action=DescribeDBInstances&... (the parameters in a signed query string, no body) is accepted; "
           "a tampered query string -> 403 SignatureDoesNotMatch"):
        form = {"Action": "DescribeDBInstances", "Version": "2014-10-31", "DBInstanceIdentifier": "orders"}
        suffix, data, headers = signed(form, method="GET")
        status, code, text, _ = fake.raw("GET", suffix, None, headers)
        root = ET.fromstring(text)
        check(status == 200 and root.find(f"{{{NS}}}DescribeDBInstancesResult/{{{NS}}}DBInstances/{{{NS}}}DBInstance/"
                                          f"{{{NS}}}DBInstanceIdentifier").text == "orders", f"GET {status} {code}")
        status, code, _, _ = fake.raw("GET", suffix.replace("orders", "legacy"), None, headers)
        check((status, code) == (403, "SignatureDoesNotMatch"), f"tampered query {status} {code}")

    with F("signed but malformed calls: no Action -> 400 MissingAction; Action=CreateDBInstance -> 400 "
           "InvalidAction; Version 2013-01-10 -> 400 InvalidParameterValue"):
        for form, want in (({"Version": "2014-10-31"}, "MissingAction"),
                           ({"Action": "CreateDBInstance", "Version": "2014-10-31"}, "InvalidAction"),
                           ({"Action": "DescribeDBInstances", "Version": "2013-01-10"}, "InvalidParameterValue")):
            status, code, _, _ = raw_signed(form)
            check((status, code) == (400, want), f"{form}: {status} {code}")

    with F("every answer carries x-amzn-RequestId = the XML RequestId botocore parses (success and ErrorResponse), "
           "Content-Type text/xml, the rds 2014-10-31 namespace"):
        resp = rds.describe_db_instances(DBInstanceIdentifier="orders")
        rid = resp["ResponseMetadata"]["RequestId"]
        check(rid and resp["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid") == rid, "success request id")
        err = expect_error("unknown", "DBInstanceNotFound", rds.describe_db_instances, DBInstanceIdentifier="nope")
        check(err.response["ResponseMetadata"]["RequestId"] ==
              err.response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid"), "error request id")
        for form in ({"Action": "DescribeDBInstances", "Version": "2014-10-31"},
                     {"Action": "DescribeDBInstances", "Version": "2014-10-31", "DBInstanceIdentifier": "nope"}):
            status, _, text, headers = raw_signed(form)
            root = ET.fromstring(text)
            check(root.tag in (f"{{{NS}}}DescribeDBInstancesResponse", f"{{{NS}}}ErrorResponse"), root.tag)
            check(headers.get("Content-Type") == "text/xml" and headers.get("x-amzn-RequestId"), f"{status} headers")
            check(headers["x-amzn-RequestId"] in text, "header matches body")

    with F("the raw XML as a strict parser sees it: DescribeDBInstancesResult/DBInstances/DBInstance (one per "
           "instance), booleans 'true'/'false' in lower case, Port and AllocatedStorage plain integers, "
           "InstanceCreateTime ISO 8601 UTC with a Z, MasterUserSecret only on the managed instance, an empty "
           "PendingModifiedValues element"):
        status, _, text, _ = raw_signed({"Action": "DescribeDBInstances", "Version": "2014-10-31"})
        root = ET.fromstring(text)
        q = lambda *names: "/".join(f"{{{NS}}}{n}" for n in names)  # noqa: E731
        nodes = root.findall(q("DescribeDBInstancesResult", "DBInstances", "DBInstance"))
        check(status == 200 and [n.find(q("DBInstanceIdentifier")).text for n in nodes] == ["orders", "legacy"],
              f"{status} {len(nodes)}")
        orders, legacy_node = nodes
        check(orders.find(q("MultiAZ")).text == "false" and orders.find(q("StorageEncrypted")).text == "true",
              "booleans")
        check(orders.find(q("Endpoint", "Port")).text == "5432" and orders.find(q("AllocatedStorage")).text == "20",
              "integers")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", orders.find(q("InstanceCreateTime")).text),
              orders.find(q("InstanceCreateTime")).text)
        check(orders.find(q("MasterUserSecret", "SecretStatus")).text == "active"
              and legacy_node.find(q("MasterUserSecret")) is None, "MasterUserSecret")
        pmv = orders.find(q("PendingModifiedValues"))
        check(pmv is not None and len(pmv) == 0 and not (pmv.text or "").strip(), "PendingModifiedValues")
        check(root.find(q("ResponseMetadata", "RequestId")).text, "RequestId")

    with F("DescribeDBInstances with Filters -> 400 InvalidParameterCombination '[fake] Filters is not modelled by "
           "this fake'"):
        err = expect_error("filters", "InvalidParameterCombination", rds.describe_db_instances,
                           Filters=[{"Name": "engine", "Values": ["postgres"]}])
        check(status_of(err) == 400 and message_of(err) == "[fake] Filters is not modelled by this fake",
              message_of(err))

    with F("paging: 25 more instances; MaxRecords=20 gives 20 and a Marker, the Marker gives the rest and no Marker, "
           "botocore's paginator yields all in creation order; MaxRecords 5 or 101, or a bad Marker -> 400 "
           "InvalidParameterValue"):
        for n in range(25):
            fake.control("POST", "/_fake/db-instances", {"id": f"page-{n:02d}", "master_username": "app",
                                                         "manage_master_user_password": False})
        expected = ["orders", "legacy"] + [f"page-{n:02d}" for n in range(25)]
        check_paging(rds, "describe_db_instances", "DBInstances", "DBInstanceIdentifier", expected)

    with F("fail injection: 500 InternalFailure surfaces as ClientError (HTTP 500, Type Receiver) without retries; "
           "two 400 Throttling are retried by botocore and the third call succeeds"):
        check_fail_injection(fake, "DescribeDBInstances", rds.describe_db_instances,
                             lambda: rds_retrying.describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"])

    with F("control API refusals: an existing id -> 409; a bad id, master_username or flag -> 400; an unknown "
           "instance -> 404; a bad fail_step or rotate_seconds -> 400; an unknown endpoint -> 404"):
        fake.control("POST", "/_fake/db-instances", {"id": "ORDERS", "master_username": master}, expect=409)
        for body in ({"id": "1abc", "master_username": master}, {"id": "a--b", "master_username": master},
                     {"id": "abc-", "master_username": master}, {"id": "ok", "master_username": "1bad"},
                     {"id": "ok", "master_username": "x" * 17},
                     {"id": "ok", "master_username": master, "manage_master_user_password": "yes"}):
            fake.control("POST", "/_fake/db-instances", body, expect=400)
        fake.control("GET", "/_fake/db-instances/nope", expect=404)
        fake.control("POST", "/_fake/config", {"fail_step": "rotateSecret"}, expect=400)
        fake.control("POST", "/_fake/config", {"rotate_seconds": -1}, expect=400)
        fake.control("GET", "/_fake/nothing", expect=404)

    with F("request log: auth sigv4 / bad / none recorded with action, status and code; control calls are not "
           "logged there"):
        fake.control("DELETE", "/_fake/requests")
        rds.describe_db_instances(DBInstanceIdentifier="orders")
        expect_error("bad", "SignatureDoesNotMatch", client(akid, "y" * 40).describe_db_instances)
        fake.raw("POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                 {"Content-Type": "application/x-www-form-urlencoded"})
        fake.control("GET", "/_fake/db-instances/orders")
        entries = fake.control("GET", "/_fake/requests")
        check([e["auth"] for e in entries] == ["sigv4", "bad", "none"], f"log {entries}")
        check(entries[0] == {"action": "DescribeDBInstances", "status": 200, "auth": "sigv4", "code": None}, "entry")
        check(entries[1]["code"] == "SignatureDoesNotMatch" and entries[2]["code"] == "MissingAuthenticationToken",
              "codes")

    with F("no password of any secret version (read from moto through botocore), nor the secret access key, is in "
           "the fake's stderr or /_fake/requests; stderr has 'POST / 200 ModifyDBInstance' lines and one line per "
           "rotation step, never a query string"):
        passwords = set()
        for listed in sm.list_secrets()["SecretList"]:
            for v in sm.list_secret_version_ids(SecretId=listed["ARN"])["Versions"]:
                passwords.add(value(listed["ARN"], VersionId=v["VersionId"])["password"])
        check(len(passwords) >= 7, f"only {len(passwords)} passwords found in moto")
        text = json.dumps(fake.control("GET", "/_fake/requests")) + "".join(fake.stderr_lines)
        leaked = [p for p in passwords | {secret} if p in text]
        check(not leaked, f"{len(leaked)} secret(s) leaked into the fake's logs")
        lines = [l.rstrip("\n") for l in fake.stderr_lines]
        check(any(l == "POST / 200 ModifyDBInstance" for l in lines), "request line")
        check(any(l == f"rotation orders {token}: createSecret done" for l in lines)
              and any(l == f"rotation orders {token}: setSecret skipped (state-only)" for l in lines)
              and any(l.startswith("rotation orders ") and l.endswith("setSecret failed: configured by /_fake/config "
                                                                       "fail_step") for l in lines), "step lines")
        check(not any("?" in l or "Action=" in l for l in lines), "no query strings")

    with F("the fake exits (status 0) when its stdin reaches EOF"):
        fake.proc.stdin.close()
        try:
            code = fake.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError("timed out after 5s waiting for the fake to exit on stdin EOF")
        check(code == 0, f"exit status {code}")

    def refused_start(extra):
        proc = subprocess.run([sys.executable, FAKE, f"--access-key-id={akid}", f"--secret-access-key={secret}",
                               "--region", REGION] + extra, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30)
        return proc.returncode, proc.stdout, proc.stderr

    with F("with --pg-port and no PostgreSQL listening there, the fake exits 2 with a reason on stderr and prints "
           "no LISTENING line (the admin password never shown)"):
        admin_password = "pw-" + secrets.token_hex(8)
        code, out, err = refused_start(["--secrets-endpoint", moto.url, "--pg-port", str(free_port()),
                                        f"--pg-admin-password={admin_password}"])
        check(code == 2 and "LISTENING" not in out and "PostgreSQL check" in err, f"exit {code}, stderr {err[-300:]}")
        check(admin_password not in err and admin_password not in out, "admin password shown")

    with F("pointed at a Secrets Manager that does not answer, the fake exits 2 with a reason and no LISTENING line"):
        code, out, err = refused_start(["--secrets-endpoint", f"http://127.0.0.1:{free_port()}"])
        check(code == 2 and "LISTENING" not in out and "Secrets Manager" in err, f"exit {code}, stderr {err[-300:]}")


def prove(facts, started):
    akid = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = secrets.token_urlsafe(30)[:40]
    moto = Moto()
    started.append(("moto.server log", moto))
    # --opt=value: a random secret may start with "-", which argparse would take for an option.
    fake = Fake("rds_fake.py", ["--secrets-endpoint", moto.url, "--region", REGION, f"--access-key-id={akid}",
                                f"--secret-access-key={secret}", "--rotate-seconds", str(ROTATE_SECONDS)])
    started.append(("fake stderr", fake))
    run(facts, moto, fake, akid, secret)


if __name__ == "__main__":
    main("prove_rds", OVERALL_DEADLINE, prove)
