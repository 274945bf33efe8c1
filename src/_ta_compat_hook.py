"""The import hook's work: everything of ta-compat's start-up hook but the finder itself.

``_ta_compat_bootstrap`` is what ``compat_autoload.pth`` imports at every interpreter start; to
stay cheap it holds only a finder that answers for a few module names. This module, installed
beside it and imported the first time one of those names is looked up (never at a bare start of
a wheel install), does the rest with stdlib ``sys`` only, and never raises into an import:

- for a target (``torchaudio``, some pyannote modules) it asks the finders behind the bootstrap
  for the real spec (never ``importlib.util.find_spec``, which would re-enter the import system
  and can deadlock) and replaces ``exec_module`` on that spec's own loader instance with a
  ``ShimmingExec``, guarded by module name, so ``__loader__``, ``isinstance`` checks and
  ``importlib.resources`` see the real loader;
- for ``ta_compat`` it answers with the installed package, so a ``ta_compat/`` folder in the
  script's or the working directory (which come first on ``sys.path``) never runs in its place;
- it parses the ``TA_COMPAT_*`` switches (``Switches``: the one parser), reads them once per
  target import and passes them down to the families;
- ``uninstall()`` takes the finder out and resets every piece of module state.

A target the library needs but the environment lacks (``pkg_resources``, gone from setuptools
>= 82: ``STAND_INS``) gets a stand-in, and only then: the finders behind are asked first, so an
installed module always wins, and only where none finds it and a family of the target is on does
``find_spec`` answer with an empty module (``StandInLoader``) that the families' preparations
fill as it executes. The bootstrap's per-import cost stays one set lookup (the name is simply one
more target); ta-compat is imported only for a lookup that would have failed anyway. A stand-in
nothing filled (its family failed) raises the ``ModuleNotFoundError`` the import would have
raised without ta-compat.
"""

from __future__ import annotations

import sys

import _ta_compat_bootstrap

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: at run time this module imports nothing but sys
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, Dict, FrozenSet, Mapping, Optional, Sequence


#: Modules whose execution triggers shims; ``ta_compat._families`` maps them to shim families (a
#: test checks both agree). The bootstrap watches the package of each (one module instead of many
#: in its set); this module is imported when the first of those is looked up, before any target
#: in it, and from then on the finder answers for the targets too.
TARGETS = frozenset(
    {
        "torchaudio",
        "asteroid.models.base_models",
        "bark.generation",
        "pyannote.audio.core.inference",
        "pyannote.audio.core.io",
        "pyannote.audio.core.model",
        "pyannote.audio.core.pipeline",
        "pyannote.audio.pipelines.utils.getter",
        "pyannote.audio.pipelines.speaker_verification",
        "TTS.tts.models.xtts",
        "TTS.tts.configs.xtts_config",
        "demucs.states",
        "fairseq.checkpoint_utils",
        "speechbrain.utils.fetching",
        "pkg_resources",
        "torch.onnx",
        "style_bert_vits2.nlp.bert_models",
    }
)
_ta_compat_bootstrap.WATCHED = _ta_compat_bootstrap.WATCHED | TARGETS

# The words of every TA_COMPAT_* switch, case and blanks ignored: ``ON`` turns a flag on; in
# TA_COMPAT_DISABLE's comma list any word of ``ALL`` turns every family off, ``OFF`` words name none.
ON = frozenset({"1", "true", "yes", "on"})
ALL = ON | {"all", "*"}
OFF = frozenset({"", "0", "false", "no", "off", "none"})


