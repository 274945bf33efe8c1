"""What a bare interpreter start may import, for the tests of start-up cost."""

from __future__ import annotations

#: Modules a bare interpreter start must not import because of ta-compat, and why.
HEAVY = {
    "torch": "the hook's targets are imported by the user's code, never at start-up (seconds each)",
    "torchaudio": "the hook's targets are imported by the user's code, never at start-up (seconds each)",
    "numpy": "ta-compat's dependencies are needed only once a shim runs",
    "soundfile": "ta-compat's dependencies are needed only once a shim runs (it loads libsndfile)",
    "ta_compat": "the package is imported when a target executes, not before",
    "_ta_compat_hook": "imported when a target is first looked up, not at start-up",
    "threading": "gevent and eventlet must patch it before anything imports it",
    "importlib.metadata": "an import of several milliseconds (email, zipfile, csv), at every start",
    "importlib.util": "the start-up module imports nothing but sys",
    "warnings": "the start-up module imports nothing but sys; warnings are imported to warn",
}
#: Of those, what setuptools' namespace-package ``.pth`` files import on their own (pyannote's, in
#: the torch stacks): there, only a start without our ``.pth`` tells whether we added them.
IMPORTED_BY_NAMESPACE_PTH = frozenset({"importlib.util", "warnings"})
