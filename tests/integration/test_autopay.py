"""Utility auto-pay on the local stack (347/2025 Art.6 cl.3 pt.a): the signed authorisation is
accepted and put in force; the stand-in provider's bills arrive on the bill queue and are debited
once each (one sent twice); a bill over the balance and a bill after revocation are refused with a
notice to the unit."""
from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

from chalicelib import clock
from devstack import provider
from devstack.demo import wait_for_status, wait_for_task
from devstack.outbox import fetch
from devstack.stack import ROOT
from tests.conftest import eventually

pytestmark = pytest.mark.integration
ACCOUNT = "9523.1.1023456"          # unit 1023456's estimate account (devstack/seed.py)
UNIT_EMAIL_TIMEOUT = 60


def _sqs(stack):
    return boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])


def _balance(api, token) -> int:
    status, account = api.call("GET", f"/v1/accounts/{ACCOUNT}", token=token)
    assert status == 200, account
    return account["balance"]


def _in_force(api, tokens, pki_dir, customer_codes) -> str:
    unit, officer = tokens["ketoan.bvdd"], tokens["kiemsoat.kv1"]
    body = provider.signed_letter(pki_dir, "bvdd", ACCOUNT, customer_codes)
    status, d = api.call("POST", "/v1/dossiers", body, token=unit)
    assert status == 201, d
    task = wait_for_task(api, officer, d["dossier_id"])
    status, answer = api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                              {"decision": "accept"}, token=officer)
    assert status == 200, answer
    done = wait_for_status(api, unit, d["dossier_id"], "registered")
    assert done["result"]["authorisation_id"] == d["dossier_id"]
    return d["dossier_id"]


def _bills(api, token, authorisation_id) -> dict[str, dict]:
    status, auth = api.call("GET", f"/v1/autopay/{authorisation_id}", token=token)
    assert status == 200, auth
    return {b["bill_id"]: b for b in auth["bills"]}


def _decided(api, token, authorisation_id, bill_ids) -> dict[str, dict]:
    return eventually(lambda: (lambda b: b if set(bill_ids) <= set(b) else None)(
        _bills(api, token, authorisation_id)), timeout=UNIT_EMAIL_TIMEOUT)


