"""Each anomaly rule fires on its case and stays quiet on a normal payment, through the real
stream, bus, queue and pump: submissions of unit 1034567 (UBND Phường Sài Gòn, office KV2).

The rules read the time of the submission, so each test submits at a fixed instant of its own
(the app's clock set for the request), in the past so that nothing of other tests expires early
and each instant has its own 10-minute burst window."""
from __future__ import annotations

import statistics
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib import clock, composition
from chalicelib.adapters.models import IdempotencyRecord, PaidAmounts
from chalicelib.domain import risk
from chalicelib.domain.calendar import DEFAULT_CALENDAR, VN_TZ
from chalicelib.services import common
from devstack.demo import sample_content
from devstack.outbox import fetch
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
STREAM_LAG = 60
UNIT, OFFICE = "1034567", "KV2"
PAYER = {"unit_code": UNIT, "chapter_code": "805", "account": "9523.1.1034567"}
TODAY = clock.now().astimezone(VN_TZ).date()


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not DEFAULT_CALENDAR.is_working_day(day):
        day -= timedelta(days=1)
    return day


WORKDAY = previous_working_day(TODAY)


def hanoi(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ).astimezone(UTC)


@pytest.fixture(scope="module")
def psg(api, tokens, pki_dir) -> Flow:
    return Flow(api, tokens, pki_dir, unit="ketoan.psg", officer="kiemsoat.kv2", leader="lanhdao.kv2")


@pytest.fixture(scope="module")
def history(psg, stack) -> list[int]:
    """The unit has been paid at least AMOUNT_MIN_SAMPLE times, to the sample's usual payee."""
    store = composition.services().alerts
    ids = [psg.submit(f"HIST-{uuid.uuid4().hex[:6]}", 1_000_000 + i * 100_000, **PAYER)["dossier_id"]
           for i in range(risk.AMOUNT_MIN_SAMPLE)]
    for dossier_id in ids:
        psg.decide(psg.officer, dossier_id, "accept")
    for dossier_id in ids:
        psg.decide(psg.leader, dossier_id, "approve")
    for dossier_id in ids:
        psg.reaches(dossier_id, "paid")
    usual = risk.payee_key(sample_content("X")["voucher"]["payee"])

    def counted() -> list[int] | None:
        """The unit's usual range once these payments are in it (earlier tests, the chaos run
        among them, may have paid this unit too: the range is only final with ours counted)."""
        try:
            item = PaidAmounts.get(f"STATS#{UNIT}", "paid_amounts", consistent_read=True)
        except PaidAmounts.DoesNotExist:
            return None
        if not set(ids) <= {d for d, _ in item.recent}:
            return None
        return store.payee_known(UNIT, usual) and [int(amount) for _, amount in item.recent]
    return eventually(counted, timeout=STREAM_LAG)


@pytest.fixture
def at(travel):
    """Submit at a given instant: the product's clock is moved there for the test's requests."""
    return travel


def usual_amount(history: list[int]) -> int:
    return statistics.median_low(history[-risk.AMOUNT_SAMPLE:])


def submit(psg: Flow, body: dict) -> str:
    status, answer = psg.api.call("POST", "/v1/dossiers", body, token=psg.unit)
    assert status == 201, answer
    return answer["dossier_id"]


