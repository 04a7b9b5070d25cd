"""Advances end to end on the local stack (347/2025 Art.6 cl.2 pt.b and pt.e): the advance follows
its contract's rate, a settlement above its advance pays the difference in the same posting, one
below leaves the rest open on the register, and the register tells what is open and how old."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import clock
from chalicelib.domain.calendar import local_date
from devstack.demo import ACCOUNT, sample_content
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
DEPOSIT = "3713.1.1012345"


def this_year() -> int:
    """The budget year the demo vouchers name: the product clock's (devstack.demo.sample_content)."""
    return local_date(clock.now()).year


def contract(number: str, value: int, rate) -> dict:
    return {"number": number, "date": "2026-02-01", "value": value, "advance_rate_percent": rate}


def pay(flow: Flow, body: dict, end_status: str) -> dict:
    status, d = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
    assert status == 201, d
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    return flow.reaches(d["dossier_id"], end_status)


def advance(flow: Flow, unique, amount: int, rate=100) -> dict:
    tag = unique("TU")
    return pay(flow, sample_content(tag, amount, payment_kind="advance",
                                    contract=contract(f"HĐ-{tag}", amount, rate)), "paid")


def settlement(unique, advance_id: str, amount: int, **extra) -> dict:
    return sample_content(unique("TTTU"), amount, payment_kind="advance_settlement",
                          related_dossier=advance_id, **extra)


def register(flow: Flow, token: str, query: str = "") -> tuple[int, dict]:
    return flow.api.call("GET", f"/v1/advances{query}", token=token)


def entry(flow: Flow, advance_id: str) -> dict:
    status, body = register(flow, flow.unit, "?open=false")
    assert status == 200, body
    return next(i for i in body["items"] if i["dossier_id"] == advance_id)


def test_art6_cl2_pt_b_an_advance_follows_its_contract_rate_beyond_the_old_half(flow, unique):
    tag = unique("TU80")
    body = sample_content(tag, 8_000_000, payment_kind="advance",
                          contract=contract(f"HĐ-{tag}", 10_000_000, 80))
    paid = pay(flow, body, "paid")
    assert paid["result"]["debit_advice"]["amount"] == 8_000_000
    over = sample_content(unique("TU81"), 8_000_001, payment_kind="advance",
                          contract=contract(f"HĐ-{tag}", 10_000_000, 80))
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(over), token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "advance_over_limit", "content.voucher.total"), err


def test_art6_cl2_pt_e_settlement_above_advance_pays_the_difference(flow, unique):
    adv = advance(flow, unique, 8_000_000)
    before = flow.balance(ACCOUNT)
    # 9 million spent against 8 advanced, without declaring the 1 million difference: refused
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(
        settlement(unique, adv["dossier_id"], 9_000_000)), token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "over_advance", "content.voucher.total"), err
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(
        settlement(unique, adv["dossier_id"], 9_000_000, difference_to_pay=2_000_000)),
        token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "settlement_difference_mismatch", "content.voucher.difference_to_pay"), err

    done = pay(flow, settlement(unique, adv["dossier_id"], 9_000_000, difference_to_pay=1_000_000),
               "paid")
    # one dossier, one posting: the whole advance converted and the difference debited
    assert done["result"]["settlement"] == {"converted": 8_000_000, "difference": 1_000_000}
    assert done["result"]["debit_advice"]["amount"] == 1_000_000
    assert flow.balance(ACCOUNT) == before - 1_000_000
    row = entry(flow, adv["dossier_id"])
    assert (row["amount"], row["settled"], row["left"]) == (8_000_000, 8_000_000, 0)
    assert row["settlements"] == [{"dossier_id": done["dossier_id"], "status": "paid",
                                   "converted": 8_000_000, "amount": 9_000_000}]
    # nothing left to settle
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(
        settlement(unique, adv["dossier_id"], 100_000)), token=flow.unit)
    assert (status, err["error"]["code"]) == (422, "over_advance"), err


def test_art6_cl2_pt_e_settlement_below_advance_leaves_the_rest_open_on_the_register(flow, unique):
    adv = advance(flow, unique, 10_000_000)
    before = flow.balance(ACCOUNT)
    done = pay(flow, settlement(unique, adv["dossier_id"], 6_000_000), "recorded")
    assert done["result"]["settlement"] == {"converted": 6_000_000, "difference": 0}
    assert flow.balance(ACCOUNT) == before
    row = entry(flow, adv["dossier_id"])
    assert (row["settled"], row["left"], row["age_days"]) == (6_000_000, 4_000_000, 0)
    year = this_year()
    assert (row["budget_year"], row["adjustment_period_ends"]) == (year, f"{year + 1}-01-31")
    status, open_only = register(flow, flow.unit)
    assert status == 200 and adv["dossier_id"] in {i["dossier_id"] for i in open_only["items"]}
    # the rest settles at the next payment, exactly
    pay(flow, settlement(unique, adv["dossier_id"], 4_000_000), "recorded")
    assert entry(flow, adv["dossier_id"])["left"] == 0
    status, open_only = register(flow, flow.unit)
    assert adv["dossier_id"] not in {i["dossier_id"] for i in open_only["items"]}


