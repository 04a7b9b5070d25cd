"""How long a unit waits for its e-mail, and what telling people costs, on the local stack.

`measure_email_delay(stack, n)` walks n dossiers of the demo unit over HTTP, one at a time:
submit → the officer accepts → the leader approves → paid. It times
  * accept → e-mail: from the officer's decision request to SES accepting the "accepted" e-mail
    (the status changes inside that request; the e-mail goes stream → EventBridge → queue →
    consumer → SES);
  * approve → paid e-mail: from the leader's decision to the "paid" e-mail (through the posting
    worker, so it includes posting itself);
  * accept → risk warning: from the officer's decision to the SNS publication on the unit's topic;
and counts the AWS calls the two consumers (queues kbnn-notifications and kbnn-risk) make per
paid dossier. The send times are stamped by the local moto server when SES/SNS answer
(devstack/moto_server.py, /_local/outbox/), on the same clock as this process.

    from bench.notifications import measure_email_delay
    figures = measure_email_delay(stack, 20)      # stack: a started devstack LocalStack

or `python -m bench.notifications [N]` on a fresh in-process stack.
"""
from __future__ import annotations

import math
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

from chalicelib import clock

USERS = {"unit": "ketoan.cva", "officer": "kiemsoat.kv1", "leader": "lanhdao.kv1"}
CONSUMER_THREADS = ("pump:kbnn-notifications", "pump:kbnn-risk")
POLL_SECONDS = 0.02


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _latency(values_ms: list[float]) -> dict:
    return {"n": len(values_ms), "p50_ms": round(statistics.median(values_ms), 1),
            "p95_ms": round(_percentile(values_ms, 95), 1), "max_ms": round(max(values_ms), 1)}


def _sent_at(view: str, endpoint: str, predicate, timeout: float = 60) -> float:
    from devstack.outbox import fetch
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in fetch(view, endpoint, last=50):
            if predicate(item) and item.get("sent_at"):
                return float(item["sent_at"])
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"no {view} item in {timeout} s")


class _ConsumerCalls:
    """AWS calls made on the consumers' pump threads (chalicelib.adapters.aws observer), except
    the pump's own SQS polling: what the handlers cost."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self._lock = threading.Lock()

    def __call__(self, service: str, operation: str) -> None:
        if service != "sqs" and threading.current_thread().name in CONSUMER_THREADS:
            with self._lock:
                self.counts[f"{service}:{operation}"] += 1


def _one_dossier(api: Any, tokens: dict, stack: Any, number: str) -> tuple[float, float, float]:
    """One dossier submitted, accepted, approved, paid: (accept → e-mail, approve → paid e-mail,
    accept → risk warning), in milliseconds."""
    from devstack.demo import sample_content, signed, wait_for_status, wait_for_task
    status, dossier = api.call("POST", "/v1/dossiers",
                               signed(sample_content(number, 1_000_000), stack.pki_dir),
                               token=tokens["unit"])
    assert status == 201, dossier
    dossier_id = dossier["dossier_id"]

    def about(item: dict, **attributes: str) -> bool:
        return item["attributes"].get("dossier_id") == dossier_id and all(
            item["attributes"].get(k) == v for k, v in attributes.items())

    task = wait_for_task(api, tokens["officer"], dossier_id)
    clicked = clock.now().timestamp()
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"},
             token=tokens["officer"])
    accepted = _sent_at("emails", stack.endpoint_url,
                        lambda m: dossier_id in m["subject"] and "chấp nhận" in m["subject"])
    warned = _sent_at("alerts", stack.endpoint_url, lambda a: about(a, event="dossier.accepted"))
    accept_clicked = clicked
    task = wait_for_task(api, tokens["leader"], dossier_id)
    clicked = clock.now().timestamp()
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "approve"},
             token=tokens["leader"])
    paid = _sent_at("emails", stack.endpoint_url,
                    lambda m: dossier_id in m["subject"] and "thanh toán" in m["subject"])
    wait_for_status(api, tokens["unit"], dossier_id, "paid")
    # the balance warning follows the payment: let the consumers settle before the next dossier
    _sent_at("alerts", stack.endpoint_url, lambda a: about(a, kind="balance"))
    return ((accepted - accept_clicked) * 1000, (paid - clicked) * 1000,
            (warned - accept_clicked) * 1000)


def measure_email_delay(stack: Any, n: int = 20) -> dict:
    """p50/p95 of the delays above over n paid dossiers, and the consumers' AWS calls per dossier."""
    from chalicelib.adapters import aws
    from devstack.demo import Api

    api = Api(stack.api_url)
    tokens = {role: api.login(user) for role, user in USERS.items()}
    calls = _ConsumerCalls()
    stop_observing = aws.observe(calls)
    try:
        runs = [_one_dossier(api, tokens, stack, f"NOTIFY-{i:03d}-{uuid.uuid4().hex[:6]}")
                for i in range(n)]
    finally:
        stop_observing()
    per_dossier = {op: round(count / n, 2) for op, count in sorted(calls.counts.items())}
    return {"dossiers": n,
            "accept_to_email": _latency([r[0] for r in runs]),
            "approve_to_paid_email": _latency([r[1] for r in runs]),
            "accept_to_risk_warning": _latency([r[2] for r in runs]),
            "consumer_aws_calls_per_paid_dossier": {
                "total": round(sum(calls.counts.values()) / n, 2), "operations": per_dossier}}


def main(argv: list[str] | None = None) -> int:
    import json

    from devstack.stack import LocalStack
    n = int((argv or sys.argv[1:] or ["20"])[0])
    print(f"Starting the local stack and paying {n} dossiers…", file=sys.stderr)
    with LocalStack(moto_port=0, api_port=0, quiet=True) as stack:
        figures = measure_email_delay(stack, n)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
