"""pyannote.audio's ``Audio`` on every file and edge of a corpus: ``__call__``, ``get_duration`` and
``crop`` in both modes, with paths, ``{"audio": ...}`` dicts and file objects. Pickles what each
call returned (tensors as dtype, shape, stride and values) or raised, for comparison between the
legacy and the modern stack. It never imports ``ta_compat``.

Usage: ``python pyannote_audio_calls.py CORPUS.json RESULTS.pickle``, the JSON file holding
``{"files": {name: {"path", "channels"}}, "segments": [[start, end], ...]}``.
"""

from __future__ import annotations

import io
import json
import pickle
import random
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple

warnings.simplefilter("ignore")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchaudio  # noqa: E402
from pyannote.audio import Audio  # noqa: E402
from pyannote.core import Segment  # noqa: E402

with open(sys.argv[1]) as spec_file:
    spec = json.load(spec_file)
files, segments = spec["files"], spec["segments"]
results: Dict[str, Any] = {"__versions__": (torch.__version__, torchaudio.__version__, "ta_compat" in sys.modules)}


def describe(value: Any) -> Any:
    """Plain, comparable values: tensors as (dtype, shape, stride, values)."""
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), tuple(value.stride()), value.numpy().copy())
    if isinstance(value, tuple):
        return tuple(describe(v) for v in value)
    return ("plain", type(value).__name__, value)


def variants(name: str) -> Iterator[Tuple[str, Callable[[], Any]]]:
    """Each way pyannote accepts the file ``name``, made fresh for every call."""
    path = files[name]["path"]
    yield "str", lambda: path
    yield "Path", lambda: Path(path)
    yield "dict-str", lambda: {"audio": path}
    if files[name]["channels"] > 1:
        yield "dict-channel1", lambda: {"audio": path, "channel": 1}
    yield "dict-open-file", lambda: {"audio": open(path, "rb")}  # noqa: SIM115  (closed by run())
    yield "dict-bytesio", lambda: {"audio": io.BytesIO(Path(path).read_bytes())}


def run(key: str, make_file: Callable[[], Any], call: Callable[[Any], Any]) -> None:
    """Record what ``call`` does with a fresh file: its result or error, the file position after,
    and pyannote's seek-and-read warnings."""
    file = make_file()
    random.seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = describe(call(file))
        except Exception as exc:
            message = re.sub(" at 0x[0-9a-f]+", "", str(exc))
            value = ("error", type(exc).__name__, isinstance(exc, RuntimeError), message)
    audio: Any = file.get("audio") if isinstance(file, dict) else None
    position = audio.tell() if hasattr(audio, "tell") else None
    kept = [str(w.message) for w in caught if "seek-and-read" in str(w.message)]
    results[key] = {"value": value, "position": position, "warnings": kept}
    if hasattr(audio, "close"):
        audio.close()


def crop(audio: Any, start: float, end: float, duration: Any, mode: str) -> Callable[[Any], Any]:
    """``audio.crop`` of one segment, bound now (not when the loop variables have moved on)."""
    return lambda file: audio.crop(file, Segment(start, end), duration=duration, mode=mode)


configs: Dict[str, Callable[[], Any]] = {
    "default": lambda: Audio(),
    "16k-downmix": lambda: Audio(sample_rate=16000, mono="downmix"),
    "random": lambda: Audio(mono="random"),
}
for config, make_audio in configs.items():
    audio = make_audio()
    results[f"backend/{config}"] = audio.backend
    for name in files:
        for variant, make_file in variants(name):
            prefix = f"{config}/{name}/{variant}"
            run(f"{prefix}/call", make_file, audio)
            run(f"{prefix}/duration", make_file, audio.get_duration)
            # Every edge with the default Audio; the main ones with downmixing/resampling too.
            full = config == "default" and variant in ("str", "dict-channel1", "dict-open-file", "dict-bytesio")
            if not full and (config == "default" or variant not in ("str", "dict-channel1")):
                continue
            for start, end in segments if full else segments[:1] + segments[4:5]:
                for duration in (None, 0.7) if full else (None,):
                    for mode in ("raise", "pad"):
                        key = f"{prefix}/crop/{start}-{end}/duration={duration}/{mode}"
                        run(key, make_file, crop(audio, start, end, duration, mode))


def with_info(make_file: Callable[[], Dict[str, Any]]) -> Callable[[], Dict[str, Any]]:
    """The file with its metadata already known, so that pyannote skips ``info()``."""

    def make() -> Dict[str, Any]:
        file = make_file()
        file["torchaudio.info"] = torchaudio.AudioMetaData(
            sample_rate=np.int64(16000),
            num_frames=np.int64(32000),
            num_channels=np.int64(2),
            bits_per_sample=np.int64(16),
            encoding=np.str_("PCM_S"),
        )
        return file

    return make


# A file whose info is known but whose audio cannot be read: crop's "except RuntimeError" paths.
audio = Audio()
garbage = files["garbage"]["path"]
fallbacks: Dict[str, Callable[[], Dict[str, Any]]] = {
    "path": lambda: {"audio": garbage},
    "open-file": lambda: {"audio": open(garbage, "rb")},  # noqa: SIM115  (closed by run())
}
for variant, make_file in fallbacks.items():
    run(f"fallback/{variant}/crop", with_info(make_file), lambda f: audio.crop(f, Segment(0.5, 1.0)))
    run(f"fallback/{variant}/duration", with_info(make_file), audio.get_duration)

with open(sys.argv[2], "wb") as out:
    pickle.dump(results, out)
