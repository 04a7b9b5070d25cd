"""The call inventory: which AWS actions each Lambda function's code performs, on what.

Least privilege starts from a fact, not a guess. `Recorder` watches every AWS call the product
makes while the test suite (or any run of the local stack) drives it, files each call under the
Lambda function that made it, and names its resource by the template's logical id. The result is
`infra/calls.json`, committed and reviewed like code; `infra/permissions.py` builds each
function's IAM role from it and nothing else, and a test fails when the code makes a call the
inventory does not list (tests/integration/test_least_privilege.py).

Names: a resource is a template logical id ("DossiersTable"), a part of one
("DossiersTable/index/by_unit", "DocumentsBucket/documents/*"), or, for what the code creates at
run time, a typed name pattern ("sns-topic:kbnn-risk-*"). "*" means AWS cannot scope the action
(a callback task token does not name its state machine).
"""
from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent
TEMPLATE = INFRA / "template.json"
CALLS = INFRA / "calls.json"
API_FUNCTION = "APIHandler"       # chalice package's name for the function serving every route

# IAM prefixes where they differ from botocore's service name.
_PREFIX = {"stepfunctions": "states"}
# S3 operations authorised under another action.
_S3_ACTIONS = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
               "ListObjectVersions": "ListBucketVersions"}
_TRANSACT_ITEM = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                  "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# Callback task tokens do not say which state machine issued them: AWS cannot scope these.
_UNSCOPED = {"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"}


def function_name(handler_name: str) -> str:
    """chalice package's logical id for a handler: handle_task_messages -> HandleTaskMessages."""
    return "".join(part[:1].upper() + part[1:] for part in handler_name.split("_"))


class Names:
    """Physical names of the template's resources -> logical ids (what the inventory records)."""

    def __init__(self, template: dict) -> None:
        self.tables: dict[str, str] = {}
        self.queues: dict[str, str] = {}
        self.machines: dict[str, str] = {}
        self.buses: dict[str, str] = {}
        self.identities: dict[str, str] = {}
        self.buckets: list[tuple[re.Pattern, str]] = []
        self.pools: list[str] = []
        defaults = {name: spec.get("Default") for name, spec in
                    template.get("Parameters", {}).items()}
        for logical_id, resource in template["Resources"].items():
            kind, props = resource["Type"], resource.get("Properties", {})
            # A name given by a parameter is known by its default (what the local stack uses).
            props = {k: defaults[v["Ref"]] if isinstance(v, dict) and v.get("Ref") in defaults
                     else v for k, v in props.items()}
            if kind == "AWS::DynamoDB::Table":
                self.tables[props["TableName"]] = logical_id
            elif kind == "AWS::SQS::Queue":
                self.queues[props["QueueName"]] = logical_id
            elif kind == "AWS::StepFunctions::StateMachine":
                self.machines[props["StateMachineName"]] = logical_id
            elif kind == "AWS::Events::EventBus":
                self.buses[props["Name"]] = logical_id
            elif kind == "AWS::SES::EmailIdentity":
                self.identities[props["EmailIdentity"]] = logical_id
            elif kind == "AWS::S3::Bucket":
                self.buckets.append((_name_pattern(props["BucketName"]), logical_id))
            elif kind == "AWS::Cognito::UserPool":
                self.pools.append(logical_id)

    @classmethod
    def load(cls, path: Path = TEMPLATE) -> Names:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def bucket(self, name: str) -> str:
        for pattern, logical_id in self.buckets:
            if pattern.fullmatch(name):
                return logical_id
        raise LookupError(f"bucket {name} is not in the template")

    def queue_of_url(self, url: str) -> str:
        return self.queues[url.rstrip("/").rsplit("/", 1)[-1]]

    def machine_of_arn(self, arn: str) -> str:
        # ...:stateMachine:<name> or ...:execution:<name>:<execution>
        parts = arn.split(":")
        return self.machines[parts[6]]


