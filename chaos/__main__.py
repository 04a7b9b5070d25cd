"""`make chaos` (`python -m chaos --dossiers N`): N dossiers through every procedure in force while
a share of the product's AWS calls fail, then the invariants' verdict; exit 1 on any violation.

1. start the local stack (moto, the API, the event pump, the stand-in ledger), log in, note the
   accounts' opening balances — then switch the faults on (5% of calls by default, seeded);
2. drive N dossiers with a mix of decisions (chaos/driver.py), the sweeper running as its
   schedule would (a compressed period and grace);
3. let everything settle; switch the faults off (the outage ends); sweep; redrive every
   dead-letter queue (ops/dlq.py) and the postings parked for the ledger; settle and sweep again;
4. check the invariants (chaos/invariants.py) and print the verdict with counts.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

SWEEP_EVERY = 15.0                 # seconds: the 5-minute schedule, compressed
SWEEP_GRACE = timedelta(seconds=10)
SETTLE_TIMEOUT = 600.0            # seconds, and 4 more per dossier


class Sweeper:
    """The scheduled sweeper, on a compressed clock, counting what it did."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.errors: list[str] = []
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def once(self, grace: timedelta = SWEEP_GRACE) -> dict:
        from chalicelib import clock, composition
        from chalicelib.services import sweeper
        svc = composition.services()
        try:
            counts = sweeper.sweep(repo=svc.repo, workflows=svc.workflows, config=svc.config,
                                   now=clock.now(), grace=grace)
        except Exception as exc:   # a pass that failed (faults) is retried on the next tick
            import traceback
            self.counts[f"pass_failed {type(exc).__name__}"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.errors.append(f"{type(exc).__name__} at {where.filename}:{where.lineno}: {exc}"
                               [:300])
            return {}
        self.passes += 1
        self.counts.update(counts)
        return counts

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(SWEEP_EVERY):
                self.once()
        self._thread = threading.Thread(target=loop, name="chaos-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=60)


def settle(stack, timeout: float = SETTLE_TIMEOUT) -> float:
    """Until every queue the pump and the ledger serve is empty and every stream is read, for
    2 s in a row; returns the seconds it took."""
    import boto3
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    ledger_queues = [stack.outputs["LEDGER_REQUEST_QUEUE_URL"],
                     stack.outputs["LEDGER_CONFIRMATION_QUEUE_URL"]]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    started = time.monotonic()
    quiet_since = None
    shown = started
    while time.monotonic() - started < timeout:
        if time.monotonic() - shown >= 60:   # a long settle says what it waits for
            shown = time.monotonic()
            print(f"  settling {shown - started:.0f} s: {backlog(stack)}", file=sys.stderr,
                  flush=True)
        idle = stack.pump.idle() and not any(
            int(v) for url in ledger_queues
            for v in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)[
                "Attributes"].values())
        if idle:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 2:
                return time.monotonic() - started
        else:
            quiet_since = None
        time.sleep(0.5)
    raise TimeoutError("the stack did not settle")


def backlog(stack) -> dict:
    """What the pump has not yet handled: messages per queue, streams with unread records."""
    waiting = {}
    for source in stack.pump.sources:
        if getattr(source, "busy", False) or getattr(source, "pending", None):
            waiting[source.queue_name] = "busy"
        elif getattr(source, "url", None):
            attrs = stack.pump._sqs.get_queue_attributes(
                QueueUrl=source.url, AttributeNames=["ApproximateNumberOfMessages",
                                                     "ApproximateNumberOfMessagesNotVisible",
                                                     "ApproximateNumberOfMessagesDelayed"])
            depth = sum(int(v) for v in attrs["Attributes"].values())
            if depth:
                waiting[source.queue_name] = depth
    return waiting


def redrive_all(stack) -> Counter:
    """Every dead-letter queue of the template back to its source (a parked stream batch to the
    bus), and every posting parked for the ledger sent again; counts per queue."""
    import boto3

    from chalicelib import clock, composition
    from chalicelib.services import ledger
    from ops import dlq
    queues = dlq.Queues(boto3.client("sqs", endpoint_url=stack.endpoint_url))
    moved: Counter = Counter()
    for name, source in dlq.pairs().items():
        n = dlq.redrive(queues, name, source)
        if n:
            moved[name] += n
    parked = ledger.redrive_parked(ledger=composition.services().ledger, now=clock.now())
    if parked:
        moved["kbnn-ledger-outbox-dlq (parked postings)"] += len(parked)
    return moved


def run(n: int, *, rate: float, seed: int, workers: int, quiet: bool = False,
        stack=None, payrolls: bool = True, bills: bool = True) -> tuple[bool, dict]:
    """The run on a stack of its own, or on `stack` (a test session's, left running); with the
    payrolls (invariant 8) and the auto-pay bills (invariant 9) unless told not to."""
    import boto3

    from devstack.demo import Api
    from devstack.faults import Faults
    from devstack.seed import ACCOUNTS
    from devstack.stack import LocalStack
    from ops import dlq

    from .driver import Driver
    from .invariants import NAMES, Checker, booked

    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    began = time.monotonic()
    faults = Faults(rate=rate, seed=seed)
    own = stack is None
    if own:
        stack = LocalStack(moto_port=0, api_port=0, quiet=True).start()
    else:
        settle(stack)           # what earlier work left in flight must not land in our window
    try:
        driver = Driver(Api(stack.api_url), stack.pki_dir, seed=seed, workers=workers,
                        ledger=stack.ledger if payrolls else None,
                        sqs=boto3.client("sqs", endpoint_url=stack.endpoint_url,
                                         region_name=stack.env["AWS_REGION"]) if bills else None)
        driver.login_all()
        session = boto3.session.Session()
        directory = stack.env["TABLE_DIRECTORY"]
        ddb = session.client("dynamodb", endpoint_url=stack.endpoint_url)
        opening = {a: int(ddb.get_item(TableName=directory, Key={"pk": {"S": f"ACCOUNT#{a}"}},
                                       ConsistentRead=True)["Item"]["balance"]["N"])
                   for a, *_ in ACCOUNTS}
        booked_before = booked(stack.ledger)
        faults.install()
        sweeper = Sweeper()
        sweeper.start()
        say(f"chaos: {n} dossiers, {rate:.0%} of AWS calls failing (seed {seed})")
        step = max(1, n // 10)
        driver.on_progress = lambda done, total: done % step == 0 and say(f"  {done}/{total} driven")
        driver.run(n)
        driven = time.monotonic() - began
        say(f"  driven in {driven:.0f} s; settling under faults")
        settle(stack, SETTLE_TIMEOUT + 4 * n)
        sweeper.stop()
        faults.enabled = False                          # the outage ends
        say("  faults off; sweeping, redriving, settling")
        redriven: Counter = Counter()
        for _ in range(5):   # until a round finds nothing left to deliver or redrive
            swept = sweeper.once(grace=timedelta(0))
            settle(stack)
            moved = redrive_all(stack)
            redriven.update(moved)
            if not moved and not swept.get("started") and not swept.get("redelivered"):
                break
            settle(stack)
        dead_letter_queues = [*dlq.pairs(), "kbnn-ledger-outbox-dlq"]
        driver.read_bills()
        checker = Checker(boto3.session.Session(), stack.env, stack.ledger, opening,
                          booked_before)
        verdict = checker.check(driver.submitted, dead_letter_queues, driver.payrolls,
                                driver.bills)
    finally:
        faults.uninstall()
        if own:
            stack.stop()
    report = {
        "verdict": "PASS" if verdict.ok else "FAIL",
        "dossiers": len(driver.submitted),
        "dossiers_by_end_state": dict(verdict.end_states.most_common()),
        "dossiers_lost": verdict.end_states.get("LOST", 0),
        "double_postings": verdict.checked.get("double_postings", 0),
        "payments_posted": verdict.checked.get("payments", 0),
        "payrolls": len(driver.payrolls),
        "payee_lines": {k: verdict.checked.get(f"payee_lines{k}", 0)
                        for k in ("", "_credited", "_returned")},
        "bills": {"sent": verdict.checked.get("bills_sent", 0),
                  "paid": verdict.checked.get("bills_paid", 0)},
        "aws_calls_sent": faults.sends,
        "failures_injected": faults.summary()["injected"],
        "failures_injected_total": sum(faults.injected.values()),
        "botocore_retries": faults.retries,
        "client_retries_after_5xx": driver.client.get("retried_5xx", 0),
        "http_answers": {k: v for k, v in sorted(driver.client.items()) if k != "retried_5xx"},
        "sweeper": {"passes": sweeper.passes, **dict(sweeper.counts)},
        "sweeper_pass_errors": sweeper.errors[:10],
        "redriven": dict(redriven),
        "checked": dict(verdict.checked),
        "violations_by_invariant": {f"{i}. {NAMES[i]}": c
                                    for i, c in verdict.by_invariant().items()},
        "violations": [f"[{i}] {what}" for i, what in verdict.violations[:50]],
        "wall_seconds": round(time.monotonic() - began, 1),
    }
    return verdict.ok, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", "-n", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.05, help="share of AWS calls failing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=6, help="concurrent clients")
    parser.add_argument("--json", action="store_true", help="the verdict as JSON only")
    parser.add_argument("--no-payrolls", action="store_true",
                        help="without the payrolls and their returned line (invariant 8)")
    parser.add_argument("--no-bills", action="store_true",
                        help="without the auto-pay bills (invariant 9)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    ok, report = run(args.dossiers, rate=args.rate, seed=args.seed, workers=args.workers,
                     quiet=args.json, payrolls=not args.no_payrolls, bills=not args.no_bills)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report)
    return 0 if ok else 1


