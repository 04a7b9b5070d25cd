"""The shape every system step shares (activation, applying specimen changes, closing an
account): do the work once while the dossier is at the step, then answer the token with the
outcome. A redelivered message finds the dossier already ended and only answers again."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows
from ..domain import catalogue
from ..domain.errors import Conflict

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier

log = logging.getLogger(__name__)


def run(message: dict, *, repo: Repository, workflows: Workflows, work: Callable[[Dossier], None],
        outcome: Callable[[Dossier], str]) -> str:
    dossier = repo.dossier(message["dossier_id"])
    if dossier is None:
        raise LookupError(f"dossier of a {message.get('step')} step is missing")
    if dossier.status == catalogue.ACTIVATING:
        work(dossier)
        moved = repo.dossier(dossier.dossier_id)
        if moved is None:   # dossiers are never deleted
            raise LookupError("a dossier vanished during its system step")
        dossier = moved
    elif dossier.status not in catalogue.END_STATUSES:
        raise Conflict("a system step for a dossier not waiting at it", code="not_activating")
    decision = outcome(dossier)
    try:
        workflows.complete(message["token"], {"decision": decision, "timeout_seconds": 1})
    except TaskExpired:
        log.warning("system step token already answered", extra={"dossier_id": dossier.dossier_id})
    return decision
