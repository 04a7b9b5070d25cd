"""Digital signatures on payment dossiers: parsing signers' certificates, deciding whether a
configured CA vouches for them, and checking the signature maths over the signed content.

A dossier needs two signatures (chief accountant + account holder). Each carries an X.509
certificate and a base64 signature over `signed_bytes(content)`, the RFC 8785 canonical JSON.
This module is pure: no I/O and no clock (callers pass the signing time), so the same rules run
in the API, the workflow and the tests. Revocation, the signer registry and the two-different-
people rule live with the services that own that data.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from chalicelib.domain import audit
from chalicelib.domain.errors import InvalidField

MIN_RSA_BITS = 2048

_MESSAGES = {
    "invalid_certificate": "Chứng thư số không đọc được (không phải PEM/DER hợp lệ).",
    "unsupported_key": "Loại khóa của chứng thư số không được hỗ trợ "
                       "(chỉ chấp nhận RSA từ 2048 bit hoặc ECDSA P-256).",
    "untrusted_ca": "Chứng thư số không do tổ chức chứng thực chữ ký số được tin cậy cấp.",
    "ca_not_valid": "Chứng thư của tổ chức chứng thực đã cấp không còn hiệu lực tại thời điểm ký.",
    "certificate_expired": "Chứng thư số đã hết hiệu lực tại thời điểm ký.",
    "certificate_not_yet_valid": "Chứng thư số chưa có hiệu lực tại thời điểm ký.",
    "key_usage_not_allowed": "Chứng thư số không được phép dùng để ký số.",
    "bad_signature": "Chữ ký số không khớp với nội dung đã ký.",
    "bad_base64": "Chữ ký số không đúng định dạng base64.",
}


def _fail(code: str, field_name: str, message_key: str | None = None) -> InvalidField:
    return InvalidField(_MESSAGES[message_key or code], code=code, field=field_name)


@dataclasses.dataclass(frozen=True)
class Certificate:
    fingerprint: str
    serial: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    key_type: str
    pem: str
    # The parsed object, for callers that need more than the summary (e.g. CRL look-ups).
    x509: x509.Certificate = dataclasses.field(compare=False, hash=False, repr=False)


def _key_type(cert: x509.Certificate) -> str | None:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "EC-P256"
    return None


def _parse(text: str) -> x509.Certificate:
    """One certificate, as PEM or as bare base64 DER; raises ValueError otherwise."""
    if "-----BEGIN" in text:
        certs = x509.load_pem_x509_certificates(text.encode("ascii"))
        # A bundle would leave it ambiguous which certificate signed; refuse rather than guess.
        if len(certs) != 1:
            raise ValueError("expected exactly one certificate")
        return certs[0]
    return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))


def load_certificate(pem: str, field: str) -> Certificate:
    if not isinstance(pem, str):
        raise _fail("invalid_certificate", field)
    try:
        cert = _parse(pem.strip())
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise _fail("invalid_certificate", field) from None
    key_type = _key_type(cert)
    if key_type is None:
        raise _fail("unsupported_key", field)
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(
        fingerprint=hashlib.sha256(der).hexdigest(),
        serial=format(cert.serial_number, "x"),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        x509=cert,
    )


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


class TrustStore:
    """The CAs the Treasury accepts. Only certificates issued *directly* by one of them are
    accepted: chains through intermediate CAs are out of scope (Vietnamese public CAs issue
    signing certificates from the root the operator configures)."""

    def __init__(self, ca_pems: Iterable[str]) -> None:
        self._by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for index, text in enumerate(ca_pems):
            # Operator configuration: fail loudly at start-up rather than distrust silently.
            try:
                ca = _parse(text.strip())
            except (ValueError, binascii.Error) as err:
                raise ValueError(f"trusted CA #{index} does not parse: {err}") from None
            try:
                is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
            except x509.ExtensionNotFound:
                is_ca = False
            if not is_ca:
                raise ValueError(f"trusted CA #{index} ({ca.subject.rfc4514_string()}) "
                                 "is not a CA (BasicConstraints ca=True missing)")
            self._by_subject.setdefault(ca.subject, []).append(ca)

    def verify(self, cert: Certificate, at: datetime, field: str) -> None:
        if at.tzinfo is None:
            raise ValueError("signing time must be timezone-aware")
        issuers = []
        for ca in self._by_subject.get(cert.x509.issuer, []):
            try:
                cert.x509.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            issuers.append(ca)
        if not issuers:
            raise _fail("untrusted_ca", field)
        # A renewed CA may share its name with the old one; one valid issuer is enough.
        if not any(_valid_at(ca, at) for ca in issuers):
            raise _fail("untrusted_ca", field, "ca_not_valid")
        if at < cert.not_before:
            raise _fail("certificate_not_yet_valid", field)
        if at > cert.not_after:
            raise _fail("certificate_expired", field)
        try:
            usage = cert.x509.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            raise _fail("key_usage_not_allowed", field) from None
        if not (usage.digital_signature or usage.content_commitment):
            raise _fail("key_usage_not_allowed", field)


def verify_signature(cert: Certificate, data: bytes, signature_b64: str, field: str) -> None:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise _fail("bad_signature", field, "bad_base64") from None
    key = cert.x509.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:  # load_certificate already refused it; keep the door shut anyway
            raise _fail("unsupported_key", field)
    except InvalidSignature:
        raise _fail("bad_signature", field) from None


def signed_bytes(content: dict) -> bytes:
    """What every signer signs: the RFC 8785 canonical JSON of the submission's content."""
    return audit.canonical(content)
