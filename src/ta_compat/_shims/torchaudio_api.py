"""Shims that put the legacy I/O API back on ``torchaudio`` >= 2.9 (implemented in ``legacy_io``).

Each function fills only what is missing or broken and returns what it patched. On torchaudio
<= 2.8 the legacy dispatcher (``torchaudio._backend``) is present and nothing is touched.
"""

from __future__ import annotations

import os
import sys
import types
from importlib.util import find_spec
from typing import Any, Callable, List

from .. import _legacy_io as legacy_io
from .._marker import is_ours, mark
from .._probes import expect, probe_wav


def _legacy_dispatcher_present(torchaudio: Any) -> bool:
    return "torchaudio._backend" in sys.modules or hasattr(torchaudio, "_backend")


def _fill(torchaudio: Any, name: str, value: Any) -> List[str]:
    """Set ``torchaudio.<name>`` when it is missing; return it as patched (or [])."""
    if hasattr(torchaudio, name):
        return []
    setattr(torchaudio, name, value)
    _export(torchaudio, name)
    return [f"torchaudio.{name}"]


def _export(torchaudio: Any, name: str) -> None:
    """List a restored name in ``torchaudio.__all__``, as legacy torchaudio did, so that
    ``from torchaudio import *`` brings it too."""
    if isinstance(getattr(torchaudio, "__all__", None), list) and name not in torchaudio.__all__:
        torchaudio.__all__.append(name)


def _replace_torchcodec_route(torchaudio: Any, name: str, value: Callable[..., Any]) -> List[str]:
    """Replace ``torchaudio.<name>`` unless it is the legacy dispatcher's (or already ours)."""
    current = getattr(torchaudio, name, None)
    if is_ours(current) or (current is not None and _legacy_dispatcher_present(torchaudio)):
        return []
    setattr(torchaudio, name, value)
    _export(torchaudio, name)
    return [f"torchaudio.{name}"]


for _function in (
    legacy_io.info,
    legacy_io.load,
    legacy_io.save,
    legacy_io.list_audio_backends,
    legacy_io.get_audio_backend,
    legacy_io.set_audio_backend,
):
    mark(_function)


def apply_audiometadata(torchaudio: Any) -> List[str]:
    return _fill(torchaudio, "AudioMetaData", legacy_io.AudioMetaData)


def apply_backends(torchaudio: Any) -> List[str]:
    return (
        _fill(torchaudio, "list_audio_backends", legacy_io.list_audio_backends)
        + _fill(torchaudio, "get_audio_backend", legacy_io.get_audio_backend)
        + _fill(torchaudio, "set_audio_backend", legacy_io.set_audio_backend)
    )


def apply_info(torchaudio: Any) -> List[str]:
    return _fill(torchaudio, "info", legacy_io.info)


def apply_load(torchaudio: Any) -> List[str]:
    return _replace_torchcodec_route(torchaudio, "load", legacy_io.load)


def apply_save(torchaudio: Any) -> List[str]:
    return _replace_torchcodec_route(torchaudio, "save", legacy_io.save)


class _CommonModule(types.ModuleType):
    """``torchaudio.backend.common``: ``AudioMetaData`` lives at ``torchaudio.AudioMetaData`` now."""

    def __getattr__(self, name: str) -> Any:
        if name == "AudioMetaData":
            legacy_io.warn_legacy("torchaudio.backend.common.AudioMetaData", "torchaudio.AudioMetaData")
            return legacy_io.AudioMetaData
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def apply_backend_module(torchaudio: Any) -> List[str]:
    """Re-create ``torchaudio.backend`` and its ``common`` and ``soundfile_backend`` modules."""
    if _legacy_dispatcher_present(torchaudio) or "torchaudio.backend" in sys.modules:
        return []
    backend = types.ModuleType("torchaudio.backend", "Legacy torchaudio.backend, restored by ta-compat.")
    backend.__path__ = []  # a package, so ``import torchaudio.backend.common`` resolves
    common = _CommonModule("torchaudio.backend.common", "Legacy torchaudio.backend.common, restored by ta-compat.")
    soundfile_backend = types.ModuleType(
        "torchaudio.backend.soundfile_backend", "Legacy soundfile backend, restored by ta-compat."
    )
    soundfile_backend.load = legacy_io.backend_load  # type: ignore[attr-defined]
    soundfile_backend.info = legacy_io.backend_info  # type: ignore[attr-defined]
    soundfile_backend.save = legacy_io.backend_save  # type: ignore[attr-defined]
    for module in (backend, common, soundfile_backend):
        mark(module)
        sys.modules[module.__name__] = module
    backend.common = common  # type: ignore[attr-defined]
    backend.soundfile_backend = soundfile_backend  # type: ignore[attr-defined]
    torchaudio.backend = backend
    return [module.__name__ for module in (backend, common, soundfile_backend)]


