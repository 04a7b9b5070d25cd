"""Every route × every role × own vs another unit/office, over HTTP against the local stack.

Expectations come from the policy table (chalicelib/domain/policy.py, POLICY) read through the
small oracle below — deliberately not through the code under test. An "allowed" call is made
with a body that fails *after* authorization (an unknown decision, an empty reason...), so the
matrix passes through every gate without changing any state; the test then checks that the
answer is not a policy refusal. A "denied" call must be exactly the policy's refusal.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib import clock
from chalicelib.domain.policy import POLICY, Scope
from devstack.demo import sample_content
from devstack.seed import DEMO_PROJECT
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration

# role -> (caller in unit A / office KV1, caller in unit C / office KV2)
CALLERS = {
    "unit_accountant": ("ketoan.cva", "ketoan.psg"),
    "chief_accountant": ("ktt.cva", "ktt.psg"),
    "account_holder": ("chutk.cva", "chutk.psg"),
    "unit_software": ("phanmem.cva", "phanmem.psg"),
    "control_officer": ("kiemsoat.kv1", "kiemsoat.kv2"),
    "leader": ("lanhdao.kv1", "lanhdao.kv2"),
    "portal": ("cong.dvcqg", "cong.dvcqg"),   # the National Public Service Portal: no unit, no office
}
RESOURCE_OWNER = "ktt.cva"   # the certificate used below belongs to unit A's chief accountant

# (action, method, path template, body that fails after authorization, not-found code)
RESOURCE_ROUTES = [
    ("dossier.read", "GET", "/v1/dossiers/{dossier}", None, "dossier_not_found"),
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/signatures", None, "dossier_not_found"),
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/checks", None, "dossier_not_found"),
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/payee-lines", None, "dossier_not_found"),
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/documents", None, "dossier_not_found"),
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/receipt-notice", None, "dossier_not_found"),
    # a document the dossier (under review) does not have: allowed cells get document_not_available
    ("dossier.read", "GET", "/v1/dossiers/{dossier}/documents/{kind}", None, "dossier_not_found"),
    ("dossier.audit", "GET", "/v1/dossiers/{dossier}/audit", None, "dossier_not_found"),
    ("dossier.supplement", "POST", "/v1/dossiers/{dossier}/supplement", {}, "dossier_not_found"),
    ("account.read", "GET", "/v1/accounts/{account}", None, "account_not_found"),
    ("task.decide", "POST", "/v1/tasks/{task}/decision", {"decision": "noop"}, "task_not_found"),
    ("dossier.delay_reason", "POST", "/v1/dossiers/{dossier}/delay-reason", {"reason": ""},
     "dossier_not_found"),
    ("dossier.extend", "POST", "/v1/dossiers/{dossier}/extension",
     {"cause": "it_failure", "reason": "", "working_days": 1}, "dossier_not_found"),
    ("certificate.revoke", "POST", "/v1/certificates/{cert}/revoke", {"reason": ""},
     "certificate_not_found"),
    ("office.calendar", "POST", "/v1/offices/{office}/days-off", {"date": "bad"}, None),
    ("report.paper_vouchers", "POST", "/v1/offices/{office}/paper-vouchers",
     {"date": "bad", "count": 1}, None),
    ("office.mandatory_units", "POST", "/v1/offices/{office}/mandatory-units", {"count": -1}, None),
    ("statement.read", "GET", "/v1/statements/{statement}", None, "statement_not_found"),
    ("statement.reply", "POST", "/v1/statements/{statement}/reply", {}, "statement_not_found"),
    ("statement.resolve", "POST", "/v1/statements/{statement}/resolution", {"outcome": "noop"},
     "statement_not_found"),
    ("alert.subscribe", "DELETE", "/v1/alerts/subscriptions/{subscription}", None,
     "subscription_not_found"),
    ("autopay.read", "GET", "/v1/autopay/{autopay}", None, "authorisation_not_found"),
    # Revoking is idempotent: the allowed cells revoke the world's authorisation, once in effect.
    ("autopay.revoke", "POST", "/v1/autopay/{autopay}/revoke", None, "authorisation_not_found"),
    # The project register (254/2025): the seeded demo project of unit A; an empty body fails
    # after authorization, so the allowed cells change nothing.
    ("project.read", "GET", "/v1/projects/{project}", None, "project_not_found"),
    ("project.manage", "PUT", "/v1/projects/{project}", {}, None),
    ("project.manage", "PUT", "/v1/projects/{project}/plans/{year}", {}, None),
]
COLLECTION_ROUTES = [
    ("me.read", "GET", "/v1/me", None),
    ("dossier.submit", "POST", "/v1/dossiers", {"content": {}}),
    ("document.upload", "POST", "/v1/documents", {}),
    ("dossier.list", "GET", "/v1/dossiers", None),
    ("task.list", "GET", "/v1/tasks", None),
    ("certificate.register", "POST", "/v1/certificates", {}),
    ("certificate.list", "GET", "/v1/certificates", None),
    ("report.overdue", "GET", "/v1/reports/overdue", None),
    ("report.figures", "GET", "/v1/reports/dossiers", None),
    ("report.figures", "GET", "/v1/reports/participation", None),
    ("report.figures", "GET", "/v1/reports/regular-senders", None),
    ("report.figures", "GET", "/v1/reports/online-vouchers", None),
    ("portal.status", "GET", "/v1/portal/status", None),
    ("statement.list", "GET", "/v1/statements", None),
    ("report.reconciliation", "GET", "/v1/reports/reconciliation", None),
    ("alert.list", "GET", "/v1/alerts", None),
    ("alert.subscribe", "POST", "/v1/alerts/subscriptions", {}),
    ("alert.subscribe", "GET", "/v1/alerts/subscriptions", None),
    ("autopay.read", "GET", "/v1/autopay", None),
    ("advance.list", "GET", "/v1/advances", None),
    # A JSON body is not a spreadsheet: the allowed cells answer 415 unsupported_file_type.
    ("payee_list.import", "POST", "/v1/payee-lists/import", {}),
]
POLICY_REFUSALS = {"role_not_allowed", "wrong_office", "out_of_scope", "dossier_not_found",
                   "task_not_found", "account_not_found", "certificate_not_found",
                   "statement_not_found", "subscription_not_found", "authorisation_not_found",
                   "project_not_found"}

# Routes anyone may call: login, the catalogue, the OpenAPI document, form TK01 (a unit with no
# logins yet registers, its account holder's signature being the proof).
PUBLIC_ROUTES = [("POST", "/v1/auth/token", {}), ("GET", "/v1/procedures", None),
                 ("GET", "/v1/openapi.json", None), ("POST", "/v1/registrations", {})]
OPENAPI = Path(__file__).resolve().parents[2] / "chalicelib" / "openapi.json"


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_matrix_covers_every_route_of_the_openapi_document_and_every_policy_action():
    """A route added to the API without a row here (or an action without a route) fails."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    documented = {(method.upper(), _template(path)) for path, operations in document["paths"].items()
                  for method in operations if method in ("get", "post", "put", "patch", "delete")}
    in_matrix = [(m, _template(p)) for _, m, p, *_ in RESOURCE_ROUTES + COLLECTION_ROUTES] + \
        [(m, p) for m, p, _ in PUBLIC_ROUTES]
    assert len(in_matrix) == len(set(in_matrix)), "a route appears twice in the matrix"
    assert documented - set(in_matrix) == set(), "routes missing from the access matrix"
    assert set(in_matrix) - documented == set(), "matrix rows for routes the API does not have"
    assert {a for a, *_ in RESOURCE_ROUTES + COLLECTION_ROUTES} == set(POLICY), \
        "policy actions no route of the matrix exercises"


