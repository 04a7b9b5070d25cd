"""Daily audit digests: each local day's audit-chain heads, anchored outside DynamoDB.

The hash chain of a dossier (domain/audit.py) shows that its records agree with each other, not
that nobody with write access to the table rewrote them all and the head kept on the dossier. So
once a day a job writes, for every chain that changed that day, its highest record (seq, hash) to
one JSON object under Object Lock (`audit-digests/YYYY/MM/DD.json`), which nobody can change or
delete until its retention ends (COMPLIANCE in prod: not even the account's root). A rewritten
record then disagrees with the head a locked digest holds for its day. Each digest carries the
SHA-256 of the previous day's digest object, so the digests form a chain of their own.

Writing the same day again with the same heads writes nothing. With different heads (a day
digested by hand before it ended) it writes a new version: the bucket keeps every version, each
locked, and verification checks every one of them, so a later version can add heads but never
hide what an earlier one said. docs/audit-digests.md describes the format for auditors.
"""
from __future__ import annotations

import calendar as _months
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from . import audit
from .calendar import VN_TZ, to_utc_iso

PREFIX = "audit-digests/"
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def key(day: str) -> str:
    """The object key of a day's digest: audit-digests/YYYY/MM/DD.json."""
    year, month, dom = date.fromisoformat(day).isoformat().split("-")
    return f"{PREFIX}{year}/{month}/{dom}.json"


