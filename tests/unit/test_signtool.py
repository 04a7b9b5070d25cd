"""The signing tool: library entry points and the command line units actually run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.demo import sample_content
from devstack.pki import DemoPKI
from signtool import SigningError, add_signature, sign_content

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return DemoPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def chief(pki):
    return pki.issue("chief", key_type="ec")


@pytest.fixture(scope="module")
def holder(pki):
    return pki.issue("holder")


def run(*args: str | Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "signtool", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=60)


def key_body(key_path: Path) -> str:
    """A line from the middle of the PEM: enough to spot any leak of the key."""
    return key_path.read_text().splitlines()[2]


def test_add_signature_appends_and_replaces_the_same_title(chief, holder):
    submission = {"content": sample_content("ST-1")}
    once = add_signature(submission, chief[0].read_bytes(), chief[1].read_bytes(), "chief_accountant")
    twice = add_signature(once, holder[0].read_bytes(), holder[1].read_bytes(), "account_holder")
    again = add_signature(twice, chief[0].read_bytes(), chief[1].read_bytes(), "chief_accountant")
    assert "signatures" not in submission
    assert [s["title"] for s in again["signatures"]] == ["account_holder", "chief_accountant"]
    assert [s["algorithm"] for s in again["signatures"]] == ["RS256", "ES256"]


def test_a_key_that_does_not_match_the_certificate_is_refused(chief, holder):
    with pytest.raises(SigningError, match="does not belong"):
        sign_content({"a": 1}, holder[0].read_bytes(), chief[1].read_bytes(), "chief_accountant")


def test_an_encrypted_key_needs_its_password(pki, tmp_path):
    from cryptography.hazmat.primitives import serialization
    key_path, cert_path = pki.issue("locked")
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    locked = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.BestAvailableEncryption(b"mat-khau"))
    with pytest.raises(SigningError, match="password"):
        sign_content({"a": 1}, locked, cert_path.read_bytes(), "t")
    with pytest.raises(SigningError, match="wrong password"):
        sign_content({"a": 1}, locked, cert_path.read_bytes(), "t", password=b"sai")
    assert sign_content({"a": 1}, locked, cert_path.read_bytes(), "t", password=b"mat-khau")["signature"]
    (tmp_path / "locked.key.pem").write_bytes(locked)
    (tmp_path / "d.json").write_text(json.dumps({"a": 1}))
    result = run("sign", "--in", tmp_path / "d.json", "--key", tmp_path / "locked.key.pem",
                 "--cert", cert_path, "--title", "t", "--password-env", "KEY_PW",
                 env={**os.environ, "KEY_PW": "mat-khau"})
    assert result.returncode == 0, result.stderr


def test_the_cli_sign_and_verify_round_trip_works(chief, holder, tmp_path):
    dossier = tmp_path / "dossier.json"
    dossier.write_text(json.dumps(sample_content("ST-2"), ensure_ascii=False), encoding="utf-8")
    half = tmp_path / "half.json"
    first = run("sign", "--in", dossier, "--key", chief[0], "--cert", chief[1],
                "--title", "chief_accountant", "--out", half)
    assert first.returncode == 0, first.stderr
    second = run("sign", "--in", half, "--key", holder[0], "--cert", holder[1], "--title", "account_holder")
    assert second.returncode == 0, second.stderr
    signed = json.loads(second.stdout)
    assert signed["content"] == sample_content("ST-2") and len(signed["signatures"]) == 2
    assert "Mua văn phòng phẩm" in second.stdout  # UTF-8 kept readable, not \\u-escaped
    full = tmp_path / "signed.json"
    full.write_text(second.stdout, encoding="utf-8")
    verified = run("verify", "--in", full)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = verified.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("OK") for line in lines)


def test_the_cli_verify_exits_non_zero_on_a_tampered_file(chief, tmp_path):
    dossier = tmp_path / "dossier.json"
    dossier.write_text(json.dumps({"content": sample_content("ST-3")}), encoding="utf-8")
    signed = tmp_path / "signed.json"
    assert run("sign", "--in", dossier, "--key", chief[0], "--cert", chief[1],
               "--title", "chief_accountant", "--out", signed).returncode == 0
    document = json.loads(signed.read_text(encoding="utf-8"))
    document["content"]["voucher"]["lines"][0]["amount"] += 1000
    signed.write_text(json.dumps(document), encoding="utf-8")
    result = run("verify", "--in", signed)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL chief_accountant: bad_signature")


def test_the_cli_never_prints_the_private_key(chief, tmp_path):
    dossier = tmp_path / "dossier.json"
    dossier.write_text(json.dumps(sample_content("ST-4")), encoding="utf-8")
    secret = key_body(chief[0])
    attempts = [
        ("sign", "--in", dossier, "--key", chief[0], "--cert", chief[1], "--title", "x"),
        ("sign", "--in", chief[0], "--key", chief[0], "--cert", chief[1], "--title", "x"),
        ("sign", "--in", dossier, "--key", chief[1], "--cert", chief[0], "--title", "x"),
        ("sign", "--in", dossier, "--key", chief[0], "--cert", chief[1], "--title", "x",
         "--password-env", "PATH"),
        ("verify", "--in", chief[0]),
    ]
    outcomes = [run(*args) for args in attempts]
    assert [r.returncode for r in outcomes] == [0, 2, 2, 2, 2]
    for result in outcomes:
        assert secret not in result.stdout + result.stderr
        assert "PRIVATE KEY" not in result.stdout + result.stderr
    assert all("signtool: error:" in r.stderr for r in outcomes[1:])
