"""A 1,000-person payroll paid end to end, over HTTP against a running `make run` (Decree 347/2025
Art.6 cl.2 pt.b: a voucher with its payee list, Mẫu 20):

  the unit signs the voucher and its 1,000-line list as one content → submit → accept → approve
  → paid: the unit's account is debited once for the voucher, and the stand-in ledger (TABMIS)
  booked one credit line per payee, summing exactly to the voucher → the payee's bank returns
  line 42 (wrong account) and its message arrives twice → the line's amount is credited back to
  the unit's account once, and the line reads `returned`.

It exits non-zero if any of that does not hold.

  .venv/bin/python -m devstack.payroll_demo
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .demo import ACCOUNT, DEFAULT_PKI, Api, signed, wait_for_status, wait_for_task
from .ledger import StandInLedger
from .payroll import payroll_content
from .stack import api_url, moto_url

REGION = "us-east-1"


class NotShown(AssertionError):
    """What the demo is to show did not hold."""


def expect(holds: bool, what: str) -> None:
    if not holds:
        raise NotShown(what)


def eventually(probe: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.3)
    raise NotShown(f"{what} (waited {timeout:.0f} s)")


def answers_pending(sqs, queue_url: str) -> int:
    """Messages still on the queue the ledger answers on (visible, in flight or delayed)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    found = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(found.get(name, 0)) for name in names)


def line_statuses(api: Api, token: str, dossier_id: str) -> list[dict]:
    """Every line of the dossier's list with its status, page by page."""
    lines, cursor = [], ""
    while True:
        status, page = api.call("GET", f"/v1/dossiers/{dossier_id}/payee-lines?limit=200{cursor}",
                                token=token)
        expect(status == 200, f"GET payee-lines answered {status}: {page}")
        lines += page["items"]
        if not page["next_cursor"]:
            return lines
        cursor = f"&cursor={page['next_cursor']}"


def run(api: Api, moto: str, pki_dir: Path, count: int, returned: int, log=print) -> dict:
    """The payroll of `count` payees paid, line `returned` (0-based) sent back twice; raises
    NotShown if the money did not move as the demo says."""
    ledger = StandInLedger(moto, REGION)
    started = time.monotonic()

    def step(text: str) -> None:
        log(f"[{time.monotonic() - started:5.1f} s] {text}")

    unit, officer, leader = (api.login(u) for u in ("ketoan.cva", "kiemsoat.kv1", "lanhdao.kv1"))
    balance = lambda: api.call("GET", f"/v1/accounts/{ACCOUNT}", token=unit)[1]["balance"]  # noqa: E731
    content = payroll_content(f"LUONG-{uuid.uuid4().hex[:6].upper()}", count, treasury_every=50)
    lines, total = content["payee_list"]["lines"], content["voucher"]["total"]
    submission = signed(content, pki_dir)
    step(f"payroll {content['voucher']['number']}: {count:,} payees, {total:,} đồng, signed by "
         "the chief accountant and the account holder as one content")
    before = balance()
    status, received = api.call("POST", "/v1/dossiers", submission, token=unit)
    expect(status == 201, f"submission refused: {status} {received}")
    dossier_id = received["dossier_id"]
    step(f"submitted as {dossier_id}; the list is stored beside the dossier by its SHA-256")
    for token, decision, done in ((officer, "accept", "the officer accepts"),
                                  (leader, "approve", "the leader approves")):
        task = wait_for_task(api, token, dossier_id)
        api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": decision},
                 token=token)
        step(done)
    paid = wait_for_status(api, unit, dossier_id, "paid", timeout=120)
    after_payment = balance()
    step(f"paid: debit advice {paid['result']['debit_advice']['number']}, {ACCOUNT} "
         f"{before:,} → {after_payment:,}")
    expect(before - after_payment == total, f"the account moved {before - after_payment:,}, "
           f"not the voucher's {total:,}")

    credits = ledger.credits(dossier_id)
    booked = sum(c["amount"] for c in credits)
    advised = sum(1 for c in credits if c["credit_advice"])
    step(f"the stand-in ledger booked {len(credits):,} credit lines summing to {booked:,} "
         f"(the voucher: {total:,}); {advised} payees at the treasury got a credit advice")
    expect([c["line"] for c in credits] == list(range(count)), "not every payee credited once")
    expect(booked == total, f"credit lines sum to {booked:,}, not {total:,}")
    expect([(c["account"], c["amount"]) for c in credits]
           == [(line["account"], line["amount"]) for line in lines],
           "a credit line differs from its payee's line")
    expect(len(ledger.entries(dossier_id)) == 1, "the unit was not debited exactly once")

    line = lines[returned]
    for copy in (1, 2):
        ledger.return_line(dossier_id, returned)
        step(f"the payee's bank returns line {returned + 1} ({line['name']}, account "
             f"{line['account']}, {line['amount']:,} đồng): message {copy} of 2 sent")
    import boto3
    sqs = boto3.client("sqs", endpoint_url=moto, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    eventually(lambda: answers_pending(sqs, ledger.confirmation_queue_url) == 0,
               "both copies of the return handled")
    _, trail = api.call("GET", f"/v1/dossiers/{dossier_id}/audit", token=unit)
    notices = [r for r in trail["records"] if r["action"] == "payee_line_returned"]
    after_return = balance()
    statuses = line_statuses(api, unit, dossier_id)
    step(f"credited back: {ACCOUNT} {after_payment:,} → {after_return:,} "
         f"(+{after_return - after_payment:,}); notice: {notices[0]['reason'] if notices else '-'}")
    step("lines: " + ", ".join(f"{n:,} {s}" for s, n in Counter(
        i["status"] for i in statuses).most_common()))
    expect(after_return - after_payment == line["amount"],
           f"the balance moved {after_return - after_payment:,}, not the line's {line['amount']:,} once")
    expect(len(notices) == 1, f"{len(notices)} return notices, not one")
    expect(statuses[returned]["status"] == "returned"
           and sum(i["status"] == "credited" for i in statuses) == count - 1,
           "line statuses are not all credited but the returned one")
    return {"dossier_id": dossier_id, "total": total, "credited": booked,
            "returned": line["amount"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.payroll_demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (make run's, or KBNN_API_URL)")
    parser.add_argument("--moto", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI)
    parser.add_argument("--payees", type=int, default=1_000)
    parser.add_argument("--return-line", type=int, default=42,
                        help="the line (1-based, as on the form) the payee's bank returns")
    args = parser.parse_args(argv)
    if not 1 <= args.return_line <= args.payees:
        parser.error("--return-line must be one of the list's lines")
    try:
        run(Api(args.api), args.moto, args.pki, args.payees, args.return_line - 1)
    except (NotShown, TimeoutError) as exc:
        print(f"payroll_demo: NOT SHOWN: {exc}", file=sys.stderr)
        return 1
    print("shown: every payee credited once, the credit lines sum to the voucher, the returned "
          "line credited back once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
