"""The signing tool for budget units and integrators: it adds a signature entry to a dossier.

This is the only code in the repository that handles private keys; the server only ever sees
certificates and signatures. It signs exactly `signed_bytes(content)` from the domain module,
so what a unit signs and what the Treasury verifies cannot drift apart.
"""
from __future__ import annotations

import base64
import copy

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from chalicelib.domain.errors import InvalidField
from chalicelib.domain.signatures import load_certificate, signed_bytes

__all__ = ["SigningError", "add_signature", "sign_content"]


class SigningError(ValueError):
    """The inputs cannot produce a usable signature. Messages never contain key material."""


def _load_key(key_pem: bytes, password: bytes | None):
    try:
        return serialization.load_pem_private_key(key_pem, password=password)
    except TypeError:
        # cryptography raises TypeError for "encrypted but no password" and the reverse.
        if password is None:
            raise SigningError("the private key is encrypted: a password is required") from None
        raise SigningError("the private key is not encrypted: do not give a password") from None
    except ValueError:
        raise SigningError("the private key could not be read (not PEM, or wrong password)") from None


def sign_content(content: dict, key_pem: bytes, cert_pem: bytes, title: str, *,
                 password: bytes | None = None) -> dict:
    if not isinstance(content, dict):
        raise SigningError("the content to sign must be a JSON object")
    try:
        cert = load_certificate(cert_pem.decode("ascii", "replace"), "certificate")
    except InvalidField as err:
        raise SigningError(f"certificate rejected ({err.code}): {err.message}") from None
    key = _load_key(key_pem, password)
    public = cert.x509.public_key()
    # A key that does not match the certificate yields a signature nobody can verify.
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*fmt) != public.public_bytes(*fmt):
        raise SigningError("the private key does not belong to the certificate")
    try:
        data = signed_bytes(content)
    except ValueError as err:  # e.g. integers beyond 2**53, which RFC 8785 cannot represent
        raise SigningError(f"the content cannot be canonicalised (RFC 8785): {err}") from None
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm, signature = "RS256", key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm, signature = "ES256", key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:  # load_certificate already limits keys to RSA and P-256
        raise SigningError("unsupported key type")
    return {"title": title, "certificate": cert.pem, "algorithm": algorithm,
            "signature": base64.b64encode(signature).decode("ascii")}


def add_signature(submission: dict, key_pem: bytes, cert_pem: bytes, title: str, *,
                  password: bytes | None = None) -> dict:
    if not isinstance(submission, dict) or not isinstance(submission.get("content"), dict):
        raise SigningError('the submission must be an object with a "content" object')
    signatures = submission.get("signatures") or []
    if not isinstance(signatures, list):
        raise SigningError('"signatures" must be a list')
    entry = sign_content(submission["content"], key_pem, cert_pem, title, password=password)
    # Re-signing under the same title replaces the old entry: one signature per title.
    kept = [copy.deepcopy(s) for s in signatures if not (isinstance(s, dict) and s.get("title") == title)]
    return {**copy.deepcopy(submission), "signatures": [*kept, entry]}
