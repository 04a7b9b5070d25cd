"""The names of the queues and change streams the event handlers listen on, in one place.

The handlers (chalicelib/api), the template's checks, the local stack and the tests all read
them from here, so a queue renamed in infra/template.json is renamed once. The queue URLs a
service sends to are configuration (chalicelib/config.py); these are the names a Lambda event
source subscribes by."""
from __future__ import annotations

import os

TASK_QUEUE = "kbnn-tasks"                     # a workflow step waits for a person
WORKER_QUEUE = "kbnn-worker"                  # a workflow step waits for the system
LEDGER_CONFIRMATION_QUEUE = "kbnn-ledger-confirmations"
PORTAL_FEED_QUEUE = "kbnn-portal-feed"
REPORTS_QUEUE = "kbnn-reports"
STATEMENT_LEDGER_QUEUE = "kbnn-statement-ledger"
STATEMENT_JOB_QUEUE = "kbnn-statement-jobs"
NOTIFICATION_QUEUE = "kbnn-notifications"
RISK_QUEUE = "kbnn-risk"
AUTOPAY_BILL_QUEUE = "kbnn-autopay-bills"     # providers' utility bills (docs/autopay.md)


def dead_letters(queue: str) -> str:
    """The queue a message ends in after its last failed delivery (the template's convention)."""
    return f"{queue}-dlq"


def stream(table: str) -> str:
    """The change stream of one of the template's tables. The ARN of a stream is known only once
    the table exists: deploys set STREAM_ARN_<TABLE>; the local event pump reads the table's name
    from this ARN and finds its stream itself."""
    return os.environ.get(f"STREAM_ARN_{table.upper()}",
                          f"arn:aws:dynamodb:ap-southeast-1:000000000000:table/kbnn-{table}/stream/local")
