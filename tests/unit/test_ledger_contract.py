"""The ledger contract and the posting adapter's decisions, without AWS: the posting step writes
the outbox item and waits, each confirmation concludes, retries, parks or is ignored as a copy.
(The same flows through the real queues: tests/integration/test_ledger.py.)"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalicelib.adapters.models import Dossier, DossierBody
from chalicelib.domain import audit, catalogue
from chalicelib.domain import ledger as contract
from chalicelib.services import ledger, posting
from devstack.demo import sample_content
from tests.unit.fake_ledger import MemoryLedger, apply

pytestmark = pytest.mark.unit
DOC = (Path(__file__).resolve().parents[2] / "docs" / "ledger-contract.md").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)
DOSSIER = "01JD7Q3W5X6Y7Z8A9B0C1D2E3F"
ACCOUNT = "9523.1.1012345"


class Repo:
    """The reads and the refusal write the posting step makes, in memory."""

    def __init__(self, dossier: Dossier, balance: int) -> None:
        self.dossiers = {dossier.dossier_id: dossier}
        self.accounts = {ACCOUNT: SimpleNamespace(account_id=ACCOUNT, unit_id="1012345",
                                                  kind="estimate", balance=balance, status=None,
                                                  reserved=None)}
        self.records: list[dict] = []

    def dossier(self, dossier_id):
        return self.dossiers.get(dossier_id)

    def body(self, dossier):
        return BODIES[dossier.dossier_id]

    def account(self, account_id):
        return self.accounts.get(account_id)

    def move_dossier(self, dossier, changes, record, **_):
        apply(dossier, changes)
        self.records.append(record)

    def related_dossiers(self, unit_id, related_to):
        return []


class Workflow:
    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    def complete(self, token, output):
        self.answers.append((token, output["decision"]))


BODIES: dict[str, DossierBody] = {}


def a_dossier(amount: int = 3_000_000, kind: str = "payment", dossier_id: str = DOSSIER) -> Dossier:
    BODIES[dossier_id] = DossierBody(dossier_id, signatures=[],
                                     content=sample_content("UNC-01", amount, payment_kind=kind))
    return Dossier(dossier_id, procedure="regular_spending_payment", procedure_version="347-2025",
                   unit_id="1012345", office_id="KV1", account_id=ACCOUNT, amount=amount,
                   payment_kind=kind, voucher_number="UNC-01", status=catalogue.POSTING,
                   step="posting", received_at="2026-11-23T01:00:00Z",
                   due_at="2026-11-24T10:00:00Z", updated_at="2026-11-23T02:00:00Z",
                   audit_head=audit.GENESIS, audit_seq=3)


@pytest.fixture
def world():
    """A payment of 3,000,000 at the posting step, on an account holding 5,000,000."""
    repo = Repo(a_dossier(), 5_000_000)
    return SimpleNamespace(repo=repo, tabmis=MemoryLedger(repo.accounts), workflows=Workflow(),
                           dossier=repo.dossiers[DOSSIER], account=repo.accounts[ACCOUNT])


def step(world, token: str = "token-1", dossier_id: str = DOSSIER) -> str:
    return posting.post_payment({"dossier_id": dossier_id, "token": token}, repo=world.repo,
                                workflows=world.workflows, ledger=world.tabmis, now=NOW)


def answer(world, status: str, *, attempt: int | None = None, **fields) -> str:
    request = dict(world.tabmis.sent[-1])
    if attempt is not None:
        request["attempt"] = attempt
    if status == contract.POSTED:
        fields = {"ledger_reference": "TB20261123AB", "posted_at": "2026-11-23T02:15:05Z", **fields}
    else:
        fields = {"code": "ledger_unavailable", "reason": "TABMIS tạm thời không xử lý được.",
                  "retryable": True, **fields}
    body = contract.confirmation(request, status, answered_at="2026-11-23T02:15:05Z", **fields)
    return ledger.on_confirmation(body, repo=world.repo, ledger=world.tabmis,
                                  workflows=world.workflows, now=NOW)


# --- the contract --------------------------------------------------------------------------
def test_a_request_carries_the_booked_fields_and_the_ledger_reads_it_back():
    body = contract.request(posting_id=DOSSIER, entry="debit", amount=2_000_000, account_id=ACCOUNT,
                            account_kind="estimate", unit_id="1012345", office_id="KV1",
                            payment_kind="payment", voucher=sample_content("UNC-01", 2_000_000)["voucher"],
                            correlation_id=None, requested_at="2026-11-23T02:15:04Z")
    sent = contract.parse_request({**body, "attempt": 1, "sent_at": "2026-11-23T02:15:04Z"})
    assert [sent[k] for k in contract.BOOKED_FIELDS] == [DOSSIER, "debit", 2_000_000, ACCOUNT]
    assert sum(line["amount"] for line in sent["lines"]) == 2_000_000
    assert sent["correlation_id"] == DOSSIER and sent["currency"] == "VND"
    with pytest.raises(contract.ContractViolation):
        contract.parse_request({**sent, "version": 2})
    with pytest.raises(contract.ContractViolation):
        contract.parse_request({**sent, "amount": 1.5})


@pytest.mark.parametrize("broken", [
    {"schema": "kbnn.other"}, {"version": 2}, {"status": "maybe"}, {"attempt": 0},
    {"posting_id": ""}, {"ledger_reference": None}, {"posted_at": None}])
def test_a_confirmation_that_breaks_the_contract_is_not_acted_on(broken):
    good = contract.confirmation({"posting_id": DOSSIER, "attempt": 1, "entry": "debit",
                                  "amount": 5, "account_id": ACCOUNT}, "posted",
                                 answered_at="t", ledger_reference="TB1", posted_at="t")
    assert contract.parse_confirmation(good).final
    with pytest.raises(contract.ContractViolation):
        contract.parse_confirmation({**good, **broken})


def test_a_rejection_must_say_why():
    rejected = contract.confirmation({"posting_id": DOSSIER, "attempt": 1}, "rejected",
                                     answered_at="t", code="account_closed", reason="Đã đóng.")
    assert contract.parse_confirmation(rejected).code == "account_closed"
    with pytest.raises(contract.ContractViolation):
        contract.parse_confirmation({**rejected, "reason": None})


def test_retries_back_off_and_the_posting_step_outwaits_the_whole_retry_budget():
    assert [contract.backoff_seconds(n) for n in range(1, 12)] == \
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert contract.retry_budget_seconds() == 511
    assert contract.retry_budget_seconds() < catalogue.POSTING_TIMEOUT_SECONDS
    for proc in catalogue.CATALOGUE:
        for s in proc.steps:
            if s.name == "posting":
                assert s.system_timeout_seconds == catalogue.POSTING_TIMEOUT_SECONDS
                assert s.decision(posting.LEDGER_REJECTED).end_status == catalogue.REFUSED


def test_the_contract_document_names_every_field_and_code():
    request = contract.request(posting_id="p", entry="record", amount=1, account_id="a",
                               account_kind=None, unit_id="u", office_id="o", payment_kind="k",
                               voucher={}, correlation_id=None, requested_at="t")
    answer_ = contract.confirmation(request, "failed", answered_at="t")
    documented = set(re.findall(r"^\| `([a-z_]+)`", DOC, flags=re.MULTILINE))
    documented |= {"entry", "amount", "account_id"}   # one row names the three echoed fields
    assert set(request) | {"attempt", "sent_at"} <= documented
    assert set(answer_) <= documented
    for name in (*contract.REJECTION_CODES, *contract.FAILURE_CODES, *contract.STATUSES,
                 contract.REQUEST_SCHEMA, contract.CONFIRMATION_SCHEMA):
        assert f"`{name}`" in DOC, name


# --- the posting step ----------------------------------------------------------------------
def test_the_posting_step_reserves_the_debit_sends_the_request_and_waits_for_the_ledger(world):
    assert step(world) == posting.REQUESTED
    assert world.workflows.answers == []                     # the workflow waits for the ledger
    assert world.dossier.status == catalogue.POSTING and world.dossier.ledger_requested_at
    assert (world.account.balance, world.account.reserved) == (5_000_000, 3_000_000)
    item = world.tabmis.posting(DOSSIER)
    assert (item.state, item.entry, item.amount, item.token) == ("requested", "debit", 3_000_000,
                                                                 "token-1")
    (sent,) = world.tabmis.sent
    assert (sent["posting_id"], sent["attempt"], sent["delay_seconds"]) == (DOSSIER, 1, 0)


def test_a_second_payment_that_the_held_money_no_longer_covers_is_refused_at_once(world):
    step(world)
    other = a_dossier(3_000_000, dossier_id="01JD7Q3W5X6Y7Z8A9B0C1D2E3G")
    world.repo.dossiers[other.dossier_id] = other
    assert step(world, "token-2", other.dossier_id) == "insufficient_balance"
    assert world.workflows.answers == [("token-2", "insufficient_balance")]
    assert other.status == catalogue.REFUSED and len(world.tabmis.sent) == 1


def test_a_redelivered_step_asks_again_with_the_same_attempt_and_keeps_the_newest_token(world):
    step(world)
    assert step(world) == posting.REQUESTED                         # the same message again
    assert step(world, "token-overdue") == posting.REQUESTED        # the re-run after a timeout
    assert [s["attempt"] for s in world.tabmis.sent] == [1, 1, 1]
    assert world.tabmis.posting(DOSSIER).token == "token-overdue"
    assert world.account.reserved == 3_000_000                      # held once
    assert answer(world, "posted") == "posted"
    assert world.workflows.answers == [("token-overdue", "posted")]


# --- the ledger's answers ------------------------------------------------------------------
def test_a_confirmation_pays_the_dossier_moves_the_balance_and_releases_the_reservation(world):
    step(world)
    assert answer(world, "posted") == "posted"
    result = world.dossier.result
    assert (world.dossier.status, world.dossier.step) == (catalogue.PAID, None)
    assert result["debit_advice"]["number"] == "GBN-TB20261123AB"
    assert result["debit_advice"]["ledger_reference"] == "TB20261123AB"
    assert (world.account.balance, world.account.reserved) == (2_000_000, 0)
    assert world.account.last_dossier_id == DOSSIER
    assert world.tabmis.audit[-1]["action"] == "posted"
    assert world.tabmis.audit[-1]["ledger_reference"] == "TB20261123AB"
    assert world.workflows.answers == [("token-1", "posted")]
    # a copy of the answer changes nothing and only answers the token again
    assert answer(world, "posted", replay=True) == "posted"
    assert (world.account.balance, len(world.tabmis.audit)) == (2_000_000, 1)
    assert world.workflows.answers == [("token-1", "posted")] * 2
    # and the worker's message, delivered again, finds the dossier ended
    assert step(world) == "posted" and len(world.tabmis.sent) == 1


def test_a_refund_is_recorded_with_a_credit_advice_and_credits_the_balance():
    repo = Repo(a_dossier(500_000, "refund"), 5_000_000)
    world = SimpleNamespace(repo=repo, tabmis=MemoryLedger(repo.accounts), workflows=Workflow(),
                            dossier=repo.dossiers[DOSSIER], account=repo.accounts[ACCOUNT])
    step(world)
    assert world.tabmis.sent[-1]["entry"] == "credit" and world.account.reserved is None
    assert answer(world, "posted") == "recorded"
    assert world.dossier.result["credit_advice"]["number"] == "GBC-TB20261123AB"
    assert world.account.balance == 5_500_000


def test_a_rejection_refuses_the_dossier_with_the_ledgers_reason_and_leaves_the_balance(world):
    step(world)
    assert answer(world, "rejected", code="account_closed",
                  reason="Tài khoản đã đóng trên TABMIS.") == posting.LEDGER_REJECTED
    assert world.dossier.status == catalogue.REFUSED
    assert world.dossier.result == {"outcome": "refused", "code": "ledger_rejected",
                                    "ledger_code": "account_closed",
                                    "reason": "Tài khoản đã đóng trên TABMIS.",
                                    "decided_at": "2026-11-23T02:15:00Z"}
    assert (world.account.balance, world.account.reserved) == (5_000_000, 0)
    assert world.workflows.answers == [("token-1", "ledger_rejected")]


def test_failures_are_retried_with_backoff_and_an_answer_to_an_older_attempt_is_ignored(world):
    step(world)
    for _ in range(3):
        assert answer(world, "failed") == "retried"
    assert [(s["attempt"], s["delay_seconds"]) for s in world.tabmis.sent] == \
        [(1, 0), (2, 1), (3, 2), (4, 4)]
    assert answer(world, "failed", attempt=2) == "stale"      # a copy of an earlier failure
    assert len(world.tabmis.sent) == 4
    assert answer(world, "posted") == "posted"
    item = world.tabmis.posting(DOSSIER)
    assert (item.state, item.attempts, item.failures) == ("posted", 4, 3)
    assert world.workflows.answers == [("token-1", "posted")]


def test_the_tenth_failure_in_a_row_parks_the_posting_until_an_operator_redrives_it(world):
    step(world)
    for _ in range(contract.MAX_FAILURES - 1):
        assert answer(world, "failed") == "retried"
    assert answer(world, "failed") == "parked"
    item = world.tabmis.posting(DOSSIER)
    assert (item.state, item.attempts) == ("parked", contract.MAX_FAILURES)
    assert [p["posting_id"] for p in world.tabmis.dlq] == [DOSSIER]
    assert world.dossier.status == catalogue.POSTING and world.account.reserved == 3_000_000
    # the workflow's re-run of the step only takes the new token: a parked posting is not sent
    assert step(world, "token-overdue") == posting.REQUESTED
    assert len(world.tabmis.sent) == contract.MAX_FAILURES

    assert ledger.redrive_parked(ledger=world.tabmis, now=NOW) == [DOSSIER]
    assert world.tabmis.dlq == [] and world.tabmis.sent[-1]["attempt"] == contract.MAX_FAILURES + 1
    assert (item.state, item.failures) == ("requested", 0)
    assert answer(world, "posted") == "posted"
    assert world.workflows.answers == [("token-overdue", "posted")]


def test_a_failure_the_ledger_says_is_not_retryable_parks_the_posting_at_once(world):
    step(world)
    assert answer(world, "failed", code="invalid_request", retryable=False) == "parked"
    assert len(world.tabmis.sent) == 1 and world.tabmis.dlq[0]["last_error"]["code"] == "invalid_request"


def test_a_parked_posting_is_counted_as_dead_lettered(world, monkeypatch, capsys):
    import json
    monkeypatch.setenv("KBNN_METRICS", "stdout")
    step(world)
    assert answer(world, "failed") == "retried"
    assert capsys.readouterr().out == ""
    assert answer(world, "failed", code="invalid_request", retryable=False) == "parked"
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert (line["DeadLettered"], line["Service"]) == (1, "kbnn-dvc")


def test_a_ledger_that_booked_another_amount_is_not_believed(world):
    step(world)
    world.tabmis.sent[-1]["amount"] = 3_000_001
    with pytest.raises(contract.ContractViolation):
        answer(world, "posted")
    assert world.dossier.status == catalogue.POSTING and world.account.balance == 5_000_000


def test_a_confirmation_of_a_posting_never_requested_is_not_acted_on(world):
    step(world)
    world.tabmis.sent[-1]["posting_id"] = "01JD7Q3W5X6Y7Z8A9B0C1D2E3Z"
    with pytest.raises(LookupError):
        answer(world, "posted")
