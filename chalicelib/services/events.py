"""The tables' change streams, turned into domain events on the bus.

Lambda (locally: the event pump) hands each table's stream records here in order, per item. A
failure raises, and the whole batch is retried; events are identified by the change they come
from, so a retried batch republishes the same ids and consumers drop the copies.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from ..adapters.eventbus import EventBus
from ..domain import events

_deserializer = TypeDeserializer()
Converter = Callable[[dict | None, dict | None], list[events.Event]]
CONVERTERS: dict[str, Converter] = {
    "dossiers": events.from_dossier,
    "directory": events.from_directory,
    "certificates": events.from_certificate,
    "statements": events.from_statement,
}


def plain(image: dict | None) -> dict | None:
    """A stream image (DynamoDB attribute values) as plain Python values."""
    if not image:
        return None
    return {k: _plain_number(_deserializer.deserialize(v)) for k, v in image.items()}


def _plain_number(value: Any) -> Any:
    from decimal import Decimal
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_number(v) for v in value]
    return value


def from_records(table: str, records: Iterable[Any]) -> list[events.Event]:
    """Chalice DynamoDB records (or raw stream records) of `table` as domain events."""
    convert = CONVERTERS[table]
    found: list[events.Event] = []
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        images = raw.get("dynamodb", {})
        found += convert(plain(images.get("OldImage")), plain(images.get("NewImage")))
    return found


def publish(table: str, records: Iterable[Any], bus: EventBus) -> int:
    return bus.publish(from_records(table, records))
