"""Registering and revoking the certificates people sign with.

A certificate is bound to one person (the Cognito user who registers it, proving possession of
the key by signing a challenge) and one title. A unit signer's certificate starts `pending` and
becomes `active` when the treasury accepts the account holder's change of signature specimens
(services/specimens.py); treasury officers' certificates are active at once. Unit titles are
limited to 3 chief accountants and 4 account holders per unit. Revocation — by the holder, the
unit's account holder, the treasury office, or a loaded CRL — is a status change read fresh on
every submission, so it takes effect on the very next request; only immutable facts (parsed
certificates) are cached.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from ..adapters.identity import Principal
from ..adapters.models import RegisteredCertificate
from ..adapters.repository import Repository
from ..domain import policy, signatures
from ..domain.commands import RegisterCertificate, RevokeCertificate
from ..domain.errors import Forbidden, InvalidField, NotFound
from . import authz, common

if TYPE_CHECKING:
    from cryptography import x509

UNIT_TITLE_LIMITS = {"chief_accountant": 3, "account_holder": 4}
FINGERPRINT = re.compile(r"[0-9a-f]{64}")
MAX_REASON = 500


def registration_challenge(fingerprint: str, sub: str) -> dict:
    """What the holder signs to prove the key is theirs (signtool signs it like any content)."""
    return {"purpose": "kbnn.certificate-registration", "fingerprint": fingerprint, "sub": sub}


@lru_cache(maxsize=2048)
def parse(pem: str, field: str) -> signatures.Certificate:
    """Parsing is pure and the bytes never change: safe to cache. Status is never cached."""
    return signatures.load_certificate(pem, field)


_trust_cache: dict[tuple[str, ...], signatures.TrustStore] = {}


def trust_store(repo: Repository) -> signatures.TrustStore:
    pems = tuple(repo.trusted_ca_pems())
    if pems not in _trust_cache:
        _trust_cache.clear()
        _trust_cache[pems] = signatures.TrustStore(pems)
    return _trust_cache[pems]


def holder_of(principal: Principal, title: str) -> str:
    return f"unit#{principal.unit_id}" if title in UNIT_TITLE_LIMITS else f"office#{principal.office_id}"


def view(record: RegisteredCertificate) -> dict:
    return {"fingerprint": record.fingerprint, "title": record.title, "status": record.status,
            "holder": record.holder, "owner_username": record.owner_username,
            "subject": record.subject, "not_before": record.not_before,
            "not_after": record.not_after, "registered_at": record.registered_at,
            "revoked_at": record.revoked_at, "revocation_reason": record.revocation_reason}


def register(principal: Principal, cmd: RegisterCertificate, *, repo: Repository, now: datetime) -> dict:
    authz.require(principal, "certificate.register")
    title = cmd.title
    if title not in policy.SIGNING_TITLES:
        raise InvalidField("Chức danh ký không hợp lệ.", code="invalid_choice", field="title")
    if title not in principal.roles:
        raise Forbidden("Bạn không giữ chức danh này.", code="title_not_held", field="title")
    pem, proof = cmd.certificate, cmd.proof
    if not isinstance(pem, str) or not isinstance(proof, str):
        raise InvalidField("Cần chứng thư số (PEM) và chữ ký chứng minh sở hữu khóa.",
                           code="required", field="certificate")
    cert = parse(pem, "certificate")
    trust_store(repo).verify(cert, now, "certificate")
    signatures.verify_signature(
        cert, signatures.signed_bytes(registration_challenge(cert.fingerprint, principal.sub)),
        proof, "proof")
    holder = holder_of(principal, title)
    record = RegisteredCertificate(
        cert.fingerprint, holder=holder, serial_key=f"{cert.issuer}#{cert.serial}", pem=cert.pem,
        subject=cert.subject, not_before=common.iso(cert.not_before),
        not_after=common.iso(cert.not_after), title=title, owner_sub=principal.sub,
        owner_username=principal.username,
        # A unit's signer is usable only once its account holder's Art. 8 dossier is accepted
        # (347/2025 Art.8 cl.2 pt.c).
        status="pending" if title in UNIT_TITLE_LIMITS else "active",
        registered_at=common.iso(now))
    unit = repo.unit(principal.unit_id) if title in UNIT_TITLE_LIMITS and principal.unit_id else None
    if title in UNIT_TITLE_LIMITS and unit is None:
        raise Forbidden("Đơn vị chưa được đăng ký.", code="unknown_unit")
    repo.register_certificate(record, unit, UNIT_TITLE_LIMITS.get(title))
    return view(record)


def _resource(record: RegisteredCertificate, repo: Repository) -> policy.Resource:
    kind, holder_id = record.holder.split("#", 1)
    if kind == "unit":
        unit = repo.unit(holder_id)
        return policy.Resource(unit_id=holder_id, office_id=unit.office_id if unit else None,
                               owner_sub=record.owner_sub)
    return policy.Resource(office_id=holder_id, owner_sub=record.owner_sub)


def revoke(principal: Principal, fingerprint: str, cmd: RevokeCertificate, *, repo: Repository,
           now: datetime) -> dict:
    authz.require(principal, "certificate.revoke")
    record = repo.certificate(fingerprint) if FINGERPRINT.fullmatch(fingerprint) else None
    missing = NotFound("Không tìm thấy chứng thư số.", code="certificate_not_found")
    if record is None:
        raise missing
    authz.authorize(principal, "certificate.revoke", _resource(record, repo), repo, not_found=missing)
    reason = cmd.reason
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do thu hồi (tối đa 500 ký tự).", code="reason_required",
                           field="reason")
    return revoke_record(record, reason.strip(), principal.username, repo, now)


def revoke_record(record: RegisteredCertificate, reason: str, by: str, repo: Repository,
            now: datetime) -> dict:
    kind, holder_id = record.holder.split("#", 1)
    unit = repo.unit(holder_id) if kind == "unit" else None
    others = [c for c in repo.holder_certificates(record.holder)
              if c.owner_sub == record.owner_sub and c.title == record.title
              and c.status != "revoked" and c.fingerprint != record.fingerprint]
    repo.revoke_certificate(record, by, common.iso(now), reason, unit, release_signer=not others)
    record.status, record.revoked_at, record.revocation_reason = "revoked", common.iso(now), reason
    return view(record)


def list_for(principal: Principal, unit_id: str | None, *, repo: Repository) -> dict:
    authz.require(principal, "certificate.list")
    if principal.unit_id is not None:
        holder = f"unit#{principal.unit_id}"
    elif unit_id:
        unit = repo.unit(unit_id) if re.fullmatch(r"[0-9]{7}", unit_id) else None
        if unit is None:
            raise NotFound("Không tìm thấy đơn vị.", code="unit_not_found")
        authz.authorize(principal, "certificate.list", policy.Resource(unit_id=unit_id,
                        office_id=unit.office_id), repo,
                        not_found=NotFound("Không tìm thấy đơn vị.", code="unit_not_found"))
        holder = f"unit#{unit_id}"
    else:
        holder = f"office#{principal.office_id}"
    return {"items": [view(c) for c in repo.holder_certificates(holder)]}


def apply_crl(crl_pem: str, *, repo: Repository, now: datetime) -> list[str]:
    """Revoke every registered certificate a CA's CRL lists (an operator job, not a route)."""
    from cryptography import x509
    crl = x509.load_pem_x509_crl(crl_pem.encode())
    trusted = [parse(pem, "ca") for pem in repo.trusted_ca_pems()]
    if not any(ca.x509.subject == crl.issuer and _signed_by(crl, ca.x509) for ca in trusted):
        raise InvalidField("CRL không do CA tin cậy ký.", code="untrusted_crl", field="crl")
    revoked = []
    for entry in crl:
        key = f"{crl.issuer.rfc4514_string()}#{format(entry.serial_number, 'x')}"
        for record in repo.certificates_by_serial(key):
            if record.status != "revoked":
                revoke_record(record, "Thu hồi theo CRL của tổ chức cung cấp dịch vụ chứng thực.",
                        "crl", repo, now)
                revoked.append(record.fingerprint)
    return revoked


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether the issuer's key signed the CRL. cryptography types a certificate's key as any
    key, key-agreement and key-encapsulation ones (X25519, X448, ML-KEM) included, which cannot
    sign anything."""
    from cryptography.hazmat.primitives.asymmetric import mlkem, x448, x25519
    key = issuer.public_key()
    if isinstance(key, x25519.X25519PublicKey | x448.X448PublicKey | mlkem.MLKEM768PublicKey
                  | mlkem.MLKEM1024PublicKey):
        return False
    return crl.is_signature_valid(key)
