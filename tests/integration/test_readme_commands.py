"""Every command the README shows works, and so does every command of the walkthrough it links to
(docs/walkthrough.md). Each ```bash block runs, in order, as one bash script against the session's
local stack, as a reader pastes it with `make run` up: a command that exits non-zero or prints a
traceback fails the test.

What cannot run inside the suite is in NOT_RUN with its reason and where it is tested instead; a
command neither run nor listed there is run, so README and tests cannot drift apart again.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from devstack.demo import sample_content
from devstack.seed import USERS

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCUMENTS = (README, ROOT / "docs" / "walkthrough.md")

NOT_RUN = {
    "make run": "starts the local stack this test runs against (the same LocalStack class)",
    "make test": "is the suite this test is part of",
    "make package": "builds and lints the template: tests/infra/test_package.py, both stages",
    "make deploy": "needs an AWS account; its DRY_RUN plan is tested in tests/infra/test_package.py",
    "python -m signtool serve": "serves until stopped: tests/unit/test_signtool_serve.py and the "
                                "console tests (tests/e2e) start it",
}
_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def bash_blocks(text: str) -> list[str]:
    return _BLOCK.findall(text)


def commands(block: str) -> list[list[str]]:
    """The block's commands, each as its physical lines: continuations (a trailing backslash) and
    here-documents stay with the command that starts them."""
    found: list[list[str]] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        command = [lines[i]]
        heredoc = re.search(r"<<-?'?(\w+)'?", lines[i])
        while command[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        if heredoc:
            while i + 1 < len(lines) and lines[i].strip() != heredoc.group(1):
                i += 1
                command.append(lines[i])
        found.append(command)
        i += 1
    return found


def not_run(command: list[str]) -> str | None:
    text = command[0].strip().removeprefix(".venv/bin/")
    return next((prefix for prefix in NOT_RUN if text.startswith(prefix)), None)


def runnable(block: str) -> str:
    return "\n".join(line for command in commands(block) if not not_run(command) for line in command)


def test_the_parser_keeps_continuations_and_here_documents_with_their_command():
    block = ("make run   # x\ncat > a <<'JSON'\n{}\nJSON\n"
             ".venv/bin/python -m signtool serve --a \\\n  --b\necho ok\n")
    assert [c[0] for c in commands(block)] == ["make run   # x", "cat > a <<'JSON'",
                                               ".venv/bin/python -m signtool serve --a \\", "echo ok"]
    assert runnable(block) == "cat > a <<'JSON'\n{}\nJSON\necho ok"


def test_every_demo_login_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    assert [u.username for u in USERS if f"`{u.username}`" not in text] == []


def test_every_command_the_readme_shows_runs_against_the_local_stack(stack, tmp_path):
    # the reader's working copy: the virtualenv, and the demo keys where `make run` puts them
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / ".devstack").mkdir()
    (tmp_path / ".devstack" / "pki").symlink_to(stack.pki_dir)
    (tmp_path / "dossier.json").write_text(json.dumps(sample_content("README-SIGN")), encoding="utf-8")
    env = {**os.environ, **stack.env, "PYTHONPATH": str(ROOT), "API": stack.api_url,
           "KBNN_API_URL": stack.api_url, "KBNN_PKI_DIR": str(stack.pki_dir)}
    blocks = [(document.name, number, block) for document in DOCUMENTS
              for number, block in enumerate(bash_blocks(document.read_text(encoding="utf-8")), 1)]
    assert len(blocks) >= 4, "the README's and the walkthrough's commands are in ```bash blocks"
    for document, number, block in blocks:
        script = runnable(block)
        if not script.strip():
            continue
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        output = done.stdout + done.stderr
        assert done.returncode == 0, \
            f"{document} block {number} exited {done.returncode}:\n{script}\n{output}"
        assert "Traceback (most recent call last)" not in output, f"{document} block {number}:\n{output}"
