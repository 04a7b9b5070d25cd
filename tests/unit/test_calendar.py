"""Working-day deadlines: the expected dates below were worked out by hand from a
wall calendar and the VN holiday list of holidays==0.108, never by calling the
code under test.

Reference weeks (2026): Mon 9 Mar .. Sun 15 Mar has no holidays. Tết: the
library lists Mon 16 .. Fri 20 Feb; Sat 14/Sun 15 and Sat 21/Sun 22 are
weekends. National Day: Mon 31 Aug (swapped with Sat 22 Aug), Tue 1 Sep,
Wed 2 Sep.
"""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.domain.calendar import (
    DEFAULT_CALENDAR,
    VN_TZ,
    WorkingCalendar,
    local_date,
    to_utc_iso,
)

pytestmark = pytest.mark.unit

UTC = UTC


def vn(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def utc(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# --- ordinary weeks -------------------------------------------------------


def test_weekday_morning_receipt_is_due_at_close_of_next_working_day() -> None:
    # Mon 9 Mar 10:00 local -> Tue 10 Mar 17:00 local = 10:00 UTC.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 9), 1) == utc(2026, 3, 10, 10)


def test_friday_receipt_is_due_on_monday() -> None:
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 13), 1) == utc(2026, 3, 16, 10)


@pytest.mark.parametrize("day", [14, 15], ids=["saturday", "sunday"])
def test_civil_code_art147_cl2_weekend_receipt_is_counted_from_the_next_day_and_due_monday(
        day: int) -> None:
    # Day 0 is the Saturday/Sunday of receipt and is not counted; the first
    # working day after it, Mon 16 Mar, is the one working day of the limit.
    received = vn(2026, 3, day, 9)
    assert DEFAULT_CALENDAR.start_day(received) == date(2026, 3, day)
    assert DEFAULT_CALENDAR.due_at(received, 1) == utc(2026, 3, 16, 10)


def test_civil_code_art147_cl2_receipt_late_on_a_working_day_is_counted_from_the_next_day() -> None:
    # Mon 16:30: day 0 is Mon 9 Mar (not counted) -> the one working day is Tue 10 Mar.
    received = vn(2026, 3, 9, 16, 30)
    assert DEFAULT_CALENDAR.start_day(received) == date(2026, 3, 9)
    assert DEFAULT_CALENDAR.due_at(received, 1) == utc(2026, 3, 10, 10)


@pytest.mark.parametrize(("hh", "mm"), [(0, 0), (7, 0), (15, 59), (16, 0), (23, 59)])
def test_civil_code_art147_cl2_the_hour_of_receipt_does_not_move_the_deadline(hh: int, mm: int) -> None:
    # No receipt cut-off: any hour of Mon 9 Mar makes Tue 10 Mar the due day.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 9, hh, mm), 1) == utc(2026, 3, 10, 10)


def test_receipt_is_judged_by_vietnam_local_time_not_utc() -> None:
    # Sun 8 Mar 20:00 UTC is Mon 9 Mar 03:00 in Vietnam: day 0 is Monday and
    # the deadline is Tuesday's close.
    received = utc(2026, 3, 8, 20)
    assert DEFAULT_CALENDAR.start_day(received) == date(2026, 3, 9)
    assert DEFAULT_CALENDAR.due_at(received, 1) == utc(2026, 3, 10, 10)


def test_utc_afternoon_that_is_local_sunday_night_is_due_monday() -> None:
    # Sun 8 Mar 16:30 UTC = 23:30 Sunday local: day 0 Sunday -> due Mon 9 Mar.
    assert DEFAULT_CALENDAR.start_day(utc(2026, 3, 8, 16, 30)) == date(2026, 3, 8)
    assert DEFAULT_CALENDAR.due_at(utc(2026, 3, 8, 16, 30), 1) == utc(2026, 3, 9, 10)


def test_two_working_days_from_thursday_skip_the_weekend() -> None:
    # Thu 12 Mar: +1 Fri 13, +2 Mon 16.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 12), 2) == utc(2026, 3, 16, 10)


def test_two_working_days_from_friday_land_on_tuesday() -> None:
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 13), 2) == utc(2026, 3, 17, 10)


# --- public holidays ------------------------------------------------------


def test_whole_tet_2026_break_is_non_working() -> None:
    # Government break for Tết Bính Ngọ: Sat 14 .. Sun 22 Feb 2026.
    break_days = [date(2026, 2, 14) + timedelta(days=i) for i in range(9)]
    assert [DEFAULT_CALENDAR.is_working_day(d) for d in break_days] == [False] * 9
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 2, 13))
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 2, 23))


def test_dossier_received_just_before_tet_is_due_after_the_break() -> None:
    # Fri 13 Feb 10:00 -> next working day is Mon 23 Feb.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 2, 13), 1) == utc(2026, 2, 23, 10)


