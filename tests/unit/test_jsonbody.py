"""Request bodies: only JSON that canonicalisation and storage can always handle gets through."""
import pytest

from chalicelib.domain import jsonbody
from chalicelib.domain.errors import BadRequest, InvalidField, PayloadTooLarge

pytestmark = pytest.mark.unit


def refused(raw: bytes) -> BadRequest:
    with pytest.raises(BadRequest) as err:
        jsonbody.parse(raw)
    return err.value


def test_ordinary_json_parses():
    assert jsonbody.parse('{"a": [1, 2.5, "đồng", true, null]}'.encode()) == \
        {"a": [1, 2.5, "đồng", True, None]}


@pytest.mark.parametrize("raw, field", [
    (b'{"content": {"voucher": {"total": 100000000000000000000}}}', "content.voucher.total"),
    (b'{"x": [1, -9007199254740992]}', "x[1]"),
    (b'{"x": 1e400}', "x"),
    (b'{"x": NaN}', "x"),
    (b'[Infinity]', "[0]"),
])
def test_numbers_beyond_double_precision_are_refused_naming_where(raw, field):
    err = refused(raw)
    assert (err.code, err.field) == ("number_out_of_range", field)


def test_the_largest_safe_integer_is_fine():
    assert jsonbody.parse(b"[9007199254740991]") == [9007199254740991]


def test_deep_nesting_is_refused_without_recursing():
    assert refused(b"[" * 40 + b"]" * 40).code == "too_deep"
    assert refused(b"[" * 100_000 + b"]" * 100_000).code == "invalid_json"


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"{'a': 1}"])
def test_malformed_or_non_utf8_bodies_are_invalid_json(raw):
    assert refused(raw).code == "invalid_json"


def test_a_body_larger_than_an_item_can_hold_is_413():
    with pytest.raises(PayloadTooLarge):
        jsonbody.parse(b'"' + b"x" * jsonbody.MAX_BODY_BYTES + b'"')


@pytest.mark.parametrize("raw, field", [
    (b'{"content": {"payee": {"name": "Cty \\ud800"}}}', "content.payee.name"),
    (b'{"name": "\\udfff.pdf"}', "name"),
    (b'{"lines": [{"\\ud83d": 1}]}', "lines[0]"),
    (b'"\\ud800"', "body"),
])
def test_a_lone_surrogate_escape_is_invalid_json_naming_where(raw, field):
    """Valid JSON, but no UTF-8 text can carry it: echoed in an answer it broke the response
    (the connection dropped, no status at all), and JCS canonicalisation refuses it."""
    err = refused(raw)
    assert (err.code, err.field) == ("invalid_json", field)


def test_a_properly_escaped_surrogate_pair_is_ordinary_text():
    assert jsonbody.parse(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}


@pytest.mark.parametrize("value, code", [
    (None, "required"), ("", "required"), (12345, "invalid_type"), (True, "invalid_type"),
    ([], "invalid_type"), ({}, "invalid_type"),
])
def test_a_required_value_missing_is_required_and_of_the_wrong_type_is_invalid_type(value, code):
    with pytest.raises(InvalidField) as err:
        jsonbody.required(value, str, field="decision", missing="Thiếu quyết định.",
                          wrong_type="Quyết định phải là chuỗi ký tự.")
    assert (err.value.code, err.value.field) == (code, "decision")
    assert err.value.message == ("Thiếu quyết định." if code == "required"
                                 else "Quyết định phải là chuỗi ký tự.")


def test_a_required_value_of_its_type_is_returned_and_a_boolean_is_no_number():
    assert jsonbody.required("accept", str, field="f", missing="Thiếu.", wrong_type="Sai.") == "accept"
    assert jsonbody.required([], list, field="f", missing="Thiếu.", wrong_type="Sai.") == []
    with pytest.raises(InvalidField):
        jsonbody.required(False, int, field="f", missing="Thiếu.", wrong_type="Sai.")
