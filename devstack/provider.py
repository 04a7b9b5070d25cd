"""A stand-in utility provider for the local stack: it sends bills on the auto-pay bill queue
(`kbnn-autopay-bills`, contract in docs/autopay.md) the way a power, water or telecom company (or
the bank collecting for it) would, and builds the unit's signed authorisation letter.

    python -m devstack.provider demo
    python -m devstack.provider send AUTHORISATION_ID CUSTOMER_CODE AMOUNT [--bill-id ID] [--period YYYY-MM]

against the running local stack (`make run`): `demo` has unit 1023456 authorise, the office
accept, and three bills arrive (one twice, paid once); `send` sends one bill.
"""
from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

from chalicelib import clock
from chalicelib.domain.autopay import BILL_SCHEMA
from chalicelib.queues import AUTOPAY_BILL_QUEUE

# The demo provider: Hà Nội's power company, collecting through its own bank account.
PROVIDER = {"name": "Tổng công ty Điện lực TP Hà Nội", "tax_code": "0100101114",
            "service_kind": "electricity"}
COLLECTOR = {"name": "Tổng công ty Điện lực TP Hà Nội", "bank_code": "01201001",
             "account": "1234567890"}


def letter(account_id: str, customer_codes: list[str], *, ceiling: int | None = None,
           valid_from: str = "2026-01-01", valid_to: str | None = None) -> dict:
    """The content of a `utility_autopay_authorisation` dossier (347/2025 Art.6 cl.3 pt.a)."""
    autopay: dict[str, Any] = {"provider": {**PROVIDER, "customer_codes": customer_codes},
                               "collector": dict(COLLECTOR), "debit_account": account_id,
                               "valid_from": valid_from}
    if ceiling is not None:
        autopay["ceiling_per_bill"] = ceiling
    if valid_to is not None:
        autopay["valid_to"] = valid_to
    return {"procedure": "utility_autopay_authorisation", "autopay": autopay}


def signed_letter(pki_dir: Path, unit_prefix: str, account_id: str, customer_codes: list[str],
                  **options: Any) -> dict:
    """The letter signed by the unit's chief accountant and account holder (demo keys)."""
    import signtool
    body: dict = {"content": letter(account_id, customer_codes, **options)}
    for name, title in ((f"ktt.{unit_prefix}", "chief_accountant"),
                        (f"chutk.{unit_prefix}", "account_holder")):
        body = signtool.add_signature(body, (pki_dir / f"{name}.key.pem").read_bytes(),
                                      (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return body


def bill(authorisation_id: str, bill_id: str, customer_code: str, amount: int, *,
         period: str = "2026-03", provider: dict | None = None) -> dict:
    """One bill message of the contract (docs/autopay.md)."""
    provider = provider or PROVIDER
    return {"schema": BILL_SCHEMA, "bill_id": bill_id, "authorisation_id": authorisation_id,
            "provider_tax_code": provider["tax_code"], "service_kind": provider["service_kind"],
            "customer_code": customer_code, "period": period, "amount": amount,
            "issued_at": clock.now().isoformat().replace("+00:00", "Z")}


def send(sqs: Any, message: dict) -> str:
    """Put one bill on the queue; returns SQS's message id."""
    url = sqs.get_queue_url(QueueName=AUTOPAY_BILL_QUEUE)["QueueUrl"]
    return sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message, ensure_ascii=False))[
        "MessageId"]


def demo(api: Any, sqs: Any, pki_dir: Path, tag: str, timeout: float = 60) -> dict:
    """The whole story on a running stack: unit 1023456 signs an authorisation for two meters,
    the office accepts it, the provider sends three bills (the second twice); answers the
    authorisation with its bills and the account's balance before and after."""
    from .demo import wait_for_status, wait_for_task
    unit, officer = api.login("ketoan.bvdd"), api.login("kiemsoat.kv1")
    account, codes = "9523.1.1023456", [f"{tag}-1", f"{tag}-2"]
    status, dossier = api.call("POST", "/v1/dossiers", signed_letter(pki_dir, "bvdd", account, codes),
                               token=unit)
    if status != 201:
        raise RuntimeError(f"authorisation refused: {status} {dossier}")
    authorisation_id = dossier["dossier_id"]
    task = wait_for_task(api, officer, authorisation_id)
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"}, token=officer)
    wait_for_status(api, unit, authorisation_id, "registered")
    before = api.call("GET", f"/v1/accounts/{account}", token=unit)[1]["balance"]
    bills = [bill(authorisation_id, f"{tag}-B1", codes[0], 1_250_000),
             bill(authorisation_id, f"{tag}-B2", codes[1], 480_000),
             bill(authorisation_id, f"{tag}-B3", codes[0], 1_310_500, period="2026-04")]
    for message in (*bills, bills[1]):
        send(sqs, message)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, found = api.call("GET", f"/v1/autopay/{authorisation_id}", token=unit)
        if len(found.get("bills", [])) == len(bills):
            after = api.call("GET", f"/v1/accounts/{account}", token=unit)[1]["balance"]
            return {"authorisation": found, "balance_before": before, "balance_after": after}
        time.sleep(0.2)
    raise TimeoutError("the bills were not all decided in time")


def main(argv: list[str] | None = None) -> None:
    import boto3

    from .demo import Api
    from .stack import REGION, api_url, moto_url, pki_dir
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=api_url(), help="the API (make run's, or KBNN_API_URL)")
    parser.add_argument("--moto", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--pki", type=Path, default=pki_dir(), help="the demo keys")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="authorise, accept, send three bills (one twice), show them")
    one = commands.add_parser("send", help="send one bill")
    one.add_argument("authorisation_id")
    one.add_argument("customer_code")
    one.add_argument("amount", type=int)
    one.add_argument("--bill-id", default=None)
    one.add_argument("--period", default="2026-03")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs", endpoint_url=args.moto, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    if args.command == "demo":
        done = demo(Api(args.api), sqs, args.pki, f"DEMO-{uuid.uuid4().hex[:6]}")
        auth = done["authorisation"]
        print(f"authorisation {auth['authorisation_id']} {auth['status']}")
        for item in auth["bills"]:
            print(f"  bill {item['bill_id']} {item['amount']:>12,} đ  {item['outcome']}"
                  f"{' (' + item['code'] + ')' if item['code'] else ''}")
        print(f"balance {done['balance_before']:,} đ -> {done['balance_after']:,} đ")
        return
    bill_id = args.bill_id or f"HD-{args.period}-{args.customer_code}"
    message = bill(args.authorisation_id, bill_id, args.customer_code, args.amount,
                   period=args.period)
    print(json.dumps({"bill_id": bill_id, "message_id": send(sqs, message)}))


if __name__ == "__main__":
    main()
