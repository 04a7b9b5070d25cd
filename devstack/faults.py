"""Fault injection at the edge: a chosen share of the product's AWS calls fail as they fail in AWS.

Every AWS client of the product is built by `chalicelib/adapters/aws.py`, whose `before-send` hook
lets this module answer a request instead of moto. A faulted request gets what AWS would send —
a throttling error (`ThrottlingException`, `ProvisionedThroughputExceededException` for
DynamoDB, `Throttling` for the XML services, `SlowDown` for S3), a 5xx, or a read timeout — so
botocore's own retries (standard mode, 4 attempts) do what they do in AWS, and only what
exhausts them reaches the product. The nastiest kind, `lost_response`, lets the request through
to moto and then times out: the write happened, the caller does not know, the retry meets it.

Two ways to choose the victims, both counted:
- at random (`rate`, seeded): a call is picked with probability `rate`; most picked calls fail
  once and botocore's retry hides it, a share (`persistent`) fail every attempt and reach the
  product as an error;
- targeted rules (`Faults.fail(operation, ...)`): the next matching sends of one operation fail
  — e.g. every attempt of a StartExecution after the submission committed, or a worker "dying"
  (`crash`: an exception botocore does not retry) right before its SendTaskSuccess.

The Lambda event-source mapping's own queue calls (receive, delete, visibility) are AWS's, not
the product's, and are left alone. Use it as a context manager, a pytest fixture
(`tests/integration/test_recovery.py`) or `LocalStack(faults=Faults(rate=0.05))`
(`make run FAULTS=0.05`).
"""
from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("throttle", "server_error", "timeout", "lost_response")
DEFAULT_MIX = {"throttle": 4, "server_error": 3, "timeout": 2, "lost_response": 1}
# Lambda's event-source mappings poll, delete and hide messages: AWS's machinery, not the product.
EVENT_SOURCE_MAPPING_OPS = frozenset({"ReceiveMessage", "DeleteMessageBatch",
                                      "ChangeMessageVisibilityBatch", "GetQueueAttributes",
                                      "GetQueueUrl"})


class InjectedCrash(RuntimeError):
    """The process "dies" here: not an AWS error, botocore does not retry it."""


@dataclass
class Rule:
    operation: str
    kind: str
    times: int                                  # sends to fail (4 = every attempt of one call)
    match: Callable[[dict], bool] | None = None  # on the request's JSON body
    hits: int = 0


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body


