"""The posting adapter's edge: the outbox table of postings and the queues to the core ledger.

`open()` writes the outbox item in the same transaction as the posting step's checks (the dossier
still at `posting`, the account's reservation guarded by its version), `send()` puts the item's
request on the ledger's request queue (SQS DelaySeconds is the retry backoff), `conclude()`
writes the ledger's answer (the outbox item, the dossier's end, its audit record and the balance)
in one transaction, and `park()` puts a posting the adapter gave up on in its dead-letter queue.
Conditional failures become the domain's Conflict; the caller re-reads and decides again.
"""
from __future__ import annotations

import json
from typing import Any

from pynamodb.transactions import TransactWrite

from ..domain import catalogue
from ..domain.changes import Changes
from ..domain.errors import Conflict
from . import aws, dynamo
from .models import Account, Dossier, LedgerPosting


class LedgerAdapter:
    def __init__(self, connection: Any, request_queue_url: str, dlq_url: str, region: str) -> None:
        self._conn = connection
        self._request_queue_url = request_queue_url
        self._dlq_url = dlq_url
        self._region = region

    @property
    def _sqs(self) -> Any:
        return aws.client("sqs", self._region)

    # --- the outbox table ------------------------------------------------------------------
    def posting(self, posting_id: str) -> LedgerPosting | None:
        return dynamo.get_or_none(LedgerPosting, posting_id, consistent=True)

    def open(self, item: LedgerPosting, dossier: Dossier, dossier_changes: Changes,
             account: Account | None = None, account_changes: Changes | None = None) -> None:
        """The outbox item, the dossier's mark (still at `posting`, same version) and the
        account's reservation (same version: two payments racing for one balance cannot both
        reserve it), all or nothing."""
        with dynamo.conflict_if_cancelled(Conflict(
                "Hồ sơ hoặc tài khoản vừa thay đổi.", code="posting_contention")):
            with TransactWrite(connection=self._conn) as tx:
                tx.save(item, condition=LedgerPosting.posting_id.does_not_exist())
                tx.update(dossier, actions=dynamo.actions(Dossier, dossier_changes),
                          condition=Dossier.status == catalogue.POSTING)
                if account is not None:
                    tx.update(account, actions=dynamo.actions(Account, account_changes or {}))

    def update(self, item: LedgerPosting, changes: Changes) -> None:
        """A change of the item alone (a new token, a retry, parking), guarded by its version."""
        with dynamo.conflict_if_cancelled(Conflict(
                "Bút toán vừa thay đổi.", code="posting_contention")):
            item.update(actions=dynamo.actions(LedgerPosting, changes))

    def conclude(self, item: LedgerPosting, item_changes: Changes, dossier: Dossier,
                 dossier_changes: Changes, audit_body: dict, *,
                 account_id: str | None = None, account_changes: Changes | None = None) -> None:
        """The ledger's answer: the outbox item, the dossier's end and its audit record, and the
        balance, all or nothing (guarded by the item's and the dossier's versions)."""
        with dynamo.conflict_if_cancelled(Conflict(
                "Bút toán hoặc hồ sơ vừa thay đổi.", code="posting_contention")):
            with TransactWrite(connection=self._conn) as tx:
                tx.update(item, actions=dynamo.actions(LedgerPosting, item_changes),
                          condition=LedgerPosting.state.is_in("requested", "parked"))
                head = dynamo.audit_actions(tx, dossier, audit_body)
                tx.update(dossier, actions=dynamo.actions(Dossier, dossier_changes) + head,
                          condition=Dossier.status == catalogue.POSTING)
                if account_id is not None:
                    # The ledger has booked it: our copy of the balance follows unconditionally
                    # (no read, no version check; ADD commutes with other postings). A version
                    # that is not None makes PynamoDB increment the version, which
                    # `balance.changed` events are identified by.
                    account = Account(f"ACCOUNT#{account_id}", version=0)
                    tx.update(account, actions=dynamo.actions(Account, account_changes or {}),
                              add_version_condition=False, condition=Account.pk.exists())

    # --- the queues --------------------------------------------------------------------------
    def send(self, item: LedgerPosting, *, attempt: int, sent_at: str, delay_seconds: int = 0) -> None:
        """The item's request, as attempt `attempt`, to the ledger's request queue."""
        body = {**item.request, "attempt": attempt, "sent_at": sent_at}
        self._sqs.send_message(QueueUrl=self._request_queue_url, DelaySeconds=delay_seconds,
                               MessageBody=json.dumps(body, ensure_ascii=False,
                                                      separators=(",", ":")))

    def park(self, item: LedgerPosting, *, reason: dict, parked_at: str) -> None:
        """What an operator needs to see and redrive a posting the adapter gave up on."""
        body = {"posting_id": item.posting_id, "account_id": item.account_id,
                "amount": int(item.amount), "entry": item.entry, "attempts": int(item.attempts),
                "failures": int(item.failures), "last_error": reason, "parked_at": parked_at}
        self._sqs.send_message(QueueUrl=self._dlq_url,
                               MessageBody=json.dumps(body, ensure_ascii=False))

    def parked(self, limit: int = 10, hide_seconds: int = 30) -> list[tuple[dict, str]]:
        """Parked postings waiting in the dead-letter queue: (body, receipt handle), hidden from
        other readers for `hide_seconds` (0 to only look)."""
        answer = self._sqs.receive_message(QueueUrl=self._dlq_url,
                                           MaxNumberOfMessages=min(limit, 10), WaitTimeSeconds=0,
                                           VisibilityTimeout=hide_seconds)
        return [(json.loads(m["Body"]), m["ReceiptHandle"]) for m in answer.get("Messages", [])]

    def forget_parked(self, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=self._dlq_url, ReceiptHandle=receipt_handle)
