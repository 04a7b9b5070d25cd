"""What the portal mirror and the reports keep from the domain events, as pure rules.

The National Public Service Portal pulls a feed of dossier status changes; leaders and officers
read figures per office, day and procedure. Both are kept from the events (never by scanning the
dossiers), so this module says which events count, how, on which day and in which shard, and how
the figures are derived from the counters. The definitions are the ones in docs/reports.md.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import catalogue, events

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Counters of one office, day and procedure are spread over this many items (chosen by the
# dossier id), so a burst of one office's submissions does not queue on one hot item; a report
# sums the shards. docs/reports.md explains the choice.
SHARDS = 4
COUNTERS = ("received", "decided", "on_time", "late", "online_vouchers")

# The feed mirrors every change of a dossier the portal shows; an escalation inside the treasury
# (`dossier.overdue`) is not one.
FEED_EVENTS = tuple(e for e in events.DOSSIER_EVENTS if e != "dossier.overdue")
# A dossier is decided when it reaches an end status: its result is given.
DECIDED_EVENTS = tuple(sorted({"payment.posted", "dossier.recorded", "dossier.refused",
                               "dossier.registered", "dossier.closed", "dossier.reconciled",
                               "dossier.not_reconciled"}))
REPORT_EVENTS = ("dossier.submitted", *DECIDED_EVENTS, "unit.registered")
# Form TK01 is how a unit joins the service, not a submission of a unit that uses it.
NOT_A_UNITS_SUBMISSION = frozenset({"service_registration"})

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_day(at: str) -> str:
    """The day (Asia/Ho_Chi_Minh) a UTC ISO-8601 instant falls on: the treasury's day."""
    return parse_time(at).astimezone(LOCAL).date().isoformat()


def week_of(day: date) -> str:
    """ISO week (Monday to Sunday) of a local day, e.g. 2026-W48."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_ending(day: date, count: int) -> list[str]:
    """The `count` ISO weeks ending with the week of `day`, oldest first."""
    return [week_of(day - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


def shard_of(dossier_id: str) -> int:
    """Deterministic, so every event of a dossier lands in the same shard."""
    return zlib.crc32(dossier_id.encode()) % SHARDS


def parse_day(value: str) -> date | None:
    if not _DAY.fullmatch(value or ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Tally:
    """Increments one event makes to the counters of (office, day, procedure)."""
    office_id: str
    day: str
    procedure: str
    shard: int
    counts: dict[str, int]


def tally(event: Mapping) -> Tally | None:
    """What a dossier event adds to the counters: a received dossier (and, if it carries a
    voucher, an online voucher), or a decided one, on time or late against its due time."""
    name = event["event"]
    if name == "dossier.submitted":
        counts = {"received": 1}
        if event.get("payment_kind"):
            counts["online_vouchers"] = 1
    elif name in DECIDED_EVENTS:
        late = parse_time(event["occurred_at"]) > parse_time(event["due_at"])
        counts = {"decided": 1, "late" if late else "on_time": 1}
    else:
        return None
    return Tally(event["office_id"], local_day(event["occurred_at"]), event["procedure"],
                 shard_of(event["dossier_id"]), counts)


def active_week(event: Mapping) -> tuple[str, str, str] | None:
    """(office, ISO week, unit) of a unit's submission, for the regular-senders figure."""
    if event["event"] != "dossier.submitted" or event["procedure"] in NOT_A_UNITS_SUBMISSION:
        return None
    day = date.fromisoformat(local_day(event["occurred_at"]))
    return event["office_id"], week_of(day), event["unit_id"]


# --- the portal feed -------------------------------------------------------------------------
PORTAL_FIELDS = ("dossier_code", "procedure", "procedure_version", "event", "status",
                 "office_id", "due_at", "occurred_at")


def portal_entry(event: Mapping) -> dict:
    """The part of a dossier event the portal may see: no person, no account, no amount, no
    reason text (it may name people); `seq` orders the changes of one dossier."""
    entry = {field: event.get(field) for field in PORTAL_FIELDS}
    entry["seq"] = int(event["event_id"].rsplit("#", 1)[1])
    return entry


def recorded_key(recorded_at: datetime, event_id: str) -> str:
    """The feed's sort key: when the change reached the feed (fixed width, so text order is time
    order), then the event id to keep equal instants apart."""
    return f"{_utc_text(recorded_at)}#{event_id}"


def feed_day(key: str) -> str:
    return key[:10]


_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z[#~].{0,200}", re.S)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> str | None:
    """The feed position a cursor holds, or None if it is not one of ours."""
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return key if _KEY.fullmatch(key) else None


def position_at(at: datetime) -> str:
    """A feed position just after everything recorded up to and including `at`."""
    return f"{_utc_text(at)}~"


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- figures ---------------------------------------------------------------------------------
def rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals, as published; none when there is nothing to divide by."""
    return None if whole == 0 else round(100 * part / whole, 2)


def published(part: int, whole: int) -> str | None:
    """The way the treasury prints a rate: 1,034/1,034 = 100%."""
    value = rate(part, whole)
    if value is None:
        return None
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{part:,}/{whole:,} = {shown}%"


def sum_shards(items: Iterable[Mapping]) -> dict[tuple[str, str], dict[str, int]]:
    """Counter items (each with `day`, `procedure` and counts) summed over their shards."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for item in items:
        row = totals.setdefault((item["day"], item["procedure"]), dict.fromkeys(COUNTERS, 0))
        for name in COUNTERS:
            row[name] += int(item.get(name) or 0)
    return totals


def to_csv(columns: list[str], rows: Iterable[Mapping]) -> str:
    """RFC 4180 CSV with a header row; a UTF-8 byte-order mark first, so spreadsheet programs
    read the Vietnamese text as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    return out.getvalue()


assert set(DECIDED_EVENTS) <= set(events.DOSSIER_EVENTS)
assert catalogue.SERVICE_REGISTRATION_TK01.code in NOT_A_UNITS_SUBMISSION
