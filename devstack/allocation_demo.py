"""A temporary allocation of the estimate (Decree 347/2025 Art. 6 cl. 3 pt. d, Mẫu 22), over HTTP
against a running `make run`:

  a new unit registers (form TK01; every seeded unit already has its year's estimate approved,
  and a temporary allocation exists only before that) → it asks for a temporary allocation of
  120 million đồng → the office accepts, the leader approves → the confirmed Mẫu 22 is its
  result and the estimate account may spend 120 million beyond its balance → a payment of its
  balance plus 100 million is paid.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib import clock
from chalicelib.domain.calendar import local_date

from .budget_forms import allocation_content
from .demo import DEFAULT_PKI, Api, sample_content, wait_for_status, wait_for_task
from .registration_demo import DEMO_UNITS, UnitTaken, _cognito, fresh_unit, register_unit
from .stack import api_url, moto_url


def decided(api: Api, dossier_id: str, end_status: str) -> dict:
    for username, decision in (("kiemsoat.kv1", "accept"), ("lanhdao.kv1", "approve")):
        token = api.login(username)
        task = wait_for_task(api, token, dossier_id)
        api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": decision},
                 token=token)
    return wait_for_status(api, api.login("kiemsoat.kv1"), dossier_id, end_status)


def run(api: Api, pki_dir: Path, endpoint_url: str, pool_id: str, unit_id: str, log=print) -> dict:
    unit = register_unit(api, pki_dir, endpoint_url, pool_id, unit_id, f"u{unit_id}",
                         log=lambda *_: None)
    account, year = f"9523.1.{unit_id}", local_date(clock.now()).year
    log(f"1. unit {unit_id} registered (TK01) with estimate account {account}; no estimate "
        f"approved for {year} yet")
    request = allocation_content(f"TC-{unit_id}", 120_000_000, year=year, unit=unit_id,
                                 chapter="622", account=account)
    status, received = api.call("POST", "/v1/dossiers", unit["sign"](request),
                                token=unit["accountant"])
    assert status == 201, received
    allocated = decided(api, received["dossier_id"], "recorded")
    treasury = allocated["result"]["confirmed_form"]["treasury"]
    log(f"2. Mẫu 22 {received['dossier_id']} accepted and approved: confirmed as "
        f"{treasury['number']} on {treasury['confirmed_at']}")
    _, before = api.call("GET", f"/v1/accounts/{account}", token=unit["accountant"])
    log(f"3. the account: balance {before['balance']:,} đồng, temporary allocation "
        f"{before['temporary_allocation']:,} đồng")
    amount = before["balance"] + 100_000_000
    content = sample_content(f"TC-PAY-{unit_id}", amount, unit_code=unit_id, chapter_code="622",
                             account=account)
    content["voucher"].update(budget_year=year, estimate_type="temporary")
    status, payment = api.call("POST", "/v1/dossiers", unit["sign"](content),
                               token=unit["accountant"])
    assert status == 201, payment
    paid = decided(api, payment["dossier_id"], "paid")
    _, after = api.call("GET", f"/v1/accounts/{account}", token=unit["accountant"])
    log(f"4. a payment of {amount:,} đồng (100 million beyond the balance) is {paid['status']}: "
        f"balance now {after['balance']:,} đồng, within the allocation")
    return {"allocation": allocated, "payment": paid}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (default: make run's, or KBNN_API_URL)")
    parser.add_argument("--moto", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI)
    args = parser.parse_args()
    pool = _cognito(args.moto).list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    try:
        run(Api(args.api), args.pki, args.moto, pool, fresh_unit(args.moto, pool))
    except UnitTaken as exc:
        print(f"allocation_demo: {exc} (codes {DEMO_UNITS.start}-{DEMO_UNITS.stop - 1})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
