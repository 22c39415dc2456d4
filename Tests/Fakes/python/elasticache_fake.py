#!/usr/bin/env python3
"""In-repo fake of the Amazon ElastiCache Query API surface Aegis Rotate uses to rotate a Redis
OSS / Valkey AUTH token: ModifyReplicationGroup (AuthToken + AuthTokenUpdateStrategy ROTATE | SET
| DELETE) and DescribeReplicationGroups. Unlike moto (which accepts any token change), it drives a
REAL redis-server, so which tokens a client can ``AUTH`` with is real. Python 3 stdlib only.

Run:  python3 elasticache_fake.py --redis-host 127.0.0.1 --redis-port P
                                  --redis-admin-user U --redis-admin-password X
                                  [--modify-seconds 1.0] [--ignore-stdin]
  --redis-host / --redis-port     a redis-server (>= 6.2: ACL and ``&*``) the TEST started.
  --redis-admin-user / -password  an ACL user with ``+@all`` the fake logs in as (``AUTH U X``
                                  over RESP, one short TCP connection per change); required with
                                  --redis-port and never a group's redis user. The password
                                  may come from env ELASTICACHE_FAKE_REDIS_ADMIN_PASSWORD instead
                                  (keeps it out of ``ps``). Checked at start-up: a redis that does
                                  not answer, or refuses the login, makes the fake exit 2 with a
                                  reason on stderr and no LISTENING line.
  Without --redis-port no redis is driven: groups are state-only (tokens tracked, nothing real).
  --modify-seconds S              how long a token change stays ``modifying`` (default 1.0).
  Binds 127.0.0.1 on port 0 and prints exactly one line, ``LISTENING <port>`` (flushed).
  Serves until SIGTERM/SIGINT, or until its standard input reaches EOF (keep stdin a pipe; a
  killed parent closes it and the fake exits). ``--ignore-stdin`` disables the EOF watch.
  stderr gets one line per request: ``<METHOD> <path> <status>`` plus `` <Action>`` for API calls
  (``POST / 200 ModifyReplicationGroup``), and ``redis: ...`` lines if a redis change fails. No
  query strings, headers, bodies, tokens or secrets are ever written.
  endpoint_url for an SDK/adapter: ``http://127.0.0.1:<port>`` (any region; service elasticache).

Verified against (see the report that came with this file):
  * botocore 1.43.11 botocore/data/elasticache/2015-02-02/service-2.json (protocol "query",
    apiVersion 2015-02-02, xmlNamespace http://elasticache.amazonaws.com/doc/2015-02-02/,
    signatureVersion v4, every shape, member docs and the error traits quoted below);
    botocore/auth.py SigV4Auth (what is signed); botocore's query parser (what it reads).
  * AWS ElastiCache user guide "Authenticating users with the Redis AUTH command", section
    "Modifying the AUTH token on an existing ... cluster" (awsdocs/amazon-elasticache-docs,
    doc_source/auth.md and its red-ug successor).
  * terraform-provider-aws internal/service/elasticache/replication_group.go (token changes are a
    separate ModifyReplicationGroup with ApplyImmediately=true; waits for ``available`` before and
    after; tolerates InvalidParameterCombination "No modifications were requested") and its docs.
  * verbatim AWS errors quoted in public issues (terraform-provider-aws #31710/#39546,
    crossplane-contrib/provider-upjet-aws #1370, umotif-public/terraform-aws-elasticache-redis #54).
  * the AWS "Common Errors" page of the Query-protocol API references (HTTP statuses).
  Items marked [fake] are this fake's own choice where no source was found.

Wire protocol (AWS Query)
-------------------------
  POST / with ``Content-Type: application/x-www-form-urlencoded; charset=utf-8`` and a body
  ``Action=<Op>&Version=2015-02-02&<Param>=<value>...`` (botocore's form). GET /?Action=... with
  the same parameters in the query string is accepted too (the Query protocol allows it). Lists
  use ``Name.member.N``. Booleans are ``true``/``false``.
  Version must be 2015-02-02, else 400 InvalidParameterValue [fake wording]. A missing Action
  -> 400 MissingAction; an Action other than the two below -> 400 InvalidAction
  "The action <X> is not valid for this web service." (codes/statuses: Common Errors page).
  Success: 200 ``text/xml``:
    <OpResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">
      <OpResult>...</OpResult>
      <ResponseMetadata><RequestId>uuid</RequestId></ResponseMetadata></OpResponse>
  Error: ``text/xml``, status from the error's ``httpStatusCode`` trait in service-2.json:
    <ErrorResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">
      <Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message></Error>
      <RequestId>uuid</RequestId></ErrorResponse>
  (Type Receiver for 5xx, Sender otherwise.) Every response carries ``x-amzn-RequestId``.

Authentication: AWS Signature Version 4 (verified, not just parsed)
  ``Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/<yyyymmdd>/<region>/elasticache/aws4_request,
  SignedHeaders=<a;b;c>, Signature=<64 hex>`` plus ``X-Amz-Date: yyyymmddThhmmssZ``. The fake
  rebuilds the canonical request exactly as botocore's SigV4Auth does (method; normalised,
  URI-encoded path; the query pairs as sent, sorted; each signed header lowercased with
  trimmed/collapsed value, repeated headers joined by ","; the signed-header list; hex SHA-256 of
  the raw body), the string to sign (``AWS4-HMAC-SHA256\\n<amzdate>\\n<scope>\\n<hex sha256>``),
  the HMAC key chain from the registered secret, and compares in constant time. Any region is
  accepted. ``host`` and ``x-amz-date`` must be signed. X-Amz-Security-Token is not modelled.
  (The verification is shared with rds_fake.py: aws_sigv4.py.)
    no Authorization header (or not AWS4-HMAC-SHA256)
        -> 403 MissingAuthenticationToken "Request is missing Authentication Token"
    malformed header (no Credential/SignedHeaders/Signature, bad scope, host/x-amz-date
        unsigned, no X-Amz-Date) -> 400 IncompleteSignature
    unknown access key id -> 403 InvalidClientTokenId "The security token included in the
        request is invalid."
    scope service not ``elasticache``, scope date != X-Amz-Date date, or a signature mismatch
        (wrong secret, tampered body/header) -> 403 SignatureDoesNotMatch "The request signature
        we calculated does not match the signature you provided. ..."
    X-Amz-Date more than 15 min from the fake's clock -> 400 RequestExpired [status per the
        Common Errors page; ElastiCache's exact wording unverified]
  (Statuses: Common Errors page; SignatureDoesNotMatch 403 is AWS's usual answer, not listed.)
  The request log records auth "sigv4" (verified), "bad" (an Authorization header that failed)
  or "none" (no Authorization header).

Replication group model
  Cluster mode disabled, one node group "0001" with one primary node "<id>-001"; the primary
  endpoint (and the node's read endpoint) is the REAL redis host:port; Engine redis,
  cache.t4g.micro, TransitEncryptionEnabled as created (mode "required"), at-rest false.
  Ids are lowercased (AWS stores them so; the ReplicationGroupId parameter is "not case
  sensitive" per service-2.json). Tokens: a list, oldest first, of at most two entries; an entry
  ``None`` stands for "connecting without authentication" (a group created without a token).

  Redis mapping (redis user = "default" unless the control API says otherwise); the fake sends:
    create with token T0        ACL SETUSER <u> on resetpass >T0 ~* &* +@all
    create without token        ACL SETUSER <u> on nopass ~* &* +@all
    ROTATE T1, one token [T0]   ACL SETUSER <u> >T1                (T0 and T1 both work)
    ROTATE T2, two [T0, T1]     ACL SETUSER <u> <T0 >T2            (oldest dropped: T1, T2)
    ROTATE T, T already valid   nothing (T becomes the newest of the same tokens)
    ROTATE T1, passwordless     nothing (``nopass`` already accepts any password: T1 works and
                                so does no AUTH at all, as AWS documents for this case)
    ROTATE T2, [None, T1]       ACL SETUSER <u> resetpass >T1 >T2  (the no-auth slot is oldest)
    SET T                       ACL SETUSER <u> resetpass >T       (only T works)
  ROTATE and SET change redis only when the modification completes (``--modify-seconds`` after
  the request), never at the request. A group with redis_user null is state-only.

ModifyReplicationGroup   (ReplicationGroupId, AuthToken, AuthTokenUpdateStrategy, ApplyImmediately;
                          UserGroupIdsToAdd.member.N only for DELETE)
  Checks, in this order:
   1. ReplicationGroupId missing -> 400 MissingParameter "The request must contain the parameter
      ReplicationGroupId" [fake wording]; unknown -> 404 ReplicationGroupNotFoundFault
      "Replication group <id> not found." (404 + code: service-2.json; wording as AWS CLI users
      report it).
   2. AuthTokenUpdateStrategy not SET|ROTATE|DELETE, or ApplyImmediately not true|false
      -> 400 InvalidParameterValue [fake wording].
   3. Any other ModifyReplicationGroup member (Description, CacheNodeType, ...) -> 400
      InvalidParameterCombination "[fake] ... is not modelled by this fake".
      No AuthToken, AuthTokenUpdateStrategy or UserGroupIdsToAdd -> 400 InvalidParameterCombination
      "No modifications were requested." (wording: terraform-provider-aws matches it).
   4. Status not ``available`` (a change still ``modifying``) -> 400 InvalidReplicationGroupState
      "Replication group must be in available state to modify." (code + 400: service-2.json
      InvalidReplicationGroupStateFault; wording reported verbatim in umotif #54).
   5. UserGroupIdsToAdd without DELETE on a group with a token -> 400 InvalidParameterCombination
      "User group can't be associated with auth token enabled. Pass AuthStrategy delete to
      proceed." (verbatim, terraform-provider-aws #31710/#39546); on a passwordless group -> 400
      InvalidParameterCombination "[fake] RBAC user groups are not modelled by this fake."
      DELETE ("allowed only when transitioning to RBAC", service-2.json): RBAC user groups are
      not modelled, so DELETE is always refused: with UserGroupIdsToAdd -> 404 UserGroupNotFound
      "User group <id> not found." [fake wording]; without -> 400 InvalidParameterValue
      "Auth token update strategy delete is not supported currently" (verbatim, crossplane #1370).
   6. AuthTokenUpdateStrategy (SET/ROTATE) without AuthToken -> 400 InvalidParameterCombination
      [fake wording] ("This parameter must be specified with the auth-token parameter").
      AuthToken alone means ROTATE ("ROTATE - default, if no update strategy is provided").
   7. Group created without TransitEncryptionEnabled -> 400 InvalidParameterCombination [fake
      wording] ("AuthToken can be specified only on replication groups where
      TransitEncryptionEnabled is true", service-2.json CreateReplicationGroup).
   8. Token rules (ModifyReplicationGroup AuthToken doc): printable ASCII (0x20-0x7E) only,
      16..128 characters, none of / " @ % -> 400 InvalidParameterValue [fake wording]. The
      message never contains the token. (The newer user guide is stricter: non-alphanumerics
      only ! & # $ ^ < > - ; POST /_fake/config {"strict_token_charset": true} enforces that too.)
   9. ApplyImmediately not true -> 400 InvalidParameterCombination [fake: AWS documents the token
      change as made "with the --apply-immediately parameter"; what it does without it was not
      found, so the fake refuses rather than guess a maintenance-window behaviour].
  10. SET ("SET - allowed only after ROTATE", service-2.json; "The auth-token parameter must be
      the same value as the last AUTH token rotated", user guide):
        no ROTATE since the last SET/creation on a group that has a token -> 400
          InvalidParameterCombination [fake wording];
        a token other than the last rotated one -> 400 InvalidParameterValue [fake wording];
        on a passwordless group (created without a token) SET is allowed at once (terraform docs:
          "To immediately require authorization when adding the initial token, use the SET
          strategy").
      ROTATE with a token that is already valid is accepted and makes it the newest token
      ([T0, T1] + ROTATE T0 -> [T1, T0]; redis unchanged) [fake choice: AWS's answer is not
      documented]. So a rollback after ROTATE T1 is ROTATE T0 then SET T0 (SET T0 at once is
      refused by the rule above).
  Accepted: 200, the group with Status ``modifying`` (its node group too) and
  PendingModifiedValues/AuthTokenStatus ROTATING|SETTING (AuthTokenUpdateStatus enum). After
  ``--modify-seconds`` the redis ACL change above is made, the token list updated,
  AuthTokenLastModifiedDate set to that moment and Status back to ``available``. (If the redis
  command fails, the tokens stay as they were, the group goes back to ``available`` and the
  modification is recorded as "failed".)

DescribeReplicationGroups   (ReplicationGroupId?, MaxRecords?, Marker?)
  With ReplicationGroupId: that group (unknown -> 404 ReplicationGroupNotFoundFault). Without:
  all groups in creation order, MaxRecords 20..100 (default 100; outside -> 400
  InvalidParameterValue [fake wording]; constraints from service-2.json), Marker opaque (an
  unknown marker -> 400 InvalidParameterValue [fake]); <Marker> is present only when more
  groups follow.

ReplicationGroup XML (element names/nesting from service-2.json; list members use the shapes'
locationName: MemberClusters/ClusterId, NodeGroups/NodeGroup, NodeGroupMembers/NodeGroupMember):
  ReplicationGroupId, Description, Status (available|modifying), PendingModifiedValues
  [AuthTokenStatus], MemberClusters, NodeGroups[NodeGroup: NodeGroupId, Status, PrimaryEndpoint
  {Address, Port}, ReaderEndpoint {Address, Port}, NodeGroupMembers[CacheClusterId, CacheNodeId,
  ReadEndpoint, PreferredAvailabilityZone, CurrentRole]], AutomaticFailover disabled, MultiAZ
  disabled, SnapshotRetentionLimit 0, SnapshotWindow, ClusterEnabled false, CacheNodeType,
  AuthTokenEnabled (true iff a token is set), AuthTokenLastModifiedDate (ISO 8601 UTC with
  milliseconds; present once a token was ever set: creation, then each completed change),
  TransitEncryptionEnabled, AtRestEncryptionEnabled false, ARN
  arn:aws:elasticache:<signing region>:123456789012:replicationgroup:<id>,
  ReplicationGroupCreateTime, DataTiering disabled, AutoMinorVersionUpgrade true, NetworkType
  ipv4, IpDiscovery ipv4, TransitEncryptionMode required (if transit), ClusterMode disabled,
  Engine redis.

Control endpoints (no auth, JSON in/out, 200 on success, 4xx {"error": str} otherwise; logged on
stderr like any request but never in /_fake/requests)
  POST   /_fake/credentials {"access_key_id"?: str, "secret_access_key"?: str}
         -> {"access_key_id": "AKIA" + 16, "secret_access_key": 40 chars} (given values are
         registered as they are; any region may be used with them)
  POST   /_fake/replication-groups {"id": str, "token": str|null, "transit_encryption"?: bool
         (default true), "description"?: str, "redis_user"?: str|null (default "default"; null:
         state-only)} -> the group JSON below. A token needs transit_encryption true and is checked
         against the token rules (400). Creating it runs the ACL command above at once (redis
         failure -> 502). At most one group per redis user (409); an existing id -> 409.
  GET    /_fake/replication-groups/{id} -> {"id", "status", "transit_encryption",
         "auth_token_enabled", "redis_user", "tokens": [valid token values, oldest first (TEST
         ONLY: the only place values appear)], "passwordless": bool (no-AUTH connections accepted),
         "modifications": [{"strategy", "at" (request time, ISO), "applied_at" (ISO|null),
         "result": "pending"|"applied"|"failed"}]}
  POST   /_fake/fail {"action": "<Op>"|"*" (default "*"), "status": int (default 500),
         "code": str (default InternalFailure), "message"?: str, "count"?: int (1)} -> {"ok": true}
         The next `count` matching API calls that passed authentication answer that error as the
         XML ErrorResponse above (e.g. 500 InternalFailure, 400 Throttling, 503
         ServiceUnavailable). botocore retries 5xx and Throttling by itself.
  GET    /_fake/requests -> [{"action", "status", "auth": "sigv4"|"none"|"bad", "code": str|null}]
  DELETE /_fake/requests -> {"ok": true}
  POST   /_fake/config {"modify_seconds"?: float, "strict_token_charset"?: bool} -> the config
"""

