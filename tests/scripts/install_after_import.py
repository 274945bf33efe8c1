"""Under ``python -S``: import torchaudio first, then call ``install()`` (three times, through both
public names): it shims the imported target once and installs one finder.

Usage: ``python -S install_after_import.py FAKES SITE_PACKAGES``
"""

from __future__ import annotations

import sys

from hook_report import paths_by_hand, report, state

paths_by_hand(*sys.argv[1:3])
import torchaudio  # noqa: E402, F401

before = state()
import ta_compat  # noqa: E402

ta_compat.install()
ta_compat.install()  # idempotent: neither a second finder nor a second firing
import _ta_compat_bootstrap  # noqa: E402

_ta_compat_bootstrap.install()
report(before=before)
