"""The daily audit digests: write a day's chain heads to S3 under Object Lock, and hold a
dossier's chain against them (domain/digests.py says why; docs/audit-digests.md how).

Run by the scheduled job just after local midnight for the day that ended, and by
`python -m ops.audit digest|verify` for a missed day, the local stack or an auditor.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..domain import audit, digests
from ..domain.calendar import VN_TZ, to_utc_iso

log = logging.getLogger("kbnn.audit_digests")


def write(day: str, *, repo: Any, store: Any, lock_mode: str, retention_years: int,
          now: datetime) -> dict:
    """Digest the local `day`: its heads, chained to the previous day's digest. Writes nothing
    when the latest stored version says the same; a new, separately locked version otherwise."""
    heads = repo.audit_heads(day)
    before, _ = store.versions(digests.previous_day(day))
    if not before:
        log.warning("no digest of %s: the digest of %s starts a new chain of digests",
                    digests.previous_day(day), day)
    fresh = digests.build(day, heads, before[-1].sha256 if before else None, to_utc_iso(now))
    existing, _ = store.versions(day)
    summary = {"day": day, "key": digests.key(day), "count": fresh["count"], "root": fresh["root"],
               "previous": fresh["previous"]}
    if existing and digests.same_content(existing[-1].body, fresh):
        return {**summary, "written": False, "version_id": existing[-1].version_id,
                "versions": len(existing)}
    if existing:
        log.warning("the heads of %s changed since its digest of %s: writing a new version",
                    day, existing[-1].body.get("generated_at"))
    until = digests.retain_until(now, retention_years)
    version_id = store.put(day, digests.encode(fresh), lock_mode=lock_mode, retain_until=until)
    return {**summary, "written": True, "version_id": version_id, "versions": len(existing) + 1,
            "lock_mode": lock_mode, "retain_until": to_utc_iso(until)}


def write_day_before(now: datetime, *, repo: Any, store: Any, config: Any) -> dict:
    """The scheduled job: digest the local day that has just ended."""
    return write(digests.day_before(now), repo=repo, store=store,
                 lock_mode=config.audit_digest_lock_mode,
                 retention_years=config.audit_digest_retention_years, now=now)


def verify(dossier_id: str, *, repo: Any, store: Any, now: datetime) -> digests.DigestVerdict:
    """The dossier's chain recomputed and held against the digest of every day it changed on."""
    records = repo.audit_records(dossier_id)
    dossier = repo.dossier(dossier_id)
    days = {audit.local_day(r["at"]) for r in records if r.get("at")}
    stored: dict[str, list[digests.StoredDigest]] = {}
    hidden: list[str] = []
    for day in sorted(days | {digests.next_day(d) for d in days}):
        stored[day], deleted = store.versions(day)
        if deleted:
            hidden.append(day)
    verdict = digests.check(dossier_id, records, stored, today=now.astimezone(VN_TZ).date().isoformat(),
                            expected_head=dossier.audit_head if dossier is not None else None)
    if dossier is None:
        verdict.problems.insert(0, "no such dossier" if not records
                                else "the dossier is gone but its audit records remain")
    verdict.problems += [f"{day}: a delete marker hides the digest (its locked versions remain)"
                         for day in hidden]
    return verdict
