"""With ``sys.stderr`` None (pythonw, some services) a shim failure's warning is dropped quietly."""

from __future__ import annotations

import sys

from hook_report import report

stderr, sys.stderr = sys.stderr, None
from pyannote.audio.core.model import Model  # noqa: E402, F401  (its checkpoint shim fails on the fake torch)

sys.stderr = stderr
report()