def test_art6_cl2_pt_b_settlement_within_the_advance_item_group(flow, unique):
    adv = advance(flow, unique, 5_000_000)
    body = settlement(unique, adv["dossier_id"], 5_000_000)
    body["voucher"]["lines"][1]["economic_code"] = "6001"    # salaries: not the advance's group
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "settlement_outside_item_group", "content.voucher.lines[1].economic_code"), err
    body["voucher"]["lines"][1]["economic_code"] = "7001"    # goods: same group as 6551/6605
    pay(flow, body, "recorded")


def test_a_settlement_naming_another_unit_s_advance_is_refused(flow, tokens, unique):
    adv = advance(flow, unique, 1_000_000)
    body = sample_content(unique("TTTU"), 1_000_000, unit_code="1023456", chapter_code="423",
                          account="9523.1.1023456", payment_kind="advance_settlement",
                          related_dossier=adv["dossier_id"])
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(body),
                                token=tokens["ketoan.bvdd"])
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "unknown_related_dossier", "content.voucher.related_dossier"), err


def test_the_register_is_the_unit_s_own_and_its_office_s(flow, tokens, unique):
    adv = advance(flow, unique, 2_000_000)
    status, mine = register(flow, flow.officer, "?unit=1012345")
    assert status == 200 and adv["dossier_id"] in {i["dossier_id"] for i in mine["items"]}
    assert mine["open_total"] == sum(i["left"] for i in mine["items"])
    status, other = register(flow, tokens["ketoan.bvdd"], "?unit=1012345")
    assert status == 200 and other["unit_id"] == "1023456"
    assert adv["dossier_id"] not in {i["dossier_id"] for i in other["items"]}
    status, err = register(flow, tokens["kiemsoat.kv2"], "?unit=1012345")
    assert (status, err["error"]["code"]) == (404, "not_found"), err
    status, err = register(flow, flow.officer)
    assert (status, err["error"]["code"], err["error"]["field"]) == (422, "required", "unit"), err


def test_art6_cl2_pt_e_open_advances_are_flagged_after_the_adjustment_period(flow, travel, unique):
    year = this_year()
    adv = advance(flow, unique, 3_000_000)
    assert entry(flow, adv["dossier_id"])["past_adjustment_period"] is False
    travel(datetime(year + 1, 2, 1, 3, 0, tzinfo=UTC))
    row = entry(flow, adv["dossier_id"])
    assert row["past_adjustment_period"] is True and row["age_days"] > 0
    status, body = register(flow, flow.officer, "?unit=1012345")
    assert status == 200 and body["past_adjustment_period"] >= 1


def test_art6_cl2_pt_b_deposit_accounts_need_no_economic_content_check(flow, unique):
    body = sample_content(unique("TG"), 1_000_000, account=DEPOSIT)
    body["voucher"]["lines"][0]["economic_code"] = "9999"    # not in the catalogue subset
    status, d = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
    assert status == 201, d
    flow.task(flow.officer, d["dossier_id"])
    status, checklist = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/checks",
                                      token=flow.officer)
    assert status == 200, checklist
    check = {c["code"]: c for c in checklist["checks"]}["economic_codes_known"]
    assert (check["passed"], check["required"]) == (True, False)
    assert "tiền gửi" in check["detail"]
    assert all(c["required"] for c in checklist["checks"] if c["code"] != "economic_codes_known")


def test_art6_cl2_pt_e_advances_open_after_the_adjustment_period_are_flagged_to_unit_and_office(
        flow, unique):
    from chalicelib.api import schedules
    year = this_year()
    open_one = advance(flow, unique, 2_500_000)
    settled = advance(flow, unique, 1_500_000)
    pay(flow, settlement(unique, settled["dossier_id"], 1_500_000), "recorded")
    pay(flow, settlement(unique, open_one["dossier_id"], 500_000), "recorded")
    # The daily sweep on 1 February of the next year (02:00 Hanoi): the budget year's period
    # has ended.
    due = datetime(year + 1, 1, 31, 19, 0, tzinfo=UTC)
    event = {"version": "0", "id": "advances", "source": "aws.events", "account": "123456789012",
             "detail-type": "Scheduled Event", "region": "us-east-1", "resources": [],
             "detail": {}, "time": due.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def flags(token: str, dossier_id: str) -> list[dict]:
        status, page = flow.api.call(
            "GET", f"/v1/alerts?rule=advance_open_after_adjustment_period&dossier_id={dossier_id}"
            "&limit=200", token=token)
        assert status == 200, page
        return page["items"]

    def swept() -> bool:   # the advances reach the watch list from their payment.posted events
        schedules.flag_open_advances(event, None)
        return bool(flags(flow.unit, open_one["dossier_id"]))
    eventually(swept, timeout=60)
    schedules.flag_open_advances(event, None)     # a retried run flags nothing twice
    (flag,) = flags(flow.unit, open_one["dossier_id"])
    assert flag["facts"] == {"amount": 2_500_000, "left": 2_000_000, "budget_year": year,
                             "adjustment_period_ends": f"{year + 1}-01-31"}
    assert "Điều 66" in flag["message"] and "2.000.000" in flag["message"]
    assert [f["alert_id"] for f in flags(flow.officer, open_one["dossier_id"])] == [flag["alert_id"]]
    assert flags(flow.unit, settled["dossier_id"]) == []