# --- the doctor's probe ----------------------------------------------------------------------


def probe_audiometadata(folder: str) -> None:
    """Build an ``AudioMetaData`` as legacy code does, and import pyannote.audio (3.3+ needs it)."""
    import torchaudio

    meta = torchaudio.AudioMetaData(
        sample_rate=16000, num_frames=1, num_channels=1, bits_per_sample=16, encoding="PCM_S"
    )
    expect(meta.num_frames == 1, "AudioMetaData does not keep its fields")
    if find_spec("pyannote") and find_spec("pyannote.audio"):
        import pyannote.audio  # noqa: F401  (3.3+ evaluates torchaudio.AudioMetaData at import)


def probe_backends(folder: str) -> None:
    """Ask for the backends as pyannote 3.x does."""
    import torchaudio

    backends = torchaudio.list_audio_backends()
    expect("soundfile" in backends, f"list_audio_backends() returned {backends!r}")
    torchaudio.set_audio_backend("soundfile")
    torchaudio.get_audio_backend()


def probe_info(folder: str) -> None:
    """``info()`` of a WAV gives the legacy fields."""
    import torchaudio

    meta = torchaudio.info(probe_wav(folder, 2.0))
    got = (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample, meta.encoding)
    expect(got == (16000, 32000, 1, 16, "PCM_S"), f"info() returned {got}, legacy: (16000, 32000, 1, 16, 'PCM_S')")


class _CountingReader:
    """A seekable binary file that counts the bytes read through it."""

    def __init__(self, path: str):
        self._file = open(path, "rb")  # noqa: SIM115  (closed by close(), like any file object)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: bytearray) -> int:
        count = self._file.readinto(buffer)
        self.bytes_read += count or 0
        return count or 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()


def probe_load(folder: str) -> None:
    """``load()`` keeps int16 with ``normalize=False`` and seeks for a crop, as pyannote relies on."""
    import warnings

    import torchaudio

    path = probe_wav(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the torchcodec route warns that it ignores normalize
        # backend="soundfile" as pyannote >= 3.3 passes it: legacy torchaudio with FFmpeg
        # libraries installed would otherwise pick its FFmpeg backend, which reads whole files.
        waveform, rate = torchaudio.load(path, normalize=False, backend="soundfile")
    expect(
        str(waveform.dtype) == "torch.int16",
        f"load(normalize=False) returned {waveform.dtype} for a PCM_16 WAV, legacy: torch.int16",
    )
    expect(tuple(waveform.shape) == (1, 60 * rate), f"load() shape {tuple(waveform.shape)}, legacy: (1, {60 * rate})")
    reader = _CountingReader(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            crop, _ = torchaudio.load(reader, frame_offset=30 * rate, num_frames=rate, backend="soundfile")
    finally:
        reader.close()
    expect(tuple(crop.shape) == (1, rate), f"a 1 s crop has shape {tuple(crop.shape)}")
    size = os.path.getsize(path)
    expect(
        reader.bytes_read < size // 10,
        f"a 1 s crop of a 60 s WAV read {reader.bytes_read} of {size} bytes (legacy seeks: about {2 * rate} bytes)",
    )


def probe_save(folder: str) -> None:
    """``save()`` of an int16 tensor writes PCM_16 with the samples unchanged."""
    import soundfile
    import torch
    import torchaudio

    path = os.path.join(folder, "saved.wav")
    tone = (torch.arange(1600, dtype=torch.int16) * 7).reshape(1, -1)
    torchaudio.save(path, tone, 16000)
    written = soundfile.info(path)
    expect(written.subtype == "PCM_16", f"save() of an int16 tensor wrote {written.subtype}, legacy: PCM_16")
    data, _ = soundfile.read(path, dtype="int16")
    expect(
        bool((torch.from_numpy(data) == tone[0]).all()),
        f"save() of int16 samples {tone[0, 1:4].tolist()} wrote {data[1:4].tolist()}, legacy writes them unchanged",
    )


def probe_backend_module(folder: str) -> None:
    """pyannote 3.1.1 imports ``AudioMetaData`` from ``torchaudio.backend.common``."""
    from torchaudio.backend.common import AudioMetaData  # noqa: F401  (pyannote 3.1.1)
