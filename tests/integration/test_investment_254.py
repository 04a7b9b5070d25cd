"""Decree 254/2025's investment procedures through the public API and their own state machines:
one dossier of each down its happy path, an advance with its guarantee, a refusal with its
written reason, and what is refused at receipt (the guarantee above 1 billion đồng, the year-end
deadlines). Version choice by treaty date and budget year (347/2025 Art.15 cl.1) end to end."""
from __future__ import annotations

from datetime import date

import boto3
import pytest

from chalicelib import clock, composition
from chalicelib.domain import catalogue
from chalicelib.domain.calendar import local_date
from devstack.samples import INVESTMENT_254, payment_like
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
OFFICE = "KV1"


def today() -> date:
    return local_date(clock.now())


def volume(flow: Flow, tag: str) -> list[dict]:
    """254/2025 Art.8 cl.3: the statement of completed volume (Mẫu 03.a/TT)."""
    return [flow.upload("completed_volume", f"03a-{tag}.pdf", f"03.a/TT {tag}".encode())]


def post(flow: Flow, body: dict) -> tuple[int, dict]:
    return flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)


def submitted(flow: Flow, body: dict) -> dict:
    status, answer = post(flow, body)
    assert status == 201, answer
    return answer


def big_contract(number: str) -> dict:
    """A contract whose advance (1,200,000,000 đồng) needs a guarantee (254/2025 Art.9 cl.2),
    in effect since the day before yesterday (Art.9 cl.1)."""
    start = date.fromordinal(today().toordinal() - 2).isoformat()
    return {"number": number, "date": start, "effective_date": start, "value": 12_000_000_000,
            "advance_amount": 1_200_000_000}


def machine_of(stack, procedure: str, dossier: dict) -> str:
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url)
    name = catalogue.get_version(procedure, dossier["version"]).workflow_name
    arn = (stack.env["STATE_MACHINE_ARN_PREFIX"] + name).replace(":stateMachine:", ":execution:")
    return sfn.describe_execution(executionArn=f"{arn}:{dossier['dossier_id']}")["stateMachineArn"]


def promised(procedure: str, dossier: dict, kind: str) -> str:
    """The due time the law gives this kind, on the office's own calendar."""
    from chalicelib.services.common import iso, parse_iso
    proc = catalogue.get_version(procedure, "254-2025")
    calendar = composition.services().repo.office_calendar(OFFICE)
    return iso(proc.due_at(parse_iso(dossier["received_at"]), calendar, payment_kind=kind))


@pytest.mark.parametrize("procedure", INVESTMENT_254)
def test_d254_art23_art24_a_payment_of_each_254_procedure_is_paid_within_two_working_days(
        stack, flow, unique, procedure):
    tag = unique("P254")
    d = submitted(flow, payment_like(procedure, tag, documents=volume(flow, tag)))
    assert (d["version"], d["status"]) == ("254-2025", "under_review")
    assert d["due_at"] == promised(procedure, d, "payment")          # 254/2025 Art.12 cl.4
    assert machine_of(stack, procedure, d).endswith(f"{procedure.replace('_', '-')}-254-2025")
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    paid = flow.reaches(d["dossier_id"], "paid")
    assert paid["version"] == "254-2025"


def test_d254_art9_cl2_art12_cl4_an_advance_with_its_guarantee_is_due_in_one_working_day_and_paid(
        stack, flow, unique):
    procedure, tag = "investment_capital_payment", unique("TU254")
    documents = [flow.upload("advance_guarantee", f"bao-lanh-{tag}.pdf", f"guarantee {tag}".encode()),
                 flow.upload("contract_summary", f"02a-{tag}.pdf", f"02.a/TT {tag}".encode())]
    d = submitted(flow, payment_like(procedure, tag, 5_000_000, payment_kind="advance",
                                     contract=big_contract(f"HD-{tag}"), documents=documents))
    assert d["due_at"] == promised(procedure, d, "advance")
    assert d["due_at"] < promised(procedure, d, "payment")
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    flow.reaches(d["dossier_id"], "paid")