def checked(dossier_id: str, seq: int = 1) -> None:
    """Wait until the risk consumer has evaluated the submission."""
    def done():
        try:
            record = IdempotencyRecord.get(f"event#risk-check#{dossier_id}#{seq}", consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return False
        return record.response.get("status") == "done"
    eventually(done, timeout=STREAM_LAG)


def flags(psg: Flow, dossier_id: str) -> dict[str, dict]:
    status, page = psg.api.call("GET", f"/v1/alerts?dossier_id={dossier_id}", token=psg.unit)
    assert status == 200, page
    return {item["rule"]: item for item in page["items"]}


def test_a_normal_payment_raises_no_flag(psg, history, at, stack):
    at(hanoi(WORKDAY, 9, 0))
    dossier_id = submit(psg, psg.signed(sample_content("NORMAL", usual_amount(history), **PAYER)))
    checked(dossier_id)
    assert flags(psg, dossier_id) == {}
    warnings = eventually(lambda: fetch("alerts", stack.endpoint_url, dossier_id=dossier_id),
                          timeout=STREAM_LAG)   # the submission's own warning is published first
    assert [a["attributes"]["kind"] for a in warnings] == ["status"]     # its submission, no flag


def test_an_amount_far_above_the_units_usual_range_is_flagged_to_signers_and_office(
        psg, history, at, stack, api, tokens):
    at(hanoi(WORKDAY, 9, 20))
    median = usual_amount(history)
    dossier_id = submit(psg, psg.signed(sample_content("BIG", 3 * median + 1, **PAYER)))
    checked(dossier_id)
    found = flags(psg, dossier_id)
    assert set(found) == {risk.AMOUNT}
    assert found[risk.AMOUNT]["facts"] == {"amount": 3 * median + 1, "median": median, "factor": 3,
                                           "threshold": 3 * median,
                                           "sample_size": min(len(history), risk.AMOUNT_SAMPLE)}
    published = eventually(lambda: len(sent := fetch("alerts", stack.endpoint_url, dossier_id=dossier_id,
                                                      kind="risk_flag")) >= 2 and sent,
                           timeout=STREAM_LAG)
    assert sorted(a["topic"] for a in published) == [f"kbnn-risk-{UNIT}", f"kbnn-risk-office-{OFFICE}"]

    # who sees it: the unit's people and its office; not another unit, nor a leader above another office
    def listed(user: str, query: str = "") -> list[str]:
        status, page = api.call("GET", f"/v1/alerts?dossier_id={dossier_id}{query}", token=tokens[user])
        assert status == 200, page
        return [i["alert_id"] for i in page["items"]]
    alert_id = f"{dossier_id}#1#{risk.AMOUNT}"
    for user in ("ketoan.psg", "ktt.psg", "chutk.psg", "kiemsoat.kv2", "lanhdao.kv2"):
        assert listed(user) == [alert_id], user
    assert listed("ketoan.cva") == [] and listed("kiemsoat.kv1") == []
    assert listed("ketoan.psg", f"&rule={risk.NEW_PAYEE}") == []
    status, err = api.call("GET", "/v1/alerts?office=KV2", token=tokens["lanhdao.kv1"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    status, err = api.call("GET", "/v1/alerts?rule=big", token=tokens["ketoan.psg"])
    assert (status, err["error"]["code"]) == (422, "invalid_choice")
    status, page = api.call("GET", "/v1/alerts?limit=1", token=tokens["kiemsoat.kv2"])
    assert status == 200 and len(page["items"]) == 1 and page["next_cursor"]
    status, rest = api.call("GET", f"/v1/alerts?limit=1&cursor={page['next_cursor']}",
                            token=tokens["kiemsoat.kv2"])
    assert status == 200 and rest["items"] != page["items"]
    status, err = api.call("GET", f"/v1/alerts?cursor={page['next_cursor']}", token=tokens["ketoan.cva"])
    assert (status, err["error"]["code"]) == (400, "invalid_cursor")


def test_a_payee_never_paid_before_is_flagged(psg, history, at):
    at(hanoi(WORKDAY, 9, 40))
    content = sample_content("NEWPAYEE", usual_amount(history), **PAYER)
    content["voucher"]["payee"] = {"name": "Công ty TNHH Lạ Mặt", "account": "9999000011112222",
                                   "bank": "Ngân hàng TMCP Á Châu"}
    dossier_id = submit(psg, psg.signed(content))
    checked(dossier_id)
    found = flags(psg, dossier_id)
    assert set(found) == {risk.NEW_PAYEE}
    assert found[risk.NEW_PAYEE]["facts"]["payee_account"] == "9999000011112222"


def test_a_submission_outside_working_hours_is_flagged(psg, history, at):
    evening = hanoi(TODAY - timedelta(days=1), 21, 5)
    at(evening)
    dossier_id = submit(psg, psg.signed(sample_content("NIGHT", usual_amount(history), **PAYER)))
    checked(dossier_id)
    found = flags(psg, dossier_id)
    assert set(found) == {risk.OUTSIDE_HOURS}
    flagged_at = datetime.fromisoformat(found[risk.OUTSIDE_HOURS]["facts"]["local_time"])
    assert flagged_at.utcoffset() == timedelta(hours=7)                  # said in Hà Nội time
    assert evening <= flagged_at < evening + timedelta(minutes=1)       # the clock ran on from there


def test_a_submission_signed_with_a_certificate_registered_hours_before_is_flagged(
        psg, history, at, stack, api, tokens):
    import signtool
    from chalicelib.services.certificates import parse, registration_challenge
    instant = hanoi(WORKDAY, 10, 0)
    name = f"ktt.psg.fresh-{uuid.uuid4().hex[:6]}"
    key_path, cert_path = stack.pki.issue(name, key_type="ec",
                                          not_before=clock.now() - timedelta(days=60))
    key, pem = key_path.read_bytes(), cert_path.read_bytes()
    fingerprint = parse(pem.decode(), "certificate").fingerprint
    me = api.call("GET", "/v1/me", token=tokens["ktt.psg"])[1]
    proof = signtool.sign_content(registration_challenge(fingerprint, me["sub"]), key, pem,
                                  "chief_accountant")["signature"]
    at(instant - timedelta(hours=2))
    status, body = api.call("POST", "/v1/certificates", {"title": "chief_accountant",
                                                          "certificate": pem.decode(), "proof": proof},
                            token=tokens["ktt.psg"])
    assert status == 201, body
    repo = composition.services().repo   # activated as an accepted change of specimens would
    repo.approve_certificate(repo.certificate(fingerprint), common.iso(instant - timedelta(hours=2)))
    try:
        at(instant)
        submission = {"content": sample_content("FRESHCERT", usual_amount(history), **PAYER)}
        submission = signtool.add_signature(submission, key, pem, "chief_accountant")
        submission = signtool.add_signature(submission,
                                            (stack.pki_dir / "chutk.psg.key.pem").read_bytes(),
                                            (stack.pki_dir / "chutk.psg.cert.pem").read_bytes(),
                                            "account_holder")
        dossier_id = submit(psg, submission)
        checked(dossier_id)
        found = flags(psg, dossier_id)
        assert set(found) == {risk.FRESH_CERTIFICATE}
        (fresh,) = found[risk.FRESH_CERTIFICATE]["facts"]["certificates"]
        assert (fresh["title"], fresh["fingerprint"], fresh["age_hours"]) == \
            ("chief_accountant", fingerprint, 2.0)
    finally:
        api.call("POST", f"/v1/certificates/{fingerprint}/revoke", {"reason": "Kết thúc kiểm thử."},
                 token=tokens["ktt.psg"])


def test_more_than_ten_submissions_in_ten_minutes_are_a_burst(psg, history, at):
    at(hanoi(WORKDAY, 10, 30))
    amount = usual_amount(history)
    ids = [submit(psg, psg.signed(sample_content(f"BURST-{i:02d}", amount, **PAYER)))
           for i in range(risk.BURST_LIMIT + 1)]
    for dossier_id in ids:
        checked(dossier_id)
    found = {dossier_id: flags(psg, dossier_id) for dossier_id in ids}
    bursts = [f[risk.BURST] for f in found.values() if risk.BURST in f]
    assert len(bursts) == 1 and bursts[0]["facts"]["count"] == risk.BURST_LIMIT + 1
    assert all(set(f) <= {risk.BURST} for f in found.values())       # nothing else fired
