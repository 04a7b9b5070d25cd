"""The request bodies the OpenAPI document describes and the commands the edge parses agree,
both ways: every command field is a property of its operation's schema with the same
required-ness, and every property of the schema is a command field. A field added on one side
only fails here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain import commands

DOC = json.loads((Path(__file__).parents[2] / "chalicelib" / "openapi.json").read_text("utf-8"))


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _documented_bodies() -> dict[tuple[str, str], dict]:
    """JSON bodies only: a file uploaded as the body (a payee list to import) is no command."""
    return {(method, path): _resolve(op["requestBody"]["content"]["application/json"]["schema"])
            for path, ops in DOC["paths"].items() for method, op in ops.items()
            if isinstance(op, dict) and "application/json" in op.get("requestBody", {})
            .get("content", {})}


def test_the_only_body_that_is_not_json_is_the_payee_list_file_to_import():
    files = {(method, path) for path, ops in DOC["paths"].items() for method, op in ops.items()
             if isinstance(op, dict) and "requestBody" in op
             and "application/json" not in op["requestBody"]["content"]}
    assert files == {("post", "/v1/payee-lists/import")}


def test_every_documented_request_body_has_a_command_and_every_command_an_operation():
    assert set(_documented_bodies()) == set(commands.BY_OPERATION)


@pytest.mark.parametrize("operation", sorted(commands.BY_OPERATION), ids=" ".join)
def test_the_command_and_the_documented_body_have_the_same_fields_and_required_ones(operation):
    schema, kind = _documented_bodies()[operation], commands.BY_OPERATION[operation]
    assert schema["type"] == "object"
    assert commands.body_fields(kind) == set(schema["properties"])
    assert commands.required_fields(kind) == set(schema.get("required", []))


@pytest.mark.parametrize("body", [[], "x", 1, None, True])
def test_a_body_that_is_not_an_object_is_the_one_invalid_type(body):
    from chalicelib.domain.errors import BadRequest
    with pytest.raises(BadRequest) as refused:
        commands.parse(commands.DelayReason, body)
    assert (refused.value.code, refused.value.field) == ("invalid_type", "")


def test_a_command_reads_the_fields_it_names_and_absent_ones_are_none():
    cmd = commands.parse(commands.Decide, {"decision": "approve", "other": 1})
    assert (cmd.decision, cmd.reason, cmd.signature) == ("approve", None, None)


@pytest.mark.parametrize("operation", sorted(op for op, kind in commands.BY_OPERATION.items()
                                             if kind is not commands.Login), ids=" ".join)
def test_every_operation_that_parses_a_command_documents_the_400_for_a_body_that_is_not_an_object(
        operation):
    # the edge parses the body before the service's policy check, so any caller may meet it
    # (login alone answers 422 `required`: it names the fields it needs instead)
    method, path = operation
    bad_request = DOC["paths"][path][method]["responses"]["400"]
    assert "invalid_type" in bad_request["content"]["application/json"]["examples"]
    assert "invalid_type" in bad_request["description"]
