"""Checkpoints of the voice libraries (Coqui XTTS, demucs, fairseq), written by each library's own
save path with tiny configs and random weights, then loaded through each library's own loader.

User code: it never imports ta_compat (the shims come from the ``.pth``). For each payload of
``ckpt_payloads`` a copy of the checkpoint carries it inside the library's own objects; the loader
and a plain ``torch.load`` must refuse every copy, and no payload may leave its marker.

Arguments: the library (``xtts``, ``demucs``, ``fairseq``), a scratch folder, the markers folder.
Prints one RESULT line: ``load`` (the loader on the real checkpoint: ``"ok"`` or the key line of
its error), ``plain_after`` (a plain ``torch.load`` of it right after), ``payloads`` ({name:
[loader, plain]}), ``markers`` left, ``leaked`` (allowlist names present after the loads that
were not before them) and the families' states.
"""

from __future__ import annotations

import copy
import os
import sys
import warnings
from typing import Any, Callable, Dict, List, Tuple

import torch
from ckpt_helpers import attempt, names, report
from ckpt_payloads import payloads

warnings.simplefilter("ignore")
library, folder, markers = sys.argv[1:4]

#: (write the checkpoint at a path with a payload or None inside, the library's loader of a path).
Library = Tuple[Callable[[str, Any], None], Callable[[str], Any]]


def xtts() -> Library:
    """XTTS v2: an ``Xtts`` built from ``XttsConfig`` with tiny GPT dimensions, saved as TTS's
    trainer lays a checkpoint out (the config object and the weights; ``trainer.io.save_model``),
    read by ``Xtts.load_checkpoint`` (payload copies by ``load_fsspec``, what it calls)."""
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts, XttsArgs
    from TTS.utils.io import load_fsspec

    tiny = XttsArgs(
        gpt_layers=1,
        gpt_n_model_channels=32,
        gpt_n_heads=2,
        gpt_number_text_tokens=64,
        gpt_start_text_token=1,
        gpt_stop_text_token=0,
        gpt_num_audio_tokens=66,
        gpt_start_audio_token=64,
        gpt_stop_audio_token=65,
        gpt_max_audio_tokens=20,
        gpt_max_text_tokens=20,
        gpt_max_prompt_tokens=10,
        decoder_input_dim=32,
        d_vector_dim=16,
    )
    config = XttsConfig(model_args=tiny)
    model = Xtts.init_from_config(config)
    model.init_models()
    weights = model.state_dict()

    def write(path: str, payload: Any) -> None:
        """The trainer's layout; a payload goes into the audio config's fields."""
        saved = copy.deepcopy(config)
        if payload is not None:
            saved.audio.__dict__["payload"] = payload
        state = {"config": saved, "model": weights, "optimizer": None, "scaler": None, "step": 1, "epoch": 0}
        torch.save({**state, "date": "December 07, 2026"}, path)

    def load(path: str) -> Any:
        """``Xtts.load_checkpoint`` for the real file, ``load_fsspec`` for the payload copies."""
        if os.path.basename(path) != "checkpoint.pth":
            return load_fsspec(path, map_location=torch.device("cpu"))
        fresh = Xtts.init_from_config(config)
        missing = os.path.join(folder, "absent")
        fresh.load_checkpoint(config, checkpoint_path=path, vocab_path=missing, speaker_file_path=missing)
        return fresh

    return write, load


def demucs() -> Library:
    """demucs 4.0: a tiny ``HTDemucs`` packaged by ``serialize_model`` and written by
    ``save_with_checksum``, as demucs's trainer exports models; read by ``load_model``."""
    from fractions import Fraction

    import numpy as np
    from demucs.htdemucs import HTDemucs
    from demucs.states import load_model, serialize_model
    from omegaconf import OmegaConf

    # segment as a Fraction, samplerate as a numpy integer: what trained packages hold
    model = HTDemucs(["drums", "bass"], channels=4, depth=2, t_layers=1, t_heads=2, segment=Fraction(39, 5))
    package = serialize_model(model, OmegaConf.create({"epochs": 1}), half=False)
    package["kwargs"]["samplerate"] = np.int64(44100)

    def write(path: str, payload: Any) -> None:
        """The package; a payload goes into the model's keyword arguments."""
        saved = dict(package, kwargs=dict(package["kwargs"]))
        if payload is not None:
            saved["kwargs"]["payload"] = payload
        torch.save(saved, path)

    return write, load_model


def fairseq() -> Library:
    """fairseq 0.12: a training state with the task's ``Dictionary``, the run's
    ``argparse.Namespace`` and numpy meters, written by ``torch_persistent_save``; read by
    ``load_checkpoint_to_cpu``."""
    import argparse

    import numpy as np
    from fairseq import checkpoint_utils
    from fairseq.data.dictionary import Dictionary

    dictionary = Dictionary()
    for symbol in ("a", "b", "c"):
        dictionary.add_symbol(symbol)
    state: Dict[str, Any] = {
        "args": argparse.Namespace(task="hubert_pretraining", arch="hubert", data=folder, labels=["km"]),
        "cfg": None,
        "model": {"encoder.weight": torch.randn(4, 4)},
        "criterion": {},
        "optimizer_history": [
            {
                "criterion_name": "HubertCriterion",
                "optimizer_name": "FairseqAdam",
                "lr_scheduler_state": {"best": np.float64(2.5)},
                "num_updates": 10,
            }
        ],
        "task_state": {"dictionaries": [dictionary]},
        "extra_state": {"epoch": 2, "train_iterator": None, "metrics": {"loss": np.array([1.5, 1.25])}},
        "last_optimizer_state": None,
    }

    def write(path: str, payload: Any) -> None:
        """The state; a payload goes into the ``Dictionary``'s attributes."""
        carrier = copy.copy(dictionary)
        if payload is not None:
            carrier.__dict__["payload"] = payload
        saved = dict(state, task_state={"dictionaries": [carrier]})
        checkpoint_utils.torch_persistent_save(saved, path)

    return write, checkpoint_utils.load_checkpoint_to_cpu


write, load = {"xtts": xtts, "demucs": demucs, "fairseq": fairseq}[library]()
real = os.path.join(folder, "checkpoint.pth")
write(real, None)
copies: Dict[str, str] = {}
for name, payload in payloads(markers).items():
    copies[name] = os.path.join(folder, f"{name}.pth")
    write(copies[name], payload)

before = names()
out: Dict[str, Any] = {"load": attempt(load, real), "plain_after": attempt(torch.load, real)}
results: Dict[str, List[str]] = {}
for name, path in copies.items():
    results[name] = [attempt(load, path), attempt(torch.load, path)]
out["payloads"] = results
out["markers"] = sorted(os.listdir(markers))
out["leaked"] = sorted(names() - before)
report(out)
