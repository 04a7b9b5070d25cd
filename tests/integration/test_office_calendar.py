"""An office's compensatory day off pushes the deadlines of dossiers received after it; its working
hours are its own."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from chalicelib import clock
from chalicelib.domain.calendar import DEFAULT_CALENDAR, DEFAULT_WORKING_HOURS, VN_TZ
from tests.conftest import next_working_day_at
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration


def test_a_leader_declares_a_day_off_and_later_deadlines_move_past_it(api, tokens, pki_dir,
                                                                      unique, travel):
    travel(next_working_day_at(10))    # far from midnight: all three are received the same local day
    flow = Flow(api, tokens, pki_dir, unit="ketoan.psg", officer="kiemsoat.kv2",
                leader="lanhdao.kv2")
    payer = {"unit_code": "1034567", "chapter_code": "805", "account": "9523.1.1034567"}
    before = flow.submit(unique("CAL-1"), **payer)
    due_day = datetime.fromisoformat(before["due_at"].replace("Z", "+00:00")).astimezone(VN_TZ).date()

    status, body = api.call("POST", "/v1/offices/KV2/days-off",
                            {"date": due_day.isoformat(), "reason": "Nghỉ bù theo quyết định của UBND."},
                            token=tokens["lanhdao.kv2"])
    assert status == 201, body
    after = flow.submit(unique("CAL-2"), **payer)
    new_day = datetime.fromisoformat(after["due_at"].replace("Z", "+00:00")).astimezone(VN_TZ).date()
    assert new_day == DEFAULT_CALENDAR.next_working_day(due_day)
    # another office's deadlines do not move (received a moment later: the same original day)
    other = Flow(api, tokens, pki_dir).submit(unique("CAL-3"))
    assert datetime.fromisoformat(other["due_at"].replace("Z", "+00:00")).astimezone(VN_TZ).date() \
        == due_day


def test_only_the_offices_own_leader_declares_its_days_off(api, tokens):
    day = (clock.now().astimezone(VN_TZ).date() + timedelta(days=30)).isoformat()
    body = {"date": day, "reason": "Nghỉ bù."}
    assert api.call("POST", "/v1/offices/KV2/days-off", body, token=tokens["lanhdao.kv1"])[1][
        "error"]["code"] == "out_of_scope"
    assert api.call("POST", "/v1/offices/KV2/days-off", body, token=tokens["kiemsoat.kv2"])[1][
        "error"]["code"] == "role_not_allowed"
    status, err = api.call("POST", "/v1/offices/KV2/days-off", {"date": "2020-01-01", "reason": "x"},
                           token=tokens["lanhdao.kv2"])
    assert (status, err["error"]["code"]) == (422, "date_in_past")


def test_an_offices_working_hours_are_its_own_data(stack, unique):
    from chalicelib import composition
    from chalicelib.adapters.models import Office
    office_id = unique("PGD").upper()
    Office(f"OFFICE#{office_id}", office_id=office_id, name="Phòng Giao dịch thử", parent_id="KV1",
           working_hours={"start": "07:30", "end": "16:30"}).save()
    repo = composition.services().repo
    assert repo.office_calendar(office_id).working_hours == (time(7, 30), time(16, 30))
    assert repo.office_calendar("KV1").working_hours == DEFAULT_WORKING_HOURS == (time(7), time(18))
