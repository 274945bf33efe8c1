"""Set ``TA_COMPAT_DISABLE=1`` in the process, after start-up but before the first target import."""

from __future__ import annotations

import os

from hook_report import report

os.environ["TA_COMPAT_DISABLE"] = "1"
import torchaudio  # noqa: F401

report()
