"""What a route gets from its request, in one place: the caller, the services, the clock and the
parsed input; and the one place domain errors become HTTP responses.

`Routes(bp)` registers a route whose function takes a `Request` first and returns
`(status, body)`: a `DomainError` becomes its 4xx, anything else a bare 500 (never a stack trace
or an internal name), a report route answers CSV when asked (`?format=csv` or
`Accept: text/csv`; errors stay JSON) and a document route answers HTML (`Html`). Nothing here
imports a service or an adapter: a route imports what it uses, so `import app` stays cheap.
"""
from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from chalice import Blueprint, Response

from chalicelib.domain import commands, jsonbody
from chalicelib.domain.errors import DomainError, InvalidField, Unauthenticated

if TYPE_CHECKING:
    import chalice.app

    from chalicelib.adapters.identity import Principal
    from chalicelib.composition import Services

log = logging.getLogger("kbnn")
Command = TypeVar("Command")
Route = Callable[..., tuple[int, Any]]


def json_response(status: int, body: dict) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store"})


@dataclass(frozen=True)
class Html:
    """A document to print and keep (text/html), not JSON: its page and the file name it saves
    as. It runs no script and loads nothing: the policy says so to the browser."""
    text: str
    filename: str

    def response(self) -> Response:
        return Response(body=self.text, status_code=200, headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Disposition": f'inline; filename="{self.filename}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                        "img-src data:; base-uri 'none'; form-action 'none'")})


def services() -> Services:
    """The process's services (the composition root), built on first use."""
    from chalicelib import composition
    return composition.services()


def now() -> datetime:
    from chalicelib import clock
    return clock.now()


class Request:
    """One HTTP request as a route reads it."""

    def __init__(self, raw: chalice.app.Request) -> None:
        self.raw = raw

    @functools.cached_property
    def services(self) -> Services:
        return services()

    @property
    def now(self) -> datetime:
        return now()

    @property
    def params(self) -> Mapping[str, str]:
        return self.raw.query_params or {}

    def header(self, name: str) -> str | None:
        return self.raw.headers.get(name)

    def principal(self) -> Principal:
        """The caller, from its bearer token; 401 without one."""
        scheme, _, token = (self.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(code="missing_token", field="Authorization")
        return self.services.verifier.verify(token.strip())

    def body(self, limit: int = jsonbody.MAX_BODY_BYTES) -> Any:
        """The body as checked JSON (jsonbody.parse), any shape, of at most `limit` bytes."""
        raw = self.raw.raw_body or b""
        return jsonbody.parse(raw.encode("utf-8") if isinstance(raw, str) else raw, limit)

    def command(self, kind: type[Command], limit: int = jsonbody.MAX_BODY_BYTES) -> Command:
        """The body parsed once into a typed command (chalicelib/domain/commands.py)."""
        return commands.parse(kind, self.body(limit))

    def query(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is not None and len(value) > 512:
            raise InvalidField("Tham số quá dài.", code="too_long", field=name)
        return value

    def limit(self) -> int:
        raw = self.query("limit") or "50"
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            raise InvalidField("limit phải từ 1 đến 200.", code="invalid_limit", field="limit")
        return int(raw)

    def report_format(self) -> None:
        if self.query("format") not in (None, "json", "csv"):
            raise InvalidField("format phải là json hoặc csv.", code="invalid_choice",
                               field="format")

    def wants_csv(self) -> bool:
        wanted = self.params.get("format")
        return wanted == "csv" or (wanted is None and "text/csv" in (self.header("accept") or ""))


def answer(route: Route, request: Request, params: dict, csv: bool) -> Response:
    """Run a route, turning domain errors into their 4xx and anything else into a bare 500."""
    try:
        status, body = route(request, **params)
    except DomainError as err:
        return json_response(err.status, err.body())
    except Exception:  # never leak a stack trace or an internal name to the client
        log.exception("unhandled error in %s", route.__name__)
        return json_response(500, {"error": {"code": "internal_error", "field": None,
                                             "message": "Lỗi hệ thống, vui lòng thử lại sau."}})
    if isinstance(body, Html):
        return body.response()
    if csv and status == 200 and request.wants_csv():
        from chalicelib.domain.aggregates import to_csv
        return Response(body=to_csv(body["columns"], body["rows"]), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition":
                                     f'attachment; filename="{route.__name__}.csv"',
                                 "Cache-Control": "no-store"})
    return json_response(status, body)


class Routes:
    """`@route(path, methods=[...])` on a blueprint, for functions `(request, **params)`."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint

    def __call__(self, path: str, *, methods: list[str], csv: bool = False,
                 content_types: list[str] | None = None
                 ) -> Callable[[Route], Callable[..., Response]]:
        def register(route: Route) -> Callable[..., Response]:
            @functools.wraps(route)
            def view(**params: str) -> Response:
                return answer(route, Request(self.blueprint.current_request), params, csv)
            self.blueprint.route(path, methods=methods,
                                 content_types=content_types or ["application/json"])(view)
            return view
        return register


def scheduled_at(event: Any) -> datetime:
    """When a scheduled run was due (the event's time): a late or retried run still works for
    its own day."""
    from chalicelib.services.common import parse_iso
    return parse_iso(event.time) if getattr(event, "time", None) else now()
