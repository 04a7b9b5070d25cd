"""The web console's static files (chalicelib/console). Not part of the API: no token, no AWS
call. Redirects are relative ("console/"), so they hold behind an API Gateway stage prefix too."""
from __future__ import annotations

from chalice import Blueprint, Response

from .request import json_response

bp = Blueprint(__name__)


def _redirect(location: str) -> Response:
    return Response(body="", status_code=302,
                    headers={"Location": location, "Cache-Control": "no-store"})


def _console_file(folder: str, name: str) -> Response:
    from chalicelib import console
    found = console.asset(folder, name)
    if found is None:
        return json_response(404, {"error": {"code": "console_file_not_found", "field": "file",
                                             "message": "Không tìm thấy tệp của trang quản trị."}})
    headers: dict[str, str | list[str]] = {
        "Content-Type": found.content_type, "ETag": found.etag, "Cache-Control": "no-cache",
        **console.SECURITY_HEADERS}
    if (bp.current_request.headers.get("if-none-match") or "") == found.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


@bp.route("/", methods=["GET"])
def console_home() -> Response:
    return _redirect("console/")


@bp.route("/console", methods=["GET"])
def console_index() -> Response:
    # /console and /console/ reach this one route; the page's relative imports need the slash.
    if not bp.current_request.context.get("path", "/").endswith("/"):
        return _redirect("console/")
    return _console_file("", "index.html")


@bp.route("/console/{file}", methods=["GET"])
def console_file(file: str) -> Response:
    return _console_file("", file)


@bp.route("/console/views/{file}", methods=["GET"])
def console_view(file: str) -> Response:
    return _console_file("views", file)
