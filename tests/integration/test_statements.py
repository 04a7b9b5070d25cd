"""Reconciliation statements issued by the treasury (Decree 347/2025 Art. 10), through the API and
the real queues: the ledger fed by `balance.changed` events, statements issued on their days from
it, the unit's signed answer, the office's resolution of a dispute, and the confirmation rate.

The statements are of two accounts opened for this module (unit 1012345, office KV1), so that
no other test moves their money; the job is run with an injected `now`, as the daily schedule
would run it on that day."""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import boto3
import pytest
from jsonschema import Draft202012Validator

import signtool
from chalicelib import composition
from chalicelib.adapters import aws
from chalicelib.adapters.models import Account
from chalicelib.domain import statements as rules
from chalicelib.domain.calendar import VN_TZ, local_date
from chalicelib.queues import STATEMENT_JOB_QUEUE, dead_letters
from chalicelib.services import statements
from chalicelib.services.common import parse_iso
from devstack.demo import sample_content
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
LAG = 60   # the pump may still be working through earlier tests' changes
OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "chalicelib" / "openapi.json")
                     .read_text(encoding="utf-8"))


def conforms(schema: str, instance: dict) -> None:
    """The answer is what chalicelib/openapi.json documents."""
    Draft202012Validator({"$ref": f"#/components/schemas/{schema}",
                          "components": OPENAPI["components"]}).validate(instance)


@dataclass
class Books:
    deposit: str
    estimate: str
    opening: dict[str, int]
    postings: list[dict]    # {account, dossier_id, delta, posted_at}


def at(day: date) -> datetime:
    """01:00 local time on `day`: when the daily schedule runs."""
    return datetime.combine(day, time(1), tzinfo=VN_TZ)


def run(now: datetime, periods: list[str] | None = None) -> dict:
    return statements.generate_due(now, store=composition.services().statements, periods=periods)


@pytest.fixture(scope="module")
def books(stack, api, tokens, pki_dir) -> Books:
    """Two fresh accounts; payments and a refund posted through the whole workflow; the ledger
    has every balance change."""
    store = composition.services().statements
    tag = f"{uuid.uuid4().int % 10**6:06d}"
    deposit, estimate = f"3713.7.{tag}", f"9523.7.{tag}"
    opening = {deposit: 40_000_000, estimate: 900_000_000}
    for account, kind in ((deposit, "deposit"), (estimate, "estimate")):
        Account(f"ACCOUNT#{account}", account_id=account, unit_id="1012345", kind=kind,
                balance=opening[account]).save()
    flow = Flow(api, tokens, pki_dir)
    plan = [(deposit, 3_000_000, "payment"), (deposit, 1_500_000, "payment"),
            (deposit, 700_000, "refund"), (estimate, 2_000_000, "payment")]
    submitted = []
    for account, amount, kind in plan:
        body = flow.signed(sample_content(f"DC-{tag}-{len(submitted)}", amount, account=account,
                                          payment_kind=kind))
        status, d = api.call("POST", "/v1/dossiers", body, token=flow.unit)
        assert status == 201, d
        submitted.append((account, d["dossier_id"]))
    postings = []
    for account, dossier_id in submitted:
        assert flow.decide(flow.officer, dossier_id, "accept")[0] == 200
        assert flow.decide(flow.leader, dossier_id, "approve")[0] == 200
        done = eventually(lambda d=dossier_id: (x := flow.dossier(d))["status"]
                          in ("paid", "recorded") and x, timeout=LAG)
        advice = done["result"].get("debit_advice") or done["result"]["credit_advice"]
        sign = -1 if "debit_advice" in done["result"] else 1
        postings.append({"account": account, "dossier_id": dossier_id,
                         "delta": sign * advice["amount"], "posted_at": advice["posted_at"]})
    eventually(lambda: len(store.ledger_since(deposit, "0")) == 3
               and len(store.ledger_since(estimate, "0")) == 1, timeout=LAG)
    return Books(deposit, estimate, opening, postings)


