"""Signed submissions: every way a signature can be wrong is refused with its own 4xx code, and
certificates are registered, limited and revoked as the treasury's rules say."""
from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

import signtool
from chalicelib import clock, composition
from chalicelib.services import certificates
from devstack.demo import sample_content, signed
from devstack.pki import DemoPKI
from devstack.registration_demo import approve_specimens
from devstack.seed import DEMO_PASSWORD
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration


def keys(pki_dir, name):
    return (pki_dir / f"{name}.key.pem").read_bytes(), (pki_dir / f"{name}.cert.pem").read_bytes()


def sign_as(submission, pki_dir, name, title):
    return signtool.add_signature(submission, *keys(pki_dir, name), title)


def submit(flow, body):
    return flow.api.call("POST", "/v1/dossiers", body, token=flow.unit)


def refused(flow, body, code, field_prefix="signatures"):
    status, err = submit(flow, body)
    assert status == 422, err
    assert err["error"]["code"] == code, err
    assert (err["error"]["field"] or "").startswith(field_prefix), err


def make_user(stack, api, username, roles, unit_id):
    cognito = boto3.client("cognito-idp", endpoint_url=stack.endpoint_url)
    pool = stack.env["USER_POOL_ID"]
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "custom:unit_id", "Value": unit_id}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=DEMO_PASSWORD,
                                    Permanent=True)
    for role in roles:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=role)
    return api.login(username)


def register(api, stack, token, name, title, key_type="rsa"):
    """What a signer does: get a key pair from the CA, prove possession, register."""
    key_path, cert_path = stack.pki.issue(name, key_type=key_type)
    _, me = api.call("GET", "/v1/me", token=token)
    cert = certificates.parse(cert_path.read_text(), "c")
    proof = signtool.sign_content(certificates.registration_challenge(cert.fingerprint, me["sub"]),
                                  key_path.read_bytes(), cert_path.read_bytes(), title)
    return api.call("POST", "/v1/certificates", {"title": title, "certificate": cert.pem,
                                                 "proof": proof["signature"]}, token=token)


# --- every wrong signature, its own code -------------------------------------------------------
def test_a_missing_signature_is_refused(flow, pki_dir, unique):
    body = sign_as({"content": sample_content(unique("S1"))}, pki_dir, "ktt.cva", "chief_accountant")
    refused(flow, body, "signature_missing")


def test_a_certificate_of_another_unit_is_refused(flow, pki_dir, unique):
    body = sign_as({"content": sample_content(unique("S2"))}, pki_dir, "ktt.bvdd", "chief_accountant")
    body = sign_as(body, pki_dir, "chutk.cva", "account_holder")
    refused(flow, body, "certificate_of_another_unit")


def test_a_certificate_registered_for_the_other_title_is_refused(flow, pki_dir, unique):
    body = sign_as({"content": sample_content(unique("S3"))}, pki_dir, "chutk.cva", "chief_accountant")
    body = sign_as(body, pki_dir, "ktt.cva", "account_holder")
    refused(flow, body, "wrong_title")


def test_an_expired_certificate_is_refused(flow, stack, pki_dir, unique):
    now = clock.now()
    stack.pki.issue("expired.cva", not_before=now - timedelta(days=400),
                    not_after=now - timedelta(days=1))
    body = sign_as({"content": sample_content(unique("S4"))}, pki_dir, "expired.cva",
                   "chief_accountant")
    body = sign_as(body, pki_dir, "chutk.cva", "account_holder")
    refused(flow, body, "certificate_expired")


def test_a_certificate_from_an_untrusted_ca_is_refused(flow, pki_dir, tmp_path, unique):
    rogue = DemoPKI.untrusted(tmp_path)
    key, cert = rogue.issue("ktt.cva")
    body = signtool.add_signature({"content": sample_content(unique("S5"))}, key.read_bytes(),
                                  cert.read_bytes(), "chief_accountant")
    body = sign_as(body, pki_dir, "chutk.cva", "account_holder")
    refused(flow, body, "untrusted_ca")


def test_a_signature_over_different_bytes_is_refused(flow, unique):
    body = flow.signed(sample_content(unique("S6")))
    lines = body["content"]["voucher"]["lines"]
    lines[0]["amount"] += 1000   # one line changed after signing (the total still adds up)
    lines[1]["amount"] -= 1000
    refused(flow, body, "bad_signature", "signatures[")


def test_a_signature_made_with_another_key_is_refused(flow, pki_dir, unique):
    content = sample_content(unique("S7"))
    forged = sign_as({"content": content}, pki_dir, "ktt.bvdd", "chief_accountant")
    forged["signatures"][0]["certificate"] = keys(pki_dir, "ktt.cva")[1].decode()
    body = sign_as(forged, pki_dir, "chutk.cva", "account_holder")
    refused(flow, body, "bad_signature", "signatures[")


