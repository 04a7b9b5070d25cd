"""Create the resources of infra/template.json in moto.

The local stack must run against the same tables, queues, pool and state
machines as AWS, so it reads the one CloudFormation template instead of keeping
a second list. It calls each service's API rather than moto's CloudFormation:
the template names its state machine definitions as local files (resolved by
`aws cloudformation package` on deploy), and one call per resource keeps every
step and every error explicit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
_SUB_VAR = re.compile(r"\$\{(!?)([^}]*)\}")  # "${!x}" is Sub's escape for a literal "${x}"


class _Stack:
    """Template, resolved values so far, and clients for one moto endpoint."""

    def __init__(self, template: dict[str, Any], template_dir: Path, endpoint_url: str,
                 region: str, parameters: dict[str, str]) -> None:
        self.template = template
        self.template_dir = template_dir
        self.region = region
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        account = self.client("sts").get_caller_identity()["Account"]
        self.pseudo = {"AWS::AccountId": account, "AWS::Region": region,
                       "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        declared = template.get("Parameters", {})
        self.params = {name: str(spec["Default"]) for name, spec in declared.items()
                       if "Default" in spec}
        self.params.update(parameters)
        missing = set(declared) - set(self.params)
        if missing:
            raise ValueError(f"template parameters without a value: {sorted(missing)}")
        self.refs: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str]] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, endpoint_url=self._endpoint_url, region_name=self.region,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def ref(self, name: str) -> str:
        for table in (self.params, self.pseudo, self.refs):
            if name in table:
                return table[name]
        raise KeyError(f"unresolved Ref {name!r}")

    def getatt(self, logical_id: str, attr: str) -> str:
        try:
            return self.attrs[logical_id][attr]
        except KeyError:
            raise KeyError(f"unsupported Fn::GetAtt {logical_id}.{attr}") from None

    def resolve(self, value: Any) -> Any:
        """Evaluate Ref, Fn::GetAtt, Fn::Sub and Fn::FindInMap anywhere inside a value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(logical_id, attr)
            if key == "Fn::FindInMap":
                mapping, first, second = (self.resolve(part) for part in arg)
                return self.template["Mappings"][mapping][first][second]
            if key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else arg
                local = {k: str(self.resolve(v)) for k, v in local.items()}
                return _SUB_VAR.sub(lambda m: self._sub_var(m[1], m[2], local), text)
            if key.startswith("Fn::"):
                raise ValueError(f"unsupported intrinsic function {key}")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub_var(self, escape: str, name: str, local: dict[str, str]) -> str:
        if escape:
            return "${" + name + "}"
        if name in local:
            return local[name]
        if "." in name:  # ${Logical.Attr} is Sub's short form of GetAtt
            return self.getatt(*name.split(".", 1))
        return self.ref(name)