@dataclass
class Faults:
    rate: float = 0.0
    seed: int = 0
    persistent: float = 0.1       # of the randomly picked calls, the share failing every attempt
    mix: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIX))
    exclude: frozenset[str] = EVENT_SOURCE_MAPPING_OPS
    sends: int = 0                # product requests seen (every attempt)
    retries: int = 0              # of them, botocore's retries (attempt > 1)
    injected: Counter = field(default_factory=Counter)     # kind -> sends failed
    by_operation: Counter = field(default_factory=Counter)  # "Service.Operation kind" -> sends

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - seeded chaos, not secrets
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._calls: dict[str, tuple[str, int]] = {}   # invocation id -> (kind, attempts to fail)
        self._remove: Callable[[], None] | None = None
        self.enabled = True

    # --- switching on and off -----------------------------------------------------------------
    def install(self) -> Faults:
        from chalicelib.adapters import aws
        if self._remove is None:
            self._remove = aws.intercept_sends(self)
        return self

    def uninstall(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> Faults:
        return self.install()

    def __exit__(self, *exc: Any) -> None:
        self.uninstall()

    def fail(self, operation: str, kind: str = "server_error", times: int = 4,
             match: Callable[[dict], bool] | None = None) -> Rule:
        """The next `times` sends of `operation` (whose JSON body satisfies `match`) fail."""
        rule = Rule(operation, kind, times, match)
        with self._lock:
            self._rules.append(rule)
        return rule

    def summary(self) -> dict:
        with self._lock:
            return {"rate": self.rate, "seed": self.seed, "sends": self.sends,
                    "retries": self.retries, "injected": dict(self.injected),
                    "injected_total": sum(self.injected.values()),
                    "by_operation": dict(self.by_operation.most_common())}

    # --- the before-send hook -----------------------------------------------------------------
    def __call__(self, request: Any = None, event_name: str = "", **_: Any) -> Any:
        if request is None or not self.enabled:
            return None
        _, service, operation = (event_name.split(".", 2) + ["", ""])[:3]
        if operation in self.exclude:
            return None
        attempt, invocation = _attempt(request)
        kind = self._choose(service, operation, request, attempt, invocation)
        if kind is None:
            return None
        if kind == "crash":
            raise InjectedCrash(f"injected crash before {operation}")
        if kind == "timeout":
            raise _read_timeout(request)
        if kind == "lost_response":
            _send_anyway(request)
            raise _read_timeout(request)
        return _error_response(service, kind, request)

    def _choose(self, service: str, operation: str, request: Any, attempt: int,
                invocation: str) -> str | None:
        with self._lock:
            self.sends += 1
            self.retries += attempt > 1
            kind = self._targeted(operation, request)
            if kind is None:
                kind = self._random_fault(attempt, invocation)
            if kind is not None:
                self.injected[kind] += 1
                self.by_operation[f"{service}.{operation} {kind}"] += 1
            return kind

    def _targeted(self, operation: str, request: Any) -> str | None:
        for rule in self._rules:
            if rule.operation != operation or rule.hits >= rule.times:
                continue
            if rule.match is not None and not rule.match(_json_body(request)):
                continue
            rule.hits += 1
            return rule.kind
        return None

    def _random_fault(self, attempt: int, invocation: str) -> str | None:
        if attempt > 1:
            kind, left = self._calls.pop(invocation, (None, 0))
            if kind is None or left <= 0:
                return None
            self._calls[invocation] = (kind, left - 1)
            return kind
        if not self.rate or self._random.random() >= self.rate:
            return None
        kinds, weights = list(self.mix), list(self.mix.values())
        kind = self._random.choices(kinds, weights)[0]
        # A call that fails every attempt exhausts botocore's retries and reaches the product;
        # a lost response happens once (the retry meets what the first attempt did).
        if kind != "lost_response" and self._random.random() < self.persistent:
            self._calls[invocation] = (kind, 3)
            if len(self._calls) > 10_000:     # calls abandoned mid-retry: forget the oldest
                self._calls.pop(next(iter(self._calls)))
        return kind


def _attempt(request: Any) -> tuple[int, str]:
    headers = request.headers
    raw = headers.get("amz-sdk-request") or b""
    raw = raw.decode() if isinstance(raw, bytes) else str(raw)
    invocation = headers.get("amz-sdk-invocation-id") or str(id(request))
    invocation = invocation.decode() if isinstance(invocation, bytes) else str(invocation)
    attempt = 1
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            attempt = int(value)
    return attempt, invocation


def _json_body(request: Any) -> dict:
    body = request.body
    if hasattr(body, "read"):
        return {}
    try:
        parsed = json.loads(body or b"{}")
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _read_timeout(request: Any) -> Exception:
    from botocore.exceptions import ReadTimeoutError
    return ReadTimeoutError(endpoint_url=request.url)


def _send_anyway(request: Any) -> None:
    """Deliver the request to moto and drop the answer: the write happened, the caller timed
    out before hearing it."""
    import urllib3
    body = request.body
    if hasattr(body, "read"):
        body.seek(0)
        body = body.read()
    urllib3.PoolManager().request(request.method, request.url, body=body,
                                  headers=dict(request.headers.items()), retries=False)


def _error_response(service: str, kind: str, request: Any) -> Any:
    from botocore.awsrequest import AWSResponse
    json_protocol = "json" in str(request.headers.get("Content-Type") or "")
    if kind == "server_error":
        status, code = 503, "ServiceUnavailable"
    elif service == "s3":
        status, code = 503, "SlowDown"
    elif service == "dynamodb":  # botocore service ids: sfn, dynamodb, s3, sqs...
        status, code = 400, "ProvisionedThroughputExceededException"
    else:
        status, code = 400, "ThrottlingException" if json_protocol else "Throttling"
    message = "Rate exceeded" if status == 400 else "Service unavailable (injected)"
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
    elif service == "s3":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>injected</RequestId>"
                "</ErrorResponse>").encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, status, {**headers, "x-amzn-RequestId": "injected"},
                       _Raw(body))
