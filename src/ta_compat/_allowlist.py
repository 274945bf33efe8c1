"""torch's weights-only allowlist, widened by ta-compat's checkpoint families, shared by all of them.

``weights_only`` stays on and ``torch.load`` is left alone: each family names the exact globals its
library's checkpoints pickle, as ``(object or "module:attribute", "full.pickled.name")`` entries,
and allows them in one of two reaches:

* **process-wide** (``allow_process_wide``), for names whose objects can neither run anything nor
  change an object the checkpoint did not create;
* **scoped** (``Scope``), for names whose objects build things (model classes, reconstructors):
  allowed only while the library's own loader runs.

Entries are bound to the name the pickle uses (torch >= 2.6 matches ``(object, "full.name")``
pairs by that name), so a numpy-1 name such as ``numpy.core.multiarray.scalar`` can be answered
with numpy 2's object, and a name can be answered with an inert stand-in instead of the real class.

torch keeps one allowlist for the process, a set of entries, and its ``safe_globals`` context
removes on exit what it added on entry. Different scopes, and nested or concurrent calls of one,
often allow the same name, and exit in any order; so this module keeps the count of holders per
name, adds an entry when the first holder of its name arrives and removes it when the last one
leaves. A name the user allowlisted (process-wide or in a ``safe_globals`` block) is never added
again: nothing is shadowed under it, and nothing of theirs is removed. A ``KeyboardInterrupt``
landing as a scope opens or closes never leaves a name allowed or the counts half-updated.
"""

from __future__ import annotations

import enum
import functools
import os
import re
import signal
import sys
import threading
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, TypeVar

from ._marker import mark

__all__ = [
    "NUMPY_ARRAYS",
    "NUMPY_SCALARS",
    "Entry",
    "EnumByValue",
    "Scope",
    "allow_process_wide",
    "allowed_globals",
    "entry_name",
    "held_names",
    "imported_version",
    "named_entries_supported",
    "reset",
    "weights_only_by_default",
]

F = TypeVar("F", bound=Callable[..., Any])

#: (object or ``"module:attribute"`` to import, the full name the pickle uses). An ``Enum`` is
#: allowed as its ``EnumByValue``; entries whose module is not installed are skipped.
Entry = Tuple[Any, str]


class EnumByValue:
    """Stands in for an ``Enum`` class in checkpoints: returns the member for a value, like the
    class, without being one. Enum members are shared singletons: with the class allowed, a
    checkpoint could look a member up and then set attributes on it (the unpickler's ``BUILD``
    only sets attributes on objects of allowlisted types), rewriting it for the whole process.
    A member is pickled as a call of its class with the value, so checkpoints load unchanged."""

    __slots__ = ("enum",)

    def __init__(self, enum: Any) -> None:
        self.enum = enum

    def __call__(self, value: Any) -> Any:
        return self.enum(value)

    def __repr__(self) -> str:
        return f"EnumByValue({self.enum.__module__}.{self.enum.__qualname__})"


#: numpy scalars (``np.float64(1.5)``, a loss in a training state) as numpy 1 and numpy 2 pickle
#: them: the scalar reconstructor under both names, ``numpy.dtype`` (a dtype is rebuilt by calling
#: it, then ``BUILD`` sets its byte order) and the dtype classes that ``BUILD`` meets, as torch's
#: own ``torch.load`` documentation lists them. The reconstructor builds a scalar from a dtype and
#: bytes; nothing here reaches code outside numpy.
NUMPY_SCALARS: Tuple[Entry, ...] = (
    ("numpy._core.multiarray:scalar", "numpy.core.multiarray.scalar"),
    ("numpy._core.multiarray:scalar", "numpy._core.multiarray.scalar"),
    ("numpy:dtype", "numpy.dtype"),
    *(
        (f"numpy.dtypes:{kind}DType", f"numpy.dtypes.{kind}DType")
        for kind in ("Float64", "Float32", "Float16", "Int64", "Int32", "Int16", "Int8", "UInt8", "Bool")
    ),
)

#: numpy arrays, as numpy 1 and numpy 2 pickle them: ``_reconstruct`` makes an empty array of an
#: allowed type (``ndarray``), whose ``__setstate__`` fills it from the shape, dtype and bytes. An
#: object array holds only objects the unpickler built, each of an allowed type.
NUMPY_ARRAYS: Tuple[Entry, ...] = (
    ("numpy._core.multiarray:_reconstruct", "numpy.core.multiarray._reconstruct"),
    ("numpy._core.multiarray:_reconstruct", "numpy._core.multiarray._reconstruct"),
    ("numpy:ndarray", "numpy.ndarray"),
)


# --- entries -------------------------------------------------------------------------------------


def entry_name(entry: Any) -> str:
    """The full name torch matches a ``safe_globals`` entry against (``module.qualname``)."""
    if isinstance(entry, tuple):
        return str(entry[1])
    return f"{entry.__module__}.{entry.__qualname__}"


_named_supported: Optional[bool] = None


def reset() -> None:
    """Forget how this torch matches allowlist names (checked again at the next use); the names
    held by scopes in flight stay held."""
    global _named_supported
    _named_supported = None


class _Probe:
    """An inert class, allowed under a made-up name once to learn how this torch matches names."""

    __slots__ = ()


def named_entries_supported(torch: Any) -> bool:
    """Whether this torch matches ``(object, "full.name")`` allowlist entries by that name (the
    stand-ins and numpy-1 names need it). Checked once, on a made-up name bound to an inert class."""
    global _named_supported
    if _named_supported is None:
        probe = "ta_compat._allowlist.probe"
        try:
            with torch.serialization.safe_globals([(_Probe, probe)]):
                user_allowed = torch._weights_only_unpickler._get_user_allowed_globals()
            _named_supported = user_allowed.get(probe) is _Probe
        except Exception:
            _named_supported = False
    return _named_supported


