"""A unit's view of its own accounts."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain import policy
from ..domain.errors import NotFound
from ..domain.voucher import ACCOUNT_ID
from . import authz


def account(principal: Principal, account_id: str, *, repo: Repository) -> dict:
    """The account and its balance (a fresh read), so the unit can watch its money move."""
    authz.require(principal, "account.read")
    missing = NotFound("Không tìm thấy tài khoản.", code="account_not_found")
    acct = repo.account(account_id) if ACCOUNT_ID.fullmatch(account_id) else None
    if acct is None:
        raise missing
    authz.authorize(principal, "account.read", policy.Resource(unit_id=acct.unit_id), repo,
                    not_found=missing)
    return {"account_id": acct.account_id, "unit_id": acct.unit_id, "kind": acct.kind,
            "balance": int(acct.balance), "status": acct.status or "open",
            # 347/2025 Art.6 cl.3 pt.d: allocated before the year's estimate was approved
            "temporary_allocation": int(acct.temporary_allocation or 0)}