def _name_pattern(value: Any) -> re.Pattern:
    """A resource name as the template writes it (maybe an Fn::Sub) -> a regex of its values."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        parts = re.split(r"\$\{[^}]+\}", text)
        return re.compile("[^/]+".join(re.escape(p) for p in parts))
    return re.compile(re.escape(str(value)))


def _runtime_pattern(name: str) -> str:
    """A name the code makes at run time -> its family: the leading lower-case words, then "*"
    (kbnn-risk-1012345 -> kbnn-risk-*, kbnn-risk-office-KV1-CG -> kbnn-risk-office-*)."""
    words = []
    for word in name.split("-"):
        if not (word.isalpha() and word.islower()):
            break
        words.append(word)
    return "-".join(words) + "-*"


def grants(service: str, operation: str, params: dict, names: Names) -> set[tuple[str, str]]:
    """The (IAM action, resource) pairs one API call needs."""
    prefix = _PREFIX.get(service, service)
    if service == "dynamodb":
        return _dynamodb(operation, params, names)
    if service == "s3":
        action = _S3_ACTIONS.get(operation, operation)
        bucket = names.bucket(params["Bucket"])
        key = params.get("Key")
        resource = f"{bucket}/{key.split('/', 1)[0]}/*" if key else bucket
        if action == "GetObject" and params.get("VersionId"):
            action = "GetObjectVersion"
        found = {(f"s3:{action}", resource)}
        if operation == "PutObject" and params.get("ObjectLockMode"):
            found.add(("s3:PutObjectRetention", resource))   # S3 authorises the lock apart
        return found
    if service == "sqs":
        queue = (names.queues[params["QueueName"]] if "QueueName" in params
                 else names.queue_of_url(params["QueueUrl"]))
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                  "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}.get(operation, operation)
        return {(f"sqs:{action}", queue)}
    if service == "stepfunctions":
        if operation in _UNSCOPED:
            return {(f"states:{operation}", "*")}
        arn = params.get("stateMachineArn") or params["executionArn"]
        machine = names.machine_of_arn(arn)
        return {(f"states:{operation}", machine if "stateMachineArn" in params
                 else f"{machine}/execution")}
    if service == "events":
        return {(f"events:{operation}", names.buses[entry.get("EventBusName", "default")])
                for entry in params.get("Entries", [])}
    if service == "sns":
        topic = params.get("Name") or (params.get("TopicArn") or params.get("SubscriptionArn",
                                                                            "")).split(":")[5]
        return {(f"sns:{operation}", f"sns-topic:{_runtime_pattern(topic)}")}
    if service == "ses":
        return {(f"ses:{operation}", names.identities[params["Source"]])}
    if service == "cognito-idp":
        if operation in ("InitiateAuth", "RespondToAuthChallenge"):
            return set()          # public, unauthenticated calls: no IAM permission involved
        return {(f"cognito-idp:{operation}", names.pools[0])}
    return {(f"{prefix}:{operation}", "?")}


def _dynamodb(operation: str, params: dict, names: Names) -> set[tuple[str, str]]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = set()
        for item in params["TransactItems"]:
            (kind, body), = item.items()
            found.add((f"dynamodb:{_TRANSACT_ITEM[kind]}", names.tables[body["TableName"]]))
        return found
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return {(f"dynamodb:{operation}", names.tables[t]) for t in params["RequestItems"]}
    table = names.tables[params["TableName"]]
    if params.get("IndexName"):
        table = f"{table}/index/{params['IndexName']}"
    return {(f"dynamodb:{operation}", table)}


# --- recording -----------------------------------------------------------------------------
class Recorder:
    """Files every AWS call made inside a Lambda handler under that function.

    Chalice calls each handler through `Chalice.__call__` (every route: the API function) or
    `EventSourceHandler.__call__` (queues, streams, schedules); the recorder marks the running
    function for the thread while it runs. Calls made outside any handler (the tests' own
    set-up, the local stack's plumbing) are not the product's and are ignored.
    """

    def __init__(self, names: Names | None = None) -> None:
        self.names = names or Names.load()
        self.calls: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._local = threading.local()
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []

    def install(self) -> Recorder:
        from chalice import app as chalice_app

        from chalicelib.adapters import aws
        self._undo.append(aws.observe_calls(self._on_call))
        recorder = self

        def marking(original: Callable, name_of: Callable[[Any], str]) -> Callable:
            def wrapper(handler: Any, *args: Any, **kwargs: Any) -> Any:
                previous = getattr(recorder._local, "function", None)
                recorder._local.function = name_of(handler)
                try:
                    return original(handler, *args, **kwargs)
                finally:
                    recorder._local.function = previous
            return wrapper

        for owner, name_of in ((chalice_app.Chalice, lambda _: API_FUNCTION),
                               (chalice_app.EventSourceHandler,
                                lambda h: function_name(h.func.__name__))):
            original = owner.__call__
            owner.__call__ = marking(original, name_of)
            self._undo.append(lambda owner=owner, original=original:
                              setattr(owner, "__call__", original))
        return self

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _on_call(self, service: str, operation: str, params: dict) -> None:
        function = getattr(self._local, "function", None)
        if function is None:
            return
        try:
            found = grants(service, operation, params, self.names)
        except (KeyError, LookupError, IndexError, ValueError):
            # Never break the call being observed; an unnamed resource is reported instead.
            found = {(f"{_PREFIX.get(service, service)}:{operation}", "?unnamed")}
        with self._lock:
            for action, resource in found:
                self.calls[function][action].add(resource)

    def as_inventory(self) -> dict[str, dict[str, list[str]]]:
        return {fn: {action: sorted(res) for action, res in sorted(actions.items())}
                for fn, actions in sorted(self.calls.items())}


def load(path: Path = CALLS) -> dict[str, dict[str, list[str]]]:
    return json.loads(path.read_text(encoding="utf-8"))


def missing(recorded: dict[str, dict[str, list[str]]],
            inventory: dict[str, dict[str, list[str]]]) -> list[str]:
    """Calls made but not in the inventory, as "Function: action on resource" lines."""
    return [f"{fn}: {action} on {resource}"
            for fn, actions in recorded.items() for action, resources in actions.items()
            for resource in resources
            if resource not in inventory.get(fn, {}).get(action, [])]


def merged(*inventories: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for inventory in inventories:
        for fn, actions in inventory.items():
            for action, resources in actions.items():
                out[fn][action].update(resources)
    return {fn: {a: sorted(r) for a, r in sorted(acts.items())} for fn, acts in sorted(out.items())}
