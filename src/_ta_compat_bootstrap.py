"""Start-up hook of ta-compat, run by ``compat_autoload.pth`` in every interpreter of the venv.

It is the only code on the start-up path, so it imports nothing but ``sys`` (``os`` only at
fire time), never raises, and installs one ``sys.meta_path`` finder. Every kind of install
(wheel, editable) puts this file beside the ``.pth``, so the ``.pth`` is the plain import line:
site compiles nothing more at each start. The finder waits for a
target module (``torchaudio``, pyannote's model module) to execute and only then
imports ``ta_compat`` to apply the shims for it. Heavy libraries are never imported here.

The finder asks the finders behind it for the real spec (never ``importlib.util.find_spec``,
which would re-enter the import system and can deadlock) and wraps ``exec_module`` on that
spec's own loader instance, guarded by module name, so ``__loader__``, ``isinstance`` checks
and ``importlib.resources`` see the real loader. ``install()`` is a permanent public contract:
``.pth`` and ``.start`` files of every installed version call it by this name.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: at run time this module imports nothing but sys
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, Dict, Optional, Sequence

#: Modules whose execution triggers shims; ``ta_compat.families`` maps them to shim families.
TARGETS = frozenset({"torchaudio", "pyannote.audio.core.model", "pyannote.audio.core.pipeline"})

#: ``TA_COMPAT_DISABLE`` values that turn every shim off (a comma list names single families).
_ALL_OFF = frozenset({"1", "true", "yes", "on", "all", "*"})


def disabled_all() -> bool:
    """True when ``TA_COMPAT_DISABLE`` turns every shim off; read at install and at fire time."""
    import os  # already loaded by site; imported here so module import stays at ``sys`` only

    return os.environ.get("TA_COMPAT_DISABLE", "").strip().lower() in _ALL_OFF


class _Finder:
    """Meta path finder that hooks the execution of the target modules (and nothing else)."""

    def find_spec(
        self, fullname: str, path: "Optional[Sequence[str]]" = None, target: "Optional[ModuleType]" = None
    ) -> "Optional[ModuleSpec]":
        if fullname not in TARGETS:
            return None
        spec: Optional[ModuleSpec] = None
        try:
            meta_path = sys.meta_path
            for finder in meta_path[meta_path.index(self) + 1 :]:
                find_spec = getattr(finder, "find_spec", None)
                if find_spec is not None:
                    spec = find_spec(fullname, path, target)
                    if spec is not None:
                        break
            if spec is not None and spec.loader is not None:
                _wrap_loader(spec.loader, fullname)
        except Exception:  # the import proceeds unhooked rather than fail
            pass
        return spec


def _wrap_loader(loader: "Any", fullname: str) -> None:
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
    shadowed = own.get(method, _Finder)  # another hook's instance attribute, restored after
    original = getattr(loader, method)

    # Not measurable: the code object is renamed below, so coverage cannot tell its lines are
    # ours. Every test of the hook runs it (and asserts what it does).
    def run(arg: "Any") -> "Any":  # pragma: no cover
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
                if restore is _Finder:
                    delattr(loader, method)
                else:
                    setattr(loader, method, restore)
        _fire(fullname, result if method == "load_module" else arg)
        return result

    run.__dict__.update(_ta_compat_target=fullname, _ta_compat_next=original, _ta_compat_shadowed=shadowed)
    # An error raised by the target keeps its exact traceback: CPython trims the import
    # machinery's frames from it, and this names the wrapper's frame as part of it.
    run.__code__ = run.__code__.replace(co_filename="<frozen importlib._bootstrap>")
    setattr(loader, method, run)


#: Target name -> the module object its shims were last applied to (``install()`` skips those).
_fired: "Dict[str, ModuleType]" = {}


def _fire(fullname: str, module: "ModuleType") -> None:
    """Apply the shims of ``fullname``; any failure becomes a warning, never a failed import."""
    try:
        if disabled_all():
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


def _package_findable() -> bool:
    """Whether ``ta_compat`` can be imported: beside this module (a wheel install: one ``stat``),
    else through the finders (an editable install, whose checkout may have moved or gone)."""
    import os

    if os.path.isdir(os.path.join(os.path.dirname(__file__), "ta_compat")):
        return True
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None and find_spec("ta_compat", None) is not None:
            return True
    return False


_reported = False


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


def install() -> None:
    """Install the lazy hook (idempotent, never raises) and shim targets already imported."""
    global _reported
    try:
        if disabled_all():
            return
        if not any(type(finder).__name__ == "_Finder" and finder.__module__ == __name__ for finder in sys.meta_path):
            sys.meta_path.insert(0, _Finder())
        if not _reported and not _package_findable():
            _reported = True  # once, though venvs run the .pth twice
            sys.stderr.write(
                "ta-compat: the shims are off: the ta_compat package is missing (an editable checkout "
                "moved or deleted?); reinstall or uninstall ta-compat\n"
            )
        for name in TARGETS:
            module = sys.modules.get(name)
            if module is None or _fired.get(name) is module:
                continue  # not imported yet (the finder will fire), or already shimmed
            spec = getattr(module, "__spec__", None)
            if not getattr(spec, "_initializing", False):  # half-initialised: cannot be shimmed now
                _fire(name, module)
    except Exception:
        pass
