"""Start-up hook of ta-compat, run by ``compat_autoload.pth`` in every interpreter of the venv.

It is the only code on the start-up path, so it imports nothing but ``sys`` (``os`` only at
fire time), never raises, and puts one finder on ``sys.meta_path``: this module itself, through
its module-level ``find_spec`` (a finder class would cost more to build, at every start, than
the rest of the module). Every kind of install (wheel, editable) puts this file beside the
``.pth``, so the ``.pth`` is the plain import line: site compiles nothing more at each start.
The finder waits for a target module (``torchaudio``, pyannote's model module) to execute and
only then imports ``ta_compat`` to apply the shims for it. Heavy libraries are never imported.

For a target, ``find_spec`` hands over to ``_ta_compat_hook`` (installed beside this module),
which wraps the real loader; the start-up module itself stays this small. ``install()`` is a
permanent public contract: ``.pth`` and ``.start`` files of every installed version call it.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: at run time this module imports nothing but sys
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Optional, Sequence

#: Modules whose execution triggers shims; ``ta_compat.families`` maps them to shim families.
TARGETS = frozenset({"torchaudio", "pyannote.audio.core.model", "pyannote.audio.core.pipeline"})

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

    None at once for every module but the targets; for a target, ``_ta_compat_hook`` finds the
    real spec and wraps its loader. If the hook cannot be imported (``sys.path`` rewritten since
    start-up, as pip's build isolation does), the import goes on unhooked.
    """
    if fullname not in TARGETS:
        return None
    try:
        import _ta_compat_hook
    except Exception:
        return None
    return _ta_compat_hook.find_spec(fullname, path, target)


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
