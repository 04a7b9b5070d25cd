"""The officer's checklist: domain/checks.py (payments) or the reconciliation's balance check,
fed with fresh facts."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..adapters.statements import StatementStore
from ..domain import catalogue, investment
from ..domain.checks import Check, payment_checks
from ..domain.errors import Conflict
from ..domain.voucher import parse_voucher
from . import allocation, common, posting, projects, reconciliation, related


def checklist(principal: Principal, dossier_id: str, *, repo: Repository,
              statements: StatementStore | None = None) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    if proc.content_kind == "balance_reconciliation" and statements is not None:
        checks = reconciliation.checks(repo.body(dossier).content, repo, statements)
    elif proc.content_kind == "account_closing" and statements is not None:
        checks = reconciliation.closing_checks(repo.body(dossier).content, repo, statements)
    elif proc.content_kind == "temporary_allocation":
        checks = allocation.checks(repo.body(dossier).content, dossier.unit_id, repo)
    elif proc.content_kind == "payment":
        checks = _payment(dossier, proc, repo)
    else:
        raise Conflict("Thủ tục này không có bảng kiểm soát thanh toán.", code="no_payment_checks")
    checks = [c for c in checks if c.code in proc.checks]   # the catalogue says what is shown
    return {"dossier_id": dossier_id, "all_passed": all(c.passed for c in checks),
            "checks": [c.public() for c in checks]}


def _payment(dossier, proc: catalogue.ProcedureVersion, repo: Repository) -> list[Check]:
    voucher = parse_voucher(repo.body(dossier).content.get("voucher"), proc.payment_kinds,
                            blocks=proc.voucher_blocks)
    account = repo.account(voucher.account)
    paid = (repo.paid_under_contract(dossier.unit_id, voucher.contract_number, dossier.dossier_id)
            if voucher.contract_number else 0)
    # Available: less what payments sent to the ledger and not yet confirmed hold.
    checks = payment_checks(voucher, balance=posting.available(account) if account else None,
                            paid_under_contract=paid,
                            account_kind=account.kind if account else None)
    if investment.applies_to(dossier.procedure):   # 254/2025 Art.6 cl.4-6, Art.9 cl.4-5
        checks += projects.checklist(repo.body(dossier).content.get("voucher") or {},
                                     voucher.project_code, dossier, repo)
    if voucher.kind.relates_to:
        wrong = related.problem(voucher, dossier.unit_id, repo, dossier_id=dossier.dossier_id)
        checks.append(Check("related_dossier", "Hồ sơ liên quan (tạm ứng được thanh toán, chứng từ "
                            "được điều chỉnh) hợp lệ", wrong is None,
                            wrong.message if wrong else f"hồ sơ {voucher.related_dossier}"))
    return checks
