"""Verifying the signatures on a submission: two distinct, registered, authorised signers
(347/2025 Art.6 cl.2 pt.b: the signatures match the names, titles and specimens registered with
the treasury).

Order matters for clear errors: shape first, then each certificate on its own (parses, chains to
a trusted CA, valid now), then its registration (this unit, this title, not revoked), then the
two-person rule, and last the signature mathematics over the RFC 8785 bytes of the content.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ..adapters.repository import Repository
from ..domain import jsonbody, signatures
from ..domain.errors import InvalidField
from . import certificates


def verify_submission(content: dict, raw: Any, *, required: tuple[str, ...], unit_id: str,
                      repo: Repository, now: datetime, applicant: str | None = None) -> list[dict]:
    """Return the signatures as stored with the dossier, or raise the first rule broken.

    With `applicant` (form TK01, before the unit exists) the one signer's certificate must chain
    to a trusted CA and be registered to nobody yet; it is bound to `applicant` on acceptance."""
    jsonbody.required(raw, list, field="signatures", missing="Thiếu chữ ký.",
                      wrong_type="Chữ ký phải là danh sách.")
    by_title: dict[str, tuple[int, dict]] = {}
    for i, entry in enumerate(raw):
        path = f"signatures[{i}]"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str)
                                                  for k in ("title", "certificate", "signature")):
            raise InvalidField("Mỗi chữ ký cần title, certificate và signature.",
                               code="invalid_type", field=path)
        if entry["title"] not in required:
            raise InvalidField("Chức danh ký không thuộc thủ tục này.", code="unknown_title",
                               field=f"{path}.title")
        if entry["title"] in by_title:
            raise InvalidField("Mỗi chức danh chỉ ký một lần.", code="duplicate_title", field=f"{path}.title")
        by_title[entry["title"]] = (i, entry)
    for title in required:
        if title not in by_title:
            raise InvalidField(f"Thiếu chữ ký của {_TITLE_VI.get(title, title)}.",
                               code="signature_missing", field="signatures")

    trust = certificates.trust_store(repo)
    parsed = {}
    for title in required:
        i, entry = by_title[title]
        cert = certificates.parse(entry["certificate"], f"signatures[{i}].certificate")
        trust.verify(cert, now, f"signatures[{i}].certificate")
        parsed[title] = cert

    records = repo.certificates([c.fingerprint for c in parsed.values()])
    if applicant is not None:
        if records:
            i, _ = by_title[required[0]]
            raise InvalidField("Chứng thư số này đã được đăng ký cho người khác.",
                               code="certificate_in_use", field=f"signatures[{i}].certificate")
        return _checked(content, required, by_title, parsed, lambda _: (applicant, None))
    owners: dict[str, str] = {}
    for title in required:
        i, _ = by_title[title]
        field = f"signatures[{i}].certificate"
        record = records.get(parsed[title].fingerprint)
        if record is None:
            raise InvalidField("Chứng thư số chưa được đăng ký với KBNN.",
                               code="certificate_not_registered", field=field)
        if record.holder != f"unit#{unit_id}":
            raise InvalidField("Chứng thư số đăng ký cho đơn vị khác.",
                               code="certificate_of_another_unit", field=field)
        if record.title != title:
            raise InvalidField("Chứng thư số đăng ký cho chức danh khác.", code="wrong_title", field=field)
        if record.status == "pending":
            raise InvalidField("Chứng thư số chưa được KBNN duyệt (hồ sơ thay đổi mẫu chữ ký).",
                               code="certificate_pending", field=field)
        if record.status != "active":
            raise InvalidField("Chứng thư số đã bị thu hồi.", code="certificate_revoked", field=field)
        owners[title] = record.owner_sub
    if len(set(owners.values())) < len(owners):
        raise InvalidField("Kế toán trưởng và chủ tài khoản phải là hai người khác nhau.",
                           code="same_signer", field="signatures")

    return _checked(content, required, by_title, parsed,
                    lambda fp: (records[fp].owner_username, records[fp].owner_sub))


def _checked(content: dict, required: tuple[str, ...], by_title: dict, parsed: dict,
             signer_of) -> list[dict]:
    """Last, the mathematics: each signature over the RFC 8785 bytes of the content."""
    data = signatures.signed_bytes(content)
    stored = []
    for title in required:
        i, entry = by_title[title]
        algorithm = ALGORITHMS[parsed[title].key_type]
        if entry.get("algorithm") not in (None, algorithm):
            raise InvalidField(f"Thuật toán phải là {algorithm} cho khóa của chứng thư này.",
                               code="algorithm_mismatch", field=f"signatures[{i}].algorithm")
        signatures.verify_signature(parsed[title], data, entry["signature"],
                                    f"signatures[{i}].signature")
        username, sub = signer_of(parsed[title].fingerprint)
        stored.append({"title": title, "fingerprint": parsed[title].fingerprint, "signer": username,
                       "signer_sub": sub, "algorithm": algorithm, "certificate": parsed[title].pem,
                       "signature": entry["signature"]})
    return stored


def reverify(content: dict, stored: list[dict], *, repo: Repository, received_at: datetime,
             now: datetime) -> list[dict]:
    """Anyone may re-check a dossier later: the mathematics over the stored content, the chain as
    of receipt, and the certificate's registration status today."""
    trust = certificates.trust_store(repo)
    records = repo.certificates([s["fingerprint"] for s in stored
                                 if isinstance(s.get("fingerprint"), str)])
    data = signatures.signed_bytes(content)
    results = []
    for s in stored:
        if not all(isinstance(s.get(k), str) for k in ("certificate", "signature", "fingerprint")):
            results.append({"title": s.get("title"), "signer": s.get("signer"),
                            "fingerprint": s.get("fingerprint"), "signature_valid": False,
                            "chain_valid_at_receipt": False, "status_now": "unverifiable"})
            continue
        cert = certificates.parse(s["certificate"], "certificate")
        record = records.get(s["fingerprint"])
        results.append({
            "title": s["title"], "signer": s["signer"], "fingerprint": s["fingerprint"],
            "signature_valid": _passes(signatures.verify_signature, cert, data, s["signature"], "s"),
            "chain_valid_at_receipt": _passes(trust.verify, cert, received_at, "c"),
            "status_now": record.status if record else "unregistered",
        })
    return results