import argparse
import os
import re
import secrets
import socket
import string
import sys
import threading
from aws_query import (AwsError, ControlError, QueryApi, el, iso, make_server, next_marker,
                       page_window, parse_bool, utcnow)
from fake_server import serve_until_stopped

API_VERSION = "2015-02-02"
NS = "http://elasticache.amazonaws.com/doc/2015-02-02/"
SERVICE = "elasticache"
ACCOUNT = "123456789012"
STRATEGIES = ("SET", "ROTATE", "DELETE")
FORBIDDEN = set('/"@%')
STRICT_SPECIALS = set("!&#$^<>-")
MODIFY_MEMBERS = {
    "ReplicationGroupDescription", "PrimaryClusterId", "SnapshottingClusterId", "AutomaticFailoverEnabled",
    "MultiAZEnabled", "NodeGroupId", "CacheSecurityGroupNames", "SecurityGroupIds", "PreferredMaintenanceWindow",
    "NotificationTopicArn", "CacheParameterGroupName", "NotificationTopicStatus", "Engine", "EngineVersion",
    "AutoMinorVersionUpgrade", "SnapshotRetentionLimit", "SnapshotWindow", "CacheNodeType", "UserGroupIdsToRemove",
    "RemoveUserGroups", "LogDeliveryConfigurations", "IpDiscovery", "TransitEncryptionEnabled",
    "TransitEncryptionMode", "ClusterMode",
}


