"""The contents of the unit's account procedures in the Submission schema against their checks:
a change of signature specimens (specimens.py), an account closing (closing.py) and a balance
reconciliation (reconciliation.py). What the schema can say it says; what it cannot (the
registry, today's date) the schema's description names and the submission and supplement
operations document.
"""
from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest

from chalicelib.domain import catalogue, errors, specimens
from chalicelib.domain.errors import InvalidField
from chalicelib.services import closing, documents, reconciliation, related
from tests.unit.openapi_support import (
    CARRIERS,
    CLOSING_ACCOUNT,
    DOC,
    DUMMY_SIGNATURES,
    FP_NEW,
    FP_OLD,
    TODAY,
    a_repo,
    an_account,
    closing_content,
    error_examples,
    is_valid,
    open_account_repo,
    reconciliation_content,
    resolve,
    set_at,
    specimens_content,
    submission,
    validator,
)

pytestmark = pytest.mark.unit


def _fingerprints(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


SPECIMENS_REJECTED = {
    "no specimens": set_at("specimens", ...),
    "specimens not an object": set_at("specimens", [FP_NEW]),
    "no change at all": set_at("specimens", {}),
    "only empty lists": set_at("specimens", {"approve": [], "revoke": [], "open_accounts": []}),
    "null approve": set_at("specimens.approve", None),
    "approve not a list": set_at("specimens.approve", FP_NEW),
    "21 approvals": set_at("specimens.approve", _fingerprints(21)),
    "upper-case fingerprint": set_at("specimens.approve.0", "AB" * 32),
    "fingerprint of 63 digits": set_at("specimens.approve.0", "a" * 63),
    "fingerprint as a number": set_at("specimens.approve.0", 1),
    "a certificate approved twice": set_at("specimens.approve", [FP_NEW, FP_NEW]),
    "revocation that is not an object": set_at("specimens.revoke.0", FP_OLD),
    "revocation without fingerprint": set_at("specimens.revoke.0.fingerprint", ...),
    "revocation with an upper-case fingerprint": set_at("specimens.revoke.0.fingerprint",
                                                      "CD" * 32),
    "revocation without reason": set_at("specimens.revoke.0.reason", ...),
    "blank reason": set_at("specimens.revoke.0.reason", "   "),
    "reason of 501 characters": set_at("specimens.revoke.0.reason", "l" * 501),
    "reason as a number": set_at("specimens.revoke.0.reason", 5),
    "21 revocations": set_at("specimens.revoke", [{"fingerprint": fp, "reason": "x"}
                                                for fp in _fingerprints(21)]),
    "account that is not an object": set_at("specimens.open_accounts.0", "3713.1.1012345"),
    "account id with a space": set_at("specimens.open_accounts.0.account_id", "3713 1"),
    "account id of 3 characters": set_at("specimens.open_accounts.0.account_id", "371"),
    "missing account id": set_at("specimens.open_accounts.0.account_id", ...),
    "unknown account kind": set_at("specimens.open_accounts.0.kind", "savings"),
    "missing account kind": set_at("specimens.open_accounts.0.kind", ...),
    "21 accounts": set_at("specimens.open_accounts", [{"account_id": f"3713.{i}", "kind": "deposit"}
                                                    for i in range(21)]),
}

SPECIMENS_ACCEPTED = {
    "the sample": lambda c: c,
    "an approval only": set_at("specimens", {"approve": [FP_NEW]}),
    "a revocation only": set_at("specimens", {"revoke": [{"fingerprint": FP_OLD, "reason": "x"}]}),
    "an account only": set_at("specimens", {"open_accounts": [{"account_id": "3713.1.1012345",
                                                             "kind": "estimate"}]}),
    "empty lists beside a change": set_at("specimens", {"approve": [], "revoke": [],
                                                      "open_accounts": [{"account_id": "3713.1",
                                                                         "kind": "deposit"}]}),
    "20 approvals": set_at("specimens.approve", _fingerprints(20)),
    "20 accounts": set_at("specimens.open_accounts", [{"account_id": f"3713.{i}", "kind": "deposit"}
                                                    for i in range(20)]),
    "reason of 500 characters": set_at("specimens.revoke.0.reason", "l" * 500),
    "reason with surrounding spaces": set_at("specimens.revoke.0.reason", "  Hết hạn.  "),
}

# What specimens.py refuses but a JSON Schema cannot say: the description names the code instead.
SPECIMENS_DESCRIBED = {
    "duplicate_certificate": set_at("specimens.revoke.0.fingerprint", FP_NEW),
}


def _specimens_body(content: dict) -> dict:
    return submission(content, [DUMMY_SIGNATURES[1]])


@pytest.mark.parametrize("case", sorted(SPECIMENS_REJECTED))
def test_the_specimens_schema_rejects_what_specimens_py_rejects(case):
    content = SPECIMENS_REJECTED[case](specimens_content())
    with pytest.raises(InvalidField):
        specimens.parse_specimens(copy.deepcopy(content.get("specimens")))
    assert not is_valid("Submission", _specimens_body(content)), case


@pytest.mark.parametrize("case", sorted(SPECIMENS_ACCEPTED))
def test_the_specimens_schema_accepts_what_specimens_py_accepts(case):
    content = SPECIMENS_ACCEPTED[case](specimens_content())
    specimens.parse_specimens(copy.deepcopy(content["specimens"]))
    found = [e.message for e in validator("Submission").iter_errors(_specimens_body(content))]
    assert found == [], case


@pytest.mark.parametrize("code", sorted(SPECIMENS_DESCRIBED))
def test_the_specimens_rules_beyond_the_schema_are_described(code):
    content = SPECIMENS_DESCRIBED[code](specimens_content())
    assert is_valid("Submission", _specimens_body(content))
    with pytest.raises(InvalidField) as refused:
        specimens.parse_specimens(content["specimens"])
    assert refused.value.code == code
    assert f"`{code}`" in DOC["components"]["schemas"]["SpecimenChanges"]["description"]


CLOSING_REJECTED = {
    "no closing": set_at("closing", ...),
    "null closing": set_at("closing", None),
    "closing not an object": set_at("closing", CLOSING_ACCOUNT),
    "missing account id": set_at("closing.account_id", ...),
    "account id with a space": set_at("closing.account_id", "3713 1"),
    "account id of 3 characters": set_at("closing.account_id", "371"),
    "account id of 41 characters": set_at("closing.account_id", "3" * 41),
    "account id as a number": set_at("closing.account_id", 3713),
    "missing reason": set_at("closing.reason", ...),
    "null reason": set_at("closing.reason", None),
    "blank reason": set_at("closing.reason", "   "),
    "reason of 501 characters": set_at("closing.reason", "l" * 501),
    "reason as a number": set_at("closing.reason", 5),
}

CLOSING_ACCEPTED = {
    "the sample": lambda c: c,
    "account id of 4 characters": set_at("closing.account_id", "3713"),
    "account id of 40 characters": set_at("closing.account_id", "3" * 40),
    "reason of 500 characters": set_at("closing.reason", "l" * 500),
    "reason with surrounding spaces": set_at("closing.reason", "  Hết nhu cầu sử dụng.  "),
}

# What closing.py refuses against the registry, which no JSON Schema can say: the ClosingRequest
# description names the code, and POST /v1/dossiers and the supplement document it.
CLOSING_DESCRIBED = {
    "unknown_account": (),
    "unknown_account of another unit": (an_account(CLOSING_ACCOUNT, "1023456"),),
    "account_closed": (an_account(CLOSING_ACCOUNT, status="closed"),),
}


def _closing_body(content: dict) -> dict:
    return submission(content)  # the chief accountant's and the account holder's


@pytest.mark.parametrize("case", sorted(CLOSING_REJECTED))
def test_the_closing_schema_rejects_what_closing_py_rejects(case):
    content = CLOSING_REJECTED[case](closing_content())
    with pytest.raises(InvalidField) as refused:
        closing.check(copy.deepcopy(content), "1012345",
                      open_account_repo(content, "closing"), TODAY)
    assert refused.value.code in {"required", "invalid_format", "reason_required"}
    assert not is_valid("Submission", _closing_body(content)), case


@pytest.mark.parametrize("case", sorted(CLOSING_ACCEPTED))
def test_the_closing_schema_accepts_what_closing_py_accepts(case):
    content = CLOSING_ACCEPTED[case](closing_content())
    facts = closing.check(copy.deepcopy(content), "1012345",
                          open_account_repo(content, "closing"), TODAY)
    assert facts == {"account_id": content["closing"]["account_id"]}
    found = [e.message for e in validator("Submission").iter_errors(_closing_body(content))]
    assert found == [], case


@pytest.mark.parametrize("case", sorted(CLOSING_DESCRIBED))
def test_the_closing_rules_beyond_the_schema_are_described_and_documented(case):
    content = closing_content()
    assert is_valid("Submission", _closing_body(content))
    with pytest.raises(errors.DomainError) as refused:
        closing.check(content, "1012345", a_repo(*CLOSING_DESCRIBED[case]), TODAY)
    code, status = refused.value.code, refused.value.status
    assert case.split()[0] == code and refused.value.field == "content.closing.account_id"
    assert f"`{code}`" in DOC["components"]["schemas"]["ClosingRequest"]["description"]
    for path in ("/v1/dossiers", "/v1/dossiers/{dossier_id}/supplement"):
        op = DOC["paths"][path]["post"]
        assert (str(status), code) in {(s, c) for s, c, _ in error_examples(op)}, path


def test_the_closing_codes_raised_at_receipt_are_documented_on_the_supplement_too():
    # A closing (and a change of signature specimens) can be supplemented once: the supplement
    # runs the same content checks as the submission, so it documents the same codes.
    submit = {(s, c) for s, c, _ in error_examples(DOC["paths"]["/v1/dossiers"]["post"])}
    supplement = {(s, c) for s, c, _ in
                  error_examples(DOC["paths"]["/v1/dossiers/{dossier_id}/supplement"]["post"])}
    content_codes = {("422", c) for c in ("required", "invalid_format", "reason_required",
                                          "unknown_account", "duplicate_certificate",
                                          "certificate_not_pending", "certificate_not_revocable")}
    content_codes |= {("409", "account_exists"), ("409", "account_closed")}
    assert content_codes <= submit & supplement
    steps = {p.code: {s.name for s in p.steps} for p in catalogue.CATALOGUE}
    assert {"supplement"} <= steps["account_closing"] & steps["signature_specimens"]


RECONCILIATION_REJECTED = {
    "no reconciliation": set_at("reconciliation", ...),
    "null reconciliation": set_at("reconciliation", None),
    "reconciliation not an object": set_at("reconciliation", "9523.1.1012345"),
    "missing account id": set_at("reconciliation.account_id", ...),
    "account id with a space": set_at("reconciliation.account_id", "9523 1"),
    "account id of 41 characters": set_at("reconciliation.account_id", "9" * 41),
    "account id as a number": set_at("reconciliation.account_id", 9523),
    "no period": set_at("reconciliation.period", ...),
    "period not an object": set_at("reconciliation.period", "2026-10"),
    "missing start": set_at("reconciliation.period.from", ...),
    "end not YYYY-MM-DD": set_at("reconciliation.period.to", "31/10/2026"),
    "end as a number": set_at("reconciliation.period.to", 20261031),
    "missing book balance": set_at("reconciliation.book_balance", ...),
    "negative book balance": set_at("reconciliation.book_balance", -1),
    "book balance of 10^15": set_at("reconciliation.book_balance", 10**15),
    "book balance as a string": set_at("reconciliation.book_balance", "0"),
    "book balance as a boolean": set_at("reconciliation.book_balance", False),
    "fractional book balance": set_at("reconciliation.book_balance", 0.5),
}

RECONCILIATION_ACCEPTED = {
    "the sample": lambda c: c,
    "zero book balance": set_at("reconciliation.book_balance", 0),
    "largest book balance": set_at("reconciliation.book_balance", 10**15 - 1),
    "a period of one day": set_at("reconciliation.period", {"from": "2026-10-31",
                                                          "to": "2026-10-31"}),
    "account id of 4 characters": set_at("reconciliation.account_id", "9523"),
}

# What reconciliation.py refuses but a JSON Schema cannot say (an order of dates, today, the
# registry): the ReconciliationRequest description names the code, the two routes document it.
RECONCILIATION_DESCRIBED = {
    "invalid_period": (set_at("reconciliation.period.from", "2026-11-01"),
                       (an_account("9523.1.1012345"),)),
    "period_not_over ending after today": (set_at("reconciliation.period.to", "2026-11-24"),
                                           (an_account("9523.1.1012345"),)),
    "unknown_account": (lambda c: c, ()),
    "unknown_account of another unit": (lambda c: c, (an_account("9523.1.1012345", "1023456"),)),
}


@pytest.mark.parametrize("case", sorted(RECONCILIATION_REJECTED))
def test_the_reconciliation_schema_rejects_what_reconciliation_py_rejects(case):
    content = RECONCILIATION_REJECTED[case](reconciliation_content())
    with pytest.raises(InvalidField) as refused:
        reconciliation.check(copy.deepcopy(content), "1012345",
                                   open_account_repo(content, "reconciliation"), TODAY)
    assert refused.value.code in {"required", "invalid_format", "invalid_amount"}
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(RECONCILIATION_ACCEPTED))
def test_the_reconciliation_schema_accepts_what_reconciliation_py_accepts(case):
    content = RECONCILIATION_ACCEPTED[case](reconciliation_content())
    facts = reconciliation.check(copy.deepcopy(content), "1012345",
                                   open_account_repo(content, "reconciliation"), TODAY)
    assert facts == {"account_id": content["reconciliation"]["account_id"],
                     "amount": content["reconciliation"]["book_balance"]}
    assert [e.message for e in validator("Submission").iter_errors(submission(content))] == []