def test_d254_art9_cl2_an_advance_above_one_billion_without_its_guarantee_is_refused_naming_it(
        flow, unique):
    tag = unique("NOBL")
    contract_summary = flow.upload("contract_summary", f"02a-{tag}.pdf", tag.encode())
    status, err = post(flow, payment_like("foreign_capital_spending", tag, 5_000_000,
                                          payment_kind="advance", contract=big_contract(f"HD-{tag}"),
                                          documents=[contract_summary]))
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "document_required", "content.documents"), err
    assert "bảo lãnh tạm ứng" in err["error"]["message"]
    assert "1.200.000.000 đồng" in err["error"]["message"]
    assert "1.000.000.000 đồng" in err["error"]["message"]


def test_d254_art9_cl1_an_advance_under_a_contract_not_yet_in_effect_is_refused(flow, unique):
    tag = unique("HLHD")
    contract = dict(big_contract(f"HD-{tag}"), advance_amount=500_000_000,
                    effective_date=date.fromordinal(today().toordinal() + 3).isoformat())
    status, err = post(flow, payment_like("investment_capital_payment", tag, payment_kind="advance",
                                          contract=contract))
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "contract_not_in_effect", "content.voucher.contract.effective_date"), err


def test_d254_art8_cl9_an_incomplete_dossier_is_refused_once_with_the_written_reason(flow, unique):
    tag = unique("TC254")
    d = submitted(flow, payment_like("project_management_costs", tag, documents=volume(flow, tag)))
    task = flow.task(flow.officer, d["dossier_id"])
    assert task["allowed_decisions"] == ["accept", "refuse"]        # no supplement request
    status, err = flow.decide(flow.officer, d["dossier_id"], "refuse")
    assert (status, err["error"]["code"]) == (422, "reason_required")
    reason = "Thiếu bảng phân bổ chi phí quản lý dự án (Mẫu 09/QLDA)."
    assert flow.decide(flow.officer, d["dossier_id"], "refuse", reason)[0] == 200
    done = flow.reaches(d["dossier_id"], "refused")
    assert done["result"]["reason"] == reason


def test_d254_art12_cl2_volume_accepted_after_the_plan_year_is_refused_naming_the_field(flow, unique):
    tag = unique("NT254")
    year = today().year
    body = payment_like("investment_capital_payment", tag, budget_year=year - 1,
                        investment={"accepted_on": date(year, 1, 1).isoformat()},
                        documents=volume(flow, tag))
    status, err = post(flow, body)
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "accepted_after_plan_year", "content.voucher.investment.accepted_on"), err


def test_art15_cl1_pt_c_oda_under_a_treaty_signed_before_25_may_2020_runs_under_11_2020(
        stack, flow, unique):
    tag = unique("ODA10")
    notice = flow.upload("donor_notice", f"tb-{tag}.pdf", tag.encode())
    body = payment_like("oda_recording", tag, documents=[notice])
    body["voucher"]["funding"].update(treaty_signed_on="2019-11-05", estimate="recurrent")
    d = submitted(flow, body)
    assert d["version"] == "11-2020"
    assert machine_of(stack, "oda_recording", d).endswith("oda-recording-11-2020")
    other = payment_like("oda_recording", unique("ODA7"), documents=[notice])
    other["voucher"]["funding"].update(treaty_signed_on="2020-05-25", estimate="recurrent")
    assert submitted(flow, other)["version"] == "347-2025"


def test_art15_cl1_pt_a_budget_2025_spending_through_the_api_on_20_january_and_2_february_2026(
        flow, unique, travel):
    from devstack.demo import sample_content
    travel("2026-01-20T09:00:00+07:00")
    bound = submitted(flow, sample_content(unique("Y25"), budget_year=2025))
    assert bound["version"] == "11-2020"
    travel("2026-02-02T09:00:00+07:00")
    status, err = post(flow, sample_content(unique("Y25L"), budget_year=2025))
    assert (status, err["error"]["code"], err["error"]["field"]) == \
        (422, "budget_year_closed", "content.voucher.budget_year"), err
