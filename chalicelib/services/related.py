"""Vouchers that name an earlier dossier of the unit (`voucher.related_dossier`): an advance
settlement settles a paid advance (347/2025 Art.6 cl.2 pt.e: converting at most what is left of
it, the part above it declared as the difference to pay; 347/2025 Art.6 cl.2 pt.b: the settlement
matches what was advanced, its sub-items in the advance's groups of items); a data adjustment
corrects the codes of a posted payment without changing its amount or account (347/2025 Art.6
cl.2 pt.h: it fits the payment the treasury made).

The same rule runs at submission (a clear 422), on the officer's checklist, and again at posting,
where only settlements already posted (or sent to the ledger) count: two settlements racing for
the rest of one advance are both received, and posting (serialised by the dossier versions)
refuses the one that no longer fits.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..adapters.repository import Repository
from ..domain import advances, catalogue
from ..domain.voucher import Voucher

POSTED = (catalogue.PAID, catalogue.RECORDED)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str = "content.voucher.related_dossier"


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
        wrong = advances.settlement_problem(voucher.total, voucher.difference_to_pay, left,
                                            at_posting=at_posting)
        if wrong is not None:
            code, message = wrong
            if code == advances.DIFFERENCE_MISMATCH:
                return Problem("settlement_difference_mismatch", message,
                               "content.voucher.difference_to_pay")
            return Problem("over_advance", message, "content.voucher.total")
        if not at_posting:
            outside = _line_outside_groups(voucher, related, repo)
            if outside is not None:
                return outside
    if voucher.payment_kind == "adjustment" and (
            voucher.total != int(related.amount) or voucher.account != related.account_id):
        return Problem("adjustment_changes_amount",
                       "Điều chỉnh số liệu phải giữ nguyên số tiền và tài khoản của hồ sơ gốc.")
    return None


def _line_outside_groups(voucher: Voucher, advance, repo: Repository) -> Problem | None:
    """347/2025 Art.6 cl.2 pt.b 3rd para: a settlement stays within the groups of items (nhóm
    mục) of the sub-items the advance was drawn on; the first line outside them is named."""
    signed = repo.body(advance).content.get("voucher") or {}
    drawn = [str(line.get("economic_code")) for line in signed.get("lines") or []
             if isinstance(line, dict)]
    i = advances.line_outside_advance_groups([line.economic_code for line in voucher.lines], drawn)
    if i is None:
        return None
    return Problem("settlement_outside_item_group",
                   f"Tiểu mục {voucher.lines[i].economic_code} không thuộc nhóm mục đã tạm ứng "
                   f"({', '.join(sorted(set(drawn)))}).",
                   f"content.voucher.lines[{i}].economic_code")


def settlement_room(advance, repo: Repository, *, excluding: str | None, posted_only: bool) -> int:
    """What is left of an advance to settle: its amount less the settlements counted (all not
    refused at submission; at posting, those posted or sent to the ledger)."""
    counted = 0
    for other in repo.related_dossiers(advance.unit_id, advance.dossier_id):
        if other.dossier_id == excluding or other.payment_kind != "advance_settlement":
            continue
        if other.status in POSTED or (not posted_only and other.status != catalogue.REFUSED) \
                or (other.status == catalogue.POSTING and other.ledger_requested_at):
            counted += converted(other)   # (the last: sent to the ledger, not yet confirmed)
    return int(advance.amount) - counted



def converted(settlement) -> int:
    """What a settlement converts of its advance: its total less the difference it pays out
    (347/2025 Art.6 cl.2 pt.e); a settlement filed before the difference existed converts all."""
    value = settlement.advance_converted
    return int(settlement.amount if value is None else value)
