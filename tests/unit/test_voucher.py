"""Voucher validation: every failure is a 422 naming the offending field."""
import copy

import pytest

from chalicelib.domain.errors import InvalidField
from chalicelib.domain.voucher import grouped, parse_documents, parse_voucher, vnd
from devstack.demo import sample_content

pytestmark = pytest.mark.unit
KINDS = ("payment", "advance")


def voucher(**changes):
    v = copy.deepcopy(sample_content("T-1")["voucher"])
    for path, value in changes.items():
        target = v
        *parents, last = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return v


DELETE = object()


def rejects(raw, field, code=None):
    with pytest.raises(InvalidField) as err:
        parse_voucher(raw, KINDS)
    assert err.value.field == field
    if code:
        assert err.value.code == code
    return err.value


def test_a_well_formed_voucher_parses_with_its_total():
    v = parse_voucher(voucher(), KINDS)
    assert v.total == 12_500_000 and len(v.lines) == 2 and v.unit_code == "1012345"


def test_lines_must_add_up_to_the_total():
    rejects(voucher(total=12_500_001), "content.voucher.total", "total_mismatch")


@pytest.mark.parametrize("amount", [0, -5, 1.5, 1e3, "1000", True, None, 10**16])
def test_amounts_are_positive_whole_dong_within_limits(amount):
    rejects(voucher(lines__0__amount=amount), "content.voucher.lines[0].amount", "invalid_amount")


@pytest.mark.parametrize("field, value, path", [
    ("payer__unit_code", "123456", "content.voucher.payer.unit_code"),
    ("payer__unit_code", "12345678", "content.voucher.payer.unit_code"),
    ("payer__chapter_code", "42", "content.voucher.payer.chapter_code"),
    ("lines__1__economic_code", "661", "content.voucher.lines[1].economic_code"),
    ("lines__1__economic_code", "66a8", "content.voucher.lines[1].economic_code"),
])
def test_budget_codes_have_their_shapes(field, value, path):
    rejects(voucher(**{field: value}), path, "invalid_format")


def test_an_advance_needs_a_contract():
    rejects(voucher(payment_kind="advance"), "content.voucher.contract", "contract_required")


def test_art6_cl2_pt_b_an_advance_follows_the_rate_its_contract_states():
    contract = {"number": "HD-01/2026", "date": "2026-02-01", "value": 20_000_000,
                "advance_rate_percent": "49.99"}
    rejects(voucher(payment_kind="advance", contract=contract), "content.voucher.total",
            "advance_over_limit")
    contract["value"] = 30_000_000
    assert parse_voucher(voucher(payment_kind="advance", contract=contract), KINDS).advance_limit \
        == 14_997_000


def test_wrong_types_name_the_field():
    rejects(voucher(payer="1012345"), "content.voucher.payer", "invalid_type")
    rejects(voucher(lines="x"), "content.voucher.lines", "required")
    rejects(voucher(method="wire"), "content.voucher.method", "invalid_choice")
    rejects(voucher(number=DELETE), "content.voucher.number", "required")


def test_a_transfer_needs_the_payee_account():
    rejects(voucher(payee__account=DELETE), "content.voucher.payee.account", "required")


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.pdf", "a\\b.pdf", ".hidden",
                                  'say "hi".pdf', "line\nbreak.pdf"])
def test_document_names_cannot_traverse_paths_or_break_headers(name):
    with pytest.raises(InvalidField) as err:
        parse_documents([{"kind": "other", "name": name, "sha256": "a" * 64}], ("other",))
    assert err.value.field == "content.documents[0].name"


def test_a_document_is_one_of_the_procedure_s_components():
    with pytest.raises(InvalidField) as err:
        parse_documents([{"kind": "selfie", "name": "a.pdf", "sha256": "a" * 64}], ("contract", "other"))
    assert (err.value.field, err.value.code) == ("content.documents[0].kind", "invalid_choice")
    assert parse_documents([{"kind": "contract", "name": "a.pdf", "sha256": "a" * 64}],
                           ("contract", "other"))[0]["kind"] == "contract"


def test_money_is_written_the_vietnamese_way():
    assert vnd(12_500_000) == "12.500.000 đồng"
    assert vnd(-2_000_000) == "-2.000.000 đồng"
    assert vnd(0) == "0 đồng" and grouped(1_500_000) == "1.500.000"
