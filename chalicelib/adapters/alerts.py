"""The alerts table: risk flags, the small per-unit statistics the anomaly rules read, and who
subscribed which endpoint to a risk-warning topic.

Every read is a GetItem or a Query of one partition (a unit's or an office's flags through their
index); nothing scans. The statistics are kept from `payment.posted` events: the unit's last paid
amounts (one item, optimistic version, redeliveries recognised by the dossier id) and one item per
payee it has been paid to. The burst counter is a set of dossier ids per unit and fixed window, so
the same submission counted twice is counted once.
"""
from __future__ import annotations

import time
from datetime import datetime

from pynamodb.exceptions import DeleteError, PutError

from ..domain.calendar import to_utc_iso
from ..domain.changes import Add
from ..domain.risk import AMOUNT_SAMPLE
from . import dynamo
from .dynamo import Page
from .models import (
    AdvanceDue,
    AlertSubscription,
    BurstWindow,
    KnownPayee,
    Office,
    PaidAmounts,
    RiskFlag,
    SubscriptionOwner,
)

OFFICE_CACHE_SECONDS = 300
ATTEMPTS = 5


class AlertStore:
    def __init__(self) -> None:
        self._offices: dict[str, tuple[float, str | None]] = {}

    def office_name(self, office_id: str) -> str | None:
        """The office's name for letters (cached: it changes rarely)."""
        hit = self._offices.get(office_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        office = dynamo.get_or_none(Office, f"OFFICE#{office_id}")
        name = office.name if office is not None else None
        self._offices[office_id] = (time.monotonic() + OFFICE_CACHE_SECONDS, name)
        return name

    # --- statistics ------------------------------------------------------------------------
    def recent_paid(self, unit_id: str) -> list[int]:
        item = dynamo.get_or_none(PaidAmounts, f"STATS#{unit_id}", "paid_amounts")
        return [int(amount) for _, amount in (item.recent if item else [])]

    def record_paid(self, unit_id: str, dossier_id: str, amount: int) -> None:
        """Append a paid amount (keeping the last AMOUNT_SAMPLE); a dossier already counted is
        not counted again. Concurrent payments of one unit are serialised by the item's version."""
        for _ in range(ATTEMPTS):
            item = dynamo.get_or_none(PaidAmounts, f"STATS#{unit_id}", "paid_amounts", consistent=True) \
                or PaidAmounts(f"STATS#{unit_id}", "paid_amounts", recent=[])
            if any(d == dossier_id for d, _ in item.recent):
                return
            item.recent = [*item.recent, [dossier_id, int(amount)]][-AMOUNT_SAMPLE:]
            try:
                item.save()
                return
            except PutError as exc:
                if not dynamo.is_condition_failure(exc):
                    raise
        # Background work only: the queue redelivers the event and it is tried again.
        raise RuntimeError("the unit's paid amounts kept losing races")

    def payee_known(self, unit_id: str, key: str) -> bool:
        return dynamo.get_or_none(KnownPayee, f"PAYEES#{unit_id}", key) is not None

    def record_payee(self, unit_id: str, key: str, dossier_id: str, at: datetime) -> None:
        """Remember the first payment to a payee (a later one leaves the first in place)."""
        dynamo.put_once(KnownPayee(f"PAYEES#{unit_id}", key, first_dossier_id=dossier_id,
                                   first_paid_at=to_utc_iso(at)), KnownPayee.pk)

    def count_submission(self, unit_id: str, window_start: datetime, dossier_id: str,
                         expires: datetime) -> int:
        """Add the dossier to the unit's window (atomically) and answer how many it holds."""
        item = BurstWindow(f"BURST#{unit_id}", to_utc_iso(window_start))
        item.update(actions=dynamo.actions(BurstWindow, {"dossiers": Add({dossier_id}),
                                                         "expires_at": expires}))
        return len(item.dossiers or ())

    # --- flags -----------------------------------------------------------------------------
    def save_flag(self, flag: RiskFlag) -> None:
        flag.save()     # keyed by the submission's event and the rule: a retry rewrites the same

    def flags_of(self, dossier_id: str, prefix: str = "") -> list[RiskFlag]:
        condition = RiskFlag.sk.startswith(prefix) if prefix else None
        return list(RiskFlag.query(f"FLAG#{dossier_id}", range_key_condition=condition,
                                   consistent_read=True))

    def flags(self, scope_attr: str, scope_id: str, *, rule: str | None, dossier_id: str | None,
              limit: int, cursor: str | None) -> Page:
        index = RiskFlag.by_unit if scope_attr == "unit_id" else RiskFlag.by_office
        return dynamo.scoped_page(index, scope_attr, scope_id, limit=limit, cursor=cursor,
                           filters=[(RiskFlag.rule, rule), (RiskFlag.dossier_id, dossier_id)])

    # --- advances waiting for their adjustment period to end ------------------------------
    def watch_advance(self, period_end: str, dossier_id: str, unit_id: str, office_id: str) -> None:
        AdvanceDue(f"ADVDUE#{period_end}", dossier_id, unit_id=unit_id, office_id=office_id).save()

    def advances_due(self, period_end: str) -> list[AdvanceDue]:
        return list(AdvanceDue.query(f"ADVDUE#{period_end}", consistent_read=True))

    def forget_advance(self, item: AdvanceDue) -> None:
        item.delete()

    # --- subscriptions -----------------------------------------------------------------------
    def subscriptions(self, owner_sub: str) -> list[AlertSubscription]:
        return list(AlertSubscription.query(f"SUBSCRIBER#{owner_sub}", consistent_read=True))

    def subscription(self, owner_sub: str, subscription_id: str) -> AlertSubscription | None:
        return dynamo.get_or_none(AlertSubscription, f"SUBSCRIBER#{owner_sub}", subscription_id,
                                  consistent=True)

    def claim_subscription(self, subscription_id: str, owner_sub: str) -> bool:
        """Record who owns an SNS subscription; False if it is someone else's."""
        owner = SubscriptionOwner(f"SUBSCRIPTION#{subscription_id}", "owner", owner_sub=owner_sub)
        try:
            owner.save(condition=SubscriptionOwner.pk.does_not_exist()
                       | (SubscriptionOwner.owner_sub == owner_sub))
        except PutError as exc:
            if dynamo.is_condition_failure(exc):
                return False
            raise
        return True

    def save_subscription(self, item: AlertSubscription) -> None:
        item.save()

    def delete_subscription(self, item: AlertSubscription) -> None:
        item.delete()
        try:
            SubscriptionOwner(f"SUBSCRIPTION#{item.sk}", "owner").delete(
                condition=SubscriptionOwner.owner_sub == item.pk.removeprefix("SUBSCRIBER#"))
        except DeleteError as exc:   # another owner's claim stays
            if not dynamo.is_condition_failure(exc):
                raise
