"""`make test-clock` reports each instant's pytest counts, whichever way pytest closed."""
from __future__ import annotations

import pytest

from tests.clock_runs import INSTANTS, counts

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("output, expected", [
    ("....\n1656 passed in 1718.02s (0:28:38)\n", "1656 passed"),
    ("F...\nFAILED t.py::t\n1 failed, 1655 passed in 1755.10s (0:29:15)\n", "1 failed, 1655 passed"),
    ("== 2 failed, 10 passed, 1 skipped in 3.20s ==\n", "2 failed, 10 passed, 1 skipped"),
    ("ImportError while loading conftest\n", "no summary (see the log)"),
])
def test_the_closing_counts_are_read_from_quiet_and_verbose_pytest(output, expected):
    assert counts(output) == expected


def test_the_six_instants_of_the_issue_are_all_there_with_their_offsets():
    from chalicelib.clock import parse
    from chalicelib.domain.calendar import DEFAULT_CALENDAR, VN_TZ
    local = {name: parse(value).astimezone(VN_TZ) for name, value in INSTANTS.items()}
    assert local["weekday-0930"].weekday() < 5 and local["weekday-0930"].hour == 9
    assert local["weekday-2130"].hour == 21
    assert local["saturday-1000"].weekday() == 5
    assert (local["year-end-2350"].month, local["year-end-2350"].day) == (12, 31)
    assert local["monday-0300"].weekday() == 0 and local["monday-0300"].hour == 3
    after_tet = local["after-tet-2027"].date()      # Tết Đinh Mùi: mùng 1 is Sat 6 Feb 2027
    assert DEFAULT_CALENDAR.is_working_day(after_tet)
    assert not DEFAULT_CALENDAR.is_working_day(after_tet.replace(day=after_tet.day - 1))
    assert DEFAULT_CALENDAR.next_working_day(after_tet.replace(day=6)) == after_tet