def expected(action: str, role: str, side: str, username: str) -> str:
    """The policy table as a reader would apply it, for resources of unit A in office KV1."""
    scope = POLICY[action].get(role)
    if scope is None:
        return "no_role"
    if scope is Scope.ALL:
        return "allowed"
    if scope is Scope.SELF:
        return "allowed" if username == RESOURCE_OWNER else "out_of_scope"
    return "allowed" if side == "own" else "out_of_scope"   # KV2 is not above KV1


@pytest.fixture(scope="module")
def world(api, tokens, pki_dir):
    flow = Flow(api, tokens, pki_dir)
    dossier = flow.submit("MATRIX-A")
    task = flow.task(flow.officer, dossier["dossier_id"])
    from chalicelib.services import certificates
    cert = certificates.parse((pki_dir / "ktt.cva.cert.pem").read_text(), "c")
    dv = Flow(api, tokens, pki_dir, unit="ketoan.dv", officer="kiemsoat.cg", leader="lanhdao.cg")
    district = dv.submit("MATRIX-DV", unit_code="1045678", chapter_code="622",
                         account="9523.1.1045678")
    district_task = dv.task(dv.officer, district["dossier_id"])
    status, subscription = api.call("POST", "/v1/alerts/subscriptions",
                                    {"protocol": "email", "endpoint": "matrix.ktt@chuvanan.example.vn"},
                                    token=tokens[RESOURCE_OWNER])
    assert status in (200, 201), subscription
    return {"dossier": dossier["dossier_id"], "task": task["task_id"], "cert": cert.fingerprint,
            "account": "9523.1.1012345", "office": "KV1",
            "district": district["dossier_id"], "district_task": district_task["task_id"],
            "statement": _statement_of_unit_a(),
            "subscription": subscription["subscription_id"],
            "autopay": _autopay_of_unit_a(api, tokens, pki_dir), "kind": "debit_advice",
            "project": DEMO_PROJECT, "year": "2026"}


