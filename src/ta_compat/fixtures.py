"""Small real inputs for the demo, the tests and the doctor: generated audio and pyannote
checkpoints built from pyannote's own model classes with random weights (nothing is downloaded).

Checkpoints are saved the way pyannote's own tools save them, so the same globals are pickled.
"""

from __future__ import annotations

import os
from typing import Any, Union

PathLike = Union[str, "os.PathLike[str]"]


def write_speechlike_wav(path: PathLike, seconds: float = 3.0, sample_rate: int = 16000, channels: int = 1) -> str:
    """A deterministic, speech-like (harmonics with a syllable envelope, plus noise) PCM_16 WAV."""
    import numpy as np
    import soundfile

    t = np.arange(int(seconds * sample_rate)) / sample_rate
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t))
    voice = sum(np.sin(2 * np.pi * 140.0 * k * t) / k for k in range(1, 6))
    noise = np.random.default_rng(0).normal(0, 0.05, t.shape)
    mono = 0.3 * envelope * voice + noise
    data = np.stack([mono * (0.9**c) for c in range(channels)], axis=1)
    soundfile.write(os.fspath(path), np.clip(data, -1, 1), sample_rate, subtype="PCM_16")
    return os.fspath(path)


def write_wespeaker_checkpoint(path: PathLike) -> str:
    """A WeSpeaker ResNet34 embedding checkpoint saved exactly like pyannote's ``wespeaker/convert.py``
    (how ``pyannote/wespeaker-voxceleb-resnet34-LM`` was made), with random weights."""
    import pytorch_lightning as pl
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding.wespeaker import WeSpeakerResNet34

    torch.manual_seed(0)
    model: Any = WeSpeakerResNet34()
    model.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=5.0)
    checkpoint = {"state_dict": model.state_dict()}
    model.on_save_checkpoint(checkpoint)
    checkpoint["pytorch-lightning_version"] = pl.__version__
    torch.save(checkpoint, os.fspath(path))
    return os.fspath(path)
