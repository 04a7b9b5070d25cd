"""What every consumer of domain events shares: reading an event from its queue message, and
doing its work for each event once in effect.

Events arrive at least once (a retried stream batch republishes, EventBridge and SQS may deliver
twice). `once()` claims `<consumer>#<event_id>` with a conditional put before the work; a copy
finds the claim and is skipped. If the work fails, the claim is released and the message is
redelivered (then dead-lettered after the queue's maxReceiveCount), so a failure is retried and
never silently dropped. A process that dies between the claim and the end of the work leaves the
claim: that event's work is then lost for this consumer, which is the price of never doing it
twice; such claims are listed by their `claimed` status for an operator.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..adapters.repository import claim_event, finish_claim, release_claim

log = logging.getLogger(__name__)
CLAIM_TTL = timedelta(days=14)


def event_of(record: Any) -> dict:
    """The domain event (EventBridge `detail`, with its `detail-type`) in one SQS record."""
    body = json.loads(record.body if hasattr(record, "body") else record["body"])
    return body["detail"] if "detail" in body else body


def once(consumer: str, event: dict, work: Callable[[], object], *, now: datetime) -> bool:
    """Run `work` unless this consumer already handled this event; True if it ran."""
    claim = claim_event(f"event#{consumer}#{event['event_id']}", event["event"], now + CLAIM_TTL)
    if claim is None:
        log.info("event already handled", extra={"consumer": consumer, "event": event["event"]})
        return False
    try:
        work()
    except Exception:
        release_claim(claim)
        raise
    finish_claim(claim)
    return True
