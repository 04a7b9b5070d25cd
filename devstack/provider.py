"""A stand-in utility provider for the local stack: it sends bills on the auto-pay bill queue
(`kbnn-autopay-bills`, contract in docs/autopay.md) the way a power, water or telecom company (or
the bank collecting for it) would, and builds the unit's signed authorisation letter.

    python -m devstack.provider AUTHORISATION_ID CUSTOMER_CODE AMOUNT [--bill-id ID] [--period YYYY-MM]

sends one bill to the running local stack (`make run`); the same bill id sent twice is paid once.
"""
from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> None:
    import boto3

    from .stack import REGION, moto_url
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("authorisation_id")
    parser.add_argument("customer_code")
    parser.add_argument("amount", type=int)
    parser.add_argument("--bill-id", default=None)
    parser.add_argument("--period", default="2026-03")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs", endpoint_url=moto_url(),
                       region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    bill_id = args.bill_id or f"HD-{args.period}-{args.customer_code}"
    message = bill(args.authorisation_id, bill_id, args.customer_code, args.amount,
                   period=args.period)
    print(json.dumps({"bill_id": bill_id, "message_id": send(sqs, message)}))


if __name__ == "__main__":
    main()
