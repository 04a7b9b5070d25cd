"""Parsing request bodies into JSON that the rest of the system can always handle.

Everything a client sends may end up canonicalised with RFC 8785 (hashes, signatures) and
stored in a DynamoDB item, so the parser refuses up front what those cannot represent: numbers
beyond IEEE-754 double precision (JCS), NaN and infinities, absurd nesting, invalid UTF-8.
`required` then reads what a body must carry, telling a missing value from one of the wrong type.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import BadRequest, InvalidField, PayloadTooLarge

MAX_BODY_BYTES = 256 * 1024     # a dossier item must stay well under DynamoDB's 400 KB
# A dossier with a 5,000-line payee list (0.5–1 MB) may be sent whole; the list is stored apart
# and the rest of it must still fit MAX_BODY_BYTES (services/payee_lines.py). Below Lambda's 6 MB.
MAX_SUBMISSION_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
SAFE_INTEGER = 2**53 - 1


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _utf8(text: str, path: str) -> None:
    """JSON's `\\ud800` escapes can spell a lone surrogate, which no UTF-8 text (the response,
    a DynamoDB string, the JCS bytes a signer signs) can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest("Nội dung không phải JSON hợp lệ (UTF-8).", code="invalid_json",
                         field=path or "body") from exc


def _check(value: Any) -> None:
    """Walk the document once (iteratively: no recursion limit to trip over), refusing numbers
    JCS cannot represent, text UTF-8 cannot encode and nesting deeper than MAX_DEPTH, naming
    where they are."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"JSON lồng nhau quá {MAX_DEPTH} cấp.", code="too_deep",
                             field=path or "body")
        if isinstance(node, bool):
            continue
        if isinstance(node, str):
            _utf8(node, path)
            continue
        if (isinstance(node, int) and abs(node) > SAFE_INTEGER) or \
                (isinstance(node, float) and not math.isfinite(node)):
            raise BadRequest("Số vượt quá phạm vi cho phép (tối đa 2^53 - 1, không NaN/Infinity).",
                             code="number_out_of_range", field=path or "body")
        if isinstance(node, dict):
            for key in node:
                _utf8(key, path)
            stack.extend((v, _child(path, k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, _child(path, i), depth + 1) for i, v in enumerate(node))


# JSON text can spell a lone surrogate only as an escape (UTF-8 bytes cannot carry one).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _plainly_fine(value: Any) -> bool:
    """The common case, fast (a 5,000-line payroll is ~70,000 nodes), for a text without
    surrogate escapes (so no string needs checking): no number out of range, nesting within
    MAX_DEPTH. No paths are built; `_check` walks again, naming the place, only when this says no
    (or might be wrong: it is stricter on depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict:
            if depth >= MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in node.values())
        elif kind is list:
            if depth >= MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in node)
        elif kind is int:
            if abs(node) > SAFE_INTEGER:
                return False
        elif kind is float:
            if not math.isfinite(node):
                return False
        elif node is not None and kind is not bool and kind is not str:
            return False
    return True


def parse(raw: bytes, limit: int = MAX_BODY_BYTES) -> Any:
    if len(raw) > limit:
        raise PayloadTooLarge(field="body")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequest("Nội dung không phải JSON hợp lệ (UTF-8).", code="invalid_json",
                         field="body") from exc
    if _SURROGATE_ESCAPE.search(raw) is not None or not _plainly_fine(value):
        _check(value)
    return value


def required(value: Any, kind: type, *, field: str, missing: str, wrong_type: str) -> Any:
    """A value the request must carry, as a `kind`. Absent (None), null or an empty string is
    `required` (`missing`, a Vietnamese "Thiếu ..."); any other value not a `kind` (a boolean
    is not a number) is `invalid_type` (`wrong_type`). Both name `field`."""
    if value is None or value == "":
        raise InvalidField(missing, code="required", field=field)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidField(wrong_type, code="invalid_type", field=field)
    return value