def test_the_same_person_cannot_sign_as_both_titles(api, stack, pki_dir, tokens, unique):
    token = make_user(stack, api, unique("both"), ["chief_accountant", "account_holder"], "1045678")
    name_c, name_a = unique("both-c"), unique("both-a")
    status_c, cert_c = register(api, stack, token, name_c, "chief_accountant")
    status_a, cert_a = register(api, stack, token, name_a, "account_holder")
    assert (status_c, status_a) == (201, 201)
    approve_specimens(api, pki_dir, submitter=tokens["chutk.dv"], holder="chutk.dv",
                      fingerprints=[cert_c["fingerprint"], cert_a["fingerprint"]],
                      officer=tokens["kiemsoat.cg"])
    content = sample_content(unique("S8"), unit_code="1045678", chapter_code="622",
                             account="9523.1.1045678")
    body = sign_as(sign_as({"content": content}, pki_dir, name_c, "chief_accountant"),
                   pki_dir, name_a, "account_holder")
    status, err = api.call("POST", "/v1/dossiers", body, token=tokens["ketoan.dv"])
    assert (status, err["error"]["code"]) == (422, "same_signer")


def test_a_certificate_revoked_a_moment_before_submission_is_refused(api, stack, pki_dir, tokens,
                                                                     unique):
    name = unique("ktt-dv-2")
    status, cert = register(api, stack, tokens["ktt.dv"], name, "chief_accountant", "ec")
    assert status == 201
    approve_specimens(api, pki_dir, submitter=tokens["chutk.dv"], holder="chutk.dv",
                      fingerprints=[cert["fingerprint"]], officer=tokens["kiemsoat.cg"])
    content = sample_content(unique("S9"), unit_code="1045678", chapter_code="622",
                             account="9523.1.1045678")
    body = sign_as(sign_as({"content": content}, pki_dir, name, "chief_accountant"),
                   pki_dir, "chutk.dv", "account_holder")
    status, _ = api.call("POST", f"/v1/certificates/{cert['fingerprint']}/revoke",
                         {"reason": "Mất thiết bị ký số."}, token=tokens["chutk.dv"])
    assert status == 200
    status, err = api.call("POST", "/v1/dossiers", body, token=tokens["ketoan.dv"])
    assert (status, err["error"]["code"]) == (422, "certificate_revoked")


def test_a_properly_signed_dossier_is_accepted_and_can_be_reverified(flow, unique):
    d = flow.submit(unique("S10"))
    detail = flow.dossier(d["dossier_id"])
    assert {s["title"] for s in detail["signatures"]} == {"chief_accountant", "account_holder"}
    assert {s["signer"] for s in detail["signatures"]} == {"ktt.cva", "chutk.cva"}
    status, check = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/signatures",
                                  token=flow.officer)
    assert status == 200
    assert all(s["signature_valid"] and s["chain_valid_at_receipt"] and s["status_now"] == "active"
               for s in check["signatures"])


def test_a_certificate_not_yet_approved_by_the_treasury_cannot_sign(api, stack, pki_dir, tokens,
                                                                    unique):
    name = unique("ktt-psg-new")
    status, cert = register(api, stack, tokens["ktt.psg"], name, "chief_accountant")
    assert (status, cert["status"]) == (201, "pending")
    content = sample_content(unique("S13"), unit_code="1034567", chapter_code="805",
                             account="9523.1.1034567")
    body = sign_as(sign_as({"content": content}, pki_dir, name, "chief_accountant"),
                   pki_dir, "chutk.psg", "account_holder")
    status, err = api.call("POST", "/v1/dossiers", body, token=tokens["ketoan.psg"])
    assert (status, err["error"]["code"]) == (422, "certificate_pending")


def test_a_change_of_specimens_must_name_the_units_own_pending_certificates(api, pki_dir, tokens):
    import signtool
    foreign = certificates.parse((pki_dir / "ktt.cva.cert.pem").read_text(), "c").fingerprint
    content = {"procedure": "signature_specimens", "specimens": {"approve": [foreign]}}
    body = signtool.add_signature({"content": content}, *keys(pki_dir, "chutk.psg"), "account_holder")
    status, err = api.call("POST", "/v1/dossiers", body, token=tokens["chutk.psg"])
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "certificate_not_pending", "content.specimens.approve[0]")


