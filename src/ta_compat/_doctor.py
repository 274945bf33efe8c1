"""``ta-compat doctor``: for each shim family, is it still needed, and does it work?

Every family's probe (``ta_compat._probes``) runs in fresh interpreters: once with ta-compat as
configured, once with only that family off, once with every shim off. A probe that passes with
its family off means upstream works (``not needed``: safe to drop); one that fails shows the
exact error or difference that the shim covers (``needed``). This module runs the interpreters,
turns their results into verdicts and writes the report; it never imports torch itself. The
report ends with what ``ta_compat._environment`` found that no shim can fix.
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from typing import Callable, Dict, List, Mapping, Optional

from . import _environment as environment
from . import _families as families
from ._families import Family

__all__ = [
    "EXIT_BROKEN",
    "EXIT_OK",
    "EXIT_STILL_NEEDED",
    "EXIT_UNFIXABLE",
    "Need",
    "Verdict",
    "diagnose",
    "exit_status",
    "report",
]

PROBE_TIMEOUT = 300

# Exit statuses of ``doctor`` (documented in the README).
EXIT_OK = 0  # every needed family is active and works
EXIT_BROKEN = 1  # a needed family is disabled, failed, or does not fix its probe
EXIT_STILL_NEEDED = 3  # ``--removable``: some family is still needed
EXIT_UNFIXABLE = 4  # the families are fine, but the environment breaks code that no shim can fix


class Need(str, enum.Enum):
    """Whether a family is needed on this stack (a ``str``, so it compares, prints and dumps as one)."""

    NEEDED = "needed"  #: its probe fails with the family off
    NOT_NEEDED = "not needed"  #: upstream passes the probe on its own: safe to drop
    NOT_APPLICABLE = "not applicable"  #: what the probe needs is not installed

    def __str__(self) -> str:
        return self.value


@dataclass
class Verdict:
    """The doctor's finding for one family."""

    family: str
    verdict: Need
    working: bool  # with ta-compat as configured, the probe passes
    evidence: str  # the error seen with the family off (needed) or with ta-compat on (not working)


#: Results of one probe interpreter: family name -> None (passed) or the one-line error it saw.
ProbeResults = Dict[str, Optional[str]]


def diagnose(workers: int = 4, progress: Optional[Callable[[str], None]] = None) -> List[Verdict]:
    """Probe every applicable family as configured and with only that family off.

    ``progress`` is called with a short line as each interpreter finishes (the CLI prints them
    on a terminal: the probes take tens of seconds)."""
    applicable = [family.name for family in families.FAMILIES if _applicable(family)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        each_off = {name: pool.submit(_probe_in_subprocess, [name], name) for name in applicable}
        on = pool.submit(_probe_in_subprocess, applicable, None) if applicable else None
        total = len(each_off) + (1 if on else 0)
        off: ProbeResults = {}
        for done, (name, future) in enumerate(each_off.items(), start=1):
            off[name] = future.result()[name]
            if progress:
                progress(f"probed {name} with it off ({done}/{total})")
        with_on = on.result() if on else {}
        if progress and on:
            progress(f"probed every family as configured ({total}/{total})")
    return [_verdict(family.name, applicable, with_on, off) for family in families.FAMILIES]


def upstream_state() -> ProbeResults:
    """Every applicable probe with all shims off: what upstream does on its own."""
    return _probe_in_subprocess([f.name for f in families.FAMILIES if _applicable(f)], "all")


def exit_status(verdicts: List[Verdict], removable: bool, unfixable: bool = False) -> int:
    """``EXIT_OK`` when every needed family works (``--removable``: when none is needed); a broken
    family outranks ``unfixable`` (an environment finding that breaks code whatever ta-compat
    does), which ``--removable`` leaves aside: it asks about ta-compat only."""
    if removable:
        return EXIT_OK if all(v.verdict is not Need.NEEDED for v in verdicts) else EXIT_STILL_NEEDED
    if not all(v.working for v in verdicts if v.verdict is Need.NEEDED):
        return EXIT_BROKEN
    return EXIT_UNFIXABLE if unfixable else EXIT_OK


def report(
    verdicts: List[Verdict],
    upstream: Mapping[str, Optional[str]],
    as_json: bool,
    checked: Optional[environment.Checked] = None,
) -> str:
    """The verdicts as a table (or JSON), with how many probes fail with every shim off, then
    (where ``checked`` is given) what the environment checks found."""
    if as_json:
        rows = [{**asdict(v), "verdict": v.verdict.value} for v in verdicts]
        extra = {"environment": environment.as_dict(checked)} if checked else {}
        return json.dumps({"families": rows, "all_off": dict(upstream), **extra}, indent=2)
    width = max([len("family")] + [len(v.family) for v in verdicts])
    lines = [f"{'family'.ljust(width)}  {'verdict':<14}  {'with ta-compat':<14}  evidence (family off)"]
    for v in verdicts:
        working = "-" if v.verdict is Need.NOT_APPLICABLE else ("works" if v.working else "BROKEN")
        lines.append(f"{v.family.ljust(width)}  {v.verdict.value:<14}  {working:<14}  {v.evidence}")
    failing = sum(1 for error in upstream.values() if error)
    lines.append(f"with every shim off, {failing} of {len(upstream)} probes fail")
    if checked:
        lines.append(environment.summary(checked))
    return "\n".join(lines)


def _verdict(name: str, applicable: List[str], with_on: ProbeResults, off: ProbeResults) -> Verdict:
    if name not in applicable:
        return Verdict(name, Need.NOT_APPLICABLE, True, "target not installed")
    error_on, error_off = with_on.get(name), off[name]
    need = Need.NEEDED if error_off else Need.NOT_NEEDED
    return Verdict(name, need, error_on is None, error_off or error_on or "")


def _probe_in_subprocess(names: List[str], disable: Optional[str]) -> ProbeResults:
    """Probe in a fresh interpreter; ``disable=None`` keeps the user's own ``TA_COMPAT_DISABLE``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TA_COMPAT_WARN", "TA_COMPAT_DEBUG")}
    if disable is not None:
        env["TA_COMPAT_DISABLE"] = disable
    command = [sys.executable, "-m", "ta_compat._probes", ",".join(names)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {name: f"probe timed out after {PROBE_TIMEOUT} s" for name in names}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {name: f"probe process failed (exit {done.returncode}): {tail}" for name in names}


def _applicable(family: Family) -> bool:
    try:
        return all(find_spec(module) is not None for module in family.requires)
    except (ImportError, ValueError):
        return False
