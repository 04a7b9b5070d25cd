"""The receipt notice and the e-mails that carry it, without any AWS: 347/2025 Art.3 cl.4 pt.a
(received, with the promised result date; or what to add), Art.3 cl.5 (the limit restarts at the
supplemented dossier's receipt) and Art.3 cl.6 (an extended dossier's final deadline). The
expected dates are worked out by hand from a wall calendar (Mon 9 .. Fri 13 Mar 2026 has no
holiday), never by calling the calendar."""
from __future__ import annotations

import pytest

from chalicelib.domain import notices
from chalicelib.domain.receipt_notice import receipt_notice

pytestmark = pytest.mark.unit
DOSSIER = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3"
OFFICE = {"office_id": "KV1", "name": "Kho bạc Nhà nước Khu vực I (Hà Nội)"}
# Received Mon 9 Mar 2026 16:30 local (09:30 UTC); one working day, the receipt day not counted:
# due Tue 10 Mar 17:00 local (10:00 UTC), as stored at receipt.
FACTS = {"dossier_id": DOSSIER, "procedure": "regular_spending_payment",
         "procedure_version": "347-2025", "unit_id": "1012345",
         "received_at": "2026-03-09T09:30:00Z", "due_at": "2026-03-10T10:00:00Z",
         "payment_kind": "payment", "voucher_number": "UNC-01", "amount": 2_000_000,
         "account_id": "9523.1.1012345"}


def test_art3_cl4_pt_a_the_notice_names_the_dossier_the_procedure_the_receipt_and_the_promised_date():
    notice = receipt_notice(FACTS, OFFICE)
    assert notice["title"] == "Thông báo tiếp nhận hồ sơ và hẹn trả kết quả"
    assert notice["legal_basis"] == "Điểm a khoản 4 Điều 3 Nghị định số 347/2025/NĐ-CP"
    assert notice["dossier_code"] == DOSSIER
    assert notice["procedure"]["code"] == "regular_spending_payment"
    assert "347/2025" in notice["procedure"]["legal_basis"]
    assert notice["office"] == OFFICE
    assert (notice["received_at"], notice["received_local"]) == (
        "2026-03-09T09:30:00Z", "16:30 ngày 09/03/2026")
    assert notice["time_limit_working_days"] == 1
    assert (notice["promised_result_at"], notice["promised_result_local"]) == (
        "2026-03-10T10:00:00Z", "17:00 ngày 10/03/2026")
    assert notice["final_deadline_at"] is None and notice["extensions"] == []
    assert notice["resubmitted_at"] is None


def test_art3_cl4_pt_a_the_time_limit_is_the_procedures_peak_limit_in_late_december():
    # 347/2025 Art.6 cl.5: received 28 Dec, two working days.
    notice = receipt_notice({**FACTS, "received_at": "2026-12-28T02:00:00Z",
                             "due_at": "2026-12-30T10:00:00Z"}, OFFICE)
    assert notice["time_limit_working_days"] == 2


def test_art3_cl6_an_extended_dossiers_notice_keeps_the_promise_and_shows_the_final_deadline():
    extended = {**FACTS, "due_at": "2026-03-12T10:00:00Z", "extensions": [
        {"step": "review", "cause": "force_majeure", "reason": "Lũ lớn.", "working_days": 2,
         "from_due_at": "2026-03-10T10:00:00Z", "to_due_at": "2026-03-12T10:00:00Z",
         "by": "lanhdao.kv1", "at": "2026-03-10T02:00:00Z"}]}
    notice = receipt_notice(extended, OFFICE)
    assert notice["promised_result_at"] == "2026-03-10T10:00:00Z"
    assert (notice["final_deadline_at"], notice["final_deadline_local"]) == (
        "2026-03-12T10:00:00Z", "17:00 ngày 12/03/2026")
    assert notice["extensions"] == [{"cause": "force_majeure", "reason": "Lũ lớn.",
                                     "from_due_at": "2026-03-10T10:00:00Z",
                                     "to_due_at": "2026-03-12T10:00:00Z"}]


