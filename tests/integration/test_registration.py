"""Form TK01 on the workflow engine: a unit with no logins registers, the office decides, and the
unit's people go on to sign and submit."""
from __future__ import annotations

import pytest

import signtool
from devstack.demo import sample_content
from devstack.registration_demo import run, tk01

pytestmark = pytest.mark.integration


def test_a_new_unit_registers_is_accepted_and_its_first_signed_dossier_is_paid(api, stack):
    outcome = run(api, stack.pki_dir, stack.endpoint_url, stack.env["USER_POOL_ID"], "1056789",
                  "thcg", log=lambda *_: None)
    assert outcome["first_dossier"]["result"]["debit_advice"]["amount"] == 4_000_000
    officer = api.login("kiemsoat.kv1")
    _, registration = api.call("GET", f"/v1/dossiers/{outcome['registration']}", token=officer)
    assert registration["status"] == "registered"
    assert registration["result"]["users"] == ["chutk.thcg", "ketoan.thcg", "ktt.thcg"]
    _, trail = api.call("GET", f"/v1/dossiers/{outcome['registration']}/audit", token=officer)
    assert [r["action"] for r in trail["records"]] == ["submitted", "accept", "activated"]
    assert trail["verification"]["intact"]


def signed_form(stack, unit_id, prefix, **unit_changes):
    stack.pki.issue(f"chutk.{prefix}")
    content = tk01(unit_id, prefix=prefix)
    content["registration"]["unit"].update(unit_changes)
    return signtool.add_signature({"content": content},
                                  (stack.pki_dir / f"chutk.{prefix}.key.pem").read_bytes(),
                                  (stack.pki_dir / f"chutk.{prefix}.cert.pem").read_bytes(),
                                  "account_holder")


def test_an_already_registered_unit_cannot_register_again(api, stack):
    status, err = api.call("POST", "/v1/registrations", signed_form(stack, "1012345", "dup1"))
    assert (status, err["error"]["code"]) == (409, "unit_already_registered")


def test_a_registration_names_an_existing_office(api, stack):
    status, err = api.call("POST", "/v1/registrations",
                           signed_form(stack, "1067890", "nooffice", office_id="KV99"))
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "unknown_office", "content.registration.unit.office_id")


def test_a_tampered_registration_is_refused(api, stack):
    form = signed_form(stack, "1078901", "tamper")
    form["content"]["registration"]["accounts"][0]["opening_balance"] = 10**12
    status, err = api.call("POST", "/v1/registrations", form)
    assert (status, err["error"]["code"]) == (422, "bad_signature")


def test_a_refused_registration_creates_nothing(api, stack):
    form = signed_form(stack, "1089012", "refused")
    status, reg = api.call("POST", "/v1/registrations", form)
    assert status == 201
    officer = api.login("kiemsoat.kv1")
    from devstack.demo import wait_for_status, wait_for_task
    task = wait_for_task(api, officer, reg["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
             {"decision": "refuse", "reason": "Mã ĐVQHNS không khớp quyết định giao dự toán."},
             token=officer)
    wait_for_status(api, officer, reg["dossier_id"], "refused")
    status, err = api.call("POST", "/v1/auth/token",
                           {"username": "ketoan.refused", "password": "Whatever-2026"})
    assert status == 401
    # the unit still does not exist, so it may apply again
    assert api.call("POST", "/v1/registrations", form)[0] == 201


def test_each_procedure_is_submitted_at_its_own_endpoint(api, stack, tokens):
    status, err = api.call("POST", "/v1/dossiers", signed_form(stack, "1090123", "wrong"),
                           token=tokens["ketoan.cva"])
    assert (status, err["error"]["code"]) == (422, "wrong_endpoint")
    status, err = api.call("POST", "/v1/registrations", {"content": sample_content("X")})
    assert (status, err["error"]["code"]) == (422, "wrong_endpoint")


def test_two_forms_for_one_unit_cannot_both_be_activated(api, stack):
    from devstack.demo import wait_for_status, wait_for_task
    officer = api.login("kiemsoat.kv1")
    ids = []
    for prefix in ("twin1", "twin2"):
        form = tk01("1091234", prefix=prefix)
        form["registration"]["accounts"][0]["account_id"] = f"9523.1.{prefix}"
        stack.pki.issue(f"chutk.{prefix}")
        body = signtool.add_signature({"content": form},
                                      (stack.pki_dir / f"chutk.{prefix}.key.pem").read_bytes(),
                                      (stack.pki_dir / f"chutk.{prefix}.cert.pem").read_bytes(),
                                      "account_holder")
        status, reg = api.call("POST", "/v1/registrations", body)
        assert status == 201, reg
        ids.append(reg["dossier_id"])
    outcomes = []
    for dossier_id in ids:
        task = wait_for_task(api, officer, dossier_id)
        api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"},
                 token=officer)
        outcomes.append(wait_for_status(api, officer, dossier_id,
                                        "registered" if not outcomes else "refused"))
    assert outcomes[1]["result"]["reason"] == "Đơn vị đã được đăng ký bởi một hồ sơ khác."


def test_a_form_whose_usernames_or_accounts_are_taken_is_refused_at_once(api, stack):
    form = signed_form(stack, "1092345", "taken")
    form["content"]["registration"]["users"][2]["username"] = "ketoan.cva"
    status, err = api.call("POST", "/v1/registrations", form)
    assert (status, err["error"]["code"]) == (409, "username_taken")
    form = signed_form(stack, "1092345", "taken2")
    form["content"]["registration"]["accounts"][0]["account_id"] = "9523.1.1012345"
    status, err = api.call("POST", "/v1/registrations", form)
    assert (status, err["error"]["code"]) == (409, "account_exists")