class RedisError(Exception):
    pass


# ---- a tiny RESP client ---------------------------------------------------------------------

class Redis:
    def __init__(self, host, port, user, password):
        self.host, self.port, self.user, self.password = host, port, user, password

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    @staticmethod
    def _read(f):
        line = f.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError("connection closed by redis")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode(errors="replace").split(" ")[0])   # the error code only
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [Redis._read(f) for _ in range(n)]
        raise RedisError("unexpected reply from redis")

    def call(self, *args):
        """One short connection: AUTH as the admin user, run one command, return its reply."""
        try:
            with socket.create_connection((self.host, self.port), timeout=5) as sock:
                f = sock.makefile("rb")
                sock.sendall(self._encode(["AUTH", self.user, self.password]) + self._encode(list(args)))
                self._read(f)
                return self._read(f)
        except OSError as err:
            raise RedisError(f"cannot reach redis at {self.host}:{self.port} ({err.__class__.__name__})")


# ---- state -------------------------------------------------------------------------------------

class State:
    def __init__(self, redis, endpoint, modify_seconds):
        self.lock = threading.RLock()
        self.redis = redis
        self.endpoint = endpoint          # (address, port) reported as the primary endpoint
        self.modify_seconds = modify_seconds
        self.strict = False
        self.creds = {}                   # access key id -> secret
        self.groups = {}                  # id -> group (insertion = creation order)
        self.fail_rules = []
        self.requests = []
        self.timers = []


