"""The aggregates table: the portal's status feed and the report counters, kept from events.

Every read here is a GetItem or a Query on a key the report names (an office, a day range, a
week); nothing scans. Item layout (pk / sk), documented in docs/reports.md and docs/portal.md:

    FEED#<UTC day>          / <recorded_at>#<event_id>   one portal feed entry (90 days)
    COUNT#<office>#<shard>  / <local day>#<procedure>    counters, ADDed (received, decided, ...)
    ACTIVE#<office>#<week>  / <unit_id>                  the unit submitted in that ISO week
    UNITS#<office>          / -                          registered units, declared mandatory units
    PAPER#<office>          / <local day>                vouchers the office received on paper

The one table reached through boto3's low-level client rather than a PynamoDB model: a counter's
attribute names are data (one per figure a report keeps, added by the report code, not declared
in a schema), which a PynamoDB model cannot express; the layout above is its schema instead.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..domain import aggregates
from . import aws

FEED_RETENTION = timedelta(days=90)
ACTIVITY_RETENTION = timedelta(days=400)
_ser, _de = TypeSerializer(), TypeDeserializer()


def _item(values: Mapping[str, Any]) -> dict:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in item.items():
        v = _de.deserialize(value)
        out[key] = int(v) if hasattr(v, "to_integral_value") else v
    return out


class AggregateStore:
    def __init__(self, table: str, region: str) -> None:
        self.table, self.region = table, region

    @property
    def _ddb(self) -> Any:
        return aws.client("dynamodb", self.region)

    def _query(self, **kwargs: Any) -> Iterator[dict]:
        """Every page of one Query."""
        while True:
            page = self._ddb.query(TableName=self.table, **kwargs)
            yield from (_plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- writes (from the event consumers and two small routes) ---------------------------
    def add_counts(self, tally: aggregates.Tally) -> None:
        """One atomic ADD of every increment of one event to its shard's counter item."""
        names = sorted(tally.counts)
        self._ddb.update_item(
            TableName=self.table,
            Key=_item({"pk": f"COUNT#{tally.office_id}#{tally.shard}",
                       "sk": f"{tally.day}#{tally.procedure}"}),
            UpdateExpression="SET #day = :day, #proc = :proc ADD " +
                             ", ".join(f"#c{i} :c{i}" for i in range(len(names))),
            ExpressionAttributeNames={"#day": "day", "#proc": "procedure",
                                      **{f"#c{i}": n for i, n in enumerate(names)}},
            ExpressionAttributeValues=_item({":day": tally.day, ":proc": tally.procedure,
                                             **{f":c{i}": tally.counts[n]
                                                for i, n in enumerate(names)}}))

    def mark_active(self, office_id: str, week: str, unit_id: str, now: datetime) -> None:
        """Idempotent: a unit is active in a week however many dossiers it sends."""
        self._ddb.put_item(TableName=self.table, Item=_item({
            "pk": f"ACTIVE#{office_id}#{week}", "sk": unit_id,
            "expires_at": int((now + ACTIVITY_RETENTION).timestamp())}))

    def add_unit(self, office_id: str, mandatory: bool) -> None:
        self._ddb.update_item(
            TableName=self.table, Key=_item({"pk": f"UNITS#{office_id}", "sk": "-"}),
            UpdateExpression="ADD registered :one, registered_mandatory :m",
            ExpressionAttributeValues=_item({":one": 1, ":m": 1 if mandatory else 0}))

    def set_mandatory_units(self, office_id: str, count: int, by: str, at: str) -> None:
        self._ddb.update_item(
            TableName=self.table, Key=_item({"pk": f"UNITS#{office_id}", "sk": "-"}),
            UpdateExpression="SET mandatory_units = :n, mandatory_units_by = :by, "
                             "mandatory_units_at = :at",
            ExpressionAttributeValues=_item({":n": count, ":by": by, ":at": at}))

    def set_paper_vouchers(self, office_id: str, day: str, count: int, by: str, at: str) -> None:
        self._ddb.put_item(TableName=self.table, Item=_item({
            "pk": f"PAPER#{office_id}", "sk": day, "count": count, "by": by, "at": at}))

    def put_feed_entry(self, key: str, entry: Mapping[str, Any], now: datetime) -> None:
        self._ddb.put_item(TableName=self.table, Item=_item({
            "pk": f"FEED#{aggregates.feed_day(key)}", "sk": key, **entry,
            "recorded_at": key.split("#", 1)[0],
            "expires_at": int((now + FEED_RETENTION).timestamp())}))

    # --- reads (the report and feed routes) -------------------------------------------------
    def counters(self, office_id: str, first_day: str, last_day: str) -> list[dict]:
        """Every shard's counter items of the office between two local days (inclusive)."""
        found: list[dict] = []
        for shard in range(aggregates.SHARDS):
            found += self._query(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues=_item({":pk": f"COUNT#{office_id}#{shard}",
                                                 ":a": f"{first_day}#", ":b": f"{last_day}#~"}))
        return found

    def active_units(self, office_id: str, week: str) -> set[str]:
        return {i["sk"] for i in self._query(
            KeyConditionExpression="pk = :pk", ProjectionExpression="sk",
            ExpressionAttributeValues=_item({":pk": f"ACTIVE#{office_id}#{week}"}))}

    def units(self, office_id: str) -> dict:
        answer = self._ddb.get_item(TableName=self.table, ConsistentRead=True,
                                    Key=_item({"pk": f"UNITS#{office_id}", "sk": "-"}))
        return _plain(answer.get("Item", {}))

    def paper_vouchers(self, office_id: str, first_day: str, last_day: str) -> dict[str, int]:
        return {i["sk"]: int(i["count"]) for i in self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues=_item({":pk": f"PAPER#{office_id}", ":a": first_day,
                                             ":b": last_day}))}

    def feed(self, day: str, after: str, upto: str, limit: int) -> tuple[list[dict], bool]:
        """Entries of one UTC day recorded after position `after` and up to `upto`, oldest
        first, at most `limit`; and whether that day may hold more of them."""
        first = after + " "   # the smallest key above `after` that any entry can have
        if first > upto:
            return [], False
        answer = self._ddb.query(
            TableName=self.table, Limit=limit,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues=_item({":pk": f"FEED#{day}", ":a": first, ":b": upto}))
        return [_plain(i) for i in answer.get("Items", [])], "LastEvaluatedKey" in answer
