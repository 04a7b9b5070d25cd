"""The IAM roles are built from infra/calls.json; this proves the code makes no call outside it.

Every procedure in force is driven down its happy path over HTTP while a Recorder files each AWS
call under the Lambda function that made it (the API, a queue consumer, a stream handler), with
its resource as the template names it. Any call missing from the inventory is a call its role
would refuse in AWS. (The whole suite is also recorded, and the session fails on a missing call:
tests/conftest.py.)
"""
from __future__ import annotations

import time

import pytest

from devstack.samples import happy_path, registrar
from infra import inventory

pytestmark = pytest.mark.integration


def _settled(recorder: inventory.Recorder, quiet_seconds: float = 3.0, limit: float = 60.0):
    """Wait until the background consumers stop making calls (they run on the pump's threads)."""
    deadline, last, since = time.monotonic() + limit, None, time.monotonic()
    while time.monotonic() < deadline:
        now = recorder.as_inventory()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return now
        time.sleep(0.2)
    return last


def test_every_call_the_happy_paths_make_is_in_the_inventory_the_roles_come_from(
        api, stack, pki_dir, unique):
    recorder = inventory.Recorder().install()
    try:
        happy_path(api, pki_dir, unique("IAM"), new_unit=registrar(
            api, pki_dir, stack.endpoint_url, stack.env["USER_POOL_ID"]))
        recorded = _settled(recorder)
    finally:
        recorder.uninstall()
    # The walk reached the API, the workflow's workers, the stream and the event consumers.
    assert {"APIHandler", "HandleTaskMessages", "HandleWorkerMessages", "HandleDossierChanges",
            "HandleNotificationEvents", "HandleLedgerConfirmations"} <= set(recorded)
    assert "RegularSpendingPayment3472025" in recorded["APIHandler"]["states:StartExecution"]
    assert inventory.missing(recorded, inventory.load()) == []
