"""``ta_compat._allowlist`` and the pyannote entries of ``ta_compat._shims.checkpoints`` without
torch: when the shim is needed, and which names it allows, with the fake torch of ``tests/fakes``
(a ``torch.serialization`` of torch >= 2.6).

In this process the fake is loaded under a name of its own and handed to the functions that take
the torch module; ``allowed_globals`` imports the classes it lists, so it runs in a child with the
fakes on ``PYTHONPATH`` (``tests/scripts/allowlist_entries.py``).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any, Dict, List

import pytest

from support import FAKES, Interpreter, clean_env, result_of
from support.fakes import fake_torch, named_unpickler
from ta_compat import _allowlist as allowlist
from ta_compat._shims import checkpoints


@pytest.fixture
def torch_2_5(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The fake torch as a release that decides by its version alone (no ``_default_to_weights_only``)."""
    torch = fake_torch()
    monkeypatch.delattr(torch.serialization, "_default_to_weights_only")
    monkeypatch.setattr(torch, "__version__", "2.5.1+cpu")
    monkeypatch.delenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", raising=False)
    return torch


def _allowlist(*args: str) -> Dict[str, Any]:
    env = clean_env(pristine=True, PYTHONPATH=str(FAKES))
    result = Interpreter(sys.executable).run("allowlist_entries", *args, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


# --- weights_only_by_default: is the shim needed on this torch -------------------------------------


def test_torch_decides_where_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = fake_torch()
    monkeypatch.delenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", raising=False)
    assert allowlist.weights_only_by_default(torch) is True
    asked: List[Any] = []

    def weights_only_off(pickle_module: Any) -> bool:  # as under TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
        asked.append(pickle_module)
        return False

    monkeypatch.setattr(torch.serialization, "_default_to_weights_only", weights_only_off)
    assert allowlist.weights_only_by_default(torch) is False
    assert asked == [None]  # as lightning calls torch.load: no pickle_module


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2.5.1+cpu", False), ("2.6.0", True), ("2.6.0+cu124", True), ("2.10.0", True), ("3.0.0a0", True)],
)
def test_otherwise_by_version(
    torch_2_5: types.ModuleType, monkeypatch: pytest.MonkeyPatch, version: str, expected: bool
) -> None:
    monkeypatch.setattr(torch_2_5, "__version__", version)
    assert allowlist.weights_only_by_default(torch_2_5) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("y", True), ("YES", True), ("true", True), ("0", False), ("", False)]
)
def test_torch_force_weights_only_load(
    torch_2_5: types.ModuleType, monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", value)
    assert allowlist.weights_only_by_default(torch_2_5) is expected


def test_never_without_safe_globals(torch_2_5: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # torch < 2.5 cannot widen its allowlist for a scope: there is nothing the shim could do
    monkeypatch.delattr(torch_2_5.serialization, "safe_globals")
    monkeypatch.setattr(torch_2_5, "__version__", "2.6.0")
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    assert allowlist.weights_only_by_default(torch_2_5) is False


# --- the entries ---------------------------------------------------------------------------------


def test_entry_name_of_a_class_and_of_a_named_pair() -> None:
    assert allowlist.entry_name(checkpoints.NodeData) == "ta_compat._shims.checkpoints.NodeData"
    assert allowlist.entry_name((checkpoints.NodeData, "omegaconf.nodes.AnyNode")) == "omegaconf.nodes.AnyNode"


def test_named_entries_supported_is_probed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = fake_torch()
    monkeypatch.setattr(allowlist, "_named_supported", None)
    assert allowlist.named_entries_supported(torch) is False  # no by-name matching in this fake
    monkeypatch.setattr(torch, "_weights_only_unpickler", named_unpickler(torch), raising=False)
    assert allowlist.named_entries_supported(torch) is False  # the first answer stands
    monkeypatch.setattr(allowlist, "_named_supported", None)
    assert allowlist.named_entries_supported(torch) is True
    assert torch.serialization.get_safe_globals() == []  # the probe's entry was taken out again


def test_allowlist_with_named_entries_maps_omegaconf_names_to_inert_stand_ins() -> None:
    allowlist = _allowlist("--named")
    assert allowlist["named"] is True and allowlist["pairs"] is True
    # the fakes have no pyannote.audio.core.task, torch.torch_version or Introspection: skipped
    assert allowlist["entries"] == [
        ["omegaconf.listconfig.ListConfig", "ta_compat._shims.checkpoints.ListConfigData"],
        ["omegaconf.base.ContainerMetadata", "ta_compat._shims.checkpoints.MetadataData"],
        ["typing.Any", "typing.Any"],
        ["builtins.list", "builtins.list"],
        ["collections.defaultdict", "collections.defaultdict"],
        ["builtins.dict", "builtins.dict"],
        ["builtins.int", "builtins.int"],
        ["omegaconf.nodes.AnyNode", "ta_compat._shims.checkpoints.NodeData"],
        ["omegaconf.base.Metadata", "ta_compat._shims.checkpoints.MetadataData"],
    ]
    assert allowlist["omegaconf_imported"] is False


def test_allowlist_without_named_entries_keeps_only_classes_named_as_pickled() -> None:
    allowlist = _allowlist()
    assert allowlist["named"] is False and allowlist["pairs"] is False
    names = [name for name, _ in allowlist["entries"]]
    assert all(name == obj for name, obj in allowlist["entries"])
    # typing.Any has its own qualified name from Python 3.11 on
    assert [name for name in names if name != "typing.Any"] == [
        "builtins.list",
        "collections.defaultdict",
        "builtins.dict",
        "builtins.int",
    ]


# --- scopes of several libraries, on the real torch ------------------------------------------------


def test_scopes_of_different_libraries_share_names_and_close_in_any_order(modern_python: Path) -> None:
    """Two scopes allowing the same name: nested, and overlapping in threads with the first closing
    first; the user's entry and a process-wide allow made meanwhile outlive them."""
    seen = result_of(Interpreter(modern_python).run("allowlist_scopes"))
    assert seen["nested_inner"] == ["argparse.Namespace", "fractions.Fraction"]
    assert seen["nested_after_inner"] == ["argparse.Namespace", "fractions.Fraction"]  # still the outer's
    assert seen["nested_after"] == []
    assert seen["overlap_after_first_closed"] == ["fractions.Fraction"]  # the second scope still holds it
    assert seen["overlap_after"] == []
    assert seen["user_entry_kept"] is True and seen["user_entry_alone"] == ["<class 'fractions.Fraction'>"]
    assert seen["process_wide_added"] == ["argparse.Namespace"]
    assert seen["process_wide_after"] == ["argparse.Namespace"] and seen["held"] == {"argparse.Namespace": -1}
    assert seen["namespace_loads"] is True
