"""Domain events: each dossier status change, balance change and certificate change reaches the
EventBridge bus from the tables' streams, identified by the change it comes from."""
from __future__ import annotations

import json

import boto3
import pytest

from tests.conftest import eventually

pytestmark = pytest.mark.integration
# The stream is read in order: late in a session the pump may still be working through the
# changes of earlier tests.
STREAM_LAG = 60


@pytest.fixture(scope="module")
def tap(stack):
    """A queue subscribed to every event on the bus, as a consumer would be."""
    kw = {"endpoint_url": stack.endpoint_url, "region_name": stack.env["AWS_REGION"]}
    sqs, events = boto3.client("sqs", **kw), boto3.client("events", **kw)
    url = sqs.create_queue(QueueName="test-event-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.env["EVENT_BUS_NAME"]
    events.put_rule(Name="test-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["kbnn.dvc"]}))
    events.put_targets(Rule="test-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    seen: list[dict] = []

    def read() -> list[dict]:
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return seen
            for m in batch:
                seen.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return read


def of(events: list[dict], dossier_id: str) -> list[str]:
    return [e["detail-type"] for e in events if e["detail"].get("dossier_id") == dossier_id]


def test_a_paid_dossier_emits_each_status_change_once_and_its_balance_change(flow, tap, unique):
    d = flow.submit(unique("EV"), 2_000_000)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    flow.reaches(d["dossier_id"], "paid")
    expected = ["dossier.submitted", "dossier.accepted", "dossier.approved", "payment.posted",
                "balance.changed"]
    seen = eventually(lambda: (names := of(tap(), d["dossier_id"])) and
                      len(names) >= len(expected) and names, timeout=STREAM_LAG)
    assert sorted(seen) == sorted(expected)
    posted = next(e for e in tap() if e["detail-type"] == "payment.posted"
                  and e["detail"]["dossier_id"] == d["dossier_id"])
    detail = posted["detail"]
    assert (detail["version"], detail["dossier_code"], detail["amount"]) == (1, d["dossier_id"], 2_000_000)
    assert detail["result"]["debit_advice"]["amount"] == 2_000_000
    balance = next(e for e in tap() if e["detail-type"] == "balance.changed"
                   and e["detail"]["dossier_id"] == d["dossier_id"])["detail"]
    assert balance["delta"] == -2_000_000 and balance["correlation_id"] == d["dossier_id"]


def test_the_correlation_id_of_the_submission_travels_with_its_events(flow, tap, unique):
    body = flow.signed(__import__("devstack.demo", fromlist=["x"]).sample_content(unique("CID")))
    status, d = flow.api.call("POST", "/v1/dossiers", body, token=flow.unit,
                              headers={"X-Correlation-Id": "portal-req-000123"})
    assert status == 201, d
    submitted = eventually(lambda: next((e for e in tap() if e["detail"].get("dossier_id") ==
                                         d["dossier_id"]), None), timeout=STREAM_LAG)
    assert submitted["detail"]["correlation_id"] == "portal-req-000123"
    status, err = flow.api.call("POST", "/v1/dossiers", body, token=flow.unit,
                                headers={"X-Correlation-Id": "bad id!"})
    assert (status, err["error"]["code"]) == (400, "invalid_correlation_id")
