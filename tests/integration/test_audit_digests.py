"""The daily audit digests on the local stack: dossiers go through real flows, the day's heads go
to the documents bucket under Object Lock, and each chain is verified against them; the test then
plays an attacker with write access to the audit table.

Today's local day is digested although it has not ended (the job digests yesterday): records
that other tests append later today would only make a later run write a new version."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import clock, composition
from chalicelib.adapters import aws
from chalicelib.domain import audit, digests
from chalicelib.domain.calendar import VN_TZ
from chalicelib.services import audit_digests

pytestmark = pytest.mark.integration


def scheduled_event(at: datetime) -> dict:
    return {"version": "0", "id": "digest", "source": "aws.events", "account": "123456789012",
            "detail-type": "Scheduled Event", "region": "us-east-1", "resources": [],
            "detail": {}, "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def write(day: str) -> dict:
    svc = composition.services()
    return audit_digests.write(day, repo=svc.repo, store=svc.digests, lock_mode="GOVERNANCE",
                               retention_years=10, now=clock.now())


def verify(dossier_id: str) -> digests.DigestVerdict:
    svc = composition.services()
    return audit_digests.verify(dossier_id, repo=svc.repo, store=svc.digests, now=clock.now())


def cli(stack, *args: str) -> subprocess.CompletedProcess:
    """The operator's command, in its own process as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "ops.audit", "--endpoint-url", stack.endpoint_url,
                           *args], env={**os.environ, **stack.env}, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def s3(stack):
    return boto3.client("s3", endpoint_url=stack.endpoint_url, region_name="us-east-1")


@pytest.fixture(scope="module")
def days() -> tuple[str, str]:
    today = audit.local_day(clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    return digests.previous_day(today), today


@pytest.fixture(scope="module")
def dossiers(api, tokens, pki_dir) -> dict[str, str]:
    """A paid, a refused and a waiting dossier of unit 1012345."""
    from tests.integration.flow import Flow
    flow = Flow(api, tokens, pki_dir)
    paid, refused, waiting = (flow.submit(f"DIGEST-{n}-{os.urandom(3).hex()}")["dossier_id"]
                              for n in range(3))
    flow.decide(flow.officer, paid, "accept")
    flow.decide(flow.leader, paid, "approve")
    flow.decide(flow.officer, refused, "refuse", reason="Thiếu chứng từ")
    flow.reaches(paid, "paid")
    flow.reaches(refused, "refused")
    return {"paid": paid, "refused": refused, "waiting": waiting}


@pytest.fixture(scope="module")
def digested(stack, dossiers, days) -> dict[str, dict]:
    """Yesterday, then today, as the job would have run them (so today's chains to yesterday's)."""
    from chalicelib.api import schedules
    seen: list[tuple[str, str]] = []
    stop = aws.observe(lambda service, operation: seen.append((service, operation)))
    try:
        # The schedule's event at 00:05 local time today digests yesterday; then today, by hand.
        due = datetime.combine(date.fromisoformat(days[1]), time(0, 5), tzinfo=VN_TZ)
        schedules.write_audit_digest(scheduled_event(due), None)
        schedules.write_audit_digest(scheduled_event(due), None)    # a retried run: writes nothing
        results = {day: write(day) for day in days}
    finally:
        stop()
    results["calls"] = seen
    return results


def test_each_dossier_verifies_against_the_digest_of_today(digested, dossiers, days):
    today = days[1]
    for dossier_id in dossiers.values():
        verdict = verify(dossier_id)
        assert verdict.ok, verdict.problems
        assert [(d.day, d.status) for d in verdict.days] == [(today, "ok")]
        assert verdict.days[0].head["seq"] == verdict.chain.length
    assert digested[today]["count"] >= 3


def test_the_job_finds_the_days_records_with_queries_not_a_scan(digested):
    assert ("dynamodb", "Query") in digested["calls"]
    assert ("dynamodb", "Scan") not in digested["calls"]


def test_a_digest_is_locked_until_its_retention_ends_and_carries_its_checksum(digested, days, s3, stack):
    key = digests.key(days[1])
    head = s3.head_object(Bucket=stack.outputs["DOCUMENTS_BUCKET"], Key=key,
                          VersionId=digested[days[1]]["version_id"])
    assert head["ObjectLockMode"] == stack.outputs["AUDIT_DIGEST_LOCK_MODE"] == "GOVERNANCE"
    ten_years = clock.now().replace(year=clock.now().year + 10)
    assert abs(head["ObjectLockRetainUntilDate"] - ten_years) < timedelta(minutes=5)
    body = s3.get_object(Bucket=stack.outputs["DOCUMENTS_BUCKET"], Key=key)["Body"].read()
    assert json.loads(body)["root"] == digests.heads_root(json.loads(body)["heads"])
    with pytest.raises(ClientError, match="AccessDenied"):       # a locked version stays
        s3.delete_object(Bucket=stack.outputs["DOCUMENTS_BUCKET"], Key=key,
                         VersionId=digested[days[1]]["version_id"])


def test_uploaded_documents_are_not_locked(flow, stack, s3):
    entry = flow.upload("contract", "hop-dong.pdf", b"%PDF-1.4 digest test " + os.urandom(8))
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=stack.outputs["DOCUMENTS_BUCKET"],
                                                    Prefix="documents/")["Contents"]
               if o["Key"].endswith(entry["sha256"]))
    assert "ObjectLockMode" not in s3.head_object(Bucket=stack.outputs["DOCUMENTS_BUCKET"], Key=key)


