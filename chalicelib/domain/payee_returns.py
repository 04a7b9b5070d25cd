"""The ledger's notice that a payee's bank returned one credit line of a payroll (a wrong or
closed account): the contract of the message, as data (docs/ledger-contract.md, "Returned credit
lines"). It travels on the confirmation queue beside the posting confirmations, told apart by
its schema. The DVC credits the line's amount back to the unit's account once per
(posting_id, line), however many copies arrive. Pure: no AWS."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ledger import ContractViolation

RETURN_SCHEMA = "kbnn.ledger.payee_return"
VERSION = 1
RETURN_CODES = ("wrong_account", "account_closed_at_bank", "name_mismatch")


@dataclass(frozen=True)
class PayeeReturn:
    posting_id: str
    line: int
    amount: int
    account: str
    code: str
    reason: str
    returned_at: str


def payee_return(*, posting_id: str, line: int, amount: int, account: str, code: str,
                 reason: str, returned_at: str) -> dict:
    """The message (the stand-in ledger builds it with this)."""
    return {"schema": RETURN_SCHEMA, "version": VERSION, "posting_id": posting_id, "line": line,
            "amount": amount, "account": account, "code": code, "reason": reason,
            "returned_at": returned_at}


def is_return(body: Any) -> bool:
    return isinstance(body, dict) and body.get("schema") == RETURN_SCHEMA


def parse_return(body: Any) -> PayeeReturn:
    if not is_return(body):
        raise ContractViolation(f"schema must be {RETURN_SCHEMA}")
    if body.get("version") != VERSION:
        raise ContractViolation(f"unsupported version {body.get('version')!r}")
    for name in ("posting_id", "account", "reason", "returned_at"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise ContractViolation(f"{name} must be a non-empty string")
    line, amount = body.get("line"), body.get("amount")
    if type(line) is not int or line < 0:
        raise ContractViolation("line must be the 0-based index of the line")
    if type(amount) is not int or amount <= 0:
        raise ContractViolation("amount must be a positive whole number of đồng")
    if body.get("code") not in RETURN_CODES:
        raise ContractViolation(f"code must be one of {', '.join(RETURN_CODES)}")
    return PayeeReturn(body["posting_id"], line, amount, body["account"], body["code"],
                       body["reason"], body["returned_at"])
