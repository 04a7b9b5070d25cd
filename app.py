"""The front door: HTTPS routes and queue handlers. Each reads the request, calls one service
function and maps domain errors to JSON responses in one place (`_api`)."""
from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

from chalice import Chalice, Cron, Rate, Response

from chalicelib import composition
from chalicelib.adapters import telemetry
from chalicelib.domain import catalogue, jsonbody
from chalicelib.domain.errors import (
    DomainError,
    InvalidField,
    Unauthenticated,
)

app = Chalice(app_name="kbnn-dvc")
log = logging.getLogger("kbnn")
telemetry.configure_logging()
TASK_QUEUE = "kbnn-tasks"
WORKER_QUEUE = "kbnn-worker"


def _stream(table: str) -> str:
    """The change stream of one of the template's tables. The ARN of a stream is known only once
    the table exists: deploys set STREAM_ARN_<TABLE>; the local event pump reads the table's name
    from this ARN and finds its stream itself."""
    import os
    return os.environ.get(f"STREAM_ARN_{table.upper()}",
                          f"arn:aws:dynamodb:ap-southeast-1:000000000000:table/kbnn-{table}/stream/local")
OPENAPI = Path(__file__).parent / "chalicelib" / "openapi.json"


def _json(status: int, body: dict) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store"})


def _api(handler):
    """Run a route, turning domain errors into their 4xx and anything else into a bare 500."""
    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            status, body = handler(*args, **kwargs)
            return _json(status, body)
        except DomainError as err:
            return _json(err.status, err.body())
        except Exception:  # never leak a stack trace or an internal name to the client
            log.exception("unhandled error in %s", handler.__name__)
            return _json(500, {"error": {"code": "internal_error", "field": None,
                                         "message": "Lỗi hệ thống, vui lòng thử lại sau."}})
    return wrapper


# Chalice answers some requests itself (wrong Content-Type, wrong method) in its own shape;
# rewrite those into ours so that every client error has a stable code and a Vietnamese message.
FRAMEWORK_ERRORS = {
    "UnsupportedMediaType": ("unsupported_media_type", "Content-Type phải là application/json."),
    "MethodNotAllowedError": ("method_not_allowed", "Phương thức không được hỗ trợ."),
    "BadRequest": ("bad_request", "Yêu cầu không hợp lệ."),
}


@app.middleware("all")
def _observed(event, get_response):
    """Every invocation, HTTP or event, traced, logged with its context and measured; registered
    first, so it sees the response the client gets."""
    return telemetry.invocation(event, get_response)


@app.middleware("http")
def _framework_errors_in_house_shape(event, get_response):
    response = get_response(event)
    body = response.body if isinstance(response.body, dict) else None
    if response.status_code >= 400 and body and body.get("Code") in FRAMEWORK_ERRORS:
        code, message = FRAMEWORK_ERRORS[body["Code"]]
        field = "Content-Type" if code == "unsupported_media_type" else None
        return _json(response.status_code,
                     {"error": {"code": code, "message": message, "field": field}})
    return response


def _body() -> object:
    return jsonbody.parse(app.current_request.raw_body or b"")


def _principal():
    header = app.current_request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(code="missing_token", field="Authorization")
    return composition.services().verifier.verify(token.strip())


def _query(name: str) -> str | None:
    value = (app.current_request.query_params or {}).get(name)
    if value is not None and len(value) > 512:
        raise InvalidField("Tham số quá dài.", code="too_long", field=name)
    return value


def _limit() -> int:
    raw = _query("limit") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidField("limit phải từ 1 đến 200.", code="invalid_limit", field="limit")
    return int(raw)


def _now():
    from chalicelib import clock
    return clock.now()


def _scheduled_at(event):
    """When a scheduled run was due (the event's time): a late or retried run still works for
    its own day."""
    from chalicelib.services.common import parse_iso
    return parse_iso(event.time) if getattr(event, "time", None) else _now()


@app.route("/v1/auth/token", methods=["POST"])
@_api
def login():
    from chalicelib.adapters.identity import login as cognito_login
    body = _body()
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
            or not isinstance(body.get("password"), str):
        raise InvalidField("Cần username và password.", code="required", field="username")
    cfg = composition.services().config
    return 200, cognito_login(cfg.region, cfg.user_pool_client_id, body["username"],
                              body["password"])


