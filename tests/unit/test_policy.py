"""The policy function reads the table as intended: scopes, hierarchy, self, no role."""
from dataclasses import dataclass

import pytest

from chalicelib.domain import policy
from chalicelib.domain.policy import Resource, Verdict

pytestmark = pytest.mark.unit
PARENTS = {"KV1-CG": "KV1", "KV1": "KBNN", "KV2": "KBNN", "KBNN": None}


@dataclass(frozen=True)
class Who:
    sub: str
    roles: frozenset
    unit_id: str | None = None
    office_id: str | None = None


def check(who, action, resource):
    return policy.check(who, action, resource, parent_of=PARENTS.get)


ACCOUNTANT = Who("s1", frozenset({"unit_accountant"}), unit_id="1012345")
SOFTWARE = Who("s2", frozenset({"unit_software"}), unit_id="1012345")
OFFICER = Who("s3", frozenset({"control_officer"}), office_id="KV1")
LEADER = Who("s4", frozenset({"leader"}), office_id="KV1")
A_DOSSIER = Resource(unit_id="1012345", office_id="KV1")
DISTRICT_DOSSIER = Resource(unit_id="1045678", office_id="KV1-CG")


def test_a_unit_user_reads_its_own_units_dossier_only():
    assert check(ACCOUNTANT, "dossier.read", A_DOSSIER) is Verdict.ALLOWED
    assert check(ACCOUNTANT, "dossier.read", Resource(unit_id="1034567", office_id="KV2")) \
        is Verdict.OUT_OF_SCOPE


def test_a_leader_reads_down_the_hierarchy_but_decides_only_at_home():
    assert check(LEADER, "dossier.read", DISTRICT_DOSSIER) is Verdict.ALLOWED
    assert check(LEADER, "task.decide", Resource(office_id="KV1-CG")) is Verdict.OUT_OF_SCOPE
    assert check(LEADER, "task.decide", Resource(office_id="KV1")) is Verdict.ALLOWED


def test_a_control_officer_does_not_read_the_office_below():
    assert check(OFFICER, "dossier.read", DISTRICT_DOSSIER) is Verdict.OUT_OF_SCOPE


def test_accounting_software_has_no_role_for_decisions_or_certificates():
    for action in ("task.decide", "certificate.register", "certificate.revoke", "certificate.list"):
        assert check(SOFTWARE, action, A_DOSSIER) is Verdict.NO_ROLE
    assert check(SOFTWARE, "dossier.submit", A_DOSSIER) is Verdict.ALLOWED


def test_self_scope_covers_only_the_callers_own_records():
    assert check(ACCOUNTANT, "certificate.revoke", Resource(unit_id="1012345", owner_sub="s1")) \
        is Verdict.ALLOWED
    assert check(ACCOUNTANT, "certificate.revoke", Resource(unit_id="1012345", owner_sub="x")) \
        is Verdict.OUT_OF_SCOPE


def test_a_cycle_in_the_office_hierarchy_cannot_hang_the_check():
    loop = {"A": "B", "B": "A"}
    assert policy.check(LEADER, "dossier.read", Resource(office_id="A"), parent_of=loop.get) \
        is Verdict.OUT_OF_SCOPE
