"""Advances and their settlement as Decree 347/2025 Art.6 cl.2 pt.b and pt.e have them, over HTTP
against a running `make run`, with the unit's advance register (GET /v1/advances) before and after:

  two advances at their contracts' rates (8 of a 10 million contract at 80%, 10 of 10 at 100%)
  are paid → a settlement of 9 million against the 8 million advance pays the 1 million
  difference in the same posting (pt.e: above the advance) → a settlement of 6 million against
  the 10 million advance converts 6 and leaves 4 open on the register, to recover or settle at
  the next payment (pt.e: below the advance).

It exits non-zero if the register or the balance does not move as that says.

  .venv/bin/python -m devstack.advances_demo
"""
from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from chalicelib import clock
from chalicelib.domain.calendar import local_date

from .demo import ACCOUNT, DEFAULT_PKI, Api, sample_content, signed, wait_for_status, wait_for_task
from .stack import api_url


class NotShown(AssertionError):
    """What the demo is to show did not hold."""


def expect(holds: bool, what: str) -> None:
    if not holds:
        raise NotShown(what)


class Unit:
    """Unit 1012345's accountant, signers and office, as the demo drives them."""

    def __init__(self, api: Api, pki_dir: Path) -> None:
        self.api, self.pki_dir = api, pki_dir
        self.accountant, self.officer, self.leader = (
            api.login(u) for u in ("ketoan.cva", "kiemsoat.kv1", "lanhdao.kv1"))

    def pay(self, content: dict, end_status: str) -> dict:
        """Submit signed, accepted by the officer, approved by the leader, until `end_status`."""
        status, received = self.api.call("POST", "/v1/dossiers", signed(content, self.pki_dir),
                                         token=self.accountant)
        expect(status == 201, f"{content['voucher']['number']} refused: {status} {received}")
        for token, decision in ((self.officer, "accept"), (self.leader, "approve")):
            task = wait_for_task(self.api, token, received["dossier_id"])
            self.api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                          {"decision": decision}, token=token)
        return wait_for_status(self.api, self.accountant, received["dossier_id"], end_status,
                               timeout=60)

    def balance(self) -> int:
        return self.api.call("GET", f"/v1/accounts/{ACCOUNT}", token=self.accountant)[1]["balance"]

    def register(self, open_only: bool = True) -> dict:
        status, body = self.api.call("GET", f"/v1/advances?open={str(open_only).lower()}",
                                     token=self.accountant)
        expect(status == 200, f"GET /v1/advances answered {status}: {body}")
        return body


def show_register(title: str, register: dict, log=print) -> None:
    log(f"GET /v1/advances {title}: unit {register['unit_id']}, {len(register['items'])} "
        f"open, {register['open_total']:,} đồng left to settle")
    for row in register["items"]:
        log(f"    {row['voucher_number']:<16} contract {row['contract_number'] or '-':<18} "
            f"advanced {row['amount']:>12,}  settled {row['settled']:>12,}  left {row['left']:>12,}"
            f"  {row['age_days']} days old, period ends {row['adjustment_period_ends']}")


def run(api: Api, pki_dir: Path, log=print) -> dict:
    unit, tag = Unit(api, pki_dir), uuid.uuid4().hex[:5].upper()
    today = local_date(clock.now()).isoformat()     # the product's clock, never a fixed year

    def advance(name: str, amount: int, contract_value: int, rate: int) -> dict:
        contract = {"number": f"HĐ-{name}-{tag}", "date": today, "value": contract_value,
                    "advance_rate_percent": rate}
        paid = unit.pay(sample_content(f"TU-{name}-{tag}", amount, payment_kind="advance",
                                       contract=contract), "paid")
        log(f"advance {paid['voucher_number']}: {amount:,} of a {contract_value:,} contract at "
            f"{rate}% is paid")
        return paid

    def settlement(name: str, advance_id: str, amount: int, end_status: str, **extra) -> dict:
        return unit.pay(sample_content(f"TTTU-{name}-{tag}", amount,
                                       payment_kind="advance_settlement",
                                       related_dossier=advance_id, **extra), end_status)

    above = advance("A", 8_000_000, 10_000_000, 80)
    below = advance("B", 10_000_000, 10_000_000, 100)
    before = unit.register()
    show_register("before the settlements", before, log)
    listed = {row["dossier_id"]: row["left"] for row in before["items"]}
    expect((listed.get(above["dossier_id"]), listed.get(below["dossier_id"]))
           == (8_000_000, 10_000_000), "the register does not list both advances wholly open")

    balance = unit.balance()
    done = settlement("A", above["dossier_id"], 9_000_000, "paid", difference_to_pay=1_000_000)
    moved = balance - unit.balance()
    log(f"settlement {done['voucher_number']} of 9,000,000 against advance A (8,000,000): "
        f"{done['status']}, converted {done['result']['settlement']['converted']:,}, the "
        f"difference {done['result']['settlement']['difference']:,} paid (the account moved "
        f"{moved:,})")
    expect(done["result"]["settlement"] == {"converted": 8_000_000, "difference": 1_000_000},
           f"settlement above: {done['result'].get('settlement')}")
    expect(moved == 1_000_000, f"settlement above moved the account {moved:,}, not 1,000,000")

    balance = unit.balance()
    done = settlement("B", below["dossier_id"], 6_000_000, "recorded")
    moved = balance - unit.balance()
    log(f"settlement {done['voucher_number']} of 6,000,000 against advance B (10,000,000): "
        f"{done['status']}, converted {done['result']['settlement']['converted']:,}; 4,000,000 "
        f"stays open (the account moved {moved:,})")
    expect(done["result"]["settlement"] == {"converted": 6_000_000, "difference": 0},
           f"settlement below: {done['result'].get('settlement')}")
    expect(moved == 0, f"settlement below moved the account {moved:,}")

    after = unit.register()
    show_register("after them (A settled, the rest of B open)", after, log)
    rows = {row["dossier_id"]: row for row in unit.register(open_only=False)["items"]}
    expect((rows[above["dossier_id"]]["settled"], rows[above["dossier_id"]]["left"])
           == (8_000_000, 0), f"advance A on the register: {rows[above['dossier_id']]}")
    expect((rows[below["dossier_id"]]["settled"], rows[below["dossier_id"]]["left"])
           == (6_000_000, 4_000_000), f"advance B on the register: {rows[below['dossier_id']]}")
    open_ids = {row["dossier_id"] for row in after["items"]}
    expect(below["dossier_id"] in open_ids and above["dossier_id"] not in open_ids,
           "the open register should list advance B and not advance A")
    return {"before": before, "after": after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.advances_demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (make run's, or KBNN_API_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI)
    args = parser.parse_args(argv)
    try:
        run(Api(args.api), args.pki)
    except (NotShown, TimeoutError) as exc:
        print(f"advances_demo: NOT SHOWN: {exc}", file=sys.stderr)
        return 1
    print("shown: above the advance the difference is paid; below it the rest stays open on the "
          "register")
    return 0


if __name__ == "__main__":
    sys.exit(main())