def _autopay_of_unit_a(api, tokens, pki_dir) -> str:
    """A utility auto-pay authorisation of unit A, in force."""
    from devstack.demo import wait_for_status, wait_for_task
    from devstack.provider import signed_letter
    body = signed_letter(pki_dir, "cva", "9523.1.1012345", ["MATRIX-PD01"])
    status, d = api.call("POST", "/v1/dossiers", body, token=tokens["ketoan.cva"])
    assert status == 201, d
    task = wait_for_task(api, tokens["kiemsoat.kv1"], d["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"},
             token=tokens["kiemsoat.kv1"])
    wait_for_status(api, tokens["ketoan.cva"], d["dossier_id"], "registered")
    return d["dossier_id"]


def _statement_of_unit_a() -> str:
    """A reconciliation statement of unit A's estimate account, issued by the statement job for
    a period no other test uses (once the ledger has caught up with the account's payments)."""

    from chalicelib import composition
    from chalicelib.domain import statements as rules
    from chalicelib.services import statements
    from tests.conftest import eventually
    period = rules.parse_period("2026-Q1")
    sid = rules.statement_id("9523.1.1012345", period)
    store = composition.services().statements
    eventually(lambda: statements.generate_due(clock.now(), store=store,
                                               periods=[period.key]) and store.statement(sid),
               timeout=60)
    return sid


def cells():
    for action, method, path, body, missing in RESOURCE_ROUTES:
        for role, users in CALLERS.items():
            for side, username in zip(("own", "other"), users, strict=True):
                yield pytest.param(action, method, path, body, missing, role, side, username,
                                   id=f"{method} {path} {role} {side}")


