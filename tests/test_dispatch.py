"""``ta_compat._dispatch``: how each family's outcome is recorded as its target executes.

The families are made up (``support.made_up``), their targets plain module objects: dispatch only
resolves and calls what the registry names, so the real shims need not run here.
"""

from __future__ import annotations

import logging
import sys
import types
import warnings
from typing import Iterator, List

import pytest

from support.made_up import EVENTS, made_up, module_version, use_families
from ta_compat import _dispatch
from ta_compat._dispatch import State, apply_target, prepare_target
from ta_compat._settings import Switches

TARGET = "made_up_pkg.core"


@pytest.fixture
def target() -> types.ModuleType:
    return types.ModuleType(TARGET)


@pytest.fixture
def debug_log() -> Iterator[logging.Logger]:
    """The ``ta_compat`` logger, put back as it was (``TA_COMPAT_DEBUG`` gives it a handler)."""
    log = logging.getLogger("ta_compat")
    handlers, level, propagate = list(log.handlers), log.level, log.propagate
    log.handlers = []
    yield log
    log.handlers = handlers
    log.setLevel(level)
    log.propagate = propagate


def _apply(module: types.ModuleType) -> List[warnings.WarningMessage]:
    """``apply_target`` on ``module``, returning the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_target(module.__name__, module, Switches.read())
    return caught


def test_a_shim_that_patches_is_applied(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    monkeypatch.setitem(sys.modules, "made_up_pkg", module_version("1.2.3"))
    assert _apply(target) == []
    outcome = _dispatch.OUTCOMES["alpha"]
    assert (outcome.state, outcome.target, outcome.version) == (State.APPLIED, TARGET, "1.2.3")
    assert outcome.patched == [f"{TARGET}.made_up"]
    assert target.made_up is True


def test_a_shim_that_patches_nothing_is_not_needed(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, shim="patch_nothing"))
    _apply(target)
    assert _dispatch.OUTCOMES["alpha"].state is State.NOT_NEEDED
    assert _dispatch.OUTCOMES["alpha"].patched == []
    assert str(State.NOT_NEEDED) == "not needed"  # how status prints it


def test_only_the_families_of_the_target_run(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET), made_up("beta", "made_up_pkg.other"))
    _apply(target)
    assert set(_dispatch.OUTCOMES) == {"alpha"}
    assert EVENTS == [("shim", TARGET)]


@pytest.mark.parametrize("value", ["beta", " BETA ", "gamma,beta"])
def test_disable_by_name_skips_the_shim(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType, value: str) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET), made_up("beta", TARGET, shim="fail"))
    monkeypatch.setenv("TA_COMPAT_DISABLE", value)
    caught = _apply(target)
    assert _dispatch.OUTCOMES["beta"].state is State.DISABLED
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert not any("failed" in str(warning.message) for warning in caught)  # beta's failing shim never ran


def test_disable_all_disables_every_family(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET), made_up("beta", TARGET))
    monkeypatch.setenv("TA_COMPAT_DISABLE", "all")
    assert _apply(target) == []
    assert {name: outcome.state for name, outcome in _dispatch.OUTCOMES.items()} == {
        "alpha": State.DISABLED,
        "beta": State.DISABLED,
    }
    assert not hasattr(target, "made_up")


def test_failing_families_give_one_warning_and_the_others_still_apply(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(
        monkeypatch,
        made_up("alpha", TARGET, shim="fail"),
        made_up("beta", TARGET),
        made_up("gamma", TARGET, shim="fail"),
        made_up("delta", TARGET, shim="fail_otherwise"),
    )
    monkeypatch.setitem(sys.modules, "made_up_pkg", module_version("1.2.3"))
    caught = _apply(target)
    assert len(caught) == 1
    assert caught[0].category is RuntimeWarning
    assert str(caught[0].message) == (
        f"ta-compat: shim families failed on {TARGET} 1.2.3 and were skipped: "
        "alpha, gamma: RuntimeError('made-up shim failure'); delta: ValueError('made-up shim failure')"
    )
    assert _dispatch.OUTCOMES["alpha"].state is State.FAILED
    assert _dispatch.OUTCOMES["alpha"].error == "RuntimeError('made-up shim failure')"
    assert _dispatch.OUTCOMES["beta"].state is State.APPLIED


def test_a_second_run_keeps_applied(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    # importlib.reload executes the target again: the patch is still there, the shim patches nothing
    use_families(monkeypatch, made_up("alpha", TARGET))
    _apply(target)
    _apply(target)
    assert EVENTS == [("shim", TARGET), ("shim", TARGET)]
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.made_up"]


def test_a_family_with_two_targets_lists_what_it_patched_in_both(monkeypatch: pytest.MonkeyPatch) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_pkg.model", "made_up_pkg.pipeline"))
    model, pipeline = types.ModuleType("made_up_pkg.model"), types.ModuleType("made_up_pkg.pipeline")
    _apply(model)
    _apply(pipeline)
    outcome = _dispatch.OUTCOMES["alpha"]
    assert outcome.state is State.APPLIED
    assert outcome.target == "made_up_pkg.model, made_up_pkg.pipeline"
    assert outcome.patched == ["made_up_pkg.model.made_up", "made_up_pkg.pipeline.made_up"]


def test_a_family_with_two_targets_needed_in_one_only_stays_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_pkg.model", "made_up_pkg.pipeline"))
    model, pipeline = types.ModuleType("made_up_pkg.model"), types.ModuleType("made_up_pkg.pipeline")
    vars(pipeline)["made_up"] = True  # upstream already has it there
    _apply(model)
    _apply(pipeline)
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert _dispatch.OUTCOMES["alpha"].patched == ["made_up_pkg.model.made_up"]


def test_prepared_names_are_merged_into_the_outcome(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, prepare="prepare_attribute"))
    prepare_target(TARGET, target, Switches.read())
    vars(target)["body_ran"] = True  # the target's code executes between the two calls
    _apply(target)
    assert EVENTS == [("prepare", TARGET), ("shim", TARGET)]
    assert target.prepared is True
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.prepared", f"{TARGET}.made_up"]
    assert _dispatch._prepared == {}


def test_a_preparation_alone_is_applied(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, shim="patch_nothing", prepare="prepare_attribute"))
    prepare_target(TARGET, target, Switches.read())
    _apply(target)
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.prepared"]


def test_a_disabled_family_is_not_prepared(monkeypatch: pytest.MonkeyPatch, target: types.ModuleType) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, prepare="prepare_attribute"))
    monkeypatch.setenv("TA_COMPAT_DISABLE", "alpha")
    prepare_target(TARGET, target, Switches.read())
    _apply(target)
    assert EVENTS == []
    assert _dispatch.OUTCOMES["alpha"].state is State.DISABLED


def test_a_failing_preparation_warns_and_the_shim_still_runs(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, prepare="fail"))
    with pytest.warns(RuntimeWarning, match=r"alpha: RuntimeError\('made-up shim failure'\)"):
        prepare_target(TARGET, target, Switches.read())
    _apply(target)
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.made_up"]


def test_a_family_failing_after_its_preparation_leaves_nothing_prepared(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET, shim="fail", prepare="prepare_attribute"))
    prepare_target(TARGET, target, Switches.read())
    _apply(target)
    assert _dispatch.OUTCOMES["alpha"].state is State.FAILED
    assert _dispatch._prepared == {}


def test_unknown_disable_names_warn_once_naming_the_families(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET), made_up("beta", TARGET))
    monkeypatch.setenv("TA_COMPAT_DISABLE", "alhpa;beta, gamma")
    (warning,) = _apply(target)
    assert str(warning.message) == (
        "ta-compat: TA_COMPAT_DISABLE names no family 'alhpa;beta', 'gamma'; "
        "the families are alpha, beta (comma-separated), or 1 for all"
    )
    assert _apply(target) == []  # once per process
    monkeypatch.setenv("TA_COMPAT_DISABLE", "gamma,delta")
    (warning,) = _apply(target)
    assert "names no family 'delta';" in str(warning.message)  # only the new name


def test_unknown_disable_names_are_shown_ascii_safe_and_short(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    monkeypatch.setenv("TA_COMPAT_DISABLE", f"lóad,\x1b[31m,{'x' * 100}")
    (warning,) = _apply(target)
    message = str(warning.message)
    assert message.isascii()
    assert f"names no family '\\x1b[31m', 'l\\xf3ad', '{'x' * 40}';" in message  # escaped, cut at 40


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_values_that_disable_nothing_give_no_warning(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType, value: str
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    monkeypatch.setenv("TA_COMPAT_DISABLE", value)
    assert _apply(target) == []
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED


def test_at_most_five_unknown_disable_names_are_shown(
    monkeypatch: pytest.MonkeyPatch, target: types.ModuleType
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    monkeypatch.setenv("TA_COMPAT_DISABLE", "g,f,e,d,c,b,a")
    (warning,) = _apply(target)
    assert "names no family 'a', 'b', 'c', 'd', 'e', ...;" in str(warning.message)


def test_debug_reports_one_line_per_family(
    monkeypatch: pytest.MonkeyPatch,
    target: types.ModuleType,
    debug_log: logging.Logger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_families(
        monkeypatch,
        made_up("alpha", TARGET),
        made_up("beta", TARGET, shim="patch_nothing"),
        made_up("gamma", TARGET, shim="fail"),
        made_up("delta", TARGET),
        made_up("epsilon", "made_up_pkg.other"),
    )
    monkeypatch.setenv("TA_COMPAT_DEBUG", "1")
    monkeypatch.setenv("TA_COMPAT_DISABLE", "delta")
    monkeypatch.setitem(sys.modules, "made_up_pkg", module_version("1.2.3"))
    _apply(target)
    assert capsys.readouterr().err.splitlines() == [
        f"ta-compat: {TARGET} 1.2.3: alpha applied ({TARGET}.made_up)",
        f"ta-compat: {TARGET} 1.2.3: beta not needed",
        f"ta-compat: {TARGET} 1.2.3: gamma failed (RuntimeError('made-up shim failure'))",
        f"ta-compat: {TARGET} 1.2.3: delta disabled",
    ]


def test_no_debug_lines_without_the_switch(
    monkeypatch: pytest.MonkeyPatch,
    target: types.ModuleType,
    debug_log: logging.Logger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    monkeypatch.setenv("TA_COMPAT_DEBUG", "0")
    _apply(target)
    assert capsys.readouterr().err == ""
