"""Worker of ``voice_checkpoints.py``: one library's loader, with ta-compat and with the workaround.

Arguments: the library (``xtts``, ``demucs``, ``fairseq``) and the number of rounds. Writes a
checkpoint with the library's own save path (tiny configs, random weights) into a scratch folder,
warms both ways up, then alternates them call by call in a shuffled order per round. Prints one
``RESULT {json}`` line: the loader's name, the medians in ms and the median call-by-call ratios against the workaround
and against the same names allowlisted by hand (``safe_globals`` around the unwrapped loader).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from typing import Any, Callable, Dict, List, Tuple

import torch

from ta_compat._allowlist import allowed_globals

warnings.simplefilter("ignore")
library, rounds = sys.argv[1], int(sys.argv[2])
folder = tempfile.mkdtemp(prefix="ta-compat-bench-")
path = os.path.join(folder, "checkpoint.pth")


def xtts() -> Tuple[str, Callable[[], Any]]:
    """XTTS v2's checkpoint read (``load_fsspec``, what ``Xtts.load_checkpoint`` calls): the
    trainer's layout with a tiny model's weights and the config object."""
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts, XttsArgs
    from TTS.utils.io import load_fsspec

    tiny = XttsArgs(gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_number_text_tokens=64)
    config = XttsConfig(model_args=tiny)
    model = Xtts.init_from_config(config)
    model.init_models()
    torch.save({"config": config, "model": model.state_dict(), "optimizer": None, "step": 1, "epoch": 0}, path)
    return "TTS.utils.io.load_fsspec", functools.partial(load_fsspec, path, map_location=torch.device("cpu"))


def demucs() -> Tuple[str, Callable[[], Any]]:
    """A tiny HTDemucs package (``serialize_model``) read by ``demucs.states.load_model``."""
    from fractions import Fraction

    from demucs.htdemucs import HTDemucs
    from demucs.states import load_model, serialize_model
    from omegaconf import OmegaConf

    model = HTDemucs(["drums", "bass"], channels=4, depth=2, t_layers=1, t_heads=2, segment=Fraction(39, 5))
    torch.save(serialize_model(model, OmegaConf.create({}), half=False), path)
    return "demucs.states.load_model", functools.partial(load_model, path)


def fairseq() -> Tuple[str, Callable[[], Any]]:
    """A training state with a ``Dictionary`` and an ``argparse.Namespace``, read by
    ``fairseq.checkpoint_utils.load_checkpoint_to_cpu``."""
    from fairseq import checkpoint_utils
    from fairseq.data.dictionary import Dictionary

    state = {
        "args": argparse.Namespace(task="hubert_pretraining", arch="hubert", data=folder, labels=["km"]),
        "cfg": None,
        "model": {"encoder.weight": torch.randn(256, 256)},
        "optimizer_history": [{"criterion_name": "HubertCriterion", "lr_scheduler_state": {}, "num_updates": 1}],
        "task_state": {"dictionaries": [Dictionary()]},
        "extra_state": {"epoch": 1, "train_iterator": None},
    }
    checkpoint_utils.torch_persistent_save(state, path)
    return "fairseq.checkpoint_utils.load_checkpoint_to_cpu", functools.partial(
        checkpoint_utils.load_checkpoint_to_cpu, path
    )


loader_name, load = {"xtts": xtts, "demucs": demucs, "fairseq": fairseq}[library]()
default_load = torch.load
# The same load with the family's names allowlisted by hand around the library's own loader, as
# unwrapped by ta-compat: the floor of any weights_only=True load (XTTS's names are process-wide:
# its loader is not wrapped, and the block adds nothing).
family = __import__(f"ta_compat._shims.{library}", fromlist=["SCOPED"])
by_hand_names = allowed_globals(getattr(family, "SCOPED", ()), torch)
unwrapped = functools.partial(getattr(load.func, "__wrapped__", load.func), *load.args, **load.keywords)


def with_ta_compat() -> float:
    """One load as the library does it: torch's default weights_only=True, ta-compat's allowlist."""
    started = time.perf_counter()
    load()
    return time.perf_counter() - started


def with_workaround() -> float:
    """One load with the workaround: every ``torch.load`` passes ``weights_only=False``."""
    torch.load = functools.partial(default_load, weights_only=False)
    try:
        started = time.perf_counter()
        load()
        return time.perf_counter() - started
    finally:
        torch.load = default_load


def by_hand() -> float:
    """One load of the unwrapped loader inside ``torch.serialization.safe_globals`` of the same names."""
    started = time.perf_counter()
    with torch.serialization.safe_globals(by_hand_names):
        unwrapped()
    return time.perf_counter() - started


ways: Dict[str, Callable[[], float]] = {
    "ta_compat": with_ta_compat,
    "workaround": with_workaround,
    "by_hand": by_hand,
}
for way in ways.values():  # warm-up: imports, caches, the page cache
    way()
    way()
times: Dict[str, List[float]] = {name: [] for name in ways}
ratios: List[float] = []
overheads: List[float] = []
order = list(ways)
for _ in range(rounds):
    random.shuffle(order)
    measured = {name: ways[name]() for name in order}
    for name, seconds in measured.items():
        times[name].append(seconds)
    ratios.append(measured["ta_compat"] / measured["workaround"])
    overheads.append(measured["ta_compat"] / measured["by_hand"])
print(
    "RESULT "
    + json.dumps(
        {
            "loader": loader_name,
            "rounds": rounds,
            "ta_compat_ms": 1000 * statistics.median(times["ta_compat"]),
            "workaround_ms": 1000 * statistics.median(times["workaround"]),
            "by_hand_ms": 1000 * statistics.median(times["by_hand"]),
            "ratio": statistics.median(ratios),
            "ratio_by_hand": statistics.median(overheads),
        }
    )
)
