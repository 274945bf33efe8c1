"""Let pyannote 3.x load its checkpoints under torch >= 2.6 (``torch.load(weights_only=True)``).

``weights_only`` stays on and ``torch.load`` is left alone. While ``Model.from_pretrained`` runs
(``Pipeline.from_pretrained``, ``Inference`` and ``get_model`` all load through it), torch's own
allowlist is widened, with ``torch.serialization.safe_globals``, by the exact names that pyannote
checkpoints pickle (read from the published checkpoints of every pyannote era); it is restored
when the last concurrent call returns, so a ``torch.load`` outside pyannote's loading gains
nothing. Nothing in the list can run code named by
a checkpoint: the weights-only unpickler still refuses every other global, and each entry only
rebuilds plain data:

* ``TorchVersion`` is a ``str`` subclass; ``Problem``/``Resolution`` are ``Enum`` lookups by value;
  ``Specifications`` and the empty ``Introspection`` get their ``__dict__`` set from plain data.
* ``builtins.list/dict/int``, ``collections.defaultdict`` and ``typing.Any`` (field values of
  omegaconf metadata) are constructors of plain values; ``typing.Any`` cannot even be instantiated.
* The omegaconf names (``ListConfig``, ``AnyNode``, ``Metadata``, ``ContainerMetadata``; a pre-3.0
  hydra checkpoint stores Adam's ``betas`` as a ``ListConfig``) are **not** mapped to omegaconf's
  classes: omegaconf runs its own code in ``__setstate__`` and resolves ``${...}`` interpolations
  with whatever resolvers the process registered (``eval`` is a common one), so a crafted value
  could reach a resolver once pyannote or lightning looks at it. They are mapped to inert
  stand-ins below that rebuild a ``ListConfig`` as a plain ``list`` of its values; interpolation
  strings stay strings, and omegaconf need not be installed.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from importlib import import_module
from typing import Any, List, Optional, Set

from ..marker import is_ours, mark

# --- inert stand-ins for the omegaconf classes of hydra-era checkpoints -------------------------


class ListConfigData(List[Any]):
    """Stands in for ``omegaconf.listconfig.ListConfig``: the list of its node values, nothing else."""

    def __setstate__(self, state: Any) -> None:
        content = state.get("_content") if isinstance(state, dict) else None
        if isinstance(content, list):
            self[:] = [item.value if isinstance(item, NodeData) else item for item in content]

    def __reduce__(self) -> Any:  # saved again, it is a plain list
        return (list, (list(self),))


class NodeData:
    """Stands in for ``omegaconf.nodes.AnyNode``: keeps the plain value, drops parent and metadata."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = None

    def __setstate__(self, state: Any) -> None:
        self.value = state.get("_val") if isinstance(state, dict) else None


