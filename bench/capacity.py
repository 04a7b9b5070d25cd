"""What the AWS calls of a paid dossier are billed as: the inputs of the cost model (bench.cost).

Why this exists: the app's call hook (chalicelib.adapters.aws.observe) says which operation ran,
but AWS bills DynamoDB by capacity units (item size, transactions, index writes), EventBridge by
event entries, SES by message and SQS by request. So while the benchmark runs, this module also
listens to the parameters of the same clients' calls (botocore's `before-parameter-build` event,
registered as each client is instrumented) and files them under the same buckets as CallLog
(the HTTP request in flight, or the queue handler running). Afterwards it reads back the items
the updates touched, to size them, and turns everything into units per paid dossier.

DynamoDB rules applied (as documented for on-demand tables):
  * a write costs 1 WRU per started KB of the item (for an update: of the item afterwards, read
    back at the end of the run, so a grown item counts at its grown size); in a transaction
    every item costs twice that, condition checks included;
  * each write also writes every global secondary index whose key attributes the item has,
    1 WRU per started KB of the projection (ALL: the item; otherwise the keys, < 1 KB); an update
    that sets an index's key attribute moves the index entry, one more index write;
  * a read costs 1 RRU per started 4 KB for a strongly consistent read, half for an eventually
    consistent one, twice for a transactional one; items read are assumed ≤ 4 KB, and a Query's
    page likewise (the run's lists are short);
  * a stream read by a Lambda trigger is free, so the stream handlers' reads are not counted.
"""
from __future__ import annotations

import json
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
KB = 1024
ROW_OVERHEAD = 100        # bytes DynamoDB adds per stored item (and per index entry) for storage
_WRITE_ACTIONS = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}


