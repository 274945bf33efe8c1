"""The control of ``ckpt_refusals``, run with ta-compat's checkpoint family off: the payloads are
live under a plain pickle load, and the interpolation runs its resolver when omegaconf's real
classes are allowed (what allowlisting them, as hand-written fixes do for pyannote's classes,
would give). Prints one RESULT line with the markers left behind.

Arguments: the folder ``ckpt_refusals`` built, the markers folder.
"""

import collections
import contextlib
import os
import sys
import time
import typing

import torch
from ckpt_helpers import report
from ckpt_payloads import register_resolver

folder, markers = sys.argv[1:3]
register_resolver(markers)
for name in sorted(os.listdir(os.path.join(folder, "plain"))):
    with contextlib.suppress(Exception):
        torch.load(os.path.join(folder, "plain", name), weights_only=False)
from omegaconf.base import ContainerMetadata, Metadata  # noqa: E402
from omegaconf.listconfig import ListConfig  # noqa: E402
from omegaconf.nodes import AnyNode  # noqa: E402
from pyannote.audio import Model  # noqa: E402
from pyannote.audio.core.model import Introspection  # noqa: E402
from pyannote.audio.core.task import Problem, Resolution, Specifications  # noqa: E402
from torch.torch_version import TorchVersion  # noqa: E402

real = [
    TorchVersion,
    Specifications,
    Problem,
    Resolution,
    Introspection,
    ListConfig,
    ContainerMetadata,
    Metadata,
    AnyNode,
    typing.Any,
    list,
    dict,
    int,
    collections.defaultdict,
]
with torch.serialization.safe_globals(real), contextlib.suppress(Exception):
    Model.from_pretrained(os.path.join(folder, "pyannote", "interpolation.ckpt"))
for _ in range(50):
    if "subprocess_popen" in os.listdir(markers) and "partial_popen" in os.listdir(markers):
        break
    time.sleep(0.1)
report({"markers": sorted(os.listdir(markers))})
