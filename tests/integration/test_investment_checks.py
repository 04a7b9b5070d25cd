"""Decree 254/2025's checks of public-investment payments through the API and the real workflow:
the project register the office keeps (PUT/GET /v1/projects), the refusals at receipt naming the
field and the figure (Art.6 cl.4–6, Art.9 cl.4–5), the officer's checklist, the year plan checked
again at posting (Art.6 cl.5: refused `over_year_plan` with a written reason) and an advance
recovered by a payment (Art.9 cl.5)."""
from __future__ import annotations

import uuid

import pytest

from chalicelib import clock
from chalicelib.domain.calendar import local_date
from devstack.demo import sample_content
from devstack.samples import investment_terms
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
PROCEDURE = "investment_capital_payment"


def a_project_code() -> str:
    return f"8{uuid.uuid4().int % 10**6:06d}"


def year() -> int:
    return local_date(clock.now()).year


def register(flow: Flow, code: str, total: int, plans: dict[int, dict]) -> dict:
    status, body = flow.api.call("PUT", f"/v1/projects/{code}", {
        "name": f"Dự án thử {code}", "owner_unit": "1012345", "total_investment": total},
        token=flow.officer)
    assert status == 200, body
    for plan_year, plan in plans.items():
        status, body = flow.api.call("PUT", f"/v1/projects/{code}/plans/{plan_year}", plan,
                                     token=flow.officer)
        assert status == 200, body
    return body


def content(flow: Flow, code: str, number: str, amount: int, *, budget_year: int | None = None,
            lines: list | None = None, contract: dict | None = None, **extra) -> dict:
    tag = f"{code}-{number}"
    documents = [flow.upload("investment_decision", f"qd-{tag}.pdf", f"qd {tag}".encode()),
                 flow.upload("capital_plan", f"khv-{tag}.pdf", f"khv {tag}".encode())]
    # What a Decree 254/2025 dossier carries besides (Art.8 cl.1 pt.d-đ, cl.3 pt.a): the contract
    # or estimate summary table, the statement of completed volume and, when a payment recovers
    # an advance, the recovery request (04.b/TT).
    documents += [flow.upload(kind, f"{kind}-{tag}.pdf", f"{kind} {tag}".encode()) for kind in (
        "contract_summary" if contract else "estimate_summary", "completed_volume",
        "advance_recovery_request")]
    extra.setdefault("investment", investment_terms())
    body = sample_content(number, amount, procedure=PROCEDURE, documents=documents,
                          budget_year=budget_year,
                          project={"code": code, "name": f"Dự án thử {code}"},
                          **({"contract": contract} if contract else {}), **extra)
    if lines is not None:
        body["voucher"]["lines"] = [{"content": "Thanh toán khối lượng hoàn thành",
                                     "economic_code": "9301", "sector_code": "072",
                                     "source_code": "13", **line} for line in lines]
    return body


def submit(flow: Flow, body: dict) -> tuple[int, dict]:
    return flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)


def paid(flow: Flow, body: dict) -> dict:
    status, dossier = submit(flow, body)
    assert status == 201, dossier
    assert flow.decide(flow.officer, dossier["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, dossier["dossier_id"], "approve")[0] == 200
    return flow.reaches(dossier["dossier_id"], "paid")


def test_art7_254_the_office_keeps_the_register_and_the_unit_reads_it(flow, tokens):
    code = a_project_code()
    status, err = flow.api.call("PUT", f"/v1/projects/{code}", {
        "name": "x", "owner_unit": "1012345", "total_investment": 1}, token=flow.unit)
    assert (status, err["error"]["code"]) == (403, "role_not_allowed")
    status, err = flow.api.call("PUT", f"/v1/projects/{code}", {
        "name": "x", "owner_unit": "1012345", "total_investment": 1}, token=tokens["kiemsoat.kv2"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    body = register(flow, code, 5_000_000_000, {year(): {
        "allocated": 800_000_000, "extended_from_previous": 150_000_000,
        "advanced_from_next_year": 50_000_000}})
    assert body["total_investment"] == 5_000_000_000 and body["disbursed_to_date"] == 0
    assert body["years"] == [{"year": year(), "disbursed": 0, "advanced": 0, "plan": {
        "allocated": 800_000_000, "extended_from_previous": 150_000_000,
        "advanced_from_next_year": 50_000_000, "total": 1_000_000_000}}]
    status, read = flow.api.call("GET", f"/v1/projects/{code}", token=flow.unit)
    assert (status, read["years"]) == (200, body["years"])
    status, _ = flow.api.call("GET", f"/v1/projects/{code}", token=tokens["ketoan.psg"])
    assert status == 404
    status, err = flow.api.call("PUT", f"/v1/projects/{code}/plans/20x6", {"allocated": 1},
                                token=flow.officer)
    assert (status, err["error"]["field"]) == (422, "year")


def test_art6_cl5_254_payment_beyond_the_year_plan_is_refused_at_receipt(flow, unique):
    code = a_project_code()
    register(flow, code, 100_000_000, {year(): {"allocated": 20_000_000,
                                                "extended_from_previous": 5_000_000,
                                                "advanced_from_next_year": 5_000_000}})
    first = paid(flow, content(flow, code, unique("DT"), 20_000_000))
    status, project = flow.api.call("GET", f"/v1/projects/{code}", token=flow.officer)
    assert project["disbursed_to_date"] == 20_000_000
    assert project["years"][0]["disbursed"] == 20_000_000

    status, err = submit(flow, content(flow, code, unique("DT"), 10_000_001))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "over_year_plan", "content.voucher.total"), err
    assert "30.000.001 đồng" in err["error"]["message"]
    assert "30.000.000 đồng" in err["error"]["message"]
    # Art.6 cl.5: the checklist of the paid dossier reads the same register.
    _, checks = flow.api.call("GET", f"/v1/dossiers/{first['dossier_id']}/checks",
                              token=flow.officer)
    listed = {c["code"]: c for c in checks["checks"]}
    assert listed["within_year_plan"]["passed"] and listed["within_total_investment"]["passed"]


def test_art6_cl5_254_a_year_without_a_recorded_plan_is_refused_saying_so(flow, unique):
    code = a_project_code()
    register(flow, code, 100_000_000, {year() - 1: {"allocated": 50_000_000}})
    status, err = submit(flow, content(flow, code, unique("DT"), 1_000_000))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "no_year_plan", "content.voucher.budget_year"), err
    assert str(year()) in err["error"]["message"]


def test_art6_cl4_254_beyond_the_total_investment_and_unknown_projects_are_refused(flow, unique):
    code = a_project_code()
    register(flow, code, 5_000_000, {year(): {"allocated": 50_000_000}})
    status, err = submit(flow, content(flow, code, unique("DT"), 5_000_001))
    assert (status, err["error"]["code"]) == (422, "over_total_investment"), err
    assert "5.000.000 đồng" in err["error"]["message"]
    status, err = submit(flow, content(flow, a_project_code(), unique("DT"), 1_000))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "unknown_project", "content.voucher.project.code"), err


def test_art6_cl5_254_the_year_plan_is_checked_again_at_posting(flow, unique):
    code = a_project_code()
    register(flow, code, 100_000_000, {year(): {"allocated": 10_000_000}})
    # Both fit the plan at receipt; the first paid uses it, the second is refused at posting.
    status, first = submit(flow, content(flow, code, unique("DT"), 6_000_000))
    assert status == 201, first
    status, second = submit(flow, content(flow, code, unique("DT"), 6_000_000))
    assert status == 201, second
    for d in (first, second):
        assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, first["dossier_id"], "approve")[0] == 200
    flow.reaches(first["dossier_id"], "paid")
    assert flow.decide(flow.leader, second["dossier_id"], "approve")[0] == 200
    refused = flow.reaches(second["dossier_id"], "refused")
    assert refused["result"]["code"] == "over_year_plan"
    assert "12.000.000 đồng" in refused["result"]["reason"]
    assert "10.000.000 đồng" in refused["result"]["reason"]


