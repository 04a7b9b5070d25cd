"""What units and signers are told: the e-mail templates render for every result with nothing left
unfilled, carry what each result must say (the reason, the debit advice), and the queues' event
rules in the template subscribe to exactly the events the consumers handle."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.domain import events, notices, risk

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infra" / "template.json").read_text(encoding="utf-8"))
DOSSIER = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3"


def event(name: str, **extra) -> dict:
    base = {"version": 1, "event": name, "event_id": f"{DOSSIER}#4",
            "occurred_at": "2026-11-23T02:15:04Z", "dossier_id": DOSSIER, "dossier_code": DOSSIER,
            "correlation_id": DOSSIER, "procedure": "regular_spending_payment",
            "procedure_version": "347-2025", "unit_id": "1012345", "office_id": "KV1",
            "status": "paid", "from_status": "posting", "step": None,
            "due_at": "2026-11-24T10:00:00Z", "payment_kind": "payment",
            "account_id": "9523.1.1012345", "amount": 2_000_000, "voucher_number": "UNC-01",
            "reason": None, "result": None}
    return {**base, **extra}


def render(e: dict, reason: str | None = None) -> notices.Email:
    return notices.render_email(e, unit_name="Trường THPT Chu Văn An",
                                office_name="Kho bạc Nhà nước Khu vực I (Hà Nội)", reason=reason)


@pytest.mark.parametrize("name", notices.EMAIL_EVENTS)
def test_every_result_has_a_template_that_renders_completely(name):
    mail = render(event(name, reason="Thiếu bảng kê."))
    assert DOSSIER in mail.subject and "\n" not in mail.subject
    assert "$" not in mail.subject + mail.body
    assert "Kính gửi: Trường THPT Chu Văn An (mã ĐVQHNS 1012345)" in mail.body
    assert mail.body.rstrip().endswith("báo ngay cho Kho bạc Nhà nước Khu vực I (Hà Nội).")


def test_the_templates_on_disk_are_exactly_the_results_and_the_footer():
    on_disk = {p.stem for p in notices.TEMPLATES.glob("*.txt")}
    assert on_disk == {*notices.EMAIL_EVENTS, "_footer"}
    assert set(notices.EMAIL_EVENTS) <= set(events.ALL_EVENTS)


def test_the_refusal_is_the_refusal_notice_with_its_reason():
    mail = render(event("dossier.refused", status="refused",
                        reason="Mã nội dung kinh tế không phù hợp với nội dung chi."))
    assert mail.subject == f"[KBNN] Thông báo từ chối hồ sơ {DOSSIER}"
    assert "THÔNG BÁO" in mail.body and "(Mẫu số 33)" in mail.body
    assert re.search(r"Lý do từ chối:\n\s+Mã nội dung kinh tế không phù hợp với nội dung chi\.",
                     mail.body)


def test_a_supplement_request_says_what_is_missing_even_when_the_event_does_not():
    mail = render(event("dossier.supplement_requested", status="awaiting_supplement"),
                  reason="Thiếu hợp đồng số 12/2026.")
    assert re.search(r"Nội dung cần bổ sung:\n\s+Thiếu hợp đồng số 12/2026\.", mail.body)


def test_the_payment_email_carries_the_debit_advice():
    advice = {"number": f"GBN-{DOSSIER}", "account_id": "9523.1.1012345", "amount": 2_000_000,
              "posted_at": "2026-11-23T02:15:04Z"}
    mail = render(event("payment.posted", result={"outcome": "paid", "debit_advice": advice}))
    assert mail.subject.endswith(f"Giấy báo Nợ GBN-{DOSSIER}")
    assert "GIẤY BÁO NỢ" in mail.body and "2.000.000 đồng" in mail.body
    assert "09:15 ngày 23/11/2026" in mail.body      # posted_at, in Hà Nội time


def test_a_recorded_refund_names_its_credit_advice():
    advice = {"number": f"GBC-{DOSSIER}", "account_id": "9523.1.1012345", "amount": 500_000,
              "posted_at": "2026-11-23T02:15:04Z"}
    mail = render(event("dossier.recorded", status="recorded", payment_kind="refund",
                        result={"outcome": "recorded", "credit_advice": advice}))
    assert f"Giấy báo Có GBC-{DOSSIER}" in mail.subject and "500.000 đồng" in mail.body


def test_art3_cl6_an_extension_tells_the_unit_the_final_deadline():
    extended = notices.status_alert(event("dossier.deadline_extended", status="under_review",
                                          due_at="2026-11-26T10:00:00Z",
                                          reason="Sự cố hệ thống TABMIS."))
    assert "được gia hạn thời hạn giải quyết" in extended.text
    assert "Hạn mới: 17:00 ngày 26/11/2026." in extended.text   # Vietnam time, the office's close
    assert "Lý do: Sự cố hệ thống TABMIS." in extended.text
    other = notices.status_alert(event("dossier.accepted", status="awaiting_approval"))
    assert "Hạn mới" not in other.text


def test_alerts_fit_their_channels_and_say_what_changed():
    paid = notices.status_alert(event("payment.posted"))
    assert len(paid.subject) <= 100 and len(paid.sms) <= 300
    assert "đã được thanh toán" in paid.text and "2.000.000 đồng" in paid.text
    balance = notices.balance_alert({"event": "balance.changed", "event_id": "9523.1.1012345#7",
                                     "occurred_at": "2026-11-23T02:15:04Z",
                                     "account_id": "9523.1.1012345", "unit_id": "1012345",
                                     "balance": 1_998_000_000, "previous_balance": 2_000_000_000,
                                     "delta": -2_000_000, "dossier_id": DOSSIER})
    assert "-2.000.000 đồng" in balance.subject and "1.998.000.000 đồng" in balance.sms
    flag = risk.Flag(risk.NEW_PAYEE, "Đơn vị chưa từng thanh toán cho tài khoản 001.", {})
    warned = notices.flag_alert(flag, event("dossier.submitted", status="under_review"))
    assert risk.RULES[risk.NEW_PAYEE] in warned.subject and "tài khoản 001" in warned.sms
    for name in events.DOSSIER_EVENTS:
        alert = notices.status_alert(event(name, reason="x" * 2000))
        assert len(alert.subject) <= 100 and len(alert.sms) <= 300


def test_the_queues_rules_subscribe_to_exactly_what_the_consumers_handle():
    rules = {r["Properties"]["Name"]: r["Properties"] for r in TEMPLATE["Resources"].values()
             if r["Type"] == "AWS::Events::Rule"}
    assert rules["kbnn-results-to-units"]["EventPattern"]["detail-type"] == list(notices.EMAIL_EVENTS)
    assert set(rules["kbnn-risk-warnings"]["EventPattern"]["detail-type"]) == \
        {*events.DOSSIER_EVENTS, "balance.changed"}
    queues = {r["Properties"]["QueueName"]: r["Properties"] for r in TEMPLATE["Resources"].values()
              if r["Type"] == "AWS::SQS::Queue"}
    for name in ("kbnn-notifications", "kbnn-risk"):
        assert queues[name]["RedrivePolicy"]["maxReceiveCount"] == 5
        assert f"{name}-dlq" in queues
    assert TEMPLATE["Resources"]["NotificationSender"]["Type"] == "AWS::SES::EmailIdentity"


def test_a_returned_payroll_line_e_mail_names_the_line_the_amount_and_the_banks_reason():
    mail = render(event("payment.line_returned", reason="Sai số tài khoản", returned_line={
        "line": 42, "amount": 7_300_000, "code": "wrong_account", "reason": "Sai số tài khoản",
        "credited_at": "2026-11-21T02:00:01Z"}))
    assert "dòng 42" in mail.subject
    assert "7.300.000 đồng" in mail.body and "Sai số tài khoản" in mail.body
    assert "9523.1.1012345" in mail.body and "—" not in mail.body.split("Lý do")[0]
