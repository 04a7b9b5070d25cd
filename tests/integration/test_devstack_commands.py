"""The README's devstack commands, each run in its own process against the session's local stack,
as a developer runs them beside `make run`: pointed at it by their flags only, with none of the
stack's environment variables set."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chalicelib import clock
from devstack.stack import ROOT

pytestmark = pytest.mark.integration


def command(stack, module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in stack.env or k == clock.ENV}   # same time
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_statements_command_issues_what_is_due_today_against_the_running_stack(stack):
    done = command(stack, "devstack.statements", "--moto", stack.endpoint_url)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip(), (done.stdout, done.stderr)


def test_the_registration_demo_runs_again_on_the_same_stack_with_a_new_unit(stack):
    args = ("--api", stack.api_url, "--moto", stack.endpoint_url, "--pki", str(stack.pki_dir))
    units = []
    for _ in range(2):
        done = command(stack, "devstack.registration_demo", *args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (done.stdout, done.stderr)
        assert "is paid" in done.stdout, done.stdout
        units.append(done.stdout.split("TK01 for unit ", 1)[1].split()[0])
    assert units[0] != units[1]


def test_the_registration_demo_explains_in_one_line_why_a_named_unit_cannot_register(stack):
    done = command(stack, "devstack.registration_demo", "--api", stack.api_url,
                   "--moto", stack.endpoint_url, "--pki", str(stack.pki_dir), "--unit", "1012345")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [
        "registration_demo: unit 1012345 cannot register: unit_already_registered "
        "(Đơn vị đã đăng ký sử dụng dịch vụ.); leave out --unit to register a new one"]
