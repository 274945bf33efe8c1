"""Crop cost against position on the pyannote 4 fallback's PyAV path and on torchcodec, in one run:
``python benchmarks/codec_crops.py [OUT.md]`` in a venv with torchcodec (with FFmpeg it can load),
PyAV and ta-compat. A 600 s AAC ``.m4a`` is written with PyAV; a 5 s crop at each position is decoded
by a fresh decoder, as pyannote 4 decodes each crop (median of 5). Before, the PyAV path decoded
from the start of the file for every crop; it now seeks and trims by timestamp, as torchcodec does.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List

import av
import numpy as np
from torchcodec.decoders import AudioDecoder as TorchcodecDecoder

from ta_compat._soundfile_codec import AudioDecoder as FallbackDecoder

SECONDS, RATE, CROP = 600, 48000, 5.0
POSITIONS = (10.0, 150.0, 300.0, 590.0)


def write_m4a(path: Path) -> None:
    """A mono AAC file of ``SECONDS`` of a modulated tone, written one second at a time."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=RATE, layout="mono")
        t = np.arange(RATE) / RATE
        for second in range(SECONDS):
            tone = (0.3 * np.sin(2 * np.pi * 330 * (t + second)) * (1 + 0.5 * np.sin(t + second))).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone[None], format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, second * RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def median_ms(decoder: Callable[[str], Any], path: str, position: float) -> float:
    """The median time of 5 crops at ``position`` by fresh decoders, in milliseconds."""
    times: List[float] = []
    for _ in range(5):
        started = time.perf_counter()
        decoder(path).get_samples_played_in_range(position, position + CROP)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.m4a"
        write_m4a(path)
        median_ms(TorchcodecDecoder, str(path), 0.0)  # load FFmpeg and torchcodec's library first
        lines = [
            f"5 s crops of a {SECONDS} s AAC .m4a, fresh decoder per crop, median of 5 (PyAV {av.__version__})",
            "",
            "| position (s) | torchcodec (ms) | fallback, PyAV path (ms) | ratio |",
            "|---|---|---|---|",
        ]
        for position in POSITIONS:
            theirs = median_ms(TorchcodecDecoder, str(path), position)
            ours = median_ms(FallbackDecoder, str(path), position)
            lines.append(f"| {position:.0f} | {theirs:.1f} | {ours:.1f} | {ours / theirs:.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(report)


if __name__ == "__main__":
    main()
