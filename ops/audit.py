"""Audit digests by hand: `python -m ops.audit digest [--day D] | verify DOSSIER_ID`.

The scheduled job writes each local day's audit-chain heads to the documents bucket under Object
Lock just after midnight (docs/audit-digests.md). This command runs the same job for one day (a
missed day, or the local stack, where nothing schedules it), and verifies a dossier's chain
against the digests of every day it changed on. Works against AWS (credentials and region from
the environment) and against the local stack (`--local`, moto on 127.0.0.1:4566).

  digest [--day YYYY-MM-DD]   digest one local day (default: yesterday in Asia/Ho_Chi_Minh);
                              writes nothing if the day's digest already says the same
  verify DOSSIER_ID [--json]  recompute the chain, check it against each day's digest (every
                              version), show each digest's lock; exit 1 naming the first broken
                              record or the mismatching day

Table and bucket names come from the environment the app reads (TABLE_AUDIT, TABLE_DOSSIERS,
DOCUMENTS_BUCKET, AUDIT_DIGEST_LOCK_MODE, AUDIT_DIGEST_RETENTION_YEARS: the stack's outputs) and,
where unset, from infra/template.json for `--stage` (the bucket name needs the account id).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
LOCAL = "http://127.0.0.1:4566"


def names(stage: str, account: Any, template: dict | None = None) -> dict[str, str]:
    """What the command needs, from the environment or else the template. `account` is called
    only if the bucket's name is not in the environment."""
    template = template or json.loads(TEMPLATE.read_text(encoding="utf-8"))
    resources, mapping = template["Resources"], template["Mappings"]["AuditDigests"][stage]
    found = {"TABLE_AUDIT": resources["AuditTable"]["Properties"]["TableName"],
             "TABLE_DOSSIERS": resources["DossiersTable"]["Properties"]["TableName"],
             "AUDIT_DIGEST_LOCK_MODE": mapping["LockMode"],
             "AUDIT_DIGEST_RETENTION_YEARS": mapping["RetentionYears"]}
    found = {name: os.environ.get(name) or value for name, value in found.items()}
    bucket = os.environ.get("DOCUMENTS_BUCKET")
    if not bucket:
        pattern = resources["DocumentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
        bucket = pattern.replace("${AWS::AccountId}", account()).replace("${Stage}", stage)
    return found | {"DOCUMENTS_BUCKET": bucket}


def _print_verdict(verdict: Any) -> None:
    chain = verdict.chain
    print(f"dossier {verdict.dossier_id}: {chain.length} record(s), chain "
          f"{'intact' if chain.intact else 'BROKEN'}, head {chain.head[:16]}…")
    for day in verdict.days:
        head = f"head seq {day.head['seq']}" if day.head else "no head"
        versions = day.versions
        locks = ", ".join(sorted({f"{v['lock_mode'] or 'NOT LOCKED'} until {v['retain_until']}"
                                  for v in versions})) or "no digest"
        print(f"  {day.day}  {day.status:<8} {head:<13} {len(versions)} version(s): {locks}"
              + (f"  ({day.note})" if day.note else ""))
    if verdict.ok:
        print("OK: the chain agrees with every digest of the days it changed on")
    else:
        print(f"FAILED: {verdict.problems[0]}")
        for problem in verdict.problems[1:]:
            print(f"  also: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL})")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--stage", choices=("dev", "prod"), default="dev")
    sub = parser.add_subparsers(dest="command", required=True)
    digest = sub.add_parser("digest")
    digest.add_argument("--day", type=lambda v: date.fromisoformat(v).isoformat(),
                        help="YYYY-MM-DD, a local day (default: yesterday)")
    verify = sub.add_parser("verify")
    verify.add_argument("dossier_id")
    verify.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    endpoint = LOCAL if args.local else args.endpoint_url
    if endpoint:   # the app's clients and PynamoDB read the standard variable
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    if args.local:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

    import boto3
    from pynamodb.connection import Connection

    from chalicelib import clock
    from chalicelib.adapters import models
    from chalicelib.adapters.digests import DigestStore
    from chalicelib.adapters.repository import Repository
    from chalicelib.config import ConfigError, digest_lock
    from chalicelib.domain import digests
    from chalicelib.services import audit_digests

    found = names(args.stage, lambda: boto3.client("sts", region_name=region)
                  .get_caller_identity()["Account"])
    try:
        lock_mode, years = digest_lock(found["AUDIT_DIGEST_LOCK_MODE"],
                                       found["AUDIT_DIGEST_RETENTION_YEARS"])
    except ConfigError as err:
        parser.error(str(err))
    models.bind_model(models.AuditRecord, found["TABLE_AUDIT"], region)
    models.bind_model(models.Dossier, found["TABLE_DOSSIERS"], region)
    repo = Repository(Connection(region=region))
    store = DigestStore(found["DOCUMENTS_BUCKET"], region)
    if args.command == "digest":
        day = args.day or digests.day_before(clock.now())
        result = audit_digests.write(day, repo=repo, store=store, lock_mode=lock_mode,
                                     retention_years=years, now=clock.now())
        print(json.dumps(result, ensure_ascii=False))
        return 0
    verdict = audit_digests.verify(args.dossier_id, repo=repo, store=store, now=clock.now())
    if args.json:
        print(json.dumps(verdict.public(), ensure_ascii=False, indent=2))
    else:
        _print_verdict(verdict)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
