"""The audit hash chain detects edits, deletions, reordering and truncation."""
import pytest

from chalicelib.domain import audit

pytestmark = pytest.mark.unit


def chain(n=4):
    records, prev = [], audit.GENESIS
    for seq in range(1, n + 1):
        record = audit.next_record(prev, seq, dossier_id="D1", action=f"a{seq}", reason=None)
        records.append(record)
        prev = record["hash"]
    return records


def test_an_untouched_chain_verifies():
    records = chain()
    verdict = audit.verify_chain(records, expected_head=records[-1]["hash"])
    assert verdict.intact and verdict.length == 4 and verdict.broken_at is None


def test_an_edited_record_breaks_the_chain_at_that_record():
    records = chain()
    records[1]["reason"] = "sửa lén"
    verdict = audit.verify_chain(records)
    assert not verdict.intact and verdict.broken_at == 2


def test_a_deleted_record_is_detected():
    records = chain()
    del records[2]
    assert audit.verify_chain(records).broken_at == 3


def test_dropping_the_last_record_is_caught_by_the_head_kept_on_the_dossier():
    records = chain()
    head = records[-1]["hash"]
    verdict = audit.verify_chain(records[:-1], expected_head=head)
    assert not verdict.intact


def test_the_hash_is_over_canonical_json_so_key_order_does_not_matter():
    a = {"seq": 1, "prev_hash": audit.GENESIS, "x": "é", "n": 5}
    b = {"n": 5, "x": "é", "prev_hash": audit.GENESIS, "seq": 1}
    assert audit.record_hash(a) == audit.record_hash(b)
