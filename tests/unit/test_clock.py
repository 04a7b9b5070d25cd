"""The product's one clock (chalicelib/clock.py): KBNN_CLOCK sets it for a whole run, child
processes continue its timeline, and travel() moves it for one test and back."""
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


@pytest.fixture
def fresh(monkeypatch):
    """The clock as a new process finds it: not read yet, KBNN_CLOCK as the test sets it."""
    monkeypatch.setattr(clock, "_offset", None)
    monkeypatch.delenv(clock.ENV, raising=False)
    yield monkeypatch
    clock._offset = None


def test_without_kbnn_clock_the_clock_is_the_system_clock(fresh):
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    assert not clock.is_set()
    assert clock.environment() == {}


def test_kbnn_clock_starts_the_clock_at_its_instant_and_lets_it_run(fresh):
    fresh.setenv(clock.ENV, SATURDAY)
    first = clock.now()
    assert timedelta(0) <= first - datetime.fromisoformat(SATURDAY) < timedelta(seconds=1)
    assert first.tzinfo is UTC
    time.sleep(0.05)
    assert clock.now() - first >= timedelta(seconds=0.05)
    assert clock.is_set()


def test_a_child_process_continues_the_timeline_instead_of_starting_it_again(fresh):
    fresh.setenv(clock.ENV, SATURDAY)
    clock.now()
    time.sleep(1.1)
    child = subprocess.run(
        [sys.executable, "-c", "from chalicelib import clock; print(clock.now().isoformat())"],
        env={**os.environ, **clock.environment()}, capture_output=True, text=True, check=True)
    theirs = datetime.fromisoformat(child.stdout.strip())
    assert theirs - datetime.fromisoformat(SATURDAY) >= timedelta(seconds=1.1)
    assert abs(theirs - clock.now()) < timedelta(seconds=5)


def test_an_instant_without_an_offset_is_refused_because_whose_0930_it_is_matters(fresh):
    fresh.setenv(clock.ENV, "2026-12-12T10:00:00")
    with pytest.raises(ValueError, match="offset"):
        clock.now()


def test_travel_moves_the_clock_and_brings_it_back_to_its_own_timeline(fresh):
    fresh.setenv(clock.ENV, SATURDAY)
    start = clock.now()
    with clock.travel("2027-02-11T08:00:00+07:00") as there:
        assert abs(there - datetime(2027, 2, 11, 1, 0, tzinfo=UTC)) < timedelta(seconds=1)
        assert clock.environment()[clock.ENV].startswith("2027-02-11T01:00:00")
    back = clock.now()
    assert timedelta(0) <= back - start < timedelta(seconds=5)


def test_travel_refuses_a_naive_instant(fresh):
    with pytest.raises(ValueError):
        clock.travel(datetime(2026, 12, 12, 10, 0))
