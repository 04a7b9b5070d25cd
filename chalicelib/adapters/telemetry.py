"""Observability in one place: X-Ray tracing, JSON log lines and CloudWatch metrics (EMF).

Every invocation, HTTP or event, passes through `invocation()` (one Chalice middleware in app.py).
It remembers, in context variables, what the invocation is about: the function, its request id,
the correlation id (the request's X-Correlation-Id, else the dossier's) and the dossier code once
known, read from the path, the message or the stream record, or told by a service through
`annotate_dossier()`. Log lines, the trace annotation and metrics all read that one record.

Switches (environment):
- tracing: `AWS_XRAY_DAEMON_ADDRESS` (Lambda sets it when tracing is Active) or
  `KBNN_TRACING=on`. Off, aws_xray_sdk (~170 ms of import) is never imported.
- JSON log lines: in Lambda (`AWS_LAMBDA_FUNCTION_NAME`) or `KBNN_LOGS=json`.
- metrics: in Lambda or `KBNN_METRICS=stdout`; one EMF line per invocation (per procedure) on
  stdout, which CloudWatch Logs turns into metrics.

No personal data leaves through here: log lines carry only the fields below and a short list of
`extra` keys; of a message only `dossier_id`, `posting_id` and `correlation_id` are taken, and
bodies, names, e-mail addresses, accounts and tokens are never written.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

SERVICE = "kbnn-dvc"
NAMESPACE = "KBNN/DVC"
ANNOTATION = "dossier_code"
_SAFE_ID = re.compile(r"[A-Za-z0-9_.:\-]{8,128}")   # the rule of X-Correlation-Id (openapi.json)
log = logging.getLogger("kbnn")
_patching = threading.Lock()


@dataclass
class Invocation:
    function: str
    request_id: str | None
    correlation_id: str | None = None       # the caller's own, from the request
    dossier_code: str | None = None
    dossier_correlation_id: str | None = None
    counts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    trace: Any = None                        # the X-Ray (sub)segment opened for it

    @property
    def correlation(self) -> str | None:
        return self.correlation_id or self.dossier_correlation_id or self.request_id


_current: ContextVar[Invocation | None] = ContextVar("kbnn_invocation", default=None)


def in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def tracing_on() -> bool:
    return bool(os.environ.get("AWS_XRAY_DAEMON_ADDRESS")) or os.environ.get("KBNN_TRACING") == "on"


def metrics_on() -> bool:
    return in_lambda() or os.environ.get("KBNN_METRICS") == "stdout"


# --- what a service tells -------------------------------------------------------------------
def annotate_dossier(code: str, correlation_id: str | None = None) -> None:
    """The current invocation is about this dossier (its code is its id)."""
    current = _current.get()
    if current is None:
        return
    current.dossier_code = code
    current.dossier_correlation_id = correlation_id or current.dossier_correlation_id
    if current.trace is not None:
        current.trace.put_annotation(ANNOTATION, code)


def count(metric: str, procedure: str | None = None, value: int = 1) -> None:
    """Add to a metric of this invocation (written when it ends); outside one, written at once."""
    current = _current.get()
    if current is None:
        _write_metrics({(procedure, metric): value})
        return
    key = (procedure, metric)
    current.counts[key] = current.counts.get(key, 0) + value


# --- the middleware -------------------------------------------------------------------------
def invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for every handler: context for logs, a trace entity, metrics."""
    started = time.monotonic()
    current = _begin(event)
    token = _current.set(current)
    recorder = _recorder()
    if recorder is not None:
        current.trace = (recorder.begin_subsegment(current.function) if in_lambda()
                         else recorder.begin_segment(current.function))
        if current.trace is not None and current.dossier_code:
            current.trace.put_annotation(ANNOTATION, current.dossier_code)
    status = None
    try:
        response = get_response(event)
        status = getattr(response, "status_code", None)
        return response
    except Exception:
        if current.trace is not None:
            current.trace.add_fault_flag()
        raise
    finally:
        try:
            _end(current, event, status, recorder, time.monotonic() - started)
        finally:
            _current.reset(token)


def _end(current: Invocation, event: Any, status: int | None, recorder: Any,
         seconds: float) -> None:
    if current.trace is not None:
        if status is not None:
            current.trace.put_http_meta("status", status)
        if in_lambda():
            recorder.end_subsegment()
        else:
            recorder.end_segment()
    elapsed = {"duration_ms": round(seconds * 1000, 1)}
    if _is_http(event):
        log.info("request handled", extra={"route": (event.context or {}).get("resourcePath"),
                                            "method": event.method, "status": status, **elapsed})
    else:
        log.info("event handled", extra={"records": len(_records(event)), **elapsed})
    if current.counts:
        _write_metrics(current.counts, current.dossier_code)


def _is_http(event: Any) -> bool:
    return hasattr(event, "method") and hasattr(event, "uri_params")


