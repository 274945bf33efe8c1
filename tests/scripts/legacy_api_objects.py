"""Describe torchaudio's legacy I/O API objects (module, name, ours?) and the legacy backend
modules imported, so that runs with and without ta-compat can be compared."""

from __future__ import annotations

import sys

import torchaudio
from hook_report import emit, is_ours

NAMES = ("load", "save", "info", "AudioMetaData", "list_audio_backends", "get_audio_backend", "set_audio_backend")
objects = {name: getattr(torchaudio, name) for name in NAMES}
emit(
    {
        "objects": {name: [obj.__module__, obj.__qualname__, is_ours(obj)] for name, obj in objects.items()},
        "backend_modules": sorted(name for name in sys.modules if name.startswith("torchaudio.backend")),
    }
)
