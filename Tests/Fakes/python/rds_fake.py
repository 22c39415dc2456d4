#!/usr/bin/env python3
"""In-repo fake of the Amazon RDS Query API surface Aegis Rotate uses for RDS's *managed master
user password* rotation: ModifyDBInstance with RotateMasterUserPassword=true, and
DescribeDBInstances to follow it. Unlike moto's RDS (whose RotateMasterUserPassword leaves the new
AWSCURRENT version without a value, whose master secret value is hard-coded and whose SecretStatus
turns ``active`` on the next describe), the master secret lives in a REAL moto Secrets Manager
(this fake calls it with botocore) and the rotation changes the password of a REAL PostgreSQL role
(with ``psql``), so what logs in afterwards is real. Python 3 stdlib + botocore.

Run:  python3 rds_fake.py --secrets-endpoint http://127.0.0.1:<moto port> --region us-east-1
                          --access-key-id K --secret-access-key S
                          [--pg-port P --pg-admin-user U --pg-admin-password X
                           --psql /usr/lib/postgresql/15/bin/psql] [--rotate-seconds 1.0]
                          [--ignore-stdin]
  --secrets-endpoint        a moto server (``python3 -m moto.server``) the TEST started; the fake
                            keeps every master secret there and reads/writes it with botocore's
                            ``secretsmanager`` client (region --region, credentials K/S).
  --access-key-id / --secret-access-key
                            used for those Secrets Manager calls AND registered as the one
                            credential accepted for RDS API calls (SigV4 for service ``rds``,
                            any region).
  --region                  the region of the secrets and of every DBInstanceArn (default
                            us-east-1).
  --pg-port / --pg-admin-user (default postgres) / --pg-admin-password / --psql (default psql)
                            a PostgreSQL on 127.0.0.1 the TEST started, and a superuser the fake
                            logs in as (``psql -X -h 127.0.0.1 -p P -U U -d postgres``, password
                            in PGPASSWORD, SQL on stdin so it is never in ``ps``). The password may
                            come from env RDS_FAKE_PG_ADMIN_PASSWORD instead. Checked at start-up
                            (``SELECT 1`` as the admin): psql missing, PostgreSQL not answering or
                            the login refused makes the fake exit 2 with a reason on stderr and no
                            LISTENING line. Secrets Manager is checked the same way (ListSecrets).
  Without --pg-port no PostgreSQL is driven: state-only (secrets real in moto, no role changed).
  --rotate-seconds S        how long a rotation takes (default 1.0); each of its four steps runs
                            S/4 after the previous one.
  Binds 127.0.0.1 on port 0 and prints exactly one line, ``LISTENING <port>`` (flushed).
  Serves until SIGTERM/SIGINT, or until its standard input reaches EOF (keep stdin a pipe; a killed
  parent closes it and the fake exits). ``--ignore-stdin`` disables the EOF watch.
  stderr gets one line per request: ``<METHOD> <path> <status>`` plus `` <Action>`` for API calls
  (``POST / 200 ModifyDBInstance``), and one line per rotation step (``rotation <id> <token>:
  <step> done|skipped (state-only)|failed: <reason>``). No query strings, headers, bodies,
  passwords or secret keys are ever written.
  endpoint_url for an SDK/adapter: ``http://127.0.0.1:<port>`` (any region; service rds).

Verified against (see the report that came with this file):
  * botocore 1.43.11 botocore/data/rds/2014-10-31/service-2.json (protocol "query", apiVersion
    2014-10-31, xmlNamespace http://rds.amazonaws.com/doc/2014-10-31/, signingName rds; the
    shapes DBInstance, DBInstanceList (member locationName DBInstance), Endpoint,
    MasterUserSecret, PendingModifiedValues, the member docs quoted below and the error traits:
    DBInstanceNotFoundFault = code DBInstanceNotFound, 404; InvalidDBInstanceStateFault = code
    InvalidDBInstanceState, 400) and paginators-1.json (DescribeDBInstances: Marker / MaxRecords /
    DBInstances); botocore/auth.py SigV4Auth; botocore's query parser.
  * AWS RDS user guide "Password management with Amazon RDS and AWS Secrets Manager" (RDS creates
    and owns the secret, rotates it, ``--rotate-master-user-password`` with
    ``--apply-immediately``) and the API reference page MasterUserSecret (SecretStatus values).
  * moto 5.2.1 moto/rds/models.py MasterUserSecret (secret name ``rds!db-<uuid4>``, Description
    "The secret associated with the primary RDS DB instance: <arn>", tag
    aws:rds:primaryDBInstanceArn, and create_managed_secret's tag aws:secretsmanager:owningService
    = rds) and moto/rds/exceptions.py (wording "DBInstance <id> not found."; "You must specify
    apply immediately when rotating the master user password."; AWS's own wording of the latter
    is unverified).
  * the AWS Secrets Manager single-user rotation template (aws-samples/aws-secrets-manager-
    rotation-lambdas, SecretsManagerRDSPostgreSQLRotationSingleUser): the four steps below.
  * the AWS "Common Errors" page of the Query-protocol API references (MissingAction,
    InvalidAction, MissingParameter, InvalidParameterValue, InvalidParameterCombination: 400).
  Items marked [fake] are this fake's own choice where no source was found.

Wire protocol (AWS Query)
-------------------------
  POST / with ``Content-Type: application/x-www-form-urlencoded; charset=utf-8`` and a body
  ``Action=<Op>&Version=2014-10-31&<Param>=<value>...`` (botocore's form). GET /?Action=... with
  the same parameters in the query string is accepted too. Lists use ``Name.<member>.N``.
  Booleans are ``true``/``false``.
  A missing Action -> 400 MissingAction; an Action other than the two below -> 400 InvalidAction
  "The action <X> is not valid for this web service."; Version not 2014-10-31 -> 400
  InvalidParameterValue [fake wording].
  Success: 200 ``text/xml``:
    <OpResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
      <OpResult>...</OpResult>
      <ResponseMetadata><RequestId>uuid</RequestId></ResponseMetadata></OpResponse>
  Error: ``text/xml``, status from the error's ``httpStatusCode`` trait in service-2.json (400 for
  the common errors, which service-2.json does not model):
    <ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
      <Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message></Error>
      <RequestId>uuid</RequestId></ErrorResponse>
  (Type Receiver for 5xx, Sender otherwise.) Every response carries ``x-amzn-RequestId``.

Authentication: AWS Signature Version 4, verified by aws_sigv4.py (shared with
elasticache_fake.py; its docstring lists the rules) for service ``rds``, any region, the one
credential K/S:
    no Authorization header -> 403 MissingAuthenticationToken; malformed -> 400
    IncompleteSignature; unknown access key id -> 403 InvalidClientTokenId; another service in the
    scope, a wrong secret or a tampered body/header -> 403 SignatureDoesNotMatch; X-Amz-Date more
    than 15 min off -> 400 RequestExpired.
  The request log records auth "sigv4" (verified), "bad" (an Authorization header that failed) or
  "none" (no Authorization header).

DB instance model
  Engine postgres 15, db.t4g.micro, DBName postgres, 20 GiB, single-AZ, storage encrypted, status
  always ``available`` (see ModifyDBInstance). Ids are stored lowercased ("This value is stored as
  a lowercase string", service-2.json). The master user's password is managed by RDS in Secrets
  Manager unless the instance was created with manage_master_user_password false.
  Master secret (in moto), created with the instance [names and texts as moto's RDS makes them]:
    Name ``rds!db-<uuid4>``; SecretString ``{"username": <master>, "password": <32 letters and
    digits>}`` [fake: RDS's generated passwords may contain punctuation]; Description "The secret
    associated with the primary RDS DB instance: <DBInstanceArn>"; Tags aws:rds:primaryDBInstanceArn
    = <DBInstanceArn> and aws:secretsmanager:owningService = rds (moto accepts the ``aws:`` prefix
    and then reports OwningService rds); KmsKeyId ``arn:aws:kms:<region>:123456789012:key/<uuid4>``,
    one per fake process, standing for the account's aws/secretsmanager key [fake: no KMS key
    exists; moto stores the id as given]. No rotation schedule is set on the secret [fake].
    Not state-only: the master role's PostgreSQL password IS that value from the start (the role
    is created with LOGIN if it does not exist, then ``ALTER ROLE "<master>" WITH LOGIN PASSWORD
    '<verifier>'``).
  Passwords reach PostgreSQL as SCRAM-SHA-256 verifiers (``SCRAM-SHA-256$4096:<salt>$<StoredKey>:
  <ServerKey>``, a fresh 16-byte salt each time), never as plaintext, so a ``log_statement=all``
  server log never shows one [fake: how RDS sets the password internally is not documented].
  MasterUserSecret.SecretStatus: ``active`` once created [fake: RDS reports ``creating`` for a
  while; the fake creates the secret synchronously], ``rotating`` from an accepted rotation until
  it finished, then ``active`` again, or ``impaired`` if a step failed [fake: AWS documents
  ``impaired`` for a secret RDS can no longer manage ("The secret can be used to access database
  credentials, but it can't be rotated"), not for a failed rotation; here it marks one].

Rotation (RDS's service-owned rotation; the four steps of the single-user template, each
rotate_seconds/4 after the previous one, in a background thread):
  createSecret   PutSecretValue on moto: a fresh ClientRequestToken (uuid4) = the new VersionId,
                 SecretString {"username": <master>, "password": <new 32 letters/digits>},
                 VersionStages [AWSPENDING]
  setSecret      reads AWSPENDING back and runs ``ALTER ROLE "<master>" PASSWORD '<verifier of
                 new>'`` as the PG admin (nothing when state-only)
  testSecret     a fresh psql login as the master user with the new password, ``SELECT 1`` must
                 answer 1 (nothing when state-only)
  finishSecret   UpdateSecretVersionStage AWSCURRENT MoveToVersionId <new> RemoveFromVersionId
                 <old> (moto then puts AWSPREVIOUS on the old version, as Secrets Manager does),
                 then UpdateSecretVersionStage AWSPENDING RemoveFromVersionId <new>
  Then SecretStatus ``active``. If a step fails, or POST /_fake/config {"fail_step": <step>} names
  it (the step then does nothing and fails), the rotation stops there: whatever it had staged stays
  (AWSPENDING after createSecret; the new password is already in PostgreSQL after setSecret),
  AWSCURRENT is untouched, SecretStatus ``impaired``, the record's result "failed: <step>". A later
  ModifyDBInstance with RotateMasterUserPassword on an impaired secret is accepted (a retry; its
  createSecret moves AWSPENDING to its own new version).
  moto caveat (5.2.1): its UpdateSecretVersionStage moves the stage labels but not its internal
  default version, so after a rotation GetSecretValue WITHOUT VersionStage/VersionId still answers
  the pre-rotation value. Read with VersionStage AWSCURRENT (or the VersionId from DescribeSecret /
  ListSecretVersionIds), which are right; on AWS both forms agree.

ModifyDBInstance   (DBInstanceIdentifier, RotateMasterUserPassword, ApplyImmediately)
  Checks, in this order:
   1. DBInstanceIdentifier missing -> 400 MissingParameter "The request must contain the parameter
      DBInstanceIdentifier" [fake wording]; unknown -> 404 DBInstanceNotFound "DBInstance <id> not
      found." (it "Must match the identifier of an existing DB instance"; case-insensitive).
   2. RotateMasterUserPassword or ApplyImmediately not true|false -> 400 InvalidParameterValue
      [fake wording].
   3. Any other ModifyDBInstanceMessage member (the list is read from the installed botocore's
      service-2.json at start-up; AllocatedStorage, MasterUserPassword, ManageMasterUserPassword,
      VpcSecurityGroupIds.VpcSecurityGroupId.N, ...) -> 400 InvalidParameterCombination "[fake]
      <member> is not modelled by this fake". Parameters that are no member are ignored.
   4. RotateMasterUserPassword absent or false -> 400 InvalidParameterCombination "No
      modifications were requested." [fake: nothing else can be modified here].
   5. The instance does not manage its master password -> 400 InvalidParameterCombination [fake
      wording] (service-2.json: RotateMasterUserPassword "is valid only if the master user
      password is managed by RDS in Amazon Web Services Secrets Manager for the DB instance").
   6. ApplyImmediately absent or false -> 400 InvalidParameterCombination "You must specify apply
      immediately when rotating the master user password." (service-2.json: "You must apply the
      change immediately when rotating the master user password"; wording moto's).
   7. DBInstanceStatus not ``available`` (never the case in this fake), or the secret already
      ``rotating`` -> 400 InvalidDBInstanceState [fake wording; what AWS answers to a rotation
      requested during a rotation is not documented].
  Accepted: 200 with the DBInstance whose MasterUserSecret.SecretStatus is ``rotating``;
  DBInstanceStatus stays ``available`` and PendingModifiedValues stays empty [fake choice: a
  MasterUserPassword reset shows ``resetting-master-credentials``; what a managed rotation shows
  was not found, and the secret status is what follows the rotation]. The rotation above then runs.

DescribeDBInstances   (DBInstanceIdentifier?, MaxRecords?, Marker?; Filters refused)
  Filters -> 400 InvalidParameterCombination "[fake] Filters is not modelled by this fake".
  MaxRecords 20..100 (default 100; outside, or not an integer -> 400 InvalidParameterValue [fake
  wording]; constraints from service-2.json); Marker opaque (an unknown one -> 400
  InvalidParameterValue [fake]); <Marker> present only when more instances follow.
  With DBInstanceIdentifier (an id, case-insensitive, or the instance's ARN: "The user-supplied
  instance identifier or the Amazon Resource Name (ARN) of the DB instance", service-2.json): that
  instance, unknown -> 404 DBInstanceNotFound "DBInstance <id> not found.". Without: all
  instances in creation order, paged.

DBInstance XML (element names, order and nesting from service-2.json; the list member is
DBInstances/DBInstance):
  DBInstanceIdentifier, DBInstanceClass db.t4g.micro, Engine postgres, DBInstanceStatus,
  MasterUsername, DBName postgres, Endpoint {Address 127.0.0.1, Port <pg port or 5432>}
  [fake: no HostedZoneId], AllocatedStorage 20, InstanceCreateTime (ISO 8601 UTC, milliseconds),
  PendingModifiedValues (empty), MultiAZ false, EngineVersion 15, StorageEncrypted true,
  DBInstanceArn arn:aws:rds:<region>:123456789012:db:<id>, MasterUserSecret {SecretArn,
  SecretStatus, KmsKeyId} only when the password is managed. Nothing else.

Control endpoints (no auth, JSON in/out, 200 on success, 4xx/5xx {"error": str} otherwise; logged
on stderr like any request but never in /_fake/requests)
  POST   /_fake/db-instances {"id": str (1-63 letters, digits, hyphens, a letter first, no
         trailing or double hyphen), "master_username": str (1-16 letters, digits, underscores, a
         letter first; both rules from service-2.json CreateDBInstance; not the PG admin user),
         "manage_master_user_password"?: bool (default true)}
         -> {"id", "status", "master_username", "managed", "secret_arn", "secret_name",
         "secret_status"} (the secret fields null when not managed). Creates the secret and sets
         the role's password as above (a PostgreSQL or Secrets Manager failure -> 502, nothing
         created). An existing id -> 409.
  GET    /_fake/db-instances/{id} -> the same plus "rotations": [{"at" (ISO), "token" (the new
         VersionId), "steps": [the steps that completed, in order], "result": "running" |
         "succeeded" | "failed: <step>"}] (state-only: setSecret/testSecret are listed when they
         were reached, though they did nothing). Passwords never appear here: read them from moto.
  POST   /_fake/config {"rotate_seconds"?: number >= 0, "fail_step"?: "createSecret" | "setSecret"
         | "testSecret" | "finishSecret" | null} -> {"rotate_seconds", "fail_step"}. Applies to
         steps that start after the call.
  POST   /_fake/fail {"action": "<Op>"|"*" (default "*"), "status": int (default 500),
         "code": str (default InternalFailure), "message"?: str, "count"?: int (1)} -> {"ok": true}
         The next `count` matching API calls that passed authentication answer that error as the
         XML ErrorResponse above. botocore retries 5xx and Throttling by itself.
  GET    /_fake/requests -> [{"action", "status", "auth": "sigv4"|"none"|"bad", "code": str|null}]
  DELETE /_fake/requests -> {"ok": true}
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import subprocess
import sys
import threading
import time
import uuid

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aws_query import (AwsError, ControlError, QueryApi, el, iso, log, make_server, next_marker,
                       page_window, parse_bool, utcnow)
from fake_server import serve_until_stopped

API_VERSION = "2014-10-31"
NS = "http://rds.amazonaws.com/doc/2014-10-31/"
SERVICE = "rds"
ACCOUNT = "123456789012"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
MODELLED_MODIFY = {"DBInstanceIdentifier", "RotateMasterUserPassword", "ApplyImmediately"}
ID_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,62}")
USER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")
PASSWORD_ALPHABET = string.ascii_letters + string.digits


class PgError(Exception):
    pass


def new_password():
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(32))


# ---- PostgreSQL (psql) -----------------------------------------------------------------------

def scram_verifier(password, salt=None, iterations=4096):
    """PostgreSQL's SCRAM-SHA-256 password verifier (RFC 5802/7677), so no plaintext reaches it."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


