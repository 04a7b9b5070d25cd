"""The DynamoDB edge: the one place that knows how PynamoDB reports what DynamoDB said.

Every store (repository, statements, ledger outbox, alerts, consumers' claims) reads and writes
through these few verbs, so an item that is not there is None everywhere, a failed condition is
recognised by its exception type in one function, a transaction's cancellation reasons are read
in one function, a page cursor has one codec, and the audit chain is appended one way.
Services never see an update expression: they hand over plain changes (domain/changes.py).
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..domain import audit
from ..domain.changes import REMOVE, Add, Changes
from ..domain.errors import BadRequest, Conflict
from .models import AuditRecord, Dossier

M = TypeVar("M", bound=Model)
_CONDITION_FAILED = "ConditionalCheckFailedException"
_CANCELLED = "TransactionCanceledException"


@dataclass
class Page:
    """One page of a listing and the opaque cursor to the next (None: the last page)."""
    items: list
    next_cursor: str | None


# --- reading ------------------------------------------------------------------------------
def get_or_none(model: type[M], hash_key: str, range_key: str | None = None, *,
                consistent: bool = False) -> M | None:
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def page_of(result: Any) -> Page:
    """A query's items and the cursor to its next page."""
    items = list(result)
    return Page(items, encode_cursor(result.last_evaluated_key))


def scoped_page(index: Any, scope_attr: str, scope_id: str, *, limit: int, cursor: str | None,
                filters: Iterable[tuple[Any, str | None]] = ()) -> Page:
    """One page of a unit's or an office's items from its index, newest first, keeping those
    whose attributes equal the filters given (a filter of None is not applied)."""
    condition = None
    for attribute, value in filters:
        if value:
            clause = attribute == value
            condition = clause if condition is None else condition & clause
    result = index.query(scope_id, scan_index_forward=False, limit=limit, filter_condition=condition,
                         last_evaluated_key=decode_cursor(cursor, scope_attr, scope_id))
    return page_of(result)


# --- the cursor codec: opaque to clients, bound to the scope it was minted for -------------
def encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, scope_attr: str, scope_id: str) -> dict | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        owner = key[scope_attr]["S"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor",
                         field="cursor") from exc
    if owner != scope_id:  # a cursor minted for another unit or office
        raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor", field="cursor")
    return key


# --- writing ------------------------------------------------------------------------------
def actions(model: type[Model], changes: Changes) -> list[Action]:
    """The update actions for plain changes (domain/changes.py) of one model's attributes."""
    result: list[Action] = []
    for name, value in changes.items():
        attribute = getattr(model, name)
        if value is REMOVE:
            result.append(attribute.remove())
        elif isinstance(value, Add):
            result.append(attribute.add(value.amount))
        else:
            result.append(attribute.set(value))
    return result


def is_condition_failure(exc: PutError | UpdateError | DeleteError) -> bool:
    """A single-item write refused by its condition (not a throttle, not an outage)."""
    return exc.cause_response_code == _CONDITION_FAILED


def put_once(item: Model, key: Any) -> bool:
    """Put the item unless one with its key exists; False if it did (a repeat)."""
    try:
        item.save(condition=key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def update_if(item: Model, changes: Changes, condition: Condition | None = None,
              **options: Any) -> bool:
    """Update the item if `condition` (and its version, unless told otherwise) holds; False if not."""
    try:
        item.update(actions=actions(type(item), changes), condition=condition, **options)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def cancelled_on(error: TransactWriteError, index: int) -> bool:
    """Whether the transaction's `index`-th operation (in the order written) failed its condition."""
    reasons = error.cancellation_reasons or []
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def cancelled_by_contention(error: TransactWriteError) -> bool:
    """Cancelled because another transaction was writing the same items at the same moment."""
    return any(r is not None and r.code == "TransactionConflict"
               for r in error.cancellation_reasons or [])


@contextmanager
def conflict_if_cancelled(conflict: Conflict) -> Iterator[None]:
    """A transaction (or a guarded write) that some condition refused raises `conflict`."""
    try:
        yield
    except TransactWriteError as exc:
        if exc.cause_response_code == _CANCELLED:
            raise conflict from exc
        raise
    except (PutError, UpdateError, DeleteError) as exc:
        if is_condition_failure(exc):
            raise conflict from exc
        raise


# --- the audit chain ------------------------------------------------------------------------
def append_audit(tx: TransactWrite, dossier: Dossier, body: dict) -> tuple[int, str]:
    """Put the dossier's next audit record in the transaction, only if its sequence number is
    free (so the chain cannot fork); the new (seq, head) go on the dossier in the same one."""
    seq = int(dossier.audit_seq or 0) + 1
    prev = dossier.audit_head or audit.GENESIS
    record = audit.next_record(prev, seq, dossier_id=dossier.dossier_id, **body)
    tx.save(AuditRecord(dossier.dossier_id, seq, hash=record["hash"], prev_hash=prev, body=body,
                        digest_partition=audit.digest_partition(dossier.dossier_id, body["at"])),
            condition=AuditRecord.seq.does_not_exist())
    return seq, record["hash"]


def audit_actions(tx: TransactWrite, dossier: Dossier, body: dict) -> list[Action]:
    """Append the audit record; the dossier's actions that move its head along."""
    seq, head = append_audit(tx, dossier, body)
    return [Dossier.audit_seq.set(seq), Dossier.audit_head.set(head)]
