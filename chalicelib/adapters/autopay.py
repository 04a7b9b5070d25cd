"""The auto-pay records and the one transaction that decides a bill (347/2025 Art.6 cl.3 pt.a:
the treasury debits the unit per bill while the authorisation is in force).

A bill is decided once: its record is put with `attribute_not_exists` in the same transaction
that debits the account (guarded by the account's version) and adds the bill to its
authorisation (guarded by the authorisation still being in force, so a revocation committed
first refuses it). A cancelled transaction is reported as which guard failed; the service
re-reads and decides again.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.autopay import IN_FORCE, REVOKED
from ..domain.changes import REMOVE
from . import aws, dynamo
from .models import Account, AutopayAuthorisation, AutopayBill, AutopayIndex


@dataclass(frozen=True)
class Outcome:
    committed: bool
    bill_existed: bool = False


class AutopayStore:
    """Built lazily (first use), with its own connection for the transaction: the models are
    bound to their tables by the composition root before any call reaches here."""
    def __init__(self, region: str) -> None:
        self._region = region
        self._connection: Connection | None = None

    @property
    def _conn(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(region=self._region, max_retry_attempts=3)
            aws.instrument(self._connection.client)
        return self._connection

    def authorisation(self, authorisation_id: str) -> AutopayAuthorisation | None:
        return dynamo.get_or_none(AutopayAuthorisation, AutopayAuthorisation.key(authorisation_id),
                                  consistent=True)

    def authorisations_of(self, unit_id: str) -> list[AutopayAuthorisation]:
        index = dynamo.get_or_none(AutopayIndex, f"AUTOPAYS#{unit_id}", consistent=True)
        ids = sorted(index.authorisation_ids or (), reverse=True) if index else []
        keys = [AutopayAuthorisation.key(i) for i in ids]
        found = {a.authorisation_id: a for a in AutopayAuthorisation.batch_get(keys)} if keys else {}
        return [found[i] for i in ids if i in found]

    def bill(self, bill_key: str) -> AutopayBill | None:
        return dynamo.get_or_none(AutopayBill, AutopayBill.key(bill_key), consistent=True)

    def bills(self, bill_keys: list[str]) -> list[AutopayBill]:
        keys = [AutopayBill.key(k) for k in bill_keys]
        return list(AutopayBill.batch_get(keys)) if keys else []

    def index(self, unit_id: str, authorisation_id: str) -> None:
        """List the authorisation under its unit (idempotent: a set)."""
        AutopayIndex(f"AUTOPAYS#{unit_id}").update(
            actions=[AutopayIndex.authorisation_ids.add({authorisation_id})])

    def revoke(self, authorisation_id: str, by: str, at: str, reason: str | None) -> bool:
        """In force -> revoked, once; False if it was not in force."""
        item = AutopayAuthorisation(AutopayAuthorisation.key(authorisation_id))
        changes = {"status": REVOKED, "revoked_at": at, "revoked_by": by,
                   **({"revocation_reason": reason} if reason else {})}
        return dynamo.update_if(item, changes, AutopayAuthorisation.status == IN_FORCE)

    def decide(self, bill: AutopayBill, *, account: Account | None, account_changes: dict,
               authorisation_exists: bool) -> Outcome:
        """Write the decided bill; with `account`, debit it in the same transaction and require
        the authorisation to be still in force."""
        try:
            with TransactWrite(connection=self._conn) as tx:
                tx.save(bill, condition=AutopayBill.pk.does_not_exist())
                if authorisation_exists:
                    auth = AutopayAuthorisation(AutopayAuthorisation.key(bill.authorisation_id))
                    tx.update(auth, actions=[AutopayAuthorisation.bill_keys.add(
                        {bill.pk.removeprefix("AUTOPAYBILL#")})],
                        condition=(AutopayAuthorisation.status == IN_FORCE) if account is not None
                        else AutopayAuthorisation.pk.exists())
                if account is not None:
                    tx.update(account, actions=dynamo.actions(Account, account_changes))
        except TransactWriteError as exc:
            if dynamo.cancelled_on(exc, 0):
                return Outcome(False, bill_existed=True)
            if exc.cancellation_reasons:   # a guard moved (account version, revocation): again
                return Outcome(False)
            raise
        return Outcome(True)

    def claim_notice(self, bill: AutopayBill, at: str) -> bool:
        """Whether this delivery is the one to tell the unit (the first to claim it)."""
        return dynamo.update_if(bill, {"notified_at": at}, AutopayBill.notified_at.does_not_exist())

    def release_notice(self, bill: AutopayBill) -> None:
        """The notice was not sent after all: let the redelivery send it."""
        dynamo.update_if(bill, {"notified_at": REMOVE})
