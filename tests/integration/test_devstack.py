"""The local stack's own machinery, on a real (in-process) moto server.

The app's tests rely on devstack: if provisioning, Step Functions callbacks, the
event pump or write serialisation were wrong, they would pass or fail for the
wrong reasons. A tiny Chalice app defined here keeps these tests independent of
the real one.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice import Chalice

from devstack.provision import DEFAULT_TEMPLATE, provision
from devstack.pump import EventPump

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CALLBACK_QUEUE = "devstack-test-callbacks"
FAILING_QUEUE = "devstack-test-failing"
FAILING_DLQ = "devstack-test-failing-dlq"
ECHO_QUEUE = "devstack-test-echo"

app = Chalice(app_name="devstack-test")
_clients: dict[str, Any] = {}  # filled by the `moto` fixture; handlers need them
failed_attempts: list[dict[str, Any]] = []
echoed: list[str] = []


@app.on_sqs_message(queue=CALLBACK_QUEUE)
def approve_task(event: Any) -> None:
    for record in event:
        message = json.loads(record.body)
        _clients["stepfunctions"].send_task_success(
            taskToken=message["token"],
            output=json.dumps({"approved_by": "handler", "dossier": message["dossier"]}))


@app.on_sqs_message(queue=FAILING_QUEUE)
def always_fail(event: Any) -> None:
    for record in event:
        failed_attempts.append(record.to_dict())
    raise RuntimeError("handler refuses every message")


@app.on_sqs_message(queue=ECHO_QUEUE, batch_size=10)
def echo(event: Any) -> None:
    echoed.extend(record.body for record in event)


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION)


@pytest.fixture(scope="module")
def moto(stack: Any) -> Iterator[Any]:
    """moto's state is process-wide (a second server would reset it under the session's stack),
    so this module uses the session's server, provisioned from infra/template.json."""
    _clients["stepfunctions"] = _client("stepfunctions", stack.endpoint_url)
    try:
        yield stack
    finally:
        _clients.clear()


@pytest.fixture(scope="module")
def sqs(moto: Any) -> Any:
    client = _client("sqs", moto.endpoint_url)
    client.create_queue(QueueName=CALLBACK_QUEUE)
    client.create_queue(QueueName=ECHO_QUEUE)
    dlq_url = client.create_queue(QueueName=FAILING_DLQ)["QueueUrl"]
    dlq_arn = client.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client.create_queue(QueueName=FAILING_QUEUE, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})
    return client


@pytest.fixture(scope="module")
def pump(sqs: Any) -> EventPump:
    return EventPump(app, sys.modules[__name__], sqs, retry_delay_seconds=1)


def test_provisioning_creates_every_named_resource_and_returns_all_outputs(moto: Any) -> None:
    template = json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))
    outputs = moto.outputs

    assert set(outputs) == set(template["Outputs"])
    assert all(isinstance(v, str) and v for v in outputs.values())
    named = {}
    for resource in template["Resources"].values():
        kind, props = resource["Type"], resource["Properties"]
        name_key = {"AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName",
                    "AWS::Cognito::UserPool": "UserPoolName",
                    "AWS::StepFunctions::StateMachine": "StateMachineName"}.get(kind)
        if name_key:
            named.setdefault(kind, set()).add(props[name_key])
    ddb, sqs = _client("dynamodb", moto.endpoint_url), _client("sqs", moto.endpoint_url)
    assert named["AWS::DynamoDB::Table"] <= set(ddb.list_tables()["TableNames"])
    queue_names = {url.rsplit("/", 1)[-1] for url in sqs.list_queues()["QueueUrls"]}
    assert named["AWS::SQS::Queue"] <= queue_names
    pools = _client("cognito-idp", moto.endpoint_url).list_user_pools(MaxResults=60)["UserPools"]
    assert named["AWS::Cognito::UserPool"] <= {p["Name"] for p in pools}
    machines = _clients["stepfunctions"].list_state_machines()["stateMachines"]
    assert named["AWS::StepFunctions::StateMachine"] <= {m["name"] for m in machines}
    buckets = {b["Name"] for b in _client("s3", moto.endpoint_url).list_buckets()["Buckets"]}
    assert outputs["DOCUMENTS_BUCKET"] in buckets
    pool_id = outputs["USER_POOL_ID"]
    assert outputs["JWKS_URL"] == f"{moto.endpoint_url}/{pool_id}/.well-known/jwks.json"