@app.route("/v1/me", methods=["GET"])
@_api
def me():
    from chalicelib.services import authz
    principal = _principal()
    authz.require(principal, "me.read")
    return 200, principal.public()


@app.route("/v1/procedures", methods=["GET"])
@_api
def procedures():
    return 200, {"items": [p.public() for p in catalogue.CATALOGUE]}


@app.route("/v1/openapi.json", methods=["GET"])
@_api
def openapi():
    return 200, json.loads(OPENAPI.read_text(encoding="utf-8"))


@app.route("/v1/dossiers", methods=["POST"])
@_api
def submit_dossier():
    from chalicelib.services import dossiers
    principal = _principal()
    svc = composition.services()
    return dossiers.submit(principal, _body(),
                           app.current_request.headers.get("idempotency-key"),
                           repo=svc.repo, workflows=svc.workflows, config=svc.config,
                           store=svc.documents, now=_now(),
                           correlation_id=app.current_request.headers.get("x-correlation-id"))


@app.route("/v1/documents", methods=["POST"])
@_api
def start_document_upload():
    """A presigned upload URL for one file of the caller's unit, named by its SHA-256."""
    from chalicelib.services import documents
    principal = _principal()
    return documents.start_upload(principal, _body(), store=composition.services().documents,
                                  now=_now())


@app.route("/v1/registrations", methods=["POST"])
@_api
def submit_registration():
    """Form TK01: no login yet; the account holder's signature is the proof."""
    from chalicelib.services import registrations
    svc = composition.services()
    return registrations.submit(_body(), app.current_request.headers.get("idempotency-key"),
                                repo=svc.repo, workflows=svc.workflows, config=svc.config,
                                now=_now())


@app.route("/v1/dossiers", methods=["GET"])
@_api
def list_dossiers():
    from chalicelib.services import dossiers
    principal = _principal()
    return 200, dossiers.list_for(principal, repo=composition.services().repo,
                                  status=_query("status"), procedure=_query("procedure"),
                                  office=_query("office"), limit=_limit(), cursor=_query("cursor"))


@app.route("/v1/dossiers/{dossier_id}", methods=["GET"])
@_api
def get_dossier(dossier_id):
    from chalicelib.services import dossiers
    return 200, dossiers.get(_principal(), dossier_id, repo=composition.services().repo)


@app.route("/v1/dossiers/{dossier_id}/audit", methods=["GET"])
@_api
def dossier_audit(dossier_id):
    from chalicelib.services import dossiers
    return 200, dossiers.audit_trail(_principal(), dossier_id, repo=composition.services().repo)


@app.route("/v1/dossiers/{dossier_id}/documents", methods=["GET"])
@_api
def dossier_documents(dossier_id):
    from chalicelib.services import documents
    principal = _principal()
    svc = composition.services()
    return 200, documents.for_dossier(principal, dossier_id, repo=svc.repo, store=svc.documents,
                                      now=_now())


@app.route("/v1/dossiers/{dossier_id}/signatures", methods=["GET"])
@_api
def dossier_signatures(dossier_id):
    from chalicelib.services import dossiers
    return 200, dossiers.signature_check(_principal(), dossier_id,
                                         repo=composition.services().repo, now=_now())


@app.route("/v1/dossiers/{dossier_id}/supplement", methods=["POST"])
@_api
def supplement_dossier(dossier_id):
    from chalicelib.services import dossiers
    principal = _principal()
    svc = composition.services()
    return 200, dossiers.supplement(principal, dossier_id, _body(), repo=svc.repo,
                                    workflows=svc.workflows, store=svc.documents, now=_now())


@app.route("/v1/accounts/{account_id}", methods=["GET"])
@_api
def get_account(account_id):
    from chalicelib.services import accounts
    return 200, accounts.account(_principal(), account_id, repo=composition.services().repo)


@app.route("/v1/dossiers/{dossier_id}/checks", methods=["GET"])
@_api
def dossier_checks(dossier_id):
    from chalicelib.services import checks
    return 200, checks.checklist(_principal(), dossier_id, repo=composition.services().repo)


