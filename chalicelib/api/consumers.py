"""Consumers of the domain events (bus `kbnn-events` -> rule -> queue): the portal's status feed,
the report counters, the statement ledger, e-mail notifications and risk warnings, and the
statement jobs the daily schedule queues."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.queues import (
    NOTIFICATION_QUEUE,
    PORTAL_FEED_QUEUE,
    REPORTS_QUEUE,
    RISK_QUEUE,
    STATEMENT_JOB_QUEUE,
    STATEMENT_LEDGER_QUEUE,
)

from .request import now, services

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=PORTAL_FEED_QUEUE, batch_size=1)
def handle_portal_feed_events(event: Any) -> None:
    """A dossier status change: one entry of the portal's status feed."""
    from chalicelib.services import portal
    from chalicelib.services.consumers import event_of
    for record in event:
        portal.record(event_of(record), store=services().aggregates, now=now())


@bp.on_sqs_message(queue=REPORTS_QUEUE, batch_size=1)
def handle_report_events(event: Any) -> None:
    """A dossier received or decided, a unit registered: the report counters."""
    from chalicelib.services import figures
    from chalicelib.services.consumers import event_of
    for record in event:
        figures.consume(event_of(record), store=services().aggregates, now=now())


@bp.on_sqs_message(queue=STATEMENT_JOB_QUEUE, batch_size=1)
def handle_statement_jobs(event: Any) -> None:
    """A few pages of accounts of one segment of a due period; the rest follows in a new message."""
    from chalicelib.services import statements
    for record in event:
        statements.run_segment(json.loads(record.body), store=services().statements, now=now())


@bp.on_sqs_message(queue=STATEMENT_LEDGER_QUEUE, batch_size=1)
def handle_statement_ledger(event: Any) -> None:
    """Every `balance.changed` event becomes a ledger entry (once: its key is the change)."""
    from chalicelib.services import statements
    from chalicelib.services.consumers import event_of
    for record in event:
        statements.record_balance_change(event_of(record), store=services().statements)


@bp.on_sqs_message(queue=NOTIFICATION_QUEUE, batch_size=1)
def handle_notification_events(event: Any) -> None:
    """A dossier's result: e-mail the unit's registered address (once per event)."""
    from chalicelib.services import notifications
    from chalicelib.services.consumers import event_of
    for record in event:
        svc = services()
        notifications.on_event(event_of(record), repo=svc.repo, alerts=svc.alerts,
                               mailer=svc.mailer, now=now())


@bp.on_sqs_message(queue=RISK_QUEUE, batch_size=1)
def handle_risk_events(event: Any) -> None:
    """Status and balance changes to the unit's risk-warning topic; submissions checked for
    anomalies; posted payments kept as the unit's statistics."""
    from chalicelib.services import risk
    from chalicelib.services.consumers import event_of
    for record in event:
        svc = services()
        risk.on_event(event_of(record), repo=svc.repo, alerts=svc.alerts, topics=svc.topics,
                      now=now())
