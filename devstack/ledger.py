"""A stand-in for the core ledger (TABMIS) on the local stack, speaking the contract of
docs/ledger-contract.md: it consumes the request queue, books each posting id at most once in its
own DynamoDB table (`kbnn-ledger-standin`, not part of the product's template: TABMIS is another
system), and answers every request on the confirmation queue.

Switches, for tests and demos (kept in its table, so they work from another shell too):
  fail_next(n)        the next n requests are answered `failed` (retryable, or not)
  close_account(acc)  the account is closed in TABMIS: postings to it are `rejected`

From a shell, with `make run` up:
  .venv/bin/python -m devstack.ledger postings          # what the ledger booked (and a split
                                                        # voucher's two credit legs)
  .venv/bin/python -m devstack.ledger fail 3            # the next 3 requests fail
  .venv/bin/python -m devstack.ledger close 9523.1.1012345 | reopen 9523.1.1012345
  .venv/bin/python -m devstack.ledger parked            # postings the DVC parked after failures
  .venv/bin/python -m devstack.ledger redrive           # send them to the ledger again

It uses plain boto3 clients, not the app's instrumented ones: its calls are TABMIS's, not the
product's, and the benchmark does not count them.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import threading
import uuid
from datetime import timedelta, timezone
from typing import Any

from chalicelib import clock
from chalicelib.domain import ledger as contract
from chalicelib.queues import LEDGER_CONFIRMATION_QUEUE

from .stack import moto_url

log = logging.getLogger(__name__)
TABLE = "kbnn-ledger-standin"
REQUEST_QUEUE = "kbnn-ledger-requests"
CONFIRMATION_QUEUE = LEDGER_CONFIRMATION_QUEUE    # the queue the app listens on for answers
SWITCHES = "CONTROL#switches"
LOCAL = timezone(timedelta(hours=7))   # TABMIS's accounting date is Vietnamese


def _now() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StandInLedger:
    def __init__(self, endpoint_url: str, region: str, request_queue_url: str | None = None,
                 confirmation_queue_url: str | None = None, retry_delay_seconds: int = 1) -> None:
        import boto3
        kw = {"endpoint_url": endpoint_url, "region_name": region,
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self._ddb, self._sqs = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw)
        self.request_queue_url = request_queue_url or self._sqs.get_queue_url(
            QueueName=REQUEST_QUEUE)["QueueUrl"]
        self.confirmation_queue_url = confirmation_queue_url or self._sqs.get_queue_url(
            QueueName=CONFIRMATION_QUEUE)["QueueUrl"]
        self._retry_delay = retry_delay_seconds
        self._endpoint, self._region = endpoint_url, region
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- running -------------------------------------------------------------------------
    def ensure_table(self) -> StandInLedger:
        try:
            self._ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        except self._ddb.exceptions.ResourceInUseException:
            pass
        return self

    def start(self) -> StandInLedger:
        self.ensure_table()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ledger:standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception as exc:  # keep serving; moto may be restarting
                log.warning("stand-in ledger poll failed: %s", type(exc).__name__)
                self._stop.wait(self._retry_delay)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive; each request handled and deleted, or left for redelivery (the request
        queue dead-letters it after 5 receives) if handling it raised."""
        messages = self._sqs.receive_message(QueueUrl=self.request_queue_url,
                                             MaxNumberOfMessages=10,
                                             WaitTimeSeconds=wait_seconds).get("Messages", [])
        for message in messages:
            try:
                self.handle(message["Body"])
            except Exception as exc:
                log.warning("stand-in ledger failed on %s: %s", message["MessageId"],
                            type(exc).__name__)
                self._sqs.change_message_visibility(QueueUrl=self.request_queue_url,
                                                    ReceiptHandle=message["ReceiptHandle"],
                                                    VisibilityTimeout=self._retry_delay)
            else:
                self._sqs.delete_message(QueueUrl=self.request_queue_url,
                                         ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    # --- the contract ----------------------------------------------------------------------
    def handle(self, raw: str) -> dict:
        """Answer one request; returns the confirmation sent."""
        body = json.loads(raw)
        try:
            request = contract.parse_request(body)
        except contract.ContractViolation as exc:
            if not isinstance(body, dict) or not isinstance(body.get("posting_id"), str):
                raise  # nobody to answer: redelivered, then dead-lettered
            code = ("unsupported_version" if body.get("version") != contract.VERSION
                    else "invalid_request")
            return self._answer(contract.confirmation(
                body, contract.FAILED, answered_at=_now(), code=code, retryable=False,
                reason=f"Yêu cầu không đúng hợp đồng: {exc}."))
        failure = self._take_failure()
        if failure is not None:
            reason = ("TABMIS tạm thời không xử lý được yêu cầu." if failure["retryable"]
                      else "TABMIS không xử lý được yêu cầu này.")
            return self._answer(contract.confirmation(
                request, contract.FAILED, answered_at=_now(), code=failure["code"],
                retryable=failure["retryable"], reason=reason))
        credits = self._credit_lines(request)
        if isinstance(credits, str):
            return self._answer(contract.confirmation(
                request, contract.FAILED, answered_at=_now(), code="invalid_request",
                retryable=False, reason=f"Danh sách thanh toán không khớp: {credits}."))
        booked = self._book(request)
        if booked["request_hash"] != _request_hash(request):
            return self._answer(contract.confirmation(
                request, contract.REJECTED, answered_at=_now(), code="idempotency_conflict",
                reason="Mã bút toán đã được dùng cho một yêu cầu khác."))
        if credits and booked["status"] == contract.POSTED:
            self._credit_payees(request["posting_id"], credits)
        return self._answer(contract.confirmation(
            request, booked["status"], answered_at=_now(), replay=booked["replay"],
            ledger_reference=booked.get("ledger_reference"), posted_at=booked.get("posted_at"),
            accounting_date=booked.get("accounting_date"), code=booked.get("code"),
            reason=booked.get("reason")))

    def _book(self, request: dict) -> dict:
        """The posting of this id: booked now, or as booked before (`replay`)."""
        key = {"pk": {"S": f"POSTING#{request['posting_id']}"}}
        found = self._ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
        if found is None:
            at = _now()
            posting = {"posting_id": request["posting_id"], "request_hash": _request_hash(request),
                       "entry": request["entry"], "amount": request["amount"],
                       "account_id": request["account_id"], "received_at": at}
            if request.get("budget_payment"):
                posting["split"] = True      # Mẫu 14 / 18: two credit legs, see _split_legs
            if request["account_id"] in self._switches().get("closed_accounts", []):
                posting.update(status=contract.REJECTED, code="account_closed",
                               reason="Tài khoản đã đóng trên TABMIS.")
            else:
                local = clock.now().astimezone(LOCAL)
                posting.update(status=contract.POSTED, posted_at=at,
                               accounting_date=local.date().isoformat(),
                               ledger_reference=f"TB{local:%Y%m%d}{uuid.uuid4().hex[:8].upper()}")
            items = [{"Put": {"TableName": TABLE, "Item": {**key, **_item(posting)},
                              "ConditionExpression": "attribute_not_exists(pk)"}}]
            if posting["status"] == contract.POSTED:  # the journal entry: what "booked" means
                entry = {"posting_id": posting["posting_id"], "entry": posting["entry"],
                         "amount": posting["amount"], "account_id": posting["account_id"],
                         "booked_at": at}
                items.append({"Put": {"TableName": TABLE, "Item": {
                    "pk": {"S": f"ENTRY#{posting['ledger_reference']}"}, **_item(entry)}}})
                items += [{"Put": {"TableName": TABLE, "Item": _item(leg)}}
                          for leg in _split_legs(request, posting["ledger_reference"], at)]
            try:
                self._ddb.transact_write_items(TransactItems=items)
                return {**posting, "replay": False}
            except self._ddb.exceptions.TransactionCanceledException:
                found = self._ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        self._ddb.update_item(TableName=TABLE, Key=key, UpdateExpression="ADD replays :one",
                              ExpressionAttributeValues={":one": {"N": "1"}})
        return {**_plain(found), "replay": True}

    # --- payrolls: one credit line per payee (docs/ledger-contract.md, "Credit lines") ----------
    def _credit_lines(self, request: dict) -> list[dict] | str | None:
        """The lines a request's payee list asks to credit, checked; a reason if they do not
        match the reference; None for a one-payee voucher. Each is booked once; a payee at the
        treasury gets a credit advice (347/2025 Art.6 cl.2 pt.i)."""
        ref = request.get("credit_lines")
        if not ref:
            return None
        import boto3
        s3 = boto3.client("s3", endpoint_url=self._endpoint, region_name=self._region,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        try:
            data = s3.get_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=ref["key"])["Body"].read()
        except s3.exceptions.NoSuchKey:
            return "không tìm thấy danh sách"
        if hashlib.sha256(data).hexdigest() != ref["sha256"]:
            return "SHA-256 khác"
        lines = json.loads(data)["lines"]
        if len(lines) != ref["count"] or sum(line["amount"] for line in lines) != ref["total"] \
                or ref["total"] != request["amount"]:
            return "số dòng hoặc tổng tiền khác"
        return lines

    def _credit_payees(self, posting_id: str, lines: list[dict]) -> None:
        """One credit line per payee, keyed (posting, line): writing them again (a copy of the
        request, a retry, a crash between the booking and here) rewrites the same items."""
        at = _now()
        items = []
        for index, line in enumerate(lines):
            treasury = line.get("institution") == "treasury"
            items.append({"PutRequest": {"Item": {
                "pk": {"S": f"CREDIT#{posting_id}#{index:05d}"}, **_item({
                    "posting_id": posting_id, "line": index, "name": line["name"],
                    "account": line["account"], "institution": line.get("institution", "bank"),
                    "bank_code": line.get("bank_code"), "amount": line["amount"],
                    "credit_advice": treasury, "booked_at": at})}}})
        for start in range(0, len(items), 25):
            pending: dict = {TABLE: items[start:start + 25]}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems")

    def return_line(self, posting_id: str, line: int, *, code: str = "wrong_account",
                    reason: str = "Số tài khoản người hưởng không đúng.") -> dict:
        """The payee's bank sends one credit line back: the return message to the DVC
        (docs/ledger-contract.md, "Returned credit lines"). Sending it twice is allowed."""
        from chalicelib.domain.payee_returns import payee_return
        credit = next(c for c in self.credits(posting_id) if c["line"] == line)
        return self._answer(payee_return(posting_id=posting_id, line=line,
                                         amount=credit["amount"], account=credit["account"],
                                         code=code, reason=reason, returned_at=_now()))

    def credits(self, posting_id: str) -> list[dict]:
        """The credit lines booked for a payroll's posting, in list order."""
        return sorted(self._all(f"CREDIT#{posting_id}#"), key=lambda c: c["line"])

    def _answer(self, confirmation: dict) -> dict:
        self._sqs.send_message(QueueUrl=self.confirmation_queue_url,
                               MessageBody=json.dumps(confirmation, ensure_ascii=False))
        return confirmation

    # --- switches ----------------------------------------------------------------------------
    def fail_next(self, n: int, *, retryable: bool = True, code: str | None = None) -> None:
        """The next n requests are answered `failed` (by default `ledger_unavailable`, or
        `invalid_request` when not retryable: the contract's codes of each kind)."""
        code = code or ("ledger_unavailable" if retryable else "invalid_request")
        self.ensure_table()
        self._ddb.update_item(
            TableName=TABLE, Key={"pk": {"S": SWITCHES}},
            UpdateExpression="SET failures_left = :n, failure_retryable = :r, failure_code = :c",
            ExpressionAttributeValues={":n": {"N": str(n)}, ":r": {"BOOL": retryable},
                                       ":c": {"S": code}})

    def close_account(self, account_id: str) -> None:
        self._accounts("ADD", account_id)

    def reopen_account(self, account_id: str) -> None:
        self._accounts("DELETE", account_id)

    def _accounts(self, verb: str, account_id: str) -> None:
        self.ensure_table()
        self._ddb.update_item(TableName=TABLE, Key={"pk": {"S": SWITCHES}},
                              UpdateExpression=f"{verb} closed_accounts :a",
                              ExpressionAttributeValues={":a": {"SS": [account_id]}})

    def _switches(self) -> dict:
        item = self._ddb.get_item(TableName=TABLE, Key={"pk": {"S": SWITCHES}},
                                  ConsistentRead=True).get("Item")
        return _plain(item) if item else {}

    def _take_failure(self) -> dict | None:
        try:
            item = self._ddb.update_item(
                TableName=TABLE, Key={"pk": {"S": SWITCHES}},
                UpdateExpression="SET failures_left = failures_left - :one",
                ConditionExpression="failures_left > :zero",
                ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
                ReturnValues="ALL_NEW")["Attributes"]
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return None
        switches = _plain(item)
        return {"code": switches.get("failure_code", "ledger_unavailable"),
                "retryable": switches.get("failure_retryable", True)}

    # --- reading (tests, the command line) ---------------------------------------------------
    def _all(self, prefix: str) -> list[dict]:
        items, kwargs = [], {}
        while True:  # the stand-in's own table: a scan is fine here (no request path reads it)
            page = self._ddb.scan(TableName=TABLE, ConsistentRead=True, **kwargs)
            items += [_plain(i) for i in page["Items"] if i["pk"]["S"].startswith(prefix)]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def postings(self) -> list[dict]:
        return sorted(self._all("POSTING#"), key=lambda p: p["received_at"])

    def posting(self, posting_id: str) -> dict | None:
        item = self._ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"POSTING#{posting_id}"}},
                                  ConsistentRead=True).get("Item")
        return _plain(item) if item else None

    def legs(self, posting_id: str) -> list[dict]:
        """The credit legs of a split voucher's posting (budget part, payee part)."""
        return sorted((leg for leg in self._all("LEG#") if leg["posting_id"] == posting_id),
                      key=lambda leg: leg["pk"])

    def entries(self, posting_id: str | None = None) -> list[dict]:
        """Journal entries booked (one per posting booked), optionally of one posting id."""
        return [e for e in self._all("ENTRY#") if posting_id in (None, e["posting_id"])]


