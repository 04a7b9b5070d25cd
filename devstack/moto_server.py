"""An in-process moto server for the local stack and the integration tests.

moto's own ThreadedMotoServer is almost what we need, but the local stack also
has to switch on Step Functions execution, point moto's interpreter at the right
port, serialise DynamoDB requests so that no acknowledged write is lost,
refuse S3 uploads whose bytes differ from their checksum, as S3 does, and show
what it "sent" (SES e-mails, SNS risk warnings) at a local-only /_local/outbox/.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from chalicelib import clock

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# moto keeps its backends in process-wide globals, so one lock for the process.
_DYNAMODB_LOCK = threading.Lock()


class _SerialiseDynamoDB:
    """WSGI middleware running every DynamoDB request under one lock.

    moto's transact_write_items deep-copies each table it touches and, when the
    transaction is cancelled, puts that copy back: a write another thread made
    in between is silently lost, and a deep copy taken while another thread
    mutates the table can fail outright. Real DynamoDB never loses an
    acknowledged write, so the local stack must not either.

    DynamoDB Streams requests wait on the same lock, so a stream read never
    falls inside a transaction (see _keep_stream_shards for the rest).
    """

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        # "DynamoDB_20120810.X" and "DynamoDBStreams_20120810.X".
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_", "DynamoDBStreams_")):
            with _DYNAMODB_LOCK:
                # Materialise the body inside the lock so that the lock covers
                # the whole response, whatever the app defers to iteration.
                body = list(self._app(environ, start_response))
                _forget_tracked_instances()
                return body
        return self._app(environ, start_response)


def _keep_stream_shards() -> None:
    """A cancelled transaction takes back its stream records in place.

    moto applies a transaction's items one by one, each appending its stream
    record, and when one fails its condition puts back its deep copy of the
    table — with a copy of the stream shard. A shard iterator taken before then
    still reads the old shard, which keeps the records of writes that never
    happened (the local event pump published `dossier.submitted` for a dossier
    that does not exist: an Idempotency-Key's losing submission), and the next
    real write reuses the sequence number of the phantom, so a reader resuming
    after it skipped that write. Real DynamoDB streams only committed writes:
    here the shard the iterators hold stays the table's shard, cut back to its
    length before the transaction. Installed once per process, idempotently.
    """
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_keeps_stream_shards", False):
        return

    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        shards = {name: (table.stream_shard, len(table.stream_shard.items))
                  for name, table in self.tables.items() if table.stream_shard is not None}
        try:
            return original(self, *args, **kwargs)
        except Exception:
            for name, (shard, length) in shards.items():
                table = self.tables.get(name)
                if table is not None and table.stream_shard is not shard:
                    del shard.items[length:]
                    shard.table, table.stream_shard = table, shard
            raise

    transact_write_items._keeps_stream_shards = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _forget_tracked_instances() -> None:
    """moto appends every model object it ever creates to its class's `instances_tracked` (for
    its server's dashboard), deep copies included. A transaction deep-copies each table it
    touches, so every item, stream record and table copy stayed alive for ever: memory grew with
    transactions × table size (a chaos run of 500 dossiers was killed at 24 GB). DynamoDB's
    models are not needed on the dashboard; the list is emptied after each request."""
    from moto.core.model_instances import model_data
    for service in ("dynamodb", "dynamodbstreams"):
        for model in list(model_data.get(service, {}).values()):
            model.instances_tracked.clear()


class _ForgetShardIterators:
    """WSGI middleware dropping all but the newest DynamoDB Streams shard iterators.

    moto keeps every shard iterator it ever handed out (each GetShardIterator and GetRecords adds
    one), and each holds its shard and table: after a cancelled transaction has put back a deep
    copy of the table, the iterators taken before pin the orphaned copy, records and all. AWS
    expires an iterator after 15 minutes; the event pump uses each one at once, so keeping the
    newest few hundred is plenty.
    """

    KEEP = 512

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDBStreams_"):
            return self._app(environ, start_response)
        body = list(self._app(environ, start_response))
        from moto.dynamodbstreams.models import dynamodbstreams_backends
        for regions in list(dynamodbstreams_backends.values()):
            for backend in list(regions.values()):
                iterators = backend.shard_iterators
                # Under the DynamoDB lock already: _SerialiseDynamoDB wraps this middleware and
                # holds it for every Streams request (taking it again here would deadlock).
                for arn in list(iterators)[:max(0, len(iterators) - self.KEEP)]:
                    iterators.pop(arn, None)
        return body


class _EnforceS3Checksum:
    """WSGI middleware refusing an S3 PUT whose body does not match its SHA-256 checksum header.

    Real S3 answers 400 BadDigest when the bytes differ from `x-amz-checksum-sha256`; moto (5.2.5)
    stores them anyway. The product's presigned uploads rely on S3 for this, so the local stack
    does what S3 does. (The product still re-checks each file's hash at submission.)
    """

    _BAD_DIGEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>'
                   b"<Message>The SHA256 you specified did not match the calculated checksum."
                   b"</Message></Error>")

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        expected = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if environ.get("REQUEST_METHOD") != "PUT" or not expected:
            return self._app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if base64.b64encode(hashlib.sha256(body).digest()).decode() != expected:
            start_response("400 Bad Request", [("Content-Type", "application/xml"),
                                               ("Content-Length", str(len(self._BAD_DIGEST)))])
            return [self._BAD_DIGEST]
        environ["wsgi.input"] = io.BytesIO(body)
        return self._app(environ, start_response)


OUTBOX_PREFIX = "/_local/outbox/"
_CREDENTIAL_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([a-z0-9\-]+)/aws4_request")
_MESSAGE_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")


class _LocalOutbox:
    """WSGI middleware: what the local stack sent, served read-only at /_local/outbox/.

    moto keeps sent SES e-mails (`ses_backends[...].sent_messages`) and SNS publications (each
    topic's `sent_notifications`) in memory, but serves no endpoint for them, records no time,
    and delivers nothing to e-mail, SMS or app subscriptions. This middleware stamps each SES
    send and SNS publish with the time it was answered and, for a publication, the subscriptions
    its topic had at that moment (whom SNS would have delivered it to), and serves
      GET /_local/outbox/emails   every e-mail moto's SES accepted
      GET /_local/outbox/alerts   every publication on a risk-warning topic (kbnn-risk-*)
    as JSON (`python -m devstack.outbox` prints them). Local only: AWS has nothing like it, and
    it reads moto's memory without changing it.
    """

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._stamps: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._stamps.clear()

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(OUTBOX_PREFIX):
            return self._serve(environ, start_response)
        signed = _CREDENTIAL_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = signed.group(1) if signed else None
        if service not in ("ses", "sns"):
            return self._app(environ, start_response)
        body = b"".join(self._app(environ, start_response))
        at = clock.now().timestamp()   # the product's time, as the outbox shows it
        for message_id in _MESSAGE_ID.findall(body):
            ident = message_id.decode()
            stamp: dict[str, Any] = {"sent_at": at}
            if service == "sns":
                stamp["delivered_to"] = _subscribers_of_publication(ident)
            with self._lock:
                self._stamps[ident] = stamp
        return [body]

    def stamp(self, message_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._stamps.get(message_id, {}))

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        view = environ["PATH_INFO"][len(OUTBOX_PREFIX):].strip("/")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if environ.get("REQUEST_METHOD") != "GET" or view not in ("emails", "alerts"):
            return _json_response(start_response, "404 Not Found", {
                "error": "GET /_local/outbox/emails or /_local/outbox/alerts"})
        items = self.emails(query) if view == "emails" else self.alerts(query)
        return _json_response(start_response, "200 OK", {"items": items, "count": len(items)})

    def emails(self, query: dict[str, str]) -> list[dict[str, Any]]:
        from moto.ses.models import ses_backends
        found = []
        for regions in list(ses_backends.values()):
            for backend in list(regions.values()):
                for message in list(backend.sent_messages):
                    destinations = message.destinations
                    to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) \
                        else list(destinations)
                    found.append({"message_id": message.id, "from": message.source, "to": to,
                                  "subject": getattr(message, "subject", None),
                                  "body": getattr(message, "body", None)
                                  or getattr(message, "raw_data", None),
                                  **self.stamp(message.id)})
        to, text = query.get("to"), query.get("contains")
        found = [m for m in found if (not to or to in m["to"])
                 and (not text or text in f"{m['subject']}\n{m['body']}")]
        return _since_and_last(found, query)

    def alerts(self, query: dict[str, str]) -> list[dict[str, Any]]:
        from moto.sns.models import sns_backends
        found = []
        for regions in list(sns_backends.values()):
            for backend in list(regions.values()):
                for topic in list(backend.topics.values()):
                    if not topic.name.startswith("kbnn-risk-"):
                        continue
                    for message_id, message, subject, attributes, _ in list(topic.sent_notifications):
                        found.append({"topic": topic.name, "message_id": message_id,
                                      "subject": subject, **_structured(message),
                                      "attributes": {k: v.get("Value") for k, v
                                                     in (attributes or {}).items()},
                                      **self.stamp(message_id)})
        wanted = {"topic": query.get("topic"),
                  "unit": query.get("unit") and f"kbnn-risk-{query['unit']}",
                  "office": query.get("office") and f"kbnn-risk-office-{query['office']}"}
        for key in ("dossier_id", "kind", "event", "rule"):
            if query.get(key):
                found = [a for a in found if a["attributes"].get(key) == query[key]]
        for value in wanted.values():
            if value:
                found = [a for a in found if a["topic"] == value]
        found.sort(key=lambda a: a.get("sent_at") or 0)
        return _since_and_last(found, query)


def _subscribers_of_publication(message_id: str) -> list[dict[str, str]]:
    """The subscriptions of the topic a message was just published to."""
    from moto.sns.models import sns_backends
    for regions in list(sns_backends.values()):
        for backend in list(regions.values()):
            for topic in list(backend.topics.values()):
                if any(sent[0] == message_id for sent in topic.sent_notifications[-5:]):
                    return [{"protocol": sub.protocol, "endpoint": sub.endpoint}
                            for sub in list(backend.subscriptions.values())
                            if sub.topic.arn == topic.arn]
    return []


def _structured(message: str) -> dict[str, Any]:
    """A publication with MessageStructure=json carries one text per protocol."""
    try:
        texts = json.loads(message)
    except ValueError:
        texts = None
    if isinstance(texts, dict) and "default" in texts:
        return {"text": texts["default"], "sms": texts.get("sms")}
    return {"text": message, "sms": None}


def _since_and_last(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    if query.get("since"):
        since = float(query["since"]) if query["since"].replace(".", "", 1).isdigit() else 0.0
        items = [i for i in items if (i.get("sent_at") or 0) > since]
    if query.get("last", "").isdigit():
        items = items[-int(query["last"]):] if int(query["last"]) else []
    return items


def _json_response(start_response: Callable[..., Any], status: str,
                   body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body, ensure_ascii=False, indent=1).encode()
    start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]


class _QuietRequestHandler(MotoRequestHandler):
    # werkzeug logs one line per request; the SDKs make hundreds of them.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalMoto:
    """moto's server on a threaded werkzeug server, in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> None:
        self.host = host
        _keep_stream_shards()
        # make_server binds in the constructor, so port 0 lets the OS pick a
        # free port and we read the real one back before serving.
        self.outbox = _LocalOutbox(
            _SerialiseDynamoDB(_ForgetShardIterators(_EnforceS3Checksum(
                DomainDispatcherApplication(create_backend_app)))))
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            self.outbox,
            threaded=True,
            request_handler=MotoRequestHandler if log_requests else _QuietRequestHandler,
        )
        self.port: int = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalMoto:
        # moto's Step Functions interpreter calls other services (SQS) at
        # http://localhost:$MOTO_PORT, read on every call; set it before any
        # execution can start.
        os.environ["MOTO_PORT"] = str(self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"moto:{self.port}", daemon=True
        )
        self._thread.start()
        # moto's state is process-wide, not per server: without a reset, a
        # second LocalMoto in one process (the next test module) would see
        # the previous one's resources and fail to provision its own.
        self._post("/moto-api/reset", {})
        self.outbox.reset()
        # Without this, moto only records executions and never runs them. It
        # must precede create_state_machine: machines created before the
        # switch live in a different backend and are never executed.
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LocalMoto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.endpoint_url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        # /moto-api/config answers 201 with the batch/lambda config only (it
        # does not echo the stepfunctions flag), so a body that parses is all
        # we can check; urlopen raises on an error status.
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description="Run moto for the local stack.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--log-requests", action="store_true")
    args = parser.parse_args()
    moto = LocalMoto(args.host, args.port, log_requests=args.log_requests).start()
    print(f"moto listening on {moto.endpoint_url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
