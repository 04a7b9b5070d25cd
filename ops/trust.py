"""The trusted CAs: `python -m ops.trust list | add CA.pem | remove FINGERPRINT | set CA.pem...`.

Why this exists: which certificate authorities the treasury accepts is operator configuration,
kept as one item of the directory table (`{"pk": "TRUST#bundle", "pems": "<JSON list of PEM>"}`),
and there is no API route for it. This tool is the one way to change it: it validates every PEM
with the same parser the app uses (each must be a CA certificate) before writing, and writes
only if nobody changed the bundle since it was read. The app caches the bundle for five minutes,
so a change takes effect within that.

  list               the trusted CAs: SHA-256 fingerprint, subject, validity
  add CA.pem         trust one more CA (a rollover: add the new CA, keep the old until its
                     certificates are gone)
  remove FINGERPRINT stop trusting a CA (its signers' next submissions fail `untrusted_ca`)
  set CA.pem ...     replace the whole bundle

Works against AWS (credentials and region from the environment; `--table` or TABLE_DIRECTORY,
default kbnn-directory) and against the local stack (`--local`).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from chalicelib import clock

LOCAL = "http://127.0.0.1:4566"
KEY = {"pk": {"S": "TRUST#bundle"}}


def describe(pem: str) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    cert = x509.load_pem_x509_certificate(pem.encode())
    return {"fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
            "subject": cert.subject.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat()}


def validate(pems: list[str]) -> None:
    """Raise ValueError naming the PEM that is not a usable CA (the app's own check)."""
    from chalicelib.domain.signatures import TrustStore
    TrustStore(pems)


def read(ddb: Any, table: str) -> tuple[list[str], str | None]:
    item = ddb.get_item(TableName=table, Key=KEY, ConsistentRead=True).get("Item")
    if not item:
        return [], None
    return json.loads(item["pems"]["S"]), item["updated_at"]["S"]


def write(ddb: Any, table: str, pems: list[str], seen: str | None) -> None:
    """Put the bundle unless it changed since `seen` (None: it did not exist)."""
    validate(pems)
    condition = ({"ConditionExpression": "attribute_not_exists(pk)"} if seen is None else
                 {"ConditionExpression": "updated_at = :seen",
                  "ExpressionAttributeValues": {":seen": {"S": seen}}})
    ddb.put_item(TableName=table, Item={
        **KEY, "pems": {"S": json.dumps(pems)},
        "updated_at": {"S": clock.now().isoformat(timespec="microseconds")
                                 .replace("+00:00", "Z")}}, **condition)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.trust", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL})")
    parser.add_argument("--table", default=os.environ.get("TABLE_DIRECTORY", "kbnn-directory"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    sub.add_parser("add").add_argument("pem", type=Path)
    sub.add_parser("remove").add_argument("fingerprint")
    sub.add_parser("set").add_argument("pems", type=Path, nargs="+")
    args = parser.parse_args(argv)

    import boto3
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    local = {"endpoint_url": LOCAL, "aws_access_key_id": "testing",
             "aws_secret_access_key": "testing"} if args.local else {}
    ddb = boto3.client("dynamodb", region_name=region, **local)
    pems, seen = read(ddb, args.table)
    if args.command == "list":
        for pem in pems:
            print(json.dumps(describe(pem), ensure_ascii=False))
        print(f"{len(pems)} trusted CA(s), bundle updated {seen or 'never'}", file=sys.stderr)
        return 0
    if args.command == "add":
        new = args.pem.read_text(encoding="utf-8").strip()
        if describe(new)["fingerprint"] in {describe(p)["fingerprint"] for p in pems}:
            parser.error("that CA is already trusted")
        pems = [*pems, new]
    elif args.command == "remove":
        kept = [p for p in pems if describe(p)["fingerprint"] != args.fingerprint.lower()]
        if len(kept) == len(pems):
            parser.error(f"no trusted CA has fingerprint {args.fingerprint} (see `list`)")
        pems = kept
    else:
        pems = [path.read_text(encoding="utf-8").strip() for path in args.pems]
    try:
        write(ddb, args.table, pems, seen)
    except ValueError as err:
        parser.error(str(err))
    except ddb.exceptions.ConditionalCheckFailedException:
        parser.error("the bundle changed while this ran: nothing written, run it again")
    print(f"{len(pems)} trusted CA(s) written to {args.table}; the app picks them up within "
          "five minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
