"""Domain events: what other systems and people learn, derived from the tables' change streams.

Every status change of a dossier, every balance change of an account and every status change of
a certificate becomes one versioned event. Its `event_id` is derived from the change itself (the
dossier's audit sequence, the account's version), so a stream record processed twice yields the
same id and consumers drop the copy. The schemas are documented in docs/events.md; a test keeps
the two in step.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import catalogue

SOURCE = "kbnn.dvc"
VERSION = 1

# The event a dossier emits on entering a status (and, where it matters, coming from another).
_ENTERED = {
    catalogue.AWAITING_SUPPLEMENT: "dossier.supplement_requested",
    catalogue.AWAITING_APPROVAL: "dossier.accepted",
    catalogue.PAID: "payment.posted",
    catalogue.RECORDED: "dossier.recorded",
    catalogue.REFUSED: "dossier.refused",
    catalogue.REGISTERED: "dossier.registered",
    catalogue.CLOSED: "dossier.closed",
    catalogue.RECONCILED: "dossier.reconciled",
    catalogue.NOT_RECONCILED: "dossier.not_reconciled",
}
# Events whose reason is the one given with the decision (the dossier has no result yet).
_ASKING = ("dossier.supplement_requested", "dossier.sent_back")
# A paid payroll's line its payee's bank sent back, credited back to the unit (the unit's notice).
LINE_RETURNED = "payment.line_returned"
DOSSIER_EVENTS = ("dossier.submitted", "dossier.resubmitted", "dossier.sent_back",
                  "dossier.approved", "dossier.overdue", "dossier.deadline_extended",
                  *_ENTERED.values(), LINE_RETURNED)
OTHER_EVENTS = ("balance.changed", "certificate.registered", "certificate.activated",
                "certificate.revoked", "unit.registered")
# A balance reconciliation statement issued by the treasury, and what becomes of it.
STATEMENT_EVENTS = ("statement.issued", "statement.confirmed", "statement.disputed",
                    "statement.resolved")
ALL_EVENTS = DOSSIER_EVENTS + OTHER_EVENTS + STATEMENT_EVENTS


@dataclass(frozen=True)
class Event:
    name: str
    event_id: str
    occurred_at: str
    detail: dict

    def envelope(self) -> dict:
        """The EventBridge `detail`: the common fields every event has, then its own."""
        return {"version": VERSION, "event": self.name, "event_id": self.event_id,
                "occurred_at": self.occurred_at, **self.detail}


def _dossier_name(old: dict | None, new: dict) -> str | None:
    if old is None:
        return "dossier.submitted"
    before, after = old.get("status"), new.get("status")
    if before != after:
        if after == catalogue.UNDER_REVIEW:
            return "dossier.resubmitted" if before == catalogue.AWAITING_SUPPLEMENT else "dossier.sent_back"
        if after in (catalogue.POSTING, catalogue.ACTIVATING):
            return "dossier.approved" if before == catalogue.AWAITING_APPROVAL else "dossier.accepted"
        return _ENTERED.get(str(after))
    if new.get("alert_task_id") and new.get("alert_task_id") != old.get("alert_task_id"):
        return "dossier.overdue"
    if new.get("due_at") != old.get("due_at") and new.get("extensions") != old.get("extensions"):
        return "dossier.deadline_extended"
    if _returned_line(old, new) is not None:
        return LINE_RETURNED
    return None


def _returned_line(old: dict, new: dict) -> dict | None:
    """The payroll line a change recorded as returned (services/payee_returns.py adds one per
    change): its 1-based number, amount, the bank's code and reason. No payee name or account:
    events travel to other systems."""
    before = _json(old.get("returned_lines")) or {}
    after = _json(new.get("returned_lines")) or {}
    added = [key for key in after if key not in before]
    if not added:
        return None
    entry = after[added[0]]
    return {"line": int(added[0]) + 1, "amount": _int(entry.get("amount")),
            "code": entry.get("code"), "reason": entry.get("reason"),
            "credited_at": entry.get("credited_at")}


def from_dossier(old: dict | None, new: dict | None) -> list[Event]:
    """The event of one change of a dossier item (images as plain dicts), or none."""
    if new is None:
        return []
    name = _dossier_name(old, new)
    if name is None:
        return []
    result = _json(new.get("result")) or {}
    detail = {
        "dossier_id": new["dossier_id"], "dossier_code": new["dossier_id"],
        "correlation_id": new.get("correlation_id") or new["dossier_id"],
        "procedure": new["procedure"], "procedure_version": new["procedure_version"],
        "unit_id": new["unit_id"], "office_id": new["office_id"],
        "status": new["status"], "from_status": (old or {}).get("status"),
        "step": new.get("step"), "due_at": new.get("due_at"),
        "payment_kind": new.get("payment_kind"), "account_id": new.get("account_id"),
        "amount": _int(new.get("amount")), "voucher_number": new.get("voucher_number"),
        "reason": new.get("last_reason") if name in _ASKING else result.get("reason"),
        "result": result or None,
    }
    if name == LINE_RETURNED:
        returned = _returned_line(old or {}, new)
        detail.update(returned_line=returned, reason=(returned or {}).get("reason"))
    return [Event(name, f"{new['dossier_id']}#{_int(new.get('audit_seq')) or 0}",
                  new.get("updated_at") or new["received_at"], detail)]


def from_account(old: dict | None, new: dict | None) -> list[Event]:
    """An account's balance moved (a debit, a credit): `balance.changed`."""
    if not new or not str(new.get("pk", "")).startswith("ACCOUNT#") or old is None:
        return []
    before, after = _int(old.get("balance")), _int(new.get("balance"))
    if before == after:
        return []
    return [Event("balance.changed", f"{new['account_id']}#{_int(new.get('version'))}",
                  new.get("updated_at") or "", {
                      "account_id": new["account_id"], "unit_id": new["unit_id"],
                      "kind": new.get("kind"), "balance": after, "previous_balance": before,
                      "delta": (after or 0) - (before or 0),
                      "correlation_id": new.get("last_dossier_id") or new["account_id"],
                      "dossier_id": new.get("last_dossier_id")})]


