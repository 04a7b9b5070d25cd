"""Dossier documents: uploads through presigned URLs, the manifest checked against the bytes in
the bucket at submission, one-time legal documents kept on file per unit.

A unit's client asks `POST /v1/documents` for an upload URL for a file it names by SHA-256, PUTs
the bytes straight to S3 (which refuses bytes of another hash), and lists the file in the signed
manifest (`content.documents`). At submission every listed file must be in the bucket with
exactly the listed hash, or the dossier is refused before anything is written (the signed copy
of each component, 347/2025 Art.6 cl.4 pt.a); the procedure's required components must be there
(a complete dossier, 347/2025 Art.3 cl.4 pt.a), or already on file for the unit (not asked for
again, 347/2025 Art.3 cl.8).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..adapters.documents import DOWNLOAD_SECONDS, UPLOAD_SECONDS, DocumentStore
from ..adapters.identity import Principal
from ..adapters.models import LegalDocument
from ..adapters.repository import Repository
from ..domain import catalogue, components
from ..domain.commands import StartUpload
from ..domain.errors import InvalidField
from ..domain.voucher import file_name, parse_documents, parse_voucher, sha256_hex
from . import authz, common
from . import printable as printable_documents

if TYPE_CHECKING:
    from ..adapters.statements import StatementStore

MAX_FILE_BYTES = 20 * 1024 * 1024
CONTENT_TYPES = ("application/pdf", "application/xml", "text/xml", "image/jpeg", "image/png")


def start_upload(principal: Principal, cmd: StartUpload, *, store: DocumentStore,
                 now: datetime) -> tuple[int, dict]:
    """An upload URL for a file of the caller's unit, or (200) word that it is already stored."""
    authz.require(principal, "document.upload")
    name = file_name({"name": cmd.name}, "name", "")
    sha256 = sha256_hex({"sha256": cmd.sha256}, "sha256", "")
    size = cmd.size
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_FILE_BYTES:
        raise InvalidField("Kích thước tệp phải từ 1 byte đến 20 MB.", code="invalid_size",
                           field="size")
    content_type = cmd.content_type
    if content_type not in CONTENT_TYPES:
        raise InvalidField(f"Loại tệp phải là một trong: {', '.join(CONTENT_TYPES)}.",
                           code="invalid_content_type", field="content_type")
    answer = {"name": name, "sha256": sha256}
    stored = store.stored(common.unit_of(principal), sha256)
    if stored is not None and stored.sha256 == sha256:
        return 200, {**answer, "stored": True, "upload": None}
    url, headers = store.upload_url(common.unit_of(principal), sha256, content_type)
    return 201, {**answer, "stored": False, "upload": {
        "method": "PUT", "url": url, "headers": headers,
        "expires_at": common.iso(now + timedelta(seconds=UPLOAD_SECONDS))}}


@dataclass(frozen=True)
class Manifest:
    files: tuple[dict, ...]           # as listed in the dossier
    on_file: list[dict]               # one-time documents relied on, already on file
    to_file: list[LegalDocument]      # one-time documents this dossier brings on file


def check_manifest(content: dict, proc: catalogue.ProcedureVersion, unit_id: str, *,
                   repo: Repository, store: DocumentStore, now: datetime) -> Manifest:
    """Every listed file is in the bucket with its listed hash; every required component is
    listed or on file. Raises the first problem, naming the field."""
    files = parse_documents(content.get("documents"), components.kinds(proc))
    for i, doc in enumerate(files):
        stored = store.stored(unit_id, doc["sha256"])
        field = f"content.documents[{i}].sha256"
        if stored is None:
            raise InvalidField(f"Tệp {doc['name']} chưa được tải lên.", code="document_not_uploaded",
                               field=field)
        if stored.sha256 != doc["sha256"]:
            raise InvalidField(f"Nội dung tệp {doc['name']} không khớp mã băm SHA-256 đã ký.",
                               code="document_hash_mismatch", field=field)
        if stored.size > MAX_FILE_BYTES:
            raise InvalidField(f"Tệp {doc['name']} lớn hơn 20 MB.", code="invalid_size", field=field)
    voucher = (parse_voucher(content.get("voucher"), proc.payment_kinds, blocks=proc.voucher_blocks)
               if proc.content_kind == "payment" else None)
    needs = components.needs(proc, voucher)
    one_time = {LegalDocument.key(unit_id, n.component.kind, n.reference): n
                for n in needs if n.reference is not None}
    filed = repo.legal_documents(list(one_time)) if one_time else {}
    listed = {doc["kind"]: doc for doc in files}
    on_file, to_file = [], []
    for need in needs:
        kind = need.component.kind
        key = LegalDocument.key(unit_id, kind, need.reference) if need.reference else None
        if kind in listed:
            if key is not None:
                to_file.append(LegalDocument(
                    key, unit_id=unit_id, kind=kind, reference=need.reference,
                    sha256=listed[kind]["sha256"], name=listed[kind]["name"],
                    registered_at=common.iso(now)))
        elif key is not None and key in filed:
            kept = filed[key]
            on_file.append({"kind": kind, "reference": kept.reference, "sha256": kept.sha256,
                            "name": kept.name, "dossier_id": kept.dossier_id})
        elif need.required:
            why = f" ({need.why})" if need.why else ""
            raise InvalidField(f"Thiếu tài liệu: {need.component.name_vi}{why}.",
                               code="document_required", field="content.documents")
    return Manifest(files, on_file, to_file)


def for_dossier(principal: Principal, dossier_id: str, *, repo: Repository, store: DocumentStore,
                now: datetime, statements: StatementStore | None = None) -> dict:
    """The dossier's files and the legal documents on file it relies on, each with a short-lived
    download URL."""
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    body = repo.body(dossier)
    expires = common.iso(now + timedelta(seconds=DOWNLOAD_SECONDS))
    items = [{"kind": d.get("kind", components.OTHER), "name": d["name"], "sha256": d["sha256"],
              "source": "dossier", "from_dossier": dossier_id}
             for d in body.content.get("documents") or []]
    items += [{"kind": d["kind"], "name": d["name"], "sha256": d["sha256"], "source": "on_file",
               "from_dossier": d.get("dossier_id")} for d in dossier.on_file or []]
    for item in items:
        item["download_url"] = store.download_url(dossier.unit_id, item["sha256"], item["name"])
        item["expires_at"] = expires
    # What its results give the unit to print and keep (GET .../documents/{kind}).
    printable = printable_documents.listed(dossier, body, repo, statements)
    return {"dossier_id": dossier_id, "items": items, "printable": printable}
