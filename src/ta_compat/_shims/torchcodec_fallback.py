"""Decode through soundfile where torchcodec cannot: pyannote.audio 4.x and torchaudio's
``load_with_torchcodec``/``save_with_torchcodec`` (implemented in ``ta_compat._soundfile_codec``).

torchcodec cannot decode where it is not installed, where its import raises (a wheel built for
another torch: "Could not load libtorchcodec"), or where FFmpeg's shared libraries cannot be
loaded: torchcodec >= 0.8 then imports fine and every decode raises "Could not load
libtorchcodec", so pyannote.audio 4 believes it works. ``torchcodec_failure`` tells these apart
by decoding a 4-sample WAV held in memory; where it decodes, nothing here changes anything.

pyannote.audio 4.0's ``pyannote/audio/core/io.py`` imports torchcodec in a ``try`` that warns
"torchcodec is not installed correctly so built-in audio decoding will fail" and sets
``TORCHCODEC_AVAILABLE = False``; each read then raises "torchcodec is not available". The
preparation, run just before that module's code, settles whether torchcodec decodes and, where it
does not, keeps that warning from the user; the shim, right after, gives the module soundfile's
``AudioDecoder`` (and the metadata and samples classes) and, with ``TA_COMPAT_DEBUG=1``, one log
line saying why an installed torchcodec is bypassed. No module
named ``torchcodec`` is ever created: other importers see torchcodec exactly as it is.

On ``torchaudio`` (imported before pyannote's io module, and by code without pyannote), whether
torchcodec decodes is settled without importing it where it is not imported yet (importing it
costs seconds, in ``torch._dynamo``): not installed, or no FFmpeg ``libavutil`` the loader can
find, means it cannot. Where that guess leaves torchaudio's functions alone and pyannote's import
later finds torchcodec broken, they are replaced then; where it replaced them and torchcodec turns
out to decode, the originals are put back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import warnings
from typing import Any, Dict, List, Optional, Tuple, cast

from .. import _settings as settings
from .. import _soundfile_codec as soundfile_codec
from .._marker import is_ours, mark
from .._probes import ProbeFailure, expect, probe_wav

PYANNOTE_IO = "pyannote.audio.core.io"
TORCHAUDIO_NAMES = ("load_with_torchcodec", "save_with_torchcodec")

log = logging.getLogger("ta_compat")

#: The start of the warning pyannote.audio 4.0's io module gives when ``import torchcodec`` raises.
PYANNOTE_WARNING = "\ntorchcodec is not installed correctly so built-in audio decoding will fail"

for _function in (soundfile_codec.load_with_torchcodec, soundfile_codec.save_with_torchcodec):
    mark(_function)
mark(soundfile_codec.AudioDecoder)


def torchcodec_failure(import_allowed: bool = True) -> Optional[str]:
    """None where torchcodec decodes here, else why not: its own error, one line.

    Settled once per process by decoding a 4-sample WAV from memory. ``import_allowed=False``
    does not import torchcodec if it is not imported yet: a guess from whether FFmpeg's
    ``libavutil`` can be loaded (None where it can, or where there is no way to tell).
    """
    global _failure
    if _failure is not _UNSETTLED:
        return _failure
    from importlib.util import find_spec

    try:
        installed = "torchcodec" in sys.modules or find_spec("torchcodec") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        _failure = "ModuleNotFoundError: No module named 'torchcodec'"
        return _failure
    if not import_allowed and "torchcodec" not in sys.modules:
        return None if _ffmpeg_loadable() else "FFmpeg's libavutil cannot be loaded (torchcodec needs FFmpeg)"
    try:
        from torchcodec.decoders import AudioDecoder

        AudioDecoder(_TINY_WAV).get_all_samples()
    except Exception as exc:
        _failure = f"{type(exc).__name__}: {_first_line(str(exc))}"
    else:
        _failure = None
    return _failure


def prepare(module: Any) -> List[str]:
    """Just before pyannote.audio 4's io module executes: where torchcodec cannot decode, keep
    its misleading import warning from the user (``apply`` takes the filter out again)."""
    if module.__name__ != PYANNOTE_IO or _pyannote_major() < 4 or torchcodec_failure() is None:
        return []
    global _silencer
    warnings.filterwarnings("ignore", message=re.escape(PYANNOTE_WARNING), category=UserWarning)
    _silencer = warnings.filters[0]
    return []


def apply(module: Any) -> List[str]:
    """Route the target's decoding through soundfile where torchcodec cannot decode."""
    if module.__name__ == "torchaudio":
        return _apply_torchaudio(module, torchcodec_failure(import_allowed=False))
    _stop_silencing()
    if not hasattr(module, "TORCHCODEC_AVAILABLE"):
        return []  # pyannote.audio 3.x reads through torchaudio
    failure = torchcodec_failure()
    torchaudio = sys.modules.get("torchaudio")
    patched = _apply_torchaudio(torchaudio, failure) if torchaudio is not None else []
    if failure is None:
        return patched
    module.AudioDecoder = soundfile_codec.AudioDecoder
    module.AudioStreamMetadata = soundfile_codec.AudioStreamMetadata
    module.AudioSamples = soundfile_codec.AudioSamples
    module.TORCHCODEC_AVAILABLE = True
    if settings.Switches.read().debug and not failure.startswith("ModuleNotFoundError"):  # torchcodec bypassed
        log.warning("torchcodec cannot decode here (%s); ta-compat reads pyannote's audio with soundfile", failure)
    names = ("AudioDecoder", "AudioStreamMetadata", "AudioSamples", "TORCHCODEC_AVAILABLE")
    return [f"{module.__name__}.{name}" for name in names] + patched


