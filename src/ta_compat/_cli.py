"""``ta-compat`` / ``python -m ta_compat``: which shim families are active here, and are they needed?"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from importlib import import_module
from typing import List, Optional

from . import __version__, _dispatch
from . import _families as families
from . import _settings as settings
from ._dispatch import Outcome, State


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the command line and run ``status`` (the default) or ``doctor``."""
    parser = argparse.ArgumentParser(prog="ta-compat", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ta-compat {__version__}")
    commands = parser.add_subparsers(dest="command")
    status_parser = commands.add_parser("status", help="show each shim family: target, version, state, what it patched")
    status_parser.add_argument("--json", action="store_true", help="machine-readable output")
    doctor_parser = commands.add_parser(
        "doctor",
        help="probe each family with it on and off: is it needed, does it work? Then name what no shim can fix "
        "(exit 0: all needed work; 1: a needed family fails; 4: the environment breaks code no shim can fix)",
    )
    doctor_parser.add_argument("--json", action="store_true", help="machine-readable output")
    doctor_parser.add_argument(
        "--removable", action="store_true", help="exit 0 only when no family is needed any more (else 3)"
    )
    doctor_parser.add_argument(
        "--environment-only",
        action="store_true",
        help="skip the family probes: only what no shim can fix (seconds; exit 0, or 4 for an ERROR line)",
    )
    args = parser.parse_args(argv)
    if args.command == "doctor" and args.environment_only:
        return run_environment_checks(args.json)
    if args.command == "doctor":
        return run_doctor(args.json, args.removable)
    return status(getattr(args, "json", False))


def status(as_json: bool) -> int:
    """Import every target (firing the hook) and show what each family did here."""
    _import_targets()
    known = families.names()
    unknown = sorted(settings.unknown_families(settings.Switches.read(), known))
    rows = []
    for family in families.FAMILIES:
        outcome = _dispatch.OUTCOMES.get(family.name) or Outcome(State.DISABLED, family.targets[0], "-")
        row = {"family": family.name, **asdict(outcome), "restores": family.restores}
        rows.append({**row, "state": outcome.state.value})
    if as_json:
        print(json.dumps({"version": __version__, "families": rows, "unknown_disabled": unknown}, indent=2))
        return 0
    print(f"ta-compat {__version__} on Python {sys.version.split()[0]}")
    header = ("family", "target", "version", "state", "patched")
    table = [header] + [
        (row["family"], row["target"], row["version"], row["state"], ", ".join(row["patched"]) or row["error"])
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(4)]
    for line in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)) + "  " + str(line[4]))
    if unknown:
        print(f"warning: TA_COMPAT_DISABLE names unknown families: {', '.join(unknown)} (known: {', '.join(known)})")
    return 0


def run_doctor(as_json: bool, removable: bool) -> int:
    """``ta-compat doctor``: verdicts per family, then what no shim can fix (checked meanwhile, in
    a thread of its own); progress on stderr when it is a terminal."""
    from concurrent.futures import ThreadPoolExecutor

    from . import _doctor as doctor
    from . import _environment as environment

    progress = _progress_line if sys.stderr.isatty() and not as_json else None
    with ThreadPoolExecutor(max_workers=1) as background:
        checking = background.submit(environment.check, progress)
        verdicts = doctor.diagnose(progress=progress)
        upstream = doctor.upstream_state()
        checked = checking.result()
    if progress:
        sys.stderr.write("\r\033[K")
    print(doctor.report(verdicts, upstream, as_json, checked))
    return doctor.exit_status(verdicts, removable, unfixable=checked.blocking)


def run_environment_checks(as_json: bool) -> int:
    """``ta-compat doctor --environment-only``: what no shim can fix, without the family probes."""
    from . import _doctor as doctor
    from . import _environment as environment

    progress = _progress_line if sys.stderr.isatty() and not as_json else None
    checked = environment.check(progress=progress)
    if progress:
        sys.stderr.write("\r\033[K")
    print(
        json.dumps({"environment": environment.as_dict(checked)}, indent=2) if as_json else environment.summary(checked)
    )
    return doctor.EXIT_UNFIXABLE if checked.blocking else doctor.EXIT_OK


def _progress_line(message: str) -> None:
    sys.stderr.write(f"\r\033[Kta-compat doctor: {message}")
    sys.stderr.flush()


def _import_targets() -> None:
    """Import every target (firing the hook), so each family reports what it did here."""
    import _ta_compat_bootstrap

    _ta_compat_bootstrap.install()
    for target in sorted({target for family in families.FAMILIES for target in family.targets}):
        try:
            import_module(target)
        except Exception as exc:  # not installed, or broken: the table says so
            state = State.NOT_INSTALLED if isinstance(exc, ModuleNotFoundError) else State.TARGET_BROKEN
            for family in families.by_target(target):
                if family.name not in _dispatch.OUTCOMES:
                    _dispatch.OUTCOMES[family.name] = Outcome(state, target, "-", error=repr(exc))
