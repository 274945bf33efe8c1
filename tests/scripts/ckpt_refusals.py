"""Build the payloads (``ckpt_payloads``), then load each with the shims on: a plain
``torch.load``, ``Model.from_pretrained`` and ``PyanNet.load_from_checkpoint``, with a resolver
registered for the interpolation. Prints one RESULT line.

Arguments: the markers folder, the hydra checkpoint, an output folder for the payload files.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict

import torch
from ckpt_helpers import key_line, names, report
from ckpt_payloads import build, register_resolver

markers, hydra, folder = sys.argv[1:4]
build(markers, hydra, folder)
from pyannote.audio import Model  # noqa: E402
from pyannote.audio.models.segmentation import PyanNet  # noqa: E402

register_resolver(markers)
out: Dict[str, Any] = {"plain": {}, "pyannote": {}, "lightning": {}, "after_build": sorted(os.listdir(markers))}
baseline = names()


def outcome(load: Callable[[str], Any], path: str) -> str:
    """``"LOADED"``, or the key line of why ``load(path)`` refused."""
    try:
        load(path)
    except Exception as exc:
        return key_line(exc)
    return "LOADED"


for name in sorted(os.listdir(os.path.join(folder, "plain"))):
    out["plain"][name[:-3]] = outcome(torch.load, os.path.join(folder, "plain", name))
for name in sorted(os.listdir(os.path.join(folder, "pyannote"))):
    path = os.path.join(folder, "pyannote", name)
    out["pyannote"][name[:-5]] = outcome(Model.from_pretrained, path)
    out["lightning"][name[:-5]] = outcome(PyanNet.load_from_checkpoint, path)
out["after"] = sorted(names() - baseline)
time.sleep(1.0)  # a Popen that did run would have touched its file by now
out["markers"] = sorted(os.listdir(markers))
report(out)
