"""Payee lists on payment dossiers: checked with the voucher, kept beside the dossier's body.

The list is part of what the unit signs (`content.payee_list`), but 5,000 lines do not fit in a
DynamoDB item. So at receipt the list's bytes go to the documents bucket under their
SHA-256 *before* the transaction that creates the dossier, and the body keeps a reference
(`{"stored": {key, sha256, size, form, count, total}}`). The receipt stays one logical commit:
if the transaction fails, an object nobody references is left behind, harmless (the same list
submitted again lands on the same key). Whoever needs the signed content back (re-verifying the
signatures, posting the credits) calls `restore`, which checks the hash. Design: docs/payee-lists.md.

Posting credits each line once, by reference (`credit_lines`), and a payee banking at the treasury
gets its credit advice (347/2025 Art.6 cl.2 pt.i); a line its bank returns is credited back to the
unit once (services/payee_returns.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from ..adapters.payee_lists import PayeeListCorrupt, PayeeListObjects
from ..domain import audit, catalogue, jsonbody
from ..domain.errors import BadRequest, InvalidField, NotFound, PayloadTooLarge
from ..domain.payee_list import PATH, PayeeList, parse_payee_list

if TYPE_CHECKING:
    from ..adapters.documents import DocumentStore

log = logging.getLogger(__name__)
KEY = "payee_list"


def allowed(procedure: catalogue.ProcedureVersion) -> bool:
    """Procedures whose dossier lists a payee list among its components (regular spending...)."""
    return any(c.kind == KEY for c in procedure.components)


def check(content: dict, procedure: catalogue.ProcedureVersion, voucher_total: int
          ) -> PayeeList | None:
    """The signed list, if the dossier has one: each line, then 347/2025 Art.6 cl.2 pt.b's sums."""
    raw = content.get(KEY)
    if raw is None:
        return None
    if not allowed(procedure):
        raise InvalidField("Thủ tục này không kèm danh sách thanh toán.", code="payee_list_not_allowed",
                           field=PATH)
    return parse_payee_list(raw, voucher_total)


def objects(store: DocumentStore) -> PayeeListObjects:
    return PayeeListObjects(store.bucket, store.region)


def stash(content: dict, unit_id: str, store: DocumentStore, listed: PayeeList | None) -> dict:
    """What the dossier's body stores: the content with its (checked) list replaced by a
    reference to the list's object, written first. Whatever is stored inline must still fit
    one item: more than MAX_BODY_BYTES of it is refused (413) whether or not there is a list."""
    stored = content
    if listed is not None:
        # Compact JSON, keys sorted: the same list always makes the same bytes (and key), and
        # json.loads gives back exactly what was signed. Not RFC 8785: that costs 4× as much and
        # the signatures are checked over the content with the list put back, not these bytes.
        data = json.dumps(content[KEY], ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode()
        sha256 = hashlib.sha256(data).hexdigest()
        reference = {"key": objects(store).key(unit_id, sha256), "sha256": sha256,
                     "size": len(data), "form": listed.form, "count": listed.count,
                     "total": listed.total}
        stored = {**content, KEY: {"stored": reference}}
        inline_size = len(audit.canonical(stored))
        if inline_size <= jsonbody.MAX_BODY_BYTES:
            objects(store).put(unit_id, sha256, data)
    else:
        inline_size = len(audit.canonical(content))
    if inline_size > jsonbody.MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Nội dung hồ sơ (ngoài danh sách thanh toán) vượt quá "
                              f"{jsonbody.MAX_BODY_BYTES:,} byte.".replace(",", "."),
                              field="content")
    return stored


def reference(content: dict) -> dict | None:
    """The stored list's reference in a body's content, or None."""
    held = content.get(KEY)
    if isinstance(held, dict) and "lines" not in held and isinstance(held.get("stored"), dict):
        return held["stored"]
    return None


def load(content: dict, store: DocumentStore) -> Any:
    """The signed list a body references, its hash checked; None if the body has none."""
    ref = reference(content)
    if ref is None:
        return None
    return json.loads(objects(store).get(ref["key"], ref["sha256"]))


def restore(content: dict, store: DocumentStore) -> dict:
    """The content exactly as signed: the reference replaced by the list it names. If the object
    no longer hashes to the reference, the reference stays, and the signatures (rightly) fail."""
    try:
        listed = load(content, store)
    except PayeeListCorrupt:
        log.error("payee list object does not match its dossier's reference: %s",
                  (reference(content) or {}).get("key"))
        return content
    return content if listed is None else {**content, KEY: listed}


def credit_lines(content: dict) -> dict | None:
    """What the posting request carries for a payroll (docs/ledger-contract.md, "Credit lines"):
    the list by reference, not 5,000 lines inline (an SQS message is at most 256 KB). The ledger
    reads the object from the documents bucket, checks its SHA-256, count and total, and credits
    each line once."""
    ref = reference(content)
    if ref is None:
        return None
    return {"key": ref["key"], "sha256": ref["sha256"], "count": ref["count"],
            "total": ref["total"], "form": ref["form"]}


# --- what the unit sees: each line and where it stands ----------------------------------------
CREDITED, PENDING, NOT_PAID, RETURNED = "credited", "pending", "not_paid", "returned"


def line_status(dossier_status: str) -> str:
    """A line's status from its dossier's. The ledger's `posted` confirms the debit and every
    credit line together (docs/ledger-contract.md, "Credit lines"), so a paid dossier's lines are
    all credited; a refused one's none."""
    if dossier_status == catalogue.PAID:
        return CREDITED
    return NOT_PAID if dossier_status in catalogue.END_STATUSES else PENDING


def lines_page(principal: Any, dossier_id: str, *, repo: Any, store: DocumentStore,
               cursor: str | None, limit: int) -> dict:
    """GET /v1/dossiers/{id}/payee-lines: the list's lines in order, `limit` at a time, each with
    its status; `next_cursor` is the index of the next line."""
    from . import common
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    content = repo.body(dossier).content
    ref = reference(content)
    if ref is None:
        raise NotFound("Hồ sơ không có danh sách thanh toán.", code="payee_list_not_found")
    start = 0
    if cursor is not None:
        if not cursor.isdigit() or not 0 < int(cursor) < int(ref["count"]):
            raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor",
                             field="cursor")
        start = int(cursor)
    lines = load(content, store)["lines"]
    status = line_status(dossier.status)
    returned = dossier.returned_lines or {}   # credited back to the unit (payee_returns.py)
    end = min(start + limit, len(lines))
    items = [{"line": i, "name": line["name"], "account": line["account"],
              "institution": line.get("institution", "bank"), "bank_name": line["bank_name"],
              "amount": line["amount"], "group": line.get("group", "other"),
              "status": RETURNED if str(i) in returned else status,
              "credit_advice": status == CREDITED and line.get("institution") == "treasury",
              "returned": returned.get(str(i))}
             for i, line in enumerate(lines[start:end], start)]
    return {"dossier_id": dossier_id, "count": int(ref["count"]), "total": int(ref["total"]),
            "items": items, "next_cursor": str(end) if end < len(lines) else None}
