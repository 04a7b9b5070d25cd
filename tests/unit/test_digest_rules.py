"""The pure rules of the daily audit digests: partitions, the local day, the root, and holding a
chain against stored digests."""
import hashlib
import json
from datetime import UTC, datetime

import pytest
import rfc8785

from chalicelib.domain import audit, digests

pytestmark = pytest.mark.unit
DAY = "2026-03-02"


def chain(dossier_id="D1", ats=("2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z",
                                 "2026-03-02T03:00:00Z")):
    records, prev = [], audit.GENESIS
    for seq, at in enumerate(ats, start=1):
        record = audit.next_record(prev, seq, dossier_id=dossier_id, at=at, action=f"a{seq}")
        records.append(record)
        prev = record["hash"]
    return records


def stored(day, heads, *, version="v1", previous=None, generated_at="2026-03-02T17:05:00Z",
           lock_mode="GOVERNANCE", **changes):
    body = digests.build(day, heads, previous, generated_at) | changes
    return digests.StoredDigest(day=day, version_id=version,
                                sha256=hashlib.sha256(digests.encode(body)).hexdigest(), body=body,
                                lock_mode=lock_mode, retain_until="2036-03-02T17:05:00Z")


def head(record):
    return {"seq": record["seq"], "hash": record["hash"]}


def test_the_partition_is_the_local_day_and_a_two_digit_shard_of_the_dossier():
    partition = audit.digest_partition("01JABCDEF", "2026-03-02T09:00:00Z")
    day, shard = partition.split("#")
    assert day == DAY and len(shard) == 2 and 0 <= int(shard) < audit.DIGEST_SHARDS
    assert audit.digest_partition("01JABCDEF", "2026-03-02T10:00:00Z") == partition


def test_dossiers_spread_over_all_sixteen_shards():
    shards = {audit.digest_shard(f"01J{n:08d}") for n in range(1000)}
    assert shards == set(range(16))
    assert audit.digest_partitions(DAY)[0] == f"{DAY}#00" and len(audit.digest_partitions(DAY)) == 16


def test_the_day_of_a_record_is_the_day_in_hanoi_not_in_utc():
    assert audit.local_day("2026-03-01T16:59:59Z") == "2026-03-01"
    assert audit.local_day("2026-03-01T17:00:00Z") == "2026-03-02"      # 00:00 in Hà Nội
    assert audit.local_day("2026-12-31T18:30:00+00:00") == "2027-01-01"


def test_the_job_digests_the_local_day_that_just_ended():
    five_past_midnight = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)       # 00:05 on 3 March locally
    assert digests.day_before(five_past_midnight) == DAY
    assert digests.day_ends(DAY) == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def test_a_digest_is_keyed_by_its_day():
    assert digests.key(DAY) == "audit-digests/2026/03/02.json"


def test_the_root_is_sha256_over_the_canonical_heads_whatever_their_order():
    heads = {"B": {"seq": 2, "hash": "bb"}, "A": {"seq": 7, "hash": "aa"}}
    expected = hashlib.sha256(rfc8785.dumps(heads)).hexdigest()
    assert digests.heads_root(heads) == expected
    assert digests.heads_root(dict(reversed(heads.items()))) == expected
    assert digests.heads_root({**heads, "A": {"seq": 7, "hash": "ab"}}) != expected


def test_the_head_of_a_dossier_is_its_highest_record_of_the_day():
    heads = digests.heads_of([("D1", 1, "h1"), ("D2", 4, "x4"), ("D1", 3, "h3"), ("D1", 2, "h2")])
    assert heads == {"D1": {"seq": 3, "hash": "h3"}, "D2": {"seq": 4, "hash": "x4"}}


def test_the_object_is_canonical_json_carrying_day_count_heads_root_and_previous():
    body = digests.build(DAY, {"D1": {"seq": 3, "hash": "h3"}}, "ab" * 32, "2026-03-02T17:05:00Z")
    data = digests.encode(body)
    assert json.loads(data) == body and data == rfc8785.dumps(body)
    assert set(body) == {"day", "generated_at", "count", "heads", "root", "previous"}
    assert body["count"] == 1 and body["root"] == digests.heads_root(body["heads"])
    later = body | {"generated_at": "2026-03-03T01:00:00Z"}
    assert digests.same_content(body, later)
    assert not digests.same_content(body, later | {"previous": None})


