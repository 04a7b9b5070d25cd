"""The National Public Service Portal's status feed, through the real path: dossier stream ->
event pump -> bus `kbnn-events` -> rule -> queue `kbnn-portal-feed` -> feed; pulled by the
portal's own machine login with a cursor. Each status change appears once, in order, even when
its event is delivered twice, and carries nothing the portal does not need."""
from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from chalicelib import clock
from chalicelib.queues import PORTAL_FEED_QUEUE
from tests.conftest import eventually
from tests.integration.test_reports import conforms

pytestmark = pytest.mark.integration
STREAM_LAG = 90
PORTAL = "cong.dvcqg"
FIELDS = {"dossier_code", "procedure", "procedure_version", "event", "status", "office_id",
          "due_at", "occurred_at", "recorded_at", "seq"}


def pull(api, token, since: str, limit: int = 2) -> tuple[list[dict], str]:
    """Everything after `since`, page by page (small pages, so the cursor is exercised)."""
    items, cursor = [], since
    for _ in range(10_000):
        status, page = api.call("GET", f"/v1/portal/status?since={cursor}&limit={limit}", token=token)
        assert status == 200, page
        assert len(page["items"]) <= limit
        conforms("PortalStatusFeed", page)
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor
    raise AssertionError("the feed never ended")


def status_changes(stack, dossier_id: str) -> list[tuple[int, str]]:
    """(seq, status) of every status change in the dossier's audit trail (the raw records)."""
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    records = ddb.query(TableName=stack.env["TABLE_AUDIT"], KeyConditionExpression="dossier_id = :d",
                        ExpressionAttributeValues={":d": {"S": dossier_id}})["Items"]
    de = TypeDeserializer()
    out = []
    for r in records:
        body = json.loads(de.deserialize(r["body"]))
        if body["from_status"] != body["to_status"]:
            out.append((int(de.deserialize(r["seq"])), body["to_status"]))
    return sorted(out)


def test_each_status_change_reaches_the_portal_feed_once_in_order_without_personal_data(
        api, stack, flow, tokens, unique):
    portal = tokens[PORTAL]
    since = (clock.now() - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    paid = flow.submit(unique("PORTAL-A"), 4_000_000)["dossier_id"]
    back = flow.submit(unique("PORTAL-B"))["dossier_id"]
    flow.decide(flow.officer, paid, "accept")
    flow.decide(flow.leader, paid, "approve")
    flow.decide(flow.officer, back, "request_supplement", "Thiếu hợp đồng.")
    flow.reaches(paid, "paid")
    flow.reaches(back, "awaiting_supplement")
    expected = {d: status_changes(stack, d) for d in (paid, back)}
    assert [s for _, s in expected[paid]] == ["under_review", "awaiting_approval", "posting", "paid"]

    def mine():
        items, _ = pull(api, portal, since)
        got = {d: [(i["seq"], i["status"]) for i in items if i["dossier_code"] == d] for d in expected}
        return got == expected and items
    items = eventually(mine, timeout=STREAM_LAG, interval=1)
    ours = [i for i in items if i["dossier_code"] in expected]
    assert all(set(i) == FIELDS for i in ours)           # no amount, account, unit, reason
    assert [i["event"] for i in ours if i["dossier_code"] == paid] == \
        ["dossier.submitted", "dossier.accepted", "dossier.approved", "payment.posted"]
    assert [i["recorded_at"] for i in items] == sorted(i["recorded_at"] for i in items)

    # the same pull again from the last cursor brings nothing of ours; from `since`, the same
    _, cursor = pull(api, portal, since)
    later, _ = pull(api, portal, cursor)
    assert not [i for i in later if i["dossier_code"] in expected]

    # every event of these dossiers delivered to the feed's queue a second time: nothing new
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    url = sqs.get_queue_url(QueueName=PORTAL_FEED_QUEUE)["QueueUrl"]
    for item in ours:
        detail = {"version": 1, "event": item["event"], "event_id": f"{item['dossier_code']}#{item['seq']}",
                  "occurred_at": item["occurred_at"], "dossier_id": item["dossier_code"],
                  "dossier_code": item["dossier_code"], "procedure": item["procedure"],
                  "procedure_version": item["procedure_version"], "office_id": item["office_id"],
                  "status": item["status"], "due_at": item["due_at"]}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
            {"source": "kbnn.dvc", "detail-type": item["event"], "detail": detail}))

    def drained():
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return not any(int(v) for v in attrs.values())
    eventually(drained, timeout=STREAM_LAG)
    again, _ = pull(api, portal, since, limit=200)
    assert [i for i in again if i["dossier_code"] in expected] == ours


def test_the_portal_reads_the_feed_and_nothing_else(api, tokens):
    portal = tokens[PORTAL]
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/dossiers"), ("GET", "/v1/tasks"),
                         ("GET", "/v1/reports/overdue"), ("GET", "/v1/reports/participation")):
        status, err = api.call(method, path, token=portal)
        assert (status, err["error"]["code"]) == (403, "role_not_allowed"), path
    for officer in ("kiemsoat.kv1", "lanhdao.kv1", "ketoan.cva"):
        status, err = api.call("GET", "/v1/portal/status", token=tokens[officer])
        assert (status, err["error"]["code"]) == (403, "role_not_allowed")


def test_the_feed_refuses_a_cursor_it_did_not_make_and_a_since_beyond_its_reach(api, tokens):
    portal = tokens[PORTAL]
    status, err = api.call("GET", "/v1/portal/status?since=bm90LWEtY3Vyc29y", token=portal)
    assert (status, err["error"]["code"], err["error"]["field"]) == (400, "invalid_cursor", "since")
    old = (clock.now() - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, err = api.call("GET", f"/v1/portal/status?since={old}", token=portal)
    assert (status, err["error"]["code"]) == (422, "since_too_old")
    status, page = api.call("GET", "/v1/portal/status?limit=1", token=portal)
    assert status == 200 and set(page) == {"items", "next_cursor", "has_more", "as_of"}


def test_the_documented_command_shows_a_paid_dossiers_changes(api, stack, flow, unique, monkeypatch, capsys):
    from devstack import portal_feed
    d = flow.submit(unique("PORTAL-CMD"))["dossier_id"]
    flow.decide(flow.officer, d, "accept")
    flow.decide(flow.leader, d, "approve")
    flow.reaches(d, "paid")
    monkeypatch.setattr("sys.argv", ["portal_feed", "--api", stack.api_url, "--dossier", d])

    def shown():
        assert portal_feed.main() == 0
        return capsys.readouterr().out.splitlines()
    lines = eventually(lambda: len(lines := shown()) == 4 and lines, timeout=STREAM_LAG, interval=1)
    assert [line.split()[3] for line in lines] == \
        ["dossier.submitted", "dossier.accepted", "dossier.approved", "payment.posted"]
    assert lines[-1].split()[4] == "paid"
