"""Where AWS clients are made: lazily, once per process, all observed by the same hook.

Nothing here runs at import. The endpoint comes from the standard AWS_ENDPOINT_URL variable, so
the same code talks to moto locally and to AWS in Lambda. Observers see every API call
(service, operation): the benchmark counts calls with them and a test proves no request path
scans.
Senders see every HTTP request just before it leaves (botocore's `before-send`) and may answer it
instead: the local stack's fault injection (devstack/faults.py) lives there, so botocore's own
retries and the product's recovery meet the failures they would meet in AWS.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

Observer = Callable[[str, str], None]
CallObserver = Callable[[str, str, dict], None]
_observers: list[Observer] = []
_call_observers: list[CallObserver] = []
Sender = Callable[..., Any]
_senders: list[Sender] = []


def observe(observer: Observer) -> Callable[[], None]:
    """Register an observer of every AWS call; returns a function that removes it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def observe_calls(observer: CallObserver) -> Callable[[], None]:
    """Register an observer of every AWS call with its parameters (service, operation, params),
    presigned URLs included; the call inventory (infra/inventory.py) is recorded with it."""
    _call_observers.append(observer)
    return lambda: _call_observers.remove(observer)


def intercept_sends(sender: Sender) -> Callable[[], None]:
    """Register a `before-send` handler on every client, made or to be made (kwargs: request,
    event_name); a non-None return value is the response. Returns a function that removes it."""
    _senders.append(sender)
    return lambda: _senders.remove(sender)


def _before_send(**kwargs: Any) -> Any:
    for sender in list(_senders):
        answer = sender(**kwargs)
        if answer is not None:
            return answer
    return None


def _before_parameter_build(params: dict, model: Any, **_: Any) -> None:
    for observer in list(_call_observers):
        observer(model.service_model.service_name, model.name, params)


def _before_call(model: Any, **_: Any) -> None:
    for observer in list(_observers):
        observer(model.service_model.service_name, model.name)


def instrument(botocore_client: Any) -> Any:
    botocore_client.meta.events.register("before-call", _before_call)
    botocore_client.meta.events.register("before-parameter-build", _before_parameter_build)
    botocore_client.meta.events.register("before-send", _before_send, unique_id="kbnn-senders")
    return botocore_client


def _botocore_config(service: str) -> Any:
    from botocore.config import Config
    # S3 presigned URLs must be SigV4 so the checksum header the uploader must send is signed.
    extra = {"signature_version": "s3v4"} if service == "s3" else {}
    return Config(retries={"mode": "standard", "max_attempts": 4},
                  connect_timeout=3, read_timeout=10, max_pool_connections=50, **extra)


@cache
def client(service: str, region: str) -> Any:
    import boto3
    return instrument(boto3.session.Session().client(service, region_name=region,
                                                       config=_botocore_config(service)))


def reset() -> None:
    """Forget cached clients (tests and the local stack re-point them at a new endpoint)."""
    client.cache_clear()
