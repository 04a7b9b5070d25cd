"""The invariant checker: after a chaos run has settled, what must hold whatever failed on the way.

It reads the truth where it lives — the product's tables, Step Functions' executions, the queues,
and the stand-in core ledger's book — with plain boto3 clients (no fault injection, not the
product's code paths), and holds it against what the API accepted:

1. every accepted submission exists and is either finished or waiting at a known step of its
   procedure, with its open task recorded and open;
2. every account's balance equals its opening balance (at the start of the run) plus what the
   ledger booked on it since (debits minus, credits plus), plus the payroll lines credited back,
   minus the auto-pay bills paid, with nothing left reserved;
3. every payment is posted exactly once: one ledger entry per paid or recorded dossier, none for
   any other;
4. every audit chain is intact (recomputed, and ending at the head the dossier keeps);
5. every execution's status agrees with its dossier's (ended: SUCCEEDED; waiting: RUNNING);
6. the dead-letter queues are empty (after redrive) and nothing is parked for the ledger;
7. no committed start or decision is left undelivered (no delivery marker survives the sweep);
8. every payee line posted or returned exactly once: a paid payroll's posting has one stand-in
   ledger credit line per line of its list (same account, same amount, summing to the voucher),
   an unpaid one none; a line the payee's bank returned (its message sent twice) is recorded once
   and noticed once (one `payee_line_returned` audit record), a line not returned never;
9. every auto-pay bill debited at most once: each bill the provider sent is decided at most once,
   a paid bill for the amount sent, the bill over the balance not paid, and the account's
   balance moved outside the ledger by exactly minus the paid bills (invariant 2 counts the
   credits back of returned lines and the paid bills in what an account may have moved).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import audit, catalogue
from chalicelib.domain import ledger as contract

NAMES = {1: "accepted submissions exist, finished or waiting at a known step",
         2: "balances = opening + what the ledger booked (+ lines returned, - bills paid)",
         3: "each payment posted exactly once",
         4: "audit chains intact",
         5: "executions agree with their dossiers",
         6: "dead-letter queues empty after redrive",
         7: "no undelivered start or decision left",
         8: "every payee line posted or returned exactly once",
         9: "every auto-pay bill debited at most once"}
RETURN_NOTICE = re.compile(r"^Dòng (\d+) ")   # services/payee_returns.py: "Dòng 42 (name, …"


@dataclass
class Verdict:
    checked: Counter = field(default_factory=Counter)
    violations: list[tuple[int, str]] = field(default_factory=list)
    end_states: Counter = field(default_factory=Counter)

    def fail(self, invariant: int, what: str) -> None:
        self.violations.append((invariant, what))

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_invariant(self) -> dict[int, int]:
        counts = Counter(i for i, _ in self.violations)
        return {i: counts.get(i, 0) for i in NAMES}


def booked(ledger: Any, entries: list[dict] | None = None) -> Counter:
    """What the core ledger has booked on each account: debits minus, credits plus."""
    total: Counter = Counter()
    for e in ledger.entries() if entries is None else entries:
        total[e["account_id"]] += contract.EFFECTS[e["entry"]] * int(e["amount"])
    return total


def payee_line_violations(listed: list[tuple[str, int]], paid: bool, credits: list[dict],
                          returns_sent: set[int], returned_notices: Counter,
                          returned_recorded: set[int]) -> list[str]:
    """What breaks invariant 8 for one payroll: `listed` is its list as submitted (account,
    amount per line), `credits` the stand-in ledger's credit lines for its posting, `returns_sent`
    the lines the bank sent back, `returned_notices` the `payee_line_returned` audit records per
    line and `returned_recorded` the lines the dossier records as returned."""
    wrong = []
    lines = Counter(int(c["line"]) for c in credits)
    if not paid:
        if credits:
            wrong.append(f"not paid, yet {len(credits)} credit line(s) booked")
    else:
        missing = [i for i in range(len(listed)) if lines[i] == 0]
        twice = sorted(i for i, n in lines.items() if n > 1)
        stray = sorted(i for i in lines if not 0 <= i < len(listed))
        if missing or twice or stray:
            wrong.append(f"credit lines: {len(missing)} missing (first {missing[:3]}), "
                         f"booked twice {twice[:3]}, not on the list {stray[:3]}")
        differ = [int(c["line"]) for c in credits if 0 <= int(c["line"]) < len(listed)
                  and (c["account"], int(c["amount"])) != listed[int(c["line"])]]
        if differ:
            wrong.append(f"credit lines {differ[:3]} differ from the list in account or amount")
        booked_total = sum(int(c["amount"]) for c in credits)
        if booked_total != sum(amount for _, amount in listed):
            wrong.append(f"credit lines sum to {booked_total}, the list to "
                         f"{sum(amount for _, amount in listed)}")
    for line in sorted(set(returned_notices) | returned_recorded | returns_sent):
        expected = 1 if paid and line in returns_sent else 0
        if returned_notices.get(line, 0) != expected or (line in returned_recorded) != bool(expected):
            wrong.append(f"line {line}: returned {'once' if expected else 'never'} expected, "
                         f"{returned_notices.get(line, 0)} notice(s), "
                         f"{'recorded' if line in returned_recorded else 'not recorded'}")
    return wrong


def bill_violations(sent: dict[str, int], decided: list[dict], over_balance: set[str],
                    moved_outside_ledger: int) -> list[str]:
    """What breaks invariant 9 for one authorisation: `sent` bill id -> amount the provider
    sent (duplicates included only once), `decided` the bills as the product records them,
    `moved_outside_ledger` what the debit account's balance moved besides the ledger's book."""
    wrong = []
    seen = Counter(b["bill_id"] for b in decided)
    wrong += [f"bill {b} decided {n} times" for b, n in sorted(seen.items()) if n > 1]
    paid = [b for b in decided if b.get("outcome") == "paid"]
    for b in paid:
        if b["bill_id"] not in sent:
            wrong.append(f"bill {b['bill_id']} paid but never sent")
        elif int(b["amount"]) != sent[b["bill_id"]]:
            wrong.append(f"bill {b['bill_id']} paid {b['amount']}, sent for {sent[b['bill_id']]}")
        if b["bill_id"] in over_balance:
            wrong.append(f"bill {b['bill_id']} over the balance, yet paid")
    debited = sum(int(b["amount"]) for b in paid)
    if moved_outside_ledger != -debited:
        wrong.append(f"balance moved {moved_outside_ledger} outside the ledger, paid bills "
                     f"debit {debited}")
    return wrong


def _plain(item: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer
    des = TypeDeserializer()
    return {k: des.deserialize(v) for k, v in item.items()}


class Checker:
    def __init__(self, session: Any, env: dict[str, str], ledger: Any,
                 opening: dict[str, int], booked_before: Counter | None = None) -> None:
        endpoint = {"endpoint_url": env["AWS_ENDPOINT_URL"]}
        self.ddb = session.client("dynamodb", **endpoint)
        self.sfn = session.client("stepfunctions", **endpoint)
        self.sqs = session.client("sqs", **endpoint)
        self.env, self.ledger, self.opening = env, ledger, opening
        self.booked_before = booked_before or Counter()

    def _get(self, table: str, key: dict) -> dict | None:
        item = self.ddb.get_item(TableName=self.env[table], Key=key, ConsistentRead=True)
        return _plain(item["Item"]) if "Item" in item else None

    def _query(self, **kwargs: Any) -> list[dict]:
        items, start = [], {}
        while True:
            page = self.ddb.query(**kwargs, **start)
            items += [_plain(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return items
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def check(self, submitted: list[Any], dead_letter_queues: list[str],
              payrolls: Sequence[Any] = (), bills: Sequence[Any] = ()) -> Verdict:
        """`payrolls` (driver.PayrollSent) and `bills` (driver.BillsSent, their `decided` read
        back after the run) add invariants 8 and 9."""
        verdict = Verdict()
        dossiers = {}
        for item in submitted:
            d = self._get("TABLE_DOSSIERS", {"dossier_id": {"S": item.dossier_id}})
            dossiers[item.dossier_id] = d
            self._dossier(item, d, verdict)
        outside = self._payrolls(payrolls, dossiers, verdict)
        for sent in bills:
            outside[sent.account] -= sum(int(b["amount"]) for b in sent.decided
                                         if b.get("outcome") == "paid")
        moved = self._ledger(dossiers, verdict, outside)
        self._bills(bills, moved, outside, verdict)
        self._queues(dead_letter_queues, verdict)
        return verdict

    # 8 ----------------------------------------------------------------------------------------
    def _payrolls(self, payrolls: Sequence[Any], dossiers: dict[str, dict | None],
                  verdict: Verdict) -> Counter:
        """Invariant 8; answers what the returned lines credited back per account."""
        credited_back: Counter = Counter()
        for sent in payrolls:
            d = dossiers.get(sent.dossier_id) or self._get(
                "TABLE_DOSSIERS", {"dossier_id": {"S": sent.dossier_id}})
            if d is None:
                continue                                   # invariant 1 says so
            paid = d["status"] == catalogue.PAID
            recorded = d.get("returned_lines") or {}
            recorded = json.loads(recorded) if isinstance(recorded, str) else recorded
            credited_back[sent.account] += sum(int(r["amount"]) for r in recorded.values())
            records = self._query(TableName=self.env["TABLE_AUDIT"],
                                  KeyConditionExpression="dossier_id = :d",
                                  ExpressionAttributeValues={":d": {"S": sent.dossier_id}},
                                  ConsistentRead=True)
            notices: Counter = Counter()
            for r in records:
                body = json.loads(r["body"])
                if body.get("action") == "payee_line_returned":
                    found = RETURN_NOTICE.match(body.get("reason") or "")
                    notices[int(found.group(1)) - 1 if found else -1] += 1
            credits = self.ledger.credits(sent.dossier_id)
            verdict.checked["payee_lines"] += len(sent.lines)
            verdict.checked["payee_lines_credited"] += len(credits)
            verdict.checked["payee_lines_returned"] += len(recorded)
            for wrong in payee_line_violations(sent.lines, paid, credits, sent.returns_sent,
                                               notices, {int(k) for k in recorded}):
                verdict.fail(8, f"payroll {sent.dossier_id}: {wrong}")
        return credited_back

    # 9 ----------------------------------------------------------------------------------------
    def _bills(self, bills: Sequence[Any], moved: dict[str, int], outside: Counter,
               verdict: Verdict) -> None:
        for sent in bills:
            paid = sum(int(b["amount"]) for b in sent.decided if b.get("outcome") == "paid")
            # What the account moved besides the ledger's book and the lines credited back.
            besides = moved.get(sent.account, 0) - (outside[sent.account] + paid)
            verdict.checked["bills_sent"] += len(sent.sent)
            verdict.checked["bills_paid"] += sum(b.get("outcome") == "paid" for b in sent.decided)
            for wrong in bill_violations(sent.sent, sent.decided, sent.over_balance, besides):
                verdict.fail(9, f"auto-pay {sent.authorisation_id}: {wrong}")

    # 1, 4, 5, 7 -----------------------------------------------------------------------------
    def _dossier(self, item: Any, d: dict | None, verdict: Verdict) -> None:
        verdict.checked["dossiers"] += 1
        if d is None:
            verdict.fail(1, f"{item.dossier_id} ({item.procedure}) accepted but missing")
            verdict.end_states["LOST"] += 1
            return
        status = d["status"]
        ended = status in catalogue.END_STATUSES
        verdict.end_states[status if ended else f"waiting at {d.get('step')}"] += 1
        proc = catalogue.get_version(d["procedure"], d["procedure_version"])
        if not ended:
            step = d.get("step")
            names = {s.name for s in proc.steps}
            task = self._get("TABLE_TASKS", {"task_id": {"S": d["open_task_id"]}}) \
                if d.get("open_task_id") else None
            if step not in names or task is None or task.get("state") != "open" \
                    or task.get("step") != step:
                verdict.fail(1, f"{item.dossier_id} ({d['procedure']}) {status} at {step!r} "
                                f"without its open task")
        if item.expected not in (None, "waiting") and status != item.expected \
                and not (ended and status == catalogue.REFUSED):
            # A refusal at posting (a short balance, the ledger's rejection) is a legal end too.
            verdict.checked["plan_diverged"] += 1
        # 4: the audit chain
        records = self._query(TableName=self.env["TABLE_AUDIT"],
                              KeyConditionExpression="dossier_id = :d",
                              ExpressionAttributeValues={":d": {"S": item.dossier_id}},
                              ConsistentRead=True)
        chain = [{"seq": int(r["seq"]), "prev_hash": r["prev_hash"], "dossier_id": r["dossier_id"],
                  "hash": r["hash"], **json.loads(r["body"])} for r in records]
        verdict.checked["audit_records"] += len(chain)
        result = audit.verify_chain(chain, expected_head=d["audit_head"])
        if not result.intact:
            verdict.fail(4, f"{item.dossier_id}: audit chain broken at {result.broken_at}")
        # 5: the execution
        arn = self._execution_arn(proc, item.dossier_id)
        try:
            execution = self.sfn.describe_execution(executionArn=arn)["status"]
        except self.sfn.exceptions.ExecutionDoesNotExist:
            execution = "MISSING"
        verdict.checked["executions"] += 1
        if execution != ("SUCCEEDED" if ended else "RUNNING"):
            verdict.fail(5, f"{item.dossier_id}: dossier {status}, execution {execution}")
        # 7: nothing committed and never delivered
        if d.get("undelivered"):
            verdict.fail(7, f"{item.dossier_id}: undelivered {d['undelivered']}")

    def _execution_arn(self, proc: Any, dossier_id: str) -> str:
        from chalicelib.config import current
        machine = current().state_machine_arn(proc.workflow_name)
        return machine.replace(":stateMachine:", ":execution:") + f":{dossier_id}"

    # 2, 3 -----------------------------------------------------------------------------------
    def _ledger(self, dossiers: dict[str, dict | None], verdict: Verdict,
                outside: Counter | None = None) -> dict[str, int]:
        """Invariants 2 and 3; `outside`: what an account may move besides the ledger's book
        (returned lines credited back, auto-pay bills debited). Answers each account's move
        besides the ledger's book, as measured."""
        outside = outside or Counter()
        moved_besides: dict[str, int] = {}
        entries = self.ledger.entries()
        per_posting = Counter(e["posting_id"] for e in entries)
        booked_now = booked(self.ledger, entries)
        for dossier_id, d in dossiers.items():
            if d is None or not d.get("account_id"):
                continue
            posted = d["status"] in (catalogue.PAID, catalogue.RECORDED)
            verdict.checked["payments"] += posted
            expected = 1 if posted else 0
            if per_posting.get(dossier_id, 0) != expected:
                verdict.fail(3, f"{dossier_id}: {d['status']} with {per_posting.get(dossier_id, 0)} "
                                "ledger entries")
        ours = set(dossiers)
        for posting_id, n in per_posting.items():
            if posting_id in ours and n > 1:
                verdict.checked["double_postings"] += 1
        for account_id, opening in self.opening.items():
            account = self._get("TABLE_DIRECTORY", {"pk": {"S": f"ACCOUNT#{account_id}"}})
            verdict.checked["accounts"] += 1
            balance, reserved = int(account["balance"]), int(account.get("reserved") or 0)
            moved = booked_now.get(account_id, 0) - self.booked_before.get(account_id, 0)
            moved_besides[account_id] = balance - opening - moved
            if balance != opening + moved + outside[account_id] or reserved:
                verdict.fail(2, f"{account_id}: balance {balance} (reserved {reserved}), opening "
                                f"{opening} + booked since {moved} + returned lines and bills "
                                f"{outside[account_id]}")
        return moved_besides

    # 6 ----------------------------------------------------------------------------------------
    def _queues(self, dead_letter_queues: list[str], verdict: Verdict) -> None:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        for name in dead_letter_queues:
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            depth = sum(int(v) for v in attrs.values())
            verdict.checked["dead_letter_queues"] += 1
            if depth:
                verdict.fail(6, f"{name}: {depth} message(s) left")
