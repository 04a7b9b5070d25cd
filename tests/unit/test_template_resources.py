"""Everything the code names exists in infra/template.json, shaped as the code uses it: the tables
of the PynamoDB models (keys, key types, indexes and their projections), the queues and streams the
handlers listen on, the configuration each function reads, the bucket. A model given an index the
template lacks fails here, not at the first query in AWS."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = json.loads((ROOT / "infra" / "template.json").read_text(encoding="utf-8"))
RESOURCES = TEMPLATE["Resources"]
pytestmark = pytest.mark.unit


def _table_of_variable(variable: str) -> dict:
    ref = TEMPLATE["Outputs"][variable]["Value"]
    resource = RESOURCES[ref["Ref"]]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    return resource["Properties"]


def _models() -> list[tuple[type, str]]:
    """(model, the configuration variable naming its table) for every PynamoDB model."""
    from chalicelib import config
    from chalicelib.adapters import models
    return [(model, config._NAMES[attr]) for model, attr in models._TABLES.items()]


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


@pytest.mark.parametrize("model,variable", _models(), ids=lambda v: getattr(v, "__name__", v))
def test_each_models_table_exists_with_its_keys_and_indexes(model, variable):
    table = _table_of_variable(variable)
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert _keys(table["KeySchema"]) == _keys(schema["key_schema"])
    for attribute in schema["attribute_definitions"]:
        assert types.get(attribute["AttributeName"]) == attribute["AttributeType"], attribute
    template_indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    for index in schema["global_secondary_indexes"]:
        assert index["index_name"] in template_indexes, f"{model.__name__}: {index['index_name']}"
        declared = template_indexes[index["index_name"]]
        assert _keys(declared["KeySchema"]) == _keys(index["key_schema"])
        assert declared["Projection"]["ProjectionType"] == index["projection"]["ProjectionType"]


def test_every_configuration_variable_is_an_output_of_the_template():
    from chalicelib import config
    assert set(config._NAMES.values()) <= set(TEMPLATE["Outputs"])


def test_every_queue_and_stream_a_handler_listens_on_is_in_the_template():
    from chalice.app import DynamoDBEventConfig, SQSEventConfig

    import app
    queues = {r["Properties"]["QueueName"]: r["Properties"] for r in RESOURCES.values()
              if r["Type"] == "AWS::SQS::Queue"}
    tables = {r["Properties"]["TableName"]: r["Properties"] for r in RESOURCES.values()
              if r["Type"] == "AWS::DynamoDB::Table"}
    sources = app.app.event_sources
    assert any(isinstance(s, SQSEventConfig) for s in sources)
    for source in sources:
        if isinstance(source, SQSEventConfig):
            assert source.queue in queues, source.queue
            # A poison message must end somewhere an operator looks, not loop for ever.
            assert "RedrivePolicy" in queues[source.queue], source.queue
        elif isinstance(source, DynamoDBEventConfig):
            name = str(source.stream_arn).split(":table/", 1)[1].split("/", 1)[0]
            assert "StreamSpecification" in tables[name], name


def test_the_documents_bucket_is_private_encrypted_and_versioned():
    bucket = RESOURCES[TEMPLATE["Outputs"]["DOCUMENTS_BUCKET"]["Value"]["Ref"]]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_every_table_keeps_point_in_time_recovery():
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            spec = resource["Properties"].get("PointInTimeRecoverySpecification", {})
            assert spec.get("PointInTimeRecoveryEnabled") is True, logical_id


def test_the_audit_tables_own_policy_denies_changing_or_deleting_a_record_to_everyone():
    policy = RESOURCES["AuditTable"]["Properties"]["ResourcePolicy"]["PolicyDocument"]
    denied = {a for s in policy["Statement"] if s["Effect"] == "Deny" and s["Principal"] == "*"
              for a in s["Action"]}
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= denied
