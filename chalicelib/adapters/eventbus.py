"""The EventBridge bus the domain events go to (PutEvents, ten entries a call)."""
from __future__ import annotations

import json
from collections.abc import Iterable

from ..domain.events import SOURCE, Event
from . import aws

BATCH = 10   # PutEvents' limit per call


class PublishFailed(RuntimeError):
    """Some entries were not accepted; the stream batch is retried (consumers drop copies)."""


class EventBus:
    def __init__(self, name: str, region: str) -> None:
        self.name, self.region = name, region

    def publish(self, events: Iterable[Event]) -> int:
        entries = [{"Source": SOURCE, "DetailType": e.name, "EventBusName": self.name,
                    "Detail": json.dumps(e.envelope(), ensure_ascii=False, separators=(",", ":"))}
                   for e in events]
        client = aws.client("events", self.region)
        for start in range(0, len(entries), BATCH):
            answer = client.put_events(Entries=entries[start:start + BATCH])
            if answer.get("FailedEntryCount"):
                raise PublishFailed(f"{answer['FailedEntryCount']} events not accepted")
        return len(entries)