# --- certificate registration and revocation ---------------------------------------------------
def test_a_certificate_is_registered_only_for_a_title_its_holder_has(api, stack, tokens, unique):
    status, err = register(api, stack, tokens["ktt.cva"], unique("x"), "account_holder")
    assert (status, err["error"]["code"]) == (403, "title_not_held")


def test_registration_needs_proof_of_possession_of_the_key(api, stack, tokens, pki_dir, unique):
    key_path, cert_path = stack.pki.issue(unique("pop"))
    other_key, _ = keys(pki_dir, "ktt.bvdd")
    cert = certificates.parse(cert_path.read_text(), "c")
    _, me = api.call("GET", "/v1/me", token=tokens["ktt.psg"])
    wrong = signtool.sign_content(certificates.registration_challenge(cert.fingerprint, me["sub"]),
                                  other_key, keys(pki_dir, "ktt.bvdd")[1], "chief_accountant")
    status, err = api.call("POST", "/v1/certificates", {"title": "chief_accountant",
                                                        "certificate": cert.pem,
                                                        "proof": wrong["signature"]},
                           token=tokens["ktt.psg"])
    assert (status, err["error"]["code"], err["error"]["field"]) == (422, "bad_signature", "proof")


def test_a_certificate_cannot_be_registered_twice(api, pki_dir, tokens):
    cert = keys(pki_dir, "ktt.psg")[1].decode()
    fingerprint = certificates.parse(cert, "c").fingerprint
    _, me = api.call("GET", "/v1/me", token=tokens["ktt.psg"])
    proof = signtool.sign_content(certificates.registration_challenge(fingerprint, me["sub"]),
                                  *keys(pki_dir, "ktt.psg"), "chief_accountant")
    status, err = api.call("POST", "/v1/certificates", {"title": "chief_accountant",
                                                        "certificate": cert,
                                                        "proof": proof["signature"]},
                           token=tokens["ktt.psg"])
    assert (status, err["error"]["code"]) == (409, "certificate_already_registered")


def test_a_unit_has_at_most_three_chief_accountant_signers(api, stack, unique):
    unit = "1034567"   # has one chief accountant (ktt.psg) already
    results = []
    for i in range(3):
        token = make_user(stack, api, unique(f"ktt{i}"), ["chief_accountant"], unit)
        results.append(register(api, stack, token, unique(f"ktt{i}-cert"), "chief_accountant")[0])
    assert results[:2] == [201, 201]
    assert results[2] == 409


def test_only_the_holder_their_account_holder_or_their_office_may_revoke(api, stack, tokens,
                                                                        unique):
    status, cert = register(api, stack, tokens["ktt.bvdd"], unique("rv"), "chief_accountant")
    path = f"/v1/certificates/{cert['fingerprint']}/revoke"
    reason = {"reason": "Thay đổi nhân sự."}
    assert api.call("POST", path, reason, token=tokens["chutk.psg"])[0] == 404   # another unit
    assert api.call("POST", path, reason, token=tokens["kiemsoat.kv2"])[0] == 404  # another office
    assert api.call("POST", path, reason, token=tokens["phanmem.cva"])[0] == 403  # software
    status, body = api.call("POST", path, reason, token=tokens["kiemsoat.kv1"])
    assert (status, body["status"]) == (200, "revoked")
    assert api.call("POST", path, reason, token=tokens["chutk.bvdd"])[1]["error"]["code"] == \
        "certificate_already_revoked"


def test_a_loaded_crl_revokes_the_certificates_it_lists(api, stack, tokens, unique):
    name = unique("crl")
    status, cert = register(api, stack, tokens["ktt.bvdd"], name, "chief_accountant")
    parsed = certificates.parse((stack.pki_dir / f"{name}.cert.pem").read_text(), "c")
    revoked = certificates.apply_crl(stack.pki.crl_pem([parsed.serial]),
                                     repo=composition.services().repo, now=clock.now())
    assert revoked == [cert["fingerprint"]]
    _, listed = api.call("GET", "/v1/certificates", token=tokens["chutk.bvdd"])
    assert {c["fingerprint"]: c["status"] for c in listed["items"]}[cert["fingerprint"]] == "revoked"


def test_the_demo_flow_signs_with_both_algorithms(pki_dir):
    body = signed(sample_content("ALG"), pki_dir)
    assert sorted(s["algorithm"] for s in body["signatures"]) == ["ES256", "RS256"]


def test_a_signature_under_a_title_the_procedure_does_not_ask_for_is_refused(flow, pki_dir, unique):
    body = flow.signed(sample_content(unique("S11")))
    body["signatures"].append({**body["signatures"][0], "title": "leader"})
    refused(flow, body, "unknown_title")


