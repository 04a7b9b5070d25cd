"""Issue 17 on the local stack: Decree 254/2025's investment procedures, the receipt notice, a
reconciliation re-reconciled, and the 2025 budget year bound to Decree 11/2020 in January 2026.
Over HTTP against a running `make run`, as a unit and its office would:

  1. a payment of each 254/2025 procedure (investment capital, project-management costs, foreign
     capital; 254/2025 Art.23, Art.24, Art.8 cl.6) for the demo project, with its statement of
     completed volume (Art.8 cl.3), down to paid with its debit advice; and one refused once,
     with the written reason (Art.8 cl.9): the printable refusal notice (Mẫu 33), saved to a file;
  2. the receipt notice of the first of them (347/2025 Art.3 cl.4 pt.a): from
     GET /v1/dossiers/{id}/receipt-notice and as the unit's e-mail (the moto outbox);
  3. a reconciliation (Mẫu 32, 347/2025 Art.10) that does not match the ledger, returned line by
     line, re-reconciled with the treasury's figures within the working day, and confirmed;
  4. a regular-spending dossier of budget year 2025 received on Tue 20 Jan 2026, bound to Decree
     11/2020 Art.7 (347/2025 Art.15 cl.1 pt.a), and the same on Mon 2 Feb 2026, refused.

The running stack's clock cannot be moved from outside (chalicelib/clock.py: it is read from
KBNN_CLOCK once per process, `make run CLOCK=...`), so step 4 starts a second, short-lived local
stack inside this process with the product's clock moved to 20 Jan 2026 09:00 (Hanoi), as the
tests' `travel` does, and stops it after; `--skip-january` leaves step 4 out.

It exits non-zero if any of that does not hold.

  .venv/bin/python -m devstack.investment_demo
"""
from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from chalicelib import clock
from chalicelib.domain.calendar import local_date

from .demo import DEFAULT_PKI, Api, sample_content, signed, upload, wait_for_status
from .outbox import fetch
from .samples import INVESTMENT_254, payment_like
from .stack import api_url, moto_url

DEPOSIT = "3713.1.1012345"            # unit 1012345's deposit account (Mẫu 32)
JANUARY_20 = "2026-01-20T09:00:00+07:00"
FEBRUARY_2 = "2026-02-02T09:00:00+07:00"
T = TypeVar("T")
REFUSAL = "Thiếu bảng xác định giá trị khối lượng công việc hoàn thành (Mẫu 03.a/TT) có xác nhận."


class NotShown(AssertionError):
    """What the demo is to show did not hold."""


def expect(holds: bool, what: str) -> None:
    if not holds:
        raise NotShown(what)


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(what)