def test_the_documents_bucket_has_object_lock_without_a_default_rule(moto: Any) -> None:
    s3 = _client("s3", moto.endpoint_url)
    config = s3.get_object_lock_configuration(Bucket=moto.outputs["DOCUMENTS_BUCKET"])
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert "Rule" not in config["ObjectLockConfiguration"]      # uploads are not locked by default
    # Fn::FindInMap, for the stage's value in the template's Mappings
    assert (moto.outputs["AUDIT_DIGEST_LOCK_MODE"], moto.outputs["AUDIT_DIGEST_RETENTION_YEARS"]) == \
        ("GOVERNANCE", "10")


def test_an_unknown_resource_type_is_refused_before_anything_is_created(
        moto: Any, tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "devstack-test-never", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {}}}}))

    with pytest.raises(ValueError, match="AWS::Lambda::Function"):
        provision(moto.endpoint_url, template)
    tables = _client("dynamodb", moto.endpoint_url).list_tables()["TableNames"]
    assert "devstack-test-never" not in tables


def test_a_task_token_sent_by_a_state_machine_reaches_the_handler_and_completes_the_execution(
        moto: Any, sqs: Any, pump: EventPump) -> None:
    sfn = _clients["stepfunctions"]
    queue_url = sqs.get_queue_url(QueueName=CALLBACK_QUEUE)["QueueUrl"]
    definition = {"StartAt": "AskForApproval", "States": {"AskForApproval": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue_url,
                       "MessageBody": {"token.$": "$$.Task.Token", "dossier.$": "$.dossier"}},
        "ResultPath": "$.approval",
        "End": True}}}
    machine = sfn.create_state_machine(
        name="devstack-test-callback", definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/devstack-test")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"dossier": "D-1"}))

    def finished() -> bool:
        status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
        return status != "RUNNING"

    # moto sends the message from the execution's own thread, so it may not be
    # in the queue yet: drain until the execution has ended, not until quiet.
    pump.drain(until=finished, timeout=20)

    result = sfn.describe_execution(executionArn=execution["executionArn"])
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["approval"] == {"approved_by": "handler", "dossier": "D-1"}


def test_a_message_whose_handler_always_fails_is_redelivered_then_moved_to_the_dlq(
        sqs: Any, pump: EventPump) -> None:
    failed_attempts.clear()
    queue_url = sqs.get_queue_url(QueueName=FAILING_QUEUE)["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=FAILING_DLQ)["QueueUrl"]
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody="poison")

    dead: list[dict[str, Any]] = []

    def in_dlq() -> bool:
        dead.extend(sqs.receive_message(QueueUrl=dlq_url).get("Messages", []))
        return bool(dead)

    pump.drain(until=in_dlq, timeout=15)

    assert [a["attributes"]["ApproximateReceiveCount"] for a in failed_attempts] == ["1", "2"]
    assert {a["messageId"] for a in failed_attempts} == {sent["MessageId"]}
    assert failed_attempts[0]["eventSource"] == "aws:sqs"
    assert failed_attempts[0]["eventSourceARN"].endswith(f":{FAILING_QUEUE}")
    assert dead[0]["MessageId"] == sent["MessageId"] and dead[0]["Body"] == "poison"
    pump.drain(timeout=5)  # the source queue is empty now, so this settles


def test_the_background_pump_delivers_messages_and_stops_promptly(
        sqs: Any, pump: EventPump) -> None:
    echoed.clear()
    queue_url = sqs.get_queue_url(QueueName=ECHO_QUEUE)["QueueUrl"]
    pump.start()
    try:
        for n in range(3):
            sqs.send_message(QueueUrl=queue_url, MessageBody=f"m{n}")
        deadline = time.monotonic() + 10
        while len(echoed) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stopping = time.monotonic()
        pump.stop()
        stop_seconds = time.monotonic() - stopping

    assert sorted(echoed) == ["m0", "m1", "m2"]
    assert stop_seconds < 2.5  # one 1 s long poll, plus slack
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_concurrent_transactions_lose_no_write_even_when_some_are_cancelled(
        moto: Any) -> None:
    ddb = _client("dynamodb", moto.endpoint_url)
    table = "devstack-test-ledger"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    threads_n, per_thread = 8, 25
    errors: list[str] = []

    def writer(worker: int) -> None:
        client = _client("dynamodb", moto.endpoint_url)  # one client per thread
        for i in range(per_thread):
            try:
                client.transact_write_items(TransactItems=[{"Put": {
                    "TableName": table, "Item": {"pk": {"S": f"w{worker}-{i}"}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}])
                # A cancelled transaction makes moto put back its deep copy of
                # the table: without serialisation that erases the writes other
                # threads made meanwhile, and copying a table another thread is
                # changing fails with a 500.
                with pytest.raises(ClientError, match="TransactionCanceled"):
                    client.transact_write_items(TransactItems=[
                        {"Put": {"TableName": table,
                                 "Item": {"pk": {"S": f"rolled-back-{worker}-{i}"}}}},
                        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "taken"}},
                                            "ConditionExpression": "attribute_not_exists(pk)"}}])
            except BaseException as exc:  # keep going; reported with the count below
                errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    # Switching threads far more often than the default 5 ms makes the race
    # show up on every run instead of now and then.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)

    paginator = ddb.get_paginator("scan")
    count = sum(page["Count"] for page in paginator.paginate(TableName=table, Select="COUNT"))
    # Every acknowledged put is there, no rolled-back one is, nothing failed.
    assert (count, errors) == (threads_n * per_thread + 1, [])  # + the "taken" item


