"""Write a mono 48 kHz WebM/Opus stream as a browser's MediaRecorder does, to a pipe-like sink, so
the header has no duration and no cues: ``python codec_write_webm.py OUT.webm SECONDS``."""

from __future__ import annotations

import io
import sys

import av
import numpy as np


class Unseekable(io.RawIOBase):
    """A write-only sink that cannot seek back (the muxer then never writes the duration)."""

    def __init__(self) -> None:
        self.written = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += data
        return len(data)


path, seconds = sys.argv[1], float(sys.argv[2])
rate = 48000
t = np.arange(int(seconds * rate)) / rate
samples = (0.3 * np.sin(2 * np.pi * 330 * t) * (1 + 0.5 * np.sin(t))).astype(np.float32)[None]
sink = Unseekable()
with av.open(sink, "w", format="webm") as container:
    stream = container.add_stream("libopus", rate=rate, layout="mono")
    for start in range(0, samples.shape[1], 960):
        frame = av.AudioFrame.from_ndarray(samples[:, start : start + 960].copy(), format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
with open(path, "wb") as out:
    out.write(bytes(sink.written))
