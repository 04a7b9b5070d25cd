"""Payee lists (Mẫu 20, Mẫu 21) checked as 347/2025 Art.6 cl.2 pt.b asks, each failure naming
its line; and stored beside the dossier's body with the signed content still verifiable."""
import copy
import time

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import audit
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.payee_list import GROUPS, MAX_PAYEE_LINES, parse_payee_list
from devstack.payroll import payee_lines, payroll_content

pytestmark = pytest.mark.unit


def listed(count: int = 3, **changes) -> dict:
    lines = payee_lines(count)
    return {"form": "20", "total": sum(line["amount"] for line in lines), "lines": lines, **changes}


def refused(raw: dict, voucher_total: int | None = None) -> InvalidField:
    with pytest.raises(InvalidField) as err:
        parse_payee_list(raw, raw.get("total") if voucher_total is None else voucher_total)
    return err.value


def test_a_well_formed_list_parses_with_its_group_subtotals():
    raw = listed(8)
    parsed = parse_payee_list(raw, raw["total"])
    assert parsed.count == 8 and parsed.total == raw["total"]
    assert set(parsed.group_totals()) == set(GROUPS)
    assert sum(parsed.group_totals().values()) == raw["total"]
    assert parsed.lines[5].index == 5 and parsed.lines[5].account == raw["lines"][5]["account"]


def test_art6_cl2_pt_b_payee_list_lines_must_add_up_to_the_list_total():
    raw = listed(4)
    raw["lines"][2]["amount"] += 1
    err = refused(raw)
    assert (err.status, err.code, err.field) == (422, "payee_list_total_mismatch",
                                                 "content.payee_list.total")


def test_art6_cl2_pt_b_payee_list_total_must_equal_the_voucher_total():
    raw = listed(4)
    err = refused(raw, voucher_total=raw["total"] + 1_000)
    assert (err.code, err.field) == ("payee_list_voucher_mismatch", "content.payee_list.total")
    assert "đồng" in err.message


def test_a_malformed_account_is_refused_naming_its_line():
    raw = listed(50)
    raw["lines"][41]["account"] = "12-34 AB"
    err = refused(raw)
    assert (err.code, err.field) == ("invalid_format", "content.payee_list.lines[41].account")


@pytest.mark.parametrize("line_change, field, code", [
    ({"amount": 0}, "amount", "invalid_amount"),
    ({"amount": 1.5}, "amount", "invalid_amount"),
    ({"amount": True}, "amount", "invalid_amount"),
    ({"amount": "1000"}, "amount", "invalid_amount"),
    ({"name": " "}, "name", "required"),
    ({"bank_code": "VCB"}, "bank_code", "invalid_format"),
    ({"bank_code": None}, "bank_code", "required"),
    ({"group": "officers"}, "group", "invalid_choice"),
    ({"institution": "post_office"}, "institution", "invalid_choice"),
])
def test_each_malformed_field_names_the_line_and_field(line_change, field, code):
    raw = listed(10)
    raw["lines"][7].update(line_change)
    err = refused(raw)
    assert (err.code, err.field) == (code, f"content.payee_list.lines[7].{field}")


def test_a_payee_at_the_treasury_needs_no_bank_code_and_has_a_treasury_account():
    raw = listed(3)
    raw["lines"][1] = {"name": "Trần Văn B", "institution": "treasury", "account": "3713.1012345",
                       "bank_name": "KBNN Khu vực I", "amount": raw["lines"][1]["amount"]}
    assert parse_payee_list(raw, raw["total"]).lines[1].institution == "treasury"


def test_a_list_of_exactly_the_maximum_lines_is_accepted():
    raw = listed(MAX_PAYEE_LINES)
    assert parse_payee_list(raw, raw["total"]).count == MAX_PAYEE_LINES == 5_000


def test_a_list_one_line_over_the_documented_maximum_is_refused_naming_the_lines():
    raw = listed(MAX_PAYEE_LINES + 1)
    err = refused(raw)
    assert (err.status, err.code, err.field) == (422, "too_many_lines", "content.payee_list.lines")


@pytest.mark.parametrize("raw, field, code", [
    ([], "content.payee_list", "invalid_type"),
    ({"form": "19", "total": 1, "lines": []}, "content.payee_list.form", "invalid_choice"),
    ({"form": "20", "total": 1, "lines": []}, "content.payee_list.lines", "required"),
    ({"form": "20", "total": 1, "lines": ["x"]}, "content.payee_list.lines[0]", "invalid_type"),
])
def test_the_list_itself_must_have_its_shape(raw, field, code):
    with pytest.raises(InvalidField) as err:
        parse_payee_list(raw, 1)
    assert (err.value.code, err.value.field) == (code, field)


def student(**changes) -> dict:
    return {"name": "Lê Minh C", "decision": "QĐ 123/QĐ-BGDĐT", "country": "JP", "currency": "JPY",
            "account": "JP12345678", "bank_name": "MUFG Bank Tokyo", "swift": "BOTKJPJT",
            "foreign_amount": "150000", "amount": 25_000_000, **changes}


def test_a_students_abroad_list_mau_21_parses_and_adds_up():
    raw = {"form": "21", "total": 50_000_000, "lines": [student(), student(name="Phạm D")]}
    assert parse_payee_list(raw, 50_000_000).count == 2


