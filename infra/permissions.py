"""Each Lambda function's IAM policy, built from the call inventory and nothing else.

What a function may do is exactly:
  * the calls its code makes (infra/calls.json, recorded from the code itself: infra/inventory.py),
  * what Lambda does on its behalf: read its queue or stream, send a failed stream batch to the
    failure queue, write its own log group, send its trace segments,
and nothing on the audit table beyond appending and reading: every role carries an explicit deny
of changing or deleting an audit record (the table's resource policy denies it to everyone too).

"*" appears only where AWS cannot scope the action (UNSCOPED_ACTIONS), and a test holds it to that.
"""
from __future__ import annotations

from typing import Any

AUDIT_TABLE = "AuditTable"
AUDIT_FORBIDDEN = ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                   "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]
# Actions that take no resource but "*", by AWS's design (Service Authorization Reference):
# callback task tokens do not name their state machine; X-Ray segments have no resource; Lambda's
# stream poller lists a table's streams before it knows their ARNs.
UNSCOPED_ACTIONS = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat",
                    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                    "dynamodb:ListStreams"}
QUEUE_CONSUMER = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                  "sqs:ChangeMessageVisibility"]
STREAM_CONSUMER = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
TRACING = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def arn(resource: str, template: dict) -> Any:
    """A resource as the inventory names it -> the CloudFormation expression of its ARN."""
    if resource == "*":
        return "*"
    if resource.startswith("sns-topic:"):
        return _sub("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                    + resource.split(":", 1)[1])
    logical_id, _, rest = resource.partition("/")
    kind = template["Resources"][logical_id]["Type"]
    if kind == "AWS::StepFunctions::StateMachine":
        if rest == "execution":
            return _sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
                        "${" + logical_id + ".Name}:*")
        return {"Ref": logical_id}
    if kind == "AWS::SES::EmailIdentity":
        return _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${"
                    + logical_id + "}")
    if kind == "AWS::DynamoDB::Table" and rest == "stream":
        return {"Fn::GetAtt": [logical_id, "StreamArn"]}
    if rest:
        return _sub("${" + logical_id + ".Arn}/" + rest)
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def physical_name(function: str) -> str:
    """A function's name, fixed in the template so its role and log group can name it without a
    reference cycle (role -> function -> role)."""
    return "kbnn-${Stage}-" + function


def log_group_name(function: str) -> dict:
    return _sub("/aws/lambda/" + physical_name(function))


def function_policy(function: str, calls: dict[str, list[str]], template: dict, *,
                    queues: list[str], streams: list[str], failure_queue: str | None) -> dict:
    """The policy document of one function's role."""
    grants: dict[str, set[str]] = {action: set(resources) for action, resources in calls.items()}

    def add(actions: list[str], resource: str) -> None:
        for action in actions:
            grants.setdefault(action, set()).add(resource)

    for queue in queues:
        add(QUEUE_CONSUMER, queue)
    for table in streams:
        add(STREAM_CONSUMER, f"{table}/stream")
        add(["dynamodb:ListStreams"], "*")
    if streams and failure_queue:
        add(["sqs:SendMessage"], failure_queue)
    add(TRACING, "*")

    statements: list[dict] = []
    # One statement per set of resources, so the policy reads "these actions on these things".
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, resources in sorted(grants.items()):
        by_resources.setdefault(tuple(sorted(resources)), []).append(action)
    for resources, actions in sorted(by_resources.items()):
        statements.append({"Effect": "Allow", "Action": sorted(actions),
                           "Resource": [arn(r, template) for r in resources]})
    statements.append({
        "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": _sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                         "/aws/lambda/" + physical_name(function) + ":*")})
    statements.append({"Sid": "AuditTrailIsAppendOnly", "Effect": "Deny",
                       "Action": AUDIT_FORBIDDEN,
                       "Resource": [arn(AUDIT_TABLE, template), arn(AUDIT_TABLE + "/*", template)]})
    return {"Version": "2012-10-17", "Statement": statements}


def role(function: str, policy: dict) -> dict:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": f"{function}Calls", "PolicyDocument": policy}],
        },
    }
