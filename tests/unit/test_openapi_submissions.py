"""The Submission and RegistrationSubmission schemas against the server: the signatures each
procedure requires (signing.py), the base64 the decoder accepts, the documented request
examples (signed, and accepted by the procedure's own checks), and the TK01 form against
registration.py (what it refuses and accepts, its limits, its one signer).
"""
from __future__ import annotations

import base64
import binascii
import copy

import pytest

from chalicelib.domain import catalogue, registration, signatures, specimens, voucher
from chalicelib.domain.errors import InvalidField
from chalicelib.services import autopay, certificates, closing, reconciliation, signing
from devstack.budget_forms import allocation_content
from devstack.demo import sample_content
from devstack.provider import letter as autopay_letter
from devstack.registration_demo import tk01
from tests.unit.openapi_support import (
    DOC,
    DUMMY_SIGNATURES,
    PAYMENT_PROCEDURES,
    TODAY,
    a_repo,
    an_account,
    closing_content,
    is_valid,
    open_account_repo,
    parse_payment,
    procedure_sample,
    reconciliation_content,
    registration_form,
    set_at,
    specimens_content,
    submission,
    users_of,
    validator,
)

pytestmark = pytest.mark.unit


def test_the_submission_schema_accepts_the_demo_sample_content():
    for number, amount in (("DEMO-A", 12_500_000), ("DEMO-B", 7_000_000)):
        body = submission(sample_content(number, amount))
        assert [e.message for e in validator("Submission").iter_errors(body)] == []
    assert not is_valid("Submission", sample_content("DEMO-D"))  # not wrapped in "content"
    assert not is_valid("Submission", {"signatures": DUMMY_SIGNATURES})  # no content


def test_the_submission_schema_requires_one_signature_per_title_the_catalogue_requires():
    required = {t for p in catalogue.CATALOGUE for t in p.required_signers}
    item = DOC["components"]["schemas"]["SubmissionSignature"]
    assert set(item["properties"]["title"]["enum"]) == required
    assert set(item["required"]) == {"title", "certificate", "signature"}  # what signing.py reads
    content = sample_content("DEMO-S")
    chief, holder = DUMMY_SIGNATURES
    assert is_valid("Submission", submission(content, [holder, chief]))  # any order
    no_algorithm = {k: v for k, v in holder.items() if k != "algorithm"}  # signing.py: optional
    assert is_valid("Submission", submission(content, [chief, no_algorithm]))
    refused = {
        "no signatures": {"content": content},
        "an empty list": submission(content, []),
        "not a list": submission(content, {"chief_accountant": chief}),
        "one title missing": submission(content, [chief]),
        "a title twice": submission(content, [chief, holder, dict(chief)]),
        # signing.py skips entries of titles it does not require; the contract does not offer them
        "an unknown title": submission(content, [chief, holder, {**holder, "title": "leader"}]),
        "no certificate": submission(content, [chief, {k: v for k, v in holder.items()
                                                       if k != "certificate"}]),
        "a signature that is not base64": submission(content, [chief, {**holder,
                                                                       "signature": "not base64!"}]),
        "base64 without its padding": submission(content, [chief, {**holder,
                                                                   "signature": "YWJjZA"}]),
        "an unknown algorithm": submission(content, [chief, {**holder, "algorithm": "HS256"}]),
    }
    for case, body in refused.items():
        assert not is_valid("Submission", body), case


def test_the_submission_schema_takes_exactly_the_signers_each_procedure_requires():
    by_title = dict(zip(("chief_accountant", "account_holder"), DUMMY_SIGNATURES, strict=True))
    contents = {"signature_specimens": specimens_content(), "account_closing": closing_content(),
                "balance_reconciliation": reconciliation_content(),
                "temporary_allocation": allocation_content(),
                "utility_autopay_authorisation": autopay_letter("9523.1.1012345", ["PD01000123456"]),
                **{p.code: procedure_sample(p) for p in PAYMENT_PROCEDURES}}
    submitted = [p for p in catalogue.CATALOGUE if not p.without_login]
    assert {p.code for p in submitted} == set(contents)
    for proc in submitted:
        content, required = contents[proc.code], [by_title[t] for t in proc.required_signers]
        assert is_valid("Submission", submission(content, required)), proc.code
        assert is_valid("Submission", submission(content, required[::-1])), proc.code
        for i in range(len(required)):
            fewer = required[:i] + required[i + 1:]
            assert not is_valid("Submission", submission(content, fewer)), (proc.code, i)
        for title, extra in by_title.items():
            assert not is_valid("Submission", submission(content, [*required, extra])), \
                (proc.code, title)
    assert not is_valid("Submission", submission(registration_form()["content"]))


