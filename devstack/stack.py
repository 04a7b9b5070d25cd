"""The local stack, assembled: moto with Step Functions execution on, every resource from
infra/template.json, demo data, the event pump, the stand-in core ledger (devstack/ledger.py)
and (optionally) the Chalice API over HTTP.

`make run`, the integration tests and the benchmark all start the product through this class, so
what the tests exercise is what a developer runs. A harness that measures the stack
(bench.load_server) observes it through public hooks: `ApiHooks` around the local API server's
requests and app calls, and `LocalStack.moto` (devstack.moto_server.LocalMoto: `wrap`,
`observe_dynamodb_lock`); nothing here or in the libraries is patched for it.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import clock

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"


def api_url() -> str:
    """Where the devstack commands find the running stack's API: `make run`'s port, unless
    KBNN_API_URL says otherwise (the tests run the README's commands against their own stack)."""
    return os.environ.get("KBNN_API_URL", "http://127.0.0.1:8000")


def moto_url() -> str:
    """Where they find its moto: `make run`'s port, unless AWS_ENDPOINT_URL says otherwise."""
    return os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")


def pki_dir() -> Path:
    """Where they find its demo keys: `make run`'s .devstack/pki, unless KBNN_PKI_DIR says otherwise."""
    return Path(os.environ.get("KBNN_PKI_DIR") or ROOT / ".devstack" / "pki")


@dataclass
class ApiHooks:
    """Ways to observe the local API server, each run on the request's thread:
    around_request(method, path, handle) must call handle() — reading the HTTP request, the whole
    local gateway and writing the response; around_app(call) must return call() — the Chalice app
    itself (routing, middleware, the route's handler), as Lambda would invoke it."""
    around_request: Callable[[str, str, Callable[[], None]], None] | None = None
    around_app: Callable[[Callable[[], Any]], Any] | None = None


class _ObservedApp:
    """The Chalice app as the local gateway sees it, each invocation passed through around_app."""

    def __init__(self, app: Any, around_app: Callable[[Callable[[], Any]], Any]) -> None:
        self._app, self._around_app = app, around_app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def __call__(self, event: Any, context: Any) -> Any:
        return self._around_app(lambda: self._app(event, context))


def _handler_class(quiet: bool, hooks: ApiHooks):
    from chalice.local import ChaliceRequestHandler

    class Handler(ChaliceRequestHandler):
        def __init__(self, request, client_address, server, app_object, config) -> None:
            if hooks.around_app is not None:
                app_object = _ObservedApp(app_object, hooks.around_app)
            super().__init__(request, client_address, server, app_object, config)

        def log_message(self, *args) -> None:
            if not quiet:   # tests and benchmarks: no access log
                super().log_message(*args)

    def observed(verb: str):
        handle = getattr(ChaliceRequestHandler, f"do_{verb}")

        def do(self) -> None:
            if hooks.around_request is None:
                handle(self)
            else:
                hooks.around_request(self.command, self.path, lambda: handle(self))
        return do

    for verb in ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"):
        setattr(Handler, f"do_{verb}", observed(verb))
    return Handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalStack:
    def __init__(self, *, moto_port: int = 0, api_port: int | None = 8000,
                 seed_demo: bool = True, pump: bool = True, quiet: bool = False,
                 pki_dir: Path | None = None, ledger: bool | None = None,
                 faults=None, api_hooks: ApiHooks | None = None) -> None:
        self.moto_port = moto_port
        self.api_port = api_port
        self.seed_demo = seed_demo
        self.run_pump = pump
        self.run_ledger = pump if ledger is None else ledger   # TABMIS answers what posting asks
        self.ledger = None
        self.quiet = quiet
        self.api_hooks = api_hooks
        # devstack.faults.Faults: a share of the product's AWS calls fail (after provisioning
        # and seeding, which are not the product's calls).
        self.faults = faults
        # Demo keys live only for the life of the stack: fresh at every start, never committed.
        self.pki_dir = Path(pki_dir) if pki_dir else Path(tempfile.mkdtemp(prefix="kbnn-pki-"))
        self.pki = None
        self.env: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self._moto = None
        self._pump = None
        self._api = None
        self._api_thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return self._moto.endpoint_url

    @property
    def moto(self):
        """The running devstack.moto_server.LocalMoto (its public hooks: wrap, observe_dynamodb_lock)."""
        return self._moto

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> LocalStack:
        from .moto_server import LocalMoto
        from .provision import provision

        base = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
        os.environ.update(base)
        self._moto = LocalMoto(host="127.0.0.1", port=self.moto_port)
        self._moto.start()
        outputs = provision(self.endpoint_url, region=REGION)
        self.outputs = outputs
        # The product's clock travels with the environment, so commands run against this stack
        # (tests' subprocesses, the README's commands) continue its timeline.
        self.env = {**base, "AWS_ENDPOINT_URL": self.endpoint_url, **outputs, **clock.environment()}
        os.environ.update(self.env)
        if self.seed_demo:
            from .pki import DemoPKI
            from .seed import seed, trust_demo_ca
            seed(self.endpoint_url, self.env, region=REGION)
            shutil.rmtree(self.pki_dir, ignore_errors=True)
            self.pki = DemoPKI(self.pki_dir)
            trust_demo_ca(self.env, self.pki.ca_pem, self.endpoint_url, region=REGION)

        import app as app_module
        from chalicelib import composition
        composition.reset()
        if self.seed_demo:
            from .seed import register_demo_certificates
            register_demo_certificates(self.pki, self.env, self.endpoint_url, region=REGION)
        if self.faults is not None:
            self.faults.install()
        if self.run_ledger:
            from .ledger import StandInLedger
            self.ledger = StandInLedger(self.endpoint_url, REGION,
                                        outputs["LEDGER_REQUEST_QUEUE_URL"],
                                        outputs["LEDGER_CONFIRMATION_QUEUE_URL"]).start()
        if self.run_pump:
            self._pump = self.make_pump()
            self._pump.start()
        if self.api_port is not None:
            self._start_api(app_module)
        return self

    def make_pump(self):
        import app as app_module
        from chalicelib.adapters import aws

        from .pump import EventPump
        return EventPump(app_module.app, app_module, aws.client("sqs", REGION))

    @property
    def pump(self):
        return self._pump

    def _start_api(self, app_module) -> None:
        from chalice.config import Config
        from chalice.local import create_local_server

        config = Config.create(chalice_stage="dev", app_name="kbnn-dvc", project_dir=str(ROOT),
                               chalice_app=app_module.app,
                               config_from_disk=json.loads((ROOT / ".chalice/config.json").read_text()))
        if self.api_port == 0:
            self.api_port = free_port()
        self._api = create_local_server(app_module.app, config, "127.0.0.1", self.api_port)
        if self.quiet or self.api_hooks is not None:
            self._api.server.RequestHandlerClass = functools.partial(
                _handler_class(self.quiet, self.api_hooks or ApiHooks()),
                app_object=app_module.app, config=config)
        self._api_thread = threading.Thread(target=self._api.server.serve_forever,
                                            name="chalice-local", daemon=True)
        self._api_thread.start()

    def stop(self) -> None:
        if self.faults is not None:
            self.faults.uninstall()
        if self._api is not None:
            self._api.shutdown()
            self._api.server.server_close()
        if self._pump is not None:
            self._pump.stop()
        if self.ledger is not None:
            self.ledger.stop()
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
