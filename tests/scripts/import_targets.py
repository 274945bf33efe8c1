"""Import the modules named on the command line, then report the hook's state.

Usage: ``python import_targets.py [--path=DIR]... [MODULE]...``. ``--path`` entries go first on
``sys.path``: under ``-I`` and ``-E`` Python ignores ``PYTHONPATH`` (and ``-I`` leaves out this
script's folder too). The report also holds what the tests' own ``.pth`` files recorded on
``sys`` (attributes named ``_pth_*``).
"""

from __future__ import annotations

import importlib
import os
import sys

paths = [argument[len("--path=") :] for argument in sys.argv[1:] if argument.startswith("--path=")]
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), *paths]
from hook_report import report  # noqa: E402  (this folder is on sys.path now, whatever the flags)

for name in sys.argv[1:]:
    if not name.startswith("--path="):
        importlib.import_module(name)
report(pth={name: value for name, value in vars(sys).items() if name.startswith("_pth_")})
