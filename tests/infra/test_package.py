"""The deployable template: `make package` for both stages, cfn-lint clean, and least privilege
proved on the roles it contains (each function's policy is its call inventory plus what Lambda
does for it, no "*" but where AWS requires it, no way to change the audit trail)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import alarms, inventory, package, permissions

pytestmark = pytest.mark.package
INFRA = json.loads((package.INFRA / "template.json").read_text(encoding="utf-8"))
CALLS = inventory.load()


@pytest.fixture(scope="module", params=package.STAGES)
def packaged(request, tmp_path_factory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp(request.param)
    # What `make package STAGE=<stage>` runs: chalice package, the merge, then cfn-lint.
    assert package.main(["--stage", request.param, "--out", str(out)]) == 0, "cfn-lint failed"
    assert (out / "deployment.zip").stat().st_size > 0
    return request.param, json.loads((out / "template.json").read_text(encoding="utf-8"))


def _functions(template: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def _policy(template: dict, function: str) -> list[dict]:
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = template["Resources"][role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_each_function_has_a_role_of_its_own_and_chalices_default_role_is_gone(packaged):
    _, template = packaged
    functions = _functions(template)
    assert "APIHandler" in functions and len(functions) > 10
    roles = [f["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert len(set(roles)) == len(roles)
    assert "DefaultRole" not in template["Resources"]


def test_every_function_is_in_the_call_inventory_and_nothing_else_is(packaged):
    # A function the tests never invoke would get a role that can do nothing in AWS.
    _, template = packaged
    assert set(_functions(template)) == set(CALLS)


def test_no_action_or_resource_is_a_wildcard_except_where_aws_requires_it(packaged):
    _, template = packaged
    roles = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
    for role in roles:
        for policy in template["Resources"][role]["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = _as_list(statement["Action"])
                assert all("*" not in a for a in actions), (role, actions)
                if "*" in _as_list(statement["Resource"]):
                    assert set(actions) <= permissions.UNSCOPED_ACTIONS | {
                        "xray:GetSamplingRules", "xray:GetSamplingTargets"}, (role, actions)


def test_each_functions_policy_allows_exactly_its_inventoried_calls_and_lambdas_own(packaged):
    _, template = packaged
    for function, props in _functions(template).items():
        allowed = {(a, json.dumps(r, sort_keys=True))
                   for s in _policy(template, function) if s["Effect"] == "Allow"
                   for a in _as_list(s["Action"]) for r in _as_list(s["Resource"])}
        expected = {(a, json.dumps(permissions.arn(r, template), sort_keys=True))
                    for a, resources in CALLS.get(function, {}).items() for r in resources}
        for event in props.get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = json.dumps(event["Properties"]["Queue"], sort_keys=True)
                expected |= {(a, queue) for a in permissions.QUEUE_CONSUMER}
            if event["Type"] == "DynamoDB":
                stream = json.dumps(event["Properties"]["Stream"], sort_keys=True)
                failures = event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
                expected |= {(a, stream) for a in permissions.STREAM_CONSUMER}
                expected |= {("dynamodb:ListStreams", '"*"'),
                             ("sqs:SendMessage", json.dumps(failures, sort_keys=True))}
        expected |= {(a, '"*"') for a in permissions.TRACING}
        log_group = json.dumps({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:"
                                "${AWS::AccountId}:log-group:/aws/lambda/"
                                f"kbnn-${{Stage}}-{function}:*"}, sort_keys=True)
        expected |= {("logs:CreateLogStream", log_group), ("logs:PutLogEvents", log_group)}
        assert allowed == expected, function


def test_every_role_denies_changing_or_deleting_an_audit_record(packaged):
    _, template = packaged
    audit = json.dumps({"Fn::GetAtt": ["AuditTable", "Arn"]}, sort_keys=True)
    for function in _functions(template):
        denied = {(a, json.dumps(r, sort_keys=True)) for s in _policy(template, function)
                  if s["Effect"] == "Deny"
                  for a in _as_list(s["Action"]) for r in _as_list(s["Resource"])}
        assert {("dynamodb:UpdateItem", audit), ("dynamodb:DeleteItem", audit)} <= denied
    for function, actions in CALLS.items():
        for action, resources in actions.items():
            if action in permissions.AUDIT_FORBIDDEN:
                assert permissions.AUDIT_TABLE not in resources, (function, action)


def test_event_sources_are_the_templates_queues_and_streams(packaged):
    _, template = packaged
    resources = template["Resources"]
    for props in _functions(template).values():
        for event in props.get("Events", {}).values():
            if event["Type"] not in ("SQS", "DynamoDB"):
                continue                 # schedules
            source = event["Properties"]
            target = source.get("Queue") or source.get("Stream")
            logical_id, attribute = target["Fn::GetAtt"]
            expected = "AWS::SQS::Queue" if event["Type"] == "SQS" else "AWS::DynamoDB::Table"
            assert resources[logical_id]["Type"] == expected
            assert attribute == ("Arn" if event["Type"] == "SQS" else "StreamArn")


def test_every_function_is_configured_traced_and_logged_for_its_stage(packaged):
    stage, template = packaged
    from chalicelib import config
    for function, props in _functions(template).items():
        assert set(config._NAMES.values()) <= set(props["Environment"]["Variables"])
        assert props["Environment"]["Variables"]["KBNN_STAGE"] == stage
        assert props["Tracing"] == "Active"
        log_group = template["Resources"][f"{function}LogGroup"]["Properties"]
        assert log_group["RetentionInDays"] == package.LOG_RETENTION_DAYS[stage]
    assert template["Parameters"]["Stage"]["Default"] == stage


def test_state_machines_are_inlined_traced_and_alarmed(packaged):
    _, template = packaged
    resources = template["Resources"]
    machines = [k for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) == len([r for r in INFRA["Resources"].values()
                                 if r["Type"] == "AWS::StepFunctions::StateMachine"])
    for machine in machines:
        props = resources[machine]["Properties"]
        assert "DefinitionS3Location" not in props and props["Definition"]["States"]
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert resources[f"{machine}ExecutionsFailedAlarm"]["Properties"]["Dimensions"] == [
            {"Name": "StateMachineArn", "Value": {"Ref": machine}}]


def test_every_dead_letter_queue_and_overdue_steps_raise_an_alarm(packaged):
    _, template = packaged
    resources = template["Resources"]
    dead_letter = [k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"
                   and alarms.is_dead_letter_queue(r["Properties"])]
    redrive_targets = {r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                       for r in resources.values() if r["Type"] == "AWS::SQS::Queue"
                       and "RedrivePolicy" in r["Properties"]}
    assert redrive_targets <= set(dead_letter) and "StreamFailureQueue" in dead_letter
    for queue in dead_letter:
        alarm = resources[f"{queue}Alarm"]["Properties"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["AlarmActions"] == [{"Ref": alarms.TOPIC}]
    overdue = resources["OverdueStepsAlarm"]["Properties"]
    assert (overdue["Namespace"], overdue["MetricName"]) == ("KBNN/DVC", "SlaBreaches")


def test_the_documents_bucket_takes_the_consoles_uploads_from_the_apis_own_domain_only(packaged):
    _, template = packaged
    assert "RestAPI" in template["Resources"]
    (rule,) = template["Resources"]["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedOrigins"] == [
        {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}]
    from types import SimpleNamespace

    from chalicelib.adapters.documents import DocumentStore

    class Unsigned(DocumentStore):   # the headers an upload needs, without signing a URL
        _s3 = SimpleNamespace(generate_presigned_url=lambda *args, **kwargs: "url")
    _, headers = Unsigned("bucket", "ap-southeast-1").upload_url("1012345", "ab" * 32, "application/pdf")
    assert sorted(h.lower() for h in headers) == sorted(rule["AllowedHeaders"])


def test_the_deploy_command_dry_run_packages_and_names_the_stack(tmp_path: Path, capsys):
    from infra import deploy
    assert deploy.main(["--stage", "prod", "--artifact-bucket", "kbnn-artifacts-example",
                        "--out", str(tmp_path), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "cfn-lint: clean" in printed and "stack kbnn-dvc-prod" in printed
    assert "Stage=prod" in printed
