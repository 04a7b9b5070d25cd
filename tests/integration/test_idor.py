"""IDOR and enumeration probes over HTTP against the local stack.

Callers of one unit (or one treasury office) try every id-bearing route with ids that belong to
another unit or office — real ones, created here — and with well-formed ids that exist nowhere.
The two answers must be indistinguishable: same status, same error code, message and field, same
body (no timing is compared). Then the probed records are checked to be untouched, and the ids
next to a real dossier's (±1 in the random part of its ULID, same timestamp) are shown not to be
served to anyone.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

import pytest
from ulid import ULID

from chalicelib import clock
from chalicelib.services.dossiers import new_dossier_id
from devstack.demo import sample_content
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration

# The victims: unit 1023456 (BV Đống Đa), office KV1 — a unit of the same office as the probing
# unit 1012345, so only the unit scope stands between them — and KV1 itself for KV2's officers.
VICTIM_UNIT, VICTIM_CHAPTER, VICTIM_ACCOUNT = "1023456", "423", "9523.1.1023456"
MISSING_ACCOUNT, MISSING_UNIT, MISSING_OFFICE = "9523.1.1099999", "1099999", "KV9"
PERIOD = "2026-Q1"


@dataclass(frozen=True)
class Probe:
    prober: str           # the demo user who probes
    method: str
    path: str             # "{id}" is the probed id
    real: str             # key of the victims' id
    missing: str          # key of a well-formed id that exists nowhere
    body: object = None

    @property
    def name(self) -> str:
        return f"{self.prober} {self.method} {self.path} {self.real}~{self.missing}"


DOSSIER_READS = ["/v1/dossiers/{id}", "/v1/dossiers/{id}/audit", "/v1/dossiers/{id}/documents",
                 "/v1/dossiers/{id}/signatures", "/v1/dossiers/{id}/checks",
                 "/v1/dossiers/{id}/payee-lines", "/v1/dossiers/{id}/receipt-notice",
                 "/v1/dossiers/{id}/documents/receipt_notice"]
DECISION = {"decision": "accept"}
DELAY = {"reason": "Thăm dò"}
EXTENSION = {"cause": "it_failure", "reason": "Thăm dò", "working_days": 1}
REVOKE = {"reason": "Thăm dò"}
PROBES = [
    # a unit's people against another unit of the same office
    *(Probe(user, "GET", path, "dossier", "no_dossier")
      for user in ("ketoan.cva", "phanmem.cva", "chutk.cva") for path in DOSSIER_READS),
    Probe("ketoan.cva", "POST", "/v1/dossiers/{id}/supplement", "dossier", "no_dossier",
          {"content": {}}),
    Probe("phanmem.cva", "POST", "/v1/dossiers/{id}/supplement", "dossier", "no_dossier",
          {"content": {}}),
    Probe("ketoan.cva", "GET", "/v1/accounts/{id}", "account", "no_account"),
    Probe("phanmem.cva", "GET", "/v1/accounts/{id}", "account", "no_account"),
    Probe("ketoan.cva", "GET", "/v1/statements/{id}", "statement", "no_statement"),
    Probe("ketoan.cva", "POST", "/v1/statements/{id}/reply", "statement", "no_statement",
          {"answer": "matches"}),
    Probe("chutk.cva", "POST", "/v1/certificates/{id}/revoke", "certificate", "no_certificate",
          REVOKE),
    Probe("ktt.cva", "POST", "/v1/certificates/{id}/revoke", "certificate", "no_certificate",
          REVOKE),
    Probe("ktt.cva", "DELETE", "/v1/alerts/subscriptions/{id}", "subscription", "no_subscription"),
    Probe("chutk.cva", "DELETE", "/v1/alerts/subscriptions/{id}", "subscription",
          "no_subscription"),
    # another office's officers and leader against KV1's dossier, task, statement, certificate
    *(Probe(user, "GET", path, "dossier", "no_dossier")
      for user in ("kiemsoat.kv2", "lanhdao.kv2", "lanhdao.cg") for path in DOSSIER_READS),
    *(Probe(user, "POST", "/v1/tasks/{id}/decision", "task", missing, DECISION)
      for user in ("kiemsoat.kv2", "lanhdao.kv2", "kiemsoat.cg")
      for missing in ("no_task", "no_task_of_dossier")),
    Probe("kiemsoat.kv2", "POST", "/v1/dossiers/{id}/delay-reason", "dossier", "no_dossier", DELAY),
    Probe("lanhdao.kv2", "POST", "/v1/dossiers/{id}/delay-reason", "dossier", "no_dossier", DELAY),
    Probe("lanhdao.kv2", "POST", "/v1/dossiers/{id}/extension", "dossier", "no_dossier",
          EXTENSION),
    Probe("lanhdao.cg", "POST", "/v1/dossiers/{id}/extension", "dossier", "no_dossier", EXTENSION),
    Probe("kiemsoat.kv2", "GET", "/v1/statements/{id}", "statement", "no_statement"),
    Probe("kiemsoat.kv2", "POST", "/v1/statements/{id}/resolution", "statement", "no_statement",
          {"outcome": "upheld", "reason": "Thăm dò"}),
    Probe("kiemsoat.kv2", "POST", "/v1/certificates/{id}/revoke", "certificate", "no_certificate",
          REVOKE),
    Probe("lanhdao.kv2", "POST", "/v1/certificates/{id}/revoke", "certificate", "no_certificate",
          REVOKE),
    Probe("kiemsoat.kv2", "DELETE", "/v1/alerts/subscriptions/{id}", "subscription",
          "no_subscription"),
    # offices: another office's routes answer as a made-up office's
    Probe("lanhdao.kv2", "POST", "/v1/offices/{id}/days-off", "office", "no_office",
          {"date": "2030-01-02", "reason": "Thăm dò"}),
    Probe("lanhdao.kv2", "POST", "/v1/offices/{id}/paper-vouchers", "office", "no_office",
          {"date": "2026-01-05", "count": 1}),
    Probe("kiemsoat.kv2", "POST", "/v1/offices/{id}/paper-vouchers", "office", "no_office",
          {"date": "2026-01-05", "count": 1}),
    Probe("lanhdao.kv2", "POST", "/v1/offices/{id}/mandatory-units", "office", "no_office",
          {"count": 1}),
    # ids in query parameters
    Probe("kiemsoat.kv2", "GET", "/v1/certificates?unit_id={id}", "unit", "no_unit"),
    Probe("lanhdao.kv2", "GET", "/v1/certificates?unit_id={id}", "unit", "no_unit"),
    Probe("lanhdao.kv2", "GET", "/v1/dossiers?office={id}", "office", "no_office"),
    Probe("kiemsoat.kv2", "GET", "/v1/statements?office={id}", "office", "no_office"),
    Probe("lanhdao.kv2", "GET", "/v1/reports/dossiers?office={id}", "office", "no_office"),
    Probe("lanhdao.kv2", "GET", "/v1/reports/overdue?office={id}", "office", "no_office"),
    Probe("lanhdao.kv2", "GET", "/v1/reports/reconciliation?office={id}&period=2026-Q1", "office",
          "no_office"),
    Probe("lanhdao.kv2", "GET", "/v1/alerts?office={id}", "office", "no_office"),
    Probe("ktt.cva", "GET", "/v1/alerts?dossier_id={id}", "dossier", "no_dossier"),
    Probe("kiemsoat.kv2", "GET", "/v1/alerts?dossier_id={id}", "dossier", "no_dossier"),
]
# Answers a probe may get: refusals that do not depend on the id existing (or, for a list
# filtered by a dossier id, an empty page).
NOT_FOUND_OR_OUT_OF_SCOPE = {(404, "dossier_not_found"), (404, "task_not_found"),
                             (404, "account_not_found"), (404, "statement_not_found"),
                             (404, "certificate_not_found"), (404, "subscription_not_found"),
                             (404, "unit_not_found"), (403, "out_of_scope")}


def _statement_of(account: str) -> str:
    """The victim account's statement for a period no other test answers, issued by the job."""

    from chalicelib import composition
    from chalicelib.domain import statements as rules
    from chalicelib.services import statements
    period = rules.parse_period(PERIOD)
    sid = rules.statement_id(account, period)
    store = composition.services().statements
    eventually(lambda: statements.generate_due(clock.now(), store=store,
                                               periods=[period.key]) and store.statement(sid),
               timeout=60)
    return sid