STATE = None


def token_problem(token, strict):
    """A reason the token breaks the rules, or None. Never includes the token itself."""
    if not all(0x20 <= ord(c) <= 0x7E for c in token):
        return "The AuthToken must contain only printable ASCII characters."
    if not 16 <= len(token) <= 128:
        return "The AuthToken must be between 16 and 128 characters long."
    if FORBIDDEN & set(token):
        return "The AuthToken cannot contain any of the following characters: '/', '\"', '@', '%'."
    if strict and any(not c.isalnum() and c not in STRICT_SPECIALS for c in token):
        return "The AuthToken may only contain alphanumeric characters and ! & # $ ^ < > -."
    return None


def real_tokens(group):
    return [t for t in group["tokens"] if t is not None]


def group_json(group):
    return {"id": group["id"], "status": group["status"], "transit_encryption": group["transit"],
            "auth_token_enabled": bool(real_tokens(group)), "redis_user": group["redis_user"],
            "tokens": real_tokens(group), "passwordless": None in group["tokens"],
            "modifications": [dict(m) for m in group["modifications"]]}


def acl_for_change(group, strategy, token):
    """(new token list, ACL SETUSER rules or None) for a completed ROTATE/SET."""
    old = group["tokens"]
    if strategy == "SET":
        return [token], ["resetpass", ">" + token]
    if token in old:                                       # re-ROTATE of a valid token: now the newest
        return [t for t in old if t != token] + [token], None
    new = (old + [token])[-2:]
    if old == [None]:
        return new, None                                   # nopass already accepts the new token
    if None in old:                                        # [None, T1] + T2 -> [T1, T2]
        return new, ["resetpass"] + [">" + t for t in new]
    if len(old) == 2:
        return new, ["<" + old[0], ">" + token]
    return new, [">" + token]