class Postgres:
    def __init__(self, port, admin_user, admin_password, psql_binary):
        self.port, self.admin_user, self.admin_password, self.psql_binary = port, admin_user, admin_password, psql_binary

    def run(self, user, password, sql):
        """Runs ``sql`` (on stdin, never in argv) as ``user``; returns psql's unaligned output."""
        env = dict(os.environ, PGPASSWORD=password, PGSSLMODE="disable", PGCONNECT_TIMEOUT="5")
        for name in ("PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS"):
            env.pop(name, None)
        try:
            result = subprocess.run([self.psql_binary, "-X", "-h", "127.0.0.1", "-p", str(self.port), "-U", user,
                                     "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAq"],
                                    input=sql, env=env, capture_output=True, text=True, timeout=15)
        except FileNotFoundError:
            raise PgError(f"psql not found ({self.psql_binary})")
        except subprocess.TimeoutExpired:
            raise PgError(f"psql as {user} timed out")
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or [""])[0]
            if "SCRAM" in first or "'" in first:
                first = ""                                   # never echo a statement carrying a verifier
            raise PgError(f"psql as {user} exited {result.returncode}" + (f": {first[:200]}" if first else ""))
        return result.stdout.strip()

    def admin(self, sql):
        return self.run(self.admin_user, self.admin_password, sql)

    def set_password(self, role, password, create=False):
        verifier = scram_verifier(password)
        if create:
            sql = (f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN "
                   f'CREATE ROLE "{role}" LOGIN; END IF; END $$;\n')
            sql += f"ALTER ROLE \"{role}\" WITH LOGIN PASSWORD '{verifier}';\n"
        else:
            sql = f"ALTER ROLE \"{role}\" PASSWORD '{verifier}';\n"
        self.admin(sql)

    def login_works(self, role, password):
        return self.run(role, password, "SELECT 1;\n") == "1"


