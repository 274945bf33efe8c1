"""torchcodec 0.17's edges, through whatever ``AudioDecoder`` pyannote.audio 4 reads with:
``python codec_edges.py SPEC.json OUT.pickle`` (torchcodec's where it decodes, else the fallback's).

SPEC is ``{"files": {name: path}, "ranges": [[start, stop or null], ...]}`` (``"inf"``/``"nan"``
as strings). For each file: the metadata fields, each range's samples, ``pts_seconds``,
``duration_seconds`` and ``sample_rate``, the samples at 8 kHz mono (``sample_rate=``,
``num_channels=``) and the file's bytes as a uint8 tensor; then ``save_with_torchcodec`` into a
file object. Each result is ``("ok", value)`` with tensors as numpy arrays, or ``("error", class,
message)`` (torchcodec's C++ messages without their source location). Never imports ta_compat itself.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import re
import sys
import warnings
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

warnings.simplefilter("ignore")

import pyannote.audio.core.io as pyannote_io  # noqa: E402
import torch  # noqa: E402
import torchaudio  # noqa: E402


def number(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def attempt(call: Callable[[], Any]) -> Tuple[Any, ...]:
    try:
        return ("ok", call())
    except Exception as exc:
        return ("error", type(exc).__name__, re.sub(r"\w+, /\S+\.cpp:\d+, ", "", str(exc)))


def samples(decoder: Any, start: Optional[float], stop: Optional[float]) -> Dict[str, Any]:
    got = decoder.get_all_samples() if start is None else decoder.get_samples_played_in_range(start, stop)
    return {
        "data": got.data.numpy().copy(),
        "pts_seconds": float(got.pts_seconds),
        "duration_seconds": float(got.duration_seconds),
        "sample_rate": int(got.sample_rate),
    }


def decode(decoder_class: Any, path: str, start: Optional[float], stop: Optional[float]) -> Dict[str, Any]:
    return samples(decoder_class(path), start, stop)


def results_for(decoder_class: Any, path: str, ranges: List[Tuple[Optional[float], Optional[float]]]) -> Dict[str, Any]:
    """Every call on one file."""
    results: Dict[str, Any] = {"metadata": attempt(lambda: dataclasses.asdict(decoder_class(path).metadata))}
    for start, stop in ranges:
        results[f"range {start} {stop}"] = attempt(partial(decode, decoder_class, path, start, stop))
    converting = partial(decoder_class, path, sample_rate=8000, num_channels=1)
    results["8 kHz mono"] = attempt(lambda: samples(converting(), 0.5, 1.5))
    with open(path, "rb") as encoded:
        tensor = torch.frombuffer(bytearray(encoded.read()), dtype=torch.uint8)
    results["uint8 tensor"] = attempt(lambda: samples(decoder_class(tensor), None, None))
    results["int16 tensor"] = attempt(lambda: type(decoder_class(torch.zeros(8, dtype=torch.int16))).__name__)
    return results


def main() -> None:
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    ranges = [(number(start), number(stop)) for start, stop in spec["ranges"]]
    out: Dict[str, Any] = {}
    for name, path in spec["files"].items():
        out[name] = results_for(pyannote_io.AudioDecoder, path, ranges)
    out["save to a file object"] = attempt(
        lambda: torchaudio.save_with_torchcodec(io.BytesIO(), torch.zeros(1, 100), 16000)
    )
    with open(sys.argv[2], "wb") as pickled:
        pickle.dump(out, pickled)


if __name__ == "__main__":
    main()
