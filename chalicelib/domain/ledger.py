"""The contract with the core ledger (TABMIS): the messages of a posting, as data.

Approved payments are posted in TABMIS, not here: the posting step writes an outbox item and the
posting adapter sends a *posting request* to the ledger's request queue; the ledger answers each
request with a *posting confirmation* on the confirmation queue. docs/ledger-contract.md is the
human version of this module (a test keeps the two in step). Pure: no AWS, so both sides (the
service and the local stand-in ledger) and the tests read the same definitions.

The idempotency key is `posting_id`, the dossier id: the ledger books each posting id at most
once and answers every copy and every retry of it with the same outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUEST_SCHEMA = "kbnn.ledger.posting_request"
CONFIRMATION_SCHEMA = "kbnn.ledger.posting_confirmation"
VERSION = 1

# What a voucher's kind does to its account, as the ledger's entry (catalogue.balance_effect).
ENTRIES = {-1: "debit", +1: "credit", 0: "record"}
EFFECTS = {entry: effect for effect, entry in ENTRIES.items()}

# A confirmation's status: the first two are final, `failed` is not (the request is retried).
POSTED, REJECTED, FAILED = "posted", "rejected", "failed"
STATUSES = (POSTED, REJECTED, FAILED)

# Rejection codes the ledger uses (a business refusal: the dossier ends refused with `reason`).
REJECTION_CODES = ("account_closed", "account_unknown", "insufficient_funds", "budget_exceeded",
                   "idempotency_conflict")
# Failure codes (technical: retried while `retryable`, else parked for an operator).
FAILURE_CODES = ("ledger_unavailable", "timeout", "invalid_request", "unsupported_version")

# Retries of failed requests: the n-th failure in a row waits min(CAP, 2^(n-1)) seconds before the
# next attempt (1, 2, 4, ... 256, 300); after MAX_FAILURES failures in a row, or one that is not
# retryable, the posting is parked in the adapter's dead-letter queue for an operator.
MAX_FAILURES = 10
BACKOFF_CAP_SECONDS = 300   # SQS DelaySeconds allows up to 900


def backoff_seconds(failures: int) -> int:
    """Seconds to wait before the attempt that follows the `failures`-th failure in a row."""
    return min(BACKOFF_CAP_SECONDS, 2 ** max(0, failures - 1))


def retry_budget_seconds() -> int:
    """How long a posting can spend waiting between retries before it is parked."""
    return sum(backoff_seconds(n) for n in range(1, MAX_FAILURES))


class ContractViolation(ValueError):
    """A message that does not follow the contract: never acted on (it ends in a dead-letter
    queue for an operator)."""


def request(*, posting_id: str, entry: str, amount: int, account_id: str, account_kind: str | None,
            unit_id: str, office_id: str, payment_kind: str, voucher: dict,
            correlation_id: str | None, requested_at: str, settlement: dict | None = None,
            credit_lines: dict | None = None) -> dict:
    """A posting request as stored in the outbox; the adapter adds `attempt` and `sent_at`.
    `settlement`: for an advance settlement, {converted, difference} (347/2025 Art.6 cl.2 pt.e:
    the advance converted into payment, and the difference the entry debits, if any).
    `credit_lines`: a payroll's payee list by reference (services/payee_lines.credit_lines)."""
    if entry not in EFFECTS:
        raise ValueError(f"unknown entry {entry!r}")
    return {
        "schema": REQUEST_SCHEMA, "version": VERSION, "posting_id": posting_id,
        "entry": entry, "amount": int(amount), "currency": "VND",
        "account_id": account_id, "account_kind": account_kind,
        "unit_id": unit_id, "office_id": office_id, "payment_kind": payment_kind,
        "voucher_number": voucher.get("number"), "budget_year": voucher.get("budget_year"),
        "chapter_code": (voucher.get("payer") or {}).get("chapter_code"),
        "lines": [{k: line.get(k) for k in ("economic_code", "sector_code", "source_code", "amount")}
                  for line in voucher.get("lines") or [] if isinstance(line, dict)],
        "payee": voucher.get("payee"),
        "related_posting_id": voucher.get("related_dossier"),
        "settlement": settlement,
        "correlation_id": correlation_id or posting_id,
        "requested_at": requested_at,
        **split_parts(voucher),
        "credit_lines": credit_lines,
    }


# --- the split voucher (Mẫu 14 / 18) -----------------------------------------------------------
# 347/2025 Art.4 cl.4 pt.h and pt.i list the forms; 347/2025 Art.6 cl.3 pt.a makes them spending
# vouchers: one debit of the total, two credit legs.
# Added to version 1 as optional fields (null on a voucher that is not split): the account is
# still debited once, for `amount`; the ledger credits `budget_payment.amount` to the revenue
# account and `payee_amount` to the payee, and the two add up to `amount`.
BUDGET_PART_FIELDS = ("amount", "revenue_account", "tax_code", "chapter_code", "economic_code",
                      "area_code", "declaration_id", "collecting_agency", "treasury")
SPLIT_FIELDS = ("payee_amount", "budget_payment")   # booked too, when present


