"""Observability without AWS: the app imports no tracing SDK unless tracing is on, log lines are
JSON with the invocation's context and nothing personal, metrics are valid EMF."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from chalice.app import SQSEvent

from chalicelib.adapters import telemetry

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
DOSSIER = "01JD7Q3W5X6Y7Z8A9B0C1D2E3F"
SWITCHES = ("AWS_XRAY_DAEMON_ADDRESS", "KBNN_TRACING", "KBNN_LOGS", "KBNN_METRICS",
            "AWS_LAMBDA_FUNCTION_NAME")


def python(code: str, **env: str) -> str:
    """Run `code` in a fresh interpreter at the repository root, with only the given switches."""
    clean = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_cold_import_of_the_app_does_not_import_the_tracing_sdk():
    out = python("import sys, app\n"
                 "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('aws_xray')}))")
    assert out.strip() == "[]"


def test_with_tracing_on_the_recorder_is_configured_and_botocore_patched():
    out = python("import botocore.client\n"
                 "from chalicelib.adapters import telemetry\n"
                 "print(telemetry._recorder() is not None, hasattr(botocore.client, '_xray_enabled'))",
                 KBNN_TRACING="on")
    assert out.split() == ["True", "True"]


def test_with_json_logs_on_the_app_writes_one_json_object_per_line():
    out = python("import logging, app\n"
                 "logging.getLogger('chalicelib.services.x').info('hello %s', 'world',\n"
                 "    extra={'dossier_id': 'D1', 'account_id': '9523.1.1012345'})",
                 KBNN_LOGS="json")
    line = json.loads(out)
    assert (line["message"], line["level"], line["dossier_code"]) == ("hello world", "INFO", "D1")
    assert "9523.1.1012345" not in out


def sqs_event(*bodies: dict) -> SQSEvent:
    context = SimpleNamespace(function_name="kbnn-dvc-handle_task_messages",
                              aws_request_id="req-1")
    return SQSEvent({"Records": [{"body": json.dumps(b), "receiptHandle": "r"} for b in bodies]},
                    context)


@pytest.fixture
def lines():
    """Log lines of the `kbnn` and `chalicelib` loggers, through the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter())
    loggers = [logging.getLogger("kbnn"), logging.getLogger("chalicelib")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_a_message_about_a_dossier_gives_every_line_its_code_and_correlation_id(lines):
    def handler(event):
        logging.getLogger("chalicelib.services.tasks").info(
            "posting parked", extra={"failures": 3, "account_id": "9523.1.1012345",
                                     "payee": "Công ty Hồng Hà"})
    telemetry.invocation(sqs_event({"detail": {"dossier_id": DOSSIER, "correlation_id": "corr-1234"}}),
                         handler)
    first, last = lines()
    for line in (first, last):
        assert (line["function"], line["request_id"], line["correlation_id"], line["dossier_code"]) \
            == ("kbnn-dvc-handle_task_messages", "req-1", "corr-1234", DOSSIER)
        assert line["timestamp"].endswith("Z")
    assert first["failures"] == 3 and "account_id" not in first and "payee" not in first
    assert (last["message"], last["records"]) == ("event handled", 1)


def test_a_service_names_the_dossier_and_its_correlation_id_when_the_message_does_not(lines):
    def handler(event):
        telemetry.annotate_dossier(DOSSIER, "corr-5678")
    telemetry.invocation(sqs_event({"step": "review"}), handler)
    (line,) = lines()
    assert (line["dossier_code"], line["correlation_id"]) == (DOSSIER, "corr-5678")


def test_a_batch_about_several_dossiers_is_about_none_and_falls_back_to_the_request_id(lines):
    telemetry.invocation(sqs_event({"dossier_id": "A" * 26}, {"dossier_id": "B" * 26}),
                         lambda event: None)
    (line,) = lines()
    assert (line["dossier_code"], line["correlation_id"]) == (None, "req-1")


def test_an_exception_is_logged_by_its_type_and_place_not_its_text(lines):
    try:
        raise ValueError("payee 0011004455667")
    except ValueError:
        logging.getLogger("kbnn").exception("unhandled error in %s", "submit_dossier")
    (line,) = lines()
    assert line["error"] == "ValueError" and "test_telemetry.py" in line["stack"][-1]
    assert "0011004455667" not in json.dumps(line)


def emf_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_an_invocations_metrics_are_one_emf_line_per_procedure(monkeypatch, capsys):
    monkeypatch.setenv("KBNN_METRICS", "stdout")

    def handler(event):
        telemetry.count("Decisions", "regular_spending_payment")
        telemetry.count("SlaBreaches", "regular_spending_payment")
        telemetry.count("Decisions", "regular_spending_payment")
        telemetry.count("DeadLettered")
        assert capsys.readouterr().out == ""     # buffered until the invocation ends
    telemetry.invocation(sqs_event({"dossier_id": DOSSIER}), handler)
    by_procedure, without = emf_lines(capsys.readouterr().out)
    meta = by_procedure["_aws"]["CloudWatchMetrics"][0]
    assert meta["Namespace"] == "KBNN/DVC"
    assert meta["Dimensions"] == [["Service"], ["Service", "Procedure"]]
    assert meta["Metrics"] == [{"Name": "Decisions", "Unit": "Count"},
                               {"Name": "SlaBreaches", "Unit": "Count"}]
    assert (by_procedure["Service"], by_procedure["Procedure"], by_procedure["Decisions"],
            by_procedure["SlaBreaches"], by_procedure["dossier_code"]) == \
        ("kbnn-dvc", "regular_spending_payment", 2, 1, DOSSIER)
    assert isinstance(by_procedure["_aws"]["Timestamp"], int)
    assert without["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service"]]
    assert without["DeadLettered"] == 1 and "Procedure" not in without


def test_without_the_switch_no_metric_is_written(monkeypatch, capsys):
    monkeypatch.delenv("KBNN_METRICS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    telemetry.invocation(sqs_event({"dossier_id": DOSSIER}),
                         lambda event: telemetry.count("Decisions", "regular_spending_payment"))
    assert capsys.readouterr().out == ""