def test_art6_cl3_pt_a_three_bills_one_sent_twice_are_debited_once_each(
        api, tokens, pki_dir, stack, unique):
    unit = tokens["ketoan.bvdd"]
    codes = [unique("PD")[-12:], unique("PD")[-12:]]
    authorisation_id = _in_force(api, tokens, pki_dir, codes)
    status, listed = api.call("GET", "/v1/autopay", token=unit)
    assert status == 200
    (mine,) = [a for a in listed["items"] if a["authorisation_id"] == authorisation_id]
    assert (mine["status"], mine["debit_account"], mine["provider"]["customer_codes"]) == (
        "in_force", ACCOUNT, codes)

    before = _balance(api, unit)
    tag = unique("HD")
    bills = [provider.bill(authorisation_id, f"{tag}-1", codes[0], 1_250_000, period="2026-03"),
             provider.bill(authorisation_id, f"{tag}-2", codes[1], 480_000, period="2026-03"),
             provider.bill(authorisation_id, f"{tag}-3", codes[0], 1_310_500, period="2026-04")]
    sqs = _sqs(stack)
    for message in (*bills, bills[1]):          # the second bill arrives twice
        provider.send(sqs, message)
    decided = _decided(api, unit, authorisation_id, [b["bill_id"] for b in bills])
    assert {b: v["outcome"] for b, v in decided.items()} == {
        f"{tag}-1": "paid", f"{tag}-2": "paid", f"{tag}-3": "paid"}
    provider.send(sqs, bills[1])                # and once more, after it was paid
    total = 1_250_000 + 480_000 + 1_310_500
    eventually(lambda: _balance(api, unit) == before - total, timeout=UNIT_EMAIL_TIMEOUT)
    assert _bills(api, unit, authorisation_id)[f"{tag}-2"]["amount"] == 480_000
    # One debit advice per bill, the duplicate included, and the signers warned on their topic.
    for bill in bills:
        advice = eventually(lambda bill=bill: fetch("emails", stack.endpoint_url,
                                                     contains=bill["bill_id"]) or None,
                            timeout=UNIT_EMAIL_TIMEOUT)
        assert len(advice) == 1 and "Báo Nợ" in advice[0]["subject"], advice

    def warned() -> list[str]:
        return sorted(a["attributes"]["bill_id"] for a in fetch(
            "alerts", stack.endpoint_url, dossier_id=authorisation_id, kind="autopay"))
    expected = sorted(b["bill_id"] for b in bills)
    eventually(lambda: len(warned()) >= len(expected), timeout=UNIT_EMAIL_TIMEOUT)
    assert warned() == expected
    assert _balance(api, unit) == before - total  # the last duplicate debited nothing
    dlq = sqs.get_queue_url(QueueName="kbnn-autopay-bills-dlq")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_art6_cl2_pt_c_a_bill_over_the_available_balance_is_refused_with_a_notice(
        api, tokens, pki_dir, stack, unique):
    unit = tokens["ketoan.bvdd"]
    code = unique("PD")[-12:]
    authorisation_id = _in_force(api, tokens, pki_dir, [code])
    before = _balance(api, unit)
    bill = provider.bill(authorisation_id, unique("HD"), code, before + 1)
    provider.send(_sqs(stack), bill)
    decided = _decided(api, unit, authorisation_id, [bill["bill_id"]])[bill["bill_id"]]
    assert (decided["outcome"], decided["code"]) == ("refused", "insufficient_balance")
    notice = eventually(lambda: fetch("emails", stack.endpoint_url, contains=bill["bill_id"]) or None,
                        timeout=UNIT_EMAIL_TIMEOUT)
    assert "Từ chối" in notice[0]["subject"] and "không đủ" in notice[0]["body"]
    assert _balance(api, unit) == before


def test_art6_cl3_pt_a_a_bill_after_revocation_is_refused_with_a_notice(
        api, tokens, pki_dir, stack, unique):
    unit, holder = tokens["ketoan.bvdd"], tokens["chutk.bvdd"]
    code = unique("PD")[-12:]
    authorisation_id = _in_force(api, tokens, pki_dir, [code])
    status, err = api.call("POST", f"/v1/autopay/{authorisation_id}/revoke", token=unit)
    assert (status, err["error"]["code"]) == (403, "role_not_allowed")
    status, err = api.call("POST", f"/v1/autopay/{authorisation_id}/revoke", {"reason": " "},
                           token=holder)
    assert (status, err["error"]["code"], err["error"]["field"]) == (422, "reason_required", "reason")
    status, revoked = api.call("POST", f"/v1/autopay/{authorisation_id}/revoke",
                               {"reason": "Chuyển sang ủy nhiệm chi."}, token=holder)
    assert (status, revoked["status"]) == (200, "revoked") and revoked["revoked_at"]
    assert revoked["revocation_reason"] == "Chuyển sang ủy nhiệm chi."
    again = api.call("POST", f"/v1/autopay/{authorisation_id}/revoke", token=holder)
    assert again == (200, revoked)
    # Another unit's authorisation is not found, never "forbidden".
    status, err = api.call("GET", f"/v1/autopay/{authorisation_id}", token=tokens["ketoan.cva"])
    assert (status, err["error"]["code"]) == (404, "authorisation_not_found")

    before = _balance(api, unit)
    bill = provider.bill(authorisation_id, unique("HD"), code, 99_000)
    provider.send(_sqs(stack), bill)
    decided = _decided(api, unit, authorisation_id, [bill["bill_id"]])[bill["bill_id"]]
    assert (decided["outcome"], decided["code"]) == ("refused", "authorisation_revoked")
    notice = eventually(lambda: fetch("emails", stack.endpoint_url, contains=bill["bill_id"]) or None,
                        timeout=UNIT_EMAIL_TIMEOUT)
    assert "thu hồi" in notice[0]["body"]
    assert _balance(api, unit) == before


