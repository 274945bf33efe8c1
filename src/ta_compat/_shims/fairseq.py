"""Let fairseq 0.12 checkpoints (HuBERT's ``hubert_base.pt``, as RVC loads it) load under torch >= 2.6.

``fairseq.checkpoint_utils.load_checkpoint_to_cpu`` (which ``load_model_ensemble_and_task``
calls) runs a plain ``torch.load``. A fairseq training state pickles, besides tensors, the task's
``fairseq.data.dictionary.Dictionary`` objects (``task_state``), an ``argparse.Namespace`` of the
run's arguments in checkpoints of the argparse era, and numpy scalars and arrays among the
training meters (fairseq#5603 names ``numpy._core.multiarray._reconstruct``). ``Dictionary`` has no
``__setstate__`` and ``Namespace`` is an attribute bag, but both, and numpy's reconstructors, make
objects: they are allowed only while ``load_checkpoint_to_cpu`` runs (``ta_compat._allowlist``'s
scope); a plain ``torch.load`` elsewhere still refuses them. A fairseq whose loader passes
``weights_only`` itself (the unreleased main branch) is left alone.
"""

from __future__ import annotations

import inspect
from typing import Any, List, Tuple

from .._allowlist import NUMPY_ARRAYS, NUMPY_SCALARS, Entry, Scope, weights_only_by_default
from .._marker import is_ours

#: What fairseq training states pickle besides tensors and plain containers.
SCOPED: Tuple[Entry, ...] = (
    ("fairseq.data.dictionary:Dictionary", "fairseq.data.dictionary.Dictionary"),
    ("argparse:Namespace", "argparse.Namespace"),
    *NUMPY_SCALARS,
    *NUMPY_ARRAYS,
)

#: The scope of ``fairseq.checkpoint_utils.load_checkpoint_to_cpu``.
FAIRSEQ_LOADING = Scope("fairseq", SCOPED)


def apply(checkpoint_utils: Any) -> List[str]:
    """Scope the fairseq names to ``load_checkpoint_to_cpu`` where torch loads weights only and
    fairseq's loader does not choose ``weights_only`` itself."""
    import torch

    original = checkpoint_utils.__dict__.get("load_checkpoint_to_cpu")
    if not weights_only_by_default(torch) or original is None or is_ours(original) or _chooses_itself(original):
        return []
    checkpoint_utils.load_checkpoint_to_cpu = FAIRSEQ_LOADING(original)
    return [f"{checkpoint_utils.__name__}.load_checkpoint_to_cpu"]


def _chooses_itself(loader: Any) -> bool:
    """Whether the loader passes ``weights_only`` to ``torch.load`` (fairseq's main branch does)."""
    try:
        return "weights_only" in inspect.getsource(loader)
    except (OSError, TypeError):  # no source shipped: assume the released loader
        return False


def probe(folder: str) -> None:
    """A training state with the task's ``Dictionary``, written by fairseq's own
    ``torch_persistent_save`` and read back by ``load_checkpoint_to_cpu``."""
    import os

    import torch
    from fairseq import checkpoint_utils
    from fairseq.data.dictionary import Dictionary

    path = os.path.join(folder, "checkpoint.pt")
    checkpoint_utils.torch_persistent_save(minimal_state(Dictionary(), torch.zeros(2)), path)
    checkpoint_utils.load_checkpoint_to_cpu(path)


def minimal_state(dictionary: Any, weight: Any) -> Any:
    """The least a fairseq 0.12 training state holds for ``load_checkpoint_to_cpu`` to accept it
    (``fairseq.trainer.Trainer.state_dict``'s keys), with one ``Dictionary`` in ``task_state``."""
    return {
        "args": None,
        "cfg": {"_name": None, "common": {"seed": 1}, "task": {"_name": "hubert_pretraining"}},
        "model": {"weight": weight},
        "criterion": {},
        "optimizer_history": [
            {
                "criterion_name": "HubertCriterion",
                "optimizer_name": "FairseqAdam",
                "lr_scheduler_state": {"best": None},
                "num_updates": 0,
            }
        ],
        "task_state": {"dictionaries": [dictionary]},
        "extra_state": {"epoch": 1, "train_iterator": None},
        "last_optimizer_state": None,
    }