def test_civil_code_art147_cl2_dossier_received_late_on_the_last_day_before_tet_is_due_after_it() -> None:
    # Fri 13 Feb 16:30: day 0 Fri 13 (not counted); Sat 14 .. Sun 22 are off ->
    # the first working day counted is Mon 23 Feb.
    received = vn(2026, 2, 13, 16, 30)
    assert DEFAULT_CALENDAR.start_day(received) == date(2026, 2, 13)
    assert DEFAULT_CALENDAR.due_at(received, 1) == utc(2026, 2, 23, 10)


def test_civil_code_art148_cl5_a_last_day_on_a_holiday_ends_on_the_next_working_day() -> None:
    # Thu 27 Aug 2026, two working days: Fri 28, then Sat 29 .. Wed 2 Sep are off
    # (weekend, the swapped Mon 31, National Day) -> the period ends Thu 3 Sep.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 8, 27), 2) == utc(2026, 9, 3, 10)


def test_national_day_2026_and_its_swapped_monday_are_skipped() -> None:
    # Fri 28 Aug: Sat 29, Sun 30, Mon 31 (swap), Tue 1, Wed 2 Sep off -> Thu 3 Sep.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 8, 28), 1) == utc(2026, 9, 3, 10)
    assert not DEFAULT_CALENDAR.is_working_day(date(2026, 9, 2))


def test_government_make_up_saturday_known_to_the_library_counts() -> None:
    # Sat 22 Aug 2026 is worked in exchange for Mon 31 Aug: Fri 21 -> Sat 22.
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 8, 22))
    assert DEFAULT_CALENDAR.due_at(vn(2026, 8, 21), 1) == utc(2026, 8, 22, 10)


def test_new_year_holiday_in_the_next_year_is_skipped() -> None:
    # Wed 31 Dec 2025 -> Thu 1 Jan 2026 is a holiday -> Fri 2 Jan.
    assert DEFAULT_CALENDAR.due_at(vn(2025, 12, 31), 1) == utc(2026, 1, 2, 10)


def test_holiday_falling_on_sunday_is_observed_on_monday() -> None:
    # Hùng Kings' day 2026 is Sun 26 Apr, observed Mon 27 Apr: Fri 24 -> Tue 28.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 4, 24), 1) == utc(2026, 4, 28, 10)


# --- office overrides -----------------------------------------------------


def test_office_compensatory_day_off_pushes_the_due_date() -> None:
    office = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 10)}))
    assert office.due_at(vn(2026, 3, 9), 1) == utc(2026, 3, 11, 10)
    # The default calendar is unaffected.
    assert DEFAULT_CALENDAR.due_at(vn(2026, 3, 9), 1) == utc(2026, 3, 10, 10)


def test_office_make_up_saturday_counts_as_a_working_day() -> None:
    office = WorkingCalendar(extra_working_days=frozenset({date(2026, 3, 14)}))
    assert office.due_at(vn(2026, 3, 13), 1) == utc(2026, 3, 14, 10)
    # Received on that Saturday morning: the Saturday is day 0, not counted
    # (Civil Code Art.147 cl.2) -> due Mon 16 Mar.
    assert office.start_day(vn(2026, 3, 14, 9)) == date(2026, 3, 14)
    assert office.due_at(vn(2026, 3, 14, 9), 1) == utc(2026, 3, 16, 10)


def test_a_date_cannot_be_both_an_extra_day_off_and_an_extra_working_day() -> None:
    d = date(2026, 3, 14)
    with pytest.raises(ValueError):
        WorkingCalendar(extra_days_off=frozenset({d}), extra_working_days=frozenset({d}))


def test_overrides_given_as_datetimes_are_rejected() -> None:
    with pytest.raises(TypeError):
        WorkingCalendar(extra_days_off=frozenset({datetime(2026, 3, 10)}))


def test_working_hours_end_after_they_start() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(working_hours=(time(18, 0), time(7, 0)))


def test_working_time_is_a_working_day_within_the_offices_hours_in_vietnam_time() -> None:
    office = WorkingCalendar(working_hours=(time(7, 30), time(17, 0)))
    tuesday = datetime(2026, 3, 10, 7, 30, tzinfo=timezone(timedelta(hours=7)))
    assert office.is_working_time(tuesday)
    assert not office.is_working_time(tuesday - timedelta(minutes=1))
    assert not office.is_working_time(tuesday.replace(hour=17))
    assert not office.is_working_time(tuesday.replace(day=14, hour=10))       # a Saturday
    assert office.is_working_time(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))   # 10:00 in Hà Nội
    with pytest.raises(ValueError):
        office.is_working_time(datetime(2026, 3, 10, 10, 0))


# --- extending a deadline (gia hạn) ----------------------------------------


def test_an_extension_by_one_working_day_moves_the_due_to_the_next_days_close() -> None:
    # Due Tue 10 Mar 17:00 local (10:00 UTC) -> Wed 11 Mar 17:00 local.
    assert DEFAULT_CALENDAR.extended_due(utc(2026, 3, 10, 10), 1) == utc(2026, 3, 11, 10)


