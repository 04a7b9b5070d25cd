"""The law, traceable: `docs/clauses.json` maps each clause of a decree the product implements to
the code that enforces it and the tests that hold it (docs/law.md says how to add one).

Held here, without running pytest (the test files are parsed with `ast`, so this stays fast):
every listed test exists, every listed code path exists and cites its clause, every id follows
the scheme, the file keeps its mergeable form, and the clauses already built are all present.
"""
from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "clauses.json"

# "<decree>/<year> Art.<n>[ cl.<n>[ pt.<point>]] <slug>". Points are the Vietnamese letters,
# which skip f, j (and w, z): a b c d đ e g h i k l m n.
POINTS = "abcdđeghiklmn"
CLAUSE_ID = re.compile(
    r"(?P<decree>[0-9]{1,3})/(?P<year>(19|20)[0-9]{2})"
    r" Art\.(?P<article>[1-9][0-9]*)"
    rf"(?: cl\.(?P<clause>[1-9][0-9]*)(?: pt\.(?P<point>[{POINTS}]))?)?"
    r" (?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)")

# The clauses built; a release must keep every one of them mapped (a clause dropped from the
# map fails here, so removing a rule is a visible decision).
REQUIRED_CLAUSES = frozenset({
    "11/2020 Art.7 regular-spending-until-2026",
    "254/2025 Art.12 cl.1 advance-deadline",
    "254/2025 Art.12 cl.2 payment-deadline",
    "254/2025 Art.12 cl.4 two-days-advance-one",
    "254/2025 Art.23 cl.4 domestic-time-limit",
    "254/2025 Art.24 cl.4 foreign-time-limit",
    "254/2025 Art.54 cl.1 transition",
    "254/2025 Art.56 cl.1 in-force-from-signing",
    "254/2025 Art.6 cl.4 total-investment",
    "254/2025 Art.6 cl.5 year-plan",
    "254/2025 Art.6 cl.6 contract-items",
    "254/2025 Art.6 cl.7 percentage-costs",
    "254/2025 Art.6 cl.8 completeness-only",
    "254/2025 Art.7 cl.3 capital-plan-register",
    "254/2025 Art.8 cl.1 legal-dossier-once",
    "254/2025 Art.8 cl.3 payment-dossier",
    "254/2025 Art.8 cl.9 refusal-once-in-writing",
    "254/2025 Art.9 cl.1 contract-in-effect",
    "254/2025 Art.9 cl.2 advance-guarantee",
    "254/2025 Art.9 cl.4 advance-within-plan",
    "254/2025 Art.9 cl.5 recovery-by-80-percent",
    "347/2025 Art.10 cl.2 pt.c match-or-mismatch",
    "347/2025 Art.10 cl.2 pt.c re-reconcile-within-one-working-day",
    "347/2025 Art.10 cl.3 forms-by-account",
    "347/2025 Art.10 cl.3 periodic-statements",
    "347/2025 Art.10 cl.5 one-working-day",
    "347/2025 Art.10 cl.8 pt.a confirmed-form",
    "347/2025 Art.15 cl.1 pt.a budget-2025-spending-under-11-2020",
    "347/2025 Art.15 cl.1 pt.a budget-year-open-at-receipt",
    "347/2025 Art.15 cl.1 pt.b received-before-2026-finishes-under-11-2020",
    "347/2025 Art.15 cl.1 pt.c oda-old-treaties-under-11-2020",
    "347/2025 Art.15 cl.1 pt.d 2025-reconciliation-under-11-2020",
    "347/2025 Art.16 cl.1 applies-from-budget-year-2026",
    "347/2025 Art.3 cl.4 pt.a complete-dossier",
    "347/2025 Art.3 cl.4 pt.a receipt-with-promised-date",
    "347/2025 Art.3 cl.4 pt.a supplement-notice",
    "347/2025 Art.3 cl.4 pt.a valid-voucher",
    "347/2025 Art.3 cl.5 supplement-at-most-once",
    "347/2025 Art.3 cl.6 deadline-kept",
    "347/2025 Art.3 cl.6 extension-with-final-deadline",
    "347/2025 Art.3 cl.8 one-time-components",
    "347/2025 Art.4 cl.4 pt.h split-voucher-mau14",
    "347/2025 Art.4 cl.4 pt.i split-voucher-mau18",
    "347/2025 Art.6 cl.2 pt.b advance-rate",
    "347/2025 Art.6 cl.2 pt.b deposit-exempt",
    "347/2025 Art.6 cl.2 pt.b economic-code",
    "347/2025 Art.6 cl.2 pt.b payee-list",
    "347/2025 Art.6 cl.2 pt.b settlement-item-group",
    "347/2025 Art.6 cl.2 pt.b settlement-matches-advance",
    "347/2025 Art.6 cl.2 pt.b signatures-match-specimens",
    "347/2025 Art.6 cl.2 pt.b within-contract",
    "347/2025 Art.6 cl.2 pt.c autopay-within-balance",
    "347/2025 Art.6 cl.2 pt.c within-balance",
    "347/2025 Art.6 cl.2 pt.d in-estimate-and-balance",
    "347/2025 Art.6 cl.2 pt.e adjustment-period",
    "347/2025 Art.6 cl.2 pt.e settlement-above",
    "347/2025 Art.6 cl.2 pt.e settlement-below",
    "347/2025 Art.6 cl.2 pt.e settlement-equal",
    "347/2025 Art.6 cl.2 pt.g refund-reduces-spending",
    "347/2025 Art.6 cl.2 pt.g return-treatment",
    "347/2025 Art.6 cl.2 pt.h adjustment-consistent",
    "347/2025 Art.6 cl.2 pt.h adjustment-matches-original",
    "347/2025 Art.6 cl.2 pt.i autopay-debit-advice",
    "347/2025 Art.6 cl.2 pt.i confirmed-forms",
    "347/2025 Art.6 cl.2 pt.i debit-advice",
    "347/2025 Art.6 cl.2 pt.i payroll-credited-once",
    "347/2025 Art.6 cl.2 pt.k autopay-refusal-notice",
    "347/2025 Art.6 cl.2 pt.k refusal-notice",
    "347/2025 Art.6 cl.2 pt.đ within-deposit-balance",
    "347/2025 Art.6 cl.3 pt.a autopay-bill-once",
    "347/2025 Art.6 cl.3 pt.a autopay-revocation",
    "347/2025 Art.6 cl.3 pt.a estimate-approval-once-a-year",
    "347/2025 Art.6 cl.3 pt.a split-voucher",
    "347/2025 Art.6 cl.3 pt.a utility-autopay-authorisation",
    "347/2025 Art.6 cl.3 pt.d temporary-allocation",
    "347/2025 Art.6 cl.3 pt.e adjustment-form",
    "347/2025 Art.6 cl.3 pt.đ return-form",
    "347/2025 Art.6 cl.4 pt.a one-signed-copy",
    "347/2025 Art.6 cl.5 one-working-day",
    "347/2025 Art.6 cl.5 peak-window-two-days",
    "347/2025 Art.7 cl.2 pt.c recorded-not-paid",
    "347/2025 Art.7 cl.2 pt.d refusal-notice",
    "347/2025 Art.7 cl.5 two-working-days",
    "347/2025 Art.8 cl.2 pt.c specimens-apply-after-approval",
    "347/2025 Art.8 cl.5 one-working-day",
    "347/2025 Art.9 cl.2 pt.c close-and-confirm",
    "347/2025 Art.9 cl.3 closing-forms",
    "347/2025 Art.9 cl.5 one-working-day",
    "91/2015 Art.147 cl.2 first-day-not-counted",
    "91/2015 Art.148 cl.5 last-day-off-moves-the-end",
})