@pytest.fixture(scope="module")
def victims(api, tokens, pki_dir):
    from chalicelib.domain import statements as rules
    from chalicelib.services import certificates
    bvdd = Flow(api, tokens, pki_dir, unit="ketoan.bvdd")
    dossier = bvdd.submit(f"IDOR-{secrets.token_hex(3)}", unit_code=VICTIM_UNIT,
                          chapter_code=VICTIM_CHAPTER, account=VICTIM_ACCOUNT)["dossier_id"]
    task = bvdd.task(bvdd.officer, dossier)["task_id"]
    cert = certificates.parse((pki_dir / "ktt.bvdd.cert.pem").read_text(), "c").fingerprint
    status, subscription = api.call("POST", "/v1/alerts/subscriptions",
                                    {"protocol": "email", "endpoint": "idor.ktt@bvdongda.example.vn"},
                                    token=tokens["ktt.bvdd"])
    assert status in (200, 201), subscription
    yield {
        "dossier": dossier, "task": task, "account": VICTIM_ACCOUNT,
        "statement": _statement_of(VICTIM_ACCOUNT), "certificate": cert,
        "subscription": subscription["subscription_id"], "office": "KV1", "unit": VICTIM_UNIT,
        # well-formed, and nowhere
        "no_dossier": new_dossier_id(), "no_task": f"{new_dossier_id()}-{secrets.token_hex(12)}",
        "no_task_of_dossier": f"{dossier}-{secrets.token_hex(12)}",   # the real dossier's
        "no_account": MISSING_ACCOUNT,
        "no_statement": rules.statement_id(MISSING_ACCOUNT, rules.parse_period(PERIOD)),
        "no_certificate": secrets.token_hex(32), "no_subscription": secrets.token_hex(12),
        "no_office": MISSING_OFFICE, "no_unit": MISSING_UNIT,
    }
    # A person may hold only a few subscriptions; later tests subscribe this signer too.
    api.call("DELETE", f"/v1/alerts/subscriptions/{subscription['subscription_id']}",
             token=tokens["ktt.bvdd"])


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_another_units_or_offices_id_answers_exactly_as_an_id_that_does_not_exist(
        api, tokens, victims, probe):
    token = tokens[probe.prober]
    real = api.call(probe.method, probe.path.format(id=victims[probe.real]), probe.body, token=token)
    missing = api.call(probe.method, probe.path.format(id=victims[probe.missing]), probe.body,
                       token=token)
    assert real == missing, (real, missing)
    status, body = real
    if status == 200:   # a list filtered by the id: nothing of the other unit in it
        assert body["items"] == [], body
        return
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert (status, body["error"]["code"]) in NOT_FOUND_OR_OUT_OF_SCOPE, body


