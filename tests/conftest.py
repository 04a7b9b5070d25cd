"""Shared fixtures. Integration tests run against one in-process local stack per session: the
real moto server, the resources from infra/template.json, the event pump and the Chalice API
over HTTP on a free port. Pure tests need none of it."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from devstack.demo import Api


@pytest.fixture(scope="session")
def stack():
    from devstack.stack import LocalStack
    with LocalStack(moto_port=0, api_port=0, quiet=True) as running:
        yield running


@pytest.fixture(scope="session")
def api(stack) -> Api:
    return Api(stack.api_url)


@pytest.fixture(scope="session")
def tokens(api) -> dict[str, str]:
    from devstack.seed import USERS
    return {user.username: api.login(user.username) for user in USERS}


@pytest.fixture(scope="session")
def pki_dir(stack):
    return stack.pki_dir


@pytest.fixture
def flow(api, tokens, pki_dir):
    """Unit 1012345 (KV1) with its accountant, KV1's control officer and leader."""
    from tests.integration.flow import Flow
    return Flow(api, tokens, pki_dir)


@pytest.fixture
def travel():
    """travel(instant): the product's clock (chalicelib/clock.py) reads `instant` now and runs on,
    for the whole process (the in-process local stack included); back on its timeline after the
    test."""
    from chalicelib import clock
    trips = []

    def to(instant):
        trips.append(clock.travel(instant))
        return clock.now()
    yield to
    if trips:
        trips[0].__exit__(None, None, None)


def next_working_day_at(hour: int, minute: int = 0):
    """The first working day after today (on the product's clock) at hour:minute, Hanoi time:
    for a test of a rule that must not see the out-of-hours one."""
    from datetime import datetime, time

    from chalicelib import clock
    from chalicelib.domain.calendar import DEFAULT_CALENDAR, VN_TZ
    day = DEFAULT_CALENDAR.next_working_day(clock.now().astimezone(VN_TZ).date())
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ)


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


def eventually(probe: Callable[[], object], timeout: float = 20.0, interval: float = 0.1):
    """Poll until probe() returns something truthy: the workflow runs asynchronously in moto."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


# --- the call inventory (infra/calls.json) ---------------------------------------------------
# Every AWS call a Lambda handler makes anywhere in the suite is recorded; at the end the session
# fails if one is missing from the inventory the IAM roles are built from. KBNN_RECORD_CALLS=path
# writes what was recorded instead (how the inventory is refreshed: see infra/README.md).
def pytest_configure(config):
    from chalicelib import clock
    from infra.inventory import Recorder
    clock.now()    # anchors KBNN_CLOCK, if set, at the start of the run (chalicelib/clock.py)
    config.kbnn_calls = Recorder().install()


def pytest_report_header(config):
    from chalicelib import clock
    from chalicelib.domain.calendar import VN_TZ
    now = clock.now().astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M %a")
    return f"product clock: {now} Hanoi ({'KBNN_CLOCK' if clock.is_set() else 'the system clock'})"


def pytest_sessionfinish(session, exitstatus):
    import json
    import os

    from infra import inventory
    recorder = getattr(session.config, "kbnn_calls", None)
    if recorder is None:
        return
    recorder.uninstall()
    recorded = recorder.as_inventory()
    out = os.environ.get("KBNN_RECORD_CALLS")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(recorded, f, indent=2, sort_keys=True)
        return
    missing = inventory.missing(recorded, inventory.load())
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["AWS calls made by handlers but missing from infra/calls.json "
                 "(their IAM roles would refuse them):", *missing]
        if reporter:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = 1