def print_report(report: dict) -> None:
    print(f"\nCHAOS VERDICT: {report['verdict']}")
    print(f"  dossiers accepted      {report['dossiers']}  (lost: {report['dossiers_lost']}, "
          f"double postings: {report['double_postings']}, payments posted: "
          f"{report['payments_posted']})")
    for state, count in report["dossiers_by_end_state"].items():
        print(f"    {state:<28} {count}")
    lines = report["payee_lines"]
    print(f"  payrolls               {report['payrolls']}  ({lines['']} payee lines, "
          f"{lines['_credited']} credited, {lines['_returned']} returned and credited back)")
    print(f"  auto-pay bills         {report['bills']['sent']} sent, {report['bills']['paid']} paid")
    print(f"  AWS calls sent         {report['aws_calls_sent']}")
    print(f"  failures injected      {report['failures_injected_total']}  "
          + ", ".join(f"{k} {v}" for k, v in report["failures_injected"].items()))
    print(f"  botocore retries       {report['botocore_retries']}")
    print(f"  client retries (5xx)   {report['client_retries_after_5xx']}")
    print("  sweeper                " + ", ".join(f"{k} {v}" for k, v in report["sweeper"].items()))
    print("  redriven               " + (", ".join(f"{k} {v}" for k, v in report["redriven"].items())
                                          or "nothing"))
    print("  checked                " + ", ".join(f"{k} {v}" for k, v in report["checked"].items()))
    print("  invariants")
    for name, count in report["violations_by_invariant"].items():
        print(f"    {'ok  ' if not count else 'FAIL'} {name}" + (f" ({count})" if count else ""))
    for line in report["violations"]:
        print(f"      {line}")
    print(f"  wall time              {report['wall_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
