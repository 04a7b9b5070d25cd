"""A unit's view of its own accounts."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain.errors import NotFound
from ..domain.voucher import ACCOUNT_ID
from . import common


def account(principal: Principal, account_id: str, *, repo: Repository) -> dict:
    """The account and its balance (a fresh read), so the unit can watch its money move."""
    unit_id = common.require_unit_user(principal)
    acct = repo.account(account_id) if ACCOUNT_ID.fullmatch(account_id) else None
    if acct is None or acct.unit_id != unit_id:
        raise NotFound("Không tìm thấy tài khoản.", code="account_not_found")
    return {"account_id": acct.account_id, "unit_id": acct.unit_id, "kind": acct.kind,
            "balance": int(acct.balance)}
