"""The web console's files as the app serves them (chalicelib/console): content types, cache
validators, the house's 404 for anything else, no way out of the folder, and nothing read at
import time."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from chalice.test import Client

import app as app_module
from chalicelib import console

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client():
    with Client(app_module.app) as c:
        yield c


def test_the_only_routes_outside_v1_are_the_consoles():
    outside = {(m, p) for p, entries in app_module.app.routes.items() for m in entries
               if not p.startswith("/v1/")}
    assert outside == {("GET", "/"), ("GET", "/console"), ("GET", "/console/{file}"),
                       ("GET", "/console/views/{file}")}


def test_the_root_redirects_relatively_to_the_console(client):
    response = client.http.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "console/"


@pytest.mark.parametrize("name, content_type", [
    ("app.js", "text/javascript; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("i18n.js", "text/javascript; charset=utf-8"),
])
def test_each_file_has_its_content_type_a_validator_and_must_revalidate(client, name, content_type):
    response = client.http.get(f"/console/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.body.decode("utf-8") == (console.ROOT / name).read_text(encoding="utf-8")
    again = client.http.get(f"/console/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert (again.status_code, again.body) == (304, b"")


def test_views_are_served_from_their_folder(client):
    response = client.http.get("/console/views/sign-in.js")
    assert response.status_code == 200
    assert "export async function render" in response.body.decode("utf-8")


def test_the_page_forbids_inline_scripts_and_framing(client):
    policy = client.http.get("/console/index.html").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("path", [
    "/console/nope.js", "/console/app.py", "/console/..%2F..%2Fapp.py", "/console/%2e%2e",
    "/console/views/..%2Fapp.js", "/console/__init__.py", "/console/.hidden.js",
    "/console/APP.JS", "/console/views/nope.js",
])
def test_anything_else_is_the_house_404_and_nothing_outside_the_folder_is_read(client, path):
    response = client.http.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body)["error"] == {
        "code": "console_file_not_found", "field": "file",
        "message": "Không tìm thấy tệp của trang quản trị."}


def test_lookup_is_by_listed_name_only():
    assert console.asset("", "../app.py") is None
    assert console.asset("..", "app.py") is None
    assert console.asset("views", "../app.js") is None
    assert console.asset("", "app.js") is not None


def test_every_view_the_router_names_exists():
    import re
    routes = (console.ROOT / "app.js").read_text(encoding="utf-8")
    views = set(re.findall(r"'([a-z-]+)', (?:null|UNIT_ROLES|\[)", routes))
    assert views and all((console.ROOT / "views" / f"{v}.js").is_file() for v in views), views


def test_importing_the_app_neither_imports_the_console_nor_reads_its_files():
    probe = "import sys, app; print('chalicelib.console' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=console.ROOT.parents[2])
    assert out.stdout.strip() == "False"
