"""The chaos run's traffic: N dossiers of every procedure in force pushed through the HTTP API with
a mix of decisions, by clients that behave like real ones (an Idempotency-Key on every
submission, a retry after a 5xx, a re-read after a 409), while the stack's AWS calls fail.

Besides the mix, a few payrolls (a voucher with its payee list of 50–200 lines; on the first one
paid, the payee's bank returns one line and its message arrives twice) and one utility auto-pay
authorisation whose provider sends a few bills (some twice, one over the balance) run alongside.

Each dossier follows a plan drawn (seeded) from its procedure's mix: the happy path, a supplement
and resubmission, a refusal, a leader's send-back, or left waiting at a step. The driver remembers
every submission the API accepted (201) and what it expects of it; the invariant checker holds the
tables, the executions and the queues against that.
"""
from __future__ import annotations

import random
import threading
import time
import urllib.error
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import provider, samples
from devstack.demo import Api, signed, upload
from devstack.payroll import payroll_content

WAIT_SECONDS = 90          # for the next step to show up (a lost start waits for the sweeper)
PAYMENT_UNITS = {          # unit -> (accountant, office people, account, chapter)
    "1012345": ("ketoan.cva", ("kiemsoat.kv1", "lanhdao.kv1"), "9523.1.1012345", "422"),
    "1034567": ("ketoan.psg", ("kiemsoat.kv2", "lanhdao.kv2"), "9523.1.1034567", "805"),
}
REASON = "Thiếu bảng kê chứng từ thanh toán."
# Procedure -> (weight, [(plan, weight)]): how the N dossiers are spread and decided.
MIX: dict[str, tuple[int, list[tuple[str, int]]]] = {
    "regular_spending_payment": (40, [("happy", 45), ("supplement", 12), ("refuse", 10),
                                      ("send_back", 10), ("wait_review", 8),
                                      ("wait_approval", 8), ("wait_supplement", 7)]),
    "investment_capital_payment": (8, [("happy", 70), ("refuse", 15), ("wait_review", 15)]),
    "project_management_costs": (8, [("happy", 70), ("refuse", 15), ("wait_approval", 15)]),
    "foreign_capital_spending": (8, [("happy", 70), ("send_back", 15), ("wait_review", 15)]),
    "oda_recording": (6, [("happy", 80), ("refuse", 20)]),
    "balance_reconciliation": (8, [("matches", 60), ("does_not_match", 25), ("wait_review", 15)]),
    "signature_specimens": (8, [("open_and_close", 60), ("happy", 25), ("refuse", 15)]),
    "service_registration": (6, [("happy", 70), ("refuse", 20), ("wait_review", 10)]),
}


@dataclass
class Submitted:
    dossier_id: str
    procedure: str
    plan: str
    reader: str                      # a username allowed to read it
    account: str | None = None
    amount: int = 0
    expected: str | None = None      # the end status the plan leads to, or "waiting"


PAYROLLS = (50, 120, 200)           # lines of each payroll a run sends
AUTOPAY_UNIT = ("ketoan.bvdd", "bvdd", "9523.1.1023456")   # accountant, key prefix, account
BILLS = (1_250_000, 480_000, 1_310_500, 99_000)            # the fourth goes over the balance
SENT_TWICE = (1, 2)                                        # these bills arrive twice


@dataclass
class PayrollSent:
    dossier_id: str
    account: str
    lines: list[tuple[str, int]]                 # (account, amount) per line, as submitted
    returns_sent: set[int] = field(default_factory=set)


@dataclass
class BillsSent:
    authorisation_id: str
    account: str
    sent: dict[str, int] = field(default_factory=dict)        # bill id -> amount
    over_balance: set[str] = field(default_factory=set)
    decided: list[dict] = field(default_factory=list)         # read back after the run


