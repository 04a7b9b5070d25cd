"""The receipt notice through the public API and the real event stream (347/2025 Art.3 cl.4 pt.a):
a valid dossier is answered with its code and the promised result date, which GET
/v1/dossiers/{id}/receipt-notice shows to the unit and the office and an e-mail tells the unit's
registered address; an invalid one is answered 4xx with what to add. The expected due days are
counted here by the rule (Civil Code 2015 Art.147 cl.2: the day of receipt is not counted; only
the office's working days count), KV1 declaring no day off in these tests."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib import clock
from chalicelib.domain import catalogue
from chalicelib.domain.calendar import DEFAULT_CALENDAR, VN_TZ
from devstack.demo import sample_content
from devstack.outbox import fetch
from tests.conftest import eventually, next_working_day_at
from tests.integration.test_notifications import STREAM_LAG, UNIT_EMAIL

pytestmark = pytest.mark.integration


def due_by_the_rule(received: datetime, working_days: int) -> datetime:
    """17:00 local on the `working_days`-th working day after the local day of receipt."""
    day = received.astimezone(VN_TZ).date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        counted += DEFAULT_CALENDAR.is_working_day(day)
    return datetime.combine(day, time(17, 0), tzinfo=VN_TZ)


def limit_of(dossier: dict, received: datetime) -> int:
    return catalogue.get_version(dossier["procedure"], dossier["version"]).sla_days(received)


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def notice_of(flow, dossier_id: str, token: str) -> tuple[int, dict]:
    return flow.api.call("GET", f"/v1/dossiers/{dossier_id}/receipt-notice", token=token)


def test_art3_cl4_pt_a_a_dossier_received_late_on_a_working_day_is_noticed_and_emailed_its_promised_date(
        stack, flow, unique, travel):
    received = travel(next_working_day_at(16, 30))   # no cut-off: counted from the next day
    d = flow.submit(unique("RCPT"))
    promised = due_by_the_rule(received, limit_of(d, received))
    assert d["due_at"] == utc_iso(promised)

    for token in (flow.unit, flow.officer, flow.leader):     # the unit and its office
        status, notice = notice_of(flow, d["dossier_id"], token)
        assert status == 200, notice
        assert (notice["dossier_code"], notice["procedure"]["code"], notice["unit_id"]) == (
            d["dossier_id"], "regular_spending_payment", "1012345")
        assert notice["received_at"] == d["received_at"]
        assert (notice["promised_result_at"], notice["promised_result_local"]) == (
            utc_iso(promised), local_text(promised))
        assert notice["legal_basis"] == "Điểm a khoản 4 Điều 3 Nghị định số 347/2025/NĐ-CP"
        assert notice["office"]["office_id"] == "KV1" and notice["office"]["name"] != "KV1"

    mail = eventually(lambda: next((m for m in fetch("emails", stack.endpoint_url,
                                                     contains=d["dossier_id"])
                                    if "Thông báo tiếp nhận hồ sơ" in m["subject"]), None),
                      timeout=STREAM_LAG)
    assert mail["to"] == [UNIT_EMAIL]
    assert d["dossier_id"] in mail["subject"]
    assert f"Hẹn trả kết quả:   {local_text(promised)}" in mail["body"]
    assert f"Thời điểm nhận:    {local_text(received)}" in mail["body"]


def test_civil_code_art147_cl2_a_dossier_received_on_a_day_off_is_due_on_the_first_working_days_counted(
        flow, unique, travel):
    day = clock.now().astimezone(VN_TZ).date() + timedelta(days=1)
    while day.weekday() != 5 or DEFAULT_CALENDAR.is_working_day(day):   # a Saturday off
        day += timedelta(days=1)
    received = travel(datetime.combine(day, time(10, 0), tzinfo=VN_TZ))
    d = flow.submit(unique("RCPT-SAT"))
    days = limit_of(d, received)
    due = datetime.fromisoformat(d["due_at"].replace("Z", "+00:00")).astimezone(VN_TZ)
    # the Saturday is not counted, the Sunday is a rest day: the first working day counted is
    # the next working day after the Saturday
    first: date = DEFAULT_CALENDAR.next_working_day(day)
    assert due == due_by_the_rule(received, days)
    if days == 1:
        assert due.date() == first
    status, notice = notice_of(flow, d["dossier_id"], flow.unit)
    assert status == 200 and notice["promised_result_at"] == d["due_at"]


def test_art3_cl4_pt_a_an_invalid_dossier_is_answered_with_what_to_add_naming_the_field(flow, unique):
    content = sample_content(unique("RCPT-BAD"), 1_000_000)
    content["voucher"]["total"] = 999_999                    # the lines add up to 1,000,000
    status, body = flow.api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)
    assert status == 422, body
    error = body["error"]
    assert (error["code"], error["field"]) == ("total_mismatch", "content.voucher.total")
    assert error["message"]                                   # Vietnamese, for the unit
