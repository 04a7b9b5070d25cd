"""The National Public Service Portal's mirror: a feed of dossier status changes it pulls.

Fed from the domain events (queue `kbnn-portal-feed`, rule of the same name on `kbnn-events`):
each change becomes one feed entry, once, however often its event is delivered (`once()` claims
the event id before the entry is written). Entries are ordered by when they reached the feed, in
one partition per UTC day, so a pull is a Query from the portal's cursor; docs/portal.md.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from .. import clock as product_clock
from ..adapters.aggregates import AggregateStore
from ..adapters.identity import Principal
from ..domain import aggregates
from ..domain.errors import BadRequest, InvalidField
from . import authz, common, consumers

CONSUMER = "portal-feed"
# A feed entry is served once it is this old: a write still in flight (taken its time stamp but
# not yet stored) is never passed over by a cursor that moved beyond its time stamp meanwhile.
SETTLE = timedelta(seconds=3)
DEFAULT_WINDOW = timedelta(hours=24)
REACH = timedelta(days=30)     # how far back `since` may go (entries are kept 90 days)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def record(event: Mapping, *, store: AggregateStore, now: datetime,
           clock: Callable[[], datetime] = product_clock.now) -> bool:
    """One dossier event into the feed, once; False for a copy (or an event the feed skips)."""
    if event.get("event") not in aggregates.FEED_EVENTS:
        return False
    entry = aggregates.portal_entry(event)

    def write() -> None:
        # Stamped at the write itself, so the settle window covers only the write.
        store.put_feed_entry(aggregates.recorded_key(clock(), event["event_id"]), entry, now)
    return consumers.once(CONSUMER, dict(event), write, now=now)


def status_feed(principal: Principal, *, since: str | None, limit: int, store: AggregateStore,
                now: datetime) -> dict:
    """Status changes recorded after `since` (an ISO time, or the `next_cursor` of the last
    pull), oldest first, with the cursor to continue from."""
    authz.require(principal, "portal.status")
    after = _start(since, now)
    upto_at = now - SETTLE
    upto = aggregates.position_at(upto_at)
    items: list[dict] = []
    position, day = after, date.fromisoformat(aggregates.feed_day(after))
    last_day = date.fromisoformat(upto[:10])
    while day <= last_day and len(items) < limit:
        found, more = store.feed(day.isoformat(), position, upto, limit - len(items))
        items += found
        if found:
            position = found[-1]["sk"]
        if not more:
            day += timedelta(days=1)
    full = len(items) >= limit
    if not full:
        position = max(position, upto)   # everything up to the settle point has been read
    return {"items": [_public(i) for i in items], "next_cursor": aggregates.encode_cursor(position),
            "has_more": full, "as_of": common.iso(upto_at)}


def _start(since: str | None, now: datetime) -> str:
    if since is None:
        return aggregates.position_at(now - DEFAULT_WINDOW)
    if _ISO_TIME.fullmatch(since):
        try:
            at = aggregates.parse_time(since)
        except ValueError:
            at = None
        if at is not None:
            return _within_reach(aggregates.position_at(at), now)
    key = aggregates.decode_cursor(since)
    if key is None:
        raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor", field="since")
    return _within_reach(key, now)


def _within_reach(position: str, now: datetime) -> str:
    if position < aggregates.position_at(now - REACH):
        raise InvalidField("since phải trong vòng 30 ngày gần nhất.", code="since_too_old",
                           field="since")
    return position


def _public(item: Mapping) -> dict:
    return {**{f: item.get(f) for f in aggregates.PORTAL_FIELDS}, "seq": int(item["seq"]),
            "recorded_at": item["recorded_at"]}
