"""Applies the shim families of a target module when the import hook fires, and records outcomes.

Each family is applied on its own: one that fails is reported (a warning) and skipped, the
others and the import of the target go on. ``OUTCOMES`` is what ``ta-compat status`` shows.
"""

from __future__ import annotations

import enum
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Set

import _ta_compat_hook

from . import _families as families
from . import _settings as settings

log = logging.getLogger("ta_compat")


class State(str, enum.Enum):
    """What happened to a family in this process (a ``str``, so it compares, prints and dumps as one)."""

    APPLIED = "applied"  #: the shim patched something
    NOT_NEEDED = "not needed"  #: the target already works: nothing was patched
    DISABLED = "disabled"  #: turned off by ``TA_COMPAT_DISABLE``
    FAILED = "failed"  #: the shim raised; the target is as upstream left it
    NOT_INSTALLED = "not installed"  #: ``status`` could not import the target
    TARGET_BROKEN = "target broken"  #: ``status`` saw the target's own import fail

    def __str__(self) -> str:
        return self.value


@dataclass
class Outcome:
    """One family's outcome: its state, on which target and version, and what it patched."""

    state: State
    target: str
    version: str
    patched: List[str] = field(default_factory=list)
    error: str = ""


OUTCOMES: Dict[str, Outcome] = {}

#: Family name -> what its preparation patched as the target started to execute, until the
#: target has executed and ``apply_target`` records the family's outcome.
_prepared: Dict[str, List[str]] = {}

#: Unknown ``TA_COMPAT_DISABLE`` values already warned about (once per process each).
_warned_unknown: Set[str] = set()


def enabled_for(target: str, switches: settings.Switches) -> bool:
    """Whether any family of ``target`` is on (the import hook asks before standing in for it)."""
    return any(not switches.is_off(family.name) for family in families.by_target(target))


def prepare_target(target: str, module: Any, switches: settings.Switches) -> None:
    """Run the preparations of ``target``'s enabled families as ``module`` starts to execute."""
    failed: Dict[str, List[str]] = {}
    for family in families.by_target(target):
        if family.prepare is None or switches.is_off(family.name):
            continue
        try:
            _prepared[family.name] = family.prepare_module(module)
        except Exception as exc:
            failed.setdefault(repr(exc), []).append(family.name)
    _warn_failed(target, failed)


def apply_target(target: str, module: Any, switches: settings.Switches) -> None:
    """Apply every enabled family of ``target`` to ``module``; failures give one warning in all."""
    known = families.names()
    _warn_unknown(settings.unknown_families(switches, known), known)
    failed: Dict[str, List[str]] = {}  # error -> families, so one broken shim module warns once
    for family in families.by_target(target):
        version = family.version()
        prepared = _prepared.pop(family.name, [])
        if switches.is_off(family.name):
            OUTCOMES[family.name] = Outcome(State.DISABLED, target, version)
            continue
        try:
            patched = prepared + [name for name in family.apply(module) if name not in prepared]
        except Exception as exc:
            OUTCOMES[family.name] = Outcome(State.FAILED, target, version, error=repr(exc))
            failed.setdefault(repr(exc), []).append(family.name)
            continue
        _record(family.name, target, version, patched)
    _warn_failed(target, failed)
    if switches.debug:
        _debug_report(target)


def reset() -> None:
    """Forget every outcome and warning of this process, and the families' own caches
    (``ta_compat.uninstall`` and the tests call it)."""
    OUTCOMES.clear()
    _prepared.clear()
    _warned_unknown.clear()
    for family in families.FAMILIES:
        family.reset()


def _warn_failed(target: str, failed: Dict[str, List[str]]) -> None:
    """One warning for all the families of ``target`` that failed, grouped by error."""
    if failed:
        details = "; ".join(f"{', '.join(names)}: {error}" for error, names in failed.items())
        version = str(getattr(sys.modules.get(target.split(".")[0]), "__version__", "?"))
        _ta_compat_hook.warn(f"ta-compat: shim families failed on {target} {version} and were skipped: {details}")


def _record(name: str, target: str, version: str, patched: List[str]) -> None:
    previous = OUTCOMES.get(name)
    if previous is not None and previous.state is State.APPLIED and (not patched or previous.target != target):
        # Fired again (importlib.reload: our patch is still in place), or a family with
        # several targets (hub): keep it "applied" and list everything it patched.
        previous.patched += [item for item in patched if item not in previous.patched]
        if previous.target != target and patched:
            previous.target = f"{previous.target}, {target}"
        return
    OUTCOMES[name] = Outcome(State.APPLIED if patched else State.NOT_NEEDED, target, version, patched)


def _warn_unknown(unknown: Iterable[str], known: Iterable[str]) -> None:
    """One warning per unknown ``TA_COMPAT_DISABLE`` name, naming the valid ones."""
    new = sorted(set(unknown) - _warned_unknown)
    if new:
        _warned_unknown.update(new)
        shown = ", ".join(ascii(name[:40]) for name in new[:5]) + (", ..." if len(new) > 5 else "")
        _ta_compat_hook.warn(
            f"ta-compat: TA_COMPAT_DISABLE names no family {shown}; "
            f"the families are {', '.join(known)} (comma-separated), or 1 for all"
        )


def _debug_report(target: str) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ta-compat: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        log.propagate = False
    for family in families.by_target(target):
        outcome = OUTCOMES.get(family.name)
        if outcome is not None:
            detail = ", ".join(outcome.patched) or outcome.error
            suffix = f" ({detail})" if detail else ""
            log.debug("%s %s: %s %s%s", target, outcome.version, family.name, outcome.state.value, suffix)
