"""Let demucs 4.0.x load local ``.th`` models under torch >= 2.6 (``torch.load(weights_only=True)``).

``demucs.states.load_model(path)`` calls ``torch.load(path, 'cpu')``; a package written by
``serialize_model`` names the model class (``demucs.htdemucs.HTDemucs``, ``HDemucs``, ``Demucs``)
that ``load_model`` then instantiates itself, the model's keyword arguments (``segment`` is a
``fractions.Fraction``) and, in packages trained with numpy values in their arguments, numpy
scalars. Allowing a model class lets a pickle *call* it, which builds a model (memory, not code
execution), so every name is allowed only while ``load_model`` runs (``ta_compat._allowlist``'s
scope); a plain ``torch.load`` elsewhere still refuses them. demucs 4.1 passes
``weights_only=False`` itself: nothing is done there.
"""

from __future__ import annotations

from typing import Any, List, Tuple

from .._allowlist import NUMPY_SCALARS, Entry, Scope, imported_version, weights_only_by_default
from .._marker import is_ours

#: What demucs 4.0 packages pickle besides tensors: the model classes ``load_model`` builds, the
#: ``Fraction`` of a segment length, numpy scalars.
SCOPED: Tuple[Entry, ...] = (
    ("demucs.htdemucs:HTDemucs", "demucs.htdemucs.HTDemucs"),
    ("demucs.hdemucs:HDemucs", "demucs.hdemucs.HDemucs"),
    ("demucs.demucs:Demucs", "demucs.demucs.Demucs"),
    ("fractions:Fraction", "fractions.Fraction"),
    *NUMPY_SCALARS,
)

#: The scope of ``demucs.states.load_model``.
DEMUCS_LOADING = Scope("demucs", SCOPED)


def apply(states_module: Any) -> List[str]:
    """Scope the demucs names to ``demucs.states.load_model`` where torch loads weights only and
    demucs does not turn that off itself (4.1 and later do)."""
    import torch

    if not weights_only_by_default(torch) or imported_version("demucs") >= (4, 1):
        return []
    original = states_module.__dict__.get("load_model")
    if original is None or is_ours(original):
        return []
    states_module.load_model = DEMUCS_LOADING(original)
    return [f"{states_module.__name__}.load_model"]


def probe(folder: str) -> None:
    """A tiny HTDemucs written by demucs's own ``serialize_model``, loaded by ``load_model``."""
    import os

    import torch
    from demucs.htdemucs import HTDemucs
    from demucs.states import load_model, serialize_model
    from omegaconf import OmegaConf

    model = HTDemucs(**TINY_HTDEMUCS)
    path = os.path.join(folder, "htdemucs.th")
    torch.save(serialize_model(model, OmegaConf.create({}), half=False), path)
    load_model(path)


#: An HTDemucs small enough to build, save and load in well under a second.
TINY_HTDEMUCS = {"sources": ["drums", "bass"], "channels": 4, "depth": 2, "t_layers": 1, "t_heads": 2}