def test_a_students_abroad_list_is_one_country_and_one_currency():
    raw = {"form": "21", "total": 50_000_000, "lines": [student(), student(currency="USD")]}
    err = refused(raw)
    assert (err.code, err.field) == ("mixed_country_or_currency",
                                     "content.payee_list.lines[1].currency")


def test_a_students_line_needs_a_valid_swift_code():
    raw = {"form": "21", "total": 25_000_000, "lines": [student(swift="BOT")]}
    assert refused(raw).field == "content.payee_list.lines[0].swift"


def test_parsing_does_not_change_what_was_signed():
    raw = listed(20)
    before = copy.deepcopy(raw)
    parse_payee_list(raw, raw["total"])
    assert raw == before


def test_a_5000_line_list_parses_in_well_under_300_ms():
    # The budget is 300 ms of our code for the whole submission; parsing is a small part.
    raw = listed(MAX_PAYEE_LINES)
    started = time.perf_counter()
    parse_payee_list(raw, raw["total"])
    assert time.perf_counter() - started < 0.25   # about 16 ms alone on a laptop core


def test_a_payroll_voucher_total_is_its_lists_total():
    content = payroll_content("L-12", 25)
    assert content["voucher"]["total"] == content["payee_list"]["total"]
    assert len(audit.canonical(content)) > 25 * 100


# --- the signed bytes of a large content: audit.canonical's fast path is RFC 8785 exactly ------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_bytes_are_rfc8785_for_any_json_without_floats(value):
    try:
        expected = rfc8785.dumps(value)
    except Exception as exc:   # what the library refuses, canonical refuses too
        with pytest.raises(type(exc)):
            audit.canonical(value)
        return
    assert audit.canonical(value) == expected


def test_canonical_bytes_of_a_payroll_and_of_tricky_text_are_rfc8785():
    content = payroll_content("L-1", 300)
    content["remarks"] = "tab\t nl\n \x00 \x1f \x7f \u2028 é 😀 \"q\" \\ /"
    content["floats"] = [1.5, 1e21, 0.1]
    content["ключ"] = {"é": 1, "e": 2, "😀": 3, "\uffff": 4}
    for value in (content, {k: v for k, v in content.items() if k not in ("floats", "ключ")}):
        assert audit.canonical(value) == rfc8785.dumps(value)


# --- posting and status (services/payee_lines.py, pure parts) ------------------------------------
def test_a_payroll_posting_request_carries_its_list_by_reference_not_inline():
    from chalicelib.domain import ledger as contract
    from chalicelib.services import payee_lines
    ref = {"key": "documents/1012345/payee-lists/ab.json", "sha256": "ab" * 32, "size": 10,
           "form": "20", "count": 5_000, "total": 33_000_000_000}
    credit_lines = payee_lines.credit_lines({"voucher": {}, "payee_list": {"stored": ref}})
    assert credit_lines == {k: ref[k] for k in ("key", "sha256", "count", "total", "form")}
    assert payee_lines.credit_lines({"voucher": {}}) is None
    request = contract.request(posting_id="p", entry="debit", amount=33_000_000_000, account_id="a",
                               account_kind="estimate", unit_id="u", office_id="o",
                               payment_kind="payment", voucher={}, correlation_id=None,
                               requested_at="t", credit_lines=credit_lines)
    assert len(audit.canonical(request)) < 2_000     # far under SQS's 256 KB, whatever the count


@pytest.mark.parametrize("dossier_status, line_status", [
    ("under_review", "pending"), ("awaiting_approval", "pending"), ("posting", "pending"),
    ("paid", "credited"), ("refused", "not_paid")])
def test_each_line_stands_where_its_dossier_stands(dossier_status, line_status):
    from chalicelib.services import payee_lines
    assert payee_lines.line_status(dossier_status) == line_status


# --- returned lines: the message's contract (domain/payee_returns.py) ------------------------------
def a_return(**changes) -> dict:
    from chalicelib.domain.payee_returns import payee_return
    return {**payee_return(posting_id="01JD7Q3W5X6Y7Z8A9B0C1D2E3F", line=41, amount=6_000_000,
                           account="1020000287", code="wrong_account",
                           reason="Số tài khoản không đúng.", returned_at="2026-12-07T03:00:00Z"),
            **changes}


def test_a_returned_line_message_parses_and_is_told_apart_from_confirmations():
    from chalicelib.domain import payee_returns
    parsed = payee_returns.parse_return(a_return())
    assert (parsed.line, parsed.amount, parsed.code) == (41, 6_000_000, "wrong_account")
    assert payee_returns.is_return(a_return())
    assert not payee_returns.is_return({"schema": "kbnn.ledger.posting_confirmation"})


@pytest.mark.parametrize("changes", [
    {"line": -1}, {"line": "41"}, {"line": True}, {"amount": 0}, {"amount": 1.0},
    {"code": "lost"}, {"version": 2}, {"account": ""}, {"posting_id": None}])
def test_a_returned_line_message_that_breaks_the_contract_is_never_acted_on(changes):
    from chalicelib.domain import ledger as contract
    from chalicelib.domain import payee_returns
    with pytest.raises(contract.ContractViolation):
        payee_returns.parse_return(a_return(**changes))


def test_the_ledger_contract_document_describes_the_returned_line_message():
    from pathlib import Path

    from chalicelib.domain import payee_returns
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ledger-contract.md").read_text("utf-8")
    assert f"`{payee_returns.RETURN_SCHEMA}`" in doc
    for name in (*a_return(), *payee_returns.RETURN_CODES, "credit_lines"):
        assert f"`{name}`" in doc, name