def run_acl(group, rules):
    if rules is None or group["redis_user"] is None or STATE.redis is None:
        return
    reply = STATE.redis.call("ACL", "SETUSER", group["redis_user"], *rules)
    if reply != "OK":
        raise RedisError("ACL SETUSER did not answer OK")


def complete_modification(group_id):
    with STATE.lock:
        group = STATE.groups.get(group_id)
        if group is None or group["pending"] is None:
            return
        pending = group["pending"]
        record = group["modifications"][-1]
        try:
            new, rules = acl_for_change(group, pending["strategy"], pending["token"])
            run_acl(group, rules)
            group["tokens"] = new
            group["auth_modified"] = utcnow()
            group["rotated"] = pending["strategy"] == "ROTATE"
            record["result"] = "applied"
        except RedisError as err:
            sys.stderr.write(f"redis: applying {pending['strategy']} to {group_id} failed: {err}\n")
            sys.stderr.flush()
            record["result"] = "failed"
        record["applied_at"] = iso(utcnow())
        group["pending"] = None
        group["status"] = "available"


# ---- XML rendering -----------------------------------------------------------------------------

def endpoint_xml(name):
    address, port = STATE.endpoint
    return f"<{name}>{el('Address', address)}{el('Port', port)}</{name}>"


def group_xml(group, region):
    gid, status = group["id"], group["status"]
    pending = ""
    if group["pending"] is not None:
        pending = el("AuthTokenStatus", "ROTATING" if group["pending"]["strategy"] == "ROTATE" else "SETTING")
    member = (f"<NodeGroupMember>{el('CacheClusterId', gid + '-001')}{el('CacheNodeId', '0001')}"
              f"{endpoint_xml('ReadEndpoint')}{el('PreferredAvailabilityZone', region + 'a')}"
              f"{el('CurrentRole', 'primary')}</NodeGroupMember>")
    node_group = (f"<NodeGroup>{el('NodeGroupId', '0001')}{el('Status', status)}{endpoint_xml('PrimaryEndpoint')}"
                  f"{endpoint_xml('ReaderEndpoint')}<NodeGroupMembers>{member}</NodeGroupMembers></NodeGroup>")
    modified = group["auth_modified"]
    return "".join([
        "<ReplicationGroup>",
        el("ReplicationGroupId", gid), el("Description", group["description"]), el("Status", status),
        f"<PendingModifiedValues>{pending}</PendingModifiedValues>",
        f"<MemberClusters>{el('ClusterId', gid + '-001')}</MemberClusters>",
        f"<NodeGroups>{node_group}</NodeGroups>",
        el("AutomaticFailover", "disabled"), el("MultiAZ", "disabled"), el("SnapshotRetentionLimit", 0),
        el("SnapshotWindow", "05:00-06:00"), el("ClusterEnabled", False), el("CacheNodeType", "cache.t4g.micro"),
        el("AuthTokenEnabled", bool(real_tokens(group))),
        el("AuthTokenLastModifiedDate", iso(modified) if modified else None),
        el("TransitEncryptionEnabled", group["transit"]), el("AtRestEncryptionEnabled", False),
        el("ARN", f"arn:aws:elasticache:{region}:{ACCOUNT}:replicationgroup:{gid}"),
        "<LogDeliveryConfigurations></LogDeliveryConfigurations>",
        el("ReplicationGroupCreateTime", iso(group["created"])), el("DataTiering", "disabled"),
        el("AutoMinorVersionUpgrade", True), el("NetworkType", "ipv4"), el("IpDiscovery", "ipv4"),
        el("TransitEncryptionMode", "required" if group["transit"] else None),
        el("ClusterMode", "disabled"), el("Engine", "redis"),
        "</ReplicationGroup>",
    ])


