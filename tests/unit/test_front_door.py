"""app.py is the front door: middleware first, then one Blueprint per area, and a cold import
that builds nothing and loads no AWS SDK or ORM (a route pays for those on first use)."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import app as app_module
import chalicelib.api

ROOT = Path(__file__).resolve().parents[2]
HELPERS = {"request"}


def test_every_area_of_chalicelib_api_is_registered_and_nothing_is_defined_in_app_py():
    areas = {m.name for m in pkgutil.iter_modules(chalicelib.api.__path__)} - HELPERS
    owners = {entry.view_function.__module__ for entries in app_module.app.routes.values()
              for entry in entries.values()}
    owners |= {source.handler_string.rsplit(".", 1)[0] for source in app_module.app.event_sources}
    assert owners == {f"chalicelib.api.{area}" for area in areas}


def test_a_cold_import_of_the_app_loads_neither_boto3_nor_pynamodb_nor_a_service():
    probe = ("import sys, app\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', "
             "'pynamodb'}), sorted(m for m in sys.modules if m.startswith(("
             "'chalicelib.services', 'chalicelib.adapters.repository', 'chalicelib.composition'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[] []"
