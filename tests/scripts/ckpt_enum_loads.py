"""Load every ``ckpt_enum_payloads`` file the ways users do (a plain ``torch.load``;
``Model.from_pretrained`` and ``PyanNet.load_from_checkpoint`` for the full checkpoints), then
report each ``Problem``/``Resolution`` member as (name, value, type, hash), before and after.

Arguments: the payloads folder, and optionally ``--hand-written-allowlist``: allowlist the real
classes process-wide first, as the usual in-script fix does (run with ta-compat's family off).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

import torch
from ckpt_helpers import attempt, report
from pyannote.audio import Model
from pyannote.audio.core.model import Introspection
from pyannote.audio.core.task import Problem, Resolution, Specifications
from pyannote.audio.models.segmentation import PyanNet
from torch.torch_version import TorchVersion

folder = sys.argv[1]


def members() -> Dict[str, List[Any]]:
    """Each member as (name, value, type, hash): what a rewriting payload would change."""
    return {
        f"{enum.__name__}.{name}": [member.name, member.value, type(member).__name__, hash(member)]
        for enum in (Problem, Resolution)
        for name, member in enum.__members__.items()
    }


before = members()
if "--hand-written-allowlist" in sys.argv:
    torch.serialization.add_safe_globals([TorchVersion, Specifications, Problem, Resolution, Introspection])
loads: Dict[str, str] = {}
for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    loads[f"{name} torch.load"] = attempt(torch.load, path)
    if name.endswith(".ckpt"):
        loads[f"{name} from_pretrained"] = attempt(Model.from_pretrained, path)
        loads[f"{name} load_from_checkpoint"] = attempt(PyanNet.load_from_checkpoint, path)
report({"before": before, "after": members(), "loads": loads})
