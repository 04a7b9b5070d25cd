"""One signed, valid submission of every procedure in force, for the demo data, over HTTP.

`happy_path(api, tokens, pki_dir, tag)` submits a dossier of each procedure and drives it down its
happy path (the first decision offered at every step) to its end status; the benchmark counts the
state transitions and AWS calls of each, and the same content builders serve the tests.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from .demo import Api, sample_content, signed, upload
from .provider import signed_letter
from .registration_demo import tk01
from .seed import DEMO_LOAN, DEMO_PROJECT

PROJECT = {"code": DEMO_PROJECT, "name": "Cải tạo, nâng cấp trụ sở làm việc"}
FUNDING = {"agreement_number": DEMO_LOAN, "lender": "Hiệp hội Phát triển Quốc tế (IDA)",
           "currency": "USD", "original_amount": "1250.00"}
INVESTMENT_254 = ("investment_capital_payment", "project_management_costs", "foreign_capital_spending")
# The unit whose people sign the account procedures (its accountant submits).
ACCOUNT_UNIT = ("1023456", "bvdd")


def _sign(content: dict, pki_dir: Path, *signers: tuple[str, str]) -> dict:
    import signtool
    body: dict = {"content": content}
    for name, title in signers:
        body = signtool.add_signature(body, (pki_dir / f"{name}.key.pem").read_bytes(),
                                      (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return body


def investment_terms() -> dict:
    """A Decree 254/2025 voucher's `investment` block: the volume paid for was accepted today
    (the product clock's day), within the plan year the voucher names."""
    from chalicelib import clock
    from chalicelib.domain.calendar import local_date
    return {"accepted_on": local_date(clock.now()).isoformat()}


def payment_like(procedure: str, number: str, amount: int = 1_000_000, **extra) -> dict:
    blocks: dict = {
        "investment_capital_payment": {"project": PROJECT, "investment": investment_terms()},
        "project_management_costs": {"project": PROJECT, "investment": investment_terms()},
        "foreign_capital_spending": {"project": PROJECT, "funding": FUNDING,
                                     "investment": investment_terms()},
        "oda_recording": {"project": PROJECT, "funding": FUNDING, "payment_kind": "oda_recording"},
    }.get(procedure, {})
    return sample_content(number, amount, procedure=procedure, **{**blocks, **extra})


def reconciliation(pki_dir: Path, account_id: str, book_balance: int) -> dict:
    return _sign({"procedure": "balance_reconciliation", "reconciliation": {
        "account_id": account_id, "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "book_balance": book_balance}}, pki_dir, ("ktt.cva", "chief_accountant"),
        ("chutk.cva", "account_holder"))


def open_account(pki_dir: Path, account_id: str) -> dict:
    _, prefix = ACCOUNT_UNIT
    return _sign({"procedure": "signature_specimens", "specimens": {
        "open_accounts": [{"account_id": account_id, "kind": "deposit"}]}},
        pki_dir, (f"chutk.{prefix}", "account_holder"))


def _last_month() -> dict:
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.domain.calendar import local_date
    end = local_date(clock.now()).replace(day=1) - timedelta(days=1)
    return {"from": end.replace(day=1).isoformat(), "to": end.isoformat()}


def close_account(pki_dir: Path, account_id: str, period: dict | None = None) -> dict:
    """Mẫu 25 of a new, unused deposit account with its Mẫu 32 (347/2025 Art.9 cl.3)."""
    _, prefix = ACCOUNT_UNIT
    mau_32 = {"form": "32", "rows": [{"line": line, "cells": {"amount": 0}}
                                     for line in ("opening", "increase", "decrease", "closing")]}
    return _sign({"procedure": "account_closing", "closing": {
        "account_id": account_id, "reason": "Kết thúc dự án, không còn sử dụng.",
        "period": period or _last_month(), "forms": [mau_32]}},
        pki_dir, (f"ktt.{prefix}", "chief_accountant"), (f"chutk.{prefix}", "account_holder"))


def drive(api: Api, office: dict[str, str], dossier_id: str, reader: str) -> dict:
    """Take the dossier down its happy path: at each step, the first decision offered."""
    import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, d = api.call("GET", f"/v1/dossiers/{dossier_id}", token=reader)
        if d["status"] in ("paid", "recorded", "registered", "closed", "reconciled",
                           "not_reconciled", "refused"):
            return d
        for token in office.values():
            _, inbox = api.call("GET", "/v1/tasks?state=open&limit=200", token=token)
            task = next((t for t in inbox["items"] if t["dossier_id"] == dossier_id
                         and t["kind"] == "decision" and t["allowed_decisions"]), None)
            if task:
                api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                         {"decision": task["allowed_decisions"][0]}, token=token)
        time.sleep(0.1)
    raise TimeoutError(f"{dossier_id} did not finish")


def registrar(api: Api, pki_dir: Path, endpoint_url: str, pool_id: str) -> Callable[[], dict]:
    """What `happy_path` calls for a unit registered just now (TK01, devstack.registration_demo):
    a temporary allocation exists only before a year's estimate is approved, and every seeded
    unit's is."""
    from .registration_demo import fresh_unit, register_unit

    def register() -> dict:
        unit_id = fresh_unit(endpoint_url, pool_id)
        return {**register_unit(api, pki_dir, endpoint_url, pool_id, unit_id, f"u{unit_id}",
                                log=lambda *_: None), "unit_id": unit_id}
    return register


def happy_path(api: Api, pki_dir: Path, tag: str,
               on_submit: Callable[[str], None] = lambda _: None,
               new_unit: Callable[[], dict] | None = None) -> list[dict]:
    """One dossier of each procedure in force, each driven to its end; [{procedure, dossier}].
    The temporary allocation needs `new_unit` (see `registrar`); without it, it is left out."""
    login = api.login
    unit, other = login("ketoan.cva"), login(f"ketoan.{ACCOUNT_UNIT[1]}")
    office = {"officer": login("kiemsoat.kv1"), "leader": login("lanhdao.kv1")}
    new_account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
    _, acct = api.call("GET", "/v1/accounts/3713.1.1012345", token=unit)

    def donor_notice() -> list[dict]:
        return [upload(api, unit, "donor_notice", f"tb-giai-ngan-{tag}.pdf", f"notice {tag}".encode())]

    def carried(code: str) -> list[dict] | None:
        """The per-dossier document a payment of `code` always carries."""
        if code == "oda_recording":
            return donor_notice()
        if code in INVESTMENT_254:   # 254/2025 Art.8 cl.3: the statement of completed volume
            return [upload(api, unit, "completed_volume", f"kl-hoan-thanh-{tag}-{code[:6]}.pdf",
                           f"volume {tag} {code}".encode())]
        return None

    plans: list[tuple[str, Callable[[], tuple[str, dict, str | None]]]] = [
        *((code, lambda code=code: ("/v1/dossiers", signed(payment_like(
            code, f"{tag}-{code[:6]}", documents=carried(code)),
            pki_dir), unit))
          for code in ("regular_spending_payment", "investment_capital_payment",
                       "project_management_costs", "foreign_capital_spending", "oda_recording")),
        ("balance_reconciliation", lambda: ("/v1/dossiers", reconciliation(
            pki_dir, "3713.1.1012345", acct["balance"]), unit)),
        ("signature_specimens", lambda: ("/v1/dossiers", open_account(pki_dir, new_account), other)),
        ("account_closing", lambda: ("/v1/dossiers", close_account(pki_dir, new_account), other)),
        ("utility_autopay_authorisation", lambda: ("/v1/dossiers", signed_letter(
            pki_dir, ACCOUNT_UNIT[1], f"9523.1.{ACCOUNT_UNIT[0]}", [f"{tag}-PD01"]), other)),
        ("service_registration", lambda: ("/v1/registrations", _registration(pki_dir, tag), None)),
    ]
    if new_unit is not None:
        plans.append(("temporary_allocation", lambda: _allocation(new_unit(), tag)))
    done = []
    for code, plan in plans:
        path, body, token = plan()
        on_submit(code)
        status, d = api.call("POST", path, body, token=token)
        if status != 201:
            raise RuntimeError(f"{code}: {status} {d}")
        on_submit("")
        end = drive(api, office, d["dossier_id"], token or office["officer"])
        done.append({"procedure": code, "dossier": end})
    return done


def _allocation(unit: dict, tag: str) -> tuple[str, dict, str | None]:
    from chalicelib import clock
    from chalicelib.domain.calendar import local_date

    from .budget_forms import allocation_content
    unit_id = unit["unit_id"]
    content = allocation_content(f"{tag}-TC", 120_000_000, year=local_date(clock.now()).year,
                                 unit=unit_id, chapter="622", account=f"9523.1.{unit_id}")
    return "/v1/dossiers", unit["sign"](content), unit["accountant"]


def _registration(pki_dir: Path, tag: str) -> dict:
    from .pki import DemoPKI
    unit_id = f"19{uuid.uuid4().int % 10**5:05d}"
    prefix = f"b{unit_id}"
    DemoPKI(pki_dir).issue(f"chutk.{prefix}", key_type="rsa")
    return _sign(tk01(unit_id, prefix=prefix), pki_dir, (f"chutk.{prefix}", "account_holder"))
