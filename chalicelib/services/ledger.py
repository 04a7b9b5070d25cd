"""The posting adapter: delivers the outbox's posting requests to the core ledger (TABMIS) and acts
on its confirmations (the contract: domain/ledger.py, docs/ledger-contract.md).

A confirmation arrives from the ledger's confirmation queue, at least once and in any order:
- `posted` / `rejected` (final): the posting step's conclusion is written in one transaction
  (services/posting.py: conclude) and the step's token is answered; a copy of a final answer
  finds the posting concluded and only answers the token again (the first answer may have been
  lost between the transaction and SendTaskSuccess).
- `failed` (not final): the request is sent again as the next attempt, delayed by the backoff
  (SQS DelaySeconds); after MAX_FAILURES failures in a row, or one the ledger marks not
  retryable, the posting is parked in the adapter's dead-letter queue for an operator, who
  redrives it (`redrive`). An answer to an older attempt than the last one sent is a copy:
  ignored, so a duplicated failure never doubles the retries.
The ledger's idempotency key (the posting id) makes every repeat harmless on its side; the
outbox item's state and version make it harmless on ours.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters import telemetry
from ..adapters.ledger import LedgerAdapter
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import catalogue
from ..domain import ledger as contract
from ..domain.errors import Conflict
from . import common, posting

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import LedgerPosting

log = logging.getLogger(__name__)
ATTEMPTS = 5


def on_confirmation(body: object, *, repo: Repository, ledger: LedgerAdapter,
                    workflows: Workflows, now: datetime) -> str:
    """Act on one confirmation; returns what was done (the step's decision, `retried`,
    `parked`, `stale`). Raises on a message that breaks the contract or names no posting of
    ours: the queue redelivers it, then dead-letters it for an operator."""
    answer = contract.parse_confirmation(body)
    for _ in range(ATTEMPTS):
        item = ledger.posting(answer.posting_id)
        if item is None:
            raise LookupError("a confirmation for a posting the DVC never requested")
        try:
            if item.state in (contract.POSTED, contract.REJECTED):
                posting.answer(workflows, item.token, item.decision, item.posting_id)
                return item.decision
            if not answer.final:
                return _failed(item, answer, ledger, now)
            dossier = repo.dossier(item.posting_id)
            if dossier is None or dossier.status != catalogue.POSTING:
                raise LookupError("a posting whose dossier is not waiting for the ledger")
            if answer.status == contract.POSTED:
                wrong = contract.echo_mismatch(answer, {"entry": item.entry,
                                                        "amount": int(item.amount),
                                                        "account_id": item.account_id})
                if wrong is not None:  # never pay what was not asked: an operator looks
                    raise contract.ContractViolation(f"the ledger booked another {wrong}")
            decision = posting.conclude(item, dossier, answer, ledger=ledger, now=now)
        except Conflict:
            continue  # a new token, a retry or another copy moved the item: read it again
        posting.answer(workflows, item.token, decision, item.posting_id)
        log.info("ledger answered", extra={"dossier_id": item.posting_id, "decision": decision})
        return decision
    raise Conflict("confirmation kept losing races", code="posting_contention")


def _failed(item: LedgerPosting, answer: contract.Confirmation, ledger: LedgerAdapter,
            now: datetime) -> str:
    at = common.iso(now)
    if item.state != posting.REQUESTED or answer.attempt < int(item.attempts):
        return "stale"   # a copy, or an answer to an attempt already retried, or parked
    # An answer to an attempt newer than the item says was sent by a retry whose update has
    # not landed yet: count from it.
    attempt = max(answer.attempt, int(item.attempts))
    failures = int(item.failures or 0) + 1
    error = {"code": answer.code, "reason": answer.reason, "attempt": answer.attempt, "at": at}
    if not answer.retryable or failures >= contract.MAX_FAILURES:
        ledger.park(item, reason=error, parked_at=at)   # first: a lost update only parks twice
        ledger.update(item, {"state": posting.PARKED, "attempts": attempt, "failures": failures,
                             "last_error": error})
        log.error("posting parked after the ledger failed",
                  extra={"dossier_id": item.posting_id, "failures": failures})
        telemetry.count("DeadLettered")
        return "parked"
    # Send first: if the update then loses a race, the next read retries and the ledger sees a
    # repeat (answered the same); the other order could lose the retry altogether.
    ledger.send(item, attempt=attempt + 1, sent_at=at,
                delay_seconds=contract.backoff_seconds(failures))
    ledger.update(item, {"attempts": attempt + 1, "failures": failures, "last_error": error})
    return "retried"


def redrive(posting_id: str, *, ledger: LedgerAdapter, now: datetime) -> bool:
    """An operator sends a parked posting to the ledger again (after fixing the cause); False if
    it is not parked (already redriven, or concluded meanwhile)."""
    for _ in range(ATTEMPTS):
        item = ledger.posting(posting_id)
        if item is None or item.state != posting.PARKED:
            return False
        attempt = int(item.attempts) + 1
        try:
            ledger.update(item, {"state": posting.REQUESTED, "attempts": attempt, "failures": 0})
        except Conflict:
            continue
        ledger.send(item, attempt=attempt, sent_at=common.iso(now))
        return True
    raise Conflict("redrive kept losing races", code="posting_contention")


def redrive_parked(*, ledger: LedgerAdapter, now: datetime) -> list[str]:
    """Every posting waiting in the adapter's dead-letter queue, redriven; their ids."""
    redriven: list[str] = []
    while batch := ledger.parked():
        for body, receipt in batch:
            if redrive(body["posting_id"], ledger=ledger, now=now):
                redriven.append(body["posting_id"])
            ledger.forget_parked(receipt)
    return redriven
