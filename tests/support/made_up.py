"""Made-up shim families for the fast tests (no torch).

A made-up family is a real registry entry whose shim, preparation and probe are the functions
below, named by keyword in this module the way the real entries name the functions of their
``ta_compat._shims`` modules, so dispatch, the import hook and the probes resolve and run them as they run the real
ones. Each call is recorded in ``EVENTS`` to check what ran, on which module, in which order.
"""

from __future__ import annotations

import os
import types
from typing import Any, List, Optional, Tuple

import pytest

from ta_compat import _dispatch
from ta_compat import _families as families
from ta_compat._families import Family

#: (what ran, on what: a module's name or a probe's folder) for every call below, in call order.
EVENTS: List[Tuple[str, str]] = []

#: One entry per call of the made-up families' ``reset()``.
RESETS: List[str] = []


def made_up(
    name: str,
    *targets: str,
    shim: str = "add_attribute",
    prepare: Optional[str] = None,
    probe: str = "probe_passes",
    package: str = "made_up_pkg",
) -> Family:
    """A family whose functions are this module's functions of the given names."""
    return Family(
        name=name,
        module=__name__,
        targets=targets,
        requires=(),
        package=package,
        restores=f"{name} of the legacy API",
        summary=f"the made-up family {name}",
        shim=shim,
        probe=probe,
        prepare=prepare,
    )


def use_families(monkeypatch: pytest.MonkeyPatch, *registry: Family) -> None:
    """Make ``registry`` the whole registry, with a fresh dispatch state and no ``TA_COMPAT_*``
    switches; ``monkeypatch`` puts the real registry and state back after the test."""
    monkeypatch.setattr(families, "FAMILIES", registry)
    monkeypatch.setattr(_dispatch, "OUTCOMES", {})
    monkeypatch.setattr(_dispatch, "_prepared", {})
    monkeypatch.setattr(_dispatch, "_warned_unknown", set())
    for switch in ("TA_COMPAT_DISABLE", "TA_COMPAT_DEBUG", "TA_COMPAT_WARN"):
        monkeypatch.delenv(switch, raising=False)
    EVENTS.clear()


# --- the made-up families' functions ------------------------------------------------------------


def add_attribute(module: Any) -> List[str]:
    """A shim as the real ones are: add ``made_up`` where it is missing; nothing on a second run."""
    EVENTS.append(("shim", module.__name__))
    if hasattr(module, "made_up"):
        return []
    module.made_up = True
    return [f"{module.__name__}.made_up"]


def patch_nothing(module: Any) -> List[str]:
    """A shim whose target already works upstream."""
    EVENTS.append(("shim", module.__name__))
    return []


def fail(module: Any) -> List[str]:
    """A broken shim."""
    raise RuntimeError("made-up shim failure")


def fail_otherwise(module: Any) -> List[str]:
    """A shim broken in another way than ``fail``."""
    raise ValueError("made-up shim failure")


def prepare_attribute(module: Any) -> List[str]:
    """A preparation: add ``prepared`` before the body runs (a body sets ``body_ran``)."""
    EVENTS.append(("prepare", module.__name__))
    if hasattr(module, "prepared"):
        return []
    module.prepared = not hasattr(module, "body_ran")
    return [f"{module.__name__}.prepared"]


def reset() -> None:
    """The made-up families' ``reset()``: ``uninstall`` reaches it through the registry."""
    RESETS.append(__name__)


def probe_passes(folder: str) -> None:
    """A probe that passes; records its scratch folder as given (it must exist and be empty)."""
    assert os.path.isdir(folder) and not os.listdir(folder)
    EVENTS.append(("probe", folder))


def probe_fails(folder: str) -> None:
    """A probe that sees a difference from legacy behaviour, told over two lines."""
    raise ValueError("load() returned float32\nlegacy: int16")


def probe_unpickling_error(folder: str) -> None:
    """A probe failing as ``torch.load(weights_only=True)`` fails on an unlisted global (torch 2.6+
    puts the useful line after two paragraphs of advice)."""
    import pickle

    raise pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options.\n"
        "\t(1) Re-running `torch.load` with `weights_only` set to `False` will likely succeed.\n"
        "\tWeightsUnpickler error: Unsupported global: GLOBAL omegaconf.listconfig.ListConfig was not an "
        "allowed global by default.\n\nCheck the documentation of torch.load."
    )


def probe_long_error(folder: str) -> None:
    """A probe whose error is one very long line."""
    raise RuntimeError("x" * 2000)


def module_version(version: str) -> Any:
    """A stand-in for an installed package's top-level module, with its ``__version__``."""
    module = types.ModuleType("made_up_pkg")
    vars(module)["__version__"] = version
    return module