def test_a_related_dossier_of_another_unit_is_unknown_as_one_that_does_not_exist(
        api, tokens, victims):
    """A settlement naming another unit's advance learns nothing about it (the check runs before
    the signatures, so an unsigned body reaches it)."""
    def submit(related: str):
        content = sample_content("IDOR-REL", payment_kind="advance_settlement",
                                 related_dossier=related)
        return api.call("POST", "/v1/dossiers", {"content": content}, token=tokens["ketoan.cva"])
    real, missing = submit(victims["dossier"]), submit(victims["no_dossier"])
    assert real == missing
    assert (real[0], real[1]["error"]["code"]) == (422, "unknown_related_dossier"), real


def test_the_probed_records_are_untouched(api, tokens, victims):
    for probe in PROBES:   # every probe ran already in this module; run the writes again here
        if probe.method != "GET":
            api.call(probe.method, probe.path.format(id=victims[probe.real]), probe.body,
                     token=tokens[probe.prober])
    owner = tokens["ketoan.bvdd"]
    status, dossier = api.call("GET", f"/v1/dossiers/{victims['dossier']}", token=owner)
    assert (status, dossier["status"], dossier["open_task_id"]) == \
        (200, "under_review", victims["task"]), dossier
    _, trail = api.call("GET", f"/v1/dossiers/{victims['dossier']}/audit", token=owner)
    assert [r["action"] for r in trail["records"]] == ["submitted"]
    assert trail["verification"]["intact"] is True
    _, certs = api.call("GET", "/v1/certificates", token=tokens["ktt.bvdd"])
    mine = next(c for c in certs["items"] if c["fingerprint"] == victims["certificate"])
    assert mine["status"] == "active", mine
    _, subs = api.call("GET", "/v1/alerts/subscriptions", token=tokens["ktt.bvdd"])
    assert victims["subscription"] in [s["subscription_id"] for s in subs["items"]]
    _, statement = api.call("GET", f"/v1/statements/{victims['statement']}", token=owner)
    assert statement["status"] == "issued" and statement["reply"] is None, statement
    assert api.call("GET", f"/v1/accounts/{VICTIM_ACCOUNT}", token=owner)[0] == 200


def _neighbours(dossier_id: str) -> list[str]:
    """The ids one step away in the random part, at the same millisecond."""
    raw = ULID.from_str(dossier_id).bytes
    randomness = int.from_bytes(raw[6:], "big")
    return [str(ULID.from_bytes(raw[:6] + (randomness + step).to_bytes(10, "big")))
            for step in (-1, 1) if 0 <= randomness + step < 2 ** 80]


def test_ids_next_to_a_real_dossier_are_served_to_no_one(api, tokens, pki_dir, victims):
    """ULIDs are not sequential: the two units submit at the same moment, and no dossier's
    neighbours (±1 in the random part, same timestamp) is a dossier — not even for its owner."""
    flows = [Flow(api, tokens, pki_dir, unit="ketoan.cva"),
             Flow(api, tokens, pki_dir, unit="ketoan.bvdd")] * 3
    payers = [{}, {"unit_code": VICTIM_UNIT, "chapter_code": VICTIM_CHAPTER,
                   "account": VICTIM_ACCOUNT}] * 3
    barrier, ids = threading.Barrier(len(flows), timeout=60), []

    def submit(flow, payer):
        barrier.wait()
        ids.append(flow.submit(f"IDOR-N-{secrets.token_hex(3)}", **payer)["dossier_id"])
    threads = [threading.Thread(target=submit, args=pair) for pair in zip(flows, payers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(ids) == len(flows)
    ids.append(victims["dossier"])
    for dossier_id in ids:
        for guess in _neighbours(dossier_id):
            assert guess not in ids
            for user in ("ketoan.cva", "ketoan.bvdd", "kiemsoat.kv1"):
                status, body = api.call("GET", f"/v1/dossiers/{guess}", token=tokens[user])
                assert (status, body["error"]["code"]) == (404, "dossier_not_found"), body