# --- item sizes, as DynamoDB counts them ---------------------------------------------------------
def value_size(value: dict) -> int:
    """Bytes of one attribute value in DynamoDB's JSON form (the documented sizing rules)."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(1 + value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(x) for k, x in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


# --- the tables, as the template defines them -----------------------------------------------------
def table_schemas(template: dict | None = None) -> dict[str, dict]:
    """Table name -> its key attributes and its global secondary indexes."""
    template = template or json.loads(TEMPLATE.read_text(encoding="utf-8"))
    schemas = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        schemas[props["TableName"]] = {
            "key": [k["AttributeName"] for k in props["KeySchema"]],
            "indexes": [{"name": g["IndexName"],
                         "key": [k["AttributeName"] for k in g["KeySchema"]],
                         "projection": g["Projection"]["ProjectionType"]}
                        for g in props.get("GlobalSecondaryIndexes", [])]}
    return schemas


# --- listening to the calls ------------------------------------------------------------------------
class Capture:
    """Files each observed call's billable facts under `bucket_of()` (None: not counted)."""

    def __init__(self) -> None:
        self.bucket_of: Callable[[], str | None] = lambda: None
        self.writes: dict[str, list[dict]] = defaultdict(list)   # bucket -> DynamoDB writes
        self.reads: dict[str, list[dict]] = defaultdict(list)    # bucket -> DynamoDB reads
        self.other: dict[str, Counter] = defaultdict(Counter)     # bucket -> "service:fact" -> n
        self._lock = threading.Lock()

    def __call__(self, params: dict, model: Any, **_: Any) -> None:
        bucket = self.bucket_of()
        if bucket is None:
            return
        service, operation = model.service_model.service_name, model.name
        with self._lock:
            if service == "dynamodb":
                self._dynamodb(bucket, operation, params)
            elif service == "events" and operation == "PutEvents":
                self.other[bucket]["eventbridge:events"] += len(params.get("Entries", []))
            elif service == "ses" and operation in ("SendEmail", "SendRawEmail"):
                dest = params.get("Destination", {})
                self.other[bucket]["ses:emails"] += 1
                self.other[bucket]["ses:recipients"] += sum(
                    len(dest.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses")) \
                    or len(params.get("Destinations", [])) or 1
            elif service == "sns" and operation in ("Publish", "PublishBatch"):
                self.other[bucket]["sns:publishes"] += len(params.get("PublishBatchRequestEntries",
                                                                      [None]))
            elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
                queue = str(params.get("QueueUrl", "?")).rsplit("/", 1)[-1]
                self.other[bucket][f"sqs:sent:{queue}"] += len(params.get("Entries", [None]))
            elif service == "s3":
                self.other[bucket][f"s3:{operation}"] += 1

    def _dynamodb(self, bucket: str, operation: str, params: dict) -> None:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self.writes[bucket].append(_write(operation.removesuffix("Item").lower(), params,
                                              transactional=False))
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                (name, body), = action.items()
                self.writes[bucket].append(_write(_WRITE_ACTIONS[name], body, transactional=True))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        self.writes[bucket].append(_write(
                            "put", {"TableName": table, **request["PutRequest"]}, False))
                    else:
                        self.writes[bucket].append(_write(
                            "delete", {"TableName": table, **request["DeleteRequest"]}, False))
        elif operation in ("GetItem", "Query"):
            self.reads[bucket].append({"table": params["TableName"], "items": 1,
                                       "consistent": bool(params.get("ConsistentRead")),
                                       "transactional": False})
        elif operation == "BatchGetItem":
            for table, spec in params["RequestItems"].items():
                self.reads[bucket].append({"table": table, "items": len(spec["Keys"]),
                                           "consistent": bool(spec.get("ConsistentRead")),
                                           "transactional": False})
        elif operation == "TransactGetItems":
            for action in params["TransactItems"]:
                self.reads[bucket].append({"table": action["Get"]["TableName"], "items": 1,
                                           "consistent": True, "transactional": True})


def _write(kind: str, body: dict, transactional: bool) -> dict:
    record = {"table": body["TableName"], "kind": kind, "transactional": transactional}
    if kind == "put":
        record["item"] = body["Item"]
    else:
        record["key"] = body["Key"]
        names = body.get("ExpressionAttributeNames", {})
        expression = body.get("UpdateExpression", "")
        record["sets"] = sorted({names.get(token, token) for token in
                                 expression.replace(",", " ").replace("=", " ").split()
                                 if token.startswith("#") or token.isidentifier()})
    return record


def listen(capture: Capture) -> Callable[[], None]:
    """Register `capture` on every client the app instruments from now on (start the stack after
    this: clients are built, and instrumented, lazily); returns a function that stops it."""
    from chalicelib.adapters import aws
    original = aws.instrument

    def instrument(client: Any) -> Any:
        client.meta.events.register("before-parameter-build", capture,
                                    unique_id="bench-capacity")
        return original(client)

    aws.instrument = instrument

    def stop() -> None:
        aws.instrument = original
    return stop


# --- units per dossier ------------------------------------------------------------------------------
def dynamodb_units(capture: Capture, buckets: list[str], get_item: Callable[[str, dict], dict | None],
                   dossiers: int, schemas: dict[str, dict] | None = None) -> dict:
    """WRU, index WRU and RRU per dossier by table (and by bucket), and the bytes each dossier
    leaves stored (distinct items written, at their final size, with their index copies)."""
    schemas = schemas or table_schemas()
    final: dict[tuple[str, str], dict | None] = {}    # (table, key) -> the item now (None: gone)

    def item_now(table: str, key: dict) -> dict | None:
        ident = (table, json.dumps(key, sort_keys=True))
        if ident not in final:
            final[ident] = get_item(table, key)
        return final[ident]

    def size_now(table: str, key: dict) -> int | None:
        item = item_now(table, key)
        return item_size(item) if item else None

    wru: Counter = Counter()
    gsi_wru: Counter = Counter()
    rru: Counter = Counter()
    by_bucket: dict[str, Counter] = defaultdict(Counter)
    stored: dict[tuple[str, str], dict] = {}
    for bucket in buckets:
        for w in capture.writes.get(bucket, []):
            table, schema = w["table"], schemas.get(w["table"], {"key": [], "indexes": []})
            if w["kind"] == "put":
                key = {k: w["item"][k] for k in schema["key"] if k in w["item"]}
                size, attrs = item_size(w["item"]), set(w["item"])
                final_size = size_now(table, key) if key else size
            else:
                key = w["key"]
                final_size = size_now(table, key)
                size = final_size if final_size is not None else KB
                attrs = set(w["sets"]) | set(key)
                attrs |= set(item_now(table, key) or {})
            units = write_units(size) * (2 if w["transactional"] else 1)
            index_units = 0
            if w["kind"] != "check":
                for index in schema["indexes"]:
                    if index["key"][0] not in attrs:
                        continue
                    index_units += write_units(size) if index["projection"] == "ALL" else 1
                    if w["kind"] == "update" and set(index["key"]) & set(w["sets"]):
                        index_units += 1       # the old entry is deleted, the new one written
            wru[table] += units
            gsi_wru[table] += index_units
            by_bucket[bucket]["wru"] += units + index_units
            if w["kind"] in ("put", "update") and final_size is not None:
                stored[(table, json.dumps(key, sort_keys=True))] = {
                    "table": table, "size": final_size,
                    "indexes": sum(1 for i in schema["indexes"] if i["key"][0] in attrs
                                   and i["projection"] == "ALL")}
        for r in capture.reads.get(bucket, []):
            per_item = (1.0 if r["consistent"] else 0.5) * (2 if r["transactional"] else 1)
            rru[r["table"]] += per_item * r["items"]
            by_bucket[bucket]["rru"] += per_item * r["items"]
    stored_bytes: Counter = Counter()
    for entry in stored.values():
        stored_bytes[entry["table"]] += (entry["size"] + ROW_OVERHEAD) * (1 + entry["indexes"])
    per = 1 / dossiers
    return {
        "write_request_units": {t: n * per for t, n in sorted(wru.items())},
        "index_write_request_units": {t: n * per for t, n in sorted(gsi_wru.items()) if n},
        "read_request_units": {t: n * per for t, n in sorted(rru.items())},
        "by_bucket": {b: {k: v * per for k, v in sorted(c.items())}
                      for b, c in sorted(by_bucket.items())},
        "stored_bytes": {t: n * per for t, n in sorted(stored_bytes.items())},
    }


def other_facts(capture: Capture, buckets: list[str], dossiers: int) -> dict[str, float]:
    total: Counter = Counter()
    for bucket in buckets:
        total.update(capture.other.get(bucket, Counter()))
    return {fact: n / dossiers for fact, n in sorted(total.items())}