def _split_legs(request: dict, reference: str, at: str) -> list[dict]:
    """A split voucher (Mẫu 14 / 18, 347/2025 Art.6 cl.3 pt.a) debits the account once for the
    total and credits two legs: the budget part to the revenue account, the rest to the payee."""
    part = request.get("budget_payment")
    if not part:
        return []
    payee = request.get("payee") or {}
    common = {"posting_id": request["posting_id"], "ledger_reference": reference, "booked_at": at}
    return [
        {"pk": f"LEG#{reference}#1", **common, "leg": "budget", "amount": part["amount"],
         "credit_account": part["revenue_account"], "tax_code": part["tax_code"],
         "chapter_code": part["chapter_code"], "economic_code": part["economic_code"]},
        {"pk": f"LEG#{reference}#2", **common, "leg": "payee", "amount": request["payee_amount"],
         "credit_account": payee.get("account"), "payee_name": payee.get("name")},
    ]


def _request_hash(request: dict) -> str:
    booked = {name: request.get(name) for name in contract.BOOKED_FIELDS}
    # A split's parts are booked too; absent on an unsplit request, so its hash is as before.
    booked.update({name: request[name] for name in contract.SPLIT_FIELDS if request.get(name)})
    return hashlib.sha256(json.dumps(booked, sort_keys=True).encode()).hexdigest()


