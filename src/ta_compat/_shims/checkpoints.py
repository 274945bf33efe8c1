"""Let pyannote 3.x checkpoints load under torch >= 2.6 (``torch.load(weights_only=True)``).

``weights_only`` stays on and ``torch.load`` is left alone. torch's allowlist is widened, with
``torch.serialization``'s own API, by the exact names pyannote checkpoints pickle, in two reaches:

* **Process-wide**, once pyannote's model module is imported: the pyannote names, whose allowed
  objects can neither run anything nor change an object the checkpoint did not create.
  ``TorchVersion`` (``torch.torch_version``) is a ``str`` subclass with ``__slots__ = ()``;
  ``Specifications`` (a dataclass of plain fields) and ``Introspection`` (an empty class) are
  rebuilt as new objects from plain data. ``Problem`` and ``Resolution`` are enums, whose members
  are shared singletons: allowing the classes would let a checkpoint look a member up
  (``Problem(1)``) and then set attributes on it, with the unpickler's ``BUILD`` or the
  default-allowed ``torch._tensor._rebuild_from_type_v2``, rewriting that member for the rest of
  the process. Their names are bound to ``EnumByValue`` stand-ins instead: calling one returns
  the member for a value, as the class does, but it is no class, so neither can reach the
  member. A plain ``torch.load``, lightning's ``load_from_checkpoint`` and the ``Trainer`` (``fit``,
  ``validate``, ``test``, ``predict`` with ``ckpt_path``) then load pyannote 3.x checkpoints.
* **Scoped**, while pyannote or lightning loads a pyannote model (``Model.from_pretrained``, which
  ``Pipeline.from_pretrained``, ``Inference`` and ``get_model`` use; ``load_from_checkpoint`` of a
  pyannote model class; the ``Trainer``'s checkpoint connector while it holds one): the generic
  names that pre-3.0, hydra-trained checkpoints add. ``builtins.list/dict/int``,
  ``collections.defaultdict`` and ``typing.Any`` are constructors of plain values (``typing.Any``
  cannot even be instantiated), but other checkpoints have no business with them. The omegaconf
  names (``ListConfig``, ``AnyNode``, ``Metadata``, ``ContainerMetadata``; a hydra checkpoint
  stores Adam's ``betas`` as a ``ListConfig``) are **not** mapped to omegaconf's classes:
  omegaconf runs its own code in ``__setstate__`` and resolves ``${...}`` interpolations with
  whatever resolvers the process registered (``eval`` is a common one), so a crafted value could
  reach a resolver once pyannote or lightning looks at it. They are mapped to inert stand-ins
  below that rebuild a ``ListConfig`` as a plain ``list`` of its values; interpolation strings
  stay strings, and omegaconf need not be installed.

Both reaches are ``ta_compat._allowlist``'s, shared with the other checkpoint families: the scope is
shared by nested and concurrent calls and ends when the last one returns, a ``KeyboardInterrupt``
landing as it starts or ends never leaves the names allowed, and a name the user allowlisted is
left alone.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib import import_module
from typing import Any, List, Tuple

from .._allowlist import Entry, Scope, allow_process_wide, weights_only_by_default
from .._allowlist import reset as reset  # the family's reset(): the allowlist's cache of torch's rules
from .._marker import is_ours, mark

# --- stand-ins -----------------------------------------------------------------------------------


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


# --- what is allowed, and where ------------------------------------------------------------------

#: Allowed for the whole process once pyannote's model module is imported (inert, see above).
PROCESS_WIDE: Tuple[Entry, ...] = (
    ("torch.torch_version:TorchVersion", "torch.torch_version.TorchVersion"),
    ("pyannote.audio.core.task:Specifications", "pyannote.audio.core.task.Specifications"),
    ("pyannote.audio.core.task:Problem", "pyannote.audio.core.task.Problem"),
    ("pyannote.audio.core.task:Resolution", "pyannote.audio.core.task.Resolution"),
    ("pyannote.audio.core.model:Introspection", "pyannote.audio.core.model.Introspection"),
)

#: Allowed only while pyannote or lightning loads a pyannote model (pre-3.0, hydra-era content).
SCOPED: Tuple[Entry, ...] = (
    (ListConfigData, "omegaconf.listconfig.ListConfig"),
    (MetadataData, "omegaconf.base.ContainerMetadata"),
    ("typing:Any", "typing.Any"),
    ("builtins:list", "builtins.list"),
    ("collections:defaultdict", "collections.defaultdict"),
    ("builtins:dict", "builtins.dict"),
    ("builtins:int", "builtins.int"),
    (NodeData, "omegaconf.nodes.AnyNode"),
    (MetadataData, "omegaconf.base.Metadata"),
)


#: The scope of pyannote's loading.
PYANNOTE_LOADING = Scope("pyannote", SCOPED)


# --- the shim ----------------------------------------------------------------------------------


def apply(model_module: Any) -> List[str]:
    """Allow the inert pyannote names for the process, and scope the generic ones to pyannote's
    ``Model.from_pretrained``, ``Model.load_from_checkpoint`` and lightning's checkpoint connector."""
    import torch

    model_class = model_module.Model
    if not weights_only_by_default(torch) or _major_version(sys.modules.get("pyannote.audio")) >= 4:
        return []  # torch < 2.6 loads anything; pyannote 4 loads with weights_only=False itself
    patched = [f"torch.serialization safe global {name}" for name in allow_process_wide(PROCESS_WIDE, torch)]
    patched += _scope_from_pretrained(model_class, f"{model_module.__name__}.Model")
    patched += _scope_load_from_checkpoint(model_class, f"{model_module.__name__}.Model")
    patched += _scope_checkpoint_connector(model_module.__name__)
    return patched