def clause_map() -> dict:
    return json.loads(MAP.read_text(encoding="utf-8"))


def citation(clause_id: str) -> re.Pattern:
    """How code cites a clause: the id without its slug, e.g. `347/2025 Art.6 cl.2 pt.b`, with
    or without a space after each dot ("Art. 6"), and not a longer number ("Art.6" is not
    "Art.60"). A citation of a point also cites its clause and article."""
    m = CLAUSE_ID.fullmatch(clause_id)
    assert m is not None, clause_id
    text = rf"{m['decree']}/{m['year']}\s+Art\.\s?{m['article']}(?![0-9])"
    if m["clause"]:
        text += rf"\s+cl\.\s?{m['clause']}(?![0-9])"
    if m["point"]:
        text += rf"\s+pt\.\s?{m['point']}(?![\w])"
    return re.compile(text)


@cache
def defined_tests(path: str) -> frozenset[str]:
    """`name` and `Class::name` of every test function the file defines."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)
    names = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, functions))
    return frozenset(names)


def node_exists(node_id: str) -> bool:
    """`path::name`, `path::Class::name`, optionally with a parameter id `[...]`."""
    path, sep, name = node_id.partition("::")
    if not sep or not path.startswith("tests/") or not path.endswith(".py") \
            or not (ROOT / path).is_file():
        return False
    name = re.sub(r"\[[^\]]*\]$", "", name)
    return name.split("::")[-1].startswith("test") and name in defined_tests(path)


def test_the_map_is_one_sorted_entry_per_clause_in_two_space_json():
    text = MAP.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", \
        "docs/clauses.json must be json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)"
    for clause_id, entry in data.items():
        assert set(entry) == {"code", "tests"}, clause_id
        for key in ("code", "tests"):
            assert entry[key] and all(isinstance(x, str) for x in entry[key]), (clause_id, key)
            assert len(set(entry[key])) == len(entry[key]), (clause_id, key, "listed twice")


def test_every_clause_id_follows_the_scheme():
    wrong = [c for c in clause_map() if not CLAUSE_ID.fullmatch(c)]
    assert not wrong, f"ids not of the form '347/2025 Art.6 cl.2 pt.b slug': {wrong}"


def test_every_listed_test_exists():
    missing = [(c, t) for c, entry in clause_map().items() for t in entry["tests"]
               if not node_exists(t)]
    assert not missing, f"tests named in docs/clauses.json that do not exist: {missing}"


def test_every_listed_code_path_exists_and_cites_its_clause():
    missing, silent = [], []
    for clause_id, entry in clause_map().items():
        pattern = citation(clause_id)
        for path in entry["code"]:
            file = ROOT / path
            if not file.is_file() or not file.resolve().is_relative_to(ROOT):
                missing.append((clause_id, path))
            elif not pattern.search(file.read_text(encoding="utf-8")):
                silent.append((clause_id, path))
    assert not missing, f"code paths that do not exist: {missing}"
    assert not silent, f"code paths that do not cite their clause: {silent}"


def test_every_clause_already_built_is_mapped():
    absent = sorted(REQUIRED_CLAUSES - set(clause_map()))
    assert not absent, f"clauses built but missing from docs/clauses.json: {absent}"


@pytest.mark.parametrize("clause_id, cited, not_cited", [
    ("347/2025 Art.6 cl.2 pt.b payee-list", "# 347/2025 Art.6 cl.2 pt.b: lines add up",
     "# 347/2025 Art.6 cl.2 pt.bb"),
    ("347/2025 Art.10 cl.5 one-working-day", "(Decree 347/2025 Art. 10 cl. 5)",
     "347/2025 Art.10 cl.50"),
    ("347/2025 Art.1 scope", "347/2025 Art.1 cl.2 pt.a", "347/2025 Art.10"),
    ("347/2025 Art.6 cl.2 pt.đ deposit", "347/2025 Art.6 cl.2 pt.đ", "347/2025 Art.6 cl.2 pt.d"),
])
def test_a_citation_is_the_clause_id_without_its_slug(clause_id, cited, not_cited):
    assert citation(clause_id).search(cited)
    assert not citation(clause_id).search(not_cited)


@pytest.mark.parametrize("clause_id", [
    "347/2025 Art.6 cl.2 pt.f payee-list",      # no point f in Vietnamese lettering
    "347/2025 Art.6 cl.2 payee list",           # the slug is kebab-case
    "347/2025 Art. 6 cl.2 pt.b payee-list",     # no space inside a reference
    "347/2025 Art.6 pt.b payee-list",           # a point belongs to a clause
    "347/2025 Art.6 cl.2 pt.b",                 # a slug is required
    "Decree 347/2025 Art.6 cl.2 pt.b payee-list",
])
def test_ids_off_the_scheme_are_refused(clause_id):
    assert CLAUSE_ID.fullmatch(clause_id) is None


def test_a_test_node_is_found_by_parsing_its_file():
    here = "tests/unit/test_clauses_map.py"
    assert node_exists(f"{here}::test_every_listed_test_exists")
    assert node_exists(f"{here}::test_ids_off_the_scheme_are_refused[347/2025 Art.6 pt.b x]")
    assert not node_exists(f"{here}::test_that_does_not_exist")
    assert not node_exists(f"{here}::clause_map")                 # not a test
    assert not node_exists("tests/unit/nowhere.py::test_x")
    assert not node_exists(here)                                  # a file is not a node


# Issue 16's floor: Decree 347/2025 Art. 6 cl. 2 pt. b–k (no f, j), cl. 3 pt. a, d, đ, e and cl. 5
# each have at least one mapped rule.
ART6_FLOOR = [*(f"347/2025 Art.6 cl.2 pt.{p}" for p in "bcdđeghik"),
              *(f"347/2025 Art.6 cl.3 pt.{p}" for p in "adđe"), "347/2025 Art.6 cl.5"]


def test_every_point_of_art6_the_product_must_cover_has_a_mapped_rule():
    ids = clause_map().keys()
    missing = [c for c in ART6_FLOOR if not any(i.startswith(c + " ") for i in ids)]
    assert not missing, f"Art. 6 points with no mapped rule: {missing}"