def test_art6_cl6_and_art9_cl5_254_contract_items_and_the_advance_recovered_by_80_percent(
        flow, unique):
    code = a_project_code()
    register(flow, code, 1_000_000_000, {year(): {"allocated": 500_000_000}})
    contract = {"number": unique("HD"), "date": "2026-02-01", "effective_date": "2026-02-01",
                "value": 100_000_000,
                "advance_rate_percent": 30,
                "items": [{"code": "HM1", "value": 60_000_000},
                          {"code": "HM2", "value": 40_000_000}]}
    advance = paid(flow, content(flow, code, unique("TU"), 20_000_000, contract=contract,
                                 payment_kind="advance",
                                 lines=[{"amount": 20_000_000, "contract_item": "HM1"}]))
    assert advance["result"]["debit_advice"]["amount"] == 20_000_000

    # Art.6 cl.6: an item beyond its value in the contract table, the line named.
    status, err = submit(flow, content(flow, code, unique("TT"), 61_000_000, contract=contract,
                                       lines=[{"amount": 61_000_000, "contract_item": "HM1"}]))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "over_contract_item", "content.voucher.lines[0].amount"), err
    # Art.9 cl.5: a recovery never exceeds the advance still open.
    status, err = submit(flow, content(flow, code, unique("TT"), 50_000_000, contract=contract,
                                       advance_recovery=20_000_001,
                                       lines=[{"amount": 50_000_000, "contract_item": "HM1"}]))
    assert (status, err["error"]["code"]) == (422, "recovery_over_open_advance"), err

    first = paid(flow, content(flow, code, unique("TT"), 50_000_000, contract=contract,
                               advance_recovery=10_000_000,
                               lines=[{"amount": 50_000_000, "contract_item": "HM1"}]))
    # The recovered part converts the advance; only the rest is paid out.
    assert first["result"]["debit_advice"]["amount"] == 40_000_000

    # Reaching 80% of the contract (50 + 30 = 80 million), the recovery must clear the open 10.
    status, err = submit(flow, content(flow, code, unique("TT"), 30_000_000, contract=contract,
                                       advance_recovery=5_000_000,
                                       lines=[{"amount": 30_000_000, "contract_item": "HM2"}]))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "advance_not_recovered", "content.voucher.advance_recovery"), err
    assert "80.000.000 đồng" in err["error"]["message"]
    assert "10.000.000 đồng" in err["error"]["message"]
    last = paid(flow, content(flow, code, unique("TT"), 30_000_000, contract=contract,
                              advance_recovery=10_000_000,
                              lines=[{"amount": 25_000_000, "contract_item": "HM2"},
                                     {"amount": 5_000_000, "percentage_based": True}]))
    assert last["result"]["debit_advice"]["amount"] == 20_000_000
    _, checks = flow.api.call("GET", f"/v1/dossiers/{last['dossier_id']}/checks",
                              token=flow.officer)
    listed = {c["code"]: c for c in checks["checks"]}
    assert {"within_total_investment", "within_year_plan", "advance_within_year_plan",
            "within_contract_items", "advance_recovered_by_80_percent"} <= listed.keys()
    assert listed["advance_recovered_by_80_percent"]["passed"], listed
    _, project = flow.api.call("GET", f"/v1/projects/{code}", token=flow.unit)
    assert project["disbursed_to_date"] == 20_000_000 + 40_000_000 + 20_000_000
