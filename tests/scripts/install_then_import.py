"""Under ``python -S``: call ``ta_compat.install()`` by hand, then import torchaudio.

Usage: ``python -S install_then_import.py SITE_PACKAGES`` (the fakes come from ``PYTHONPATH``).
"""

from __future__ import annotations

import sys

from hook_report import report

sys.path.append(sys.argv[1])
import ta_compat

ta_compat.install()
import torchaudio  # noqa: E402, F401

report()
