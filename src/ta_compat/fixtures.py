"""Small real inputs for the demo and the doctor's probes (the tests build theirs on these):
generated audio and pyannote checkpoints built from pyannote's own model classes with random
weights (nothing is downloaded).

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


def small_pyannet(specifications: Any) -> Any:
    """A small PyanNet (segmentation-3.0's SincNet front end, a narrower LSTM) built for ``specifications``."""
    import torch
    from pyannote.audio.models.segmentation import PyanNet

    torch.manual_seed(0)
    model: Any = PyanNet(
        sincnet={"stride": 10},
        lstm={"hidden_size": 32, "num_layers": 2, "bidirectional": True, "monolithic": True},
        linear={"hidden_size": 32, "num_layers": 2},
    )
    model.specifications = specifications
    model.setup()  # adds the task-dependent classifier, as Model.on_load_checkpoint will
    return model


def one_optimizer_step(model: Any, optimizer: Any) -> None:
    """One real Adam step, so the checkpoint carries real optimizer state (exp_avg, exp_avg_sq, step)."""
    import torch

    model(torch.randn(2, 1, 16000)).sum().backward()
    optimizer.step()
    optimizer.zero_grad()


def attached_trainer(model: Any, optimizer: Any) -> Any:
    """A lightning Trainer holding ``model`` and ``optimizer``, as during ``fit``, without fitting."""
    import pytorch_lightning as pl

    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.strategy.connect(model)
    trainer.strategy.optimizers = [optimizer]
    return trainer


def segmentation_model(duration: float = 10.0) -> Any:
    """A segmentation-3.0-like PyanNet (powerset ``Specifications``: 3 speakers, at most 2 at a
    time, ``duration`` s chunks; a narrower LSTM) with random weights, ready for inference."""
    from pyannote.audio.core.task import Problem, Resolution, Specifications

    specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=duration,
        min_duration=None,
        warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    return small_pyannet(specifications)


def write_segmentation_checkpoint(path: PathLike) -> str:
    """A ``segmentation_model()`` checkpoint written by a real ``Trainer.save_checkpoint`` (random
    weights, one Adam step), so it has lightning's keys (``epoch, global_step,
    pytorch-lightning_version, state_dict, loops, callbacks, optimizer_states, lr_schedulers,
    hparams_name, hyper_parameters``) plus pyannote's own."""
    model = segmentation_model()
    optimizer = model.configure_optimizers()
    one_optimizer_step(model, optimizer)
    attached_trainer(model, optimizer).save_checkpoint(os.fspath(path))
    return os.fspath(path)