@app.route("/v1/dossiers/{dossier_id}/delay-reason", methods=["POST"])
@_api
def record_delay_reason(dossier_id):
    from chalicelib.services import reports
    principal = _principal()
    return 200, reports.record_delay_reason(principal, dossier_id, _body(),
                                            repo=composition.services().repo, now=_now())


@app.route("/v1/dossiers/{dossier_id}/extension", methods=["POST"])
@_api
def extend_deadline(dossier_id):
    from chalicelib.services import extensions
    principal = _principal()
    svc = composition.services()
    return 200, extensions.extend(principal, dossier_id, _body(), repo=svc.repo,
                                  workflows=svc.workflows, now=_now())


@app.route("/v1/reports/overdue", methods=["GET"])
@_api
def overdue_report():
    from chalicelib.services import reports
    return 200, reports.overdue(_principal(), office=_query("office"),
                                without_reason=_query("without_reason"),
                                repo=composition.services().repo, now=_now())


@app.route("/v1/offices/{office_id}/days-off", methods=["POST"])
@_api
def add_office_day_off(office_id):
    from chalicelib.services import offices
    principal = _principal()
    return 201, offices.add_day_off(principal, office_id, _body(),
                                    repo=composition.services().repo, now=_now())


@app.route("/v1/certificates", methods=["POST"])
@_api
def register_certificate():
    from chalicelib.services import certificates
    principal = _principal()
    return 201, certificates.register(principal, _body(), repo=composition.services().repo,
                                      now=_now())


@app.route("/v1/certificates", methods=["GET"])
@_api
def list_certificates():
    from chalicelib.services import certificates
    return 200, certificates.list_for(_principal(), _query("unit_id"),
                                      repo=composition.services().repo)


@app.route("/v1/certificates/{fingerprint}/revoke", methods=["POST"])
@_api
def revoke_certificate(fingerprint):
    from chalicelib.services import certificates
    principal = _principal()
    return 200, certificates.revoke(principal, fingerprint, _body(),
                                    repo=composition.services().repo, now=_now())


@app.route("/v1/tasks", methods=["GET"])
@_api
def list_tasks():
    from chalicelib.services import tasks
    principal = _principal()
    return 200, tasks.inbox(principal, repo=composition.services().repo,
                            state=_query("state") or "open", role=_query("role"),
                            limit=_limit(), cursor=_query("cursor"))


@app.route("/v1/tasks/{task_id}/decision", methods=["POST"])
@_api
def decide_task(task_id):
    from chalicelib.services import tasks
    principal = _principal()
    svc = composition.services()
    return 200, tasks.decide(principal, task_id, _body(), repo=svc.repo,
                             workflows=svc.workflows, now=_now())


@app.on_sqs_message(queue=TASK_QUEUE, batch_size=1)
def handle_task_messages(event):
    """A workflow step is waiting for a person: put it in the right inbox."""
    from chalicelib.services import tasks
    for record in event:
        tasks.open_task(json.loads(record.body), repo=composition.services().repo, now=_now())


@app.on_sqs_message(queue=WORKER_QUEUE, batch_size=1)
def handle_worker_messages(event):
    """A workflow step is waiting for the system: post a payment, activate a registration."""
    from chalicelib.services import workers
    svc = composition.services()
    for record in event:
        workers.run(json.loads(record.body), repo=svc.repo, workflows=svc.workflows,
                    ledger=svc.ledger, config=svc.config, now=_now())


# --- change streams -> domain events on the bus ---------------------------------------------
def _publish(table: str, event) -> None:
    from chalicelib.services import events
    events.publish(table, event, composition.services().events)


@app.on_dynamodb_record(stream_arn=_stream("dossiers"), batch_size=25, starting_position="TRIM_HORIZON")
def handle_dossier_changes(event):
    """Every status change of a dossier becomes a domain event."""
    _publish("dossiers", event)


@app.on_dynamodb_record(stream_arn=_stream("directory"), batch_size=25, starting_position="TRIM_HORIZON")
def handle_directory_changes(event):
    """Every balance change of an account becomes `balance.changed`."""
    _publish("directory", event)


@app.on_dynamodb_record(stream_arn=_stream("certificates"), batch_size=25,
                        starting_position="TRIM_HORIZON")
def handle_certificate_changes(event):
    """Certificates registered, activated and revoked."""
    _publish("certificates", event)


