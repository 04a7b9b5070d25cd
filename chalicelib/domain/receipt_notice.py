"""The receipt notice (thông báo tiếp nhận hồ sơ và hẹn trả kết quả), 347/2025 Art.3 cl.4 pt.a:
a valid dossier sent electronically is answered, electronically, with the fact of its receipt and
the promised result date.

Why a module of its own: the same notice is answered by the API (GET /v1/dossiers/{id}/receipt-
notice), summarised in the e-mail sent at receipt, and rendered print-ready by the documents
code, so it is one plain dict built by one pure function from the dossier's facts and its office.
No AWS and no framework here; the caller reads the dossier, its audit trail and the office.

The promised date is the one fixed when the complete dossier was received: the procedure's limit
in working days counted on the office's calendar from the day after receipt (domain/calendar.py,
Civil Code 2015 Art.147 cl.2). It was stored as the dossier's `due_at` then; an extension moves
`due_at` later (347/2025 Art.3 cl.6), so the notice keeps the promise as made and shows the final
deadline beside it. A dossier supplemented after a request (347/2025 Art.3 cl.5) is received
complete at its resubmission, when its limit restarts: the notice is then that receipt's.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from . import catalogue
from .calendar import VN_TZ

TITLE = "Thông báo tiếp nhận hồ sơ và hẹn trả kết quả"
LEGAL_BASIS = "Điểm a khoản 4 Điều 3 Nghị định số 347/2025/NĐ-CP"
# How the limit is counted, as the unit reads it (Civil Code 2015 Art.147 cl.2, Art.148 cl.5).
COUNTING = ("Thời hạn tính theo ngày làm việc của đơn vị KBNN, không tính ngày tiếp nhận hồ sơ; "
            "hẹn trả kết quả trước giờ đóng cửa của ngày làm việc cuối cùng.")


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def local_text(iso: str) -> str:
    """An instant as people in Vietnam read it: '17:00 ngày 10/03/2026'."""
    return _parse(iso).astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def time_limit(proc: catalogue.ProcedureVersion, dossier: Mapping[str, Any], complete_at: datetime) -> int:
    """The working days the procedure gives this dossier, complete at `complete_at`: the
    catalogue's own rule (which may depend on the date, and on the kind of payment)."""
    return proc.sla_days(complete_at, dossier.get("payment_kind"))


def _promised(due_at: str, complete_at: str, extensions: Sequence[Mapping[str, Any]]) -> str:
    """The due time fixed at receipt: the one the first extension since then started from."""
    since = [e for e in extensions if str(e.get("at") or "") >= complete_at]
    return str(since[0]["from_due_at"]) if since else due_at


def receipt_notice(dossier: Mapping[str, Any], office: Mapping[str, Any]) -> dict:
    """The receipt notice of a dossier, as a plain dict (strings, ints, lists).

    `dossier`: dossier_id, procedure, procedure_version, unit_id, received_at, due_at, and when
    present complete_at (its resubmission), extensions, payment_kind, voucher_number, amount,
    account_id.
    `office`: office_id and name. Times are UTC ISO-8601, each with its local text beside it.
    """
    proc = catalogue.get_version(dossier["procedure"], dossier["procedure_version"])
    complete_at = dossier.get("complete_at") or dossier["received_at"]
    extensions = list(dossier.get("extensions") or [])
    promised = _promised(dossier["due_at"], complete_at, extensions)
    extended = [e for e in extensions if str(e.get("at") or "") >= complete_at]
    return {
        "title": TITLE,
        "legal_basis": LEGAL_BASIS,
        "dossier_code": dossier["dossier_id"],
        "procedure": {"code": proc.code, "version": proc.version, "name": proc.name_vi,
                      "legal_basis": proc.legal_basis},
        "unit_id": dossier["unit_id"],
        "office": {"office_id": office["office_id"], "name": office.get("name") or office["office_id"]},
        "received_at": dossier["received_at"],
        "received_local": local_text(dossier["received_at"]),
        "resubmitted_at": dossier.get("complete_at"),
        "time_limit_working_days": time_limit(proc, dossier, _parse(complete_at)),
        "counting": COUNTING,
        "promised_result_at": promised,
        "promised_result_local": local_text(promised),
        # 347/2025 Art.3 cl.6: an extended dossier's final deadline, with why
        "final_deadline_at": dossier["due_at"] if extended else None,
        "final_deadline_local": local_text(dossier["due_at"]) if extended else None,
        "extensions": [{"cause": e["cause"], "reason": e["reason"],
                        "from_due_at": e["from_due_at"], "to_due_at": e["to_due_at"]}
                       for e in extended],
        "voucher_number": dossier.get("voucher_number"),
        "amount": dossier.get("amount"),
        "account_id": dossier.get("account_id"),
    }
