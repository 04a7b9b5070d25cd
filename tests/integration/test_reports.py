"""Reports from aggregates, recomputed from the raw records and compared, through the real path:
table stream -> event pump -> bus `kbnn-events` -> rule -> queue `kbnn-reports` -> counters.

Office KV1-CG (unit 1045678) is the subject: the test makes dossiers there (paid on time,
refused late, left open), enters the office's paper vouchers and its mandatory units, and then
recomputes every figure from the dossiers of the office, their audit trails and the directory's
units — independently of the code under test — and waits until the reports say the same. Every
event is then delivered a second time and the figures must not move.
"""
from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from chalicelib import clock
from chalicelib.adapters import aws
from chalicelib.queues import PORTAL_FEED_QUEUE, REPORTS_QUEUE, dead_letters
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
OFFICE = "KV1-CG"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
END = {"paid", "refused", "recorded", "registered", "closed", "reconciled", "not_reconciled"}
STREAM_LAG = 90
_de = TypeDeserializer()


# --- the raw records ---------------------------------------------------------------------------
def plain(item: dict) -> dict:
    out = {}
    for k, v in item.items():
        value = _de.deserialize(v)
        out[k] = int(value) if isinstance(value, Decimal) else value
    return out


class Raw:
    """Reads the tables directly, as an auditor would: not through the code under test."""

    def __init__(self, stack) -> None:
        self.env = stack.env
        kw = {"endpoint_url": stack.endpoint_url, "region_name": stack.env["AWS_REGION"]}
        self.ddb, self.sqs, self.events = (boto3.client(s, **kw) for s in ("dynamodb", "sqs", "events"))

    def _pages(self, method, **kwargs):
        while True:
            page = getattr(self.ddb, method)(**kwargs)
            yield from (plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def dossiers(self, office: str) -> list[dict]:
        return list(self._pages("query", TableName=self.env["TABLE_DOSSIERS"], IndexName="by_office",
                                KeyConditionExpression="office_id = :o",
                                ExpressionAttributeValues={":o": {"S": office}}))

    def trail(self, dossier_id: str) -> list[dict]:
        records = self._pages("query", TableName=self.env["TABLE_AUDIT"],
                              KeyConditionExpression="dossier_id = :d",
                              ExpressionAttributeValues={":d": {"S": dossier_id}})
        return [{**json.loads(r["body"]), "seq": r["seq"]} for r in sorted(records, key=lambda r: r["seq"])]

    def units(self, office: str) -> list[dict]:
        return [u for u in self._pages("scan", TableName=self.env["TABLE_DIRECTORY"])
                if u["pk"].startswith("UNIT#") and u["office_id"] == office]

    def make_late(self, dossier_id: str) -> None:
        """Time is simulated by moving the legal due time into the past (as test_overdue does)."""
        past = (clock.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.ddb.update_item(TableName=self.env["TABLE_DOSSIERS"], Key={"dossier_id": {"S": dossier_id}},
                             UpdateExpression="SET due_at = :past",
                             ExpressionAttributeValues={":past": {"S": past}})

    def queue_url(self, name: str) -> str:
        return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def drained(self, name: str) -> bool:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url(name), AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return not any(int(v) for v in attrs.values())


def local_day(at: str) -> date:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(HCM).date()


def iso_week(day: date) -> tuple[int, int]:
    return day.isocalendar()[:2]


# --- each figure, recomputed -------------------------------------------------------------------
def expected_dossier_rows(raw: Raw) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    rows: dict = defaultdict(lambda: [0, 0, 0, 0])
    for d in raw.dossiers(OFFICE):
        trail = raw.trail(d["dossier_id"])
        rows[(local_day(trail[0]["at"]).isoformat(), d["procedure"])][0] += 1
        ends = [r for r in trail if r["to_status"] in END and r["from_status"] != r["to_status"]]
        if ends:
            decided = local_day(ends[0]["at"]).isoformat()
            late = datetime.fromisoformat(ends[0]["at"].replace("Z", "+00:00")) > \
                datetime.fromisoformat(d["due_at"].replace("Z", "+00:00"))
            row = rows[(decided, d["procedure"])]
            row[1] += 1
            row[3 if late else 2] += 1
    return {k: tuple(v) for k, v in rows.items()}


def expected_online(raw: Raw) -> dict[str, int]:
    online: dict = defaultdict(int)
    for d in raw.dossiers(OFFICE):
        if d.get("payment_kind"):
            online[local_day(d["received_at"]).isoformat()] += 1
    return dict(online)


def expected_regular(raw: Raw, today: date, weeks: int) -> tuple[int, int]:
    wanted = {iso_week(today - timedelta(weeks=n)) for n in range(weeks)}
    seen: dict = defaultdict(set)
    for d in raw.dossiers(OFFICE):
        if d["procedure"] != "service_registration":
            seen[d["unit_id"]].add(iso_week(local_day(d["received_at"])))
    units = raw.units(OFFICE)
    return sum(1 for u in units if wanted <= seen[u["unit_id"]]), len(units)


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 2)


# --- the reports, as a leader reads them ---------------------------------------------------------
SCHEMAS = {"/v1/reports/dossiers": "DossierFigures", "/v1/reports/participation": "ParticipationReport",
           "/v1/reports/regular-senders": "RegularSendersReport",
           "/v1/reports/online-vouchers": "OnlineVouchersReport"}


def conforms(schema: str, body: dict) -> None:
    """The answer is what chalicelib/openapi.json promises."""
    from jsonschema import Draft202012Validator
    doc = json.loads((Path(__file__).resolve().parents[2] / "chalicelib" / "openapi.json").read_text())
    Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": doc["components"]}
                         ).validate(body)