def from_unit(old: dict | None, new: dict | None) -> list[Event]:
    """A unit joined the service (its directory item was created: TK01 activation, or seeded)."""
    if not new or not str(new.get("pk", "")).startswith("UNIT#") or old is not None:
        return []
    return [Event("unit.registered", f"{new['unit_id']}#registered", new.get("registered_at") or "", {
        "unit_id": new["unit_id"], "office_id": new["office_id"],
        "mandatory": bool(new.get("mandatory", True)), "registered_by": new.get("registered_by"),
        "correlation_id": new.get("registered_by") or new["unit_id"]})]


def from_directory(old: dict | None, new: dict | None) -> list[Event]:
    """The directory table holds accounts and units: a balance moved, or a unit registered."""
    return from_account(old, new) + from_unit(old, new)


def from_certificate(old: dict | None, new: dict | None) -> list[Event]:
    """A certificate registered, activated (approved) or revoked."""
    if not new:
        return []
    before, after = (old or {}).get("status"), new.get("status")
    if before == after:
        return []
    name = {"pending": "certificate.registered", "revoked": "certificate.revoked"}.get(str(after))
    if after == "active":
        name = "certificate.activated" if before == "pending" else "certificate.registered"
    if name is None:
        return []
    holder = new.get("holder", "")
    kind, _, holder_id = holder.partition("#")
    return [Event(name, f"{new['fingerprint']}#{after}",
                  new.get("revoked_at") or new.get("registered_at") or "", {
                      "fingerprint": new["fingerprint"], "title": new.get("title"),
                      "owner_username": new.get("owner_username"),
                      "unit_id": holder_id if kind == "unit" else None,
                      "office_id": holder_id if kind == "office" else None,
                      "status": after, "reason": new.get("revocation_reason"),
                      "correlation_id": new["fingerprint"]})]


_STATEMENT_ENTERED = {"issued": "statement.issued", "confirmed": "statement.confirmed",
                      "disputed": "statement.disputed", "resolved": "statement.resolved"}


def from_statement(old: dict | None, new: dict | None) -> list[Event]:
    """A reconciliation statement issued, confirmed, disputed or resolved (the statements table
    also holds the ledger, counters and job runs: those are not events)."""
    if not new or not str(new.get("pk", "")).startswith("STATEMENT#"):
        return []
    before, after = (old or {}).get("status"), new.get("status")
    if before == after or after not in _STATEMENT_ENTERED:
        return []
    reply, resolution = _json(new.get("reply")) or {}, _json(new.get("resolution")) or {}
    return [Event(_STATEMENT_ENTERED[after], f"{new['statement_id']}#{after}",
                  new.get("updated_at") or new.get("issued_at") or "", {
                      "statement_id": new["statement_id"], "correlation_id": new["statement_id"],
                      "account_id": new["account_id"], "account_kind": new.get("account_kind"),
                      "unit_id": new["unit_id"], "office_id": new["office_id"],
                      "cadence": new.get("cadence"), "period": new.get("period"),
                      "period_from": new.get("period_from"), "period_to": new.get("period_to"),
                      "reply_by": new.get("reply_by"),
                      "opening_balance": _int(new.get("opening_balance")),
                      "debits": _int(new.get("debits")), "credits": _int(new.get("credits")),
                      "closing_balance": _int(new.get("closing_balance")),
                      "status": after, "from_status": before,
                      "answer": reply.get("answer"), "details": reply.get("details"),
                      "outcome": resolution.get("outcome"), "reason": resolution.get("reason")})]


def _json(value: Any) -> Any:
    """JSON attributes are stored as strings: parse them (stream images carry them as stored)."""
    return json.loads(value) if isinstance(value, str) else value


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