def _dependencies(value: Any, logical_ids: set[str]) -> set[str]:
    """Logical ids a property value refers to, so they are created first."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _dependencies(item, logical_ids)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref":
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found |= {name.split(".", 1)[0] for bang, name in _SUB_VAR.findall(text)
                          if not bang}
            found |= _dependencies(arg, logical_ids)
    return found & logical_ids


def _creation_order(resources: dict[str, Any]) -> list[str]:
    ids = set(resources)
    deps = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        deps[logical_id] = _dependencies(resource.get("Properties", {}), ids) | set(depends_on)
    order: list[str] = []
    while deps:
        # Template order among ready resources keeps runs reproducible.
        ready = [i for i, d in deps.items() if d <= set(order)]
        if not ready:
            raise ValueError(f"circular references between {sorted(deps)}")
        order.extend(ready)
        for logical_id in ready:
            del deps[logical_id]
    return order


def _dynamodb_table(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    ddb = stack.client("dynamodb")
    kwargs = {k: props[k] for k in ("TableName", "BillingMode", "AttributeDefinitions",
                                    "KeySchema", "GlobalSecondaryIndexes",
                                    "ProvisionedThroughput") if k in props}
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    table = ddb.create_table(**kwargs)["TableDescription"]
    if "TimeToLiveSpecification" in props:
        ddb.update_time_to_live(TableName=props["TableName"],
                                TimeToLiveSpecification=props["TimeToLiveSpecification"])
    # PointInTimeRecoverySpecification is skipped: backups change nothing a
    # local run can observe.
    attrs = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attrs["StreamArn"] = table["LatestStreamArn"]
    return props["TableName"], attrs


def _sqs_queue(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    sqs = stack.client("sqs")
    # Every other CloudFormation property is a queue attribute of the same name.
    attributes = {k: json.dumps(v) if isinstance(v, dict) else str(v)
                  for k, v in props.items() if k not in ("QueueName", "Tags")}
    url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, {"Arn": arn["Attributes"]["QueueArn"], "QueueName": props["QueueName"]}


def _s3_bucket(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    s3, name = stack.client("s3"), props["BucketName"]
    # Object Lock is switched on as the bucket is created, as CloudFormation does; with no default
    # rule nothing is locked unless its PUT asks (the audit digests do, uploads do not).
    lock = {"ObjectLockEnabledForBucket": True} if props.get("ObjectLockEnabled") else {}
    if stack.region == "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
        s3.create_bucket(Bucket=name, **lock)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={
            "LocationConstraint": stack.region}, **lock)
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name,
                                 VersioningConfiguration=props["VersioningConfiguration"])
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "BucketEncryption" in props:
        # The one property whose name differs between CloudFormation and the API.
        rules = [{"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                  **{k: v for k, v in r.items() if k != "ServerSideEncryptionByDefault"}}
                 for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    return name, {"Arn": f"arn:aws:s3:::{name}"}


def _user_pool(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    # CloudFormation and CreateUserPool share names and shapes for these.
    kwargs = {k: props[k] for k in ("Policies", "Schema", "AutoVerifiedAttributes",
                                    "UsernameAttributes", "MfaConfiguration") if k in props}
    pool = stack.client("cognito-idp").create_user_pool(PoolName=props["UserPoolName"], **kwargs)
    pool = pool["UserPool"]
    provider = f"cognito-idp.{stack.region}.amazonaws.com/{pool['Id']}"
    return pool["Id"], {"Arn": pool["Arn"], "ProviderName": provider}


def _user_pool_client(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    # Every property we use has the same name and shape in CreateUserPoolClient.
    client = stack.client("cognito-idp").create_user_pool_client(**props)["UserPoolClient"]
    return client["ClientId"], {"Name": client["ClientName"]}


def _user_pool_group(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    stack.client("cognito-idp").create_group(**props)
    return props["GroupName"], {}


def _iam_role(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    iam, name = stack.client("iam"), props["RoleName"]
    role = iam.create_role(RoleName=name, Path=props.get("Path", "/"),
                           AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]))
    for policy in props.get("Policies", []):
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(policy["PolicyDocument"]))
    return name, {"Arn": role["Role"]["Arn"], "RoleId": role["Role"]["RoleId"]}


def _state_machine(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    # The template names a local file (as `aws cloudformation package` does).
    definition = (stack.template_dir / props["DefinitionS3Location"]).read_text(encoding="utf-8")
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    arn = stack.client("stepfunctions").create_state_machine(
        name=props["StateMachineName"], definition=definition, roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"))["stateMachineArn"]
    return arn, {"Arn": arn, "Name": props["StateMachineName"]}


def _event_bus(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    arn = stack.client("events").create_event_bus(Name=props["Name"])["EventBusArn"]
    return props["Name"], {"Arn": arn, "Name": props["Name"]}


def _event_rule(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    events = stack.client("events")
    arn = events.put_rule(Name=props["Name"], EventBusName=props["EventBusName"],
                          EventPattern=json.dumps(props["EventPattern"]),
                          State=props.get("State", "ENABLED"))["RuleArn"]
    targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
    if targets:
        events.put_targets(Rule=props["Name"], EventBusName=props["EventBusName"], Targets=targets)
    return arn, {"Arn": arn}


def _sqs_queue_policy(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    # moto delivers events to queues without reading their policies; AWS needs them.
    return "queue-policy", {}


def _ses_identity(stack: _Stack, props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    stack.client("ses").verify_email_identity(EmailAddress=props["EmailIdentity"])
    return props["EmailIdentity"], {}


_CREATORS: dict[str, Callable[[_Stack, dict[str, Any]], tuple[str, dict[str, str]]]] = {
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolGroup": _user_pool_group,
    "AWS::IAM::Role": _iam_role,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _event_rule,
    "AWS::SQS::QueuePolicy": _sqs_queue_policy,
    "AWS::SES::EmailIdentity": _ses_identity,
}


def resource_free_outputs(endpoint_url: str, template_path: Path = DEFAULT_TEMPLATE,
                          region: str = "us-east-1",
                          parameters: dict[str, str] | None = None) -> dict[str, str]:
    """The Outputs that follow from the template alone (parameters, mappings, pseudo parameters),
    as `provision` gave them: what a separate process can know of an already provisioned stack
    without asking for its resources. Outputs naming a resource are left out."""
    template_path = Path(template_path)
    template = json.loads(template_path.read_text(encoding="utf-8"))
    stack = _Stack(template, template_path.parent, endpoint_url, region, parameters or {})
    outputs = {}
    for name, spec in template.get("Outputs", {}).items():
        try:
            outputs[name] = str(stack.resolve(spec["Value"]))
        except KeyError:    # a Ref or GetAtt of a resource: not created by this call
            continue
    return outputs


def provision(endpoint_url: str, template_path: Path = DEFAULT_TEMPLATE,
              region: str = "us-east-1",
              parameters: dict[str, str] | None = None) -> dict[str, str]:
    """Create every resource of the template in moto; return its Outputs as strings."""
    template_path = Path(template_path)
    template = json.loads(template_path.read_text(encoding="utf-8"))
    resources = template.get("Resources", {})
    unknown = {r["Type"] for r in resources.values()} - set(_CREATORS)
    if unknown:  # fail before creating anything, not halfway through
        raise ValueError(f"devstack cannot provision resource types {sorted(unknown)}")
    stack = _Stack(template, template_path.parent, endpoint_url, region, parameters or {})
    for logical_id in _creation_order(resources):
        resource = resources[logical_id]
        props = stack.resolve(resource.get("Properties", {}))
        stack.refs[logical_id], stack.attrs[logical_id] = _CREATORS[resource["Type"]](stack, props)
    outputs = {name: str(stack.resolve(spec["Value"]))
               for name, spec in template.get("Outputs", {}).items()}
    pools = [stack.refs[i] for i, r in resources.items() if r["Type"] == "AWS::Cognito::UserPool"]
    if "JWKS_URL" in outputs and len(pools) == 1:
        # Local-edge difference: moto serves a pool's keys from its own
        # endpoint, not from cognito-idp.<region>.amazonaws.com. The issuer
        # (JWT_ISSUER) stays the AWS one because moto signs tokens with it.
        outputs["JWKS_URL"] = f"{endpoint_url}/{pools[0]}/.well-known/jwks.json"
    return outputs