def get(api, token, path):
    status, body = api.call("GET", path, token=token)
    assert status == 200, body
    conforms(SCHEMAS[path.split("?")[0]], body)
    return body


def reported_rows(report: dict) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {(r["date"], r["procedure"]): (r["received"], r["decided"], r["on_time"], r["late"])
            for r in report["rows"]}


def settles(expected, actual, timeout=STREAM_LAG):
    """Wait until the report equals the recomputation (the pump may still be catching up);
    on time-out, show both."""
    last = {}

    def probe():
        last["expected"], last["actual"] = expected(), actual()
        return last["expected"] == last["actual"]
    try:
        eventually(probe, timeout=timeout, interval=0.5)
    except AssertionError:
        assert last["actual"] == last["expected"]
    return last["actual"]


@pytest.fixture(scope="module")
def raw(stack) -> Raw:
    return Raw(stack)


@pytest.fixture(scope="module")
def tap(raw):
    """A copy of every event on the bus, to deliver each one a second time."""
    url = raw.sqs.create_queue(QueueName="test-reports-tap")["QueueUrl"]
    arn = raw.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = raw.env["EVENT_BUS_NAME"]
    raw.events.put_rule(Name="test-reports-tap", EventBusName=bus,
                        EventPattern=json.dumps({"source": ["kbnn.dvc"]}))
    raw.events.put_targets(Rule="test-reports-tap", EventBusName=bus, Targets=[{"Id": "t", "Arn": arn}])
    seen: list[str] = []

    def read() -> list[str]:
        while batch := raw.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in batch:
                seen.append(m["Body"])
                raw.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return seen
    return read


@pytest.fixture(scope="module")
def district(api, tokens, pki_dir) -> Flow:
    return Flow(api, tokens, pki_dir, unit="ketoan.dv", officer="kiemsoat.cg", leader="lanhdao.cg")


def submit(flow: Flow, number: str) -> str:
    return flow.submit(number, 3_000_000, unit_code="1045678", chapter_code="622",
                       account="9523.1.1045678")["dossier_id"]


def deliver_again(raw: Raw, bodies: list[str], dossier_ids: set[str]) -> int:
    """Every event of these dossiers (and every unit registration) into both consumers' queues
    once more, as EventBridge or SQS may deliver it."""
    from chalicelib.domain import aggregates
    sent = 0
    for body in bodies:
        detail = json.loads(body)["detail"]
        if detail.get("dossier_id") not in dossier_ids and detail["event"] != "unit.registered":
            continue
        for queue, names in ((REPORTS_QUEUE, aggregates.REPORT_EVENTS),
                             (PORTAL_FEED_QUEUE, aggregates.FEED_EVENTS)):
            if detail["event"] in names:
                raw.sqs.send_message(QueueUrl=raw.queue_url(queue), MessageBody=body)
                sent += 1
    return sent


