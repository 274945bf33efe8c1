"""The main job: an unmodified pyannote.audio 3.x script, run on the newest torch/torchaudio.

Nothing here imports ta-compat: the shims come from the installed ``compat_autoload.pth``.
The audio and the checkpoint are generated locally (random weights; nothing is downloaded).
"""

import sys
import tempfile
import time
from pathlib import Path

import torch
import torchaudio
from pyannote.audio import Inference, Model

from ta_compat._fixtures import write_speechlike_wav, write_wespeaker_checkpoint

with tempfile.TemporaryDirectory() as tmp:
    wav = write_speechlike_wav(Path(tmp) / "speech.wav", seconds=3.0)
    checkpoint = write_wespeaker_checkpoint(Path(tmp) / "pytorch_model.bin")

    print(f"\ntorch {torch.__version__}, torchaudio {torchaudio.__version__}, Python {sys.version.split()[0]}")
    print(f"torchaudio.list_audio_backends() -> {torchaudio.list_audio_backends()}")
    print(f"torchaudio.info(...) -> {torchaudio.info(wav)}")
    waveform, sample_rate = torchaudio.load(wav, frame_offset=8000, num_frames=16000, normalize=False)
    print(f"torchaudio.load(..., normalize=False) crop -> {tuple(waveform.shape)} {waveform.dtype} @ {sample_rate} Hz")

    started = time.perf_counter()
    model = Model.from_pretrained(checkpoint)  # torch.load(weights_only=True) under the hood
    print(f"Model.from_pretrained -> {type(model).__name__} ({time.perf_counter() - started:.2f} s)")
    embedding = Inference(model, window="whole")(wav)
    norm = float((embedding**2).sum()) ** 0.5
    print(f"Inference(window='whole') -> embedding of shape {embedding.shape}, norm {norm:.3f}")
    print("OK: pyannote.audio 3.x ran unchanged.")
