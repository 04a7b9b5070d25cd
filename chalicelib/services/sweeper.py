"""The sweeper: what was committed but never reached Step Functions is delivered late, by itself.

Every few minutes this job reads the sparse `undelivered` index (a Query, never a Scan) for the
delivery markers (services/delivery.py) older than a grace period, has each delivered again, and
removes the marker, conditionally on its being the one read.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from ..adapters.repository import Repository
from ..adapters.workflow import Workflows, WorkflowUnavailable
from ..config import Config
from . import common, delivery

log = logging.getLogger(__name__)
GRACE = timedelta(minutes=2)   # longer than a request's own retries take to give up
PAGE = 200


def sweep(*, repo: Repository, workflows: Workflows, config: Config, now: datetime,
          grace: timedelta = GRACE) -> dict[str, int]:
    """One pass; returns counts: `started` (executions started late), `redelivered` (decisions
    answered late), `already_taken` (nothing was missing), `failed` (left for the next pass)."""
    counts: Counter = Counter()
    before = common.iso(now - grace)
    while True:
        ids = repo.undelivered(delivery.PARTITION, before, PAGE)
        progressed = False
        for dossier_id in ids:
            dossier = repo.dossier(dossier_id)
            if dossier is None or not dossier.undelivered or (dossier.sweep_since or "") > before:
                continue
            try:
                outcome = delivery.deliver(dossier, repo=repo, workflows=workflows, config=config, now=now)
            except WorkflowUnavailable:
                counts["failed"] += 1
                continue
            counts[outcome] += 1
            progressed |= repo.clear_undelivered(dossier)
            log.info("undelivered workflow call handled",
                     extra={"dossier_id": dossier_id, "outcome": outcome})
        if len(ids) < PAGE or not progressed:
            return dict(counts)
