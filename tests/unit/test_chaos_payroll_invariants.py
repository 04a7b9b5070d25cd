"""The chaos run's invariants 8 and 9 (chaos/invariants.py) fed good and bad record sets: each
bad set is named as a violation, so a chaos run that breaks them fails."""
from __future__ import annotations

from collections import Counter

from chaos.invariants import Verdict, bill_violations, payee_line_violations

LISTED = [("1020000000", 6_000_000), ("1020000007", 6_012_345), ("3713.0000003", 6_024_690)]


def credits(lines=LISTED, only=None) -> list[dict]:
    return [{"line": i, "account": account, "amount": amount}
            for i, (account, amount) in enumerate(lines) if only is None or i in only]


def test_a_paid_payroll_credited_once_per_line_with_one_line_returned_once_holds():
    assert payee_line_violations(LISTED, True, credits(), {1}, Counter({1: 1}), {1}) == []
    assert payee_line_violations(LISTED, False, [], set(), Counter(), set()) == []


def test_a_payee_line_credited_twice_breaks_the_invariant():
    twice = credits() + credits(only={2})
    (wrong, total) = payee_line_violations(LISTED, True, twice, set(), Counter(), set())
    assert "booked twice [2]" in wrong and "sum to" in total


def test_a_payee_line_never_credited_breaks_the_invariant():
    (wrong, total) = payee_line_violations(LISTED, True, credits(only={0, 2}), set(), Counter(),
                                           set())
    assert "1 missing (first [1])" in wrong and "sum to" in total


def test_a_credit_line_to_another_account_breaks_the_invariant():
    other = credits()
    other[0] = {**other[0], "account": "9999999999"}
    assert payee_line_violations(LISTED, True, other, set(), Counter(), set()) == [
        "credit lines [0] differ from the list in account or amount"]


def test_an_unpaid_payroll_with_credit_lines_breaks_the_invariant():
    assert payee_line_violations(LISTED, False, credits(), set(), Counter(), set()) == [
        "not paid, yet 3 credit line(s) booked"]


def test_a_returned_line_credited_back_twice_breaks_the_invariant():
    (wrong,) = payee_line_violations(LISTED, True, credits(), {1}, Counter({1: 2}), {1})
    assert wrong.startswith("line 1: returned once expected, 2 notice(s)")


def test_a_returned_line_never_credited_back_breaks_the_invariant():
    (wrong,) = payee_line_violations(LISTED, True, credits(), {1}, Counter(), set())
    assert wrong == "line 1: returned once expected, 0 notice(s), not recorded"


def test_a_line_credited_back_that_the_bank_never_returned_breaks_the_invariant():
    (wrong,) = payee_line_violations(LISTED, True, credits(), set(), Counter({0: 1}), {0})
    assert wrong.startswith("line 0: returned never expected, 1 notice(s)")


SENT = {"B1": 1_250_000, "B2": 480_000, "B3": 5_000_000_001}
PAID = [{"bill_id": "B1", "outcome": "paid", "amount": 1_250_000},
        {"bill_id": "B2", "outcome": "paid", "amount": 480_000},
        {"bill_id": "B3", "outcome": "refused", "amount": 5_000_000_001}]


def test_bills_each_decided_once_and_debited_once_hold():
    assert bill_violations(SENT, PAID, {"B3"}, -1_730_000) == []


def test_a_bill_debited_twice_breaks_the_invariant():
    assert bill_violations(SENT, PAID, {"B3"}, -2_210_000) == [
        "balance moved -2210000 outside the ledger, paid bills debit 1730000"]


def test_a_bill_decided_twice_breaks_the_invariant():
    twice = [*PAID, PAID[1]]
    wrong = bill_violations(SENT, twice, {"B3"}, -2_210_000)
    assert wrong[0] == "bill B2 decided 2 times"


def test_a_bill_over_the_balance_paid_breaks_the_invariant():
    over = [*PAID[:2], {**PAID[2], "outcome": "paid"}]
    assert "bill B3 over the balance, yet paid" in bill_violations(
        SENT, over, {"B3"}, -(1_730_000 + 5_000_000_001))


def test_a_bill_paid_for_another_amount_or_never_sent_breaks_the_invariant():
    odd = [{**PAID[0], "amount": 1_250_001}, {"bill_id": "B9", "outcome": "paid", "amount": 1}]
    assert bill_violations(SENT, odd, set(), -1_250_002) == [
        "bill B1 paid 1250001, sent for 1250000", "bill B9 paid but never sent"]


def test_a_violation_fails_the_verdict():
    verdict = Verdict()
    for wrong in payee_line_violations(LISTED, True, credits(only={0}), set(), Counter(), set()):
        verdict.fail(8, wrong)
    assert not verdict.ok and verdict.by_invariant()[8] == 2 and verdict.by_invariant()[9] == 0