def test_the_documented_demo_command_pays_three_bills_one_sent_twice_once_each(stack):
    """`python -m devstack.provider demo` (docs/autopay.md), in its own process, pointed at the
    stack by its flags only."""
    env = {k: v for k, v in os.environ.items() if k not in stack.env or k == clock.ENV}
    done = subprocess.run(
        [sys.executable, "-m", "devstack.provider", "--api", stack.api_url, "--moto",
         stack.endpoint_url, "--pki", str(stack.pki_dir), "demo"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and "Traceback" not in done.stderr, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0].endswith(" in_force") and sum(" paid" in line for line in lines) == 3, lines
    before, after = (int(x.replace(",", "").split()[0]) for x in lines[-1][len("balance "):]
                     .split(" -> "))
    assert before - after == 1_250_000 + 480_000 + 1_310_500, lines


def test_the_same_bill_delivered_to_eight_consumers_at_once_is_debited_once(
        api, tokens, pki_dir, stack, unique):
    """The bill's conditional write, not the queue, keeps it single: eight deliveries of one bill
    decided at the same moment (as redelivery under load may) debit the account once."""
    import json
    import threading

    from chalicelib import composition
    from chalicelib.services import autopay as service
    unit = tokens["ketoan.bvdd"]
    code = unique("PD")[-12:]
    authorisation_id = _in_force(api, tokens, pki_dir, [code])
    before = _balance(api, unit)
    body = json.dumps(provider.bill(authorisation_id, unique("HD"), code, 77_000))
    svc = composition.services()
    outcomes, start = [], threading.Barrier(8)

    def deliver():
        start.wait()
        outcomes.append(service.receive_bill(body, repo=svc.repo, store=service.store(svc.config),
                                             mailer=svc.mailer, topics=svc.topics,
                                             now=clock.now()))
    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["paid"] * 8
    assert _balance(api, unit) == before - 77_000
    assert [b["amount"] for b in _bills(api, unit, authorisation_id).values()] == [77_000]
    bill_id = json.loads(body)["bill_id"]
    assert len(fetch("emails", stack.endpoint_url, contains=bill_id)) == 1   # one debit advice


def test_art6_cl3_pt_a_a_revocation_committed_between_reading_and_debiting_refuses_the_bill(
        api, tokens, pki_dir, unique):
    """The debit's transaction requires the authorisation still in force: a revocation that
    commits after the bill was judged (on a stale read) still wins."""
    from chalicelib import composition
    from chalicelib.adapters.models import AutopayBill
    from chalicelib.domain.changes import Add
    from chalicelib.services import autopay as service
    code = unique("PD")[-12:]
    authorisation_id = _in_force(api, tokens, pki_dir, [code])
    svc = composition.services()
    store = service.store(svc.config)
    account = svc.repo.account(ACCOUNT)              # read while still in force...
    before = int(account.balance)
    assert store.revoke(authorisation_id, "test", "2026-04-02T01:00:00Z", None)   # ...revoked
    bill_id = unique("HD")
    record = AutopayBill(AutopayBill.key(f"{provider.PROVIDER['tax_code']}#{bill_id}"),
                         bill_id=bill_id, authorisation_id=authorisation_id, unit_id="1023456",
                         amount=5_000, bill={}, decided_at="2026-04-02T01:00:00Z", outcome="paid")
    outcome = store.decide(record, account=account, account_changes={"balance": Add(-5_000)},
                           authorisation_exists=True)
    assert (outcome.committed, outcome.bill_existed) == (False, False)
    assert store.bill(f"{provider.PROVIDER['tax_code']}#{bill_id}") is None
    assert int(svc.repo.account(ACCOUNT).balance) == before
