"""`make fuzz`, at a CI-sized bound: every documented operation, valid and broken requests, as
every role, on the fuzzer's own stack (a subprocess: what it revokes and declares must not reach
the other tests' data). No 5xx, no leak, every error in its documented shape."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_fuzzing_every_operation_finds_no_server_error_leak_or_undocumented_error():
    env = {**os.environ, "FUZZ_EXAMPLES": os.environ.get("FUZZ_CI_EXAMPLES", "3")}
    run = subprocess.run([sys.executable, "-m", "tests.fuzz"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    print(run.stdout[-20_000:])
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    total = next(line for line in run.stdout.splitlines() if line.startswith("total: "))
    found = re.match(r"total: (\d+) operations \+ (\d+) example sweeps\s+(\d+) ", total)
    assert found, total
    operations, cases = int(found[1]), int(found[3])
    doc = json.loads((ROOT / "chalicelib" / "openapi.json").read_text(encoding="utf-8"))
    documented = sum(1 for item in doc["paths"].values() for method in item
                     if method != "parameters")
    assert operations == documented and cases >= documented * 3, total
