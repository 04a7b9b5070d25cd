"""The API's promises: who may do what, single-use decisions, idempotent submissions, clear 4xx
errors for bad input, a verifiable audit trail, and no Scan on any request path."""
from __future__ import annotations

import json
import time
import urllib.request

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters import aws
from chalicelib.domain import jsonbody
from devstack.demo import sample_content
from devstack.registration_demo import tk01

pytestmark = pytest.mark.integration


def raw_post(stack, path: str, data: bytes, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(stack.api_url + path, data=data, method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def assert_error(status: int, body: dict, expected_status: int, code: str | None = None):
    assert status == expected_status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code


# --- authentication ---------------------------------------------------------------------------
def claims_like(token: str, **changes) -> dict:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return claims


def moto_pool_key():
    """moto signs every pool's tokens with one key shipped in its package; signing with it lets
    a test build tokens that are genuine except for the one property under test."""
    from moto.utilities.utils import load_resource
    jwk = load_resource("cognitoidp/resources/jwks-private.json")
    return jwt.PyJWK(jwk.get("keys", [jwk])[0] if "keys" in jwk else jwk).key


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda t: None, id="missing"),
    pytest.param(lambda t: "not-a-jwt", id="garbage"),
    pytest.param(lambda t: jwt.encode(claims_like(t), rsa.generate_private_key(
        public_exponent=65537, key_size=2048), algorithm="RS256", headers={"kid": "dummy"}),
        id="forged-signature"),
    pytest.param(lambda t: jwt.encode(claims_like(t, exp=int(time.time()) - 60), moto_pool_key(),
                                      algorithm="RS256", headers={"kid": "dummy"}), id="expired"),
    pytest.param(lambda t: jwt.encode(claims_like(t, aud="another-client"), moto_pool_key(),
                                      algorithm="RS256", headers={"kid": "dummy"}),
                 id="other-audience"),
    pytest.param(lambda t: jwt.encode(claims_like(t, iss="https://evil.example/pool"),
                                      moto_pool_key(), algorithm="RS256",
                                      headers={"kid": "dummy"}), id="other-issuer"),
    pytest.param(lambda t: jwt.encode(claims_like(t, token_use="access"), moto_pool_key(),
                                      algorithm="RS256", headers={"kid": "dummy"}),
                 id="access-token"),
    pytest.param(lambda t: jwt.encode(claims_like(t), None, algorithm="none"), id="alg-none"),
])
def test_a_forged_expired_or_foreign_token_is_401(api, tokens, make_token):
    token = make_token(tokens["ketoan.cva"])
    status, body = api.call("GET", "/v1/dossiers", token=token)
    assert_error(status, body, 401)


def test_the_genuine_token_of_the_same_user_is_accepted(api, tokens):
    status, body = api.call("GET", "/v1/me", token=tokens["ketoan.cva"])
    assert status == 200 and body["unit_id"] == "1012345" and body["roles"] == ["unit_accountant"]


def test_wrong_password_and_unknown_user_look_the_same(api):
    a = api.call("POST", "/v1/auth/token", {"username": "ketoan.cva", "password": "Wrong-pass-1"})
    b = api.call("POST", "/v1/auth/token", {"username": "nobody.here", "password": "Wrong-pass-1"})
    assert a == b and a[0] == 401


# --- decisions --------------------------------------------------------------------------------
def test_a_second_decision_on_the_same_task_is_409(flow, unique):
    d = flow.submit(unique("DUP"))
    task = flow.task(flow.officer, d["dossier_id"])
    path = f"/v1/tasks/{task['task_id']}/decision"
    assert flow.api.call("POST", path, {"decision": "accept"}, token=flow.officer)[0] == 200
    assert_error(*flow.api.call("POST", path, {"decision": "refuse", "reason": "x"},
                                token=flow.officer), 409, "task_already_decided")
    assert flow.dossier(d["dossier_id"])["status"] == "awaiting_approval"