def _passes(check, *args) -> bool:
    try:
        check(*args)
        return True
    except InvalidField:
        return False


ALGORITHMS = {"RSA": "RS256", "EC-P256": "ES256"}
_TITLE_VI = {"chief_accountant": "kế toán trưởng", "account_holder": "chủ tài khoản"}


# --- treasury decisions ---------------------------------------------------------------------------
DECISION_PURPOSE = "kbnn.decision"
OFFICER_CERT_CACHE_SECONDS = 300
_officer_certs: dict[tuple[str, str], tuple[float, bool]] = {}


def decision_payload(task_id: str, decision: str, reason: str | None) -> dict:
    """What an officer signs when deciding: the task, the decision and its reason."""
    return {"purpose": DECISION_PURPOSE, "task_id": task_id, "decision": decision, "reason": reason}


def _officer_has_certificate(principal: Any, title: str, repo: Repository) -> bool:
    """Whether a signature is required of this officer. Cached for a few minutes per process (a
    newly registered certificate becomes required within that window); the certificate actually
    used to sign is always read fresh."""
    key = (principal.sub, title)
    hit = _officer_certs.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    has = any(c.owner_sub == principal.sub and c.title == title and c.status == "active"
              for c in repo.holder_certificates(f"office#{principal.office_id}"))
    _officer_certs[key] = (time.monotonic() + OFFICER_CERT_CACHE_SECONDS, has)
    return has


def verify_decision(raw: Any, payload: dict, *, principal: Any, title: str, repo: Repository,
                    now: datetime) -> dict | None:
    """The officer's signature over a decision, required where the officer has a certificate
    registered for the step's title. Returns what the audit record keeps, or None."""
    if raw is None:
        if _officer_has_certificate(principal, title, repo):
            raise InvalidField("Quyết định phải được ký số bằng chứng thư đã đăng ký của bạn.",
                               code="decision_signature_required", field="signature")
        return None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str)
                                            for k in ("certificate", "signature")):
        raise InvalidField("Chữ ký cần certificate và signature.", code="invalid_type",
                           field="signature")
    cert = certificates.parse(raw["certificate"], "signature.certificate")
    certificates.trust_store(repo).verify(cert, now, "signature.certificate")
    record = repo.certificate(cert.fingerprint)
    if record is None or record.owner_sub != principal.sub:
        raise InvalidField("Chứng thư số chưa được đăng ký cho bạn.",
                           code="certificate_not_registered", field="signature.certificate")
    if record.title != title:
        raise InvalidField("Chứng thư số đăng ký cho chức danh khác.", code="wrong_title",
                           field="signature.certificate")
    if record.status != "active":
        raise InvalidField("Chứng thư số đã bị thu hồi.", code="certificate_revoked",
                           field="signature.certificate")
    signatures.verify_signature(cert, signatures.signed_bytes(payload), raw["signature"],
                                "signature.signature")
    return {"fingerprint": cert.fingerprint, "algorithm": ALGORITHMS[cert.key_type],
            "signature": raw["signature"]}
