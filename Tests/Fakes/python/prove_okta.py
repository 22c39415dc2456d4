#!/usr/bin/env python3
"""Proves that okta_fake.py speaks Okta's wire protocol, using the official ``okta`` Python SDK
(package ``okta`` on PyPI; written against 3.4.6) for every call Aegis Rotate will make.

Run:  python3 prove_okta.py
  Starts okta_fake.py (stdin a pipe), prints ``ok: <fact>`` per proven fact and exits 0; on any
  failure prints ``FAIL: <what>`` and exits 1. Every wait has a deadline naming what it waited
  for. The fake is killed by PID at the end, also on failure.
  Needs: python3 -m pip install --break-system-packages okta   (pulls aiohttp, jwcrypto, PyJWT,
  pycryptodomex, pydantic) and ``cryptography``.
"""

import asyncio
import base64
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "okta_fake.py")
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"   # the SDK refuses http:// otherwise

try:
    import okta  # noqa: F401
except ImportError:
    sys.stderr.write("the 'okta' SDK is missing: python3 -m pip install --break-system-packages okta\n")
    sys.exit(1)

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwcrypto.jwk import JWK
from okta.api_response import OktaAPIResponse
from okta.client import Client
from okta.errors.okta_api_error import OktaAPIError
from okta.models import AddJwkRequest, OAuth2ClientJsonSigningKeyRequest, OAuth2ClientJsonWebKeyRsaRequest
from okta.pagination import PaginationHelper

