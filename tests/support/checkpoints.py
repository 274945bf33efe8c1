"""pyannote checkpoints for the tests, and the malicious payloads they must keep refusing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

from support.interpreter import Interpreter

#: The kinds of pyannote checkpoint users have, by fixture name: ``wespeaker`` (a convert.py-style
#: WeSpeaker ResNet34), ``segmentation`` (a powerset PyanNet saved by ``Trainer.save_checkpoint``)
#: and ``hydra`` (a pre-3.0 hydra-trained PyanNet with a ListConfig).
CHECKPOINT_FILES = {"wespeaker": "wespeaker.bin", "segmentation": "segmentation.ckpt", "hydra": "hydra.ckpt"}

#: The payloads of ``tests/scripts/ckpt_payloads.py`` (each writes a marker file if it ever runs).
PAYLOAD_NAMES = (
    "os_system",
    "eval",
    "exec",
    "subprocess_popen",
    "partial_os_system",
    "partial_eval",
    "partial_exec",
    "partial_popen",
    "getattr_chain",
    "attrgetter_chain",
    "omegaconf_callable",
)

#: The crafted checkpoints of ``tests/scripts/ckpt_enum_payloads.py`` that go for pyannote's enum members.
ENUM_PAYLOAD_FILES = ("class_swap", "newobj_build", "rebuild_from_type", "reduce_build", "reduce_build_slots")


def build_checkpoints(python: Interpreter, folder: Path) -> Dict[str, Path]:
    """One checkpoint of each kind of ``CHECKPOINT_FILES`` in ``folder`` (random weights, built
    from pyannote's own classes by ``python``, which has pyannote.audio)."""
    paths = {kind: folder / name for kind, name in CHECKPOINT_FILES.items()}
    python.run("make_checkpoints", *(os.fspath(paths[kind]) for kind in CHECKPOINT_FILES), check=True)
    return paths
