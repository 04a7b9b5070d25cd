"""The statements table (kbnn-statements): the ledger of balance changes, the reconciliation
statements, their counters per office and period, and the runs of the statement job.

One table, keyed `pk` + `sk`:

| item | pk | sk |
|---|---|---|
| ledger entry | `LEDGER#<account>` | `<posted at, UTC ISO>#<account version, 12 digits>` |
| statement | `STATEMENT#<statement id>` | `STATEMENT` |
| counter shard | `COUNT#<office>#<period>` | `SHARD#<n>` |
| job run | `RUN#<cadence>#<period>` | `RUN` |

Statements carry `unit_id`, `office_id` and `listing` (`<period end>#<period>#<account>`), the keys
of the `by_unit` and `by_office` indexes; nothing else does, so the indexes hold statements only.
Counters are split over shards (one item each, read together by one Query) so that the job's
parallel segments and many units answering at once never contend for one item.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.changes import Add, Changes
from . import aws, dynamo
from .dynamo import Page
from .models import Account, Counter, LedgerEntry, Run, Statement, Unit

log = logging.getLogger(__name__)
SHARDS = 10
TRANSACTION_ATTEMPTS = 5


COUNTS = ("issued", "confirmed", "disputed", "resolved")


def shard_of(statement_id: str) -> str:
    return f"SHARD#{int(hashlib.sha256(statement_id.encode()).hexdigest(), 16) % SHARDS}"


class StatementStore:
    """Reads and writes of the statements table, and the scan of the directory's accounts that
    only the scheduled job makes."""

    def __init__(self, connection: Connection, directory_table: str, region: str,
                 job_queue_url: str) -> None:
        self._conn = connection     # its models are bound with the others (models.bind)
        self._directory = directory_table
        self.region, self.job_queue_url = region, job_queue_url

    # --- the ledger ------------------------------------------------------------------------
    def record_entry(self, entry: LedgerEntry) -> bool:
        """Put once: the key is the change itself, so a redelivered event finds it there."""
        return dynamo.put_once(entry, LedgerEntry.pk)

    def ledger_since(self, account_id: str, since: str) -> list[LedgerEntry]:
        return list(LedgerEntry.query(LedgerEntry.key(account_id), LedgerEntry.sk >= since,
                                      consistent_read=True))

    def ledger_before(self, account_id: str, since: str) -> LedgerEntry | None:
        found = LedgerEntry.query(LedgerEntry.key(account_id), LedgerEntry.sk < since,
                                  scan_index_forward=False, limit=1, consistent_read=True)
        return next(iter(found), None)

    # --- the directory, for the job --------------------------------------------------------
    def account_page(self, segment: int, segments: int, cursor: dict | None,
                     limit: int) -> tuple[list[Account], dict | None]:
        """One page of a parallel Scan of the directory, accounts only (the scheduled job)."""
        request: dict[str, Any] = {
            "TableName": self._directory, "Segment": segment, "TotalSegments": segments,
            "Limit": limit, "FilterExpression": "begins_with(pk, :p)",
            "ExpressionAttributeValues": {":p": {"S": "ACCOUNT#"}}}
        if cursor:
            request["ExclusiveStartKey"] = cursor
        answer = self._conn.client.scan(**request)
        return ([Account.from_raw_data(item) for item in answer.get("Items", [])],
                answer.get("LastEvaluatedKey"))

    def account(self, account_id: str) -> Account | None:
        return dynamo.get_or_none(Account, f"ACCOUNT#{account_id}", consistent=True)

    def units(self, unit_ids: set[str]) -> dict[str, Unit]:
        keys = [f"UNIT#{u}" for u in sorted(unit_ids)]
        return {u.unit_id: u for u in Unit.batch_get(keys)} if keys else {}

    # --- statements ------------------------------------------------------------------------
    def statement(self, statement_id: str) -> Statement | None:
        return dynamo.get_or_none(Statement, Statement.key(statement_id), "STATEMENT",
                                  consistent=True)

    def existing(self, statement_ids: list[str]) -> set[str]:
        keys = [(Statement.key(s), "STATEMENT") for s in dict.fromkeys(statement_ids)]
        return {s.statement_id for s in Statement.batch_get(keys)} if keys else set()

    def issue(self, statement: Statement) -> bool:
        """The statement and its office's `issued` count, together; False if it exists."""
        return self._transact(statement, None, statement.office_id, statement.period, "issued",
                              new=True)

    def answer(self, statement: Statement, changes: Changes, expected_status: str,
               count: str) -> bool:
        """A change of status (reply, resolution) and its count, together; False if the
        statement is no longer in `expected_status` (someone answered first)."""
        return self._transact(statement, changes, statement.office_id, statement.period, count,
                              expected_status=expected_status)

    def _transact(self, statement: Statement, changes: Changes | None, office_id: str,
                  period: str, count: str, *, new: bool = False,
                  expected_status: str | None = None) -> bool:
        counter = Counter(Counter.key(office_id, period), shard_of(statement.statement_id))
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                with TransactWrite(connection=self._conn) as tx:
                    if new:
                        tx.save(statement, condition=Statement.pk.does_not_exist())
                    else:
                        tx.update(statement, actions=dynamo.actions(Statement, changes or {}),
                                  condition=Statement.status == expected_status)
                    tx.update(counter, actions=dynamo.actions(Counter, {count: Add(1)}))
                return True
            except TransactWriteError as exc:
                if dynamo.cancelled_on(exc, 0):
                    return False
                if not dynamo.cancelled_by_contention(exc) or attempt == TRANSACTION_ATTEMPTS - 1:
                    raise
                log.info("statement transaction conflict, retrying", extra={"attempt": attempt})
        return False

    def statements(self, scope_attr: str, scope_id: str, *, prefix: str | None,
                   status: str | None, limit: int, cursor: str | None) -> Page:
        index = Statement.by_unit if scope_attr == "unit_id" else Statement.by_office
        key_condition = Statement.listing.startswith(prefix) if prefix else None
        result = index.query(scope_id, key_condition, scan_index_forward=False, limit=limit,
                             filter_condition=(Statement.status == status) if status else None,
                             last_evaluated_key=dynamo.decode_cursor(cursor, scope_attr, scope_id))
        return dynamo.page_of(result)

    def counts(self, office_id: str, period: str) -> dict[str, int]:
        totals = dict.fromkeys(COUNTS, 0)
        for shard in Counter.query(Counter.key(office_id, period), consistent_read=True):
            for name in COUNTS:
                totals[name] += int(getattr(shard, name) or 0)
        return totals

    # --- job runs --------------------------------------------------------------------------
    def run(self, cadence: str, period: str) -> Run | None:
        return dynamo.get_or_none(Run, Run.key(cadence, period), "RUN", consistent=True)

    def start_run(self, cadence: str, period: str, segments: int, at: str) -> Run:
        run = Run(Run.key(cadence, period), segments=segments, started_at=at)
        if dynamo.put_once(run, Run.pk):
            return run
        earlier = self.run(cadence, period)   # started earlier: keep its segment count
        if earlier is None:   # a run item is never deleted: this is a broken table
            raise LookupError(f"the run {cadence} {period} was started but cannot be read")
        return earlier

    def segment_done(self, cadence: str, period: str, segment: int, at: str) -> bool:
        """Record a finished segment; True when it was the last one (the run is complete)."""
        run = Run(Run.key(cadence, period))
        run.update(actions=dynamo.actions(Run, {"done": Add({segment})}))
        if len(run.done or ()) < int(run.segments):
            return False
        dynamo.update_if(run, {"completed_at": at}, Run.completed_at.does_not_exist())
        return True

    def send_job(self, message: dict) -> None:
        aws.client("sqs", self.region).send_message(
            QueueUrl=self.job_queue_url,
            MessageBody=json.dumps(message, separators=(",", ":")))
