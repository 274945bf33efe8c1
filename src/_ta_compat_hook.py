"""The import hook's work, imported by ``_ta_compat_bootstrap`` when a target is first looked up.

Kept out of the start-up module so that a bare interpreter start builds none of it, and out of
the ``ta_compat`` package so that a lookup alone (``importlib.util.find_spec``) imports nothing
more than this: installed beside the bootstrap, stdlib ``sys`` only. For a target it asks the
finders behind the bootstrap for the real spec (never ``importlib.util.find_spec``, which would
re-enter the import system and can deadlock) and replaces ``exec_module`` on that spec's own
loader instance with a ``ShimmingExec``, guarded by module name, so ``__loader__``,
``isinstance`` checks and ``importlib.resources`` see the real loader. Like the bootstrap, it
never raises into an import.

A target the library needs but the environment lacks (``pkg_resources``, gone from setuptools
>= 82, see ``_ta_compat_bootstrap.STAND_INS``) gets a stand-in, and only then: the finders behind
are asked first, so an installed module always wins, and only where none finds it and a family
of the target is on does ``find_spec`` answer with an empty module (``StandInLoader``) that the
families' preparations fill as it executes. The bootstrap's per-import cost stays one set lookup
(the name is simply one more target); ta-compat is imported only for a lookup that would have
failed anyway. A stand-in nothing filled (its family failed) raises the ``ModuleNotFoundError``
the import would have raised without ta-compat.
"""

from __future__ import annotations

import sys

import _ta_compat_bootstrap
from _ta_compat_bootstrap import warn

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: at run time this module imports nothing but sys
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, Dict, Optional, Sequence


def find_spec(fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType]) -> Optional[ModuleSpec]:
    """The spec of ``fullname`` from the finders behind the bootstrap, its loader wrapped."""
    spec: Optional[ModuleSpec] = None
    try:
        meta_path = sys.meta_path
        for finder in meta_path[meta_path.index(_ta_compat_bootstrap) + 1 :]:
            finder_find_spec = getattr(finder, "find_spec", None)
            if finder_find_spec is not None:
                spec = finder_find_spec(fullname, path, target)
                if spec is not None:
                    break
        if spec is None and fullname in _ta_compat_bootstrap.STAND_INS and _stand_in_wanted(fullname):
            from importlib.machinery import ModuleSpec

            loader = StandInLoader()  # the loader protocol, without importing importlib.abc for its base class
            spec = ModuleSpec(fullname, loader, origin=_ta_compat_bootstrap.STAND_IN_ORIGIN)  # type: ignore[arg-type]
        if spec is not None and spec.loader is not None:
            ShimmingExec.wrap(spec.loader, fullname)
    except Exception:  # the import proceeds unhooked rather than fail
        pass
    return spec


def _stand_in_wanted(fullname: str) -> bool:
    """Whether a family that fills a stand-in for ``fullname`` is on (``TA_COMPAT_DISABLE``)."""
    try:
        from ta_compat import _dispatch as dispatch
    except Exception:  # the package is gone or broken: the import fails as it would without us
        return False
    return dispatch.enabled_for(fullname)


class StandInLoader:
    """The loader of a stand-in module: an empty module, filled by the families' preparations
    (``ShimmingExec`` runs them just before ``exec_module``)."""

    def create_module(self, spec: ModuleSpec) -> None:
        """The default module."""
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to execute; a module no preparation filled is the import's original failure."""
        if not getattr(module, "__ta_compat__", False):  # ``ta_compat.marker.PATCHED_MARKER``
            raise ModuleNotFoundError(f"No module named {module.__name__!r}", name=module.__name__)


_ABSENT = object()


