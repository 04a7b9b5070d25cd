"""What the running local stack (`make run`) has sent, read from its moto server's local-only
outbox (devstack/moto_server.py: /_local/outbox/):

  python -m devstack.outbox emails [--to ADDRESS] [--contains TEXT] [--last N] [--json]
      the e-mails SES accepted: results to units (accepted, supplement requested, refused,
      paid with the debit advice, ...)
  python -m devstack.outbox alerts [--unit ID] [--office ID] [--dossier ID] [--kind KIND]
                                   [--last N] [--json]
      the risk warnings published to the units' and offices' SNS topics, each with the
      subscriptions it went to (kind: status, balance, risk_flag)

Local only: AWS has no such endpoint; there, SES and SNS deliver to real mailboxes and phones.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta, timezone

from .stack import moto_url

DEFAULT_MOTO = moto_url()
VN = timezone(timedelta(hours=7))


def fetch(view: str, moto: str = DEFAULT_MOTO, **query: str | int | None) -> list[dict]:
    """The outbox's `emails` or `alerts`, filtered as the server allows (see moto_server.py)."""
    params = urllib.parse.urlencode({k: v for k, v in query.items() if v not in (None, "")})
    url = f"{moto.rstrip('/')}/_local/outbox/{view}" + (f"?{params}" if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["items"]


def _when(stamp: float | None) -> str:
    if not stamp:
        return "?"
    return datetime.fromtimestamp(stamp, UTC).astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")


def show_email(mail: dict) -> str:
    rule = "=" * 78
    return (f"{rule}\n{_when(mail.get('sent_at'))}  {mail['from']} → {', '.join(mail['to'])}\n"
            f"Subject: {mail['subject']}\n\n{mail['body']}")


def show_alert(alert: dict) -> str:
    to = ", ".join(f"{d['protocol']}:{d['endpoint']}" for d in alert.get("delivered_to") or []) \
        or "(no subscriber yet)"
    kind = alert["attributes"].get("kind", "?")
    return (f"{_when(alert.get('sent_at'))}  {alert['topic']}  [{kind}]  → {to}\n"
            f"  {alert['subject']}\n  {alert['text'].replace(chr(10), chr(10) + '  ')}")


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--moto", default=DEFAULT_MOTO, help=f"moto endpoint (default {DEFAULT_MOTO})")
    common.add_argument("--last", type=int, default=None, help="only the last N")
    common.add_argument("--json", action="store_true", help="print JSON")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    views = parser.add_subparsers(dest="view", required=True)
    emails = views.add_parser("emails", parents=[common], help="e-mails sent through SES")
    emails.add_argument("--to", help="only to this address")
    emails.add_argument("--contains", help="only those whose subject or body contains this text")
    alerts = views.add_parser("alerts", parents=[common], help="risk warnings published to SNS topics")
    alerts.add_argument("--unit", help="only the unit's topic (kbnn-risk-<unit>)")
    alerts.add_argument("--office", help="only the office's topic (kbnn-risk-office-<office>)")
    alerts.add_argument("--dossier", help="only those about this dossier")
    alerts.add_argument("--kind", choices=("status", "balance", "risk_flag"))
    args = parser.parse_args(argv)
    if args.view == "emails":
        items = fetch("emails", args.moto, to=args.to, contains=args.contains, last=args.last)
        show = show_email
    else:
        items = fetch("alerts", args.moto, unit=args.unit, office=args.office,
                      dossier_id=args.dossier, kind=args.kind, last=args.last)
        show = show_alert
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        print("\n".join(show(item) for item in items) if items else f"no {args.view} yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