def test_a_decision_by_the_wrong_role_is_403_and_by_another_office_404(flow, tokens, unique):
    d = flow.submit(unique("ROLE"))
    task = flow.task(flow.officer, d["dossier_id"])
    path = f"/v1/tasks/{task['task_id']}/decision"
    assert_error(*flow.api.call("POST", path, {"decision": "accept"}, token=flow.leader),
                 403, "wrong_role")
    # Another office's officer learns nothing: the answer for a task that does not exist.
    assert_error(*flow.api.call("POST", path, {"decision": "accept"},
                                token=tokens["kiemsoat.kv2"]), 404, "task_not_found")
    # A unit user may not decide at all: refused before anything is read, revealing nothing.
    assert_error(*flow.api.call("POST", path, {"decision": "accept"},
                                token=tokens["ketoan.bvdd"]), 403, "role_not_allowed")
    assert flow.api.call("POST", path, {"decision": "accept"}, token=flow.officer)[0] == 200


def test_an_unknown_decision_is_422_and_changes_nothing(flow, unique):
    d = flow.submit(unique("UNK"))
    assert_error(*flow.decide(flow.officer, d["dossier_id"], "approve"), 422,
                 "decision_not_allowed")
    assert flow.task(flow.officer, d["dossier_id"])["state"] == "open"


def test_a_missing_decision_is_required_and_one_of_the_wrong_type_is_invalid_type(flow, unique):
    d = flow.submit(unique("DTYPE"))
    path = f"/v1/tasks/{flow.task(flow.officer, d['dossier_id'])['task_id']}/decision"
    for body, code in (({}, "required"), ({"decision": None}, "required"),
                       ({"decision": ""}, "required"), ({"decision": 12345}, "invalid_type"),
                       ({"decision": ["accept"]}, "invalid_type"),
                       ({"decision": True}, "invalid_type")):
        status, err = flow.api.call("POST", path, body, token=flow.officer)
        assert_error(status, err, 422, code)
        assert err["error"]["field"] == "decision", (body, err)
        assert err["error"]["message"].startswith("Thiếu") == (code == "required"), (body, err)
    assert flow.task(flow.officer, d["dossier_id"])["state"] == "open"
    assert flow.api.call("POST", path, {"decision": "accept"}, token=flow.officer)[0] == 200


def test_a_submission_without_signatures_is_told_they_are_missing(flow, api):
    status, err = flow.api.call("POST", "/v1/dossiers", {"content": sample_content("NOSIG")},
                                token=flow.unit)
    assert_error(status, err, 422, "required")
    assert (err["error"]["field"], err["error"]["message"]) == ("signatures", "Thiếu chữ ký.")
    status, err = flow.api.call("POST", "/v1/dossiers", {"content": sample_content("NOSIG"),
                                                         "signatures": {}}, token=flow.unit)
    assert_error(status, err, 422, "invalid_type")
    assert err["error"]["field"] == "signatures"
    status, err = api.call("POST", "/v1/registrations",
                           {"content": tk01("1800000", prefix="nosig")})
    assert_error(status, err, 422, "required")
    assert err["error"]["field"] == "signatures"


# --- scoping ----------------------------------------------------------------------------------
def test_another_units_dossier_is_not_found_rather_than_forbidden(flow, tokens, unique):
    d = flow.submit(unique("SCOPE"))
    other = tokens["ketoan.bvdd"]
    assert_error(*flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}", token=other),
                 404, "dossier_not_found")
    assert_error(*flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}", token=other), 404)
    assert_error(*flow.api.call("GET", "/v1/dossiers/01ZZZZZZZZZZZZZZZZZZZZZZZZ", token=other),
                 404, "dossier_not_found")
    assert_error(*flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}",
                                token=tokens["kiemsoat.kv2"]), 404)
    _, mine = flow.api.call("GET", "/v1/dossiers", token=other)
    assert d["dossier_id"] not in [x["dossier_id"] for x in mine["items"]]
    _, office = flow.api.call("GET", "/v1/dossiers?limit=200", token=flow.officer)
    assert d["dossier_id"] in [x["dossier_id"] for x in office["items"]]