def reset() -> None:
    """Forget whether torchcodec decodes (settled again at the next use) and stop silencing
    pyannote's warning; what was replaced stays replaced, and restorable."""
    global _failure
    _failure = _UNSETTLED
    _stop_silencing()


# --- private --------------------------------------------------------------------------------

_UNSETTLED = "unsettled"
_failure: Optional[str] = _UNSETTLED
_silencer: Any = None

#: What ``_apply_torchaudio`` replaced, to put back where torchcodec turns out to decode.
_replaced: Dict[str, Any] = {}

#: A 4-sample, 8 kHz, 16-bit mono WAV: the smallest thing torchcodec must decode to be of use.
_TINY_WAV = (
    b"RIFF,\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00"
    b"data\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
)

#: FFmpeg 4 to 9, the versions torchcodec 0.17 loads, have libavutil 56 to 61.
_LIBAVUTIL_MAJORS = range(61, 55, -1)


def _apply_torchaudio(torchaudio: Any, failure: Optional[str]) -> List[str]:
    """Replace (or, where torchcodec decodes after all, restore) torchaudio's ``*_with_torchcodec``."""
    modules = [torchaudio, sys.modules.get("torchaudio._torchcodec")]
    if failure is None:
        for name, original in _replaced.items():
            for owner in modules:
                if owner is not None and is_ours(getattr(owner, name, None)):
                    setattr(owner, name, original)
        _replaced.clear()
        return []
    patched = []
    for name in TORCHAUDIO_NAMES:
        current = getattr(torchaudio, name, None)
        if current is None or is_ours(current):
            continue  # torchaudio < 2.8 has no torchcodec route; or replaced already
        _replaced[name] = current
        for owner in modules:
            if owner is not None and getattr(owner, name, None) is current:
                setattr(owner, name, getattr(soundfile_codec, name))
        patched.append(f"torchaudio.{name}")
    return patched


def _stop_silencing() -> None:
    """Take out the warning filter ``prepare`` added (the user's own filters stay as they are)."""
    global _silencer
    if _silencer is not None:
        with contextlib.suppress(ValueError):  # taken out already, by warnings.resetwarnings() say
            cast(List[Any], warnings.filters).remove(_silencer)
        warnings._filters_mutated()  # type: ignore[attr-defined]  # the cache of warnings already seen
        _silencer = None


def _pyannote_major() -> int:
    """pyannote.audio's major version: its package sets ``__version__`` before importing core.io."""
    try:
        return int(str(getattr(sys.modules.get("pyannote.audio"), "__version__", "0")).split(".")[0])
    except ValueError:
        return 0


def _ffmpeg_loadable() -> bool:
    """Whether the dynamic loader finds an FFmpeg ``libavutil`` that torchcodec could link (True
    where this cannot be told: not Linux or macOS)."""
    import ctypes

    if sys.platform.startswith("linux"):
        names = [f"libavutil.so.{major}" for major in _LIBAVUTIL_MAJORS]
    elif sys.platform == "darwin":
        names = [f"libavutil.{major}.dylib" for major in _LIBAVUTIL_MAJORS]
    else:
        return True
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def _first_line(message: str) -> str:
    """The first line of an error (torchcodec's loading error goes on with a long traceback)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0].removesuffix(" Likely causes:") if lines else ""


# --- the doctor's probe ----------------------------------------------------------------------


def probe(folder: str) -> None:
    """pyannote.audio 4 reads, crops and measures a WAV, and torchaudio's ``*_with_torchcodec``
    round-trip one, where they are installed; a failure names why torchcodec cannot decode."""
    from importlib.metadata import PackageNotFoundError, version

    path = probe_wav(folder, 2.0)
    try:
        pyannote_major = int(version("pyannote.audio").split(".")[0])
    except (PackageNotFoundError, ValueError):
        pyannote_major = 0
    try:
        if pyannote_major >= 4:
            from pyannote.audio import Audio
            from pyannote.core import Segment

            waveform, rate = Audio()(path)
            expect(tuple(waveform.shape) == (1, 32000) and rate == 16000, f"Audio()(wav) gave {waveform.shape}")
            crop, _ = Audio().crop(path, Segment(0.5, 1.5))
            expect(tuple(crop.shape) == (1, 16000), f"Audio().crop(wav, 1 s) gave {tuple(crop.shape)}")
            expect(Audio().get_duration(path) == 2.0, "get_duration(2 s WAV) is not 2.0")
        import torchaudio

        # torchaudio <= 2.8's *_with_torchcodec are an opt-in preview legacy code never calls;
        # from 2.9 on, they are the route torchaudio's own load/save take.
        if hasattr(torchaudio, "load_with_torchcodec") and _version_at_least(torchaudio.__version__, (2, 9)):
            waveform, rate = torchaudio.load_with_torchcodec(path)
            torchaudio.save_with_torchcodec(os.path.join(folder, "saved.wav"), waveform, rate)
    except Exception as exc:
        failure = torchcodec_failure()
        if failure is None:
            raise
        raise ProbeFailure(f"torchcodec cannot decode here: {failure}") from exc


def _version_at_least(version: str, minimum: Tuple[int, ...]) -> bool:
    """Whether a version string (``"2.8.0+cu128"``) is at least ``minimum``, by its leading numbers."""
    numbers = []
    for part in version.split("+")[0].split(".")[: len(minimum)]:
        digits = "".join(char for char in part if char.isdigit()) if part[:1].isdigit() else ""
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers) >= minimum
