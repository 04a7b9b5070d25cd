"""The results as documents people keep, through the API of the local stack: a dossier lists the
documents it has (`printable`), and each is an A4 HTML page with the dossier code and its QR
code, for whoever may read the dossier and nobody else."""
from __future__ import annotations

import html
import re

import pytest

from chalicelib.domain.voucher import vnd
from tests.integration.flow import Flow, get_page

pytestmark = pytest.mark.integration
UNIT_NAME, OFFICE_NAME = "Trường THPT Chu Văn An", "Kho bạc Nhà nước Khu vực I (Hà Nội)"


def fetch(flow: Flow, dossier_id: str, kind: str, token: str | None = None
          ) -> tuple[int, dict[str, str], str]:
    return get_page(flow.api, f"/v1/dossiers/{dossier_id}/documents/{kind}", token or flow.unit)


def listed(flow: Flow, dossier_id: str, token: str | None = None) -> list[str]:
    status, body = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/documents",
                                 token=token or flow.unit)
    assert status == 200, body
    assert all(item["path"] == f"/v1/dossiers/{dossier_id}/documents/{item['kind']}"
               for item in body["printable"])
    return [item["kind"] for item in body["printable"]]


def text_of(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_art3_cl4_pt_a_the_receipt_notice_of_a_received_dossier_promises_its_result_date(
        flow, unique):
    d = flow.submit(unique("RCPT"), 2_000_000)
    assert listed(flow, d["dossier_id"]) == ["receipt_notice"]
    status, headers, page = fetch(flow, d["dossier_id"], "receipt_notice")
    assert status == 200, page
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'filename="{d["dossier_id"]}-receipt_notice.html"' in headers["Content-Disposition"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    text = text_of(page)
    assert "Thông báo tiếp nhận hồ sơ" in text and f"Mã số hồ sơ: {d['dossier_id']}" in text
    assert OFFICE_NAME in text and f"{UNIT_NAME} (mã ĐVQHNS 1012345)" in text
    assert "<svg" in page and "<script" not in page
    from chalicelib.domain.risk import local_text
    from chalicelib.services.common import parse_iso
    assert f"Hẹn trả kết quả {local_text(parse_iso(d['due_at']))}" in text
    # the office reads the same document; a dossier without a result has nothing else yet
    assert fetch(flow, d["dossier_id"], "receipt_notice", flow.officer)[2] == page
    status, _, error = fetch(flow, d["dossier_id"], "debit_advice")
    assert status == 404 and '"code": "document_not_available"' in error and '"field": "kind"' in error


def test_art6_cl2_pt_i_a_paid_dossier_gives_its_debit_advice_to_print(flow, unique):
    d = flow.submit(unique("GBN"), 3_100_000)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    advice = flow.reaches(d["dossier_id"], "paid")["result"]["debit_advice"]
    assert listed(flow, d["dossier_id"]) == ["receipt_notice", "debit_advice"]
    status, _, page = fetch(flow, d["dossier_id"], "debit_advice")
    assert status == 200, page
    text = text_of(page)
    assert "Giấy báo Nợ" in text and f"Số: {advice['number']}" in text
    assert vnd(3_100_000) in text and advice["account_id"] in text
    assert advice["ledger_reference"] in text and d["dossier_id"] in text
    status, _, error = fetch(flow, d["dossier_id"], "refusal_notice")
    assert status == 404 and "document_not_available" in error


def test_art6_cl2_pt_k_a_refused_dossier_gives_its_mau_33_with_the_reason(flow, unique):
    d = flow.submit(unique("TB33"), 1_200_000)
    reason = "Sai mã nội dung kinh tế <6001> & thiếu hợp đồng."
    flow.decide(flow.officer, d["dossier_id"], "refuse", reason)
    flow.reaches(d["dossier_id"], "refused")
    assert listed(flow, d["dossier_id"], flow.officer) == ["receipt_notice", "refusal_notice"]
    status, _, page = fetch(flow, d["dossier_id"], "refusal_notice")
    assert status == 200, page
    assert html.escape(reason) in page and reason not in page   # escaped, never raw markup
    text = text_of(page)
    assert "Kết quả giải quyết thủ tục hành chính" in text
    assert f"Kho bạc Nhà nước từ chối đề nghị tại hồ sơ số {d['dossier_id']}" in text
    assert f"Lý do: {reason}" in text and f"Sau khi kiểm tra, {OFFICE_NAME}" in text
    assert "Căn cứ: Nghị định 347/2025/NĐ-CP, Điều 6." in text
    assert "kiemsoat.kv1" not in page


def test_a_document_of_another_units_dossier_is_not_found_whatever_the_kind(flow, tokens, unique):
    d = flow.submit(unique("IDOR"), 1_000_000)
    other = tokens["kiemsoat.kv2"]
    for kind in ("receipt_notice", "no_such_kind"):
        status, _, error = fetch(flow, d["dossier_id"], kind, other)
        assert status == 404 and '"code": "dossier_not_found"' in error, error
    status, _, error = fetch(flow, d["dossier_id"], "no_such_kind")
    assert status == 404 and "document_not_available" in error