def test_lists_paginate_with_an_opaque_cursor_that_cannot_cross_units(flow, tokens, unique):
    for _ in range(3):
        flow.submit(unique("PAGE"))
    _, first = flow.api.call("GET", "/v1/dossiers?limit=2", token=flow.unit)
    assert len(first["items"]) == 2 and first["next_cursor"]
    _, second = flow.api.call("GET", f"/v1/dossiers?limit=2&cursor={first['next_cursor']}",
                              token=flow.unit)
    assert not {x["dossier_id"] for x in first["items"]} & {x["dossier_id"] for x in second["items"]}
    assert_error(*flow.api.call("GET", f"/v1/dossiers?cursor={first['next_cursor']}",
                                token=tokens["ketoan.bvdd"]), 400, "invalid_cursor")
    assert_error(*flow.api.call("GET", "/v1/dossiers?cursor=%%%", token=flow.unit), 400,
                 "invalid_cursor")


# --- idempotency ------------------------------------------------------------------------------
def test_the_same_idempotency_key_twice_creates_one_dossier(flow, unique):
    body = flow.signed(sample_content(unique("IDEM")))
    key = {"Idempotency-Key": unique("key-0001")}
    first = flow.api.call("POST", "/v1/dossiers", body, token=flow.unit, headers=key)
    second = flow.api.call("POST", "/v1/dossiers", body, token=flow.unit, headers=key)
    assert first == second and first[0] == 201
    _, listed = flow.api.call("GET", "/v1/dossiers?limit=200", token=flow.unit)
    number = body["content"]["voucher"]["number"]
    assert [x["voucher_number"] for x in listed["items"]].count(number) == 1


def test_the_same_idempotency_key_with_another_body_is_422(flow, unique):
    key = {"Idempotency-Key": unique("key-0002")}
    flow.api.call("POST", "/v1/dossiers", flow.signed(sample_content(unique("A"))),
                  token=flow.unit, headers=key)
    assert_error(*flow.api.call("POST", "/v1/dossiers", flow.signed(sample_content(unique("B"))),
                                token=flow.unit, headers=key), 422, "idempotency_key_reused")


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000,
                                  b""])
def test_malformed_json_is_400(stack, tokens, data):
    assert_error(*raw_post(stack, "/v1/dossiers", data, tokens["ketoan.cva"]), 400,
                 "invalid_json")


def test_an_oversized_body_is_413(stack, tokens):
    # A dossier may be 4 MiB (room for a 5,000-line payee list; docs/payee-lists.md).
    data = json.dumps({"content": "x" * (jsonbody.MAX_SUBMISSION_BYTES + 1)}).encode()
    assert_error(*raw_post(stack, "/v1/dossiers", data, tokens["ketoan.cva"]), 413)


@pytest.mark.parametrize("body, field", [
    ([1, 2], ""),
    ({"content": "x"}, "content"),
    ({"content": {"procedure": 5}}, "content.procedure"),
    ({"content": {"procedure": "no_such_procedure", "voucher": {}}}, "content.procedure"),
    ({"content": {**sample_content("T"), "voucher": {**sample_content("T")["voucher"],
                                                      "total": 1.5}}}, "content.voucher.total"),
    ({"content": {**sample_content("T"), "voucher": {**sample_content("T")["voucher"],
                                                      "total": 10**40}}}, "content.voucher.total"),
    ({"content": sample_content("T", account="9523.1.1023456")}, "content.voucher.payer.account"),
    ({"content": sample_content("T", unit_code="1023456")}, "content.voucher.payer.unit_code"),
    ({"content": sample_content("T", chapter_code="999")}, "content.voucher.payer.chapter_code"),
    ({"content": sample_content("T"), "signatures": "x"}, "signatures"),
])
def test_wrong_types_and_values_are_4xx_naming_the_field(flow, body, field):
    status, err = flow.api.call("POST", "/v1/dossiers", body, token=flow.unit)
    assert 400 <= status < 500, err
    assert_error(status, err, status)
    assert err["error"]["field"] == field