class Switches:
    """The ``TA_COMPAT_*`` variables, parsed in one place (``read``) with one vocabulary."""

    __slots__ = ("debug", "disabled", "warn")

    def __init__(self, disabled: Optional[FrozenSet[str]], debug: bool, warn: bool) -> None:
        #: The family names ``TA_COMPAT_DISABLE`` turns off; None: every family.
        self.disabled = disabled
        #: ``TA_COMPAT_DEBUG``: a stderr line per family as its target is imported.
        self.debug = debug
        #: ``TA_COMPAT_WARN``: a porting hint at each call of restored legacy API.
        self.warn = warn

    @classmethod
    def read(cls, environ: Optional[Mapping[str, str]] = None) -> Switches:
        """Parse the switches from ``environ`` (default ``os.environ``)."""
        import os

        environ = os.environ if environ is None else environ
        words = {word.strip().lower() for word in environ.get("TA_COMPAT_DISABLE", "").split(",")}
        disabled = None if words & ALL else frozenset(words - OFF)
        return cls(disabled, cls.flag("TA_COMPAT_DEBUG", environ), cls.flag("TA_COMPAT_WARN", environ))

    @staticmethod
    def flag(name: str, environ: Optional[Mapping[str, str]] = None) -> bool:
        """One on/off switch alone (``TA_COMPAT_WARN`` is read at every call of restored API)."""
        import os

        if environ is None:
            environ = os.environ
            try:  # os.environ.get raises and catches a KeyError for an unset name: its table does not
                if os.environ.encodekey(name) not in os.environ._data:  # type: ignore[attr-defined]
                    return False
            except AttributeError:
                pass
        return environ.get(name, "").strip().lower() in ON

    def is_off(self, family: str) -> bool:
        """Whether ``family`` is turned off."""
        return self.disabled is None or family in self.disabled


def warn(message: str) -> None:
    """A RuntimeWarning; printed instead where warnings are errors (``-W error``), since a
    warning of ta-compat must never fail an import."""
    try:
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
    except Exception:
        try:  # noqa: SIM105  (contextlib is not loaded this early)
            sys.stderr.write(message + "\n")
        except Exception:
            pass


def installed() -> None:
    """The rest of ``_ta_compat_bootstrap.install`` in its rare cases: a switch is set (every shim
    off takes the finder out again), no package lies beside the bootstrap (an editable install;
    its checkout may be gone: one line says so), or a target was imported before the finder was
    installed (it is shimmed now)."""
    global _reported
    if Switches.read().disabled is None:
        _remove_finder()
        return
    if not _reported and not package_findable():
        _reported = True  # once, though venvs run the .pth twice
        sys.stderr.write(
            "ta-compat: the shims are off: the ta_compat package is missing (an editable checkout "
            "moved or deleted?); reinstall or uninstall ta-compat\n"
        )
    fire_imported()


def uninstall() -> None:
    """Take the finder off ``sys.meta_path`` and reset all state (what is patched stays)."""
    _remove_finder()
    reset()
    dispatch = sys.modules.get("ta_compat._dispatch")
    if dispatch is not None:
        dispatch.reset()


def _remove_finder() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not _ta_compat_bootstrap]


def package_findable() -> bool:
    """Whether ``ta_compat`` can be imported: beside the bootstrap (a wheel install), else through
    the other finders (an editable install, whose checkout may have moved or gone)."""
    import os

    if os.path.isdir(os.path.join(os.path.dirname(_ta_compat_bootstrap.__file__), "ta_compat")):
        return True
    others = [finder for finder in sys.meta_path if finder is not _ta_compat_bootstrap]
    return any(getattr(finder, "find_spec", None) and finder.find_spec("ta_compat", None) for finder in others)


def _package_spec() -> Optional[ModuleSpec]:
    """The spec of the ``ta_compat`` package where it is installed: beside the bootstrap (a wheel
    install), else on ``sys.path`` past the script's or working directory (an editable install).
    Nothing is found while the bootstrap's folder is off ``sys.path`` (pip's build isolation)
    and no other entry has it: the package is then left to the other finders."""
    import os

    spec: Optional[ModuleSpec] = None
    try:
        path_finder = sys.modules["_frozen_importlib_external"].PathFinder
        here = os.path.dirname(os.path.abspath(_ta_compat_bootstrap.__file__))
        entries = [entry for entry in sys.path if isinstance(entry, str)]
        if any(os.path.abspath(entry or ".") == here for entry in entries):
            spec = path_finder.find_spec("ta_compat", [here])
        if spec is None:
            spec = path_finder.find_spec("ta_compat", [entry for entry in entries if not _shadowing(entry, here)])
    except Exception:
        pass
    return spec


