"""The officer's checklist for a payment dossier: domain/checks.py fed with fresh facts."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain import catalogue
from ..domain.checks import payment_checks
from ..domain.errors import Conflict
from ..domain.voucher import parse_voucher
from . import common


def checklist(principal: Principal, dossier_id: str, *, repo: Repository) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    if proc.content_kind != "payment":
        raise Conflict("Thủ tục này không có bảng kiểm soát thanh toán.", code="no_payment_checks")
    voucher = parse_voucher(dossier.content.get("voucher"), proc.payment_kinds)
    account = repo.account(voucher.account)
    paid = (repo.paid_under_contract(dossier.unit_id, voucher.contract_number, dossier.dossier_id)
            if voucher.contract_number else 0)
    checks = payment_checks(voucher, balance=int(account.balance) if account else None,
                            paid_under_contract=paid)
    return {"dossier_id": dossier_id, "all_passed": all(c.passed for c in checks),
            "checks": [c.public() for c in checks]}
