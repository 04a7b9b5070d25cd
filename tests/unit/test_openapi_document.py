"""chalicelib/openapi.json as a document, against the app's routes and the catalogue: it is valid
OpenAPI 3.1 kept in one format, the app serves it, every route is documented (path parameters,
security, list parameters, Idempotency-Key) and nothing else is, and its enumerations (decisions,
statuses, steps, kinds, roles) come from the catalogue and the policy table.
"""
from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate as validate_openapi

import app as app_module
from chalicelib.domain import catalogue, components, policy
from chalicelib.services import dossiers
from tests.unit.openapi_support import (
    DOC,
    ERROR_REF,
    PUBLIC,
    SPEC_PATH,
    SUBMISSIONS,
    error_examples,
    is_valid,
    operations,
    resolve,
)

pytestmark = pytest.mark.unit


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
                       "balance_reconciliation": "ReconciliationContent",
                       "temporary_allocation": "AllocationContent",
                       "utility_autopay": "AutopayContent"}
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
