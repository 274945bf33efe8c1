"""Resolve and call the entry points of a PEP 829 ``.start`` file, as a Python that reads them would.

Usage: ``python start_file.py compat_autoload.start``
"""

from __future__ import annotations

import pkgutil
import sys

from hook_report import report

import _ta_compat_bootstrap

with open(sys.argv[1], encoding="utf-8-sig") as start:
    lines = [line.strip() for line in start if line.strip() and not line.startswith("#")]
entries = [pkgutil.resolve_name(line) for line in lines]
for entry in entries:
    entry()
report(n=len(lines), same=all(entry is _ta_compat_bootstrap.install for entry in entries))
