"""What the tests of chalicelib/openapi.json (tests/unit/test_openapi_*.py) share.

The document is hand-kept, so those tests hold it to the code it describes. They share here: the
document and the ways to read it (operations, their error examples, a schema's validator), the
routes' groups (public, idempotent), a signed-looking submission, contents each procedure's own
checks accept (and `set_at` to spoil one field of them), and dossiers, units and accounts in
tests/fakes.py's MemoryRepository, the one in-memory repository the contract suite holds to
DynamoDB. No AWS is touched.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import date, datetime
from pathlib import Path

from jsonschema import Draft202012Validator

from chalicelib import clock, composition
from chalicelib.adapters.identity import Principal
from chalicelib.adapters.models import Account, Dossier, DossierBody, Unit
from chalicelib.domain import audit, catalogue, components, voucher
from chalicelib.domain.commands import RegisterCertificate
from chalicelib.domain.commands import parse as command
from chalicelib.services import certificates, common
from devstack.demo import sample_content
from devstack.registration_demo import tk01
from tests.fakes import MemoryRepository

ROOT = Path(__file__).resolve().parents[2]

SPEC_PATH = ROOT / "chalicelib" / "openapi.json"

DOC = json.loads(SPEC_PATH.read_text(encoding="utf-8"))

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}

# Login, the catalogue, this document, and form TK01 (a unit that has no logins yet registers).
PUBLIC = {("POST", "/v1/auth/token"), ("GET", "/v1/procedures"), ("GET", "/v1/openapi.json"),
          ("POST", "/v1/registrations")}

# The routes that take an Idempotency-Key: the two that create a dossier.
SUBMISSIONS = {("POST", "/v1/dossiers"), ("POST", "/v1/registrations")}

ERROR_REF = "#/components/schemas/Error"

# Codes built in one place and raised in another: services/related.py names what is wrong with a
# voucher's related dossier as Problem(code, message); submission raises it as a 422
# (dossiers.py: `InvalidField(..., code=wrong.code)`), while posting ends the dossier with it.
CARRIERS = {"Problem": "InvalidField"}

# A syntactically valid signature list, so that the schema tests of `content` fail only on the
# content (the signatures themselves are checked by signing.py against registered certificates).
DUMMY_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

DUMMY_SIGNATURES = [
    {"title": "chief_accountant", "certificate": DUMMY_CERT, "algorithm": "ES256",
     "signature": "c2lnbmF0dXJlIDE="},
    {"title": "account_holder", "certificate": DUMMY_CERT, "algorithm": "RS256",
     "signature": "c2lnbmF0dXJlIDI="},
]


def resolve(node: dict) -> dict:
    """Follow a local `$ref` (responses, parameters) to its target in the document."""
    while "$ref" in node:
        target = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations():
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": DOC["components"]})


def is_valid(schema_name: str, instance) -> bool:
    return validator(schema_name).is_valid(instance)


def error_examples(op: dict):
    """(status, code, example body) for every Error-shaped response example of an operation."""
    for status, response in op["responses"].items():
        media = resolve(response).get("content", {}).get("application/json", {})
        if media.get("schema", {}).get("$ref") != ERROR_REF:
            continue
        for example in media.get("examples", {}).values():
            yield status, example["value"]["error"]["code"], example["value"]


def no_adapters(verifier=None) -> composition.Services:
    """The composition root with no adapter at all: every member of composition.Services is None
    but the token verifier, so a route that looked anything up would answer 500."""
    members = {f.name: None for f in dataclasses.fields(composition.Services)}
    return composition.Services(**{**members, "verifier": verifier})


def submission(content, signatures=DUMMY_SIGNATURES) -> dict:
    return {"content": content, "signatures": copy.deepcopy(signatures)}


# What each in-memory dossier's unit signed, by dossier id (the repository keeps bodies apart).
BODIES: dict[str, DossierBody] = {}


def a_dossier(dossier_id: str = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3", **overrides) -> Dossier:
    fields = dict(
        procedure="regular_spending_payment", procedure_version="347-2025", unit_id="1012345",
        office_id="KV1", account_id="9523.1.1012345", amount=12_500_000, payment_kind="payment",
        voucher_number="DEMO-A", status="under_review", step="review",
        received_at="2026-03-09T02:15:00Z", due_at="2026-03-10T10:00:00Z",
        updated_at="2026-03-09T02:15:00Z", content=sample_content("DEMO-A"), signatures=[],
        supplements_used=0, open_task_id=None, audit_head=audit.GENESIS, audit_seq=0)
    fields.update(overrides)
    BODIES[dossier_id] = DossierBody(dossier_id, content=fields.pop("content"),
                                     signatures=fields.pop("signatures"))
    return Dossier(dossier_id, **fields)


def detail_of(dossier: Dossier) -> dict:
    return common.dossier_detail(dossier, BODIES[dossier.dossier_id])


def an_account(account_id: str, unit_id: str = "1012345", *, kind: str = "deposit",
               balance: int = 0, status: str | None = None) -> Account:
    return Account(f"ACCOUNT#{account_id}", account_id=account_id, unit_id=unit_id, kind=kind,
                   balance=balance, status=status)


def a_unit(unit_id: str = "1012345", registered_by: str | None = None) -> Unit:
    return Unit(f"UNIT#{unit_id}", unit_id=unit_id, name="Đơn vị thử", office_id="KV1",
                chapter_code="422", registered_by=registered_by)


def a_repo(*items, ca_pem: str | None = None) -> MemoryRepository:
    """The shared in-memory repository with unit 1012345 and `items` (dossiers with the bodies
    a_dossier made for them)."""
    repo = MemoryRepository(ca_pems=[ca_pem] if ca_pem else ())
    repo.put(a_unit())
    file(repo, *items)
    return repo


def file(repo: MemoryRepository, *items) -> None:
    """Store items as they are now (a dossier with its body)."""
    for item in items:
        repo.put(item, *([BODIES[item.dossier_id]] if isinstance(item, Dossier) else []))


def stored_detail(repo: MemoryRepository, dossier_id: str) -> dict:
    """GET /v1/dossiers/{id} of what the repository holds."""
    dossier = repo.dossier(dossier_id)
    return common.dossier_detail(dossier, repo.body(dossier))


def set_at(path: str, value):
    """A mutation of the sample voucher: `path` is dotted under content, `[i]` for list items;
    the value `...` deletes the key."""
    def apply(content: dict) -> dict:
        parts = re.findall(r"[^.\[\]]+", path)
        target = content
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is ...:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
        return content
    return apply


def with_contract(content: dict, value: int = 50_000_000) -> dict:
    content["voucher"]["payment_kind"] = "advance"
    content["voucher"]["contract"] = {"number": "HĐ-01/2026", "date": "2026-01-05",
                                      "value": value, "advance_rate_percent": 50}
    return content


RELATED = "01JKXB2M4N6P8Q0R2S4T6V8W0Y"


def relating(kind: str):
    """A voucher of a kind that names an earlier dossier of the unit."""
    def apply(content: dict) -> dict:
        content["voucher"]["payment_kind"] = kind
        content["voucher"]["related_dossier"] = RELATED
        return content
    return apply


def a_document(kind: str, name: str = "bang-ke-chung-tu.pdf") -> dict:
    return {"kind": kind, "name": name, "sha256": "ab" * 32}


PROJECT = {"code": "7012345", "name": "Cải tạo, nâng cấp trụ sở làm việc"}

FUNDING = {"agreement_number": "6543-VN", "lender": "Hiệp hội Phát triển Quốc tế (IDA)",
           "currency": "USD", "original_amount": "48000.00"}

PAYMENT_PROCEDURES = [p for p in catalogue.CATALOGUE if p.content_kind == "payment"]


def procedure_sample(proc: catalogue.ProcedureVersion, kind: str | None = None,
                     number: str = "DEMO-P") -> dict:
    """A voucher of `proc` that voucher.py accepts: of `kind` (by default the procedure's first),
    with what that kind needs, every block the procedure requires and one document of each of
    its component kinds (and one `other`)."""
    kind = kind or proc.payment_kinds[0]
    blocks = {"project": copy.deepcopy(PROJECT), "funding": copy.deepcopy(FUNDING),
              "investment": {"work": "contract", "accepted_on": "2026-01-05"}}
    content = sample_content(number, procedure=proc.code, payment_kind=kind, documents=[
        a_document(k, f"{k}.pdf") for k in components.kinds(proc)],
        **{b: blocks[b] for b in proc.voucher_blocks})
    if catalogue.PAYMENT_KINDS[kind].needs_contract:
        with_contract(content)
    if catalogue.PAYMENT_KINDS[kind].relates_to:
        content["voucher"]["related_dossier"] = RELATED
    return content


def parse_payment(content: dict,
           proc: catalogue.ProcedureVersion = catalogue.REGULAR_SPENDING_PAYMENT_347) -> None:
    """The server's own validation of what the schema covers (no directory or bucket lookups)."""
    voucher.parse_voucher(content.get("voucher"), proc.payment_kinds, blocks=proc.voucher_blocks)
    voucher.parse_documents(content.get("documents"), components.kinds(proc))


FP_NEW, FP_OLD = "ab" * 32, "cd" * 32


def specimens_content() -> dict:
    return {"procedure": "signature_specimens", "specimens": {
        "approve": [FP_NEW], "revoke": [{"fingerprint": FP_OLD, "reason": "Mất thiết bị ký số."}],
        "open_accounts": [{"account_id": "3713.1.1012345", "kind": "deposit"}]}}


CLOSING_ACCOUNT = "3713.1.1012345"


def mau_32(opening: int = 0, increase: int = 0, decrease: int = 0) -> dict:
    """A deposit account's Mẫu 32 (347/2025), its closing line adding up."""
    return {"form": "32", "rows": [
        {"line": "opening", "cells": {"amount": opening}},
        {"line": "increase", "cells": {"amount": increase}},
        {"line": "decrease", "cells": {"amount": decrease}},
        {"line": "closing", "cells": {"amount": opening + increase - decrease}}]}


def closing_content() -> dict:
    """Mẫu 25 of a deposit account with its Mẫu 32 (347/2025 Art.9 cl.3 pt.a, pt.d)."""
    return {"procedure": "account_closing",
            "closing": {"account_id": CLOSING_ACCOUNT, "reason": "Kết thúc dự án.",
                        "period": {"from": "2026-10-01", "to": "2026-10-31"},
                        "forms": [mau_32()]}}


def open_account_repo(content: dict, block: str) -> MemoryRepository:
    """What closing.check and reconciliation.check read: the account the content names (if it
    names one at all) is an open one of unit 1012345."""
    named = (content.get(block) or {}).get("account_id") if isinstance(content.get(block), dict) \
        else None
    return a_repo(*([an_account(named)] if isinstance(named, str) else []))


TODAY = date(2026, 11, 23)   # reconciliation.check's `today`, in Asia/Ho_Chi_Minh


def reconciliation_content() -> dict:
    return {"procedure": "balance_reconciliation", "reconciliation": {
        "account_id": "9523.1.1012345", "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "book_balance": 1_487_500_000}}


def registration_form(unit_id: str = "1056789") -> dict:
    return {"content": tk01(unit_id), "signatures": [copy.deepcopy(DUMMY_SIGNATURES[1])]}


def users_of(n: int, role: str = "unit_accountant"):
    """`n` users in all: the signing account holder first, then `n - 1` of `role`."""
    def apply(content: dict) -> dict:
        users = content["registration"]["users"]
        content["registration"]["users"] = users[:1] + [
            {**users[2], "username": f"nv{i:02d}.thcg", "role": role} for i in range(n - 1)]
        return content
    return apply


def response_schema(method: str, path: str, status: str) -> str:
    op = DOC["paths"][path][method.lower()]
    ref = resolve(op["responses"][status])["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


@dataclasses.dataclass
class Signers:
    """Unit 1012345's chief accountant (an EC key) and account holder (an RSA key), each with a
    certificate of a demo CA registered through certificates.register: by title, the person,
    the key and certificate (PEM bytes), the fingerprint, what was POSTed to /v1/certificates
    and what it answered."""
    repo: MemoryRepository
    now: datetime
    people: dict[str, Principal] = dataclasses.field(default_factory=dict)
    keys: dict[str, tuple[bytes, bytes]] = dataclasses.field(default_factory=dict)
    fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)
    requests: dict[str, dict] = dataclasses.field(default_factory=dict)
    views: dict[str, dict] = dataclasses.field(default_factory=dict)


def registered_signers(tmp_path: Path) -> Signers:
    import signtool
    from devstack.pki import DemoPKI
    pki = DemoPKI(tmp_path)
    signers = Signers(a_repo(ca_pem=pki.ca_pem), clock.now())
    for title, username, kind in (("chief_accountant", "ktt.cva", "ec"),
                                  ("account_holder", "chutk.cva", "rsa")):
        person = Principal(f"sub-{title}", username, frozenset({title}), "1012345", None)
        key, cert = (path.read_bytes() for path in pki.issue(username, key_type=kind))
        fingerprint = certificates.parse(cert.decode(), "certificate").fingerprint
        proof = signtool.sign_content(certificates.registration_challenge(fingerprint, person.sub),
                                      key, cert, title)
        body = {"title": title, "certificate": cert.decode(), "proof": proof["signature"]}
        signers.people[title], signers.keys[title] = person, (key, cert)
        signers.fingerprints[title], signers.requests[title] = fingerprint, body
        signers.views[title] = certificates.register(person, command(RegisterCertificate, body),
                                                     repo=signers.repo, now=signers.now)
    return signers
