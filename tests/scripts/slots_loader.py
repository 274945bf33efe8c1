"""A finder behind ours hands out a loader without an instance ``__dict__``: the hook cannot wrap it,
the target imports unshimmed, and ``install()`` afterwards shims it (the documented remedy)."""

from __future__ import annotations

import importlib.machinery
from types import ModuleType
from typing import Any, Optional

from hook_report import insert_behind_ours, report, state


class SlotsLoader:
    """Delegates to the real loader; no ``__dict__``, so no wrapper can be put on the instance."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)


class Wrapping:
    """Answers for torchaudio with the path finder's spec and a ``SlotsLoader``."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if name != "torchaudio":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        assert spec is not None
        spec.loader = SlotsLoader(spec.loader)  # type: ignore[assignment]
        return spec


insert_behind_ours(Wrapping())
import torchaudio  # noqa: E402, F401

before = state()
import _ta_compat_bootstrap  # noqa: E402

_ta_compat_bootstrap.install()  # shims a target already imported
report(before=before)