@pytest.mark.parametrize("case", sorted(RECONCILIATION_DESCRIBED))
def test_the_reconciliation_rules_beyond_the_schema_are_described_and_documented(case):
    mutate, accounts = RECONCILIATION_DESCRIBED[case]
    content = mutate(reconciliation_content())
    assert is_valid("Submission", submission(content))
    with pytest.raises(errors.DomainError) as refused:
        reconciliation.check(content, "1012345", a_repo(*accounts), TODAY)
    code, status = refused.value.code, refused.value.status
    assert case.split()[0] == code
    described = DOC["components"]["schemas"]["ReconciliationRequest"]["description"]
    assert f"`{code}`" in described and f"`{refused.value.field}`" in described
    for path in ("/v1/dossiers", "/v1/dossiers/{dossier_id}/supplement"):
        op = DOC["paths"][path]["post"]
        assert (str(status), code) in {(s, c) for s, c, _ in error_examples(op)}, path


def codes_raised_in(module, function: str) -> set[str]:
    """The constant codes one function of a module raises itself (`code="..."`) or describes as a
    related.Problem, read from its source."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    (body,) = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == function]
    found = set()
    for node in ast.walk(body):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        code = next((k.value for k in node.keywords if k.arg == "code"), None)
        if name in CARRIERS and node.args:
            code = node.args[0]
        if isinstance(code, ast.Constant):
            found.add(code.value)
    return found


def test_what_a_submission_checks_beyond_signatures_is_documented_on_the_supplement_too():
    # POST /v1/dossiers and its supplement run the same checks: a voucher's related dossier, a
    # balance reconciliation and the document manifest against the bucket.
    codes = (codes_raised_in(related, "problem") | codes_raised_in(related, "_line_outside_groups")
             | codes_raised_in(reconciliation, "check")
             | codes_raised_in(reconciliation, "check_period")
             | codes_raised_in(documents, "check_manifest"))
    assert {"over_advance", "invalid_period", "document_not_uploaded",
            "document_required"} <= codes
    for path in ("/v1/dossiers", "/v1/dossiers/{dossier_id}/supplement"):
        op = DOC["paths"][path]["post"]
        documented = {c for s, c, _ in error_examples(op) if s == "422"}
        assert codes - documented == set(), path
        assert all(f"`{c}`" in resolve(op["responses"]["422"])["description"] for c in codes)