def page_text(page: str) -> list[str]:
    """A printable HTML page as the lines a reader sees (no style, no QR code)."""
    page = re.sub(r"<(style|svg|head)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<(br|/p|/h\d|/div|/tr|/li)\b[^>]*>", "\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return [line for line in (re.sub(r"\s+", " ", raw).strip() for raw in text.splitlines()) if line]


class Office:
    """Unit 1012345's accountant and office KV1's officer and leader, over HTTP."""

    def __init__(self, api: Api, pki_dir: Path) -> None:
        self.api, self.pki_dir = api, pki_dir
        self.unit, self.officer, self.leader = (
            api.login(u) for u in ("ketoan.cva", "kiemsoat.kv1", "lanhdao.kv1"))

    def submit(self, content: dict) -> dict:
        status, answer = self.api.call("POST", "/v1/dossiers", signed(content, self.pki_dir),
                                       token=self.unit)
        expect(status == 201, f"{content.get('voucher', {}).get('number')} not received: "
                              f"{status} {answer}")
        return answer

    def task(self, token: str, dossier_id: str) -> dict:
        def open_task() -> dict | None:
            _, inbox = self.api.call("GET", "/v1/tasks?state=open&limit=200", token=token)
            return next((t for t in inbox.get("items", []) if t["dossier_id"] == dossier_id
                         and t["kind"] == "decision"), None)
        return eventually(open_task, f"no open task for {dossier_id}")

    def decide(self, token: str, dossier_id: str, decision: str, reason: str | None = None) -> None:
        task = self.task(token, dossier_id)
        body = {"decision": decision, **({"reason": reason} if reason else {})}
        status, answer = self.api.call("POST", f"/v1/tasks/{task['task_id']}/decision", body,
                                       token=token)
        expect(status == 200, f"{decision} on {dossier_id}: {status} {answer}")

    def dossier(self, dossier_id: str) -> dict:
        status, body = self.api.call("GET", f"/v1/dossiers/{dossier_id}", token=self.unit)
        expect(status == 200, f"GET {dossier_id}: {status} {body}")
        return body

    def page(self, dossier_id: str, kind: str) -> str:
        import urllib.error
        import urllib.request
        request = urllib.request.Request(
            f"{self.api.base}/v1/dossiers/{dossier_id}/documents/{kind}",
            headers={"Authorization": f"Bearer {self.unit}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            raise NotShown(f"{kind} of {dossier_id}: {err.code} {err.read()[:300]!r}") from err


def investment_254(office: Office, tag: str, out_dir: Path, log=print) -> list[dict]:
    log("== 1. Nghị định 254/2025: một hồ sơ mỗi thủ tục đến khi thanh toán / one of each, paid")
    paid = []
    for procedure in INVESTMENT_254:
        number = f"{tag}-{procedure[:6].upper()}"
        volume = upload(office.api, office.unit, "completed_volume", f"03a-{number}.pdf",
                        f"Mẫu 03.a/TT {number}".encode())
        d = office.submit(payment_like(procedure, number, 2_000_000, documents=[volume]))
        expect(d["version"] == "254-2025", f"{procedure} bound to {d['version']}, not 254-2025")
        office.decide(office.officer, d["dossier_id"], "accept")
        office.decide(office.leader, d["dossier_id"], "approve")
        done = wait_for_status(office.api, office.unit, d["dossier_id"], "paid", timeout=60)
        advice = done["result"]["debit_advice"]
        expect("Giấy báo Nợ" in office.page(d["dossier_id"], "debit_advice"),
               f"the debit advice of {d['dossier_id']} is not printable")
        log(f"  {procedure:<27} {d['dossier_id']}  version {d['version']}  "
            f"hạn/due {d['due_at']}  → {done['status']}, Giấy báo Nợ số {advice['number']} "
            f"({advice['amount']:,} đồng, {advice['account_id']})")
        paid.append(done)

    number = f"{tag}-REFUSE"
    volume = upload(office.api, office.unit, "completed_volume", f"03a-{number}.pdf",
                    f"Mẫu 03.a/TT {number}".encode())
    d = office.submit(payment_like("project_management_costs", number, documents=[volume]))
    offered = office.task(office.officer, d["dossier_id"])["allowed_decisions"]
    office.decide(office.officer, d["dossier_id"], "refuse", REFUSAL)
    refused = wait_for_status(office.api, office.unit, d["dossier_id"], "refused", timeout=60)
    expect(refused["result"]["reason"] == REFUSAL, f"refusal reason: {refused['result']}")
    page = office.page(d["dossier_id"], "refusal_notice")
    saved = out_dir / f"{d['dossier_id']}-refusal_notice.html"
    saved.write_text(page, encoding="utf-8")
    lines = page_text(page)
    expect(any(REFUSAL in line for line in lines), "the refusal notice does not give the reason")
    log(f"  refused once (254/2025 Art.8 cl.9; the officer is offered {offered}): "
        f"{d['dossier_id']}")
    log(f"  GET /v1/dossiers/{d['dossier_id']}/documents/refusal_notice → {saved}")
    for line in lines[:12]:
        log(f"    | {line}")
    return paid


def receipt_notice(office: Office, dossier: dict, moto: str, log=print) -> None:
    dossier_id = dossier["dossier_id"]
    log("== 2. Thông báo tiếp nhận / receipt notice (347/2025 Art.3 cl.4 pt.a)")
    status, notice = office.api.call("GET", f"/v1/dossiers/{dossier_id}/receipt-notice",
                                     token=office.unit)
    expect(status == 200, f"receipt notice: {status} {notice}")
    expect(notice["dossier_code"] == dossier_id, f"receipt notice of {notice['dossier_code']}")
    log(f"  GET /v1/dossiers/{dossier_id}/receipt-notice")
    log(f"    {notice['title']} — {notice['legal_basis']}")
    log(f"    mã hồ sơ {notice['dossier_code']}; {notice['procedure']['name']} "
        f"({notice['procedure']['legal_basis']})")
    log(f"    nhận lúc {notice['received_local']}; thời hạn {notice['time_limit_working_days']} "
        f"ngày làm việc; hẹn trả kết quả {notice['promised_result_local']}")
    mail = eventually(lambda: next((m for m in fetch("emails", moto, contains=dossier_id)
                                    if "Thông báo tiếp nhận hồ sơ" in m["subject"]), None),
                      f"no receipt e-mail for {dossier_id}")
    expect(notice["promised_result_local"] in mail["body"],
           "the e-mail does not promise the notice's date")
    log(f"  e-mail (moto outbox, python -m devstack.outbox emails --contains {dossier_id}):")
    log(f"    To: {', '.join(mail['to'])}")
    log(f"    Subject: {mail['subject']}")
    for line in [x for x in mail["body"].splitlines() if x.strip()][:8]:
        log(f"    | {line}")


def mau_32(opening: int, increase: int, decrease: int) -> dict:
    return {"form": "32", "rows": [
        {"line": "opening", "cells": {"amount": opening}},
        {"line": "increase", "cells": {"amount": increase}},
        {"line": "decrease", "cells": {"amount": decrease}},
        {"line": "closing", "cells": {"amount": opening + increase - decrease}}]}


def reconciliation_body(pki_dir: Path, form: dict) -> dict:
    import signtool
    end = local_date(clock.now()).replace(day=1) - timedelta(days=1)    # last month: over
    body: dict = {"content": {"procedure": "balance_reconciliation", "reconciliation": {
        "account_id": DEPOSIT, "period": {"from": end.replace(day=1).isoformat(),
                                          "to": end.isoformat()}, "form": form}}}
    for name, title in (("ktt.cva", "chief_accountant"), ("chutk.cva", "account_holder")):
        body = signtool.add_signature(body, (pki_dir / f"{name}.key.pem").read_bytes(),
                                      (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return body


def reconciliation(office: Office, log=print) -> dict:
    log("== 3. Đối chiếu số dư / reconciliation (347/2025 Art.10, Mẫu 32)")
    _, account = office.api.call("GET", f"/v1/accounts/{DEPOSIT}", token=office.unit)
    status, d = office.api.call("POST", "/v1/dossiers", reconciliation_body(
        office.pki_dir, mau_32(account["balance"] + 1_000, 0, 0)), token=office.unit)
    expect(status == 201, f"reconciliation not received: {status} {d}")
    view = office.dossier(d["dossier_id"])["reconciliation"]
    log(f"  {d['dossier_id']}: Mẫu 32 of {DEPOSIT} for last month, sent with an opening "
        f"1,000 đồng off; the treasury's Mẫu {view['treasury_form']['symbol']} from the ledger:")
    expect(view["differences"] != [], "a wrong opening should differ from the ledger")
    for x in view["differences"]:
        log(f"    chênh lệch / differs  {x['line']:<9} ({x['field']}): unit {x['unit']:,}  "
            f"treasury {x['treasury']:,}  difference {x['difference']:,}")
    office.decide(office.officer, d["dossier_id"], "does_not_match",
                  "Số dư đầu kỳ chênh lệch 1.000 đồng so với sổ của Kho bạc.")
    wait_for_status(office.api, office.unit, d["dossier_id"], "awaiting_supplement")
    office.task(office.unit, d["dossier_id"])       # the unit's re-reconciliation step
    returned = office.dossier(d["dossier_id"])
    due = returned["reconciliation"]["re_reconciliation"]
    log(f"  officer: does_not_match → {returned['status']} (step {returned['step']}); "
        f"re-reconcile by {due['due_at']} (1 working day, Art.10 cl.2 pt.c), overdue={due['overdue']}")
    lines = {r["line"]: r["cells"]["amount"] for r in returned["reconciliation"]["treasury_form"]["rows"]}
    status, again = office.api.call(
        "POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
        reconciliation_body(office.pki_dir, mau_32(lines["opening"], lines["increase"],
                                                   lines["decrease"])), token=office.unit)
    expect(status == 200, f"re-reconciliation: {status} {again}")
    expect(office.dossier(d["dossier_id"])["reconciliation"]["differences"] == [],
           "the re-reconciliation still differs")
    log(f"  unit re-reconciles with the treasury's figures → {again['status']}, no differences")
    office.decide(office.officer, d["dossier_id"], "matches")
    done = wait_for_status(office.api, office.unit, d["dossier_id"], "reconciled")
    confirmed = done["reconciliation"]["confirmed_form"]
    expect(confirmed["confirmed"] is True, f"not confirmed: {confirmed}")
    log(f"  officer: matches → {done['status']}; confirmed Mẫu {confirmed['form']} "
        f"(closing {lines['closing']:,} đồng)")
    return done


def january_2026(tag: str, log=print) -> None:
    """347/2025 Art.15 cl.1 pt.a on a second local stack whose clock reads 20 Jan 2026."""
    from .stack import LocalStack
    log("== 4. Năm ngân sách 2025, nhận ngày 20/01/2026 / budget year 2025 received 20 Jan 2026")
    log(f"  starting a second local stack in this process, its clock moved to {JANUARY_20} …")
    with clock.travel(JANUARY_20), tempfile.TemporaryDirectory(prefix="kbnn-jan-") as keys:
        with LocalStack(moto_port=0, api_port=0, quiet=True, pki_dir=Path(keys)) as stack:
            office = Office(Api(stack.api_url), stack.pki_dir)
            d = office.submit(sample_content(f"{tag}-Y2025", 3_000_000, budget_year=2025))
            _, notice = office.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/receipt-notice",
                                        token=office.unit)
            expect(d["version"] == "11-2020", f"bound to {d['version']}, not 11-2020")
            log(f"  {d['dossier_id']} regular_spending_payment, budget year 2025, received "
                f"{notice['received_local']} → version {d['version']} "
                f"({notice['procedure']['legal_basis']}); hẹn trả {notice['promised_result_local']}")
            clock.travel(FEBRUARY_2)
            status, err = office.api.call("POST", "/v1/dossiers", signed(
                sample_content(f"{tag}-Y2025L", 3_000_000, budget_year=2025), stack.pki_dir),
                token=office.unit)
            expect((status, err.get("error", {}).get("code")) == (422, "budget_year_closed"),
                   f"2 Feb 2026: {status} {err}")
            log(f"  the same on {FEBRUARY_2} → {status} {err['error']['code']} "
                f"({err['error']['field']}): {err['error']['message']}")
    log("  second stack stopped")


def run(api: Api, pki_dir: Path, moto: str, out_dir: Path, january: bool = True,
        log=print) -> None:
    office, tag = Office(api, pki_dir), f"DA{uuid.uuid4().hex[:5].upper()}"
    paid = investment_254(office, tag, out_dir, log)
    receipt_notice(office, paid[0], moto, log)
    reconciliation(office, log)
    if january:
        january_2026(tag, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.investment_demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (make run's, or KBNN_API_URL)")
    parser.add_argument("--moto", default=moto_url(), help="its moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the printable refusal notice is saved")
    parser.add_argument("--skip-january", action="store_true",
                        help="leave out step 4 (it starts a second local stack for its clock)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        run(Api(args.api), args.pki, args.moto, args.out, january=not args.skip_january)
    except (NotShown, TimeoutError) as exc:
        print(f"investment_demo: NOT SHOWN: {exc}", file=sys.stderr)
        return 1
    print("shown: each 254/2025 procedure paid and one refused with its notice; the receipt notice "
          "and its e-mail; a reconciliation re-reconciled; budget year 2025 bound to 11/2020 Art.7 "
          "on 20 Jan 2026")
    return 0


if __name__ == "__main__":
    sys.exit(main())