def test_a_stream_reader_never_sees_the_writes_of_a_cancelled_transaction(moto: Any) -> None:
    """moto applies a transaction's items one by one (each appending its stream record) and, when
    one fails its condition, puts back its copy of the table — stream shard included, so the next
    real write reuses the sequence number. A stream read in between would deliver a record of a
    write that never happened (a dossier that does not exist reached the event consumers) and then
    skip the real record that takes its number. Real DynamoDB streams only committed writes."""
    ddb = _client("dynamodb", moto.endpoint_url)
    table = "devstack-test-streamed"
    arn = ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    streams = _client("dynamodbstreams", moto.endpoint_url)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    seen: dict[str, str] = {}            # sequence number -> key, as every read saw it
    conflicts: list[str] = []
    done = threading.Event()

    def reader() -> None:
        client = _client("dynamodbstreams", moto.endpoint_url)
        while not done.is_set():
            iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for record in client.get_records(ShardIterator=iterator, Limit=1000)["Records"]:
                seq = record["dynamodb"]["SequenceNumber"]
                key = record["dynamodb"]["Keys"]["pk"]["S"]
                if seen.setdefault(seq, key) != key:
                    conflicts.append(f"{seq}: {seen[seq]} then {key}")

    def writer(worker: int) -> None:
        client = _client("dynamodb", moto.endpoint_url)
        for i in range(15):
            client.put_item(TableName=table, Item={"pk": {"S": f"w{worker}-{i}"}})
            with pytest.raises(ClientError, match="TransactionCanceled"):
                client.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": {"pk": {"S": f"rolled-back-{worker}-{i}"}}}},
                    {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "taken"}},
                                        "ConditionExpression": "attribute_not_exists(pk)"}}])

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
    finally:
        done.set()
        for thread in readers:
            thread.join()
        sys.setswitchinterval(switch_interval)
    phantoms = sorted(k for k in seen.values() if k.startswith("rolled-back"))
    assert (phantoms, conflicts) == ([], [])