# --- national portal mirror and reports from aggregates ------------------------------------------
PORTAL_FEED_QUEUE = "kbnn-portal-feed"
REPORTS_QUEUE = "kbnn-reports"


@app.on_sqs_message(queue=PORTAL_FEED_QUEUE, batch_size=1)
def handle_portal_feed_events(event):
    """A dossier status change: one entry of the portal's status feed."""
    from chalicelib.services import portal
    from chalicelib.services.consumers import event_of
    for record in event:
        portal.record(event_of(record), store=composition.services().aggregates, now=_now())


@app.on_sqs_message(queue=REPORTS_QUEUE, batch_size=1)
def handle_report_events(event):
    """A dossier received or decided, a unit registered: the report counters."""
    from chalicelib.services import figures
    from chalicelib.services.consumers import event_of
    for record in event:
        figures.consume(event_of(record), store=composition.services().aggregates, now=_now())


def _csv_when_asked(route):
    """A report as CSV for `?format=csv` or `Accept: text/csv`; errors stay JSON."""
    @functools.wraps(route)
    def wrapper(*args, **kwargs):
        response = route(*args, **kwargs)
        accept = app.current_request.headers.get("accept") or ""
        wanted = (app.current_request.query_params or {}).get("format")
        if response.status_code != 200 or not (wanted == "csv" or
                                               (wanted is None and "text/csv" in accept)):
            return response
        from chalicelib.domain.aggregates import to_csv
        report = json.loads(response.body)
        return Response(body=to_csv(report["columns"], report["rows"]), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition": f'attachment; filename="{route.__name__}.csv"',
                                 "Cache-Control": "no-store"})
    return wrapper


def _report_format() -> None:
    if _query("format") not in (None, "json", "csv"):
        raise InvalidField("format phải là json hoặc csv.", code="invalid_choice", field="format")


@app.route("/v1/portal/status", methods=["GET"])
@_api
def portal_status_feed():
    from chalicelib.services import portal
    principal = _principal()
    return 200, portal.status_feed(principal, since=_query("since"), limit=_limit(),
                                   store=composition.services().aggregates, now=_now())


@app.route("/v1/reports/dossiers", methods=["GET"])
@_csv_when_asked
@_api
def dossier_figures():
    from chalicelib.services import figures
    principal = _principal()
    _report_format()
    svc = composition.services()
    return 200, figures.dossier_figures(principal, office=_query("office"), first=_query("from"),
                                        last=_query("to"), repo=svc.repo, store=svc.aggregates,
                                        now=_now())


@app.route("/v1/reports/participation", methods=["GET"])
@_csv_when_asked
@_api
def participation_figures():
    from chalicelib.services import figures
    principal = _principal()
    _report_format()
    svc = composition.services()
    return 200, figures.participation(principal, office=_query("office"), repo=svc.repo,
                                      store=svc.aggregates, now=_now())


@app.route("/v1/reports/regular-senders", methods=["GET"])
@_csv_when_asked
@_api
def regular_sender_figures():
    from chalicelib.services import figures
    principal = _principal()
    _report_format()
    svc = composition.services()
    return 200, figures.regular_senders(principal, office=_query("office"), weeks=_query("weeks"),
                                        on=_query("date"), repo=svc.repo, store=svc.aggregates,
                                        now=_now())


@app.route("/v1/reports/online-vouchers", methods=["GET"])
@_csv_when_asked
@_api
def online_voucher_figures():
    from chalicelib.services import figures
    principal = _principal()
    _report_format()
    svc = composition.services()
    return 200, figures.online_vouchers(principal, office=_query("office"), first=_query("from"),
                                        last=_query("to"), repo=svc.repo, store=svc.aggregates,
                                        now=_now())


@app.route("/v1/offices/{office_id}/paper-vouchers", methods=["POST"])
@_api
def record_paper_vouchers(office_id):
    from chalicelib.services import figures
    principal = _principal()
    svc = composition.services()
    return 200, figures.record_paper_vouchers(principal, office_id, _body(), repo=svc.repo,
                                              store=svc.aggregates, now=_now())


@app.route("/v1/offices/{office_id}/mandatory-units", methods=["POST"])
@_api
def declare_mandatory_units(office_id):
    from chalicelib.services import figures
    principal = _principal()
    svc = composition.services()
    return 200, figures.declare_mandatory_units(principal, office_id, _body(), repo=svc.repo,
                                                store=svc.aggregates, now=_now())


