"""Let Coqui TTS 0.22 (XTTS v2) checkpoints load under torch >= 2.6 (``torch.load(weights_only=True)``).

``Xtts.load_checkpoint`` reads ``model.pth`` through ``TTS.utils.io.load_fsspec``, a plain
``torch.load``; the checkpoint, as TTS's trainer saves it, holds the run's config object: an
``XttsConfig`` with its ``XttsAudioConfig``, ``XttsArgs`` and ``BaseDatasetConfig`` fields. These
four are Coqpit dataclasses: no ``__setstate__`` (the unpickler fills a new instance's
``__dict__``), and calling one runs the dataclass ``__init__`` and a ``__post_init__`` that only
validates field values. They can neither run anything nor change an object the checkpoint did
not create, so they are allowed for the whole process (``ta_compat._allowlist``), each once its
module has executed (``XttsConfig``'s module imports the model module first). Nothing else is
allowed: XTTS checkpoints pickle no other class. TTS releases after 0.22 (the coqui-tts fork,
same import name) allowlist or convert these checkpoints themselves: nothing is done there.
"""

from __future__ import annotations

import sys
from typing import Any, List, Tuple

from .._allowlist import Entry, allow_process_wide, imported_version, weights_only_by_default

#: The Coqpit config classes an XTTS checkpoint pickles, by the module that defines them.
PROCESS_WIDE: Tuple[Entry, ...] = (
    ("TTS.tts.configs.xtts_config:XttsConfig", "TTS.tts.configs.xtts_config.XttsConfig"),
    ("TTS.tts.models.xtts:XttsAudioConfig", "TTS.tts.models.xtts.XttsAudioConfig"),
    ("TTS.tts.models.xtts:XttsArgs", "TTS.tts.models.xtts.XttsArgs"),
    ("TTS.config.shared_configs:BaseDatasetConfig", "TTS.config.shared_configs.BaseDatasetConfig"),
)


def apply(module: Any) -> List[str]:
    """Allow the XTTS config classes whose modules have executed (this target's included), where
    torch loads weights only and TTS is 0.22 or older."""
    import torch

    if not weights_only_by_default(torch) or imported_version("TTS")[:2] > (0, 22):
        return []
    # Only modules already imported: the model module runs first, while XttsConfig's own module
    # is still executing (it imports the model module), and is handled when that one executes.
    ready = [entry for entry in PROCESS_WIDE if entry[0].partition(":")[0] in sys.modules]
    return [f"torch.serialization safe global {name}" for name in allow_process_wide(ready, torch)]


def probe(folder: str) -> None:
    """An XTTS checkpoint as TTS's trainer saves it (``trainer.io.save_checkpoint``: the config
    object, the model's weights), read the way ``Xtts.load_checkpoint`` reads it."""
    import os

    import torch
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.utils.io import load_fsspec

    path = os.path.join(folder, "model.pth")
    config = XttsConfig()
    torch.save({"config": config, "model": {"gpt.weight": torch.zeros(2)}, "step": 1, "epoch": 0}, path)
    loaded = load_fsspec(path, map_location=torch.device("cpu"))
    if loaded["config"].to_dict() != config.to_dict():
        raise ValueError("the XTTS config read back differs from the one saved")
