"""Everything pyannote.audio 4 and torchaudio's torchcodec route return for some audio files:
``python codec_calls.py SPEC.json OUT.pickle``, for the differential test against torchcodec.

SPEC is ``{"files": {name: path}, "segments": [[start, end], ...], "saved": folder}``. For each
file: ``Audio()`` on a path and on an open file, ``get_duration``, pyannote's metadata, ``crop``
of each segment in both modes (path and open file), ``AudioDecoder.get_samples_played_in_range``
of each segment, ``load_with_torchcodec`` with offsets, and ``save_with_torchcodec`` of the
decoded samples into ``saved``. Each result is ``("ok", value)`` with tensors as numpy arrays,
or ``("error", class name, message)``. Never imports ta_compat itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

warnings.simplefilter("ignore")

import pyannote.audio.core.io as pyannote_io  # noqa: E402
import torch  # noqa: E402
import torchaudio  # noqa: E402
from pyannote.audio import Audio  # noqa: E402
from pyannote.core import Segment  # noqa: E402

#: (frame_offset, num_frames) for load_with_torchcodec: all, a slice, negative offset, past the end, none.
LOADS = [(0, -1), (100, 50), (-5, 3), (10**7, -1), (0, 0), (40000, 10**6)]


def plain(value: Any) -> Any:
    """Tensors as numpy arrays (with their dtype and contiguity), dataclasses as dicts."""
    if isinstance(value, torch.Tensor):
        return {"array": value.numpy().copy(), "dtype": str(value.dtype), "contiguous": value.is_contiguous()}
    if isinstance(value, (tuple, list)):
        return type(value)(plain(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    return value


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, ...]:
    try:
        return ("ok", plain(call(*args, **kwargs)))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def opened(path: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call({"audio": <path opened>}, *args, **kwargs)``, as pyannote takes file objects."""
    with open(path, "rb") as file:
        return call({"audio": file}, *args, **kwargs)


def calls(name: str, path: str, segments: Any, saved: str) -> Dict[str, Any]:
    audio = Audio()
    out: Dict[str, Any] = {
        "load": attempt(audio, path),
        "load file object": attempt(opened, path, audio),
        "load 8 kHz downmix": attempt(Audio(sample_rate=8000, mono="downmix"), path),
        "duration": attempt(audio.get_duration, path),
        "metadata": attempt(pyannote_io.get_audio_metadata, {"audio": path}),
        "all samples": attempt(lambda: pyannote_io.AudioDecoder(path).get_all_samples()),
    }
    for start, end in segments:
        for mode in ("raise", "pad"):
            out[f"crop {mode} {start}-{end}"] = attempt(audio.crop, path, Segment(start, end), mode=mode)
            out[f"crop {mode} file object {start}-{end}"] = attempt(
                opened, path, audio.crop, Segment(start, end), mode=mode
            )
        out[f"range {start}-{end}"] = attempt(
            lambda start=start, end=end: pyannote_io.AudioDecoder(path).get_samples_played_in_range(start, end)
        )
    for offset, count in LOADS:
        out[f"load_with_torchcodec {offset} {count}"] = attempt(
            torchaudio.load_with_torchcodec, path, frame_offset=offset, num_frames=count
        )
    out["load_with_torchcodec channels last"] = attempt(torchaudio.load_with_torchcodec, path, channels_first=False)
    if out["load_with_torchcodec 0 -1"][0] == "ok":
        waveform, rate = torchaudio.load_with_torchcodec(path)
        for extension in ("wav", "flac"):
            target = os.path.join(saved, f"{name}.{extension}")
            out[f"save {extension}"] = attempt(torchaudio.save_with_torchcodec, target, waveform * 1.2, rate)
    return out


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    results = {name: calls(name, path, spec["segments"], spec["saved"]) for name, path in spec["files"].items()}
    with open(sys.argv[2], "wb") as out:
        pickle.dump(results, out)


main()
