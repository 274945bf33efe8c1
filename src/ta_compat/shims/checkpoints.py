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
  stay strings, and omegaconf need not be installed. The scope is shared by nested and
  concurrent calls and ends when the last one returns; a ``KeyboardInterrupt`` landing as it
  starts or ends never leaves the names allowed.

A name the user allowlisted (process-wide or in a ``safe_globals`` block) is left alone: nothing
is added under that name, and nothing of theirs is removed.
"""

from __future__ import annotations

import enum
import functools
import os
import signal
import sys
import threading
from importlib import import_module
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple, TypeVar

from ..marker import is_ours, mark

F = TypeVar("F", bound=Callable[..., Any])

# --- stand-ins -----------------------------------------------------------------------------------


class EnumByValue:
    """Stands in for an ``Enum`` class in checkpoints: returns the member for a value, like the
    class, without being one (see the module docstring: ``BUILD`` only sets attributes on objects
    of allowlisted types, and no allowlisted type is an ``Enum`` then). ``Problem(1)`` is pickled
    as a call of the class with the value, so checkpoints load unchanged."""

    __slots__ = ("enum",)

    def __init__(self, enum: Any) -> None:
        self.enum = enum

    def __call__(self, value: Any) -> Any:
        return self.enum(value)

    def __repr__(self) -> str:
        return f"EnumByValue({self.enum.__module__}.{self.enum.__qualname__})"


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

#: (object or ``"module:attribute"`` to import, the full name the pickle uses). An ``Enum`` is
#: allowed as its ``EnumByValue``; entries whose module is not installed are skipped.
Entry = Tuple[Any, str]

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


def entry_name(entry: Any) -> str:
    """The full name torch matches a ``safe_globals`` entry against (``module.qualname``)."""
    if isinstance(entry, tuple):
        return str(entry[1])
    return f"{entry.__module__}.{entry.__qualname__}"


def named_entries_supported(torch: Any) -> bool:
    """Whether this torch matches ``(object, "full.name")`` allowlist entries by that name (the
    stand-ins need it). Checked once, on a made-up name bound to an inert stand-in."""
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


def allowed_globals(entries: Sequence[Entry], torch_module: Any = None) -> List[Any]:
    """``entries`` as ``safe_globals`` entries, each bound to the exact name the pickle uses:
    ``(object, "module.name")`` pairs. Where this torch lacks such pairs, only the classes whose
    own name is the pickled one, and never an ``Enum`` (hydra-era checkpoints, and everything
    with ``Specifications``, then fail as upstream)."""
    if torch_module is None:
        torch_module = import_module("torch")
    named = named_entries_supported(torch_module)
    allowed: List[Any] = []
    for target, name in entries:
        obj = _resolve(target)
        if obj is None:
            continue
        if named:
            allowed.append((obj, name))
        elif not isinstance(obj, EnumByValue) and f"{obj.__module__}.{getattr(obj, '__qualname__', '')}" == name:
            allowed.append(obj)
    return allowed


def _resolve(target: Any) -> Optional[Any]:
    """The object to allow for a ``PROCESS_WIDE``/``SCOPED`` entry (an ``Enum``'s ``EnumByValue``),
    or None where its module is missing."""
    if not isinstance(target, str):
        return target
    module_name, _, name = target.partition(":")
    try:
        obj = getattr(import_module(module_name), name)
    except (ImportError, AttributeError):
        return None
    return EnumByValue(obj) if isinstance(obj, type) and issubclass(obj, enum.Enum) else obj


def _names_present(torch: Any) -> Set[str]:
    """The names torch's allowlist already has (the user's, or ours)."""
    present: Set[str] = set()
    for entry in torch.serialization.get_safe_globals():
        try:
            present.add(entry_name(entry))
        except Exception:
            continue
    return present


# --- when is the shim needed -------------------------------------------------------------------


def weights_only_by_default(torch: Any) -> bool:
    """True where a ``torch.load`` that passes no ``weights_only`` (lightning 2.6 passes None) runs
    the weights-only unpickler: torch >= 2.6, or ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` set."""
    serialization = torch.serialization
    if not hasattr(serialization, "safe_globals"):  # torch 2.5 added it, after add_safe_globals
        return False
    if os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true"):
        return True
    default = getattr(serialization, "_default_to_weights_only", None)
    if default is not None:
        return bool(default(None))  # None: the caller passed no pickle_module, as lightning does
    return tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 6)


# --- the scope: shared by concurrent and nested calls ----------------------------------------


def scoped(loader: F) -> F:
    """``loader`` with every allowlist name allowed while it runs (see ``_hold``/``_release``)."""

    @functools.wraps(loader)
    def within_scope(*args: Any, **kwargs: Any) -> Any:
        claim = _Claim()
        try:
            try:
                _hold(claim)
                return loader(*args, **kwargs)
            finally:
                _release(claim)
        finally:
            # A no-op once the claim is released; it releases it if an interrupt landed on the
            # way to the first call, before that one could defer interrupts.
            _release(claim)

    return mark(within_scope)  # type: ignore[return-value]


class _Claim:
    """One scoped call's hold on the scope: released once, however often it is asked to be."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = False


_lock = threading.Lock()
_holders = 0
_context: Any = None  # the entered torch.serialization.safe_globals, while _holders > 0


def _hold(claim: _Claim) -> None:
    """Open the scope for ``claim`` (the first holder widens torch's allowlist)."""
    global _holders, _context
    import torch

    with _InterruptsDeferred(), _lock:
        if claim.held:
            return
        if _holders == 0:
            # Only names not allowed yet: leaving removes what was added, and must not remove
            # (or shadow with a stand-in) what the user allowlisted.
            present = _names_present(torch)
            missing = [
                entry for entry in allowed_globals(PROCESS_WIDE + SCOPED, torch) if entry_name(entry) not in present
            ]
            _context = torch.serialization.safe_globals(missing)
            _context.__enter__()
        _holders += 1
        claim.held = True


def _release(claim: _Claim) -> None:
    """Close the scope for ``claim`` (the last holder narrows torch's allowlist again)."""
    global _holders, _context
    with _InterruptsDeferred(), _lock:
        if not claim.held:
            return
        claim.held = False
        _holders -= 1
        if _holders == 0 and _context is not None:
            context, _context = _context, None
            context.__exit__(None, None, None)


class _InterruptsDeferred:
    """Context manager: a SIGINT (``KeyboardInterrupt``, ``_thread.interrupt_main``) that arrives
    inside the block is handled right after it, so the scope's bookkeeping is never cut in half.

    Python runs signal handlers in the main thread only, between bytecodes; there the handler is
    swapped for one that records the signal, and the recorded one is passed to the original
    handler once the block is done. ``signal.signal`` itself runs pending handlers before it swaps,
    so an interrupt either lands before the block starts or after it ends. Other threads are never
    interrupted and keep the handler as it is."""

    __slots__ = ("previous", "received")

    def __enter__(self) -> None:
        self.previous: Any = None
        self.received: Optional[Tuple[int, Any]] = None
        if threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signal.SIGINT)
        if callable(current):  # a Python-level handler (not SIG_DFL/SIG_IGN, not set from C)
            self.previous = current
            try:
                signal.signal(signal.SIGINT, self._record)
            except ValueError:  # a subinterpreter's main thread: its signals go elsewhere
                self.previous = None

    def __exit__(self, *exc: Any) -> None:
        previous = self.previous
        if previous is None:
            return
        self.previous = None
        signal.signal(signal.SIGINT, previous)
        if self.received is not None:
            previous(*self.received)

    def _record(self, signum: int, frame: Any) -> None:
        self.received = (signum, frame)


# --- the shim ----------------------------------------------------------------------------------


def apply(model_module: Any) -> List[str]:
    """Allow the inert pyannote names for the process, and scope the generic ones to pyannote's
    ``Model.from_pretrained``, ``Model.load_from_checkpoint`` and lightning's checkpoint connector."""
    import torch

    model_class = model_module.Model
    if not weights_only_by_default(torch) or _major_version(sys.modules.get("pyannote.audio")) >= 4:
        return []  # torch < 2.6 loads anything; pyannote 4 loads with weights_only=False itself
    patched = _allow_process_wide(torch)
    patched += _scope_from_pretrained(model_class, f"{model_module.__name__}.Model")
    patched += _scope_load_from_checkpoint(model_class, f"{model_module.__name__}.Model")
    patched += _scope_checkpoint_connector(model_module.__name__)
    return patched


def _allow_process_wide(torch: Any) -> List[str]:
    """Add the ``PROCESS_WIDE`` names torch's allowlist lacks; returns them (as patched names)."""
    present = _names_present(torch)
    missing = [entry for entry in allowed_globals(PROCESS_WIDE, torch) if entry_name(entry) not in present]
    if missing:
        torch.serialization.add_safe_globals(missing)
    return [f"torch.serialization safe global {entry_name(entry)}" for entry in missing]


def _scope_from_pretrained(model_class: Any, qualified: str) -> List[str]:
    current = model_class.__dict__.get("from_pretrained")
    original = getattr(current, "__func__", None)
    if original is None or is_ours(original):
        return []
    model_class.from_pretrained = classmethod(scoped(original))
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
    model_class.load_from_checkpoint = type(descriptor)(scoped(original))
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
    original_in_scope = scoped(original)

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

    from ..fixtures import write_segmentation_checkpoint, write_wespeaker_checkpoint

    Model.from_pretrained(write_wespeaker_checkpoint(os.path.join(folder, "pytorch_model.bin")))
    if not str(pyannote.audio.__version__).startswith("3."):
        return  # pyannote 4 loads with weights_only=False itself; the family stands aside there
    import torch
    from pyannote.audio.models.segmentation import PyanNet

    path = write_segmentation_checkpoint(os.path.join(folder, "segmentation.ckpt"))
    PyanNet.load_from_checkpoint(path)  # lightning's loading (Trainer(ckpt_path=...) uses the same)
    torch.load(path)  # a plain load, once pyannote is imported
