"""An in-process moto server for the local stack and the integration tests.

moto's own ThreadedMotoServer is almost what we need, but the local stack also has to correct
moto where the product would notice (every correction, checked against the installed moto at
start-up, is in devstack/moto_fixes.py), point moto's interpreter at the right port, and show
what it "sent" (SES e-mails, SNS risk warnings) at a local-only /_local/outbox/. A measuring
harness (bench.load_server) wraps the server's WSGI app and observes its DynamoDB lock through
`LocalMoto.wrap` and `LocalMoto.observe_dynamodb_lock`, never through private names.
"""

from __future__ import annotations

import argparse
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

from .moto_fixes import EXECUTE_STATE_MACHINES, SERIALISE_DYNAMODB, WSGIApp, install_all, wrap_app

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
        install_all()    # raises MotoChanged, naming the fix, if this moto is not the one measured
        # make_server binds in the constructor, so port 0 lets the OS pick a
        # free port and we read the real one back before serving.
        self.outbox = _LocalOutbox(wrap_app(DomainDispatcherApplication(create_backend_app)))
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

    def wrap(self, middleware: Callable[[WSGIApp], WSGIApp]) -> None:
        """Put `middleware` (WSGI app -> WSGI app) outermost around everything this server serves,
        the outbox and moto's fixes included; it sees every request, on the request's thread."""
        self._server.app = middleware(self._server.app)

    @staticmethod
    def observe_dynamodb_lock(observer: Callable[[float, float], None]) -> Callable[[], None]:
        """Call observer(wait_s, hold_s) on the request's thread after each DynamoDB or Streams
        request, with its wait for and hold of the lock that serialises them (moto_fixes).
        Returns the function that stops it."""
        SERIALISE_DYNAMODB.observers.append(observer)
        return lambda: SERIALISE_DYNAMODB.observers.remove(observer)

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
        EXECUTE_STATE_MACHINES.confirm()
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
