"""What the portal feed and the report counters keep from an event (pure rules)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import aggregates, events

pytestmark = pytest.mark.unit
SUBMITTED = {"event": "dossier.submitted", "event_id": "D1#1", "dossier_id": "D1",
             "dossier_code": "D1", "procedure": "regular_spending_payment",
             "procedure_version": "347-2025", "unit_id": "1012345", "office_id": "KV1",
             "status": "under_review", "occurred_at": "2026-11-23T17:30:00Z",
             "due_at": "2026-11-25T10:00:00Z", "payment_kind": "payment", "amount": 5_000_000,
             "account_id": "9523.1.1012345", "reason": None}


def test_a_dossier_counts_on_the_treasurys_day_not_the_utc_day():
    tally = aggregates.tally(SUBMITTED)
    # 17:30 UTC is 00:30 the next day in Hà Nội
    assert (tally.day, tally.counts) == ("2026-11-24", {"received": 1, "online_vouchers": 1})
    registration = {**SUBMITTED, "procedure": "service_registration", "payment_kind": None}
    assert aggregates.tally(registration).counts == {"received": 1}
    assert aggregates.active_week(registration) is None   # TK01 is joining, not sending


@pytest.mark.parametrize("occurred, counted", [("2026-11-25T10:00:00Z", "on_time"),
                                               ("2026-11-25T10:00:01Z", "late")])
def test_a_decision_is_on_time_up_to_and_including_its_due_time(occurred, counted):
    paid = {**SUBMITTED, "event": "payment.posted", "status": "paid", "occurred_at": occurred}
    assert aggregates.tally(paid).counts == {"decided": 1, counted: 1}


def test_only_received_and_decided_dossiers_count_and_every_event_of_a_dossier_shares_a_shard():
    for name in ("dossier.accepted", "dossier.approved", "dossier.overdue", "dossier.resubmitted"):
        assert aggregates.tally({**SUBMITTED, "event": name}) is None
    assert set(aggregates.DECIDED_EVENTS) == {events._ENTERED[s] for s in
                                             events.catalogue.END_STATUSES}
    shards = {aggregates.shard_of(f"01J{n:023d}") for n in range(200)}
    assert shards == set(range(aggregates.SHARDS))   # spread over every shard
    assert aggregates.shard_of("D1") == aggregates.shard_of("D1")


def test_weeks_are_iso_weeks_of_the_local_day():
    assert aggregates.active_week(SUBMITTED) == ("KV1", "2026-W48", "1012345")
    assert aggregates.weeks_ending(date(2026, 1, 5), 3) == ["2025-W52", "2026-W01", "2026-W02"]


def test_the_portal_sees_no_person_no_account_no_amount():
    entry = aggregates.portal_entry(SUBMITTED)
    assert set(entry) == {*aggregates.PORTAL_FIELDS, "seq"} and entry["seq"] == 1
    assert not {"amount", "account_id", "unit_id", "reason", "result"} & set(entry)
    assert "dossier.overdue" not in aggregates.FEED_EVENTS


def test_feed_positions_sort_as_time_whatever_the_offset_and_cursors_round_trip():
    at = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    key = aggregates.recorded_key(at, "D1#3")
    assert key == "2026-11-23T02:00:00.000000Z#D1#3"
    assert aggregates.recorded_key(at - timedelta(microseconds=1), "Z#9") < key < \
        aggregates.position_at(at) < aggregates.recorded_key(at + timedelta(microseconds=1), "A#1")
    assert aggregates.decode_cursor(aggregates.encode_cursor(key)) == key
    for bad in ("", "bm90LWEtY3Vyc29y", "%%%", aggregates.encode_cursor("2026-11-23#x")):
        assert aggregates.decode_cursor(bad) is None
    assert aggregates.feed_day(aggregates.position_at(datetime(2026, 1, 1, 23, 59, tzinfo=UTC))) == \
        "2026-01-01"


def test_rates_are_published_as_the_treasury_prints_them():
    assert aggregates.published(1034, 1034) == "1,034/1,034 = 100%"
    assert aggregates.published(2, 3) == "2/3 = 66.67%"
    assert aggregates.published(1, 8) == "1/8 = 12.5%"
    assert aggregates.rate(0, 0) is None and aggregates.published(0, 0) is None


def test_shards_sum_at_read_and_csv_has_the_columns_in_order():
    items = [{"day": "2026-11-23", "procedure": "p", "received": 2, "decided": 1, "on_time": 1},
             {"day": "2026-11-23", "procedure": "p", "received": 3, "late": 1, "decided": 1}]
    assert aggregates.sum_shards(items)[("2026-11-23", "p")] == {
        "received": 5, "decided": 2, "on_time": 1, "late": 1, "online_vouchers": 0}
    text = aggregates.to_csv(["date", "name", "rate"], [{"date": "2026-11-23", "name": "Cầu Giấy, KV1",
                                                         "rate": None, "extra": 1}])
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["date", "name", "rate"], ["2026-11-23", "Cầu Giấy, KV1", ""]]


def test_a_unit_created_in_the_directory_is_registered_once():
    unit = {"pk": "UNIT#1056789", "unit_id": "1056789", "office_id": "KV1", "mandatory": False,
            "registered_by": "01JD", "registered_at": "2026-11-23T02:00:00Z"}
    (event,) = events.from_directory(None, unit)
    assert (event.name, event.event_id, event.detail["mandatory"]) == \
        ("unit.registered", "1056789#registered", False)
    assert events.from_directory(unit, {**unit, "email": "x@y.vn"}) == []   # a change, not a joining
    assert events.from_directory(None, {"pk": "OFFICE#KV9", "office_id": "KV9"}) == []
