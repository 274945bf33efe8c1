"""Start-up hook of ta-compat, run by ``compat_autoload.pth`` in every interpreter of the venv.

It is the only code on the start-up path, so it imports nothing but ``sys`` (``os`` only at
fire time), never raises, and puts one finder on ``sys.meta_path``: this module itself, through
its module-level ``find_spec`` (a finder class would cost more to build, at every start, than
the rest of the module). Every kind of install (wheel, editable) puts this file beside the
``.pth``, so the ``.pth`` is the plain import line: site compiles nothing more at each start.
The finder waits for a target module (``torchaudio``, pyannote's model module) to execute and
only then imports ``ta_compat`` to apply the shims for it. Heavy libraries are never imported.

For a target, ``find_spec`` hands over to ``_ta_compat_hook`` (installed beside this module),
which wraps the real loader; the start-up module itself stays this small. The finder also answers
for ta-compat's own modules, with the copies installed beside it: a ``_ta_compat_hook.py`` or a
``ta_compat/`` folder in the script's directory or the working directory (which come first on
``sys.path``) never runs in their place. ``install()`` is a permanent public contract: ``.pth``
and ``.start`` files of every installed version call it; ``uninstall()`` takes the finder out.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: at run time this module imports nothing but sys
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Optional, Sequence

#: Modules whose execution triggers shims; ``ta_compat.families`` maps them to shim families.
TARGETS = frozenset(
    {
        "torchaudio",
        "pyannote.audio.core.inference",
        "pyannote.audio.core.io",
        "pyannote.audio.core.model",
        "pyannote.audio.core.pipeline",
        "pkg_resources",
        "torch.onnx",
        "style_bert_vits2.nlp.bert_models",
    }
)

#: Targets the import hook stands in for when no other finder finds them (``_ta_compat_hook``):
#: an empty module whose families' preparations fill it, marked by ``STAND_IN_ORIGIN``.
STAND_INS = frozenset({"pkg_resources"})

#: The ``__spec__.origin`` of a stand-in module.
STAND_IN_ORIGIN = "ta-compat stand-in"

#: ta-compat's own top-level modules, always imported from where this module is installed.
OWN = frozenset({"_ta_compat_hook", "ta_compat"})

#: Every name ``find_spec`` answers for; one set lookup per import is all other modules pay.
_WATCHED = TARGETS | OWN

#: ``TA_COMPAT_DISABLE`` values that turn every shim off (a comma list names single families).
_ALL_OFF = frozenset({"1", "true", "yes", "on", "all", "*"})


def disabled_all() -> bool:
    """True when ``TA_COMPAT_DISABLE`` turns every shim off; read at install and at fire time."""
    import os  # already loaded by site; imported here so module import stays at ``sys`` only

    return os.environ.get("TA_COMPAT_DISABLE", "").strip().lower() in _ALL_OFF


def find_spec(
    fullname: str, path: "Optional[Sequence[str]]" = None, target: "Optional[ModuleType]" = None
) -> "Optional[ModuleSpec]":
    """The meta path finder protocol, served by this module itself (see ``install``).

    None at once for every module but the watched ones. For a target, ``_ta_compat_hook`` finds
    the real spec and wraps its loader; for ta-compat's own modules, the installed copy. If the
    hook cannot be imported, the import goes on unhooked, with one warning.
    """
    if fullname not in _WATCHED:
        return None
    if fullname in OWN:
        return _installed_spec(fullname)
    try:
        import _ta_compat_hook
    except ModuleNotFoundError as exc:
        if exc.name != "_ta_compat_hook":
            _warn_once(f"ta-compat: the shims are off: the installed import hook cannot be imported: {exc!r}")
        return None  # not on sys.path any more (pip's build isolation rewrites it): nothing to do
    except Exception as exc:
        _warn_once(f"ta-compat: the shims are off: the installed import hook cannot be imported: {exc!r}")
        return None
    return _ta_compat_hook.find_spec(fullname, path, target)


def _installed_spec(fullname: str) -> "Optional[ModuleSpec]":
    """The spec of one of ta-compat's own modules where it is installed: beside this module (a
    wheel install), else, for the package, on ``sys.path`` past the script's or working directory
    (an editable install). Nothing is found while this folder is off ``sys.path`` (pip's build
    isolation takes it off): the hook then raises ``ModuleNotFoundError`` rather than let a file
    of the same name elsewhere run, and the package is left to the other finders."""
    import os

    spec: Optional[ModuleSpec] = None
    try:
        path_finder = sys.modules["_frozen_importlib_external"].PathFinder  # importlib.machinery's
        here = os.path.dirname(os.path.abspath(__file__))
        entries = [entry for entry in sys.path if isinstance(entry, str)]
        if any(os.path.abspath(entry or ".") == here for entry in entries):
            spec = path_finder.find_spec(fullname, [here])
        if spec is None and fullname == "ta_compat":
            spec = path_finder.find_spec(fullname, [entry for entry in entries if not _shadowing(entry, here)])
    except Exception:
        pass
    if spec is None and fullname == "_ta_compat_hook":
        raise ModuleNotFoundError(f"No module named {fullname!r} where ta-compat is installed", name=fullname)
    return spec


def _shadowing(entry: str, here: str) -> bool:
    """Whether ``entry`` is the first ``sys.path`` entry that Python puts before site-packages:
    the script's or the working directory (absent under ``-P``/``PYTHONSAFEPATH``)."""
    import os

    if getattr(sys.flags, "safe_path", False) or entry != sys.path[0]:
        return False
    return os.path.abspath(entry or ".") != here


def _package_findable() -> bool:
    """Whether ``ta_compat`` can be imported: beside this module (a wheel install: one ``stat``),
    else through the finders (an editable install, whose checkout may have moved or gone)."""
    import os

    if os.path.isdir(os.path.join(os.path.dirname(__file__), "ta_compat")):
        return True
    for finder in sys.meta_path:
        finder_find_spec = getattr(finder, "find_spec", None)
        if finder_find_spec is not None and finder_find_spec("ta_compat", None) is not None:
            return True
    return False


_reported = False
_warned = False


def _warn_once(message: str) -> None:
    """One warning per process for a hook that cannot work."""
    global _warned
    if not _warned:
        _warned = True
        warn(message)


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
        this = sys.modules[__name__]  # the finder: a module costs no class to build at every start
        if this not in sys.meta_path:
            sys.meta_path.insert(0, this)
        if not _reported and not _package_findable():
            _reported = True  # once, though venvs run the .pth twice
            sys.stderr.write(
                "ta-compat: the shims are off: the ta_compat package is missing (an editable checkout "
                "moved or deleted?); reinstall or uninstall ta-compat\n"
            )
        if not TARGETS.isdisjoint(sys.modules):
            import _ta_compat_hook

            _ta_compat_hook.fire_imported()
    except Exception:
        pass


def uninstall() -> None:
    """Take the finder off ``sys.meta_path`` and forget what was shimmed (what is patched stays)."""
    global _reported, _warned
    this = sys.modules[__name__]
    sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not this]
    _reported = _warned = False
    hook = sys.modules.get("_ta_compat_hook")
    if hook is not None:
        hook.reset()
