"""Print the product clock's day in Vietnam, YYYY-MM-DD (`--year`: only the year).

For shell scripts against the local stack that must write a date the product checks, such as a
voucher's budget year: under `make run CLOCK=...` the product's day is not the machine's.
"""
from __future__ import annotations

import sys

from chalicelib import clock
from chalicelib.domain.calendar import local_date


def main(argv: list[str]) -> None:
    today = local_date(clock.now())
    print(today.year if "--year" in argv else today.isoformat())


if __name__ == "__main__":
    main(sys.argv[1:])
