"""`make run`: the local stack with demo data, API on http://127.0.0.1:8000, until Ctrl-C."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from chalicelib import clock
from chalicelib.domain.calendar import VN_TZ

from .seed import DEMO_PASSWORD, USERS
from .stack import LocalStack, pki_dir

PKI_DIR = pki_dir()   # where the devstack commands look for the demo keys too


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    parser.add_argument("--moto-port", type=int, default=4566, help="moto port (default 4566)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="share of the product's AWS calls that fail (devstack/faults.py)")
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--signing-port", type=int, default=8765,
                        help="the signing tool's helper for the console, signing as the demo unit "
                             "1012345's chief accountant and account holder (0: not started)")
    parser.add_argument("--clock", metavar="INSTANT",
                        help="start the product's clock at this ISO-8601 instant with its offset "
                             "(KBNN_CLOCK, chalicelib/clock.py); it runs on from there")
    args = parser.parse_args()
    if args.clock:
        os.environ[clock.ENV] = args.clock
    try:
        started_at = clock.now()
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    faults = None
    if args.faults:
        from .faults import Faults
        faults = Faults(rate=args.faults, seed=args.fault_seed)
    stack = LocalStack(moto_port=args.moto_port, api_port=args.port, pki_dir=PKI_DIR,
                       faults=faults).start()
    print(f"""
KBNN online public service — local stack is up
  API            {stack.api_url}/v1   (OpenAPI: {stack.api_url}/v1/openapi.json)
  moto (AWS)     {stack.endpoint_url}   (state machines, tables, queues, user pool)
  demo logins    password for all: {DEMO_PASSWORD}   (DEMO ONLY)""")
    for user in USERS:
        scope = f"unit {user.unit_id}" if user.unit_id else \
            f"office {user.office_id}" if user.office_id else "every office (status feed only)"
        print(f"    {user.username:<14} {user.role:<17} {scope}")
    print(f"""  demo keys      {PKI_DIR}  (demo CA, signers' keys; DEMO ONLY, new at every start)
  web console    {stack.api_url}/console/
  clock          {_clock_line(started_at)}
  try it         .venv/bin/python -m devstack.demo --api {stack.api_url}
  sent by it     .venv/bin/python -m devstack.outbox emails --moto {stack.endpoint_url}   (SES)
                 .venv/bin/python -m devstack.outbox alerts --moto {stack.endpoint_url}   (SNS risk warnings)
Ctrl-C stops everything.""", flush=True)

    helper = _signing_helper(args.signing_port, stack.api_url)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    if faults is not None:
        print(f"faults: {faults.summary()}", flush=True)
    print("stopping…", flush=True)
    if helper is not None:
        helper.stop()
    stack.stop()


def _clock_line(started_at) -> str:
    local = started_at.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M %a")
    if not clock.is_set():
        return f"{local} (Hanoi; the system clock)"
    return f"{local} (Hanoi; moved by KBNN_CLOCK / --clock, runs on from there)"


def _signing_helper(port: int, console_origin: str):
    if not port:
        return None
    from .signing import demo_signing_helper
    try:
        helper = demo_signing_helper(
            PKI_DIR, [console_origin, console_origin.replace("127.0.0.1", "localhost")], port=port)
    except OSError as exc:
        print(f"  signing helper not started on port {port}: {exc}", flush=True)
        return None
    print(f"  signing helper {helper.url}   (signs as ktt.cva and chutk.cva for the console; "
          "DEMO ONLY)", flush=True)
    return helper


if __name__ == "__main__":
    main()
