"""The legacy torchaudio I/O API (torchaudio 2.1-2.8, soundfile backend), rebuilt on soundfile.

Behaviour follows ``torchaudio/_backend/soundfile_backend.py`` and the dispatcher in
``torchaudio/_backend/utils.py`` of torchaudio 2.8.0 (BSD-2-Clause, byte-identical since 2.1):
same signatures, defaults, dtypes, ``(channels, frames)`` transposed views, slice semantics of
``frame_offset``/``num_frames``, tables and exception classes. The deliberate differences are
listed in the README: no deprecation warnings unless ``TA_COMPAT_WARN=1``, a ``save`` that fails on
its arguments fails before it opens the destination, and NaN or infinite samples saved as MP3 raise
``ValueError`` where LAME aborted the interpreter. A path is written as legacy wrote it: by
``soundfile.write(path, ...)``, in place.

The public API comes first, in legacy torchaudio's order; the legacy tables and the read and
write paths follow.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any, BinaryIO, List, Optional, Tuple, Union

from . import _settings as settings
from ._reading import SoundfileReader
from ._writing import refuse_samples_lame_aborts_on, write_path

if TYPE_CHECKING:
    import torch

__all__ = [
    "AudioMetaData",
    "LegacyAPIWarning",
    "backend_info",
    "backend_load",
    "backend_save",
    "get_audio_backend",
    "info",
    "list_audio_backends",
    "load",
    "save",
    "set_audio_backend",
    "warn_legacy",
]

_BACKEND = "soundfile"


class LegacyAPIWarning(FutureWarning):
    """Opt-in (``TA_COMPAT_WARN=1``) notice that a legacy torchaudio API was used; once per call site."""


def warn_legacy(name: str, replacement: str) -> None:
    """Tell users porting their code what replaces ``name`` (only with ``TA_COMPAT_WARN=1``)."""
    if settings.warn_porting():
        warnings.warn(
            f"{name} is legacy torchaudio API restored by ta-compat; port to {replacement}.",
            LegacyAPIWarning,
            stacklevel=3,
        )


class AudioMetaData:
    """Return type of ``info``: a plain mutable class, exactly like legacy torchaudio's.

    Args:
        sample_rate (int): Sample rate.
        num_frames (int): The number of frames.
        num_channels (int): The number of channels.
        bits_per_sample (int): The number of bits per sample (0 for lossy or variable formats).
        encoding (str): Audio encoding, e.g. ``"PCM_S"``, ``"PCM_F"``, ``"FLAC"``, ``"UNKNOWN"``.
    """

    def __init__(self, sample_rate: int, num_frames: int, num_channels: int, bits_per_sample: int, encoding: str):
        self.sample_rate = sample_rate
        self.num_frames = num_frames
        self.num_channels = num_channels
        self.bits_per_sample = bits_per_sample
        self.encoding = encoding

    def __str__(self) -> str:
        return (
            f"AudioMetaData("
            f"sample_rate={self.sample_rate}, "
            f"num_frames={self.num_frames}, "
            f"num_channels={self.num_channels}, "
            f"bits_per_sample={self.bits_per_sample}, "
            f"encoding={self.encoding}"
            f")"
        )


# Pickles name the class where legacy code finds it: ``torchaudio.AudioMetaData``.
AudioMetaData.__module__ = "torchaudio"


def info(
    uri: Union[BinaryIO, str, os.PathLike[str]],
    format: Optional[str] = None,
    buffer_size: int = 4096,
    backend: Optional[str] = None,
) -> AudioMetaData:
    """Get signal information of an audio file (legacy ``torchaudio.info``).

    ``format`` and ``buffer_size`` are accepted and ignored, as by the legacy soundfile backend.
    A file-like object is read from its current position and not rewound.
    """
    warn_legacy("torchaudio.info", "soundfile.info")
    soundfile = _soundfile_for(uri, format, backend)
    sinfo = soundfile.info(uri)
    return AudioMetaData(
        sinfo.samplerate,
        sinfo.frames,
        sinfo.channels,
        bits_per_sample=_bit_depth(sinfo.subtype),
        encoding=_encoding(sinfo.format, sinfo.subtype),
    )


def load(
    uri: Union[BinaryIO, str, os.PathLike[str]],
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    format: Optional[str] = None,
    buffer_size: int = 4096,
    backend: Optional[str] = None,
) -> Tuple[torch.Tensor, int]:
    """Load audio data (legacy ``torchaudio.load``, soundfile backend).

    Returns ``(waveform, sample_rate)``: float32 unless the file is a WAV read with
    ``normalize=False`` (then int16/int32/float64 by subtype). ``frame_offset``/``num_frames``
    have Python slice semantics and the read seeks, so a crop costs the same in any file length.
    With ``channels_first`` the waveform is a transposed view of the decoded buffer (no copy).
    """
    warn_legacy("torchaudio.load", "soundfile.read + torch.from_numpy")
    soundfile = _soundfile_for(uri, format, backend)
    return _read(
        soundfile,
        uri,
        frame_offset=frame_offset,
        num_frames=num_frames,
        normalize=normalize,
        channels_first=channels_first,
    )


def save(
    uri: Union[BinaryIO, str, os.PathLike[str]],
    src: torch.Tensor,
    sample_rate: int,
    channels_first: bool = True,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
    buffer_size: int = 4096,
    backend: Optional[str] = None,
    compression: Optional[Union[float, int]] = None,
) -> None:
    """Save audio data (legacy ``torchaudio.save``, soundfile backend).

    The subtype follows the legacy table (extension of a path, or ``format`` for a file object;
    ``encoding``; ``bits_per_sample``; the tensor's dtype). Every check runs before the
    destination is touched; a path is then written in place, as legacy wrote it (``write_path``).
    """
    warn_legacy("torchaudio.save", "soundfile.write")
    _soundfile_for(uri, format, backend)
    if compression:
        raise ValueError("soundfile backend does not support argument `compression`.")
    _write(
        uri,
        src,
        sample_rate,
        channels_first=channels_first,
        compression=None,
        format=format,
        encoding=encoding,
        bits_per_sample=bits_per_sample,
    )


def list_audio_backends() -> List[str]:
    """List available backends: ``["soundfile"]`` (empty if soundfile cannot be imported)."""
    warn_legacy("torchaudio.list_audio_backends", "soundfile directly")
    return [_BACKEND] if _soundfile_module() is not None else []


def get_audio_backend() -> None:
    """No-op kept for the legacy dispatcher mode: returns None."""
    warn_legacy("torchaudio.get_audio_backend", "nothing (remove the call)")
    return None


def set_audio_backend(backend: Optional[str]) -> None:
    """No-op kept for the legacy dispatcher mode: accepts any name, returns None."""
    warn_legacy("torchaudio.set_audio_backend", "nothing (remove the call)")


def backend_load(
    filepath: Any,
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    format: Optional[str] = None,
) -> Tuple[torch.Tensor, int]:
    """``torchaudio.backend.soundfile_backend.load`` (the backend-level signature)."""
    return _read(
        _soundfile_for(filepath, format, _BACKEND),
        filepath,
        frame_offset=frame_offset,
        num_frames=num_frames,
        normalize=normalize,
        channels_first=channels_first,
    )


def backend_info(filepath: Any, format: Optional[str] = None) -> AudioMetaData:
    """``torchaudio.backend.soundfile_backend.info`` (the backend-level signature)."""
    return info(filepath, format, backend=_BACKEND)


def backend_save(
    filepath: Any,
    src: torch.Tensor,
    sample_rate: int,
    channels_first: bool = True,
    compression: Optional[float] = None,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
) -> None:
    """``torchaudio.backend.soundfile_backend.save`` (the backend-level signature)."""
    _soundfile_for(filepath, format, _BACKEND)
    _write(
        filepath,
        src,
        sample_rate,
        channels_first=channels_first,
        compression=compression,
        format=format,
        encoding=encoding,
        bits_per_sample=bits_per_sample,
    )


# --- private: the legacy dispatcher, tables, read and write paths ------------------------------


def _soundfile_module() -> Any:
    """The ``soundfile`` module, or None when it cannot be imported (legacy: no "soundfile" backend)."""
    global _soundfile
    if _soundfile is _UNSET:
        try:
            import soundfile
        except Exception:
            _soundfile = None
        else:
            _soundfile = soundfile
    return _soundfile


_UNSET = object()
_soundfile: Any = _UNSET


def _soundfile_for(uri: Any, format: Optional[str], backend: Optional[str]) -> Any:
    """The legacy dispatcher: validate ``backend=`` and return soundfile, with the legacy errors."""
    soundfile = _soundfile_module()
    if backend is not None:
        if backend != _BACKEND or soundfile is None:
            available = [_BACKEND] if soundfile is not None else []
            # Two arguments, as legacy torchaudio passed them (a stray comma made them a tuple).
            raise ValueError(
                f"Unsupported backend '{backend}' specified; ",
                f"please select one of {available} instead.",
            )
    elif soundfile is None:
        raise RuntimeError(f"Couldn't find appropriate backend to handle uri {uri} and format {format}.")
    return soundfile


def _bit_depth(subtype: str) -> int:
    if subtype not in _SUBTYPE_TO_BITS_PER_SAMPLE:
        warnings.warn(
            f"The {subtype} subtype is unknown to TorchAudio. As a result, the bits_per_sample "
            "attribute will be set to 0. If you are seeing this warning, please "
            "report by opening an issue on github (after checking for existing/closed ones). "
            "You may otherwise ignore this warning.",
            stacklevel=3,
        )
    return _SUBTYPE_TO_BITS_PER_SAMPLE.get(subtype, 0)


def _encoding(format: str, subtype: str) -> str:
    if format == "FLAC":
        return "FLAC"
    return _SUBTYPE_TO_ENCODING.get(subtype, "UNKNOWN")


# soundfile subtype -> bits_per_sample (legacy ``_SUBTYPE_TO_BITS_PER_SAMPLE``).
_SUBTYPE_TO_BITS_PER_SAMPLE = {
    "PCM_S8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "PCM_U8": 8,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ULAW": 8,
    "ALAW": 8,
    "IMA_ADPCM": 0,
    "MS_ADPCM": 0,
    "GSM610": 0,
    "VOX_ADPCM": 0,
    "G721_32": 0,
    "G723_24": 0,
    "G723_40": 0,
    "DWVW_12": 12,
    "DWVW_16": 16,
    "DWVW_24": 24,
    "DWVW_N": 0,
    "DPCM_8": 8,
    "DPCM_16": 16,
    "VORBIS": 0,
    "ALAC_16": 16,
    "ALAC_20": 20,
    "ALAC_24": 24,
    "ALAC_32": 32,
}

# soundfile subtype -> legacy ``encoding`` string (FLAC files are "FLAC" whatever the subtype).
_SUBTYPE_TO_ENCODING = {
    "PCM_S8": "PCM_S",
    "PCM_16": "PCM_S",
    "PCM_24": "PCM_S",
    "PCM_32": "PCM_S",
    "PCM_U8": "PCM_U",
    "FLOAT": "PCM_F",
    "DOUBLE": "PCM_F",
    "ULAW": "ULAW",
    "ALAW": "ALAW",
    "VORBIS": "VORBIS",
}

# WAV subtype -> numpy dtype read with ``normalize=False``.
_SUBTYPE_TO_DTYPE = {
    "PCM_S8": "int8",
    "PCM_U8": "uint8",
    "PCM_16": "int16",
    "PCM_32": "int32",
    "FLOAT": "float32",
    "DOUBLE": "float64",
}


def _read(
    soundfile: Any, uri: Any, *, frame_offset: int, num_frames: int, normalize: bool, channels_first: bool
) -> Tuple[torch.Tensor, int]:
    """The legacy soundfile backend's ``load``: seek, read, wrap as a tensor (a transposed view)."""
    import torch

    reader = SoundfileReader(soundfile, uri, as_ffmpeg=False)
    try:
        if normalize or reader.container != "WAV":
            dtype = "float32"
        elif reader.subtype not in _SUBTYPE_TO_DTYPE:
            raise ValueError(f"Unsupported subtype: {reader.subtype}")
        else:
            dtype = _SUBTYPE_TO_DTYPE[reader.subtype]
        first, count = reader.legacy_range(frame_offset, num_frames)
        waveform = reader.read(first, count, dtype)
    finally:
        reader.close()
    tensor = torch.from_numpy(waveform)
    if channels_first:
        tensor = tensor.t()
    return tensor, reader.sample_rate


def _write(
    filepath: Any,
    src: torch.Tensor,
    sample_rate: int,
    *,
    channels_first: bool,
    compression: Optional[float],
    format: Optional[str],
    encoding: Optional[str],
    bits_per_sample: Optional[int],
) -> None:
    """The legacy backend-level ``save`` (its checks and their order), then legacy's write."""
    import numpy as np

    soundfile = _soundfile_module()
    if src.ndim != 2:
        raise ValueError(f"Expected 2D Tensor, got {src.ndim}D.")
    if compression is not None:
        warnings.warn(
            '`save` function of "soundfile" backend does not support "compression" parameter. '
            "The argument is silently ignored.",
            stacklevel=3,
        )
    if hasattr(filepath, "write"):
        if format is None:
            raise RuntimeError("`format` is required when saving to file object.")
        ext = format.lower()
    else:
        ext = str(filepath).split(".")[-1].lower()
    if bits_per_sample not in (None, 8, 16, 24, 32, 64):
        raise ValueError("Invalid bits_per_sample.")
    if bits_per_sample == 24:
        warnings.warn(
            "Saving audio with 24 bits per sample might warp samples near -1. "
            "Using 16 bits per sample might be able to avoid this.",
            stacklevel=3,
        )
    subtype = _subtype(src.dtype, ext, encoding, bits_per_sample)
    # soundfile does not know the "sph" extension used by TED-LIUM: it is NIST.
    if ext in ("nis", "nist", "sph") and format is None:
        format = "NIST"
    if channels_first:
        src = src.t()
    # Convert and check the samples before opening the destination: soundfile would otherwise
    # write a header first and fail on the data (uint8, requires_grad, CUDA tensors).
    data = np.asarray(src)
    if data.dtype.name not in ("float32", "float64", "int16", "int32"):
        raise ValueError(
            f"dtype must be one of {['float32', 'float64', 'int16', 'int32']!r} and not {data.dtype.name!r}"
        )
    refuse_samples_lame_aborts_on(data, subtype)
    if hasattr(filepath, "write"):
        soundfile.write(file=filepath, data=data, samplerate=sample_rate, subtype=subtype, format=format)
    else:
        write_path(soundfile, filepath, data, samplerate=sample_rate, subtype=subtype, format=format)


def _subtype(dtype: torch.dtype, format: str, encoding: Optional[str], bits_per_sample: Optional[int]) -> str:
    """The legacy subtype-selection table (``_get_subtype``)."""
    if format == "wav":
        return _subtype_for_wav(dtype, encoding, bits_per_sample)
    if format == "flac":
        if encoding:
            raise ValueError("flac does not support encoding.")
        if not bits_per_sample:
            return "PCM_16"
        if bits_per_sample > 24:
            raise ValueError("flac does not support bits_per_sample > 24.")
        return "PCM_S8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if format in ("ogg", "vorbis"):
        if bits_per_sample:
            raise ValueError("ogg/vorbis does not support bits_per_sample.")
        if encoding is None or encoding == "vorbis":
            return "VORBIS"
        if encoding == "opus":
            return "OPUS"
        raise ValueError(f"Unexpected encoding: {encoding}")
    if format == "mp3":
        return "MPEG_LAYER_III"
    if format == "sph":
        return _subtype_for_sphere(encoding, bits_per_sample)
    if format in ("nis", "nist"):
        return "PCM_16"
    raise ValueError(f"Unsupported format: {format}")


def _subtype_for_wav(dtype: torch.dtype, encoding: Optional[str], bits_per_sample: Optional[int]) -> str:
    import torch

    if not encoding:
        if not bits_per_sample:
            subtype = {
                torch.uint8: "PCM_U8",
                torch.int16: "PCM_16",
                torch.int32: "PCM_32",
                torch.float32: "FLOAT",
                torch.float64: "DOUBLE",
            }.get(dtype)
            if not subtype:
                raise ValueError(f"Unsupported dtype for wav: {dtype}")
            return subtype
        if bits_per_sample == 8:
            return "PCM_U8"
        return f"PCM_{bits_per_sample}"
    if encoding == "PCM_S":
        if not bits_per_sample:
            return "PCM_32"
        if bits_per_sample == 8:
            raise ValueError("wav does not support 8-bit signed PCM encoding.")
        return f"PCM_{bits_per_sample}"
    if encoding == "PCM_U":
        if bits_per_sample in (None, 8):
            return "PCM_U8"
        raise ValueError("wav only supports 8-bit unsigned PCM encoding.")
    if encoding == "PCM_F":
        if bits_per_sample in (None, 32):
            return "FLOAT"
        if bits_per_sample == 64:
            return "DOUBLE"
        raise ValueError("wav only supports 32/64-bit float PCM encoding.")
    if encoding == "ULAW":
        if bits_per_sample in (None, 8):
            return "ULAW"
        raise ValueError("wav only supports 8-bit mu-law encoding.")
    if encoding == "ALAW":
        if bits_per_sample in (None, 8):
            return "ALAW"
        raise ValueError("wav only supports 8-bit a-law encoding.")
    raise ValueError(f"wav does not support {encoding}.")


def _subtype_for_sphere(encoding: Optional[str], bits_per_sample: Optional[int]) -> str:
    if encoding in (None, "PCM_S"):
        return f"PCM_{bits_per_sample}" if bits_per_sample else "PCM_32"
    if encoding in ("PCM_U", "PCM_F"):
        raise ValueError(f"sph does not support {encoding} encoding.")
    if encoding == "ULAW":
        if bits_per_sample in (None, 8):
            return "ULAW"
        raise ValueError("sph only supports 8-bit for mu-law encoding.")
    if encoding == "ALAW":
        return "ALAW"
    raise ValueError(f"sph does not support {encoding}.")
