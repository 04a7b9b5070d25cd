"""The Step Functions definitions: generated from the catalogue, structurally sound, and wired
to the infra template."""
import json
import re
from pathlib import Path

import pytest

from chalicelib.domain.catalogue import CATALOGUE
from workflows import generate

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infra" / "template.json").read_text())


@pytest.mark.parametrize("proc", CATALOGUE, ids=lambda p: p.workflow_name)
def test_committed_definition_matches_the_catalogue(proc):
    assert generate.path_for(proc).read_text(encoding="utf-8") == generate.render(proc), \
        "run `make workflows` and commit the result"


@pytest.mark.parametrize("proc", CATALOGUE, ids=lambda p: p.workflow_name)
def test_every_transition_target_exists_and_every_state_is_reachable(proc):
    states = generate.definition(proc)["States"]
    targets = {proc.first_step}
    for state in states.values():
        targets |= {state[k] for k in ("Next", "Default") if k in state}
        targets |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
    assert targets <= set(states), targets - set(states)
    assert set(states) - targets == set()


@pytest.mark.parametrize("proc", CATALOGUE, ids=lambda p: p.workflow_name)
def test_every_token_task_has_a_timeout_and_catches_it(proc):
    for name, state in generate.definition(proc)["States"].items():
        if state.get("Resource", "").endswith(".waitForTaskToken"):
            assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, name
            assert any("States.Timeout" in c["ErrorEquals"] for c in state["Catch"]), name


@pytest.mark.parametrize("proc", CATALOGUE, ids=lambda p: p.workflow_name)
def test_placeholders_are_exactly_the_substitutions_the_template_provides(proc):
    text = generate.render(proc)
    used = set(re.findall(r"\$\{(\w+)\}", text))
    machines = [r for r in TEMPLATE["Resources"].values()
                if r["Type"] == "AWS::StepFunctions::StateMachine"
                and r["Properties"]["StateMachineName"] == f"kbnn-{proc.workflow_name}"]
    assert len(machines) == 1, "each procedure version needs its state machine in the template"
    props = machines[0]["Properties"]
    assert set(props["DefinitionSubstitutions"]) == used
    assert props["DefinitionS3Location"].endswith(generate.path_for(proc).name)


def test_every_decision_in_the_catalogue_is_routed_or_ends_the_execution():
    for proc in CATALOGUE:
        states = generate.definition(proc)["States"]
        for step in proc.steps:
            if generate.ends_execution(step):
                assert states[step.name].get("End") is True
                assert f"after {step.name}" not in states
                continue
            routed = {c["StringEquals"] for c in states[f"after {step.name}"]["Choices"]}
            assert routed - {generate.EXTEND} == {d.name for d in step.decisions}


def test_the_template_holds_exactly_the_catalogues_state_machines():
    machines = {name: r for name, r in TEMPLATE["Resources"].items()
                if r["Type"] == "AWS::StepFunctions::StateMachine"}
    assert machines == generate.state_machine_resources(), "run `make workflows`"


def test_an_extension_sends_an_office_step_back_to_wait_and_nothing_else_can_be_extended():
    for proc in CATALOGUE:
        states = generate.definition(proc)["States"]
        for step in proc.steps:
            if generate.ends_execution(step):
                continue
            rules = {c["StringEquals"]: c["Next"] for c in states[f"after {step.name}"]["Choices"]}
            if step.scope == "office" and not step.is_system:
                assert rules[generate.EXTEND] == step.name
            else:
                assert generate.EXTEND not in rules
