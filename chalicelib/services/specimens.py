"""Change of signature specimens (Decree 347/2025 Art. 8): a unit's certificates become usable
only when its account holder asks for them in a signed dossier and the treasury accepts it
(347/2025 Art.8 cl.2 pt.c: the change takes effect once the treasury approves).

A certificate registered through POST /v1/certificates starts `pending`. That makes the known
fraud — someone with a signer's password registering a key of their own — need the account
holder's signature and the office's acceptance as well, and leaves all of it in the audit trail.
"""
from __future__ import annotations

from datetime import datetime

from ..adapters.models import Account, Dossier
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import catalogue
from ..domain.changes import REMOVE
from ..domain.errors import Conflict, InvalidField
from ..domain.specimens import SpecimenChanges, parse_specimens
from . import certificates, common, system_steps


def check(content: dict, unit_id: str, repo: Repository) -> SpecimenChanges:
    """At submission: every certificate named belongs to this unit and is in the right state."""
    changes = parse_specimens(content.get("specimens"))
    records = repo.certificates([*changes.approve, *(fp for fp, _ in changes.revoke)])
    for i, fp in enumerate(changes.approve):
        record = records.get(fp)
        if record is None or record.holder != f"unit#{unit_id}" or record.status != "pending":
            raise InvalidField("Chứng thư không phải chứng thư chờ duyệt của đơn vị.",
                               code="certificate_not_pending", field=f"content.specimens.approve[{i}]")
    for i, (fp, _) in enumerate(changes.revoke):
        record = records.get(fp)
        if record is None or record.holder != f"unit#{unit_id}" or record.status == "revoked":
            raise InvalidField("Chứng thư không thuộc đơn vị hoặc đã bị thu hồi.",
                               code="certificate_not_revocable",
                               field=f"content.specimens.revoke[{i}].fingerprint")
    for i, (account_id, _) in enumerate(changes.open_accounts):
        if repo.account_owner(account_id) is not None:
            raise Conflict("Số tài khoản đã tồn tại.", code="account_exists",
                           field=f"content.specimens.open_accounts[{i}].account_id")
    return changes


def apply(message: dict, *, repo: Repository, workflows: Workflows, now: datetime) -> str:
    """The system step after acceptance. Idempotent: each change is guarded by its state."""
    return system_steps.run(
        message, repo=repo, workflows=workflows,
        work=lambda d: _apply(d, parse_specimens(repo.body(d).content["specimens"]), repo, now),
        outcome=lambda d: "applied")


def _apply(dossier: Dossier, changes: SpecimenChanges, repo: Repository, now: datetime) -> None:
    at = common.iso(now)
    records = repo.certificates([*changes.approve, *(fp for fp, _ in changes.revoke)])
    approved = [fp for fp in changes.approve
                if fp in records and repo.approve_certificate(records[fp], at)]
    for fp, reason in changes.revoke:
        if fp in records and records[fp].status != "revoked":
            certificates.revoke_record(records[fp], reason, f"dossier {dossier.dossier_id}", repo, now)
    repo.create_accounts([Account(f"ACCOUNT#{a}", account_id=a, unit_id=dossier.unit_id, kind=kind,
                                  balance=0) for a, kind in changes.open_accounts])
    repo.move_dossier(
        dossier,
        {"status": catalogue.REGISTERED, "step": REMOVE, "updated_at": at,
         "result": {"outcome": catalogue.REGISTERED, "applied_at": at, "approved": approved,
                    "revoked": [fp for fp, _ in changes.revoke],
                    "opened_accounts": [a for a, _ in changes.open_accounts]}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": "applied", "step": "apply_changes",
         "from_status": dossier.status, "to_status": catalogue.REGISTERED, "reason": None})
