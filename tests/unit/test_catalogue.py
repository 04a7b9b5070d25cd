"""The transition table: where each decision leads and which rules it enforces."""
from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import catalogue
from chalicelib.domain.errors import Conflict, InvalidField

pytestmark = pytest.mark.unit
PROC = catalogue.REGULAR_SPENDING_PAYMENT_347


def move(step, decision, used=0, reason=None):
    return catalogue.transition(PROC, step, decision, supplements_used=used, reason=reason)


def test_accepting_sends_the_dossier_to_the_leader():
    t = move("review", "accept")
    assert (t.next_step, t.to_status) == ("approval", catalogue.AWAITING_APPROVAL)


def test_a_supplement_request_waits_for_the_unit():
    t = move("review", "request_supplement", reason="thiếu hóa đơn")
    assert (t.next_step, t.to_status) == ("supplement", catalogue.AWAITING_SUPPLEMENT)


def test_art3_cl5_a_second_supplement_request_is_refused_by_rule():
    with pytest.raises(Conflict) as err:
        move("review", "request_supplement", used=1, reason="lần hai")
    assert err.value.code == "supplement_limit_reached"


def test_the_decisions_offered_at_every_step_are_exactly_those_transition_accepts():
    for proc in catalogue.CATALOGUE:
        for step in proc.steps:
            for used in range(proc.supplement_limit + 2):
                offered = {d.name for d in catalogue.available_decisions(
                    proc, step.name, supplements_used=used)}
                for decision in step.decisions:
                    try:
                        catalogue.transition(proc, step.name, decision.name,
                                             supplements_used=used, reason="lý do")
                        accepted = True
                    except Conflict:
                        accepted = False
                    assert (decision.name in offered) == accepted, \
                        (proc.code, proc.version, step.name, decision.name, used)


def test_a_review_offers_no_supplement_once_the_dossier_used_its_one():
    names = [d.name for d in catalogue.available_decisions(PROC, "review", supplements_used=1)]
    assert names == ["accept", "refuse"]
    assert [d.name for d in catalogue.available_decisions(PROC, "review", supplements_used=0)] \
        == ["accept", "request_supplement", "refuse"]


def test_refusal_needs_a_written_reason():
    with pytest.raises(InvalidField) as err:
        move("review", "refuse", reason="   ")
    assert (err.value.code, err.value.field) == ("reason_required", "reason")


def test_refusal_ends_the_dossier():
    t = move("review", "refuse", reason="sai mục lục")
    assert (t.next_step, t.to_status) == (None, catalogue.REFUSED)


def test_a_leader_can_send_back_to_the_officer_with_a_reason():
    t = move("approval", "send_back", reason="kiểm tra lại hợp đồng")
    assert (t.next_step, t.to_status) == ("review", catalogue.UNDER_REVIEW)


def test_a_decision_of_another_step_is_not_allowed():
    with pytest.raises(InvalidField) as err:
        move("review", "approve")
    assert err.value.code == "decision_not_allowed"


def test_posting_ends_paid_or_refused_for_a_short_balance():
    assert move("posting", "posted").to_status == catalogue.PAID
    assert move("posting", "insufficient_balance").to_status == catalogue.REFUSED


@pytest.mark.parametrize("received, days", [
    (datetime(2026, 3, 10, 3, tzinfo=UTC), 1),
    (datetime(2026, 12, 28, 3, tzinfo=UTC), 2),   # 25-31 Dec
    (datetime(2027, 1, 26, 3, tzinfo=UTC), 2),    # 25-31 Jan
    (datetime(2026, 12, 24, 3, tzinfo=UTC), 1),
    # The window's edges are Vietnam-local dates: 24 Jan 23:59 and 1 Feb 00:00 are outside it,
    # 25 Jan 00:00 and 31 Jan 23:59 inside (17:00 UTC is midnight in Hà Nội).
    (datetime(2027, 1, 24, 16, 59, tzinfo=UTC), 1),
    (datetime(2027, 1, 24, 17, 0, tzinfo=UTC), 2),
    (datetime(2027, 1, 31, 16, 59, tzinfo=UTC), 2),
    (datetime(2027, 1, 31, 17, 0, tzinfo=UTC), 1),
    (datetime(2026, 12, 31, 16, 59, tzinfo=UTC), 2),
    (datetime(2026, 11, 26, 3, tzinfo=UTC), 1),   # the 25th-31st of other months: one day
])
def test_art6_cl5_one_working_day_and_two_for_dossiers_received_25_to_31_jan_and_dec(received, days):
    assert PROC.sla_days(received) == days


@pytest.mark.parametrize("received", [datetime(2026, 3, 10, 3, tzinfo=UTC),
                                      datetime(2026, 12, 28, 3, tzinfo=UTC)])
def test_art7_cl5_oda_recording_is_due_in_two_working_days_all_year(received):
    assert catalogue.ODA_RECORDING_347.sla_days(received) == 2


@pytest.mark.parametrize("proc", [catalogue.SIGNATURE_SPECIMENS_347, catalogue.ACCOUNT_CLOSING_347,
                                  catalogue.BALANCE_RECONCILIATION_347], ids=lambda p: p.code)
def test_art8_art9_art10_cl5_account_procedures_are_due_in_one_working_day(proc):
    for received in (datetime(2026, 3, 10, 3, tzinfo=UTC), datetime(2026, 12, 28, 3, tzinfo=UTC)):
        assert proc.sla_days(received) == 1
    assert proc.legal_basis.startswith("Nghị định 347/2025/NĐ-CP")


def test_the_version_in_force_is_chosen_by_receipt_date():
    from datetime import date
    code = "regular_spending_payment"
    assert catalogue.version_in_force(code, date(2026, 1, 1)) is PROC
    assert catalogue.version_in_force(code, date(2025, 12, 31)).version == "11-2020"
    assert catalogue.version_in_force(code, date(2025, 12, 31)).legal_basis.startswith(
        "Nghị định 11/2020")
    with pytest.raises(InvalidField):
        catalogue.version_in_force(code, date(2019, 6, 1))   # before Decree 11/2020


def test_versions_of_one_procedure_never_overlap():
    from itertools import combinations
    for a, b in combinations(catalogue.CATALOGUE, 2):
        if a.code == b.code:
            a_end, b_end = a.effective_to or date.max, b.effective_to or date.max
            assert a_end <= b.effective_from or b_end <= a.effective_from, (a.version, b.version)
