"""The OpenAPI document in chalicelib/openapi.json against the code it describes.

The document is hand-kept, so these tests hold it to the app: the routes Chalice registers, the
error codes the services raise and the messages they write, the voucher and manifest rules in
voucher.py (per procedure: its kinds, blocks and document components), the TK01 rules in
registration.py, the signature specimens rules in specimens.py, the account closing rules in
closing.py, the balance reconciliation rules in reconciliation.py, the decisions in the catalogue
and the shapes the services return (posting's results, the checklists, the documents). No AWS is
touched: routes are called in-process only where they fail before reaching a service, or with no
adapter at all where the token or the policy refuses the caller before anything is looked up;
services run against small in-memory repositories, and presigned URLs are signed locally.
"""
from __future__ import annotations

import ast
import base64
import binascii
import copy
import dataclasses
import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

import app as app_module
from chalicelib import clock, composition
from chalicelib.adapters import aws, identity
from chalicelib.adapters.documents import DocumentStore, StoredFile
from chalicelib.adapters.identity import Principal
from chalicelib.adapters.models import Account, Dossier, DossierBody, Task, Unit
from chalicelib.domain import (
    audit,
    catalogue,
    components,
    errors,
    extension,
    jsonbody,
    policy,
    registration,
    signatures,
    specimens,
    voucher,
)
from chalicelib.domain import ledger as ledger_contract
from chalicelib.domain.commands import Extend, RegisterCertificate, RevokeCertificate, StartUpload, Submit
from chalicelib.domain.commands import parse as command
from chalicelib.domain.errors import InvalidField
from chalicelib.services import accounts as unit_accounts
from chalicelib.services import (
    certificates,
    checks,
    closing,
    common,
    documents,
    dossiers,
    extensions,
    ledger,
    posting,
    reconciliation,
    registrations,
    related,
    signing,
)
from chalicelib.services import specimens as specimen_changes
from devstack.demo import sample_content
from devstack.registration_demo import tk01
from tests.fakes import MemoryLedger, MemoryRepository, MemoryWorkflows

pytestmark = pytest.mark.unit

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
# Raised where no client sees them: the posting worker's retry give-up, a catalogue lookup of a
# version already stored on a dossier or task, and the repository's signal that an
# Idempotency-Key exists (submit catches it and replays or answers idempotency_key_reused).
INTERNAL_CODES = {"posting_contention", "unknown_procedure_version", "idempotency_key_taken",
                  # certificates.apply_crl refuses a CRL no trusted CA signed: an operator job
                  # that loads CRLs, not a route.
                  "untrusted_crl",
                  # authz.authorize's last-resort NotFound(): every route passes its own
                  # not_found (dossier_not_found, ...) or forbidden (out_of_scope, wrong_office).
                  "not_found",
                  # registrations.activate, the worker queue's activation step of a TK01 dossier
                  # that is not being activated.
                  "not_activating"}
# Codes built in one place and raised in another: services/related.py names what is wrong with a
# voucher's related dossier as Problem(code, message); submission raises it as a 422
# (dossiers.py: `InvalidField(..., code=wrong.code)`), while posting ends the dossier with it.
CARRIERS = {"Problem": "InvalidField"}
RELAYS = {("dossiers.py", "wrong.code")}
# A syntactically valid signature list, so that the schema tests of `content` fail only on the
# content (the signatures themselves are checked by signing.py against registered certificates).
DUMMY_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
DUMMY_SIGNATURES = [
    {"title": "chief_accountant", "certificate": DUMMY_CERT, "algorithm": "ES256",
     "signature": "c2lnbmF0dXJlIDE="},
    {"title": "account_holder", "certificate": DUMMY_CERT, "algorithm": "RS256",
     "signature": "c2lnbmF0dXJlIDI="},
]


# --- helpers ---------------------------------------------------------------------------------
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


def documented_error_codes() -> set[tuple[int, str]]:
    return {(int(status), code) for _, _, op in operations()
            for status, code, _ in error_examples(op)}


def raised_error_codes() -> set[tuple[int, str]]:
    """(status, code) of every domain error constructed in app.py and chalicelib/, read from the
    source so a new `raise ...(code=...)` shows up here without anyone listing it."""
    classes = {}
    pending = [errors.DomainError]
    while pending:
        cls = pending.pop()
        classes[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    assert "IdentityUnavailable" in classes and identity.IdentityUnavailable.status == 503

    # Chalice's own 415 is rewritten by app.py's middleware into the shared shape.
    found = {(415, app_module.FRAMEWORK_ERRORS["UnsupportedMediaType"][0])}
    relayed = set()
    sources = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        # A module's `_fail` helper builds its error from a `code` argument (voucher.py:
        # _fail(field, message, code="invalid_field"); signatures.py: _fail(code, field, ...)):
        # its own body forwards that argument, so its call sites are read instead.
        helpers = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_fail"]
        helper = {id(n) for f in helpers for n in ast.walk(f)}
        fail = None
        if helpers:
            (f,) = helpers
            params = [a.arg for a in f.args.args]
            defaults = dict(zip(params[len(params) - len(f.args.defaults):], f.args.defaults))
            (built,) = {n.func.id for n in ast.walk(f) if isinstance(n, ast.Call)
                        and getattr(n.func, "id", None) in classes}
            default = defaults.get("code")
            fail = (params.index("code"), default.value if default is not None else None,
                    classes[built].status)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in helper:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "_fail":
                assert fail is not None, f"{source.name}:{node.lineno} calls an unknown _fail"
                index, default, status = fail
                raw = node.args[index] if len(node.args) > index else keywords.get("code")
                assert raw is not None or default is not None, f"{source.name}:{node.lineno}"
            elif name in classes:
                raw = keywords.get("code")
                status, default = classes[name].status, classes[name].code
            elif name in CARRIERS:
                raw = node.args[0] if node.args else keywords.get("code")
                status, default = classes[CARRIERS[name]].status, None
            else:
                continue
            if raw is None:
                found.add((status, default))
            elif (source.name, ast.unparse(raw)) in RELAYS:
                relayed.add((source.name, ast.unparse(raw)))  # a carrier's code, counted there
            else:
                assert isinstance(raw, ast.Constant), f"{source.name}:{node.lineno} computes a code"
                found.add((status, raw.value))
    assert relayed == RELAYS, "a carrier's codes are no longer raised where RELAYS says"
    return found


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


# --- the document itself -------------------------------------------------------------------
def test_the_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1.")
    validate_openapi(DOC)


def test_the_file_is_two_space_indented_utf8_json_with_vietnamese_unescaped():
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(DOC, ensure_ascii=False, indent=2) + "\n"
    assert "\\u" not in text
    assert "Chưa đăng nhập" in text


def test_info_servers_and_the_bearer_scheme_are_as_agreed():
    assert DOC["info"]["title"] == "KBNN DVCTT API"
    assert DOC["info"]["version"] == "0.1.0"
    assert "Kho bạc Nhà nước" in DOC["info"]["description"]
    assert "State Treasury" in DOC["info"]["description"]
    assert DOC["servers"] == [{"url": "http://127.0.0.1:8000"}]
    schemes = DOC["components"]["securitySchemes"]
    assert DOC["security"] == [{name: []} for name in schemes]
    (scheme,) = schemes.values()
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "/v1/auth/token" in scheme["description"]


def test_the_app_serves_this_document_at_v1_openapi_json():
    from chalice.test import Client
    with Client(app_module.app) as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == DOC


# --- routes ------------------------------------------------------------------------------------
def test_every_app_route_is_documented_and_every_documented_operation_exists_in_the_app():
    # The API is /v1; the web console's static files (/, /console/...) are pages, not API
    # operations (tests/unit/test_console_assets.py holds them to exactly those routes).
    in_app = {(method, path) for path, entries in app_module.app.routes.items()
              for method in entries if path.startswith("/v1/")}
    documented = {(method, path) for method, path, _ in operations()}
    assert in_app - documented == set(), "routes missing from openapi.json"
    assert documented - in_app == set(), "openapi.json documents routes the app does not have"


def test_path_parameters_match_the_route_placeholders():
    for method, path, op in operations():
        declared = [resolve(p) for p in DOC["paths"][path].get("parameters", [])]
        declared += [resolve(p) for p in op.get("parameters", [])]
        in_path = {p["name"] for p in declared if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), (method, path)
        assert all(p["required"] for p in declared if p["in"] == "path")


def test_only_login_procedures_registration_and_the_document_itself_are_public():
    for method, path, op in operations():
        if (method, path) in PUBLIC:
            assert op.get("security") == [], (method, path)
            codes = {c for _, c, _ in error_examples(op)}
            assert not codes & {"missing_token", "invalid_token"}, (method, path)
        else:
            assert op.get("security", DOC["security"]) == DOC["security"], (method, path)
            assert resolve(op["responses"]["401"])["content"]["application/json"]["schema"] \
                == {"$ref": ERROR_REF}, (method, path)


def test_list_routes_document_their_query_parameters_and_limits():
    def query_params(method, path):
        op = DOC["paths"][path][method.lower()]
        return {p["name"]: p for p in map(resolve, op.get("parameters", [])) if p["in"] == "query"}

    dossier_params = query_params("GET", "/v1/dossiers")
    task_params = query_params("GET", "/v1/tasks")
    assert set(dossier_params) == {"status", "procedure", "office", "limit", "cursor"}
    assert set(task_params) == {"state", "role", "limit", "cursor"}
    assert set(query_params("GET", "/v1/certificates")) == {"unit_id"}
    assert "out_of_scope" in dossier_params["office"]["description"]
    for params in (dossier_params, task_params):
        limit = params["limit"]["schema"]
        assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 200)
    assert task_params["state"]["schema"]["enum"] == ["open", "decided", "expired"]
    assert set(task_params["role"]["schema"]["enum"]) == {catalogue.CONTROL_OFFICER,
                                                          catalogue.LEADER}


def test_submissions_take_an_idempotency_key_with_the_services_own_pattern():
    for method, path in SUBMISSIONS:
        op = DOC["paths"][path][method.lower()]
        headers = [p for p in map(resolve, op["parameters"]) if p["in"] == "header"]
        (key,) = [p for p in headers if p["name"] == "Idempotency-Key"]
        schema = key["schema"]
        assert schema["pattern"] == f"^{dossiers._IDEMPOTENCY_KEY.pattern}$"
        assert (schema["minLength"], schema["maxLength"]) == (8, 128)
        assert "idempotency_key_reused" in key["description"] and path in key["description"]
        documented = {(int(s), c) for s, c, _ in error_examples(op)}
        assert {(422, "idempotency_key_reused"), (400, "invalid_idempotency_key"),
                (409, "retry_later")} <= documented, path
    others = [(m, p) for m, p, o in operations() if (m, p) not in SUBMISSIONS
              and any(resolve(x)["name"] == "Idempotency-Key" for x in o.get("parameters", []))]
    assert others == [], "only the two submissions implement Idempotency-Key"


