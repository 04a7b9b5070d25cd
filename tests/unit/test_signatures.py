"""Signature rules: a dossier signed by signtool verifies only against the exact content, the
signer's key and a certificate that a trusted CA issued for signing and that was valid then."""
from datetime import datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.signatures import (
    Certificate,
    TrustStore,
    load_certificate,
    signed_bytes,
    verify_signature,
)
from devstack.demo import sample_content
from devstack.pki import DemoPKI
from signtool import sign_content

pytestmark = pytest.mark.unit

NOW = clock.now()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return DemoPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def trust(pki):
    return TrustStore([pki.ca_pem])


@pytest.fixture(scope="module")
def signers(pki):
    return {kind: pki.issue(f"signer-{kind}", key_type=kind) for kind in ("rsa", "ec")}


def sign(paths, content, title="chief_accountant"):
    key, cert = paths
    return sign_content(content, key.read_bytes(), cert.read_bytes(), title)


def check(trust, entry, content, at=NOW) -> Certificate:
    """What the server does with one signature entry."""
    cert = load_certificate(entry["certificate"], "certificate")
    trust.verify(cert, at, "certificate")
    verify_signature(cert, signed_bytes(content), entry["signature"], "signature")
    return cert


def code_of(call) -> str:
    with pytest.raises(InvalidField) as caught:
        call()
    assert caught.value.status == 422
    return caught.value.code


@pytest.mark.parametrize("kind, algorithm, key_type", [("rsa", "RS256", "RSA"), ("ec", "ES256", "EC-P256")])
def test_a_content_signed_by_signtool_verifies(trust, signers, kind, algorithm, key_type):
    content = sample_content("SIG-1")
    entry = sign(signers[kind], content)
    cert = check(trust, entry, content)
    assert entry["algorithm"] == algorithm and entry["title"] == "chief_accountant"
    assert cert.key_type == key_type and cert.subject == f"O=Local stack,CN=signer-{kind}"
    assert len(cert.fingerprint) == 64 and cert.fingerprint == cert.fingerprint.lower()
    assert cert.not_before.tzinfo is not None and cert.pem.startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_changing_one_line_amount_breaks_the_signature(trust, signers, kind):
    content = sample_content("SIG-2")
    entry = sign(signers[kind], content)
    content["voucher"]["lines"][0]["amount"] += 1
    assert code_of(lambda: check(trust, entry, content)) == "bad_signature"


def test_a_signature_made_with_another_key_fails(trust, signers):
    content = sample_content("SIG-3")
    entry = sign(signers["rsa"], content)
    other = sign(signers["ec"], content)
    entry["signature"] = other["signature"]
    assert code_of(lambda: check(trust, entry, content)) == "bad_signature"


def test_the_key_order_of_the_content_does_not_matter(trust, signers):
    content = sample_content("SIG-4")
    entry = sign(signers["ec"], content)
    reordered = dict(reversed(list(content.items())))
    reordered["voucher"] = dict(reversed(list(content["voucher"].items())))
    assert list(reordered) != list(content)
    check(trust, entry, reordered)


def test_signature_text_that_is_not_strict_base64_is_a_bad_signature(trust, signers):
    content = sample_content("SIG-5")
    entry = sign(signers["rsa"], content)
    sig = entry["signature"]
    # The stray "*" would be silently skipped by lenient decoding, leaving a valid signature.
    for garbage in ("not base64!", sig[:10] + "*" + sig[10:], sig + "\n", "", None):
        entry_copy = {**entry, "signature": garbage}
        assert code_of(lambda e=entry_copy: check(trust, e, content)) == "bad_signature"


def test_a_certificate_from_an_untrusted_ca_is_refused(trust, pki, tmp_path):
    rogue = DemoPKI.untrusted(tmp_path / "rogue")
    _, cert_path = pki.issue("mallory", ca=rogue)
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW, "certificate")) == "untrusted_ca"


def test_a_ca_with_the_same_name_but_another_key_is_not_trusted(trust, tmp_path):
    impostor = DemoPKI(tmp_path / "impostor")  # same subject as the demo CA, different key
    _, cert_path = impostor.issue("eve")
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW, "certificate")) == "untrusted_ca"


