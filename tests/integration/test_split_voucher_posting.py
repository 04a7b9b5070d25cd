"""A split voucher (Mẫu 14 / 18 kiêm nộp NSNN, 347/2025 Art.4 cl.4 pt.h/i, Art.6 cl.3 pt.a)
driven to `paid` on the local stack through the public API: one dossier, the account debited
once for the total, and the stand-in ledger (devstack/ledger.py) booking a budget leg and a payee
leg that add up to it."""
from __future__ import annotations

import boto3
import pytest

from devstack.split_demo import split_content
from tests.integration.test_ledger import CHAPTER, UNIT, account_item, fresh_account

pytestmark = pytest.mark.integration


def submit(flow, content: dict) -> tuple[int, dict]:
    return flow.api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)


def test_art6_cl3_pt_a_a_split_voucher_is_paid_once_and_the_ledger_books_both_parts(
        flow, stack, unique):
    account = fresh_account(stack, unique, 30_000_000)
    content = split_content(unique("SPLIT"), 11_000_000, 1_000_000, unit_code=UNIT,
                            chapter_code=CHAPTER, account=account)
    status, submitted = submit(flow, content)
    assert status == 201, submitted
    dossier_id = submitted["dossier_id"]

    status, checklist = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/checks",
                                      token=flow.officer)
    assert status == 200, checklist
    split = next(c for c in checklist["checks"] if c["code"] == "parts_sum_to_total")
    assert split["passed"] and "nộp NSNN 1.000.000 + thanh toán cho đối tượng thụ hưởng " \
        "10.000.000 = 11.000.000 / 11.000.000 đồng" in split["detail"]

    flow.decide(flow.officer, dossier_id, "accept")
    flow.decide(flow.leader, dossier_id, "approve")
    paid = flow.reaches(dossier_id, "paid")

    advice = paid["result"]["debit_advice"]
    assert (advice["amount"], advice["payee_amount"], advice["budget_payment"]["amount"]) == \
        (11_000_000, 10_000_000, 1_000_000)
    assert advice["budget_payment"]["revenue_account"] == "7111"
    assert account_item(stack, account) == {"balance": 19_000_000, "reserved": 0}

    (entry,) = stack.ledger.entries(dossier_id)              # one debit, for the total
    assert (entry["entry"], entry["amount"], entry["account_id"]) == ("debit", 11_000_000, account)
    legs = stack.ledger.legs(dossier_id)
    assert [(leg["leg"], leg["amount"], leg["credit_account"]) for leg in legs] == \
        [("budget", 1_000_000, "7111"), ("payee", 10_000_000, "0011004455667")]
    assert sum(leg["amount"] for leg in legs) == entry["amount"] == paid["amount"]
    assert {(leg["tax_code"], leg["chapter_code"], leg["economic_code"])
            for leg in legs if leg["leg"] == "budget"} == {("0101234567", "754", "1701")}
    assert all(leg["ledger_reference"] == advice["ledger_reference"] for leg in legs)


def test_art4_cl4_pt_i_a_split_that_does_not_add_up_is_refused_naming_the_field_and_stores_nothing(
        flow, stack, unique):
    account = fresh_account(stack, unique, 30_000_000)
    content = split_content(unique("SPLIT-BAD"), 11_000_000, 1_000_000, unit_code=UNIT,
                            chapter_code=CHAPTER, account=account)
    content["voucher"]["payee"]["amount"] = 9_000_000
    status, body = submit(flow, content)
    assert status == 422, body
    assert (body["error"]["code"], body["error"]["field"]) == \
        ("split_mismatch", "content.voucher.payee.amount")
    assert "11.000.000" in body["error"]["message"]

    content["voucher"]["budget_payment"]["revenue_account"] = "71114"
    content["voucher"]["payee"]["amount"] = 10_000_000
    status, body = submit(flow, content)
    assert (status, body["error"]["code"], body["error"]["field"]) == \
        (422, "invalid_format", "content.voucher.budget_payment.revenue_account")

    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    pages = ddb.get_paginator("scan").paginate(
        TableName=stack.env["TABLE_DOSSIERS"], ConsistentRead=True,
        FilterExpression="account_id = :a", ExpressionAttributeValues={":a": {"S": account}})
    assert sum(page["Count"] for page in pages) == 0      # nothing half-written
    assert account_item(stack, account) == {"balance": 30_000_000, "reserved": 0}
