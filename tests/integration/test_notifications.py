"""Results to units by e-mail and risk warnings to signers, through the real bus, queues and pump:
each result e-mailed once and each change warned once per signer even when every message is
delivered twice; a refusal's e-mail is the refusal notice with its reason; a poison message ends in
the consumer's dead-letter queue; signers manage their own subscriptions."""
from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict

import boto3
import pytest

from chalicelib.queues import NOTIFICATION_QUEUE, RISK_QUEUE
from devstack.demo import sample_content
from devstack.outbox import fetch
from tests.conftest import eventually

pytestmark = pytest.mark.integration
STREAM_LAG = 60          # the stream is read in order: late in a session the pump may lag
UNIT_EMAIL = "ketoan@chuvanan.example.vn"   # unit 1012345's registered address (devstack/seed.py)
SENDER = "no-reply@dvc.kbnn.example.vn"


def emails_about(stack, dossier_id: str) -> list[dict]:
    return fetch("emails", stack.endpoint_url, contains=dossier_id)


def alerts_about(stack, dossier_id: str, **query) -> list[dict]:
    return fetch("alerts", stack.endpoint_url, dossier_id=dossier_id, **query)


def sqs_client(stack):
    return boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])


class Twice:
    """Every message of the notification and risk queues delivered a second time: after its first
    delivery succeeds, the same body is sent to its queue again (as SQS or EventBridge may)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def wrap(self, source, sqs) -> None:
        url, queue, inner = sqs.get_queue_url(QueueName=source.queue_name)["QueueUrl"], \
            source.queue_name, source.handler

        def handler(event, context):
            inner(event, context)
            for record in event["Records"]:
                detail = json.loads(record["body"]).get("detail", {})
                key = (queue, detail.get("event_id"))
                with self._lock:
                    entry = self.seen.setdefault(key, {"count": 0, "type": detail.get("event"),
                                                       "dossier_id": detail.get("dossier_id")})
                    entry["count"] += 1
                    first = entry["count"] == 1
                if first:
                    sqs.send_message(QueueUrl=url, MessageBody=record["body"])
        source.handler = handler

    def delivered_twice(self, queue: str, dossier_id: str, types: set[str]) -> bool:
        with self._lock:
            counts = defaultdict(int)
            for (q, _), entry in self.seen.items():
                if q == queue and entry["dossier_id"] == dossier_id:
                    counts[entry["type"]] += entry["count"]
        return set(counts) == types and all(n >= 2 for n in counts.values())


@pytest.fixture
def twice(stack, monkeypatch):
    sqs = sqs_client(stack)
    duplicates = Twice()
    for source in stack.pump.sources:
        if getattr(source, "queue_name", None) in (NOTIFICATION_QUEUE, RISK_QUEUE):
            monkeypatch.setattr(source, "handler", source.handler)   # restored after the test
            duplicates.wrap(source, sqs)
    return duplicates


@pytest.fixture
def subscribed(api, tokens):
    """The unit's two signers subscribe: the chief accountant by e-mail, the account holder by SMS."""
    tag = uuid.uuid4().int % 10**7
    endpoints = {"ktt.cva": ("email", f"ktt.{tag}@chuvanan.example.vn"),
                 "chutk.cva": ("sms", f"+8491{tag:07d}")}
    made = []
    for user, (protocol, endpoint) in endpoints.items():
        status, body = api.call("POST", "/v1/alerts/subscriptions",
                                {"protocol": protocol, "endpoint": endpoint}, token=tokens[user])
        assert (status, body["topic"], body["status"]) == (201, "kbnn-risk-1012345", "confirmed"), body
        made.append((user, body["subscription_id"]))
    yield {user: endpoint for user, (_, endpoint) in endpoints.items()}
    for user, subscription_id in made:
        api.call("DELETE", f"/v1/alerts/subscriptions/{subscription_id}", token=tokens[user])