# --- errors ----------------------------------------------------------------------------------
def test_every_operation_that_reads_input_documents_a_4xx_with_the_shared_error_schema():
    # GET /v1/procedures and GET /v1/openapi.json take no token, no parameter and no body, so
    # the application cannot answer them with a 4xx; they are the only ones allowed to skip it,
    # and they still document the framework's 415 and the shared 500.
    inputless = set()
    for method, path, op in operations():
        error_4xx = [s for s, r in op["responses"].items() if s.startswith("4")
                     and resolve(r).get("content", {}).get("application/json", {})
                     .get("schema") == {"$ref": ERROR_REF}]
        reads_input = (op.get("security", DOC["security"]) or op.get("parameters")
                       or DOC["paths"][path].get("parameters") or op.get("requestBody"))
        if reads_input:
            assert error_4xx, f"{method} {path} documents no 4xx with the Error schema"
        else:
            inputless.add((method, path))
        assert "415" in op["responses"] and "500" in op["responses"], (method, path)
    assert inputless == {("GET", "/v1/procedures"), ("GET", "/v1/openapi.json")}


def test_every_error_code_the_code_raises_is_documented_under_each_status_and_no_other():
    # Pairs, not codes: one code may be raised under several statuses (`signer_limit_reached`
    # is 409 for a certificate over the unit's limit, 422 for a TK01 form listing too many
    # signers); each (status, code) raised must be documented, and nothing else.
    raised = raised_error_codes()
    documented = documented_error_codes()
    assert {(409, "signer_limit_reached"), (422, "signer_limit_reached")} <= raised
    reachable = {(s, c) for s, c in raised if c not in INTERNAL_CODES}
    assert reachable - documented == set(), "raised but not documented"
    assert documented - raised - {(500, "internal_error")} == set(), \
        "documented but never raised"


def test_every_error_example_is_a_valid_error_body_with_a_vietnamese_message():
    seen = 0
    for method, path, op in operations():
        for status, code, body in error_examples(op):
            assert 400 <= int(status) < 600
            assert is_valid("Error", body), (method, path, code)
            assert re.search(r"[^\x00-\x7f]", body["error"]["message"]), (method, path, code)
            code_refs = resolve(op["responses"][status])["description"]
            assert f"`{code}`" in code_refs, f"{method} {path} {status} does not describe {code}"
            seen += 1
    assert seen > 50
    assert not is_valid("Error", {"error": {"code": "x", "message": "m"}})  # field is required
    assert not is_valid("Error", {"message": "Not found"})


def messages_the_code_writes() -> list[re.Pattern]:
    """The texts app.py and chalicelib/ can write: string literals as they are, and f-strings
    with Vietnamese text of their own, each placeholder as `.+`."""
    found = []
    for source in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(re.escape(node.value))
            elif isinstance(node, ast.JoinedStr):
                literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if re.search(r"[^\x00-\x7f]", literal):
                    found.append("".join(re.escape(v.value) if isinstance(v, ast.Constant)
                                         else ".+" for v in node.values))
    return [re.compile(p, re.S) for p in found]


def test_every_error_example_has_a_message_the_code_actually_writes():
    written = messages_the_code_writes()
    for method, path, op in operations():
        for status, code, body in error_examples(op):
            message = body["error"]["message"]
            assert any(p.fullmatch(message) for p in written), (method, path, status, code)
    assert not any(p.fullmatch("Không tìm thấy hồ sơ liên quan.") for p in written)


# --- the submission schema against voucher.py ----------------------------------------------
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
            _parse(copy.deepcopy(body["content"]), submitted[code])
    kinds = {examples[p.code]["value"]["content"]["voucher"]["payment_kind"]
             for p in PAYMENT_PROCEDURES}
    assert {"payment", "advance_settlement", "oda_recording"} <= kinds  # shows the new kinds
    changes = specimens.parse_specimens(
        copy.deepcopy(examples["signature_specimens"]["value"]["content"]["specimens"]))
    assert changes.approve and changes.revoke and changes.open_accounts  # shows every change
    closed = examples["account_closing"]["value"]["content"]
    assert closing.check(copy.deepcopy(closed), "1012345",
                         open_account_repo(closed, "closing")) == {
        "account_id": closed["closing"]["account_id"]}
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


def _set(path: str, value):
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


def _contract(content: dict, value: int = 50_000_000) -> dict:
    content["voucher"]["payment_kind"] = "advance"
    content["voucher"]["contract"] = {"number": "HĐ-01/2026", "date": "2026-01-05",
                                      "value": value}
    return content


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


RELATED = "01JKXB2M4N6P8Q0R2S4T6V8W0Y"


def _related(kind: str):
    """A voucher of a kind that names an earlier dossier of the unit."""
    def apply(content: dict) -> dict:
        content["voucher"]["payment_kind"] = kind
        content["voucher"]["related_dossier"] = RELATED
        return content
    return apply


def _document(kind: str, name: str = "bang-ke-chung-tu.pdf") -> dict:
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
    blocks = {"project": copy.deepcopy(PROJECT), "funding": copy.deepcopy(FUNDING)}
    content = sample_content(number, procedure=proc.code, payment_kind=kind, documents=[
        _document(k, f"{k}.pdf") for k in components.kinds(proc)],
        **{b: blocks[b] for b in proc.voucher_blocks})
    if catalogue.PAYMENT_KINDS[kind].needs_contract:
        _contract(content)
    if catalogue.PAYMENT_KINDS[kind].relates_to:
        content["voucher"]["related_dossier"] = RELATED
    return content


def _parse(content: dict,
           proc: catalogue.ProcedureVersion = catalogue.REGULAR_SPENDING_PAYMENT_347) -> None:
    """The server's own validation of what the schema covers (no directory or bucket lookups)."""
    voucher.parse_voucher(content.get("voucher"), proc.payment_kinds, blocks=proc.voucher_blocks)
    voucher.parse_documents(content.get("documents"), components.kinds(proc))


def _accepted(content: dict, proc: catalogue.ProcedureVersion) -> bool:
    try:
        _parse(copy.deepcopy(content), proc)
    except InvalidField:
        return False
    return True


def payment_sample(number: str) -> dict:
    """The demo sample with a manifest of one file (a payee list)."""
    return sample_content(number, documents=[_document("payee_list")])


REJECTED = {
    "unit code of 6 digits": _set("voucher.payer.unit_code", "101234"),
    "unit code with a letter": _set("voucher.payer.unit_code", "101234A"),
    "chapter of 2 digits": _set("voucher.payer.chapter_code", "42"),
    "economic code of 5 digits": _set("voucher.lines.0.economic_code", "65510"),
    "sector code of 2 digits": _set("voucher.lines.0.sector_code", "72"),
    "source code of 3 digits": _set("voucher.lines.0.source_code", "130"),
    "account with a space": _set("voucher.payer.account", "9523 1"),
    "zero amount": _set("voucher.lines.0.amount", 0),
    "negative amount": _set("voucher.lines.0.amount", -5),
    "amount of 10^15": _set("voucher.total", 10**15),
    "amount as a string": _set("voucher.total", "12500000"),
    "amount as a boolean": _set("voucher.lines.1.amount", True),
    "missing total": _set("voucher.total", ...),
    "unknown estimate type": _set("voucher.estimate_type", "final"),
    "unknown payment kind": _set("voucher.payment_kind", "grant"),
    "a payment kind of another procedure": _set("voucher.payment_kind", "oda_recording"),
    "unknown method": _set("voucher.method", "cheque"),
    "budget year 1999": _set("voucher.budget_year", 1999),
    "voucher number of 31 characters": _set("voucher.number", "N" * 31),
    "blank voucher number": _set("voucher.number", "   "),
    "no lines": _set("voucher.lines", []),
    "201 lines": _lines(201),
    "blank line content": _set("voucher.lines.0.content", " "),
    "missing payer": _set("voucher.payer", ...),
    "transfer without payee account": _set("voucher.payee.account", ...),
    "transfer with blank bank": _set("voucher.payee.bank", ""),
    "tax code of 9 digits": _set("voucher.payee.tax_code", "010123456"),
    "advance without contract": _set("voucher.payment_kind", "advance"),
    "contract without date": lambda c: _set("voucher.contract.date", ...)(_contract(c)),
    "contract date not YYYY-MM-DD": lambda c: _set("voucher.contract.date", "5/1/2026")(
        _contract(c)),
    "advance settlement without related dossier": _set("voucher.payment_kind",
                                                       "advance_settlement"),
    "adjustment without related dossier": _set("voucher.payment_kind", "adjustment"),
    "related dossier in lower case": lambda c: _set("voucher.related_dossier", RELATED.lower())(
        _related("advance_settlement")(c)),
    "related dossier of 25 characters": lambda c: _set("voucher.related_dossier", RELATED[:25])(
        _related("adjustment")(c)),
    "related dossier as a number": lambda c: _set("voucher.related_dossier", 1)(
        _related("adjustment")(c)),
    "document name with a slash": _set("documents.0.name", "../etc/passwd"),
    "document name starting with a dot": _set("documents.0.name", ".hidden.pdf"),
    "upper-case sha256": _set("documents.0.sha256", "AB" * 32),
    "document without kind": _set("documents.0.kind", ...),
    "document of a component the procedure does not list": _set("documents.0.kind",
                                                                "donor_notice"),
    "document of an unknown kind": _set("documents.0.kind", "invoice"),
    "51 documents": _set("documents", [_document("other", f"f{i}.pdf") for i in range(51)]),
}

