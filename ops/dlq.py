"""Inspect and redrive the dead-letter queues: `python -m ops.dlq list | show Q | redrive Q`.

The pairs come from infra/template.json (each queue's RedrivePolicy names its dead-letter queue),
so the tool never falls out of step with what is deployed. Works against AWS (credentials and
region from the environment) and against the local stack (`--local`, moto on 127.0.0.1:4566).

  list              every dead-letter queue with its source and how many messages wait
  show Q            the waiting messages of Q: id, receive count, sent time and, for domain
                    events, the event name and id (bodies only with --bodies: they may hold
                    personal data and task tokens)
  redrive Q         move Q's messages back to its source queue, oldest first, each sent before
                    it is deleted (a crash in between duplicates, never loses: every consumer is
                    idempotent). For kbnn-stream-failures (stream batches the event publisher
                    gave up on), the batch's records are published to the bus again instead.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
STREAM_FAILURES = "kbnn-stream-failures"
LOCAL = "http://127.0.0.1:4566"


def pairs(template: dict | None = None) -> dict[str, str | None]:
    """Dead-letter queue name -> its source queue name (None: stream failures)."""
    template = template or json.loads(TEMPLATE.read_text(encoding="utf-8"))
    resources = template["Resources"]
    found: dict[str, str | None] = {}
    for resource in resources.values():
        props = resource.get("Properties", {})
        target = props.get("RedrivePolicy", {}).get("deadLetterTargetArn", {}).get("Fn::GetAtt")
        if resource["Type"] == "AWS::SQS::Queue" and target:
            found[resources[target[0]]["Properties"]["QueueName"]] = props["QueueName"]
    found[STREAM_FAILURES] = None
    return found


class Queues:
    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs

    def url(self, name: str) -> str:
        return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def depth(self, name: str) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.url(name), AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(v) for v in attrs.values())

    def receive(self, name: str, limit: int = 10, visibility: int = 30) -> list[dict]:
        return self.sqs.receive_message(
            QueueUrl=self.url(name), MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=visibility,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])


def summary(message: dict) -> dict:
    """What an operator may see without the body: ids, counts, and the event's name and id."""
    attrs = message.get("Attributes", {})
    line = {"message_id": message["MessageId"],
            "receive_count": int(attrs.get("ApproximateReceiveCount", 0)),
            "sent_at_ms": int(attrs.get("SentTimestamp", 0))}
    try:
        body = json.loads(message["Body"])
    except ValueError:
        return line
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        line.update(event=detail.get("event"), event_id=detail.get("event_id"))
    elif isinstance(body, dict) and "streamArn" in body:
        line.update(table=body.get("table"), records=body.get("batchSize"),
                    sequence=f"{body.get('startSequenceNumber')}..{body.get('endSequenceNumber')}")
    elif isinstance(body, dict) and "dossier_id" in body:
        line.update(dossier_id=body["dossier_id"], step=body.get("step"))
    return line


def redrive(queues: Queues, dlq: str, source: str | None, republish=None) -> int:
    """Move every message of `dlq` back (or republish a parked stream batch); returns how many."""
    moved = 0
    while True:
        batch = queues.receive(dlq)
        if not batch:
            return moved
        for message in batch:
            if source is None:
                body = json.loads(message["Body"])
                (republish or _republish)(body["table"], body["records"])
            else:
                queues.sqs.send_message(QueueUrl=queues.url(source), MessageBody=message["Body"])
            queues.sqs.delete_message(QueueUrl=queues.url(dlq), ReceiptHandle=message["ReceiptHandle"])
            moved += 1


def _republish(table: str, records: list[dict]) -> None:
    """A parked stream batch, through the same conversion the stream handler runs."""
    from chalicelib.adapters.eventbus import EventBus
    from chalicelib.services import events
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    bus = EventBus(os.environ.get("EVENT_BUS_NAME", "kbnn-events"), region)
    events.publish(table.removeprefix("kbnn-"), records, bus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.dlq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL})")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    show = sub.add_parser("show")
    show.add_argument("queue")
    show.add_argument("--bodies", action="store_true")
    show.add_argument("--max", type=int, default=10)
    sub.add_parser("redrive").add_argument("queue")
    args = parser.parse_args(argv)

    import boto3
    endpoint = LOCAL if args.local else args.endpoint_url
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} \
        if args.local else {}
    queues = Queues(boto3.client("sqs", endpoint_url=endpoint, region_name=region, **credentials))
    known = pairs()
    if args.command == "list":
        for dlq, source in known.items():
            print(f"{dlq:<28} <- {source or '(stream batches)':<18} {queues.depth(dlq):>6} waiting")
        return 0
    if args.queue not in known:
        parser.error(f"not a dead-letter queue of the template: {args.queue} (see `list`)")
    if args.command == "show":
        # Looked at, not taken: a short visibility timeout puts them back at once.
        for message in queues.receive(args.queue, args.max, visibility=1):
            print(json.dumps(summary(message) | ({"body": message["Body"]} if args.bodies else {}),
                             ensure_ascii=False))
        return 0
    if args.local:
        os.environ.setdefault("AWS_ENDPOINT_URL", LOCAL)
    moved = redrive(queues, args.queue, known[args.queue])
    print(f"redrove {moved} message(s) from {args.queue} to {known[args.queue] or 'the event bus'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
