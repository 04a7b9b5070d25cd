"""The anomaly rules of a payment submission: each fires on its case, says why as data, and stays
quiet on a normal payment."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib.domain import risk
from chalicelib.domain.calendar import VN_TZ, WorkingCalendar

pytestmark = pytest.mark.unit
CALENDAR = WorkingCalendar()
# Tuesday 17 Nov 2026, 10:00 in Hà Nội: a working day, within working hours.
WORKING = datetime(2026, 11, 17, 10, 0, tzinfo=VN_TZ)
PAYEE = {"name": "Công ty TNHH Hồng Hà", "account": "0011004455667", "bank": "Vietcombank"}
OLD = risk.SigningCertificate("chief_accountant", "ab" * 32, WORKING - timedelta(days=30))


def normal(**changes) -> risk.Submission:
    values = dict(at=WORKING, debits=True, amount=5_000_000, payee=PAYEE, payee_known=True,
                  recent_paid=[4_000_000, 5_000_000, 6_000_000, 5_500_000, 4_500_000],
                  certificates=[OLD], burst_count=1)
    values.update(changes)
    return risk.Submission(**values)


def rules(submission: risk.Submission, calendar: WorkingCalendar = CALENDAR) -> list[str]:
    return [f.rule for f in risk.evaluate(submission, calendar)]


def test_a_normal_payment_raises_no_flag():
    assert rules(normal()) == []


def test_an_amount_above_three_times_the_median_of_the_recent_payments_is_flagged_with_its_numbers():
    (flag,) = risk.evaluate(normal(amount=15_000_001), CALENDAR)
    assert flag.rule == risk.AMOUNT
    assert flag.facts == {"amount": 15_000_001, "median": 5_000_000, "factor": 3,
                          "threshold": 15_000_000, "sample_size": 5}
    assert "15.000.001 đồng" in flag.message and "5.000.000 đồng" in flag.message
    assert rules(normal(amount=15_000_000)) == []        # exactly 3× is still usual


def test_the_amount_rule_needs_five_paid_amounts_and_reads_only_the_last_twenty():
    assert rules(normal(amount=10**9, recent_paid=[1_000_000] * 4)) == []
    assert rules(normal(amount=10**9, recent_paid=[1_000_000] * 5)) == [risk.AMOUNT]
    history = [100_000_000] * 30 + [1_000_000] * 20    # the old, larger payments have aged out
    flag = risk.amount_flag(10_000_000, history)
    assert flag is not None and flag.facts["median"] == 1_000_000 and flag.facts["sample_size"] == 20


def test_a_payee_never_paid_before_is_flagged_and_spacing_or_case_do_not_make_one_new():
    (flag,) = risk.evaluate(normal(payee_known=False), CALENDAR)
    assert flag.rule == risk.NEW_PAYEE
    assert flag.facts == {"payee_name": "Công ty TNHH Hồng Hà", "payee_account": "0011004455667",
                          "payee_bank": "Vietcombank"}
    assert risk.payee_key({"account": " 0011 0044 55667 "}) == risk.payee_key(PAYEE)
    assert risk.payee_key({"name": "Nguyễn  Văn A"}) == risk.payee_key({"name": "nguyễn văn a"})
    assert risk.payee_key({"name": "Nguyễn Văn A"}).startswith("name:")   # cash: by name
    assert risk.payee_key(None) is None


def test_amount_and_payee_rules_look_only_at_money_leaving_the_account():
    refund = normal(debits=False, amount=10**10, payee_known=False)
    assert rules(refund) == []


@pytest.mark.parametrize("local, flagged", [
    (datetime(2026, 11, 17, 6, 59), True),
    (datetime(2026, 11, 17, 7, 0), False),
    (datetime(2026, 11, 17, 17, 59), False),
    (datetime(2026, 11, 17, 18, 0), True),
    (datetime(2026, 11, 17, 23, 30), True),
    (datetime(2026, 11, 21, 10, 0), True),     # Saturday
    (datetime(2026, 11, 24, 10, 0), True),     # Vietnam Cultural Day, a public holiday from 2026
    (datetime(2026, 8, 22, 10, 0), False),     # a make-up Saturday the government declared worked
])
def test_submissions_outside_working_hours_or_on_a_day_off_are_flagged(local, flagged):
    at = local.replace(tzinfo=VN_TZ).astimezone(UTC)      # stored in UTC, judged in Hà Nội time
    assert (rules(normal(at=at, certificates=[])) == [risk.OUTSIDE_HOURS]) is flagged


def test_the_offices_own_day_off_counts_and_the_flag_says_which_kind_of_outside():
    calendar = WorkingCalendar(extra_days_off=frozenset({date(2026, 11, 17)}))
    (flag,) = risk.evaluate(normal(), calendar)
    assert flag.rule == risk.OUTSIDE_HOURS
    assert flag.facts["working_day"] is False and "ngày nghỉ" in flag.message
    night = risk.hours_flag(datetime(2026, 11, 17, 22, 0, tzinfo=VN_TZ), CALENDAR)
    assert night.facts == {"local_time": "2026-11-17T22:00:00+07:00", "working_day": True,
                           "working_hours": ["07:00", "18:00"]}


@pytest.mark.parametrize("local, flagged", [
    (datetime(2026, 11, 17, 7, 15), True),
    (datetime(2026, 11, 17, 7, 30), False),
    (datetime(2026, 11, 17, 16, 29), False),
    (datetime(2026, 11, 17, 16, 30), True),
])
def test_an_office_with_its_own_working_hours_is_judged_by_them(local, flagged):
    office = WorkingCalendar(working_hours=(time(7, 30), time(16, 30)))
    at = local.replace(tzinfo=VN_TZ)
    found = risk.hours_flag(at, office)
    assert (found is not None) is flagged
    if found:
        assert found.facts["working_hours"] == ["07:30", "16:30"]
        assert "ngoài giờ làm việc (07:30–16:30)" in found.message


def test_a_certificate_registered_within_24_hours_is_flagged_with_its_age():
    fresh = risk.SigningCertificate("account_holder", "cd" * 32, WORKING - timedelta(hours=23))
    (flag,) = risk.evaluate(normal(certificates=[OLD, fresh]), CALENDAR)
    assert flag.rule == risk.FRESH_CERTIFICATE
    assert flag.facts["certificates"] == [{"title": "account_holder", "fingerprint": "cd" * 32,
                                           "registered_at": "2026-11-16T04:00:00Z",
                                           "age_hours": 23.0}]
    assert "chủ tài khoản" in flag.message
    day_old = risk.SigningCertificate("account_holder", "cd" * 32, WORKING - timedelta(hours=24))
    assert rules(normal(certificates=[OLD, day_old])) == []


def test_more_than_ten_submissions_in_one_ten_minute_window_are_a_burst():
    assert risk.window_of(datetime(2026, 11, 17, 3, 17, 59, tzinfo=UTC)) == \
        datetime(2026, 11, 17, 3, 10, tzinfo=UTC)
    assert rules(normal(burst_count=10)) == []
    (flag,) = risk.evaluate(normal(burst_count=11), CALENDAR)
    assert flag.rule == risk.BURST
    assert flag.facts == {"count": 11, "limit": 10, "window_minutes": 10,
                          "window_start": "2026-11-17T03:00:00Z"}


def test_every_rule_that_fires_is_listed_in_the_rules_order():
    everything = normal(at=datetime(2026, 11, 21, 23, 0, tzinfo=VN_TZ), amount=10**9,
                        payee_known=False, burst_count=50,
                        certificates=[risk.SigningCertificate("chief_accountant", "ef" * 32,
                                                              datetime(2026, 11, 21, 22, 0,
                                                                       tzinfo=VN_TZ))])
    assert rules(everything) == [r for r in risk.RULES if r != risk.ADVANCE_OPEN]
