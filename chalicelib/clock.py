"""The product's one clock: every rule that depends on the time of day, the day of the week, the
calendar, a deadline or the budget year reads "now" here, and nowhere else.

In production it is the system clock. `KBNN_CLOCK` (local stack, tests, `make test-clock`) sets it
for a whole run: an ISO-8601 instant with its offset, e.g. `2026-12-05T10:00:00+07:00`. The clock
reads that instant when the process first asks, and runs on at the real rate from there, so waits,
timeouts and Step Functions deadlines (which moto keeps in real time) still agree with it.

The first read writes the instant back into the environment with its anchor in real time
(`2026-12-05T10:00:00+07:00@1796000000.0`), so a process started afterwards (a command run against
the local stack) continues the same timeline instead of starting it again.

Tests that exercise one rule at one instant use `travel(instant)`; it moves the clock of the whole
process (the in-process local stack included) and `travel` used as a context manager moves it back.

What does not read this clock, on purpose: protocols whose other side keeps real time — a JWT's
expiry as the identity provider issued it, S3 presigned URLs, CloudWatch metric timestamps.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime

ENV = "KBNN_CLOCK"


def parse(value: str) -> datetime:
    """An aware instant from ISO-8601 (`Z` or an explicit offset); a naive one is refused,
    because whose 09:30 it is decides whether the office is open."""
    at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{ENV} needs an offset (e.g. +07:00 or Z): {value!r}")
    return at


class Clock:
    """The system clock shifted by an offset read once from `environ[ENV]`."""

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        self._environ = environ
        self._lock = threading.Lock()
        self._offset: float | None = None      # seconds added to the system clock; None: unread

    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        offset = self._current_offset()     # first: the first read anchors the instant to this moment
        return datetime.fromtimestamp(time.time() + offset, UTC)

    def is_set(self) -> bool:
        """True when the clock is not the system's (a run or a test moved it)."""
        return self._current_offset() != 0.0

    def environment(self) -> dict[str, str]:
        """The variable a child process needs to share this clock (empty on the system clock)."""
        self._current_offset()
        value = self._environ.get(ENV)
        return {ENV: value} if value else {}

    def travel(self, to: datetime | str) -> Travel:
        """Move the clock so that it reads `to` now, and let it run on. As a context manager, the
        clock returns to its own timeline on exit (as if the trip had not happened)."""
        at = parse(to) if isinstance(to, str) else to
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("travel needs an aware datetime")
        previous = self._current_offset()
        self._set(at.timestamp() - time.time())
        return Travel(self, previous)

    def _current_offset(self) -> float:
        if self._offset is None:
            with self._lock:
                if self._offset is None:
                    self._offset = self._from_environment()
        return self._offset

    def _from_environment(self) -> float:
        value = self._environ.get(ENV, "").strip()
        if not value:
            return 0.0
        instant, _, anchor = value.partition("@")
        try:
            at = parse(instant)
            anchored = float(anchor) if anchor else time.time()
        except ValueError as exc:
            raise ValueError(f"{ENV} is not an instant: {value!r} ({exc})") from None
        if not anchor:   # children continue this timeline rather than starting it again
            self._environ[ENV] = f"{instant}@{anchored!r}"
        return at.timestamp() - anchored

    def _set(self, offset: float) -> None:
        with self._lock:
            self._offset = offset
            if offset:
                anchor = time.time()
                instant = datetime.fromtimestamp(anchor + offset, UTC).isoformat()
                self._environ[ENV] = f"{instant}@{anchor!r}"
            else:
                self._environ.pop(ENV, None)


class Travel:
    """A trip of `Clock.travel`; leaving it puts the clock back on its timeline."""

    def __init__(self, clock: Clock, previous: float) -> None:
        self._clock, self._previous = clock, previous

    def __enter__(self) -> datetime:
        return self._clock.now()

    def __exit__(self, *exc: object) -> None:
        self._clock._set(self._previous)


# The process's clock, read from (and anchored in) its environment.
_process = Clock(os.environ)
now = _process.now
is_set = _process.is_set
environment = _process.environment
travel = _process.travel