def test_art3_cl5_a_supplemented_dossiers_notice_is_that_of_its_resubmission():
    # Resubmitted Wed 11 Mar 09:00 local; the limit restarts: due Thu 12 Mar 17:00. An extension
    # granted before the supplement request belongs to the first receipt and is not shown.
    resubmitted = {**FACTS, "complete_at": "2026-03-11T02:00:00Z", "due_at": "2026-03-12T10:00:00Z",
                   "extensions": [{"step": "review", "cause": "it_failure", "reason": "TABMIS.",
                                   "working_days": 1, "from_due_at": "2026-03-10T10:00:00Z",
                                   "to_due_at": "2026-03-11T10:00:00Z", "by": "lanhdao.kv1",
                                   "at": "2026-03-10T03:00:00Z"}]}
    notice = receipt_notice(resubmitted, OFFICE)
    assert notice["resubmitted_at"] == "2026-03-11T02:00:00Z"
    assert notice["promised_result_at"] == "2026-03-12T10:00:00Z"
    assert notice["final_deadline_at"] is None and notice["extensions"] == []


def event(name: str, **extra) -> dict:
    base = {"version": 1, "event": name, "event_id": f"{DOSSIER}#0",
            "occurred_at": FACTS["received_at"], "dossier_id": DOSSIER, "dossier_code": DOSSIER,
            "procedure": "regular_spending_payment", "procedure_version": "347-2025",
            "unit_id": "1012345", "office_id": "KV1", "status": "under_review",
            "due_at": FACTS["due_at"], "account_id": "9523.1.1012345", "amount": 2_000_000,
            "voucher_number": "UNC-01", "reason": None, "result": None}
    return {**base, **extra}


def render(e: dict, **kw) -> notices.Email:
    return notices.render_email(e, unit_name="Trường THPT Chu Văn An", office_name=OFFICE["name"],
                                **kw)


@pytest.mark.parametrize("name", ["dossier.submitted", "dossier.resubmitted"])
def test_art3_cl4_pt_a_the_receipt_email_carries_the_code_and_the_promised_date(name):
    mail = render(event(name))
    assert "Thông báo tiếp nhận hồ sơ" in mail.subject and DOSSIER in mail.subject
    assert "Hẹn trả kết quả:   17:00 ngày 10/03/2026" in mail.body
    assert "Thời điểm nhận:    16:30 ngày 09/03/2026" in mail.body
    assert "điểm a khoản 4 Điều 3 Nghị định 347/2025/NĐ-CP" in mail.body


def test_art3_cl4_pt_a_the_supplement_request_email_says_what_to_add_and_cites_the_clauses():
    missing = "Thiếu bảng kê chứng từ thanh toán số 05/BK."
    mail = render(event("dossier.supplement_requested", status="awaiting_supplement"),
                  reason=missing)
    assert missing in mail.body
    assert "điểm a khoản 4 Điều 3 Nghị định 347/2025/NĐ-CP" in mail.body
    assert "khoản 5 Điều 3 Nghị định 347/2025/NĐ-CP" in mail.body     # once only


def test_art3_cl6_the_extension_email_tells_the_final_deadline_the_cause_and_the_reason():
    mail = render(event("dossier.deadline_extended", due_at="2026-03-12T10:00:00Z"),
                  reason="Lũ lớn gây ngập trụ sở.",
                  extension={"cause": "objective_obstacle", "working_days": 2,
                             "from_due_at": "2026-03-10T10:00:00Z",
                             "to_due_at": "2026-03-12T10:00:00Z"})
    assert mail.subject.endswith("thời hạn cuối cùng 17:00 ngày 12/03/2026")
    assert "Thời hạn giải quyết cuối cùng: 17:00 ngày 12/03/2026" in mail.body
    assert "Thời hạn trước khi gia hạn:  17:00 ngày 10/03/2026" in mail.body
    assert "Căn cứ gia hạn:              Trở ngại khách quan" in mail.body
    assert "Lũ lớn gây ngập trụ sở." in mail.body
