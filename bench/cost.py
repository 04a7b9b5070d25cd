"""What AWS charges per 1,000 paid dossiers, and per day and month at the published volume.

Why this exists: the benchmark (python -m bench) counts what one dossier does on AWS — requests,
invocations, capacity units, transitions, events, messages, e-mails — and the bill is those
counts times list prices. Keeping the counts measured and the prices in one data file
(bench/prices.json) means a change that adds a call shows up in dollars, and new prices need no
code. Inputs that the local stack cannot measure (people's read requests, attachments, log
volume, trace sampling, users) are stated assumptions in the same file, marked as such in the
table.

    python -m bench.cost                      # reads bench/results/latest.json
    python -m bench.cost --results R.json --prices P.json --markdown

The published figures are 150,000–200,000 vouchers a day; one payment dossier is taken as one
voucher. A month is `working_days_per_month` working days of dossiers; fixed lines (users,
idle queue polling) are monthly.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
PRICES = ROOT / "bench" / "prices.json"
GB = 1024 ** 3
SQS_REQUESTS_PER_MESSAGE = 3      # sent, received (batch of 1), deleted


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    per_dossier: float            # quantity per dossier, in `unit`
    unit: str
    price: float                  # dollars per one `unit`
    source: str                   # "measured", "assumed" or "measured + assumed"

    @property
    def per_thousand(self) -> float:
        return self.per_dossier * self.price * 1000


@dataclass(frozen=True)
class Fixed:
    service: str
    item: str
    quantity: float               # per month
    unit: str
    monthly: float
    source: str


# --- the measured inputs, from the benchmark's results --------------------------------------------
def measured_inputs(result: dict) -> dict:
    """The figures per paid dossier the model prices, from bench/results/latest.json."""
    billing = result["happy_path"]["billing"]
    latency = result["happy_path"]["latency"]
    http = billing["http_requests"]
    requests = sum(http.values())
    submits = http.get("POST /v1/dossiers", 0)
    api_ms = (submits * latency["submit"]["p50_ms"]
              + (requests - submits) * latency["decide"]["p50_ms"]) / requests
    handlers = billing["handler_invocations"]
    sqs_records = sum(h["records"] for b, h in handlers.items()
                      if not b.startswith("background:stream:"))
    handled_queues = {b.removeprefix("background:") for b in handlers}
    messaging = billing["messaging"]
    sent_elsewhere = sum(n for fact, n in messaging.items() if fact.startswith("sqs:sent:")
                         and fact.removeprefix("sqs:sent:") not in handled_queues)
    ddb = billing["dynamodb"]
    s3 = billing["aws_calls"].get("s3", {})
    return {
        "api_requests": requests,
        "api_ms": api_ms,
        "handler_invocations": sum(h["invocations"] for h in handlers.values()),
        "handler_ms": sum(h["invocations"] * h["mean_ms"] for h in handlers.values()),
        "transitions": result["transitions"]["state_transitions"]["mean"],
        "wru": sum(ddb["write_request_units"].values())
               + sum(ddb["index_write_request_units"].values()),
        "rru": sum(ddb["read_request_units"].values()),
        "stored_bytes": sum(ddb["stored_bytes"].values()),
        "sqs_messages": sqs_records + sent_elsewhere,
        "events": messaging.get("eventbridge:events", 0.0),
        "sns_publishes": messaging.get("sns:publishes", 0.0),
        "emails": messaging.get("ses:emails", 0.0),
        "s3_puts": s3.get("PutObject", 0.0),
        "s3_gets": s3.get("GetObject", 0.0) + s3.get("HeadObject", 0.0),
    }


# --- the model ----------------------------------------------------------------------------------
def cost_lines(m: dict, prices: dict) -> list[Line]:
    """Dollars per dossier, line by line: measured inputs `m` times `prices`' list prices, plus
    the assumptions the prices file states."""
    p, a = prices["services"], prices["assumptions"]
    reads = a["read_requests_per_dossier"]
    gb = a["lambda_memory_mb"] / 1024
    invocations = m["api_requests"] + reads + m["handler_invocations"]
    seconds = (m["api_requests"] * m["api_ms"] + reads * a["read_request_ms"]
               + m["handler_ms"]) / 1000
    files = a["attachments_per_dossier"]
    log_bytes = (invocations * a["log_bytes_per_invocation"]
                 + (m["api_requests"] + reads) * a["access_log_bytes_per_request"])
    return [
        Line("API Gateway", "REST requests (3 measured writes + assumed reads)",
             m["api_requests"] + reads, "request",
             p["apigateway"]["rest_requests_per_million"] / 1e6, "measured + assumed"),
        Line("Lambda", "invocations (API requests + queue and stream handlers)", invocations,
             "invocation", p["lambda"]["requests_per_million"] / 1e6, "measured + assumed"),
        Line("Lambda", f"duration at {a['lambda_memory_mb']} MB", seconds * gb, "GB-second",
             p["lambda"]["gb_second_x86"], "measured + assumed"),
        Line("Step Functions", "Standard state transitions", m["transitions"], "transition",
             p["stepfunctions"]["standard_transitions_per_thousand"] / 1000, "measured"),
        Line("DynamoDB", "write request units (tables + indexes)", m["wru"], "WRU",
             p["dynamodb"]["write_request_units_per_million"] / 1e6, "measured"),
        Line("DynamoDB", "read request units (+ assumed reads)",
             m["rru"] + reads * a["read_request_rru"], "RRU",
             p["dynamodb"]["read_request_units_per_million"] / 1e6, "measured + assumed"),
        Line("SQS", "requests (send + receive + delete per message)",
             m["sqs_messages"] * SQS_REQUESTS_PER_MESSAGE, "request",
             p["sqs"]["requests_per_million"] / 1e6, "measured"),
        Line("EventBridge", "custom events put on the bus", m["events"], "event",
             p["eventbridge"]["custom_events_per_million"] / 1e6, "measured"),
        Line("SNS", "risk-warning publishes", m["sns_publishes"], "publish",
             p["sns"]["publishes_per_million"] / 1e6, "measured"),
        Line("SNS", f"e-mail deliveries ({a['sns_email_subscribers_per_publish']} subscribers "
             "per publish)", m["sns_publishes"] * a["sns_email_subscribers_per_publish"],
             "delivery", p["sns"]["email_deliveries_per_100k"] / 1e5, "measured + assumed"),
        Line("SES", "result e-mails to the unit", m["emails"], "e-mail",
             p["ses"]["emails_per_thousand"] / 1000, "measured"),
        Line("S3", "PUT (attachments uploaded)", m["s3_puts"] + files, "request",
             p["s3"]["put_per_thousand"] / 1000, "assumed"),
        Line("S3", "GET/HEAD (checked at submission, downloaded)",
             m["s3_gets"] + files * (1 + a["attachment_downloads"]), "request",
             p["s3"]["get_per_thousand"] / 1000, "assumed"),
        Line("CloudWatch Logs", "ingestion", log_bytes / GB, "GB",
             p["logs"]["ingestion_per_gb"], "assumed"),
        Line("X-Ray", "traces recorded", invocations * a["xray_sampling"], "trace",
             p["xray"]["traces_recorded_per_million"] / 1e6, "assumed"),
    ]


def storage_lines(m: dict, prices: dict) -> list[Line]:
    """What a dossier adds to storage, priced per month it is kept ($/GB-month)."""
    p, a = prices["services"], prices["assumptions"]
    files = a["attachments_per_dossier"] * a["attachment_kb"] * 1024
    return [
        Line("DynamoDB", "storage (items + index copies)", m["stored_bytes"] / GB, "GB-month",
             p["dynamodb"]["storage_gb_month"], "measured"),
        Line("DynamoDB", "point-in-time recovery", m["stored_bytes"] / GB, "GB-month",
             p["dynamodb"]["pitr_gb_month"], "measured"),
        Line("S3", "attachments (Standard)", files / GB, "GB-month", p["s3"]["storage_gb_month"],
             "assumed"),
    ]


def tiered(quantity: float, tiers: list) -> float:
    """Cost of `quantity` under [[up_to, price], ...] tiers (up_to None: no limit)."""
    total, floor = 0.0, 0.0
    for up_to, price in tiers:
        ceiling = math.inf if up_to is None else up_to
        if quantity > floor:
            total += (min(quantity, ceiling) - floor) * price
        floor = ceiling
    return total


def fixed_lines(prices: dict) -> list[Fixed]:
    p, a = prices["services"], prices["assumptions"]
    mau = a["units"] * a["users_per_unit"] + a["treasury_users"]
    polls = a["queues_polled_by_lambda"] * a["idle_receives_per_queue_month"]
    return [
        Fixed("Cognito", "monthly active users, Essentials tier", mau, "MAU",
              mau * p["cognito"]["essentials_per_mau"], "assumed"),
        Fixed("Cognito", "(for comparison: Lite tier)", mau, "MAU",
              tiered(mau, p["cognito"]["lite_tiers"]), "assumed"),
        Fixed("SQS", "Lambda's idle long polls", polls, "request",
              polls * p["sqs"]["requests_per_million"] / 1e6, "assumed"),
    ]


# --- the table ----------------------------------------------------------------------------------
def _money(x: float) -> str:
    return f"{x:,.2f}" if x >= 0.995 else f"{x:.4f}"


def _qty(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def render(m: dict, prices: dict, result: dict, markdown: bool = False) -> str:
    a = prices["assumptions"]
    low, high = a["dossiers_per_day"]
    days = a["working_days_per_month"]
    lines = cost_lines(m, prices)
    per_k = sum(line.per_thousand for line in lines)
    head = ["service", "what", "per dossier", "unit price", "$ / 1,000",
            f"$ / day at {low:,}", f"$ / day at {high:,}", "input"]
    rows = [[line.service, line.item, f"{_qty(line.per_dossier)} {line.unit}",
             f"${line.price:.3g}", _money(line.per_thousand),
             _money(line.per_thousand * low / 1000), _money(line.per_thousand * high / 1000),
             line.source] for line in lines]
    rows.append(["**total**" if markdown else "TOTAL", "per-dossier lines", "", "",
                 _money(per_k), _money(per_k * low / 1000), _money(per_k * high / 1000), ""])
    storage = storage_lines(m, prices)
    fixed = fixed_lines(prices)
    month = [per_k * low / 1000 * days, per_k * high / 1000 * days]
    store_k = sum(line.per_thousand for line in storage)
    essentials = fixed[0].monthly + fixed[2].monthly

    out = []
    title = (f"AWS cost per 1,000 paid dossiers ({prices['region']}, list prices; "
             f"{result.get('dossiers', '?')} dossiers measured)")
    if markdown:
        out += [f"**{title}**", "", "| " + " | ".join(head) + " |",
                "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        out += [title, ""]
        for row in [head, *rows]:
            out.append("  ".join(str(c).ljust(w) if i < 2 or i == 7 else str(c).rjust(w)
                                 for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    out += ["", f"Per month ({days} working days of dossiers): "
            f"${_money(month[0])} at {low:,} a day, ${_money(month[1])} at {high:,} a day."]
    out += ["", "Storage each month's dossiers add, per month they are kept:"]
    for line in storage:
        out.append(f"  {line.service} {line.item}: {line.per_dossier * 1024 ** 2:.1f} KB per "
                   f"dossier × ${line.price}/GB-month "
                   f"= ${line.per_thousand:.4f} per 1,000 per month kept ({line.source})")
    out.append(f"  a month of dossiers at {high:,} a day: "
               f"${store_k * high / 1000 * days:,.2f} per month kept, growing by that each month")
    out += ["", "Fixed monthly lines (independent of the dossier count):"]
    for f in fixed:
        out.append(f"  {f.service} {f.item}: {_qty(f.quantity)} {f.unit} = ${_money(f.monthly)}"
                   f" / month ({f.source})")
    out += ["", f"Month at {high:,} a day, Cognito Essentials included: "
            f"${_money(month[1] + essentials)} (+ storage as it accumulates)."]
    return "\n".join(out)


def render_inputs(m: dict, result: dict) -> str:
    """The measured inputs the table came from, per paid dossier."""
    billing = result["happy_path"]["billing"]
    ddb = billing["dynamodb"]
    out = ["Measured inputs per paid dossier (submit → accept → approve → paid, "
           f"n={result.get('dossiers')}):",
           f"  HTTP requests that change state: {m['api_requests']:g} "
           f"(mean client-measured time {m['api_ms']:.1f} ms)",
           f"  queue and stream handler invocations: {m['handler_invocations']:.2f} "
           f"({m['handler_ms']:.0f} ms in all)"]
    for bucket, h in billing["handler_invocations"].items():
        out.append(f"    {bucket.removeprefix('background:'):<28}{h['invocations']:6.2f} × "
                   f"{h['mean_ms']:6.1f} ms, {h['records']:.2f} records")
    out += [f"  Step Functions state transitions: {m['transitions']:g}",
            f"  DynamoDB WRU {m['wru']:.1f} (of which index writes "
            f"{sum(ddb['index_write_request_units'].values()):.1f}), "
            f"RRU {m['rru']:.1f}, bytes kept {m['stored_bytes']:,.0f}"]
    for table, units in ddb["write_request_units"].items():
        out.append(f"    {table:<28}WRU {units:6.2f}  index WRU "
                   f"{ddb['index_write_request_units'].get(table, 0):5.2f}  RRU "
                   f"{ddb['read_request_units'].get(table, 0):5.2f}")
    out += [f"  SQS messages {m['sqs_messages']:.2f}, EventBridge events {m['events']:.2f}, "
            f"SNS publishes {m['sns_publishes']:.2f}, SES e-mails {m['emails']:.2f}",
            "  AWS calls by service: " + "; ".join(
                f"{svc} " + ", ".join(f"{op} {n:.2f}" for op, n in ops.items())
                for svc, ops in billing["aws_calls"].items())]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    args = parser.parse_args(argv)
    result = json.loads(args.results.read_text(encoding="utf-8"))
    if "billing" not in result.get("happy_path", {}):
        parser.error(f"{args.results} has no billing inputs: run `python -m bench` first")
    prices = json.loads(args.prices.read_text(encoding="utf-8"))
    m = measured_inputs(result)
    print(render(m, prices, result, markdown=args.markdown))
    print()
    print(render_inputs(m, result))
    print(f"\nPrices: {args.prices.name}, {prices['region']}. {prices['read']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
