"""Results to units by e-mail: one e-mail to the unit's one registered address for each result of
its dossiers (received, with the promised result date; accepted, supplement requested, refused,
paid, recorded, registered, closed, reconciled or not; a deadline extended, with the final
deadline), rendered from the templates in chalicelib/templates/email.

Each result event arrives at least once; the e-mail is sent inside `consumers.once`, so a copy of
the event sends nothing and a failed send is retried by the queue (then dead-lettered). The
address is the one the unit registered (`Unit.email`); for a service registration (TK01), the one
its form gave.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..domain import notices
from .consumers import once

log = logging.getLogger(__name__)
CONSUMER = "email"
REGISTRATION = "service_registration"


def on_event(event: dict, *, repo: Any, alerts: Any, mailer: Any, now: datetime) -> bool:
    """E-mail the unit about one result; True if sent now (False: a copy, or not a result)."""
    name, _ = event["event"], event["event_id"]      # a message without them is poison
    if name not in notices.EMAIL_EVENTS:
        log.info("not a result the unit is e-mailed about", extra={"event": name})
        return False
    return once(CONSUMER, event, lambda: send(event, repo=repo, alerts=alerts, mailer=mailer), now=now)


def send(event: dict, *, repo: Any, alerts: Any, mailer: Any) -> str | None:
    address, unit_name = recipient(event, repo)
    if not address:
        # A unit without an address cannot be told; retrying would not give it one.
        log.warning("unit has no registered e-mail address",
                    extra={"unit_id": event.get("unit_id"), "event": event["event"]})
        return None
    record = _record_of_change(event, repo)
    reason = event.get("reason") or (record or {}).get("reason")
    office_name = alerts.office_name(event["office_id"]) or f"KBNN {event['office_id']}"
    mail = notices.render_email(event, unit_name=unit_name, office_name=office_name, reason=reason,
                                extension=(record or {}).get("extension"))
    return mailer.send(address, mail.subject, mail.body)


def recipient(event: dict, repo: Any) -> tuple[str | None, str]:
    """The unit's registered address and name. A registration (TK01) answers the applicant at
    the address its own form gave: the unit may not exist yet, or (a refused form) be another's."""
    if event.get("procedure") == REGISTRATION:
        dossier = repo.dossier(event["dossier_id"])
        content = repo.body(dossier).content if dossier else {}
        form = (content or {}).get("registration", {}).get("unit", {})
        return form.get("email"), form.get("name") or event["unit_id"]
    unit = repo.unit(event["unit_id"])
    if unit is None:
        return None, event["unit_id"]
    return unit.email, unit.name


def _record_of_change(event: dict, repo: Any) -> dict | None:
    """A supplement request keeps its reason on the task and in the audit record of the change,
    not in the dossier's result, and an extension its cause, reason and deadlines (347/2025 Art.3
    cl.6): read them from the audit record the event identifies."""
    if event["event"] not in ("dossier.supplement_requested", "dossier.refused",
                              "dossier.not_reconciled", "dossier.deadline_extended"):
        return None
    _, _, seq = event["event_id"].rpartition("#")
    return next((r for r in repo.audit_records(event["dossier_id"]) if str(r["seq"]) == seq), None)
