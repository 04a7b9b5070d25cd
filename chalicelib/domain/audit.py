"""The audit trail's hash chain.

Each record's hash is SHA-256 over the RFC 8785 canonical JSON of the record (without its own
hash), and the record carries the previous record's hash, so changing, removing or reordering any
record breaks every hash after it. The same canonical form is what signers will sign.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


def record_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def next_record(prev_hash: str, seq: int, **fields: Any) -> dict:
    record = {"seq": seq, "prev_hash": prev_hash, **fields}
    record["hash"] = record_hash(record)
    return record


@dataclass(frozen=True)
class ChainVerdict:
    intact: bool
    length: int
    head: str
    broken_at: int | None = None

    def public(self) -> dict:
        return {"intact": self.intact, "length": self.length, "head": self.head,
                "broken_at_seq": self.broken_at}


def verify_chain(records: list[dict], expected_head: str | None = None) -> ChainVerdict:
    """Recompute every hash in order; `expected_head` (kept on the dossier) catches truncation."""
    prev = GENESIS
    for expected_seq, record in enumerate(records, start=1):
        if (record.get("seq") != expected_seq or record.get("prev_hash") != prev
                or record_hash(record) != record.get("hash")):
            return ChainVerdict(False, len(records), prev, broken_at=expected_seq)
        prev = record["hash"]
    if expected_head is not None and prev != expected_head:
        return ChainVerdict(False, len(records), prev, broken_at=len(records) + 1)
    return ChainVerdict(True, len(records), prev)
