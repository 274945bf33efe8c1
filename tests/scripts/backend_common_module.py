"""pyannote 3.1.1 imports ``AudioMetaData`` from ``torchaudio.backend.common`` first thing; other
names of that module stay missing. Prints the error of a missing one."""

from __future__ import annotations

from torchaudio.backend.common import AudioMetaData  # first thing, before torchaudio itself

# isort: split
import torchaudio
import torchaudio.backend.common as common

assert AudioMetaData is torchaudio.AudioMetaData
try:
    common.NotThere  # noqa: B018
except AttributeError as exc:
    print(exc)