# ---- actions -----------------------------------------------------------------------------------

def find_group(params):
    raw = params.get("ReplicationGroupId")
    if raw is None or raw == "":
        raise AwsError(400, "MissingParameter", "The request must contain the parameter ReplicationGroupId")
    group = STATE.groups.get(raw.lower())
    if group is None:
        raise AwsError(404, "ReplicationGroupNotFoundFault", f"Replication group {raw} not found.")
    return group


def modify_replication_group(params, region):
    group = find_group(params)
    strategy = params.get("AuthTokenUpdateStrategy")
    if strategy is not None and strategy not in STRATEGIES:
        raise AwsError(400, "InvalidParameterValue",
                       f"Invalid AuthTokenUpdateStrategy {strategy}. Valid values: SET, ROTATE, DELETE.")
    apply_now = parse_bool(params, "ApplyImmediately")
    other = sorted({k.split(".")[0] for k in params} & MODIFY_MEMBERS)
    if other:
        raise AwsError(400, "InvalidParameterCombination",
                       f"[fake] ModifyReplicationGroup parameter {other[0]} is not modelled by this fake.")
    token = params.get("AuthToken")
    to_add = [v for k, v in sorted(params.items()) if k.startswith("UserGroupIdsToAdd.")]
    if token is None and strategy is None and not to_add:
        raise AwsError(400, "InvalidParameterCombination", "No modifications were requested.")
    if group["status"] != "available":
        raise AwsError(400, "InvalidReplicationGroupState", "Replication group must be in available state to modify.")
    if to_add and strategy != "DELETE":
        if real_tokens(group):
            raise AwsError(400, "InvalidParameterCombination",
                           "User group can't be associated with auth token enabled. Pass AuthStrategy delete to proceed.")
        raise AwsError(400, "InvalidParameterCombination", "[fake] RBAC user groups are not modelled by this fake.")
    if strategy == "DELETE":
        if to_add:
            raise AwsError(404, "UserGroupNotFound", f"User group {to_add[0]} not found.")
        raise AwsError(400, "InvalidParameterValue", "Auth token update strategy delete is not supported currently")
    if token is None:
        raise AwsError(400, "InvalidParameterCombination",
                       "AuthTokenUpdateStrategy must be specified with the AuthToken parameter.")
    strategy = strategy or "ROTATE"
    if not group["transit"]:
        raise AwsError(400, "InvalidParameterCombination",
                       "AuthToken can be specified only on replication groups where TransitEncryptionEnabled is true.")
    problem = token_problem(token, STATE.strict)
    if problem:
        raise AwsError(400, "InvalidParameterValue", problem)
    if apply_now is not True:
        raise AwsError(400, "InvalidParameterCombination",
                       "[fake] An AuthToken change must be requested with ApplyImmediately=true.")
    if strategy == "SET" and group["tokens"] != [None]:
        if not group["rotated"]:
            raise AwsError(400, "InvalidParameterCombination",
                           "The SET AuthTokenUpdateStrategy is allowed only after a ROTATE.")
        if token != group["tokens"][-1]:
            raise AwsError(400, "InvalidParameterValue",
                           "The AuthToken for SET must be the same value as the last AUTH token rotated.")
    group["status"] = "modifying"
    group["pending"] = {"strategy": strategy, "token": token}
    group["modifications"].append({"strategy": strategy, "at": iso(utcnow()), "applied_at": None,
                                   "result": "pending"})
    timer = threading.Timer(STATE.modify_seconds, complete_modification, args=(group["id"],))
    timer.daemon = True
    STATE.timers.append(timer)
    timer.start()
    return f"{group_xml(group, region)}"


