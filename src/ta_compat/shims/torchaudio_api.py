"""Shims that put the legacy I/O API back on ``torchaudio`` >= 2.9 (implemented in ``legacy_io``).

Each function fills only what is missing or broken and returns what it patched. On torchaudio
<= 2.8 the legacy dispatcher (``torchaudio._backend``) is present and nothing is touched.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Callable, List

from .. import legacy_io
from ..marker import is_ours, mark


def _legacy_dispatcher_present(torchaudio: Any) -> bool:
    return "torchaudio._backend" in sys.modules or hasattr(torchaudio, "_backend")


def _fill(torchaudio: Any, name: str, value: Any) -> List[str]:
    """Set ``torchaudio.<name>`` when it is missing; return it as patched (or [])."""
    if hasattr(torchaudio, name):
        return []
    setattr(torchaudio, name, value)
    _export(torchaudio, name)
    return [f"torchaudio.{name}"]


def _export(torchaudio: Any, name: str) -> None:
    """List a restored name in ``torchaudio.__all__``, as legacy torchaudio did, so that
    ``from torchaudio import *`` brings it too."""
    if isinstance(getattr(torchaudio, "__all__", None), list) and name not in torchaudio.__all__:
        torchaudio.__all__.append(name)


def _replace_torchcodec_route(torchaudio: Any, name: str, value: Callable[..., Any]) -> List[str]:
    """Replace ``torchaudio.<name>`` unless it is the legacy dispatcher's (or already ours)."""
    current = getattr(torchaudio, name, None)
    if is_ours(current) or (current is not None and _legacy_dispatcher_present(torchaudio)):
        return []
    setattr(torchaudio, name, value)
    _export(torchaudio, name)
    return [f"torchaudio.{name}"]


for _function in (
    legacy_io.info,
    legacy_io.load,
    legacy_io.save,
    legacy_io.list_audio_backends,
    legacy_io.get_audio_backend,
    legacy_io.set_audio_backend,
):
    mark(_function)


def apply_audiometadata(torchaudio: Any) -> List[str]:
    return _fill(torchaudio, "AudioMetaData", legacy_io.AudioMetaData)


def apply_backends(torchaudio: Any) -> List[str]:
    return (
        _fill(torchaudio, "list_audio_backends", legacy_io.list_audio_backends)
        + _fill(torchaudio, "get_audio_backend", legacy_io.get_audio_backend)
        + _fill(torchaudio, "set_audio_backend", legacy_io.set_audio_backend)
    )


def apply_info(torchaudio: Any) -> List[str]:
    return _fill(torchaudio, "info", legacy_io.info)


def apply_load(torchaudio: Any) -> List[str]:
    return _replace_torchcodec_route(torchaudio, "load", legacy_io.load)


def apply_save(torchaudio: Any) -> List[str]:
    return _replace_torchcodec_route(torchaudio, "save", legacy_io.save)


class _CommonModule(types.ModuleType):
    """``torchaudio.backend.common``: ``AudioMetaData`` lives at ``torchaudio.AudioMetaData`` now."""

    def __getattr__(self, name: str) -> Any:
        if name == "AudioMetaData":
            legacy_io.warn_legacy("torchaudio.backend.common.AudioMetaData", "torchaudio.AudioMetaData")
            return legacy_io.AudioMetaData
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def apply_backend_module(torchaudio: Any) -> List[str]:
    """Re-create ``torchaudio.backend`` and its ``common`` and ``soundfile_backend`` modules."""
    if _legacy_dispatcher_present(torchaudio) or "torchaudio.backend" in sys.modules:
        return []
    backend = types.ModuleType("torchaudio.backend", "Legacy torchaudio.backend, restored by ta-compat.")
    backend.__path__ = []  # a package, so ``import torchaudio.backend.common`` resolves
    common = _CommonModule("torchaudio.backend.common", "Legacy torchaudio.backend.common, restored by ta-compat.")
    soundfile_backend = types.ModuleType(
        "torchaudio.backend.soundfile_backend", "Legacy soundfile backend, restored by ta-compat."
    )
    soundfile_backend.load = legacy_io.backend_load  # type: ignore[attr-defined]
    soundfile_backend.info = legacy_io.backend_info  # type: ignore[attr-defined]
    soundfile_backend.save = legacy_io.backend_save  # type: ignore[attr-defined]
    for module in (backend, common, soundfile_backend):
        mark(module)
        sys.modules[module.__name__] = module
    backend.common = common  # type: ignore[attr-defined]
    backend.soundfile_backend = soundfile_backend  # type: ignore[attr-defined]
    torchaudio.backend = backend
    return [module.__name__ for module in (backend, common, soundfile_backend)]
