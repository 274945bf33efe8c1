"""``ta-compat`` / ``python -m ta_compat``: which shim families are active on this stack."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from importlib import import_module
from typing import List, Optional

from . import __version__, _dispatch
from .families import FAMILIES, NAMES


def _import_targets() -> None:
    """Import every target (firing the hook), so each family reports what it did here."""
    import _ta_compat_bootstrap

    _ta_compat_bootstrap.install()
    for target in sorted({target for family in FAMILIES for target in family.targets}):
        try:
            import_module(target)
        except Exception as exc:  # not installed, or broken: the table says so
            for family in FAMILIES:
                if target in family.targets and family.name not in _dispatch.OUTCOMES:
                    state = "not installed" if isinstance(exc, ModuleNotFoundError) else "target broken"
                    _dispatch.OUTCOMES[family.name] = _dispatch.Outcome(state, target, "-", error=repr(exc))


def status(as_json: bool) -> int:
    _import_targets()
    unknown = sorted(_dispatch.disabled_families() - set(NAMES))
    rows = []
    for family in FAMILIES:
        outcome = _dispatch.OUTCOMES.get(family.name) or _dispatch.Outcome("disabled", family.targets[0], "-")
        rows.append({"family": family.name, **asdict(outcome), "restores": family.legacy_names})
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
        print(f"warning: TA_COMPAT_DISABLE names unknown families: {', '.join(unknown)} (known: {', '.join(NAMES)})")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="ta-compat", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ta-compat {__version__}")
    commands = parser.add_subparsers(dest="command")
    status_parser = commands.add_parser("status", help="show each shim family: target, version, state, what it patched")
    status_parser.add_argument("--json", action="store_true", help="machine-readable output")
    doctor_parser = commands.add_parser(
        "doctor", help="probe each family with it on and off: is it needed, does it work? (exit 0: all needed work)"
    )
    doctor_parser.add_argument("--json", action="store_true", help="machine-readable output")
    doctor_parser.add_argument(
        "--removable", action="store_true", help="exit 0 only when no family is needed any more (else 3)"
    )
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor(args.json, args.removable)
    return status(getattr(args, "json", False))


def doctor(as_json: bool, removable: bool) -> int:
    from . import doctor as checks

    verdicts = checks.diagnose()
    print(checks.report(verdicts, checks.upstream_state(), as_json))
    return checks.exit_status(verdicts, removable)
