"""What a payroll costs (issue 16): submitting a voucher with a 1,000- or 5,000-line payee list
(Mẫu 20) against a one-line voucher, and every AWS call a payroll makes from submit to paid.

Why: a payroll is the largest dossier the product takes (up to 5,000 payees, signed as one
content, checked line by line per 347/2025 Art.6 cl.2 pt.b, stored beside the body in S3). The
targets: a 5,000-line payroll verified and stored in under 2 s locally, our code under 300 ms.

How "our code's CPU" is measured: the local API server runs the Chalice app on a request thread
(devstack.stack.ApiHooks.around_app); around that call we read the thread's CPU clock
(`time.thread_time`), and subtract the thread CPU spent inside botocore
(`BaseClient._make_api_call`, wrapped in this process, PynamoDB's calls included). What is left
is the app — routing, middleware, JWT check, parsing the body, the list's checks, canonical JSON
and the signatures, PynamoDB's model work — on that thread only. moto answers on threads of its
own, so its CPU is never charged; waiting for moto is not CPU. Signing is the client's work and
happens before the clock starts.

AWS calls per payroll: the benchmark's CallLog (bench/__main__.py) counts the product's calls
by cause — the submit and decision requests and the queue handlers — while one payroll of each
size goes submit → accept → approve → paid; the stand-in ledger's own calls (its thread,
"ledger:standin": reading the list from S3, booking, one BatchWriteItem per 25 credit lines) are
counted apart, being TABMIS's work in production, not ours.
"""
from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

TARGETS = {"submit_p50_ms": 2000.0, "our_cpu_p50_ms": 300.0}   # for the 5,000-line payroll
LEDGER_THREAD = "ledger:standin"


