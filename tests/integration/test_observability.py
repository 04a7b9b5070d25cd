"""What operations see of a dossier: its X-Ray trace, its JSON log lines (without personal data)
and the CloudWatch metrics its submission and decisions emit."""
from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chalicelib.adapters import telemetry
from devstack.demo import sample_content
from tests.conftest import eventually
from tests.integration.test_overdue import make_late

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROCEDURE = "regular_spending_payment"


def _documents(datagram: bytes) -> tuple[str, list[dict]]:
    """A daemon datagram: a header line, then a segment or a streamed subsegment. Its trace id,
    and the document with every subsegment nested in it."""
    header, _, body = datagram.decode().partition("\n")
    assert json.loads(header) == {"format": "json", "version": 1}
    top = json.loads(body)
    found, todo = [], [top]
    while todo:
        doc = todo.pop()
        found.append(doc)
        todo += doc.get("subsegments", [])
    return top["trace_id"], found


def test_one_submission_is_traced_with_its_dossier_and_its_dynamodb_and_step_functions_calls():
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.2)
    datagrams: list[bytes] = []
    done = threading.Event()

    def listen() -> None:
        while True:
            try:
                datagrams.append(listener.recv(65535))
            except TimeoutError:
                if done.is_set():   # and nothing more came for a while
                    return
    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    # Tracing patches botocore for good: the scenario runs in a process of its own.
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    env.update(AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{listener.getsockname()[1]}", KBNN_TRACING="on")
    try:
        run = subprocess.run([sys.executable, "-m", "tests.integration.trace_submission"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, run.stderr[-3000:]
        answer = json.loads(run.stdout.strip().splitlines()[-1])
        assert answer["status"] == 201, answer
    finally:
        done.set()
        thread.join()
        listener.close()

    dossier_id = answer["body"]["dossier_id"]
    traces: dict[str, list[dict]] = {}
    for datagram in datagrams:
        trace_id, documents = _documents(datagram)
        traces.setdefault(trace_id, []).extend(documents)
    (trace,) = [docs for docs in traces.values()
                if any(d.get("annotations", {}).get("dossier_code") == dossier_id for d in docs)]
    calls = {(d["name"], d["aws"]["operation"]) for d in trace if d.get("namespace") == "aws"}
    assert ("states", "StartExecution") in calls
    assert ("dynamodb", "TransactWriteItems") in calls   # the dossier, its audit, its idempotency


@pytest.fixture
def json_lines():
    """Every line the product's loggers write meanwhile (API and event handlers), as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter())
    loggers = [logging.getLogger("kbnn"), logging.getLogger("chalicelib")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield lambda: [line for line in stream.getvalue().splitlines() if line]
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def submit(flow, number: str, correlation_id: str) -> str:
    status, body = flow.api.call("POST", "/v1/dossiers", flow.signed(sample_content(number)),
                                 token=flow.unit, headers={"X-Correlation-Id": correlation_id})
    assert status == 201, body
    return body["dossier_id"]


def test_a_submission_and_its_decision_log_json_lines_with_the_correlation_id_and_nothing_personal(
        flow, json_lines, unique):
    correlation = unique("corr-logs")
    dossier_id = submit(flow, unique("LOG"), correlation)
    status, _ = flow.decide(flow.officer, dossier_id, "accept")
    assert status == 200
    flow.task(flow.leader, dossier_id)          # the approval task: the event side ran too
    # a workflow step's message names only the dossier: its correlation id comes from the dossier
    eventually(lambda: any(json.loads(line)["function"].endswith("handle_task_messages")
                           and json.loads(line)["correlation_id"] == correlation
                           for line in json_lines()))

    raw = json_lines()
    lines = [json.loads(line) for line in raw]   # every line is one JSON object
    assert all(line["correlation_id"] and line["timestamp"] and line["function"] for line in lines)
    ours = [line for line in lines if line["dossier_code"] == dossier_id]
    assert {line["correlation_id"] for line in ours} == {correlation}
    handled = {(line.get("route"), line.get("status")) for line in ours}
    assert {("/v1/dossiers", 201), ("/v1/tasks/{task_id}/decision", 200)} <= handled
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n".join(raw)
    personal = ["Công ty TNHH Văn phòng phẩm Hồng Hà", "0011004455667", "0101234567",
                "ketoan@chuvanan.example.vn", "ktt.cva", "chutk.cva", "ketoan.cva",
                flow.unit, flow.officer]
    assert [p for p in personal if p in text] == []


def test_a_submission_a_decision_and_a_missed_deadline_are_emf_metrics(stack, flow, unique,
                                                                        monkeypatch, capsys):
    monkeypatch.setenv("KBNN_METRICS", "stdout")
    dossier_id = submit(flow, unique("EMF"), unique("corr-emf"))
    make_late(stack, dossier_id)
    flow.decide(flow.officer, dossier_id, "accept")     # approval gets no time left: it breaches
    flow.task(flow.leader, dossier_id, kind="escalation")
    printed: list[dict] = []

    def ours() -> list[dict]:
        printed.extend(json.loads(line) for line in capsys.readouterr().out.splitlines()
                       if line.startswith('{"_aws"'))
        return [doc for doc in printed if doc.get("dossier_code") == dossier_id]

    # the escalation's line is written when its handler returns, just after the task appears
    eventually(lambda: any("SlaBreaches" in doc for doc in ours()), timeout=10)
    for doc in printed:
        (meta,) = doc["_aws"]["CloudWatchMetrics"]
        assert meta["Namespace"] == "KBNN/DVC" and doc["Service"] == "kbnn-dvc"
        assert meta["Dimensions"] == ([["Service"], ["Service", "Procedure"]] if "Procedure" in doc
                                      else [["Service"]])
        assert all(m["Unit"] == "Count" and isinstance(doc[m["Name"]], int) for m in meta["Metrics"])
    totals: dict[str, int] = {}
    for doc in ours():
        assert doc["Procedure"] == PROCEDURE
        for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            totals[m["Name"]] = totals.get(m["Name"], 0) + doc[m["Name"]]
    assert totals == {"Submissions": 1, "Decisions": 1, "SlaBreaches": 1}