def test_every_report_figure_equals_its_recomputation_from_the_raw_records(
        api, tokens, raw, tap, district, unique):
    leader, officer = tokens["lanhdao.cg"], tokens["kiemsoat.cg"]
    tap()
    paid = submit(district, unique("RPT-PAID"))
    refused = submit(district, unique("RPT-LATE"))
    waiting = submit(district, unique("RPT-OPEN"))
    district.decide(district.officer, paid, "accept")
    district.decide(district.leader, paid, "approve")
    district.reaches(paid, "paid")
    raw.make_late(refused)
    district.decide(district.officer, refused, "refuse", "Sai mã nội dung kinh tế.")
    district.reaches(refused, "refused")
    today = clock.now().astimezone(HCM).date()

    # the office's own entries: paper vouchers of today, the mandatory units it must have
    status, body = api.call("POST", f"/v1/offices/{OFFICE}/paper-vouchers",
                            {"date": today.isoformat(), "count": 7}, token=officer)
    assert (status, body["count"], body["by"]) == (200, 7, "kiemsoat.cg"), body
    conforms("PaperVouchersRecorded", body)
    mandatory_registered = sum(1 for u in raw.units(OFFICE) if u.get("mandatory", True))
    status, body = api.call("POST", f"/v1/offices/{OFFICE}/mandatory-units",
                            {"count": mandatory_registered + 1}, token=leader)
    assert status == 200, body
    conforms("MandatoryUnitsDeclared", body)

    seen: list[tuple[str, str]] = []
    remove = aws.observe(lambda service, op: seen.append((service, op)))
    try:
        figures_settle(api, leader, raw, today)
    finally:
        remove()
    assert ("dynamodb", "Query") in seen and ("dynamodb", "Scan") not in seen   # reports never scan

    # my three dossiers are in there: one received each, one decided on time, one late
    rows = reported_rows(get(api, leader, f"/v1/reports/dossiers?office={OFFICE}"))
    procedure_today = rows[(today.isoformat(), "regular_spending_payment")]
    assert procedure_today[0] >= 3 and procedure_today[2] >= 1 and procedure_today[3] >= 1
    assert waiting

    # every message delivered twice: nothing moves. Ours: 3 submitted, accepted, approved, paid
    # and its balance change, refused.
    ours = {paid, refused, waiting}
    bodies = eventually(lambda: (b := tap()) and sum(json.loads(x)["detail"].get("dossier_id") in ours
                                                     for x in b) >= 8 and b, timeout=STREAM_LAG)
    assert deliver_again(raw, bodies, ours) >= 7 + 5
    eventually(lambda: raw.drained(REPORTS_QUEUE) and raw.drained(PORTAL_FEED_QUEUE), timeout=STREAM_LAG)
    figures_settle(api, leader, raw, today, timeout=20)


def figures_settle(api, leader, raw: Raw, today: date, timeout: float = STREAM_LAG) -> None:
    first = min([d for d, _ in expected_dossier_rows(raw)] + [today.isoformat()])
    span = f"office={OFFICE}&from={first}&to={today.isoformat()}"
    # dossiers received, decided, on time, late (per local day and procedure)
    report = get(api, leader, f"/v1/reports/dossiers?{span}")
    settles(lambda: expected_dossier_rows(raw),
            lambda: reported_rows(get(api, leader, f"/v1/reports/dossiers?{span}")), timeout)
    report = get(api, leader, f"/v1/reports/dossiers?{span}")
    for row in report["rows"]:
        assert row["on_time_rate"] == pct(row["on_time"], row["decided"])
    assert report["totals"]["decided"] == sum(r["decided"] for r in report["rows"])

    # share of vouchers sent online: online / (online + paper the office recorded)
    def online():
        rows = get(api, leader, f"/v1/reports/online-vouchers?{span}")["rows"]
        return {r["date"]: (r["online"], r["paper"], r["online_share"]) for r in rows}

    def online_expected():
        counts = expected_online(raw)
        paper = {today.isoformat(): 7}
        return {day: (counts.get(day, 0), paper.get(day, 0),
                      pct(counts.get(day, 0), counts.get(day, 0) + paper.get(day, 0)))
                for day in set(counts) | set(paper)}
    settles(online_expected, online, timeout)

    # participation: registered mandatory units / the mandatory units the office declared
    def participation():
        p = get(api, leader, f"/v1/reports/participation?office={OFFICE}")
        return p["registered_units"], p["registered_mandatory_units"], p["participation_rate"], p["published"]

    def participation_expected():
        units = raw.units(OFFICE)
        mandatory = sum(1 for u in units if u.get("mandatory", True))
        return (len(units), mandatory, pct(mandatory, mandatory + 1),
                f"{mandatory:,}/{mandatory + 1:,} = {pct(mandatory, mandatory + 1):.2f}".rstrip("0")
                .rstrip(".") + "%")
    settles(participation_expected, participation, timeout)

    # units sending regularly: a dossier in each of the last N weeks / registered units
    for weeks in (1, 2):
        def regular(weeks=weeks):
            r = get(api, leader, f"/v1/reports/regular-senders?office={OFFICE}&weeks={weeks}"
                                 f"&date={today.isoformat()}")
            return r["regular_units"], r["registered_units"], r["share"]

        def regular_expected(weeks=weeks):
            sending, registered = expected_regular(raw, today, weeks)
            return sending, registered, pct(sending, registered)
        settles(regular_expected, regular, timeout)


