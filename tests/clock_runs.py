"""`make test-clock`: the whole suite with the product's clock (chalicelib/clock.py, KBNN_CLOCK)
at each instant below, Vietnam time, one pytest run each; prints passed / failed per instant.

CI runs at any hour, so a test that passes only at some hours is a defect. `make test` runs the
suite at the real clock and again on a Sunday night (the Makefile's WEEKEND_NIGHT); this runs the
rest on demand (about 15 minutes an instant on a 2-core machine).
`python -m tests.clock_runs weekday-2130 saturday-1000` runs some; arguments after `--` go to
pytest.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

INSTANTS = {
    "weekday-0930": "2026-12-09T09:30:00+07:00",     # a Wednesday, office open
    "weekday-2130": "2026-12-09T21:30:00+07:00",     # the same Wednesday, evening
    "saturday-1000": "2026-12-12T10:00:00+07:00",    # a weekend morning
    "year-end-2350": "2026-12-31T23:50:00+07:00",    # the last minutes of budget year 2026
    "after-tet-2027": "2027-02-11T08:00:00+07:00",   # first working day after Tết Đinh Mùi
    "monday-0300": "2026-12-14T03:00:00+07:00",      # a Monday before dawn
}

_SUMMARY = re.compile(r"^(?:=+ )?(?P<counts>\d+ \w+(?:, \d+ \w+)*) in [\d.]+s", re.M)


def counts(output: str) -> str:
    """pytest's closing counts ("2 failed, 1620 passed, 3 skipped"), or that there were none."""
    found = [m.group("counts") for m in _SUMMARY.finditer(output)]
    return found[-1] if found else "no summary (see the log)"


def run(name: str, instant: str, pytest_args: list[str]) -> tuple[int, str, float]:
    log = ROOT / "build" / "clock-runs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    env = {**os.environ, "KBNN_CLOCK": instant}
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", *pytest_args], cwd=ROOT,
                               env=env, stdout=out, stderr=subprocess.STDOUT)
    return code, counts(log.read_text(encoding="utf-8")), time.monotonic() - started


def main(argv: list[str]) -> int:
    cut = argv.index("--") if "--" in argv else len(argv)
    names, pytest_args = argv[:cut], argv[cut + 1:]
    unknown = [n for n in names if n not in INSTANTS]
    if unknown:
        print(f"unknown instant(s): {', '.join(unknown)}; known: {', '.join(INSTANTS)}")
        return 2
    failed = 0
    for name in names or list(INSTANTS):
        code, summary, took = run(name, INSTANTS[name], pytest_args)
        failed += code != 0
        print(f"{name:<15} {INSTANTS[name]}  exit {code}  {summary}  ({took:.0f} s; "
              f"build/clock-runs/{name}.log)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
