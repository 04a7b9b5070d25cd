"""Ledger posting (TABMIS) through the real queues in moto: the posting step's outbox, the posting
adapter, the stand-in ledger (devstack/ledger.py) and the confirmation handler, as they run in
the local stack. Every payment is booked in the ledger exactly once, whatever is delivered twice
or fails, and the dossier is paid only on the ledger's confirmation."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import boto3
import pytest

from chalicelib.queues import LEDGER_CONFIRMATION_QUEUE, WORKER_QUEUE, dead_letters
from devstack import ledger as ledger_cli
from tests.conftest import eventually

pytestmark = pytest.mark.integration
UNIT, CHAPTER = "1012345", "422"


def audit_actions(flow, dossier_id: str) -> list[str]:
    _, trail = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/audit", token=flow.unit)
    assert trail["verification"]["intact"] is True
    return [r["action"] for r in trail["records"]]


def account_item(stack, account_id: str) -> dict:
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    item = ddb.get_item(TableName=stack.env["TABLE_DIRECTORY"], ConsistentRead=True,
                        Key={"pk": {"S": f"ACCOUNT#{account_id}"}})["Item"]
    return {"balance": int(item["balance"]["N"]), "reserved": int(item.get("reserved", {"N": "0"})["N"])}


def outbox_item(stack, posting_id: str) -> dict:
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    item = ddb.get_item(TableName=stack.env["TABLE_LEDGER_OUTBOX"], ConsistentRead=True,
                        Key={"posting_id": {"S": posting_id}}).get("Item", {})
    return {k: next(iter(v.values())) for k, v in item.items()}


def ledger_idle(stack) -> bool:
    """No request waiting for or held by the ledger: a failure switched on now hits the next
    test's requests, not a late copy of an earlier one."""
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=stack.env["LEDGER_REQUEST_QUEUE_URL"],
                                          AttributeNames=names)["Attributes"]
    return not any(int(attributes.get(name, 0)) for name in names)


def fresh_account(stack, unique, balance: int) -> str:
    """An estimate account of the demo unit with a known balance, opened as the seed does, so a
    test can spend the last of it without touching the accounts other tests watch."""
    account_id = f"9523.7.{unique('a')[2:10]}"
    boto3.client("dynamodb", endpoint_url=stack.endpoint_url).put_item(
        TableName=stack.env["TABLE_DIRECTORY"], Item={
            "pk": {"S": f"ACCOUNT#{account_id}"}, "account_id": {"S": account_id},
            "unit_id": {"S": UNIT}, "kind": {"S": "estimate"}, "balance": {"N": str(balance)},
            "version": {"N": "1"}})
    return account_id


def approved(flow, unique, amount: int, account: str | None = None) -> str:
    payer = {"unit_code": UNIT, "chapter_code": CHAPTER, **({"account": account} if account else {})}
    d = flow.submit(unique("LEDGER"), amount, **payer)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    status, body = flow.decide(flow.leader, d["dossier_id"], "approve")
    assert (status, body["status"]) == (200, "posting"), body
    return d["dossier_id"]


@contextmanager
def every_message_twice(stack):
    """At-least-once delivery at its worst: every queue handler of the app (and the ledger's own
    consumer) gets each message twice, as SQS may deliver it."""
    originals = [(s, s.handler) for s in stack.pump.sources]

    def twice(inner):
        def handler(event, context):
            inner(event, context)
            return inner(event, context)
        return handler
    for source, inner in originals:
        source.handler = twice(inner)
    ledger_handle = stack.ledger.handle
    stack.ledger.handle = lambda raw: (ledger_handle(raw), ledger_handle(raw))[1]
    try:
        yield
    finally:
        for source, inner in originals:
            source.handler = inner
        del stack.ledger.handle   # back to the class's method


@contextmanager
def posting_steps_run_together(stack, count: int):
    """The worker messages of the next `count` posting steps are held until all have arrived,
    then run at the same moment on their own threads (Lambda would run them concurrently)."""
    source = next(s for s in stack.pump.sources if s.queue_name == WORKER_QUEUE)
    inner, barrier, threads = source.handler, threading.Barrier(count, timeout=60), []

    def held(event, context):
        if json.loads(event["Records"][0]["body"]).get("step") != "posting" or len(threads) >= count:
            return inner(event, context)
        thread = threading.Thread(target=lambda: (barrier.wait(), inner(event, context)))
        threads.append(thread)
        thread.start()
    source.handler = held
    try:
        yield threads
    finally:
        source.handler = inner
        for thread in threads:
            thread.join(timeout=60)


def test_one_payment_is_booked_once_even_when_every_message_is_delivered_twice(flow, stack, unique):
    account = fresh_account(stack, unique, 10_000_000)
    d = flow.submit(unique("TWICE"), 2_000_000, unit_code=UNIT, chapter_code=CHAPTER, account=account)
    with every_message_twice(stack):
        flow.decide(flow.officer, d["dossier_id"], "accept")
        flow.decide(flow.leader, d["dossier_id"], "approve")
        paid = flow.reaches(d["dossier_id"], "paid")
        # The worker's second copy sends the request again; the ledger gets each of the two
        # twice: one booking, three replays answered with the same reference.
        booked = eventually(lambda: (p := stack.ledger.posting(d["dossier_id"])) and
                            p.get("replays", 0) >= 3 and p, timeout=30)
    assert booked["replays"] == 3
    assert len(stack.ledger.entries(d["dossier_id"])) == 1
    advice = paid["result"]["debit_advice"]
    assert advice["ledger_reference"] == booked["ledger_reference"]
    assert advice["number"] == f"GBN-{booked['ledger_reference']}" and advice["amount"] == 2_000_000
    assert account_item(stack, account) == {"balance": 8_000_000, "reserved": 0}
    assert audit_actions(flow, d["dossier_id"]) == ["submitted", "accept", "approve", "posted"]


