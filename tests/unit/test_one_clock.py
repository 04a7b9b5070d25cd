"""Nothing reads the system clock behind the product's back: "now" comes from chalicelib/clock.py,
in the product, the local stack, the tools and the tests alike. A new `datetime.now()` anywhere
else fails here, before it can make a test that passes only at some hours (docs/clock.md)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
TREES = ("app.py", "chalicelib", "devstack", "ops", "bench", "chaos", "signtool", "infra",
         "workflows", "tests")
SYSTEM_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.(time|gmtime|localtime))\(")
# Where the system clock is the right one, and why.
ALLOWED = {
    "chalicelib/clock.py": "it is the clock",
    "chalicelib/adapters/telemetry.py": "CloudWatch metric timestamps are real time",
    "bench/__main__.py": "the bare-boto3 floor writes a timestamp, outside the product",
    "tests/unit/test_clock.py": "compares the clock with the system's",
    "tests/unit/test_one_clock.py": "names the calls it looks for",
    "tests/unit/test_token_verifier.py": "a JWT's expiry is the identity provider's real time",
    "tests/integration/test_api_contract.py": "a JWT's expiry is the identity provider's real time",
    "tests/integration/test_hostile_input.py": "a JWT's expiry is the identity provider's real time",
    "tests/unit/test_signatures.py": "a naive datetime is refused (the call is the input)",
}


def sources() -> list[Path]:
    found: list[Path] = []
    for tree in TREES:
        path = ROOT / tree
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def test_only_the_clock_reads_the_system_clock():
    readers = {p.relative_to(ROOT).as_posix() for p in sources()
               if SYSTEM_CLOCK.search(p.read_text(encoding="utf-8"))}
    assert sorted(readers - ALLOWED.keys()) == []


def test_every_exception_still_reads_it():
    """An allowance left behind after its reason went away would hide the next one."""
    stale = [name for name in ALLOWED if not SYSTEM_CLOCK.search((ROOT / name).read_text(encoding="utf-8"))]
    assert stale == []
