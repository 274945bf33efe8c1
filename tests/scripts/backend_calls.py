"""What the legacy I/O API does here, each call's result or error: run on the modern stack and on
the legacy one, e.g. without a backend (``soundfile`` or ``numpy`` made missing).

Usage: ``python backend_calls.py AUDIO OUTPUT``
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict

import torch
import torchaudio
from hook_report import emit

wav, out = sys.argv[1:3]
result: Dict[str, Any] = {"backends": torchaudio.list_audio_backends()}
calls: Dict[str, Callable[[], Any]] = {
    "load": lambda: torchaudio.load(wav),
    "info": lambda: torchaudio.info(wav),
    "load(backend='soundfile')": lambda: torchaudio.load(wav, backend="soundfile"),
    "save": lambda: torchaudio.save(out, torch.zeros(1, 160), 16000),
}
for name, call in calls.items():
    try:
        call()
        result[name] = "ok"
    except Exception as exc:
        result[name] = [type(exc).__name__, str(exc)]
result["written"] = os.path.exists(out)
emit(result)
