"""The account procedures' refuse paths, and their Decree 11/2020 versions for dossiers received
before 1 Jan 2026 (happy and supplement paths: test_account_closing, test_signatures_api,
test_samples)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import composition
from chalicelib.domain.commands import Submit
from chalicelib.domain.commands import parse as command
from chalicelib.services import dossiers
from devstack.samples import close_account, open_account
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
ACCOUNTANT = "ketoan.bvdd"


def submit(api, tokens, body) -> dict:
    status, d = api.call("POST", "/v1/dossiers", body, token=tokens[ACCOUNTANT])
    assert status == 201, d
    return d


@pytest.mark.parametrize("build", [open_account, close_account], ids=["specimens", "closing"])
def test_the_office_refuses_with_a_reason_and_nothing_changes(api, tokens, pki_dir, unique, build):
    account = f"3713.8.{unique('r')[-6:]}"
    if build is close_account:   # an account to close must exist: open it first
        flow = Flow(api, tokens, pki_dir, unit=ACCOUNTANT)
        opened = submit(api, tokens, open_account(pki_dir, account))
        flow.decide(flow.officer, opened["dossier_id"], "accept")
        flow.reaches(opened["dossier_id"], "registered")
    flow = Flow(api, tokens, pki_dir, unit=ACCOUNTANT)
    d = submit(api, tokens, build(pki_dir, account))
    assert flow.decide(flow.officer, d["dossier_id"], "refuse", "Hồ sơ không đủ căn cứ.")[0] == 200
    refused = flow.reaches(d["dossier_id"], "refused")
    assert refused["result"]["reason"] == "Hồ sơ không đủ căn cứ."
    status, acct = api.call("GET", f"/v1/accounts/{account}", token=tokens[ACCOUNTANT])
    if build is open_account:
        assert status == 404, acct                    # never opened
    else:
        assert (status, acct["status"]) == (200, "open"), acct


@pytest.mark.parametrize("build", [open_account, close_account], ids=["specimens", "closing"])
def test_received_before_2026_runs_under_decree_11_2020(api, tokens, pki_dir, unique, build):
    svc = composition.services()
    unit = svc.verifier.verify(tokens[ACCOUNTANT])
    account = "3713.1.1023456" if build is close_account else f"3713.7.{unique('o')[-6:]}"
    body = build(pki_dir, account) if build is open_account else \
        build(pki_dir, account, period={"from": "2025-11-01", "to": "2025-11-30"})
    status, d = dossiers.submit(unit, command(Submit, body), None, repo=svc.repo,
                                workflows=svc.workflows, config=svc.config, store=svc.documents,
                                now=datetime(2025, 12, 31, 2, 0, tzinfo=UTC))
    assert (status, d["version"]) == (201, "11-2020"), d
    flow = Flow(api, tokens, pki_dir, unit=ACCOUNTANT)
    # A seeded account other tests pay from is not closed: the office refuses the closing.
    if build is open_account:
        flow.decide(flow.officer, d["dossier_id"], "accept")
    else:
        flow.decide(flow.officer, d["dossier_id"], "refuse", "Đơn vị còn khoản chi chưa thanh toán.")
    end = flow.reaches(d["dossier_id"], "registered" if build is open_account else "refused")
    assert end["version"] == "11-2020"
