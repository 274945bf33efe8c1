"""Load and inspect an audio file with torchaudio where torchcodec is not installed, and check the
samples against soundfile's.

Usage: ``python load_without_torchcodec.py AUDIO``; prints ``num_frames sample_rate encoding``.
"""

from __future__ import annotations

import importlib.util
import sys

import soundfile
import torchaudio

path = sys.argv[1]
assert importlib.util.find_spec("torchcodec") is None
waveform, rate = torchaudio.load(path)
data, soundfile_rate = soundfile.read(path, dtype="float32", always_2d=True)
assert rate == soundfile_rate == 16000 and tuple(waveform.shape) == (1, 32000), (rate, waveform.shape)
assert (waveform.numpy() == data.T).all()
meta = torchaudio.info(path)
print(meta.num_frames, meta.sample_rate, meta.encoding)
