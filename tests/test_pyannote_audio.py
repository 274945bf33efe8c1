"""pyannote.audio 3.4.0 ``Audio`` gives the same tensors on the modern stack (torchaudio 2.11 with
ta-compat) as on the legacy stack (torchaudio 2.8): ``__call__``, ``get_duration`` and ``crop`` in
both modes (with the out-of-bounds, zero-length and fixed-duration edges), paths and file objects.

The same program (``tests/scripts/pyannote_audio_calls.py``) runs in both stacks as a subprocess;
it never imports ``ta_compat``.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
import soundfile

from support import Interpreter

RATE = 16000

# name -> (file name, format, subtype, channels, sample rate, seconds)
FILES = {
    "wav_stereo": ("stereo.wav", "WAV", "PCM_16", 2, 16000, 2.5),
    "flac_mono_44k": ("mono44k.flac", "FLAC", "PCM_24", 1, 44100, 2.0),
    "wav_4ch_float_8k": ("quad8k.wav", "WAVEX", "FLOAT", 4, 8000, 1.5),
    "mp3_stereo": ("stereo.mp3", "MP3", "MPEG_LAYER_III", 2, 16000, 2.0),
    "garbage": ("garbage.wav", None, None, 2, 16000, 0.0),
}

SEGMENTS: List[Tuple[float, float]] = [
    (0.5, 1.2),
    (0.0, 1.5),
    (1.0, 1.0),  # zero length: num_frames == 0
    (-0.5, 0.5),  # starts before the file
    (1.2, 3.5),  # ends after the file
    (3.0, 4.0),  # entirely after the file
    (-2.0, -1.0),  # entirely before the file
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    root = tmp_path_factory.mktemp("pyannote-corpus")
    out = {}
    for seed, (name, (file_name, fmt, subtype, channels, rate, seconds)) in enumerate(FILES.items()):
        path = root / file_name
        if fmt is None:
            path.write_bytes(np.random.default_rng(seed).bytes(3000))
        else:
            frames = int(seconds * rate)
            t = np.arange(frames)[:, None] / rate
            data = 0.3 * np.sin(2 * np.pi * (200.0 + 150.0 * np.arange(channels)) * t)
            data += np.random.default_rng(seed).uniform(-0.1, 0.1, size=(frames, channels))
            soundfile.write(path, data, rate, subtype=subtype, format=fmt)
        out[name] = {"path": os.fspath(path), "channels": channels}
    return out


def run_probe(python: Path, corpus: Dict[str, Any], work: Path, name: str) -> Dict[str, Any]:
    spec = work / "spec.json"
    spec.write_text(json.dumps({"files": corpus, "segments": SEGMENTS}))
    out = work / f"{name}.pickle"
    result = Interpreter(python).run("pyannote_audio_calls", os.fspath(spec), os.fspath(out))
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out, "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def results(
    legacy_python: Path, modern_python: Path, corpus: Dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    work = tmp_path_factory.mktemp("pyannote-probe")
    return run_probe(legacy_python, corpus, work, "legacy"), run_probe(modern_python, corpus, work, "modern")


def differences(a: Any, b: Any, where: str = "") -> List[str]:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            return [f"{where}: arrays differ ({a.dtype}{a.shape} vs {b.dtype}{b.shape})"]
        return []
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        return [line for i, (x, y) in enumerate(zip(a, b)) for line in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b):
        return [line for key in a for line in differences(a[key], b[key], f"{where}.{key}")]
    if type(a) is not type(b) or a != b:
        return [f"{where}: {a!r:.200} != {b!r:.200}"]
    return []


def test_the_stacks(results: Tuple[Dict[str, Any], Dict[str, Any]]) -> None:
    legacy, modern = results
    assert legacy["__versions__"][1].startswith("2.8.")
    assert modern["__versions__"][1].startswith("2.11.") and modern["__versions__"][2]
    # Both pick soundfile: pyannote prefers it when torchaudio lists it.
    assert legacy["backend/default"] == modern["backend/default"] == "soundfile"


@pytest.mark.parametrize("part", ["/call", "/duration", "/crop/", "fallback/"])
def test_audio_gives_the_same_results(part: str, results: Tuple[Dict[str, Any], Dict[str, Any]]) -> None:
    legacy, modern = results
    keys = [key for key in legacy if part in key and not key.startswith("__")]
    assert keys and set(keys) <= set(modern)
    problems = [line for key in keys for line in differences(legacy[key], modern[key], key)]
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])


def test_the_probe_saw_real_audio_and_real_edges(results: Tuple[Dict[str, Any], Dict[str, Any]]) -> None:
    """The comparison is not vacuous: the reference loaded tensors and hit the documented edges."""
    legacy, _ = results
    kind, dtype, shape, _, data = legacy["default/wav_stereo/str/call"]["value"][0]
    assert (kind, dtype, shape) == ("tensor", "torch.float32", (2, 40000)) and np.abs(data).max() > 0.1
    assert legacy["default/wav_stereo/str/duration"]["value"] == ("plain", "float", 2.5)
    zero = legacy["default/wav_stereo/str/crop/1.0-1.0/duration=None/pad"]["value"][0]
    assert zero[2] == (2, 0)
    padded = legacy["default/wav_stereo/str/crop/1.2-3.5/duration=None/pad"]["value"][0]
    assert padded[2] == (2, int(3.5 * RATE) - int(1.2 * RATE))
    assert legacy["default/wav_stereo/str/crop/3.0-4.0/duration=None/raise"]["value"][0] == "error"
    assert legacy["default/wav_stereo/dict-open-file/crop/0.5-1.2/duration=None/raise"]["position"] == 0
    resampled = legacy["16k-downmix/flac_mono_44k/str/call"]["value"][0]
    assert resampled[2] == (1, 32000)
    assert legacy["fallback/path/crop"]["warnings"], legacy["fallback/path/crop"]
    assert legacy["fallback/open-file/crop"]["value"][:2] == ("error", "RuntimeError")
