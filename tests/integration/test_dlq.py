"""A poison message ends in the dead-letter queue, is seen there without its body, and is
redriven to its source queue after the fix."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.queues import TASK_QUEUE, WORKER_QUEUE, dead_letters
from ops import dlq
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def test_the_dlq_pairs_come_from_the_template():
    found = dlq.pairs()
    assert found[dead_letters(WORKER_QUEUE)] == WORKER_QUEUE and found[dead_letters(TASK_QUEUE)] == TASK_QUEUE
    assert found[dlq.STREAM_FAILURES] is None


def test_a_poison_message_is_dead_lettered_then_redriven_after_the_fix(stack, monkeypatch, unique):
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    queues = dlq.Queues(sqs)
    poison = {"dossier_id": unique("P"), "step": "a_step_no_worker_knows", "token": "secret-token"}
    sqs.send_message(QueueUrl=queues.url(WORKER_QUEUE), MessageBody=json.dumps(poison))
    waiting = eventually(lambda: [m for m in queues.receive(dead_letters(WORKER_QUEUE), visibility=1)
                                  if poison["dossier_id"] in m["Body"]], timeout=60)
    seen = dlq.summary(waiting[0])
    assert seen["receive_count"] >= 1 and seen["dossier_id"] == poison["dossier_id"]
    assert "secret-token" not in json.dumps(seen)   # the token stays out of what is shown

    # The fix is deployed: the worker now knows the step.
    from chalicelib.services import workers
    handled: list[dict] = []
    real = workers.run
    monkeypatch.setattr(workers, "run", lambda message, **deps: handled.append(message) or "done"
                        if message.get("step") == "a_step_no_worker_knows" else real(message, **deps))
    eventually(lambda: dlq.redrive(queues, dead_letters(WORKER_QUEUE), WORKER_QUEUE) or
               queues.depth(dead_letters(WORKER_QUEUE)) == 0, timeout=30)
    eventually(lambda: any(m["dossier_id"] == poison["dossier_id"] for m in handled), timeout=30)
