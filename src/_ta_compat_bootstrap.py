"""Start-up hook of ta-compat, run by ``compat_autoload.pth`` in every interpreter of the venv.

It is the only code on the start-up path, so it imports nothing but ``sys`` (``os`` only at
fire time), never raises, and installs one ``sys.meta_path`` finder. The finder waits for a
target module (``torchaudio``, pyannote's model module) to execute and only then
imports ``ta_compat`` to apply the shims for it. Heavy libraries are never imported here.

The finder asks the finders behind it for the real spec (never ``importlib.util.find_spec``,
which would re-enter the import system and can deadlock) and wraps ``exec_module`` on that
spec's own loader instance, guarded by module name, so ``__loader__``, ``isinstance`` checks
and ``importlib.resources`` see the real loader. ``install()`` is a permanent public contract:
``.pth`` and ``.start`` files of every installed version call it by this name.
"""

import sys

#: Modules whose execution triggers shims; ``ta_compat.families`` maps them to shim families.
TARGETS = frozenset({"torchaudio", "pyannote.audio.core.model"})

#: ``TA_COMPAT_DISABLE`` values that turn every shim off (a comma list names single families).
_ALL_OFF = frozenset({"1", "true", "yes", "on", "all", "*"})


def disabled_all():
    """True when ``TA_COMPAT_DISABLE`` turns every shim off; read at install and at fire time."""
    import os  # already loaded by site; imported here so module import stays at ``sys`` only

    return os.environ.get("TA_COMPAT_DISABLE", "").strip().lower() in _ALL_OFF


class _Finder:
    """Meta path finder that hooks the execution of the target modules (and nothing else)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in TARGETS:
            return None
        spec = None
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


def _wrap_loader(loader, fullname):
    """Run the shims right after ``loader`` executes ``fullname``; restore the loader after."""
    own = vars(loader) if hasattr(loader, "__dict__") else None
    if own is None:
        return
    method = "exec_module" if hasattr(loader, "exec_module") else "load_module"
    shadowed = own.get(method, _Finder)  # another hook's instance attribute, restored after
    original = getattr(loader, method)

    def run(arg):
        try:
            result = original(arg)
        finally:
            if vars(loader).get(method) is run:
                if shadowed is _Finder:
                    delattr(loader, method)
                else:
                    setattr(loader, method, shadowed)
        module = result if method == "load_module" else arg
        if getattr(module, "__name__", None) == fullname:
            _fire(fullname, module)
        return result

    setattr(loader, method, run)


def _fire(fullname, module):
    """Apply the shims of ``fullname``; any failure becomes a warning, never a failed import."""
    try:
        if disabled_all():
            return
        try:
            from ta_compat import _dispatch
        except ImportError as exc:  # sys.path rewritten after start-up (pip build isolation)
            if (exc.name or "").split(".")[0] == "ta_compat":
                return
            raise
        _dispatch.apply_target(fullname, module)
    except Exception as exc:
        warn(f"ta-compat: shims for {fullname!r} failed and were skipped: {exc!r}")


def warn(message):
    """Emit a RuntimeWarning; if warnings are errors (``-W error``) print it instead of raising."""
    try:
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
    except Exception:
        try:
            sys.stderr.write(message + "\n")
        except Exception:
            pass


def install():
    """Install the lazy hook (idempotent, never raises) and shim targets already imported."""
    try:
        if disabled_all():
            return
        if not any(type(finder).__name__ == "_Finder" and finder.__module__ == __name__ for finder in sys.meta_path):
            sys.meta_path.insert(0, _Finder())
        for name in TARGETS:
            module = sys.modules.get(name)
            spec = getattr(module, "__spec__", None)
            if module is not None and not getattr(spec, "_initializing", False):
                _fire(name, module)
    except Exception:
        pass
