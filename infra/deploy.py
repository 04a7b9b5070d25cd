"""Deploy a stage to the AWS account of the current credentials, through a change set.

    python -m infra.deploy --stage prod --artifact-bucket BUCKET [--alarm-email ADDR]
                           [--sender no-reply@dvc.kbnn.gov.vn] [--dry-run] [--no-execute]

1. packages the stage (infra/package.py: chalice package + merge + cfn-lint; stops if lint fails);
2. uploads deployment.zip and the template to the artifact bucket, under a content hash, so a
   redeploy of the same code uploads nothing new and every deployed version stays addressable;
3. creates a change set on the stack kbnn-dvc-<stage> (create or update), prints what it will
   change, and executes it unless --no-execute (review it in the console, then execute there).

--dry-run does step 1 and prints what steps 2 and 3 would do; it needs no AWS account. One stage
per AWS account: resource names (tables, queues) are fixed per account, as the code expects.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from infra import package

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def stack_name(stage: str) -> str:
    return f"kbnn-dvc-{stage}"


def with_code_location(template: dict, bucket: str, key: str) -> dict:
    """Every function's CodeUri -> the uploaded zip."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return template


def parameters(stage: str, alarm_email: str | None, sender: str | None) -> list[dict[str, str]]:
    values = {"Stage": stage, "AlarmEmail": alarm_email, "NotificationSenderAddress": sender}
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items() if v is not None]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def deploy(args: argparse.Namespace) -> int:
    out = args.out or package.ROOT / "build" / args.stage
    if package.main(["--stage", args.stage, "--out", str(out)]) != 0:
        print("cfn-lint found problems: not deploying", file=sys.stderr)
        return 1
    code = (out / "deployment.zip").read_bytes()
    code_key = f"kbnn-dvc/{args.stage}/code-{_sha256(code)[:16]}.zip"
    template = with_code_location(json.loads((out / "template.json").read_text("utf-8")),
                                  args.artifact_bucket, code_key)
    body = json.dumps(template, separators=(",", ":")).encode()
    template_key = f"kbnn-dvc/{args.stage}/template-{_sha256(body)[:16]}.json"
    params = parameters(args.stage, args.alarm_email, args.sender)
    name = stack_name(args.stage)
    if args.dry_run:
        print(f"dry run: would upload s3://{args.artifact_bucket}/{code_key} ({len(code)} bytes)")
        print(f"dry run: would upload s3://{args.artifact_bucket}/{template_key} ({len(body)} bytes)")
        print(f"dry run: would create a change set on stack {name} with "
              f"{', '.join(p['ParameterKey'] + '=' + p['ParameterValue'] for p in params)}")
        return 0
    import boto3
    s3, cfn = boto3.client("s3"), boto3.client("cloudformation")
    s3.put_object(Bucket=args.artifact_bucket, Key=code_key, Body=code)
    s3.put_object(Bucket=args.artifact_bucket, Key=template_key, Body=body)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": args.artifact_bucket,
                                                           "Key": template_key}, ExpiresIn=3600)
    exists = _stack_exists(cfn, name)
    change_set = cfn.create_change_set(
        StackName=name, ChangeSetName=f"deploy-{_sha256(body)[:12]}", TemplateURL=url,
        ChangeSetType="UPDATE" if exists else "CREATE", Parameters=params,
        Capabilities=CAPABILITIES, Tags=[{"Key": "app", "Value": "kbnn-dvc"},
                                         {"Key": "stage", "Value": args.stage}])["Id"]
    try:
        cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=change_set)
    except Exception:  # "no changes" fails the waiter too; the reason says which
        reason = cfn.describe_change_set(ChangeSetName=change_set).get("StatusReason", "")
        print(f"change set not created: {reason}")
        return 0 if "didn't contain changes" in reason or "No updates" in reason else 1
    for change in cfn.describe_change_set(ChangeSetName=change_set)["Changes"]:
        rc = change["ResourceChange"]
        print(f"{rc['Action']:<8} {rc['LogicalResourceId']:<40} {rc['ResourceType']}"
              f"{'  (replacement)' if rc.get('Replacement') == 'True' else ''}")
    if args.no_execute:
        print(f"change set {change_set} left for review")
        return 0
    cfn.execute_change_set(ChangeSetName=change_set)
    waiter = "stack_update_complete" if exists else "stack_create_complete"
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    outputs = cfn.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "EndpointURL":
            print(f"deployed {name}: API at {output['OutputValue']}")
    return 0


def _stack_exists(cfn: Any, name: str) -> bool:
    try:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except cfn.exceptions.ClientError:
        return False
    return status != "REVIEW_IN_PROGRESS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=package.STAGES, required=True)
    parser.add_argument("--artifact-bucket", required=True,
                        help="an S3 bucket of the account for the code and the template")
    parser.add_argument("--alarm-email", help="subscribe this address to the alarms topic")
    parser.add_argument("--sender", help="the SES address results are e-mailed from")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-execute", action="store_true")
    return deploy(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