ACCEPTED = {
    "the sample": lambda c: c,
    "largest amount": lambda c: _set("voucher.total", 10**15 - 1)(
        _set("voucher.lines", [dict(c["voucher"]["lines"][0], amount=10**15 - 1)])(c)),
    "200 lines": _lines(200),
    "cash without payee account or bank": _cash,
    "advance with a contract": _contract,
    "advance settlement naming its advance": _related("advance_settlement"),
    "adjustment naming the payment it corrects": _related("adjustment"),
    "refund of funds": _set("voucher.payment_kind", "refund"),
    "13-character tax code": _set("voucher.payee.tax_code", "0101234567-001"),
    "no documents": _set("documents", ...),
    "null documents": _set("documents", None),
    "a document of kind other": _set("documents.0.kind", "other"),
    "50 documents": _set("documents", [_document("other", f"f{i}.pdf") for i in range(50)]),
    "null contract on a payment": _set("voucher.contract", None),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_the_submission_schema_rejects_what_voucher_py_rejects(case):
    content = REJECTED[case](payment_sample("DEMO-R"))
    with pytest.raises(InvalidField):
        _parse(copy.deepcopy(content))
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_the_submission_schema_accepts_what_voucher_py_accepts(case):
    content = ACCEPTED[case](payment_sample("DEMO-OK"))
    _parse(copy.deepcopy(content))
    errors_found = [e.message for e in validator("Submission").iter_errors(submission(content))]
    assert errors_found == [], case


# The project and funding blocks, on a procedure that requires both.
BLOCKS_REJECTED = {
    "no project": _set("voucher.project", ...),
    "null project": _set("voucher.project", None),
    "project not an object": _set("voucher.project", "7012345"),
    "project code of 6 digits": _set("voucher.project.code", "701234"),
    "project code with a letter": _set("voucher.project.code", "701234A"),
    "blank project name": _set("voucher.project.name", "  "),
    "project name of 201 characters": _set("voucher.project.name", "D" * 201),
    "no funding": _set("voucher.funding", ...),
    "funding not an object": _set("voucher.funding", "6543-VN"),
    "funding without lender": _set("voucher.funding.lender", ...),
    "agreement number of 51 characters": _set("voucher.funding.agreement_number", "A" * 51),
    "lower-case currency": _set("voucher.funding.currency", "usd"),
    "currency of 4 letters": _set("voucher.funding.currency", "USDT"),
    "original amount as a number": _set("voucher.funding.original_amount", 48000),
    "original amount with 3 decimals": _set("voucher.funding.original_amount", "48000.125"),
    "original amount with a thousands separator": _set("voucher.funding.original_amount",
                                                       "48,000.00"),
    "original amount of 16 digits": _set("voucher.funding.original_amount", "1" * 16),
    "negative original amount": _set("voucher.funding.original_amount", "-48000"),
}

BLOCKS_ACCEPTED = {
    "the sample": lambda c: c,
    "whole original amount": _set("voucher.funding.original_amount", "48000"),
    "original amount of 15 digits and 2 decimals": _set("voucher.funding.original_amount",
                                                        "9" * 15 + ".99"),
    "agreement number of 50 characters": _set("voucher.funding.agreement_number", "A" * 50),
    "project name of 200 characters": _set("voucher.project.name", "D" * 200),
}


@pytest.mark.parametrize("case", sorted(BLOCKS_REJECTED))
def test_the_submission_schema_rejects_the_blocks_voucher_py_rejects(case):
    proc = catalogue.FOREIGN_CAPITAL_SPENDING
    assert set(proc.voucher_blocks) == {"project", "funding"}
    content = BLOCKS_REJECTED[case](procedure_sample(proc))
    with pytest.raises(InvalidField):
        _parse(copy.deepcopy(content), proc)
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(BLOCKS_ACCEPTED))
def test_the_submission_schema_accepts_the_blocks_voucher_py_accepts(case):
    proc = catalogue.FOREIGN_CAPITAL_SPENDING
    content = BLOCKS_ACCEPTED[case](procedure_sample(proc))
    _parse(copy.deepcopy(content), proc)
    assert [e.message for e in validator("Submission").iter_errors(submission(content))] == []


