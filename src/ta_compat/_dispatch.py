"""Applies the shim families of a target module when the import hook fires, and records outcomes.

Each family is applied on its own: one that fails is reported (a warning) and skipped, the
others and the import of the target go on. ``OUTCOMES`` is what ``ta-compat status`` shows.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Dict, FrozenSet, List

import _ta_compat_bootstrap
import _ta_compat_hook

from .families import NAMES, by_target

log = logging.getLogger("ta_compat")


@dataclass
class Outcome:
    state: str  # "applied", "not needed", "disabled" or "failed"
    target: str
    version: str
    patched: List[str] = field(default_factory=list)
    error: str = ""


OUTCOMES: Dict[str, Outcome] = {}


def disabled_families() -> FrozenSet[str]:
    """Family names turned off by ``TA_COMPAT_DISABLE`` (all of them for ``1``/``all``)."""
    if _ta_compat_bootstrap.disabled_all():
        return frozenset(NAMES)
    value = os.environ.get("TA_COMPAT_DISABLE", "")
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def target_version(target: str) -> str:
    """Version of the distribution that owns ``target`` (read from the module, not metadata)."""
    top = sys.modules.get(target.rsplit(".core.", 1)[0])
    return str(getattr(top, "__version__", "?"))


def apply_target(target: str, module: Any) -> None:
    """Apply every enabled family of ``target`` to ``module``; failures give one warning in all."""
    disabled = disabled_families()
    version = target_version(target)
    failed: Dict[str, List[str]] = {}  # error -> families, so one broken shim module warns once
    for family in by_target(target):
        if family.name in disabled:
            OUTCOMES[family.name] = Outcome("disabled", target, version)
            continue
        module_name, _, function = family.shim.partition(":")
        try:
            patched = list(getattr(import_module(module_name), function)(module))
        except Exception as exc:
            OUTCOMES[family.name] = Outcome("failed", target, version, error=repr(exc))
            failed.setdefault(repr(exc), []).append(family.name)
            continue
        previous = OUTCOMES.get(family.name)
        if previous is not None and previous.state == "applied" and (not patched or previous.target != target):
            # Fired again (importlib.reload: our patch is still in place), or a family with
            # several targets (hub): keep it "applied" and list everything it patched.
            previous.patched += [name for name in patched if name not in previous.patched]
            if previous.target != target and patched:
                previous.target = f"{previous.target}, {target}"
            continue
        OUTCOMES[family.name] = Outcome("applied" if patched else "not needed", target, version, patched)
    if failed:
        details = "; ".join(f"{', '.join(names)}: {error}" for error, names in failed.items())
        _ta_compat_hook.warn(f"ta-compat: shim families failed on {target} {version} and were skipped: {details}")
    if os.environ.get("TA_COMPAT_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        _debug_report(target, version)


def _debug_report(target: str, version: str) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ta-compat: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        log.propagate = False
    for family in by_target(target):
        outcome = OUTCOMES.get(family.name)
        if outcome is not None:
            detail = ", ".join(outcome.patched) or outcome.error
            log.debug("%s %s: %s %s%s", target, version, family.name, outcome.state, f" ({detail})" if detail else "")
