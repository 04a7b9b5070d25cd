"""The web console's static files (chalicelib/console/static/), served by the app itself.

Chalice packages only app.py and chalicelib/, so the console ships inside the Lambda bundle.
A file is looked up by name against what the directory holds (never joined to a path the
client sent), read when asked for (nothing at import time) and answered with its content type,
a validator (ETag) and `Cache-Control: no-cache`: the files carry no version in their names, so a
browser keeps them but asks again, and gets a 304 when nothing changed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# One plain name per folder: lower-case letters, digits and dashes, a known extension.
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\.(html|js|css|svg)$")
FOLDERS = ("", "views")
# What the browser may do with what it loads: scripts and styles from here only; calls to the
# API (same origin), the unit's S3 uploads and the signing tool's helper on the loopback.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' http://127.0.0.1:* http://localhost:* https://*.amazonaws.com; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def asset(folder: str, name: str) -> Asset | None:
    """The file `name` of `folder` ("" or "views"), or None when there is no such file."""
    if folder not in FOLDERS or not _NAME.match(name or ""):
        return None
    listed = {p.name: p for p in (ROOT / folder).iterdir() if p.is_file()}
    path = listed.get(name)
    if path is None:
        return None
    body = path.read_text(encoding="utf-8")
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    return Asset(body, CONTENT_TYPES[path.suffix], etag)