def test_an_expired_certificate_is_refused(trust, pki):
    _, cert_path = pki.issue("expired", not_before=NOW - timedelta(days=30),
                             not_after=NOW - timedelta(days=1))
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW, "certificate")) == "certificate_expired"


def test_a_certificate_that_is_not_yet_valid_is_refused(trust, pki):
    _, cert_path = pki.issue("future", not_before=NOW + timedelta(days=1))
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW, "certificate")) == "certificate_not_yet_valid"
    trust.verify(cert, NOW + timedelta(days=2), "certificate")


def test_a_signature_after_the_ca_expired_is_refused(trust, pki):
    _, cert_path = pki.issue("long-lived", not_after=NOW + timedelta(days=10 * 365))
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW + timedelta(days=6 * 365), "cert")) == "untrusted_ca"


def test_an_encipherment_only_certificate_may_not_sign(trust, pki):
    _, cert_path = pki.issue("encipher", key_usage="encipherment")
    cert = load_certificate(cert_path.read_text(), "certificate")
    assert code_of(lambda: trust.verify(cert, NOW, "certificate")) == "key_usage_not_allowed"


@pytest.mark.parametrize("text", ["garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                  "", 42])
def test_text_that_is_not_a_certificate_is_invalid(text):
    assert code_of(lambda: load_certificate(text, "certificate")) == "invalid_certificate"


def test_a_bare_base64_der_certificate_is_accepted(signers):
    pem = signers["rsa"][1].read_text()
    der_b64 = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    assert load_certificate(der_b64, "c") == load_certificate(pem, "c")


def test_a_pem_bundle_is_refused_as_ambiguous(pki, signers):
    bundle = signers["rsa"][1].read_text() + pki.ca_pem
    assert code_of(lambda: load_certificate(bundle, "certificate")) == "invalid_certificate"


def test_an_rsa_1024_key_is_unsupported(pki):
    _, cert_path = pki.issue("weak", key_type="rsa1024")
    error = pytest.raises(InvalidField, load_certificate, cert_path.read_text(), "signatures[0]").value
    assert (error.code, error.field) == ("unsupported_key", "signatures[0]")


def test_errors_carry_a_vietnamese_message_and_the_field(trust, pki):
    _, cert_path = pki.issue("encipher2", key_usage="encipherment")
    cert = load_certificate(cert_path.read_text(), "signatures[1].certificate")
    error = pytest.raises(InvalidField, trust.verify, cert, NOW, "signatures[1].certificate").value
    assert error.field == "signatures[1].certificate" and "ký số" in error.message


def test_a_trust_store_refuses_config_that_is_not_a_ca(signers):
    with pytest.raises(ValueError, match="does not parse"):
        TrustStore(["not a pem"])
    with pytest.raises(ValueError, match="not a CA"):
        TrustStore([signers["rsa"][1].read_text()])


def test_a_naive_signing_time_is_a_programming_error(trust, signers):
    cert = load_certificate(signers["rsa"][1].read_text(), "certificate")
    with pytest.raises(ValueError):
        trust.verify(cert, datetime.now(), "certificate")  # noqa: DTZ005


def test_the_crl_is_signed_by_the_ca_and_lists_the_serials(pki, signers):
    from cryptography import x509
    cert = load_certificate(signers["ec"][1].read_text(), "c")
    crl = x509.load_pem_x509_crl(pki.crl_pem([cert.serial, 12345]).encode())
    ca = x509.load_pem_x509_certificate(pki.ca_pem.encode())
    assert crl.is_signature_valid(ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(cert.x509.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(12345) is not None


def test_the_demo_pki_reloads_its_ca_and_keeps_keys_private(pki, signers):
    assert DemoPKI(pki.directory).ca_pem == pki.ca_pem
    assert signers["rsa"][0].stat().st_mode & 0o777 == 0o600
    assert "DEMO ONLY" in (pki.directory / "README.txt").read_text()


def test_signed_bytes_are_the_rfc8785_form():
    assert signed_bytes({"b": 1, "a": "đ", "c": [1.0, 2]}) == '{"a":"đ","b":1,"c":[1,2]}'.encode()