# --- balance reconciliation statements (Decree 347/2025 Art. 10) -----------------------------

STATEMENT_LEDGER_QUEUE = "kbnn-statement-ledger"
STATEMENT_JOB_QUEUE = "kbnn-statement-jobs"


@app.schedule(Cron(0, 18, "*", "*", "?", "*"))   # 01:00 in Asia/Ho_Chi_Minh, every day
def issue_due_statements(event):
    """Issue the statements that are due and not yet issued: one job message per segment."""
    from chalicelib.services import statements
    statements.schedule(_scheduled_at(event), store=composition.services().statements)


@app.on_sqs_message(queue=STATEMENT_JOB_QUEUE, batch_size=1)
def handle_statement_jobs(event):
    """A few pages of accounts of one segment of a due period; the rest follows in a new message."""
    from chalicelib.services import statements
    for record in event:
        statements.run_segment(json.loads(record.body), store=composition.services().statements,
                               now=_now())


@app.on_sqs_message(queue=STATEMENT_LEDGER_QUEUE, batch_size=1)
def handle_statement_ledger(event):
    """Every `balance.changed` event becomes a ledger entry (once: its key is the change)."""
    from chalicelib.services import statements
    from chalicelib.services.consumers import event_of
    for record in event:
        statements.record_balance_change(event_of(record),
                                         store=composition.services().statements)


@app.on_dynamodb_record(stream_arn=_stream("statements"), batch_size=25,
                        starting_position="TRIM_HORIZON")
def handle_statement_changes(event):
    """Statements issued, confirmed, disputed and resolved become domain events."""
    _publish("statements", event)


@app.route("/v1/statements", methods=["GET"])
@_api
def list_statements():
    from chalicelib.services import statements
    principal = _principal()
    svc = composition.services()
    return 200, statements.list_for(principal, store=svc.statements, repo=svc.repo,
                                    period=_query("period"), status=_query("status"),
                                    office=_query("office"), limit=_limit(),
                                    cursor=_query("cursor"))


@app.route("/v1/statements/{statement_id}", methods=["GET"])
@_api
def get_statement(statement_id):
    from chalicelib.services import statements
    principal = _principal()
    svc = composition.services()
    return 200, statements.get(principal, statement_id, store=svc.statements, repo=svc.repo)


@app.route("/v1/statements/{statement_id}/reply", methods=["POST"])
@_api
def reply_to_statement(statement_id):
    from chalicelib.services import statements
    principal = _principal()
    svc = composition.services()
    return 200, statements.reply(principal, statement_id, _body(), store=svc.statements,
                                 repo=svc.repo, now=_now())


@app.route("/v1/statements/{statement_id}/resolution", methods=["POST"])
@_api
def resolve_statement(statement_id):
    from chalicelib.services import statements
    principal = _principal()
    svc = composition.services()
    return 200, statements.resolve(principal, statement_id, _body(), store=svc.statements,
                                   repo=svc.repo, now=_now())


@app.route("/v1/reports/reconciliation", methods=["GET"])
@_api
def reconciliation_report():
    from chalicelib.services import statements
    principal = _principal()
    svc = composition.services()
    return 200, statements.report(principal, office=_query("office"), period=_query("period"),
                                  store=svc.statements, repo=svc.repo)


# --- recovery: what was committed but never reached Step Functions -------------------------------
@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_undelivered(event):
    """Start the executions and answer the decided tokens that Step Functions never took
    (services/sweeper.py)."""
    from chalicelib.services import sweeper
    svc = composition.services()
    sweeper.sweep(repo=svc.repo, workflows=svc.workflows, config=svc.config,
                  now=_scheduled_at(event))


# --- audit digests (docs/audit-digests.md) -----------------------------------------------------
@app.schedule(Cron(5, 17, "*", "*", "?", "*"))   # 00:05 in Asia/Ho_Chi_Minh, every day
def write_audit_digest(event):
    """The heads of the audit chains that changed on the local day just ended, to S3 under
    Object Lock."""
    from chalicelib.services import audit_digests
    audit_digests.write_day_before(_scheduled_at(event), composition.services())


