"""How many domain events per second the local event pump sustains: stop the pump, make a
backlog of N submissions (each one stream record that becomes `dossier.submitted`), start the
pump and time until every event has reached a queue subscribed to the bus."""
from __future__ import annotations

import json
import time
from typing import Any


def measure_event_throughput(stack: Any, n: int = 100) -> dict:
    import boto3

    from devstack.demo import Api, sample_content, signed
    kw = {"endpoint_url": stack.endpoint_url, "region_name": stack.env["AWS_REGION"],
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sqs, events = boto3.client("sqs", **kw), boto3.client("events", **kw)
    url = sqs.create_queue(QueueName="bench-event-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.env["EVENT_BUS_NAME"]
    events.put_rule(Name="bench-tap", EventBusName=bus, EventPattern=json.dumps(
        {"source": ["kbnn.dvc"], "detail-type": ["dossier.submitted"]}))
    events.put_targets(Rule="bench-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    api = Api(stack.api_url)
    unit = api.login("ketoan.cva")
    bodies = [signed(sample_content(f"EVT-{time.time_ns()}-{i}", 1_000), stack.pki_dir)
              for i in range(n)]
    stack.pump.drain(timeout=120)        # what came before is not part of the measurement
    _empty(sqs, url)
    stack.pump.stop()
    ids = set()
    for body in bodies:
        status, answer = api.call("POST", "/v1/dossiers", body, token=unit)
        if status != 201:
            raise RuntimeError(f"submission answered {status}: {answer}")
        ids.add(answer["dossier_id"])
    started = time.monotonic()
    stack.pump.start()
    seen: set[str] = set()
    while not ids <= seen:
        if time.monotonic() - started > 300:
            raise TimeoutError(f"{len(ids - seen)} events never arrived")
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=1).get("Messages", []):
            seen.add(json.loads(m["Body"])["detail"]["dossier_id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    elapsed = time.monotonic() - started
    events.remove_targets(Rule="bench-tap", EventBusName=bus, Ids=["tap"])
    events.delete_rule(Name="bench-tap", EventBusName=bus)
    return {"events": n, "seconds": elapsed, "events_per_second": n / elapsed}


def _empty(sqs: Any, url: str) -> None:
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
