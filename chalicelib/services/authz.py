"""Applying the policy table (domain/policy.py) to a request: one place turns its verdicts into
errors, so every route answers the same way."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain import policy
from ..domain.errors import Forbidden, NotFound


def require(principal: Principal, action: str) -> None:
    """Before any read: may one of the caller's roles do this at all? Reveals nothing."""
    if not policy.may_at_all(principal, action):
        raise Forbidden("Vai trò của bạn không được thực hiện thao tác này.", code="role_not_allowed")
    if not policy.profile_complete(principal):
        # A unit role without a unit (or an office role without an office) is a broken account,
        # not a reason to guess a scope.
        raise Forbidden("Tài khoản chưa được gắn với đơn vị hoặc đơn vị KBNN.",
                        code="incomplete_profile")


def authorize(principal: Principal, action: str, resource: policy.Resource, repo: Repository, *,
              not_found: NotFound | None = None, forbidden: Forbidden | None = None) -> None:
    """Is this resource within the caller's grant? Out of scope is a 404 (`not_found`) unless the
    caller passes `forbidden` for actions where saying so reveals nothing (deciding a task)."""
    verdict = policy.check(principal, action, resource, parent_of=repo.office_parent)
    if verdict is policy.Verdict.NO_ROLE:
        require(principal, action)
    if verdict is policy.Verdict.OUT_OF_SCOPE:
        raise forbidden or not_found or NotFound()
