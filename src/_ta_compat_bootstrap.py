# Start-up hook of ta-compat: ``compat_autoload.pth`` imports it at every interpreter start.
#
# Importing it installs the finder, as virtualenv's ``_virtualenv.pth`` does, so the ``.pth`` is
# one statement: site compiles each ``.pth`` line at every start, and each statement costs. Every
# byte of this module is read and unmarshalled at every start too, so it holds only the finder and
# ``install``, imports nothing but ``sys``, never raises, and says why in comments: docstrings and
# annotations would be kept in the ``.pyc``, so its types are in ``_ta_compat_bootstrap.pyi``.
# ``_ta_compat_hook``, installed beside it and imported once a watched module is looked up, does
# the rest and explains the design.
# ``install()`` is a permanent public contract: the ``.pth`` and ``.start`` files of every
# installed version call it.

import sys

#: The names ``find_spec`` answers for until the hook is loaded: ta-compat's own modules and the
#: package each target (``_ta_compat_hook.TARGETS``) is looked up under first, ``pyannote.audio``
#: for the pyannote targets (site makes ``pyannote`` from the ``-nspkg.pth`` files of
#: pyannote.audio 3.x, behind the finders' back). Looking one up imports the hook, which adds the
#: targets before any of them is looked up: the set unmarshalled at every start holds 13 names,
#: not every target module.
WATCHED = frozenset(
    (
        "_ta_compat_hook",
        "ta_compat",
        "torchaudio",
        "torch",
        "pyannote.audio",
        "asteroid",
        "bark",
        "demucs",
        "fairseq",
        "speechbrain",
        "pkg_resources",
        "style_bert_vits2",
        "TTS",
    )
)


def find_spec(fullname, path=None, target=None):
    # The meta path finder protocol, served by this module: one set lookup for other modules.
    # The hook is loaded from beside this file only (a file of that name in the script's or the
    # working directory never runs); the hook answers for the rest. A hook that cannot be imported
    # turns the finder off for the process, with one warning.
    global WATCHED
    if fullname not in WATCHED:
        return None
    if fullname == "_ta_compat_hook":  # os is loaded: install() imported it
        return sys.modules["_frozen_importlib_external"].spec_from_file_location(
            fullname, __file__[: __file__.rfind(sys.modules["os"].sep) + 1] + "_ta_compat_hook.py"
        )
    try:
        import _ta_compat_hook
    except Exception as exc:
        WATCHED = frozenset()
        message = f"ta-compat: the shims are off: the installed import hook cannot be imported: {exc!r}"
        try:
            import warnings

            warnings.warn(message, RuntimeWarning, 2)  # stacklevel 2: the import
        except Exception:  # warnings are errors (-W error): printed instead
            sys.stderr.write(message + "\n")
        return None
    return _ta_compat_hook.find_spec(fullname, path, target)


def install():
    # Install the finder (idempotent, never raises) and shim targets already imported. The
    # finder goes right before the PathFinder: the targets are files, so built-in and frozen
    # modules (about half of what a start imports after site) never reach it.
    try:
        import os  # loaded by site already, but not under -S

        this = sys.modules[__name__]  # the finder: a module costs no class to build at every start
        meta_path = sys.meta_path
        if this not in meta_path:
            path_finder = sys.modules["_frozen_importlib_external"].PathFinder
            meta_path.insert(meta_path.index(path_finder) if path_finder in meta_path else 0, this)
        environ = os.environ
        try:  # os.environ.get raises and catches two KeyErrors for an unset name: its table does not
            switched = environ.encodekey("TA_COMPAT_DISABLE") in environ._data
        except AttributeError:
            switched = "TA_COMPAT_DISABLE" in environ
        if (
            switched
            or not os.access(__file__[: __file__.rfind(os.sep) + 1] + "ta_compat", 0)
            or not sys.modules.keys().isdisjoint(WATCHED)  # iterates the smaller set: WATCHED
        ):
            import _ta_compat_hook  # the rare cases (a switch set, an editable install, a watched
            # package imported already): the hook decides

            _ta_compat_hook.installed()
    except Exception:
        pass


install()
