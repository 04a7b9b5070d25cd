"""A walk through the product over HTTP, against a running `make run`:

  A: submit -> officer accepts -> leader approves -> posted (debit advice, balance moves once)
  B: submit -> officer asks for a supplement -> unit resubmits -> officer refuses with a reason

Only the public API is used, exactly as a unit's software or the web console would.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from chalicelib import clock
from chalicelib.domain.calendar import local_date

from .seed import DEMO_PASSWORD, SIGNING_TITLES, signer
from .stack import api_url, pki_dir

ACCOUNT = "9523.1.1012345"
DEFAULT_PKI = pki_dir()


def signed(content: dict, pki_dir: Path = DEFAULT_PKI, unit_code: str = "1012345") -> dict:
    """The submission signed by the unit's chief accountant and account holder, with signtool:
    the only code that touches their private keys."""
    import signtool
    submission: dict = {"content": content}
    for title in SIGNING_TITLES:
        name = signer(unit_code, title).username
        submission = signtool.add_signature(submission, (pki_dir / f"{name}.key.pem").read_bytes(),
                                            (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return submission


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body: object = None, token: str | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def login(self, username: str) -> str:
        status, body = self.call("POST", "/v1/auth/token",
                                 {"username": username, "password": DEMO_PASSWORD})
        assert status == 200, body
        return body["id_token"]


def sample_content(number: str, amount: int = 12_500_000, *, unit_code: str = "1012345",
                   chapter_code: str = "422", account: str = ACCOUNT,
                   procedure: str = "regular_spending_payment", payment_kind: str = "payment",
                   documents: list | None = None, budget_year: int | None = None,
                   **voucher_extra) -> dict:
    """A payment-like dossier's content. `voucher_extra` adds voucher blocks (contract, project,
    funding, related_dossier); `documents` the manifest of uploaded files; `budget_year` defaults
    to the product clock's year (a voucher must name an open budget year)."""
    if budget_year is None:
        budget_year = local_date(clock.now()).year
    content = {
        "procedure": procedure,
        "voucher": {
            "number": number, "budget_year": budget_year, "estimate_type": "official",
            "payment_kind": payment_kind, "method": "transfer",
            "payer": {"unit_code": unit_code, "chapter_code": chapter_code, "account": account},
            "lines": [
                {"content": "Mua văn phòng phẩm quý IV", "economic_code": "6551",
                 "sector_code": "072", "source_code": "13", "amount": amount - amount // 5},
                {"content": "Cước internet tháng 11", "economic_code": "6605",
                 "sector_code": "072", "source_code": "13", "amount": amount // 5},
            ],
            "total": amount,
            "payee": {"name": "Công ty TNHH Văn phòng phẩm Hồng Hà", "tax_code": "0101234567",
                      "account": "0011004455667", "bank": "Vietcombank Hà Nội"},
            **voucher_extra,
        },
    }
    if documents:
        content["documents"] = documents
    return content


def upload(api: Api, token: str, kind: str, name: str, data: bytes,
           content_type: str = "application/pdf") -> dict:
    """Upload a file as a unit's client does (ask for a URL, PUT the bytes to S3 with the
    checksum header) and return its manifest entry."""
    import hashlib
    digest = hashlib.sha256(data).hexdigest()
    status, answer = api.call("POST", "/v1/documents", {
        "name": name, "sha256": digest, "size": len(data), "content_type": content_type},
        token=token)
    assert status in (200, 201), answer
    if answer["upload"] is not None:
        put = urllib.request.Request(answer["upload"]["url"], data=data, method="PUT",
                                     headers=answer["upload"]["headers"])
        with urllib.request.urlopen(put, timeout=30):
            pass
    return {"kind": kind, "name": name, "sha256": digest}


def wait_for_task(api: Api, token: str, dossier_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cursor = ""
        while True:   # a busy inbox outgrows one page
            _, inbox = api.call("GET", f"/v1/tasks?state=open&limit=200{cursor}", token=token)
            for task in inbox.get("items", []):
                if task["dossier_id"] == dossier_id and task["kind"] == "decision":
                    return task
            if not inbox.get("next_cursor"):
                break
            cursor = f"&cursor={inbox['next_cursor']}"
        time.sleep(0.2)
    raise TimeoutError(f"no task for {dossier_id}")


def wait_for_status(api: Api, token: str, dossier_id: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, dossier = api.call("GET", f"/v1/dossiers/{dossier_id}", token=token)
        if dossier.get("status") == status:
            return dossier
        time.sleep(0.2)
    raise TimeoutError(f"{dossier_id} never reached {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default=api_url(), help="the API (default: make run's, or KBNN_API_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI, help="demo keys (make run prints it)")
    args = parser.parse_args()
    api, pki = Api(args.api), args.pki
    unit, officer, leader = (api.login(u) for u in ("ketoan.cva", "kiemsoat.kv1", "lanhdao.kv1"))
    _, before = api.call("GET", f"/v1/accounts/{ACCOUNT}", token=unit)

    print("A. submit → accept → approve → posted")
    status, a = api.call("POST", "/v1/dossiers", signed(sample_content("DEMO-A"), pki), token=unit,
                         headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"})
    print(f"   submitted {a['dossier_id']} ({status}), due {a['due_at']}")
    task = wait_for_task(api, officer, a["dossier_id"])
    print("   officer:", api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                                  {"decision": "accept"}, token=officer)[1]["status"])
    task = wait_for_task(api, leader, a["dossier_id"])
    print("   leader: ", api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                                  {"decision": "approve"}, token=leader)[1]["status"])
    paid = wait_for_status(api, unit, a["dossier_id"], "paid")
    print("   unit sees:", paid["status"], "— debit advice", paid["result"]["debit_advice"]["number"])

    print("B. submit → request supplement → resubmit → refuse")
    _, b = api.call("POST", "/v1/dossiers", signed(sample_content("DEMO-B", 7_000_000), pki),
                    token=unit)
    task = wait_for_task(api, officer, b["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
             {"decision": "request_supplement", "reason": "Thiếu hóa đơn cước internet."},
             token=officer)
    wait_for_status(api, unit, b["dossier_id"], "awaiting_supplement")
    print("   supplement requested; unit resubmits")
    wait_for_task(api, unit, b["dossier_id"])
    status, _ = api.call("POST", f"/v1/dossiers/{b['dossier_id']}/supplement",
                         signed(sample_content("DEMO-B", 7_000_000), pki), token=unit)
    task = wait_for_task(api, officer, b["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
             {"decision": "refuse", "reason": "Nội dung chi không đúng dự toán được giao."},
             token=officer)
    refused = wait_for_status(api, unit, b["dossier_id"], "refused")
    print("   unit sees:", refused["status"], "—", refused["result"]["reason"])

    _, after = api.call("GET", f"/v1/accounts/{ACCOUNT}", token=unit)
    moved = before["balance"] - after["balance"]
    print(f"Balance of {ACCOUNT}: {before['balance']:,} → {after['balance']:,} "
          f"(moved {moved:,} = dossier A's 12,500,000 exactly once)")
    _, trail = api.call("GET", f"/v1/dossiers/{a['dossier_id']}/audit", token=unit)
    print("Audit of A:", len(trail["records"]), "records, chain intact:",
          trail["verification"]["intact"])
    print(f"E-mails to the unit and risk warnings: python -m devstack.outbox emails --contains "
          f"{a['dossier_id']}  ·  python -m devstack.outbox alerts --dossier {a['dossier_id']}")
    return 0 if moved == 12_500_000 else 1


if __name__ == "__main__":
    sys.exit(main())
