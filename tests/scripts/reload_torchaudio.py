"""``importlib.reload(torchaudio)`` re-runs its body, which binds upstream's ``load`` again: the
hook fires again and the legacy API is back (the very same function object)."""

from __future__ import annotations

import importlib

import torchaudio
from hook_report import report, state

first, first_load = state(), torchaudio.load
importlib.reload(torchaudio)
report(
    first=first,
    same=torchaudio.load is first_load,
    AudioMetaData=hasattr(torchaudio, "AudioMetaData"),
    backends=torchaudio.list_audio_backends(),
)
