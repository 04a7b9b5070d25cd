"""Validation of form TK01: a unit asks to use the online service.

The form names the unit, its treasury office, its users with their roles, and its accounts; it
is signed by the account holder it names. Like the voucher, every failure names its field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidField
from .voucher import ACCOUNT_ID, MAX_AMOUNT

UNIT_USER_ROLES = ("unit_accountant", "chief_accountant", "account_holder", "unit_software")
TITLE_LIMITS = {"chief_accountant": 3, "account_holder": 4}
_UNIT_ID = re.compile(r"[0-9]{7}")
_CHAPTER = re.compile(r"[0-9]{3}")
_OFFICE = re.compile(r"[A-Za-z0-9\-]{1,32}")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._\-]{2,63}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}", re.IGNORECASE)


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    full_name: str
    email: str


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    kind: str
    opening_balance: int


@dataclass(frozen=True)
class Registration:
    unit_id: str
    name: str
    office_id: str
    chapter_code: str
    email: str
    mandatory: bool
    users: tuple[NewUser, ...]
    accounts: tuple[NewAccount, ...]
    signer: str          # the username of the account holder who signs the form


def _fail(field: str, message: str, code: str = "invalid_format") -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _str(obj: dict, key: str, path: str, pattern: re.Pattern | None = None, max_len: int = 200) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}.{key}", "Thiếu thông tin bắt buộc.", "required")
    value = value.strip()
    if len(value) > max_len or (pattern is not None and not pattern.fullmatch(value)):
        raise _fail(f"{path}.{key}", "Sai định dạng.")
    return value


def _list(obj: dict, key: str, path: str, most: int) -> list:
    value = obj.get(key)
    if not isinstance(value, list) or not value:
        raise _fail(f"{path}.{key}", "Cần ít nhất một mục.", "required")
    if len(value) > most:
        raise _fail(f"{path}.{key}", f"Tối đa {most} mục.", "too_long")
    return value


def parse_registration(raw: Any, path: str = "content.registration") -> Registration:
    if not isinstance(raw, dict) or not isinstance(raw.get("unit"), dict):
        raise _fail(f"{path}.unit", "Thiếu thông tin đơn vị.", "required")
    unit, unit_path = raw["unit"], f"{path}.unit"
    users = []
    for i, item in enumerate(_list(raw, "users", path, 20)):
        item_path = f"{path}.users[{i}]"
        if not isinstance(item, dict):
            raise _fail(item_path, "Phải là một đối tượng JSON.", "invalid_type")
        role = item.get("role")
        if role not in UNIT_USER_ROLES:
            raise _fail(f"{item_path}.role", f"Vai trò phải là một trong: {', '.join(UNIT_USER_ROLES)}.",
                        "invalid_choice")
        users.append(NewUser(_str(item, "username", item_path, _USERNAME, 64), role,
                             _str(item, "full_name", item_path), _str(item, "email", item_path, _EMAIL)))
    if len({u.username for u in users}) != len(users):
        raise _fail(f"{path}.users", "Tên đăng nhập bị trùng.", "duplicate_username")
    for title, limit in TITLE_LIMITS.items():
        if sum(u.role == title for u in users) > limit:
            raise _fail(f"{path}.users", f"Tối đa {limit} người cho chức danh {title}.",
                        "signer_limit_reached")
    accounts = []
    for i, item in enumerate(_list(raw, "accounts", path, 10)):
        item_path = f"{path}.accounts[{i}]"
        if not isinstance(item, dict):
            raise _fail(item_path, "Phải là một đối tượng JSON.", "invalid_type")
        if item.get("kind") not in ("estimate", "deposit"):
            raise _fail(f"{item_path}.kind", "Loại tài khoản phải là estimate hoặc deposit.",
                        "invalid_choice")
        balance = item.get("opening_balance", 0)
        if isinstance(balance, bool) or not isinstance(balance, int) or not 0 <= balance < MAX_AMOUNT:
            raise _fail(f"{item_path}.opening_balance", "Số dư phải là số nguyên đồng không âm.",
                        "invalid_amount")
        accounts.append(NewAccount(_str(item, "account_id", item_path, ACCOUNT_ID, 40), item["kind"],
                                   balance))
    if len({a.account_id for a in accounts}) != len(accounts):
        raise _fail(f"{path}.accounts", "Số tài khoản bị trùng.", "duplicate_account")
    signer = _str(raw, "signed_by", path, _USERNAME, 64)
    if not any(u.username == signer and u.role == "account_holder" for u in users):
        raise _fail(f"{path}.signed_by", "Người ký phải là chủ tài khoản có trong danh sách.",
                    "signer_not_account_holder")
    mandatory = unit.get("mandatory", True)
    if not isinstance(mandatory, bool):
        raise _fail(f"{unit_path}.mandatory", "Phải là true hoặc false.", "invalid_type")
    return Registration(
        unit_id=_str(unit, "unit_id", unit_path, _UNIT_ID), name=_str(unit, "name", unit_path),
        office_id=_str(unit, "office_id", unit_path, _OFFICE, 32),
        chapter_code=_str(unit, "chapter_code", unit_path, _CHAPTER),
        email=_str(unit, "email", unit_path, _EMAIL), mandatory=mandatory,
        users=tuple(users), accounts=tuple(accounts), signer=signer)
