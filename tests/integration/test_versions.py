"""Procedures are versioned by law: a dossier is bound at receipt to the version in force and
finishes on that version's own state machine, whatever comes into force later."""
from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from chalicelib import composition
from chalicelib.domain.commands import Submit
from chalicelib.domain.commands import parse as command
from chalicelib.domain.errors import InvalidField
from chalicelib.services import dossiers
from devstack.demo import sample_content

pytestmark = pytest.mark.integration


def receive_on(stack, tokens, flow, when: datetime, number: str, budget_year: int) -> dict:
    """Submit as if received at `when` (the service takes the receipt time as an argument)."""
    svc = composition.services()
    unit = svc.verifier.verify(tokens["ketoan.cva"])
    content = sample_content(number, budget_year=budget_year)
    status, body = dossiers.submit(unit, command(Submit, flow.signed(content)), None,
                                   repo=svc.repo,
                                   workflows=svc.workflows, config=svc.config, store=svc.documents, now=when)
    assert status == 201, body
    return body


def execution_machine(stack, dossier_id: str, version: str) -> str:
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url)
    machine = stack.env["STATE_MACHINE_ARN_PREFIX"] + f"regular-spending-payment-{version}"
    arn = machine.replace(":stateMachine:", ":execution:") + f":{dossier_id}"
    return sfn.describe_execution(executionArn=arn)["stateMachineArn"]


def test_art15_cl1_pt_b_a_dossier_received_under_decree_11_2020_finishes_under_it(
        stack, tokens, flow, unique):
    old = receive_on(stack, tokens, flow, datetime(2025, 12, 31, 3, 0, tzinfo=UTC), unique("OLD"), 2025)
    new = receive_on(stack, tokens, flow, datetime(2026, 1, 2, 3, 0, tzinfo=UTC), unique("NEW"), 2026)
    assert (old["version"], new["version"]) == ("11-2020", "347-2025")
    # 31 Dec 2025 is inside the year-end window: two working days, then 1 Jan is a holiday.
    assert old["due_at"] == "2026-01-05T10:00:00Z"
    assert execution_machine(stack, old["dossier_id"], "11-2020").endswith(
        "regular-spending-payment-11-2020")
    for d in (old, new):
        flow.decide(flow.officer, d["dossier_id"], "accept")
        flow.decide(flow.leader, d["dossier_id"], "approve")
        paid = flow.reaches(d["dossier_id"], "paid")
        assert paid["version"] == d["version"]


def test_art15_cl1_pt_a_budget_2025_spending_received_in_january_2026_is_bound_to_decree_11_2020(
        stack, tokens, flow, unique):
    late = receive_on(stack, tokens, flow, datetime(2026, 1, 20, 3, 0, tzinfo=UTC), unique("LATE"),
                      2025)
    current = receive_on(stack, tokens, flow, datetime(2026, 1, 20, 3, 0, tzinfo=UTC),
                         unique("CUR"), 2026)
    assert (late["version"], current["version"]) == ("11-2020", "347-2025")
    assert execution_machine(stack, late["dossier_id"], "11-2020").endswith(
        "regular-spending-payment-11-2020")


@pytest.mark.parametrize("when, year, code", [
    (datetime(2026, 2, 1, 3, 0, tzinfo=UTC), 2025, "budget_year_closed"),
    (datetime(2026, 12, 31, 16, 59, tzinfo=UTC), 2027, "budget_year_not_open"),   # 23:59 Hanoi
])
def test_art15_cl1_pt_a_a_voucher_of_a_budget_year_not_open_on_receipt_is_refused(
        stack, tokens, flow, unique, when, year, code):
    svc = composition.services()
    unit = svc.verifier.verify(tokens["ketoan.cva"])
    content = sample_content(unique("SHUT"), budget_year=year)
    with pytest.raises(InvalidField) as caught:
        dossiers.submit(unit, command(Submit, flow.signed(content)), None, repo=svc.repo,
                        workflows=svc.workflows, config=svc.config, store=svc.documents, now=when)
    assert (caught.value.code, caught.value.field) == (code, "content.voucher.budget_year")


def test_the_catalogue_served_is_the_one_that_generated_the_state_machines(api, stack):
    from workflows import generate
    _, served = api.call("GET", "/v1/procedures")
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url)
    from chalicelib.domain.catalogue import get_version
    for item in served["items"]:
        proc = get_version(item["code"], item["version"])
        arn = stack.env["STATE_MACHINE_ARN_PREFIX"] + proc.workflow_name
        deployed = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        assert generate.render(proc).replace("${TaskQueueUrl}", stack.env["TASK_QUEUE_URL"])\
            .replace("${WorkerQueueUrl}", stack.env["WORKER_QUEUE_URL"]).strip() == deployed.strip()