SDK_VERSION = getattr(okta, "__version__", "?")
STEP_DEADLINE = 30.0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def ok(what):
    print("ok: " + what, flush=True)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def uint_b64u(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


# ---- the fake process ------------------------------------------------------------------------
class Fake:
    def __init__(self):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, FAKE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err)
        try:
            lines = queue.Queue()
            threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()), daemon=True).start()
            try:
                line = lines.get(timeout=15)
            except queue.Empty:
                raise Failure("timed out after 15 s waiting for the 'LISTENING <port>' line from okta_fake.py")
            m = re.fullmatch(rb"LISTENING (\d+)\n", line)
            check(m, "okta_fake.py's first stdout line should be 'LISTENING <port>', got %r" % line)
        except BaseException:
            self.kill()          # never leave a half-started fake behind
            raise
        self.port = int(m.group(1))
        self.base = "http://127.0.0.1:%d" % self.port

    def wait_exit(self, seconds, what):
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise Failure("timed out after %s s waiting for okta_fake.py to exit after %s" % (seconds, what))

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def stderr_text(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")


FAKE_PROC = None


def http(method, path, body=None, headers=None, form=None):
    """Plain urllib request to the fake -> (status, headers, parsed body or None)."""
    url = FAKE_PROC.base + path
    hdrs = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw, status, rh = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, rh = e.read(), e.code, e.headers
    except OSError as e:
        raise Failure("request %s %s to the fake failed or timed out (10 s): %s" % (method, path, e))
    return status, rh, (json.loads(raw) if raw else None)


def ctl(method, path, body=None):
    status, _, data = http(method, path, body)
    check(status == 200, "control call %s %s answered %s: %s" % (method, path, status, data))
    return data


def requests_log():
    return ctl("GET", "/_fake/requests")


def clear_log():
    ctl("DELETE", "/_fake/requests")


async def within(coro, what, seconds=STEP_DEADLINE):
    try:
        return await asyncio.wait_for(coro, seconds)
    except asyncio.TimeoutError:
        raise Failure("timed out after %s s waiting for %s" % (seconds, what))


def ssws_client(token, **extra):
    cfg = {"orgUrl": FAKE_PROC.base, "token": token}
    cfg.update(extra)
    return Client(cfg)


def pk_client(client_id, private_key, kid=None, scopes=None):
    cfg = {"orgUrl": FAKE_PROC.base, "authorizationMode": "PrivateKey", "clientId": client_id,
           "scopes": scopes or ["okta.apps.read", "okta.apps.manage", "okta.apiTokens.read"],
           "privateKey": private_key}
    if kid:
        cfg["kid"] = kid
    return Client(cfg)


def api_error(err, status, code, what):
    check(isinstance(err, OktaAPIError), "%s: expected an OktaAPIError, got %r" % (what, err))
    check(err.status == status and err.error_code == code,
          "%s: expected HTTP %s %s, got %s %s (%s)" % (what, status, code, err.status, err.error_code,
                                                       err.error_summary))
    return err


def new_rsa():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pn = key.public_key().public_numbers()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return key, pem, {"kty": "RSA", "e": uint_b64u(pn.e), "n": uint_b64u(pn.n), "use": "sig", "alg": "RS256"}


def sign_assertion(key, claims, kid=None):
    header = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64u(sig)


def assertion_claims(client_id, aud=None, exp_in=300, jti=True):
    now = int(time.time())
    c = {"iss": client_id, "sub": client_id, "aud": aud or FAKE_PROC.base + "/oauth2/v1/token",
         "iat": now, "exp": now + exp_in}
    if jti:
        c["jti"] = str(uuid.uuid4())
    return c


def token_request(assertion, scope="okta.apps.read"):
    return http("POST", "/oauth2/v1/token", form={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


def rsa_jwk_request(pub, kid, status):
    """The SDK's typed AddJwkRequest can only hold OAuth2ClientJsonSigningKeyRequest, which has no
    e/n fields; wrap the SDK's own RSA request model without oneOf validation so e/n are sent."""
    return AddJwkRequest.model_construct(actual_instance=OAuth2ClientJsonWebKeyRsaRequest(
        kty="RSA", alg="RS256", use="sig", kid=kid, status=status, e=pub["e"], n=pub["n"]))


# ---- the proof ---------------------------------------------------------------------------------
async def prove():
    secrets_seen = []          # every credential value; none may appear in the fake's stderr

    # --- console-made tokens ---------------------------------------------------------------
    admin = ctl("POST", "/_fake/tokens", {"name": "aegis-admin", "admin": True})
    extra = [ctl("POST", "/_fake/tokens", {"name": "rotate-%d" % i, "admin": True}) for i in range(4)]
    ops = ctl("POST", "/_fake/tokens", {"name": "ops-readonly", "admin": False})
    secrets_seen += [admin["value"], ops["value"]] + [t["value"] for t in extra]
    check(all(len(t["value"]) == 42 and t["value"].startswith("00") for t in [admin, ops] + extra),
          "console-made token values should be 42 chars starting with '00'")
    check(all(re.fullmatch(r"00T[A-Za-z0-9]{17}", t["id"]) for t in [admin, ops] + extra),
          "token ids should look like Okta's (00T + 17 chars)")
    ok("POST /_fake/tokens mints Okta-looking tokens (42 chars, '00' prefix; ids 00T + 17 chars)")
    listed = ctl("GET", "/_fake/tokens")
    check(all("value" not in t for t in listed) and len(listed) == 6, "GET /_fake/tokens must never show values")
    ok("GET /_fake/tokens lists id/name/revoked/userId and never a value")

    # --- users/me -----------------------------------------------------------------------------
    ca = ssws_client(admin["value"])
    clear_log()
    user, resp, err = await within(ca.get_user("me"), "SDK get_user('me') with the admin token")
    check(err is None, "get_user('me') with a console-made token failed: %r" % err)
    check(user.id == admin["userId"] and user.profile.login == "admin@example.com" and user.status == "ACTIVE",
          "users/me should be the token's user, got id=%s login=%s" % (user.id, user.profile.login))
    log = requests_log()
    check(log[-1]["path"] == "/api/v1/users/me" and log[-1]["auth"] == "ssws" and log[-1]["ssws_space"] is False,
          "expected the SDK's generated call to send 'SSWS<token>' (no space), log: %s" % log[-1])
    ok("SDK get_user('me') with a console-made SSWS token -> 200 user (id, status, profile.login) "
       "[the SDK's generated API methods send 'Authorization: SSWS<token>' WITHOUT a space; accepted]")

    ex = ca.get_request_executor()
    req, err = await within(ex.create_request("GET", "/api/v1/users/me", None, {}), "executor.create_request")
    check(err is None, "create_request failed: %r" % err)
    res, body, err = await within(ex.execute(req), "executor GET /api/v1/users/me")
    check(err is None and res.status == 200 and json.loads(body)["id"] == admin["userId"],
          "executor users/me failed: %s %r" % (getattr(res, "status", None), err))
    check(requests_log()[-1]["ssws_space"] is True, "the executor's default header should be 'SSWS <token>'")
    ok("SDK RequestExecutor default header 'SSWS <token>' (with a space) is accepted too")

    bogus = "00" + secrets.token_urlsafe(30)[:40]
    cb = ssws_client(bogus)
    _, _, err = await within(cb.get_user("me"), "SDK get_user('me') with a random token")
    e = api_error(err, 401, "E0000011", "users/me with a random token")
    check(e.error_summary == "Invalid token provided" and e.error_link == "E0000011"
          and re.fullmatch(r"oae[A-Za-z0-9_-]{22}", e.error_id) and e.error_causes == [],
          "E0000011 body fields wrong: %s" % e.message)
    st, hd, raw = http("GET", "/api/v1/users/me", headers={"Authorization": "SSWS " + bogus})
    check(st == 401 and hd.get("Content-Type") == "application/json" and raw["errorCode"] == "E0000011",
          "raw 401 should be application/json E0000011")
    ok("random token -> SDK surfaces OktaAPIError 401 E0000011 'Invalid token provided' "
       "(errorLink E0000011, errorId oae..., errorCauses [], application/json)")

    st, _, _ = http("GET", "/api/v1/users/me")
    check(st == 401, "no Authorization header should be 401")
    ok("no Authorization header -> 401 E0000011")

    # --- list + paging --------------------------------------------------------------------------
    ctl("POST", "/_fake/config", {"page_size_default": 2})
    tokens, resp, err = await within(ca.list_api_tokens(), "SDK list_api_tokens()")
    check(err is None and len(tokens) == 2, "list_api_tokens first page: err=%r n=%s" % (err, tokens and len(tokens)))
    t0 = tokens[0]
    check(t0.id == admin["id"] and t0.name == "aegis-admin" and t0.user_id == admin["userId"]
          and t0.client_name == "Okta API" and t0.token_window == "P30D" and t0.expires_at and t0.created,
          "ApiToken fields did not deserialize: %r" % t0)
    base = FAKE_PROC.base
    st, hd, _ = http("GET", "/api/v1/api-tokens", headers={"Authorization": "SSWS " + admin["value"]})
    links = hd.get_all("Link")
    check(st == 200 and links == ['<%s/api/v1/api-tokens?limit=2>; rel="self"' % base,
                                  '<%s/api/v1/api-tokens?after=%s&limit=2>; rel="next"' % (base, tokens[1].id)],
          "Link headers not as Okta sends them: %s" % links)
    ok("SDK list_api_tokens() -> List[ApiToken] (id, name, userId, clientName, tokenWindow, expiresAt, created); "
       "the wire has two Link header lines: <...?limit=2>; rel=\"self\" then <...?after=<lastId>&limit=2>; rel=\"next\"")
    check(isinstance(resp.headers, dict) and resp.headers.get("Link", "").endswith('rel="next"'),
          "expected the SDK's ApiResponse.headers to keep only the last Link line: %r" % resp.headers.get("Link"))
    cursor = PaginationHelper.extract_next_cursor(resp.headers)
    check(cursor == tokens[1].id, "SDK PaginationHelper should find the after cursor, got %r" % cursor)
    ok("SDK 3.4.6: list_api_tokens() takes no limit/after/q; its ApiResponse.headers is a plain dict keeping only the "
       "LAST Link line (rel=next, since Okta sends self first), from which PaginationHelper.extract_next_cursor() "
       "gets the cursor")

    clear_log()
    req, err = await within(ex.create_request("GET", "/api/v1/api-tokens?limit=2", None, {}), "create_request")
    check(err is None, "create_request failed: %r" % err)
    req_info, res, body, err = await within(ex.fire_request(req), "executor GET /api/v1/api-tokens?limit=2")
    check(err is None and res.status == 200, "first page failed: %r" % err)
    page = OktaAPIResponse(ex, req_info, res, body, None)
    ids, pages = [t["id"] for t in page.get_body()], 1
    while page.has_next():
        nxt, err = await within(page.next(), "OktaAPIResponse.next() following rel=next")
        check(err is None, "next page failed: %r" % err)
        ids += [t["id"] for t in nxt]
        pages += 1
        check(pages < 10, "paging does not terminate")
    active = [t["id"] for t in ctl("GET", "/_fake/tokens") if not t["revoked"]]
    check(ids == active and pages == 3, "paging collected %s over %d pages, expected %s over 3" % (ids, pages, active))
    q = [(l["query"], l["status"]) for l in requests_log()]
    check(q == [("limit=2", 200), ("after=%s&limit=2" % ids[1], 200), ("after=%s&limit=2" % ids[3], 200)],
          "paging requests wrong: %s" % q)
    ok("SDK OktaAPIResponse follows Link rel=\"next\" (after=<lastId>&limit=2) across 3 pages: all %d active "
       "tokens, in creation order, no duplicates; the last page has no rel=next" % len(ids))

    ctl("POST", "/_fake/config", {"page_size_default": 20})
    tokens, _, err = await within(ca.list_api_tokens(), "list_api_tokens (default page size)")
    check(err is None and len(tokens) == 6, "default page should hold all 6 tokens")
    ok("default page size 20 (Okta's default): one page with all tokens")

    # --- get by id / not found --------------------------------------------------------------
    tok, _, err = await within(ca.get_api_token(extra[0]["id"]), "SDK get_api_token(id)")
    check(err is None and tok.id == extra[0]["id"] and tok.name == "rotate-0", "get_api_token failed: %r" % err)
    ok("SDK get_api_token(id) -> 200 ApiToken")
    missing = "00Tnotthere123456789"
    _, _, err = await within(ca.get_api_token(missing), "SDK get_api_token(unknown)")
    e = api_error(err, 404, "E0000007", "get_api_token(unknown id)")
    check(e.error_summary == "Not found: Resource not found: %s (Token)" % missing, "404 summary: %s" % e.error_summary)
    ok("unknown token id -> 404 E0000007 'Not found: Resource not found: <id> (Token)' (real Okta's wording)")

    # --- non-super-admin --------------------------------------------------------------------
    co = ssws_client(ops["value"])
    user, _, err = await within(co.get_user("me"), "get_user('me') as the non-admin")
    check(err is None and user.profile.login == "operator@example.com", "non-admin users/me failed: %r" % err)
    tokens, _, err = await within(co.list_api_tokens(), "list_api_tokens as the non-admin")
    check(err is None and [t.id for t in tokens] == [ops["id"]], "non-admin should list only its own token")
    _, err = await within(co.revoke_api_token(extra[0]["id"]), "revoke another's token as the non-admin")
    api_error(err, 403, "E0000006", "non-admin revoking another user's token")
    ok("non-super-admin token: users/me 200, list shows only its own token, revoking another's -> 403 E0000006")

    # --- revoke by id ---------------------------------------------------------------------------
    victim = extra[0]
    cv = ssws_client(victim["value"])
    _, _, err = await within(cv.get_user("me"), "victim users/me before revocation")
    check(err is None, "victim token should work before revocation")
    clear_log()
    result = await within(ca.revoke_api_token(victim["id"]), "SDK revoke_api_token(id)")
    check(len(result) == 3 and result[2] is None and result[1].status_code == 204,
          "revoke_api_token should give (None, ApiResponse 204, None), got %r" % (result,))
    st, hd, raw = http("GET", "/api/v1/users/me", headers={"Authorization": "SSWS " + victim["value"]})
    check(st == 401 and raw["errorCode"] == "E0000011", "revoked token should be refused")
    _, _, err = await within(cv.get_user("me"), "users/me with the revoked token")
    api_error(err, 401, "E0000011", "users/me with a revoked token")
    _, _, err = await within(ca.get_api_token(victim["id"]), "get_api_token(revoked id)")
    api_error(err, 404, "E0000007", "get_api_token of a revoked token")
    log = requests_log()
    check(log[0]["method"] == "DELETE" and log[0]["path"] == "/api/v1/api-tokens/" + victim["id"]
          and log[0]["status"] == 204, "request log should start with the DELETE: %s" % log[:1])
    ok("SDK revoke_api_token(id) -> 204 (SDK returns (None, ApiResponse(204), None)); the revoked token then gets "
       "401 E0000011 everywhere and its metadata 404")

    # --- revoke current -----------------------------------------------------------------------
    cur = extra[1]
    cc = ssws_client(cur["value"])
    clear_log()
    result = await within(cc.revoke_current_api_token(), "SDK revoke_current_api_token()")
    check(result[1] is not None and result[1].status_code == 204 and result[2] is None,
          "revoke_current_api_token should be 204, got %r" % (result,))
    _, _, err = await within(cc.get_user("me"), "users/me after revoking current")
    api_error(err, 401, "E0000011", "users/me after DELETE /api-tokens/current")
    log = requests_log()
    check([(l["method"], l["path"], l["status"], l["auth"]) for l in log] ==
          [("DELETE", "/api/v1/api-tokens/current", 204, "ssws"), ("GET", "/api/v1/users/me", 401, "ssws")],
          "revoke-current request log wrong: %s" % log)
    check(ctl("GET", "/_fake/tokens")[2]["revoked"] is True, "/_fake/tokens should show the token revoked")
    ok("SDK revoke_current_api_token() (DELETE /api/v1/api-tokens/current) -> 204 and revokes the token that "
       "authenticated it; /_fake/tokens shows revoked=true; request log records method/path/status/auth in order")

    # --- GET /api-tokens/current (fake extension) ---------------------------------------------
    st, _, raw = http("GET", "/api/v1/api-tokens/current", headers={"Authorization": "SSWS " + extra[2]["value"]})
    check(st == 200 and raw["id"] == extra[2]["id"], "GET current should return the caller's token")
    ctl("POST", "/_fake/config", {"get_current_token": False})
    st, _, raw = http("GET", "/api/v1/api-tokens/current", headers={"Authorization": "SSWS " + extra[2]["value"]})
    check(st == 404 and raw["errorSummary"].endswith("current (Token)"), "strict mode GET current should 404")
    ctl("POST", "/_fake/config", {"get_current_token": True})
    ok("GET /api/v1/api-tokens/current -> 200 caller's token [fake extension: no Okta SDK has it; "
       "config get_current_token=false answers the 404 real Okta presumably gives]")

    # --- 204 with a JSON content type (SDK quirk) --------------------------------------------
    throwaway = ctl("POST", "/_fake/tokens", {"name": "quirk", "admin": True})
    secrets_seen.append(throwaway["value"])
    ctl("POST", "/_fake/config", {"json_content_type_on_204": True})
    try:
        outcome = await within(ca.revoke_api_token(throwaway["id"]), "revoke with a JSON-typed 204")
        raised = None
    except Exception as exc:  # the SDK's check_response_for_error json.loads("") raises
        outcome, raised = None, exc
    ctl("POST", "/_fake/config", {"json_content_type_on_204": False})
    check(isinstance(raised, json.JSONDecodeError), "expected the SDK to raise JSONDecodeError, got %r / %r"
          % (raised, outcome))
    st, _, _ = http("GET", "/api/v1/users/me", headers={"Authorization": "SSWS " + throwaway["value"]})
    check(st == 401, "the quirk revoke still happened server-side")
    ok("SDK quirk confirmed: a 204 carrying 'Content-Type: application/json' makes the SDK raise "
       "json.JSONDecodeError (check_response_for_error parses the empty body); the fake's 204s carry no content type")

    # --- rate limits and 5xx ----------------------------------------------------------------
    clear_log()
    ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/api/v1/users/me", "status": 429,
                                "count": 2, "reset_seconds": 1})
    st, hd, raw = http("GET", "/api/v1/users/me", headers={"Authorization": "SSWS " + admin["value"]})
    check(st == 429 and raw["errorCode"] == "E0000047"
          and raw["errorSummary"] == "API call exceeded rate limit due to too many requests."
          and hd["X-Rate-Limit-Remaining"] == "0" and hd["X-Rate-Limit-Limit"] == "600"
          and hd.get("Date"), "429 body/headers wrong: %s %s" % (raw, dict(hd)))
    date = time.mktime(time.strptime(hd["Date"], "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
    check(abs(date - time.time()) < 5 and 0 <= int(hd["X-Rate-Limit-Reset"]) - date <= 2,
          "Date/X-Rate-Limit-Reset not consistent: %s / %s" % (hd["Date"], hd["X-Rate-Limit-Reset"]))
    ok("429: E0000047 'API call exceeded rate limit due to too many requests.', X-Rate-Limit-Limit, "
       "X-Rate-Limit-Remaining: 0, X-Rate-Limit-Reset = Date + reset_seconds, correct Date header")
    t_start = time.monotonic()
    user, _, err = await within(ca.get_user("me"), "SDK get_user('me') through one more 429", 60)
    elapsed = time.monotonic() - t_start
    check(err is None and user.id == admin["userId"], "SDK should retry the 429 and succeed: %r" % err)
    log = [(l["status"], l["retry_count"]) for l in requests_log()]
    check(log == [(429, None), (429, None), (200, "1")], "expected 429,429,200(retry 1), got %s" % log)
    check(elapsed >= 1.0, "the SDK should back off (X-Rate-Limit-Reset - Date + 1 s), took %.2f s" % elapsed)
    ok("SDK retries a 429 after sleeping X-Rate-Limit-Reset - Date + 1 s (%.1f s here) and succeeds; "
       "the retry carries X-Okta-Retry-Count: 1" % elapsed)

    clear_log()
    ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/api/v1/users/me", "status": 429,
                                "count": 3, "reset_seconds": 0})
    _, _, err = await within(ca.get_user("me"), "SDK get_user('me') through 3 x 429", 60)
    api_error(err, 429, "E0000047", "3 x 429 with maxRetries 2")
    log = [(l["status"], l["retry_count"]) for l in requests_log()]
    check(log == [(429, None), (429, "1"), (429, "2")], "expected 3 attempts, got %s" % log)
    ok("429 beyond rateLimit.maxRetries (default 2: 3 attempts) -> SDK surfaces OktaAPIError 429 E0000047")

    clear_log()
    c0 = ssws_client(admin["value"], rateLimit={"maxRetries": 0})
    ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/api/v1/users/me", "status": 429, "count": 1})
    _, _, err = await within(c0.get_user("me"), "get_user with maxRetries 0")
    api_error(err, 429, "E0000047", "429 with maxRetries 0")
    check(len(requests_log()) == 1, "maxRetries 0 must not retry")
    ok("rateLimit.maxRetries=0 -> no retry, the 429 is surfaced at once")

    clear_log()
    ctl("POST", "/_fake/fail", {"method": "*", "path_prefix": "/api/v1/users/me", "status": 503, "count": 1})
    user, _, err = await within(ca.get_user("me"), "get_user through one 503")
    check(err is None and user.id == admin["userId"], "503 should be retried: %r" % err)
    check([l["status"] for l in requests_log()] == [503, 200], "503 then 200 expected")
    clear_log()
    ctl("POST", "/_fake/fail", {"method": "GET", "path_prefix": "/api/v1/users/me", "status": 500, "count": 1})
    _, _, err = await within(ca.get_user("me"), "get_user through one 500")
    e = api_error(err, 500, "E0000009", "500 from the fake")
    check(e.error_summary == "Internal Server Error" and len(requests_log()) == 1, "500 must not be retried")
    ok("503 (with Date + X-Rate-Limit-Reset) is retried at once and succeeds; 500 is not retried: "
       "OktaAPIError 500 E0000009 'Internal Server Error'")

    # --- OAuth service app: JWKS lifecycle --------------------------------------------------
    app = ctl("POST", "/_fake/apps", {"label": "aegis-rotate"})
    app_id, client_id = app["id"], app["client_id"]
    check(re.fullmatch(r"0oa[A-Za-z0-9]{17}", app_id) and client_id == app_id, "app id/client_id look wrong")
    key1, pem1, pub1 = new_rsa()
    key2, pem2, pub2 = new_rsa()

    typed = AddJwkRequest(OAuth2ClientJsonSigningKeyRequest(kty="RSA", alg="RS256", use="sig", kid="key-1",
                                                            status="ACTIVE"))
    _, _, err = await within(ca.add_jwk(app_id, typed), "SDK add_jwk with the typed signing-key model")
    e = api_error(err, 400, "E0000001", "typed add_jwk without n/e")
    check(e.error_causes[0]["errorSummary"] ==
          "RSA key length in the 'jwks' is less than '2,048' bits for the given key.", "cause: %s" % e.error_causes)
    ok("SDK 3.4.6 quirk: add_jwk(AddJwkRequest(OAuth2ClientJsonSigningKeyRequest)) cannot carry n/e (the model "
       "has no such fields) -> 400 E0000001 'Api validation failed: JsonWebKey' / 'RSA key length ... 2,048 ...' "
       "(the same answer real Okta gave in the SDK's recorded cassette)")

    jwk1, resp, err = await within(ca.add_jwk(app_id, rsa_jwk_request(pub1, "key-1", "ACTIVE")), "SDK add_jwk key-1")
    check(err is None and resp.status_code == 201, "add_jwk key-1 failed: %r" % err)
    j1 = jwk1.actual_instance
    check(re.fullmatch(r"pks[A-Za-z0-9]{17}", j1.id) and j1.kid == "key-1" and j1.status == "ACTIVE"
          and j1.created and j1.last_updated, "JWK response fields wrong: %r" % j1)
    raw_keys = http("GET", "/api/v1/apps/%s/credentials/jwks" % app_id,
                    headers={"Authorization": "SSWS " + admin["value"]})[2]
    check(raw_keys[0]["n"] == pub1["n"] and raw_keys[0]["e"] == "AQAB" and raw_keys[0]["use"] == "sig"
          and "deactivate" in raw_keys[0]["_links"], "raw JWK wrong: %s" % raw_keys[0])
    ok("SDK add_jwk (RSA request model, e/n set) -> 201 JWK {id: pks..., kid, kty, alg, use, e, n, status ACTIVE, "
       "created, lastUpdated, _links.deactivate}")

    keys, _, err = await within(ca.list_jwk(app_id), "SDK list_jwk")
    check(err is None and [k.actual_instance.kid for k in keys] == ["key-1"], "list_jwk failed: %r" % err)
    ok("SDK list_jwk -> [JWK] (bare array)")

    # PrivateKey mode, PEM + kid
    clear_log()
    cp1 = pk_client(client_id, pem1, kid="key-1")
    keys, _, err = await within(cp1.list_jwk(app_id), "PrivateKey client (key-1 PEM) list_jwk")
    check(err is None and len(keys) == 1, "PrivateKey list_jwk failed: %r" % err)
    tokens, _, err = await within(cp1.list_api_tokens(), "PrivateKey client list_api_tokens")
    check(err is None and len(tokens) >= 1, "Bearer list_api_tokens failed: %r" % err)
    log = [(l["method"], l["path"], l["status"], l["auth"]) for l in requests_log()]
    check(log == [("POST", "/oauth2/v1/token", 200, "none"),
                  ("GET", "/api/v1/apps/%s/credentials/jwks" % app_id, 200, "bearer"),
                  ("GET", "/api/v1/api-tokens", 200, "bearer")], "PrivateKey flow log wrong: %s" % log)
    ok("SDK authorizationMode 'PrivateKey' (privateKey PEM + config kid) gets a token from POST /oauth2/v1/token "
       "(private_key_jwt, RS256) once, then calls the API with 'Authorization: Bearer <access_token>'")
    _, _, err = await within(cp1.get_user("me"), "Bearer users/me")
    api_error(err, 404, "E0000007", "users/me with a service-app bearer token")
    ok("users/me with a service-app Bearer token -> 404 E0000007 '... me (User)' (no user behind it; fake choice)")

    # rotation: add key-2 inactive, activate it
    jwk2, resp, err = await within(ca.add_jwk(app_id, rsa_jwk_request(pub2, "key-2", "INACTIVE")), "add key-2")
    check(err is None and jwk2.actual_instance.status == "INACTIVE", "add key-2 INACTIVE failed: %r" % err)
    j2 = jwk2.actual_instance
    act, _, err = await within(ca.activate_o_auth2_client_json_web_key(app_id, j2.id), "activate key-2")
    check(err is None and act.actual_instance.status == "ACTIVE", "activate failed: %r" % err)
    keys, _, err = await within(ca.list_jwk(app_id), "list_jwk after activation")
    check([k.actual_instance.status for k in keys] == ["ACTIVE", "ACTIVE"], "both keys should be ACTIVE")
    ok("SDK add_jwk(status INACTIVE) + activate_o_auth2_client_json_web_key -> 200 ACTIVE; two signing keys active")

    result = await within(ca.deletejwk(app_id, j1.id), "delete the ACTIVE key-1")
    err = result[-1]
    e = api_error(err, 400, "E0000001", "deleting an ACTIVE key")
    check(e.error_causes[0]["errorSummary"] ==
          "You can't delete an active JSON Web key. Deactivate the key before deleting it.", "cause wrong")
    ok("deleting an ACTIVE key -> 400 E0000001 'You can't delete an active JSON Web key. Deactivate ...'")

    de, _, err = await within(ca.deactivate_o_auth2_client_json_web_key(app_id, j1.id), "deactivate key-1")
    check(err is None and de.status == "INACTIVE", "deactivate failed: %r" % err)
    _, _, err = await within(ca.deactivate_o_auth2_client_json_web_key(app_id, j2.id), "deactivate the last key")
    e = api_error(err, 400, "E0000001", "deactivating the only active key")
    check("Can't deactivate the only active JSON Web Key" in e.error_causes[0]["errorSummary"], "cause wrong")
    ok("SDK deactivate -> 200 INACTIVE; deactivating the only active key -> 400 E0000001 'Can't deactivate the "
       "only active JSON Web Key when ... private_key_jwt'")

    result = await within(ca.deletejwk(app_id, j1.id), "delete the INACTIVE key-1")
    check(result[-1] is None and result[1].status_code == 204, "deletejwk should be 204: %r" % (result,))
    _, _, err = await within(ca.get_jwk(app_id, j1.id), "get_jwk of the deleted key")
    api_error(err, 404, "E0000007", "get_jwk of a deleted key")
    check(ctl("GET", "/_fake/apps/" + app_id)["keys"] == [{"id": j2.id, "kid": "key-2", "status": "ACTIVE"}],
          "/_fake/apps should show only key-2")
    ok("SDK deletejwk(inactive key) -> 204; get_jwk then 404 E0000007; /_fake/apps/{id} shows only the new key")

    # the new key works (JWK dict form, kid taken from it), the old one is refused
    jwk_priv = JWK.from_pem(pem2.encode()).export_private(as_dict=True)
    jwk_priv["kid"] = "key-2"
    cp2 = pk_client(client_id, jwk_priv)
    keys, _, err = await within(cp2.list_jwk(app_id), "PrivateKey client (key-2 as JWK) list_jwk")
    check(err is None and [k.actual_instance.kid for k in keys] == ["key-2"], "key-2 client failed: %r" % err)
    ok("SDK PrivateKey mode with privateKey as a JWK dict (kid read from it) works with the new key")

    cp_old = pk_client(client_id, pem1, kid="key-1")
    _, _, err = await within(cp_old.list_jwk(app_id), "PrivateKey client with the deleted key-1")
    check(isinstance(err, OktaAPIError) and err.error_code == "invalid_client"
          and err.error_summary == "The client_assertion JWT kid is invalid." and err.status == 401,
          "deleted key should give invalid_client, got %r" % err)
    st, _, raw = token_request(sign_assertion(key1, assertion_claims(client_id), kid="key-2"))
    check(st == 401 and raw == {"error": "invalid_client", "error_description": "The client_assertion signature is invalid."},
          "old key under the new kid should fail the signature: %s %s" % (st, raw))
    st, _, raw = token_request(sign_assertion(key1, assertion_claims(client_id)))
    check(st == 401 and raw["error"] == "invalid_client", "kid-less assertion with the old key should fail")
    ok("after rotation a client assertion signed with the deleted key is refused: SDK gets 401 invalid_client "
       "'The client_assertion JWT kid is invalid.'; under the new kid: 'The client_assertion signature is invalid.'")

    # token endpoint rules (raw)
    good = sign_assertion(key2, assertion_claims(client_id), kid="key-2")
    st, hd, raw = token_request(good)
    check(st == 200 and raw["token_type"] == "Bearer" and raw["expires_in"] == 3600 and raw["scope"] == "okta.apps.read"
          and raw["access_token"] and hd.get("Cache-Control") == "no-store", "token response wrong: %s" % raw)
    secrets_seen.append(raw["access_token"])
    bearer = raw["access_token"]
    st, _, raw = token_request(good)
    check(st == 401 and raw["error"] == "invalid_client", "a replayed jti must be refused")
    ok("token endpoint: 200 {token_type Bearer, expires_in 3600, access_token, scope} + Cache-Control: no-store; "
       "replaying the same assertion (jti) -> 401 invalid_client")
    st, _, raw = token_request(sign_assertion(key2, assertion_claims(client_id), kid=None))
    check(st == 200, "a kid-less assertion is accepted while exactly one key is active: %s" % raw)
    st, _, raw = token_request(sign_assertion(key2, assertion_claims(client_id, aud="https://example.invalid/oauth2/v1/token"),
                                              kid="key-2"))
    check(st == 401 and raw["error_description"] ==
          "The audience claim for client_assertion must be the endpoint invoked for the request.", "aud: %s" % raw)
    st, _, raw = token_request(sign_assertion(key2, assertion_claims(client_id, exp_in=7200), kid="key-2"))
    check(st == 401 and raw["error"] == "invalid_client", "exp 2 h ahead must be refused")
    st, _, raw = token_request(sign_assertion(key2, assertion_claims(client_id, exp_in=-10), kid="key-2"))
    check(st == 401 and raw["error"] == "invalid_client", "an expired assertion must be refused")
    st, _, raw = token_request(sign_assertion(key2, assertion_claims("0oaNOSUCHCLIENT000000"), kid="key-2"))
    check(st == 401 and raw["error"] == "invalid_client", "unknown client must be refused")
    st, _, raw = token_request(sign_assertion(key2, assertion_claims(client_id), kid="key-2"), scope="okta.users.manage")
    check(st == 400 and raw["error"] == "invalid_scope", "ungranted scope must be refused: %s" % raw)
    ok("token endpoint refuses: wrong aud (Okta's text), exp > 1 h ahead, expired, unknown client_id "
       "(invalid_client 401), ungranted scope (invalid_scope 400); a kid-less JWT is accepted with one active key")

    st, _, raw = http("POST", "/api/v1/apps/%s/credentials/jwks" % app_id, body=pub1,
                      headers={"Authorization": "Bearer " + bearer})
    check(st == 403 and raw["errorCode"] == "E0000006", "okta.apps.read token must not add keys: %s" % raw)
    st, _, raw = http("GET", "/api/v1/apps/%s/credentials/jwks" % app_id, headers={"Authorization": "Bearer " + bearer})
    check(st == 200 and len(raw) == 1, "okta.apps.read token may list keys")
    ok("Bearer scopes enforced: okta.apps.read may list JWKs, adding one needs okta.apps.manage (403 E0000006)")

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()
    st, _, raw = http("POST", "/api/v1/apps/%s/credentials/jwks" % app_id,
                      body={"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "small",
                            "e": uint_b64u(small.e), "n": uint_b64u(small.n)},
                      headers={"Authorization": "SSWS " + admin["value"]})
    check(st == 400 and raw["errorCauses"][0]["errorSummary"].startswith("RSA key length"), "1024-bit key: %s" % raw)
    st, _, raw = http("POST", "/api/v1/apps/%s/credentials/jwks" % app_id, body=dict(pub2, kid="key-2"),
                      headers={"Authorization": "SSWS " + admin["value"]})
    check(st == 400 and "unique `kid`" in raw["errorCauses"][0]["errorSummary"], "duplicate kid: %s" % raw)
    st, _, raw = http("GET", "/api/v1/apps/%s/credentials/jwks" % app_id, headers={"Authorization": "SSWS " + ops["value"]})
    check(st == 403 and raw["errorCode"] == "E0000006", "a non-admin must not read app keys")
    ok("JWK validation: RSA < 2048 bits and a duplicate kid -> 400 E0000001 with Okta's causes; non-admin -> 403")

    # --- hygiene ------------------------------------------------------------------------------
    log = requests_log()
    check([l["seq"] for l in log] == sorted(l["seq"] for l in log), "request log must be in order")
    check(all(set(l) == {"seq", "method", "path", "query", "status", "auth", "ssws_space", "retry_count"} for l in log),
          "request log entries carry only method/path/query/status/auth metadata")
    return secrets_seen


def main():
    global FAKE_PROC
    second = None
    try:
        FAKE_PROC = Fake()
        ok("okta_fake.py printed 'LISTENING %d' and serves on 127.0.0.1 (okta SDK %s)" % (FAKE_PROC.port, SDK_VERSION))
        seen = asyncio.run(prove())
        err_text = FAKE_PROC.stderr_text()
        check("okta_fake: GET /api/v1/users/me 200" in err_text, "stderr should log method/path/status")
        check(not any(s in err_text for s in seen), "the fake's stderr must not contain any token value")
        ok("the fake's stderr logs '<METHOD> <path> <status>' lines and contains no token or access-token value")

        FAKE_PROC.proc.stdin.close()
        rc = FAKE_PROC.wait_exit(10, "its stdin reached EOF")
        check(rc == 0, "the fake should exit 0 on stdin EOF, got %s" % rc)
        rest = FAKE_PROC.proc.stdout.read()
        check(rest == b"", "the fake printed more than the LISTENING line on stdout: %r" % rest[:200])
        ok("the fake exits (rc 0) when its stdin reaches EOF, and printed exactly one stdout line")

        second = Fake()
        os.kill(second.proc.pid, signal.SIGTERM)
        rc = second.wait_exit(10, "SIGTERM")
        check(rc == 0, "the fake should exit 0 on SIGTERM, got %s" % rc)
        ok("the fake exits (rc 0) on SIGTERM")
    except Exception as f:  # Failure, or an unexpected SDK/protocol error
        if isinstance(f, Failure):
            print("FAIL: %s" % f, flush=True)
        else:
            import traceback
            traceback.print_exc()
            print("FAIL: unexpected %s: %s" % (type(f).__name__, f), flush=True)
        if FAKE_PROC is not None:
            sys.stderr.write("---- okta_fake.py stderr (tail) ----\n%s\n" % FAKE_PROC.stderr_text()[-3000:])
        return 1
    finally:
        for f in (FAKE_PROC, second):
            if f is not None:
                f.kill()
    print("all Okta facts proven", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