class MetadataData:
    """Stands in for ``omegaconf.base.Metadata`` and ``ContainerMetadata``: keeps nothing."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        pass


# (object or "module:attribute" to import, the full name the pickle uses), in the order the
# unpickler first meets them in those checkpoints. Entries whose module is not installed are skipped.
ALLOWLIST = (
    # pyannote 3.x checkpoints (WeSpeaker conversions, Trainer.save_checkpoint):
    ("torch.torch_version:TorchVersion", "torch.torch_version.TorchVersion"),
    ("pyannote.audio.core.task:Specifications", "pyannote.audio.core.task.Specifications"),
    ("pyannote.audio.core.task:Problem", "pyannote.audio.core.task.Problem"),
    ("pyannote.audio.core.task:Resolution", "pyannote.audio.core.task.Resolution"),
    # pre-3.0, hydra-trained checkpoints (pyannote/segmentation 2.x, whisperX's bundled VAD):
    (ListConfigData, "omegaconf.listconfig.ListConfig"),
    (MetadataData, "omegaconf.base.ContainerMetadata"),
    ("typing:Any", "typing.Any"),
    ("builtins:list", "builtins.list"),
    ("collections:defaultdict", "collections.defaultdict"),
    ("builtins:dict", "builtins.dict"),
    ("builtins:int", "builtins.int"),
    (NodeData, "omegaconf.nodes.AnyNode"),
    (MetadataData, "omegaconf.base.Metadata"),
    ("pyannote.audio.core.model:Introspection", "pyannote.audio.core.model.Introspection"),
)


def _resolve(target: Any) -> Optional[Any]:
    if not isinstance(target, str):
        return target
    module_name, _, name = target.partition(":")
    try:
        return getattr(import_module(module_name), name)
    except (ImportError, AttributeError):
        return None


def entry_name(entry: Any) -> str:
    """The full name torch matches a ``safe_globals`` entry against (``module.qualname``)."""
    if isinstance(entry, tuple):
        return str(entry[1])
    return f"{entry.__module__}.{entry.__qualname__}"


def named_entries_supported(torch: Any) -> bool:
    """Whether this torch matches ``(object, "full.name")`` allowlist entries by that name (the
    stand-ins need it). Checked once, on a throwaway name, inside a ``safe_globals`` context."""
    global _named_supported
    if _named_supported is None:
        probe = "ta_compat.shims.checkpoints.probe"
        try:
            with torch.serialization.safe_globals([(NodeData, probe)]):
                user_allowed = torch._weights_only_unpickler._get_user_allowed_globals()
            _named_supported = user_allowed.get(probe) is NodeData
        except Exception:
            _named_supported = False
    return _named_supported


_named_supported: Optional[bool] = None


def allowed_globals(torch_module: Any = None) -> List[Any]:
    """The allowlist as ``safe_globals`` entries, each bound to the exact name the pickle uses:
    ``(object, "module.name")`` pairs. Where this torch lacks such pairs, the classes whose own
    name is the pickled one, without the stand-ins (hydra-era checkpoints then fail as upstream)."""
    if torch_module is None:
        torch_module = import_module("torch")
    named = named_entries_supported(torch_module)
    entries: List[Any] = []
    for target, name in ALLOWLIST:
        obj = _resolve(target)
        if obj is None:
            continue
        if named:
            entries.append((obj, name))
        elif getattr(obj, "__module__", None) and f"{obj.__module__}.{getattr(obj, '__qualname__', '')}" == name:
            entries.append(obj)
    return entries


# --- when is the shim needed -------------------------------------------------------------------


def weights_only_by_default(torch: Any) -> bool:
    """True where a ``torch.load`` that passes no ``weights_only`` (lightning 2.6 passes None) runs
    the weights-only unpickler: torch >= 2.6, or ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` set."""
    serialization = torch.serialization
    if not hasattr(serialization, "safe_globals"):
        return False
    if os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true"):
        return True
    default = getattr(serialization, "_default_to_weights_only", None)
    if default is not None:
        return bool(default(None))  # None: the caller passed no pickle_module, as lightning does
    return tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 6)


# --- the scope: shared by concurrent and nested calls ----------------------------------------

_lock = threading.Lock()
_depth = 0
_context: Any = None  # the entered torch.serialization.safe_globals, while _depth > 0


def _enter(torch: Any) -> None:
    global _depth, _context
    with _lock:
        if _depth == 0:
            # Add only names not allowed yet: leaving removes what was added, and must not remove
            # (or shadow with a stand-in) what the user allowlisted process-wide.
            present: Set[str] = set()
            for entry in torch.serialization.get_safe_globals():
                try:
                    present.add(entry_name(entry))
                except Exception:
                    continue
            missing = [entry for entry in allowed_globals(torch) if entry_name(entry) not in present]
            context = torch.serialization.safe_globals(missing)
            context.__enter__()
            _context = context
        _depth += 1


def _exit() -> None:
    global _depth, _context
    with _lock:
        _depth -= 1
        if _depth == 0 and _context is not None:
            context, _context = _context, None
            context.__exit__(None, None, None)


class pyannote_loading:
    """Context manager: pyannote's checkpoint names are allowed while at least one is open."""

    def __enter__(self) -> None:
        import torch

        _enter(torch)

    def __exit__(self, *exc: Any) -> None:
        _exit()


def _major_version(module: Any) -> int:
    try:
        return int(str(getattr(module, "__version__", "0")).split(".")[0])
    except ValueError:
        return 0


def apply(model_module: Any) -> List[str]:
    """Wrap ``Model.from_pretrained`` so pyannote's own ``torch.load`` calls accept its classes."""
    import torch

    model_class = model_module.Model
    current = model_class.__dict__.get("from_pretrained")
    original = getattr(current, "__func__", None)
    if original is None or is_ours(original) or not weights_only_by_default(torch):
        return []
    if _major_version(sys.modules.get("pyannote.audio")) >= 4:
        return []  # pyannote 4 loads its checkpoints with weights_only=False itself

    @functools.wraps(original)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        with pyannote_loading():
            return original(cls, *args, **kwargs)

    model_class.from_pretrained = classmethod(mark(from_pretrained))
    return [f"{model_module.__name__}.Model.from_pretrained"]
