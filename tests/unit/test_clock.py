"""The product's one clock (chalicelib/clock.py): KBNN_CLOCK sets it for a whole run, child
processes continue its timeline, and travel() moves it for one test and back.

Each test uses a Clock of its own over an environment of its own: the process's clock is shared
with the local stack's threads, which read it all the time."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock

pytestmark = pytest.mark.unit
SATURDAY = "2026-12-12T10:00:00+07:00"


def test_without_kbnn_clock_the_clock_is_the_system_clock():
    system = clock.Clock({})
    before = datetime.now(UTC)
    assert before <= system.now() <= datetime.now(UTC)
    assert not system.is_set()
    assert system.environment() == {}


def test_kbnn_clock_starts_the_clock_at_its_instant_and_lets_it_run():
    pinned = clock.Clock({clock.ENV: SATURDAY})
    first = pinned.now()
    assert timedelta(0) <= first - datetime.fromisoformat(SATURDAY) < timedelta(seconds=1)
    assert first.tzinfo is UTC
    time.sleep(0.05)
    assert pinned.now() - first >= timedelta(seconds=0.05)
    assert pinned.is_set()


def test_a_child_process_continues_the_timeline_instead_of_starting_it_again():
    environ = {clock.ENV: SATURDAY}
    pinned = clock.Clock(environ)
    pinned.now()
    assert environ[clock.ENV].startswith(SATURDAY + "@")      # anchored for the children
    time.sleep(1.1)
    child = subprocess.run(
        [sys.executable, "-c", "from chalicelib import clock; print(clock.now().isoformat())"],
        env={**os.environ, **pinned.environment()}, capture_output=True, text=True, check=True)
    theirs = datetime.fromisoformat(child.stdout.strip())
    assert theirs - datetime.fromisoformat(SATURDAY) >= timedelta(seconds=1.1)
    assert abs(theirs - pinned.now()) < timedelta(seconds=5)


def test_an_instant_without_an_offset_is_refused_because_whose_0930_it_is_matters():
    with pytest.raises(ValueError, match="offset"):
        clock.Clock({clock.ENV: "2026-12-12T10:00:00"}).now()


def test_travel_moves_the_clock_and_brings_it_back_to_its_own_timeline():
    pinned = clock.Clock({clock.ENV: SATURDAY})
    start = pinned.now()
    with pinned.travel("2027-02-11T08:00:00+07:00") as there:
        assert abs(there - datetime(2027, 2, 11, 1, 0, tzinfo=UTC)) < timedelta(seconds=1)
        assert pinned.environment()[clock.ENV].startswith("2027-02-11T01:00:00")
    back = pinned.now()
    assert timedelta(0) <= back - start < timedelta(seconds=5)


def test_travelling_back_to_the_system_clock_clears_the_variable():
    environ: dict[str, str] = {}
    system = clock.Clock(environ)
    with system.travel(SATURDAY):
        assert system.is_set() and clock.ENV in environ
    assert not system.is_set() and environ == {}


def test_travel_refuses_a_naive_instant():
    with pytest.raises(ValueError):
        clock.Clock({}).travel(datetime(2026, 12, 12, 10, 0))


def test_the_process_clock_is_the_one_the_product_reads():
    assert clock.now.__self__ is clock.environment.__self__ is clock.travel.__self__
