"""The import hook's work, imported by ``_ta_compat_bootstrap`` when a target is first looked up.

Kept out of the start-up module so that a bare interpreter start builds none of it, and out of
the ``ta_compat`` package so that a lookup alone (``importlib.util.find_spec``) imports nothing
more than this: installed beside the bootstrap, stdlib ``sys`` only. For a target it asks the
finders behind the bootstrap for the real spec (never ``importlib.util.find_spec``, which would
re-enter the import system and can deadlock) and wraps ``exec_module`` on that spec's own loader
instance, guarded by module name, so ``__loader__``, ``isinstance`` checks and
``importlib.resources`` see the real loader. Like the bootstrap, it never raises into an import.
"""

from __future__ import annotations

import sys

import _ta_compat_bootstrap

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
        if spec is not None and spec.loader is not None:
            _wrap_loader(spec.loader, fullname)
    except Exception:  # the import proceeds unhooked rather than fail
        pass
    return spec


_ABSENT = object()


def _wrap_loader(loader: Any, fullname: str) -> None:
    """Run the shims right after ``loader`` executes ``fullname``; restore the loader after.

    A loader can be shared by many modules (``zipimport`` serves a whole zip with one
    instance), so the wrapper passes every other module through untouched and stays until
    ``fullname`` itself executes. A loader already carrying a wrapper for ``fullname`` is left
    alone: an ``importlib.util.find_spec`` probe before the import would otherwise fire twice.
    """
    own = vars(loader) if hasattr(loader, "__dict__") else None
    if own is None:
        return
    method = "exec_module" if hasattr(loader, "exec_module") else "load_module"  # 3.9 zipimport
    link = own.get(method)
    while link is not None:
        if getattr(link, "_ta_compat_target", None) == fullname:
            return
        link = getattr(link, "_ta_compat_next", None)
    shadowed = own.get(method, _ABSENT)  # another hook's instance attribute, restored after
    original = getattr(loader, method)

    # Not measurable: the code object is renamed below, so coverage cannot tell its lines are
    # ours. Every test of the hook runs it (and asserts what it does).
    def run(arg: Any) -> Any:  # pragma: no cover
        name = arg if method == "load_module" else getattr(arg, "__name__", None)
        if name != fullname:
            return original(arg)
        try:
            result = original(arg)
        finally:
            run._ta_compat_done = True  # type: ignore[attr-defined]
            if vars(loader).get(method) is run:
                restore = shadowed  # skipping wrappers that finished while this one was on top
                while getattr(restore, "_ta_compat_done", False):
                    restore = restore._ta_compat_shadowed
                if restore is _ABSENT:
                    delattr(loader, method)
                else:
                    setattr(loader, method, restore)
        fire(fullname, result if method == "load_module" else arg)
        return result

    run.__dict__.update(_ta_compat_target=fullname, _ta_compat_next=original, _ta_compat_shadowed=shadowed)
    # An error raised by the target keeps its exact traceback: CPython trims the import
    # machinery's frames from it, and this names the wrapper's frame as part of it.
    run.__code__ = run.__code__.replace(co_filename="<frozen importlib._bootstrap>")
    setattr(loader, method, run)


#: Target name -> the module object its shims were last applied to (``fire_imported`` skips those).
_fired: Dict[str, ModuleType] = {}


def fire(fullname: str, module: ModuleType) -> None:
    """Apply the shims of ``fullname``; any failure becomes a warning, never a failed import."""
    try:
        if _ta_compat_bootstrap.disabled_all():
            return
        try:
            from ta_compat import _dispatch
        except ImportError as exc:
            if (exc.name or "").split(".")[0] == "ta_compat":
                return  # gone (reported at start-up), or sys.path rewritten since (pip's build isolation)
            raise
        _fired[fullname] = module
        _dispatch.apply_target(fullname, module)
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


def warn(message: str) -> None:
    """Emit a RuntimeWarning; if warnings are errors (``-W error``) print it instead of raising."""
    try:
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
    except Exception:
        try:  # noqa: SIM105  (contextlib is not loaded at start-up)
            sys.stderr.write(message + "\n")
        except Exception:
            pass
