"""Deliver SQS messages to the app's handlers the way Lambda would.

In AWS an event-source mapping polls each queue and invokes the Chalice handler
with a batch; it deletes the batch on success and leaves it for redelivery on
failure, until the queue's redrive policy moves it to the dead-letter queue.
moto stores messages but invokes nothing, so the local stack runs this pump.
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

from chalice.app import Chalice, SQSEventConfig

logger = logging.getLogger(__name__)

_LAMBDA_TIMEOUT_MS = 60_000  # Chalice's default lambda_timeout
_QUIET_SECONDS = 0.5  # drain(): how long "nothing happened" must last


@dataclass
class _Source:
    config: SQSEventConfig
    handler: Callable[[dict[str, Any], Any], Any]
    queue_name: str
    url: str | None = None
    arn: str | None = None


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
        self.sources = [self._source(c, app_module) for c in app.event_sources
                        if isinstance(c, SQSEventConfig)]
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

    def _all_empty(self) -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        for source in self.sources:
            attrs = self._sqs.get_queue_attributes(QueueUrl=self._resolve(source),
                                                   AttributeNames=names)["Attributes"]
            if any(int(attrs.get(name, 0)) for name in names):
                return False
        return True

    def _poll(self, source: _Source, wait_seconds: int) -> int:
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


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells message attributes in camelCase and base64-encodes binary.
    attribute: dict[str, Any] = {"dataType": value["DataType"], "stringListValues": [],
                                 "binaryListValues": []}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute
