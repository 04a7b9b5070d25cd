"""Deliver SQS messages and DynamoDB stream records to the app's handlers the way Lambda would.

In AWS an event-source mapping polls each queue and invokes the Chalice handler
with a batch; it deletes the batch on success and leaves it for redelivery on
failure, until the queue's redrive policy moves it to the dead-letter queue.
For a table's stream it reads each shard in order and retries a failed batch
(blocking the shard) up to a limit, then sends the batch to the on-failure
queue and moves on. moto stores messages and stream records but invokes
nothing, so the local stack runs this pump.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from chalice.app import Chalice, DynamoDBEventConfig, SQSEventConfig

logger = logging.getLogger(__name__)

_LAMBDA_TIMEOUT_MS = 60_000  # Chalice's default lambda_timeout
_QUIET_SECONDS = 0.5  # drain(): how long "nothing happened" must last
STREAM_MAX_RETRIES = 5  # then the batch goes to the on-failure queue (Lambda: MaximumRetryAttempts)
STREAM_FAILURE_QUEUE = "kbnn-stream-failures"


@dataclass
class _Source:
    config: SQSEventConfig
    handler: Callable[[dict[str, Any], Any], Any]
    queue_name: str
    url: str | None = None
    arn: str | None = None


@dataclass
class _StreamSource:
    config: DynamoDBEventConfig
    handler: Callable[[dict[str, Any], Any], Any]
    table: str
    queue_name: str                       # "stream:<table>", for logs and the benchmark
    arn: str | None = None
    iterators: dict[str, str | None] | None = None   # shard id -> last sequence number handled
    pending: list[dict[str, Any]] | None = None     # a failed batch, retried before reading on
    failures: int = 0
    shard: str | None = None
    busy: bool = False                    # the last read returned records


class _LambdaContext:
    """The part of Lambda's context object handlers are likely to touch."""

    def __init__(self, function_name: str, queue_arn: str) -> None:
        _, partition, _, region, account, _ = queue_arn.split(":", 5)
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:{partition}:lambda:{region}:{account}:function:{function_name}")
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + _LAMBDA_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class EventPump:
    """Polls every queue the app subscribes to and invokes its handlers.

    Use either poll_once()/drain() (tests, deterministic) or start()/stop()
    (the running local stack), not both at the same time.
    """

    def __init__(self, app: Chalice, app_module: ModuleType, sqs_client: Any,
                 retry_delay_seconds: int = 1) -> None:
        self._app = app
        self._sqs = sqs_client
        self._retry_delay = retry_delay_seconds
        self._region: str = sqs_client.meta.region_name
        # Public so that a measuring tool (bench/) can wrap the handlers to attribute AWS calls.
        self.sources: list[Any] = [self._source(c, app_module) for c in app.event_sources
                                   if isinstance(c, SQSEventConfig)]
        self.sources += [self._stream_source(c, app_module) for c in app.event_sources
                         if isinstance(c, DynamoDBEventConfig)]
        self._streams_client: Any = None
        self._ddb_client: Any = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _source(self, config: SQSEventConfig, module: ModuleType) -> _Source:
        # handler_string is "<module>.<function>"; the module attribute is the
        # EventSourceHandler Lambda would call. Blueprint handlers live in
        # another module, so fall back to the app's own registry.
        handler = getattr(module, config.handler_string.rsplit(".", 1)[-1], None)
        handler = handler or self._app.handler_map.get(config.name)
        if handler is None:
            raise LookupError(f"no handler {config.handler_string} for queue {config.queue}")
        queue = config.queue or str(config.queue_arn).rsplit(":", 1)[-1]
        return _Source(config, handler, queue)

    def _stream_source(self, config: DynamoDBEventConfig, module: ModuleType) -> _StreamSource:
        handler = getattr(module, config.handler_string.rsplit(".", 1)[-1], None)
        handler = handler or self._app.handler_map.get(config.name)
        if handler is None:
            raise LookupError(f"no handler {config.handler_string} for {config.stream_arn}")
        # ".../table/<name>/stream/<label>": the table's real stream is looked up by name.
        table = str(config.stream_arn).split(":table/", 1)[1].split("/", 1)[0]
        return _StreamSource(config, handler, table, f"stream:{table}")

    def _client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self._sqs.meta.endpoint_url,
                            region_name=self._region, aws_access_key_id="testing",
                            aws_secret_access_key="testing",
                            config=Config(account_id_endpoint_mode="disabled"))

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive per queue; returns how many messages were handled."""
        return sum(self._poll(source, wait_seconds) for source in self.sources)

    def drain(self, until: Callable[[], bool] | None = None, timeout: float = 10.0) -> None:
        """Poll until `until()` holds, or until every queue is empty and quiet."""
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while True:
            if self.poll_once():
                quiet_since = time.monotonic()
            if until is not None and until():
                return
            # Messages in flight or waiting for a retry are not empty queues:
            # returning then would make tests depend on timing.
            if (until is None and time.monotonic() - quiet_since >= _QUIET_SECONDS
                    and self._all_empty()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"event pump did not settle within {timeout} s")
            time.sleep(0.05)

    def start(self) -> None:
        """Poll in the background, one thread per queue as Lambda would."""
        self._stop.clear()
        self._threads = [threading.Thread(target=self._loop, args=(s,), daemon=True,
                                          name=f"pump:{s.queue_name}") for s in self.sources]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)  # a long poll ends within ~1 s
        self._threads = []

    def _loop(self, source: _Source) -> None:
        while not self._stop.is_set():
            try:
                # A 1 s long poll: low latency, yet stop() is honoured promptly.
                self._poll(source, wait_seconds=1)
            except Exception as exc:  # keep pumping; moto may be restarting
                logger.warning("polling %s failed: %s", source.queue_name, type(exc).__name__)
                self._stop.wait(self._retry_delay)

    def _resolve(self, source: _Source) -> str:
        # Lazily: the pump may be built before the queues are provisioned.
        if source.url is None:
            url = self._sqs.get_queue_url(QueueName=source.queue_name)["QueueUrl"]
            attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            source.arn, source.url = attrs["Attributes"]["QueueArn"], url
        return source.url

    def idle(self) -> bool:
        """Every queue empty (nothing in flight or delayed) and every stream read to its end."""
        return self._all_empty()

    def _all_empty(self) -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        for source in self.sources:
            if isinstance(source, _StreamSource):
                if source.busy or source.pending:
                    return False
                continue
            attrs = self._sqs.get_queue_attributes(QueueUrl=self._resolve(source),
                                                   AttributeNames=names)["Attributes"]
            if any(int(attrs.get(name, 0)) for name in names):
                return False
        return True

    def _poll(self, source: Any, wait_seconds: int) -> int:
        if isinstance(source, _StreamSource):
            return self._poll_stream(source, wait_seconds)
        url = self._resolve(source)
        messages = self._sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(source.config.batch_size, 10),
            WaitTimeSeconds=wait_seconds, MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(source, m) for m in messages]}
        function_name = f"{self._app.app_name}-local-{source.config.name}"
        context = _LambdaContext(function_name, str(source.arn))
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                   for i, m in enumerate(messages)]
        try:
            source.handler(event, context)
        except Exception as exc:
            # Ids and the exception type only: bodies and exception messages
            # may carry personal data or Step Functions task tokens.
            logger.warning("%s failed on messages %s: %s; redelivering in %s s",
                           source.config.name, [m["MessageId"] for m in messages],
                           type(exc).__name__, self._retry_delay)
            # Lambda would leave the batch for the queue's visibility timeout;
            # a short delay keeps local retries fast. moto's redrive policy
            # then moves a message received maxReceiveCount times to the DLQ.
            self._sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[{**e, "VisibilityTimeout": self._retry_delay} for e in entries])
        else:
            self._sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        return len(messages)

    def _poll_stream(self, source: _StreamSource, wait_seconds: int) -> int:
        """One batch from the stream (the failed one again, if any); returns records handled."""
        if self._streams_client is None:
            self._streams_client, self._ddb_client = (self._client("dynamodbstreams"),
                                                      self._client("dynamodb"))
        streams = self._streams_client
        if source.iterators is None:
            source.arn = self._ddb_client.describe_table(TableName=source.table)["Table"][
                "LatestStreamArn"]
            shards = streams.describe_stream(StreamArn=source.arn)["StreamDescription"]["Shards"]
            source.iterators = {shard["ShardId"]: None for shard in shards}
        records = source.pending
        if records is None:
            records = []
            for shard, last in source.iterators.items():
                # A fresh iterator after the last record handled, on every read: moto swaps a
                # table's stream shard for a copy when a transaction is cancelled, and an
                # iterator taken before reads the orphaned one for ever.
                position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
                            if last else {"ShardIteratorType": "TRIM_HORIZON"})  # all handlers
                iterator = streams.get_shard_iterator(StreamArn=source.arn, ShardId=shard,
                                                      **position)["ShardIterator"]
                answer = streams.get_records(ShardIterator=iterator,
                                             Limit=source.config.batch_size)
                if answer["Records"]:
                    records, source.shard = answer["Records"], shard
                    break
        source.busy = bool(records)
        if not records:
            if wait_seconds:
                self._stop.wait(min(wait_seconds, 0.2))
            return 0
        event = {"Records": [_lambda_stream_record(r, str(source.arn)) for r in records]}
        context = _LambdaContext(f"{self._app.app_name}-local-{source.config.name}",
                                 str(source.arn))
        try:
            source.handler(event, context)
        except Exception as exc:
            source.failures += 1
            logger.warning("%s failed on %d stream records (attempt %d): %s", source.config.name,
                           len(records), source.failures, type(exc).__name__)
            if source.failures <= STREAM_MAX_RETRIES:
                source.pending = records       # the shard waits: order is kept
                self._stop.wait(self._retry_delay)
                return 0
            self._send_to_failure_queue(source, records)
        source.iterators[source.shard] = records[-1]["dynamodb"]["SequenceNumber"]
        source.pending, source.failures = None, 0
        return len(records)

    def _send_to_failure_queue(self, source: _StreamSource, records: list[dict[str, Any]]) -> None:
        """Lambda's on-failure destination: what failed, where, so an operator can replay it."""
        import json
        url = self._sqs.get_queue_url(QueueName=STREAM_FAILURE_QUEUE)["QueueUrl"]
        body = {"source": "local-event-pump", "function": source.config.name,
                "table": source.table, "streamArn": source.arn, "shardId": source.shard,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(records), "records": records}
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body, default=str))
        logger.error("%s gave up on %d stream records after %d attempts; sent to %s",
                     source.config.name, len(records), source.failures, STREAM_FAILURE_QUEUE)

    def _record(self, source: _Source, message: dict[str, Any]) -> dict[str, Any]:
        """One record of a Lambda SQS event, from a ReceiveMessage result."""
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {name: _lambda_attribute(value) for name, value
                                  in message.get("MessageAttributes", {}).items()},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": source.arn,
            "awsRegion": self._region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record


def _lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it: boto3 parsed the creation time into a datetime,
    Lambda sends epoch seconds; and Lambda adds the stream's ARN."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells message attributes in camelCase and base64-encodes binary.
    attribute: dict[str, Any] = {"dataType": value["DataType"], "stringListValues": [],
                                 "binaryListValues": []}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute
