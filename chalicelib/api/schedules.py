"""Scheduled runs: the daily statements, the five-minute recovery sweep, the daily audit digest
and the daily sweep of advances past their adjustment period. Each works for the time it was due
(`scheduled_at`), so a late or retried run still does its own day's work."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron, Rate

from .request import scheduled_at, services

bp = Blueprint(__name__)


@bp.schedule(Cron(0, 18, "*", "*", "?", "*"))   # 01:00 in Asia/Ho_Chi_Minh, every day
def issue_due_statements(event: Any) -> None:
    """Issue the statements that are due and not yet issued: one job message per segment."""
    from chalicelib.services import statements
    statements.schedule(scheduled_at(event), store=services().statements)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_undelivered(event: Any) -> None:
    """Start the executions and answer the decided tokens that Step Functions never took
    (services/sweeper.py): what was committed but never reached Step Functions."""
    from chalicelib.services import sweeper
    svc = services()
    sweeper.sweep(repo=svc.repo, workflows=svc.workflows, config=svc.config,
                  now=scheduled_at(event))


@bp.schedule(Cron(0, 19, "*", "*", "?", "*"))   # 02:00 in Asia/Ho_Chi_Minh, every day
def flag_open_advances(event: Any) -> None:
    """Advances still open when their budget year's adjustment period has ended, flagged to the
    unit and its office (347/2025 Art.6 cl.2 pt.e last para; services/advances.py)."""
    from chalicelib.services import advances
    svc = services()
    advances.flag_past_adjustment_period(scheduled_at(event), repo=svc.repo, alerts=svc.alerts,
                                         topics=svc.topics)


@bp.schedule(Cron(5, 17, "*", "*", "?", "*"))   # 00:05 in Asia/Ho_Chi_Minh, every day
def write_audit_digest(event: Any) -> None:
    """The heads of the audit chains that changed on the local day just ended, to S3 under
    Object Lock (docs/audit-digests.md)."""
    from chalicelib.services import audit_digests
    svc = services()
    audit_digests.write_day_before(scheduled_at(event), repo=svc.repo, store=svc.digests,
                                   config=svc.config)
