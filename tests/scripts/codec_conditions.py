"""What a pyannote.audio 4 user sees on a stack: ``python codec_conditions.py WAV OUT_FOLDER``.

Imports pyannote.audio, records the warnings that mention torchcodec, then reads, crops and
measures WAV through pyannote's ``Audio``, and loads and saves it through torchaudio's
``load_with_torchcodec``/``save_with_torchcodec``. Prints one ``RESULT`` line of JSON: each call
as ``["ok", value]`` or ``["error", class name, message]``, which objects pyannote's io module
and torchaudio hold, and the torchcodec-fallback family's outcome. Never imports ta_compat itself.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any, Callable, List

wav, out_folder = sys.argv[1], sys.argv[2]

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import pyannote.audio.core.io as pyannote_io
    import torch
    import torchaudio
    from pyannote.audio import Audio
    from pyannote.core import Segment


def attempt(call: Callable[[], Any]) -> List[Any]:
    try:
        return ["ok", call()]
    except Exception as exc:
        return ["error", type(exc).__name__, str(exc)]


def shape(result: Any) -> List[Any]:
    waveform, rate = result
    return [list(waveform.shape), str(waveform.dtype), rate]


def owner(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"


with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torchaudio's own warnings for ignored parameters
    result = {
        "warnings": [str(w.message) for w in caught if "torchcodec" in str(w.message).lower()],
        "audio": attempt(lambda: shape(Audio()(wav))),
        "crop": attempt(lambda: shape(Audio().crop(wav, Segment(0.5, 1.5)))),
        "duration": attempt(lambda: Audio().get_duration(wav)),
        "load_with_torchcodec": attempt(lambda: shape(torchaudio.load_with_torchcodec(wav))),
        "save_with_torchcodec": attempt(
            lambda: torchaudio.save_with_torchcodec(os.path.join(out_folder, "saved.wav"), torch.zeros(1, 160), 16000)
        ),
        "io": {
            "TORCHCODEC_AVAILABLE": pyannote_io.TORCHCODEC_AVAILABLE,
            "AudioDecoder": owner(pyannote_io.AudioDecoder),
        },
        "torchaudio": {
            "load_with_torchcodec": owner(torchaudio.load_with_torchcodec),
            "save_with_torchcodec": owner(torchaudio.save_with_torchcodec),
            "_torchcodec.load_with_torchcodec": owner(sys.modules["torchaudio._torchcodec"].load_with_torchcodec),
        },
        "torchcodec_imported": "torchcodec" in sys.modules,
    }
dispatch = sys.modules.get("ta_compat._dispatch")
outcome = dispatch.OUTCOMES.get("torchcodec-fallback") if dispatch else None
result["state"] = [str(outcome.state), outcome.patched] if outcome else None
print("RESULT " + json.dumps(result))