def test_an_extension_from_a_friday_skips_the_weekend() -> None:
    assert DEFAULT_CALENDAR.extended_due(utc(2026, 3, 13, 10), 1) == utc(2026, 3, 16, 10)
    assert DEFAULT_CALENDAR.extended_due(utc(2026, 3, 13, 10), 3) == utc(2026, 3, 18, 10)


def test_an_extension_just_before_tet_lands_after_the_break() -> None:
    # Due Fri 13 Feb 2026; the break runs Sat 14 .. Sun 22 Feb.
    assert DEFAULT_CALENDAR.extended_due(utc(2026, 2, 13, 10), 1) == utc(2026, 2, 23, 10)


def test_an_extension_counts_past_the_offices_own_days_off() -> None:
    office = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 11)}))
    assert office.extended_due(utc(2026, 3, 10, 10), 1) == utc(2026, 3, 12, 10)


def test_a_due_day_that_became_a_day_off_rolls_forward_before_extending() -> None:
    office = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 10)}))
    assert office.extended_due(utc(2026, 3, 10, 10), 1) == utc(2026, 3, 12, 10)


def test_an_extension_counts_from_the_vietnam_local_day_of_the_due() -> None:
    # 18:00 UTC on Mon 9 Mar is already Tue 10 Mar in Vietnam.
    assert DEFAULT_CALENDAR.extended_due(utc(2026, 3, 9, 18), 1) == utc(2026, 3, 11, 10)


@pytest.mark.parametrize("days", [0, -1])
def test_an_extension_is_at_least_one_working_day(days: int) -> None:
    with pytest.raises(ValueError):
        DEFAULT_CALENDAR.extended_due(utc(2026, 3, 10, 10), days)


def test_an_extension_refuses_a_naive_due_and_a_boolean_count() -> None:
    with pytest.raises(ValueError):
        DEFAULT_CALENDAR.extended_due(datetime(2026, 3, 10, 17, 0), 1)
    with pytest.raises(TypeError):
        DEFAULT_CALENDAR.extended_due(utc(2026, 3, 10, 10), True)


# --- input validation and output form -------------------------------------


@pytest.mark.parametrize("fn", ["start_day", "due_at"])
def test_naive_receipt_time_is_rejected(fn: str) -> None:
    naive = datetime(2026, 3, 9, 10, 0)
    args = (naive, 1) if fn == "due_at" else (naive,)
    with pytest.raises(ValueError):
        getattr(DEFAULT_CALENDAR, fn)(*args)


def test_naive_datetime_is_rejected_by_the_helpers() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 3, 9, 10, 0))
    with pytest.raises(ValueError):
        to_utc_iso(datetime(2026, 3, 9, 10, 0))


@pytest.mark.parametrize("days", [0, -1])
def test_due_at_requires_at_least_one_working_day(days: int) -> None:
    with pytest.raises(ValueError):
        DEFAULT_CALENDAR.due_at(vn(2026, 3, 9), days)


def test_due_at_returns_utc_whatever_the_input_zone() -> None:
    # 12:00 in UTC+9 is 10:00 in Vietnam, Mon 9 Mar.
    received = datetime(2026, 3, 9, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    due = DEFAULT_CALENDAR.due_at(received, 1)
    assert due.utcoffset() == timedelta(0)
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2026, 3, 10, 10, 0)


def test_add_working_days_zero_rolls_a_weekend_forward_and_keeps_a_working_day() -> None:
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 3, 14), 0) == date(2026, 3, 16)
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 3, 11), 0) == date(2026, 3, 11)


def test_add_working_days_from_a_weekend_rolls_forward_before_counting() -> None:
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 3, 14), 1) == date(2026, 3, 17)


def test_add_working_days_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        DEFAULT_CALENDAR.add_working_days(date(2026, 3, 9), -1)


def test_next_working_day_is_strictly_after_the_given_day() -> None:
    assert DEFAULT_CALENDAR.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    assert DEFAULT_CALENDAR.next_working_day(date(2026, 3, 13)) == date(2026, 3, 16)


def test_local_date_uses_vietnam_time() -> None:
    # 18:00 UTC on 9 Mar is 01:00 on 10 Mar in Vietnam.
    assert local_date(utc(2026, 3, 9, 18)) == date(2026, 3, 10)


def test_to_utc_iso_converts_to_utc_and_drops_subseconds() -> None:
    dt = datetime(2026, 3, 10, 17, 0, 5, 999_999, tzinfo=VN_TZ)
    assert to_utc_iso(dt) == "2026-03-10T10:00:05Z"


# --- purity ---------------------------------------------------------------


def test_calendar_module_imports_only_stdlib_and_holidays() -> None:
    source = Path(__file__).resolve().parents[2] / "chalicelib" / "domain" / "calendar.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"holidays"}
    assert imported - allowed == set()