# --- notifications and risk warnings ---------------------------------------------------------
NOTIFICATION_QUEUE = "kbnn-notifications"
RISK_QUEUE = "kbnn-risk"


@app.on_sqs_message(queue=NOTIFICATION_QUEUE, batch_size=1)
def handle_notification_events(event):
    """A dossier's result: e-mail the unit's registered address (once per event)."""
    from chalicelib.services import notifications
    from chalicelib.services.consumers import event_of
    for record in event:
        notifications.on_event(event_of(record), composition.services(), _now())


@app.on_sqs_message(queue=RISK_QUEUE, batch_size=1)
def handle_risk_events(event):
    """Status and balance changes to the unit's risk-warning topic; submissions checked for
    anomalies; posted payments kept as the unit's statistics."""
    from chalicelib.services import risk
    from chalicelib.services.consumers import event_of
    for record in event:
        risk.on_event(event_of(record), composition.services(), _now())


@app.route("/v1/alerts", methods=["GET"])
@_api
def list_alerts():
    from chalicelib.services import alerts
    principal = _principal()
    svc = composition.services()
    return 200, alerts.list_flags(principal, store=svc.alerts, repo=svc.repo, rule=_query("rule"),
                                  dossier_id=_query("dossier_id"), office=_query("office"),
                                  limit=_limit(), cursor=_query("cursor"))


@app.route("/v1/alerts/subscriptions", methods=["POST"])
@_api
def subscribe_to_alerts():
    from chalicelib.services import alerts
    principal = _principal()
    svc = composition.services()
    return alerts.subscribe(principal, _body(), store=svc.alerts, topics=svc.topics, now=_now())


@app.route("/v1/alerts/subscriptions", methods=["GET"])
@_api
def list_alert_subscriptions():
    from chalicelib.services import alerts
    principal = _principal()
    svc = composition.services()
    return 200, alerts.subscriptions(principal, store=svc.alerts, topics=svc.topics)


@app.route("/v1/alerts/subscriptions/{subscription_id}", methods=["DELETE"])
@_api
def unsubscribe_from_alerts(subscription_id):
    from chalicelib.services import alerts
    principal = _principal()
    svc = composition.services()
    return 200, alerts.unsubscribe(principal, subscription_id, store=svc.alerts, topics=svc.topics)


# --- ledger posting (TABMIS) -------------------------------------------------------------------
LEDGER_CONFIRMATION_QUEUE = "kbnn-ledger-confirmations"


@app.on_sqs_message(queue=LEDGER_CONFIRMATION_QUEUE, batch_size=1)
def handle_ledger_confirmations(event):
    """The core ledger answered a posting request: the dossier ends paid, recorded or refused and
    its workflow goes on, or the request is retried (docs/ledger-contract.md)."""
    from chalicelib.services import ledger
    svc = composition.services()
    for record in event:
        ledger.on_confirmation(json.loads(record.body), repo=svc.repo, ledger=svc.ledger,
                               workflows=svc.workflows, now=_now())


# --- the web console (static files; chalicelib/console) --------------------------------------
# Not part of the API: no token, no AWS call. Redirects are relative ("console/"), so they hold
# behind an API Gateway stage prefix too.
def _redirect(location: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


def _console_file(folder: str, name: str) -> Response:
    from chalicelib import console
    found = console.asset(folder, name)
    if found is None:
        return _json(404, {"error": {"code": "console_file_not_found", "field": "file",
                                     "message": "Không tìm thấy tệp của trang quản trị."}})
    headers = {"Content-Type": found.content_type, "ETag": found.etag, "Cache-Control": "no-cache",
               **console.SECURITY_HEADERS}
    if (app.current_request.headers.get("if-none-match") or "") == found.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


@app.route("/", methods=["GET"])
def console_home():
    return _redirect("console/")


@app.route("/console", methods=["GET"])
def console_index():
    # /console and /console/ reach this one route; the page's relative imports need the slash.
    if not app.current_request.context.get("path", "/").endswith("/"):
        return _redirect("console/")
    return _console_file("", "index.html")


@app.route("/console/{file}", methods=["GET"])
def console_file(file):
    return _console_file("", file)


@app.route("/console/views/{file}", methods=["GET"])
def console_view(file):
    return _console_file("views", file)
