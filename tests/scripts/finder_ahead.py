"""A finder placed ahead of ours that returns the target's spec itself hides the target from us."""

from __future__ import annotations

import importlib.machinery
import sys
from typing import Any, Optional

from hook_report import report


class Ahead:
    """Answers for torchaudio with the path finder's spec."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if name == "torchaudio":
            return importlib.machinery.PathFinder.find_spec(name, path)
        return None


sys.meta_path.insert(0, Ahead())
import torchaudio  # noqa: E402, F401

report()