def test_an_algorithm_that_does_not_match_the_key_is_refused(flow, unique):
    body = flow.signed(sample_content(unique("S12")))
    for entry in body["signatures"]:
        entry["algorithm"] = "RS256" if entry["algorithm"] == "ES256" else "ES256"
    refused(flow, body, "algorithm_mismatch", "signatures[")


def test_an_account_with_a_unit_role_but_no_unit_is_refused_not_guessed(api, stack, unique):
    cognito = boto3.client("cognito-idp", endpoint_url=stack.endpoint_url)
    pool, username = stack.env["USER_POOL_ID"], unique("broken")
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=DEMO_PASSWORD,
                                    Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="unit_accountant")
    token = api.login(username)
    for path in ("/v1/tasks", "/v1/dossiers", "/v1/me"):
        status, err = api.call("GET", path, token=token)
        assert (status, err["error"]["code"]) == (403, "incomplete_profile"), path


# --- treasury decisions --------------------------------------------------------------------------
def test_an_officer_with_a_registered_certificate_signs_every_decision(api, stack, pki_dir, tokens,
                                                                       unique):
    cognito = boto3.client("cognito-idp", endpoint_url=stack.endpoint_url)
    pool, username = stack.env["USER_POOL_ID"], unique("kiemsoat-kv2")
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "custom:office_id", "Value": "KV2"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=DEMO_PASSWORD,
                                    Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="control_officer")
    officer = api.login(username)
    status, cert = register(api, stack, officer, username, "control_officer", "ec")
    assert (status, cert["status"]) == (201, "active")   # treasury titles need no Art. 8 dossier

    unit = Flow(api, tokens, pki_dir, unit="ketoan.psg", officer="kiemsoat.kv2", leader="lanhdao.kv2")
    d = unit.submit(unique("SIGNED-DECISION"), unit_code="1034567", chapter_code="805",
                    account="9523.1.1034567")
    task = unit.task(officer, d["dossier_id"])
    path = f"/v1/tasks/{task['task_id']}/decision"
    status, err = api.call("POST", path, {"decision": "accept"}, token=officer)
    assert (status, err["error"]["code"]) == (422, "decision_signature_required")

    from chalicelib.services.signing import decision_payload
    payload = decision_payload(task["task_id"], "accept", None)
    forged = signtool.sign_content({**payload, "decision": "refuse"}, *keys(pki_dir, username),
                                   "control_officer")
    status, err = api.call("POST", path, {"decision": "accept", "signature": forged}, token=officer)
    assert (status, err["error"]["code"]) == (422, "bad_signature")

    good = signtool.sign_content(payload, *keys(pki_dir, username), "control_officer")
    status, body = api.call("POST", path, {"decision": "accept", "signature": good}, token=officer)
    assert (status, body["status"]) == (200, "awaiting_approval")
    _, trail = api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=officer)
    assert trail["records"][-1]["signature"]["fingerprint"] == cert["fingerprint"]
    assert trail["verification"]["intact"]


def test_a_change_of_specimens_can_be_supplemented_once_then_applied(api, stack, pki_dir, tokens,
                                                                     unique):
    from devstack.demo import wait_for_status, wait_for_task
    name = unique("ktt-sup")
    status, cert = register(api, stack, tokens["ktt.bvdd"], name, "chief_accountant")
    assert status == 201

    def signed_change(approve):
        content = {"procedure": "signature_specimens", "specimens": {"approve": approve}}
        return sign_as({"content": content}, pki_dir, "chutk.bvdd", "account_holder")

    officer, holder = tokens["kiemsoat.kv1"], tokens["chutk.bvdd"]
    status, d = api.call("POST", "/v1/dossiers", signed_change([cert["fingerprint"]]), token=holder)
    assert status == 201, d
    task = wait_for_task(api, officer, d["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
             {"decision": "request_supplement", "reason": "Bổ sung quyết định bổ nhiệm kế toán trưởng."},
             token=officer)
    wait_for_status(api, holder, d["dossier_id"], "awaiting_supplement")
    wait_for_task(api, holder, d["dossier_id"])
    status, body = api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                            signed_change([cert["fingerprint"]]), token=holder)
    assert (status, body["status"]) == (200, "under_review"), body
    task = wait_for_task(api, officer, d["dossier_id"])
    status, err = api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                           {"decision": "request_supplement", "reason": "lần hai"}, token=officer)
    assert (status, err["error"]["code"]) == (409, "supplement_limit_reached")
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"}, token=officer)
    applied = wait_for_status(api, holder, d["dossier_id"], "registered")
    assert applied["result"]["approved"] == [cert["fingerprint"]]
