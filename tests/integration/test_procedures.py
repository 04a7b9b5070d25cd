"""Every payment-like procedure of the catalogue runs end to end in moto: the happy path, the
refuse path and the supplement path, each on the procedure's own state machine; and each kind of
regular-spending voucher does to the account what its kind says."""
from __future__ import annotations

import pytest

from chalicelib.domain import catalogue
from devstack.samples import INVESTMENT_254, payment_like
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration

CONTRACT = {"number": "HD-07/2026", "date": "2026-02-01", "value": 40_000_000,
            "advance_rate_percent": 50}

# procedure -> the end status of its happy path
PROCEDURES = {"regular_spending_payment": "paid", "investment_capital_payment": "paid",
              "project_management_costs": "paid", "foreign_capital_spending": "paid",
              "oda_recording": "recorded"}


# Per-dossier documents a procedure always requires (its one-time ones are on file in the seed).
ALWAYS_CARRIED = {"oda_recording": "donor_notice",
                  # 254/2025 Art.8 cl.3: a payment of completed volume carries its statement.
                  **{code: "completed_volume" for code in INVESTMENT_254}}


def content(procedure: str, number: str, amount: int = 1_000_000, *, flow: Flow | None = None,
            **extra) -> dict:
    documents = None
    if procedure in ALWAYS_CARRIED:
        kind = ALWAYS_CARRIED[procedure]
        documents = [flow.upload(kind, f"{kind}-{number}.pdf", f"{kind} {number}".encode())]
    return payment_like(procedure, number, amount, documents=documents, **extra)


def submit(flow: Flow, body: dict) -> dict:
    status, answer = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
    assert status == 201, answer
    return answer


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_happy_refuse_and_supplement_paths(flow, unique, procedure):
    end_status = PROCEDURES[procedure]
    happy, refused, supplemented = (submit(flow, content(procedure, unique(tag), flow=flow))
                                    for tag in ("OK", "NO", "SUP"))
    assert happy["procedure"] == procedure and happy["status"] == "under_review"

    # 254/2025 Art.8 cl.9: an investor's incomplete dossier is refused, never sent back.
    takes_supplement = catalogue.get_version(procedure, happy["version"]).supplement_limit > 0
    for d in (happy, supplemented):
        if d is supplemented and not takes_supplement:
            status, err = flow.decide(flow.officer, d["dossier_id"], "request_supplement",
                                      "Bổ sung bảng kê chứng từ.")
            assert (status, err["error"]["code"]) == (422, "decision_not_allowed"), err
        elif d is supplemented:
            status, _ = flow.decide(flow.officer, d["dossier_id"], "request_supplement",
                                    "Bổ sung bảng kê chứng từ.")
            assert status == 200
            flow.reaches(d["dossier_id"], "awaiting_supplement")
            flow.task(flow.unit, d["dossier_id"])
            status, again = flow.api.call(
                "POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                flow.signed(content(procedure, unique("SUP2"), flow=flow)), token=flow.unit)
            assert (status, again["status"]) == (200, "under_review"), again
        assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
        assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    status, _ = flow.decide(flow.officer, refused["dossier_id"], "refuse", "Sai mã dự án.")
    assert status == 200

    assert flow.reaches(refused["dossier_id"], "refused")["result"]["reason"] == "Sai mã dự án."
    for d in (happy, supplemented):
        done = flow.reaches(d["dossier_id"], end_status)
        assert done["version"] == happy["version"]
        _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
        assert trail["verification"]["intact"] is True


def test_a_procedure_refuses_a_voucher_without_its_blocks(flow, unique):
    for procedure, field in (("investment_capital_payment", "content.voucher.project"),
                             ("foreign_capital_spending", "content.voucher.funding")):
        body = content(procedure, unique("BLK"), flow=flow)
        del body["voucher"][field.rsplit(".", 1)[1]]
        status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
        assert (status, err["error"]["field"]) == (422, field), err


def pay(flow: Flow, body: dict, end_status: str) -> dict:
    d = submit(flow, body)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    return flow.reaches(d["dossier_id"], end_status)


def test_an_advance_is_settled_once_without_moving_the_balance_and_never_beyond_it(flow, unique):
    advance = pay(flow, content("regular_spending_payment", unique("ADV"), 10_000_000,
                                payment_kind="advance", contract=CONTRACT), "paid")
    before = flow.balance(advance["account_id"])
    settle = content("regular_spending_payment", unique("STL"), 6_000_000,
                     payment_kind="advance_settlement", related_dossier=advance["dossier_id"])
    settled = pay(flow, settle, "recorded")
    assert settled["result"]["posting_note"]["amount"] == 6_000_000
    assert flow.balance(advance["account_id"]) == before

    too_much = content("regular_spending_payment", unique("STL2"), 5_000_000,
                       payment_kind="advance_settlement", related_dossier=advance["dossier_id"])
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(too_much), token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "over_advance", "content.voucher.total"), err
    assert "4.000.000 đồng" in err["error"]["message"]

    not_an_advance = content("regular_spending_payment", unique("STL3"), 1_000,
                             payment_kind="advance_settlement", related_dossier=settled["dossier_id"])
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(not_an_advance), token=flow.unit)
    assert (status, err["error"]["code"]) == (422, "related_kind_mismatch"), err


