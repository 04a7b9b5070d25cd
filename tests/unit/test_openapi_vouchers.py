"""The payment voucher in the Submission schema against voucher.py: what parse_voucher and
parse_documents refuse the schema refuses and what they accept it accepts, case by case, for the
voucher, its project and funding blocks, each procedure's kinds and document components.
"""
from __future__ import annotations

import copy

import pytest

from chalicelib.domain import catalogue, components, voucher
from chalicelib.domain.errors import InvalidField
from devstack.demo import sample_content
from tests.unit.openapi_support import (
    DOC,
    DUMMY_SIGNATURES,
    PAYMENT_PROCEDURES,
    RELATED,
    a_document,
    closing_content,
    is_valid,
    parse_payment,
    procedure_sample,
    reconciliation_content,
    relating,
    set_at,
    specimens_content,
    submission,
    validator,
    with_contract,
)

pytestmark = pytest.mark.unit


def _cash(content: dict) -> dict:
    content["voucher"]["method"] = "cash"
    del content["voucher"]["payee"]["account"]
    del content["voucher"]["payee"]["bank"]
    return content


def _lines(n: int):
    def apply(content: dict) -> dict:
        line = dict(content["voucher"]["lines"][0], amount=1)
        content["voucher"]["lines"] = [dict(line) for _ in range(n)]
        content["voucher"]["total"] = n
        return content
    return apply


def _accepted(content: dict, proc: catalogue.ProcedureVersion) -> bool:
    try:
        parse_payment(copy.deepcopy(content), proc)
    except InvalidField:
        return False
    return True


def payment_sample(number: str) -> dict:
    """The demo sample with a manifest of one file (a payee list)."""
    return sample_content(number, documents=[a_document("payee_list")])


REJECTED = {
    "unit code of 6 digits": set_at("voucher.payer.unit_code", "101234"),
    "unit code with a letter": set_at("voucher.payer.unit_code", "101234A"),
    "chapter of 2 digits": set_at("voucher.payer.chapter_code", "42"),
    "economic code of 5 digits": set_at("voucher.lines.0.economic_code", "65510"),
    "sector code of 2 digits": set_at("voucher.lines.0.sector_code", "72"),
    "source code of 3 digits": set_at("voucher.lines.0.source_code", "130"),
    "account with a space": set_at("voucher.payer.account", "9523 1"),
    "zero amount": set_at("voucher.lines.0.amount", 0),
    "negative amount": set_at("voucher.lines.0.amount", -5),
    "amount of 10^15": set_at("voucher.total", 10**15),
    "amount as a string": set_at("voucher.total", "12500000"),
    "amount as a boolean": set_at("voucher.lines.1.amount", True),
    "missing total": set_at("voucher.total", ...),
    "unknown estimate type": set_at("voucher.estimate_type", "final"),
    "unknown payment kind": set_at("voucher.payment_kind", "grant"),
    "a payment kind of another procedure": set_at("voucher.payment_kind", "oda_recording"),
    "unknown method": set_at("voucher.method", "cheque"),
    "budget year 1999": set_at("voucher.budget_year", 1999),
    "voucher number of 31 characters": set_at("voucher.number", "N" * 31),
    "blank voucher number": set_at("voucher.number", "   "),
    "no lines": set_at("voucher.lines", []),
    "201 lines": _lines(201),
    "blank line content": set_at("voucher.lines.0.content", " "),
    "missing payer": set_at("voucher.payer", ...),
    "transfer without payee account": set_at("voucher.payee.account", ...),
    "transfer with blank bank": set_at("voucher.payee.bank", ""),
    "tax code of 9 digits": set_at("voucher.payee.tax_code", "010123456"),
    "advance without contract": set_at("voucher.payment_kind", "advance"),
    "contract without date": lambda c: set_at("voucher.contract.date", ...)(with_contract(c)),
    "contract date not YYYY-MM-DD": lambda c: set_at("voucher.contract.date", "5/1/2026")(
        with_contract(c)),
    "advance settlement without related dossier": set_at("voucher.payment_kind",
                                                       "advance_settlement"),
    "adjustment without related dossier": set_at("voucher.payment_kind", "adjustment"),
    "related dossier in lower case": lambda c: set_at("voucher.related_dossier", RELATED.lower())(
        relating("advance_settlement")(c)),
    "related dossier of 25 characters": lambda c: set_at("voucher.related_dossier", RELATED[:25])(
        relating("adjustment")(c)),
    "related dossier as a number": lambda c: set_at("voucher.related_dossier", 1)(
        relating("adjustment")(c)),
    "document name with a slash": set_at("documents.0.name", "../etc/passwd"),
    "document name starting with a dot": set_at("documents.0.name", ".hidden.pdf"),
    "upper-case sha256": set_at("documents.0.sha256", "AB" * 32),
    "document without kind": set_at("documents.0.kind", ...),
    "document of a component the procedure does not list": set_at("documents.0.kind",
                                                                "donor_notice"),
    "document of an unknown kind": set_at("documents.0.kind", "invoice"),
    "51 documents": set_at("documents", [a_document("other", f"f{i}.pdf") for i in range(51)]),
}

