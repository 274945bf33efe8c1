"""Finders ahead of ours that only look (pytest-style) or re-enter the import system under a guard
and wrap the loader (wrapt-style) leave our hook working."""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, List, Optional

from hook_report import report


class Observer:
    """Looks at each lookup and answers None."""

    def __init__(self) -> None:
        self.seen: List[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.seen.append(name)


class Reentrant:
    """Finds torchaudio's spec through the import system itself and wraps its loader."""

    def __init__(self) -> None:
        self.busy = False
        self.fired: List[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[ModuleSpec]:
        if name != "torchaudio" or self.busy:
            return None
        self.busy = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.busy = False
        assert spec is not None and spec.loader is not None
        real = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            real(module)
            self.fired.append(module.__name__)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


observer, reentrant = Observer(), Reentrant()
sys.meta_path[0:0] = [observer, reentrant]
import torchaudio  # noqa: E402, F401

report(seen="torchaudio" in observer.seen, theirs=reentrant.fired)
