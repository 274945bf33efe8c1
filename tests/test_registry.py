"""The registry of shim families is the one place a family is declared.

Every entry resolves, and the finder watches exactly the registry's targets. A family made up
by the tests (``tests/scripts/registry_made_up_family``: a registry entry and a shim module, no
other change) is applied on import, shown by ``ta-compat status``, judged by ``ta-compat doctor``
from its probe, listed in the README table and turned off by ``TA_COMPAT_DISABLE`` by its name.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import import_module
from typing import Any, Dict

import pytest

import _ta_compat_bootstrap
import _ta_compat_hook
from support import FAKES, ROOT, SCRIPTS, Interpreter, clean_env
from ta_compat import _families as families
from ta_compat._families import FAMILIES, Family

MADE_UP = SCRIPTS / "registry_made_up_family"


def test_the_hook_lists_exactly_the_targets_of_the_families() -> None:
    assert {target for family in FAMILIES for target in family.targets} == _ta_compat_hook.TARGETS


def test_the_bootstrap_watches_the_package_of_each_target_and_then_the_targets() -> None:
    """At start-up the finder answers for the package each target is looked up under first;
    the hook, imported then, adds the targets (checked in a fresh ``-S`` child: no hook yet)."""
    packages = {
        "pyannote.audio" if name.startswith("pyannote.") else name.split(".")[0] for name in _ta_compat_hook.TARGETS
    }
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import _ta_compat_bootstrap as b; "
        "print(sorted(b.WATCHED), '_ta_compat_hook' in sys.modules)"
    )
    result = Interpreter(sys.executable).run_args("-S", "-c", code, ROOT / "src", env=clean_env(pristine=True))
    assert result.stdout.strip() == f"{sorted(packages | {'_ta_compat_hook', 'ta_compat'})} False", result.stderr
    assert _ta_compat_hook.TARGETS <= _ta_compat_bootstrap.WATCHED  # this process imported the hook


def test_family_names_are_unique_and_valid_disable_values() -> None:
    names = families.names()
    assert len(set(names)) == len(names)
    for name in names:  # TA_COMPAT_DISABLE is split on commas, stripped and lower-cased
        assert name == name.strip().lower() and "," not in name and name


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_the_shim_preparation_and_probe_of_a_family_are_in_its_one_module(family: Family) -> None:
    module = import_module(family.module)
    assert family.module.startswith("ta_compat._shims.")
    for name in [family.shim, family.probe] + ([family.prepare] if family.prepare else []):
        assert callable(module.__dict__.get(name)), f"{family.module}.{name}"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_lookups_find_each_family(family: Family) -> None:
    assert families.by_name(family.name) is family
    for target in family.targets:
        assert family in families.by_target(target)


def test_by_name_of_an_unknown_family_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        families.by_name("no-such-family")


# --- a made-up family: one registry entry and one shim module -------------------------------------


def _made_up_env(**overrides: str) -> Dict[str, str]:
    return clean_env(pristine=True, PYTHONPATH=os.pathsep.join([str(MADE_UP), str(FAKES)]), **overrides)


def _ta_compat_json(*args: str, **env: str) -> Any:
    result = Interpreter(sys.executable).run_args(
        "-m", "ta_compat", *args, "--json", env=_made_up_env(**env), timeout=120
    )
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def _row(report: Any, name: str) -> Dict[str, Any]:
    (row,) = [row for row in report["families"] if row["family"] == name]
    return dict(row)


def test_a_made_up_family_is_applied_when_its_target_is_imported() -> None:
    result = Interpreter(sys.executable).run("registry_import_torchaudio", env=_made_up_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "state": "applied",
        "patched": ["torchaudio.made_up_prepared_early", "torchaudio.made_up"],
        "prepared_early": True,  # the preparation ran before torchaudio's body
        "made_up": "legacy result",
    }


def test_status_shows_a_made_up_family() -> None:
    row = _row(_ta_compat_json("status"), "made-up")
    assert row["state"] == "applied"
    assert row["target"] == "torchaudio"
    assert row["version"] == "2.99.0+fake"  # the fake torchaudio's
    assert row["patched"] == ["torchaudio.made_up_prepared_early", "torchaudio.made_up"]
    assert row["restores"] == "torchaudio.made_up"


def test_disable_turns_a_made_up_family_off_by_its_name() -> None:
    report = _ta_compat_json("status", TA_COMPAT_DISABLE="made-up")
    assert _row(report, "made-up")["state"] == "disabled"
    assert _row(report, "made-up")["patched"] == []
    assert report["unknown_disabled"] == []  # the name is known
    assert _row(report, "load")["state"] == "applied"  # only that family is off


def test_doctor_judges_a_made_up_family_by_its_probe() -> None:
    report = _ta_compat_json("doctor")
    row = _row(report, "made-up")
    missing = "AttributeError: module 'torchaudio' has no attribute 'made_up'"
    assert row == {"family": "made-up", "verdict": "needed", "working": True, "evidence": missing}
    assert report["all_off"]["made-up"] == missing


def test_the_readme_table_lists_a_made_up_family() -> None:
    done = Interpreter(sys.executable).run("render_docs", "--print", "families-table", env=_made_up_env())
    assert done.returncode == 0, done.stderr
    row = "| `made-up` | torchaudio.made_up | a family made up by the tests | `torchaudio` is imported |"
    assert done.stdout.splitlines()[-1] == row