ACCEPTED = {
    "the sample": lambda c: c,
    "largest amount": lambda c: set_at("voucher.total", 10**15 - 1)(
        set_at("voucher.lines", [dict(c["voucher"]["lines"][0], amount=10**15 - 1)])(c)),
    "200 lines": _lines(200),
    "cash without payee account or bank": _cash,
    "advance with a contract": with_contract,
    "advance settlement naming its advance": relating("advance_settlement"),
    "adjustment naming the payment it corrects": relating("adjustment"),
    "refund of funds": set_at("voucher.payment_kind", "refund"),
    "13-character tax code": set_at("voucher.payee.tax_code", "0101234567-001"),
    "no documents": set_at("documents", ...),
    "null documents": set_at("documents", None),
    "a document of kind other": set_at("documents.0.kind", "other"),
    "50 documents": set_at("documents", [a_document("other", f"f{i}.pdf") for i in range(50)]),
    "null contract on a payment": set_at("voucher.contract", None),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_the_submission_schema_rejects_what_voucher_py_rejects(case):
    content = REJECTED[case](payment_sample("DEMO-R"))
    with pytest.raises(InvalidField):
        parse_payment(copy.deepcopy(content))
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_the_submission_schema_accepts_what_voucher_py_accepts(case):
    content = ACCEPTED[case](payment_sample("DEMO-OK"))
    parse_payment(copy.deepcopy(content))
    errors_found = [e.message for e in validator("Submission").iter_errors(submission(content))]
    assert errors_found == [], case


# The project and funding blocks, on a procedure that requires both.
BLOCKS_REJECTED = {
    "no project": set_at("voucher.project", ...),
    "null project": set_at("voucher.project", None),
    "project not an object": set_at("voucher.project", "7012345"),
    "project code of 6 digits": set_at("voucher.project.code", "701234"),
    "project code with a letter": set_at("voucher.project.code", "701234A"),
    "blank project name": set_at("voucher.project.name", "  "),
    "project name of 201 characters": set_at("voucher.project.name", "D" * 201),
    "no funding": set_at("voucher.funding", ...),
    "funding not an object": set_at("voucher.funding", "6543-VN"),
    "funding without lender": set_at("voucher.funding.lender", ...),
    "agreement number of 51 characters": set_at("voucher.funding.agreement_number", "A" * 51),
    "lower-case currency": set_at("voucher.funding.currency", "usd"),
    "currency of 4 letters": set_at("voucher.funding.currency", "USDT"),
    "original amount as a number": set_at("voucher.funding.original_amount", 48000),
    "original amount with 3 decimals": set_at("voucher.funding.original_amount", "48000.125"),
    "original amount with a thousands separator": set_at("voucher.funding.original_amount",
                                                       "48,000.00"),
    "original amount of 16 digits": set_at("voucher.funding.original_amount", "1" * 16),
    "negative original amount": set_at("voucher.funding.original_amount", "-48000"),
}

BLOCKS_ACCEPTED = {
    "the sample": lambda c: c,
    "whole original amount": set_at("voucher.funding.original_amount", "48000"),
    "original amount of 15 digits and 2 decimals": set_at("voucher.funding.original_amount",
                                                        "9" * 15 + ".99"),
    "agreement number of 50 characters": set_at("voucher.funding.agreement_number", "A" * 50),
    "project name of 200 characters": set_at("voucher.project.name", "D" * 200),
}


@pytest.mark.parametrize("case", sorted(BLOCKS_REJECTED))
def test_the_submission_schema_rejects_the_blocks_voucher_py_rejects(case):
    proc = catalogue.FOREIGN_CAPITAL_SPENDING_254     # the version a dossier is bound to today
    assert {"project", "funding"} <= set(proc.voucher_blocks)
    content = BLOCKS_REJECTED[case](procedure_sample(proc))
    with pytest.raises(InvalidField):
        parse_payment(copy.deepcopy(content), proc)
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(BLOCKS_ACCEPTED))
def test_the_submission_schema_accepts_the_blocks_voucher_py_accepts(case):
    proc = catalogue.FOREIGN_CAPITAL_SPENDING_254
    content = BLOCKS_ACCEPTED[case](procedure_sample(proc))
    parse_payment(copy.deepcopy(content), proc)
    assert [e.message for e in validator("Submission").iter_errors(submission(content))] == []


