"""The import hook in this process: ``_ta_compat_hook.ShimmingExec`` on loaders, and the
bootstrap's ``install``/``uninstall``/``find_spec`` with the real import system.

``pip install -e .`` put ``compat_autoload.pth`` in this venv, so the bootstrap is already on
``sys.meta_path`` here: the fixtures work on copies of ``sys.meta_path`` and of the hook's state
and put the originals back. The families are made up (``support.made_up``) and record what ran.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any, Iterator, List

import pytest

import _ta_compat_bootstrap
import _ta_compat_hook
from _ta_compat_hook import ShimmingExec
from support.made_up import EVENTS, RESETS, made_up, use_families
from ta_compat import _dispatch
from ta_compat._dispatch import State

TARGET = "made_up_target"


class BodyError(Exception):
    """Raised by a target's own code."""


class Loader:
    """A loader as the import system uses one: ``exec_module`` runs the module's body."""

    def exec_module(self, module: Any) -> None:
        EVENTS.append(("exec", module.__name__))
        if getattr(module, "raise_in_body", None):
            raise module.raise_in_body
        module.body_ran = True


class SlotsLoader:
    """A loader without an instance ``__dict__``: its method cannot be replaced on the instance."""

    __slots__ = ()

    def exec_module(self, module: types.ModuleType) -> None:
        EVENTS.append(("exec", module.__name__))


class LegacyLoader:
    """A loader with only ``load_module`` (Python 3.9's ``zipimport``): it returns the module."""

    def load_module(self, fullname: str) -> types.ModuleType:
        EVENTS.append(("exec", fullname))
        return types.ModuleType(fullname)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made-up families for ``made_up_target``/``other_target``, and a fresh hook state."""
    use_families(
        monkeypatch,
        made_up("alpha", TARGET, prepare="prepare_attribute"),
        made_up("beta", "other_target"),
    )
    monkeypatch.setattr(_ta_compat_hook, "_fired", {})


@pytest.fixture
def meta_path(monkeypatch: pytest.MonkeyPatch, registry: None) -> List[Any]:
    """A copy of ``sys.meta_path`` for the test to change, and the bootstrap's flags kept."""
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(_ta_compat_hook, "_reported", _ta_compat_hook._reported)
    monkeypatch.setattr(_ta_compat_bootstrap, "WATCHED", _ta_compat_bootstrap.WATCHED)
    return sys.meta_path