class CpuMeter:
    """Our code's CPU per API request: the request thread's CPU around the app, minus the part
    inside botocore. Also counts the stand-in ledger's AWS calls while `ledger_calls` is on."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.requests: list[tuple[float, float]] = []   # (thread CPU ms, of it in botocore ms)
        self.counting_ledger = False
        self.ledger_calls: Counter = Counter()
        self._unwrap: Callable[[], None] | None = None

    def install(self) -> None:
        from botocore.client import BaseClient
        inner = BaseClient._make_api_call
        meter = self

        def make_api_call(client: Any, operation_name: str, api_params: dict) -> Any:
            if meter.counting_ledger and threading.current_thread().name == LEDGER_THREAD:
                with meter._lock:
                    meter.ledger_calls[operation_name] += 1
            if not getattr(meter._local, "inside_app", False):
                return inner(client, operation_name, api_params)
            started = time.thread_time()
            try:
                return inner(client, operation_name, api_params)
            finally:
                meter._local.in_aws += time.thread_time() - started

        BaseClient._make_api_call = make_api_call   # type: ignore[method-assign]

        def unwrap() -> None:
            BaseClient._make_api_call = inner       # type: ignore[method-assign]
        self._unwrap = unwrap

    def uninstall(self) -> None:
        if self._unwrap:
            self._unwrap()

    def around_app(self, call: Callable[[], Any]) -> Any:
        """devstack.stack.ApiHooks.around_app: each app invocation, timed on its thread."""
        self._local.inside_app, self._local.in_aws = True, 0.0
        started = time.thread_time()
        try:
            return call()
        finally:
            total = time.thread_time() - started
            self._local.inside_app = False
            with self._lock:
                self.requests.append((total * 1000, self._local.in_aws * 1000))

    def last(self) -> tuple[float, float]:
        with self._lock:
            return self.requests[-1]


def summarise(wall_ms: list[float], cpu: list[tuple[float, float]]) -> dict:
    """Median client-timed latency and request-thread CPU (total, in botocore, ours = the rest)
    of one kind of submission; `cpu` holds (thread CPU ms, of it inside botocore ms)."""
    ours = [total - aws for total, aws in cpu]
    return {"n": len(wall_ms), "submit_p50_ms": statistics.median(wall_ms),
            "submit_max_ms": max(wall_ms),
            "thread_cpu_p50_ms": statistics.median(total for total, _ in cpu),
            "botocore_cpu_p50_ms": statistics.median(aws for _, aws in cpu),
            "our_cpu_p50_ms": statistics.median(ours)}


def verdicts(row: dict) -> dict[str, bool]:
    """The issue's targets, judged on the 5,000-line payroll's medians."""
    return {name: row[name] <= target for name, target in TARGETS.items()}


def _submit(api: Any, token: str, body: dict, calls: Any, label: str,
            meter: CpuMeter) -> tuple[str, float, tuple[float, float]]:
    calls.label = label
    started = time.perf_counter()
    try:
        status, answer = api.call("POST", "/v1/dossiers", body, token=token,
                                  headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"})
    finally:
        calls.label = None
    wall = (time.perf_counter() - started) * 1000
    if status != 201:
        raise RuntimeError(f"payroll submission answered {status}: {answer}")
    return answer["dossier_id"], wall, meter.last()


def measure_payrolls(stack: Any, meter: CpuMeter, sizes: tuple[int, ...], runs: int) -> dict:
    """`runs` submissions of each size (0: the one-line voucher), then one payroll of each size
    taken to paid with its AWS calls counted (the product's and the stand-in ledger's)."""
    from bench.__main__ import USERS, CallLog, boto_clients, execution_arn, wait_for_executions
    from chalicelib.adapters import aws
    from devstack.demo import Api, sample_content, signed, wait_for_status, wait_for_task
    from devstack.payroll import payroll_content

    api = Api(stack.api_url)
    tokens = {role: api.login(name) for role, name in USERS.items()}
    sfn = boto_clients(stack)["stepfunctions"]
    calls = CallLog()
    calls.label_pump_handlers(stack.pump)
    unobserve = aws.observe(calls)
    rows: dict[str, dict] = {}
    posting: dict[str, dict] = {}
    try:
        for size in (0, *sizes):
            kind = "one-line voucher" if size == 0 else f"{size:,}-line payroll"

            def content(i: int, size: int = size) -> dict:
                number = f"BENCH-PR{size}-{i}-{uuid.uuid4().hex[:4]}"
                return payroll_content(number, size) if size else sample_content(number, 3_000_000)
            # Signed before the clock starts (the client's work); one warm-up of each kind.
            _submit(api, tokens["unit"], signed(content(-1), stack.pki_dir), calls, "warm", meter)
            wall, cpu, ids = [], [], []
            for i in range(runs):
                body = signed(content(i), stack.pki_dir)
                stack.pump.drain(timeout=120)          # earlier consumers finish first
                dossier_id, ms, used = _submit(api, tokens["unit"], body, calls, "submit", meter)
                wall.append(ms)
                cpu.append(used)
                ids.append(dossier_id)
            rows[kind] = summarise(wall, cpu)
            if size == 0:
                continue
            # One of them, submit to paid, every AWS call counted (the submit's counted again).
            body = signed(content(runs), stack.pki_dir)
            stack.pump.drain(timeout=120)
            calls.counts.clear()
            calls.enabled, meter.ledger_calls, meter.counting_ledger = True, Counter(), True
            dossier_id, _, _ = _submit(api, tokens["unit"], body, calls, "submit", meter)
            for role, decision in (("officer", "accept"), ("leader", "approve")):
                task = wait_for_task(api, tokens[role], dossier_id, timeout=120)
                calls.label = "decide"
                api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": decision},
                         token=tokens[role])
                calls.label = None
            wait_for_status(api, tokens["unit"], dossier_id, "paid", timeout=300)
            wait_for_executions(sfn, [execution_arn(stack, dossier_id)], timeout=120)
            stack.pump.drain(timeout=300)
            calls.enabled, meter.counting_ledger = False, False
            posting[kind] = split_calls(calls.counts, meter.ledger_calls)
    finally:
        unobserve()
    return {"runs": runs, "submissions": rows, "to_paid": posting, "targets": TARGETS,
            "verdicts": verdicts(rows[f"{max(sizes):,}-line payroll"]) if sizes else {}}


def split_calls(product: dict[str, Counter], ledger: Counter) -> dict:
    """Per payroll: the product's calls by cause (submit, decide, handlers) and the stand-in
    ledger's, apart; pump polling and unattributed calls are not the payroll's."""
    mine = {bucket: dict(ops) for bucket, ops in product.items()
            if bucket in ("submit", "decide") or bucket.startswith("background:")}
    return {"product": {"total": sum(sum(ops.values()) for ops in mine.values()),
                        "by_cause": {b: sum(ops.values()) for b, ops in sorted(mine.items())},
                        "operations": dict(sorted(sum((Counter(ops) for ops in mine.values()),
                                                      Counter()).items()))},
            "standin_ledger": {"total": sum(ledger.values()), "operations": dict(sorted(ledger.items()))}}


def render(result: dict) -> list[str]:
    lines = ["", f"Payrolls (Mẫu 20) vs a one-line voucher: submit, client-timed, median of "
             f"{result['runs']}; our code's CPU = the request thread's CPU around the app minus "
             "its part inside botocore (ms)",
             f"  {'submission':<24}{'submit p50':>11}{'max':>9}{'thread CPU':>12}"
             f"{'botocore':>10}{'our code':>10}"]
    for kind, row in result["submissions"].items():
        lines.append(f"  {kind:<24}{row['submit_p50_ms']:11.1f}{row['submit_max_ms']:9.1f}"
                     f"{row['thread_cpu_p50_ms']:12.1f}{row['botocore_cpu_p50_ms']:10.1f}"
                     f"{row['our_cpu_p50_ms']:10.1f}")
    for name, ok in result["verdicts"].items():
        lines.append(f"  5,000 lines: {name} ≤ {TARGETS[name]:.0f}: {'ok' if ok else 'MISS'}")
    lines.append("  AWS calls per payroll, submit → paid (the product's by cause; the stand-in "
                 "ledger's apart)")
    for kind, split in result["to_paid"].items():
        product, ledger = split["product"], split["standin_ledger"]
        lines.append(f"    {kind}: product {product['total']} ("
                     + ", ".join(f"{b} {n}" for b, n in product["by_cause"].items()) + ")")
        lines.append(f"      stand-in ledger {ledger['total']} ("
                     + ", ".join(f"{op}×{n}" for op, n in ledger["operations"].items()) + ")")
    return lines
