"""Risk warnings (cảnh báo rủi ro), from the domain events.

* Every status change of a unit's dossiers and every balance change of its accounts is published
  to the unit's SNS topic (`kbnn-risk-<unit_id>`), which its account holders and chief
  accountants subscribe to (e-mail, SMS, app): a payment nobody at the unit made shows up on
  their phones.
* Each submission (or resubmission) of a payment-like dossier is checked against the anomaly
  rules of domain/risk.py; each rule that fires is stored as a flag (listed by GET /v1/alerts)
  and published to the unit's topic and to its office's (`kbnn-risk-office-<office_id>`).
* Each posted payment updates the statistics the rules read: the unit's last paid amounts and
  the payees it has paid.

Every side effect runs inside `consumers.once` under its own consumer name, so a redelivered event
publishes nothing twice, and a failure after some effects retries only those not yet done.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ..adapters.models import RiskFlag
from ..adapters.notify import office_topic, unit_topic
from ..domain import catalogue, notices, risk
from . import advances, common
from .consumers import once

log = logging.getLogger(__name__)
REGISTRATION = "service_registration"
SUBMISSIONS = ("dossier.submitted", "dossier.resubmitted")
BURST_KEEP = timedelta(days=1)     # a window's counter outlives its window, then expires (TTL)


def on_event(event: dict, *, repo: Any, alerts: Any, topics: Any, now: datetime) -> None:
    name, _ = event["event"], event["event_id"]      # a message without them is poison
    if event.get("procedure") == REGISTRATION:
        return   # a unit applying to use the service has no signers yet to warn
    once("risk-warning", event, lambda: warn(event, topics), now=now)
    if name == "payment.posted":
        once("risk-statistics", event, lambda: learn(event, repo, alerts), now=now)
    if name == "payment.posted" and event.get("payment_kind") == "advance":
        # 347/2025 Art.6 cl.2 pt.e last para: watched until its adjustment period ends
        once("advance-watch", event, lambda: advances.watch(event, repo=repo, alerts=alerts),
             now=now)
    if name in SUBMISSIONS and _payment_like(event):
        once("risk-check", event, lambda: check(event, repo, alerts, now), now=now)
        publish_flags(event, alerts, topics, now)


def warn(event: dict, topics: Any) -> str:
    """The change, to the unit's topic."""
    if event["event"] == "balance.changed":
        alert, kind = notices.balance_alert(event), "balance"
    else:
        alert, kind = notices.status_alert(event), "status"
    return topics.publish(unit_topic(event["unit_id"]), alert.subject, alert.text, alert.sms, {
        "kind": kind, "event": event["event"], "unit_id": event["unit_id"],
        "dossier_id": event.get("dossier_id"), "account_id": event.get("account_id")})


def _payment_like(event: dict) -> bool:
    try:
        proc = catalogue.get_version(event["procedure"], event["procedure_version"])
    except Exception:
        return False
    return proc.content_kind == "payment"


# --- statistics from posted payments -----------------------------------------------------------
def learn(event: dict, repo: Any, alerts: Any) -> None:
    dossier = repo.dossier(event["dossier_id"])
    if dossier is None:
        raise LookupError("the dossier of a posted payment is missing")
    content = repo.body(dossier).content or {}
    key = risk.payee_key((content.get("voucher") or {}).get("payee"))
    if key is not None:   # first: a retry after it must not skip the amount below
        alerts.record_payee(dossier.unit_id, key, dossier.dossier_id,
                                common.parse_iso(event["occurred_at"]))
    alerts.record_paid(dossier.unit_id, dossier.dossier_id, int(event["amount"]))


# --- the anomaly rules at submission ---------------------------------------------------------
def facts_of(event: dict, repo: Any, alerts: Any) -> risk.Submission:
    """What the rules compare, gathered for one submission event."""
    dossier = repo.dossier(event["dossier_id"])
    if dossier is None:
        raise LookupError("the dossier of a submission event is missing")
    at = common.parse_iso(event["occurred_at"])
    body = repo.body(dossier)
    payee = ((body.content or {}).get("voucher") or {}).get("payee") or {}
    kind = catalogue.PAYMENT_KINDS.get(dossier.payment_kind or "")
    debits = kind is not None and kind.balance_effect < 0
    key = risk.payee_key(payee)
    signatures = [s for s in body.signatures or [] if isinstance(s.get("fingerprint"), str)]
    records = repo.certificates([s["fingerprint"] for s in signatures])
    certificates = [risk.SigningCertificate(s["title"], s["fingerprint"],
                                            common.parse_iso(records[s["fingerprint"]].registered_at))
                    for s in signatures if s["fingerprint"] in records]
    window = risk.window_of(at)
    count = alerts.count_submission(dossier.unit_id, window, dossier.dossier_id,
                                        window + BURST_KEEP)
    return risk.Submission(
        at=at, debits=debits, amount=int(dossier.amount or 0), payee=payee,
        payee_known=(alerts.payee_known(dossier.unit_id, key) if debits and key else True),
        recent_paid=alerts.recent_paid(dossier.unit_id) if debits else [],
        certificates=certificates, burst_count=count)


def check(event: dict, repo: Any, alerts: Any, now: datetime) -> list[risk.Flag]:
    flags = risk.evaluate(facts_of(event, repo, alerts), repo.office_calendar(event["office_id"]))
    seq = event["event_id"].rpartition("#")[2]
    for flag in flags:
        alert_id = f"{event['event_id']}#{flag.rule}"
        alerts.save_flag(RiskFlag(
            f"FLAG#{event['dossier_id']}", f"{seq}#{flag.rule}", alert_id=alert_id,
            dossier_id=event["dossier_id"], unit_id=event["unit_id"], office_id=event["office_id"],
            procedure=event["procedure"], event=event["event"], rule=flag.rule,
            message=flag.message, facts=flag.facts, occurred_at=event["occurred_at"],
            flagged_at=common.iso(now), listed_at=f"{event['occurred_at']}#{alert_id}"))
    if flags:
        log.info("submission flagged", extra={"dossier_id": event["dossier_id"],
                                              "rules": [f.rule for f in flags]})
    return flags


def publish_flags(event: dict, alerts: Any, topics: Any, now: datetime) -> None:
    """Each stored flag of this submission, once to the unit's topic and once to the office's."""
    seq = event["event_id"].rpartition("#")[2]
    for item in alerts.flags_of(event["dossier_id"], prefix=f"{seq}#"):
        flag = risk.Flag(item.rule, item.message, item.facts or {})
        alert = notices.flag_alert(flag, event)
        attributes = {"kind": "risk_flag", "rule": flag.rule, "event": event["event"],
                      "unit_id": event["unit_id"], "dossier_id": event["dossier_id"]}
        for consumer, topic in (("risk-flag-unit", unit_topic(event["unit_id"])),
                                ("risk-flag-office", office_topic(event["office_id"]))):
            once(consumer, {"event": "risk.flagged", "event_id": item.alert_id},
                 partial(topics.publish, topic, alert.subject, alert.text, alert.sms,
                         attributes), now=now)
