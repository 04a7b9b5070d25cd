"""One deployable template: `chalice package` output merged with infra/template.json.

    python -m infra.package --stage dev|prod [--out build/<stage>] [--no-lint]

Offline: it needs the package registry (chalice fetches Linux wheels for the Lambda zip) but no
AWS account. It writes build/<stage>/template.json (SAM) and deployment.zip, then runs cfn-lint on
the template. `python -m infra.deploy` ships them.

What the merge does, so the one template is right for AWS as it stands:
  * every resource of infra/template.json (the same definitions the local stack provisions);
  * each Lambda function gets its own role from the call inventory (infra/permissions.py), a
    fixed name, a log group with the stage's retention, the configuration as environment
    variables (the template's Outputs, the names chalicelib/config.py reads) and active tracing;
  * event sources point at the template's queues and streams (Chalice only knows names); a
    stream batch that keeps failing goes to the stream-failure queue;
  * state machine definitions are inlined from workflows/, with tracing on;
  * alarms on every dead-letter queue, every state machine's failed executions, overdue steps and
    function errors, sent to an operations SNS topic.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra import alarms, inventory, permissions

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
STAGES = ("dev", "prod")
LOG_RETENTION_DAYS = {"dev": 14, "prod": 400}   # prod: a year and a month, for the annual audit
STREAM_FAILURE_QUEUE = "StreamFailureQueue"
STREAM_RETRIES = 5


def chalice_package(stage: str, out: Path) -> dict:
    """Run `chalice package` for the stage into `out`; return its SAM template."""
    chalice = Path(sys.executable).with_name("chalice")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(chalice), "package", "--stage", stage, "--pkg-format",  # noqa: S603
                        "cloudformation", "--template-format", "json", tmp],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       # chalice asks for a region; the template itself names none.
                       env={**os.environ, "AWS_DEFAULT_REGION":
                            os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")})
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(tmp) / "deployment.zip", out / "deployment.zip")
        return json.loads((Path(tmp) / "sam.json").read_text(encoding="utf-8"))


def build(stage: str, sam: dict, infra: dict, calls: dict) -> dict:
    """The merged template (pure: no files, no AWS)."""
    sam, infra = copy.deepcopy(sam), copy.deepcopy(infra)
    names = inventory.Names(infra)
    overlap = set(sam["Resources"]) & set(infra["Resources"])
    if overlap:
        raise ValueError(f"resources defined twice: {sorted(overlap)}")
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": sam["Transform"],
        "Description": f"KBNN DVCTT ({stage}): API, workers, workflows, tables, queues",
        "Parameters": infra.get("Parameters", {}),
        "Conditions": infra.get("Conditions", {}),
        "Resources": {**infra["Resources"]},
        "Outputs": {**{_output_name(name): {**spec, "Description": f"${{{name}}} of the functions"}
                       for name, spec in infra.get("Outputs", {}).items()},
                    **sam.get("Outputs", {})},
    }
    template["Parameters"]["Stage"] = {**template["Parameters"]["Stage"], "Default": stage}
    environment = {name: spec["Value"] for name, spec in infra.get("Outputs", {}).items()}
    for logical_id, resource in sam["Resources"].items():
        if logical_id == "DefaultRole":
            continue                      # replaced by one least-privilege role per function
        template["Resources"][logical_id] = resource
        if resource["Type"] == "AWS::Serverless::Function":
            _function(template, logical_id, resource["Properties"], stage=stage, names=names,
                      environment=environment, calls=calls.get(logical_id, {}))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            _state_machine(resource["Properties"])
        if resource["Type"] == "AWS::Serverless::Api":
            resource["Properties"]["TracingEnabled"] = True
        if resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"):
            # Data outlives the stack: deleting or replacing the stack never deletes a record.
            resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain"
    _console_uploads(template)
    alarms.add(template)
    if not template["Conditions"]:
        del template["Conditions"]
    return template


# The headers a presigned upload makes the browser send (adapters/documents.py upload_url).
UPLOAD_HEADERS = ["content-type", "x-amz-checksum-sha256"]


def _console_uploads(template: dict) -> None:
    """The web console, served by the API itself (/console/), PUTs attachments straight to the
    documents bucket at presigned URLs: the bucket lets that one origin do so (CORS), nothing
    else. The origin is the API's own domain, known once chalice's RestAPI is in the template
    (the local stack needs no rule: moto answers CORS for every origin)."""
    template["Resources"]["DocumentsBucket"]["Properties"]["CorsConfiguration"] = {"CorsRules": [{
        "Id": "console-uploads", "AllowedMethods": ["PUT"], "AllowedHeaders": UPLOAD_HEADERS,
        "AllowedOrigins": [{"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}],
        "MaxAge": 600}]}


def _output_name(variable: str) -> str:
    """CloudFormation output names are alphanumeric: TABLE_DOSSIERS -> TableDossiers."""
    return "".join(part.capitalize() for part in variable.split("_"))


def _function(template: dict, logical_id: str, props: dict, *, stage: str,
              names: inventory.Names, environment: dict, calls: dict) -> None:
    queues, streams = [], []
    for event in props.get("Events", {}).values():
        source = event["Properties"]
        if event["Type"] == "SQS":
            queue = names.queues[source["Queue"]["Fn::Sub"].rsplit(":", 1)[-1]]
            source["Queue"] = {"Fn::GetAtt": [queue, "Arn"]}
            queues.append(queue)
        elif event["Type"] == "DynamoDB":
            table = names.tables[source["Stream"].split(":table/", 1)[1].split("/", 1)[0]]
            source["Stream"] = {"Fn::GetAtt": [table, "StreamArn"]}
            # As the local event pump does: retry, split the batch to find the bad record, then
            # park it on the failure queue instead of blocking the shard for a day.
            source.update({"MaximumRetryAttempts": STREAM_RETRIES,
                           "BisectBatchOnFunctionError": True,
                           "DestinationConfig": {"OnFailure": {
                               "Type": "SQS",
                               "Destination": {"Fn::GetAtt": [STREAM_FAILURE_QUEUE, "Arn"]}}}})
            streams.append(table)
    props["FunctionName"] = {"Fn::Sub": permissions.physical_name(logical_id)}
    props["Tracing"] = "Active"
    variables = props.setdefault("Environment", {}).setdefault("Variables", {})
    props["Environment"]["Variables"] = {**environment, **variables}
    role = f"{logical_id}Role"
    props["Role"] = {"Fn::GetAtt": [role, "Arn"]}
    policy = permissions.function_policy(logical_id, calls, template, queues=queues,
                                         streams=streams,
                                         failure_queue=STREAM_FAILURE_QUEUE if streams else None)
    template["Resources"][role] = permissions.role(logical_id, policy)
    template["Resources"][f"{logical_id}LogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"LogGroupName": permissions.log_group_name(logical_id),
                       "RetentionInDays": LOG_RETENTION_DAYS[stage]}}


def _state_machine(props: dict) -> None:
    path = INFRA / props.pop("DefinitionS3Location")
    props["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    props["TracingConfiguration"] = {"Enabled": True}


def lint(path: Path) -> int:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    return subprocess.run([str(cfn_lint), str(path)], check=False).returncode  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=STAGES, default="dev")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-lint", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / args.stage
    sam = chalice_package(args.stage, out)
    infra = json.loads((INFRA / "template.json").read_text(encoding="utf-8"))
    template = build(args.stage, sam, infra, inventory.load())
    path = out / "template.json"
    path.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
          f"({len(template['Resources'])} resources) and deployment.zip")
    if args.no_lint:
        return 0
    status = lint(path)
    print("cfn-lint: clean" if status == 0 else f"cfn-lint: exit {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