def get(api, token: str, account: str, period: str) -> tuple[int, dict]:
    sid = rules.statement_id(account, rules.parse_period(period))
    return api.call("GET", f"/v1/statements/{sid}", token=token)


def expected(books: Books, account: str, period: rules.Period) -> dict:
    """The figures recomputed from the dossiers of the test."""
    start, end = period.bounds()
    moves = [p for p in books.postings if p["account"] == account]
    in_period = [p for p in moves if start <= p["posted_at"] < end]
    return {
        "opening_balance": books.opening[account] + sum(p["delta"] for p in moves
                                                        if p["posted_at"] < start),
        "debits": sum(-p["delta"] for p in in_period if p["delta"] < 0),
        "credits": sum(p["delta"] for p in in_period if p["delta"] > 0),
        "closing_balance": books.opening[account] + sum(p["delta"] for p in moves
                                                        if p["posted_at"] < end),
        "lines": sorted((p["dossier_id"], max(-p["delta"], 0), max(p["delta"], 0), p["posted_at"])
                        for p in in_period),
    }


def figures_of(statement: dict) -> dict:
    return {**{k: statement[k] for k in ("opening_balance", "debits", "credits",
                                         "closing_balance")},
            "lines": sorted((line["dossier_id"], line["debit"], line["credit"], line["posted_at"])
                            for line in statement["lines"])}