def _shadowing(entry: str, here: str) -> bool:
    """Whether ``entry`` is the first ``sys.path`` entry that Python puts before site-packages:
    the script's or the working directory (absent under ``-P``/``PYTHONSAFEPATH``)."""
    import os

    if getattr(sys.flags, "safe_path", False) or entry != sys.path[0]:
        return False
    return os.path.abspath(entry or ".") != here


#: Targets the hook stands in for when no other finder finds them: an empty module whose
#: families' preparations fill it, marked by ``STAND_IN_ORIGIN``.
STAND_INS = frozenset({"pkg_resources"})

#: The ``__spec__.origin`` of a stand-in module.
STAND_IN_ORIGIN = "ta-compat stand-in"


def find_spec(fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType]) -> Optional[ModuleSpec]:
    """The spec of a watched module: ``ta_compat`` where it is installed; a target's from the
    finders behind the bootstrap, its loader wrapped."""
    if fullname == "ta_compat":
        return _package_spec()
    if fullname not in TARGETS:
        return None  # a watched package: it only led here, before its targets
    spec: Optional[ModuleSpec] = None
    try:
        meta_path = sys.meta_path
        for finder in meta_path[meta_path.index(_ta_compat_bootstrap) + 1 :]:
            finder_find_spec = getattr(finder, "find_spec", None)
            if finder_find_spec is not None:
                spec = finder_find_spec(fullname, path, target)
                if spec is not None:
                    break
        if spec is None and fullname in STAND_INS and _stand_in_wanted(fullname):
            from importlib.machinery import ModuleSpec

            loader = StandInLoader()  # the loader protocol, without importing importlib.abc for its base class
            spec = ModuleSpec(fullname, loader, origin=STAND_IN_ORIGIN)  # type: ignore[arg-type]
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
    return dispatch.enabled_for(fullname, Switches.read())


class StandInLoader:
    """The loader of a stand-in module: an empty module, filled by the families' preparations
    (``ShimmingExec`` runs them just before ``exec_module``)."""

    def create_module(self, spec: ModuleSpec) -> None:
        """The default module."""
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to execute; a module no preparation filled is the import's original failure."""
        if not getattr(module, "__ta_compat__", False):  # ``ta_compat._marker.PATCHED_MARKER``
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

#: Whether the missing package was reported (once per process).
_reported = False


def fire(fullname: str, module: ModuleType, before: bool = False) -> None:
    """Apply the families of ``fullname`` (``before``: their preparations, as it starts to execute);
    any failure becomes a warning, never a failed import."""
    try:
        switches = Switches.read()
        if switches.disabled is None:
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
            dispatch.prepare_target(fullname, module, switches)
            return
        _fired[fullname] = module
        dispatch.apply_target(fullname, module, switches)
    except Exception as exc:
        warn(f"ta-compat: shims for {fullname!r} failed and were skipped: {exc!r}")


def fire_imported() -> None:
    """Shim the targets imported before the hook was installed (``install()`` after the fact)."""
    for name in TARGETS:
        module = sys.modules.get(name)
        if module is None or _fired.get(name) is module:
            continue  # not imported yet (the finder will fire), or already shimmed
        spec = getattr(module, "__spec__", None)
        if not getattr(spec, "_initializing", False):  # half-initialised: cannot be shimmed now
            fire(name, module)


def reset() -> None:
    """Forget which targets were shimmed and what was reported (``uninstall`` calls it)."""
    global _reported
    _fired.clear()
    _reported = False
