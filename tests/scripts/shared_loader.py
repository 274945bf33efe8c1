"""One loader instance serves both targets, as PyInstaller's FrozenImporter does: the wrappers for
the two targets chain on it (a ``find_spec`` probe leaves one behind) and all come off again."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from types import ModuleType
from typing import Any, Dict, Optional

from hook_report import insert_behind_ours, report


class SharedLoader:
    """Executes each module with the real loader the path finder found for it."""

    def __init__(self) -> None:
        self.real: Dict[str, Any] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        self.real[module.__name__].exec_module(module)


shared = SharedLoader()


class Sharing:
    """Answers for both targets with the path finder's spec and the one ``SharedLoader``."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if name not in ("torchaudio", "pyannote.audio.core.model"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        assert spec is not None
        shared.real[name] = spec.loader
        spec.loader = shared  # type: ignore[assignment]
        return spec


insert_behind_ours(Sharing())
assert importlib.util.find_spec("torchaudio") is not None  # a probe leaves its wrapper
import pyannote.audio.core.model  # noqa: E402, F401  (imports torchaudio while it executes)
import torchaudio  # noqa: E402, F401

report(leftover="exec_module" in vars(shared))