class ShimmingExec:
    """Stands in for ``loader.exec_module`` (an instance attribute) until ``target`` executes.

    It runs the families' preparations just before the target's code executes and their shims
    right after, then puts back what it replaced. A loader can be shared by many modules
    (``zipimport`` serves a whole zip with one instance), so every other module passes through
    untouched. Other hooks may wrap the same method before or after us; ``shadowed`` is what
    this one replaced, and finished wrappers are skipped when restoring. The model is wrapt's
    ``_ImportHookChainedLoader`` (``wrapt/importer.py``), which wraps by name the same way.
    """

    __slots__ = ("done", "loader", "method", "original", "shadowed", "target")

    def __init__(self, loader: Any, method: str, target: str) -> None:
        own = vars(loader)
        self.loader = loader
        self.method = method  # "exec_module", or "load_module" for Python 3.9's zipimport
        self.target = target
        self.original = getattr(loader, method)
        self.shadowed = own.get(method, _ABSENT)  # another hook's instance attribute, restored after
        self.done = False

    @classmethod
    def wrap(cls, loader: Any, target: str) -> None:
        """Wrap ``loader`` for ``target``, unless it cannot be (no instance ``__dict__``) or is
        already: an ``importlib.util.find_spec`` probe before the import would otherwise fire twice."""
        if not hasattr(loader, "__dict__"):
            return
        method = "exec_module" if hasattr(loader, "exec_module") else "load_module"
        link = vars(loader).get(method)
        while isinstance(link, cls):
            if link.target == target and not link.done:
                return
            link = link.original
        setattr(loader, method, cls(loader, method, target))

    def __call__(self, arg: Any) -> Any:  # pragma: no cover  (renamed below: coverage cannot see it)
        name = arg if self.method == "load_module" else getattr(arg, "__name__", None)
        if name != self.target:
            return self.original(arg)
        if self.method == "exec_module":
            fire(self.target, arg, before=True)
        try:
            result = self.original(arg)
        finally:
            self.done = True
            self._restore()
        fire(self.target, result if self.method == "load_module" else arg)
        return result

    def _restore(self) -> None:
        """Put back what this wrapper replaced, skipping wrappers that finished meanwhile."""
        if vars(self.loader).get(self.method) is not self:
            return  # wrapped again on top of us; that wrapper restores past us when it finishes
        restore = self.shadowed
        while isinstance(restore, ShimmingExec) and restore.done:
            restore = restore.shadowed
        if restore is _ABSENT:
            delattr(self.loader, self.method)
        else:
            setattr(self.loader, self.method, restore)


# An error raised by the target keeps its exact traceback: CPython trims the import machinery's
# frames from it, and this names the wrapper's frame as part of that machinery.
ShimmingExec.__call__.__code__ = ShimmingExec.__call__.__code__.replace(co_filename="<frozen importlib._bootstrap>")


#: Target name -> the module object its shims were last applied to (``fire_imported`` skips those).
_fired: Dict[str, ModuleType] = {}


def fire(fullname: str, module: ModuleType, before: bool = False) -> None:
    """Apply the families of ``fullname`` (``before``: their preparations, as it starts to execute);
    any failure becomes a warning, never a failed import."""
    try:
        if _ta_compat_bootstrap.disabled_all():
            return
        try:
            from ta_compat import _dispatch as dispatch
        except Exception as exc:
            if before:
                return  # it fails the same way once the target has executed: one warning, from there
            if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] == "ta_compat":
                return  # gone (reported at start-up), or sys.path rewritten since (pip's build isolation)
            raise
        if before:
            dispatch.prepare_target(fullname, module)
            return
        _fired[fullname] = module
        dispatch.apply_target(fullname, module)
    except Exception as exc:
        warn(f"ta-compat: shims for {fullname!r} failed and were skipped: {exc!r}")


def fire_imported() -> None:
    """Shim the targets imported before the hook was installed (``install()`` after the fact)."""
    for name in _ta_compat_bootstrap.TARGETS:
        module = sys.modules.get(name)
        if module is None or _fired.get(name) is module:
            continue  # not imported yet (the finder will fire), or already shimmed
        spec = getattr(module, "__spec__", None)
        if not getattr(spec, "_initializing", False):  # half-initialised: cannot be shimmed now
            fire(name, module)


def reset() -> None:
    """Forget which targets were shimmed (``_ta_compat_bootstrap.uninstall`` calls it)."""
    _fired.clear()