@pytest.mark.parametrize("action, method, path, body, missing, role, side, username", list(cells()))
def test_resource_routes_follow_the_policy_table(api, tokens, world, action, method, path, body,
                                                 missing, role, side, username):
    status, answer = api.call(method, path.format(**world), body, token=tokens[username])
    code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
    verdict = expected(action, role, side, username)
    if verdict == "allowed":
        assert code not in POLICY_REFUSALS, (status, answer)
        assert status != 401
    elif verdict == "no_role":
        assert (status, code) == (403, "role_not_allowed"), answer
    elif action in ("office.calendar", "report.paper_vouchers", "office.mandatory_units",
                    "project.manage"):
        assert (status, code) == (403, "out_of_scope"), answer   # office codes are public
    else:
        assert (status, code) == (404, missing), answer


@pytest.mark.parametrize("action, method, path, body", COLLECTION_ROUTES,
                         ids=[f"{m} {p}" for _, m, p, _ in COLLECTION_ROUTES])
@pytest.mark.parametrize("role", list(CALLERS))
def test_collection_routes_follow_the_policy_table(api, tokens, action, method, path, body, role):
    status, answer = api.call(method, path, body, token=tokens[CALLERS[role][0]])
    code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
    if role in POLICY[action]:
        assert code not in POLICY_REFUSALS and status != 401, (status, answer)
    else:
        assert (status, code) == (403, "role_not_allowed"), answer


@pytest.mark.parametrize("method, path, body", [
    (m, p.format(dossier="01ARZ3NDEKTSV4RRFFQ69G5FAV", task="x", cert="0" * 64, statement="x",
                 subscription="x", account="9523.1.1012345", office="KV1", autopay="x",
                 kind="receipt_notice", project=DEMO_PROJECT, year="2026"), b)
    for _, m, p, b, _ in RESOURCE_ROUTES] + [(m, p, b) for _, m, p, b in COLLECTION_ROUTES])
def test_every_protected_route_needs_a_token(api, method, path, body):
    status, answer = api.call(method, path, body)
    assert (status, answer["error"]["code"]) == (401, "missing_token")


def test_a_regional_leader_reads_but_does_not_decide_for_an_office_under_it(api, tokens, world):
    leader, officer = tokens["lanhdao.kv1"], tokens["kiemsoat.kv1"]
    assert api.call("GET", f"/v1/dossiers/{world['district']}", token=leader)[0] == 200
    assert api.call("GET", "/v1/dossiers?office=KV1-CG", token=leader)[0] == 200
    assert api.call("GET", f"/v1/dossiers/{world['district']}", token=officer)[0] == 404
    assert api.call("GET", "/v1/dossiers?office=KV1-CG", token=officer)[1]["error"]["code"] == \
        "out_of_scope"
    status, answer = api.call("POST", f"/v1/tasks/{world['district_task']}/decision",
                              {"decision": "approve"}, token=leader)
    assert (status, answer["error"]["code"]) == (403, "wrong_office")
    # ...and the district's own leader sees nothing of the regional office above it.
    assert api.call("GET", f"/v1/dossiers/{world['dossier']}", token=tokens["lanhdao.cg"])[0] == 404
    assert api.call("GET", "/v1/dossiers?office=KV1", token=tokens["lanhdao.cg"])[0] == 403


def test_accounting_software_submits_for_its_unit_but_never_decides(api, tokens, pki_dir, world):
    flow = Flow(api, tokens, pki_dir, unit="phanmem.cva")
    status, body = api.call("POST", "/v1/dossiers", flow.signed(sample_content("SOFTWARE-1")),
                            token=tokens["phanmem.cva"])
    assert status == 201, body
    status, answer = api.call("POST", f"/v1/tasks/{world['task']}/decision",
                              {"decision": "accept"}, token=tokens["phanmem.cva"])
    assert (status, answer["error"]["code"]) == (403, "role_not_allowed")


@pytest.mark.parametrize("method, path, body", PUBLIC_ROUTES, ids=[f"{m} {p}" for m, p, _ in PUBLIC_ROUTES])
def test_public_routes_answer_without_a_token(api, method, path, body):
    status, answer = api.call(method, path, body)
    assert status != 401 and status < 500, answer