def test_a_payment_is_emailed_once_per_result_and_warned_once_per_signer_though_every_message_comes_twice(
        stack, flow, unique, twice, subscribed):
    d = flow.submit(unique("MAIL"), 2_000_000)
    dossier_id = d["dossier_id"]
    flow.decide(flow.officer, dossier_id, "accept")
    flow.decide(flow.leader, dossier_id, "approve")
    advice = flow.reaches(dossier_id, "paid")["result"]["debit_advice"]["number"]
    changes = {"dossier.submitted", "dossier.accepted", "dossier.approved", "payment.posted",
               "balance.changed"}
    results = {"dossier.submitted", "dossier.accepted", "payment.posted"}
    eventually(lambda: twice.delivered_twice(RISK_QUEUE, dossier_id, changes)
               and twice.delivered_twice(NOTIFICATION_QUEUE, dossier_id, results), timeout=STREAM_LAG)

    mails = emails_about(stack, dossier_id)
    assert len(mails) == 3, [m["subject"] for m in mails]
    assert all((m["from"], m["to"]) == (SENDER, [UNIT_EMAIL]) for m in mails)
    received, = [m for m in mails if "Thông báo tiếp nhận hồ sơ" in m["subject"]]
    accepted, = [m for m in mails if "đã được cán bộ kiểm soát chấp nhận" in m["subject"]]
    paid, = [m for m in mails if "đã được thanh toán" in m["subject"]]
    assert paid["subject"].endswith(f"Giấy báo Nợ {advice}")
    assert "GIẤY BÁO NỢ" in paid["body"] and "2.000.000 đồng" in paid["body"]
    assert "Trường THPT Chu Văn An" in accepted["body"]
    assert "Hẹn trả kết quả:" in received["body"]      # 347/2025 Art.3 cl.4 pt.a

    warnings = alerts_about(stack, dossier_id, unit="1012345")
    status = sorted(a["attributes"]["event"] for a in warnings if a["attributes"]["kind"] == "status")
    balance = [a for a in warnings if a["attributes"]["kind"] == "balance"]
    assert status == sorted(changes - {"balance.changed"})
    assert len(balance) == 1 and "-2.000.000 đồng" in balance[0]["subject"]
    for user, endpoint in subscribed.items():     # one warning of each change for each signer
        received = [a for a in warnings if a["attributes"]["kind"] in ("status", "balance")
                    and endpoint in [t["endpoint"] for t in a["delivered_to"]]]
        assert len(received) == len(changes), user
    flagged = [a["attributes"]["rule"] for a in warnings if a["attributes"]["kind"] == "risk_flag"]
    assert len(flagged) == len(set(flagged))      # whatever fired (the clock decides), once
    office = alerts_about(stack, dossier_id, office="KV1")
    assert sorted(a["attributes"]["rule"] for a in office) == sorted(flagged)


def test_a_supplement_request_says_what_is_missing_and_a_refusal_is_the_notice_with_its_reason(
        stack, flow, unique):
    d = flow.submit(unique("REF"))
    dossier_id = d["dossier_id"]
    missing = "Thiếu bảng kê chứng từ thanh toán số 05/BK."
    assert flow.decide(flow.officer, dossier_id, "request_supplement", missing)[0] == 200
    request = eventually(lambda: next((m for m in emails_about(stack, dossier_id)
                                       if m["subject"].startswith("[KBNN] Yêu cầu bổ sung")), None),
                         timeout=STREAM_LAG)
    assert missing in request["body"]

    flow.task(flow.unit, dossier_id)
    status, body = flow.api.call("POST", f"/v1/dossiers/{dossier_id}/supplement",
                                 flow.signed(sample_content(unique("REF2"), 1_200_000)),
                                 token=flow.unit)
    assert status == 200, body
    reason = "Mã nội dung kinh tế 6551 không phù hợp với nội dung chi."
    assert flow.decide(flow.officer, dossier_id, "refuse", reason)[0] == 200
    notice = eventually(lambda: next((m for m in emails_about(stack, dossier_id)
                                      if "Thông báo từ chối" in m["subject"]), None),
                        timeout=STREAM_LAG)
    assert notice["subject"] == f"[KBNN] Thông báo từ chối hồ sơ {dossier_id}"
    assert "(Mẫu số 33)" in notice["body"] and reason in notice["body"]
    assert notice["to"] == [UNIT_EMAIL]
    subjects = [m["subject"] for m in emails_about(stack, dossier_id)]
    # the receipt, the request, the supplemented dossier's receipt (its limit restarts) and the
    # refusal; no acceptance, no payment
    assert len(subjects) == 4, subjects
    assert sum("Thông báo tiếp nhận hồ sơ bổ sung" in s for s in subjects) == 1


def test_a_registrations_result_goes_to_the_address_its_own_form_gave(api, stack, flow):
    import signtool
    from devstack.registration_demo import tk01
    prefix = f"mail{uuid.uuid4().hex[:5]}"
    stack.pki.issue(f"chutk.{prefix}")
    form = signtool.add_signature({"content": tk01("1098765", prefix=prefix)},
                                  (stack.pki_dir / f"chutk.{prefix}.key.pem").read_bytes(),
                                  (stack.pki_dir / f"chutk.{prefix}.cert.pem").read_bytes(),
                                  "account_holder")
    status, registration = api.call("POST", "/v1/registrations", form)
    assert status == 201, registration
    reason = "Mã ĐVQHNS không khớp quyết định giao dự toán."
    assert flow.decide(flow.officer, registration["dossier_id"], "refuse", reason)[0] == 200
    notice = eventually(lambda: next((m for m in emails_about(stack, registration["dossier_id"])
                                      if "Thông báo từ chối" in m["subject"]), None),
                        timeout=STREAM_LAG)
    assert notice["to"] == [f"ketoan@{prefix}.example.vn"]
    assert "Kính gửi: Trường THCS Cầu Giấy (mã ĐVQHNS 1098765)" in notice["body"]
    assert reason in notice["body"]


