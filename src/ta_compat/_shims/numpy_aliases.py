"""Let pyannote.audio 3.x run on numpy 2, which removed aliases its code still uses.

numpy 2.0 removed ``np.NaN``, ``np.NAN`` and ``np.string_`` (NEP 52). pyannote.audio 3.1.x
evaluates ``np.NaN`` at import (a default argument in ``pyannote/audio/core/inference.py``), so
it cannot even be imported on numpy 2; 3.1.1 to 3.3.1 use the names in inference, pipelines and
the segmentation training mixin (``dtype=np.string_``), and 3.4.0's ``Resegmentation`` pipeline
still calls ``np.full_like(..., np.NAN)``. pyannote.metrics 3.x, which pyannote.audio 3.x pins,
uses ``np.NaN`` in ``report()``. Python 3.13 has no numpy < 2 wheels to fall back to.

numpy 2 answers missing names with a module-level ``__getattr__`` (PEP 562) that raises. Where a
pyannote.audio 3.x is imported on numpy >= 2, it is wrapped: the three names resolve to their
numpy 2 equivalents (``nan``, ``nan``, ``bytes_``) only when the code asking is itself in a
``pyannote.audio`` or ``pyannote.metrics`` module, told by the calling frame's module name. For
everyone else nothing changes: ``hasattr(np, "NaN")`` stays False and numpy's own message
stays the error. Present names never reach ``__getattr__``, so they cost nothing.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable, List, Optional

from .._marker import is_ours, mark
from .._probes import probe_wav

#: Removed name -> its numpy 2 equivalent (numpy's own advice in ``numpy/_expired_attrs_2_0.py``).
ALIASES = {"NaN": "nan", "NAN": "nan", "string_": "bytes_"}

#: Packages whose code gets the aliases (a module's ``__name__`` is one of these or below one).
CALLERS = ("pyannote.audio", "pyannote.metrics")


def apply(inference_module: Any) -> List[str]:
    """Answer the aliases for pyannote's code, where a pyannote.audio < 4 runs on numpy >= 2.

    Called as ``pyannote.audio.core.inference`` starts to execute (and again once it has, for an
    ``install()`` after the fact): the first module pyannote.audio 3.x's ``__init__`` imports,
    after setting ``__version__``, and the one whose default argument evaluates ``np.NaN``."""
    pyannote_audio = sys.modules.get("pyannote.audio")
    if not 0 < _major(getattr(pyannote_audio, "__version__", None)) < 4:
        return []
    try:
        numpy: Any = import_module("numpy")
    except ImportError:
        return []  # pyannote.audio's own import of numpy fails next, as without ta-compat
    original = getattr(numpy, "__getattr__", None)
    if _major(numpy.__version__) < 2 or original is None or is_ours(original):
        return []
    numpy.__getattr__ = mark(_answering_callers(numpy, original))
    return [f"numpy.{name}" for name in ALIASES]


def _answering_callers(numpy: Any, original: Callable[[str], Any]) -> Callable[[str], Any]:
    """numpy's ``__getattr__``, answering ``ALIASES`` for pyannote's modules and otherwise
    deferring to ``original`` (which raises numpy's message for the removed names)."""

    def __getattr__(name: str) -> Any:
        # The attribute lookup calls this from C, so the frame above is the code that asked.
        if name in ALIASES and _called_from_pyannote():
            return getattr(numpy, ALIASES[name])
        return original(name)

    __getattr__.__wrapped__ = original  # type: ignore[attr-defined]
    return __getattr__


def _called_from_pyannote() -> bool:
    """Whether the code that asked numpy for a name (the caller of numpy's ``__getattr__``, which
    calls this) is in one of ``CALLERS``."""
    try:
        frame = sys._getframe(2)
    except ValueError:
        return False
    module = frame.f_globals.get("__name__")
    return isinstance(module, str) and any(module == name or module.startswith(name + ".") for name in CALLERS)


def _major(version: Optional[str]) -> int:
    """The major version of a ``"2.4.6"``-like string (0 where there is none)."""
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


# --- the doctor's probe ----------------------------------------------------------------------


def probe(folder: str) -> None:
    """Run the pyannote 3.x code paths that use the removed numpy names."""
    import pyannote.audio  # noqa: F401  (3.1.x evaluates np.NaN at import)
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from .._fixtures import segmentation_model

    diarization = Annotation(uri="probe")
    diarization[Segment(0.5, 3.0)] = "A"
    try:
        from pyannote.audio.pipelines import Resegmentation  # 3.x; 3.4.0 still calls np.NAN there
    except ImportError:
        pass  # pyannote 4 has none
    else:
        pipeline = Resegmentation(segmentation=segmentation_model(duration=5.0))
        pipeline.instantiate(
            {"warm_up": 0.0, "onset": 0.5, "offset": 0.5, "min_duration_on": 0.0, "min_duration_off": 0.0}
        )
        pipeline({"uri": "probe", "audio": probe_wav(folder, 8.0)}, diarization=diarization)
    metric = DiarizationErrorRate()  # pyannote.metrics 3.x reports np.NaN percentages for a silent file
    metric(Annotation(uri="probe"), diarization)
    metric.report(display=False)