@pytest.mark.parametrize("proc", PAYMENT_PROCEDURES, ids=lambda p: f"{p.code}-{p.version}")
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
        agree(_set("documents", [_document(kind)])(procedure_sample(proc)),
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
            content = {**contents[proc.code], "documents": [_document(kind)]}
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


# --- the change of signature specimens against specimens.py --------------------------------------
FP_NEW, FP_OLD = "ab" * 32, "cd" * 32


def specimens_content() -> dict:
    return {"procedure": "signature_specimens", "specimens": {
        "approve": [FP_NEW], "revoke": [{"fingerprint": FP_OLD, "reason": "Mất thiết bị ký số."}],
        "open_accounts": [{"account_id": "3713.1.1012345", "kind": "deposit"}]}}


def _fingerprints(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


SPECIMENS_REJECTED = {
    "no specimens": _set("specimens", ...),
    "specimens not an object": _set("specimens", [FP_NEW]),
    "no change at all": _set("specimens", {}),
    "only empty lists": _set("specimens", {"approve": [], "revoke": [], "open_accounts": []}),
    "null approve": _set("specimens.approve", None),
    "approve not a list": _set("specimens.approve", FP_NEW),
    "21 approvals": _set("specimens.approve", _fingerprints(21)),
    "upper-case fingerprint": _set("specimens.approve.0", "AB" * 32),
    "fingerprint of 63 digits": _set("specimens.approve.0", "a" * 63),
    "fingerprint as a number": _set("specimens.approve.0", 1),
    "a certificate approved twice": _set("specimens.approve", [FP_NEW, FP_NEW]),
    "revocation that is not an object": _set("specimens.revoke.0", FP_OLD),
    "revocation without fingerprint": _set("specimens.revoke.0.fingerprint", ...),
    "revocation with an upper-case fingerprint": _set("specimens.revoke.0.fingerprint",
                                                      "CD" * 32),
    "revocation without reason": _set("specimens.revoke.0.reason", ...),
    "blank reason": _set("specimens.revoke.0.reason", "   "),
    "reason of 501 characters": _set("specimens.revoke.0.reason", "l" * 501),
    "reason as a number": _set("specimens.revoke.0.reason", 5),
    "21 revocations": _set("specimens.revoke", [{"fingerprint": fp, "reason": "x"}
                                                for fp in _fingerprints(21)]),
    "account that is not an object": _set("specimens.open_accounts.0", "3713.1.1012345"),
    "account id with a space": _set("specimens.open_accounts.0.account_id", "3713 1"),
    "account id of 3 characters": _set("specimens.open_accounts.0.account_id", "371"),
    "missing account id": _set("specimens.open_accounts.0.account_id", ...),
    "unknown account kind": _set("specimens.open_accounts.0.kind", "savings"),
    "missing account kind": _set("specimens.open_accounts.0.kind", ...),
    "21 accounts": _set("specimens.open_accounts", [{"account_id": f"3713.{i}", "kind": "deposit"}
                                                    for i in range(21)]),
}

SPECIMENS_ACCEPTED = {
    "the sample": lambda c: c,
    "an approval only": _set("specimens", {"approve": [FP_NEW]}),
    "a revocation only": _set("specimens", {"revoke": [{"fingerprint": FP_OLD, "reason": "x"}]}),
    "an account only": _set("specimens", {"open_accounts": [{"account_id": "3713.1.1012345",
                                                             "kind": "estimate"}]}),
    "empty lists beside a change": _set("specimens", {"approve": [], "revoke": [],
                                                      "open_accounts": [{"account_id": "3713.1",
                                                                         "kind": "deposit"}]}),
    "20 approvals": _set("specimens.approve", _fingerprints(20)),
    "20 accounts": _set("specimens.open_accounts", [{"account_id": f"3713.{i}", "kind": "deposit"}
                                                    for i in range(20)]),
    "reason of 500 characters": _set("specimens.revoke.0.reason", "l" * 500),
    "reason with surrounding spaces": _set("specimens.revoke.0.reason", "  Hết hạn.  "),
}

# What specimens.py refuses but a JSON Schema cannot say: the description names the code instead.
SPECIMENS_DESCRIBED = {
    "duplicate_certificate": _set("specimens.revoke.0.fingerprint", FP_NEW),
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


# --- the account closing against closing.py -----------------------------------------------------
CLOSING_ACCOUNT = "3713.1.1012345"


def closing_content() -> dict:
    return {"procedure": "account_closing",
            "closing": {"account_id": CLOSING_ACCOUNT, "reason": "Kết thúc dự án."}}


def open_account_repo(content: dict, block: str) -> MemoryRepository:
    """What closing.check and reconciliation.check read: the account the content names (if it
    names one at all) is an open one of unit 1012345."""
    named = (content.get(block) or {}).get("account_id") if isinstance(content.get(block), dict) \
        else None
    return a_repo(*([an_account(named)] if isinstance(named, str) else []))


CLOSING_REJECTED = {
    "no closing": _set("closing", ...),
    "null closing": _set("closing", None),
    "closing not an object": _set("closing", CLOSING_ACCOUNT),
    "missing account id": _set("closing.account_id", ...),
    "account id with a space": _set("closing.account_id", "3713 1"),
    "account id of 3 characters": _set("closing.account_id", "371"),
    "account id of 41 characters": _set("closing.account_id", "3" * 41),
    "account id as a number": _set("closing.account_id", 3713),
    "missing reason": _set("closing.reason", ...),
    "null reason": _set("closing.reason", None),
    "blank reason": _set("closing.reason", "   "),
    "reason of 501 characters": _set("closing.reason", "l" * 501),
    "reason as a number": _set("closing.reason", 5),
}

CLOSING_ACCEPTED = {
    "the sample": lambda c: c,
    "account id of 4 characters": _set("closing.account_id", "3713"),
    "account id of 40 characters": _set("closing.account_id", "3" * 40),
    "reason of 500 characters": _set("closing.reason", "l" * 500),
    "reason with surrounding spaces": _set("closing.reason", "  Hết nhu cầu sử dụng.  "),
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
                      open_account_repo(content, "closing"))
    assert refused.value.code in {"required", "invalid_format", "reason_required"}
    assert not is_valid("Submission", _closing_body(content)), case


@pytest.mark.parametrize("case", sorted(CLOSING_ACCEPTED))
def test_the_closing_schema_accepts_what_closing_py_accepts(case):
    content = CLOSING_ACCEPTED[case](closing_content())
    facts = closing.check(copy.deepcopy(content), "1012345",
                      open_account_repo(content, "closing"))
    assert facts == {"account_id": content["closing"]["account_id"]}
    found = [e.message for e in validator("Submission").iter_errors(_closing_body(content))]
    assert found == [], case


@pytest.mark.parametrize("case", sorted(CLOSING_DESCRIBED))
def test_the_closing_rules_beyond_the_schema_are_described_and_documented(case):
    content = closing_content()
    assert is_valid("Submission", _closing_body(content))
    with pytest.raises(errors.DomainError) as refused:
        closing.check(content, "1012345", a_repo(*CLOSING_DESCRIBED[case]))
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


# --- the balance reconciliation against reconciliation.py --------------------------------------
TODAY = date(2026, 11, 23)   # reconciliation.check's `today`, in Asia/Ho_Chi_Minh


def reconciliation_content() -> dict:
    return {"procedure": "balance_reconciliation", "reconciliation": {
        "account_id": "9523.1.1012345", "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "book_balance": 1_487_500_000}}


RECONCILIATION_REJECTED = {
    "no reconciliation": _set("reconciliation", ...),
    "null reconciliation": _set("reconciliation", None),
    "reconciliation not an object": _set("reconciliation", "9523.1.1012345"),
    "missing account id": _set("reconciliation.account_id", ...),
    "account id with a space": _set("reconciliation.account_id", "9523 1"),
    "account id of 41 characters": _set("reconciliation.account_id", "9" * 41),
    "account id as a number": _set("reconciliation.account_id", 9523),
    "no period": _set("reconciliation.period", ...),
    "period not an object": _set("reconciliation.period", "2026-10"),
    "missing start": _set("reconciliation.period.from", ...),
    "end not YYYY-MM-DD": _set("reconciliation.period.to", "31/10/2026"),
    "end as a number": _set("reconciliation.period.to", 20261031),
    "missing book balance": _set("reconciliation.book_balance", ...),
    "negative book balance": _set("reconciliation.book_balance", -1),
    "book balance of 10^15": _set("reconciliation.book_balance", 10**15),
    "book balance as a string": _set("reconciliation.book_balance", "0"),
    "book balance as a boolean": _set("reconciliation.book_balance", False),
    "fractional book balance": _set("reconciliation.book_balance", 0.5),
}

RECONCILIATION_ACCEPTED = {
    "the sample": lambda c: c,
    "zero book balance": _set("reconciliation.book_balance", 0),
    "largest book balance": _set("reconciliation.book_balance", 10**15 - 1),
    "a period of one day": _set("reconciliation.period", {"from": "2026-10-31",
                                                          "to": "2026-10-31"}),
    "account id of 4 characters": _set("reconciliation.account_id", "9523"),
}

# What reconciliation.py refuses but a JSON Schema cannot say (an order of dates, today, the
# registry): the ReconciliationRequest description names the code, the two routes document it.
RECONCILIATION_DESCRIBED = {
    "invalid_period": (_set("reconciliation.period.from", "2026-11-01"),
                       (an_account("9523.1.1012345"),)),
    "invalid_period ending after today": (_set("reconciliation.period.to", "2026-11-24"),
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
    codes = (codes_raised_in(related, "problem") | codes_raised_in(reconciliation, "check")
             | codes_raised_in(documents, "check_manifest"))
    assert {"over_advance", "invalid_period", "document_not_uploaded",
            "document_required"} <= codes
    for path in ("/v1/dossiers", "/v1/dossiers/{dossier_id}/supplement"):
        op = DOC["paths"][path]["post"]
        documented = {c for s, c, _ in error_examples(op) if s == "422"}
        assert codes - documented == set(), path
        assert all(f"`{c}`" in resolve(op["responses"]["422"])["description"] for c in codes)


# --- the TK01 registration against registration.py ---------------------------------------------
def registration_form(unit_id: str = "1056789") -> dict:
    return {"content": tk01(unit_id), "signatures": [copy.deepcopy(DUMMY_SIGNATURES[1])]}


def _users(n: int, role: str = "unit_accountant"):
    """`n` users in all: the signing account holder first, then `n - 1` of `role`."""
    def apply(content: dict) -> dict:
        users = content["registration"]["users"]
        content["registration"]["users"] = users[:1] + [
            {**users[2], "username": f"nv{i:02d}.thcg", "role": role} for i in range(n - 1)]
        return content
    return apply


def _accounts(n: int):
    def apply(content: dict) -> dict:
        account = content["registration"]["accounts"][0]
        content["registration"]["accounts"] = [
            {**account, "account_id": f"{account['account_id']}.{i}"} for i in range(n)]
        return content
    return apply


REGISTRATION_REJECTED = {
    "no unit": _set("registration.unit", ...),
    "unit id of 6 digits": _set("registration.unit.unit_id", "105678"),
    "unit id with a letter": _set("registration.unit.unit_id", "105678A"),
    "blank unit name": _set("registration.unit.name", "  "),
    "unit name of 201 characters": _set("registration.unit.name", "T" * 201),
    "office with a space": _set("registration.unit.office_id", "KV 1"),
    "office of 33 characters": _set("registration.unit.office_id", "K" * 33),
    "chapter of 4 digits": _set("registration.unit.chapter_code", "6222"),
    "unit e-mail without a domain": _set("registration.unit.email", "ketoan@thcg"),
    "missing unit e-mail": _set("registration.unit.email", ...),
    "mandatory as a string": _set("registration.unit.mandatory", "yes"),
    "no users": _set("registration.users", []),
    "users not a list": _set("registration.users", {"chutk.thcg": "account_holder"}),
    "21 users": _users(21),
    "a user that is not an object": _set("registration.users.1", "ktt.thcg"),
    "unknown role": _set("registration.users.2.role", "director"),
    "leader role": _set("registration.users.2.role", "leader"),
    "upper-case username": _set("registration.users.2.username", "KeToan.thcg"),
    "username of 2 characters": _set("registration.users.2.username", "kt"),
    "username starting with a dot": _set("registration.users.2.username", ".ketoan"),
    "blank full name": _set("registration.users.1.full_name", ""),
    "missing user e-mail": _set("registration.users.1.email", ...),
    "user e-mail with a space": _set("registration.users.1.email", "ktt @thcg.example.vn"),
    "4 chief accountants": _users(5, "chief_accountant"),
    "5 account holders": _users(5, "account_holder"),
    "no account holder at all": _set("registration.users.0.role", "unit_accountant"),
    "no accounts": _set("registration.accounts", []),
    "11 accounts": _accounts(11),
    "unknown account kind": _set("registration.accounts.0.kind", "savings"),
    "account id with a space": _set("registration.accounts.0.account_id", "9523 1"),
    "missing account id": _set("registration.accounts.0.account_id", ...),
    "negative opening balance": _set("registration.accounts.0.opening_balance", -1),
    "opening balance of 10^15": _set("registration.accounts.0.opening_balance", 10**15),
    "opening balance as a string": _set("registration.accounts.0.opening_balance", "0"),
    "opening balance as a boolean": _set("registration.accounts.0.opening_balance", False),
    "fractional opening balance": _set("registration.accounts.0.opening_balance", 0.5),
    "missing signed_by": _set("registration.signed_by", ...),
    "upper-case signed_by": _set("registration.signed_by", "ChuTK.thcg"),
}

REGISTRATION_ACCEPTED = {
    "the sample": lambda c: c,
    "mandatory omitted": _set("registration.unit.mandatory", ...),
    "not mandatory": _set("registration.unit.mandatory", False),
    "opening balance omitted": _set("registration.accounts.0.opening_balance", ...),
    "zero opening balance": _set("registration.accounts.0.opening_balance", 0),
    "largest opening balance": _set("registration.accounts.0.opening_balance", 10**15 - 1),
    "a deposit account": _set("registration.accounts.0.kind", "deposit"),
    "20 users": _users(20),
    "3 chief accountants": _users(4, "chief_accountant"),
    "4 account holders": _users(4, "account_holder"),
    "the unit's software as a user": _set("registration.users.2.role", "unit_software"),
    "10 accounts": _accounts(10),
    "username of 64 characters": _set("registration.users.2.username", "k" * 64),
}

# What the server refuses but a JSON Schema cannot say: the description names the code instead.
REGISTRATION_DESCRIBED = {
    "duplicate_username": _set("registration.users.2.username", "ktt.thcg"),
    "duplicate_account": lambda c: _set("registration.accounts", [
        *c["registration"]["accounts"], {**c["registration"]["accounts"][0], "kind": "deposit"}])(c),
    "signer_not_account_holder": _set("registration.signed_by", "ktt.thcg"),
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


# --- the catalogue -----------------------------------------------------------------------------
def test_decision_values_per_procedure_and_step_come_from_the_catalogue():
    # Step names are per procedure: `review` offers request_supplement for a payment, not for
    # TK01. The request carries no procedure, so its schema takes the union of the decisions,
    # which only works while a decision name needs a reason everywhere or nowhere.
    schema = DOC["components"]["schemas"]["DecisionRequest"]
    office_decisions = [(proc.code, s.name, d) for proc in catalogue.CATALOGUE
                        for s in proc.steps if s.scope == "office" and not s.is_system
                        for d in s.decisions]
    by_procedure: dict = {}
    for code, step, d in office_decisions:   # versions of one procedure share their decisions
        names = by_procedure.setdefault(code, {}).setdefault(step, [])
        if d.name not in names:
            names.append(d.name)
    assert schema["x-decisions-by-procedure"] == by_procedure
    assert set(schema["properties"]["decision"]["enum"]) == {d.name for _, _, d in office_decisions}
    needs_reason = {d.name for _, _, d in office_decisions if d.needs_reason}
    assert needs_reason.isdisjoint({d.name for _, _, d in office_decisions if not d.needs_reason})
    (rule,) = schema["allOf"]
    assert set(rule["if"]["properties"]["decision"]["enum"]) == needs_reason
    for code, steps in by_procedure.items():
        for step, names in steps.items():
            line = next(x for x in schema["description"].splitlines()
                        if x.startswith(f"- `{code}`") and f"`{step}`" in x)
            assert all(f"`{n}`" in line for n in names), (code, step)


def test_the_decision_schema_requires_a_reason_exactly_where_the_catalogue_does():
    assert is_valid("DecisionRequest", {"decision": "accept"})
    assert is_valid("DecisionRequest", {"decision": "approve", "reason": None})
    assert is_valid("DecisionRequest", {"decision": "refuse", "reason": "Sai dự toán."})
    assert not is_valid("DecisionRequest", {"decision": "refuse"})
    assert not is_valid("DecisionRequest", {"decision": "send_back", "reason": "   "})
    assert not is_valid("DecisionRequest", {"decision": "resubmit"})
    assert not is_valid("DecisionRequest", {"decision": "accept", "reason": "x" * 2001})


def test_enumerations_follow_the_catalogue():
    schemas = DOC["components"]["schemas"]
    procs = catalogue.CATALOGUE
    # Each kind of content has its schema and its route; a new kind needs both documented.
    content_schemas = {"payment": "SubmissionContent", "service_registration": "RegistrationContent",
                       "signature_specimens": "SpecimensContent",
                       "account_closing": "ClosingContent",
                       "balance_reconciliation": "ReconciliationContent"}
    assert {p.content_kind for p in procs} <= set(content_schemas)
    submitted = schemas["Submission"]["properties"]["content"]["oneOf"]
    assert {c["$ref"].rsplit("/", 1)[1] for c in submitted} == {
        content_schemas[p.content_kind] for p in procs if not p.without_login}
    for kind, name in content_schemas.items():
        assert set(schemas[name]["properties"]["procedure"]["enum"]) == {
            p.code for p in procs if p.content_kind == kind}, name
    assert set(schemas["RegistrationContent"]["properties"]["procedure"]["enum"]) == {
        p.code for p in procs if p.without_login}
    detail_content = schemas["DossierDetail"]["allOf"][1]["properties"]["content"]["oneOf"]
    assert {c["$ref"].rsplit("/", 1)[1] for c in detail_content} == set(content_schemas.values())
    assert set(schemas["DossierResult"]["properties"]["outcome"]["enum"]) == catalogue.END_STATUSES
    kinds = {k for p in procs for k in p.payment_kinds}
    assert kinds == set(catalogue.PAYMENT_KINDS)
    assert set(schemas["Voucher"]["properties"]["payment_kind"]["enum"]) == kinds
    assert set(schemas["DossierSummary"]["properties"]["payment_kind"]["enum"]) == kinds | {None}
    kind = schemas["PaymentKind"]["properties"]
    assert set(kind["code"]["enum"]) == set(kind["relates_to"]["items"]["enum"]) == kinds
    related = {k.code for k in catalogue.PAYMENT_KINDS.values() if k.relates_to}
    (rule,) = [r for r in schemas["Voucher"]["allOf"]
               if r["then"].get("required") == ["related_dossier"]]
    assert set(rule["if"]["properties"]["payment_kind"]["enum"]) == related
    component_kinds = {c.kind for p in procs for c in p.components}
    assert set(schemas["Component"]["properties"]["kind"]["enum"]) == component_kinds
    assert set(schemas["Component"]["properties"]["required"]["enum"]) == {
        c.required for p in procs for c in p.components}
    assert set(schemas["Component"]["properties"]["reference"]["items"]["enum"]) == {
        r for p in procs for c in p.components for r in c.reference}
    document_kinds = component_kinds | {components.OTHER}
    assert set(schemas["Document"]["properties"]["kind"]["enum"]) == document_kinds
    assert set(schemas["DossierDocument"]["properties"]["kind"]["enum"]) == document_kinds
    assert set(schemas["Procedure"]["properties"]["voucher_blocks"]["items"]["enum"]) == {
        b for p in procs for b in p.voucher_blocks}
    assert set(schemas["StepName"]["enum"]) == {s.name for p in procs for s in p.steps}
    statuses = {s.waiting_status for p in procs for s in p.steps} | catalogue.END_STATUSES
    assert set(schemas["DossierStatus"]["enum"]) == statuses


# --- the policy table and the certificate rules ------------------------------------------------
def test_the_description_names_every_role_of_the_policy_table():
    for role in policy.ROLES:
        assert f"`{role}`" in DOC["info"]["description"], role
        assert role in DOC["components"]["schemas"]["Me"]["properties"]["roles"]["description"]
    assert "role_not_allowed" in DOC["info"]["description"]


def test_every_route_behind_the_policy_table_documents_role_not_allowed():
    # GET /v1/me only echoes the token, so no role can be refused there.
    for method, path, op in operations():
        if (method, path) in PUBLIC | {("GET", "/v1/me")}:
            continue
        documented = {(s, c) for s, c, _ in error_examples(op)}
        assert ("403", "role_not_allowed") in documented, (method, path)


def test_the_certificate_schemas_follow_certificates_py():
    schemas = DOC["components"]["schemas"]
    registration = schemas["CertificateRegistration"]
    assert set(registration["properties"]["title"]["enum"]) == set(policy.SIGNING_TITLES)
    assert set(schemas["Certificate"]["properties"]["title"]["enum"]) == set(policy.SIGNING_TITLES)
    challenge = certificates.registration_challenge("ab" * 32, "sub-1")
    proof = registration["properties"]["proof"]["description"]
    assert all(f'"{key}"' in proof for key in challenge) and challenge["purpose"] in proof
    statuses = set(schemas["Certificate"]["properties"]["status"]["enum"])
    assert statuses == {"pending", "active", "revoked"}
    assert set(schemas["SignatureCheckEntry"]["properties"]["status_now"]["enum"]) == \
        statuses | {"unregistered", "unverifiable"}
    reason = schemas["RevocationRequest"]["properties"]["reason"]
    assert reason["maxLength"] == certificates.MAX_REASON
    assert resolve(schemas["Certificate"]["properties"]["fingerprint"])["pattern"] == \
        f"^{certificates.FINGERPRINT.pattern}$"
    limits = DOC["paths"]["/v1/certificates"]["post"]["description"]
    for title, limit in certificates.UNIT_TITLE_LIMITS.items():
        assert re.search(rf"{limit} {title.replace('_', ' ')}s", limits), title


class _Verifier:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def verify(self, token: str) -> Principal:
        return self.principal


@pytest.mark.parametrize("roles", [frozenset(), frozenset({policy.UNIT_SOFTWARE})],
                         ids=["no role", "unit_software"])
def test_a_role_the_policy_refuses_gets_the_documented_403_before_any_lookup(monkeypatch, roles):
    from chalice.test import Client
    caller = Principal("s-9", "caller", roles, "1012345" if roles else None, None)
    # No repository at all: a route that looked anything up before asking the policy would 500.
    monkeypatch.setattr(composition, "services", lambda: no_adapters(_Verifier(caller)))
    refused_for_software = {("POST", "/v1/certificates"), ("GET", "/v1/certificates"),
                            ("POST", "/v1/certificates/{fingerprint}/revoke"),
                            ("POST", "/v1/tasks/{task_id}/decision")}
    with Client(app_module.app) as client:
        for method, path, op in operations():
            if (method, path) in PUBLIC | {("GET", "/v1/me")}:
                continue
            if roles and (method, path) not in refused_for_software:
                continue
            call = getattr(client.http, method.lower())
            url, headers = re.sub(r"{\w+}", "X1", path), {"Authorization": "Bearer t"}
            response = call(url, body=b"{}", headers=headers) if method == "POST" \
                else call(url, headers=headers)
            body = json.loads(response.body)
            assert (response.status_code, body["error"]["code"]) == (403, "role_not_allowed"), \
                (method, path, body)
            assert ("403", "role_not_allowed") in {(s, c) for s, c, _ in error_examples(op)}


# --- responses against what the code returns --------------------------------------------------
def response_schema(method: str, path: str, status: str) -> str:
    op = DOC["paths"][path][method.lower()]
    ref = resolve(op["responses"][status])["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def test_the_procedures_route_returns_what_its_schema_describes():
    from chalice.test import Client
    with Client(app_module.app) as client:
        response = client.http.get("/v1/procedures")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert len(body["items"]) == len(catalogue.CATALOGUE)
    assert is_valid(response_schema("GET", "/v1/procedures", "200"), body)
    procedure = DOC["components"]["schemas"]["Procedure"]
    schemas = DOC["components"]["schemas"]
    for item in body["items"]:  # every field the catalogue publishes, and no other
        assert set(procedure["required"]) == set(procedure["properties"]) == set(item)
        for key, name in (("payment_kinds", "PaymentKind"), ("components", "Component"),
                          ("steps", "ProcedureStep")):
            for part in item[key]:
                assert set(schemas[name]["required"]) == set(schemas[name]["properties"]) \
                    == set(part), (item["code"], key)
    assert {c["kind"] for i in body["items"] for c in i["components"]} and \
        {s["working_days"] for i in body["items"] for s in i["steps"]} >= {None, 5}
    titles = procedure["properties"]["required_signers"]["items"]["enum"]
    assert set(titles) == {t for p in catalogue.CATALOGUE for t in p.required_signers}


def test_the_response_schemas_accept_what_the_services_build():
    officer = Principal("s-1", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
    assert is_valid(response_schema("GET", "/v1/me", "200"), officer.public())

    detail = detail_of(a_dossier())
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    paid = a_dossier(status="paid", step=None, result={
        "outcome": "paid", "debit_advice": {"number": "GBN-1", "account_id": "9523.1.1012345",
                                            "amount": 12_500_000,
                                            "posted_at": "2026-03-09T03:00:00Z"}})
    page = {"items": [common.dossier_summary(paid)], "next_cursor": None}
    assert is_valid(response_schema("GET", "/v1/dossiers", "200"), page)
    assert is_valid(response_schema("POST", "/v1/dossiers/{dossier_id}/supplement", "200"),
                    common.dossier_summary(a_dossier(supplements_used=1)))

    task = Task("01JNZ3Q8W5X6Y7Z8A9B0C1D2E3-0123456789abcdef01234567", kind="decision",
                dossier_id="01JNZ3Q8W5X6Y7Z8A9B0C1D2E3", procedure="regular_spending_payment",
                procedure_version="347-2025", step="review", scope="office", scope_id="KV1",
                role="control_officer", state="open", inbox="office#KV1#control_officer#open",
                overdue=False, created_at="2026-03-09T02:15:01Z", due_at="2026-03-10T10:00:00Z")
    view = common.task_view(task)
    assert view["allowed_decisions"] == ["accept", "request_supplement", "refuse"]
    assert is_valid(response_schema("GET", "/v1/tasks", "200"),
                    {"items": [view], "next_cursor": "opaque"})

    first = audit.next_record(audit.GENESIS, 1, dossier_id="01JNZ3Q8W5X6Y7Z8A9B0C1D2E3",
                              at="2026-03-09T02:15:00Z", actor=common.actor(officer),
                              action="submitted", step=None, from_status=None,
                              to_status="under_review", reason=None)
    second = audit.next_record(first["hash"], 2, dossier_id="01JNZ3Q8W5X6Y7Z8A9B0C1D2E3",
                               at="2026-03-09T03:00:00Z", actor=common.SYSTEM_ACTOR,
                               action="posted", step="posting", from_status="posting",
                               to_status="paid", reason=None)
    trail = {"dossier_id": "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3", "records": [first, second],
             "verification": audit.verify_chain([first, second]).public()}
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}/audit", "200"), trail)
    trail["records"][0]["actor"] = {"kind": "robot"}
    assert not is_valid("AuditTrail", trail)


def test_the_certificate_and_signature_schemas_accept_what_the_services_build(tmp_path):
    import signtool
    from devstack.pki import DemoPKI
    pki, now = DemoPKI(tmp_path), clock.now()
    repo = a_repo(ca_pem=pki.ca_pem)
    people = {title: Principal(f"sub-{title}", username, frozenset({title}), "1012345", None)
              for title, username in (("chief_accountant", "ktt.cva"),
                                      ("account_holder", "chutk.cva"))}
    keys, registered = {}, []
    for (title, person), kind in zip(people.items(), ("ec", "rsa"), strict=True):
        key, cert = (path.read_bytes() for path in pki.issue(person.username, key_type=kind))
        keys[title] = key, cert
        fingerprint = certificates.parse(cert.decode(), "certificate").fingerprint
        proof = signtool.sign_content(certificates.registration_challenge(fingerprint, person.sub),
                                      key, cert, title)
        body = {"title": title, "certificate": cert.decode(), "proof": proof["signature"]}
        assert is_valid("CertificateRegistration", body)
        view = certificates.register(person, command(RegisterCertificate, body), repo=repo, now=now)
        assert view["status"] == "pending"  # a unit title's, until a specimens dossier
        assert is_valid(response_schema("POST", "/v1/certificates", "201"), view)
        registered.append(fingerprint)
    listed = certificates.list_for(people["account_holder"], None, repo=repo)
    assert len(listed["items"]) == 2
    assert is_valid(response_schema("GET", "/v1/certificates", "200"), listed)

    body = {"content": sample_content("DEMO-SIG")}
    for title, (key, cert) in keys.items():
        body = signtool.add_signature(body, key, cert, title)
    assert is_valid("Submission", body)
    with pytest.raises(InvalidField) as pending:
        signing.verify_submission(body["content"], body["signatures"],
                                  required=catalogue.REGULAR_SPENDING_PAYMENT_347.required_signers,
                                  unit_id="1012345", repo=repo, now=now)
    assert ("422", pending.value.code) in {
        (s, c) for s, c, _ in error_examples(DOC["paths"]["/v1/dossiers"]["post"])}
    for record in repo.certificates(registered).values():  # what an accepted change of
        assert repo.approve_certificate(record, common.iso(now))  # signature specimens does
    stored = signing.verify_submission(body["content"], body["signatures"],
                                       required=catalogue.REGULAR_SPENDING_PAYMENT_347
                                       .required_signers, unit_id="1012345", repo=repo, now=now)
    dossier = a_dossier(content=body["content"], signatures=stored, received_at=common.iso(now))
    file(repo, dossier)
    detail = stored_detail(repo, dossier.dossier_id)
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)

    revoked = certificates.revoke(people["account_holder"], stored[0]["fingerprint"],
                                  command(RevokeCertificate, {"reason": "Mất thiết bị ký số."}),
                                  repo=repo, now=now)
    assert revoked["status"] == "revoked"
    assert is_valid(response_schema("POST", "/v1/certificates/{fingerprint}/revoke", "200"),
                    revoked)
    check = dossiers.signature_check(people["chief_accountant"], dossier.dossier_id,
                                     repo=repo, now=now)
    assert [(s["signature_valid"], s["chain_valid_at_receipt"], s["status_now"])
            for s in check["signatures"]] == [(True, True, "revoked"), (True, True, "active")]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}/signatures", "200"), check)
    check["signatures"][0]["status_now"] = "suspended"
    assert not is_valid("SignatureCheck", check)
    detail["signatures"][0].pop("signer_sub")
    assert not is_valid("DossierDetail", detail)


def test_the_registration_schemas_accept_what_the_services_build(tmp_path, monkeypatch):
    import signtool
    from devstack.pki import DemoPKI
    pki, now = DemoPKI(tmp_path), clock.now()
    repo = a_repo(ca_pem=pki.ca_pem)
    key, cert = (path.read_bytes() for path in pki.issue("chutk.thcg", key_type="rsa"))
    form = signtool.add_signature({"content": tk01("1056789")}, key, cert, "account_holder")
    assert is_valid("RegistrationSubmission", form)
    workflows = MemoryWorkflows()
    config = SimpleNamespace(state_machine_arn=lambda name: f"arn:{name}", region="r",
                             user_pool_id="p")
    monkeypatch.setattr(registrations.identity, "username_taken", lambda region, pool, name: False)
    status, accepted = registrations.submit(command(Submit, form), "tk01-1056789", repo=repo,
                                            workflows=workflows,
                                            config=config, now=now)
    assert status == 201 and len(workflows.started) == 1
    assert is_valid(response_schema("POST", "/v1/registrations", "201"), accepted)

    dossier = repo.dossier(accepted["dossier_id"])
    summary = common.dossier_summary(dossier)
    assert [summary[k] for k in ("account_id", "amount", "payment_kind", "voucher_number")] == \
        [None] * 4
    assert is_valid(response_schema("GET", "/v1/dossiers", "200"),
                    {"items": [summary], "next_cursor": None})
    detail = stored_detail(repo, dossier.dossier_id)
    assert detail["signatures"][0]["signer_sub"] is None
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    (first,) = repo.audit_records(dossier.dossier_id)
    assert first["actor"]["kind"] == "applicant"
    assert is_valid("AuditRecord", first)

    officer = Principal("s-1", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
    check = dossiers.signature_check(officer, dossier.dossier_id, repo=repo, now=now)
    assert [s["status_now"] for s in check["signatures"]] == ["unregistered"]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}/signatures", "200"), check)

    # The office accepted (the task handler moves the dossier to the activation step), and the
    # worker activates: Cognito is replaced by a function that hands out subs.
    dossier.status, dossier.step = catalogue.ACTIVATING, "activation"
    repo.put(dossier)
    assert is_valid("DossierDetail", stored_detail(repo, dossier.dossier_id))
    monkeypatch.setattr(registrations.identity, "create_unit_user",
                        lambda region, pool, username, *rest: f"sub-{username}")
    registrations.activate({"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo,
                           workflows=workflows, config=config, now=now)
    dossier = repo.dossier(dossier.dossier_id)
    assert (dossier.status, dossier.step, dossier.result["outcome"]) == (
        catalogue.REGISTERED, None, "registered")
    detail = stored_detail(repo, dossier.dossier_id)
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    trail = dossiers.audit_trail(officer, dossier.dossier_id, repo=repo)
    assert [r["seq"] for r in trail["records"]] == [1, 2] and trail["verification"]["intact"]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}/audit", "200"), trail)
    check = dossiers.signature_check(officer, dossier.dossier_id, repo=repo, now=now)
    assert [s["status_now"] for s in check["signatures"]] == ["active"]
    assert is_valid("SignatureCheck", check)
    detail["result"]["users"] = "chutk.thcg"
    assert not is_valid("DossierDetail", detail)
    first["actor"]["kind"] = "anonymous"
    assert not is_valid("AuditRecord", first)


def test_a_tk01_that_the_activation_could_not_complete_is_refused_at_submission(monkeypatch):
    # An existing account or username would fail the activation after the office said yes.
    now = clock.now()
    config = SimpleNamespace(region="r", user_pool_id="p")
    documented = {(int(s), c) for s, c, _ in
                  error_examples(DOC["paths"]["/v1/registrations"]["post"])}
    taken = {"ktt.thcg"}
    monkeypatch.setattr(registrations.identity, "username_taken",
                        lambda region, pool, username: username in taken)
    for code, accounts in (("account_exists", [an_account("9523.1.1056789", kind="estimate")]),
                           ("username_taken", [])):
        repo = a_repo(*accounts)
        with pytest.raises(errors.DomainError) as refused:
            registrations.submit(command(Submit, registration_form()), None, repo=repo, workflows=None,
                                 config=config, now=now)
        assert refused.value.code == code
        assert (refused.value.status, code) in documented
        assert repo.dossiers("unit_id", "1056789", limit=10, cursor=None, status=None,
                             procedure=None).items == []


def test_a_tk01_whose_unit_another_form_registered_meanwhile_ends_refused_as_documented():
    dossier = a_dossier(
        procedure="service_registration", procedure_version="tk01", unit_id="1056789",
        account_id=None, amount=None, payment_kind=None, voucher_number=None,
        status=catalogue.ACTIVATING, step="activation", content=tk01("1056789"))
    repo, now = a_repo(a_unit("1056789", registered_by="01JNZ3Q8W5X6Y7Z8A9B0OTHER0"), dossier), \
        clock.now()
    workflows = MemoryWorkflows()
    decision = registrations.activate(
        {"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo, workflows=workflows,
        config=SimpleNamespace(region="r", user_pool_id="p"), now=now)
    (step,) = [s for s in catalogue.SERVICE_REGISTRATION_TK01.steps if s.name == "activation"]
    (refusal,) = [d for d in step.decisions if d.name == decision]
    assert workflows.outputs[0]["decision"] == decision and refusal.end_status == catalogue.REFUSED
    dossier = repo.dossier(dossier.dossier_id)
    assert (dossier.status, dossier.result["outcome"]) == (catalogue.REFUSED, "refused")
    detail = stored_detail(repo, dossier.dossier_id)
    assert detail["result"]["reason"]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    assert "`refused` with a reason" in DOC["components"]["schemas"]["DecisionRequest"][
        "description"]
    (record,) = repo.audit_records(dossier.dossier_id)
    assert is_valid("AuditRecord", record)


def test_the_specimens_schemas_accept_what_the_services_build(tmp_path):
    import signtool
    from devstack.pki import DemoPKI
    pki, now = DemoPKI(tmp_path), clock.now()
    repo = a_repo(ca_pem=pki.ca_pem)
    people = {title: Principal(f"sub-{title}", username, frozenset({title}), "1012345", None)
              for title, username in (("chief_accountant", "ktt.cva"),
                                      ("account_holder", "chutk.cva"))}
    keys, fingerprints = {}, {}
    for (title, person), kind in zip(people.items(), ("ec", "rsa"), strict=True):
        key, cert = (path.read_bytes() for path in pki.issue(person.username, key_type=kind))
        keys[title] = key, cert
        fingerprints[title] = certificates.parse(cert.decode(), "c").fingerprint
        proof = signtool.sign_content(
            certificates.registration_challenge(fingerprints[title], person.sub), key, cert, title)
        certificates.register(person, command(RegisterCertificate, {
            "title": title, "certificate": cert.decode(), "proof": proof["signature"]}),
            repo=repo, now=now)
    # The account holder's certificate is active (TK01's activation registers it so); the chief
    # accountant's waits for this dossier.
    holder = repo.certificate(fingerprints["account_holder"])
    assert repo.approve_certificate(holder, common.iso(now))
    chief = fingerprints["chief_accountant"]
    content = {"procedure": "signature_specimens", "specimens": {
        "approve": [chief], "open_accounts": [{"account_id": "3713.1.1012345", "kind": "deposit"}]}}
    body = signtool.add_signature({"content": content}, *keys["account_holder"], "account_holder")
    assert [e.message for e in validator("Submission").iter_errors(body)] == []
    proc = catalogue.SIGNATURE_SPECIMENS_347
    stored = signing.verify_submission(body["content"], body["signatures"],
                                       required=proc.required_signers, unit_id="1012345",
                                       repo=repo, now=now)
    specimen_changes.check(content, "1012345", repo)
    documented = {(int(s), c) for s, c, _ in error_examples(DOC["paths"]["/v1/dossiers"]["post"])}
    refusals = {  # what check() refuses at receipt, each documented on POST /v1/dossiers
        "certificate_not_pending": {"approve": [fingerprints["account_holder"]]},
        "certificate_not_revocable": {"revoke": [{"fingerprint": "ef" * 32, "reason": "x"}]},
        "account_exists": {"open_accounts": [{"account_id": "9523.1.1012345", "kind": "estimate"}]},
    }
    repo.put(an_account("9523.1.1012345", kind="estimate"))
    for code, changes in refusals.items():
        with pytest.raises(errors.DomainError) as refused:
            specimen_changes.check({**content, "specimens": changes}, "1012345", repo)
        assert refused.value.code == code
        assert (refused.value.status, code) in documented

    dossier = a_dossier(
        procedure=proc.code, procedure_version=proc.version, account_id=None, amount=None,
        payment_kind=None, voucher_number=None, content=content, signatures=stored)
    file(repo, dossier)
    summary = common.dossier_summary(dossier)
    assert is_valid(response_schema("GET", "/v1/dossiers", "200"),
                    {"items": [summary], "next_cursor": None})
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"),
                    detail_of(dossier))

    # The office accepted: the dossier waits at apply_changes, and the worker applies.
    dossier.status, dossier.step = catalogue.ACTIVATING, "apply_changes"
    repo.put(dossier)
    assert is_valid("DossierDetail", stored_detail(repo, dossier.dossier_id))
    workflows = MemoryWorkflows()
    decision = specimen_changes.apply(
        {"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo, workflows=workflows, now=now)
    (step,) = [s for s in proc.steps if s.name == "apply_changes"]
    assert workflows.outputs[0]["decision"] == decision in {d.name for d in step.decisions}
    dossier = repo.dossier(dossier.dossier_id)
    assert (dossier.status, dossier.step) == (catalogue.REGISTERED, None)
    assert repo.certificate(chief).status == "active"
    assert repo.account_owner("3713.1.1012345") == "1012345"
    detail = stored_detail(repo, dossier.dossier_id)
    assert detail["result"]["approved"] == [chief]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    (record,) = repo.audit_records(dossier.dossier_id)
    assert is_valid("AuditRecord", record)
    listed = certificates.list_for(people["account_holder"], None, repo=repo)
    assert {c["status"] for c in listed["items"]} == {"active"}
    assert is_valid(response_schema("GET", "/v1/certificates", "200"), listed)
    for mutate in (lambda d: d["result"].update(approved=[chief.upper()]),
                   lambda d: d["content"].update(specimens={})):
        broken = copy.deepcopy(detail)
        mutate(broken)
        assert not is_valid("DossierDetail", broken)


def test_the_closing_schemas_accept_what_the_services_build():
    repo, now = a_repo(), clock.now()
    proc = catalogue.ACCOUNT_CLOSING_347
    (step,) = [s for s in proc.steps if s.name == "close_account"]
    ends = {d.name: d.end_status for d in step.decisions}
    holder = Principal("s-2", "chutk.cva", frozenset({"account_holder"}), "1012345", None)
    codes = set()
    for i, (balance, decision) in enumerate(((0, "closed"), (5_000_000, "balance_not_zero"))):
        dossier = a_dossier(
            f"01JNZ3Q8W5X6Y7Z8A9B0C1D2C{i}", procedure=proc.code, procedure_version=proc.version,
            account_id=CLOSING_ACCOUNT, amount=None, payment_kind=None, voucher_number=None,
            content=closing_content())
        summary = common.dossier_summary(dossier)
        assert summary["account_id"] == CLOSING_ACCOUNT
        assert [summary[k] for k in ("amount", "payment_kind", "voucher_number")] == [None] * 3
        assert is_valid(response_schema("GET", "/v1/dossiers", "200"),
                        {"items": [summary], "next_cursor": None})
        dossier.status, dossier.step = catalogue.ACTIVATING, "close_account"
        assert is_valid("DossierDetail", detail_of(dossier))
        file(repo, an_account(CLOSING_ACCOUNT, balance=balance), dossier)
        workflows = MemoryWorkflows()
        assert closing.close(
            {"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo, workflows=workflows,
            now=now) == decision == workflows.outputs[0]["decision"]
        dossier = repo.dossier(dossier.dossier_id)
        assert (dossier.status, dossier.step) == (ends[decision], None)
        detail = stored_detail(repo, dossier.dossier_id)
        assert detail["result"]["account_id"] == CLOSING_ACCOUNT
        assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
        codes.add(detail["result"].get("code"))
        (record,) = repo.audit_records(dossier.dossier_id)
        assert is_valid("AuditRecord", record)
    assert codes == {None, "balance_not_zero"}

    # GET /v1/accounts/{account_id}: open, then closed (what an accepted closing writes).
    for status in (None, "closed"):
        repo.put(an_account(CLOSING_ACCOUNT, balance=5_000_000, status=status))
        view = unit_accounts.account(holder, CLOSING_ACCOUNT, repo=repo)
        assert view["status"] == (status or "open")
        assert is_valid(response_schema("GET", "/v1/accounts/{account_id}", "200"), view)
    assert not is_valid("Account", {**view, "status": "frozen"})
    assert not is_valid("Account", {k: v for k, v in view.items() if k != "status"})

    # A payment from the closed account, then from an open one short of money, ends refused.
    repo.put(an_account("9523.1.1012345", kind="estimate"))
    for i, account_id in enumerate((CLOSING_ACCOUNT, "9523.1.1012345")):
        payment = a_dossier(f"01JNZ3Q8W5X6Y7Z8A9B0C1D2P{i}", account_id=account_id,
                            status=catalogue.POSTING, step="posting")
        file(repo, payment)
        posting.post_payment({"dossier_id": payment.dossier_id, "token": "t"}, repo=repo,
                             workflows=MemoryWorkflows(), now=now)
        assert repo.dossier(payment.dossier_id).status == catalogue.REFUSED
        detail = stored_detail(repo, payment.dossier_id)
        assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
        codes.add(detail["result"]["code"])

    # Posting does what the voucher's kind says. Of an advance of 20 million, 10 are settled and
    # posted: a settlement of 12.5 million no longer fits and ends refused, one of 7 million is
    # recorded with a posting note; a refund of funds is recorded with a credit advice.
    file(repo,
         a_dossier(RELATED, payment_kind="advance", amount=20_000_000, status=catalogue.PAID,
                   step=None),
         a_dossier("01JKXB2M4N6P8Q0R2S4T6V8W0Z", payment_kind="advance_settlement",
                   related_dossier=RELATED, amount=10_000_000, status=catalogue.RECORDED,
                   step=None))
    # What is not refused at once goes to the core ledger and ends with its confirmation: booked
    # (the advice numbered from the ledger's reference), or rejected (here a payment from an
    # account TABMIS has closed) with the ledger's reason.
    (step,) = [s for s in catalogue.REGULAR_SPENDING_PAYMENT_347.steps if s.name == "posting"]
    repo.put(an_account("9523.1.1012345", kind="estimate", balance=50_000_000))
    tabmis = MemoryLedger(repo)
    outcomes = {}
    for i, (kind, amount, related_to) in enumerate((("advance_settlement", 12_500_000, RELATED),
                                                    ("advance_settlement", 7_000_000, RELATED),
                                                    ("payment", 1_000_000, None),
                                                    ("refund", 5_000_000, None))):
        content = sample_content("DEMO-K", amount, payment_kind=kind,
                                 **({"related_dossier": related_to} if related_to else {}))
        dossier = a_dossier(f"01JNZ3Q8W5X6Y7Z8A9B0C1D2E{i}", payment_kind=kind, amount=amount,
                            related_dossier=related_to, content=content,
                            status=catalogue.POSTING, step="posting")
        file(repo, dossier)
        workflows = MemoryWorkflows()
        decision = posting.post_payment({"dossier_id": dossier.dossier_id, "token": "t"},
                                        repo=repo, now=now, workflows=workflows, ledger=tabmis)
        if decision == posting.REQUESTED:
            assert workflows.outputs == []
            assert repo.dossier(dossier.dossier_id).status == catalogue.POSTING
            request = ledger_contract.parse_request(tabmis.sent[-1])
            if kind == "payment":
                answer = ledger_contract.confirmation(
                    request, "rejected", answered_at=common.iso(now), code="account_closed",
                    reason="Tài khoản đã đóng trên TABMIS.")
            else:
                answer = ledger_contract.confirmation(
                    request, "posted", answered_at=common.iso(now), ledger_reference="TB1",
                    posted_at=common.iso(now))
            decision = ledger.on_confirmation(answer, repo=repo, ledger=tabmis,
                                              workflows=workflows, now=now)
            (record,) = repo.audit_records(dossier.dossier_id)
            assert record["action"] == tabmis.audit[-1]["action"]
            assert is_valid("AuditRecord", record)
        assert workflows.outputs[0]["decision"] == decision
        assert step.decision(decision) is not None
        assert repo.dossier(dossier.dossier_id).status == step.decision(decision).end_status
        detail = stored_detail(repo, dossier.dossier_id)
        assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
        outcomes[kind, amount] = detail["result"]
        codes.add(detail["result"].get("code"))
    assert outcomes["advance_settlement", 12_500_000]["code"] == "over_advance"
    assert outcomes["advance_settlement", 7_000_000]["outcome"] == catalogue.RECORDED
    assert outcomes["advance_settlement", 7_000_000]["posting_note"]["amount"] == 7_000_000
    assert outcomes["refund", 5_000_000]["outcome"] == catalogue.RECORDED
    assert outcomes["refund", 5_000_000]["credit_advice"]["amount"] == 5_000_000
    assert outcomes["refund", 5_000_000]["credit_advice"]["ledger_reference"] == "TB1"
    assert outcomes["payment", 1_000_000]["code"] == "ledger_rejected"
    assert outcomes["payment", 1_000_000]["reason"] == "Tài khoản đã đóng trên TABMIS."
    assert repo.account("9523.1.1012345").reserved == 0   # the rejected payment's released
    for advice in ("debit_advice", "credit_advice", "posting_note"):  # one per outcome
        wrong = copy.deepcopy(detail)
        wrong["result"] = {"outcome": "paid", advice: wrong["result"]["credit_advice"]}
        assert is_valid("DossierDetail", wrong) == (advice == "debit_advice"), advice
    documented = DOC["components"]["schemas"]["DossierResult"]["properties"]["code"]["enum"]
    assert codes - {None} == set(documented)
    assert all(f"`{c}`" in DOC["components"]["schemas"]["DossierResult"]["description"]
               for c in documented)
    detail["result"]["code"] = "frozen"
    assert not is_valid("DossierDetail", detail)


def test_the_checklist_schema_accepts_what_the_checks_service_builds():
    officer = Principal("s-1", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
    repo = a_repo(an_account("9523.1.1012345", kind="estimate", balance=1_487_500_000),
                  a_dossier(RELATED, payment_kind="advance", amount=20_000_000,
                            status=catalogue.PAID, step=None))
    schema = response_schema("GET", "/v1/dossiers/{dossier_id}/checks", "200")
    produced = {}
    for case, content in (
            ("payment", sample_content("DEMO-C")),
            ("advance", _contract(sample_content("DEMO-C", 10_000_000))),
            ("settlement", _related("advance_settlement")(sample_content("DEMO-C"))),
            ("reconciliation", reconciliation_content())):
        procedure = "balance_reconciliation" if case == "reconciliation" else \
            "regular_spending_payment"
        dossier = a_dossier(procedure=procedure, content=content)
        file(repo, dossier)
        listed = checks.checklist(officer, dossier.dossier_id, repo=repo)
        assert is_valid(schema, listed), case
        produced[case] = [c["code"] for c in listed["checks"]]
    assert "within_balance" in produced["payment"]   # a debit needs the money to be there
    assert "within_balance" not in produced["settlement"]
    assert "related_dossier" in produced["settlement"]
    assert produced["reconciliation"] == ["book_balance_matches_ledger"]
    documented = DOC["components"]["schemas"]["PaymentCheck"]["properties"]["code"]["enum"]
    assert set(documented) == {c for codes in produced.values() for c in codes}
    description = DOC["paths"]["/v1/dossiers/{dossier_id}/checks"]["get"]["description"]
    assert all(f"`{c}`" in description for c in documented)

    dossier = a_dossier(procedure="account_closing", procedure_version="347-2025",
                        content=closing_content())
    file(repo, dossier)
    with pytest.raises(errors.Conflict) as refused:
        checks.checklist(officer, dossier.dossier_id, repo=repo)
    op = DOC["paths"]["/v1/dossiers/{dossier_id}/checks"]["get"]
    assert (str(refused.value.status), refused.value.code) in {
        (s, c) for s, c, _ in error_examples(op)}


class OfflineDocumentStore(DocumentStore):
    """The real adapter's presigned URLs (signed locally: no request is sent) over files held in
    memory instead of the bucket."""

    def __init__(self) -> None:
        super().__init__("kbnn-documents", "ap-southeast-1")
        self.files: dict[str, StoredFile] = {}

    def stored(self, unit_id, sha256):
        return self.files.get(self.key(unit_id, sha256))


@pytest.fixture
def offline_store(monkeypatch, request) -> OfflineDocumentStore:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    aws.reset()   # a client cached before would sign with other credentials
    request.addfinalizer(aws.reset)
    return OfflineDocumentStore()


def test_the_document_schemas_accept_what_the_documents_service_builds(offline_store):
    unit = Principal("s-2", "ketoan.cva", frozenset({"unit_accountant"}), "1012345", None)
    now = datetime(2026, 3, 9, 2, 15, tzinfo=UTC)
    data = b"bang ke chung tu DEMO-A"
    body = {"name": "bang-ke-chung-tu.pdf", "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data), "content_type": "application/pdf"}
    assert is_valid("DocumentUploadRequest", body)
    status, fresh = documents.start_upload(unit, command(StartUpload, copy.deepcopy(body)),
                                           store=offline_store, now=now)
    assert (status, fresh["stored"], fresh["upload"]["expires_at"]) == (
        201, False, "2026-03-09T02:30:00Z")
    assert is_valid(response_schema("POST", "/v1/documents", "201"), fresh)
    offline_store.files[offline_store.key("1012345", body["sha256"])] = StoredFile(
        len(data), body["sha256"])
    status, known = documents.start_upload(unit, command(StartUpload, copy.deepcopy(body)),
                                           store=offline_store, now=now)
    assert (status, known["stored"], known["upload"]) == (200, True, None)
    assert is_valid(response_schema("POST", "/v1/documents", "200"), known)
    assert not is_valid("DocumentUpload", {**known, "upload": fresh["upload"]})
    assert not is_valid("DocumentUpload", {**fresh, "upload": None})

    documented = {(s, c) for s, c, _ in error_examples(DOC["paths"]["/v1/documents"]["post"])}
    refused = {
        "no sha256": ({k: v for k, v in body.items() if k != "sha256"}, "required", "sha256"),
        "a blank name": ({**body, "name": " "}, "required", "name"),
        "a name that is a number": ({**body, "name": 5}, "invalid_type", "name"),
        "a name of 121 characters": ({**body, "name": "n" * 117 + ".pdf"}, "too_long", "name"),
        "a name with a slash": ({**body, "name": "a/b.pdf"}, "invalid_format", "name"),
        "a name with a double quote": ({**body, "name": 'a".pdf'}, "invalid_format", "name"),
        "a hidden file": ({**body, "name": ".b.pdf"}, "invalid_format", "name"),
        "an upper-case sha256": ({**body, "sha256": body["sha256"].upper()}, "invalid_format",
                                 "sha256"),
        "an empty file": ({**body, "size": 0}, "invalid_size", "size"),
        "a file over 20 MB": ({**body, "size": documents.MAX_FILE_BYTES + 1}, "invalid_size",
                              "size"),
        "a size as a string": ({**body, "size": "48213"}, "invalid_size", "size"),
        "a Word file": ({**body, "content_type": "application/msword"}, "invalid_content_type",
                        "content_type"),
        "no content type": ({k: v for k, v in body.items() if k != "content_type"},
                            "invalid_content_type", "content_type"),
    }
    for case, (sent, code, field) in refused.items():
        assert not is_valid("DocumentUploadRequest", sent), case
        with pytest.raises(InvalidField) as refusal:
            documents.start_upload(unit, command(StartUpload, sent), store=offline_store, now=now)
        assert (refusal.value.code, refusal.value.field) == (code, field), case
        assert ("422", code) in documented, case
    asked = DOC["components"]["schemas"]["DocumentUploadRequest"]["properties"]
    assert asked["size"]["maximum"] == documents.MAX_FILE_BYTES
    assert asked["content_type"]["enum"] == list(documents.CONTENT_TYPES)
    assert is_valid("DocumentUploadRequest", {**body, "size": documents.MAX_FILE_BYTES})

    # The dossier's files, then the legal documents on file it relied on (a dossier received
    # before manifests named kinds lists its files as `other`).
    on_file = {"kind": "estimate_approval", "reference": "2026", "sha256": "cd" * 32,
               "name": "qd-giao-du-toan-2026.pdf", "dossier_id": RELATED}
    manifest = [_document("payee_list"), {"name": "hoa-don.pdf", "sha256": "ef" * 32}]
    dossier = a_dossier(content=sample_content("DEMO-A", documents=manifest), on_file=[on_file])
    repo = a_repo(dossier)
    listed = documents.for_dossier(unit, dossier.dossier_id, repo=repo, store=offline_store,
                                   now=now)
    assert [(i["kind"], i["source"], i["from_dossier"]) for i in listed["items"]] == [
        ("payee_list", "dossier", dossier.dossier_id), ("other", "dossier", dossier.dossier_id),
        ("estimate_approval", "on_file", RELATED)]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}/documents", "200"), listed)
    listed["items"][2]["source"] = "bucket"
    assert not is_valid("DossierDocuments", listed)


def test_the_extension_schemas_follow_extension_py_and_accept_what_the_service_builds():
    schemas = DOC["components"]["schemas"]
    asked = schemas["ExtensionRequest"]["properties"]
    for causes in (asked["cause"], schemas["Extension"]["properties"]["cause"],
                   schemas["AuditRecord"]["properties"]["extension"]["properties"]["cause"]):
        assert causes["enum"] == list(extension.CAUSES)
    days = asked["working_days"]
    assert (days["type"], days["minimum"], days["maximum"]) == ("integer", 1,
                                                                extension.MAX_WORKING_DAYS)
    assert asked["reason"]["maxLength"] == extension.MAX_REASON
    example = schemas["ExtensionRequest"]["example"]
    assert extension.parse_extension(command(Extend, copy.deepcopy(example))).working_days == 1

    leader = Principal("s-3", "lanhdao.kv1", frozenset({"leader"}), None, "KV1")
    dossier_id = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3"
    task = Task(f"{dossier_id}-0123456789abcdef01234567", kind="decision", dossier_id=dossier_id,
                procedure="regular_spending_payment", procedure_version="347-2025", step="review",
                scope="office", scope_id="KV1", role="control_officer", state="open",
                inbox="office#KV1#control_officer#open", token="t", overdue=False,
                created_at="2026-03-09T02:15:01Z", due_at="2026-03-10T10:00:00Z")
    repo = a_repo(task, a_dossier(open_task_id=task.task_id))
    workflows = MemoryWorkflows()
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)   # Tue 10 Mar, 10:00 in Hà Nội; due at 17:00
    summary = extensions.extend(
        leader, dossier_id, command(Extend, copy.deepcopy(example)), repo=repo, now=now,
        workflows=workflows)
    # one working day later: Wed 11 Mar 17:00 local, 31 hours from now
    assert summary["due_at"] == "2026-03-11T10:00:00Z"
    assert workflows.outputs == [{"decision": extension.DECISION, "timeout_seconds": 31 * 3600}]
    assert is_valid(response_schema("POST", "/v1/dossiers/{dossier_id}/extension", "200"), summary)
    detail = stored_detail(repo, dossier_id)
    (granted,) = detail["extensions"]
    assert (granted["from_due_at"], granted["to_due_at"]) == ("2026-03-10T10:00:00Z",
                                                              "2026-03-11T10:00:00Z")
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    (record,) = repo.audit_records(dossier_id)
    assert (record["action"], record["reason"]) == ("deadline_extended", example["reason"])
    assert is_valid("AuditRecord", record)
    granted["cause"] = "holiday"
    assert not is_valid("DossierDetail", detail)


# --- error answers the app gives without AWS --------------------------------------------------
def test_every_secured_route_answers_a_missing_token_with_its_documented_401():
    from chalice.test import Client
    # No configuration at all: the token is refused before any adapter is built.
    with Client(app_module.app) as client:
        for method, path, op in operations():
            if (method, path) in PUBLIC:
                continue
            url = re.sub(r"{\w+}", "X1", path)
            call = getattr(client.http, method.lower())
            response = call(url, body=b"{}") if method == "POST" else call(url)
            body = json.loads(response.body)
            assert response.status_code == 401, (method, path)
            assert is_valid(response_schema(method, path, "401"), body)
            documented = {c for s, c, _ in error_examples(op) if s == "401"}
            assert body["error"]["code"] == "missing_token" in documented, (method, path)


def test_login_answers_bad_json_and_oversized_bodies_as_documented():
    from chalice.test import Client
    op = DOC["paths"]["/v1/auth/token"]["post"]
    documented = {(s, c) for s, c, _ in error_examples(op)}
    with Client(app_module.app) as client:
        cases = [(b"{not json", "400", "invalid_json"),
                 (b'{"username": 1}', "422", "required"),
                 (b'"' + b"a" * (jsonbody.MAX_BODY_BYTES + 1) + b'"', "413",
                  "payload_too_large")]
        for raw, status, code in cases:
            response = client.http.post("/v1/auth/token", body=raw)
            body = json.loads(response.body)
            assert (str(response.status_code), body["error"]["code"]) == (status, code)
            assert (status, code) in documented
            assert is_valid("Error", body)


def test_registration_answers_what_it_refuses_before_any_lookup_as_documented(monkeypatch):
    from chalice.test import Client
    # No repository at all: every case below is refused before anything is looked up.
    monkeypatch.setattr(composition, "services", lambda: no_adapters())
    op = DOC["paths"]["/v1/registrations"]["post"]
    documented = {(s, c) for s, c, _ in error_examples(op)}
    too_many = {**registration_form(), "content": _users(5, "chief_accountant")(tk01("1056789"))}
    cases = [
        (b"{not json", {}, "400", "invalid_json"),
        (b"[]", {}, "400", "invalid_type"),
        (json.dumps({"content": "TK01"}).encode(), {}, "400", "invalid_type"),
        (json.dumps(registration_form()).encode(), {"Idempotency-Key": "short"}, "400",
         "invalid_idempotency_key"),
        (json.dumps({"content": {"procedure": "no_such_procedure"}}).encode(), {}, "422",
         "unknown_procedure"),
        (json.dumps(submission(sample_content("DEMO-W"))).encode(), {}, "422", "wrong_endpoint"),
        (json.dumps(too_many).encode(), {}, "422", "signer_limit_reached"),
        (b'"' + b"a" * (jsonbody.MAX_BODY_BYTES + 1) + b'"', {}, "413", "payload_too_large"),
    ]
    with Client(app_module.app) as client:
        for raw, headers, status, code in cases:
            response = client.http.post("/v1/registrations", body=raw, headers=headers)
            body = json.loads(response.body)
            assert (str(response.status_code), body["error"]["code"]) == (status, code)
            assert (status, code) in documented
            assert is_valid("Error", body)
    assert f"{jsonbody.MAX_BODY_BYTES:,}" in resolve(op["responses"]["413"])["description"]


def test_a_payment_submission_of_a_tk01_is_the_documented_wrong_endpoint(monkeypatch):
    from chalice.test import Client
    caller = Principal("s-2", "ketoan.cva", frozenset({"unit_accountant"}), "1012345", None)
    monkeypatch.setattr(composition, "services", lambda: no_adapters(_Verifier(caller)))
    with Client(app_module.app) as client:
        response = client.http.post("/v1/dossiers", body=json.dumps(registration_form()).encode(),
                                    headers={"Authorization": "Bearer t"})
    body = json.loads(response.body)
    assert (response.status_code, body["error"]["code"]) == (422, "wrong_endpoint")
    op = DOC["paths"]["/v1/dossiers"]["post"]
    assert ("422", "wrong_endpoint") in {(s, c) for s, c, _ in error_examples(op)}