def previous_day(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def day_before(now: datetime) -> str:
    """The local day that ended last before `now`: what the scheduled job digests."""
    return (now.astimezone(VN_TZ).date() - timedelta(days=1)).isoformat()


def day_ends(day: str) -> datetime:
    """The instant (UTC) the local day ends."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), VN_TZ).astimezone(UTC)


def retain_until(now: datetime, years: int) -> datetime:
    """`years` calendar years after `now` (29 February becomes 28 February), whole seconds."""
    target = now.astimezone(UTC).replace(microsecond=0)
    year = target.year + years
    return target.replace(year=year, day=min(target.day, _months.monthrange(year, target.month)[1]))


def heads_root(heads: Mapping[str, Mapping[str, object]]) -> str:
    """SHA-256 (hex) over the RFC 8785 canonical JSON of the heads."""
    return hashlib.sha256(audit.canonical(dict(heads))).hexdigest()


def heads_of(records: Iterable[tuple[str, int, str]]) -> dict[str, dict]:
    """Per dossier, its highest (seq, hash) among the records given as (dossier_id, seq, hash)."""
    heads: dict[str, dict] = {}
    for dossier_id, seq, digest in records:
        if dossier_id not in heads or seq > heads[dossier_id]["seq"]:
            heads[dossier_id] = {"seq": int(seq), "hash": digest}
    return dict(sorted(heads.items()))


def build(day: str, heads: Mapping[str, Mapping[str, object]], previous: str | None,
          generated_at: str) -> dict:
    return {"day": day, "generated_at": generated_at, "count": len(heads),
            "heads": dict(heads), "root": heads_root(heads), "previous": previous}


def encode(digest: Mapping[str, object]) -> bytes:
    """The object's bytes: canonical JSON too, so anyone can recompute its SHA-256."""
    return audit.canonical(dict(digest))


def same_content(stored: Mapping[str, object], fresh: Mapping[str, object]) -> bool:
    """Equal but for when each was generated: writing `fresh` would add nothing."""
    return all(stored.get(k) == fresh.get(k) for k in ("day", "count", "heads", "root", "previous"))


# --- verification ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredDigest:
    """One stored version of a day's digest, with what S3 says about its lock."""
    day: str
    version_id: str
    sha256: str                       # of the object's bytes
    body: dict
    lock_mode: str | None
    retain_until: str | None          # UTC ISO-8601

    def problem(self) -> str | None:
        """What makes this version unusable as an anchor, if anything."""
        if self.body.get("day") != self.day:
            return f"digest {key(self.day)} (version {self.version_id}) is for {self.body.get('day')}"
        if self.body.get("root") != heads_root(self.body.get("heads") or {}):
            return f"digest of {self.day} (version {self.version_id}): root does not match its heads"
        if self.lock_mode not in LOCK_MODES:
            return f"digest of {self.day} (version {self.version_id}) is not under Object Lock"
        return None


@dataclass
class DayCheck:
    day: str
    status: str                       # ok, pending, missing, mismatch
    head: dict | None = None          # the dossier's head in the day's latest digest
    versions: list[dict] = field(default_factory=list)
    note: str | None = None

    def public(self) -> dict:
        return {"day": self.day, "status": self.status, "head": self.head,
                "versions": self.versions, "note": self.note}


@dataclass
class DigestVerdict:
    dossier_id: str
    chain: audit.ChainVerdict
    days: list[DayCheck]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def public(self) -> dict:
        return {"dossier_id": self.dossier_id, "ok": self.ok, "chain": self.chain.public(),
                "days": [d.public() for d in self.days], "problems": self.problems}


def check(dossier_id: str, records: list[dict], digests: Mapping[str, list[StoredDigest]], *,
          today: str, expected_head: str | None = None) -> DigestVerdict:
    """Recompute the chain, then hold every day's records against every stored version of that
    day's digest (oldest first) and the next day's digest against them (`previous`).

    `digests` maps a day to its stored versions for every day the chain has records on and the
    day after each. A day before `today` without a digest, or whose final digest (written after
    the day ended) lacks the dossier's last record of that day, is a failure: nothing anchors
    those records. Days not yet over are pending."""
    chain = audit.verify_chain(records, expected_head=expected_head)
    problems: list[str] = []
    if not chain.intact:
        problems.append(_broken(records, chain))
    by_seq = {r.get("seq"): r for r in records}
    days: dict[str, list[dict]] = {}
    for record in records:
        days.setdefault(audit.local_day(record["at"]), []).append(record)
    checks: list[DayCheck] = []
    for day in sorted(days):
        last = max(days[day], key=lambda r: r["seq"])
        versions = digests.get(day, [])
        result = DayCheck(day, "ok", versions=[_version_line(v, dossier_id) for v in versions])
        checks.append(result)
        if not versions:
            result.status = "pending" if day >= today else "missing"
            if day < today:
                problems.append(f"{day}: no digest; the chain's records of that day "
                                f"(seq {days[day][0]['seq']}..{last['seq']}) are not anchored")
            continue
        for version in versions:
            trouble = version.problem()
            if trouble is None:
                trouble = _disagreement(dossier_id, day, version, by_seq)
            if trouble:
                result.status = "mismatch"
                problems.append(trouble)
        final = versions[-1]
        result.head = (final.body.get("heads") or {}).get(dossier_id)
        seq_covered = result.head["seq"] if result.head else 0
        if result.status == "ok" and seq_covered < last["seq"]:
            if final.body.get("generated_at", "") >= to_utc_iso(day_ends(day)):
                result.status = "mismatch"
                problems.append(f"{day}: record seq {seq_covered + 1} of that day is not in the "
                                f"day's digest (written after the day ended, head seq "
                                f"{seq_covered or 'none'})")
            else:
                result.status = "pending"
                result.note = (f"records from seq {seq_covered + 1} came after the digest was "
                               f"written ({final.body.get('generated_at')}); the next one covers them")
        successors = digests.get(next_day(day), [])
        known = {v.sha256 for v in versions}
        for successor in successors:
            if successor.body.get("previous") not in known:
                result.status = "mismatch"
                problems.append(f"{next_day(day)}: the digest (version {successor.version_id}) "
                                f"names a previous digest that is not any stored version of {day}")
    return DigestVerdict(dossier_id, chain, checks, problems)


def _broken(records: list[dict], chain: audit.ChainVerdict) -> str:
    seq = chain.broken_at
    if seq is not None and seq > len(records):
        return f"the chain ends at seq {len(records)} but the dossier's head is another record " \
               f"(records removed from the end)"
    record = records[seq - 1] if seq is not None else {}
    if record.get("seq") != seq:
        return f"record seq {seq} is missing (found seq {record.get('seq')} in its place)"
    return f"record seq {seq} ({record.get('action')}, {record.get('at')}) does not match its hash " \
           f"or its predecessor: it was changed"


def _disagreement(dossier_id: str, day: str, version: StoredDigest,
                  by_seq: Mapping[object, dict]) -> str | None:
    head = (version.body.get("heads") or {}).get(dossier_id)
    if head is None:
        return None                   # a version written before the dossier's first record that day
    record = by_seq.get(head.get("seq"))
    if record is None:
        return (f"{day}: the digest (version {version.version_id}) holds seq {head.get('seq')}, "
                f"which the chain no longer has")
    if record.get("hash") != head.get("hash") or audit.record_hash(record) != head.get("hash"):
        return (f"{day}: the digest (version {version.version_id}) holds seq {head['seq']} with hash "
                f"{str(head.get('hash'))[:16]}…, the chain's record seq {head['seq']} is "
                f"{audit.record_hash(record)[:16]}…: a record up to seq {head['seq']} was rewritten")
    if audit.local_day(record["at"]) != day:
        return f"{day}: the digest holds seq {head['seq']}, which the chain dates {record['at']}"
    return None


def _version_line(version: StoredDigest, dossier_id: str) -> dict:
    return {"version_id": version.version_id, "generated_at": version.body.get("generated_at"),
            "lock_mode": version.lock_mode, "retain_until": version.retain_until,
            "sha256": version.sha256, "head": (version.body.get("heads") or {}).get(dossier_id)}
