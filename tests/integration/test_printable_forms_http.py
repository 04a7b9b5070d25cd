"""The reconciliation and closing results as documents, through the API of the local stack:
a reconciliation returned as not matching prints with its differences and the re-reconciliation
due time (347/2025 Art.10 cl.2 pt.c), once reconciled with the treasury's "khớp đúng" (Art.10
cl.8 pt.a); a closed account's Mẫu 25 with its forms (Art.9 cl.2 pt.c)."""
from __future__ import annotations

import pytest

from chalicelib.domain.risk import local_text
from chalicelib.domain.voucher import grouped
from chalicelib.services.common import parse_iso
from tests.integration.flow import Flow
from tests.integration.test_account_closing import closing_body, decide, open_empty_account
from tests.integration.test_printable_documents import fetch, listed, text_of
from tests.integration.test_reconciliation import form_body, mau_32, submit, treasury_lines

pytestmark = pytest.mark.integration


def test_art10_cl2_pt_c_a_returned_reconciliation_prints_its_differences_then_its_confirmation(
        flow, pki_dir):
    ledger = flow.balance("3713.1.1012345")
    d = submit(flow, form_body(pki_dir, mau_32(ledger + 1_000, 0, 0)))
    dossier_id = d["dossier_id"]
    assert listed(flow, dossier_id) == ["receipt_notice"]
    assert flow.decide(flow.officer, dossier_id, "does_not_match",
                       "Số dư đầu kỳ chênh lệch 1.000 đồng.")[0] == 200
    flow.reaches(dossier_id, "awaiting_supplement")
    flow.task(flow.unit, dossier_id)
    due = flow.dossier(dossier_id)["reconciliation"]["re_reconciliation"]["due_at"]
    assert listed(flow, dossier_id) == ["receipt_notice", "reconciliation_mismatch"]
    status, _, page = fetch(flow, dossier_id, "reconciliation_mismatch")
    assert status == 200, page
    text = text_of(page)
    assert "Mẫu số 32 — Kho bạc Nhà nước xác nhận không khớp đúng" in text
    assert f"Số dư đầu kỳ Số tiền {grouped(ledger + 1_000)} {grouped(ledger)} 1.000" in text
    assert "Số dư đầu kỳ chênh lệch 1.000 đồng." in text
    assert f"trước: {local_text(parse_iso(due))}" in text and f"{dossier_id}/XNSD-KK" in text
    assert fetch(flow, dossier_id, "reconciliation_mismatch", flow.officer)[2] == page
    assert fetch(flow, dossier_id, "reconciliation_form")[0] == 404

    lines = treasury_lines(flow, dossier_id)
    status, again = flow.api.call(
        "POST", f"/v1/dossiers/{dossier_id}/supplement",
        form_body(pki_dir, mau_32(lines["opening"], lines["increase"], lines["decrease"])),
        token=flow.unit)
    assert status == 200, again
    assert flow.decide(flow.officer, dossier_id, "matches")[0] == 200
    confirmed = flow.reaches(dossier_id, "reconciled")["reconciliation"]["confirmed_form"]
    assert listed(flow, dossier_id) == ["receipt_notice", "reconciliation_form"]
    status, _, page = fetch(flow, dossier_id, "reconciliation_form")
    assert status == 200, page
    text = text_of(page)
    assert "Kho bạc Nhà nước xác nhận khớp đúng" in text and "khớp đúng với số liệu" in text
    assert f"Số dư cuối kỳ {grouped(lines['closing'])}" in text
    assert f"Thời điểm xác nhận: {local_text(parse_iso(confirmed['confirmed_at']))}" in text


def test_art9_cl2_pt_c_a_closed_accounts_mau_25_prints_with_its_forms(api, tokens, pki_dir,
                                                                        unique):
    account = f"3713.9.{unique('x')[2:8]}"
    open_empty_account(api, pki_dir, tokens, account)
    unit, officer = tokens["ketoan.bvdd"], tokens["kiemsoat.kv1"]
    status, d = api.call("POST", "/v1/dossiers", closing_body(pki_dir, account), token=unit)
    assert status == 201, d
    flow = Flow(api, tokens, pki_dir, unit="ketoan.bvdd")
    assert listed(flow, d["dossier_id"]) == ["receipt_notice"]
    decide(api, officer, d["dossier_id"], "accept")
    closed = flow.reaches(d["dossier_id"], "closed")
    assert listed(flow, d["dossier_id"]) == ["receipt_notice", "closing_form"]
    status, _, page = fetch(flow, d["dossier_id"], "closing_form")
    assert status == 200, page
    text = text_of(page)
    assert "Giấy đề nghị tất toán tài khoản" in text and "Mẫu số 25 — có xác nhận" in text
    assert account in text and "Kết thúc dự án, không còn sử dụng." in text
    assert "Bảng đối chiếu kèm theo Mẫu số 32" in text and "Mẫu số 32 (06-ĐCSDTK/KBNN)" in text
    assert "xác nhận số dư tài khoản đến ngày" in text and " là 0 đồng" in text
    end = closed["result"]["confirmed_form"]["effective_end"].split("-")
    assert f"hết hiệu lực từ ngày {end[2]}/{end[1]}/{end[0]}" in text
    assert fetch(flow, d["dossier_id"], "confirmed_form")[0] == 404