def split_parts(voucher: dict) -> dict:
    """`payee_amount` and `budget_payment` of a request, from the signed (already checked)
    voucher; both null when the whole amount goes to the payee."""
    block = voucher.get("budget_payment")
    if not isinstance(block, dict):
        return {"payee_amount": None, "budget_payment": None}
    return {"payee_amount": (voucher.get("payee") or {}).get("amount"),
            "budget_payment": {k: block.get(k) for k in BUDGET_PART_FIELDS}}


def parse_split(body: dict) -> None:
    """A request's split parts, if any, must be whole and add up to its amount."""
    part = body.get("budget_payment")
    if part is None:
        return
    payee_amount = body.get("payee_amount")
    if not isinstance(part, dict):
        raise ContractViolation("budget_payment must be an object or null")
    for name, value in (("budget_payment.amount", part.get("amount")),
                        ("payee_amount", payee_amount)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ContractViolation(f"{name} must be a positive whole number of đồng")
    for name in ("revenue_account", "tax_code", "chapter_code", "economic_code"):
        _text(part, name)
    if part["amount"] + payee_amount != body.get("amount"):
        raise ContractViolation("budget_payment.amount + payee_amount must equal amount")
    if body.get("entry") != "debit":
        raise ContractViolation("only a debit can be split")


# The fields that identify what is booked: a retry must repeat them exactly (the ledger answers
# a posting id reused with other values `rejected`/`idempotency_conflict`).
BOOKED_FIELDS = ("posting_id", "entry", "amount", "account_id")


def parse_request(body: Any) -> dict:
    """A request as the ledger reads it; raises ContractViolation (with the posting id, when
    there is one, so the ledger can answer it)."""
    if not isinstance(body, dict):
        raise ContractViolation("a request is a JSON object")
    if body.get("schema") != REQUEST_SCHEMA:
        raise ContractViolation(f"schema must be {REQUEST_SCHEMA}")
    if body.get("version") != VERSION:
        raise ContractViolation(f"unsupported version {body.get('version')!r}")
    _text(body, "posting_id")
    _text(body, "account_id")
    if body.get("entry") not in EFFECTS:
        raise ContractViolation("entry must be debit, credit or record")
    amount = body.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ContractViolation("amount must be a positive whole number of đồng")
    if not isinstance(body.get("attempt"), int) or body["attempt"] < 1:
        raise ContractViolation("attempt must be a positive integer")
    parse_split(body)
    return body


@dataclass(frozen=True)
class Confirmation:
    posting_id: str
    attempt: int
    status: str
    ledger_reference: str | None = None
    posted_at: str | None = None
    accounting_date: str | None = None
    entry: str | None = None
    amount: int | None = None
    account_id: str | None = None
    code: str | None = None
    reason: str | None = None
    retryable: bool = False
    replay: bool = False

    @property
    def final(self) -> bool:
        return self.status in (POSTED, REJECTED)


def confirmation(request_body: dict, status: str, *, answered_at: str,
                 ledger_reference: str | None = None, posted_at: str | None = None,
                 accounting_date: str | None = None, code: str | None = None,
                 reason: str | None = None, retryable: bool = False,
                 replay: bool = False) -> dict:
    """The ledger's answer to one request (the stand-in ledger builds its answers with this)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "schema": CONFIRMATION_SCHEMA, "version": VERSION,
        "posting_id": request_body.get("posting_id"), "attempt": request_body.get("attempt"),
        "status": status, "ledger_reference": ledger_reference, "posted_at": posted_at,
        "accounting_date": accounting_date,
        "entry": request_body.get("entry"), "amount": request_body.get("amount"),
        "account_id": request_body.get("account_id"),
        "code": code, "reason": reason, "retryable": retryable if status == FAILED else False,
        "replay": replay, "answered_at": answered_at,
    }


def parse_confirmation(body: Any) -> Confirmation:
    """A confirmation as the DVC reads it; raises ContractViolation."""
    if not isinstance(body, dict):
        raise ContractViolation("a confirmation is a JSON object")
    if body.get("schema") != CONFIRMATION_SCHEMA:
        raise ContractViolation(f"schema must be {CONFIRMATION_SCHEMA}")
    if body.get("version") != VERSION:
        raise ContractViolation(f"unsupported version {body.get('version')!r}")
    posting_id = _text(body, "posting_id")
    attempt, status = body.get("attempt"), body.get("status")
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise ContractViolation("attempt must be a positive integer")
    if status not in STATUSES:
        raise ContractViolation("status must be posted, rejected or failed")
    if status == POSTED:
        _text(body, "ledger_reference")
        _text(body, "posted_at")
    else:
        _text(body, "code")
        _text(body, "reason")
    amount = body.get("amount")
    return Confirmation(
        posting_id=posting_id, attempt=attempt, status=status,
        ledger_reference=body.get("ledger_reference"), posted_at=body.get("posted_at"),
        accounting_date=body.get("accounting_date"), entry=body.get("entry"),
        amount=amount if isinstance(amount, int) else None, account_id=body.get("account_id"),
        code=body.get("code"), reason=body.get("reason"),
        retryable=body.get("retryable") is True, replay=body.get("replay") is True)


def echo_mismatch(confirmation_: Confirmation, booked: dict) -> str | None:
    """A `posted` confirmation must echo what was asked; the name of a field that differs."""
    for name in ("entry", "amount", "account_id"):
        if getattr(confirmation_, name) != booked.get(name):
            return name
    return None


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ContractViolation(f"{name} must be a non-empty string")
    return value
