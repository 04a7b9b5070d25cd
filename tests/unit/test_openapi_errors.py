"""The error answers chalicelib/openapi.json documents against the code: every (status, code)
the code raises is documented and nothing else (read from the source), every example is a valid
Error body with a message the code writes, and the app itself answers the cases it can answer
without AWS (no token, a refused role, bad JSON, a registration refused before any lookup) with
the documented status and code. Where no adapter should be reached, the composition root has
none, so a route that looked anything up would answer 500.
"""
from __future__ import annotations

import ast
import json
import re

import pytest

import app as app_module
from chalicelib import composition
from chalicelib.adapters import identity
from chalicelib.adapters.identity import Principal
from chalicelib.domain import errors, jsonbody, policy
from devstack.demo import sample_content
from devstack.registration_demo import tk01
from tests.unit.openapi_support import (
    CARRIERS,
    DOC,
    ERROR_REF,
    PUBLIC,
    ROOT,
    error_examples,
    is_valid,
    no_adapters,
    operations,
    registration_form,
    resolve,
    response_schema,
    submission,
    users_of,
)

pytestmark = pytest.mark.unit


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

# Where a carrier's code (CARRIERS, in openapi_support) is raised by relaying it: submission
# raises a related.Problem's code as a 422 (dossiers.py: `InvalidField(..., code=wrong.code)`).
RELAYS = {("dossiers.py", "wrong.code")}


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
    too_many = {**registration_form(), "content": users_of(5, "chief_accountant")(tk01("1056789"))}
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