def allowed_globals(entries: Sequence[Entry], torch_module: Any = None) -> List[Any]:
    """``entries`` as ``safe_globals`` entries, each bound to the exact name the pickle uses:
    ``(object, "module.name")`` pairs. Where this torch lacks such pairs, only the classes whose
    own name is the pickled one, and never an ``Enum`` (checkpoints needing the others then fail
    as upstream)."""
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
    """The object to allow for an entry's target (an ``Enum``'s ``EnumByValue``), or None where
    its module is missing."""
    if not isinstance(target, str):
        return target
    module_name, _, name = target.partition(":")
    try:
        obj: Any = import_module(module_name)
        for part in name.split("."):
            obj = getattr(obj, part)
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


# --- when is it needed -----------------------------------------------------------------------------


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


def imported_version(package: str) -> Tuple[int, ...]:
    """The leading numbers of an imported package's ``__version__`` (``()`` where it has none),
    for the families that stand aside where a library's newer release loads by itself."""
    leading = re.match(r"\d+(\.\d+)*", str(getattr(sys.modules.get(package), "__version__", "")))
    return tuple(int(number) for number in leading.group().split(".")) if leading else ()


# --- the shared table of what ta-compat added ------------------------------------------------------


@dataclass
class _Held:
    """One name ta-compat added to torch's allowlist: the ``safe_globals`` context that added it
    (exited to remove it), how many scoped calls hold it, and whether it stays for the process."""

    context: Any
    holders: int = 0
    permanent: bool = False


_lock = threading.Lock()
_held: Dict[str, _Held] = {}


def held_names() -> Dict[str, int]:
    """The names ta-compat added and still holds, with their scoped holders (-1: process-wide)."""
    with _lock:
        return {name: -1 if held.permanent else held.holders for name, held in _held.items()}


def _add(torch: Any, entry: Any) -> _Held:
    """Add ``entry`` to torch's allowlist through a ``safe_globals`` context of its own, so that
    exiting it removes exactly this entry, whatever else was added or removed meanwhile."""
    context = torch.serialization.safe_globals([entry])
    context.__enter__()
    return _Held(context)


def allow_process_wide(entries: Sequence[Entry], torch: Any) -> List[str]:
    """Allow ``entries`` for the rest of the process, where neither the user nor ta-compat has
    their names allowed for good yet; returns those names. A name a scope holds right now is
    kept when that scope closes."""
    added: List[str] = []
    with _InterruptsDeferred(), _lock:
        present = _names_present(torch)
        for entry in allowed_globals(entries, torch):
            name = entry_name(entry)
            held = _held.get(name)
            if held is not None and not held.permanent:
                held.permanent = True
            elif held is None and name not in present:
                held = _add(torch, entry)
                held.permanent = True
                _held[name] = held
            else:
                continue
            added.append(name)
    return added


class Scope:
    """The names a library's loader needs while it runs, and nowhere else.

    ``scope(loader)`` returns ``loader`` with them allowed during each call. Calls of one scope,
    and of different scopes, share the names they have in common: nested and concurrent calls
    keep a name allowed until the last of them returns (see ``_Held``)."""

    def __init__(self, library: str, entries: Sequence[Entry]) -> None:
        self.library = library
        self.entries = tuple(entries)

    def __repr__(self) -> str:
        return f"Scope({self.library!r}, {len(self.entries)} names)"

    def __call__(self, loader: F) -> F:
        """``loader`` with this scope's names allowed while it runs."""

        @functools.wraps(loader)
        def within_scope(*args: Any, **kwargs: Any) -> Any:
            claim = _Claim()
            try:
                try:
                    self._hold(claim)
                    return loader(*args, **kwargs)
                finally:
                    _release(claim)
            finally:
                # A no-op once the claim is released; it releases it if an interrupt landed on the
                # way to the first call, before that one could defer interrupts.
                _release(claim)

        return mark(within_scope)  # type: ignore[return-value]

    def _hold(self, claim: _Claim) -> None:
        """Count ``claim`` as a holder of each of this scope's names (the first holder of a name
        adds it, unless the user has it allowed already)."""
        import torch

        with _InterruptsDeferred(), _lock:
            if claim.names is not None:
                return
            present: Optional[Set[str]] = None
            claim.names = ()  # filled name by name: whatever happens, release undoes exactly these
            for entry in allowed_globals(self.entries, torch):
                name = entry_name(entry)
                held = _held.get(name)
                if held is None:
                    if present is None:
                        present = _names_present(torch)
                    if name in present:  # the user's: leave it be
                        continue
                    held = _held[name] = _add(torch, entry)
                held.holders += 1
                claim.names += (name,)


class _Claim:
    """One scoped call's hold on its names: released once, however often it is asked to be."""

    __slots__ = ("names",)

    def __init__(self) -> None:
        self.names: Optional[Tuple[str, ...]] = None  # None: not holding


def _release(claim: _Claim) -> None:
    """Stop counting ``claim`` as a holder (the last holder of a name removes it, unless it was
    allowed process-wide meanwhile)."""
    with _InterruptsDeferred(), _lock:
        names, claim.names = claim.names, None
        for name in names or ():
            held = _held[name]
            held.holders -= 1
            if held.holders == 0 and not held.permanent:
                del _held[name]
                held.context.__exit__(None, None, None)


class _InterruptsDeferred:
    """Context manager: a SIGINT (``KeyboardInterrupt``, ``_thread.interrupt_main``) that arrives
    inside the block is handled right after it, so the bookkeeping is never cut in half.

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
