"""Rewrite ``sys.path`` without site-packages after start-up, as pip's build isolation does, then
import the targets: the package cannot be imported when they fire.

Usage: ``python purge_site_packages.py FAKES``
"""

from __future__ import annotations

import sys

from hook_report import report

sys.path[:] = [entry for entry in sys.path if "site-packages" not in entry]
sys.path.insert(0, sys.argv[1])
import pyannote.audio.core.model  # noqa: E402, F401
import torchaudio  # noqa: E402, F401

report()
