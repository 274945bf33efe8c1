"""Write a stereo 16 kHz AAC file with PyAV (FFmpeg's own AAC encoder): ``python codec_write_aac.py
OUT.m4a SECONDS``. libsndfile cannot read AAC; torchcodec and PyAV can."""

from __future__ import annotations

import sys

import av
import numpy as np

path, seconds = sys.argv[1], float(sys.argv[2])
rate = 16000
t = np.arange(int(seconds * rate)) / rate
samples = np.stack([0.5 * np.sin(2 * np.pi * 220 * t), 0.3 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)
with av.open(path, "w") as container:
    stream = container.add_stream("aac", rate=rate, layout="stereo")
    for start in range(0, samples.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(samples[:, start : start + 1024].copy(), format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
