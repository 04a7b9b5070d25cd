"""POST /v1/payee-lists/import over the local gateway, as API Gateway hands it to Lambda: a CSV as
text, an .xlsx as binary (app.py's binary_types), a JSON body refused as no spreadsheet."""
from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.integration
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["STT", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Mã ngân hàng", "Số tiền"]


def _post(stack, token: str, body: bytes, content_type: str) -> tuple[int, dict]:
    req = urllib.request.Request(f"{stack.api_url}/v1/payee-lists/import?form=20", data=body,
                                 method="POST", headers={"Content-Type": content_type,
                                                         "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_art6_cl2_pt_b_a_csv_with_bad_lines_answers_every_one_of_them(stack, tokens):
    rows = [HEADER, [1, "An", "1020000001", "BIDV", "01202001", "6.000.000"],
            [2, "Bình", "12AB", "BIDV", "01202001", "6.000.000"],
            [3, "Cường", "1020000003", "BIDV", "", "6.000.000"]]
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in rows)
    status, answer = _post(stack, tokens["ketoan.cva"], text.encode("utf-8"), "text/csv")
    assert status == 200, answer
    assert [(e["line"], e["field"], e["code"]) for e in answer["errors"]] == [
        (2, "content.payee_list.lines[1].account", "invalid_format"),
        (3, "content.payee_list.lines[2].bank_code", "required")]
    assert (answer["count"], answer["total"]) == (3, 18_000_000)


def test_an_xlsx_arrives_as_bytes_and_is_read(stack, tokens):
    import openpyxl
    book = openpyxl.Workbook()
    for row in [HEADER, [1, "An", "1020000001", "BIDV", "01202001", 6_000_000]]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    status, answer = _post(stack, tokens["phanmem.cva"], buffer.getvalue(), XLSX)
    assert status == 200, answer
    assert answer["lines"] == [{"name": "An", "account": "1020000001", "bank_name": "BIDV",
                                "bank_code": "01202001", "amount": 6_000_000, "group": "other"}]


def test_a_json_body_is_no_spreadsheet_and_an_officer_may_not_import(stack, tokens):
    status, answer = _post(stack, tokens["ketoan.cva"], b"{}", "application/json")
    assert (status, answer["error"]["code"]) == (415, "unsupported_file_type")
    status, answer = _post(stack, tokens["kiemsoat.kv1"], b"a,b", "text/csv")
    assert (status, answer["error"]["code"]) == (403, "role_not_allowed")