def test_the_base64_schema_accepts_what_the_servers_decoder_accepts():
    samples = ["YWJjZA==", "YWJjZGU=", "YWJjZGVm", "+/+/", "MEUCIQ==", "YWJjZA", "YWJjZA=",
               "YWJj ZA==", "YWJj\nZA==", "YW=jZA==", "YWJjZA-_", "Y", "====", "YWJjZA===",
               "YWJjZA==YWJj"]
    for text in samples:
        try:
            base64.b64decode(text, validate=True)  # as signatures.verify_signature decodes
            decodes = True
        except binascii.Error:
            decodes = False
        assert is_valid("Base64", text) == decodes, text
    assert not is_valid("Base64", "")  # decodes to nothing: no signature at all


def test_the_submission_schema_rejects_a_float_amount():
    body = submission(sample_content("DEMO-F"))
    body["content"]["voucher"]["lines"][0]["amount"] = 10_000_000.5
    assert not is_valid("Submission", body)
    body = submission(sample_content("DEMO-F"))
    body["content"]["voucher"]["total"] = 12_500_000.5
    assert not is_valid("Submission", body)


def _verifies(example: dict) -> bool:
    """Every signature of a documented example is its certificate's key over the content."""
    data = signatures.signed_bytes(example["content"])
    for i, entry in enumerate(example["signatures"]):
        cert = certificates.parse(entry["certificate"], f"signatures[{i}].certificate")
        signatures.verify_signature(cert, data, entry["signature"], f"signatures[{i}].signature")
        assert signing.ALGORITHMS[cert.key_type] == entry["algorithm"]
    return True