def test_a_ledger_that_fails_three_times_then_succeeds_books_once_and_the_dossier_is_paid(
        flow, stack, unique):
    account = fresh_account(stack, unique, 10_000_000)
    eventually(lambda: ledger_idle(stack))
    stack.ledger.fail_next(3)
    dossier_id = approved(flow, unique, 4_000_000, account)
    paid = eventually(lambda: (d := flow.dossier(dossier_id))["status"] == "paid" and d, timeout=60)
    assert len(stack.ledger.entries(dossier_id)) == 1
    item = outbox_item(stack, dossier_id)
    assert (item["state"], item["attempts"], item["failures"]) == ("posted", "4", "3")
    assert json.loads(item["last_error"])["code"] == "ledger_unavailable"
    assert paid["result"]["debit_advice"]["ledger_reference"] == item["ledger_reference"]
    assert account_item(stack, account) == {"balance": 6_000_000, "reserved": 0}


def test_a_ledger_rejection_refuses_the_dossier_with_the_reason_and_leaves_the_balance(
        flow, stack, unique):
    account = fresh_account(stack, unique, 10_000_000)
    stack.ledger.close_account(account)   # closed in TABMIS, still open in the DVC's directory
    try:
        dossier_id = approved(flow, unique, 3_000_000, account)
        refused = flow.reaches(dossier_id, "refused")
    finally:
        stack.ledger.reopen_account(account)
    assert refused["result"]["code"] == "ledger_rejected"
    assert refused["result"]["ledger_code"] == "account_closed"
    assert refused["result"]["reason"] == "Tài khoản đã đóng trên TABMIS."
    assert account_item(stack, account) == {"balance": 10_000_000, "reserved": 0}
    assert stack.ledger.entries(dossier_id) == []
    assert audit_actions(flow, dossier_id)[-1] == "ledger_rejected"


def test_two_payments_racing_for_the_last_of_a_balance_have_exactly_one_winner(flow, stack, unique):
    account = fresh_account(stack, unique, 5_000_000)
    dossiers = [flow.submit(unique("RACE"), 3_000_000, unit_code=UNIT, chapter_code=CHAPTER,
                            account=account)["dossier_id"] for _ in range(2)]
    for dossier_id in dossiers:
        flow.decide(flow.officer, dossier_id, "accept")
    with posting_steps_run_together(stack, 2) as threads:
        for dossier_id in dossiers:
            flow.decide(flow.leader, dossier_id, "approve")
        eventually(lambda: len(threads) == 2)
    ends = {d: eventually(lambda d=d: (x := flow.dossier(d))["status"] in ("paid", "refused") and x)
            for d in dossiers}
    assert sorted(e["status"] for e in ends.values()) == ["paid", "refused"]
    (loser,) = [e for e in ends.values() if e["status"] == "refused"]
    assert loser["result"]["code"] == "insufficient_balance"
    assert account_item(stack, account) == {"balance": 2_000_000, "reserved": 0}
    assert sum(len(stack.ledger.entries(d)) for d in dossiers) == 1


def test_a_confirmation_the_dvc_cannot_read_ends_in_the_dead_letter_queue(stack, unique):
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    queue = stack.env["LEDGER_CONFIRMATION_QUEUE_URL"]
    dlq = sqs.get_queue_url(QueueName=dead_letters(LEDGER_CONFIRMATION_QUEUE))["QueueUrl"]
    marker = unique("poison")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(
        {"schema": "kbnn.ledger.posting_confirmation", "version": 99, "posting_id": marker}))

    def dead_lettered():
        for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                     VisibilityTimeout=1).get("Messages", []):
            if marker in m["Body"]:
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                return True
        return False
    assert eventually(dead_lettered, timeout=60)


def test_a_posting_the_ledger_cannot_take_is_parked_then_paid_once_after_a_redrive(
        flow, stack, unique, capsys):
    account = fresh_account(stack, unique, 10_000_000)
    eventually(lambda: ledger_idle(stack))
    stack.ledger.fail_next(1, retryable=False)
    dossier_id = approved(flow, unique, 1_500_000, account)
    eventually(lambda: outbox_item(stack, dossier_id).get("state") == "parked")
    assert flow.dossier(dossier_id)["status"] == "posting"
    assert account_item(stack, account) == {"balance": 10_000_000, "reserved": 1_500_000}

    args = ["--endpoint", stack.endpoint_url]
    assert ledger_cli.main([*args, "parked"]) == 0
    assert dossier_id in capsys.readouterr().out
    assert ledger_cli.main([*args, "redrive"]) == 0
    assert dossier_id in capsys.readouterr().out
    flow.reaches(dossier_id, "paid")
    assert len(stack.ledger.entries(dossier_id)) == 1
    assert account_item(stack, account) == {"balance": 8_500_000, "reserved": 0}
    assert outbox_item(stack, dossier_id)["attempts"] == "2"
