"""The two layers of the suite: plain ``pytest`` (no torch) and ``nox -s tests`` (the stacks).

nox sets ``TA_COMPAT_MODERN_STACK`` (and the other ``TA_COMPAT_*`` paths) for the whole suite;
without them the tests that need a stack, or much time, skip and say how to run them.
"""

from __future__ import annotations

import os
from pathlib import Path

UNDER_NOX = bool(os.environ.get("TA_COMPAT_MODERN_STACK"))
NEEDS_STACKS = "needs the torch stacks (torch, torchaudio, pyannote.audio): run `nox -s tests`"
NEEDS_TIME = "builds fresh venvs and installs from PyPI (tens of seconds): run `nox -s tests`"


def require(name: str, reason: str) -> Path:
    """The path in the environment variable ``name``; the test skips with ``reason`` without it."""
    value = os.environ.get(name)
    if not value:
        import pytest

        pytest.skip(reason)
    return Path(value)
