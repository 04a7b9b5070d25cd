"""Run the reconciliation statement job now, against a running `make run` (the local stack has no
scheduler: in AWS the daily Chalice schedule runs it at 01:00 Asia/Ho_Chi_Minh).

    .venv/bin/python -m devstack.statements                          # what is due today
    .venv/bin/python -m devstack.statements --now 2026-12-01T01:00:00+07:00
    .venv/bin/python -m devstack.statements --period 2026-11 --period 2026-Q4   # named periods

It issues the statements of the due periods (or the named ones, even outside their window) in
this process, exactly as the job's queue handler would, and prints what it did per period.
"""
from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from typing import Any

import boto3

from chalicelib import clock

from .provision import resource_free_outputs
from .stack import REGION, ROOT, moto_url

PLACEHOLDER = "not-used-by-this-command"


def local_env(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """The app's environment for the running local stack, from the template's Outputs: tables by
    name, queues by URL, values the template alone fixes (the digests' lock settings) as
    `make run` provisioned them; what this command never touches gets a placeholder."""
    template = json.loads((ROOT / "infra" / "template.json").read_text(encoding="utf-8"))
    resources = template["Resources"]
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    env = {"AWS_ENDPOINT_URL": endpoint_url, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    # Config checks these even where unused (an invalid lock mode must never reach a Lambda).
    fixed = resource_free_outputs(endpoint_url, ROOT / "infra" / "template.json", region)
    for name, output in template["Outputs"].items():
        value: Any = output["Value"]
        ref = value.get("Ref") if isinstance(value, dict) else None
        resource = resources.get(ref, {})
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::DynamoDB::Table":
            env[name] = props["TableName"]
        elif kind == "AWS::SQS::Queue":
            env[name] = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
        elif kind == "AWS::Events::EventBus":
            env[name] = props["Name"]
        elif name in fixed:
            env[name] = fixed[name]
        else:
            env[name] = PLACEHOLDER
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--now", help="run as if it were this time (ISO-8601 with offset)")
    parser.add_argument("--period", action="append",
                        help="issue this period (YYYY-MM, YYYY-Qn, YYYY); repeatable")
    parser.add_argument("--moto", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now) if args.now else clock.now()
    if now.tzinfo is None:
        parser.error("--now needs a UTC offset, e.g. 2026-12-01T01:00:00+07:00")
    os.environ.update(local_env(args.moto))

    from chalicelib import composition
    from chalicelib.services import statements
    composition.reset()
    try:
        summary = statements.generate_due(now, store=composition.services().statements,
                                          periods=args.period)
    except ValueError as exc:   # a named period that is not over
        parser.error(str(exc))
    if not summary:
        print(f"nothing is due on {now.isoformat()} (statements are issued from the day after "
              "their period until the 10th)")
    for period, tally in summary.items():
        state = "complete" if tally["complete"] else "incomplete: re-run to finish"
        print(f"{period:<8} {tally['cadence']:<9} issued {tally['issued']:>4}  already there "
              f"{tally['existing']:>4}  waiting for the ledger {tally['deferred']:>3}  "
              f"other kind or closed {tally['skipped']:>4}  ({state})")


if __name__ == "__main__":
    main()