def describe_replication_groups(params, region):
    if params.get("ReplicationGroupId"):
        return f"<ReplicationGroups>{group_xml(find_group(params), region)}</ReplicationGroups>"
    start, limit = page_window(params, "rg")
    groups = list(STATE.groups.values())
    page = groups[start:start + limit]
    return ("<ReplicationGroups>" + "".join(group_xml(g, region) for g in page) + "</ReplicationGroups>"
            + next_marker("rg", start, limit, len(groups)))


ACTIONS = {"ModifyReplicationGroup": modify_replication_group,
           "DescribeReplicationGroups": describe_replication_groups}


# ---- control -----------------------------------------------------------------------------------

def create_group(body):
    gid = body.get("id")
    if not isinstance(gid, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,39}", gid):
        raise ControlError(400, "id must be 1-40 letters, digits or hyphens, starting with a letter")
    gid = gid.lower()
    token = body.get("token")
    transit = body.get("transit_encryption", True)
    redis_user = body.get("redis_user", "default")
    if STATE.redis is None:
        redis_user = None
    if not isinstance(transit, bool):
        raise ControlError(400, "transit_encryption must be a boolean")
    if token is not None:
        if not isinstance(token, str):
            raise ControlError(400, "token must be a string or null")
        if not transit:
            raise ControlError(400, "AuthToken can be specified only with transit_encryption true")
        problem = token_problem(token, STATE.strict)
        if problem:
            raise ControlError(400, problem)
    if redis_user is not None and not isinstance(redis_user, str):
        raise ControlError(400, "redis_user must be a string or null")
    if redis_user is not None and redis_user == STATE.redis.user:
        raise ControlError(400, "redis_user must not be the fake's own admin user")
    if gid in STATE.groups:
        raise ControlError(409, f"replication group {gid} exists")
    if redis_user is not None and any(g["redis_user"] == redis_user for g in STATE.groups.values()):
        raise ControlError(409, f"redis user {redis_user} already belongs to another group")
    now = utcnow()
    group = {"id": gid, "description": body.get("description", f"{gid} (elasticache_fake)"), "transit": transit,
             "tokens": [token], "status": "available", "created": now, "auth_modified": now if token else None,
             "redis_user": redis_user, "pending": None, "rotated": False, "modifications": []}
    rules = ["on", "resetpass", ">" + token] if token else ["on", "nopass"]
    try:
        run_acl(group, rules + ["~*", "&*", "+@all"])
    except RedisError as err:
        raise ControlError(502, f"redis: {err}")
    STATE.groups[gid] = group
    return group_json(group)


