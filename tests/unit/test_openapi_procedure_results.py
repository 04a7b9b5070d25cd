"""The response schemas against what the system steps of the non-payment procedures and posting
leave on a dossier: a TK01 registration activated or refused, a change of signature specimens
applied, an account closed or not, and payments posted, refused or confirmed by the ledger, run on
tests/fakes.py (MemoryRepository, MemoryLedger, MemoryWorkflows) and read back from the repository.
"""
from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from chalicelib import clock
from chalicelib.adapters.identity import Principal
from chalicelib.domain import catalogue, errors
from chalicelib.domain import ledger as ledger_contract
from chalicelib.domain.commands import Submit
from chalicelib.domain.commands import parse as command
from chalicelib.services import accounts as unit_accounts
from chalicelib.services import (
    certificates,
    closing,
    common,
    dossiers,
    ledger,
    posting,
    registrations,
    signing,
)
from chalicelib.services import specimens as specimen_changes
from devstack.demo import sample_content
from devstack.registration_demo import tk01
from tests.fakes import MemoryLedger, MemoryWorkflows
from tests.unit.openapi_support import (
    CLOSING_ACCOUNT,
    DOC,
    RELATED,
    a_dossier,
    a_repo,
    a_unit,
    an_account,
    closing_content,
    detail_of,
    error_examples,
    file,
    is_valid,
    registered_signers,
    registration_form,
    response_schema,
    stored_detail,
    validator,
)

pytestmark = pytest.mark.unit


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
    signers = registered_signers(tmp_path)
    repo, now, people, keys = signers.repo, signers.now, signers.people, signers.keys
    fingerprints = signers.fingerprints
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
    # 347/2025 Art.9 cl.2 pt.c: closed whatever the balance, which Mẫu 25 confirms
    for i, (balance, decision) in enumerate(((0, "closed"), (5_000_000, "closed"))):
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
        assert detail["result"]["confirmed_form"]["confirmed_balance"] == balance
        (record,) = repo.audit_records(dossier.dossier_id)
        assert is_valid("AuditRecord", record)
    assert codes == {None}

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
    # (`estimate_approved` is the allocate step's: tests/unit/test_budget_forms.py)
    assert codes - {None} == set(documented) - {"estimate_approved"}
    assert all(f"`{c}`" in DOC["components"]["schemas"]["DossierResult"]["description"]
               for c in documented)
    detail["result"]["code"] = "frozen"
    assert not is_valid("DossierDetail", detail)