def _module(name: str = TARGET, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    vars(module).update(attributes)
    return module


def _finders(bootstrap: Any = _ta_compat_bootstrap) -> int:
    return sum(1 for finder in sys.meta_path if finder is bootstrap)


# --- ShimmingExec on a loader -------------------------------------------------------------------


def test_the_target_is_prepared_executed_and_shimmed_in_order(registry: None) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    module = _module()
    loader.exec_module(module)
    assert EVENTS == [("prepare", TARGET), ("exec", TARGET), ("shim", TARGET)]
    assert module.prepared is True  # before the body ran
    assert module.made_up is True
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.prepared", f"{TARGET}.made_up"]
    assert _ta_compat_hook._fired[TARGET] is module  # (a real target imported earlier is there too)


def test_other_modules_pass_through_untouched(registry: None) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    wrapper = vars(loader)["exec_module"]
    other = _module("other_target")
    loader.exec_module(other)
    assert EVENTS == [("exec", "other_target")]  # a family of other_target exists: it did not run
    assert vars(loader)["exec_module"] is wrapper  # still waiting for the target
    loader.exec_module(_module())
    assert EVENTS[1:] == [("prepare", TARGET), ("exec", TARGET), ("shim", TARGET)]


def test_the_loader_is_left_as_it_was(registry: None) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    assert isinstance(vars(loader)["exec_module"], ShimmingExec)
    loader.exec_module(_module())
    assert "exec_module" not in vars(loader)
    assert loader.exec_module.__func__ is Loader.exec_module  # type: ignore[attr-defined]


def test_another_hooks_instance_attribute_is_put_back(registry: None) -> None:
    loader = Loader()

    def other_hook(module: types.ModuleType) -> None:
        EVENTS.append(("other hook", module.__name__))
        Loader.exec_module(loader, module)

    loader.exec_module = other_hook  # type: ignore[method-assign]
    ShimmingExec.wrap(loader, TARGET)
    loader.exec_module(_module())
    assert EVENTS == [("prepare", TARGET), ("other hook", TARGET), ("exec", TARGET), ("shim", TARGET)]
    assert vars(loader)["exec_module"] is other_hook


@pytest.mark.parametrize("first", [TARGET, "other_target"])
def test_wrappers_for_two_targets_on_one_shared_loader_both_fire_and_restore(registry: None, first: str) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    ShimmingExec.wrap(loader, "other_target")
    second = "other_target" if first == TARGET else TARGET
    loader.exec_module(_module(first))
    loader.exec_module(_module(second))
    assert [event for event in EVENTS if event[0] == "shim"] == [("shim", first), ("shim", second)]
    assert "exec_module" not in vars(loader)
    assert _dispatch.OUTCOMES["alpha"].state is _dispatch.OUTCOMES["beta"].state is State.APPLIED


def test_an_error_of_the_target_propagates_unchanged_and_the_loader_is_restored(registry: None) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    error = BodyError("the target's own failure")
    with pytest.raises(BodyError) as raised:
        loader.exec_module(_module(raise_in_body=error))
    assert raised.value is error
    assert "exec_module" not in vars(loader)
    assert EVENTS == [("prepare", TARGET), ("exec", TARGET)]  # no shim on a module that failed
    assert "alpha" not in _dispatch.OUTCOMES


def test_wrapping_twice_for_one_target_wraps_once(registry: None) -> None:
    # importlib.util.find_spec before the import hands the same loader to the hook twice
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    wrapper = vars(loader)["exec_module"]
    ShimmingExec.wrap(loader, TARGET)
    assert vars(loader)["exec_module"] is wrapper
    assert not isinstance(wrapper.original, ShimmingExec)
    loader.exec_module(_module())
    assert EVENTS.count(("shim", TARGET)) == 1


def test_a_finished_wrapper_does_not_stop_a_new_one(registry: None) -> None:
    loader = Loader()
    ShimmingExec.wrap(loader, TARGET)
    loader.exec_module(_module())
    ShimmingExec.wrap(loader, TARGET)  # importlib.reload through the same loader
    loader.exec_module(_module())
    assert EVENTS.count(("shim", TARGET)) == 2


def test_a_loader_without_instance_dict_is_left_alone(registry: None) -> None:
    loader = SlotsLoader()
    ShimmingExec.wrap(loader, TARGET)
    assert loader.exec_module.__func__ is SlotsLoader.exec_module  # type: ignore[attr-defined]
    loader.exec_module(_module())
    assert EVENTS == [("exec", TARGET)]


def test_a_load_module_loader_is_shimmed_after_loading(registry: None) -> None:
    loader = LegacyLoader()
    ShimmingExec.wrap(loader, TARGET)
    module = loader.load_module(TARGET)
    assert EVENTS == [("exec", TARGET), ("shim", TARGET)]  # load_module gives no moment to prepare
    assert module.made_up is True
    assert "load_module" not in vars(loader)


# --- the bootstrap in this process ------------------------------------------------------------------


def test_install_is_idempotent_and_uninstall_removes_the_finder(meta_path: List[Any]) -> None:
    _ta_compat_bootstrap.install()  # already installed by the .pth: still one finder
    assert _finders() == 1
    _ta_compat_hook.uninstall()
    _ta_compat_bootstrap.install()
    _ta_compat_bootstrap.install()
    assert _finders() == 1
    assert meta_path.index(_ta_compat_bootstrap) < meta_path.index(PathFinder)  # ahead of every file finder
    _ta_compat_hook._fired[TARGET] = _module()
    _ta_compat_hook.uninstall()
    assert _finders() == 0
    assert _ta_compat_hook._fired == {}
    _ta_compat_hook.uninstall()
    assert _finders() == 0


def test_uninstall_resets_the_outcomes_and_each_familys_state(
    meta_path: List[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_families(monkeypatch, made_up("alpha", TARGET))
    module = _module(body_ran=True)
    _dispatch.apply_target(TARGET, module, _ta_compat_hook.Switches.read())
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    resets = len(RESETS)
    _ta_compat_hook.uninstall()
    assert _dispatch.OUTCOMES == {} and _ta_compat_hook._fired == {}
    assert RESETS[resets:] == ["support.made_up"]


def test_install_does_nothing_when_every_shim_is_off(meta_path: List[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _ta_compat_hook.uninstall()
    monkeypatch.setenv("TA_COMPAT_DISABLE", "1")
    _ta_compat_bootstrap.install()
    assert _finders() == 0


def test_install_shims_a_target_imported_before_it_once(meta_path: List[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module(body_ran=True)
    monkeypatch.setitem(sys.modules, TARGET, module)
    monkeypatch.setattr(_ta_compat_hook, "TARGETS", _ta_compat_hook.TARGETS | {TARGET})
    monkeypatch.setattr(_ta_compat_bootstrap, "WATCHED", _ta_compat_bootstrap.WATCHED | {TARGET})
    _ta_compat_hook.uninstall()
    _ta_compat_bootstrap.install()
    _ta_compat_bootstrap.install()
    assert EVENTS == [("shim", TARGET)]  # no preparation: its code ran long ago
    assert module.made_up is True
    assert _ta_compat_hook._fired[TARGET] is module  # (a real target imported earlier is there too)


@pytest.mark.parametrize("name", ["json", "torchaudio.functional", "ta_compat._shims"])
def test_find_spec_answers_none_for_unwatched_names(name: str) -> None:
    assert _ta_compat_bootstrap.find_spec(name) is None


@pytest.mark.parametrize("name", ["torch", "pyannote.audio", "TTS"])
def test_find_spec_answers_none_for_a_watched_package_that_is_not_a_target(name: str) -> None:
    assert name in _ta_compat_bootstrap.WATCHED and name not in _ta_compat_hook.TARGETS
    assert _ta_compat_bootstrap.find_spec(name) is None  # the finders behind load it, unwrapped


def test_find_spec_answers_for_ta_compat_with_the_installed_package() -> None:
    spec = _ta_compat_bootstrap.find_spec("ta_compat")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin) == Path(importlib.import_module("ta_compat").__file__ or "")


# --- end to end: a target on disk, imported through the real import system -----------------------------


@pytest.fixture
def target_on_disk(meta_path: List[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """``made_up_target.py`` in a folder on ``sys.path``, watched by the installed bootstrap."""
    (tmp_path / f"{TARGET}.py").write_text("body_ran = True\nprepared_before_body = globals().get('prepared')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_ta_compat_hook, "TARGETS", _ta_compat_hook.TARGETS | {TARGET})
    monkeypatch.setattr(_ta_compat_bootstrap, "WATCHED", _ta_compat_bootstrap.WATCHED | {TARGET})
    _ta_compat_bootstrap.install()
    try:
        yield tmp_path / f"{TARGET}.py"
    finally:
        sys.modules.pop(TARGET, None)


def test_importing_a_target_from_disk_prepares_and_shims_it(target_on_disk: Path) -> None:
    module = importlib.import_module(TARGET)
    assert module.__file__ == str(target_on_disk)
    assert module.prepared_before_body is True
    assert module.made_up is True
    assert EVENTS == [("prepare", TARGET), ("shim", TARGET)]
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert "exec_module" not in vars(module.__loader__)  # the real loader, restored


def test_a_find_spec_probe_fires_nothing_and_the_import_fires_once(target_on_disk: Path) -> None:
    assert importlib.util.find_spec(TARGET) is not None
    assert EVENTS == []
    importlib.import_module(TARGET)
    assert EVENTS == [("prepare", TARGET), ("shim", TARGET)]


def test_reloading_a_target_fires_again_and_keeps_it_applied(target_on_disk: Path) -> None:
    module = importlib.import_module(TARGET)
    importlib.reload(module)
    assert EVENTS == [("prepare", TARGET), ("shim", TARGET)] * 2
    assert _dispatch.OUTCOMES["alpha"].state is State.APPLIED
    assert _dispatch.OUTCOMES["alpha"].patched == [f"{TARGET}.prepared", f"{TARGET}.made_up"]


def test_after_uninstall_a_target_imports_unshimmed(target_on_disk: Path) -> None:
    _ta_compat_hook.uninstall()
    module = importlib.import_module(TARGET)
    assert not hasattr(module, "made_up")
    assert EVENTS == []
