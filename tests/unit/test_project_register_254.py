"""The project register's figures (services/projects.py) on the in-memory repository: what counts
as disbursed (254/2025 Art.6 cl.4-5), what is left of a contract's advance (Art.9 cl.5), and the
year plan checked again at posting (Art.6 cl.5)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ulid import ULID

from chalicelib.adapters.identity import Principal
from chalicelib.adapters.models import Dossier, DossierBody, Project, Unit
from chalicelib.domain import audit, catalogue
from chalicelib.domain.commands import PutYearPlan
from chalicelib.domain.errors import Forbidden, InvalidField
from chalicelib.services import projects
from tests.fakes import MemoryRepository

pytestmark = pytest.mark.unit

YEAR = 2026     # the vouchers' budget year; nothing here reads the clock
CODE, UNIT = "7000001", "1012345"
NOW = datetime(YEAR, 3, 2, 9, 0, tzinfo=UTC)   # pinned


def a_project(plan: int = 100_000_000) -> Project:
    return Project(Project.key(CODE), project_code=CODE, name="Dự án", owner_unit=UNIT,
                   office_id="KV1", total_investment=1_000_000_000,
                   plans={str(YEAR): {"allocated": plan}}, updated_at="2026-01-02T01:00:00Z",
                   updated_by="seed")


def a_dossier(repo: MemoryRepository, amount: int, *, status: str = catalogue.PAID,
              kind: str = "payment", converted: int | None = None, sent: bool = False,
              contract: dict | None = None, lines: list | None = None) -> Dossier:
    dossier_id = str(ULID())
    voucher = {"payment_kind": kind, "total": amount, "budget_year": YEAR,
               "lines": lines or [{"amount": amount}], **({"contract": contract} if contract else {})}
    dossier = Dossier(dossier_id, procedure="investment_capital_payment",
                      procedure_version="11-2020", unit_id=UNIT, office_id="KV1",
                      account_id="9523.1.1012345", amount=amount, payment_kind=kind,
                      voucher_number="TT", project_code=CODE, advance_converted=converted,
                      contract_number=(contract or {}).get("number"), status=status,
                      received_at="2026-03-02T02:00:00Z", due_at="2026-03-06T10:00:00Z",
                      updated_at="2026-03-02T02:00:00Z", audit_head=audit.GENESIS,
                      ledger_requested_at="2026-03-02T03:00:00Z" if sent else None)
    repo.put(dossier, DossierBody(dossier_id, content={"voucher": voucher}, signatures=[]))
    return dossier


def test_art6_cl5_254_disbursed_counts_cash_out_of_posted_or_sent_dossiers_only():
    repo = MemoryRepository()
    project = a_project()
    a_dossier(repo, 30_000_000, kind="advance")
    a_dossier(repo, 50_000_000, converted=10_000_000)                 # 40 paid out
    a_dossier(repo, 20_000_000, status=catalogue.POSTING, sent=True)  # held at the ledger
    a_dossier(repo, 99_000_000, status=catalogue.REFUSED)
    a_dossier(repo, 99_000_000, status=catalogue.UNDER_REVIEW)
    spent = projects.figures(project, repo)
    assert (spent.to_date, spent.by_year, spent.advances_by_year) == (
        90_000_000, {YEAR: 90_000_000}, {YEAR: 30_000_000})


def test_art9_cl5_254_the_open_advance_is_what_payments_and_settlements_have_not_recovered():
    repo = MemoryRepository()
    contract = {"number": "HD-9", "value": 100_000_000}
    a_dossier(repo, 30_000_000, kind="advance", contract=contract)
    a_dossier(repo, 50_000_000, converted=10_000_000, contract=contract,
              lines=[{"amount": 50_000_000, "contract_item": "HM1"}])
    a_dossier(repo, 5_000_000, kind="advance_settlement", converted=5_000_000, contract=contract)
    used = projects.contract_use(UNIT, "HD-9", repo)
    assert (used.open_advance, used.volume_paid, used.paid_by_item) == (
        15_000_000, 50_000_000, {"HM1": 50_000_000})


def test_art6_cl5_254_a_dossier_the_plan_no_longer_fits_is_refused_at_posting_with_the_figures():
    repo = MemoryRepository()
    repo.put(a_project(plan=10_000_000))
    a_dossier(repo, 6_000_000)
    late = a_dossier(repo, 6_000_000, status=catalogue.POSTING)
    voucher = repo.body(late).content["voucher"]
    code, reason = projects.posting_refusal(voucher, late, repo)
    assert code == "over_year_plan"
    assert "12.000.000 đồng" in reason and "10.000.000 đồng" in reason
    repo.put(a_project(plan=12_000_000))
    assert projects.posting_refusal(voucher, late, repo) is None


def test_art7_254_a_plan_below_what_the_year_disbursed_is_refused_and_only_the_office_records_it():
    repo = MemoryRepository()
    repo.put(Unit(f"UNIT#{UNIT}", unit_id=UNIT, name="Đơn vị", office_id="KV1", chapter_code="422"))
    repo.save_project(a_project())
    a_dossier(repo, 20_000_000)
    officer = Principal("s-1", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
    with pytest.raises(InvalidField) as below:
        projects.put_year_plan(officer, CODE, str(YEAR), PutYearPlan(allocated=19_999_999),
                               repo=repo, now=NOW)
    assert (below.value.code, below.value.field) == ("plan_below_disbursed", "allocated")
    other = Principal("s-2", "kiemsoat.kv2", frozenset({"control_officer"}), None, "KV2")
    with pytest.raises(Forbidden):
        projects.put_year_plan(other, CODE, str(YEAR), PutYearPlan(allocated=1),
                               repo=repo, now=NOW)
