"""The local stack's moto fixes refuse to start on a moto they were not measured on, naming the fix
and the version, rather than silently stop working (devstack/moto_fixes.py). Each check is run
against stand-ins for the parts of moto it needs, one part missing at a time."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack import moto_fixes
from devstack.moto_fixes import FIXES, Fix, MotoChanged, Requires

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
EVERY_REQUIREMENT = [(fix, need) for fix in FIXES for need in fix.requires]


def test_the_installed_moto_passes_every_check():
    moto_fixes.check_all()


def test_the_measured_version_is_the_one_requirements_pin():
    pinned = re.search(r"^moto\[server\]==(\S+)$", (ROOT / "requirements-dev.txt").read_text(),
                       flags=re.MULTILINE)
    assert pinned and pinned.group(1) == moto_fixes.MEASURED_ON
    assert moto_fixes.MEASURED_ON.startswith(moto_fixes.MOTO_FAMILY + ".")
    assert all(fix.measured_on == moto_fixes.MEASURED_ON for fix in FIXES)


@pytest.mark.parametrize("version", ["5.3.0", "6.0.1", "4.2.5"])
def test_another_minor_version_of_moto_is_refused_naming_it_and_the_fixes(version):
    with pytest.raises(MotoChanged, match=re.escape(f"moto {version} ")) as refused:
        moto_fixes.check_version(version)
    assert all(fix.name in str(refused.value) for fix in FIXES)


def test_a_patch_release_of_the_measured_family_is_accepted():
    moto_fixes.check_version(moto_fixes.MOTO_FAMILY + ".9")


class Bare:
    """A stand-in for a moto class or module that has lost everything a fix relies on."""

    def __init__(self) -> None:
        self.unrelated = 1


@pytest.mark.parametrize("fix,need", EVERY_REQUIREMENT,
                         ids=[f"{fix.name}:{need.target}.{need.name}" for fix, need in EVERY_REQUIREMENT])
def test_each_check_fails_loudly_when_what_it_patches_is_missing(fix: Fix, need: Requires):
    stand_in = {} if need.kind == "key" else Bare
    with pytest.raises(MotoChanged) as refused:
        fix.check({need.target: stand_in})
    message = str(refused.value)
    assert fix.name in message and f"moto {moto_fixes.moto_version()}" in message
    assert need.name in message


def test_a_patched_function_whose_signature_changed_is_refused():
    class Backend:
        def transact_write_items(self, items, *, client_token=None):
            return None

    fix = next(f for f in FIXES if f.name == "keep_stream_shards")
    with pytest.raises(MotoChanged, match="now takes"):
        fix.check({"moto.dynamodb.models:DynamoDBBackend": Backend})


def test_a_module_that_is_gone_is_refused():
    fix = type("Gone", (Fix,), {"name": "gone", "requires": (Requires("moto.no_such_module", "x"),)})()
    with pytest.raises(MotoChanged, match="moto.no_such_module is gone"):
        fix.check()


def test_an_attribute_set_in_init_counts_whatever_its_annotation():
    class Model:
        def __init__(self) -> None:
            self.plain = 1
            self.annotated: list[
                int
            ] = []

    assert Requires("m:Model", "plain", "instance").problem(Model) is None
    assert Requires("m:Model", "annotated", "instance").problem(Model) is None
    assert Requires("m:Model", "absent", "instance").problem(Model) is not None


def test_every_fix_that_patches_moto_says_what_moto_does_wrong_and_the_version():
    for fix in FIXES:
        doc = type(fix).__doc__ or ""
        assert moto_fixes.MEASURED_ON in doc, fix.name
        assert fix.requires or "version check" in doc, fix.name   # a wire-only fix says so


def test_installing_twice_patches_once():
    from moto.dynamodb.models import DynamoDBBackend
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    moto_fixes.install_all()
    patched = (DynamoDBBackend.transact_write_items, StepFunctionsParserBackend._get_executions)
    moto_fixes.install_all()
    assert (DynamoDBBackend.transact_write_items, StepFunctionsParserBackend._get_executions) == patched
