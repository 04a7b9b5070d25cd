"""Account closing (Decree 347/2025 Art. 9): Mẫu 25 with the reconciliation forms of the account
(Art.9 cl.3), supplement once, accept, closed with Mẫu 25 confirmed (Art.9 cl.2 pt.c); a closed
account takes no payment."""
from __future__ import annotations

from datetime import timedelta

import pytest

import signtool
from chalicelib import clock
from chalicelib.domain.calendar import local_date
from devstack.demo import sample_content, wait_for_status, wait_for_task
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration


def keys(pki_dir, name):
    return (pki_dir / f"{name}.key.pem").read_bytes(), (pki_dir / f"{name}.cert.pem").read_bytes()


def last_month() -> dict:
    end = local_date(clock.now()).replace(day=1) - timedelta(days=1)
    return {"from": end.replace(day=1).isoformat(), "to": end.isoformat()}


MAU_32 = {"form": "32", "rows": [{"line": line, "cells": {"amount": 0}}
                                 for line in ("opening", "increase", "decrease", "closing")]}


def estimate_forms(channel: tuple[str, str] = ("26", "28")) -> list[dict]:
    """An unused estimate account's pair of forms (347/2025 Art.9 cl.3 pt.b-c), all zero."""
    return [{"form": n, "rows": [{"codes": {"A": "12"}, "cells": {}}]} for n in channel]


def closing_body(pki_dir, account_id, reason="Kết thúc dự án, không còn sử dụng.", forms=None):
    content = {"procedure": "account_closing", "closing": {
        "account_id": account_id, "reason": reason, "period": last_month(),
        "forms": [MAU_32] if forms is None else forms}}
    return sign(content, pki_dir)


def sign(content, pki_dir):
    body = signtool.add_signature({"content": content}, *keys(pki_dir, "ktt.bvdd"), "chief_accountant")
    return signtool.add_signature(body, *keys(pki_dir, "chutk.bvdd"), "account_holder")


def open_empty_account(api, pki_dir, tokens, account_id, kind="deposit"):
    content = {"procedure": "signature_specimens",
               "specimens": {"open_accounts": [{"account_id": account_id, "kind": kind}]}}
    body = signtool.add_signature({"content": content}, *keys(pki_dir, "chutk.bvdd"), "account_holder")
    status, d = api.call("POST", "/v1/dossiers", body, token=tokens["chutk.bvdd"])
    assert status == 201, d
    officer = tokens["kiemsoat.kv1"]
    task = wait_for_task(api, officer, d["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"}, token=officer)
    wait_for_status(api, officer, d["dossier_id"], "registered")


def decide(api, token, dossier_id, decision, reason=None):
    task = wait_for_task(api, token, dossier_id)
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    status, answer = api.call("POST", f"/v1/tasks/{task['task_id']}/decision", body, token=token)
    assert status == 200, answer


def test_an_empty_account_is_closed_after_one_supplement_and_then_takes_no_payment(
        api, tokens, pki_dir, unique):
    account = f"3713.9.{unique('x')[2:8]}"
    open_empty_account(api, pki_dir, tokens, account)
    unit, officer = tokens["ketoan.bvdd"], tokens["kiemsoat.kv1"]
    status, d = api.call("POST", "/v1/dossiers", closing_body(pki_dir, account), token=unit)
    assert status == 201, d
    decide(api, officer, d["dossier_id"], "request_supplement", "Bổ sung biên bản đối chiếu số dư.")
    wait_for_status(api, unit, d["dossier_id"], "awaiting_supplement")
    wait_for_task(api, unit, d["dossier_id"])
    status, body = api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                            closing_body(pki_dir, account, "Kết thúc dự án; kèm biên bản đối chiếu."),
                            token=unit)
    assert (status, body["status"]) == (200, "under_review"), body
    decide(api, officer, d["dossier_id"], "accept")
    closed = wait_for_status(api, unit, d["dossier_id"], "closed")
    assert closed["result"]["account_id"] == account
    mau_25 = closed["result"]["confirmed_form"]
    assert (mau_25["form"], mau_25["confirmed_balance"], mau_25["forms"]) == ("25", 0, ["32"])
    assert mau_25["reconciled_to"] == last_month()["to"]
    assert api.call("GET", f"/v1/accounts/{account}", token=unit)[1]["status"] == "closed"

    status, err = api.call("POST", "/v1/dossiers", closing_body(pki_dir, account), token=unit)
    assert (status, err["error"]["code"]) == (409, "account_closed")
    # A payment from it is refused at posting: the guarantee does not rest on any cache. (At
    # submission the account still exists and is the unit's, so the dossier is received.)
    flow = Flow(api, tokens, pki_dir, unit="ketoan.bvdd")
    status, pay = api.call("POST", "/v1/dossiers", flow.signed(sample_content(
        unique("FROM-CLOSED"), 1_000, unit_code="1023456", chapter_code="423", account=account)),
        token=unit)
    assert status == 201, pay
    decide(api, officer, pay["dossier_id"], "accept")
    decide(api, tokens["lanhdao.kv1"], pay["dossier_id"], "approve")
    refused = wait_for_status(api, unit, pay["dossier_id"], "refused")
    assert refused["result"]["code"] == "account_closed"
    _, trail = api.call("GET", f"/v1/dossiers/{pay['dossier_id']}/audit", token=unit)
    assert trail["records"][-1]["action"] == "account_closed"


def test_art9_cl3_an_estimate_account_closes_with_its_pair_of_forms_and_the_checklist_compares_them(
        api, tokens, pki_dir, unique):
    account = f"9523.9.{unique('x')[2:8]}"
    open_empty_account(api, pki_dir, tokens, account, kind="estimate")
    unit, officer = tokens["ketoan.bvdd"], tokens["kiemsoat.kv1"]
    for forms, code in (([], "forms_required"), ([MAU_32], "form_not_for_account"),
                        (estimate_forms(("26", "29")), "forms_mismatch")):
        status, err = api.call("POST", "/v1/dossiers", closing_body(pki_dir, account, forms=forms),
                               token=unit)
        assert (status, err["error"]["code"]) == (422, code), err
    status, d = api.call("POST", "/v1/dossiers",
                         closing_body(pki_dir, account, forms=estimate_forms(("27", "29"))),
                         token=unit)
    assert status == 201, d
    wait_for_task(api, officer, d["dossier_id"])
    status, checklist = api.call("GET", f"/v1/dossiers/{d['dossier_id']}/checks", token=officer)
    assert status == 200 and checklist["checks"][0]["code"] == "form_matches_ledger", checklist
    assert checklist["all_passed"] is True, checklist
    decide(api, officer, d["dossier_id"], "accept")
    closed = wait_for_status(api, unit, d["dossier_id"], "closed")
    assert closed["result"]["confirmed_form"]["forms"] == ["27", "29"]


def test_art9_cl2_pt_c_a_closing_for_a_period_not_over_is_refused_with_the_field(api, tokens,
                                                                               pki_dir):
    body = closing_body(pki_dir, "9523.1.1023456")
    today = local_date(clock.now()).isoformat()
    body["content"]["closing"]["period"] = {"from": today, "to": today}
    status, err = api.call("POST", "/v1/dossiers",
                           sign(body["content"], pki_dir), token=tokens["ketoan.bvdd"])
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "period_not_over", "content.closing.period.to")


def test_a_closing_must_name_the_units_own_account(api, tokens, pki_dir):
    status, err = api.call("POST", "/v1/dossiers", closing_body(pki_dir, "9523.1.1012345"),
                           token=tokens["ketoan.bvdd"])
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "unknown_account", "content.closing.account_id")
