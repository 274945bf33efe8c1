"""A library's checkpoint through its own loader, malicious variants of it, and plain ``torch.load``
of the payloads alone, as user code on the modern stack does it.

Usage: ``python neighbour_checkpoints.py LIBRARY FOLDER`` with LIBRARY ``bark`` (its checkpoint
where ``bark.generation.CACHE_DIR`` looks: set ``XDG_CACHE_HOME``) or ``asteroid``. Each payload of
``ckpt_payloads`` is put inside the library's checkpoint structure (bark: the training ``config``;
asteroid: ``infos``), every allowed name still in use, so only the payload can be refused; it
writes ``FOLDER/markers/<name>`` if it ever runs. bark's also gets ``dtype_singleton``: a pickled
``numpy.dtype("f8")`` (numpy's shared float64 dtype) with a big-endian state to apply.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Tuple

import numpy
import torch
from ckpt_helpers import attempt, key_line, names, report
from ckpt_payloads import payloads

library, folder = sys.argv[1:3]
markers = os.path.join(folder, "markers")
os.makedirs(markers, exist_ok=True)


class CallAndBuild:
    """Pickles as ``func(*args)`` followed by ``BUILD`` with ``state`` (``__setstate__``)."""

    def __init__(self, func: Any, args: Tuple[Any, ...], state: Any) -> None:
        """Keep the call and the state the unpickler would apply to its result."""
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...], Any]:
        """REDUCE, then BUILD."""
        return (self.func, self.args, self.state)


def bark_files() -> Tuple[str, Callable[[str], Any], Callable[[str], Any], Dict[str, str]]:
    """The checkpoint, bark's public loader of it, bark's loader of any path, and the payload files."""
    from bark import generation

    from ta_compat._fixtures import write_bark_checkpoint

    os.makedirs(generation.CACHE_DIR, exist_ok=True)
    checkpoint = write_bark_checkpoint(os.path.join(generation.CACHE_DIR, "coarse_2.pt"))
    files = {
        name: write_bark_checkpoint(os.path.join(folder, f"{name}.pt"), config={"payload": payload})
        for name, payload in smuggled.items()
    }

    def load(path: str) -> Any:
        assert path == checkpoint
        return type(generation.load_model(use_gpu=False, model_type="coarse", force_reload=True)).__name__

    def load_any(path: str) -> Any:
        return generation._load_model(path, "cpu", model_type="coarse")

    return checkpoint, load, load_any, files


def asteroid_files() -> Tuple[str, Callable[[str], Any], Callable[[str], Any], Dict[str, str]]:
    """The package, asteroid's loader of it (twice: the same), and the payload files."""
    from asteroid.models import BaseModel

    from ta_compat._fixtures import write_asteroid_package

    package = write_asteroid_package(os.path.join(folder, "model.pth"))
    files = {
        name: write_asteroid_package(os.path.join(folder, f"{name}.pth"), infos={"payload": payload})
        for name, payload in smuggled.items()
    }

    def load(path: str) -> Any:
        return type(BaseModel.from_pretrained(path)).__name__

    return package, load, load, files


smuggled: Dict[str, Any] = dict(payloads(markers))
if library == "bark":
    smuggled["dtype_singleton"] = CallAndBuild(numpy.dtype, ("f8", False, False), (3, ">", None, None, None, -1, -1, 0))
checkpoint, load, load_any, files = bark_files() if library == "bark" else asteroid_files()
out: Dict[str, Any] = {"names_before": sorted(names())}
try:
    out["load"] = {"ok": load(checkpoint)}
except Exception as exc:
    out["load"] = {"error": key_line(exc)}
out["names_after"] = sorted(names())
out["plain_after_load"] = attempt(torch.load, checkpoint)
out["payloads"] = {}
for name, path in files.items():
    alone = os.path.join(folder, f"{name}-alone.pt")  # the payload alone, for a plain torch.load
    torch.save({"payload": smuggled[name]}, alone)
    out["payloads"][name] = {"loader": attempt(load_any, path), "plain": attempt(torch.load, alone)}
out["names_at_end"] = sorted(names())
out["markers"] = sorted(os.listdir(markers))
out["float64"] = [numpy.dtype("f8").str, numpy.dtype("f8").byteorder, numpy.zeros(1).dtype.str]
report(out)
