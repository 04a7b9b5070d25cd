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

from ..adapters.models import IdempotencyRecord

log = logging.getLogger(__name__)
CLAIM_TTL = timedelta(days=14)


def event_of(record: Any) -> dict:
    """The domain event (EventBridge `detail`, with its `detail-type`) in one SQS record."""
    body = json.loads(record.body if hasattr(record, "body") else record["body"])
    return body["detail"] if "detail" in body else body


def once(consumer: str, event: dict, work: Callable[[], None], *, now: datetime) -> bool:
    """Run `work` unless this consumer already handled this event; True if it ran."""
    from pynamodb.exceptions import PutError
    claim = IdempotencyRecord(f"event#{consumer}#{event['event_id']}", request_hash=event["event"],
                              status_code=0, response={"status": "claimed"},
                              expires_at=now + CLAIM_TTL)
    try:
        claim.save(condition=IdempotencyRecord.key.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            log.info("event already handled", extra={"consumer": consumer, "event": event["event"]})
            return False
        raise
    try:
        work()
    except Exception:
        claim.delete()
        raise
    claim.update(actions=[IdempotencyRecord.response.set({"status": "done"})])
    return True
