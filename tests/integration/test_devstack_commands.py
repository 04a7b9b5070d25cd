"""The README's devstack commands, each run in its own process against the session's local stack,
as a developer runs them beside `make run`: pointed at it by their flags only, with none of the
stack's environment variables set."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devstack.stack import ROOT

pytestmark = pytest.mark.integration


def command(stack, module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in stack.env}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_statements_command_issues_what_is_due_today_against_the_running_stack(stack):
    done = command(stack, "devstack.statements", "--moto", stack.endpoint_url)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip(), (done.stdout, done.stderr)