def test_an_officer_cannot_submit(flow):
    assert_error(*flow.api.call("POST", "/v1/dossiers", {"content": sample_content("O")},
                                token=flow.officer), 403, "role_not_allowed")


# --- audit ------------------------------------------------------------------------------------
def test_a_tampered_audit_record_is_detected(flow, stack, unique):
    d = flow.submit(unique("TAMPER"))
    flow.decide(flow.officer, d["dossier_id"], "refuse", "Sai mã chương.")
    flow.reaches(d["dossier_id"], "refused")
    _, intact = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert intact["verification"]["intact"] is True and intact["verification"]["length"] == 2

    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    key = {"dossier_id": {"S": d["dossier_id"]}, "seq": {"N": "2"}}
    item = ddb.get_item(TableName=stack.env["TABLE_AUDIT"], Key=key)["Item"]
    body = json.loads(item["body"]["S"])
    body["reason"] = "Đồng ý thanh toán."
    ddb.update_item(TableName=stack.env["TABLE_AUDIT"], Key=key,
                    UpdateExpression="SET body = :b",
                    ExpressionAttributeValues={":b": {"S": json.dumps(body)}})
    _, tampered = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert tampered["verification"]["intact"] is False
    assert tampered["verification"]["broken_at_seq"] == 2


# --- cost guard -------------------------------------------------------------------------------
def test_no_request_path_scans_a_table(flow, unique):
    seen: list[tuple[str, str]] = []
    remove = aws.observe(lambda service, op: seen.append((service, op)))
    try:
        d = flow.submit(unique("NOSCAN"))
        flow.api.call("GET", "/v1/dossiers?status=under_review", token=flow.unit)
        flow.api.call("GET", "/v1/dossiers", token=flow.officer)
        flow.decide(flow.officer, d["dossier_id"], "accept")
        flow.decide(flow.leader, d["dossier_id"], "approve")
        flow.reaches(d["dossier_id"], "paid")
        flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    finally:
        remove()
    operations = {op for _, op in seen}
    assert {"TransactWriteItems", "StartExecution", "Query"} <= operations  # the hook saw them
    assert "Scan" not in operations


def test_a_wrong_content_type_is_415_in_the_house_error_shape(stack, tokens):
    req = urllib.request.Request(stack.api_url + "/v1/dossiers", data=b"<xml/>", method="POST",
                                 headers={"Authorization": f"Bearer {tokens['ketoan.cva']}",
                                          "Content-Type": "application/xml"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert_error(err.value.code, json.loads(err.value.read()), 415, "unsupported_media_type")


def test_concurrent_decisions_on_one_task_have_exactly_one_winner(flow, unique):
    from concurrent.futures import ThreadPoolExecutor
    d = flow.submit(unique("RACE"))
    task = flow.task(flow.officer, d["dossier_id"])
    path = f"/v1/tasks/{task['task_id']}/decision"
    bodies = [{"decision": "accept"}, {"decision": "refuse", "reason": "r"}] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda b: flow.api.call("POST", path, b, token=flow.officer),
                                bodies))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1 and statuses.count(409) == 7, results
    winner = next(body for status, body in results if status == 200)
    assert flow.dossier(d["dossier_id"])["status"] == winner["status"]
    _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert len(trail["records"]) == 2 and trail["verification"]["intact"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/dossiers/{junk}"), ("GET", "/v1/dossiers/{junk}/audit"),
    ("POST", "/v1/dossiers/{junk}/supplement"), ("POST", "/v1/tasks/{junk}/decision"),
    ("GET", "/v1/accounts/{junk}"),
])
def test_malformed_or_oversized_ids_are_404_never_5xx(flow, method, path):
    for junk in ("x" * 3000, "01ARZ3NDEKTSV4RRFFQ69G5FAV-%27%20OR%201=1", "..%2F..%2Fetc"):
        body = {"decision": "accept"} if "decision" in path else {"content": {}}
        status, err = flow.api.call(method, path.format(junk=junk),
                                    body if method == "POST" else None, token=flow.unit)
        assert 400 <= status < 500, (path, status, err)
        assert_error(status, err, status)
