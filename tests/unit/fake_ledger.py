"""The posting adapter's edge in memory, applying its update actions to the very objects it is
given: kept only for tests/unit/test_openapi.py's schema tests, whose repositories hand out their
own objects. Every other test uses tests/fakes.py (MemoryLedger over MemoryRepository, which the
repository contract holds to DynamoDB's behaviour); move test_openapi.py there and delete this."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.expressions.update import AddAction, RemoveAction

from chalicelib.adapters import dynamo
from chalicelib.domain import catalogue
from chalicelib.domain.changes import REMOVE, Add
from chalicelib.domain.errors import Conflict


def apply(obj: Any, actions) -> None:
    """Do what DynamoDB does with SET / REMOVE / ADD to a model instance or a plain namespace:
    `actions` are plain changes, translated by the adapter's own dynamo.actions(), or update
    actions already."""
    if isinstance(actions, Mapping):
        _apply_changes(obj, actions)
        return
    for action in actions:
        path, *rest = action.values
        name = path.path[0]
        if isinstance(action, RemoveAction):
            setattr(obj, name, None)
            continue
        ((kind, raw),) = rest[0].value.items()
        attribute = getattr(type(obj), name, None)
        if hasattr(attribute, "deserialize"):
            value = attribute.deserialize(raw)
        else:
            value = int(raw) if kind == "N" else raw
        if isinstance(action, AddAction):
            value = (getattr(obj, name, None) or 0) + value
        setattr(obj, name, value)


def _apply_changes(obj: Any, changes: Mapping) -> None:
    """A model instance through the adapter's own translation (so what cannot be serialised
    fails here as it would in DynamoDB); a plain namespace directly."""
    if hasattr(type(obj), "_get_schema"):
        apply(obj, dynamo.actions(type(obj), changes))
        return
    for name, value in changes.items():
        if value is REMOVE:
            value = None
        elif isinstance(value, Add):
            value = (getattr(obj, name, None) or 0) + value.amount
        setattr(obj, name, value)


class MemoryLedger:
    def __init__(self, accounts: dict | None = None) -> None:
        self.items: dict[str, Any] = {}
        self.accounts = accounts if accounts is not None else {}
        self.sent: list[dict] = []
        self.dlq: list[dict] = []
        self.audit: list[dict] = []

    def posting(self, posting_id: str):
        return self.items.get(posting_id)

    def open(self, item, dossier, dossier_actions, account=None, account_actions=None) -> None:
        if item.posting_id in self.items or dossier.status != catalogue.POSTING:
            raise Conflict("moved", code="posting_contention")
        apply(dossier, dossier_actions)
        if account is not None:
            apply(account, account_actions or {})
        item.version = 1
        self.items[item.posting_id] = item

    def update(self, item, actions) -> None:
        apply(item, actions)

    def conclude(self, item, item_actions, dossier, dossier_actions, audit_body, *,
                 account_id=None, account_changes=None) -> None:
        if item.state not in ("requested", "parked") or dossier.status != catalogue.POSTING:
            raise Conflict("moved", code="posting_contention")
        apply(item, item_actions)
        apply(dossier, dossier_actions)
        self.audit.append(audit_body)
        if account_id is not None:
            apply(self.accounts[account_id], account_changes or {})

    def send(self, item, *, attempt: int, sent_at: str, delay_seconds: int = 0) -> None:
        self.sent.append({**item.request, "attempt": attempt, "sent_at": sent_at,
                          "delay_seconds": delay_seconds})

    def park(self, item, *, reason: dict, parked_at: str) -> None:
        self.dlq.append({"posting_id": item.posting_id, "last_error": reason,
                         "parked_at": parked_at})

    def parked(self, limit: int = 10, hide_seconds: int = 30) -> list[tuple[dict, str]]:
        return [(body, body["posting_id"]) for body in self.dlq[:limit]]

    def forget_parked(self, receipt_handle: str) -> None:
        self.dlq = [body for body in self.dlq if body["posting_id"] != receipt_handle]