def _begin(event: Any) -> Invocation:
    context = (getattr(event, "lambda_context", None) if _is_http(event)
               else getattr(event, "context", None))
    current = Invocation(
        function=(getattr(context, "function_name", None)
                  or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or SERVICE),
        request_id=getattr(context, "aws_request_id", None))
    if _is_http(event):
        header = (event.headers or {}).get("x-correlation-id")
        current.correlation_id = header if header and _SAFE_ID.fullmatch(header) else None
        code = (event.uri_params or {}).get("dossier_id")
        current.dossier_code = code if code and _SAFE_ID.fullmatch(code) else None
    else:
        about = {_about(record) for record in _records(event)}
        if len(about) == 1:   # a batch about several dossiers is about none of them
            current.dossier_code, current.dossier_correlation_id = about.pop()
    return current


def _records(event: Any) -> list[dict]:
    raw = event.to_dict() if hasattr(event, "to_dict") else None
    return (raw.get("Records") or []) if isinstance(raw, dict) else []


def _about(record: dict) -> tuple[str | None, str | None]:
    """(dossier code, correlation id) of a queue message or a stream record, if it names one."""
    if "body" in record:   # SQS: a workflow step, a domain event (EventBridge), a confirmation
        try:
            body = json.loads(record["body"])
        except ValueError:
            return None, None
        body = body.get("detail", body) if isinstance(body, dict) else None
        if not isinstance(body, dict):
            return None, None
        code, correlation = body.get("dossier_id") or body.get("posting_id"), body.get("correlation_id")
    else:       # a change of a dossier item (DynamoDB JSON)
        images = record.get("dynamodb") or {}
        image = images.get("NewImage") or images.get("OldImage") or {}
        code = (image.get("dossier_id") or {}).get("S")
        correlation = (image.get("correlation_id") or {}).get("S")
    if not isinstance(code, str):
        return None, None
    return code, correlation if isinstance(correlation, str) else None


# --- tracing ------------------------------------------------------------------------------
@cache
def _recorder() -> Any:
    """The X-Ray recorder, configured and with botocore patched, or None when tracing is off.
    PynamoDB calls through botocore, so every table call becomes a subsegment."""
    if not tracing_on():
        return None
    with _patching:   # the first invocations of a local server may arrive together
        return _configured_recorder()


def _configured_recorder() -> Any:
    from aws_xray_sdk.core import patch, xray_recorder
    xray_recorder.configure(
        service=SERVICE,
        # Locally the event pump and the stand-in ledger call AWS outside any invocation.
        context_missing="LOG_ERROR" if in_lambda() else "IGNORE_ERROR",
        # Locally, record everything; in Lambda the facade segment carries the decision.
        **({"sampling": False} if os.environ.get("KBNN_TRACING") == "on" else {}))
    patch(("botocore",))
    if not in_lambda():   # the SDK warns of every call outside a segment even when told to ignore
        logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
    return xray_recorder


# --- metrics (CloudWatch Embedded Metric Format) ---------------------------------------------
def emf(values: dict[str, int], procedure: str | None, timestamp_ms: int,
        dossier_code: str | None = None) -> dict:
    """One EMF document: the metrics of one procedure (or of none) of one invocation. The dossier
    code is a property, not a dimension: Logs Insights finds which dossiers breached."""
    dimensions = [["Service"], ["Service", "Procedure"]] if procedure else [["Service"]]
    return {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [{
                "Namespace": NAMESPACE, "Dimensions": dimensions,
                "Metrics": [{"Name": name, "Unit": "Count"} for name in sorted(values)]}]},
            "Service": SERVICE, **({"Procedure": procedure} if procedure else {}),
            **({"dossier_code": dossier_code} if dossier_code else {}), **values}


def _write_metrics(counts: dict[tuple[str | None, str], int], dossier_code: str | None = None) -> None:
    if not metrics_on():
        return
    by_procedure: dict[str | None, dict[str, int]] = {}
    for (procedure, metric), value in counts.items():
        by_procedure.setdefault(procedure, {})[metric] = value
    now = int(time.time() * 1000)
    for procedure, values in by_procedure.items():
        print(json.dumps(emf(values, procedure, now, dossier_code), separators=(",", ":")),
              flush=True)


# --- logs ------------------------------------------------------------------------------------
# The `extra` keys a log line may carry: identifiers and figures of the system, never a person's.
SAFE_EXTRAS = ("route", "method", "status", "duration_ms", "records", "decision", "event",
               "consumer", "failures", "attempt")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the invocation's context."""

    def format(self, record: logging.LogRecord) -> str:
        current = _current.get()
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "function": current.function if current else os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
            "request_id": current.request_id if current else None,
            "correlation_id": current.correlation if current else None,
            "dossier_code": (current.dossier_code if current else None)
            or getattr(record, "dossier_id", None),
        }
        line.update({key: getattr(record, key) for key in SAFE_EXTRAS if hasattr(record, key)})
        if record.exc_info and record.exc_info[0] is not None:
            # The type and where, not the exception's text: it may quote what was submitted.
            line["error"] = record.exc_info[0].__name__
            line["stack"] = [f"{frame.filename}:{frame.lineno} {frame.name}"
                             for frame in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging() -> None:
    """JSON lines on the root logger's handlers (Lambda's own, or one on stdout), level INFO."""
    if not (in_lambda() or os.environ.get("KBNN_LOGS") == "json"):
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(os.environ.get("KBNN_LOG_LEVEL", "INFO"))