def _scope_from_pretrained(model_class: Any, qualified: str) -> List[str]:
    current = model_class.__dict__.get("from_pretrained")
    original = getattr(current, "__func__", None)
    if original is None or is_ours(original):
        return []
    model_class.from_pretrained = classmethod(PYANNOTE_LOADING(original))
    return [f"{qualified}.from_pretrained"]


def _scope_load_from_checkpoint(model_class: Any, qualified: str) -> List[str]:
    """Give pyannote's ``Model`` its own ``load_from_checkpoint``: lightning's, scoped. The
    descriptor keeps lightning's type (``_restricted_classmethod`` refuses calls on instances)."""
    if is_ours(getattr(model_class.__dict__.get("load_from_checkpoint"), "__func__", None)):
        return []
    descriptor: Any = next(
        (vars(klass)["load_from_checkpoint"] for klass in model_class.__mro__ if "load_from_checkpoint" in vars(klass)),
        None,
    )
    original = getattr(descriptor, "__func__", None)
    if original is None:
        return []
    model_class.load_from_checkpoint = type(descriptor)(PYANNOTE_LOADING(original))
    return [f"{qualified}.load_from_checkpoint"]


def _scope_checkpoint_connector(model_module_name: str) -> List[str]:
    """Scope the ``Trainer``'s checkpoint loading (``fit``/``validate``/``test``/``predict`` with
    ``ckpt_path``, all through ``_CheckpointConnector.resume_start``) while it holds a pyannote
    model. pyannote 3.x models are ``pytorch_lightning`` modules, so only that copy of lightning."""
    try:
        connector = import_module("pytorch_lightning.trainer.connectors.checkpoint_connector")._CheckpointConnector
    except (ImportError, AttributeError):
        return []
    original = connector.__dict__.get("resume_start")
    if original is None or is_ours(original):
        return []
    original_in_scope = PYANNOTE_LOADING(original)

    @functools.wraps(original)
    def resume_start(self: Any, *args: Any, **kwargs: Any) -> Any:
        model_class = getattr(sys.modules.get(model_module_name), "Model", None)  # after a reload too
        module = getattr(self.trainer, "lightning_module", None)
        if model_class is not None and isinstance(module, model_class):
            return original_in_scope(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    connector.resume_start = mark(resume_start)
    return [f"{connector.__module__}._CheckpointConnector.resume_start"]


def _major_version(module: Any) -> int:
    try:
        return int(str(getattr(module, "__version__", "0")).split(".")[0])
    except ValueError:
        return 0


# --- the doctor's probe ----------------------------------------------------------------------


def probe(folder: str) -> None:
    """Load a WeSpeaker and (pyannote 3.x) a segmentation checkpoint the ways users do."""
    import pyannote.audio
    from pyannote.audio import Model

    from .._fixtures import write_segmentation_checkpoint, write_wespeaker_checkpoint

    Model.from_pretrained(write_wespeaker_checkpoint(os.path.join(folder, "pytorch_model.bin")))
    if not str(pyannote.audio.__version__).startswith("3."):
        return  # pyannote 4 loads with weights_only=False itself; the family stands aside there
    import torch
    from pyannote.audio.models.segmentation import PyanNet

    path = write_segmentation_checkpoint(os.path.join(folder, "segmentation.ckpt"))
    PyanNet.load_from_checkpoint(path)  # lightning's loading (Trainer(ckpt_path=...) uses the same)
    torch.load(path)  # a plain load, once pyannote is imported