# The versions a dossier can still be bound to (the schema describes one procedure code, so a
# version no dossier received today binds to, e.g. Decree 11/2020's investment procedures ended
# by 254/2025 Art.54, is not held to it).
BINDABLE = [p for p in PAYMENT_PROCEDURES if p.effective_to is None
            or p.serves_its_budget_years_until or p.serves_treaties_signed_before]


@pytest.mark.parametrize("proc", BINDABLE, ids=lambda p: f"{p.code}-{p.version}")
def test_each_procedure_takes_its_own_kinds_blocks_and_documents_in_the_schema_as_on_the_server(
        proc):
    def agree(content: dict, expected: bool, case) -> None:
        assert _accepted(content, proc) == expected, case
        assert is_valid("Submission", submission(content)) == expected, case

    for kind in catalogue.PAYMENT_KINDS:
        agree(procedure_sample(proc, kind), kind in proc.payment_kinds, kind)
    for block in ("project", "funding"):
        content = procedure_sample(proc)
        content["voucher"].pop(block, None)
        agree(content, block not in proc.voucher_blocks, block)
    every_kind = {c.kind for p in catalogue.CATALOGUE for c in p.components} | {components.OTHER}
    for kind in every_kind:
        agree(set_at("documents", [a_document(kind)])(procedure_sample(proc)),
              kind in components.kinds(proc), kind)


def test_the_other_contents_carry_only_documents_of_kind_other():
    contents = {"signature_specimens": specimens_content(), "account_closing": closing_content(),
                "balance_reconciliation": reconciliation_content()}
    signers = dict(zip(("chief_accountant", "account_holder"), DUMMY_SIGNATURES, strict=True))
    for proc in catalogue.CATALOGUE:
        if proc.code not in contents:
            continue
        assert components.kinds(proc) == (components.OTHER,), proc.code
        for kind, allowed in (("other", True), ("contract", False)):
            content = {**contents[proc.code], "documents": [a_document(kind)]}
            try:
                voucher.parse_documents(content["documents"], components.kinds(proc))
                accepted = True
            except InvalidField:
                accepted = False
            body = submission(content, [signers[t] for t in proc.required_signers])
            assert accepted == allowed == is_valid("Submission", body), (proc.code, kind)


def test_the_voucher_schema_states_the_limits_of_voucher_py():
    schemas = DOC["components"]["schemas"]
    assert schemas["Amount"]["minimum"] == 1
    assert schemas["Amount"]["maximum"] == voucher.MAX_AMOUNT - 1
    assert schemas["Voucher"]["properties"]["lines"]["maxItems"] == voucher.MAX_LINES
    assert "contract_required" in schemas["Voucher"]["description"]
    assert "advance_over_limit" in schemas["Voucher"]["description"]
