"""Inputs only the tests need, built on ``ta_compat._fixtures`` (which the doctor's probes use):
a pre-3.0 hydra-era checkpoint, a tiny pyannote.database protocol, a Hugging Face cache.

Imported by the programs of this folder (their folder is ``sys.path[0]``).
"""

from __future__ import annotations

import os
from typing import Union

from ta_compat._fixtures import (
    attached_trainer,
    one_optimizer_step,
    small_pyannet,
    write_speechlike_wav,
)

PathLike = Union[str, "os.PathLike[str]"]

#: The files of each subset of ``write_diarization_protocol``'s protocol: (key, extension).
PROTOCOL_FILES = (("uri", "lst"), ("annotation", "rttm"), ("annotated", "uem"))


def write_hydra_checkpoint(path: PathLike) -> str:
    """A pre-3.0, hydra-trained segmentation checkpoint (pyannote/segmentation 2.x style, like the
    one whisperX bundles), with random weights. What such checkpoints hold (read from the published
    pyannote/segmentation checkpoint's pickle):

    * ``optimizer_states[0]["param_groups"][0]["betas"]`` is an omegaconf ``ListConfig``: pyannote's
      hydra CLI instantiated Adam from ``betas: [0.9, 0.999]`` and torch 1.x's Adam kept the object
      it was given (torch >= 2 turns it into a tuple, so it is put back after the step);
    * ``checkpoint["pyannote.audio"]`` has 2.x's ``"introspection"`` (an ``Introspection`` object),
      versions ``torch`` ``TorchVersion("1.10.0+cu102")`` / ``pyannote.audio`` ``"2.1.1"``, and 2.x
      ``Specifications`` (no ``min_duration`` / ``powerset_max_classes`` fields: multi-label);
    * ``pytorch-lightning_version`` is ``"1.5.4"``, without 1.6+ loop state (lightning migrates it).

    Written through lightning's own checkpoint dump and checkpoint IO."""
    import torch
    from omegaconf import OmegaConf
    from pyannote.audio.core.model import Introspection
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from torch.torch_version import TorchVersion

    specifications = Specifications(
        problem=Problem.MULTI_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=5.0,
        warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"],
        permutation_invariant=True,
    )
    for field in ("min_duration", "powerset_max_classes"):  # fields 2.x did not have
        specifications.__dict__.pop(field, None)
    model = small_pyannet(specifications)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    one_optimizer_step(model, optimizer)
    optimizer.param_groups[0]["betas"] = OmegaConf.create([0.9, 0.999])
    trainer = attached_trainer(model, optimizer)
    checkpoint = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)
    checkpoint["pytorch-lightning_version"] = "1.5.4"
    checkpoint.pop("loops", None)
    introspection = Introspection()
    introspection.__dict__.update(
        min_num_samples=991, min_num_frames=1, inc_num_samples=270, inc_num_frames=1, dimension=3
    )
    checkpoint["pyannote.audio"] = {
        "versions": {"torch": TorchVersion("1.10.0+cu102"), "pyannote.audio": "2.1.1"},
        "architecture": checkpoint["pyannote.audio"]["architecture"],
        "introspection": introspection,
        "specifications": specifications,
    }
    trainer.strategy.checkpoint_io.save_checkpoint(checkpoint, os.fspath(path))
    return os.fspath(path)


def write_diarization_protocol(folder: PathLike, seconds: float = 8.0) -> str:
    """A tiny pyannote.database speaker diarization protocol in ``folder``: generated WAVs (two
    train files, one each for development and test), RTTM references with two speakers who
    overlap, UEMs and ``database.yml``. Returns that file's path; the protocol is
    ``Tiny.SpeakerDiarization.Tiny`` once ``pyannote.database.registry.load_database`` read it."""
    folder = os.path.abspath(folder)  # database.yml resolves relative paths from its own folder
    os.makedirs(folder, exist_ok=True)
    subsets = {"train": ["a", "b"], "development": ["c"], "test": ["d"]}
    turns = [(0.5, 3.0, "s1"), (2.5, 3.0, "s2"), (6.0, min(1.5, seconds - 6.0), "s1")]
    lines = [
        "Databases:",
        f"  Tiny: {folder}/{{uri}}.wav",
        "Protocols:",
        "  Tiny:",
        "    SpeakerDiarization:",
        "      Tiny:",
    ]
    for subset, uris in subsets.items():
        with (
            open(os.path.join(folder, f"{subset}.lst"), "w") as lst,
            open(os.path.join(folder, f"{subset}.rttm"), "w") as rttm,
            open(os.path.join(folder, f"{subset}.uem"), "w") as uem,
        ):
            for uri in uris:
                write_speechlike_wav(os.path.join(folder, f"{uri}.wav"), seconds=seconds)
                lst.write(f"{uri}\n")
                uem.write(f"{uri} 1 0.000 {seconds:.3f}\n")
                for start, duration, speaker in turns:
                    rttm.write(f"SPEAKER {uri} 1 {start:.3f} {duration:.3f} <NA> <NA> {speaker} <NA> <NA>\n")
        lines.append(f"        {subset}:")
        lines += [f"          {key}: {folder}/{subset}.{ext}" for key, ext in PROTOCOL_FILES]
    database = os.path.join(folder, "database.yml")
    with open(database, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return database