# ---- state -------------------------------------------------------------------------------------

class State:
    def __init__(self, args, sm, pg, modify_members):
        self.lock = threading.RLock()
        self.region = args.region
        self.creds = {args.access_key_id: args.secret_access_key}
        self.sm = sm                      # botocore secretsmanager client (moto); thread-safe
        self.pg = pg                      # Postgres or None (state-only)
        self.endpoint_port = args.pg_port or 5432
        self.kms_key_id = f"arn:aws:kms:{args.region}:{ACCOUNT}:key/{uuid.uuid4()}"
        self.modify_members = modify_members
        self.rotate_seconds = args.rotate_seconds
        self.fail_step = None
        self.instances = {}               # id -> instance (insertion = creation order)
        self.fail_rules = []
        self.requests = []


STATE = None


def instance_json(inst, rotations=False):
    out = {"id": inst["id"], "status": inst["status"], "master_username": inst["master_username"],
           "managed": inst["managed"], "secret_arn": inst["secret_arn"], "secret_name": inst["secret_name"],
           "secret_status": inst["secret_status"]}
    if rotations:
        out["rotations"] = [dict(r, steps=list(r["steps"])) for r in inst["rotations"]]
    return out


# ---- the rotation --------------------------------------------------------------------------------

def rotate(inst, token, record):
    """RDS's service-owned rotation of ``inst``'s master secret to version ``token``."""
    sm, pg, secret_arn, master = STATE.sm, STATE.pg, inst["secret_arn"], inst["master_username"]

    def pending_password():
        value = sm.get_secret_value(SecretId=secret_arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
        password = json.loads(value)["password"]
        if not re.fullmatch(r"[A-Za-z0-9]{32}", password):
            raise RuntimeError("the pending password is not 32 letters and digits")
        return password

    def create_secret():
        sm.put_secret_value(SecretId=secret_arn, ClientRequestToken=token,
                            SecretString=json.dumps({"username": master, "password": new_password()}),
                            VersionStages=["AWSPENDING"])

    def set_secret():
        pg.set_password(master, pending_password())

    def test_secret():
        if not pg.login_works(master, pending_password()):
            raise RuntimeError("SELECT 1 as the master user did not answer 1")

    def finish_secret():
        stages = sm.describe_secret(SecretId=secret_arn).get("VersionIdsToStages", {})
        current = [v for v, s in stages.items() if "AWSCURRENT" in s]
        if current and current[0] != token:
            sm.update_secret_version_stage(SecretId=secret_arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current[0])
        sm.update_secret_version_stage(SecretId=secret_arn, VersionStage="AWSPENDING", RemoveFromVersionId=token)

    bodies = {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret,
              "finishSecret": finish_secret}
    for step in STEPS:
        with STATE.lock:
            delay = STATE.rotate_seconds / 4
        time.sleep(delay)
        with STATE.lock:
            configured_failure = STATE.fail_step == step
        outcome = "done"
        try:
            if configured_failure:
                raise RuntimeError("configured by /_fake/config fail_step")
            if pg is None and step in ("setSecret", "testSecret"):
                outcome = "skipped (state-only)"
            else:
                bodies[step]()
        except Exception as err:  # noqa: BLE001 - any failure stops the rotation where it is
            if isinstance(err, ClientError):
                reason = f"Secrets Manager {err.response.get('Error', {}).get('Code')}"
            elif isinstance(err, (PgError, RuntimeError)):
                reason = str(err)
            else:
                reason = type(err).__name__
            log(f"rotation {inst['id']} {token}: {step} failed: {reason}")
            with STATE.lock:
                record["result"] = f"failed: {step}"
                inst["secret_status"] = "impaired"
            return
        with STATE.lock:
            record["steps"].append(step)
        log(f"rotation {inst['id']} {token}: {step} {outcome}")
    with STATE.lock:
        record["result"] = "succeeded"
        inst["secret_status"] = "active"


# ---- XML rendering -----------------------------------------------------------------------------

def instance_xml(inst):
    secret = ""
    if inst["managed"]:
        secret = (f"<MasterUserSecret>{el('SecretArn', inst['secret_arn'])}{el('SecretStatus', inst['secret_status'])}"
                  f"{el('KmsKeyId', STATE.kms_key_id)}</MasterUserSecret>")
    return "".join([
        "<DBInstance>",
        el("DBInstanceIdentifier", inst["id"]), el("DBInstanceClass", "db.t4g.micro"), el("Engine", "postgres"),
        el("DBInstanceStatus", inst["status"]), el("MasterUsername", inst["master_username"]),
        el("DBName", "postgres"),
        f"<Endpoint>{el('Address', '127.0.0.1')}{el('Port', STATE.endpoint_port)}</Endpoint>",
        el("AllocatedStorage", 20), el("InstanceCreateTime", iso(inst["created"])),
        "<PendingModifiedValues></PendingModifiedValues>",
        el("MultiAZ", False), el("EngineVersion", "15"), el("StorageEncrypted", True),
        el("DBInstanceArn", inst["arn"]), secret,
        "</DBInstance>",
    ])


# ---- actions -----------------------------------------------------------------------------------

def not_found(raw):
    return AwsError(404, "DBInstanceNotFound", f"DBInstance {raw} not found.")


def modify_db_instance(params, _region):
    raw = params.get("DBInstanceIdentifier")
    if raw is None or raw == "":
        raise AwsError(400, "MissingParameter", "The request must contain the parameter DBInstanceIdentifier")
    inst = STATE.instances.get(raw.lower())
    if inst is None:
        raise not_found(raw)
    rotate_now = parse_bool(params, "RotateMasterUserPassword")
    apply_now = parse_bool(params, "ApplyImmediately")
    other = sorted({k.split(".")[0] for k in params} & STATE.modify_members)
    if other:
        raise AwsError(400, "InvalidParameterCombination", f"[fake] {other[0]} is not modelled by this fake")
    if rotate_now is not True:
        raise AwsError(400, "InvalidParameterCombination", "No modifications were requested.")
    if not inst["managed"]:
        raise AwsError(400, "InvalidParameterCombination",
                       f"RotateMasterUserPassword is valid only if the master user password of DB instance "
                       f"{inst['id']} is managed by RDS in AWS Secrets Manager.")
    if apply_now is not True:
        raise AwsError(400, "InvalidParameterCombination",
                       "You must specify apply immediately when rotating the master user password.")
    if inst["status"] != "available":
        raise AwsError(400, "InvalidDBInstanceState", f"DB instance {inst['id']} is not in available state.")
    if inst["secret_status"] == "rotating":
        raise AwsError(400, "InvalidDBInstanceState",
                       f"The master user secret of DB instance {inst['id']} is already being rotated.")
    token = str(uuid.uuid4())
    record = {"at": iso(utcnow()), "token": token, "steps": [], "result": "running"}
    inst["rotations"].append(record)
    inst["secret_status"] = "rotating"
    threading.Thread(target=rotate, args=(inst, token, record), daemon=True).start()
    return instance_xml(inst)


def describe_db_instances(params, _region):
    if any(k.split(".")[0] == "Filters" for k in params):
        raise AwsError(400, "InvalidParameterCombination", "[fake] Filters is not modelled by this fake")
    start, limit = page_window(params, "db")
    raw = params.get("DBInstanceIdentifier")
    if raw:
        if raw.lower().startswith("arn:"):
            inst = next((i for i in STATE.instances.values() if i["arn"].lower() == raw.lower()), None)
        else:
            inst = STATE.instances.get(raw.lower())
        if inst is None:
            raise not_found(raw)
        return f"<DBInstances>{instance_xml(inst)}</DBInstances>"
    instances = list(STATE.instances.values())
    page = instances[start:start + limit]
    return ("<DBInstances>" + "".join(instance_xml(i) for i in page) + "</DBInstances>"
            + next_marker("db", start, limit, len(instances)))


ACTIONS = {"ModifyDBInstance": modify_db_instance, "DescribeDBInstances": describe_db_instances}


# ---- control -----------------------------------------------------------------------------------

def create_instance(body):
    iid = body.get("id")
    if not isinstance(iid, str) or not ID_RE.fullmatch(iid) or iid.endswith("-"):
        raise ControlError(400, "id must be 1-63 letters, digits or hyphens, a letter first, no trailing or "
                                "double hyphen")
    iid = iid.lower()
    master = body.get("master_username")
    if not isinstance(master, str) or not USER_RE.fullmatch(master):
        raise ControlError(400, "master_username must be 1-16 letters, digits or underscores, a letter first")
    managed = body.get("manage_master_user_password", True)
    if not isinstance(managed, bool):
        raise ControlError(400, "manage_master_user_password must be a boolean")
    if STATE.pg is not None and master == STATE.pg.admin_user:
        raise ControlError(400, "master_username must not be the fake's own PostgreSQL admin user")
    if iid in STATE.instances:
        raise ControlError(409, f"DB instance {iid} exists")
    arn = f"arn:aws:rds:{STATE.region}:{ACCOUNT}:db:{iid}"
    inst = {"id": iid, "master_username": master, "managed": managed, "status": "available", "created": utcnow(),
            "arn": arn, "secret_arn": None, "secret_name": None, "secret_status": None, "rotations": []}
    if managed:
        password = new_password()
        name = f"rds!db-{uuid.uuid4()}"
        if STATE.pg is not None:
            try:
                STATE.pg.set_password(master, password, create=True)
            except PgError as err:
                raise ControlError(502, f"postgres: {err}")
        try:
            created = STATE.sm.create_secret(
                Name=name, SecretString=json.dumps({"username": master, "password": password}),
                Description=f"The secret associated with the primary RDS DB instance: {arn}",
                KmsKeyId=STATE.kms_key_id,
                Tags=[{"Key": "aws:rds:primaryDBInstanceArn", "Value": arn},
                      {"Key": "aws:secretsmanager:owningService", "Value": "rds"}])
        except ClientError as err:
            raise ControlError(502, f"secrets manager: {err.response.get('Error', {}).get('Code')}")
        except BotoCoreError as err:
            raise ControlError(502, f"secrets manager: {type(err).__name__}")
        inst.update(secret_arn=created["ARN"], secret_name=created["Name"], secret_status="active")
    STATE.instances[iid] = inst
    return instance_json(inst)


def set_config(body):
    if "rotate_seconds" in body:
        value = body["rotate_seconds"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ControlError(400, "rotate_seconds must be a number >= 0")
        STATE.rotate_seconds = float(value)
    if "fail_step" in body:
        if body["fail_step"] is not None and body["fail_step"] not in STEPS:
            raise ControlError(400, "fail_step must be one of " + ", ".join(STEPS) + " or null")
        STATE.fail_step = body["fail_step"]
    return {"rotate_seconds": STATE.rotate_seconds, "fail_step": STATE.fail_step}


def control(method, path, body):
    """This fake's own control endpoints (aws_query answers /_fake/fail and /_fake/requests);
    called with STATE.lock held."""
    if path == "/_fake/db-instances" and method == "POST":
        return create_instance(body)
    if path.startswith("/_fake/db-instances/") and method == "GET":
        inst = STATE.instances.get(path.rsplit("/", 1)[1].lower())
        if inst is None:
            raise ControlError(404, "no such DB instance")
        return instance_json(inst, rotations=True)
    if path == "/_fake/config" and method == "POST":
        return set_config(body)
    raise ControlError(404, f"no control endpoint {method} {path}")


def main():
    global STATE
    parser = argparse.ArgumentParser(description="RDS managed-master-password fake (see the module docstring)")
    parser.add_argument("--secrets-endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--pg-port", type=int)
    parser.add_argument("--pg-admin-user", default="postgres")
    parser.add_argument("--pg-admin-password", default=os.environ.get("RDS_FAKE_PG_ADMIN_PASSWORD"))
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--rotate-seconds", type=float, default=1.0)
    parser.add_argument("--ignore-stdin", action="store_true")
    args = parser.parse_args()
    if args.rotate_seconds < 0:
        parser.error("--rotate-seconds must be >= 0")
    # Secrets Manager is on 127.0.0.1: never through a proxy from the environment.
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1", "localhost"]))
    session = botocore.session.get_session()
    modify_members = set(session.get_service_model("rds").operation_model("ModifyDBInstance").input_shape.members)
    sm = session.create_client(
        "secretsmanager", region_name=args.region, endpoint_url=args.secrets_endpoint,
        aws_access_key_id=args.access_key_id, aws_secret_access_key=args.secret_access_key,
        config=Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=15))
    try:
        sm.list_secrets(MaxResults=1)
    except (ClientError, BotoCoreError) as err:
        code = err.response.get("Error", {}).get("Code") if isinstance(err, ClientError) else type(err).__name__
        log(f"rds_fake: Secrets Manager at {args.secrets_endpoint} does not answer ListSecrets: {code}")
        sys.exit(2)
    pg = None
    if args.pg_port is not None:
        if args.pg_admin_password is None:
            log("rds_fake: --pg-admin-password (or env RDS_FAKE_PG_ADMIN_PASSWORD) is required with --pg-port")
            sys.exit(2)
        pg = Postgres(args.pg_port, args.pg_admin_user, args.pg_admin_password, args.psql)
        try:
            if pg.admin("SELECT 1;\n") != "1":
                raise PgError("SELECT 1 did not answer 1")
        except PgError as err:
            log(f"rds_fake: PostgreSQL check as {args.pg_admin_user} on 127.0.0.1:{args.pg_port} failed: {err}")
            sys.exit(2)
    STATE = State(args, sm, pg, modify_members - MODELLED_MODIFY)
    server = make_server(QueryApi("rds-fake", SERVICE, API_VERSION, NS, ACTIONS, STATE, control))
    serve_until_stopped(server, watch_stdin=not args.ignore_stdin)


if __name__ == "__main__":
    main()
