"""Let asteroid 0.7 load its model packages under torch >= 2.6.

``BaseModel.from_pretrained`` (``asteroid/models/base_models.py``) calls ``torch.load`` on a
package written by ``BaseModel.serialize``, which stores ``infos.software_versions.torch_version =
torch.__version__``: a ``torch.torch_version.TorchVersion``. torch >= 2.6 loads weights only by
default and refuses it (``Unsupported global: GLOBAL torch.torch_version.TorchVersion``), though it
is a ``str`` subclass with ``__slots__ = ()``: rebuilding one constructs a string and nothing else.
That inert name is allowed for the process once asteroid's model module is imported, as the
checkpoints family allows it for pyannote (and where either already did, nothing is added).
"""

from __future__ import annotations

from typing import Any, List, Tuple

from .._allowlist import Entry, allow_process_wide, weights_only_by_default

PROCESS_WIDE: Tuple[Entry, ...] = (("torch.torch_version:TorchVersion", "torch.torch_version.TorchVersion"),)


def apply(base_models: Any) -> List[str]:
    """Allow ``TorchVersion`` for the process where torch loads weights only by default and does
    not allow it yet; returns what was added."""
    import torch

    if not weights_only_by_default(torch):
        return []  # torch < 2.6 loads anything
    return [f"torch.serialization safe global {name}" for name in allow_process_wide(PROCESS_WIDE, torch)]


def probe(folder: str) -> None:
    """``BaseModel.from_pretrained`` of a package written by asteroid's own ``serialize``."""
    import os

    from asteroid.models import BaseModel

    from .._fixtures import write_asteroid_package

    BaseModel.from_pretrained(write_asteroid_package(os.path.join(folder, "model.pth")))
