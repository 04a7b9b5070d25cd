"""Who may do what, and where: the role × action × scope table every route goes through.

Roles are Cognito groups. A scope says which resources a role's grant covers: the caller's own
unit, own office, own office and the offices under it (leaders read down the hierarchy but decide
only for their own office), or only the caller's own records. `check()` answers with the first
grant that covers the resource; the caller turns "no role may" into 403 and "not in your scope"
into 403 or 404 (reads answer 404 so an error never confirms another unit's record exists).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from .catalogue import CONTROL_OFFICER, LEADER, UNIT_ROLES

UNIT_SOFTWARE = "unit_software"   # a unit's accounting software: its own credentials, one unit
PORTAL = "portal"                 # the National Public Service Portal: a machine client
ROLES = (*UNIT_ROLES, UNIT_SOFTWARE, CONTROL_OFFICER, LEADER, PORTAL)
SIGNING_TITLES = ("chief_accountant", "account_holder", CONTROL_OFFICER, LEADER)


class Scope(StrEnum):
    OWN_UNIT = "own_unit"
    OWN_OFFICE = "own_office"
    OFFICE_TREE = "office_tree"
    SELF = "self"
    ALL = "all"                   # the whole service: the portal's feed of every office


_unit_people = {r: Scope.OWN_UNIT for r in UNIT_ROLES}
_unit_all = {**_unit_people, UNIT_SOFTWARE: Scope.OWN_UNIT}
_treasury_read = {CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OFFICE_TREE}

POLICY: dict[str, dict[str, Scope]] = {
    "me.read":              {r: Scope.SELF for r in ROLES if r != PORTAL},
    "dossier.submit":       dict(_unit_all),
    "dossier.supplement":   dict(_unit_all),
    # Reading an exported payee list into lines (nothing stored): whoever may submit for the unit.
    "payee_list.import":    dict(_unit_all),
    "document.upload":      dict(_unit_all),
    "dossier.read":         {**_unit_all, **_treasury_read},
    "dossier.list":         {**_unit_all, **_treasury_read},
    "dossier.audit":        {**_unit_all, **_treasury_read},
    "account.read":         dict(_unit_all),
    "task.list":            {**_unit_all, CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    "task.decide":          {CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    "dossier.delay_reason": {CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    "dossier.extend":       {LEADER: Scope.OWN_OFFICE},
    "report.overdue":       dict(_treasury_read),
    "report.figures":       dict(_treasury_read),
    "report.paper_vouchers": {CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    "office.mandatory_units": {LEADER: Scope.OWN_OFFICE},
    "portal.status":        {PORTAL: Scope.ALL},
    "office.calendar":      {LEADER: Scope.OWN_OFFICE},
    "certificate.register": {"chief_accountant": Scope.SELF, "account_holder": Scope.SELF,
                             CONTROL_OFFICER: Scope.SELF, LEADER: Scope.SELF},
    "certificate.list":     {**_unit_people, **_treasury_read},
    "certificate.revoke":   {"chief_accountant": Scope.SELF, "account_holder": Scope.OWN_UNIT,
                             "unit_accountant": Scope.SELF,
                             CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    # Balance reconciliation statements: the unit answers (signed by its chief accountant and
    # account holder); a control officer of the statement's office resolves a dispute.
    "statement.list":       {**_unit_all, **_treasury_read},
    "statement.read":       {**_unit_all, **_treasury_read},
    "statement.reply":      dict(_unit_all),
    "statement.resolve":    {CONTROL_OFFICER: Scope.OWN_OFFICE},
    "report.reconciliation": dict(_treasury_read),
    # Risk warnings: the flags raised on a unit's submissions, and one's own alert subscriptions
    # (a unit's signers to its topic, officers and leaders to their office's).
    "alert.list":           {**_unit_people, **_treasury_read},
    # The advance register (347/2025 Art.6 cl.2 pt.e): the unit's own, its office's units.
    "advance.list":         {**_unit_all, **_treasury_read},
    "alert.subscribe":      {"chief_accountant": Scope.SELF, "account_holder": Scope.SELF,
                             CONTROL_OFFICER: Scope.SELF, LEADER: Scope.SELF},
    # Utility auto-pay (347/2025 Art.6 cl.3 pt.a): the unit reads its authorisations and their
    # bills; only its account holder, who signs the letter for the account, withdraws one.
    "autopay.read":         dict(_unit_all),
    "autopay.revoke":       {"account_holder": Scope.OWN_UNIT},
    # The project register of investment payments (254/2025 Art.6 cl.4-5, Art.7 cl.3): the
    # office that records the plans in TABMIS writes it; the owner unit and the office read it.
    "project.manage":       {CONTROL_OFFICER: Scope.OWN_OFFICE, LEADER: Scope.OWN_OFFICE},
    "project.read":         {**_unit_all, **_treasury_read},
}
# A machine client may submit and read for its unit but never decide or touch signers.
assert all(UNIT_SOFTWARE not in POLICY[a] for a in ("task.decide", "certificate.register",
                                                    "certificate.revoke", "statement.resolve"))
# The portal reads the status feed and nothing else.
assert [action for action, grants in POLICY.items() if PORTAL in grants] == ["portal.status"]


class Caller(Protocol):
    """Who asks (read-only: a frozen Principal, or any object with these attributes)."""
    @property
    def sub(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def unit_id(self) -> str | None: ...
    @property
    def office_id(self) -> str | None: ...


@dataclass(frozen=True)
class Resource:
    unit_id: str | None = None
    office_id: str | None = None
    owner_sub: str | None = None


class Verdict(StrEnum):
    ALLOWED = "allowed"
    NO_ROLE = "no_role"          # none of the caller's roles may do this anywhere
    OUT_OF_SCOPE = "out_of_scope"  # a role may, but not for this resource


def profile_complete(caller: Caller) -> bool:
    unit_roles = caller.roles & {*UNIT_ROLES, UNIT_SOFTWARE}
    office_roles = caller.roles & {CONTROL_OFFICER, LEADER}
    return (not unit_roles or caller.unit_id is not None) and \
        (not office_roles or caller.office_id is not None)


def may_at_all(caller: Caller, action: str) -> bool:
    return bool(caller.roles & POLICY[action].keys())


def check(caller: Caller, action: str, resource: Resource,
          parent_of: Callable[[str], str | None] = lambda _: None) -> Verdict:
    grants = [scope for role, scope in POLICY[action].items() if role in caller.roles]
    if not grants:
        return Verdict.NO_ROLE
    for scope in grants:
        if _covers(scope, caller, resource, parent_of):
            return Verdict.ALLOWED
    return Verdict.OUT_OF_SCOPE


def _covers(scope: Scope, caller: Caller, resource: Resource,
            parent_of: Callable[[str], str | None]) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.SELF:
        return resource.owner_sub is None or resource.owner_sub == caller.sub
    if scope is Scope.OWN_UNIT:
        return caller.unit_id is not None and caller.unit_id == resource.unit_id
    if scope is Scope.OWN_OFFICE:
        return caller.office_id is not None and caller.office_id == resource.office_id
    office, seen = resource.office_id, set()
    while office is not None and office not in seen:  # walk up: the caller's office or above it
        if office == caller.office_id:
            return True
        seen.add(office)
        office = parent_of(office)
    return False
