"""The front door: creates the Chalice app, registers its middleware and one Blueprint per area
(chalicelib/api). Routes and event handlers live in their area's module; what a route reads
from its request and how domain errors become responses live in chalicelib/api/request.py."""
from __future__ import annotations

from chalice import Chalice

from chalicelib.adapters import telemetry
from chalicelib.api import (
    advances,
    alerts,
    autopay,
    console,
    consumers,
    directory,
    documents,
    dossiers,
    payee_lists,
    projects,
    public,
    reports,
    schedules,
    statements,
    streams,
    tasks,
    workflow,
)
from chalicelib.api.request import json_response

app = Chalice(app_name="kbnn-dvc")
# An imported payee list may be an .xlsx (POST /v1/payee-lists/import): API Gateway must pass it
# through as bytes, not as text.
app.api.binary_types.append(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
telemetry.configure_logging()

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
        return json_response(response.status_code,
                             {"error": {"code": code, "message": message, "field": field}})
    return response


# Registered after the middleware: a blueprint's event handlers take the app's middleware when
# they are registered. No name_prefix: the Lambda functions keep their handlers' names.
for area in (public, dossiers, documents, tasks, directory, reports, statements, alerts, advances,
             console, workflow, consumers, streams, schedules, autopay, payee_lists, projects):
    app.register_blueprint(area.bp)
