"""What a request for a deadline extension may ask (domain/extension.py), without any AWS."""
from __future__ import annotations

import pytest

from chalicelib.domain import catalogue, commands, extension
from chalicelib.domain.errors import BadRequest, InvalidField
from workflows import generate

pytestmark = pytest.mark.unit

VALID = {"cause": "it_failure", "reason": "  Hệ thống TABMIS gián đoạn.  ", "working_days": 3}



def parse_extension(body):
    """What a request goes through: the edge's command, then the domain's rules."""
    return extension.parse_extension(commands.parse(commands.Extend, body))

def test_a_request_for_an_it_failure_is_read_with_its_reason_trimmed():
    assert parse_extension(VALID) == extension.ExtensionRequest(
        "it_failure", "Hệ thống TABMIS gián đoạn.", 3)


@pytest.mark.parametrize("change, code, field", [
    ({"cause": None}, "invalid_cause", "cause"),
    ({"cause": "holiday"}, "invalid_cause", "cause"),
    ({"cause": ["it_failure"]}, "invalid_cause", "cause"),
    ({"reason": None}, "reason_required", "reason"),
    ({"reason": "   "}, "reason_required", "reason"),
    ({"reason": "x" * (extension.MAX_REASON + 1)}, "reason_required", "reason"),
    ({"working_days": None}, "invalid_working_days", "working_days"),
    ({"working_days": 0}, "invalid_working_days", "working_days"),
    ({"working_days": extension.MAX_WORKING_DAYS + 1}, "invalid_working_days", "working_days"),
    ({"working_days": "2"}, "invalid_working_days", "working_days"),
    ({"working_days": 1.5}, "invalid_working_days", "working_days"),
    ({"working_days": True}, "invalid_working_days", "working_days"),
])
def test_a_request_outside_the_rule_is_refused_naming_the_field(change, code, field):
    with pytest.raises(InvalidField) as refused:
        parse_extension({**VALID, **change})
    assert (refused.value.status, refused.value.code, refused.value.field) == (422, code, field)


def test_the_longest_reason_and_every_allowed_number_of_days_are_accepted():
    for days in range(1, extension.MAX_WORKING_DAYS + 1):
        assert parse_extension({**VALID, "working_days": days}).working_days == days
    assert parse_extension({**VALID, "reason": "x" * extension.MAX_REASON})


def test_a_body_that_is_not_an_object_is_a_bad_request():
    with pytest.raises(BadRequest) as refused:
        parse_extension([VALID])
    assert refused.value.code == "invalid_type"


def test_the_messages_state_the_limits_the_parser_applies():
    messages = {}
    for change in ({"cause": "x"}, {"reason": ""}, {"working_days": 0}):
        with pytest.raises(InvalidField) as refused:
            parse_extension({**VALID, **change})
        messages[refused.value.field] = refused.value.message
    assert all(c in messages["cause"] for c in extension.CAUSES)
    assert str(extension.MAX_REASON) in messages["reason"]
    assert f"1 đến {extension.MAX_WORKING_DAYS}" in messages["working_days"]


def test_the_workflow_routes_the_extension_decision_back_to_every_extendable_step():
    assert generate.EXTEND == extension.DECISION
    for proc in catalogue.CATALOGUE:
        states = generate.definition(proc)["States"]
        for step in proc.steps:
            if step.extendable:
                (back,) = [c for c in states[f"after {step.name}"]["Choices"]
                           if c["StringEquals"] == extension.DECISION]
                assert back["Next"] == step.name
            # no catalogue decision may take the name the extension uses
            assert step.decision(extension.DECISION) is None


@pytest.mark.parametrize("cause", ["force_majeure", "objective_obstacle"])
def test_art3_cl6_force_majeure_and_an_objective_obstacle_extend_with_their_reason(cause):
    assert parse_extension({**VALID, "cause": cause}) == extension.ExtensionRequest(
        cause, "Hệ thống TABMIS gián đoạn.", 3)


def test_art3_cl6_an_it_failure_is_still_accepted_and_told_as_an_objective_obstacle():
    assert parse_extension(VALID).cause == "it_failure"
    assert extension.cause_text("it_failure").startswith("Trở ngại khách quan")
    assert extension.cause_text("force_majeure") == "Sự kiện bất khả kháng"


@pytest.mark.parametrize("cause", [None, "", "holiday", "staff_shortage", "workload", "FORCE_MAJEURE"])
def test_art3_cl6_a_cause_outside_the_clause_is_refused_naming_cause(cause):
    with pytest.raises(InvalidField) as refused:
        parse_extension({**VALID, "cause": cause})
    assert (refused.value.status, refused.value.code, refused.value.field) == (422, "invalid_cause", "cause")
    assert "khoản 6 Điều 3" in refused.value.message


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_art3_cl6_an_extension_without_a_reason_is_refused(reason):
    with pytest.raises(InvalidField) as refused:
        parse_extension({**VALID, "cause": "force_majeure", "reason": reason})
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
