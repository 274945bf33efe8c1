"""User code calling the legacy torchaudio API, some calls several times from one line. With
``TA_COMPAT_WARN=1`` each line marked ``# LINE_...`` warns once.

Usage: ``python legacy_calls.py AUDIO OUTPUT``
"""

from __future__ import annotations

import sys

import torch
import torchaudio

path, out = sys.argv[1], sys.argv[2]
for _ in range(3):
    torchaudio.load(path)  # LINE_LOAD_A
torchaudio.load(path, num_frames=5)  # LINE_LOAD_B
for _ in range(2):
    torchaudio.info(path)  # LINE_INFO
torchaudio.save(out, torch.zeros(1, 10), 16000)  # LINE_SAVE
torchaudio.list_audio_backends()  # LINE_LIST
torchaudio.get_audio_backend()  # LINE_GET
torchaudio.set_audio_backend("soundfile")  # LINE_SET
from torchaudio.backend.common import AudioMetaData  # noqa: E402, F401  # LINE_COMMON
