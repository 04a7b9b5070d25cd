"""A split voucher over HTTP, against a running `make run`: a payment of 11,000,000 đồng of which
1,000,000 is the VAT withheld, paid into the budget, and 10,000,000 goes to the supplier — one
dossier (Decree 347/2025, Mẫu 14 / Mẫu 18 "kiêm nộp NSNN"), not two.

  submit → officer's checklist shows both parts → accept → approve → paid; the debit advice
  shows both parts and the stand-in ledger booked one debit and two credit legs summing to it.

  .venv/bin/python -m devstack.split_demo
"""
from __future__ import annotations

import argparse
import sys
import uuid

from .demo import ACCOUNT, DEFAULT_PKI, Api, sample_content, signed, wait_for_status, wait_for_task
from .stack import api_url, moto_url


def budget_payment(amount: int, **overrides) -> dict:
    """The NỘP NGÂN SÁCH NHÀ NƯỚC block: VAT (NDKT 1701) withheld from a supplier."""
    return {"taxpayer_name": "Công ty TNHH Văn phòng phẩm Hồng Hà", "tax_code": "0101234567",
            "economic_code": "1701", "chapter_code": "754", "declaration_id": None,
            "tax_period": "11/2026", "area_code": "01", "revenue_account": "7111",
            "collecting_agency": "Thuế thành phố Hà Nội", "treasury": "KBNN Khu vực I",
            "amount": amount, **overrides}


def split_content(number: str, total: int = 11_000_000, to_budget: int = 1_000_000,
                  **kwargs) -> dict:
    """A payment whose `to_budget` part goes into the budget and the rest to the payee."""
    content = sample_content(number, total, **kwargs)
    voucher = content["voucher"]
    voucher["budget_payment"] = budget_payment(to_budget)
    voucher["payee"]["amount"] = total - to_budget
    return content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.split_demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url())
    parser.add_argument("--total", type=int, default=11_000_000)
    parser.add_argument("--to-budget", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    api = Api(args.api)
    unit, officer, leader = (api.login(u) for u in ("ketoan.cva", "kiemsoat.kv1", "lanhdao.kv1"))
    number = f"SPLIT-{uuid.uuid4().hex[:6].upper()}"
    status, body = api.call("POST", "/v1/dossiers", signed(
        split_content(number, args.total, args.to_budget), DEFAULT_PKI), token=unit)
    if status != 201:
        print(f"refused: {status} {body}", file=sys.stderr)
        return 1
    dossier_id = body["dossier_id"]
    print(f"submitted {number} as {dossier_id}")
    _, checklist = api.call("GET", f"/v1/dossiers/{dossier_id}/checks", token=officer)
    for check in checklist["checks"]:
        print(f"  [{'x' if check['passed'] else ' '}] {check['label_vi']}: {check['detail']}")
    for token in (officer, leader):
        task = wait_for_task(api, token, dossier_id)
        decision = "accept" if token is officer else "approve"
        api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": decision},
                 token=token)
    paid = wait_for_status(api, unit, dossier_id, "paid", timeout=60)
    advice = paid["result"]["debit_advice"]
    print(f"paid: {advice['number']} debits {ACCOUNT} {advice['amount']:,} đồng once: "
          f"{advice['budget_payment']['amount']:,} into the budget (TK "
          f"{advice['budget_payment']['revenue_account']}), {advice['payee_amount']:,} to the payee")
    from .ledger import StandInLedger
    legs = StandInLedger(moto_url(), "us-east-1").legs(dossier_id)
    for leg in legs:
        print(f"  ledger credit leg {leg['leg']:<6} {leg['amount']:>15,}  "
              f"{leg.get('credit_account') or '-'}")
    booked = sum(leg["amount"] for leg in legs)
    print(f"legs sum to {booked:,} = the voucher's {args.total:,}: {booked == args.total}")
    return 0 if booked == args.total == advice["amount"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