def test_the_scheduled_job_digested_yesterday_so_digesting_it_again_writes_nothing(
        digested, days, s3, stack):
    yesterday = days[0]
    assert digested[yesterday]["written"] is False       # the scheduled run had written it
    again = write(yesterday)
    assert again["written"] is False and again["version_id"] == digested[yesterday]["version_id"]
    versions = s3.list_object_versions(Bucket=stack.outputs["DOCUMENTS_BUCKET"],
                                       Prefix=digests.key(yesterday))["Versions"]
    assert len(versions) == 1
    by_hand = cli(stack, "digest", "--day", yesterday)
    assert by_hand.returncode == 0, by_hand.stderr
    assert json.loads(by_hand.stdout)["written"] is False


def test_the_digests_chain_through_the_previous_days_object(digested, days, s3, stack):
    bucket = stack.outputs["DOCUMENTS_BUCKET"]
    yesterday = s3.get_object(Bucket=bucket, Key=digests.key(days[0]))["Body"].read()
    today = json.loads(s3.get_object(Bucket=bucket, Key=digests.key(days[1]))["Body"].read())
    assert today["previous"] == hashlib.sha256(yesterday).hexdigest()
    assert digested[days[1]]["previous"] == today["previous"]


def test_a_record_edited_in_the_table_fails_verification_naming_it(digested, dossiers, stack):
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    key = {"dossier_id": {"S": dossiers["paid"]}, "seq": {"N": "2"}}
    table = stack.outputs["TABLE_AUDIT"]
    item = ddb.get_item(TableName=table, Key=key)["Item"]
    body = json.loads(item["body"]["S"]) | {"actor": {"kind": "user", "id": "someone-else"}}
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET body = :b",
                    ExpressionAttributeValues={":b": {"S": json.dumps(body)}})

    verdict = verify(dossiers["paid"])
    assert not verdict.ok and verdict.problems[0].startswith("record seq 2 (")
    result = cli(stack, "verify", dossiers["paid"])
    assert result.returncode == 1
    assert "FAILED: record seq 2 (" in result.stdout and "GOVERNANCE until" in result.stdout


def test_a_rewritten_and_rehashed_chain_is_caught_by_the_digest(digested, dossiers, days, stack):
    """The attacker rewrites a record and every hash after it and the head kept on the dossier:
    the chain alone looks intact; the locked digest does not agree."""
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    table = stack.outputs["TABLE_AUDIT"]
    dossier_id = dossiers["refused"]
    items = ddb.query(TableName=table, KeyConditionExpression="dossier_id = :d",
                      ExpressionAttributeValues={":d": {"S": dossier_id}})["Items"]
    prev = audit.GENESIS
    for item in sorted(items, key=lambda i: int(i["seq"]["N"])):
        seq, body = int(item["seq"]["N"]), json.loads(item["body"]["S"])
        if seq == 2:
            body["reason"] = "Đã đủ chứng từ"
        record = audit.next_record(prev, seq, dossier_id=dossier_id, **body)
        ddb.update_item(TableName=table, Key={"dossier_id": {"S": dossier_id}, "seq": {"N": str(seq)}},
                        UpdateExpression="SET body = :b, #h = :h, prev_hash = :p",
                        ExpressionAttributeNames={"#h": "hash"},
                        ExpressionAttributeValues={":b": {"S": json.dumps(body)},
                                                   ":h": {"S": record["hash"]}, ":p": {"S": prev}})
        prev = record["hash"]
    ddb.update_item(TableName=stack.outputs["TABLE_DOSSIERS"], Key={"dossier_id": {"S": dossier_id}},
                    UpdateExpression="SET audit_head = :h", ExpressionAttributeValues={":h": {"S": prev}})

    verdict = verify(dossier_id)
    assert verdict.chain.intact and not verdict.ok
    assert verdict.problems[0].startswith(f"{days[1]}: the digest")
    result = cli(stack, "verify", dossier_id)
    assert result.returncode == 1 and f"FAILED: {days[1]}: the digest" in result.stdout


def test_the_command_verifies_an_untouched_dossier(digested, dossiers, stack):
    result = cli(stack, "verify", dossiers["waiting"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout and "OK:" in result.stdout
    as_json = json.loads(cli(stack, "verify", dossiers["waiting"], "--json").stdout)
    assert as_json["ok"] and as_json["days"][0]["versions"][0]["lock_mode"] == "GOVERNANCE"


def test_a_digest_is_stored_as_canonical_json_anyone_can_rehash(digested, days, s3, stack):
    body = s3.get_object(Bucket=stack.outputs["DOCUMENTS_BUCKET"], Key=digests.key(days[1]))["Body"].read()
    assert body == digests.encode(json.loads(body))
    assert json.loads(body)["day"] == days[1]
