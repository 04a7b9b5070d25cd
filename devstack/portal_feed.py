"""What the National Public Service Portal sees: the dossier status feed, pulled as the portal's
machine client (`cong.dvcqg`) pulls it, page by page with the cursor.

    .venv/bin/python -m devstack.portal_feed                 # the last 24 hours
    .venv/bin/python -m devstack.portal_feed --dossier 01J…  # one dossier's changes
    .venv/bin/python -m devstack.portal_feed --since 2026-11-23T00:00:00Z
"""
from __future__ import annotations

import argparse
import sys
import urllib.parse

from .demo import Api
from .stack import api_url

PORTAL_LOGIN = "cong.dvcqg"


def pull(api: Api, token: str, since: str | None) -> tuple[list[dict], str]:
    items, cursor = [], since
    while True:
        query = {"limit": "200", **({"since": cursor} if cursor else {})}
        status, page = api.call("GET", "/v1/portal/status?" + urllib.parse.urlencode(query),
                                token=token)
        if status != 200:
            raise SystemExit(f"the feed answered {status}: {page}")
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (default: make run's, or KBNN_API_URL)")
    parser.add_argument("--since", help="an ISO-8601 time or a cursor printed by a previous run")
    parser.add_argument("--dossier", help="only this dossier code")
    args = parser.parse_args()
    api = Api(args.api)
    items, cursor = pull(api, api.login(PORTAL_LOGIN), args.since)
    shown = [i for i in items if args.dossier in (None, i["dossier_code"])]
    for i in shown:
        print(f"{i['recorded_at']}  {i['dossier_code']}  #{i['seq']:<3} {i['event']:<30} "
              f"{i['status']:<20} {i['office_id']:<7} {i['procedure']}")
    print(f"{len(shown)} change(s); continue with --since {cursor}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