def test_each_report_exports_as_csv_with_the_same_rows(api, tokens, stack):
    leader = tokens["lanhdao.cg"]
    for path in ("/v1/reports/dossiers", "/v1/reports/participation",
                 "/v1/reports/regular-senders", "/v1/reports/online-vouchers"):
        report = get(api, leader, f"{path}?office={OFFICE}")
        for query, headers in (("&format=csv", {}), ("", {"Accept": "text/csv"})):
            req = urllib.request.Request(f"{stack.api_url}{path}?office={OFFICE}{query}",
                                         headers={"Authorization": f"Bearer {leader}", **headers})
            with urllib.request.urlopen(req, timeout=30) as resp:
                assert resp.headers["Content-Type"].startswith("text/csv")
                text = resp.read().decode("utf-8-sig")
            table = list(csv.DictReader(io.StringIO(text)))
            assert list(table[0].keys()) if table else True
            assert len(table) == len(report["rows"]), path
            for line, row in zip(table, report["rows"], strict=True):
                assert line == {k: "" if row[k] is None else str(row[k]) for k in report["columns"]}


def test_reports_follow_the_office_hierarchy_and_refuse_bad_parameters(api, tokens):
    assert api.call("GET", "/v1/reports/dossiers?office=KV1-CG", token=tokens["lanhdao.kv1"])[0] == 200
    status, err = api.call("GET", "/v1/reports/dossiers?office=KV1", token=tokens["kiemsoat.cg"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    status, err = api.call("GET", "/v1/reports/participation?office=KV1", token=tokens["lanhdao.cg"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    for path, code in (("/v1/reports/dossiers?from=2026-13-01", "invalid_format"),
                       ("/v1/reports/dossiers?from=2026-02-01&to=2026-01-01", "invalid_range"),
                       ("/v1/reports/online-vouchers?from=2024-01-01&to=2026-01-01", "invalid_range"),
                       ("/v1/reports/regular-senders?weeks=0", "invalid_weeks"),
                       ("/v1/reports/participation?format=xml", "invalid_choice")):
        status, err = api.call("GET", path, token=tokens["lanhdao.kv1"])
        assert (status, err["error"]["code"]) == (422, code), path
    tomorrow = (clock.now().astimezone(HCM).date() + timedelta(days=1)).isoformat()
    status, err = api.call("POST", "/v1/offices/KV1/paper-vouchers", {"date": tomorrow, "count": 1},
                           token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (422, "date_in_future")
    status, err = api.call("POST", "/v1/offices/KV1/paper-vouchers", {"date": "2026-01-05", "count": -1},
                           token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (422, "invalid_count")
    status, err = api.call("POST", "/v1/offices/KV2/mandatory-units", {"count": 3},
                           token=tokens["lanhdao.kv1"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    status, err = api.call("POST", "/v1/offices/KV1/mandatory-units", {"count": 3},
                           token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (403, "role_not_allowed")
    status, err = api.call("GET", "/v1/reports/dossiers", token=tokens["cong.dvcqg"])
    assert (status, err["error"]["code"]) == (403, "role_not_allowed")


def test_a_poison_message_on_the_reports_queue_ends_in_its_dead_letter_queue(raw, unique):
    marker = unique("POISON")
    raw.sqs.send_message(QueueUrl=raw.queue_url(REPORTS_QUEUE),
                         MessageBody=json.dumps({"detail": {"event": "dossier.submitted",
                                                            "event_id": f"{marker}#1"}}))
    dlq = raw.queue_url(dead_letters(REPORTS_QUEUE))

    def parked():
        for m in raw.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            if marker in m["Body"]:
                raw.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                return True
        return False
    eventually(parked, timeout=60, interval=0.5)