def _item(values: dict) -> dict:
    from boto3.dynamodb.types import TypeSerializer
    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer
    deserializer = TypeDeserializer()
    plain: dict[str, Any] = {}
    for k, v in item.items():
        value = deserializer.deserialize(v)
        if isinstance(value, set):
            value = sorted(value)
        elif hasattr(value, "to_integral_value"):
            value = int(value)
        plain[k] = value
    return plain


# --- command line ------------------------------------------------------------------------------
def _outbox(endpoint: str, region: str):
    """The DVC's posting adapter, pointed at the local stack's outbox (for `parked`, `redrive`)."""
    import os

    import boto3
    from pynamodb.connection import Connection

    from chalicelib.adapters import aws
    from chalicelib.adapters.ledger import LedgerAdapter
    from chalicelib.adapters.models import LedgerPosting
    os.environ.setdefault("AWS_ENDPOINT_URL", endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    LedgerPosting.Meta.table_name, LedgerPosting.Meta.region = "kbnn-ledger-outbox", region
    LedgerPosting._connection = None
    aws.reset()
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
    urls = [sqs.get_queue_url(QueueName=n)["QueueUrl"]
            for n in (REQUEST_QUEUE, "kbnn-ledger-outbox-dlq")]
    return LedgerAdapter(Connection(region=region), *urls, region=region)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.ledger", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--region", default="us-east-1")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("postings", help="what the stand-in ledger booked, oldest first")
    fail = commands.add_parser("fail", help="answer the next N requests `failed`")
    fail.add_argument("n", type=int)
    fail.add_argument("--not-retryable", action="store_true",
                      help="failures the DVC must not retry (it parks the posting at once)")
    for name in ("close", "reopen"):
        commands.add_parser(name, help=f"{name} an account in the ledger").add_argument("account")
    commands.add_parser("parked", help="postings the DVC parked in kbnn-ledger-outbox-dlq")
    commands.add_parser("redrive", help="send the parked postings to the ledger again")
    args = parser.parse_args(argv)

    if args.command in ("parked", "redrive"):
        from chalicelib.services import ledger as ledger_service
        adapter = _outbox(args.endpoint, args.region)
        if args.command == "redrive":
            redriven = ledger_service.redrive_parked(ledger=adapter, now=clock.now())
            print(f"redriven: {len(redriven)}", *redriven, sep="\n  ")
        else:
            for body, _ in adapter.parked(hide_seconds=0):
                print(json.dumps(body, ensure_ascii=False))
        return 0
    ledger = StandInLedger(args.endpoint, args.region)
    if args.command == "postings":
        for p in ledger.postings():
            print(f"{p['received_at']}  {p['posting_id']}  {p['status']:<8} {p['entry']:<6} "
                  f"{p['amount']:>15,}  {p['account_id']:<16} "
                  f"{p.get('ledger_reference') or p.get('code')}  replays={p.get('replays', 0)}")
            for leg in ledger.legs(p["posting_id"]) if p.get("split") else ():
                print(f"{'':>60}credit {leg['leg']:<6} {leg['amount']:>15,}  "
                      f"{leg.get('credit_account') or '-'}")
    elif args.command == "fail":
        ledger.fail_next(args.n, retryable=not args.not_retryable)
        print(f"the next {args.n} requests will fail")
    elif args.command == "close":
        ledger.close_account(args.account)
    elif args.command == "reopen":
        ledger.reopen_account(args.account)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