@pytest.mark.parametrize("queue", [NOTIFICATION_QUEUE, RISK_QUEUE])
def test_a_poison_message_ends_in_the_consumers_dead_letter_queue(stack, queue):
    sqs = sqs_client(stack)
    poison = f"not an event {uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"], MessageBody=poison)
    dlq = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"]
    parked = []

    def arrived() -> bool:
        for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            parked.append(m["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
        return poison in parked
    eventually(arrived, timeout=STREAM_LAG)


# --- subscriptions ---------------------------------------------------------------------------
def subscribe(api, token, protocol, endpoint):
    return api.call("POST", "/v1/alerts/subscriptions", {"protocol": protocol, "endpoint": endpoint},
                    token=token)


@pytest.mark.parametrize("body, field, code", [
    ({"endpoint": "a@b.vn"}, "protocol", "required"),
    ({"protocol": "fax", "endpoint": "a@b.vn"}, "protocol", "invalid_choice"),
    ({"protocol": "email"}, "endpoint", "required"),
    ({"protocol": "email", "endpoint": "not-an-address"}, "endpoint", "invalid_endpoint"),
    ({"protocol": "sms", "endpoint": "0912345678"}, "endpoint", "invalid_endpoint"),
    ({"protocol": "application", "endpoint": "https://example.vn/push"}, "endpoint", "invalid_endpoint"),
    ({"protocol": "application", "endpoint": "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/"
      "kbnn/0c6b1f9e-0000-4000-8000-000000000000"}, "endpoint", "endpoint_rejected"),
])
def test_a_subscription_needs_a_valid_endpoint_for_its_protocol(api, tokens, body, field, code):
    status, err = api.call("POST", "/v1/alerts/subscriptions", body, token=tokens["ktt.bvdd"])
    assert (status, err["error"]["code"], err["error"]["field"]) == (422, code, field), err


def test_signers_and_officers_manage_only_their_own_subscriptions(api, tokens, stack):
    ktt, chutk = tokens["ktt.bvdd"], tokens["chutk.bvdd"]
    assert subscribe(api, tokens["ketoan.bvdd"], "email", "kt@bvdongda.example.vn")[1]["error"][
        "code"] == "role_not_allowed"
    sns = boto3.client("sns", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    app = sns.create_platform_application(Name="kbnn-mobile", Platform="GCM",
                                          Attributes={"PlatformCredential": "demo"})
    device = sns.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"],
                                          Token=uuid.uuid4().hex)["EndpointArn"]
    tag = uuid.uuid4().hex[:6]
    made = []
    for protocol, endpoint in (("email", f"ktt.{tag}@bvdongda.example.vn"), ("sms", "+84987654321"),
                               ("application", device)):
        status, body = subscribe(api, ktt, protocol, endpoint)
        assert (status, body["topic"], body["protocol"]) == (201, "kbnn-risk-1023456", protocol), body
        made.append(body["subscription_id"])
    status, again = subscribe(api, ktt, "sms", "+84987654321")
    assert (status, again["subscription_id"]) == (200, made[1])          # the same one, answered again
    status, err = subscribe(api, chutk, "sms", "+84987654321")
    assert (status, err["error"]["code"]) == (409, "endpoint_taken")     # not theirs to hold
    for i in range(2):
        made.append(subscribe(api, ktt, "email", f"ktt.{tag}.{i}@bvdongda.example.vn")[1]["subscription_id"])
    status, err = subscribe(api, ktt, "email", f"ktt.{tag}.x@bvdongda.example.vn")
    assert (status, err["error"]["code"]) == (409, "subscription_limit_reached")

    listed = api.call("GET", "/v1/alerts/subscriptions", token=ktt)[1]["items"]
    assert {s["subscription_id"] for s in listed} == set(made)
    assert api.call("GET", "/v1/alerts/subscriptions", token=chutk)[1]["items"] == []
    status, err = api.call("DELETE", f"/v1/alerts/subscriptions/{made[0]}", token=chutk)
    assert (status, err["error"]["code"]) == (404, "subscription_not_found")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"]
                 if t["TopicArn"].endswith(":kbnn-risk-1023456"))
    for subscription_id in made:
        assert api.call("DELETE", f"/v1/alerts/subscriptions/{subscription_id}", token=ktt)[0] == 200
    assert api.call("GET", "/v1/alerts/subscriptions", token=ktt)[1]["items"] == []
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []

    status, body = subscribe(api, tokens["lanhdao.kv1"], "email", f"lanhdao.{tag}@kbnn.example.vn")
    assert (status, body["topic"]) == (201, "kbnn-risk-office-KV1"), body   # officers: the flags
    api.call("DELETE", f"/v1/alerts/subscriptions/{body['subscription_id']}", token=tokens["lanhdao.kv1"])
