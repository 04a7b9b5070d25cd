"""The response schemas against what the services build: the catalogue, dossiers, tasks and audit
trails, certificates and signature checks, checklists, documents (presigned locally, no request
sent) and extensions, with services run on tests/fakes.py's MemoryRepository.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime

import pytest

import app as app_module
from chalicelib.adapters import aws
from chalicelib.adapters.documents import DocumentStore, StoredFile
from chalicelib.adapters.identity import Principal
from chalicelib.adapters.models import Project, Task
from chalicelib.domain import audit, catalogue, errors, extension, policy
from chalicelib.domain.commands import Extend, RevokeCertificate, StartUpload
from chalicelib.domain.commands import parse as command
from chalicelib.domain.errors import InvalidField
from chalicelib.services import certificates, checks, common, documents, dossiers, extensions, signing
from devstack.demo import sample_content
from devstack.samples import payment_like
from devstack.seed import DEMO_PROJECT
from devstack.split_demo import split_content
from tests.fakes import MemoryWorkflows
from tests.unit.openapi_support import (
    DOC,
    RELATED,
    a_document,
    a_dossier,
    a_repo,
    an_account,
    closing_content,
    detail_of,
    error_examples,
    file,
    is_valid,
    mau_32,
    reconciliation_content,
    registered_signers,
    relating,
    resolve,
    response_schema,
    stored_detail,
    with_contract,
)

pytestmark = pytest.mark.unit


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
    signers = registered_signers(tmp_path)
    repo, now, people, keys = signers.repo, signers.now, signers.people, signers.keys
    for title, view in signers.views.items():
        assert is_valid("CertificateRegistration", signers.requests[title])
        assert view["status"] == "pending"  # a unit title's, until a specimens dossier
        assert is_valid(response_schema("POST", "/v1/certificates", "201"), view)
    registered = list(signers.fingerprints.values())
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


class NoLedger:
    """A statements store whose ledger has no entries: the balance never moved."""
    def ledger_since(self, account_id: str, since: str) -> list:
        return []


def reconciliation_form_content() -> dict:
    content = reconciliation_content()
    body = content["reconciliation"]
    del body["book_balance"]
    body["account_id"] = "3713.1.1012345"
    body["form"] = mau_32()
    return content


def test_the_checklist_schema_accepts_what_the_checks_service_builds():
    officer = Principal("s-1", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
    repo = a_repo(an_account("9523.1.1012345", kind="estimate", balance=1_487_500_000),
                  a_dossier(RELATED, payment_kind="advance", amount=20_000_000,
                            status=catalogue.PAID, step=None))
    repo.put(Project(Project.key(DEMO_PROJECT), project_code=DEMO_PROJECT, name="Dự án",
                     owner_unit="1012345", office_id="KV1", total_investment=10**12,
                     plans={str(y): {"allocated": 10**11} for y in range(2025, 2030)},
                     updated_at="2026-01-02T01:00:00Z", updated_by="seed", version=1))
    schema = response_schema("GET", "/v1/dossiers/{dossier_id}/checks", "200")
    produced = {}
    for case, content in (
            ("payment", sample_content("DEMO-C")),
            ("advance", with_contract(sample_content("DEMO-C", 10_000_000))),
            ("settlement", relating("advance_settlement")(sample_content("DEMO-C"))),
            ("split", split_content("DEMO-C")),
            ("reconciliation", reconciliation_content()),
            ("investment", payment_like("investment_capital_payment", "DEMO-C")),
            ("reconciliation form", reconciliation_form_content())):
        procedure = {"investment": "investment_capital_payment"}.get(
            case, "balance_reconciliation" if case.startswith("reconciliation")
            else "regular_spending_payment")
        version = "11-2020" if case == "investment" else "347-2025"
        dossier = a_dossier(procedure=procedure, procedure_version=version, content=content,
                            project_code=DEMO_PROJECT if case == "investment" else None)
        file(repo, dossier)
        listed = checks.checklist(officer, dossier.dossier_id, repo=repo, statements=NoLedger())
        assert is_valid(schema, listed), case
        produced[case] = [c["code"] for c in listed["checks"]]
    assert "within_balance" in produced["payment"]   # a debit needs the money to be there
    assert "within_balance" not in produced["settlement"]
    assert "related_dossier" in produced["settlement"]
    assert produced["reconciliation"] == ["book_balance_matches_ledger"]
    assert produced["reconciliation form"] == ["form_matches_ledger"]
    assert "parts_sum_to_total" in produced["split"]
    assert "parts_sum_to_total" not in produced["payment"]
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
    manifest = [a_document("payee_list"), {"name": "hoa-don.pdf", "sha256": "ef" * 32}]
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
