"""An import system as old code leaves it: a finder with ``find_module`` only behind ours (skipped,
as the import system skips it), and ``sys.meta_path`` made a tuple (``install()`` must not raise)."""

from __future__ import annotations

import sys
from typing import Any

from hook_report import is_ours, report

import _ta_compat_bootstrap as bootstrap


class LegacyFinder:
    """``find_module`` only, as finders written before Python 3.4."""

    def find_module(self, name: str, path: Any = None) -> None:
        return None


ours = [finder for finder in sys.meta_path if finder is bootstrap]
sys.meta_path.insert(sys.meta_path.index(ours[0]) + 1, LegacyFinder())  # type: ignore[arg-type]
import torchaudio  # noqa: E402

saved, sys.meta_path = sys.meta_path, tuple(f for f in sys.meta_path if f not in ours)  # type: ignore[assignment]
bootstrap.install()  # cannot insert into a tuple: install() must not raise
sys.meta_path = saved
report(ours=is_ours(torchaudio.load))
