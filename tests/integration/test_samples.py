"""The benchmark's walk: one dossier of every procedure in force, down its happy path."""
from __future__ import annotations

import pytest

from chalicelib import clock
from chalicelib.domain import catalogue
from chalicelib.domain.calendar import local_date
from devstack.samples import happy_path, registrar

pytestmark = pytest.mark.integration
END = {"regular_spending_payment": "paid", "investment_capital_payment": "paid",
       "project_management_costs": "paid", "foreign_capital_spending": "paid",
       "oda_recording": "recorded", "balance_reconciliation": "reconciled",
       "signature_specimens": "registered", "account_closing": "closed",
       "utility_autopay_authorisation": "registered",
       "service_registration": "registered", "temporary_allocation": "recorded"}


def test_every_procedure_in_force_reaches_its_happy_end(api, stack, pki_dir, unique):
    in_force = {p.code for p in catalogue.CATALOGUE if p.is_in_force(local_date(clock.now()))}
    done = happy_path(api, pki_dir, unique("HP"), new_unit=registrar(
        api, pki_dir, stack.endpoint_url, stack.env["USER_POOL_ID"]))
    assert {item["procedure"] for item in done} == in_force
    for item in done:
        assert item["dossier"]["status"] == END[item["procedure"]], item