def signed_reply(pki_dir, statement_id: str, answer: str, *, signers=("ktt.cva", "chutk.cva"),
                 **more) -> dict:
    body: dict = {"content": {"statement_id": statement_id, "answer": answer, **more}}
    for name, title in zip(signers, ("chief_accountant", "account_holder"), strict=False):
        body = signtool.add_signature(body, (pki_dir / f"{name}.key.pem").read_bytes(),
                                      (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return body


# --- issuing ---------------------------------------------------------------------------------------
def test_statements_show_the_ledger_of_their_period_and_are_issued_once(api, tokens, books):
    unit = tokens["ketoan.cva"]
    when = local_date(parse_iso(books.postings[0]["posted_at"]))
    periods = {c: rules.containing(c, when) for c in rules.CADENCES}
    for period in periods.values():     # the day each period's statements are due
        run(at(period.opens))

    month, quarter, year = (periods[c] for c in rules.CADENCES)
    status, monthly = get(api, unit, books.deposit, month.key)
    assert status == 200, monthly
    conforms("StatementDetail", monthly)
    assert figures_of(monthly) == expected(books, books.deposit, month)
    assert monthly["lines"] and monthly["line_count"] == len(monthly["lines"])
    assert (monthly["status"], monthly["cadence"], monthly["reply_by"], monthly["office_id"]) == \
        ("issued", "monthly", month.reply_by.isoformat(), "KV1")
    assert monthly["legal_basis"] == "Nghị định 347/2025/NĐ-CP, Điều 10"
    status, quarterly = get(api, unit, books.estimate, quarter.key)
    assert status == 200, quarterly
    assert figures_of(quarterly) == expected(books, books.estimate, quarter)
    for account in (books.deposit, books.estimate):
        status, annual = get(api, unit, account, year.key)
        assert status == 200 and figures_of(annual) == expected(books, account, year), annual
    # ...and only for their kinds: no monthly statement of an estimate account, no quarterly one
    # of a deposit account.
    assert get(api, unit, books.estimate, month.key)[0] == 404
    assert get(api, unit, books.deposit, quarter.key)[0] == 404

    # The closing balance of the latest period is the balance now.
    assert monthly["closing_balance"] == api.call(
        "GET", f"/v1/accounts/{books.deposit}", token=unit)[1]["balance"]

    # Running the same day again issues nothing twice.
    summary = run(at(month.opens))
    assert summary[month.key]["issued"] == 0 or not summary[month.key]["complete"], summary
    assert get(api, unit, books.deposit, month.key)[1] == monthly


def test_each_kind_is_issued_on_its_days_and_not_after_the_reply_date(api, tokens, books):
    unit = tokens["ketoan.cva"]

    def issued(account: str, period: str) -> bool:
        status, body = get(api, unit, account, period)
        assert status in (200, 404), body
        return status == 200

    run(at(date(2026, 8, 11)))           # July's statements were due 1-10 August
    assert not issued(books.deposit, "2026-07")
    run(at(date(2026, 9, 1)))            # August's, the day after the month
    assert issued(books.deposit, "2026-08") and not issued(books.estimate, "2026-08")
    run(at(date(2026, 10, 10)))          # September's and the third quarter's, on the 10th
    assert issued(books.deposit, "2026-09") and issued(books.estimate, "2026-Q3")
    assert not issued(books.deposit, "2026-Q3") and not issued(books.estimate, "2026-09")
    run(at(date(2026, 2, 11)))           # the year 2025: by 10 February
    assert not issued(books.deposit, "2025") and not issued(books.estimate, "2025")
    run(at(date(2026, 2, 10)))
    assert issued(books.deposit, "2025") and issued(books.estimate, "2025")
    assert issued(books.deposit, "2026-01")   # and January's, the same day
    # An operator may issue a missed period by naming it.
    run(at(date(2026, 11, 20)), periods=["2026-07"])
    assert issued(books.deposit, "2026-07")
    with pytest.raises(ValueError, match="not over"):   # ...but only a period that is over
        run(at(date(2026, 11, 20)), periods=["2026-11"])
    # Nothing moved in those months: each statement carries the balance through.
    _, august = get(api, unit, books.deposit, "2026-08")
    assert august["opening_balance"] == august["closing_balance"] == books.opening[books.deposit]
    assert (august["debits"], august["credits"], august["lines"]) == (0, 0, [])


def test_a_complete_run_is_not_read_again(books):
    store = composition.services().statements
    now = at(date(2026, 5, 1))
    eventually(lambda: run(now)["2026-04"]["complete"], timeout=LAG)
    assert store.run("monthly", "2026-04").completed_at
    again = run(now)["2026-04"]
    assert (again["issued"], again["existing"], again["deferred"]) == (0, 0, 0)


def test_the_daily_schedule_issues_through_the_job_queue(stack, api, tokens, books):
    from chalicelib.api import schedules
    # The schedule's event, as EventBridge sends it at 01:00 local time on 1 July.
    schedules.issue_due_statements({"version": "0", "id": str(uuid.uuid4()), "source": "aws.events",
                              "detail-type": "Scheduled Event", "account": "123456789012",
                              "region": stack.env["AWS_REGION"], "resources": [], "detail": {},
                              "time": "2026-06-30T18:00:00Z"}, None)
    store = composition.services().statements
    assert store.run("monthly", "2026-06") and store.run("quarterly", "2026-Q2")
    assert int(store.run("monthly", "2026-06").segments) == statements.SEGMENTS
    unit = tokens["ketoan.cva"]
    eventually(lambda: get(api, unit, books.deposit, "2026-06")[0] == 200
               and get(api, unit, books.estimate, "2026-Q2")[0] == 200, timeout=LAG)
    # Every segment ran to its end: the queue is empty, nothing went to its dead-letter queue.
    sqs = aws.client("sqs", stack.env["AWS_REGION"])
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def empty(name: str) -> bool:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
        return not any(int(found[c]) for c in counts)
    eventually(lambda: empty(STATEMENT_JOB_QUEUE), timeout=LAG)
    assert empty(dead_letters(STATEMENT_JOB_QUEUE))


# --- the unit's answer and the office's resolution ------------------------------------------------
def test_a_signed_matches_reply_confirms_the_statement_once(api, tokens, pki_dir, books):
    unit = tokens["ketoan.cva"]
    period = rules.parse_period("2026-08")
    sid = rules.statement_id(books.deposit, period)
    status, answered = api.call("POST", f"/v1/statements/{sid}/reply",
                                signed_reply(pki_dir, sid, "matches"), token=unit)
    assert (status, answered["status"], answered["reply"]["answer"]) == \
        (200, "confirmed", "matches"), answered
    conforms("StatementSummary", answered)
    assert answered["reply"]["late"] is True      # August's reply date is long past
    assert {s["title"]: s["signer"] for s in answered["reply"]["signatures"]} == \
        {"chief_accountant": "ktt.cva", "account_holder": "chutk.cva"}

    status, err = api.call("POST", f"/v1/statements/{sid}/reply",
                           signed_reply(pki_dir, sid, "disputes", details="Sai."), token=unit)
    assert (status, err["error"]["code"]) == (409, "statement_already_answered")
    _, detail = api.call("GET", f"/v1/statements/{sid}", token=tokens["kiemsoat.kv1"])
    assert [h["action"] for h in detail["history"]] == ["issued", "replied"]
    assert detail["history_verification"]["intact"] is True
    status, err = api.call("POST", f"/v1/statements/{sid}/resolution",
                           {"outcome": "upheld", "reason": "Khớp."}, token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (409, "statement_not_disputed")


def test_unsigned_wrongly_signed_and_foreign_replies_are_refused(api, tokens, pki_dir, books):
    unit = tokens["ketoan.cva"]
    sid = rules.statement_id(books.deposit, rules.parse_period("2026-09"))
    tampered = signed_reply(pki_dir, sid, "disputes", details="Thiếu 1 đồng.")
    tampered["content"] = {"statement_id": sid, "answer": "matches"}
    cases = [
        ({"content": {"statement_id": sid, "answer": "matches"}, "signatures": []},
         422, "signature_missing"),
        ({"content": {"statement_id": sid, "answer": "matches"}}, 422, "required"),
        ({"content": {"statement_id": sid, "answer": "matches"}, "signatures": "x"}, 422,
         "invalid_type"),
        (signed_reply(pki_dir, sid, "matches", signers=("ktt.cva",)), 422, "signature_missing"),
        (tampered, 422, "bad_signature"),
        (signed_reply(pki_dir, sid, "matches", signers=("ktt.bvdd", "chutk.bvdd")), 422,
         "certificate_of_another_unit"),
        (signed_reply(pki_dir, rules.statement_id(books.deposit, rules.parse_period("2026-08")),
                      "matches"), 422, "statement_mismatch"),
        (signed_reply(pki_dir, sid, "disputes"), 422, "details_required"),
    ]
    for body, status, code in cases:
        answer = api.call("POST", f"/v1/statements/{sid}/reply", body, token=unit)
        assert (answer[0], answer[1]["error"]["code"]) == (status, code), (code, answer)
    good = signed_reply(pki_dir, sid, "matches")
    for token, status, code in ((tokens["ketoan.bvdd"], 404, "statement_not_found"),
                                (tokens["kiemsoat.kv1"], 403, "role_not_allowed")):
        answer = api.call("POST", f"/v1/statements/{sid}/reply", good, token=token)
        assert (answer[0], answer[1]["error"]["code"]) == (status, code), answer
    assert get(api, unit, books.deposit, "2026-09")[1]["status"] == "issued"


def test_a_dispute_is_resolved_by_a_control_officer_of_the_office_with_a_reason(
        api, tokens, pki_dir, books):
    unit, officer = tokens["ketoan.cva"], tokens["kiemsoat.kv1"]
    sid = rules.statement_id(books.estimate, rules.parse_period("2026-Q3"))
    status, disputed = api.call(
        "POST", f"/v1/statements/{sid}/reply",
        signed_reply(pki_dir, sid, "disputes", details="Sổ đơn vị ghi 899.000.000 đồng.",
                     book_balance=899_000_000), token=tokens["phanmem.cva"])
    assert (status, disputed["status"]) == (200, "disputed"), disputed
    assert disputed["reply"]["book_balance"] == 899_000_000

    path = f"/v1/statements/{sid}/resolution"
    refusals = [(tokens["lanhdao.kv1"], {"outcome": "upheld", "reason": "x"}, 403,
                 "role_not_allowed"),
                (tokens["kiemsoat.kv2"], {"outcome": "upheld", "reason": "x"}, 404,
                 "statement_not_found"),
                (unit, {"outcome": "upheld", "reason": "x"}, 403, "role_not_allowed"),
                (officer, {"outcome": "maybe", "reason": "x"}, 422, "invalid_choice"),
                (officer, {"outcome": "upheld"}, 422, "reason_required")]
    for token, body, status, code in refusals:
        answer = api.call("POST", path, body, token=token)
        assert (answer[0], answer[1]["error"]["code"]) == (status, code), answer
    reason = "Số liệu KBNN đúng; đơn vị chưa ghi khoản chi ngày 05."
    status, resolved = api.call("POST", path, {"outcome": "upheld", "reason": reason},
                                token=officer)
    assert (status, resolved["status"], resolved["resolution"]["outcome"]) == \
        (200, "resolved", "upheld"), resolved
    conforms("StatementSummary", resolved)
    assert resolved["resolution"]["resolved_by"] == "kiemsoat.kv1"
    status, err = api.call("POST", path, {"outcome": "corrected", "reason": "Lần hai."},
                           token=officer)
    assert (status, err["error"]["code"]) == (409, "statement_not_disputed")

    _, detail = api.call("GET", f"/v1/statements/{sid}", token=unit)
    assert [(h["action"], h["status"]) for h in detail["history"]] == \
        [("issued", "issued"), ("replied", "disputed"), ("resolved", "resolved")]
    assert detail["history"][2]["reason"] == f"upheld: {reason}"
    assert detail["history_verification"]["intact"] is True
    conforms("StatementDetail", detail)


# --- listing, the report, the events ---------------------------------------------------------------
def test_units_list_their_own_statements_and_officers_their_offices(api, tokens, books):
    _, mine = api.call("GET", "/v1/statements?period=2026-08", token=tokens["ketoan.cva"])
    conforms("StatementPage", mine)
    assert rules.statement_id(books.deposit, rules.parse_period("2026-08")) in \
        {s["statement_id"] for s in mine["items"]}
    assert {s["unit_id"] for s in mine["items"]} == {"1012345"}
    _, other = api.call("GET", "/v1/statements?period=2026-08", token=tokens["ketoan.psg"])
    assert {s["unit_id"] for s in other["items"]} <= {"1034567"}
    _, office = api.call("GET", "/v1/statements?period=2026-Q3&status=resolved",
                         token=tokens["kiemsoat.kv1"])
    assert rules.statement_id(books.estimate, rules.parse_period("2026-Q3")) in \
        {s["statement_id"] for s in office["items"]}
    assert {s["office_id"] for s in office["items"]} == {"KV1"}
    status, err = api.call("GET", "/v1/statements?office=KV2", token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    status, err = api.call("GET", "/v1/statements?period=2026-13", token=tokens["ketoan.cva"])
    assert (status, err["error"]["code"]) == (422, "invalid_period")
    # The first page and the next one share nothing and together are the whole list.
    _, first = api.call("GET", "/v1/statements?limit=1", token=tokens["ketoan.cva"])
    _, second = api.call("GET", f"/v1/statements?limit=1&cursor={first['next_cursor']}",
                         token=tokens["ketoan.cva"])
    assert first["items"][0]["statement_id"] != second["items"][0]["statement_id"]


def recount(api, token: str, office: str, period: str) -> dict:
    items, cursor = [], ""
    while True:
        status, page = api.call("GET", f"/v1/statements?office={office}&period={period}"
                                f"&limit=200{cursor}", token=token)
        assert status == 200, page
        items += page["items"]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    statuses = [s["status"] for s in items]
    return {"issued": len(items), "confirmed": statuses.count("confirmed"),
            "disputed": statuses.count("disputed") + statuses.count("resolved"),
            "resolved": statuses.count("resolved"), "unanswered": statuses.count("issued")}


def test_the_confirmation_rate_per_office_equals_a_recount_of_its_statements(
        api, tokens, pki_dir, books):
    unit, officer = tokens["ketoan.cva"], tokens["kiemsoat.kv1"]
    for account, answer in ((books.deposit, "matches"), (books.estimate, "disputes")):
        sid = rules.statement_id(account, rules.parse_period("2025"))
        status, body = api.call("POST", f"/v1/statements/{sid}/reply",
                                signed_reply(pki_dir, sid, answer, details="Chênh lệch."),
                                token=unit)
        assert status == 200, body
    seen: list[tuple[str, str]] = []
    # The API's calls, not the event pump's (which runs the statement job in this process too).
    remove = aws.observe(lambda service, op: None if threading.current_thread().name
                         .startswith("pump:") else seen.append((service, op)))
    try:
        status, report = api.call("GET", "/v1/reports/reconciliation?period=2025", token=officer)
        api.call("GET", "/v1/statements?period=2025", token=officer)
    finally:
        remove()
    operations = {op for _, op in seen}
    assert "Query" in operations and "Scan" not in operations
    assert status == 200, report
    conforms("ReconciliationReport", report)
    figures = recount(api, officer, "KV1", "2025")
    assert {k: report[k] for k in figures} == figures
    assert figures["confirmed"] >= 1 and figures["disputed"] >= 1
    assert report["confirmation_rate"] == round(figures["confirmed"] / figures["issued"], 4)
    assert (report["office_id"], report["cadence"], report["reply_by"]) == \
        ("KV1", "annual", "2026-02-10")
    # A leader reads an office under theirs; an officer only their own.
    status, district = api.call("GET", "/v1/reports/reconciliation?office=KV1-CG&period=2025",
                                token=tokens["lanhdao.kv1"])
    assert status == 200 and {k: district[k] for k in figures} == \
        recount(api, tokens["lanhdao.kv1"], "KV1-CG", "2025")
    for token, query, status, code in (
            (officer, "office=KV2&period=2025", 403, "out_of_scope"),
            (officer, "period=2025-Q5", 422, "invalid_period"),
            (officer, "", 422, "invalid_period"),
            (unit, "period=2025", 403, "role_not_allowed")):
        answer = api.call("GET", f"/v1/reports/reconciliation?{query}", token=token)
        assert (answer[0], answer[1]["error"]["code"]) == (status, code), answer


def test_statement_changes_reach_the_event_bus(stack, api, tokens, pki_dir, books):
    kw = {"endpoint_url": stack.endpoint_url, "region_name": stack.env["AWS_REGION"]}
    sqs, bus = boto3.client("sqs", **kw), boto3.client("events", **kw)
    url = sqs.create_queue(QueueName="test-statement-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus.put_rule(Name="test-statement-tap", EventBusName=stack.env["EVENT_BUS_NAME"],
                 EventPattern=json.dumps({"source": ["kbnn.dvc"], "detail-type": [
                     "statement.issued", "statement.confirmed"]}))
    bus.put_targets(Rule="test-statement-tap", EventBusName=stack.env["EVENT_BUS_NAME"],
                    Targets=[{"Id": "tap", "Arn": arn}])
    run(at(date(2026, 3, 1)))        # February's statements
    sid = rules.statement_id(books.deposit, rules.parse_period("2026-02"))
    status, body = api.call("POST", f"/v1/statements/{sid}/reply",
                            signed_reply(pki_dir, sid, "matches"), token=tokens["ketoan.cva"])
    assert status == 200, body
    seen: list[dict] = []

    def names() -> list[str]:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return sorted(e["detail-type"] for e in seen if e["detail"]["statement_id"] == sid)
    assert eventually(lambda: names() == ["statement.confirmed", "statement.issued"], timeout=LAG)
    confirmed = next(e["detail"] for e in seen if e["detail"]["event_id"] == f"{sid}#confirmed")
    assert (confirmed["unit_id"], confirmed["answer"], confirmed["period"]) == \
        ("1012345", "matches", "2026-02")
