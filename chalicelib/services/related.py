"""Vouchers that name an earlier dossier of the unit (`voucher.related_dossier`): an advance
settlement settles a paid advance, and never more than is left of it (347/2025 Art.6 cl.2 pt.b:
the settlement matches what was advanced); a data adjustment corrects the codes of a posted
payment without changing its amount or account (347/2025 Art.6 cl.2 pt.h: it fits the payment
the treasury made).

The same rule runs at submission (a clear 422), on the officer's checklist, and again at posting,
where only settlements already posted (or sent to the ledger) count: two settlements racing for
the rest of one advance are both received, and posting (serialised by the dossier versions)
refuses the one that no longer fits.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..adapters.repository import Repository
from ..domain import catalogue
from ..domain.voucher import Voucher, vnd

POSTED = (catalogue.PAID, catalogue.RECORDED)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def problem(voucher: Voucher, unit_id: str, repo: Repository, *, dossier_id: str | None = None,
            at_posting: bool = False) -> Problem | None:
    """What is wrong with the voucher's related dossier, or None. `dossier_id`: the voucher's
    own dossier, left out of the sums."""
    kind = voucher.kind
    if not kind.relates_to or voucher.related_dossier is None:
        return None
    related = repo.dossier(voucher.related_dossier)
    if related is None or related.unit_id != unit_id:
        return Problem("unknown_related_dossier", "Không tìm thấy hồ sơ liên quan của đơn vị.")
    if related.payment_kind not in kind.relates_to:
        names = ", ".join(catalogue.PAYMENT_KINDS[k].name_vi.lower() for k in kind.relates_to)
        return Problem("related_kind_mismatch", f"Hồ sơ liên quan phải là hồ sơ {names}.")
    if related.status not in POSTED:
        return Problem("related_not_posted", "Hồ sơ liên quan chưa được thanh toán, hạch toán.")
    if voucher.payment_kind == "advance_settlement":
        left = settlement_room(related, repo, excluding=dossier_id, posted_only=at_posting)
        if voucher.total > left:
            return Problem("over_advance", f"Vượt số tạm ứng còn lại ({vnd(left)}).")
    if voucher.payment_kind == "adjustment" and (
            voucher.total != int(related.amount) or voucher.account != related.account_id):
        return Problem("adjustment_changes_amount",
                       "Điều chỉnh số liệu phải giữ nguyên số tiền và tài khoản của hồ sơ gốc.")
    return None


def settlement_room(advance, repo: Repository, *, excluding: str | None, posted_only: bool) -> int:
    """What is left of an advance to settle: its amount less the settlements counted (all not
    refused at submission; at posting, those posted or sent to the ledger)."""
    counted = 0
    for other in repo.related_dossiers(advance.unit_id, advance.dossier_id):
        if other.dossier_id == excluding or other.payment_kind != "advance_settlement":
            continue
        if other.status in POSTED or (not posted_only and other.status != catalogue.REFUSED) \
                or (other.status == catalogue.POSTING and other.ledger_requested_at):
            counted += int(other.amount)   # (the last: sent to the ledger, not yet confirmed)
    return int(advance.amount) - counted