def test_the_documented_submission_examples_are_signed_and_valid_one_per_procedure():
    op = DOC["paths"]["/v1/dossiers"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    submitted = {p.code: p for p in catalogue.CATALOGUE if not p.without_login}
    assert set(examples) == set(submitted)
    for code, example in examples.items():
        body = example["value"]
        assert [e.message for e in validator("Submission").iter_errors(body)] == [], code
        assert body["content"]["procedure"] == code
        assert [s["title"] for s in body["signatures"]] == list(submitted[code].required_signers)
        assert _verifies(body)
        if submitted[code].content_kind == "payment":  # what voucher.py and the manifest accept
            parse_payment(copy.deepcopy(body["content"]), submitted[code])
    kinds = {examples[p.code]["value"]["content"]["voucher"]["payment_kind"]
             for p in PAYMENT_PROCEDURES}
    assert {"payment", "advance_settlement", "oda_recording"} <= kinds  # shows the new kinds
    changes = specimens.parse_specimens(
        copy.deepcopy(examples["signature_specimens"]["value"]["content"]["specimens"]))
    assert changes.approve and changes.revoke and changes.open_accounts  # shows every change
    closed = examples["account_closing"]["value"]["content"]
    assert closing.check(copy.deepcopy(closed), "1012345",
                         open_account_repo(closed, "closing"), TODAY) == {
        "account_id": closed["closing"]["account_id"]}
    authorised = examples["utility_autopay_authorisation"]["value"]["content"]
    assert autopay.check(copy.deepcopy(authorised), "1012345", a_repo(an_account(
        authorised["autopay"]["debit_account"]))) == {
        "account_id": authorised["autopay"]["debit_account"]}
    stated = examples["balance_reconciliation"]["value"]["content"]
    assert reconciliation.check(copy.deepcopy(stated), "1012345",
                                open_account_repo(stated, "reconciliation"), TODAY) == {
        "account_id": stated["reconciliation"]["account_id"],
        "amount": stated["reconciliation"]["book_balance"]}


def test_the_documented_registration_example_is_a_signed_tk01_that_registration_py_accepts():
    op = DOC["paths"]["/v1/registrations"]["post"]
    example = op["requestBody"]["content"]["application/json"]["example"]
    assert [e.message for e in validator("RegistrationSubmission").iter_errors(example)] == []
    content = example["content"]
    assert content == tk01(content["registration"]["unit"]["unit_id"])
    form = registration.parse_registration(copy.deepcopy(content["registration"]))
    assert [s["title"] for s in example["signatures"]] == list(
        catalogue.SERVICE_REGISTRATION_TK01.required_signers)
    assert _verifies(example)
    assert form.signer in certificates.parse(example["signatures"][0]["certificate"], "c").subject
    tampered = copy.deepcopy(example)
    tampered["content"]["registration"]["accounts"][0]["opening_balance"] += 1
    with pytest.raises(InvalidField):
        _verifies(tampered)


def _accounts(n: int):
    def apply(content: dict) -> dict:
        account = content["registration"]["accounts"][0]
        content["registration"]["accounts"] = [
            {**account, "account_id": f"{account['account_id']}.{i}"} for i in range(n)]
        return content
    return apply


REGISTRATION_REJECTED = {
    "no unit": set_at("registration.unit", ...),
    "unit id of 6 digits": set_at("registration.unit.unit_id", "105678"),
    "unit id with a letter": set_at("registration.unit.unit_id", "105678A"),
    "blank unit name": set_at("registration.unit.name", "  "),
    "unit name of 201 characters": set_at("registration.unit.name", "T" * 201),
    "office with a space": set_at("registration.unit.office_id", "KV 1"),
    "office of 33 characters": set_at("registration.unit.office_id", "K" * 33),
    "chapter of 4 digits": set_at("registration.unit.chapter_code", "6222"),
    "unit e-mail without a domain": set_at("registration.unit.email", "ketoan@thcg"),
    "missing unit e-mail": set_at("registration.unit.email", ...),
    "mandatory as a string": set_at("registration.unit.mandatory", "yes"),
    "no users": set_at("registration.users", []),
    "users not a list": set_at("registration.users", {"chutk.thcg": "account_holder"}),
    "21 users": users_of(21),
    "a user that is not an object": set_at("registration.users.1", "ktt.thcg"),
    "unknown role": set_at("registration.users.2.role", "director"),
    "leader role": set_at("registration.users.2.role", "leader"),
    "upper-case username": set_at("registration.users.2.username", "KeToan.thcg"),
    "username of 2 characters": set_at("registration.users.2.username", "kt"),
    "username starting with a dot": set_at("registration.users.2.username", ".ketoan"),
    "blank full name": set_at("registration.users.1.full_name", ""),
    "missing user e-mail": set_at("registration.users.1.email", ...),
    "user e-mail with a space": set_at("registration.users.1.email", "ktt @thcg.example.vn"),
    "4 chief accountants": users_of(5, "chief_accountant"),
    "5 account holders": users_of(5, "account_holder"),
    "no account holder at all": set_at("registration.users.0.role", "unit_accountant"),
    "no accounts": set_at("registration.accounts", []),
    "11 accounts": _accounts(11),
    "unknown account kind": set_at("registration.accounts.0.kind", "savings"),
    "account id with a space": set_at("registration.accounts.0.account_id", "9523 1"),
    "missing account id": set_at("registration.accounts.0.account_id", ...),
    "negative opening balance": set_at("registration.accounts.0.opening_balance", -1),
    "opening balance of 10^15": set_at("registration.accounts.0.opening_balance", 10**15),
    "opening balance as a string": set_at("registration.accounts.0.opening_balance", "0"),
    "opening balance as a boolean": set_at("registration.accounts.0.opening_balance", False),
    "fractional opening balance": set_at("registration.accounts.0.opening_balance", 0.5),
    "missing signed_by": set_at("registration.signed_by", ...),
    "upper-case signed_by": set_at("registration.signed_by", "ChuTK.thcg"),
}

REGISTRATION_ACCEPTED = {
    "the sample": lambda c: c,
    "mandatory omitted": set_at("registration.unit.mandatory", ...),
    "not mandatory": set_at("registration.unit.mandatory", False),
    "opening balance omitted": set_at("registration.accounts.0.opening_balance", ...),
    "zero opening balance": set_at("registration.accounts.0.opening_balance", 0),
    "largest opening balance": set_at("registration.accounts.0.opening_balance", 10**15 - 1),
    "a deposit account": set_at("registration.accounts.0.kind", "deposit"),
    "20 users": users_of(20),
    "3 chief accountants": users_of(4, "chief_accountant"),
    "4 account holders": users_of(4, "account_holder"),
    "the unit's software as a user": set_at("registration.users.2.role", "unit_software"),
    "10 accounts": _accounts(10),
    "username of 64 characters": set_at("registration.users.2.username", "k" * 64),
}

# What the server refuses but a JSON Schema cannot say: the description names the code instead.
REGISTRATION_DESCRIBED = {
    "duplicate_username": set_at("registration.users.2.username", "ktt.thcg"),
    "duplicate_account": lambda c: set_at("registration.accounts", [
        *c["registration"]["accounts"], {**c["registration"]["accounts"][0], "kind": "deposit"}])(c),
    "signer_not_account_holder": set_at("registration.signed_by", "ktt.thcg"),
}


@pytest.mark.parametrize("case", sorted(REGISTRATION_REJECTED))
def test_the_registration_schema_rejects_what_registration_py_rejects(case):
    content = REGISTRATION_REJECTED[case](tk01("1056789"))
    with pytest.raises(InvalidField):
        registration.parse_registration(copy.deepcopy(content["registration"]))
    assert not is_valid("RegistrationSubmission", {**registration_form(), "content": content})


@pytest.mark.parametrize("case", sorted(REGISTRATION_ACCEPTED))
def test_the_registration_schema_accepts_what_registration_py_accepts(case):
    content = REGISTRATION_ACCEPTED[case](tk01("1056789"))
    registration.parse_registration(copy.deepcopy(content["registration"]))
    body = {**registration_form(), "content": content}
    assert [e.message for e in validator("RegistrationSubmission").iter_errors(body)] == []


@pytest.mark.parametrize("code", sorted(REGISTRATION_DESCRIBED))
def test_the_registration_rules_beyond_the_schema_are_described(code):
    content = REGISTRATION_DESCRIBED[code](tk01("1056789"))
    assert is_valid("RegistrationSubmission", {**registration_form(), "content": content})
    with pytest.raises(InvalidField) as refused:
        registration.parse_registration(content["registration"])
    assert refused.value.code == code
    assert f"`{code}`" in DOC["components"]["schemas"]["Registration"]["description"]


def test_the_registration_schema_states_the_limits_of_registration_py():
    schemas = DOC["components"]["schemas"]
    users = schemas["Registration"]["properties"]["users"]
    limits = {rule["contains"]["properties"]["role"]["const"]: rule["maxContains"]
              for rule in users["allOf"]}
    assert limits == registration.TITLE_LIMITS
    assert set(schemas["RegistrationUser"]["properties"]["role"]["enum"]) == set(
        registration.UNIT_USER_ROLES)
    balance = schemas["RegistrationAccount"]["properties"]["opening_balance"]
    assert (balance["minimum"], balance["maximum"]) == (0, voucher.MAX_AMOUNT - 1)
    for title, limit in registration.TITLE_LIMITS.items():
        assert f"{limit} {title.replace('_', ' ')}s" in schemas["Registration"]["description"]


def test_the_registration_takes_one_signature_per_title_tk01_requires():
    required = catalogue.SERVICE_REGISTRATION_TK01.required_signers
    assert required == ("account_holder",)
    chief, holder = DUMMY_SIGNATURES
    body = registration_form()
    assert is_valid("RegistrationSubmission", body)
    no_algorithm = {k: v for k, v in holder.items() if k != "algorithm"}
    assert is_valid("RegistrationSubmission", {**body, "signatures": [no_algorithm]})
    refused = {
        "no signatures": {"content": body["content"]},
        "an empty list": {**body, "signatures": []},
        "the chief accountant's": {**body, "signatures": [chief]},
        "a second title": {**body, "signatures": [holder, chief]},
        "the title twice": {**body, "signatures": [holder, dict(holder)]},
        "a payment's content": {**body, "content": sample_content("DEMO-W")},
        "a voucher with the form": {**body, "content": {**body["content"],
                                                        "procedure": "regular_spending_payment"}},
    }
    for case, refused_body in refused.items():
        assert not is_valid("RegistrationSubmission", refused_body), case
    assert not is_valid("Submission", body)  # and a TK01 is not a payment submission