def test_retention_counts_calendar_years_and_survives_a_leap_day():
    assert digests.retain_until(datetime(2026, 3, 2, 17, 5, 30, 999, tzinfo=UTC), 10) == \
        datetime(2036, 3, 2, 17, 5, 30, tzinfo=UTC)
    assert digests.retain_until(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)


def test_a_chain_that_agrees_with_its_digest_verifies():
    records = chain()
    verdict = digests.check("D1", records, {DAY: [stored(DAY, {"D1": head(records[-1])})]},
                            today="2026-03-03", expected_head=records[-1]["hash"])
    assert verdict.ok, verdict.problems
    assert [(d.day, d.status, d.head) for d in verdict.days] == [(DAY, "ok", head(records[-1]))]


def test_a_rewritten_and_rehashed_chain_passes_alone_but_not_against_the_digest():
    records = chain()
    anchored = stored(DAY, {"D1": head(records[-1])})
    forged, prev = [], audit.GENESIS
    for record in records:
        fields = {k: v for k, v in record.items() if k not in ("seq", "prev_hash", "hash")}
        if record["seq"] == 2:
            fields["action"] = "forged"
        forged.append(audit.next_record(prev, record["seq"], **fields))
        prev = forged[-1]["hash"]
    verdict = digests.check("D1", forged, {DAY: [anchored]}, today="2026-03-03", expected_head=prev)
    assert verdict.chain.intact and not verdict.ok
    assert verdict.problems[0].startswith(f"{DAY}: the digest") and "seq 3" in verdict.problems[0]


def test_an_edited_record_is_named_first():
    records = chain()
    anchored = stored(DAY, {"D1": head(records[-1])})
    records[1]["action"] = "edited"
    verdict = digests.check("D1", records, {DAY: [anchored]}, today="2026-03-03")
    assert not verdict.ok and verdict.problems[0].startswith("record seq 2 (edited")


def test_a_past_day_without_a_digest_fails_and_today_is_pending():
    records = chain()
    missing = digests.check("D1", records, {}, today="2026-03-03")
    assert not missing.ok and missing.problems[0].startswith(f"{DAY}: no digest")
    pending = digests.check("D1", records, {}, today=DAY)
    assert pending.ok and pending.days[0].status == "pending"


def test_a_record_left_out_of_a_digest_written_after_the_day_ended_fails():
    records = chain()
    late = stored(DAY, {"D1": head(records[1])})          # generated 00:05 the next day
    verdict = digests.check("D1", records, {DAY: [late]}, today="2026-03-03")
    assert not verdict.ok and "record seq 3" in verdict.problems[0]


def test_records_after_a_digest_written_during_the_day_are_pending():
    records = chain()
    early = stored(DAY, {"D1": head(records[1])}, generated_at="2026-03-02T02:30:00Z")
    verdict = digests.check("D1", records, {DAY: [early]}, today=DAY)
    assert verdict.ok and verdict.days[0].status == "pending"


def test_every_version_counts_so_a_later_one_cannot_overrule_an_earlier_one():
    records = chain()
    first = stored(DAY, {"D1": {"seq": 2, "hash": "f" * 64}}, generated_at="2026-03-02T02:30:00Z")
    second = stored(DAY, {"D1": head(records[-1])}, version="v2")
    verdict = digests.check("D1", records, {DAY: [first, second]}, today="2026-03-03")
    assert not verdict.ok and "version v1" in verdict.problems[0]


def test_an_unlocked_or_inconsistent_digest_is_no_anchor():
    records = chain()
    unlocked = stored(DAY, {"D1": head(records[-1])}, lock_mode=None)
    assert "not under Object Lock" in digests.check("D1", records, {DAY: [unlocked]},
                                                    today="2026-03-03").problems[0]
    bad_root = stored(DAY, {"D1": head(records[-1])}, root="0" * 64)
    assert "root does not match" in digests.check("D1", records, {DAY: [bad_root]},
                                                  today="2026-03-03").problems[0]


def test_the_next_days_digest_must_name_a_stored_version_of_the_day_before():
    records = chain()
    today = stored(DAY, {"D1": head(records[-1])})
    good = stored("2026-03-03", {}, previous=today.sha256, generated_at="2026-03-03T17:05:00Z")
    bad = stored("2026-03-03", {}, previous="0" * 64, generated_at="2026-03-03T17:05:00Z")
    assert digests.check("D1", records, {DAY: [today], "2026-03-03": [good]}, today="2026-03-04").ok
    verdict = digests.check("D1", records, {DAY: [today], "2026-03-03": [bad]}, today="2026-03-04")
    assert not verdict.ok and "names a previous digest" in verdict.problems[0]
