"""The signing tool's local helper (signtool serve), as the web console calls it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from chalicelib.domain.signatures import load_certificate, signed_bytes, verify_signature
from devstack.demo import sample_content
from devstack.pki import DemoPKI
from signtool.serve import SigningHelper, signer_from_files

pytestmark = pytest.mark.unit
CONSOLE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return DemoPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def helper(pki):
    chief, holder = pki.issue("chief", key_type="ec"), pki.issue("holder")
    lines: list[str] = []
    running = SigningHelper([signer_from_files("chief_accountant", *chief),
                             signer_from_files("account_holder", *holder)], [CONSOLE], port=0,
                            log=lines.append).start()
    running.lines = lines
    running.keys = [chief[0].read_text(), holder[0].read_text()]
    yield running
    running.stop()


def call(helper, method, path, body=None, origin=CONSOLE, headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(helper.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_it_lists_its_titles_without_any_key_material(helper):
    status, headers, body = call(helper, "GET", "/signers")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == CONSOLE
    signers = json.loads(body)["signers"]
    assert [(s["title"], s["algorithm"]) for s in signers] == [("chief_accountant", "ES256"),
                                                                ("account_holder", "RS256")]
    assert "PRIVATE" not in body.decode()


def test_the_console_gets_both_signatures_and_they_verify(helper):
    submission = {"content": sample_content("SERVE-1")}
    for title in ("chief_accountant", "account_holder"):
        status, _, body = call(helper, "POST", "/sign", {"title": title, "submission": submission})
        assert status == 200, body
        submission = json.loads(body)
    assert [s["title"] for s in submission["signatures"]] == ["chief_accountant", "account_holder"]
    data = signed_bytes(submission["content"])
    for entry in submission["signatures"]:
        verify_signature(load_certificate(entry["certificate"], "c"), data, entry["signature"], "s")
    assert len(helper.lines) >= 2 and all("sha256" in line for line in helper.lines)
    assert not any(key.splitlines()[2] in "".join(helper.lines) for key in helper.keys)


def test_a_page_of_another_origin_is_refused_before_anything_is_signed(helper):
    before = len(helper.lines)
    status, headers, body = call(helper, "POST", "/sign",
                                 {"title": "chief_accountant", "submission": {"content": {"a": 1}}},
                                 origin="https://evil.example")
    assert status == 403 and json.loads(body)["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in headers
    assert len(helper.lines) == before
    assert call(helper, "OPTIONS", "/sign", origin="https://evil.example")[0] == 403


def test_the_preflight_allows_the_console_to_post_json(helper):
    status, headers, _ = call(helper, "OPTIONS", "/sign", headers={
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("body, status, code", [
    ({"title": "director", "submission": {"content": {"a": 1}}}, 404, "no_such_signer"),
    ({"title": "chief_accountant", "submission": {"content": "x"}}, 400, "cannot_sign"),
    ({"submission": {"content": {"a": 1}}}, 400, "cannot_sign"),
    (b"{not json", 400, "cannot_sign"),
])
def test_unusable_requests_get_a_4xx_with_a_code(helper, body, status, code):
    got, _, answer = call(helper, "POST", "/sign", body)
    assert (got, json.loads(answer)["error"]["code"]) == (status, code)


def test_it_listens_on_the_loopback_only(helper):
    assert helper.server.server_address[0] == "127.0.0.1"
