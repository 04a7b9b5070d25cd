"""Validation of a change of signature specimens (Decree 347/2025 Art. 8): which pending
certificates the unit's account holder asks the treasury to approve, which to revoke, and which
accounts to open. Whether each certificate is really this unit's is checked by the service."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidField
from .voucher import ACCOUNT_ID

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SpecimenChanges:
    approve: tuple[str, ...]
    revoke: tuple[tuple[str, str], ...]      # (fingerprint, reason)
    open_accounts: tuple[tuple[str, str], ...]  # (account id, kind)


def _items(raw: dict, key: str, path: str) -> list:
    value = raw.get(key, [])
    if not isinstance(value, list) or len(value) > 20:
        raise InvalidField("Phải là danh sách (tối đa 20).", code="invalid_type", field=f"{path}.{key}")
    return value


def parse_specimens(raw: Any, path: str = "content.specimens") -> SpecimenChanges:
    if not isinstance(raw, dict):
        raise InvalidField("Thiếu nội dung thay đổi.", code="required", field=path)
    approve = []
    for i, fp in enumerate(_items(raw, "approve", path)):
        if not isinstance(fp, str) or not _FINGERPRINT.fullmatch(fp):
            raise InvalidField("Dấu vân tay chứng thư (SHA-256) không hợp lệ.", code="invalid_format",
                               field=f"{path}.approve[{i}]")
        approve.append(fp)
    revoke = []
    for i, item in enumerate(_items(raw, "revoke", path)):
        item_path = f"{path}.revoke[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str) \
                or not _FINGERPRINT.fullmatch(item["fingerprint"]):
            raise InvalidField("Cần dấu vân tay chứng thư hợp lệ.", code="invalid_format",
                               field=f"{item_path}.fingerprint")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise InvalidField("Cần lý do thu hồi.", code="reason_required", field=f"{item_path}.reason")
        revoke.append((item["fingerprint"], reason.strip()))
    accounts = []
    for i, item in enumerate(_items(raw, "open_accounts", path)):
        item_path = f"{path}.open_accounts[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("account_id"), str) \
                or not ACCOUNT_ID.fullmatch(item["account_id"]):
            raise InvalidField("Số tài khoản không hợp lệ.", code="invalid_format",
                               field=f"{item_path}.account_id")
        if item.get("kind") not in ("estimate", "deposit"):
            raise InvalidField("Loại tài khoản phải là estimate hoặc deposit.", code="invalid_choice",
                               field=f"{item_path}.kind")
        accounts.append((item["account_id"], item["kind"]))
    if not (approve or revoke or accounts):
        raise InvalidField("Hồ sơ không có thay đổi nào.", code="required", field=path)
    if len(set(approve) | {fp for fp, _ in revoke}) != len(approve) + len(revoke):
        raise InvalidField("Một chứng thư chỉ xuất hiện một lần.", code="duplicate_certificate",
                           field=path)
    return SpecimenChanges(tuple(approve), tuple(revoke), tuple(accounts))
