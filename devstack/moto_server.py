"""An in-process moto server for the local stack and the integration tests.

moto's own ThreadedMotoServer is almost what we need, but the local stack also
has to switch on Step Functions execution, point moto's interpreter at the right
port, serialise DynamoDB requests so that no acknowledged write is lost, and
refuse S3 uploads whose bytes differ from their checksum, as S3 does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

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
    """

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        # "DynamoDB_20120810.X"; DynamoDB Streams ("DynamoDBStreams_...") only
        # reads, so it does not need to wait behind writers.
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB_LOCK:
                # Materialise the body inside the lock so that the lock covers
                # the whole response, whatever the app defers to iteration.
                return list(self._app(environ, start_response))
        return self._app(environ, start_response)


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


class _QuietRequestHandler(MotoRequestHandler):
    # werkzeug logs one line per request; the SDKs make hundreds of them.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalMoto:
    """moto's server on a threaded werkzeug server, in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> None:
        self.host = host
        # make_server binds in the constructor, so port 0 lets the OS pick a
        # free port and we read the real one back before serving.
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            _SerialiseDynamoDB(_EnforceS3Checksum(DomainDispatcherApplication(create_backend_app))),
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
