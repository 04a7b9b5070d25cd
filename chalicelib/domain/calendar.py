"""Working-day calendar for State Treasury (KBNN) processing deadlines.

Why this module exists: the legal time limit for a payment dossier is counted in
WORKING DAYS. Weekends and Vietnamese public holidays (Tết follows the lunar
calendar) do not count, yet electronic dossiers arrive 24/7. Every deadline the
system shows, stores or escalates on must come from one place that answers
"which day does the clock start, and when does it run out", so this is that
place.

It is deliberately pure: stdlib plus ``holidays`` only, no AWS or framework
imports, so it can be unit-tested exhaustively and reused by the API, the
workflows and the reports without dragging infrastructure along.

What the ``holidays`` library (0.108) gives us for VN, and what it does not:

* Statutory holidays under the Labour Code 2019, Art. 112: 1 Jan, Tết (lunar,
  Giao thừa plus the first four days of the year, i.e. five days), Hùng Kings'
  day (lunar 10/3), 30 Apr, 1 May, 2 Sep plus the adjacent day, and from 2026
  Vietnam Cultural Day on 24 Nov. When a statutory day falls on a weekend the
  library adds the observed day (e.g. Hùng Kings' day on Sun 26 Apr 2026 is
  observed Mon 27 Apr) and moves Tết days that fall on a weekend.
* Government swaps it has been updated with, on both sides: e.g. 2026 has
  Mon 31 Aug off in exchange for working Sat 22 Aug; the library reports
  Sat 22 Aug as a "weekend workday", and we honour it.
* Tết 2026 (Bính Ngọ, mùng 1 = Tue 17 Feb): the library lists Mon 16 to
  Fri 20 Feb. With the surrounding weekends that is exactly the government's
  14-22 Feb 2026 break, so nothing extra is needed for it.
* Not covered: bridge days or swaps the government decrees after the pinned
  library release (future years are only the statutory projection until the
  annual announcement lands upstream), and days off an individual office adds
  (local compensatory days). ``extra_days_off`` / ``extra_working_days`` exist
  for exactly these, until the pin is bumped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

# Vietnam has used UTC+7 without DST since 1975; a fixed offset means we need
# no tzdata in the Lambda package and zoneinfo cannot disagree with it.
VN_TZ = timezone(timedelta(hours=7))

# The deadline falls at the close of the office on the due day (local time).
# Civil Code 2015 Art.148 cl.1 and cl.6 end a period counted in days at 24:00 of
# its last day; we promise the result by the office's close instead, because the
# treasury returns results only while it works, and an earlier instant on the
# same day never exceeds the legal limit (it is stricter on the treasury, not on
# the unit). Kept at 17:00 for every office: the promised time printed on a
# receipt notice must not move when an office later edits its counter hours.
OFFICE_CLOSE = time(17, 0)

# An office's working hours unless it records its own (Office.working_hours): what the risk
# warnings call "outside working hours" (domain/risk.py). The law sets none; this is the
# treasury's usual counter day with its early start, and each office may set its own.
DEFAULT_WORKING_HOURS = (time(7, 0), time(18, 0))


@cache
def _vn_holidays(year: int) -> holidays.HolidayBase:
    # One object per year, built on first use: generating lunar holidays is not
    # free and deadlines only ever touch a handful of years. expand=False keeps
    # the cached object read-only (a lookup for another year cannot mutate it),
    # which matters because it is shared across calendars and threads.
    import holidays  # lazy: ~15 ms of cold start that only deadline arithmetic needs

    return holidays.country_holidays("VN", years=year, expand=False)


def _require_date(d: date) -> None:
    # datetime is a subclass of date; accepting one here would silently drop
    # the time zone question (whose "today"?) and never match the extra-day
    # sets, so callers must convert with local_date() first.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")


def _require_aware(dt: datetime) -> None:
    # A naive datetime could be UTC (Lambda's clock) or Vietnam time (a user's
    # form); guessing shifts deadlines by seven hours, so refuse instead.
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")


def local_date(dt: datetime) -> date:
    """The Vietnam-local calendar date of an aware datetime."""
    _require_aware(dt)
    return dt.astimezone(VN_TZ).date()


def to_utc_iso(dt: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.

    Seconds precision (microseconds are truncated) so stored strings sort
    lexicographically in time order and compare equal across writers.
    """
    _require_aware(dt)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of a treasury office: VN public holidays plus local overrides.

    ``extra_days_off``: compensatory or government-decreed days off not (yet)
    known to the holidays library. ``extra_working_days``: make-up days
    (typically Saturdays) worked in exchange. Overrides win over both the
    weekend rule and the library, because they record a decision taken after
    the library data was published.
    """

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    # [start, end) local time on a working day; the office's own or DEFAULT_WORKING_HOURS.
    working_hours: tuple[time, time] = DEFAULT_WORKING_HOURS

    def __post_init__(self) -> None:
        # Coerce so callers may pass a set or list and the instance stays
        # hashable and immutable; validate so a typo fails at configuration
        # time rather than as a silently wrong deadline.
        off = frozenset(self.extra_days_off)
        on = frozenset(self.extra_working_days)
        for d in off | on:
            _require_date(d)
        if both := off & on:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"dates both off and working: {listed}")
        object.__setattr__(self, "extra_days_off", off)
        object.__setattr__(self, "extra_working_days", on)
        start, end = self.working_hours
        if not (isinstance(start, time) and isinstance(end, time) and start < end):
            raise ValueError(f"working hours must be two times, start before end: {self.working_hours}")

    def is_working_time(self, at: datetime) -> bool:
        """True if the office is open at ``at``: a working day, within its working hours."""
        _require_aware(at)
        local = at.astimezone(VN_TZ)
        start, end = self.working_hours
        return self.is_working_day(local.date()) and start <= local.time() < end

    def is_working_day(self, d: date) -> bool:
        """True if the office works on ``d`` (Vietnam-local date)."""
        _require_date(d)
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off:
            return False
        # The library's own check covers the Sat/Sun weekend, statutory and
        # observed holidays, and the make-up Saturdays of government swaps.
        return _vn_holidays(d.year).is_working_day(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        _require_date(d)
        # Terminates: only finitely many dates can be non-working in a row
        # (weekends + at most a couple of weeks of holidays + finite overrides).
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """Roll ``d`` forward to a working day, then advance ``n`` working days.

        ``n == 0`` returns ``d`` if it is a working day, else the next one.
        Rolling first (like numpy's ``busday_offset(roll="forward")``) keeps
        the result strictly increasing in ``n``: from a Saturday, n=0 gives
        Monday and n=1 gives Tuesday.
        """
        _require_date(d)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 0:
            raise ValueError("n must be >= 0")
        if not self.is_working_day(d):
            d = self.next_working_day(d)
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def start_day(self, received_at: datetime) -> date:
        """Day 0 of the processing clock: the Vietnam-local date of receipt, whatever the hour.

        Civil Code 2015 (Law 91/2015/QH13; cited as 91/2015 Art.147 cl.2): when a period
        is counted in days, the first day is not counted; counting starts the next day. The
        Code's way of counting applies where no other law sets one (its Art.145 cl.1), and
        347/2025 sets none. (The Civil Code is not in /work/shared/law; the articles are cited
        from the published text.) There is no receipt cut-off: a
        dossier received at 16:30 on a working day, or on a day off, is counted from the
        next day by that same rule, and no source we know sets an hour.
        """
        return local_date(received_at)

    def due_at(self, received_at: datetime, working_days: int) -> datetime:
        """The deadline, as an aware UTC datetime.

        OFFICE_CLOSE local time on the ``working_days``-th working day after day 0
        (Civil Code 2015 Art.147 cl.2: the day of receipt does not count). Only
        working days are counted, so a last day that would fall on a weekly rest day
        or a holiday is already the next working day (91/2015 Art.148 cl.5). A dossier
        received Monday at any hour with a one-day limit is due Tuesday 17:00 local
        (10:00 UTC); one received Saturday is due Monday, the first working day
        counted.
        """
        if isinstance(working_days, bool) or not isinstance(working_days, int):
            raise TypeError(f"working_days must be an int, got {type(working_days).__name__}")
        if working_days < 1:
            # A zero-day limit would make the deadline the receipt day itself, which
            # Art.147 cl.2 does not count; no procedure has one.
            raise ValueError("working_days must be >= 1")
        due_day = self.start_day(received_at)
        for _ in range(working_days):
            due_day = self.next_working_day(due_day)
        # Returned in UTC because that is what we store and compare; local time
        # is a presentation concern.
        return datetime.combine(due_day, OFFICE_CLOSE, tzinfo=VN_TZ).astimezone(UTC)

    def extended_due(self, due: datetime, working_days: int) -> datetime:
        """A deadline extended by ``working_days`` working days, as an aware UTC datetime.

        OFFICE_CLOSE local time on the ``working_days``-th working day after the
        local day of ``due``. A due day that has since become a day off (an
        office declared it) is first rolled forward to the next working day,
        so an extension always grants whole working days the office is open.
        """
        _require_aware(due)
        if isinstance(working_days, bool) or not isinstance(working_days, int):
            raise TypeError(f"working_days must be an int, got {type(working_days).__name__}")
        if working_days < 1:
            raise ValueError("working_days must be >= 1")
        day = self.add_working_days(local_date(due), working_days)
        return datetime.combine(day, OFFICE_CLOSE, tzinfo=VN_TZ).astimezone(UTC)


# The calendar with no office-specific overrides; offices that declare their
# own compensatory days build their own WorkingCalendar.
DEFAULT_CALENDAR = WorkingCalendar()