@dataclass
class Driver:
    api: Api
    pki_dir: Path
    seed: int = 0
    workers: int = 6
    tokens: dict[str, str] = field(default_factory=dict)
    submitted: list[Submitted] = field(default_factory=list)
    client: Counter = field(default_factory=Counter)   # client-side retries and answers seen
    on_progress: Callable[[int, int], None] | None = None
    ledger: Any = None               # the stand-in ledger: the payee's bank returns a line
    sqs: Any = None                  # the provider's own client on the bill queue
    payrolls: list[PayrollSent] = field(default_factory=list)
    bills: list[BillsSent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)  # noqa: S311 - a seeded mix, not secrets

    # --- HTTP like a client that copes ---------------------------------------------------------
    def login_all(self) -> None:
        from devstack.seed import USERS
        for user in USERS:
            self.tokens[user.username] = self._login(user.username)

    def _login(self, username: str) -> str:
        from devstack.seed import DEMO_PASSWORD
        for attempt in range(8):
            status, body = self.call("POST", "/v1/auth/token",
                                     {"username": username, "password": DEMO_PASSWORD})
            if status == 200:
                return body["id_token"]
            time.sleep(0.2 * 2 ** attempt)
        raise RuntimeError(f"cannot log in {username}")

    def call(self, method: str, path: str, body: object = None, user: str | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
        """A call retried after a 5xx or a dropped connection (same body, same key)."""
        for attempt in range(10):
            try:
                status, answer = self.api.call(method, path, body,
                                               token=self.tokens.get(user) if user else None,
                                               headers=headers)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status, answer = 599, {}
            if status == 401 and user:
                self.tokens[user] = self._login(user)
                continue
            if status < 500:
                return status, answer
            with self._lock:
                self.client["retried_5xx"] += 1
            time.sleep(min(2.0, 0.1 * 2 ** attempt))
        return status, answer

    # --- the run -------------------------------------------------------------------------------
    def run(self, n: int) -> list[Submitted]:
        plans = self._draw(n)
        done = Counter()
        with ThreadPoolExecutor(self.workers) as pool:
            for _ in pool.map(self._one, plans):
                done["n"] += 1
                if self.on_progress:
                    self.on_progress(done["n"], len(plans))
        return self.submitted

    def _draw(self, n: int) -> list[tuple[str, str, int]]:
        procedures = list(MIX)
        weights = [MIX[p][0] for p in procedures]
        drawn = []
        if self.ledger is not None:     # first, so they run while the mix does
            drawn += [("payroll", str(lines), n + k) for k, lines in enumerate(PAYROLLS)]
        if self.sqs is not None:
            drawn.append(("autopay", "bills", n + len(PAYROLLS)))
        for i in range(n):
            procedure = self._random.choices(procedures, weights)[0]
            plans, plan_weights = [p for p, _ in MIX[procedure][1]], [w for _, w in MIX[procedure][1]]
            drawn.append((procedure, self._random.choices(plans, plan_weights)[0], i))
        return drawn

    def _one(self, drawn: tuple[str, str, int]) -> None:
        procedure, plan, i = drawn
        try:
            if procedure == "signature_specimens":
                self._specimens(plan, i)
            elif procedure == "service_registration":
                self._registration(plan, i)
            elif procedure == "balance_reconciliation":
                self._reconciliation(plan, i)
            elif procedure == "payroll":
                self._payroll(int(plan), i)
            elif procedure == "autopay":
                self._autopay(i)
            else:
                self._payment(procedure, plan, i)
        except Exception as exc:   # counted; what was accepted is the checker's to judge
            with self._lock:
                self.client[f"driver_error {type(exc).__name__}"] += 1

    def _record(self, item: Submitted) -> Submitted:
        with self._lock:
            self.submitted.append(item)
        return item

    def _submit(self, path: str, body: dict, user: str | None) -> dict | None:
        status, answer = self.call("POST", path, body, user,
                                   headers={"Idempotency-Key": f"chaos-{uuid.uuid4().hex}"})
        with self._lock:
            self.client[f"submit {status}"] += 1
        return answer if status == 201 else None

    def _waiting(self, item: Submitted, step: str, statuses: tuple[str, ...]) -> dict:
        """The dossier once it waits at `step` with its task open (or has ended)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            status, d = self.call("GET", f"/v1/dossiers/{item.dossier_id}", user=item.reader)
            if status == 200 and (d["status"] in statuses and d["step"] == step
                                  and d.get("open_task_id")):
                return d
            time.sleep(0.3)
        raise TimeoutError(f"{item.dossier_id} never waited at {step}")

    def _decide(self, item: Submitted, step: str, statuses: tuple[str, ...], user: str,
                decision: str, reason: str | None = None) -> None:
        body = {"decision": decision, **({"reason": reason} if reason else {})}
        for _ in range(5):
            d = self._waiting(item, step, statuses)
            status, answer = self.call("POST", f"/v1/tasks/{d['open_task_id']}/decision", body,
                                       user)
            with self._lock:
                self.client[f"decide {status}"] += 1
            if status == 200:
                return
            if status != 409:
                raise RuntimeError(f"decision {decision}: {status} {answer}")
            # Decided (by our own lost attempt) or expired: see where the dossier is now.
            status, d = self.call("GET", f"/v1/dossiers/{item.dossier_id}", user=item.reader)
            if d.get("step") != step or d.get("open_task_id") is None:
                return
        raise RuntimeError(f"decision {decision} kept conflicting")

    def _office(self, unit: str) -> tuple[str, str]:
        return PAYMENT_UNITS[unit][1]

    def _payment(self, procedure: str, plan: str, i: int) -> None:
        unit = "1012345" if procedure != "regular_spending_payment" or i % 3 else "1034567"
        accountant, (officer, leader), account, chapter = PAYMENT_UNITS[unit]
        amount = 100_000 * (1 + i % 9)
        number = f"CHAOS-{i:05d}-{uuid.uuid4().hex[:4]}"

        def content() -> dict:
            documents = None
            if procedure == "oda_recording":
                documents = [self._upload(accountant, f"tb-{number}.pdf", number.encode())]
            elif procedure in samples.INVESTMENT_254:   # 254/2025 Art.8 cl.3 (Mẫu 03.a/TT)
                documents = [self._upload(accountant, f"kl-{number}.pdf", number.encode(),
                                          "completed_volume")]
            base = samples.payment_like(procedure, number, amount, documents=documents)
            base["voucher"]["payer"] = {"unit_code": unit, "chapter_code": chapter,
                                        "account": account}
            return signed(base, self.pki_dir, unit)

        answer = self._submit("/v1/dossiers", content(), accountant)
        if answer is None:
            return
        item = self._record(Submitted(answer["dossier_id"], procedure, plan, accountant, account,
                                      amount))
        end = "recorded" if procedure == "oda_recording" else "paid"
        review, approval = ("review", ("under_review",)), ("approval", ("awaiting_approval",))
        if plan == "wait_review":
            item.expected = "waiting"
            self._waiting(item, *review)
            return
        if plan == "refuse":
            item.expected = "refused"
            self._decide(item, *review, officer, "refuse", REASON)
            return
        if plan in ("supplement", "wait_supplement"):
            self._decide(item, *review, officer, "request_supplement", REASON)
            if plan == "wait_supplement":
                item.expected = "waiting"
                return
            self._waiting(item, "supplement", ("awaiting_supplement",))
            status, _ = self.call("POST", f"/v1/dossiers/{item.dossier_id}/supplement",
                                  content(), accountant)
            if status != 200:
                raise RuntimeError(f"supplement: {status}")
        self._decide(item, *review, officer, "accept")
        if plan == "wait_approval":
            item.expected = "waiting"
            self._waiting(item, *approval)
            return
        if plan == "send_back":
            self._decide(item, *approval, leader, "send_back", REASON)
            self._decide(item, *review, officer, "accept")
        item.expected = end
        self._decide(item, *approval, leader, "approve")

    def _payroll(self, count: int, i: int) -> None:
        """A payroll submitted, accepted and approved; on the first one paid, the payee's bank
        returns a line and its return message is delivered twice."""
        accountant, (officer, leader), account, _ = PAYMENT_UNITS["1012345"]
        content = payroll_content(f"CHAOS-LUONG-{i:05d}-{uuid.uuid4().hex[:4]}", count)
        answer = self._submit("/v1/dossiers", signed(content, self.pki_dir, "1012345"), accountant)
        if answer is None:
            return
        lines = [(line["account"], line["amount"]) for line in content["payee_list"]["lines"]]
        item = self._record(Submitted(answer["dossier_id"], "regular_spending_payment", "payroll",
                                      accountant, account, content["voucher"]["total"]))
        sent = PayrollSent(item.dossier_id, account, lines)
        with self._lock:
            self.payrolls.append(sent)
        self._decide(item, "review", ("under_review",), officer, "accept")
        item.expected = "paid"
        self._decide(item, "approval", ("awaiting_approval",), leader, "approve")
        self._ended(item)
        with self._lock:
            first = not any(p.returns_sent for p in self.payrolls)
            if first:
                sent.returns_sent.add(count // 3)
        if first:
            for _ in range(2):                  # the bank's message, delivered twice
                self.ledger.return_line(item.dossier_id, count // 3)

    def _autopay(self, i: int) -> None:
        """An authorisation put in force, then the provider's bills: some twice, one over the
        balance."""
        accountant, prefix, account = AUTOPAY_UNIT
        codes = [f"CH{i}-{uuid.uuid4().hex[:6]}", f"CH{i}-{uuid.uuid4().hex[:6]}"]
        answer = self._submit("/v1/dossiers",
                              provider.signed_letter(self.pki_dir, prefix, account, codes),
                              accountant)
        if answer is None:
            return
        item = self._record(Submitted(answer["dossier_id"], "utility_autopay_authorisation",
                                      "happy", accountant, expected="registered"))
        self._decide(item, "review", ("under_review",), "kiemsoat.kv1", "accept")
        self._ended(item)
        sent = BillsSent(item.dossier_id, account)
        with self._lock:
            self.bills.append(sent)
        _, found = self.call("GET", f"/v1/accounts/{account}", user=accountant)
        messages = []
        for k, amount in enumerate(BILLS):
            over = k == len(BILLS) - 1
            amount = int(found.get("balance", 0)) + amount if over else amount
            bill_id = f"{item.dossier_id[-8:]}-B{k + 1}"
            sent.sent[bill_id] = amount
            if over:
                sent.over_balance.add(bill_id)
            messages.append(provider.bill(item.dossier_id, bill_id, codes[k % 2], amount))
        for message in (*messages, *(messages[k] for k in SENT_TWICE)):
            provider.send(self.sqs, message)

    def read_bills(self) -> None:
        """Each authorisation's bills as the product recorded them (after the run settled)."""
        for sent in self.bills:
            status, found = self.call("GET", f"/v1/autopay/{sent.authorisation_id}",
                                      user=AUTOPAY_UNIT[0])
            if status != 200:
                raise RuntimeError(f"auto-pay {sent.authorisation_id}: {status} {found}")
            sent.decided = list(found.get("bills", []))

    def _upload(self, user: str, name: str, data: bytes, kind: str = "donor_notice") -> dict:
        for attempt in range(8):
            try:
                return upload(self.api, self.tokens[user], kind, name, data)
            except AssertionError:
                time.sleep(0.2 * 2 ** attempt)
        raise RuntimeError("upload kept failing")

    def _reconciliation(self, plan: str, i: int) -> None:
        _, account = self.call("GET", "/v1/accounts/3713.1.1012345", user="ketoan.cva")
        answer = self._submit("/v1/dossiers", samples.reconciliation(
            self.pki_dir, "3713.1.1012345", account.get("balance", 0)), "ketoan.cva")
        if answer is None:
            return
        item = self._record(Submitted(answer["dossier_id"], "balance_reconciliation", plan,
                                      "ketoan.cva"))
        review = ("review", ("under_review",))
        if plan == "wait_review":
            item.expected = "waiting"
            self._waiting(item, *review)
        elif plan == "matches":
            item.expected = "reconciled"
            self._decide(item, *review, "kiemsoat.kv1", "matches")
        else:
            # 347/2025 Art.10 cl.2 pt.c: a mismatch goes back to the unit to reconcile again
            item.expected = "waiting"
            self._decide(item, *review, "kiemsoat.kv1", "does_not_match", REASON)

    def _specimens(self, plan: str, i: int) -> None:
        accountant = f"ketoan.{samples.ACCOUNT_UNIT[1]}"
        account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
        answer = self._submit("/v1/dossiers", samples.open_account(self.pki_dir, account),
                              accountant)
        if answer is None:
            return
        item = self._record(Submitted(answer["dossier_id"], "signature_specimens", plan,
                                      accountant))
        review = ("review", ("under_review",))
        if plan == "refuse":
            item.expected = "refused"
            self._decide(item, *review, "kiemsoat.kv1", "refuse", REASON)
            return
        item.expected = "registered"
        self._decide(item, *review, "kiemsoat.kv1", "accept")
        if plan != "open_and_close":
            return
        self._ended(item)
        answer = self._submit("/v1/dossiers", samples.close_account(self.pki_dir, account),
                              accountant)
        if answer is None:
            return
        closing = self._record(Submitted(answer["dossier_id"], "account_closing", "happy",
                                         accountant, expected="closed"))
        self._decide(closing, *review, "kiemsoat.kv1", "accept")

    def _ended(self, item: Submitted) -> dict:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            status, d = self.call("GET", f"/v1/dossiers/{item.dossier_id}", user=item.reader)
            if status == 200 and d["status"] == item.expected:
                return d
            time.sleep(0.3)
        raise TimeoutError(f"{item.dossier_id} did not reach {item.expected}")

    def _registration(self, plan: str, i: int) -> None:
        body = samples._registration(self.pki_dir, f"chaos{i}")
        answer = self._submit("/v1/registrations", body, None)
        if answer is None:
            return
        item = self._record(Submitted(answer["dossier_id"], "service_registration", plan,
                                      "kiemsoat.kv1"))
        review = ("review", ("under_review",))
        if plan == "wait_review":
            item.expected = "waiting"
            self._waiting(item, *review)
        elif plan == "refuse":
            item.expected = "refused"
            self._decide(item, *review, "kiemsoat.kv1", "refuse", REASON)
        else:
            item.expected = "registered"
            self._decide(item, *review, "kiemsoat.kv1", "accept")