def control(method, path, body):
    """This fake's own control endpoints (aws_query answers /_fake/fail and /_fake/requests);
    called with STATE.lock held."""
    if path == "/_fake/credentials" and method == "POST":
        akid = body.get("access_key_id") or "AKIA" + "".join(
            secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
        secret = body.get("secret_access_key") or secrets.token_urlsafe(30)[:40]
        STATE.creds[akid] = secret
        return {"access_key_id": akid, "secret_access_key": secret}
    if path == "/_fake/replication-groups" and method == "POST":
        return create_group(body)
    if path.startswith("/_fake/replication-groups/") and method == "GET":
        group = STATE.groups.get(path.rsplit("/", 1)[1].lower())
        if group is None:
            raise ControlError(404, "no such replication group")
        return group_json(group)
    if path == "/_fake/config" and method == "POST":
        if "modify_seconds" in body:
            STATE.modify_seconds = float(body["modify_seconds"])
        if "strict_token_charset" in body:
            STATE.strict = bool(body["strict_token_charset"])
        return {"modify_seconds": STATE.modify_seconds, "strict_token_charset": STATE.strict}
    raise ControlError(404, f"no control endpoint {method} {path}")


def main():
    global STATE
    parser = argparse.ArgumentParser(description="ElastiCache AUTH-token fake (see the module docstring)")
    parser.add_argument("--redis-host", default="127.0.0.1")
    parser.add_argument("--redis-port", type=int)
    parser.add_argument("--redis-admin-user")
    parser.add_argument("--redis-admin-password", default=os.environ.get("ELASTICACHE_FAKE_REDIS_ADMIN_PASSWORD"))
    parser.add_argument("--modify-seconds", type=float, default=1.0)
    parser.add_argument("--ignore-stdin", action="store_true")
    args = parser.parse_args()
    redis = None
    if args.redis_port is not None:
        if args.redis_admin_user is None or args.redis_admin_password is None:
            sys.stderr.write("elasticache_fake: --redis-admin-user and --redis-admin-password (or its env "
                             "variable) are required with --redis-port\n")
            sys.exit(2)
        redis = Redis(args.redis_host, args.redis_port, args.redis_admin_user, args.redis_admin_password)
        try:
            if redis.call("PING") != "PONG":
                raise RedisError("PING did not answer PONG")
        except RedisError as err:
            sys.stderr.write(f"elasticache_fake: redis check failed: {err}\n")
            sys.exit(2)
    STATE = State(redis, (args.redis_host, args.redis_port or 6379), args.modify_seconds)
    server = make_server(QueryApi("elasticache-fake", SERVICE, API_VERSION, NS, ACTIONS, STATE, control))

    def cancel_timers():
        for timer in STATE.timers:
            timer.cancel()

    serve_until_stopped(server, watch_stdin=not args.ignore_stdin, on_exit=cancel_timers)


if __name__ == "__main__":
    main()