def test_a_settlement_in_progress_holds_its_share_of_the_advance_until_refused(flow, unique):
    advance = pay(flow, content("regular_spending_payment", unique("ADV"), 10_000_000,
                                payment_kind="advance", contract=CONTRACT), "paid")
    first = submit(flow, content("regular_spending_payment", unique("R1"), 7_000_000,
                                 payment_kind="advance_settlement",
                                 related_dossier=advance["dossier_id"]))
    # A second one that would not fit beside the first is refused at submission...
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(content(
        "regular_spending_payment", unique("R2"), 7_000_000, payment_kind="advance_settlement",
        related_dossier=advance["dossier_id"])), token=flow.unit)
    assert (status, err["error"]["code"]) == (422, "over_advance")
    # ...and once the first is refused, the room is back.
    flow.decide(flow.officer, first["dossier_id"], "refuse", "Thiếu bảng kê.")
    flow.reaches(first["dossier_id"], "refused")
    pay(flow, content("regular_spending_payment", unique("R3"), 10_000_000,
                      payment_kind="advance_settlement", related_dossier=advance["dossier_id"]),
        "recorded")


def test_a_refund_credits_the_account_and_an_adjustment_moves_nothing(flow, unique):
    paid = pay(flow, content("regular_spending_payment", unique("PAY"), 3_000_000), "paid")
    account = paid["account_id"]
    before = flow.balance(account)
    refund = pay(flow, content("regular_spending_payment", unique("REF"), 500_000,
                               payment_kind="refund"), "recorded")
    assert refund["result"]["credit_advice"]["amount"] == 500_000
    assert flow.balance(account) == before + 500_000

    adjust = pay(flow, content("regular_spending_payment", unique("ADJ"), 3_000_000,
                               payment_kind="adjustment", related_dossier=paid["dossier_id"]),
                 "recorded")
    assert adjust["result"]["posting_note"]["amount"] == 3_000_000
    assert flow.balance(account) == before + 500_000

    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(content(
        "regular_spending_payment", unique("ADJ2"), 2_999_999, payment_kind="adjustment",
        related_dossier=paid["dossier_id"])), token=flow.unit)
    assert (status, err["error"]["code"]) == (422, "adjustment_changes_amount"), err
    status, err = flow.api.call("POST", "/v1/dossiers", flow.signed(content(
        "regular_spending_payment", unique("ADJ3"), 3_000_000, payment_kind="adjustment",
        related_dossier="01J0000000000000000000000Z")), token=flow.unit)
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "unknown_related_dossier", "content.voucher.related_dossier"), err


def test_the_checklist_shows_the_related_advance(flow, unique):
    advance = pay(flow, content("regular_spending_payment", unique("ADV"), 4_000_000,
                                payment_kind="advance", contract=CONTRACT), "paid")
    d = submit(flow, content("regular_spending_payment", unique("STL"), 4_000_000,
                             payment_kind="advance_settlement", related_dossier=advance["dossier_id"]))
    status, checklist = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/checks",
                                      token=flow.officer)
    assert status == 200, checklist
    by_code = {c["code"]: c for c in checklist["checks"]}
    assert by_code["related_dossier"]["passed"] is True
    assert "within_balance" not in by_code   # a settlement moves no money
