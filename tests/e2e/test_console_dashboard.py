"""The leader's dashboard in Chromium shows exactly what the reports API answers for the same
period and office (the figures are read from the page's DOM, data-figure/data-value), and its
CSV export is the same rows."""
from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import clock
from tests.conftest import eventually

pytestmark = pytest.mark.e2e
LEADER = "lanhdao.kv1"


def local_day(days: int = 0) -> str:
    return (clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=days)).date().isoformat()


def reports(api, token, office, first, last) -> dict:
    def get(path):
        status, body = api.call("GET", path, token=token)
        assert status == 200, body
        return body
    return {
        "dossiers": get(f"/v1/reports/dossiers?office={office}&from={first}&to={last}"),
        "participation": get(f"/v1/reports/participation?office={office}"),
        "regular": get(f"/v1/reports/regular-senders?office={office}&date={last}"),
        "overdue": get(f"/v1/reports/overdue?office={office}"),
    }


def comparable(api_answer: dict) -> dict:
    """What the dashboard must show, computed here from the API's answer: every day of the
    period (zeros where the API has no row), summed over procedures."""
    report = api_answer["dossiers"]
    first = datetime.fromisoformat(report["from"]).date()
    span = (datetime.fromisoformat(report["to"]).date() - first).days
    days: dict[str, dict] = {(first + timedelta(days=n)).isoformat():
                             {k: 0 for k in ("received", "decided", "on_time", "late")}
                             for n in range(span + 1)}
    for row in api_answer["dossiers"]["rows"]:
        day = days.setdefault(row["date"], {k: 0 for k in ("received", "decided", "on_time", "late")})
        for k in day:
            day[k] += row[k]
    totals = api_answer["dossiers"]["totals"]
    return {
        "figures": {**{k: float(totals[k]) for k in ("received", "decided", "on_time", "late")},
                    "on_time_rate": totals["on_time_rate"],
                    "participation_rate": api_answer["participation"]["participation_rate"],
                    "regular_share": api_answer["regular"]["share"]},
        "days": {d: {k: float(v) for k, v in counts.items()} for d, counts in sorted(days.items())},
        "overdue": [item["dossier_id"] for item in api_answer["overdue"]["items"]],
    }


def shown(page) -> dict:
    def number(text):
        return None if text == "null" else float(text)
    figures = {f.get_attribute("data-figure"): number(f.get_attribute("data-value"))
               for f in page.locator("[data-figure]").all()}
    days = {row.get_attribute("data-day"): {td.get_attribute("data-count"): float(td.inner_text())
                                            for td in row.locator("td[data-count]").all()}
            for row in page.locator("tr[data-day]").all()}
    overdue = [row.get_attribute("data-dossier")
               for row in page.locator(".overdue-list tr[data-dossier]").all()]
    return {"figures": figures, "days": dict(sorted(days.items())), "overdue": overdue}


def show(page, office: str, first: str, last: str) -> None:
    before = page.locator('[data-view="leader-dashboard"]').get_attribute("data-rendered") or "0"
    page.fill('input[name="from"]', first)
    page.fill('input[name="to"]', last)
    page.fill('input[name="office"]', office)
    page.click('[data-action="apply"]')
    page.wait_for_selector(f'[data-view="leader-dashboard"][data-office="{office}"][data-from="{first}"]'
                           f'[data-to="{last}"]:not([data-rendered="{before}"])')


def test_the_dashboard_figures_equal_the_reports_api_for_the_same_period_and_office(
        person, screens, flow, api, tokens):
    flow.submit(f"DASH-{uuid.uuid4().hex[:6].upper()}")   # today has at least one dossier
    token = tokens[LEADER]
    first, last = local_day(-6), local_day()
    eventually(lambda: reports(api, token, "KV1", last, last)["dossiers"]["totals"]["received"] >= 1,
               timeout=90, interval=0.5)
    page = person(LEADER)
    page.get_by_role("link", name="Báo cáo điều hành").click()
    page.wait_for_selector('[data-view="leader-dashboard"][data-rendered]')

    for office in ("KV1", "KV1-CG"):   # the leader's office and the office under it
        for _ in range(5):   # the counters move while other dossiers finish: compare a still moment
            before = comparable(reports(api, token, office, first, last))
            show(page, office, first, last)
            on_page = shown(page)
            after = comparable(reports(api, token, office, first, last))
            if before == after:
                break
            time.sleep(2)
        assert before == after, "the reports kept moving"
        assert on_page == after, office
        if office == "KV1":
            assert on_page["figures"]["received"] >= 1 and on_page["days"]
            bars = page.locator('svg[role="img"] rect[data-series="received"]')
            assert bars.count() == len(on_page["days"])
            screens.save(page, "leader-dashboard")

    show(page, "KV1", first, last)
    with page.expect_download() as download:
        page.click('[data-action="csv"]')
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = reports(api, token, "KV1", first, last)["dossiers"]
    assert list(rows[0].keys()) == expected["columns"]
    assert [{c: cell(row[c]) for c in row} for row in rows] == \
        [{c: cell(r[c]) for c in expected["columns"]} for r in expected["rows"]]


def cell(value):
    """A CSV cell or a JSON value, as a value: numbers as numbers ("100" and 100.0 are equal)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return value


def test_a_period_the_api_refuses_shows_its_message_next_to_the_field(person):
    page = person(LEADER)
    page.get_by_role("link", name="Báo cáo điều hành").click()
    page.wait_for_selector('[data-view="leader-dashboard"][data-rendered]')
    page.fill('input[name="from"]', local_day(-400))
    page.fill('input[name="to"]', local_day())
    page.click('[data-action="apply"]')
    error = page.locator(".field-error, .alert").first
    error.wait_for()
    assert error.inner_text().strip()