def test_a_transaction_committed_or_cancelled_leaves_no_tracked_dynamodb_model(moto: Any) -> None:
    """moto tracks every model instance it creates (InstanceTrackerMeta's `instances_tracked`, for
    its dashboard) and a transaction deep-copies each table it touches: without the fix each
    transaction kept a copy of its tables alive for ever (devstack/moto_fixes.py)."""
    from moto.dynamodb.models import dynamodb_backends

    from devstack.moto_fixes import FORGET_TRACKED_INSTANCES, SERIALISE_DYNAMODB

    def tracked() -> dict[str, int]:
        with SERIALISE_DYNAMODB.lock:     # no DynamoDB request of the pump's is half done
            return {m.__name__: len(m.instances_tracked)
                    for m in FORGET_TRACKED_INSTANCES.tracked_models() if m.instances_tracked}

    ddb = _client("dynamodb", moto.endpoint_url)
    table = "devstack-test-tracked"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    ddb.transact_write_items(TransactItems=[{"Put": {
        "TableName": table, "Item": {"pk": {"S": "committed"}},
        "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert tracked() == {}
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "rolled-back"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "taken"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert tracked() == {}
    assert {i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"]} == {"taken", "committed"}

    # The measure is live: the same transaction straight into moto's backend, around the
    # server (and so its fixes), leaves its deep copies tracked.
    backend = next(b for regions in dynamodb_backends.values() for b in regions.values()
                   if table in b.tables)
    with SERIALISE_DYNAMODB.lock:
        try:
            backend.transact_write_items([{"Put": {"TableName": table, "Item": {"pk": {"S": "direct"}}}}])
            leaked = {m.__name__: len(m.instances_tracked)
                      for m in FORGET_TRACKED_INSTANCES.tracked_models() if m.instances_tracked}
        finally:
            FORGET_TRACKED_INSTANCES.forget()
    assert leaked.get("Table", 0) >= 1 and leaked.get("Item", 0) >= 2


def test_a_callback_while_an_execution_is_starting_is_answered_not_a_500(moto: Any) -> None:
    """moto lists an execution on its machine before starting it; a SendTaskSuccess that looked at
    it then failed on its missing status with a 500 (devstack/moto_fixes.py)."""
    from botocore.config import Config
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sfn = boto3.client("stepfunctions", endpoint_url=moto.endpoint_url, region_name=REGION,
                       config=Config(retries={"total_max_attempts": 1}))
    arn = sfn.create_state_machine(
        name="devstack-test-starting", roleArn="arn:aws:iam::123456789012:role/x",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    machine = next(b.describe_state_machine(arn) for regions in stepfunctions_parser_backends.values()
                   for b in regions.values() if any(m.arn == arn for m in b.state_machines))

    class Starting:   # what moto's Execution is between being listed and being started
        exec_status = None
        status = property(lambda self: self.exec_status.value)

    machine.executions.append(Starting())
    try:
        with pytest.raises(ClientError) as answered:
            sfn.send_task_success(taskToken="no-such-token", output="{}")
    finally:
        machine.executions.pop()
    assert answered.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert answered.value.response["Error"]["Code"] in ("InvalidToken", "TaskDoesNotExist")


def test_a_harness_observes_moto_through_its_public_hooks(moto: Any) -> None:
    """bench.load_server times moto's requests and devstack's DynamoDB lock through these hooks
    (LocalMoto.wrap, LocalMoto.observe_dynamodb_lock) rather than by replacing private names."""
    recording, targets, lock = threading.Event(), [], []

    def middleware(app: Any) -> Any:
        def observed(environ: dict[str, Any], start_response: Any) -> Any:
            if recording.is_set():
                targets.append(environ.get("HTTP_X_AMZ_TARGET", ""))
            return app(environ, start_response)
        return observed

    moto.moto.wrap(middleware)
    stop = moto.moto.observe_dynamodb_lock(lambda wait, hold: lock.append((wait, hold)))
    recording.set()
    try:
        _client("dynamodb", moto.endpoint_url).list_tables(Limit=1)
    finally:
        recording.clear()
        stop()
    assert "DynamoDB_20120810.ListTables" in targets
    assert lock and all(wait >= 0 and hold > 0 for wait, hold in lock)
    count = len(lock)
    _client("dynamodb", moto.endpoint_url).list_tables(Limit=1)
    assert len(lock) == count       # stopped
